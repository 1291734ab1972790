//! The shipped font covers every character of the demo catalogue's zh-CN and en texts, and a
//! character outside it is shown as the replacement square instead of failing.

use tongban_pdf::{Block, Document, REPLACEMENT, missing_chars, render};

/// Every string of the catalogue except those written in Uyghur or Tibetan (whose PDFs are
/// not made yet).
fn texts(value: &serde_norway::Value, out: &mut String) {
    match value {
        serde_norway::Value::String(s) => {
            out.push_str(s);
            out.push('\n');
        }
        serde_norway::Value::Sequence(items) => items.iter().for_each(|v| texts(v, out)),
        serde_norway::Value::Mapping(map) => {
            for (key, v) in map {
                if matches!(key.as_str(), Some("ug" | "bo")) {
                    continue;
                }
                texts(v, out);
            }
        }
        serde_norway::Value::Tagged(tagged) => texts(&tagged.value, out),
        _ => {}
    }
}

#[test]
fn the_demo_catalogue_has_a_glyph_for_every_character() {
    let yaml = include_str!("../../../demo/catalog.yaml");
    let document: serde_norway::Value = serde_norway::from_str(yaml).expect("catalogue YAML");
    let mut all = String::new();
    texts(&document, &mut all);
    assert!(all.contains("无犯罪记录证明") && all.contains("Certificate of no criminal record"));
    let missing = missing_chars(&all);
    assert!(
        missing.is_empty(),
        "characters without a glyph: {missing:?}"
    );
}

#[test]
fn characters_outside_the_font_are_replaced_visibly() {
    // U+20000 is outside the 通用规范汉字表 and so outside the subset; ئ is Uyghur.
    let unknown = "王\u{20000}ئ";
    assert_eq!(missing_chars(unknown), vec!['\u{20000}', 'ئ']);
    let document = Document {
        lang: "zh-CN".into(),
        title: unknown.into(),
        blocks: vec![Block::Paragraph(unknown.repeat(10))],
        ..Document::default()
    };
    let pdf = render(&document).expect("renders");
    assert!(pdf.starts_with(b"%PDF-"));
    // The replacement glyph is in the ToUnicode map; the reader sees □ where the gap is.
    assert!(!tongban_pdf::has_glyph('\u{20000}'));
    assert!(tongban_pdf::has_glyph(REPLACEMENT));
}
