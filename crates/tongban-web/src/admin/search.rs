//! Search administration: synonym groups (`/admin/search/synonyms`, system administrators of the
//! region) and the most frequent queries that found nothing (`/admin/search/misses`, system and
//! department administrators).
//!
//! Rights are checked in `tongban_services::search_terms`; a group of another region answers
//! exactly like one that does not exist. Every change is a CSRF-protected form, audited in the
//! service layer, and followed by a reload of the catalogue snapshot so the search index picks
//! the new vocabulary up. Deleting asks for confirmation on a page of its own, so it works
//! without JavaScript.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use fluent_bundle::{FluentArgs, FluentValue};
use serde::Deserialize;
use tongban_domain::Locale;
use tongban_services::identity::CurrentUser;
use tongban_services::search_terms::{
    self, MISS_PERIODS, SearchTermsError, SynonymGroup, SynonymProblem,
};
use uuid::Uuid;

use super::{no_access, signed_in_or_login};
use crate::catalog::chrome;
use crate::csrf::{self, Csrf};
use crate::errors::{internal_error, not_found};
use crate::identity::{ClientAddr, MaybeUser, forbidden, origin, page, see_other};
use crate::layout::{Chrome, local_time};
use crate::prefs::Prefs;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(SYNONYMS, get(list).post(create))
        .route("/admin/search/synonyms/{id}", get(edit_page).post(update))
        .route(
            "/admin/search/synonyms/{id}/delete",
            get(delete_page).post(delete),
        )
        .route(MISSES, get(misses))
}

const SYNONYMS: &str = "/admin/search/synonyms";
const MISSES: &str = "/admin/search/misses";
/// Rows on the unmet-queries page.
const MISSES_SHOWN: u64 = 100;

type Errors = Vec<(&'static str, String)>;

/// The field every synonym problem is linked to from the error summary.
const TERMS_FIELD: &str = "terms";

/// The localised message for each problem of a group.
fn problem_messages(state: &AppState, locale: Locale, problems: &[SynonymProblem]) -> Errors {
    let message = |key: &str, args: Vec<(&str, FluentValue<'static>)>| {
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            fluent.set(name.to_owned(), value);
        }
        state.i18n.message(locale, key, Some(&fluent))
    };
    let separator = state.i18n.message(locale, "list-separator", None);
    problems
        .iter()
        .map(|problem| {
            let text = match problem {
                SynonymProblem::TooFewTerms { found } => message(
                    "search-synonym-error-too-few",
                    vec![("found", FluentValue::from(*found as i64))],
                ),
                SynonymProblem::TooManyTerms { found } => message(
                    "search-synonym-error-too-many",
                    vec![("found", FluentValue::from(*found as i64))],
                ),
                SynonymProblem::TermLength { found: 0, .. } => {
                    message("search-synonym-error-empty", Vec::new())
                }
                SynonymProblem::TermLength { term, .. } => message(
                    "search-synonym-error-long",
                    vec![("term", FluentValue::from(term.clone()))],
                ),
                SynonymProblem::TermCharacters { term } => message(
                    "search-synonym-error-characters",
                    vec![("term", FluentValue::from(term.clone()))],
                ),
                SynonymProblem::Duplicate { term } => message(
                    "search-synonym-error-duplicate",
                    vec![("term", FluentValue::from(term.clone()))],
                ),
                SynonymProblem::TermTaken { term, group } => message(
                    "search-synonym-error-taken",
                    vec![
                        ("term", FluentValue::from(term.clone())),
                        ("group", FluentValue::from(group.join(&separator))),
                    ],
                ),
            };
            (TERMS_FIELD, text)
        })
        .collect()
}

/// Maps a refusal that is not a form problem to its page.
fn refusal(state: &AppState, prefs: Prefs, error: SearchTermsError) -> Response {
    match error {
        SearchTermsError::Forbidden => no_access(state, prefs),
        SearchTermsError::NotFound => not_found(state, prefs),
        other => internal_error(state, prefs, &other),
    }
}

/// After a committed change: the snapshot (and with it the search index's synonyms) is
/// rebuilt. A failure is logged, not shown: the change is saved, and the next reload takes it.
async fn reload(state: &AppState) {
    if let Err(error) = state.reload_catalog().await {
        tracing::error!(%error, "synonyms changed but the catalogue could not be reloaded");
    }
}

/// A group's terms as an administrator edits them: one a line.
fn as_lines(terms: &[String]) -> String {
    terms.join("\n")
}

#[derive(Debug, Deserialize, Default)]
struct DoneQuery {
    done: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
struct TermsForm {
    #[serde(default)]
    terms: String,
    #[serde(default)]
    csrf: String,
}

#[derive(Debug, Deserialize, Default)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

#[derive(Template)]
#[template(path = "admin/search/synonyms.html")]
struct ListPage<'a> {
    c: Chrome<'a>,
    done: Option<String>,
    groups: Vec<SynonymGroup>,
    terms: String,
    errors: Errors,
}

impl ListPage<'_> {
    fn when(&self, group: &SynonymGroup) -> String {
        local_time(group.updated_at)
    }
}

#[allow(clippy::too_many_arguments)]
async fn render_list(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    headers: &HeaderMap,
    status: StatusCode,
    done: Option<&str>,
    terms: String,
    errors: Errors,
) -> Response {
    let groups = match search_terms::list_synonyms(&state.db, user).await {
        Ok(groups) => groups,
        Err(error) => return refusal(state, prefs, error),
    };
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, Some(user), headers);
    let c =
        chrome(state, &snapshot, prefs, SYNONYMS).for_user(Some(user), Some(csrf.token.clone()));
    let done = done
        .filter(|d| matches!(*d, "created" | "updated" | "deleted"))
        .map(|d| c.tr.t(&format!("search-synonym-done-{d}")));
    page(
        state,
        prefs,
        status,
        ListPage {
            c,
            done,
            groups,
            terms,
            errors,
        },
        Some(&csrf),
    )
}

async fn list(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Query(query): Query<DoneQuery>,
    headers: HeaderMap,
) -> Response {
    let user = match signed_in_or_login(user, SYNONYMS) {
        Ok(user) => user,
        Err(login) => return login,
    };
    render_list(
        &state,
        prefs,
        &user,
        &headers,
        StatusCode::OK,
        query.done.as_deref(),
        String::new(),
        Vec::new(),
    )
    .await
}

/// The signed-in user of a POST whose CSRF token is right.
// The error is the response a handler returns at once; boxing it would only add noise.
#[allow(clippy::result_large_err)]
fn poster(
    state: &AppState,
    prefs: Prefs,
    user: Option<CurrentUser>,
    headers: &HeaderMap,
    token: &str,
) -> Result<CurrentUser, Response> {
    let user = signed_in_or_login(user, SYNONYMS)?;
    if !csrf::verify(&state.secret, Some(&user), headers, token) {
        return Err(forbidden(state, prefs));
    }
    Ok(user)
}

async fn create(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<TermsForm>,
) -> Response {
    let user = match poster(&state, prefs, user, &headers, &form.csrf) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let terms = search_terms::split_terms(&form.terms);
    match search_terms::create_synonym(
        &state.db,
        state.clock.as_ref(),
        &user,
        &origin(&headers, peer),
        &terms,
    )
    .await
    {
        Ok(_) => {
            reload(&state).await;
            see_other(&format!("{SYNONYMS}?done=created"))
        }
        Err(SearchTermsError::Invalid(problems)) => {
            let errors = problem_messages(&state, prefs.locale, &problems);
            render_list(
                &state,
                prefs,
                &user,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                form.terms,
                errors,
            )
            .await
        }
        Err(other) => refusal(&state, prefs, other),
    }
}

#[derive(Template)]
#[template(path = "admin/search/synonym_edit.html")]
struct EditPage<'a> {
    c: Chrome<'a>,
    group: SynonymGroup,
    terms: String,
    errors: Errors,
}

#[derive(Template)]
#[template(path = "admin/search/synonym_delete.html")]
struct DeletePage<'a> {
    c: Chrome<'a>,
    group: SynonymGroup,
}

/// The group `raw` of the user's region, or the page that says why not. Rights come before
/// the id, so someone without the role learns nothing from an id.
// The error is the response a handler returns at once; boxing it would only add noise.
#[allow(clippy::result_large_err)]
async fn group_of(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    raw: &str,
) -> Result<SynonymGroup, Response> {
    if search_terms::synonym_region(user).is_none() {
        return Err(no_access(state, prefs));
    }
    let id = Uuid::parse_str(raw).map_err(|_| not_found(state, prefs))?;
    search_terms::synonym_group(&state.db, user, id)
        .await
        .map_err(|error| refusal(state, prefs, error))
}

#[allow(clippy::too_many_arguments)]
fn render_edit(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    headers: &HeaderMap,
    status: StatusCode,
    group: SynonymGroup,
    terms: String,
    errors: Errors,
) -> Response {
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, Some(user), headers);
    let path = format!("{SYNONYMS}/{}", group.id);
    let c = chrome(state, &snapshot, prefs, &path).for_user(Some(user), Some(csrf.token.clone()));
    page(
        state,
        prefs,
        status,
        EditPage {
            c,
            group,
            terms,
            errors,
        },
        Some(&csrf),
    )
}

async fn edit_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let user = match signed_in_or_login(user, SYNONYMS) {
        Ok(user) => user,
        Err(login) => return login,
    };
    let group = match group_of(&state, prefs, &user, &id).await {
        Ok(group) => group,
        Err(response) => return response,
    };
    let terms = as_lines(&group.terms);
    render_edit(
        &state,
        prefs,
        &user,
        &headers,
        StatusCode::OK,
        group,
        terms,
        Vec::new(),
    )
}

async fn update(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<TermsForm>,
) -> Response {
    let user = match poster(&state, prefs, user, &headers, &form.csrf) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let group = match group_of(&state, prefs, &user, &id).await {
        Ok(group) => group,
        Err(response) => return response,
    };
    let terms = search_terms::split_terms(&form.terms);
    match search_terms::update_synonym(
        &state.db,
        state.clock.as_ref(),
        &user,
        &origin(&headers, peer),
        group.id,
        &terms,
    )
    .await
    {
        Ok(()) => {
            reload(&state).await;
            see_other(&format!("{SYNONYMS}?done=updated"))
        }
        Err(SearchTermsError::Invalid(problems)) => {
            let errors = problem_messages(&state, prefs.locale, &problems);
            render_edit(
                &state,
                prefs,
                &user,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                group,
                form.terms,
                errors,
            )
        }
        Err(other) => refusal(&state, prefs, other),
    }
}

async fn delete_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let user = match signed_in_or_login(user, SYNONYMS) {
        Ok(user) => user,
        Err(login) => return login,
    };
    let group = match group_of(&state, prefs, &user, &id).await {
        Ok(group) => group,
        Err(response) => return response,
    };
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, Some(&user), &headers);
    let path = format!("{SYNONYMS}/{}/delete", group.id);
    let c = chrome(&state, &snapshot, prefs, &path).for_user(Some(&user), Some(csrf.token.clone()));
    page(
        &state,
        prefs,
        StatusCode::OK,
        DeletePage { c, group },
        Some(&csrf),
    )
}

async fn delete(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<CsrfOnly>,
) -> Response {
    let user = match poster(&state, prefs, user, &headers, &form.csrf) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let group = match group_of(&state, prefs, &user, &id).await {
        Ok(group) => group,
        Err(response) => return response,
    };
    match search_terms::delete_synonym(
        &state.db,
        state.clock.as_ref(),
        &user,
        &origin(&headers, peer),
        group.id,
    )
    .await
    {
        Ok(_) => {
            reload(&state).await;
            see_other(&format!("{SYNONYMS}?done=deleted"))
        }
        Err(error) => refusal(&state, prefs, error),
    }
}

#[derive(Debug, Deserialize, Default)]
struct MissesQuery {
    #[serde(default)]
    days: String,
}

/// One unmet query as the page lists it.
struct MissLine {
    query: String,
    /// The language's own name.
    language: String,
    count: i64,
    last_seen: String,
}

#[derive(Template)]
#[template(path = "admin/search/misses.html")]
struct MissesPage<'a> {
    c: Chrome<'a>,
    days: u32,
    periods: [u32; 3],
    lines: Vec<MissLine>,
    /// System administrators get the link to the synonyms page.
    maintains_synonyms: bool,
}

async fn misses(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Query(query): Query<MissesQuery>,
) -> Response {
    let user = match signed_in_or_login(user, MISSES) {
        Ok(user) => user,
        Err(login) => return login,
    };
    // Anything but an offered period (a hand-edited URL) shows the default one.
    let days = query
        .days
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|d| MISS_PERIODS.contains(d))
        .unwrap_or(30);
    let found =
        search_terms::unmet_queries(&state.db, state.clock.as_ref(), &user, days, MISSES_SHOWN)
            .await;
    let rows = match found {
        Ok(rows) => rows,
        Err(error) => return refusal(&state, prefs, error),
    };
    let lines = rows
        .into_iter()
        .map(|row| MissLine {
            language: Locale::from_tag(&row.locale)
                .map(|l| l.endonym().to_owned())
                .unwrap_or_else(|| row.locale.clone()),
            query: row.query,
            count: row.count,
            last_seen: local_time(row.last_seen),
        })
        .collect();
    let snapshot = state.snapshots.current();
    let c = chrome(&state, &snapshot, prefs, MISSES).for_user(Some(&user), None);
    page(
        &state,
        prefs,
        StatusCode::OK,
        MissesPage {
            c,
            days,
            periods: MISS_PERIODS,
            lines,
            maintains_synonyms: search_terms::synonym_region(&user).is_some(),
        },
        None,
    )
}
