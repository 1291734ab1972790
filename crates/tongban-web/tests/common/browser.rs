//! A cookie-keeping browser over the router, and signing in as demo accounts (with the demo
//! staff's computable authenticator codes).

use axum::body::Body;
use axum::http::{Request, StatusCode};

use super::*;

/// A browser: keeps cookies between requests.
pub struct Browser {
    pub app: axum::Router,
    pub cookies: Vec<(String, String)>,
}

impl Browser {
    pub fn new(app: axum::Router) -> Browser {
        Browser {
            app,
            cookies: Vec::new(),
        }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn keep(&mut self, reply: &Reply) {
        for value in reply.headers.get_all("set-cookie") {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(k, _)| k != name);
            if !value.is_empty() && !text.contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    pub async fn get(&mut self, uri: &str) -> Reply {
        let reply = get_with(
            &self.app,
            uri,
            &[("cookie", &self.cookie_header()), ("accept-language", "en")],
        )
        .await;
        self.keep(&reply);
        reply
    }

    pub async fn post(&mut self, uri: &str, form: &[(&str, &str)]) -> Reply {
        let body = form
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let reply = send(
            &self.app,
            Request::post(uri)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("cookie", self.cookie_header())
                .header("accept-language", "en")
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
        self.keep(&reply);
        reply
    }

    /// The value of a cookie this browser holds.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    /// Posts a form with this browser's CSRF token, read from `page`.
    pub async fn submit(&mut self, page: &str, uri: &str, form: &[(&str, &str)]) -> Reply {
        let html = self.get(page).await.text();
        let csrf = csrf_of(&html);
        let mut fields = form.to_vec();
        fields.push(("csrf", &csrf));
        self.post(uri, &fields).await
    }

    pub fn has_cookie(&self, name: &str) -> bool {
        self.cookies.iter().any(|(k, _)| k == name)
    }
}

pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The CSRF token in a page's forms.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("page has a CSRF field") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

pub async fn signed_in(app: axum::Router, who: &str) -> Browser {
    let mut browser = Browser::new(app);
    let page = browser.get("/login").await;
    let csrf = csrf_of(&page.text());
    let reply = browser
        .post(
            "/login",
            &[
                ("identifier", who),
                ("password", DEMO_PASSWORD),
                ("csrf", &csrf),
                ("next", "/account"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    // Staff owe the second factor: the demo staff's authenticator codes are computable here.
    let next = browser.get("/account").await;
    if next
        .header("location")
        .is_some_and(|l| l.starts_with("/login/second-factor"))
    {
        pass_second_factor(&mut browser, who).await;
    }
    browser
}

/// Enters the demo authenticator's code; a code already used in this step is refused (no
/// replays), so a second sign-in in the same test uses the next step, still within the window.
pub async fn pass_second_factor(browser: &mut Browser, who: &str) {
    use tongban_services::crypto::{BlindIndex, totp_at_step, totp_step};
    let secret =
        tongban_services::identity::mfa::demo_totp_secret(&BlindIndex::derive(&SECRET), who);
    let page = browser.get("/login/second-factor").await;
    let csrf = csrf_of(&page.text());
    let now = totp_step(clock().0.timestamp());
    for step in [now, now + 1, now - 1] {
        let code = totp_at_step(&secret, step, 6);
        let reply = browser
            .post("/login/second-factor", &[("code", &code), ("csrf", &csrf)])
            .await;
        if reply.status == StatusCode::SEE_OTHER {
            return;
        }
    }
    panic!("no demo code was accepted for {who}");
}

/// A multipart body with text fields and one file.
pub fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----tongbanTestBoundary7MA4YWxk";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((name, filename, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: application/pdf\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub async fn post_multipart(
    browser: &mut Browser,
    path: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &str, &[u8])>,
) -> Reply {
    let (content_type, body) = multipart(fields, file);
    let reply = send(
        &browser.app,
        Request::post(path)
            .header("content-type", content_type)
            .header("cookie", browser.cookie_header())
            .header("accept-language", "en")
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    browser.keep(&reply);
    reply
}
