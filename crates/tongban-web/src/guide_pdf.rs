//! Printable service guides: `GET /services/{code}/guide.pdf` renders the published guide of a
//! service as an A4 PDF (through `tongban-pdf`) with every section the HTML guide shows.
//!
//! PDFs exist in zh-CN and en. Uyghur and Tibetan need text shaping the PDF renderer does not
//! do yet, so a visitor reading in ug or bo gets the zh-CN PDF (the download link on their guide
//! page says so in their language) rather than a document of missing-glyph squares. A PDF is
//! rendered once per snapshot and language and then served from the snapshot's page cache.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use tongban_domain::Locale;
use tongban_domain::catalog::{Channel, Contact};
use tongban_pdf::{Block, Document};
use tongban_store::catalog::PublishedService;

use crate::errors::{internal_error, not_found};
use crate::layout::Chrome;
use crate::pages::{Encoded, PageKey};
use crate::prefs::Prefs;
use crate::state::{AppState, Snapshot};

pub const PDF: &str = "application/pdf";

/// Like the HTML guide: the browser may keep it but must revalidate, as it changes on publish.
const CACHE_CONTROL: &str = "private, no-cache";

pub fn router() -> Router<AppState> {
    Router::new().route("/services/{code}/guide.pdf", get(guide_pdf))
}

/// The language of the PDF served to a visitor reading in `locale`.
pub fn pdf_locale(locale: Locale) -> Locale {
    match locale {
        Locale::En => Locale::En,
        // zh-CN itself, and the scripts the renderer cannot shape yet.
        _ => Locale::ZhCn,
    }
}

/// The guide's address on this platform, for the PDF's header and the tests.
pub fn guide_href(code: &str) -> String {
    format!("/services/{code}/guide.pdf")
}

async fn guide_pdf(
    State(state): State<AppState>,
    Path(code): Path<String>,
    prefs: Prefs,
    headers: HeaderMap,
) -> Response {
    let snapshot = state.snapshots.current();
    let Some(published) = snapshot.catalog.service(&code) else {
        return not_found(&state, prefs);
    };
    let locale = pdf_locale(prefs.locale);
    let key = PageKey {
        path: guide_href(&published.service.code),
        locale,
        elder: false,
    };
    let page = match snapshot.pages.get(&key) {
        Some(page) => page,
        None => {
            let document = guide_document(&state, &snapshot, published, locale);
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
    let name = published.service.name.get(locale);
    if let Ok(value) =
        HeaderValue::from_str(&content_disposition(&published.service.code, name, locale))
    {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    prefs.apply(&mut response, state.settings.secure_cookies);
    response
}

/// `attachment` with an ASCII `filename` (code and language) for old clients and an RFC 5987
/// `filename*` carrying the service's name, e.g. `无犯罪记录证明-GA0001-zh-CN.pdf`.
pub fn content_disposition(code: &str, name: &str, locale: Locale) -> String {
    let ascii: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let tag = locale.tag();
    // Characters a file system or a header would misread become hyphens.
    let readable: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_control() || "/\\:*?\"<>|".contains(c) {
                '-'
            } else {
                c
            }
        })
        .collect();
    let full = format!("{readable}-{ascii}-{tag}.pdf");
    format!(
        "attachment; filename=\"{ascii}-{tag}.pdf\"; filename*=UTF-8''{}",
        percent_encode(&full)
    )
}

/// RFC 5987 `attr-char` kept, every other byte percent-encoded.
pub(crate) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The guide of `published` as a printable document in `locale` (zh-CN or en).
pub fn guide_document(
    state: &AppState,
    snapshot: &Snapshot,
    published: &PublishedService,
    locale: Locale,
) -> Document {
    let s = &published.service;
    let path = format!("/services/{}", s.code);
    let prefs = Prefs {
        locale,
        elder: false,
        remember_locale: false,
    };
    let c = crate::catalog::chrome(state, snapshot, prefs, &path);
    let tr = c.tr;
    let separator = tr.t("list-separator");
    let department = c.catalog.department(&s.department);
    let join = |items: Vec<String>| items.join(&separator);

    let url = format!(
        "{}{}?lang={}",
        state.settings.public_url.trim_end_matches('/'),
        path,
        locale.tag()
    );
    let version_line = match published.effective_from {
        Some(from) => tr.t1(
            "guide-version-since",
            "version",
            format!(
                "{} · {}",
                published.version,
                crate::layout::local_date(from)
            ),
        ),
        None => tr.t1("guide-version", "version", i64::from(published.version)),
    };
    let mut meta = vec![format!(
        "{} · {}",
        tr.t("guide-caption"),
        tr.t(&format!("kind-{}", s.kind.key()))
    )];
    meta.push(match department {
        Some(d) => format!("{} · {}", c.l(&d.name), c.region_name),
        None => c.region_name.to_owned(),
    });
    meta.push(format!(
        "{}: {} · {}",
        tr.t("guide-code"),
        s.code,
        version_line
    ));
    meta.push(format!("{}: {url}", tr.t("pdf-web-page")));
    if c.demo {
        meta.push(format!(
            "{}: {}",
            tr.t("demo-ribbon-title"),
            tr.t("demo-ribbon-text")
        ));
    }

    let fee_summary = if s.is_free() {
        tr.t("fee-free")
    } else {
        join(
            s.fees
                .iter()
                .map(|fee| format!("{} {}", c.l(&fee.item), fee.amount))
                .collect(),
        )
    };
    let mut blocks = vec![
        Block::Paragraph(c.l(&s.summary).to_owned()),
        Block::KeyValues(vec![
            (
                tr.t("guide-department"),
                department
                    .map(|d| c.l(&d.name).to_owned())
                    .unwrap_or_default(),
            ),
            (
                tr.t("guide-audience"),
                join(
                    s.audiences
                        .iter()
                        .map(|a| tr.t(&format!("audience-{}", a.key())))
                        .collect(),
                ),
            ),
            (
                tr.t("guide-channels"),
                join(
                    s.channels
                        .iter()
                        .map(|ch| tr.t(&format!("channel-{}", ch.key())))
                        .collect(),
                ),
            ),
            (tr.t("guide-visits"), c.visits(&s.visits)),
            (tr.t("guide-committed"), c.time_limit(&s.committed_days)),
            (tr.t("guide-statutory"), c.time_limit(&s.statutory_days)),
            (tr.t("guide-fee"), fee_summary),
            (tr.t("guide-result"), c.l(&s.result).to_owned()),
        ]),
    ];

    blocks.push(Block::Heading(tr.t("guide-conditions")));
    blocks.push(Block::Bullets(localized(&c, &s.conditions)));

    blocks.push(Block::Heading(tr.t("guide-materials")));
    if s.materials.is_empty() {
        blocks.push(Block::Paragraph(tr.t("materials-none")));
    }
    for (i, m) in s.materials.iter().enumerate() {
        blocks.push(Block::Subheading(format!("{}. {}", i + 1, c.l(&m.name))));
        if !m.description.is_empty() {
            blocks.push(Block::Paragraph(c.l(&m.description).to_owned()));
        }
        let mut rows = vec![
            (tr.t("material-how"), c.material_form(&m.form)),
            (
                tr.t("material-required"),
                tr.t(if m.mandatory {
                    "material-mandatory"
                } else {
                    "material-optional"
                }),
            ),
            (
                tr.t("material-copies"),
                if m.copies == 0 {
                    tr.t("material-no-paper")
                } else {
                    tr.t1("material-copies-count", "count", m.copies)
                },
            ),
        ];
        if m.certificate_type.is_some() {
            rows.push((
                tr.t("pdf-material-certificate"),
                tr.t("pdf-material-certificate-yes"),
            ));
        }
        blocks.push(Block::KeyValues(rows));
    }

    blocks.push(Block::Heading(tr.t("guide-process")));
    blocks.push(Block::Numbered(localized(&c, &s.process)));

    blocks.push(Block::Heading(tr.t("guide-fees")));
    if s.fees.is_empty() {
        blocks.push(Block::Paragraph(tr.t("fees-none")));
    } else {
        blocks.push(Block::KeyValues(
            s.fees
                .iter()
                .map(|fee| {
                    let mut value = fee.amount.to_string();
                    if !fee.note.is_empty() {
                        value.push_str(&format!(" · {}", c.l(&fee.note)));
                    }
                    if !fee.basis.is_empty() {
                        value.push_str(&format!("\n{}: {}", tr.t("fee-basis"), c.l(&fee.basis)));
                    }
                    (c.l(&fee.item).to_owned(), value)
                })
                .collect(),
        ));
    }

    blocks.push(Block::Heading(tr.t("guide-time-limits")));
    blocks.push(Block::KeyValues(vec![
        (tr.t("guide-committed"), c.time_limit(&s.committed_days)),
        (tr.t("guide-statutory"), c.time_limit(&s.statutory_days)),
    ]));
    blocks.push(Block::Note(tr.t("time-limit-note")));

    blocks.push(Block::Heading(tr.t("guide-where")));
    blocks.push(Block::Bullets(
        s.channels
            .iter()
            .map(|ch| match ch {
                Channel::Online => tr.t("channel-online-how"),
                Channel::Hall => tr.t("channel-hall-how"),
            })
            .collect(),
    ));
    for h in c.catalog.halls_for(s) {
        blocks.push(Block::Subheading(c.l(&h.name).to_owned()));
        let mut rows = Vec::new();
        if let Some(name) = h
            .district
            .as_deref()
            .and_then(|d| c.catalog.district_name(d))
        {
            rows.push((tr.t("hall-district"), c.l(name).to_owned()));
        }
        rows.push((tr.t("contact-address"), c.l(&h.address).to_owned()));
        rows.push((tr.t("contact-hours"), c.l(&h.hours).to_owned()));
        if let Some(phone) = &h.phone {
            rows.push((tr.t("contact-phone"), phone.clone()));
        }
        if !h.directions.is_empty() {
            rows.push((tr.t("hall-directions"), c.l(&h.directions).to_owned()));
        }
        blocks.push(Block::KeyValues(rows));
    }

    blocks.push(Block::Heading(tr.t("guide-legal-basis")));
    blocks.push(Block::Bullets(localized(&c, &s.legal_basis)));

    if !s.faq.is_empty() {
        blocks.push(Block::Heading(tr.t("guide-faq")));
        for f in &s.faq {
            blocks.push(Block::Subheading(c.l(&f.question).to_owned()));
            blocks.push(Block::Paragraph(c.l(&f.answer).to_owned()));
        }
    }

    blocks.push(Block::Heading(tr.t("guide-contact")));
    blocks.push(Block::KeyValues(contact_rows(&c, &s.contact)));

    let generated = crate::layout::local_time(state.clock.now());
    Document {
        lang: locale.tag().to_owned(),
        title: c.l(&s.name).to_owned(),
        meta,
        blocks,
        footer: format!(
            "{} · {} · {}",
            c.region_name,
            s.code,
            tr.t1("pdf-generated", "time", generated)
        ),
        producer: "Tongban".to_owned(),
    }
}

fn localized(c: &Chrome<'_>, items: &[tongban_domain::LocalizedText]) -> Vec<String> {
    items.iter().map(|t| c.l(t).to_owned()).collect()
}

fn contact_rows(c: &Chrome<'_>, contact: &Contact) -> Vec<(String, String)> {
    let tr = c.tr;
    let mut rows = Vec::new();
    if let Some(phone) = &contact.phone {
        rows.push((tr.t("contact-phone"), phone.clone()));
    }
    if let Some(phone) = &contact.complaint_phone {
        rows.push((tr.t("contact-complaints"), phone.clone()));
    }
    if let Some(email) = &contact.email {
        rows.push((tr.t("contact-email"), email.clone()));
    }
    if !contact.address.is_empty() {
        rows.push((tr.t("contact-address"), c.l(&contact.address).to_owned()));
    }
    if !contact.hours.is_empty() {
        rows.push((tr.t("contact-hours"), c.l(&contact.hours).to_owned()));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_are_ascii_with_the_name_in_filename_star() {
        let value = content_disposition("GA0001", "无犯罪记录证明", Locale::ZhCn);
        assert!(value.starts_with("attachment; filename=\"GA0001-zh-CN.pdf\"; filename*=UTF-8''"));
        assert!(value.contains("%E6%97%A0")); // 无
        assert!(value.ends_with("-GA0001-zh-CN.pdf"));
        assert!(HeaderValue::from_str(&value).is_ok());
        let odd = content_disposition("X\"1", "a/b\"c\r\n", Locale::En);
        assert!(odd.starts_with("attachment; filename=\"X1-en.pdf\""));
        assert!(HeaderValue::from_str(&odd).is_ok());
    }

    #[test]
    fn uyghur_and_tibetan_readers_get_the_chinese_pdf() {
        assert_eq!(pdf_locale(Locale::En), Locale::En);
        assert_eq!(pdf_locale(Locale::ZhCn), Locale::ZhCn);
        assert_eq!(pdf_locale(Locale::Ug), Locale::ZhCn);
        assert_eq!(pdf_locale(Locale::Bo), Locale::ZhCn);
    }
}
