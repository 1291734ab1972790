//! Locales the platform speaks, how a request's locale is negotiated, and multilingual content.
//!
//! Interface strings live in Fluent files in the web crate; content that administrators write
//! (region, department and service texts) is [`LocalizedText`], which falls back to zh-CN.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A locale the platform ships interface strings for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Locale {
    /// Simplified Chinese, the default and the fallback for content.
    ZhCn,
    En,
    /// Uyghur in Arabic script, written right to left.
    Ug,
    /// Tibetan.
    Bo,
}

/// Text direction of a locale's script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ltr,
    Rtl,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ltr => "ltr",
            Direction::Rtl => "rtl",
        }
    }
}

impl Locale {
    pub const DEFAULT: Locale = Locale::ZhCn;
    pub const ALL: [Locale; 4] = [Locale::ZhCn, Locale::En, Locale::Ug, Locale::Bo];

    /// The BCP 47 tag used in URLs, cookies, `lang` attributes and data files.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
            Locale::Ug => "ug",
            Locale::Bo => "bo",
        }
    }

    /// The locale's own name for itself, shown in the language switcher.
    pub fn endonym(self) -> &'static str {
        match self {
            Locale::ZhCn => "简体中文",
            Locale::En => "English",
            Locale::Ug => "ئۇيغۇرچە",
            Locale::Bo => "བོད་ཡིག",
        }
    }

    pub fn direction(self) -> Direction {
        match self {
            Locale::Ug => Direction::Rtl,
            _ => Direction::Ltr,
        }
    }

    /// Parses a language tag leniently: case-insensitive, `_` or `-`, and a known
    /// primary language with any region or script (`zh`, `zh-Hans-CN`, `en-GB`, `ug-Arab-CN`).
    /// Traditional Chinese tags are not mapped to zh-CN: better English than the wrong script.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let tag = tag.trim();
        if tag.is_empty() || tag.len() > 35 {
            return None;
        }
        let lower = tag.replace('_', "-").to_ascii_lowercase();
        let mut parts = lower.split('-');
        let primary = parts.next()?;
        match primary {
            "zh" => {
                let rest: Vec<&str> = parts.collect();
                let traditional = rest
                    .iter()
                    .any(|p| matches!(*p, "hant" | "tw" | "hk" | "mo"));
                let simplified = rest.iter().any(|p| matches!(*p, "hans" | "cn" | "sg"));
                if traditional && !simplified {
                    None
                } else {
                    Some(Locale::ZhCn)
                }
            }
            "en" => Some(Locale::En),
            "ug" => Some(Locale::Ug),
            "bo" => Some(Locale::Bo),
            _ => None,
        }
    }

    /// Picks the best supported locale from an `Accept-Language` header (RFC 9110 §12.5.4),
    /// honouring quality values; `None` when nothing acceptable is supported.
    pub fn negotiate(accept_language: &str) -> Option<Locale> {
        let mut best: Option<(u16, usize, Locale)> = None;
        for (position, item) in accept_language.split(',').enumerate().take(32) {
            let mut pieces = item.split(';');
            let tag = pieces.next().unwrap_or("").trim();
            let mut quality: u16 = 1000;
            for param in pieces {
                let param = param.trim();
                if let Some(q) = param
                    .strip_prefix("q=")
                    .or_else(|| param.strip_prefix("Q="))
                {
                    quality = parse_quality(q).unwrap_or(0);
                }
            }
            if quality == 0 {
                continue;
            }
            let Some(locale) = Locale::from_tag(tag) else {
                continue;
            };
            // Higher quality wins; on a tie the earlier entry wins.
            let better = match best {
                None => true,
                Some((q, _, _)) => quality > q,
            };
            if better {
                best = Some((quality, position, locale));
            }
        }
        best.map(|(_, _, locale)| locale)
    }
}

/// Parses a qvalue (`0`, `0.5`, `1.000`) into thousandths.
fn parse_quality(q: &str) -> Option<u16> {
    let q = q.trim();
    let (int, frac) = match q.split_once('.') {
        Some((i, f)) => (i, f),
        None => (q, ""),
    };
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole = match int {
        "0" => 0u16,
        "1" => 1,
        _ => return None,
    };
    let mut thousandths = 0u16;
    for (i, b) in frac.bytes().enumerate() {
        thousandths += u16::from(b - b'0') * [100, 10, 1][i];
    }
    let value = whole * 1000 + thousandths;
    (value <= 1000).then_some(value)
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// Content written in several languages, keyed by locale tag, falling back to zh-CN.
///
/// In data files it is either a map (`{ zh-CN: 示范市, en: Demo City }`) or a plain string,
/// which is taken as zh-CN.
// A province's catalogue holds hundreds of thousands of these, mostly with one or two
// languages: a sorted vector of boxed strings costs a fraction of a `BTreeMap` node each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalizedText(Vec<(Box<str>, Box<str>)>);

impl LocalizedText {
    pub fn new(zh_cn: impl Into<String>) -> Self {
        LocalizedText::default().with(Locale::ZhCn, zh_cn)
    }

    pub fn with(mut self, locale: Locale, text: impl Into<String>) -> Self {
        self.set(locale.tag(), text.into());
        self
    }

    /// Sets the text of `tag`, keeping the entries sorted by tag (a later value wins).
    fn set(&mut self, tag: &str, text: String) {
        match self.0.binary_search_by(|(k, _)| (**k).cmp(tag)) {
            Ok(i) => self.0[i].1 = text.into_boxed_str(),
            Err(i) => self.0.insert(i, (tag.into(), text.into_boxed_str())),
        }
    }

    /// The text in `locale`, else in zh-CN, else in any language present, else "".
    pub fn get(&self, locale: Locale) -> &str {
        self.exact(locale)
            .or_else(|| self.exact(Locale::DEFAULT))
            .or_else(|| {
                self.0
                    .iter()
                    .map(|(_, v)| &**v)
                    .find(|v| !v.trim().is_empty())
            })
            .unwrap_or("")
    }

    /// Whether the text in `locale` is its own rather than a fallback.
    pub fn has(&self, locale: Locale) -> bool {
        self.exact(locale).is_some()
    }

    /// The locale the text shown for `locale` is actually written in, so pages can mark
    /// fallback content with its own `lang` attribute.
    pub fn shown_locale(&self, locale: Locale) -> Locale {
        if self.has(locale) {
            locale
        } else {
            Locale::DEFAULT
        }
    }

    fn exact(&self, locale: Locale) -> Option<&str> {
        let tag = locale.tag();
        self.0
            .binary_search_by(|(k, _)| (**k).cmp(tag))
            .ok()
            .map(|i| &*self.0[i].1)
            .filter(|t| !t.trim().is_empty())
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|(_, v)| v.trim().is_empty())
    }

    /// Locale tags present that the platform does not know.
    pub fn unknown_tags(&self) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .map(|(k, _)| &**k)
            .filter(|k| !Locale::ALL.iter().any(|l| l.tag() == *k))
    }
}

/// Written as a map from language tag to text, in tag order.
impl Serialize for LocalizedText {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (&**k, &**v)))
    }
}

impl<'de> Deserialize<'de> for LocalizedText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;

        impl<'de> serde::de::Visitor<'de> for TextVisitor {
            type Value = LocalizedText;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a text, or a map from language (zh-CN, en, ug, bo) to text")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<LocalizedText, E> {
                Ok(LocalizedText::new(text))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<LocalizedText, A::Error> {
                let mut texts = LocalizedText::default();
                while let Some((language, text)) = map.next_entry::<String, String>()? {
                    texts.set(&language, text);
                }
                texts.0.shrink_to_fit();
                Ok(texts)
            }
        }

        deserializer.deserialize_any(TextVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn texts_keep_one_entry_per_language_written_in_tag_order() {
        let text = LocalizedText::new("甲")
            .with(Locale::En, "A")
            .with(Locale::En, "B")
            .with(Locale::Bo, "ཀ");
        assert_eq!(text.get(Locale::En), "B");
        assert_eq!(text.get(Locale::Ug), "甲", "falls back to zh-CN");
        let yaml = serde_norway::to_string(&text).unwrap();
        assert_eq!(yaml, "bo: ཀ\nen: B\nzh-CN: 甲\n");
        let back: LocalizedText = serde_norway::from_str(&yaml).unwrap();
        assert_eq!(back, text);
        let plain: LocalizedText = serde_norway::from_str("只有中文").unwrap();
        assert_eq!(plain, LocalizedText::new("只有中文"));
    }

    #[test]
    fn tags_parse_leniently() {
        assert_eq!(Locale::from_tag("zh"), Some(Locale::ZhCn));
        assert_eq!(Locale::from_tag("zh_CN"), Some(Locale::ZhCn));
        assert_eq!(Locale::from_tag("zh-Hans-CN"), Some(Locale::ZhCn));
        assert_eq!(Locale::from_tag("zh-TW"), None);
        assert_eq!(Locale::from_tag("zh-Hant"), None);
        assert_eq!(Locale::from_tag("EN-gb"), Some(Locale::En));
        assert_eq!(Locale::from_tag("ug-Arab-CN"), Some(Locale::Ug));
        assert_eq!(Locale::from_tag("bo-CN"), Some(Locale::Bo));
        assert_eq!(Locale::from_tag("fr"), None);
        assert_eq!(Locale::from_tag(""), None);
    }

    #[test]
    fn accept_language_honours_quality_and_order() {
        assert_eq!(
            Locale::negotiate("fr-FR, en;q=0.8, zh;q=0.9"),
            Some(Locale::ZhCn)
        );
        assert_eq!(Locale::negotiate("en-US,en;q=0.9"), Some(Locale::En));
        assert_eq!(Locale::negotiate("ug, zh-CN"), Some(Locale::Ug));
        assert_eq!(Locale::negotiate("bo;q=0.5, en;q=0.5"), Some(Locale::Bo));
        assert_eq!(Locale::negotiate("en;q=0, de"), None);
        assert_eq!(Locale::negotiate("*"), None);
        assert_eq!(Locale::negotiate("en;q=2"), None);
        assert_eq!(Locale::negotiate(""), None);
    }

    #[test]
    fn only_uyghur_is_right_to_left() {
        for locale in Locale::ALL {
            let expected = if locale == Locale::Ug {
                Direction::Rtl
            } else {
                Direction::Ltr
            };
            assert_eq!(locale.direction(), expected, "{locale}");
        }
    }

    #[test]
    fn localized_text_falls_back_to_chinese() {
        let text = LocalizedText::new("示范市").with(Locale::En, "Demo City");
        assert_eq!(text.get(Locale::En), "Demo City");
        assert_eq!(text.get(Locale::Ug), "示范市");
        assert_eq!(text.shown_locale(Locale::Ug), Locale::ZhCn);
        assert_eq!(text.shown_locale(Locale::En), Locale::En);
    }

    #[test]
    fn blank_translations_count_as_missing() {
        let text = LocalizedText::new("示范市").with(Locale::Bo, "  ");
        assert!(!text.has(Locale::Bo));
        assert_eq!(text.get(Locale::Bo), "示范市");
    }

    #[test]
    fn localized_text_reads_plain_strings_and_maps() {
        let plain: LocalizedText = serde_norway::from_str("示范市").unwrap();
        assert_eq!(plain.get(Locale::En), "示范市");
        let map: LocalizedText =
            serde_norway::from_str("{ zh-CN: 示范市, en: Demo City }").unwrap();
        assert_eq!(map.get(Locale::En), "Demo City");
        let odd: LocalizedText = serde_norway::from_str("{ fr: Ville }").unwrap();
        assert_eq!(odd.unknown_tags().collect::<Vec<_>>(), vec!["fr"]);
        assert_eq!(odd.get(Locale::ZhCn), "Ville");
    }

    proptest! {
        #[test]
        fn negotiation_never_panics(header in ".{0,200}") {
            let _ = Locale::negotiate(&header);
        }

        #[test]
        fn a_single_supported_tag_is_chosen(idx in 0usize..4, q in 1u16..=1000) {
            let locale = Locale::ALL[idx];
            let header = format!("xx-YY;q=0.001, {};q={}.{:03}", locale.tag(), q / 1000, q % 1000);
            prop_assert_eq!(Locale::negotiate(&header), Some(locale));
        }
    }
}
