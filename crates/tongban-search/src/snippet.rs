//! Highlighted snippets: the service name and the best passage of its guide, HTML-escaped, with
//! `<mark>` around what matched the query.
//!
//! Chinese text is matched by substring (the query's words wherever they occur, which is what a
//! reader expects to see marked); other languages token by token through the same analyser as
//! the index, so `registering` marks `registration` and a typo marks the word it was taken for.

use tantivy::tokenizer::TextAnalyzer;

use crate::analysis;
use crate::synonyms::is_cjk;

/// Longest passage shown, in characters.
const PASSAGE_CHARS: usize = 110;
/// Characters of context kept before the first match when a passage is cut.
const LEAD_CHARS: usize = 24;

/// How matches are found in one language's text.
pub enum Matcher {
    /// Chinese: the query's words as substrings, longest first.
    Substrings(Vec<String>),
    /// English: a word whose stem is a query stem, or (typo tolerance) a word within typo
    /// distance of a query word as typed.
    English {
        stemmed: Box<TextAnalyzer>,
        plain: Box<TextAnalyzer>,
        stems: Vec<String>,
        words: Vec<String>,
    },
    /// Uyghur and Tibetan: analysed tokens equal to a query term.
    Terms {
        analyzer: Box<TextAnalyzer>,
        terms: Vec<String>,
    },
}

impl Matcher {
    /// Byte ranges of matches in `text`, in order and not overlapping, and how many distinct
    /// query words they cover.
    pub fn spans(&mut self, text: &str) -> (Vec<(usize, usize)>, usize) {
        match self {
            Matcher::Substrings(needles) => substring_spans(text, needles),
            Matcher::English {
                stemmed,
                plain,
                stems,
                words,
            } => {
                // Both analysers split the same way, so their tokens pair up one to one.
                let mut spans = Vec::new();
                let mut seen = vec![false; stems.len() + words.len()];
                let stemmed = analysis::tokens(stemmed, text);
                let plain = analysis::tokens(plain, text);
                for ((from, to, stem), (_, _, word)) in stemmed.iter().zip(&plain) {
                    let found = stems.iter().position(|s| s == stem).or_else(|| {
                        words
                            .iter()
                            .position(|w| w == word || within_typo_distance(w, word))
                            .map(|i| stems.len() + i)
                    });
                    if let Some(i) = found {
                        seen[i] = true;
                        spans.push((*from, *to));
                    }
                }
                (spans, seen.iter().filter(|s| **s).count())
            }
            Matcher::Terms { analyzer, terms } => {
                let mut spans = Vec::new();
                let mut seen = vec![false; terms.len()];
                for (from, to, token) in analysis::tokens(analyzer, text) {
                    if let Some(i) = terms.iter().position(|t| *t == token) {
                        seen[i] = true;
                        spans.push((from, to));
                    }
                }
                (spans, seen.iter().filter(|s| **s).count())
            }
        }
    }
}

fn substring_spans(text: &str, needles: &[String]) -> (Vec<(usize, usize)>, usize) {
    // ASCII lower-casing keeps byte offsets, so spans found in `lower` index `text` as well.
    let lower = text.to_ascii_lowercase();
    let mut spans = Vec::new();
    let mut seen = vec![false; needles.len()];
    let mut at = 0;
    while at < lower.len() {
        let rest = &lower[at..];
        let found = needles.iter().enumerate().find(|(_, n)| {
            !n.is_empty() && rest.starts_with(n.as_str()) && word_bounded(&lower, at, n.len(), n)
        });
        match found {
            Some((i, needle)) => {
                seen[i] = true;
                // Words found side by side (失业 登记) are marked as one (失业登记).
                match spans.last_mut() {
                    Some((_, end)) if *end == at => *end = at + needle.len(),
                    _ => spans.push((at, at + needle.len())),
                }
                at += needle.len();
            }
            None => at += rest.chars().next().map_or(1, char::len_utf8),
        }
    }
    (spans, seen.iter().filter(|s| **s).count())
}

/// A needle made of Latin letters must not be part of a longer word (`id` in `video`).
fn word_bounded(text: &str, at: usize, len: usize, needle: &str) -> bool {
    let alphabetic = |c: char| c.is_alphanumeric() && !is_cjk(c);
    let left = !(needle.chars().next().is_some_and(alphabetic)
        && text[..at].chars().next_back().is_some_and(alphabetic));
    let right = !(needle.chars().next_back().is_some_and(alphabetic)
        && text[at + len..].chars().next().is_some_and(alphabetic));
    left && right
}

/// The typo tolerance of the index: one edit for terms of four letters or more, two from eight.
pub fn typo_distance(term: &str) -> u8 {
    match term.chars().count() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

fn within_typo_distance(term: &str, token: &str) -> bool {
    let allowed = usize::from(typo_distance(term));
    allowed > 0 && edit_distance(term, token, allowed) <= allowed
}

/// Damerau–Levenshtein distance (adjacent transpositions count one), cut off above `limit`.
fn edit_distance(a: &str, b: &str, limit: usize) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > limit {
        return limit + 1;
    }
    let width = b.len() + 1;
    let mut rows = vec![0usize; (a.len() + 1) * width];
    for (j, cell) in rows.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        rows[i * width] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[(i - 1) * width + j] + 1)
                .min(rows[i * width + j - 1] + 1)
                .min(rows[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[(i - 2) * width + j - 2] + 1);
            }
            rows[i * width + j] = best;
        }
    }
    rows[a.len() * width + b.len()]
}

/// `text` escaped for HTML with `<mark>` around `spans`.
pub fn render(text: &str, spans: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(text.len() + spans.len() * 13 + 8);
    let mut at = 0;
    for &(from, to) in spans {
        if from < at || to > text.len() || from >= to {
            continue;
        }
        escape_into(&mut out, &text[at..from]);
        out.push_str("<mark>");
        escape_into(&mut out, &text[from..to]);
        out.push_str("</mark>");
        at = to;
    }
    escape_into(&mut out, &text[at..]);
    out
}

/// Byte ranges of matches in a text.
type Spans = Vec<(usize, usize)>;

/// The best passage among `pieces`: the one whose matches cover the most distinct query words
/// (the first on a tie), cut to a readable length around its first match. Falls back to the
/// start of the first piece when nothing matches.
pub fn best_passage<'a>(pieces: impl Iterator<Item = &'a str>, matcher: &mut Matcher) -> String {
    let mut best: Option<(&str, Spans, usize)> = None;
    let mut first: Option<&str> = None;
    for piece in pieces {
        if piece.trim().is_empty() {
            continue;
        }
        first.get_or_insert(piece);
        let (spans, covered) = matcher.spans(piece);
        if covered > 0 && best.as_ref().is_none_or(|(_, _, c)| covered > *c) {
            best = Some((piece, spans, covered));
        }
    }
    match best {
        Some((piece, spans, _)) => cut(piece, &spans),
        None => cut(first.unwrap_or(""), &[]),
    }
}

/// Cuts `text` to at most `PASSAGE_CHARS` characters, starting a little before the first span,
/// with an ellipsis where text was left out.
fn cut(text: &str, spans: &[(usize, usize)]) -> String {
    let total = text.chars().count();
    if total <= PASSAGE_CHARS {
        return render(text, spans);
    }
    let first_match = spans.first().map_or(0, |s| text[..s.0].chars().count());
    let start_char = first_match
        .saturating_sub(LEAD_CHARS)
        .min(total - PASSAGE_CHARS);
    let byte_at = |n: usize| text.char_indices().nth(n).map_or(text.len(), |(b, _)| b);
    let from = byte_at(start_char);
    let to = byte_at(start_char + PASSAGE_CHARS);
    let inside: Vec<(usize, usize)> = spans
        .iter()
        .filter(|(a, b)| *a >= from && *b <= to)
        .map(|(a, b)| (a - from, b - from))
        .collect();
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    out.push_str(&render(&text[from..to], &inside));
    if to < text.len() {
        out.push('…');
    }
    out
}

pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_matches_are_marked_and_text_escaped() {
        let mut m = Matcher::Substrings(vec!["营业执照".into(), "执照".into()]);
        let (spans, covered) = m.spans("<b>领取营业执照</b>");
        assert_eq!(covered, 1);
        assert_eq!(
            render("<b>领取营业执照</b>", &spans),
            "&lt;b&gt;领取<mark>营业执照</mark>&lt;/b&gt;"
        );
    }

    #[test]
    fn latin_needles_do_not_match_inside_words() {
        let mut m = Matcher::Substrings(vec!["id".into()]);
        assert_eq!(m.spans("video ID").0, vec![(6, 8)]);
    }

    #[test]
    fn english_typos_are_marked() {
        let analyzers = analysis::Analyzers::new();
        let mut m = Matcher::English {
            stemmed: Box::new(analyzers.en.clone()),
            plain: Box::new(analyzers.en_words.clone()),
            stems: vec!["unemploymnet".into()],
            words: vec!["unemploymnet".into()],
        };
        let text = "Registering as unemployed; unemployment benefit";
        assert_eq!(
            render(text, &m.spans(text).0),
            "Registering as unemployed; <mark>unemployment</mark> benefit"
        );
    }

    #[test]
    fn distances() {
        assert_eq!(edit_distance("marriage", "marraige", 2), 1);
        assert_eq!(edit_distance("abc", "abcdef", 1), 2);
        assert_eq!(typo_distance("visa"), 1);
        assert_eq!(typo_distance("passport"), 2);
        assert_eq!(typo_distance("id"), 0);
    }

    #[test]
    fn long_passages_are_cut_around_the_first_match() {
        let text = format!("{}失业登记{}", "甲".repeat(200), "乙".repeat(200));
        let mut m = Matcher::Substrings(vec!["失业".into()]);
        let out = best_passage([text.as_str()].into_iter(), &mut m);
        assert!(out.starts_with('…') && out.ends_with('…'), "{out}");
        assert!(out.contains("<mark>失业</mark>登记"), "{out}");
        assert!(out.chars().count() < PASSAGE_CHARS + 20);
    }

    #[test]
    fn the_passage_covering_most_words_wins() {
        let mut m = Matcher::Substrings(vec!["婚姻".into(), "登记".into()]);
        let out = best_passage(["只有登记", "婚姻登记处", "婚姻"].into_iter(), &mut m);
        assert_eq!(out, "<mark>婚姻登记</mark>处");
    }
}
