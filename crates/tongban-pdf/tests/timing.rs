//! How long a guide-sized document takes to render, for the figures in docs/pdf.md:
//! `cargo test --release -p tongban-pdf --test timing -- --ignored --nocapture`.

use std::time::Instant;

use tongban_pdf::{Block, Document, render};

/// A document with the shape of a service guide, built from the demo catalogue's first
/// service in `lang` (every text of it, as headings, paragraphs and lists).
fn guide_like(lang: &str) -> Document {
    let yaml = include_str!("../../../demo/catalog.yaml");
    let catalogue: serde_norway::Value = serde_norway::from_str(yaml).expect("catalogue YAML");
    let service = &catalogue["services"][0];
    let text = |v: &serde_norway::Value| -> String {
        v.get(lang)
            .or_else(|| v.get("zh-CN"))
            .and_then(|t| t.as_str())
            .or_else(|| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let list = |key: &str| -> Vec<String> {
        service[key]
            .as_sequence()
            .map(|items| items.iter().map(text).collect())
            .unwrap_or_default()
    };
    let mut blocks = vec![Block::Paragraph(text(&service["summary"]))];
    blocks.push(Block::Heading("Conditions".into()));
    blocks.push(Block::Bullets(list("conditions")));
    blocks.push(Block::Heading("Materials".into()));
    for m in service["materials"].as_sequence().into_iter().flatten() {
        blocks.push(Block::Subheading(text(&m["name"])));
        blocks.push(Block::Paragraph(text(&m["description"])));
        blocks.push(Block::KeyValues(vec![
            ("Form".into(), "upload".into()),
            ("Required".into(), "yes".into()),
        ]));
    }
    blocks.push(Block::Heading("Steps".into()));
    blocks.push(Block::Numbered(list("process")));
    blocks.push(Block::Heading("Legal basis".into()));
    blocks.push(Block::Bullets(list("legal_basis")));
    for f in service["faq"].as_sequence().into_iter().flatten() {
        blocks.push(Block::Subheading(text(&f["question"])));
        blocks.push(Block::Paragraph(text(&f["answer"])));
    }
    Document {
        lang: lang.into(),
        title: text(&service["name"]),
        meta: vec!["GA0001".into()],
        blocks,
        footer: "Demo City".into(),
        producer: "timing".into(),
    }
}

#[test]
#[ignore = "a measurement, run by hand in release mode"]
fn thousand_renders() {
    for lang in ["zh-CN", "en"] {
        let document = guide_like(lang);
        let runs = 1000;
        let started = Instant::now();
        let mut size = 0;
        for _ in 0..runs {
            size = render(&document).expect("renders").len();
        }
        let elapsed = started.elapsed();
        println!(
            "{lang}: {runs} renders in {elapsed:.2?}, {:.2?} each, {size} bytes",
            elapsed / runs
        );
    }
}
