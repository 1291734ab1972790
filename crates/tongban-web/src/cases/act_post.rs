//! Reading an action's post from the case page: URL-encoded, or multipart when the action
//! takes attachments. Files stream into blob storage as they arrive, checked by content under
//! the handling settings' limits, and only after the form's CSRF token (sent before any file)
//! has been verified: a forged post stores nothing.
//!
//! A refused file (too large, not a PDF/OFD/image, empty) does not end the post: the rest is
//! read so the case page can be shown again with the comment the person typed and the
//! reason. Files received for an action that is then refused stay unreferenced in the blob
//! store until the garbage collector removes them (docs/uploads.md).

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use axum::response::Response;
use futures_util::TryStreamExt;
use tongban_services::identity::CurrentUser;
use tongban_services::uploads::UploadError;
use tongban_services::workflow::{
    ActionAttachment, MAX_ACTION_ATTACHMENTS, action_attachment_limits,
};

use crate::applications::uploads::{MAX_VALUE_BYTES, bad_request};
use crate::prefs::Prefs;
use crate::state::AppState;

/// The fields of an action's form.
#[derive(Debug, Default)]
pub struct ActForm {
    pub csrf: String,
    pub action: String,
    pub version: String,
    pub comment: String,
    pub days: String,
}

impl ActForm {
    fn set(&mut self, name: &str, value: String) {
        match name {
            "csrf" => self.csrf = value,
            "action" => self.action = value,
            "version" => self.version = value,
            "comment" => self.comment = value,
            "days" => self.days = value,
            _ => {}
        }
    }
}

/// An action's post as read.
pub struct ActPost {
    pub form: ActForm,
    pub attachments: Vec<ActionAttachment>,
    /// The first file refused while streaming, as the text to show; the action is not taken.
    pub refused: Option<String>,
}

/// The name of the file input on an action's form.
pub const ATTACHMENT_FIELD: &str = "attachment";

/// Reads the post; a broken body is a 400 page, a file before a valid CSRF token a 403 page.
pub async fn read_act_post(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    request: Request,
) -> Result<ActPost, Box<Response>> {
    let headers = request.headers().clone();
    let multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let bytes = axum::body::to_bytes(request.into_body(), state.settings.max_body_bytes)
            .await
            .map_err(|_| bad_request(state, prefs))?;
        let form: ActForm = urlencoded_form(&bytes).ok_or_else(|| bad_request(state, prefs))?;
        return Ok(ActPost {
            form,
            attachments: Vec::new(),
            refused: None,
        });
    }
    let limits = action_attachment_limits(&state.applications.handling().settings);
    let mut post = ActPost {
        form: ActForm::default(),
        attachments: Vec::new(),
        refused: None,
    };
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
        if name == ATTACHMENT_FIELD {
            let filename = field.file_name().unwrap_or_default().to_owned();
            if filename.is_empty() {
                // The file input left empty.
                let _ = field.bytes().await;
                continue;
            }
            if !crate::csrf::verify(&state.secret, Some(user), &headers, &post.form.csrf) {
                return Err(Box::new(crate::identity::forbidden(state, prefs)));
            }
            if post.attachments.len() >= MAX_ACTION_ATTACHMENTS {
                return Err(bad_request(state, prefs));
            }
            if post.refused.is_some() {
                // One refusal is enough to stop the action: store nothing more.
                let _ = field.bytes().await;
                continue;
            }
            let chunks = field.map_err(std::io::Error::other);
            match tongban_services::uploads::receive(state.blobs.as_ref(), chunks, &limits).await {
                Ok(blob) => post
                    .attachments
                    .push(ActionAttachment::new(blob, &filename)),
                Err(error) if error.is_internal() => {
                    return Err(Box::new(crate::errors::internal_error(
                        state, prefs, &error,
                    )));
                }
                Err(error) => post.refused = Some(refusal_text(state, prefs, &filename, &error)),
            }
            continue;
        }
        let value = field.text().await.map_err(|_| bad_request(state, prefs))?;
        if value.len() > MAX_VALUE_BYTES {
            return Err(bad_request(state, prefs));
        }
        post.form.set(&name, value);
    }
    Ok(post)
}

/// "报告.pdf: 文件超过了 20480 KB 的上限".
fn refusal_text(state: &AppState, prefs: Prefs, filename: &str, error: &UploadError) -> String {
    let (key, args) = error.message();
    let reason = state.i18n.message(prefs.locale, key, Some(&args));
    let name = tongban_services::uploads::sanitise_filename(filename);
    format!("{name}: {reason}")
}

fn urlencoded_form(bytes: &[u8]) -> Option<ActForm> {
    let mut form = ActForm::default();
    for (name, value) in form_urlencoded::parse(bytes) {
        if value.len() > MAX_VALUE_BYTES {
            return None;
        }
        form.set(&name, value.into_owned());
    }
    Some(form)
}
