//! The holder's data-use record (数据使用记录), `/account/data-use`: every time a department
//! received data from one of their certificates — which department, from which issuer, which
//! fields, for which application and why, on which consent, when. It reads the signed,
//! hash-chained evidence log (`tongban_store::exchange`), so what the holder sees is what
//! `tongban exchange verify-log` checks.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::get;
use uuid::Uuid;

use crate::catalog::chrome;
use crate::certificates::signed_in_person;
use crate::csrf::Csrf;
use crate::identity::{MaybeUser, page};
use crate::layout::{Chrome, local_time};
use crate::prefs::Prefs;
use crate::state::AppState;

/// The most entries the page lists (newest first).
const SHOWN: u64 = 200;

pub fn router() -> Router<AppState> {
    Router::new().route("/account/data-use", get(data_use_page))
}

struct UseRow {
    at: String,
    requester: String,
    issuer: String,
    certificate: String,
    purpose: String,
    fields: Vec<String>,
    /// The holder's own case, when the use was for one of their applications.
    case_id: Option<Uuid>,
    how: String,
    reference: String,
}

#[derive(Template)]
#[template(path = "data_use/list.html")]
struct DataUsePage<'a> {
    c: Chrome<'a>,
    rows: Vec<UseRow>,
}

async fn data_use_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Response {
    let user = match signed_in_person(&state, prefs, user, "/account/data-use") {
        Ok(user) => user,
        Err(response) => return response,
    };
    let snapshot = state.snapshots.current();
    let catalog = &snapshot.catalog;
    let entries = match state
        .applications
        .handling()
        .certificates()
        .data_use(catalog, user.account_id, SHOWN)
        .await
    {
        Ok(entries) => entries,
        Err(error) => return crate::errors::internal_error(&state, prefs, &error),
    };
    let csrf = Csrf::issue(&state.secret, Some(&user), &headers);
    let c = chrome(&state, &snapshot, prefs, "/account/data-use")
        .for_user(Some(&user), Some(csrf.token.clone()));
    let department = |id: Uuid| {
        catalog
            .department_by_id(id)
            .map(|d| d.name.get(prefs.locale).to_owned())
            .unwrap_or_default()
    };
    let rows = entries
        .iter()
        .map(|entry| {
            let certificate = catalog.certificate_type(&entry.type_key);
            let fields = serde_json::from_str::<Vec<String>>(&entry.fields)
                .unwrap_or_default()
                .iter()
                .map(|key| {
                    certificate
                        .and_then(|t| t.field(key))
                        .map(|f| f.label.get(prefs.locale).to_owned())
                        .unwrap_or_else(|| key.clone())
                })
                .collect();
            UseRow {
                at: local_time(entry.at),
                requester: department(entry.requester_department_id),
                issuer: department(entry.issuer_department_id),
                certificate: certificate
                    .map(|t| t.name.get(prefs.locale).to_owned())
                    .unwrap_or_else(|| entry.type_key.clone()),
                purpose: entry.purpose.clone(),
                fields,
                case_id: entry.case_id,
                how: c.tr.t(if entry.channel == "api" {
                    "data-use-how-api"
                } else {
                    "data-use-how-application"
                }),
                reference: entry.consent_id.unwrap_or(entry.id).to_string(),
            }
        })
        .collect();
    let mut response = page(
        &state,
        prefs,
        StatusCode::OK,
        DataUsePage { c, rows },
        Some(&csrf),
    );
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    response
}
