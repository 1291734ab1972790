//! How text becomes terms: jieba for Chinese, lower-cased English stems, and a simple word
//! splitter for Uyghur and Tibetan that keeps combining marks inside their words.
//!
//! The same analysers serve indexing (registered with tantivy under the names below) and query
//! analysis, so a query term always has the form of an indexed term.

use std::sync::OnceLock;

use jieba_rs::Jieba;
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer, Token,
    TokenStream, Tokenizer,
};

/// Registered name of the Chinese analyser.
pub const ZH: &str = "tongban_zh";
/// Registered name of the English analyser.
pub const EN: &str = "tongban_en";
/// Registered name of the English analyser without stemming, for typo tolerance: a typo often
/// spoils the suffix the stemmer would strip (`unemploymnet` is not stemmed to `unemploy`), so
/// misspelt words are compared with whole words.
pub const EN_WORDS: &str = "tongban_en_words";
/// Registered name of the analyser for Uyghur and Tibetan.
pub const SCRIPT: &str = "tongban_script";

/// Terms longer than this (in bytes) are dropped: nobody searches for them and they bloat the
/// term dictionary.
const MAX_TERM_BYTES: usize = 60;

/// The jieba dictionary, loaded once per process (it takes a few hundred milliseconds and some
/// megabytes, so never per query or per index).
pub fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}

/// Loads the dictionary now rather than on the first query.
pub fn warm_up() {
    let _ = jieba().cut_for_search("预热", false);
}

/// The three analysers, built once and cloned cheaply where a mutable one is needed.
#[derive(Clone)]
pub struct Analyzers {
    pub zh: TextAnalyzer,
    pub en: TextAnalyzer,
    pub en_words: TextAnalyzer,
    pub script: TextAnalyzer,
}

impl Analyzers {
    pub fn new() -> Analyzers {
        Analyzers {
            zh: TextAnalyzer::builder(JiebaTokenizer)
                .filter(RemoveLongFilter::limit(MAX_TERM_BYTES))
                .build(),
            en: TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(RemoveLongFilter::limit(MAX_TERM_BYTES))
                .filter(LowerCaser)
                .filter(Stemmer::new(Language::English))
                .build(),
            en_words: TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(RemoveLongFilter::limit(MAX_TERM_BYTES))
                .filter(LowerCaser)
                .build(),
            script: TextAnalyzer::builder(ScriptTokenizer)
                .filter(RemoveLongFilter::limit(MAX_TERM_BYTES))
                .filter(LowerCaser)
                .build(),
        }
    }

    /// Registers the analysers with an index, which must be done on every open.
    pub fn register(&self, index: &tantivy::Index) {
        let manager = index.tokenizers();
        manager.register(ZH, self.zh.clone());
        manager.register(EN, self.en.clone());
        manager.register(EN_WORDS, self.en_words.clone());
        manager.register(SCRIPT, self.script.clone());
    }
}

impl Default for Analyzers {
    fn default() -> Self {
        Analyzers::new()
    }
}

/// The terms `analyzer` makes of `text`, in order, without duplicates, at most `limit` of them.
pub fn terms(analyzer: &mut TextAnalyzer, text: &str, limit: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while out.len() < limit && stream.advance() {
        let term = &stream.token().text;
        if !term.is_empty() && !out.iter().any(|t| t == term) {
            out.push(term.clone());
        }
    }
    out
}

/// The tokens of `text` with their byte offsets, for highlighting.
pub fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        let token = stream.token();
        out.push((token.offset_from, token.offset_to, token.text.clone()));
    }
    out
}

/// A token stream over tokens computed up front (jieba returns a whole cut at once).
pub struct VecTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self
            .next
            .saturating_sub(1)
            .min(self.tokens.len().saturating_sub(1))]
    }

    fn token_mut(&mut self) -> &mut Token {
        let at = self
            .next
            .saturating_sub(1)
            .min(self.tokens.len().saturating_sub(1));
        &mut self.tokens[at]
    }
}

/// jieba's search-mode cut (a long word and the shorter words inside it, so 营业执照 is found
/// by 执照 too), HMM off (new-word guessing makes index and query cut differently), Latin
/// letters lower-cased, punctuation and spaces dropped.
#[derive(Clone, Copy, Debug, Default)]
pub struct JiebaTokenizer;

impl Tokenizer for JiebaTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let base = text.as_ptr() as usize;
        let mut tokens = Vec::new();
        for (position, word) in jieba()
            .cut_for_search(text, false)
            .into_iter()
            .filter(|w| w.word.chars().any(char::is_alphanumeric))
            .enumerate()
        {
            // jieba hands back slices of `text`, so the byte offset is the pointer distance.
            let offset_from = word.word.as_ptr() as usize - base;
            tokens.push(Token {
                offset_from,
                offset_to: offset_from + word.word.len(),
                position,
                text: word.word.to_lowercase(),
                position_length: 1,
            });
        }
        VecTokenStream { tokens, next: 0 }
    }
}

/// Splits on anything that is neither a letter, a digit nor a combining mark. Tibetan syllables
/// are separated by the tsheg (་), which is punctuation, so each syllable is a term; Uyghur words
/// are separated by spaces. Combining marks (Tibetan vowel signs and subjoined letters, Arabic
/// harakat) are not alphanumeric in Unicode, so tantivy's simple tokenizer would cut words apart
/// at them.
#[derive(Clone, Copy, Debug, Default)]
pub struct ScriptTokenizer;

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
        || matches!(c as u32,
            0x0300..=0x036F
            | 0x0610..=0x061A
            | 0x064B..=0x065F
            | 0x0670
            | 0x06D6..=0x06DC
            | 0x06DF..=0x06E4
            | 0x06E7..=0x06E8
            | 0x06EA..=0x06ED
            | 0x0F18..=0x0F19
            | 0x0F35
            | 0x0F37
            | 0x0F39
            | 0x0F3E..=0x0F3F
            | 0x0F71..=0x0F84
            | 0x0F86..=0x0F87
            | 0x0F8D..=0x0FBC
            | 0x0FC6
            | 0x200C..=0x200D)
}

impl Tokenizer for ScriptTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let mut tokens = Vec::new();
        let mut start: Option<usize> = None;
        let push = |from: usize, to: usize, tokens: &mut Vec<Token>| {
            let position = tokens.len();
            tokens.push(Token {
                offset_from: from,
                offset_to: to,
                position,
                text: text[from..to].to_owned(),
                position_length: 1,
            });
        };
        for (at, c) in text.char_indices() {
            match (is_word_char(c), start) {
                (true, None) => start = Some(at),
                (false, Some(from)) => {
                    push(from, at, &mut tokens);
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(from) = start {
            push(from, text.len(), &mut tokens);
        }
        VecTokenStream { tokens, next: 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_is_cut_in_search_mode() {
        let mut a = Analyzers::new();
        let t = terms(&mut a.zh, "办理营业执照，ID卡", 32);
        assert!(t.contains(&"营业执照".to_owned()), "{t:?}");
        assert!(t.contains(&"执照".to_owned()), "{t:?}");
        assert!(t.contains(&"id".to_owned()), "{t:?}");
        assert!(!t.iter().any(|w| w == "，"), "{t:?}");
    }

    #[test]
    fn english_is_stemmed_and_lower_cased() {
        let mut a = Analyzers::new();
        assert_eq!(
            terms(&mut a.en, "Registering Marriages", 8),
            vec!["regist", "marriag"]
        );
    }

    #[test]
    fn tibetan_keeps_vowel_signs_inside_syllables() {
        let mut a = Analyzers::new();
        // ཞི = ཞ + the vowel sign ི (a combining mark).
        assert_eq!(
            terms(&mut a.script, "ཞི་བདེ། سالام دۇنيا", 8),
            vec!["ཞི", "བདེ", "سالام", "دۇنيا"]
        );
    }

    #[test]
    fn empty_text_has_no_tokens() {
        let mut a = Analyzers::new();
        assert!(terms(&mut a.zh, "", 8).is_empty());
        assert!(tokens(&mut a.script, "  ").is_empty());
    }
}
