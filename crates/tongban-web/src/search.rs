//! Searching the catalogue: the results page (`/search`) with its filters and paging, and the
//! JSON endpoint (`/api/v1/search`). The search box in every page's header submits to the page.
//!
//! Results depend on the query, so pages are rendered per request and never cached; a render
//! costs microseconds next to the search itself. Any string is a valid query: the index builds
//! its query from analysed words, so quotes, colons or a pasted paragraph just search.

use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use fluent_bundle::FluentArgs;
use serde::Serialize;
use tongban_domain::Locale;
use tongban_domain::catalog::{Audience, Channel, LifeEvent};
use tongban_search::{SearchQuery, SearchResults};

use crate::catalog::chrome;
use crate::csrf::Csrf;
use crate::errors::{internal_error, render_failed};
use crate::identity::MaybeUser;
use crate::layout::{Chrome, Shown};
use crate::prefs::Prefs;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/search", get(search_page))
        .route("/api/v1/search", get(search_api))
}

/// Results per page.
const PAGE_SIZE: usize = 10;
/// Pages beyond this are not served (nobody reads them; deep paging costs).
const MAX_PAGE: usize = 100;

/// What the search form and links carry, read leniently: an unknown filter value is ignored,
/// a bad page number means the first page.
#[derive(Debug, Default, Clone)]
struct Params {
    q: String,
    department: Option<String>,
    event: Option<LifeEvent>,
    audience: Option<Audience>,
    channel: Option<Channel>,
    page: usize,
}

fn channel_from_key(key: &str) -> Option<Channel> {
    [Channel::Online, Channel::Hall]
        .into_iter()
        .find(|c| c.key() == key)
}

impl Params {
    fn parse(raw: Option<&str>) -> Params {
        let mut params = Params {
            page: 1,
            ..Params::default()
        };
        for (key, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            let value = value.trim();
            match key.as_ref() {
                "q" => params.q = value.to_owned(),
                "department" if !value.is_empty() && value.len() <= 16 => {
                    params.department = Some(value.to_owned())
                }
                "event" => params.event = LifeEvent::from_key(value),
                "audience" => params.audience = Audience::from_key(value),
                "channel" => params.channel = channel_from_key(value),
                "page" => params.page = value.parse().unwrap_or(1).clamp(1, MAX_PAGE),
                _ => {}
            }
        }
        params
    }

    fn has_filter(&self) -> bool {
        self.department.is_some()
            || self.event.is_some()
            || self.audience.is_some()
            || self.channel.is_some()
    }

    /// The URL of this search at another page.
    fn href(&self, page: usize) -> String {
        let mut url = form_urlencoded::Serializer::new(String::new());
        url.append_pair("q", &self.q);
        if let Some(d) = &self.department {
            url.append_pair("department", d);
        }
        if let Some(e) = self.event {
            url.append_pair("event", e.key());
        }
        if let Some(a) = self.audience {
            url.append_pair("audience", a.key());
        }
        if let Some(c) = self.channel {
            url.append_pair("channel", c.key());
        }
        if page > 1 {
            url.append_pair("page", &page.to_string());
        }
        format!("/search?{}", url.finish())
    }
}

/// Runs the search the parameters describe; the department filter only counts when the
/// department exists in the portal's region.
fn run(
    state: &AppState,
    params: &Params,
    locale: Locale,
    known_department: bool,
) -> Result<SearchResults, tongban_search::SearchError> {
    state.search.search(&SearchQuery {
        text: &params.q,
        locale,
        department: params.department.as_deref().filter(|_| known_department),
        life_event: params.event,
        audience: params.audience,
        channel: params.channel,
        offset: (params.page - 1) * PAGE_SIZE,
        limit: PAGE_SIZE,
    })
}

/// One result as the page shows it.
struct ResultRow<'a> {
    href: String,
    /// Name and snippet, already HTML-escaped with `<mark>` around matches.
    title_html: String,
    snippet_html: String,
    /// Set when the result is shown in another language than the page's (zh-CN fallback).
    lang: Option<&'static str>,
    department: Option<Shown<'a>>,
    channels: String,
}

/// One choice of a filter's drop-down.
struct FilterOption {
    value: String,
    label: String,
    selected: bool,
}

/// A filter: its field name, its label and its choices.
struct Filter {
    name: &'static str,
    label: String,
    options: Vec<FilterOption>,
}

#[derive(Template)]
#[template(path = "search/results.html")]
struct SearchPage<'a> {
    c: Chrome<'a>,
    q: String,
    /// A query was typed (otherwise only the filters are shown).
    searched: bool,
    summary: String,
    results: Vec<ResultRow<'a>>,
    filters: Vec<Filter>,
    no_results: bool,
    prev_href: Option<String>,
    next_href: Option<String>,
    page_label: String,
    hotline: Option<&'a str>,
    events: Vec<(&'static str, String)>,
}

fn with_count(label: String, count: Option<u64>) -> String {
    match count {
        Some(n) => format!("{label} ({n})"),
        None => label,
    }
}

fn count_of(counts: &[(String, u64)], key: &str) -> Option<u64> {
    counts.iter().find(|(k, _)| k == key).map(|(_, n)| *n)
}

async fn search_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = Params::parse(raw.as_deref());
    let snapshot = state.snapshots.current();
    let catalog = &snapshot.catalog;
    let known_department = params
        .department
        .as_deref()
        .is_some_and(|d| catalog.department(d).is_some());
    let searched = !params.q.is_empty() || params.has_filter();
    let results = if searched {
        match run(&state, &params, prefs.locale, known_department) {
            Ok(results) => results,
            Err(error) => return internal_error(&state, prefs, &error),
        }
    } else {
        SearchResults::default()
    };

    // A typed query that found nothing without any filter narrowing it is what people look for
    // and do not find: recorded (query, locale, time; personal identifiers are dropped by the
    // recorder) for the administrators' list of unmet queries, in batches off this request.
    let unfiltered = params.department.is_none()
        && params.event.is_none()
        && params.audience.is_none()
        && params.channel.is_none();
    if !params.q.is_empty() && params.page == 1 && results.total == 0 && unfiltered {
        state.search_misses.record(&params.q, prefs.locale);
    }

    let csrf = user
        .as_ref()
        .map(|u| Csrf::issue(&state.secret, Some(u), &headers).token);
    let c = chrome(&state, &snapshot, prefs, "/search").for_user(user.as_ref(), csrf);
    let tr = c.tr;
    let separator = tr.t("list-separator");

    let rows: Vec<ResultRow<'_>> = results
        .hits
        .iter()
        .filter_map(|hit| {
            let published = catalog.service(&hit.code)?;
            let s = &published.service;
            Some(ResultRow {
                href: format!("/services/{}", s.code),
                title_html: hit.title_html.clone(),
                snippet_html: hit.snippet_html.clone(),
                lang: (hit.locale != prefs.locale).then_some(hit.locale.tag()),
                department: catalog.department(&s.department).map(|d| c.lx(&d.name)),
                channels: s
                    .channels
                    .iter()
                    .map(|ch| tr.t(&format!("channel-{}", ch.key())))
                    .collect::<Vec<_>>()
                    .join(&separator),
            })
        })
        .collect();

    let counted = searched;
    let mut filters = Vec::new();
    filters.push(Filter {
        name: "department",
        label: tr.t("search-filter-department"),
        options: catalog
            .departments
            .iter()
            .map(|d| FilterOption {
                value: d.code.clone(),
                label: with_count(
                    c.l(&d.name).to_owned(),
                    counted.then(|| count_of(&results.departments, &d.code).unwrap_or(0)),
                ),
                selected: known_department && params.department.as_deref() == Some(&d.code),
            })
            .collect(),
    });
    filters.push(Filter {
        name: "event",
        label: tr.t("search-filter-event"),
        options: catalog
            .life_events()
            .into_iter()
            .map(|e| FilterOption {
                value: e.key().to_owned(),
                label: with_count(
                    tr.t(&format!("life-event-{}", e.key())),
                    counted.then(|| count_of(&results.life_events, e.key()).unwrap_or(0)),
                ),
                selected: params.event == Some(e),
            })
            .collect(),
    });
    filters.push(Filter {
        name: "audience",
        label: tr.t("search-filter-audience"),
        options: Audience::ALL
            .into_iter()
            .map(|a| FilterOption {
                value: a.key().to_owned(),
                label: with_count(
                    tr.t(&format!("audience-{}", a.key())),
                    counted.then(|| count_of(&results.audiences, a.key()).unwrap_or(0)),
                ),
                selected: params.audience == Some(a),
            })
            .collect(),
    });
    filters.push(Filter {
        name: "channel",
        label: tr.t("search-filter-channel"),
        options: [Channel::Online, Channel::Hall]
            .into_iter()
            .map(|ch| FilterOption {
                value: ch.key().to_owned(),
                label: with_count(
                    tr.t(&format!("channel-{}", ch.key())),
                    counted.then(|| count_of(&results.channels, ch.key()).unwrap_or(0)),
                ),
                selected: params.channel == Some(ch),
            })
            .collect(),
    });

    let pages = results.total.div_ceil(PAGE_SIZE).clamp(1, MAX_PAGE);
    let summary = if params.q.is_empty() {
        tr.t1("search-count-filtered", "count", results.total)
    } else {
        let mut args = FluentArgs::new();
        args.set("count", results.total);
        args.set("query", params.q.as_str());
        state
            .i18n
            .message(prefs.locale, "search-count", Some(&args))
    };
    let page_label = {
        let mut args = FluentArgs::new();
        args.set("page", params.page);
        args.set("pages", pages);
        state
            .i18n
            .message(prefs.locale, "search-page-of", Some(&args))
    };
    let events = catalog
        .life_events()
        .into_iter()
        .map(|e| (e.key(), tr.t(&format!("life-event-{}", e.key()))))
        .collect();
    let page = SearchPage {
        q: params.q.clone(),
        searched,
        summary,
        results: rows,
        filters,
        no_results: searched && results.total == 0,
        prev_href: (params.page > 1).then(|| params.href(params.page - 1)),
        next_href: (params.page < pages).then(|| params.href(params.page + 1)),
        page_label,
        hotline: catalog.region.contact.phone.as_deref(),
        events,
        c,
    };
    match page.render() {
        Ok(html) => {
            let mut response = (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, crate::HTML),
                    (header::CACHE_CONTROL, "private, no-store"),
                ],
                html,
            )
                .into_response();
            prefs.apply(&mut response, state.settings.secure_cookies);
            response
        }
        Err(error) => render_failed(&state, prefs, error),
    }
}

/// One result in the JSON answer.
#[derive(Serialize)]
struct ApiHit {
    code: String,
    /// The name as plain text.
    name: String,
    /// The best passage, HTML-escaped, with `<mark>` around matches.
    snippet: String,
    url: String,
}

#[derive(Serialize)]
struct ApiAnswer {
    query: String,
    total: usize,
    page: usize,
    results: Vec<ApiHit>,
}

/// `GET /api/v1/search?q=…[&lang=…&department=…&event=…&audience=…&channel=…&page=…]`.
async fn search_api(
    State(state): State<AppState>,
    prefs: Prefs,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = Params::parse(raw.as_deref());
    let snapshot = state.snapshots.current();
    let catalog = &snapshot.catalog;
    let known_department = params
        .department
        .as_deref()
        .is_some_and(|d| catalog.department(d).is_some());
    let results = if params.q.is_empty() && !params.has_filter() {
        SearchResults::default()
    } else {
        match run(&state, &params, prefs.locale, known_department) {
            Ok(results) => results,
            Err(error) => {
                let id = uuid::Uuid::now_v7().simple().to_string();
                tracing::error!(error_id = %id, error = %error, "search failed");
                let mut response = (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(serde_json::json!({
                        "type": "about:blank",
                        "title": "Search failed",
                        "status": 500,
                        "error_id": id,
                    })),
                )
                    .into_response();
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/problem+json"),
                );
                return response;
            }
        }
    };
    let total = results.total;
    let results = results
        .hits
        .into_iter()
        .filter_map(|hit| {
            let published = catalog.service(&hit.code)?;
            Some(ApiHit {
                name: published.service.name.get(prefs.locale).to_owned(),
                url: format!("/services/{}", hit.code),
                code: hit.code,
                snippet: hit.snippet_html,
            })
        })
        .collect();
    let mut response = Json(ApiAnswer {
        query: params.q,
        total,
        page: params.page,
        results,
    })
    .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
