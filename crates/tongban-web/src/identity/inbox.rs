//! The in-app inbox: every notification sent to the account, newest first. Opening it marks
//! the messages read.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use tongban_services::notifications::Templates;

use super::{MaybeUser, page, see_other};
use crate::catalog::chrome;
use crate::csrf::Csrf;
use crate::errors::internal_error;
use crate::layout::Chrome;
use crate::prefs::Prefs;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/account/inbox", get(inbox))
}

pub struct Message {
    pub title: String,
    pub body: String,
    pub at: String,
    pub unread: bool,
}

#[derive(Template)]
#[template(path = "identity/inbox.html")]
struct InboxPage<'a> {
    c: Chrome<'a>,
    messages: Vec<Message>,
}

async fn inbox(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Response {
    let Some(user) = user else {
        return see_other("/login?next=/account/inbox");
    };
    let rows = match tongban_store::notifications::inbox(&state.db, user.account_id, 200).await {
        Ok(rows) => rows,
        Err(error) => return internal_error(&state, prefs, &error),
    };
    if let Err(error) =
        tongban_store::notifications::mark_inbox_read(&state.db, user.account_id, state.clock.now())
            .await
    {
        return internal_error(&state, prefs, &error);
    }
    let templates = state.templates.as_ref();
    // Messages are shown in the reader's language, whatever language they were written in.
    let render = |templates: &Templates, key: &str, params: &serde_json::Value| {
        templates.render(prefs.locale, key, params)
    };
    let messages = rows
        .iter()
        .map(|row| Message {
            title: render(templates, &format!("{}-title", row.template), &row.params),
            body: render(templates, &format!("{}-body", row.template), &row.params),
            at: crate::layout::local_time(row.created_at),
            unread: row.read_at.is_none(),
        })
        .collect();
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, Some(&user), &headers);
    let c =
        chrome(&state, &snapshot, prefs, "/account/inbox").for_user(Some(&user), Some(csrf.token));
    page(
        &state,
        prefs,
        StatusCode::OK,
        InboxPage { c, messages },
        None,
    )
}
