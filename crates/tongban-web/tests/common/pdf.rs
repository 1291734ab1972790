//! Reading PDFs back as text with `pdftotext` (Debian's poppler-utils). Without it the text
//! checks print "skipped" and pass, unless `TONGBAN_TEST_STRICT=1`, where they fail.

use std::io::Write;
use std::process::{Command, Stdio};

use tongban_store::testing::skip;

/// Whether `pdftotext` can be run; says "skipped: {what}" (or fails, under strict mode) when
/// not.
pub fn pdftotext_available(what: &str) -> bool {
    match Command::new("pdftotext").arg("-v").output() {
        Ok(_) => true,
        Err(error) => {
            skip(
                what,
                &format!("pdftotext cannot be started ({error}); apt-get install poppler-utils"),
            );
            false
        }
    }
}

/// The text of `pdf` as `pdftotext -layout` reads it.
pub fn pdftotext(pdf: &[u8]) -> String {
    let mut child = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pdftotext starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(pdf)
        .expect("write the PDF to pdftotext");
    let output = child.wait_with_output().expect("pdftotext runs");
    assert!(
        output.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 text")
}

/// Text without any whitespace, so a phrase wrapped across lines (or columns) still matches.
pub fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// With `TONGBAN_PDF_OUT` set, writes `pdf` there to look at:
/// `TONGBAN_PDF_OUT=/tmp cargo test -p tongban-web --test certificate_pdf`.
pub fn keep_for_inspection(name: &str, pdf: &[u8]) {
    if let Some(dir) = std::env::var_os("TONGBAN_PDF_OUT") {
        std::fs::write(std::path::Path::new(&dir).join(name), pdf).expect("write the PDF");
    }
}

/// Whether `pdftoppm` and `zbarimg` (Debian's zbar-tools) can be run to scan a PDF's QR
/// codes; says "skipped: {what}" (or fails, under strict mode) when not.
pub fn qr_scanner_available(what: &str) -> bool {
    for program in ["pdftoppm", "zbarimg"] {
        if let Err(error) = Command::new(program).arg("-h").output() {
            skip(
                what,
                &format!(
                    "{program} cannot be started ({error}); apt-get install poppler-utils zbar-tools"
                ),
            );
            return false;
        }
    }
    true
}

/// What the QR codes on the first page of `pdf` say, as a phone would read them from a
/// 150 dpi image of the page.
pub fn scan_qr_codes(pdf: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let input = dir.path().join("in.pdf");
    std::fs::write(&input, pdf).expect("write the PDF");
    let image = dir.path().join("page");
    let status = Command::new("pdftoppm")
        .args(["-r", "150", "-png", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&input)
        .arg(&image)
        .status()
        .expect("pdftoppm runs");
    assert!(status.success(), "pdftoppm failed");
    let output = Command::new("zbarimg")
        .args(["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"])
        .arg(dir.path().join("page.png"))
        .output()
        .expect("zbarimg runs");
    // zbarimg exits 4 when it finds no code: that is an empty answer, not a failure.
    assert!(
        output.status.success() || output.status.code() == Some(4),
        "zbarimg failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("UTF-8 text")
        .lines()
        .map(str::to_owned)
        .collect()
}
