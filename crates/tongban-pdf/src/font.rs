//! The one typeface documents are set in: a subset of WenQuanYi Micro Hei (Latin from Droid
//! Sans, Han characters from Droid Sans Fallback) compiled into the binary, so nothing is read
//! from disk at run time and every server renders the same bytes.
//!
//! `fonts/make-subset.sh` reproduces the file from Debian's `fonts-wqy-microhei`; the
//! characters it keeps and why are listed there and in `fonts/LICENSE-wqy-microhei.txt`.

use std::sync::OnceLock;

use ttf_parser::{Face, GlyphId};

use crate::PdfError;

/// The shipped font file (TrueType outlines, no hinting, no layout tables).
pub static FONT_DATA: &[u8] = include_bytes!("../fonts/tongban-sans.ttf");

/// The PostScript-style name written into the PDF (after the six-letter subset tag).
pub const FONT_NAME: &str = "WenQuanYiMicroHei";

/// Shown, and extracted, in place of a character the font lacks: a white square, as Chinese
/// typesetting does for a missing character, so the gap is visible rather than silent.
pub const REPLACEMENT: char = '\u{25A1}';

/// The parsed font and the metrics layout needs, read once per process.
pub struct Font {
    face: Face<'static>,
    units_per_em: f32,
    replacement: GlyphId,
    space: GlyphId,
}

/// A character resolved to the glyph that shows it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Glyph {
    /// The glyph in the shipped font (renumbered when the document's subset is written).
    pub id: u16,
    /// The character the glyph stands for in text extraction: the input character, or
    /// [`REPLACEMENT`] when the font lacks it.
    pub text: char,
    /// Advance width in thousandths of the font size (PDF glyph space).
    pub advance: f32,
}

static FONT: OnceLock<Result<Font, PdfError>> = OnceLock::new();

/// The shipped font; an error only if the embedded file were corrupt (a test parses it).
pub fn font() -> Result<&'static Font, PdfError> {
    FONT.get_or_init(Font::load)
        .as_ref()
        .map_err(|error| error.clone())
}

impl Font {
    fn load() -> Result<Font, PdfError> {
        let face = Face::parse(FONT_DATA, 0).map_err(|e| PdfError::Font(e.to_string()))?;
        let units_per_em = f32::from(face.units_per_em().max(1));
        let replacement = face
            .glyph_index(REPLACEMENT)
            .ok_or_else(|| PdfError::Font("the font lacks the replacement square".into()))?;
        let space = face
            .glyph_index(' ')
            .ok_or_else(|| PdfError::Font("the font lacks the space".into()))?;
        Ok(Font {
            face,
            units_per_em,
            replacement,
            space,
        })
    }

    /// Whether the font draws `c` itself (rather than the replacement square).
    pub fn has_glyph(&self, c: char) -> bool {
        self.face.glyph_index(c).is_some_and(|g| g.0 != 0)
    }

    /// The glyph for `c`; characters the font lacks become the replacement square, and
    /// whitespace other than line breaks becomes a space.
    pub fn glyph(&self, c: char) -> Glyph {
        let (id, text) = if c.is_whitespace() {
            (self.space, ' ')
        } else {
            match self.face.glyph_index(c) {
                Some(g) if g.0 != 0 => (g, c),
                _ => (self.replacement, REPLACEMENT),
            }
        };
        Glyph {
            id: id.0,
            text,
            advance: self.advance(id),
        }
    }

    fn advance(&self, glyph: GlyphId) -> f32 {
        let units = self.face.glyph_hor_advance(glyph).unwrap_or(0);
        f32::from(units) * 1000.0 / self.units_per_em
    }

    /// Ascender, descender (negative) and cap height in thousandths of the font size.
    pub fn vertical_metrics(&self) -> (f32, f32, f32) {
        let scale = 1000.0 / self.units_per_em;
        let ascent = f32::from(self.face.ascender()) * scale;
        let descent = f32::from(self.face.descender()) * scale;
        let cap = self
            .face
            .capital_height()
            .map_or(ascent * 0.7, |h| f32::from(h) * scale);
        (ascent, descent, cap)
    }

    /// The font's bounding box in thousandths of the font size.
    pub fn bbox(&self) -> [f32; 4] {
        let scale = 1000.0 / self.units_per_em;
        let b = self.face.global_bounding_box();
        [
            f32::from(b.x_min) * scale,
            f32::from(b.y_min) * scale,
            f32::from(b.x_max) * scale,
            f32::from(b.y_max) * scale,
        ]
    }
}

/// Whether the shipped font draws `c` (for checks and tests; layout uses [`Font::glyph`]).
pub fn has_glyph(c: char) -> bool {
    font().is_ok_and(|f| f.has_glyph(c))
}

/// The distinct characters of `text` the shipped font cannot draw (whitespace aside), in order
/// of first appearance.
pub fn missing_chars(text: &str) -> Vec<char> {
    let mut missing = Vec::new();
    for c in text.chars() {
        if !c.is_whitespace() && !c.is_control() && !has_glyph(c) && !missing.contains(&c) {
            missing.push(c);
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_font_parses_and_covers_latin_and_han() {
        let font = font().expect("embedded font");
        for c in "Aa1¥·，。、（）《》：；！？“”—…通办办事指南示范市公安局居民身份证".chars()
        {
            assert!(font.has_glyph(c), "missing {c:?}");
        }
        let han = font.glyph('办');
        assert!(han.advance > 900.0, "Han characters are full width");
        assert!(font.glyph('i').advance < han.advance / 2.0);
    }

    #[test]
    fn missing_characters_become_the_visible_square() {
        let font = font().expect("embedded font");
        // U+20000 (CJK extension B) is outside the 通用规范汉字表 and outside the subset.
        let g = font.glyph('\u{20000}');
        assert_eq!(g.text, REPLACEMENT);
        assert!(g.advance > 0.0);
        assert_eq!(missing_chars("王\u{20000}ئ"), vec!['\u{20000}', 'ئ']);
        assert_eq!(font.glyph('\t').text, ' ');
    }
}
