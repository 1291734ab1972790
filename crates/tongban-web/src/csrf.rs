//! Protection against cross-site request forgery for every state-changing form.
//!
//! A form carries a token that is an HMAC, under the platform secret, of what binds it to the
//! browser: the session (signed in) or a random `tb_csrf` cookie (signed out, e.g. the sign-in
//! form). A forged cross-site form cannot know it; session cookies are also `SameSite=Lax`.

use axum::http::{HeaderMap, HeaderValue, header::SET_COOKIE};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tongban_services::crypto::{constant_time_eq, hmac_sha256, random_bytes};
use tongban_services::identity::CurrentUser;

use crate::prefs::cookie;

pub const SEED_COOKIE: &str = "tb_csrf";
/// The form field every state-changing form carries.
pub const FIELD: &str = "csrf";

/// The token for this browser, and the seed cookie to set if the browser has none yet.
#[derive(Debug, Clone)]
pub struct Csrf {
    pub token: String,
    new_seed: Option<String>,
}

impl Csrf {
    /// Issues the token for a page that shows a form.
    pub fn issue(secret: &[u8; 32], user: Option<&CurrentUser>, headers: &HeaderMap) -> Csrf {
        match user {
            Some(user) => Csrf {
                token: token_for(secret, "session", &user.session_hash),
                new_seed: None,
            },
            None => match cookie(headers, SEED_COOKIE).filter(|s| valid_seed(s)) {
                Some(seed) => Csrf {
                    token: token_for(secret, "seed", seed),
                    new_seed: None,
                },
                None => {
                    let seed = URL_SAFE_NO_PAD.encode(random_bytes::<16>().unwrap_or_default());
                    Csrf {
                        token: token_for(secret, "seed", &seed),
                        new_seed: Some(seed),
                    }
                }
            },
        }
    }

    /// Sets the seed cookie when this token needs one.
    pub fn apply(&self, response: &mut Response, secure: bool) {
        if let Some(seed) = &self.new_seed {
            let secure = if secure { "; Secure" } else { "" };
            if let Ok(value) = HeaderValue::from_str(&format!(
                "{SEED_COOKIE}={seed}; Path=/; HttpOnly; SameSite=Lax{secure}"
            )) {
                response.headers_mut().append(SET_COOKIE, value);
            }
        }
    }
}

/// Whether a submitted token belongs to this browser.
pub fn verify(
    secret: &[u8; 32],
    user: Option<&CurrentUser>,
    headers: &HeaderMap,
    submitted: &str,
) -> bool {
    let expected = match user {
        Some(user) => token_for(secret, "session", &user.session_hash),
        None => match cookie(headers, SEED_COOKIE).filter(|s| valid_seed(s)) {
            Some(seed) => token_for(secret, "seed", seed),
            None => return false,
        },
    };
    constant_time_eq(expected.as_bytes(), submitted.as_bytes())
}

fn valid_seed(seed: &str) -> bool {
    (16..=64).contains(&seed.len())
        && seed
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn token_for(secret: &[u8; 32], kind: &str, binding: &str) -> String {
    URL_SAFE_NO_PAD.encode(hmac_sha256(
        secret,
        format!("csrf|{kind}|{binding}").as_bytes(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_bound_to_the_browser_and_the_secret() {
        let secret = [1u8; 32];
        let fresh = Csrf::issue(&secret, None, &HeaderMap::new());
        let seed = fresh.new_seed.clone().expect("a new browser gets a seed");
        let mut headers = HeaderMap::new();
        headers.insert(
            "cookie",
            HeaderValue::from_str(&format!("{SEED_COOKIE}={seed}")).unwrap(),
        );
        assert!(verify(&secret, None, &headers, &fresh.token));
        assert!(!verify(&[2u8; 32], None, &headers, &fresh.token));
        assert!(
            !verify(&secret, None, &HeaderMap::new(), &fresh.token),
            "no cookie, no pass"
        );
        assert!(!verify(&secret, None, &headers, ""));
        let again = Csrf::issue(&secret, None, &headers);
        assert_eq!(again.token, fresh.token);
        assert!(again.new_seed.is_none());
    }
}
