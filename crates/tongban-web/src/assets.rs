//! Static assets compiled into the binary and served under content-hashed names, so browsers
//! may cache them for a year and a new release is fetched at once.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::Response;

use crate::pages::{Encoded, fnv1a};

/// The design system's stylesheet (logical properties only; see the test in `tests/`).
pub const STYLESHEET: &str = include_str!("../static/tongban.css");

pub struct Asset {
    /// The URL path, with the content hash in the file name.
    pub href: String,
    pub encoded: Encoded,
}

pub static CSS: LazyLock<Asset> = LazyLock::new(|| {
    let hash = format!("{:016x}", fnv1a(STYLESHEET.as_bytes()));
    Asset {
        href: format!("/static/tongban.{}.css", &hash[..12]),
        encoded: Encoded::new(
            axum::http::StatusCode::OK,
            "text/css; charset=utf-8",
            STYLESHEET.as_bytes().to_vec(),
        ),
    }
});

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Serves `/static/{file}` when the name matches the current hash; anything else is not found.
pub async fn serve_static(Path(file): Path<String>, headers: HeaderMap) -> Response {
    if format!("/static/{file}") == CSS.href {
        CSS.encoded.respond(&headers, IMMUTABLE)
    } else {
        crate::errors::not_found_plain()
    }
}
