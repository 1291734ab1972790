//! `tongban certificate verify`: checks an e-certificate (SD-JWT VC) the way any verifier
//! would, offline from files or online from the issuing platform.
//!
//! All cryptography and every verdict come from `tongban_domain::certificates`
//! (`verify_with_status`); this module only finds the inputs (the issuer's keys, the status
//! list token), fetches them over plain HTTP when they were not given ([`fetch`]), and reports
//! the verdict to a person or, with `--json`, to a program. Each verdict has its own exit code
//! (see [`Kind::exit_code`]) so scripts can tell "revoked" from "could not check".
//!
//! The issuer named in the certificate is read before its signature is checked, only to know
//! where to fetch keys from; nothing else is trusted before the signature verifies.

mod fetch;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use chrono::{DateTime, SecondsFormat, Utc};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use tongban_domain::certificates::jose::MAX_TOKEN_LEN;
use tongban_domain::certificates::sdjwt::verify_with_status;
use tongban_domain::certificates::{
    DEFAULT_LEEWAY, ForgeryReason, JoseError, Jwks, RevocationCheck, Status, StatusEvidence,
    Verdict, VerifiedCertificate,
};
use tongban_domain::clock::{Clock, SystemClock};

use fetch::FetchError;

/// Exit code for bad arguments and unreadable input files (sysexits' `EX_USAGE`).
pub const EXIT_USAGE: u8 = 64;

/// The media type a status list URI answers with (draft-ietf-oauth-status-list).
const STATUS_LIST_MEDIA_TYPE: &str = "application/statuslist+jwt";

#[derive(Subcommand)]
pub enum CertificateCommand {
    /// Verify a certificate: signature, disclosures, validity period and revocation.
    ///
    /// Exit codes: 0 valid; 10 forged; 11 expired; 12 not yet valid; 13 revoked;
    /// 14 suspended; 15 revocation state unknown; 16 issuer keys unavailable; 64 bad
    /// arguments or unreadable files.
    Verify(VerifyArgs),
}

#[derive(Args)]
pub struct VerifyArgs {
    /// A file holding the certificate (compact SD-JWT), `-` for standard input, or the token
    /// itself (anything containing `~`).
    #[arg(value_name = "FILE|TOKEN")]
    certificate: String,
    /// The issuer's keys: a JWKS file, or a JWT VC issuer metadata file (`{"issuer", "jwks"}`).
    /// Without it, the keys are fetched from the issuer metadata URL of the certificate's `iss`.
    #[arg(long, value_name = "FILE")]
    jwks: Option<PathBuf>,
    /// A downloaded status list token (a snapshot of the certificate's status list URI).
    /// Without it, the status list is fetched from the URI the certificate names.
    #[arg(long, value_name = "FILE", conflicts_with = "no_status")]
    status: Option<PathBuf>,
    /// Do not check revocation. A certificate is then reported valid although it may have
    /// been revoked; use it only when you know why.
    #[arg(long)]
    no_status: bool,
    /// Never use the network: keys must come from `--jwks`, revocation from `--status` (or
    /// `--no-status`).
    #[arg(long)]
    offline: bool,
    /// Verify as of this time (RFC 3339, e.g. 2026-12-05T10:00:00+08:00) instead of now.
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    at: Option<DateTime<Utc>>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("not an RFC 3339 time ({e}), e.g. 2026-12-05T10:00:00Z"))
}

/// Whether the command line asks for `tongban certificate …`, so that clap's argument errors
/// exit with [`EXIT_USAGE`] as this command documents rather than clap's 2.
pub fn is_invoked(args: impl IntoIterator<Item = std::ffi::OsString>) -> bool {
    let mut args = args.into_iter().skip(1);
    while let Some(arg) = args.next() {
        let arg = arg.to_string_lossy();
        if arg == "-c" || arg == "--config" {
            args.next();
        } else if !arg.starts_with('-') {
            return arg == "certificate";
        }
    }
    false
}

/// Problems with the command line or its input files: exit code [`EXIT_USAGE`].
#[derive(Debug, thiserror::Error)]
enum UsageError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{0} is larger than 8 MiB")]
    TooLarge(String),
    #[error("{0} holds no certificate")]
    EmptyCertificate(String),
    #[error("{path} is neither a JWKS nor issuer metadata holding `jwks`: {reason}")]
    BadKeys { path: String, reason: String },
    #[error("--offline needs the issuer's keys in --jwks FILE")]
    OfflineWithoutKeys,
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

/// Why the issuer's keys could not be obtained: the signature cannot be checked.
#[derive(Debug, thiserror::Error)]
enum KeysError {
    #[error(
        "cannot read the issuer (iss) from the certificate to fetch its keys; pass them with --jwks FILE"
    )]
    NoIssuer,
    #[error("{0}")]
    Fetch(#[from] FetchError),
    #[error("{url} is not JWT VC issuer metadata")]
    NotMetadata { url: String },
    #[error("{url} is the metadata of issuer {found}, not of {expected}")]
    WrongIssuer {
        url: String,
        found: String,
        expected: String,
    },
    #[error("{url} holds no valid JWKS: {source}")]
    BadJwks { url: String, source: JoseError },
}

/// The verdict classes, each with its exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Valid,
    Forged,
    Expired,
    NotYetValid,
    Revoked,
    Suspended,
    StatusUnavailable,
    KeysUnavailable,
}

impl Kind {
    fn exit_code(self) -> u8 {
        match self {
            Kind::Valid => 0,
            Kind::Forged => 10,
            Kind::Expired => 11,
            Kind::NotYetValid => 12,
            Kind::Revoked => 13,
            Kind::Suspended => 14,
            Kind::StatusUnavailable => 15,
            Kind::KeysUnavailable => 16,
        }
    }

    /// The machine name, in `--json`.
    fn name(self) -> &'static str {
        match self {
            Kind::Valid => "valid",
            Kind::Forged => "forged",
            Kind::Expired => "expired",
            Kind::NotYetValid => "not_yet_valid",
            Kind::Revoked => "revoked",
            Kind::Suspended => "suspended",
            Kind::StatusUnavailable => "status_unavailable",
            Kind::KeysUnavailable => "keys_unavailable",
        }
    }

    /// The headline for a person.
    fn headline(self) -> &'static str {
        match self {
            Kind::Valid => "VALID",
            Kind::Forged => "FORGED",
            Kind::Expired => "EXPIRED",
            Kind::NotYetValid => "NOT YET VALID",
            Kind::Revoked => "REVOKED",
            Kind::Suspended => "SUSPENDED",
            Kind::StatusUnavailable => "REVOCATION STATE UNKNOWN",
            Kind::KeysUnavailable => "CANNOT VERIFY: ISSUER KEYS UNAVAILABLE",
        }
    }
}

/// How revocation was settled for a certificate found valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Revocation {
    Checked,
    NoStatusList,
    Skipped,
}

impl Revocation {
    fn name(self) -> &'static str {
        match self {
            Revocation::Checked => "checked",
            Revocation::NoStatusList => "no_status_list",
            Revocation::Skipped => "skipped",
        }
    }
}

/// What the command found, ready to print.
struct Report {
    kind: Kind,
    reason: Option<String>,
    revocation: Option<Revocation>,
    /// Present when the signature verified (also for expired or revoked certificates).
    certificate: Option<VerifiedCertificate>,
    /// Where the keys came from (a file or a URL), when they were found.
    keys: Option<String>,
    /// Where the status list came from, when one was used.
    status_source: Option<String>,
}

/// The inputs read from files before anything is checked.
struct Inputs {
    token: String,
    keys: Option<KeysFile>,
    status: Option<(String, String)>,
}

struct KeysFile {
    path: String,
    jwks: Jwks,
    /// The `issuer` of issuer metadata: the keys belong to this issuer only.
    issuer: Option<String>,
}

pub fn run(command: CertificateCommand) -> ExitCode {
    match command {
        CertificateCommand::Verify(args) => verify(&args),
    }
}

fn verify(args: &VerifyArgs) -> ExitCode {
    let now = args.at.unwrap_or_else(|| SystemClock.now());
    let prepared = read_inputs(args).and_then(|inputs| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(UsageError::Runtime)?;
        Ok((inputs, runtime))
    });
    let (inputs, runtime) = match prepared {
        Ok(prepared) => prepared,
        Err(error) => {
            eprintln!("tongban: {error}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let report = runtime.block_on(check(&inputs, args, now));
    if args.json {
        println!("{}", report_json(&report));
    } else {
        print!("{}", report_text(&report));
    }
    ExitCode::from(report.kind.exit_code())
}

/// A file's text, refusing files larger than a token may be.
fn read_file(path: &Path) -> Result<String, UsageError> {
    let shown = path.display().to_string();
    let read_error = |source| UsageError::Read {
        path: shown.clone(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut text = String::new();
    file.take(MAX_TOKEN_LEN as u64 + 1)
        .read_to_string(&mut text)
        .map_err(read_error)?;
    if text.len() > MAX_TOKEN_LEN {
        return Err(UsageError::TooLarge(shown));
    }
    Ok(text)
}

fn read_inputs(args: &VerifyArgs) -> Result<Inputs, UsageError> {
    if args.offline && args.jwks.is_none() {
        return Err(UsageError::OfflineWithoutKeys);
    }
    let (token, source) = if args.certificate == "-" {
        let mut text = String::new();
        std::io::stdin()
            .take(MAX_TOKEN_LEN as u64 + 1)
            .read_to_string(&mut text)
            .map_err(|source| UsageError::Read {
                path: "standard input".into(),
                source,
            })?;
        (text, "standard input".to_owned())
    } else if args.certificate.contains('~') {
        // Every SD-JWT contains `~`; a file name practically never does.
        (args.certificate.clone(), "the argument".to_owned())
    } else {
        let path = Path::new(&args.certificate);
        (read_file(path)?, path.display().to_string())
    };
    let token = token.trim().to_owned();
    if token.is_empty() {
        return Err(UsageError::EmptyCertificate(source));
    }
    let keys = args.jwks.as_deref().map(read_keys).transpose()?;
    let status = args
        .status
        .as_deref()
        .map(|path| Ok::<_, UsageError>((read_file(path)?.trim().to_owned(), path_label(path))))
        .transpose()?;
    Ok(Inputs {
        token,
        keys,
        status,
    })
}

fn path_label(path: &Path) -> String {
    format!("file {}", path.display())
}

/// A JWKS file, or issuer metadata holding one under `jwks`.
fn read_keys(path: &Path) -> Result<KeysFile, UsageError> {
    let text = read_file(path)?;
    let bad = |reason: String| UsageError::BadKeys {
        path: path.display().to_string(),
        reason,
    };
    let value: Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let (jwks, issuer) = if value.get("keys").is_some() {
        (Jwks::parse(&text).map_err(|e| bad(e.to_string()))?, None)
    } else if let Some(jwks) = value.get("jwks") {
        let issuer = match value.get("issuer") {
            None => None,
            Some(Value::String(issuer)) => Some(issuer.clone()),
            Some(_) => return Err(bad("`issuer` is not a string".into())),
        };
        (
            Jwks::parse(&jwks.to_string()).map_err(|e| bad(e.to_string()))?,
            issuer,
        )
    } else if value.get("jwks_uri").is_some() {
        return Err(bad(
            "it names a jwks_uri; download that document and pass it with --jwks".into(),
        ));
    } else {
        return Err(bad("no `keys` or `jwks` member".into()));
    };
    Ok(KeysFile {
        path: path_label(path),
        jwks,
        issuer,
    })
}

/// The certificate's `iss`, read WITHOUT verifying anything: only to know where its keys are.
fn unverified_issuer(token: &str) -> Option<String> {
    let jws = token.split('~').next()?;
    let payload = jws.split('.').nth(1)?;
    let bytes = B64URL.decode(payload).ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("iss")?.as_str().map(str::to_owned)
}

/// The SD-JWT VC issuer metadata URL of an issuer identifier: `/.well-known/jwt-vc-issuer`
/// goes between the host and the path (draft-ietf-oauth-sd-jwt-vc, JWT VC Issuer Metadata).
fn metadata_url(issuer: &str) -> Result<String, FetchError> {
    let bad = || FetchError::BadUrl(issuer.to_owned());
    let uri: hyper::Uri = issuer.parse().map_err(|_| bad())?;
    let scheme = uri.scheme_str().ok_or_else(bad)?;
    let authority = uri.authority().ok_or_else(bad)?;
    let path = uri.path().trim_end_matches('/');
    Ok(format!(
        "{scheme}://{authority}/.well-known/jwt-vc-issuer{path}"
    ))
}

/// The issuer's keys from its metadata; the metadata must name the same issuer.
async fn fetch_keys(issuer: &str) -> Result<(Jwks, String), KeysError> {
    let url = metadata_url(issuer)?;
    let text = fetch::get_text(&url, "application/json").await?;
    let metadata: Value =
        serde_json::from_str(&text).map_err(|_| KeysError::NotMetadata { url: url.clone() })?;
    let found = metadata
        .get("issuer")
        .and_then(Value::as_str)
        .ok_or_else(|| KeysError::NotMetadata { url: url.clone() })?;
    if found != issuer {
        return Err(KeysError::WrongIssuer {
            url,
            found: found.to_owned(),
            expected: issuer.to_owned(),
        });
    }
    let (jwks_text, jwks_url) = match (metadata.get("jwks"), metadata.get("jwks_uri")) {
        (Some(jwks), _) => (jwks.to_string(), url.clone()),
        (None, Some(Value::String(jwks_uri))) => (
            fetch::get_text(jwks_uri, "application/json").await?,
            jwks_uri.clone(),
        ),
        _ => return Err(KeysError::NotMetadata { url }),
    };
    let jwks = Jwks::parse(&jwks_text).map_err(|source| KeysError::BadJwks {
        url: jwks_url,
        source,
    })?;
    Ok((jwks, url))
}

async fn check(inputs: &Inputs, args: &VerifyArgs, now: DateTime<Utc>) -> Report {
    let token = inputs.token.as_str();
    let verify = |jwks: &Jwks, status: Option<StatusEvidence<'_>>| {
        verify_with_status(token, jwks, status, now, DEFAULT_LEEWAY)
    };

    // Everything the domain checks before looking a key up (structure, `alg: none`, HMAC,
    // `crit`…) needs no keys: such a token is refused without touching the network.
    match verify(&Jwks::default(), None) {
        Verdict::Forged(ForgeryReason::Signature(JoseError::UnknownKey)) => {}
        Verdict::Forged(reason) => return Report::forged(reason.to_string(), None),
        _ => {}
    }

    let (jwks, keys_source, keys_issuer) = match &inputs.keys {
        Some(file) => (file.jwks.clone(), file.path.clone(), file.issuer.clone()),
        None => {
            let fetched = match unverified_issuer(token) {
                None => Err(KeysError::NoIssuer),
                Some(issuer) => fetch_keys(&issuer)
                    .await
                    .map(|(jwks, url)| (jwks, url, issuer)),
            };
            match fetched {
                Ok((jwks, url, issuer)) => (jwks, format!("fetched from {url}"), Some(issuer)),
                Err(error) => return Report::keys_unavailable(&error),
            }
        }
    };

    let mut verdict = verify(&jwks, None);
    // Issuer metadata binds its keys to one issuer: a certificate signed with them that
    // claims another issuer was made by the wrong department.
    if let (Some(expected), Some(certificate)) = (&keys_issuer, certified(&verdict))
        && certificate.issuer != *expected
    {
        let reason = format!(
            "signed with a key of issuer {expected}, but claims to be issued by {}",
            certificate.issuer
        );
        return Report::forged(reason, Some(keys_source));
    }

    let mut status_source = None;
    if let Verdict::Valid {
        certificate,
        revocation: RevocationCheck::NotChecked,
    } = &verdict
    {
        let uri = certificate
            .status
            .as_ref()
            .map(|reference| reference.uri.clone())
            .unwrap_or_default();
        let status_token = match (&inputs.status, args.no_status, args.offline) {
            (Some((token, source)), _, _) => Ok((token.clone(), source.clone())),
            (None, true, _) => {
                let mut report = Report::from_verdict(verdict, keys_source, None);
                report.revocation = Some(Revocation::Skipped);
                return report;
            }
            (None, false, true) => Err(format!(
                "--offline and no status list snapshot; download {uri} and pass it with \
                 --status FILE, or pass --no-status to skip the revocation check"
            )),
            (None, false, false) => fetch::get_text(&uri, STATUS_LIST_MEDIA_TYPE)
                .await
                .map(|text| (text.trim().to_owned(), format!("fetched from {uri}")))
                .map_err(|error| {
                    format!(
                        "{error}; download the status list and pass it with --status FILE, \
                         or pass --no-status to skip the revocation check"
                    )
                }),
        };
        match status_token {
            Ok((status_token, source)) => {
                verdict = verify(
                    &jwks,
                    Some(StatusEvidence {
                        token: &status_token,
                        jwks: &jwks,
                    }),
                );
                status_source = Some(source);
            }
            Err(reason) => {
                let mut report = Report::from_verdict(verdict, keys_source, None);
                report.kind = Kind::StatusUnavailable;
                report.revocation = None;
                report.reason = Some(reason);
                return report;
            }
        }
    }
    Report::from_verdict(verdict, keys_source, status_source)
}

/// The certificate of a verdict whose signature verified.
fn certified(verdict: &Verdict) -> Option<&VerifiedCertificate> {
    match verdict {
        Verdict::Valid { certificate, .. }
        | Verdict::Revoked { certificate, .. }
        | Verdict::StatusUnavailable { certificate, .. }
        | Verdict::Suspended(certificate)
        | Verdict::Expired(certificate)
        | Verdict::NotYetValid(certificate) => Some(certificate),
        Verdict::Forged(_) => None,
    }
}

impl Report {
    fn forged(reason: String, keys: Option<String>) -> Report {
        Report {
            kind: Kind::Forged,
            reason: Some(reason),
            revocation: None,
            certificate: None,
            keys,
            status_source: None,
        }
    }

    fn keys_unavailable(error: &KeysError) -> Report {
        let hint = match error {
            KeysError::NoIssuer => String::new(),
            KeysError::Fetch(fetch) if fetch.is_https() => {
                "; download the issuer metadata or JWKS and pass it with --jwks FILE".into()
            }
            _ => "; or pass the issuer's keys with --jwks FILE".into(),
        };
        Report {
            kind: Kind::KeysUnavailable,
            reason: Some(format!("{error}{hint}")),
            revocation: None,
            certificate: None,
            keys: None,
            status_source: None,
        }
    }

    fn from_verdict(verdict: Verdict, keys: String, status_source: Option<String>) -> Report {
        let (kind, reason, revocation, certificate) = match verdict {
            Verdict::Valid {
                certificate,
                revocation,
            } => {
                let revocation = match revocation {
                    RevocationCheck::Checked => Revocation::Checked,
                    RevocationCheck::NoStatusList => Revocation::NoStatusList,
                    // Only reached through --no-status, which sets `Skipped` itself.
                    RevocationCheck::NotChecked => Revocation::Skipped,
                };
                (Kind::Valid, None, Some(revocation), Some(certificate))
            }
            Verdict::Revoked {
                certificate,
                status,
            } => {
                let reason = match status {
                    Status::Invalid => "the status list marks it INVALID".to_owned(),
                    other => format!(
                        "the status list gives it status {}, which is not valid",
                        other.value()
                    ),
                };
                (Kind::Revoked, Some(reason), None, Some(certificate))
            }
            Verdict::Suspended(certificate) => (
                Kind::Suspended,
                Some("the status list marks it SUSPENDED".into()),
                None,
                Some(certificate),
            ),
            Verdict::Expired(certificate) => (Kind::Expired, None, None, Some(certificate)),
            Verdict::NotYetValid(certificate) => (Kind::NotYetValid, None, None, Some(certificate)),
            Verdict::Forged(reason) => (Kind::Forged, Some(reason.to_string()), None, None),
            Verdict::StatusUnavailable {
                certificate,
                reason,
            } => (
                Kind::StatusUnavailable,
                Some(format!("the status list cannot be used: {reason}")),
                None,
                Some(certificate),
            ),
        };
        Report {
            kind,
            reason,
            revocation,
            certificate,
            keys: Some(keys),
            status_source,
        }
    }
}

fn time(value: Option<DateTime<Utc>>) -> Value {
    value.map_or(Value::Null, |t| {
        Value::String(t.to_rfc3339_opts(SecondsFormat::Secs, true))
    })
}

fn report_json(report: &Report) -> Value {
    let certificate = report.certificate.as_ref().map(|c| {
        json!({
            "issuer": c.issuer,
            "vct": c.vct,
            "subject": c.subject,
            "alg": c.alg.name(),
            "kid": c.kid,
            "issued_at": time(c.issued_at),
            "valid_from": time(c.valid_from),
            "expires_at": time(c.expires_at),
            "status": c.status.as_ref().map(|s| json!({"idx": s.idx, "uri": s.uri})),
            "fields": c.fields().map(|(k, v)| (k.clone(), v.clone())).collect::<serde_json::Map<_, _>>(),
            "disclosed": c.disclosed,
        })
    });
    json!({
        "verdict": report.kind.name(),
        "exit_code": report.kind.exit_code(),
        "reason": report.reason,
        "revocation": report.revocation.map(Revocation::name),
        "keys": report.keys,
        "status_list": report.status_source,
        "certificate": certificate,
    })
}

/// Text from a certificate made safe for a terminal. Anyone can run an issuer, so a genuine
/// signature does not make field values harmless: a newline, an escape sequence or a bidi
/// override could draw a fake "VALID" line. Those characters are shown escaped.
fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let bidi_control = matches!(
            c,
            '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        );
        if c.is_control() || bidi_control {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

fn report_text(report: &Report) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = match &report.reason {
        Some(reason) => writeln!(out, "{}: {}", report.kind.headline(), printable(reason)),
        None => writeln!(out, "{}", report.kind.headline()),
    };
    let mut line = |label: &str, value: &str| {
        let _ = writeln!(out, "  {label:<12} {}", printable(value));
    };
    let shown_time = |t: Option<DateTime<Utc>>| {
        t.map_or_else(
            || "-".to_owned(),
            |t| t.to_rfc3339_opts(SecondsFormat::Secs, true),
        )
    };
    if let Some(c) = &report.certificate {
        line("issuer", &c.issuer);
        line("type (vct)", &c.vct);
        if let Some(subject) = &c.subject {
            line("subject", subject);
        }
        line("signed with", &format!("{} key {}", c.alg, c.kid));
        line("issued", &shown_time(c.issued_at));
        line("valid from", &shown_time(c.valid_from));
        line(
            "valid until",
            &c.expires_at
                .map_or_else(|| "no expiry date".to_owned(), |t| shown_time(Some(t))),
        );
    }
    if let Some(keys) = &report.keys {
        line("keys", keys);
    }
    let revocation = match (report.revocation, &report.status_source) {
        (Some(Revocation::Checked), Some(source)) => Some(format!("not revoked ({source})")),
        (Some(Revocation::Checked), None) => Some("not revoked".to_owned()),
        (Some(Revocation::NoStatusList), _) => {
            Some("the certificate names no status list: it cannot be revoked".to_owned())
        }
        (Some(Revocation::Skipped), _) => Some("NOT CHECKED (--no-status)".to_owned()),
        (None, Some(source)) => Some(format!("status list {source}")),
        (None, None) => None,
    };
    if let Some(revocation) = revocation {
        line("revocation", &revocation);
    }
    if let Some(c) = &report.certificate {
        let _ = writeln!(out, "fields (* disclosed by the holder):");
        for (name, value) in c.fields() {
            let shown = match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            let mark = if c.disclosed.contains(name) { "*" } else { " " };
            let _ = writeln!(out, "  {mark} {}: {}", printable(name), printable(&shown));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metadata_url_inserts_the_well_known_path_before_the_issuer_path() {
        for (issuer, url) in [
            (
                "http://127.0.0.1:8080/departments/sj",
                "http://127.0.0.1:8080/.well-known/jwt-vc-issuer/departments/sj",
            ),
            (
                "http://tongban.example/departments/sj/",
                "http://tongban.example/.well-known/jwt-vc-issuer/departments/sj",
            ),
            (
                "http://tongban.example",
                "http://tongban.example/.well-known/jwt-vc-issuer",
            ),
        ] {
            assert_eq!(metadata_url(issuer).unwrap(), url);
        }
        assert!(metadata_url("departments/sj").is_err());
    }

    #[test]
    fn only_the_certificate_subcommand_is_recognised() {
        let args = |list: &[&str]| {
            list.iter()
                .map(std::ffi::OsString::from)
                .collect::<Vec<_>>()
        };
        assert!(is_invoked(args(&["tongban", "certificate", "verify"])));
        assert!(is_invoked(args(&[
            "tongban",
            "-c",
            "x.toml",
            "certificate"
        ])));
        assert!(!is_invoked(args(&["tongban", "--config", "certificate"])));
        assert!(!is_invoked(args(&["tongban", "catalog", "certificate"])));
        assert!(!is_invoked(args(&["tongban"])));
    }

    #[test]
    fn the_issuer_is_read_from_the_payload_without_verifying() {
        let payload = B64URL.encode(br#"{"iss":"http://h/departments/sj"}"#);
        let token = format!("e30.{payload}.c2ln~");
        assert_eq!(
            unverified_issuer(&token).as_deref(),
            Some("http://h/departments/sj")
        );
        assert_eq!(unverified_issuer("garbage"), None);
        assert_eq!(unverified_issuer("a.!!.c~"), None);
    }

    #[test]
    fn text_output_escapes_what_could_forge_a_line_on_a_terminal() {
        assert_eq!(printable("示范 Co. Ltd"), "示范 Co. Ltd");
        assert_eq!(printable("x\nVALID"), "x\\u{a}VALID");
        assert_eq!(printable("\u{1b}[2J\u{202e}abc"), "\\u{1b}[2J\\u{202e}abc");
    }

    #[test]
    fn exit_codes_are_distinct_and_zero_only_for_valid() {
        let kinds = [
            Kind::Valid,
            Kind::Forged,
            Kind::Expired,
            Kind::NotYetValid,
            Kind::Revoked,
            Kind::Suspended,
            Kind::StatusUnavailable,
            Kind::KeysUnavailable,
        ];
        let codes: std::collections::HashSet<u8> = kinds.iter().map(|k| k.exit_code()).collect();
        assert_eq!(codes.len(), kinds.len());
        assert!(!codes.contains(&EXIT_USAGE) && !codes.contains(&1) && !codes.contains(&2));
        assert!(
            kinds
                .iter()
                .all(|k| (k.exit_code() == 0) == (*k == Kind::Valid))
        );
    }
}
