//! Reading a question page's post (URL-encoded, or multipart when the page has file fields)
//! and serving uploaded files back, only to people who may see the application, always as an
//! attachment.

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::TryStreamExt;
use tongban_domain::forms::{FieldKind, FileRef, FormDefinition};
use tongban_services::applications::Draft;
use tongban_services::identity::{CurrentUser, Origin};
use tongban_services::uploads::{UploadError, UploadLimits};
use uuid::Uuid;

use crate::identity::MaybeUser;
use crate::prefs::Prefs;
use crate::state::{AppState, Snapshot};

pub fn router() -> Router<AppState> {
    Router::new().route("/applications/files/{id}", get(download))
}

/// What a page posted.
pub struct PagePost {
    pub csrf: String,
    pub raw: Vec<(String, String)>,
    /// Files received with this post, by field key, already stored.
    pub files: Vec<(String, FileRef)>,
}

/// Text fields beyond this many are refused (a page has tens of inputs, not thousands).
const MAX_FIELDS: usize = 2_000;
/// A text value beyond this many bytes is refused.
pub(crate) const MAX_VALUE_BYTES: usize = 64 * 1024;

/// The 400 page for a post that cannot be read.
pub(crate) fn bad_request(state: &AppState, prefs: Prefs) -> Box<Response> {
    Box::new(crate::errors::error_page(
        state,
        prefs,
        StatusCode::BAD_REQUEST,
        "apply-bad-post",
        None,
    ))
}

/// Reads the post of `page_key`. File parts are streamed to storage as they arrive; one that is
/// too large or of the wrong kind becomes an error shown next to its field, not a failed page.
#[allow(clippy::too_many_arguments)]
pub async fn read_page_post(
    state: &AppState,
    user: &CurrentUser,
    snapshot: &Snapshot,
    draft: &Draft,
    form: &FormDefinition,
    page_key: &str,
    _origin: &Origin,
    request: Request,
) -> Result<(PagePost, Vec<(String, UploadError)>), Box<Response>> {
    let headers = request.headers().clone();
    // The page's form sends its CSRF token before any file: a file arriving without a valid
    // token is refused before a byte of it is stored.
    let csrf_ok = |token: &str| crate::csrf::verify(&state.secret, Some(user), &headers, token);
    let prefs = Prefs::resolve(request.uri().query(), request.headers());
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let mut post = PagePost {
        csrf: String::new(),
        raw: Vec::new(),
        files: Vec::new(),
    };
    let mut refused = Vec::new();
    if !multipart {
        let bytes = axum::body::to_bytes(request.into_body(), state.settings.max_body_bytes)
            .await
            .map_err(|_| bad_request(state, prefs))?;
        for (name, value) in form_urlencoded::parse(&bytes) {
            if post.raw.len() >= MAX_FIELDS {
                return Err(bad_request(state, prefs));
            }
            if name == "csrf" {
                post.csrf = value.into_owned();
            } else {
                post.raw.push((name.into_owned(), value.into_owned()));
            }
        }
        return Ok((post, refused));
    }
    let page = form.page(page_key);
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|_| bad_request(state, prefs))?;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => return Err(bad_request(state, prefs)),
        };
        let name = field.name().unwrap_or_default().to_owned();
        if post.raw.len() + post.files.len() >= MAX_FIELDS {
            return Err(bad_request(state, prefs));
        }
        let file_field = page.and_then(|p| {
            p.fields
                .iter()
                .find(|f| f.key == name && matches!(f.kind, FieldKind::File { .. }))
        });
        match (file_field, field.file_name().map(str::to_owned)) {
            (Some(spec), Some(filename)) => {
                let FieldKind::File {
                    accept,
                    max_size_kb,
                    ..
                } = &spec.kind
                else {
                    continue;
                };
                if filename.is_empty() {
                    // An empty file input: nothing chosen. Drain it.
                    let _ = field.bytes().await;
                    continue;
                }
                if !csrf_ok(&post.csrf) {
                    return Err(Box::new(crate::identity::forbidden(state, prefs)));
                }
                let limits = UploadLimits {
                    max_size_kb: *max_size_kb,
                    accept: accept.clone(),
                };
                let chunks = field.map_err(std::io::Error::other);
                match tongban_services::uploads::store_upload(
                    &state.db,
                    state.blobs.as_ref(),
                    state.clock.as_ref(),
                    user,
                    snapshot.catalog.region_id,
                    Some(draft.id),
                    &limits,
                    &filename,
                    chunks,
                )
                .await
                {
                    Ok(record) => post.files.push((name, record.file_ref())),
                    Err(error) if error.is_internal() => {
                        return Err(Box::new(crate::errors::internal_error(
                            state, prefs, &error,
                        )));
                    }
                    Err(error) => refused.push((name, error)),
                }
            }
            _ => {
                let value = field.text().await.map_err(|_| bad_request(state, prefs))?;
                if value.len() > MAX_VALUE_BYTES {
                    return Err(bad_request(state, prefs));
                }
                if name == "csrf" {
                    post.csrf = value;
                } else {
                    post.raw.push((name, value));
                }
            }
        }
    }
    Ok((post, refused))
}

/// Serves an uploaded file to the person who uploaded it, or who may see the application it
/// belongs to; to anyone else it does not exist.
async fn download(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    crate::identity::ClientAddr(peer): crate::identity::ClientAddr,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let Some(user) = user else {
        return crate::identity::see_other(&format!("/login?next=/applications/files/{id}"));
    };
    let Ok(upload_id) = Uuid::parse_str(&id) else {
        return crate::errors::not_found(&state, prefs);
    };
    let snapshot = state.snapshots.current();
    let region_id = snapshot.catalog.region_id;
    // Who may read: the uploader; the people who may see the case it was submitted with,
    // except a file staff attached to an internal step, which only staff read.
    let record = match tongban_store::uploads::by_id(&state.db, region_id, upload_id).await {
        Ok(Some(record)) => record,
        Ok(None) => return crate::errors::not_found(&state, prefs),
        Err(error) => return crate::errors::internal_error(&state, prefs, &error),
    };
    let mut allowed = record.owner_id == user.account_id
        || match record.case_id {
            Some(case_id) if !record.internal => state
                .applications
                .case(&user, region_id, case_id)
                .await
                .is_ok(),
            _ => false,
        };
    // Staff who may see the case read its attachments; each read is audited.
    if !allowed && let Some(case_id) = record.case_id {
        let handling = state.applications.handling();
        match handling
            .staff_may_see(&user, &snapshot.catalog, case_id)
            .await
        {
            Ok(true) => {
                if let Err(error) = handling
                    .record_staff_read(
                        &*state.clock,
                        &user,
                        &snapshot.catalog,
                        &crate::identity::origin(&headers, peer),
                        case_id,
                        &format!("upload:{upload_id}"),
                    )
                    .await
                {
                    return crate::errors::internal_error(&state, prefs, &error);
                }
                allowed = true;
            }
            Ok(false) => {}
            Err(error) => return crate::errors::internal_error(&state, prefs, &error),
        }
    }
    if !allowed {
        return crate::errors::not_found(&state, prefs);
    }
    let Some(address) = tongban_services::uploads::BlobAddress::parse(&record.sha256) else {
        return crate::errors::internal_error(&state, prefs, &"an upload row names no address");
    };
    let bytes = match state.blobs.read(&address).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            return crate::errors::internal_error(&state, prefs, &"an uploaded file is missing");
        }
        Err(error) => return crate::errors::internal_error(&state, prefs, &error),
    };
    let kind = Some(record.kind);
    let mut response = (StatusCode::OK, Body::from(bytes)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(kind.map_or("application/octet-stream", |k| k.media_type())),
    );
    // Always an attachment: an uploaded file is never rendered in the platform's origin.
    let extension = kind.map_or("bin", |k| k.extension());
    let disposition = format!(
        "attachment; filename=\"upload.{extension}\"; filename*=UTF-8''{}",
        crate::guide_pdf::percent_encode(&record.filename)
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition)
            .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}
