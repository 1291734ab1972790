//! Serialises laid-out pages as a PDF file: one Type 0 (CID) font holding a subset of the
//! shipped TrueType font with only the glyphs this document uses, a ToUnicode map so text can
//! be extracted, and deflated content streams.
//!
//! The output depends only on the document (no creation date, no random ids), so the same
//! guide renders to the same bytes and caches and ETags stay stable.

use std::collections::BTreeMap;
use std::io::Write;

use pdf_writer::types::{
    CidFontType, FontFlags, LineCapStyle, SystemInfo, TextRenderingMode, UnicodeCmap,
};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use subsetter::GlyphRemapper;

use crate::font::{FONT_DATA, FONT_NAME, Font};
use crate::layout::{Op, Page, Style};
use crate::{A4, Document, PdfError};

const FONT_RESOURCE: Name<'static> = Name(b"F1");

pub fn write(document: &Document, pages: &[Page], font: &Font) -> Result<Vec<u8>, PdfError> {
    // Number the glyphs this document uses (0 stays .notdef) and remember what each stands for.
    let mut remapper = GlyphRemapper::new();
    let mut glyphs: BTreeMap<u16, (char, f32)> = BTreeMap::new();
    for op in pages.iter().flat_map(|p| &p.ops) {
        if let Op::Text { glyphs: run, .. } = op {
            for g in run {
                let new = remapper.remap(g.id);
                glyphs.entry(new).or_insert((g.text, g.advance));
            }
        }
    }
    let subset =
        subsetter::subset(FONT_DATA, 0, &remapper).map_err(|e| PdfError::Subset(e.to_string()))?;

    let mut next = Ref::new(1);
    let mut alloc = || next.bump();
    let catalog_id = alloc();
    let tree_id = alloc();
    let info_id = alloc();
    let type0_id = alloc();
    let cid_id = alloc();
    let descriptor_id = alloc();
    let file_id = alloc();
    let cmap_id = alloc();
    let page_ids: Vec<(Ref, Ref)> = pages.iter().map(|_| (alloc(), alloc())).collect();

    let mut pdf = Pdf::new();
    let mut catalog = pdf.catalog(catalog_id);
    catalog.pages(tree_id);
    if !document.lang.is_empty() {
        catalog.lang(TextStr(&document.lang));
    }
    catalog.viewer_preferences().display_doc_title(true);
    catalog.finish();
    pdf.document_info(info_id)
        .title(TextStr(&document.title))
        .producer(TextStr(&document.producer));
    pdf.pages(tree_id)
        .kids(page_ids.iter().map(|(page, _)| *page))
        .count(i32::try_from(pages.len()).unwrap_or(i32::MAX));

    // The subset tag (six capitals) tells viewers this is a subset, distinct per glyph set.
    let tag = subset_tag(glyphs.keys().copied().chain(remapper.remapped_gids()));
    let base_font = format!("{tag}+{FONT_NAME}");
    let base_font = Name(base_font.as_bytes());
    pdf.type0_font(type0_id)
        .base_font(base_font)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_id)
        .to_unicode(cmap_id);
    let system_info = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };
    let mut cid = pdf.cid_font(cid_id);
    cid.subtype(CidFontType::Type2)
        .base_font(base_font)
        .system_info(system_info)
        .font_descriptor(descriptor_id)
        .default_width(0.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    let mut widths = cid.widths();
    for (&id, &(_, advance)) in &glyphs {
        widths.consecutive(id, [advance]);
    }
    widths.finish();
    cid.finish();

    let (ascent, descent, cap_height) = font.vertical_metrics();
    let [x0, y0, x1, y1] = font.bbox();
    pdf.font_descriptor(descriptor_id)
        .name(base_font)
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(x0, y0, x1, y1))
        .italic_angle(0.0)
        .ascent(ascent)
        .descent(descent)
        .cap_height(cap_height)
        .stem_v(80.0)
        .font_file2(file_id);
    pdf.stream(file_id, &deflate(&subset))
        .filter(Filter::FlateDecode)
        .pair(
            Name(b"Length1"),
            i32::try_from(subset.len()).unwrap_or(i32::MAX),
        );

    let mut cmap = UnicodeCmap::new(Name(b"Tongban-UCS"), system_info);
    for (&id, &(text, _)) in &glyphs {
        cmap.pair(id, text);
    }
    pdf.stream(cmap_id, &deflate(&cmap.finish()))
        .filter(Filter::FlateDecode);

    for (page, (page_id, content_id)) in pages.iter().zip(&page_ids) {
        let mut p = pdf.page(*page_id);
        p.media_box(Rect::new(0.0, 0.0, A4.0, A4.1))
            .parent(tree_id)
            .contents(*content_id);
        p.resources().fonts().pair(FONT_RESOURCE, type0_id);
        p.finish();
        let content = content(page, &remapper);
        pdf.stream(*content_id, &deflate(&content))
            .filter(Filter::FlateDecode);
    }
    Ok(pdf.finish())
}

fn content(page: &Page, remapper: &GlyphRemapper) -> Vec<u8> {
    let mut c = Content::new();
    c.set_line_cap(LineCapStyle::ButtCap);
    for op in &page.ops {
        match op {
            Op::Rule {
                x0,
                x1,
                y,
                width,
                gray,
            } => {
                c.set_stroke_gray(*gray)
                    .set_line_width(*width)
                    .move_to(*x0, *y)
                    .line_to(*x1, *y)
                    .stroke();
            }
            Op::Path {
                points,
                closed,
                width,
                gray,
            } => {
                let Some((&(x, y), rest)) = points.split_first() else {
                    continue;
                };
                c.set_stroke_gray(*gray)
                    .set_line_width(*width)
                    .move_to(x, y);
                for &(x, y) in rest {
                    c.line_to(x, y);
                }
                if *closed {
                    c.close_path();
                }
                c.stroke();
            }
            Op::Fill { rects, gray } => {
                if rects.is_empty() {
                    continue;
                }
                c.set_fill_gray(*gray);
                for &[x, y, w, h] in rects {
                    c.rect(x, y, w, h);
                }
                c.fill_nonzero();
            }
            Op::Text {
                x,
                baseline,
                size,
                style,
                glyphs,
            } => {
                if glyphs.is_empty() {
                    continue;
                }
                let (gray, mode) = match style {
                    Style::Normal => (0.0, TextRenderingMode::Fill),
                    Style::Muted => (0.33, TextRenderingMode::Fill),
                    Style::Bold => (0.0, TextRenderingMode::FillStroke),
                    Style::Hidden => (0.0, TextRenderingMode::Invisible),
                };
                c.set_fill_gray(gray);
                if *style == Style::Bold {
                    // The font has one weight: a thin outline in the same colour thickens it.
                    c.set_stroke_gray(gray).set_line_width(size * 0.03);
                }
                let mut bytes = Vec::with_capacity(glyphs.len() * 2);
                for g in glyphs {
                    let id = remapper.get(g.id).unwrap_or(0);
                    bytes.extend_from_slice(&id.to_be_bytes());
                }
                c.begin_text()
                    .set_font(FONT_RESOURCE, *size)
                    .set_text_rendering_mode(mode)
                    .set_text_matrix([1.0, 0.0, 0.0, 1.0, *x, *baseline])
                    .show(Str(&bytes))
                    .end_text();
            }
        }
    }
    c.finish().to_vec()
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(
        Vec::with_capacity(data.len() / 2),
        flate2::Compression::default(),
    );
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(data);
    encoder.finish().unwrap_or_default()
}

fn subset_tag(ids: impl Iterator<Item = u16>) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for id in ids {
        for b in id.to_be_bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    (0..6)
        .map(|i| char::from(b'A' + ((hash >> (i * 5)) % 26) as u8))
        .collect()
}
