//! Hand layout: breaking text into lines and lines into A4 pages.
//!
//! Everything is measured with the font's advance widths (no shaping, no kerning: Chinese
//! needs neither, and Latin reads well without kerning at these sizes). Blocks become a flat
//! list of line-high items; an item may ask to stay on the same page as the next one, which is
//! how headings are kept with their first lines and one-line orphans and widows are avoided.

use crate::font::{Font, Glyph};
use crate::{A4, Block, Document};

/// 20 mm in points.
pub const MARGIN: f32 = 56.69;
const CONTENT_WIDTH: f32 = A4.0 - 2.0 * MARGIN;
const TOP: f32 = A4.1 - MARGIN;
const BOTTOM: f32 = MARGIN;

// Type sizes in points. 10.5 pt is 五号, the usual body size of Chinese official documents.
const TITLE: f32 = 20.0;
const META: f32 = 9.5;
const HEADING: f32 = 14.0;
const SUBHEADING: f32 = 11.5;
const BODY: f32 = 10.5;
const NOTE: f32 = 9.0;
pub const FOOTER: f32 = 8.0;
/// Han characters need more leading than Latin to stay legible.
const LEADING: f32 = 1.6;
const TIGHT_LEADING: f32 = 1.3;

const BULLET_INDENT: f32 = 16.0;
const NUMBER_INDENT: f32 = 22.0;
/// The longest run of items kept together; longer runs are allowed to break.
const MAX_KEEP: usize = 12;

/// How a run of text is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Normal,
    /// Emulated bold (fill and stroke): the font has one weight.
    Bold,
    /// Grey, for labels, notes and the footer.
    Muted,
    /// Not drawn but extracted, like the text layer of a scan: a drawn shape's words.
    Hidden,
}

/// A drawing operation at absolute page coordinates (points, origin bottom left).
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Text {
        x: f32,
        baseline: f32,
        size: f32,
        style: Style,
        glyphs: Vec<Glyph>,
    },
    Rule {
        x0: f32,
        x1: f32,
        y: f32,
        width: f32,
        gray: f32,
    },
    /// Straight segments through `points` (x, y), closed back to the first when `closed`:
    /// cell borders, table rules and ticks.
    Path {
        points: Vec<(f32, f32)>,
        closed: bool,
        width: f32,
        gray: f32,
    },
    /// Filled rectangles (x, y, width, height; y of the lower edge once placed, of the upper
    /// edge inside an item): a QR code's dark modules, one rectangle per horizontal run.
    Fill { rects: Vec<[f32; 4]>, gray: f32 },
}

/// One laid-out page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    pub ops: Vec<Op>,
}

/// A line-high slice of content; ops are positioned relative to the item's top (`dy` downward).
struct Item {
    space_before: f32,
    height: f32,
    keep_with_next: bool,
    ops: Vec<Op>,
}

/// Lays `document` out on A4 pages, with the running header and footer on each.
pub fn layout(document: &Document, font: &Font) -> Vec<Page> {
    let items = items(document, font);
    let mut pages = paginate(&items);
    let count = pages.len();
    for (index, page) in pages.iter_mut().enumerate() {
        decorate(page, index, count, document, font);
    }
    pages
}

fn items(document: &Document, font: &Font) -> Vec<Item> {
    let mut out = Vec::new();
    let title = wrap(font, &document.title, TITLE, CONTENT_WIDTH);
    for line in title {
        out.push(line_item(
            font,
            0.0,
            TITLE,
            TIGHT_LEADING,
            0.0,
            Style::Bold,
            line,
            true,
        ));
    }
    for (i, meta) in document.meta.iter().enumerate() {
        for line in wrap(font, meta, META, CONTENT_WIDTH) {
            let space = if i == 0 { 6.0 } else { 0.0 };
            out.push(line_item(
                font,
                space,
                META,
                LEADING,
                0.0,
                Style::Muted,
                line,
                true,
            ));
        }
    }
    // A strong rule closes the title block.
    out.push(Item {
        space_before: 4.0,
        height: 10.0,
        keep_with_next: false,
        ops: vec![Op::Rule {
            x0: MARGIN,
            x1: MARGIN + CONTENT_WIDTH,
            y: 4.0,
            width: 1.2,
            gray: 0.0,
        }],
    });
    let mut previous: Option<&Block> = None;
    for block in &document.blocks {
        let first = out.len();
        block_items(block, font, &mut out);
        // A short text right under a subheading (a material's description) stays with what
        // follows it (the material's table), so the subheading's group is not split.
        let short_text =
            matches!(block, Block::Paragraph(_) | Block::Note(_)) && out.len() - first <= 3;
        if short_text
            && matches!(previous, Some(Block::Subheading(_)))
            && let Some(last) = out.last_mut()
        {
            last.keep_with_next = true;
        }
        previous = Some(block);
    }
    out
}

fn block_items(block: &Block, font: &Font, out: &mut Vec<Item>) {
    match block {
        Block::Heading(text) => {
            let lines = wrap(font, text, HEADING, CONTENT_WIDTH);
            let last = lines.len().saturating_sub(1);
            for (i, line) in lines.into_iter().enumerate() {
                let mut item = line_item(
                    font,
                    if i == 0 { 16.0 } else { 0.0 },
                    HEADING,
                    TIGHT_LEADING,
                    0.0,
                    Style::Bold,
                    line,
                    true,
                );
                if i == last {
                    item.height += 5.0;
                    item.ops.push(Op::Rule {
                        x0: MARGIN,
                        x1: MARGIN + CONTENT_WIDTH,
                        y: item.height - 3.0,
                        width: 0.5,
                        gray: 0.6,
                    });
                }
                out.push(item);
            }
        }
        Block::Subheading(text) => {
            let lines = wrap(font, text, SUBHEADING, CONTENT_WIDTH);
            for (i, line) in lines.into_iter().enumerate() {
                out.push(line_item(
                    font,
                    if i == 0 { 8.0 } else { 0.0 },
                    SUBHEADING,
                    LEADING,
                    0.0,
                    Style::Bold,
                    line,
                    true,
                ));
            }
        }
        Block::Paragraph(text) => paragraph(font, text, BODY, Style::Normal, 4.0, out),
        Block::Note(text) => paragraph(font, text, NOTE, Style::Muted, 3.0, out),
        Block::Bullets(items) => {
            for item in items {
                list_item(font, "\u{2022}", item, BULLET_INDENT, out);
            }
        }
        Block::Numbered(items) => {
            for (i, item) in items.iter().enumerate() {
                list_item(font, &format!("{}.", i + 1), item, NUMBER_INDENT, out);
            }
        }
        Block::KeyValues(rows) => key_values(font, rows, out),
        Block::WritingLines(count) => writing_lines(usize::from(*count), out),
        Block::Checklist(options) => {
            for (checked, text) in options {
                checklist_item(font, *checked, text, out);
            }
        }
        Block::Cells(count) => cells(usize::from(*count), out),
        Block::Table { header, rows } => table(font, header, rows, out),
        Block::Qr(text) => qr(text, out),
    }
}

/// Side of a QR module in points: a version 6 code (41 modules, room for a 130-character
/// address) plus its 4-module quiet zone is 49 × 1.8 ≈ 88 pt, about 31 mm, which phones read
/// at arm's length from print.
const QR_MODULE: f32 = 1.8;

fn qr(text: &str, out: &mut Vec<Item>) {
    let Ok(code) = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M) else {
        return;
    };
    let width = code.width();
    let colors = code.to_colors();
    let quiet = 4.0 * QR_MODULE;
    let mut rects = Vec::new();
    for (row, line) in colors.chunks(width.max(1)).enumerate() {
        let y = quiet + row as f32 * QR_MODULE;
        let mut column = 0;
        while column < line.len() {
            if line[column] == qrcode::Color::Dark {
                let start = column;
                while column < line.len() && line[column] == qrcode::Color::Dark {
                    column += 1;
                }
                rects.push([
                    MARGIN + quiet + start as f32 * QR_MODULE,
                    y,
                    (column - start) as f32 * QR_MODULE,
                    QR_MODULE,
                ]);
            } else {
                column += 1;
            }
        }
    }
    let side = 2.0 * quiet + width as f32 * QR_MODULE;
    out.push(Item {
        space_before: 4.0,
        height: side,
        keep_with_next: false,
        ops: vec![Op::Fill { rects, gray: 0.0 }],
    });
}

/// Height of a handwritten line: twice the body line, as on printed Chinese forms.
const WRITING_LINE: f32 = 22.0;

fn writing_lines(count: usize, out: &mut Vec<Item>) {
    for i in 0..count {
        out.push(Item {
            space_before: if i == 0 { 2.0 } else { 0.0 },
            height: WRITING_LINE,
            keep_with_next: i + 1 < count,
            ops: vec![Op::Rule {
                x0: MARGIN,
                x1: MARGIN + CONTENT_WIDTH,
                y: WRITING_LINE - 3.0,
                width: 0.4,
                gray: 0.45,
            }],
        });
    }
}

fn checklist_item(font: &Font, checked: bool, text: &str, out: &mut Vec<Item>) {
    let first = out.len();
    list_item(font, "\u{25A1}", text, BULLET_INDENT, out);
    let Some(item) = out.get_mut(first) else {
        return;
    };
    let Some(Op::Text { baseline, .. }) = item.ops.first() else {
        return;
    };
    let (x, b, s) = (MARGIN + 2.0, *baseline, BODY);
    // The font's □ is small: the box is drawn, and the character stays as hidden text so the
    // option still extracts as "□ option".
    if let Some(Op::Text { style, .. }) = item.ops.last_mut() {
        *style = Style::Hidden;
    }
    item.ops.push(Op::Path {
        points: vec![
            (x, b - 0.8 * s),
            (x + 0.8 * s, b - 0.8 * s),
            (x + 0.8 * s, b),
            (x, b),
        ],
        closed: true,
        width: 0.6,
        gray: 0.0,
    });
    if checked {
        item.ops.push(Op::Path {
            points: vec![
                (x + 0.15 * s, b - 0.42 * s),
                (x + 0.35 * s, b - 0.15 * s),
                (x + 0.85 * s, b - 0.95 * s),
            ],
            closed: false,
            width: 1.2,
            gray: 0.0,
        });
    }
}

fn cells(count: usize, out: &mut Vec<Item>) {
    const SIDE: f32 = 18.0;
    let per_row = ((CONTENT_WIDTH / SIDE) as usize).max(1);
    let mut left = count;
    let mut first = true;
    while left > 0 {
        let n = left.min(per_row);
        let ops = (0..n)
            .map(|i| {
                let x = MARGIN + i as f32 * SIDE;
                Op::Path {
                    points: vec![
                        (x, 2.0),
                        (x + SIDE, 2.0),
                        (x + SIDE, 2.0 + SIDE),
                        (x, 2.0 + SIDE),
                    ],
                    closed: true,
                    width: 0.5,
                    gray: 0.3,
                }
            })
            .collect();
        left -= n;
        out.push(Item {
            space_before: if first { 2.0 } else { 0.0 },
            height: SIDE + 4.0,
            keep_with_next: left > 0,
            ops,
        });
        first = false;
    }
}

fn table(font: &Font, header: &[String], rows: &[Vec<String>], out: &mut Vec<Item>) {
    const PAD: f32 = 3.0;
    let columns = header
        .len()
        .max(rows.iter().map(Vec::len).max().unwrap_or(0));
    if columns == 0 {
        return;
    }
    let column = CONTENT_WIDTH / columns as f32;
    let line_height = NOTE * LEADING;
    // A row never outgrows a page: longer cells are cut.
    let max_lines = ((TOP - BOTTOM - 2.0 * PAD) / line_height) as usize;
    let row_item = |cells: &[String], style: Style, min_height: f32, first: bool| {
        let wrapped: Vec<Vec<Vec<Glyph>>> = (0..columns)
            .map(|i| {
                let text = cells.get(i).map(String::as_str).unwrap_or("");
                let mut lines = wrap(font, text, NOTE, column - 2.0 * PAD);
                lines.truncate(max_lines);
                lines
            })
            .collect();
        let n = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let height = (n as f32 * line_height + 2.0 * PAD).max(min_height);
        let mut ops = Vec::new();
        for (i, lines) in wrapped.into_iter().enumerate() {
            let x = MARGIN + i as f32 * column + PAD;
            for (k, glyphs) in lines.into_iter().enumerate() {
                ops.push(Op::Text {
                    x,
                    baseline: PAD + k as f32 * line_height + baseline_in(font, NOTE, line_height),
                    size: NOTE,
                    style,
                    glyphs,
                });
            }
        }
        // The row's box: top, bottom and every column's edges.
        for y in [0.0, height] {
            ops.push(Op::Rule {
                x0: MARGIN,
                x1: MARGIN + CONTENT_WIDTH,
                y,
                width: if first { 0.6 } else { 0.4 },
                gray: 0.5,
            });
        }
        for i in 0..=columns {
            let x = MARGIN + i as f32 * column;
            ops.push(Op::Path {
                points: vec![(x, 0.0), (x, height)],
                closed: false,
                width: 0.4,
                gray: 0.5,
            });
        }
        Item {
            space_before: if first { 6.0 } else { 0.0 },
            height,
            keep_with_next: false,
            ops,
        }
    };
    let mut first = true;
    if !header.is_empty() {
        let mut item = row_item(header, Style::Muted, 0.0, true);
        // The header goes with the first row.
        item.keep_with_next = !rows.is_empty();
        out.push(item);
        first = false;
    }
    for row in rows {
        // Room to write in an empty row.
        let min_height = if row.iter().all(|c| c.trim().is_empty()) {
            WRITING_LINE
        } else {
            0.0
        };
        out.push(row_item(row, Style::Normal, min_height, first));
        first = false;
    }
}

fn paragraph(font: &Font, text: &str, size: f32, style: Style, space: f32, out: &mut Vec<Item>) {
    let lines = wrap(font, text, size, CONTENT_WIDTH);
    let n = lines.len();
    for (i, line) in lines.into_iter().enumerate() {
        // No orphan (first line alone at a page foot) and no widow (last line alone on top).
        let keep = n > 1 && (i == 0 || i + 2 == n);
        out.push(line_item(
            font,
            if i == 0 { space } else { 0.0 },
            size,
            LEADING,
            0.0,
            style,
            line,
            keep,
        ));
    }
}

fn list_item(font: &Font, marker: &str, text: &str, indent: f32, out: &mut Vec<Item>) {
    let lines = wrap(font, text, BODY, CONTENT_WIDTH - indent);
    let n = lines.len();
    let marker_glyphs: Vec<Glyph> = marker.chars().map(|c| font.glyph(c)).collect();
    for (i, line) in lines.into_iter().enumerate() {
        let keep = n > 1 && (i == 0 || i + 2 == n);
        let mut item = line_item(
            font,
            if i == 0 { 3.0 } else { 0.0 },
            BODY,
            LEADING,
            indent,
            Style::Normal,
            line,
            keep,
        );
        if i == 0
            && let Some(Op::Text { baseline, .. }) = item.ops.first()
        {
            let baseline = *baseline;
            item.ops.push(Op::Text {
                x: MARGIN + 2.0,
                baseline,
                size: BODY,
                style: Style::Normal,
                glyphs: marker_glyphs.clone(),
            });
        }
        out.push(item);
    }
}

fn key_values(font: &Font, rows: &[(String, String)], out: &mut Vec<Item>) {
    const GAP: f32 = 10.0;
    const PAD: f32 = 3.0;
    let widest = rows
        .iter()
        .map(|(k, _)| text_width(font, k, BODY))
        .fold(0.0_f32, f32::max);
    let key_width = (widest + GAP).clamp(CONTENT_WIDTH * 0.2, CONTENT_WIDTH * 0.34);
    let value_x = key_width;
    let value_width = CONTENT_WIDTH - key_width;
    let line_height = BODY * LEADING;
    let first = out.len();
    for (row, (key, value)) in rows.iter().enumerate() {
        let keys = wrap(font, key, BODY, key_width - GAP);
        let values = wrap(font, value, BODY, value_width);
        let n = keys.len().max(values.len()).max(1);
        let mut keys = keys.into_iter();
        let mut values = values.into_iter();
        for i in 0..n {
            let top_pad = if i == 0 { PAD } else { 0.0 };
            let bottom_pad = if i + 1 == n { PAD } else { 0.0 };
            let baseline = top_pad + baseline_in(font, BODY, line_height);
            let mut ops = Vec::new();
            if i == 0 {
                ops.push(Op::Rule {
                    x0: MARGIN,
                    x1: MARGIN + CONTENT_WIDTH,
                    y: 0.0,
                    width: if row == 0 { 0.6 } else { 0.3 },
                    gray: 0.75,
                });
            }
            if let Some(line) = keys.next() {
                ops.push(Op::Text {
                    x: MARGIN,
                    baseline,
                    size: BODY,
                    style: Style::Muted,
                    glyphs: line,
                });
            }
            if let Some(line) = values.next() {
                ops.push(Op::Text {
                    x: MARGIN + value_x,
                    baseline,
                    size: BODY,
                    style: Style::Normal,
                    glyphs: line,
                });
            }
            let last_row_line = row + 1 == rows.len() && i + 1 == n;
            if last_row_line {
                ops.push(Op::Rule {
                    x0: MARGIN,
                    x1: MARGIN + CONTENT_WIDTH,
                    y: top_pad + line_height + bottom_pad,
                    width: 0.6,
                    gray: 0.75,
                });
            }
            out.push(Item {
                space_before: if row == 0 && i == 0 { 6.0 } else { 0.0 },
                height: top_pad + line_height + bottom_pad,
                // Rows of up to six lines stay together.
                keep_with_next: i + 1 < n && n <= 6,
                ops,
            });
        }
    }
    // A short table (a material's three facts, a hall's address and hours) is not split.
    let len = out.len();
    if len > first && len - first <= 8 {
        for item in &mut out[first..len - 1] {
            item.keep_with_next = true;
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn line_item(
    font: &Font,
    space_before: f32,
    size: f32,
    leading: f32,
    indent: f32,
    style: Style,
    glyphs: Vec<Glyph>,
    keep_with_next: bool,
) -> Item {
    let height = size * leading;
    Item {
        space_before,
        height,
        keep_with_next,
        ops: vec![Op::Text {
            x: MARGIN + indent,
            baseline: baseline_in(font, size, height),
            size,
            style,
            glyphs,
        }],
    }
}

/// Where the baseline sits below the top of a line box, centring the font's ink band.
fn baseline_in(font: &Font, size: f32, line_height: f32) -> f32 {
    let (ascent, descent, _) = font.vertical_metrics();
    let band = (ascent - descent) / 1000.0 * size;
    (line_height - band) / 2.0 + ascent / 1000.0 * size
}

fn paginate(items: &[Item]) -> Vec<Page> {
    let mut pages = vec![Page::default()];
    let mut y = TOP;
    let mut at_top = true;
    for (i, item) in items.iter().enumerate() {
        let mut space = if at_top { 0.0 } else { item.space_before };
        let mut chain = space + item.height;
        let mut j = i;
        while items[j].keep_with_next && j + 1 < items.len() && j - i < MAX_KEEP {
            j += 1;
            chain += items[j].space_before + items[j].height;
        }
        let available = y - BOTTOM;
        let chain_breaks = chain > available && chain <= TOP - BOTTOM;
        if !at_top && (chain_breaks || space + item.height > available) {
            pages.push(Page::default());
            y = TOP;
            space = 0.0;
        }
        let top = y - space;
        if let Some(page) = pages.last_mut() {
            for op in &item.ops {
                page.ops.push(place(op, top));
            }
        }
        y = top - item.height;
        at_top = false;
    }
    pages
}

/// Turns an item-relative op (offsets downward from the item's top) into page coordinates.
fn place(op: &Op, top: f32) -> Op {
    match op {
        Op::Text {
            x,
            baseline,
            size,
            style,
            glyphs,
        } => Op::Text {
            x: *x,
            baseline: top - baseline,
            size: *size,
            style: *style,
            glyphs: glyphs.clone(),
        },
        Op::Rule {
            x0,
            x1,
            y,
            width,
            gray,
        } => Op::Rule {
            x0: *x0,
            x1: *x1,
            y: top - y,
            width: *width,
            gray: *gray,
        },
        Op::Path {
            points,
            closed,
            width,
            gray,
        } => Op::Path {
            points: points.iter().map(|&(x, y)| (x, top - y)).collect(),
            closed: *closed,
            width: *width,
            gray: *gray,
        },
        Op::Fill { rects, gray } => Op::Fill {
            rects: rects
                .iter()
                .map(|&[x, y, w, h]| [x, top - y - h, w, h])
                .collect(),
            gray: *gray,
        },
    }
}

/// The running header (the title, from page 2 on) and the footer (text and "n / N").
fn decorate(page: &mut Page, index: usize, count: usize, document: &Document, font: &Font) {
    let number: Vec<Glyph> = format!("{} / {}", index + 1, count)
        .chars()
        .map(|c| font.glyph(c))
        .collect();
    let number_width = width_of(&number, FOOTER);
    let footer_y = MARGIN - 26.0;
    page.ops.push(Op::Rule {
        x0: MARGIN,
        x1: MARGIN + CONTENT_WIDTH,
        y: MARGIN - 12.0,
        width: 0.4,
        gray: 0.6,
    });
    let footer = first_line(
        font,
        &document.footer,
        FOOTER,
        CONTENT_WIDTH - number_width - 12.0,
    );
    page.ops.push(Op::Text {
        x: MARGIN,
        baseline: footer_y,
        size: FOOTER,
        style: Style::Muted,
        glyphs: footer,
    });
    page.ops.push(Op::Text {
        x: MARGIN + CONTENT_WIDTH - number_width,
        baseline: footer_y,
        size: FOOTER,
        style: Style::Muted,
        glyphs: number,
    });
    if index > 0 {
        let header = first_line(font, &document.title, FOOTER, CONTENT_WIDTH);
        page.ops.push(Op::Text {
            x: MARGIN,
            baseline: TOP + 18.0,
            size: FOOTER,
            style: Style::Muted,
            glyphs: header,
        });
    }
}

/// The first line of `text` at `width`, with an ellipsis when more would follow.
fn first_line(font: &Font, text: &str, size: f32, width: f32) -> Vec<Glyph> {
    let ellipsis = font.glyph('\u{2026}');
    let mut lines = wrap(font, text, size, width - ellipsis.advance * size / 1000.0);
    if lines.len() > 1 {
        let mut first = lines.swap_remove(0);
        first.push(ellipsis);
        first
    } else {
        lines.pop().unwrap_or_default()
    }
}

fn width_of(glyphs: &[Glyph], size: f32) -> f32 {
    glyphs.iter().map(|g| g.advance).sum::<f32>() * size / 1000.0
}

fn text_width(font: &Font, text: &str, size: f32) -> f32 {
    text.lines()
        .map(|line| line.chars().map(|c| font.glyph(c).advance).sum::<f32>() * size / 1000.0)
        .fold(0.0, f32::max)
}

/// Characters that may not begin a line (closing punctuation, Chinese and Latin).
const NO_BREAK_BEFORE: &str = "，。、．：；！？）》」』】〕〉〗〙〛’”…—～·％‰,.;:!?)]}%°℃ー々ゝゞ";
/// Characters that may not end a line (opening punctuation, currency).
const NO_BREAK_AFTER: &str = "（《「『【〔〈〖〘〚‘“([{¥$£€#";

/// Han characters, kana, CJK punctuation and fullwidth forms: a line may break around them.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F
        | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF | 0x25A1)
}

/// Whether a line may break between `prev` and `next`.
fn can_break_between(prev: char, next: char) -> bool {
    if next.is_whitespace() || NO_BREAK_BEFORE.contains(next) || NO_BREAK_AFTER.contains(prev) {
        return false;
    }
    prev.is_whitespace()
        || is_cjk(prev)
        || is_cjk(next)
        || (prev == '/' && next != '/')
        || (prev == '-' && next.is_alphanumeric())
}

/// Breaks `text` into lines no wider than `width` points at `size`. A `\n` forces a break;
/// other control characters are dropped; a word wider than the line is split.
pub fn wrap(font: &Font, text: &str, size: f32, width: f32) -> Vec<Vec<Glyph>> {
    let mut lines = Vec::new();
    let width = width.max(size); // at least one character per line, whatever the caller asks
    for hard in text.trim().split('\n') {
        let chars: Vec<char> = hard
            .chars()
            .filter(|c| !c.is_control() || *c == '\t')
            .collect();
        let glyphs: Vec<Glyph> = chars.iter().map(|&c| font.glyph(c)).collect();
        wrap_line(&chars, &glyphs, size, width, &mut lines);
    }
    lines
}

fn wrap_line(chars: &[char], glyphs: &[Glyph], size: f32, width: f32, out: &mut Vec<Vec<Glyph>>) {
    let scale = size / 1000.0;
    let mut start = skip_spaces(chars, 0);
    let mut line_width = 0.0;
    // The latest index (> start) before which the line may break.
    let mut last_break: Option<usize> = None;
    let mut i = start;
    while i < chars.len() {
        if i > start && can_break_between(chars[i - 1], chars[i]) {
            last_break = Some(i);
        }
        let advance = glyphs[i].advance * scale;
        // Spaces may hang past the edge: they are trimmed from the line's end.
        if !chars[i].is_whitespace() && line_width + advance > width && i > start {
            let end = match last_break {
                Some(b) if b > start => b,
                _ => i, // no break opportunity: split the word
            };
            out.push(trimmed(&chars[start..end], &glyphs[start..end]));
            start = skip_spaces(chars, end);
            line_width = (start..i).map(|k| glyphs[k].advance * scale).sum();
            last_break = None;
            if start > i {
                i = start;
                continue;
            }
        }
        line_width += advance;
        i += 1;
    }
    if start < chars.len() || out.is_empty() {
        out.push(trimmed(
            &chars[start.min(chars.len())..],
            &glyphs[start.min(chars.len())..],
        ));
    }
}

fn skip_spaces(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() && chars[i].is_whitespace() {
        i += 1;
    }
    i
}

fn trimmed(chars: &[char], glyphs: &[Glyph]) -> Vec<Glyph> {
    let mut end = chars.len();
    while end > 0 && chars[end - 1].is_whitespace() {
        end -= 1;
    }
    glyphs[..end].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::font::font;

    fn text(line: &[Glyph]) -> String {
        line.iter().map(|g| g.text).collect()
    }

    fn lines(s: &str, width_chars: f32) -> Vec<String> {
        let f = font().expect("font");
        wrap(f, s, 10.0, width_chars * 10.0)
            .iter()
            .map(|l| text(l))
            .collect()
    }

    #[test]
    fn han_text_breaks_anywhere_but_before_closing_punctuation() {
        let got = lines("申请人应当携带居民身份证，到窗口办理。", 6.0);
        assert!(got.iter().all(|l| l.chars().count() <= 6), "{got:?}");
        assert_eq!(got.concat(), "申请人应当携带居民身份证，到窗口办理。");
        for line in &got {
            let first = line.chars().next().unwrap();
            assert!(!NO_BREAK_BEFORE.contains(first), "{got:?}");
        }
        // "证，" must stay together: the comma would otherwise begin the third line.
        let got = lines("一二三四五六七八九十，一", 5.0);
        assert!(!got.iter().any(|l| l.starts_with('，')), "{got:?}");
    }

    #[test]
    fn opening_punctuation_stays_with_what_follows() {
        let got = lines("依据《中华人民共和国行政许可法》办理", 4.0);
        assert!(!got.iter().any(|l| l.ends_with('《')), "{got:?}");
    }

    #[test]
    fn latin_breaks_at_spaces_and_splits_only_overlong_words() {
        let got = lines("Bring your resident identity card to the hall", 14.0);
        assert!(got.len() > 1);
        for line in &got {
            assert!(!line.starts_with(' ') && !line.ends_with(' '), "{got:?}");
        }
        assert_eq!(
            got.join(" "),
            "Bring your resident identity card to the hall"
        );
        let long = "x".repeat(200);
        let got = lines(&long, 10.0);
        assert!(got.len() > 5);
        assert_eq!(got.concat(), long);
    }

    #[test]
    fn hard_breaks_and_control_characters() {
        assert_eq!(lines("a\nb", 50.0), vec!["a", "b"]);
        assert_eq!(lines("a\u{7}b", 50.0), vec!["ab"]);
        assert_eq!(lines("", 50.0), vec![""]);
    }

    #[test]
    fn empty_blocks_lay_out_to_nothing() {
        let f = font().expect("font");
        let doc = Document {
            blocks: vec![
                Block::KeyValues(Vec::new()),
                Block::Bullets(Vec::new()),
                Block::Numbered(Vec::new()),
                Block::Paragraph(String::new()),
            ],
            ..Document::default()
        };
        assert_eq!(layout(&doc, f).len(), 1);
    }

    #[test]
    fn headings_are_not_left_at_the_foot_of_a_page() {
        let f = font().expect("font");
        let mut blocks = Vec::new();
        for i in 0..40 {
            blocks.push(Block::Heading(format!("第{i}节")));
            blocks.push(Block::Paragraph("办理说明。".repeat(30)));
        }
        let doc = Document {
            title: "测试".into(),
            blocks,
            ..Document::default()
        };
        let pages = layout(&doc, f);
        assert!(pages.len() > 3);
        for page in &pages {
            // The lowest body text on a page (the footer aside) is never a heading.
            let lowest = page
                .ops
                .iter()
                .filter_map(|op| match op {
                    Op::Text {
                        baseline,
                        size,
                        style,
                        ..
                    } if *baseline > BOTTOM => Some((*baseline, *size, *style)),
                    _ => None,
                })
                .min_by(|a, b| a.0.total_cmp(&b.0));
            if let Some((_, size, _)) = lowest {
                assert!((size - HEADING).abs() > 0.1, "a heading ends a page");
            }
        }
    }

    fn body_ops(doc: &Document) -> Vec<Op> {
        let f = font().expect("font");
        let pages = layout(doc, f);
        assert_eq!(pages.len(), 1);
        pages.into_iter().flat_map(|p| p.ops).collect()
    }

    fn closed_paths(ops: &[Op]) -> usize {
        ops.iter()
            .filter(|op| matches!(op, Op::Path { closed: true, .. }))
            .count()
    }

    #[test]
    fn form_blocks_leave_room_to_write() {
        let bare = body_ops(&Document::default());
        let rules = |ops: &[Op]| {
            ops.iter()
                .filter(|op| matches!(op, Op::Rule { .. }))
                .count()
        };

        let lines = body_ops(&Document {
            blocks: vec![Block::WritingLines(4)],
            ..Document::default()
        });
        assert_eq!(rules(&lines), rules(&bare) + 4, "one rule per line");

        // An ID number: 18 squares, on one line, side by side.
        let cells = body_ops(&Document {
            blocks: vec![Block::Cells(18)],
            ..Document::default()
        });
        assert_eq!(closed_paths(&cells), 18);
        let tops: Vec<f32> = cells
            .iter()
            .filter_map(|op| match op {
                Op::Path {
                    points,
                    closed: true,
                    ..
                } => Some(points[0].1),
                _ => None,
            })
            .collect();
        assert!(tops.iter().all(|y| (y - tops[0]).abs() < 0.01), "one row");
        // Too many for a line continue on the next rather than running off the page.
        let many = body_ops(&Document {
            blocks: vec![Block::Cells(60)],
            ..Document::default()
        });
        assert_eq!(closed_paths(&many), 60);
        for op in &many {
            if let Op::Path { points, .. } = op {
                assert!(points.iter().all(|(x, _)| *x <= A4.0 - MARGIN + 0.01));
            }
        }
    }

    #[test]
    fn ticked_options_get_a_tick_and_every_option_a_square() {
        let ops = body_ops(&Document {
            blocks: vec![Block::Checklist(vec![
                (false, "男".into()),
                (true, "女".into()),
            ])],
            ..Document::default()
        });
        let squares = ops
            .iter()
            .filter(|op| {
                matches!(op, Op::Text { glyphs, .. }
                    if glyphs.len() == 1 && glyphs[0].text == '\u{25A1}')
            })
            .count();
        assert_eq!(squares, 2);
        assert_eq!(closed_paths(&ops), 2, "a drawn box each");
        let ticks = ops
            .iter()
            .filter(|op| matches!(op, Op::Path { closed: false, points, .. } if points.len() == 3))
            .count();
        assert_eq!(ticks, 1);
    }

    #[test]
    fn tables_have_a_header_and_rows_with_room_to_write() {
        let f = font().expect("font");
        let mut out = Vec::new();
        block_items(
            &Block::Table {
                header: vec!["姓名".into(), "关系".into(), "身份证号".into()],
                rows: vec![vec![String::new(); 3]; 3],
            },
            f,
            &mut out,
        );
        assert_eq!(out.len(), 4, "header and three rows");
        assert!(out[0].keep_with_next, "the header stays with the first row");
        assert!(out[1..].iter().all(|row| row.height >= WRITING_LINE));
        // Four column edges in every row.
        for row in &out {
            let edges = row
                .ops
                .iter()
                .filter(|op| matches!(op, Op::Path { points, .. } if points.len() == 2))
                .count();
            assert_eq!(edges, 4);
        }
        // A long cell wraps inside its column and makes the row taller.
        let mut out = Vec::new();
        block_items(
            &Block::Table {
                header: Vec::new(),
                rows: vec![vec!["王".into(), "很长的说明文字".repeat(10)]],
            },
            f,
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert!(out[0].height > 3.0 * NOTE * LEADING);
        for op in &out[0].ops {
            if let Op::Text {
                x, glyphs, size, ..
            } = op
            {
                assert!(x + width_of(glyphs, *size) <= A4.0 - MARGIN + 0.01);
            }
        }
    }

    #[test]
    fn a_qr_code_is_its_dark_modules_as_filled_runs_inside_the_margins() {
        let text = "https://zwfw.example.gov.cn/notices/check/0193a0c0-0000-7000-8000-000000000001/AAECAwQFBgcICQoLDA0ODw";
        let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).unwrap();
        let dark = code
            .to_colors()
            .iter()
            .filter(|c| **c == qrcode::Color::Dark)
            .count();
        let mut out = Vec::new();
        qr(text, &mut out);
        assert_eq!(out.len(), 1, "one item: a code is never split across pages");
        let side = (code.width() as f32 + 8.0) * QR_MODULE;
        assert!((out[0].height - side).abs() < 0.01);
        let [Op::Fill { rects, gray }] = out[0].ops.as_slice() else {
            panic!("one fill op: {:?}", out[0].ops);
        };
        assert_eq!(*gray, 0.0);
        let modules: f32 = rects.iter().map(|r| r[2] / QR_MODULE).sum();
        assert_eq!(modules.round() as usize, dark);
        for [x, y, w, h] in rects {
            assert!(*x >= MARGIN && x + w <= MARGIN + side);
            assert!(*y >= 0.0 && y + h <= side);
        }
        // The same text draws the same squares; text no QR code can hold draws nothing.
        let mut again = Vec::new();
        qr(text, &mut again);
        assert_eq!(again[0].ops, out[0].ops);
        let mut none = Vec::new();
        qr(&"x".repeat(5000), &mut none);
        assert!(none.is_empty());
    }
}
