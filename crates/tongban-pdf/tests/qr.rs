//! A QR code block ends up in the PDF as filled vector squares, one rectangle per run of dark
//! modules, in a content stream that is the same byte for byte every time.

use std::io::Read;

use tongban_pdf::{Block, Document, render};

const ADDRESS: &str = "https://zwfw.example.gov.cn/certificates/check/0196f3a2-7c1e-7d40-9a51-3c2b8e4f6a10/Xk3pQ9vR2mT7wL5yB8nC4d";

fn document(text: &str) -> Document {
    Document {
        lang: "zh-CN".into(),
        title: "营业执照".into(),
        blocks: vec![
            Block::Paragraph("扫描二维码核验。".into()),
            Block::Qr {
                text: text.into(),
                caption: format!("核验地址\n{text}"),
            },
        ],
        footer: "测试".into(),
        producer: "test".into(),
        ..Document::default()
    }
}

/// Every deflated stream of `pdf`, inflated (the font, the ToUnicode map, the pages).
fn streams(pdf: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = pdf;
    while let Some(at) = find(rest, b"stream\n") {
        let body = &rest[at + b"stream\n".len()..];
        let end = find(body, b"endstream").expect("endstream");
        let mut inflated = Vec::new();
        if flate2::read::ZlibDecoder::new(&body[..end])
            .read_to_end(&mut inflated)
            .is_ok()
        {
            out.push(inflated);
        }
        rest = &body[end + b"endstream".len()..];
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The number of horizontal runs of dark modules in the code of `text`.
fn dark_runs(text: &str) -> usize {
    let code = qrcode::QrCode::new(text.as_bytes()).expect("fits a QR code");
    let colors = code.to_colors();
    colors
        .chunks(code.width())
        .map(|row| {
            row.iter()
                .enumerate()
                .filter(|&(i, c)| {
                    *c == qrcode::Color::Dark && (i == 0 || row[i - 1] != qrcode::Color::Dark)
                })
                .count()
        })
        .sum()
}

#[test]
fn the_code_is_drawn_as_filled_rectangles_and_renders_the_same_every_time() {
    let pdf = render(&document(ADDRESS)).expect("renders");
    assert_eq!(
        pdf,
        render(&document(ADDRESS)).expect("renders"),
        "deterministic"
    );

    let pages: Vec<String> = streams(&pdf)
        .into_iter()
        .map(|s| String::from_utf8_lossy(&s).into_owned())
        .filter(|s| s.contains(" Tf\n"))
        .collect();
    assert_eq!(pages.len(), 1, "one page");
    let page = &pages[0];
    let rectangles = page.lines().filter(|l| l.ends_with(" re")).count();
    assert_eq!(
        rectangles,
        dark_runs(ADDRESS),
        "a rectangle per run of dark modules"
    );
    // Filled in black, once for all of them.
    assert!(page.contains("0 g"), "black fill");
    assert_eq!(page.lines().filter(|l| *l == "f").count(), 1, "{page}");

    // Another address is another drawing.
    let other = ADDRESS.replace("Xk3p", "Yk3p");
    assert_ne!(pdf, render(&document(&other)).expect("renders"));
}
