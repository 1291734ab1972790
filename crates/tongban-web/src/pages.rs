//! Rendered pages kept in memory with their gzip and brotli variants, so a public page is served
//! by a hash lookup instead of a render and a compression per request.
//!
//! The cache belongs to one catalogue snapshot: when the snapshot is replaced, the cache is
//! replaced with it, so no page outlives the data it was rendered from.

use std::collections::HashMap;
use std::io::Write;
use std::sync::RwLock;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use tongban_domain::Locale;

/// Which variant of a page: its path, language and display mode.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub path: String,
    pub locale: Locale,
    pub elder: bool,
}

/// A rendered body with precomputed compressed variants and a validator.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub identity: Bytes,
    pub gzip: Bytes,
    pub brotli: Bytes,
    pub etag: HeaderValue,
}

impl Encoded {
    /// Compresses `body` once, at the quality a cached page deserves.
    pub fn new(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Encoded {
        let gzip = {
            let mut encoder = flate2::write::GzEncoder::new(
                Vec::with_capacity(body.len() / 4),
                flate2::Compression::best(),
            );
            // Writing to a Vec cannot fail.
            let _ = encoder.write_all(&body);
            encoder.finish().unwrap_or_default()
        };
        let brotli = {
            let mut out = Vec::with_capacity(body.len() / 4);
            let params = brotli::enc::BrotliEncoderParams {
                quality: 9,
                lgwin: 22,
                ..Default::default()
            };
            let _ = brotli::BrotliCompress(&mut body.as_slice(), &mut out, &params);
            out
        };
        let etag = HeaderValue::from_str(&format!("\"{:016x}\"", fnv1a(&body)))
            .unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
        Encoded {
            status,
            content_type,
            identity: Bytes::from(body),
            gzip: Bytes::from(gzip),
            brotli: Bytes::from(brotli),
            etag,
        }
    }

    /// The best variant for the request's `Accept-Encoding`, honouring `If-None-Match`.
    pub fn respond(&self, request: &HeaderMap, cache_control: &'static str) -> Response {
        let mut response = if self.status == StatusCode::OK
            && request
                .get(header::IF_NONE_MATCH)
                .is_some_and(|v| etag_matches(v.as_bytes(), self.etag.as_bytes()))
        {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            let (encoding, body) = match preferred_encoding(request) {
                Encoding::Brotli => (Some("br"), self.brotli.clone()),
                Encoding::Gzip => (Some("gzip"), self.gzip.clone()),
                Encoding::Identity => (None, self.identity.clone()),
            };
            let mut response = (self.status, body).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(self.content_type),
            );
            if let Some(encoding) = encoding {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
            }
            response
        };
        let headers = response.headers_mut();
        headers.insert(header::ETAG, self.etag.clone());
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache_control),
        );
        headers.insert(
            header::VARY,
            HeaderValue::from_static("Accept-Encoding, Accept-Language, Cookie"),
        );
        response
    }
}

fn etag_matches(if_none_match: &[u8], etag: &[u8]) -> bool {
    if_none_match == b"*"
        || if_none_match
            .split(|&b| b == b',')
            .map(|t| t.trim_ascii())
            .any(|t| t == etag || t.strip_prefix(b"W/") == Some(etag))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

/// Brotli when acceptable, else gzip, else none; `q=0` excludes an encoding.
pub fn preferred_encoding(request: &HeaderMap) -> Encoding {
    let Some(accept) = request
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return Encoding::Identity;
    };
    let mut brotli = false;
    let mut gzip = false;
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim();
        let refused = parts.any(|p| {
            let p = p.trim();
            p.strip_prefix("q=").is_some_and(|q| {
                q.trim().trim_end_matches('0').trim_end_matches('.') == "0" || q.trim() == "0"
            })
        });
        if refused {
            continue;
        }
        if coding.eq_ignore_ascii_case("br") {
            brotli = true;
        } else if coding.eq_ignore_ascii_case("gzip") || coding == "*" {
            gzip = true;
        }
    }
    if brotli {
        Encoding::Brotli
    } else if gzip {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// FNV-1a, enough to tell versions of a page apart for `ETag`.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Rendered pages of the current snapshot. Bounded so a crawler cannot grow it without limit.
#[derive(Debug, Default)]
pub struct PageCache {
    pages: RwLock<HashMap<PageKey, std::sync::Arc<Encoded>>>,
}

/// More variants than a province's catalogue in four languages and two modes needs often.
const MAX_PAGES: usize = 50_000;

impl PageCache {
    pub fn get(&self, key: &PageKey) -> Option<std::sync::Arc<Encoded>> {
        self.pages
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned()
    }

    pub fn insert(&self, key: PageKey, page: Encoded) -> std::sync::Arc<Encoded> {
        let page = std::sync::Arc::new(page);
        let mut pages = self.pages.write().unwrap_or_else(|p| p.into_inner());
        if pages.len() >= MAX_PAGES {
            pages.clear();
        }
        pages.insert(key, page.clone());
        page
    }

    pub fn len(&self) -> usize {
        self.pages.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(accept: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(accept).unwrap(),
        );
        h
    }

    #[test]
    fn encodings_are_negotiated() {
        assert_eq!(preferred_encoding(&HeaderMap::new()), Encoding::Identity);
        assert_eq!(
            preferred_encoding(&headers("gzip, deflate, br")),
            Encoding::Brotli
        );
        assert_eq!(preferred_encoding(&headers("gzip")), Encoding::Gzip);
        assert_eq!(
            preferred_encoding(&headers("br;q=0, gzip;q=0.5")),
            Encoding::Gzip
        );
        assert_eq!(
            preferred_encoding(&headers("br;q=0.0, gzip;q=0")),
            Encoding::Identity
        );
        assert_eq!(preferred_encoding(&headers("identity")), Encoding::Identity);
    }

    #[test]
    fn variants_decompress_to_the_page() {
        use std::io::Read;
        let body = "<p>示范市</p>".repeat(200).into_bytes();
        let page = Encoded::new(StatusCode::OK, "text/html; charset=utf-8", body.clone());
        let mut gunzipped = Vec::new();
        flate2::read::GzDecoder::new(&page.gzip[..])
            .read_to_end(&mut gunzipped)
            .unwrap();
        assert_eq!(gunzipped, body);
        let mut unbrotli = Vec::new();
        brotli::BrotliDecompress(&mut &page.brotli[..], &mut unbrotli).unwrap();
        assert_eq!(unbrotli, body);
        assert!(page.brotli.len() < body.len() / 4);
    }

    #[test]
    fn etags_match_lists_and_weak_forms() {
        assert!(etag_matches(b"\"a\"", b"\"a\""));
        assert!(etag_matches(b"\"b\", W/\"a\"", b"\"a\""));
        assert!(etag_matches(b"*", b"\"a\""));
        assert!(!etag_matches(b"\"b\"", b"\"a\""));
    }
}
