//! A minimal HTTP GET for the certificate verifier: issuer metadata and status list tokens.
//!
//! Plain HTTP/1.1 over hyper's connection API (already in the binary for `tongban bench`).
//! There is no TLS stack in the dependency tree, so `https` URLs are refused with an error
//! that tells the user to download the file and pass it with `--jwks` or `--status`. Every
//! fetch is bounded: 5 seconds for the whole exchange, 1 MB of body, no redirects followed
//! (a redirect could point anywhere; the platform answers these URLs directly).

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::Request;
use hyper::Uri;
use hyper::header::{ACCEPT, CONTENT_LENGTH, HOST, USER_AGENT};
use hyper_util::rt::TokioIo;

/// The longest a fetch may take, from connecting to the last byte of the body.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// The largest body accepted: issuer metadata is a few KB, a status list of a million
/// entries about 20 KB (docs/certificates.md, Measured).
pub const MAX_BODY: usize = 1024 * 1024;

/// Why a document could not be fetched. The messages end up in the verdict's reason.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{0} is an https URL and this verifier has no TLS client")]
    Https(String),
    #[error("{0} is not an absolute http URL")]
    BadUrl(String),
    #[error("cannot connect to {url}: {source}")]
    Connect { url: String, source: std::io::Error },
    #[error("{url}: {source}")]
    Http { url: String, source: hyper::Error },
    #[error("{0} did not answer within 5 seconds")]
    Timeout(String),
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{0} answered more than 1 MB")]
    TooLarge(String),
    #[error("{0} answered a body that is not UTF-8 text")]
    NotText(String),
}

impl FetchError {
    /// Whether the user can work around this by downloading the file themselves.
    pub fn is_https(&self) -> bool {
        matches!(self, FetchError::Https(_))
    }
}

/// `GET url` with `Accept: accept`; the body as text when the answer is 200.
pub async fn get_text(url: &str, accept: &str) -> Result<String, FetchError> {
    let uri: Uri = url
        .parse()
        .map_err(|_| FetchError::BadUrl(url.to_owned()))?;
    match uri.scheme_str() {
        Some("http") => {}
        Some("https") => return Err(FetchError::Https(url.to_owned())),
        _ => return Err(FetchError::BadUrl(url.to_owned())),
    }
    let authority = uri
        .authority()
        .filter(|a| !a.as_str().contains('@') && !a.host().is_empty())
        .ok_or_else(|| FetchError::BadUrl(url.to_owned()))?
        .clone();
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    // `Authority::host` keeps the brackets of an IPv6 literal; the socket address wants none.
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = authority.port_u16().unwrap_or(80);

    let exchange = async {
        let stream = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|source| FetchError::Connect {
                url: url.to_owned(),
                source,
            })?;
        let http = |source| FetchError::Http {
            url: url.to_owned(),
            source,
        };
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(http)?;
        let driver = tokio::spawn(connection);
        let request = Request::get(path)
            .header(HOST, authority.as_str())
            .header(ACCEPT, accept)
            .header(
                USER_AGENT,
                concat!("tongban-certificate-verify/", env!("CARGO_PKG_VERSION")),
            )
            .body(Empty::<Bytes>::new())
            .map_err(|_| FetchError::BadUrl(url.to_owned()))?;
        let response = sender.send_request(request).await.map_err(http)?;
        let status = response.status().as_u16();
        if status != 200 {
            driver.abort();
            return Err(FetchError::Status {
                url: url.to_owned(),
                status,
            });
        }
        let announced = response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if announced.is_some_and(|length| length > MAX_BODY as u64) {
            driver.abort();
            return Err(FetchError::TooLarge(url.to_owned()));
        }
        let body = Limited::new(response.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|error| match error.downcast::<hyper::Error>() {
                Ok(source) => FetchError::Http {
                    url: url.to_owned(),
                    source: *source,
                },
                // The only other error `Limited` produces is its length limit.
                Err(_) => FetchError::TooLarge(url.to_owned()),
            })?
            .to_bytes();
        driver.abort();
        String::from_utf8(body.to_vec()).map_err(|_| FetchError::NotText(url.to_owned()))
    };
    tokio::time::timeout(TIMEOUT, exchange)
        .await
        .map_err(|_| FetchError::Timeout(url.to_owned()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn only_absolute_http_urls_are_fetched() {
        let runtime = runtime();
        for (url, https) in [
            ("https://tongban.example/departments/sj", true),
            ("ftp://tongban.example/x", false),
            ("/departments/sj", false),
            ("http://user@127.0.0.1:1/x", false),
            ("not a url", false),
        ] {
            let error = runtime.block_on(get_text(url, "*/*")).unwrap_err();
            assert_eq!(error.is_https(), https, "{url}: {error}");
            if !https {
                assert!(matches!(error, FetchError::BadUrl(_)), "{url}: {error}");
            }
        }
    }
}
