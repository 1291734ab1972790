//! File names from uploads, made safe to store, show and offer for download.
//!
//! The name a browser sends is the applicant's, not a path: any directory part (`/` or `\`,
//! so `C:\x\..\a.pdf` and `../../etc/passwd` alike) is dropped, as are control characters and
//! the invisible formatting characters that can disguise a name (a right-to-left override
//! makes `invoice` + U+202E + `fdp.exe` read as `invoiceexe.pdf`). Leading dots (hidden files,
//! `..`), trailing dots and spaces, characters Windows refuses and device names such as `CON`
//! go too. Chinese and every other script stay. The result is at most
//! [`MAX_FILENAME_CHARS`] characters and never empty (`file`).

use tongban_domain::forms::FileKind;

/// The longest stored name, in characters.
pub const MAX_FILENAME_CHARS: usize = 100;

const FALLBACK: &str = "file";

/// Invisible characters that change how a name reads: bidirectional controls, zero-width
/// characters, the soft hyphen and the byte-order mark.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// Characters Windows does not allow in a name; replaced so the name still reads.
fn is_windows_reserved(c: char) -> bool {
    matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*')
}

/// Device names Windows reserves, whatever extension follows (`con.txt` is the console).
fn is_reserved_stem(stem: &str) -> bool {
    let upper = stem.trim_end().to_ascii_uppercase();
    matches!(upper.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((upper.starts_with("COM") || upper.starts_with("LPT"))
            && upper.len() == 4
            && upper.as_bytes()[3].is_ascii_digit())
}

/// `raw` as a safe file name (see the module documentation).
pub fn sanitise_filename(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|&c| !c.is_control() && !is_invisible_format(c))
        .map(|c| if is_windows_reserved(c) { '_' } else { c })
        .collect();
    let trimmed = cleaned
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    let (stem, extension) = split_extension(trimmed);
    let stem = if is_reserved_stem(stem) { "" } else { stem };
    let name = match (stem.is_empty(), extension) {
        (true, Some(ext)) => format!("{FALLBACK}.{ext}"),
        (true, None) => FALLBACK.to_owned(),
        (false, _) => trimmed.to_owned(),
    };
    limit_chars(&name, extension)
}

/// The name an upload is stored under: sanitised, with the extension of the detected kind in
/// place of whatever extension the client gave (`身份证.PDF.exe` of a PDF is `身份证.PDF.pdf`).
pub fn stored_filename(raw: &str, kind: FileKind) -> String {
    let clean = sanitise_filename(raw);
    let (stem, extension) = split_extension(&clean);
    let stem = if extension.is_some() && !stem.is_empty() {
        stem
    } else if extension.is_some() {
        FALLBACK
    } else {
        clean.as_str()
    };
    limit_chars(
        &format!("{stem}.{}", kind.extension()),
        Some(kind.extension()),
    )
}

/// Splits off an extension: a final `.` followed by 1–10 ASCII letters or digits.
fn split_extension(name: &str) -> (&str, Option<&str>) {
    match name.rsplit_once('.') {
        Some((stem, ext))
            if !ext.is_empty()
                && ext.len() <= 10
                && ext.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            (stem, Some(ext))
        }
        _ => (name, None),
    }
}

/// Cuts `name` to [`MAX_FILENAME_CHARS`] on a character boundary, keeping its extension.
fn limit_chars(name: &str, extension: Option<&str>) -> String {
    if name.chars().count() <= MAX_FILENAME_CHARS {
        return name.to_owned();
    }
    let suffix = extension.map(|e| format!(".{e}")).unwrap_or_default();
    let keep = MAX_FILENAME_CHARS - suffix.chars().count();
    let stem: String = name.chars().take(keep).collect();
    let stem = stem.trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    let stem = if stem.is_empty() { FALLBACK } else { stem };
    format!("{stem}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_parts_and_dots_go() {
        assert_eq!(sanitise_filename("../../etc/passwd"), "passwd");
        assert_eq!(sanitise_filename("C:\\x\\..\\a.pdf"), "a.pdf");
        assert_eq!(sanitise_filename(".."), "file");
        assert_eq!(sanitise_filename("."), "file");
        assert_eq!(sanitise_filename(""), "file");
        assert_eq!(sanitise_filename("dir/"), "file");
        assert_eq!(sanitise_filename(".bashrc"), "bashrc");
        assert_eq!(sanitise_filename("...pdf"), "pdf");
        assert_eq!(sanitise_filename("a.pdf. . "), "a.pdf");
        assert_eq!(sanitise_filename("/"), "file");
    }

    #[test]
    fn control_and_disguising_characters_go() {
        assert_eq!(sanitise_filename("a\0b.pdf"), "ab.pdf");
        assert_eq!(sanitise_filename("a\r\nb\t.pdf"), "ab.pdf");
        assert_eq!(
            sanitise_filename("invoice\u{202E}fdp.exe"),
            "invoicefdp.exe"
        );
        assert_eq!(sanitise_filename("x\u{200B}\u{2067}y.png"), "xy.png");
        assert_eq!(sanitise_filename("a<b>:c\"d|e?f*.pdf"), "a_b__c_d_e_f_.pdf");
    }

    #[test]
    fn reserved_device_names_go() {
        assert_eq!(sanitise_filename("CON"), "file");
        assert_eq!(sanitise_filename("con.pdf"), "file.pdf");
        assert_eq!(sanitise_filename("LPT1.png"), "file.png");
        assert_eq!(sanitise_filename("COMA.png"), "COMA.png");
        assert_eq!(sanitise_filename("console.pdf"), "console.pdf");
    }

    #[test]
    fn chinese_and_other_scripts_stay_and_length_is_bounded() {
        assert_eq!(sanitise_filename("身份证 正面.jpg"), "身份证 正面.jpg");
        assert_eq!(sanitise_filename("𠀀𪚥.pdf"), "𠀀𪚥.pdf");
        let long = format!("{}.pdf", "营".repeat(300));
        let cut = sanitise_filename(&long);
        assert_eq!(cut.chars().count(), MAX_FILENAME_CHARS);
        assert!(cut.ends_with("营.pdf"));
        let astral = "𠀀".repeat(150);
        assert_eq!(
            sanitise_filename(&astral).chars().count(),
            MAX_FILENAME_CHARS
        );
    }

    #[test]
    fn the_stored_extension_comes_from_the_content() {
        assert_eq!(stored_filename("evil.exe", FileKind::Pdf), "evil.pdf");
        assert_eq!(stored_filename("身份证.PDF", FileKind::Pdf), "身份证.pdf");
        assert_eq!(stored_filename("scan", FileKind::Jpeg), "scan.jpg");
        assert_eq!(stored_filename("..", FileKind::Png), "file.png");
        assert_eq!(stored_filename(".png", FileKind::Png), "png.png");
        assert_eq!(
            stored_filename("invoice\u{202E}fdp.exe", FileKind::Pdf),
            "invoicefdp.pdf"
        );
        let long = format!("{}.exe", "证".repeat(200));
        let name = stored_filename(&long, FileKind::Ofd);
        assert_eq!(name.chars().count(), MAX_FILENAME_CHARS);
        assert!(name.ends_with(".ofd"));
    }
}
