//! Legal notices as PDF: lays out a case's frozen [`Notice`] snapshot as an A4 document
//! through `tongban-pdf` — issuing department, title, document number, addressee, body,
//! numbered corrections or reasons, the rights of appeal, and the signature block with the
//! date and the seal: on a sealed notice the department's electronic seal (who sealed, the
//! key id, the digest's first characters, the verification address and its QR code), on one
//! issued before seals existed the honest note that it carries none.
//!
//! No route lives here: the case module serves a notice by calling [`render_notice`] on the
//! stored snapshot. The output depends only on the snapshot and the language (no clock, no
//! database), so a download today and one next year give the same bytes. The words come from
//! `tongban_domain::notices`; like the guides, PDFs exist in zh-CN and en, and ug and bo readers
//! get the zh-CN original.

use tongban_domain::Locale;
use tongban_domain::notices::{Notice, notice_text};
use tongban_pdf::{Block, Document, PdfError};

use crate::guide_pdf::pdf_locale;

/// The notice as a printable document in `locale` (ug and bo get zh-CN).
pub fn notice_document(notice: &Notice, locale: Locale) -> Document {
    let text = notice_text(notice, pdf_locale(locale));
    // Issuer and number sit under the title: the document model has no line above the title
    // and no right alignment, so the conventional 文号 position is approximated.
    let mut meta = vec![text.issuer, text.number];
    meta.extend(text.translation_note);

    let mut blocks = vec![Block::Paragraph(text.addressee)];
    blocks.extend(text.paragraphs.into_iter().map(Block::Paragraph));
    if !text.items.is_empty() {
        blocks.push(Block::Numbered(text.items));
    }
    blocks.extend(text.follow_up.into_iter().map(Block::Paragraph));
    blocks.extend(text.rights.map(Block::Paragraph));
    blocks.extend(text.contact.map(Block::Paragraph));
    blocks.push(Block::Paragraph(text.closing));
    // The signature block: signer and date on two lines, then where the seal goes.
    blocks.push(Block::Paragraph(format!(
        "{}\n{}",
        text.signer, text.date_line
    )));
    blocks.push(Block::Note(text.seal_note));
    if let Some(seal) = text.seal {
        blocks.push(Block::Subheading(seal.heading));
        blocks.push(Block::Note(seal.lines.join("\n")));
        blocks.push(Block::Qr {
            text: seal.url.clone(),
            caption: seal.url,
        });
    }

    Document {
        lang: text.locale.tag().to_owned(),
        title: text.title,
        meta,
        blocks,
        footer: text.footer,
        producer: "Tongban".to_owned(),
    }
}

/// The notice's PDF bytes in `locale`. Fails only if the embedded font is broken.
pub fn render_notice(notice: &Notice, locale: Locale) -> Result<Vec<u8>, PdfError> {
    tongban_pdf::render(&notice_document(notice, locale))
}

/// The download's `Content-Disposition`, e.g.
/// `准予许可决定书-approval-TB2612010007K-zh-CN.pdf`, with an ASCII fallback of the kind's key
/// and the tracking number.
pub fn notice_content_disposition(notice: &Notice, locale: Locale) -> String {
    let locale = pdf_locale(locale);
    crate::guide_pdf::content_disposition(
        &format!("{}-{}", notice.kind.key(), notice.tracking_number),
        notice.kind.title(locale),
        locale,
    )
}
