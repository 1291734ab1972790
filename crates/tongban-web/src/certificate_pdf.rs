//! A certificate as a printable A4 PDF: `GET /account/certificates/{id}.pdf`, for its holder
//! only (anyone else gets the same 404 as for a certificate that does not exist).
//!
//! The printout is the certificate type's human view (`CertificateType::shown_fields`, under
//! the template's title, else the type's name): the issuing department, the fields with the
//! type's labels in the view's order (personal data masked as on screen: a printout leaves
//! the holder's hands more easily than a screen), when it was issued and until when it is
//! valid, the certificate's id, and the QR code of its verification address with the address
//! printed beside it. It states no verdict: whether the certificate is still valid is
//! whatever the verification page says when someone checks, so the printout says where to
//! check instead of freezing "valid" on paper. The document therefore depends only on the
//! certificate and the language (no clock), and the same certificate prints to the same bytes.
//!
//! Only what verifies is printed: the stored token is verified like the certificate's page
//! does, and the fields are taken from the verified claims.
//!
//! Like guides and notices, PDFs exist in zh-CN and en; Uyghur and Tibetan readers get the
//! zh-CN PDF (`guide_pdf::pdf_locale`), and the download link says so in their language.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tongban_domain::Locale;
use tongban_domain::certificate_types::CertificateType;
use tongban_domain::certificates::VerifiedCertificate;
use tongban_pdf::{Block, Document};
use tongban_services::certificates::CertificateError;
use tongban_services::identity::CurrentUser;
use uuid::Uuid;

use crate::errors::{internal_error, not_found};
use crate::guide_pdf::{PDF, pdf_locale};
use crate::i18n::Tr;
use crate::layout::local_time;
use crate::prefs::Prefs;
use crate::state::AppState;

/// What a printed certificate shows, already localised and masked.
#[derive(Debug, Clone, PartialEq)]
pub struct PrintedCertificate {
    pub id: Uuid,
    /// The type's key, for the file name.
    pub type_key: String,
    /// The template's title, else the type's name.
    pub title: String,
    pub issuer: String,
    pub region: String,
    /// Label and shown value, in the view's order.
    pub fields: Vec<(String, String)>,
    pub issued: Option<String>,
    pub valid_from: Option<String>,
    /// `None`: valid until revoked.
    pub expires: Option<String>,
    /// The verification address the QR code holds.
    pub check_url: String,
    /// Demo mode: the printout says the data is fictional.
    pub demo: bool,
}

/// The fields of `certificate` as its type's human view shows them: the template's fields in
/// order (all the type's fields without a template), labelled in `locale` and masked; a
/// certificate of a type the catalogue no longer has shows every claim under its own name.
pub fn printed_fields(
    known: Option<&CertificateType>,
    certificate: &VerifiedCertificate,
    locale: Locale,
) -> Vec<(String, String)> {
    let claims: Vec<(&String, &serde_json::Value)> = certificate.fields().collect();
    match known {
        Some(t) => t
            .shown_fields()
            .into_iter()
            .filter_map(|field| {
                let (_, value) = claims.iter().find(|(name, _)| **name == field.key)?;
                let value = crate::certificates::displayed(Some(field), value);
                Some((field.label.get(locale).to_owned(), value))
            })
            .collect(),
        None => claims
            .into_iter()
            .map(|(name, value)| (name.clone(), crate::certificates::displayed(None, value)))
            .collect(),
    }
}

/// The certificate as a printable document, its words in `tr`'s language (zh-CN or en).
pub fn certificate_document(c: &PrintedCertificate, tr: &Tr<'_>, locale: Locale) -> Document {
    let mut meta = vec![
        format!("{} · {}", tr.t("cert-pdf-caption"), c.issuer),
        format!("{}: {}", tr.t("cert-pdf-id"), c.id),
    ];
    if c.demo {
        meta.push(format!(
            "{}: {}",
            tr.t("demo-ribbon-title"),
            tr.t("demo-ribbon-text")
        ));
    }

    let mut blocks = vec![Block::Heading(tr.t("cert-fields"))];
    if c.fields.is_empty() {
        blocks.push(Block::Paragraph(tr.t("cert-fields-none")));
    } else {
        blocks.push(Block::KeyValues(c.fields.clone()));
    }
    blocks.push(Block::Note(tr.t("cert-pdf-masked")));

    blocks.push(Block::Heading(tr.t("cert-pdf-validity")));
    let mut validity = vec![(tr.t("cert-issuer"), c.issuer.clone())];
    if let Some(at) = &c.issued {
        validity.push((tr.t("cert-issued"), at.clone()));
    }
    // Shown only when it differs from the issue time, as it does for a certificate dated ahead.
    if let Some(at) = c
        .valid_from
        .as_ref()
        .filter(|at| Some(*at) != c.issued.as_ref())
    {
        validity.push((tr.t("cert-valid-from"), at.clone()));
    }
    validity.push((
        tr.t("cert-expires"),
        c.expires.clone().unwrap_or_else(|| tr.t("cert-no-expiry")),
    ));
    blocks.push(Block::KeyValues(validity));

    blocks.push(Block::Heading(tr.t("cert-pdf-verify")));
    blocks.push(Block::Paragraph(tr.t("cert-pdf-verify-text")));
    blocks.push(Block::Qr {
        text: c.check_url.clone(),
        caption: format!("{}\n{}", tr.t("cert-pdf-qr-caption"), c.check_url),
    });

    Document {
        lang: locale.tag().to_owned(),
        title: c.title.clone(),
        meta,
        blocks,
        footer: format!(
            "{} · {} · {}: {}",
            c.region,
            c.issuer,
            tr.t("cert-pdf-id"),
            c.id
        ),
        producer: "Tongban".to_owned(),
    }
}

/// The download's `Content-Disposition`, e.g. `营业执照-business-licence-0196….pdf`, with an
/// ASCII fallback of the type's key and the id.
pub fn certificate_content_disposition(c: &PrintedCertificate, locale: Locale) -> String {
    crate::guide_pdf::content_disposition(
        &format!("{}-{}", c.type_key, c.id),
        &c.title,
        pdf_locale(locale),
    )
}

/// `GET /account/certificates/{id}.pdf` for `user`, already known to be a signed-in person:
/// the printout of one of their certificates, 404 for any other id.
pub(crate) async fn held_pdf(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    id: &str,
) -> Response {
    let Ok(id) = Uuid::parse_str(id) else {
        return not_found(state, prefs);
    };
    let snapshot = state.snapshots.current();
    let catalog = &snapshot.catalog;
    let certificates = state.applications.handling().certificates();
    let held = match certificates.held_by(user, catalog.region_id, id).await {
        Ok(held) => held,
        Err(CertificateError::NotFound) => return not_found(state, prefs),
        Err(error) => return internal_error(state, prefs, &error),
    };
    let verdict = match certificates
        .verify(state.clock.as_ref(), catalog, &held.token)
        .await
    {
        Ok(verdict) => verdict,
        Err(error) => return internal_error(state, prefs, &error),
    };
    // Only a certificate whose signature holds is printed (a revoked or expired one still is:
    // the QR code tells whoever checks it so).
    let Some(certificate) = crate::certificates::certificate_of(&verdict) else {
        return internal_error(
            state,
            prefs,
            &format!("stored certificate {id} does not verify: {verdict:?}"),
        );
    };
    let locale = pdf_locale(prefs.locale);
    let tr = state.i18n.tr(locale);
    let public_url = &certificates.settings.public_url;
    let known = catalog
        .certificate_types
        .iter()
        .find(|t| t.key == held.row.type_key)
        .or_else(|| {
            catalog
                .certificate_types
                .iter()
                .find(|t| t.vct(public_url, &catalog.region.code) == certificate.vct)
        });
    let title = known
        .map(|t| {
            t.template
                .as_ref()
                .map_or(&t.name, |template| &template.title)
                .get(locale)
                .to_owned()
        })
        .or_else(|| {
            Some(tongban_services::certificates::summary_name(
                &held.row.summary,
            ))
            .filter(|name| !name.is_empty())
        })
        .unwrap_or_else(|| tr.t("wallet-unnamed"));
    let printed = PrintedCertificate {
        id,
        type_key: held.row.type_key.clone(),
        title,
        issuer: catalog
            .department_by_id(held.row.department_id)
            .map(|d| d.name.get(locale).to_owned())
            .unwrap_or_default(),
        region: catalog.region.name.get(locale).to_owned(),
        fields: printed_fields(known, certificate, locale),
        issued: certificate.issued_at.map(local_time),
        valid_from: certificate.valid_from.map(local_time),
        expires: certificate.expires_at.map(local_time),
        check_url: certificates.check_url(&held.row),
        demo: state.demo(),
    };
    let document = certificate_document(&printed, &tr, locale);
    // Subsetting the font and deflating take milliseconds: off the async workers.
    let bytes = match tokio::task::spawn_blocking(move || tongban_pdf::render(&document)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(error)) => return internal_error(state, prefs, &error),
        Err(error) => return internal_error(state, prefs, &error),
    };
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PDF));
    if let Ok(value) = HeaderValue::from_str(&certificate_content_disposition(&printed, locale)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    // Personal data: never kept by a shared cache, nor by the browser's.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    // A `?lang=` choice is remembered, as on every page.
    prefs.apply(&mut response, state.settings.secure_cookies);
    response
}
