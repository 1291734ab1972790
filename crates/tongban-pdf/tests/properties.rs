//! Arbitrary text, in any script and with any control characters, lays out and renders without
//! panicking, and every document is a structurally plausible A4 PDF.

use proptest::prelude::*;
use tongban_pdf::{Block, Document, render};

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\\p{Han}，。、（）《》 a-zA-Z0-9\\n]{0,400}",
        "[a-z]{0,300}",
        "[\\u{0}-\\u{1f}\\u{2028}\\u{2068}\\u{FFFF}\\u{20000}-\\u{20010}]{0,50}",
    ]
}

fn block() -> impl Strategy<Value = Block> {
    prop_oneof![
        text().prop_map(Block::Heading),
        text().prop_map(Block::Subheading),
        text().prop_map(Block::Paragraph),
        text().prop_map(Block::Note),
        prop::collection::vec(text(), 0..4).prop_map(Block::Bullets),
        prop::collection::vec(text(), 0..4).prop_map(Block::Numbered),
        prop::collection::vec((text(), text()), 0..4).prop_map(Block::KeyValues),
        any::<u8>().prop_map(Block::WritingLines),
        any::<u8>().prop_map(Block::Cells),
        prop::collection::vec((any::<bool>(), text()), 0..4).prop_map(Block::Checklist),
        (
            prop::collection::vec(text(), 0..4),
            prop::collection::vec(prop::collection::vec(text(), 0..5), 0..4)
        )
            .prop_map(|(header, rows)| Block::Table { header, rows }),
        (text(), text()).prop_map(|(text, caption)| Block::Qr { text, caption }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_documents_render(
        title in text(),
        meta in prop::collection::vec(text(), 0..3),
        blocks in prop::collection::vec(block(), 0..8),
        footer in text(),
    ) {
        let document = Document {
            lang: "zh-CN".into(),
            title,
            meta,
            blocks,
            footer,
            producer: "test".into(),
        };
        let pdf = render(&document).expect("renders");
        prop_assert!(pdf.starts_with(b"%PDF-"));
        prop_assert!(pdf.ends_with(b"%%EOF") || pdf.ends_with(b"%%EOF\n"));
    }
}
