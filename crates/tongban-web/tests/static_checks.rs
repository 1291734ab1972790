//! Checks on shipped files: every interface string in every locale, and a stylesheet that
//! works right to left by `dir` alone.

use tongban_domain::Locale;
use tongban_web::i18n::{I18n, SOURCES, message_ids};

#[test]
fn every_locale_has_every_interface_key() {
    let reference = message_ids(SOURCES[0].1);
    assert!(reference.len() > 50, "zh-CN.ftl looks truncated");
    for (locale, source) in SOURCES {
        let ids = message_ids(source);
        let missing: Vec<_> = reference.difference(&ids).collect();
        let extra: Vec<_> = ids.difference(&reference).collect();
        assert!(missing.is_empty(), "{locale}.ftl misses {missing:?}");
        assert!(
            extra.is_empty(),
            "{locale}.ftl has keys zh-CN lacks: {extra:?}"
        );
    }
}

#[test]
fn fluent_files_parse_and_format() {
    let i18n = I18n::load().expect("all locales parse");
    for locale in Locale::ALL {
        let tr = i18n.tr(locale);
        let text = tr.t1("time-limit-days", "days", 3u16);
        assert!(text.contains('3'), "{locale}: {text}");
        assert!(!tr.t("site-name").is_empty());
    }
    assert_eq!(
        i18n.tr(Locale::En).t1("service-count", "count", 1usize),
        "1 service"
    );
    assert_eq!(
        i18n.tr(Locale::En).t1("service-count", "count", 2usize),
        "2 services"
    );
}

#[test]
fn the_stylesheet_uses_logical_properties_only() {
    let css = tongban_web::assets::STYLESHEET;
    let mut offences = Vec::new();
    for (number, line) in css.lines().enumerate() {
        let lower = line.to_ascii_lowercase();
        // Physical property names (margin-left, border-right-width, left:, …) and values
        // (text-align: right, float: left).
        for word in ["left", "right"] {
            let mut rest = lower.as_str();
            while let Some(at) = rest.find(word) {
                let before = rest[..at].chars().last();
                let after = rest[at + word.len()..].chars().next();
                let is_word = !before.is_some_and(|c| c.is_ascii_alphanumeric())
                    && !after.is_some_and(|c| c.is_ascii_alphanumeric());
                if is_word {
                    offences.push(format!("line {}: {}", number + 1, line.trim()));
                }
                rest = &rest[at + word.len()..];
            }
        }
    }
    assert!(
        offences.is_empty(),
        "physical left/right in CSS:\n{}",
        offences.join("\n")
    );
    // One stylesheet for the whole platform, sent compressed (about 8 KB with gzip, less with brotli); the
    // form pages and the form editor took it past 30 KB.
    assert!(css.len() < 40 * 1024, "stylesheet is {} bytes", css.len());
}
