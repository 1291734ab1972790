//! Application forms as PDF (表格下载): `GET /services/{code}/form.pdf` prints a service's
//! online form as a blank paper form to fill in by hand (ruled lines, tick boxes, character
//! cells for ID numbers, a grid for repeating groups, the declaration with signature and date
//! lines), and [`filled_form_document`] prints a submitted application with its answers, for
//! the case page's download.
//!
//! Like the printable guide (see `guide_pdf`), PDFs exist in zh-CN and en, ug and bo readers get
//! the zh-CN one, and a blank form is rendered once per snapshot and language and then served
//! from the snapshot's page cache. A service without an online form has no blank form: 404.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use tongban_domain::Locale;
use tongban_domain::catalog::Service;
use tongban_domain::forms::{
    Condition, DisplayWords, Field, FieldKind, FileKind, FormDefinition, SummaryRow,
};
use tongban_pdf::{Block, Document};
use tongban_store::catalog::PublishedService;

use crate::errors::{internal_error, not_found};
use crate::guide_pdf::{PDF, content_disposition, pdf_locale};
use crate::i18n::Tr;
use crate::layout::Chrome;
use crate::pages::{Encoded, PageKey};
use crate::prefs::Prefs;
use crate::state::{AppState, Snapshot};

/// Like the guide: kept by the browser but revalidated, as it changes on publish.
const CACHE_CONTROL: &str = "private, no-cache";

/// Empty rows printed for a repeating group that asks for fewer (or none) at least.
const GROUP_ROWS: u32 = 3;
/// Rows printed at most for a group, however many it allows: the rest go on an extra sheet.
const GROUP_ROWS_MAX: u32 = 12;

pub fn router() -> Router<AppState> {
    Router::new().route("/services/{code}/form.pdf", get(form_pdf))
}

/// The blank form's address, for links and tests.
pub fn form_href(code: &str) -> String {
    format!("/services/{code}/form.pdf")
}

async fn form_pdf(
    State(state): State<AppState>,
    Path(code): Path<String>,
    prefs: Prefs,
    headers: HeaderMap,
) -> Response {
    let snapshot = state.snapshots.current();
    let Some(published) = snapshot.catalog.service(&code) else {
        return not_found(&state, prefs);
    };
    if published.service.form.is_none() {
        return not_found(&state, prefs);
    }
    let locale = pdf_locale(prefs.locale);
    let key = PageKey {
        path: form_href(&published.service.code),
        locale,
        elder: false,
    };
    let page = match snapshot.pages.get(&key) {
        Some(page) => page,
        None => {
            let Some(document) = blank_form_document(&state, &snapshot, published, locale) else {
                return not_found(&state, prefs);
            };
            // Subsetting the font and deflating take milliseconds: off the async workers.
            let rendered = tokio::task::spawn_blocking(move || {
                let pdf = tongban_pdf::render(&document)?;
                Ok::<_, tongban_pdf::PdfError>(Encoded::new(StatusCode::OK, PDF, pdf))
            })
            .await;
            match rendered {
                Ok(Ok(encoded)) => snapshot.pages.insert(key, encoded),
                Ok(Err(error)) => return internal_error(&state, prefs, &error),
                Err(error) => return internal_error(&state, prefs, &error),
            }
        }
    };
    let mut response = page.respond(&headers, CACHE_CONTROL);
    let title = state.i18n.tr(locale).t1(
        "form-pdf-title",
        "service",
        published.service.name.get(locale),
    );
    // "-form" keeps the saved file apart from the guide's `GA0001-zh-CN.pdf`.
    let disposition =
        content_disposition(&format!("{}-form", published.service.code), &title, locale);
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    prefs.apply(&mut response, state.settings.secure_cookies);
    response
}

/// The blank form of `published` in `locale` (zh-CN or en); `None` without an online form.
pub fn blank_form_document(
    state: &AppState,
    snapshot: &Snapshot,
    published: &PublishedService,
    locale: Locale,
) -> Option<Document> {
    let s = &published.service;
    let form = s.form.as_ref()?;
    let path = format!("/services/{}", s.code);
    let prefs = Prefs {
        locale,
        elder: false,
        remember_locale: false,
    };
    let c = crate::catalog::chrome(state, snapshot, prefs, &path);
    let tr = c.tr;
    // The guide page, which links to the online application (the route of the form pages is
    // theirs to change).
    let url = format!(
        "{}/services/{}?lang={}",
        state.settings.public_url.trim_end_matches('/'),
        s.code,
        locale.tag()
    );
    let mut meta = head_meta(&c, s, "form-pdf-blank-caption");
    meta.push(tr.t1("form-pdf-online", "url", url));

    let mut blocks = vec![Block::Note(tr.t("form-pdf-instructions"))];
    for page in &form.pages {
        blocks.push(Block::Heading(c.l(&page.title).to_owned()));
        if !page.intro.is_empty() {
            blocks.push(Block::Note(c.l(&page.intro).to_owned()));
        }
        if let Some(condition) = &page.show_if {
            blocks.push(Block::Note(condition_words(&c, form, condition)));
        }
        for field in &page.fields {
            blank_field(&c, form, field, &mut blocks);
        }
    }
    blocks.push(Block::Heading(tr.t("form-pdf-declaration")));
    blocks.push(Block::Paragraph(c.l(&form.declaration.text).to_owned()));
    blocks.push(Block::Checklist(vec![(
        false,
        c.l(&form.declaration.confirm).to_owned(),
    )]));
    blocks.push(Block::WritingLines(1));
    blocks.push(Block::Paragraph(format!(
        "{}\n{}",
        tr.t("form-pdf-signature"),
        tr.t("form-pdf-signature-date")
    )));

    let generated = crate::layout::local_time(state.clock.now());
    Some(Document {
        lang: locale.tag().to_owned(),
        title: tr.t1("form-pdf-title", "service", c.l(&s.name)),
        meta,
        blocks,
        footer: format!(
            "{} · {} · {}",
            c.region_name,
            s.code,
            tr.t1("pdf-generated", "time", generated)
        ),
        producer: "Tongban".to_owned(),
    })
}

/// The caption, the department and region, and the service code under the title.
fn head_meta(c: &Chrome<'_>, s: &Service, caption: &str) -> Vec<String> {
    let tr = c.tr;
    vec![
        tr.t(caption),
        match c.catalog.department(&s.department) {
            Some(d) => format!("{} · {}", c.l(&d.name), c.region_name),
            None => c.region_name.to_owned(),
        },
        format!("{}: {}", tr.t("guide-code"), s.code),
    ]
}

/// One question of the blank form: its label, help and room for the answer.
fn blank_field(c: &Chrome<'_>, form: &FormDefinition, field: &Field, blocks: &mut Vec<Block>) {
    let tr = c.tr;
    let mut label = c.l(&field.label).to_owned();
    if !field.required {
        label.push_str(&tr.t("form-pdf-optional"));
    }
    blocks.push(Block::Subheading(label));
    if let Some(condition) = &field.show_if {
        blocks.push(Block::Note(condition_words(c, form, condition)));
    }
    if !field.help.is_empty() {
        blocks.push(Block::Note(c.l(&field.help).to_owned()));
    }
    match &field.kind {
        FieldKind::Text { pattern_hint, .. } => {
            if !pattern_hint.is_empty() {
                blocks.push(Block::Note(c.l(pattern_hint).to_owned()));
            }
            blocks.push(Block::WritingLines(1));
        }
        FieldKind::LongText { .. } => blocks.push(Block::WritingLines(5)),
        FieldKind::Email => blocks.push(Block::WritingLines(1)),
        FieldKind::Number { unit, .. } => {
            let unit = c.l(unit);
            blocks.push(Block::Paragraph(
                format!("{} {unit}", "_".repeat(24)).trim_end().to_owned(),
            ));
        }
        FieldKind::Money { .. } => blocks.push(Block::Paragraph(tr.t("form-pdf-money-blank"))),
        FieldKind::Date { .. } => blocks.push(Block::Paragraph(tr.t("form-pdf-date-blank"))),
        FieldKind::DateRange { .. } => {
            blocks.push(Block::Paragraph(tr.t("form-pdf-range-blank")));
        }
        FieldKind::Choice { options } | FieldKind::Choices { options, .. } => {
            let how = if matches!(field.kind, FieldKind::Choice { .. }) {
                "form-pdf-choose-one"
            } else {
                "form-pdf-choose-many"
            };
            blocks.push(Block::Note(tr.t(how)));
            blocks.push(Block::Checklist(
                options
                    .iter()
                    .map(|o| {
                        let mut text = c.l(&o.label).to_owned();
                        if !o.hint.is_empty() {
                            text.push_str(&format!(" — {}", c.l(&o.hint)));
                        }
                        (false, text)
                    })
                    .collect(),
            ));
        }
        FieldKind::YesNo => blocks.push(Block::Checklist(vec![
            (false, tr.t("form-pdf-yes")),
            (false, tr.t("form-pdf-no")),
        ])),
        FieldKind::Address { .. } => {
            blocks.push(Block::Paragraph(tr.t("form-pdf-address-blank")));
            blocks.push(Block::Paragraph(tr.t("form-pdf-street")));
            blocks.push(Block::WritingLines(1));
        }
        // Both are 18 characters; one per cell is how paper forms in China ask for them.
        FieldKind::ResidentId | FieldKind::CreditCode => blocks.push(Block::Cells(18)),
        FieldKind::Mobile => blocks.push(Block::Cells(11)),
        FieldKind::File {
            accept,
            max_size_kb,
            max_count,
        } => blocks.push(Block::Note(file_words(
            tr,
            accept,
            *max_size_kb,
            *max_count,
        ))),
        // On paper the certificate is named; the office checks it electronically.
        FieldKind::ECertificate { .. } => {
            blocks.push(Block::Note(tr.t("form-pdf-cert-blank")));
            blocks.push(Block::Checklist(vec![(
                false,
                tr.t("form-pdf-cert-consent"),
            )]));
        }
        FieldKind::Group {
            fields,
            min_items,
            max_items,
            item_label,
        } => {
            let mut hint = tr.t1("form-pdf-group-rows", "item", c.l(item_label));
            hint.push(' ');
            hint.push_str(&tr.t1("form-pdf-group-max", "count", *max_items));
            blocks.push(Block::Note(hint));
            let header = fields
                .iter()
                .map(|f| {
                    let mut label = c.l(&f.label).to_owned();
                    if !f.required {
                        label.push_str(&tr.t("form-pdf-optional"));
                    }
                    label
                })
                .collect::<Vec<_>>();
            let rows = (*min_items)
                .max(GROUP_ROWS)
                .min((*max_items).max(1))
                .min(GROUP_ROWS_MAX);
            blocks.push(Block::Table {
                rows: vec![vec![String::new(); header.len()]; rows as usize],
                header,
            });
        }
    }
}

/// "Attach this document: formats PDF, JPEG · up to 2 files · each at most 1 MB".
fn file_words(tr: Tr<'_>, accept: &[FileKind], max_size_kb: u32, max_count: u32) -> String {
    let formats = accept
        .iter()
        .map(|k| k.key().to_uppercase())
        .collect::<Vec<_>>()
        .join(&tr.t("list-separator"));
    let size = if max_size_kb >= 1024 && max_size_kb.is_multiple_of(1024) {
        format!("{} MB", max_size_kb / 1024)
    } else {
        format!("{max_size_kb} KB")
    };
    format!(
        "{} {} · {} · {}",
        tr.t("form-pdf-attach"),
        tr.t1("form-pdf-attach-formats", "formats", formats),
        tr.t1("form-pdf-attach-count", "count", max_count),
        tr.t1("form-pdf-attach-size", "size", size)
    )
}

/// A condition in words: "Only if your answer to "Purpose" was one of: Renting" when it tests
/// one question's answers, "Only for some applicants." for anything more involved.
fn condition_words(c: &Chrome<'_>, form: &FormDefinition, condition: &Condition) -> String {
    let tr = c.tr;
    let (key, values): (&str, Vec<&str>) = match condition {
        Condition::Equals(v) => (&v.field, vec![v.value.as_str()]),
        Condition::OneOf(v) => (&v.field, v.values.iter().map(String::as_str).collect()),
        _ => return tr.t("form-pdf-only-some"),
    };
    let Some(field) = form.field(key) else {
        return tr.t("form-pdf-only-some");
    };
    let answers = values
        .iter()
        .map(|value| match &field.kind {
            FieldKind::Choice { options } | FieldKind::Choices { options, .. } => options
                .iter()
                .find(|o| o.value == *value)
                .map_or_else(|| (*value).to_owned(), |o| c.l(&o.label).to_owned()),
            FieldKind::YesNo if *value == "yes" => tr.t("form-pdf-yes"),
            FieldKind::YesNo if *value == "no" => tr.t("form-pdf-no"),
            _ => (*value).to_owned(),
        })
        .collect::<Vec<_>>()
        .join(&tr.t("list-separator"));
    format!(
        "{} {answers}",
        tr.t1("form-pdf-only-if", "question", c.l(&field.label))
    )
}

/// The words [`tongban_domain::forms::summary_rows`] needs, in `tr`'s language; identifiers
/// masked, as a printed application leaves the office more easily than a screen.
pub fn display_words(tr: Tr<'_>) -> DisplayWords {
    DisplayWords {
        yes: tr.t("form-pdf-yes"),
        no: tr.t("form-pdf-no"),
        range_to: tr.t("form-pdf-range-to"),
        not_answered: tr.t("form-pdf-not-answered"),
        mask_identifiers: true,
        certificate_wallet: tr.t("form-pdf-cert-shared-wallet"),
        certificate_fetch: tr.t("form-pdf-cert-shared-fetch"),
    }
}

/// A submitted application as a printable document: the service, the tracking number, when it
/// was submitted, every answer (`rows` from `summary_rows`, made with [`display_words`]) under
/// its page's title with repeating groups as small tables, and the declaration marked as
/// confirmed. `c` gives the language (zh-CN or en; pass [`pdf_locale`] of the reader's) and
/// the catalogue; `submitted_at` is already in the region's time (`layout::local_time`).
pub fn filled_form_document(
    c: &Chrome<'_>,
    service: &Service,
    tracking_number: &str,
    submitted_at: &str,
    rows: &[SummaryRow],
) -> Document {
    let tr = c.tr;
    let form = service.form.as_ref();
    let meta = head_meta(c, service, "form-pdf-filled-caption");
    let mut blocks = vec![Block::KeyValues(vec![
        (tr.t("form-pdf-tracking"), tracking_number.to_owned()),
        (tr.t("form-pdf-submitted"), submitted_at.to_owned()),
    ])];

    let mut current_page: Option<&str> = None;
    let mut pending: Vec<(String, String)> = Vec::new();
    for row in rows {
        if current_page != Some(row.page_key.as_str()) {
            flush(&mut pending, &mut blocks);
            current_page = Some(&row.page_key);
            if let Some(page) = form.and_then(|f| f.page(&row.page_key)) {
                blocks.push(Block::Heading(c.l(&page.title).to_owned()));
            }
        }
        if row.items.is_empty() {
            pending.push((row.label.clone(), row.lines.join("\n")));
            continue;
        }
        flush(&mut pending, &mut blocks);
        blocks.push(Block::Subheading(row.label.clone()));
        let header = row.items[0]
            .iter()
            .map(|(label, _)| label.clone())
            .collect();
        blocks.push(Block::Table {
            header,
            rows: row
                .items
                .iter()
                .map(|item| item.iter().map(|(_, value)| value.clone()).collect())
                .collect(),
        });
    }
    flush(&mut pending, &mut blocks);

    if let Some(form) = form {
        blocks.push(Block::Heading(tr.t("form-pdf-declaration")));
        blocks.push(Block::Paragraph(c.l(&form.declaration.text).to_owned()));
        blocks.push(Block::Checklist(vec![(
            true,
            c.l(&form.declaration.confirm).to_owned(),
        )]));
        blocks.push(Block::Note(tr.t("form-pdf-declared")));
    }

    Document {
        lang: c.locale.tag().to_owned(),
        title: tr.t1("form-pdf-title", "service", c.l(&service.name)),
        meta,
        blocks,
        footer: format!("{} · {} · {tracking_number}", c.region_name, service.code),
        producer: "Tongban".to_owned(),
    }
}

/// Emits the answers gathered so far as one table of labels and values.
fn flush(pending: &mut Vec<(String, String)>, blocks: &mut Vec<Block>) {
    if !pending.is_empty() {
        blocks.push(Block::KeyValues(std::mem::take(pending)));
    }
}
