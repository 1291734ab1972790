//! The visitor's display preferences: language and elder-friendly mode.
//!
//! The language comes from `?lang=`, then the `lang` cookie, then `Accept-Language`, then zh-CN.
//! A `?lang=` choice is remembered in the cookie. Elder-friendly mode (适老化) is a cookie set by
//! a plain link, so it works without JavaScript.

use std::convert::Infallible;

use axum::extract::{FromRequestParts, Query};
use axum::http::header::{ACCEPT_LANGUAGE, COOKIE, LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tongban_domain::Locale;

pub const LANG_COOKIE: &str = "lang";
pub const ELDER_COOKIE: &str = "elder";
const ONE_YEAR: u32 = 365 * 24 * 3600;

/// Preferences resolved for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefs {
    pub locale: Locale,
    pub elder: bool,
    /// The locale was chosen by `?lang=` and should be remembered.
    pub remember_locale: bool,
}

impl Prefs {
    pub fn resolve(query: Option<&str>, headers: &HeaderMap) -> Prefs {
        let from_query = query
            .and_then(|q| query_param(q, "lang"))
            .and_then(Locale::from_tag);
        let from_cookie = cookie(headers, LANG_COOKIE).and_then(Locale::from_tag);
        let from_header = headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Locale::negotiate);
        let locale = from_query
            .or(from_cookie)
            .or(from_header)
            .unwrap_or(Locale::DEFAULT);
        Prefs {
            locale,
            elder: cookie(headers, ELDER_COOKIE) == Some("1"),
            remember_locale: from_query.is_some() && from_query != from_cookie,
        }
    }

    /// Adds the `Set-Cookie` that remembers a language chosen in the URL.
    pub fn apply(&self, response: &mut Response, secure: bool) {
        if self.remember_locale
            && let Ok(value) =
                HeaderValue::from_str(&preference_cookie(LANG_COOKIE, self.locale.tag(), secure))
        {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Prefs {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Prefs::resolve(parts.uri.query(), &parts.headers))
    }
}

fn preference_cookie(name: &str, value: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; Max-Age={ONE_YEAR}; SameSite=Lax{secure}")
}

/// The value of cookie `name`, if the request carries it.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// The first value of query parameter `name`, percent-decoding not needed for locale tags.
pub fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

#[derive(Debug, Deserialize)]
pub struct ElderToggle {
    /// `on` switches the mode on; anything else (or nothing) switches it off.
    mode: Option<String>,
    /// Where to return: a local path only.
    back: Option<String>,
}

/// `GET /preferences/elder?mode=on&back=/path`: switches elder-friendly mode and returns.
pub async fn toggle_elder(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    Query(toggle): Query<ElderToggle>,
) -> Response {
    let on = toggle.mode.as_deref() == Some("on");
    let back = toggle
        .back
        .as_deref()
        .filter(|b| is_local_path(b))
        .unwrap_or("/");
    let cookie = if on {
        preference_cookie(ELDER_COOKIE, "1", state.settings.secure_cookies)
    } else {
        format!("{ELDER_COOKIE}=; Path=/; Max-Age=0; SameSite=Lax")
    };
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let (Ok(location), Ok(cookie)) =
        (HeaderValue::from_str(back), HeaderValue::from_str(&cookie))
    {
        response.headers_mut().insert(LOCATION, location);
        response.headers_mut().insert(SET_COOKIE, cookie);
    }
    response
}

/// A path on this site: starts with one `/`, so `//evil.example` and `https://…` are refused.
pub fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && path.len() <= 2048
        && path.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn query_beats_cookie_beats_header() {
        let h = headers(&[("cookie", "a=1; lang=bo"), ("accept-language", "en")]);
        assert_eq!(Prefs::resolve(Some("lang=ug"), &h).locale, Locale::Ug);
        assert!(Prefs::resolve(Some("lang=ug"), &h).remember_locale);
        assert_eq!(Prefs::resolve(None, &h).locale, Locale::Bo);
        assert!(!Prefs::resolve(Some("lang=bo"), &h).remember_locale);
        let h = headers(&[("accept-language", "en-GB,en;q=0.9")]);
        assert_eq!(Prefs::resolve(Some("x=1"), &h).locale, Locale::En);
        assert_eq!(Prefs::resolve(Some("lang=xx"), &h).locale, Locale::En);
        assert_eq!(Prefs::resolve(None, &HeaderMap::new()).locale, Locale::ZhCn);
    }

    #[test]
    fn elder_mode_comes_from_its_cookie() {
        assert!(Prefs::resolve(None, &headers(&[("cookie", "elder=1")])).elder);
        assert!(!Prefs::resolve(None, &headers(&[("cookie", "elder=0")])).elder);
    }

    #[test]
    fn only_local_paths_are_returned_to() {
        assert!(is_local_path("/services/GA0001?lang=en"));
        assert!(!is_local_path("//evil.example/"));
        assert!(!is_local_path("/\\evil.example"));
        assert!(!is_local_path("https://evil.example/"));
        assert!(!is_local_path("/a b"));
    }
}
