//! The public portal of the service catalogue: home, departments, life events, audiences and
//! service guides (办事指南), all rendered from the in-memory snapshot and cached per language.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tongban_services::identity::CurrentUser;

use crate::csrf::Csrf;
use crate::identity::MaybeUser;
use axum::routing::get;
use tongban_domain::catalog::{Audience, Channel, Department, Hall, LifeEvent, Service};

use crate::errors::{not_found, render_failed};
use crate::layout::Chrome;
use crate::pages::{Encoded, PageKey};
use crate::prefs::Prefs;
use crate::state::{AppState, Snapshot};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/departments", get(departments))
        .route("/departments/{slug}", get(department))
        .route("/services/{code}", get(service))
        .route("/life-events/{event}", get(life_event))
        .route("/audiences/{audience}", get(audience))
        .route("/accessibility", get(accessibility))
}

/// Public pages may be stored by the browser but must be revalidated: they change on publish.
const PUBLIC_PAGE: &str = "private, no-cache";

/// Serves the page at `path` from the snapshot's cache, rendering it once per language and mode.
fn cached(
    state: &AppState,
    snapshot: &Snapshot,
    prefs: Prefs,
    user: Option<&CurrentUser>,
    path: &str,
    headers: &HeaderMap,
    render: impl FnOnce(Chrome<'_>) -> Result<String, askama::Error>,
) -> Response {
    if let Some(user) = user {
        // A signed-in view carries the user's name and a sign-out form: rendered per request,
        // never cached, compressed on the way out.
        let csrf = Csrf::issue(&state.secret, Some(user), headers);
        let c = chrome(state, snapshot, prefs, path).for_user(Some(user), Some(csrf.token));
        return match render(c) {
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
            Err(error) => render_failed(state, prefs, error),
        };
    }
    let key = PageKey {
        path: path.to_owned(),
        locale: prefs.locale,
        elder: prefs.elder,
    };
    let page = match snapshot.pages.get(&key) {
        Some(page) => page,
        None => {
            let chrome = chrome(state, snapshot, prefs, path);
            match render(chrome) {
                Ok(html) => snapshot.pages.insert(
                    key,
                    Encoded::new(StatusCode::OK, crate::HTML, html.into_bytes()),
                ),
                Err(error) => return render_failed(state, prefs, error),
            }
        }
    };
    let mut response = page.respond(headers, PUBLIC_PAGE);
    prefs.apply(&mut response, state.settings.secure_cookies);
    response
}

pub(crate) fn chrome<'a>(
    state: &'a AppState,
    snapshot: &'a Snapshot,
    prefs: Prefs,
    path: &'a str,
) -> Chrome<'a> {
    Chrome::new(
        state.i18n.tr(prefs.locale),
        prefs,
        state.demo(),
        &crate::assets::CSS.href,
        path,
        &snapshot.catalog,
    )
}

pub struct AudienceCard {
    pub key: &'static str,
    pub label: String,
    pub hint: String,
    pub count: usize,
}

pub struct EventCard {
    pub key: &'static str,
    pub label: String,
    pub count: usize,
}

#[derive(Template)]
#[template(path = "catalog/home.html")]
struct HomePage<'a> {
    c: Chrome<'a>,
    audiences: Vec<AudienceCard>,
    events: Vec<EventCard>,
}

async fn home(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Response {
    let snapshot = state.snapshots.current();
    cached(
        &state,
        &snapshot,
        prefs,
        user.as_ref(),
        "/",
        &headers,
        |c| {
            let catalog = c.catalog;
            let audiences = Audience::ALL
                .into_iter()
                .map(|a| AudienceCard {
                    key: a.key(),
                    label: c.tr.t(&format!("audience-{}", a.key())),
                    hint: c.tr.t(&format!("audience-{}-hint", a.key())),
                    count: catalog.services_for_audience(a).count(),
                })
                .collect();
            let events = catalog
                .life_events()
                .into_iter()
                .map(|e| EventCard {
                    key: e.key(),
                    label: c.tr.t(&format!("life-event-{}", e.key())),
                    count: catalog.services_for_event(e).count(),
                })
                .collect();
            HomePage {
                c,
                audiences,
                events,
            }
            .render()
        },
    )
}

#[derive(Template)]
#[template(path = "catalog/departments.html")]
struct DepartmentsPage<'a> {
    c: Chrome<'a>,
}

async fn departments(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Response {
    let snapshot = state.snapshots.current();
    cached(
        &state,
        &snapshot,
        prefs,
        user.as_ref(),
        "/departments",
        &headers,
        |c| DepartmentsPage { c }.render(),
    )
}

#[derive(Template)]
#[template(path = "catalog/department.html")]
struct DepartmentPage<'a> {
    c: Chrome<'a>,
    d: &'a Department,
    halls: Vec<&'a Hall>,
}

async fn department(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Response {
    let snapshot = state.snapshots.current();
    let Some(d) = snapshot.catalog.department_by_slug(&slug) else {
        return not_found(&state, prefs);
    };
    let path = format!("/departments/{}", d.slug);
    cached(
        &state,
        &snapshot,
        prefs,
        user.as_ref(),
        &path,
        &headers,
        |c| {
            let halls = d.halls.iter().filter_map(|h| c.catalog.hall(h)).collect();
            DepartmentPage { c, d, halls }.render()
        },
    )
}

#[derive(Template)]
#[template(path = "catalog/service_list.html")]
struct ServiceListPage<'a> {
    c: Chrome<'a>,
    heading: String,
    intro: String,
    services: Vec<&'a Service>,
}

async fn life_event(
    State(state): State<AppState>,
    Path(key): Path<String>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Response {
    let Some(event) = LifeEvent::from_key(&key) else {
        return not_found(&state, prefs);
    };
    let snapshot = state.snapshots.current();
    let path = format!("/life-events/{}", event.key());
    cached(
        &state,
        &snapshot,
        prefs,
        user.as_ref(),
        &path,
        &headers,
        |c| {
            let heading = c.tr.t(&format!("life-event-{}", event.key()));
            let intro = c.tr.t1("life-event-intro", "event", heading.as_str());
            let services = c.catalog.services_for_event(event).collect();
            ServiceListPage {
                c,
                heading,
                intro,
                services,
            }
            .render()
        },
    )
}

async fn audience(
    State(state): State<AppState>,
    Path(key): Path<String>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Response {
    let Some(audience) = Audience::from_key(&key) else {
        return not_found(&state, prefs);
    };
    let snapshot = state.snapshots.current();
    let path = format!("/audiences/{}", audience.key());
    cached(
        &state,
        &snapshot,
        prefs,
        user.as_ref(),
        &path,
        &headers,
        |c| {
            let heading = c.tr.t(&format!("audience-{}", audience.key()));
            let intro = c.tr.t(&format!("audience-{}-hint", audience.key()));
            let services = c.catalog.services_for_audience(audience).collect();
            ServiceListPage {
                c,
                heading,
                intro,
                services,
            }
            .render()
        },
    )
}

#[derive(Template)]
#[template(path = "catalog/service.html")]
struct ServicePage<'a> {
    c: Chrome<'a>,
    s: &'a Service,
    department: Option<&'a Department>,
    halls: Vec<&'a Hall>,
    kind_key: String,
    audiences: String,
    channels: String,
    channel_lines: Vec<String>,
    fee_summary: String,
    version_line: String,
    banner: Option<String>,
}

async fn service(
    State(state): State<AppState>,
    Path(code): Path<String>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Response {
    let snapshot = state.snapshots.current();
    let Some(published) = snapshot.catalog.service(&code) else {
        return not_found(&state, prefs);
    };
    let s = &published.service;
    let path = format!("/services/{}", s.code);
    cached(
        &state,
        &snapshot,
        prefs,
        user.as_ref(),
        &path,
        &headers,
        |c| {
            let version_line = match published.effective_from {
                Some(from) => c.tr.t1(
                    "guide-version-since",
                    "version",
                    format!(
                        "{} · {}",
                        published.version,
                        crate::layout::local_date(from)
                    ),
                ),
                None => {
                    c.tr.t1("guide-version", "version", i64::from(published.version))
                }
            };
            render_service(c, s, version_line, None)
        },
    )
}

/// The guide page of `s`: the public page, a draft's preview and an older version all render
/// through here, so a preview looks exactly like what will be published. `banner` says which
/// of these the page is when it is not the version in force.
pub(crate) fn render_service(
    c: Chrome<'_>,
    s: &Service,
    version_line: String,
    banner: Option<String>,
) -> Result<String, askama::Error> {
    let tr = c.tr;
    let separator = tr.t("list-separator");
    let audiences = s
        .audiences
        .iter()
        .map(|a| tr.t(&format!("audience-{}", a.key())))
        .collect::<Vec<_>>()
        .join(&separator);
    let channels = s
        .channels
        .iter()
        .map(|ch| tr.t(&format!("channel-{}", ch.key())))
        .collect::<Vec<_>>()
        .join(&separator);
    let channel_lines = s
        .channels
        .iter()
        .map(|ch| match ch {
            Channel::Online => tr.t("channel-online-how"),
            Channel::Hall => tr.t("channel-hall-how"),
        })
        .collect();
    let fee_summary = s
        .fees
        .iter()
        .map(|fee| format!("{} {}", c.l(&fee.item), fee.amount))
        .collect::<Vec<_>>()
        .join(&separator);
    ServicePage {
        department: c.catalog.department(&s.department),
        halls: c.catalog.halls_for(s),
        kind_key: format!("kind-{}", s.kind.key()),
        c,
        s,
        audiences,
        channels,
        channel_lines,
        fee_summary,
        version_line,
        banner,
    }
    .render()
}

#[derive(Template)]
#[template(path = "catalog/accessibility.html")]
struct AccessibilityPage<'a> {
    c: Chrome<'a>,
}

async fn accessibility(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Response {
    let snapshot = state.snapshots.current();
    cached(
        &state,
        &snapshot,
        prefs,
        user.as_ref(),
        "/accessibility",
        &headers,
        |c| AccessibilityPage { c }.render(),
    )
}
