//! Printable documents for Tongban: a small, generic document model (title, meta lines,
//! headings, paragraphs, lists, two-column key–value tables, a footer with page numbers, QR
//! codes, and for printed forms ruled writing lines, tick boxes, character cells and grids)
//! rendered to A4 PDF bytes.
//!
//! Layout is done here by hand: Chinese text breaks between any two Han characters except
//! before closing punctuation (，。、）…) or after opening punctuation (（《…); Latin text breaks
//! at spaces, and a word longer than the line is split rather than overflowing. Headings are
//! never left alone at the foot of a page. The font is embedded as a per-document subset (only
//! the glyphs used) with a ToUnicode map, so the text can be searched, copied and extracted
//! (`pdftotext`). Scripts that need shaping (Uyghur, Tibetan) are not supported yet: their
//! characters show as the replacement square. See docs/adr/0005-pdf-guides.md.
//!
//! The crate knows nothing about services or HTTP; the web layer builds a [`Document`] from a
//! guide, and the forms feature builds one from a form (blank or filled in).

mod font;
mod layout;
mod write;

pub use font::{FONT_NAME, REPLACEMENT, has_glyph, missing_chars};

/// A document to print.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    /// The document's language tag (e.g. `zh-CN`), written into the PDF for screen readers.
    pub lang: String,
    /// The big title on the first page, and the PDF's title.
    pub title: String,
    /// Small lines under the title (caption, department, region, version…).
    pub meta: Vec<String>,
    /// The body, in reading order.
    pub blocks: Vec<Block>,
    /// The footer's text on every page (e.g. "Demo City · generated 2026-11-27 12:00"); the
    /// page number "n / N" is added beside it.
    pub footer: String,
    /// Who made the document, written into the PDF's metadata.
    pub producer: String,
}

/// One part of a document's body.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A section heading; never left as the last line of a page.
    Heading(String),
    /// A smaller heading inside a section (a hall's name, a question).
    Subheading(String),
    /// Running text; a `\n` forces a line break.
    Paragraph(String),
    /// Smaller, grey running text (hints, notes).
    Note(String),
    /// A bulleted list.
    Bullets(Vec<String>),
    /// A numbered list (1., 2., …).
    Numbered(Vec<String>),
    /// A two-column table of labels and values, e.g. key facts or a hall's address and hours.
    KeyValues(Vec<(String, String)>),
    /// Empty ruled lines to write an answer on by hand (a printed form's text field).
    WritingLines(u8),
    /// Options each with a box to tick, `true` ticked. The box is the character □, so the
    /// text extracts as "□ option"; a tick is drawn over a ticked one.
    Checklist(Vec<(bool, String)>),
    /// A row of empty squares to write one character in each (18 for a resident ID number);
    /// more than fit on a line continue on the next.
    Cells(u8),
    /// A grid with a header row and columns of equal width; an empty cell leaves room to
    /// write by hand (a repeating group on a printed form).
    Table {
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// A QR code of the text (a verification address), drawn as filled squares with its quiet
    /// zone, about 30 mm wide. The code carries no extractable text: print the text beside it.
    /// Text too long for a QR code draws nothing (the code is an aid, the printed text is what
    /// counts).
    Qr(String),
}

/// Why a document could not be rendered. Layout itself cannot fail; only a corrupt embedded
/// font or a failure of the subsetter can.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PdfError {
    #[error("the embedded font cannot be read: {0}")]
    Font(String),
    #[error("the font subset cannot be made: {0}")]
    Subset(String),
}

/// A4 in PostScript points.
pub const A4: (f32, f32) = (595.28, 841.89);

/// Renders `document` as PDF bytes: A4 pages, 20 mm margins, the text extractable.
pub fn render(document: &Document) -> Result<Vec<u8>, PdfError> {
    let font = font::font()?;
    let pages = layout::layout(document, font);
    write::write(document, &pages, font)
}

/// How many pages `document` takes (for tests and for forms that must fit one page).
pub fn page_count(document: &Document) -> Result<usize, PdfError> {
    let font = font::font()?;
    Ok(layout::layout(document, font).len())
}
