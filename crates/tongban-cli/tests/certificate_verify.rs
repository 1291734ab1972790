//! `tongban certificate verify` as a verifier uses it: certificates issued here with the domain
//! API (EdDSA and ES256), checked offline from files and online against a small HTTP server
//! that plays the issuing platform; every verdict's exit code and the usage errors' 64.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use tongban_domain::certificates::sdjwt::{IssueRequest, issue};
use tongban_domain::certificates::status_list::{StatusListTokenClaims, issue_token};
use tongban_domain::certificates::{
    Algorithm, Jwks, Signer, SoftwareKey, Status, StatusList, StatusReference,
};

const BIN: &str = env!("CARGO_BIN_EXE_tongban");
const T0: i64 = 1_780_000_000;
/// The `--at` of every run: a day after issue, within the year of validity.
const AT: &str = "2026-05-29T20:26:40Z";
const STATUS_INDEX: u64 = 3;

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap()
}

fn key(algorithm: Algorithm, seed: u8) -> SoftwareKey {
    SoftwareKey::from_secret(algorithm, &[seed; 32]).unwrap()
}

/// A deterministic random source (salts need only differ, not be secret, in a test).
fn counter_random() -> impl FnMut(&mut [u8]) {
    let mut counter = 0u8;
    move |bytes: &mut [u8]| {
        for byte in bytes {
            counter = counter.wrapping_add(1);
            *byte = counter;
        }
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The platform a certificate comes from: its issuer URL and status list URI.
struct Platform {
    issuer: String,
    status_uri: String,
}

impl Platform {
    fn at(origin: &str) -> Platform {
        Platform {
            issuer: format!("{origin}/departments/sj"),
            status_uri: format!("{origin}/statuslists/sj-1"),
        }
    }

    fn request(&self, expires_at: Option<i64>) -> IssueRequest {
        IssueRequest {
            issuer: self.issuer.clone(),
            vct: "https://tongban.example/certificate-types/business-licence".into(),
            subject: None,
            issued_at: at(T0),
            valid_from: at(T0),
            expires_at: expires_at.map(at),
            status: Some(StatusReference {
                idx: STATUS_INDEX,
                uri: self.status_uri.clone(),
            }),
            cnf: None,
            plain: object(json!({ "certificate_number": "SJ-2026-000123" })),
            disclosable: object(json!({
                "name": "示范餐饮有限公司",
                "credit_code": "91110000MA01ABCD2X",
                "registered_capital_fen": 50_000_000,
            })),
            decoys: 2,
        }
    }

    fn certificate(&self, signer: &dyn Signer) -> String {
        issue(
            &self.request(Some(T0 + 365 * 86_400)),
            signer,
            &mut counter_random(),
        )
        .unwrap()
    }

    /// A status list token in which the certificate has `status`.
    fn status_list(&self, signer: &dyn Signer, status: Status) -> String {
        let mut list = StatusList::new(2, 64).unwrap();
        list.set(STATUS_INDEX, status).unwrap();
        let claims = StatusListTokenClaims {
            uri: &self.status_uri,
            issuer: Some(&self.issuer),
            issued_at: at(T0),
            expires_at: Some(at(T0 + 7 * 86_400)),
            ttl_seconds: Some(3600),
        };
        issue_token(&list, &claims, signer).unwrap()
    }

    fn metadata(&self, signer: &dyn Signer) -> String {
        json!({ "issuer": self.issuer, "jwks": Jwks::from_signers([signer]) }).to_string()
    }
}

fn jwks_json(signer: &dyn Signer) -> String {
    Jwks::from_signers([signer]).to_json()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// `tongban certificate verify ARGS`, at [`AT`] unless the arguments give `--at`.
fn run(args: &[&str]) -> Output {
    let at: &[&str] = if args.contains(&"--at") {
        &[]
    } else {
        &["--at", AT]
    };
    Command::new(BIN)
        .args(["certificate", "verify"])
        .args(at)
        .args(args)
        .output()
        .expect("run tongban")
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("exited normally")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("not JSON: {}", stdout(output)))
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A certificate, its keys and a status list snapshot in a temporary directory.
struct Offline {
    dir: tempfile::TempDir,
    platform: Platform,
    signer: SoftwareKey,
    certificate: PathBuf,
    jwks: PathBuf,
}

impl Offline {
    fn new(algorithm: Algorithm) -> Offline {
        let dir = tempfile::tempdir().unwrap();
        let platform = Platform::at("https://tongban.example");
        let signer = key(algorithm, 7);
        // A file as a holder would save it: with a trailing newline.
        let certificate = write(
            dir.path(),
            "certificate.txt",
            &format!("{}\n", platform.certificate(&signer)),
        );
        let jwks = write(dir.path(), "jwks.json", &jwks_json(&signer));
        Offline {
            dir,
            platform,
            signer,
            certificate,
            jwks,
        }
    }

    fn status(&self, status: Status) -> PathBuf {
        write(
            self.dir.path(),
            "status.jwt",
            &self.platform.status_list(&self.signer, status),
        )
    }

    fn token(&self) -> String {
        std::fs::read_to_string(&self.certificate)
            .unwrap()
            .trim()
            .to_owned()
    }

    /// Verifies the certificate at `certificate` with the keys and a status list snapshot.
    fn verify_with(&self, certificate: &str, status: Status, extra: &[&str]) -> Output {
        let status = self.status(status);
        let mut args = vec![
            certificate,
            "--jwks",
            path_str(&self.jwks),
            "--status",
            path_str(&status),
        ];
        args.extend_from_slice(extra);
        run(&args)
    }
}

#[test]
fn a_valid_certificate_verifies_offline_with_both_algorithms() {
    for algorithm in [Algorithm::EdDsa, Algorithm::Es256] {
        let offline = Offline::new(algorithm);
        let output = offline.verify_with(path_str(&offline.certificate), Status::Valid, &[]);
        let text = stdout(&output);
        assert_eq!(code(&output), 0, "{algorithm}: {text}");
        assert!(text.starts_with("VALID\n"), "{text}");
        assert!(text.contains(&offline.platform.issuer), "{text}");
        assert!(text.contains("business-licence"), "{text}");
        assert!(text.contains("* name: 示范餐饮有限公司"), "{text}");
        assert!(
            text.contains("  certificate_number: SJ-2026-000123"),
            "{text}"
        );
        assert!(text.contains("not revoked (file "), "{text}");
        assert!(text.contains("valid until  2027-05-28T20:26:40Z"), "{text}");

        let output =
            offline.verify_with(path_str(&offline.certificate), Status::Valid, &["--json"]);
        assert_eq!(code(&output), 0);
        let report = json_of(&output);
        assert_eq!(report["verdict"], "valid");
        assert_eq!(report["exit_code"], 0);
        assert_eq!(report["revocation"], "checked");
        let certificate = &report["certificate"];
        assert_eq!(certificate["alg"], algorithm.name());
        assert_eq!(certificate["issuer"], offline.platform.issuer.as_str());
        assert_eq!(certificate["fields"]["registered_capital_fen"], 50_000_000);
        assert_eq!(
            certificate["disclosed"],
            json!(["credit_code", "name", "registered_capital_fen"])
        );
        assert_eq!(certificate["status"]["idx"], STATUS_INDEX);
        assert_eq!(certificate["expires_at"], "2027-05-28T20:26:40Z");
    }
}

#[test]
fn the_token_itself_and_standard_input_are_accepted_and_a_presentation_shows_what_it_discloses() {
    let offline = Offline::new(Algorithm::EdDsa);
    let token = offline.token();
    let output = offline.verify_with(&token, Status::Valid, &["--json"]);
    assert_eq!(code(&output), 0, "{}", stdout(&output));

    let presented = tongban_domain::certificates::sdjwt::present(&token, &["name"]).unwrap();
    let status = offline.status(Status::Valid);
    let mut child = Command::new(BIN)
        .args(["certificate", "verify", "--at", AT, "-", "--json"])
        .args([
            "--jwks",
            path_str(&offline.jwks),
            "--status",
            path_str(&status),
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "  {presented}  ").unwrap();
    }
    let output = child.wait_with_output().unwrap();
    assert_eq!(code(&output), 0, "{}", stdout(&output));
    let report = json_of(&output);
    assert_eq!(report["certificate"]["disclosed"], json!(["name"]));
    assert!(report["certificate"]["fields"].get("credit_code").is_none());
}

#[test]
fn expired_and_not_yet_valid_certificates_have_their_own_exit_codes() {
    let offline = Offline::new(Algorithm::Es256);
    let certificate = path_str(&offline.certificate);
    let jwks = path_str(&offline.jwks);
    let output = run(&[
        certificate,
        "--jwks",
        jwks,
        "--no-status",
        "--at",
        "2028-01-01T00:00:00+08:00",
    ]);
    assert_eq!(code(&output), 11, "{}", stdout(&output));
    assert!(stdout(&output).starts_with("EXPIRED\n"));

    let output = run(&[
        certificate,
        "--jwks",
        jwks,
        "--no-status",
        "--json",
        "--at",
        "2026-01-01T00:00:00Z",
    ]);
    assert_eq!(code(&output), 12, "{}", stdout(&output));
    assert_eq!(json_of(&output)["verdict"], "not_yet_valid");
}

#[test]
fn a_status_list_snapshot_revokes_or_suspends() {
    let offline = Offline::new(Algorithm::EdDsa);
    let certificate = path_str(&offline.certificate);
    let output = offline.verify_with(certificate, Status::Invalid, &[]);
    assert_eq!(code(&output), 13, "{}", stdout(&output));
    assert!(stdout(&output).starts_with("REVOKED: the status list marks it INVALID\n"));

    let output = offline.verify_with(certificate, Status::Suspended, &["--json"]);
    assert_eq!(code(&output), 14, "{}", stdout(&output));
    let report = json_of(&output);
    assert_eq!(report["verdict"], "suspended");
    assert_eq!(
        report["certificate"]["vct"],
        offline.platform.request(None).vct
    );

    // A status list signed by someone else cannot clear (or revoke) the certificate.
    let foreign = write(
        offline.dir.path(),
        "foreign.jwt",
        &offline
            .platform
            .status_list(&key(Algorithm::EdDsa, 99), Status::Valid),
    );
    let output = run(&[
        certificate,
        "--jwks",
        path_str(&offline.jwks),
        "--status",
        path_str(&foreign),
    ]);
    assert_eq!(code(&output), 15, "{}", stdout(&output));
    assert!(stdout(&output).contains("the status list cannot be used"));
}

#[test]
fn forgeries_are_refused_with_the_reason() {
    let offline = Offline::new(Algorithm::EdDsa);
    let token = offline.token();
    let jwks = path_str(&offline.jwks);
    let forged = |token: &str, jwks: &str| {
        let output = run(&[token, "--jwks", jwks, "--offline", "--no-status", "--json"]);
        assert_eq!(code(&output), 10, "{}", stdout(&output));
        let report = json_of(&output);
        assert_eq!(report["verdict"], "forged");
        assert!(
            report["certificate"].is_null(),
            "nothing of a forgery is shown"
        );
        report["reason"].as_str().unwrap().to_owned()
    };

    // A disclosure with a changed value: its digest is not among the signed ones.
    let disclosure =
        B64URL.encode(json!(["AQIDBAUGBwgJCgsMDQ4PEA", "name", "冒名公司"]).to_string());
    let jws = token.split('~').next().unwrap();
    let tampered = format!("{jws}~{disclosure}~");
    assert!(forged(&tampered, jwks).contains("tampered or foreign"));

    // Keys of another issuer: unknown kid, and another key published under the right kid.
    let other = key(Algorithm::EdDsa, 8);
    let wrong = write(offline.dir.path(), "wrong.json", &jwks_json(&other));
    assert!(forged(&token, path_str(&wrong)).contains("no key with this kid"));
    let mut impostor = Jwks::from_signers([&other as &dyn Signer]);
    impostor.keys[0].kid = Some(offline.signer.kid().to_owned());
    let impostor = write(offline.dir.path(), "impostor.json", &impostor.to_json());
    assert!(forged(&token, path_str(&impostor)).contains("signature does not verify"));

    // `alg: none`, with the genuine payload and disclosures and no signature.
    let payload = jws.split('.').nth(1).unwrap();
    let header = B64URL.encode(r#"{"alg":"none","typ":"dc+sd-jwt"}"#);
    let disclosures: Vec<&str> = token.split('~').skip(1).collect();
    let unsigned = format!("{header}.{payload}.~{}", disclosures.join("~"));
    assert!(forged(&unsigned, jwks).contains("alg none"));
}

#[test]
fn a_hostile_but_genuine_field_cannot_draw_a_verdict_line() {
    let offline = Offline::new(Algorithm::EdDsa);
    let mut request = offline.platform.request(Some(T0 - 1));
    request.status = None;
    request.plain = object(json!({ "motto": "x\nVALID\n\u{1b}[1A\u{202e}" }));
    let expired = issue(&request, &offline.signer, &mut counter_random()).unwrap();
    let output = run(&[&expired, "--jwks", path_str(&offline.jwks)]);
    assert_eq!(code(&output), 11);
    let text = stdout(&output);
    assert!(
        text.contains("motto: x\\u{a}VALID\\u{a}\\u{1b}[1A\\u{202e}"),
        "{text}"
    );
    assert!(
        !text.lines().any(|line| line.starts_with("VALID")),
        "{text}"
    );
}

#[test]
fn issuer_metadata_binds_its_keys_to_its_issuer() {
    let offline = Offline::new(Algorithm::EdDsa);
    let certificate = path_str(&offline.certificate);
    let status = offline.status(Status::Valid);
    let own = write(
        offline.dir.path(),
        "metadata.json",
        &offline.platform.metadata(&offline.signer),
    );
    let output = run(&[
        certificate,
        "--jwks",
        path_str(&own),
        "--status",
        path_str(&status),
    ]);
    assert_eq!(code(&output), 0, "{}", stdout(&output));

    // The same key published as another department's: a certificate it signed that claims
    // to come from department sj is not genuine.
    let other = Platform::at("https://tongban.example/other");
    let foreign = write(
        offline.dir.path(),
        "foreign-metadata.json",
        &other.metadata(&offline.signer),
    );
    let output = run(&[
        certificate,
        "--jwks",
        path_str(&foreign),
        "--status",
        path_str(&status),
    ]);
    assert_eq!(code(&output), 10, "{}", stdout(&output));
    assert!(stdout(&output).contains("signed with a key of issuer"));
}

#[test]
fn without_a_status_list_the_revocation_state_is_unknown_unless_skipped_explicitly() {
    let offline = Offline::new(Algorithm::EdDsa);
    let certificate = path_str(&offline.certificate);
    let jwks = path_str(&offline.jwks);
    let output = run(&[certificate, "--jwks", jwks, "--offline"]);
    assert_eq!(code(&output), 15, "{}", stdout(&output));
    let text = stdout(&output);
    assert!(
        text.starts_with("REVOCATION STATE UNKNOWN: --offline"),
        "{text}"
    );
    assert!(text.contains("--status FILE"), "{text}");

    // Online, the status list is at an https URI this verifier cannot fetch.
    let output = run(&[certificate, "--jwks", jwks, "--json"]);
    assert_eq!(code(&output), 15, "{}", stdout(&output));
    let reason = json_of(&output)["reason"].as_str().unwrap().to_owned();
    assert!(
        reason.contains("https") && reason.contains("--status FILE"),
        "{reason}"
    );

    let output = run(&[certificate, "--jwks", jwks, "--no-status"]);
    assert_eq!(code(&output), 0, "{}", stdout(&output));
    assert!(stdout(&output).contains("NOT CHECKED (--no-status)"));

    // A certificate without a status reference cannot be revoked: nothing to check.
    let mut request = offline.platform.request(None);
    request.status = None;
    let irrevocable = issue(&request, &offline.signer, &mut counter_random()).unwrap();
    let output = run(&[&irrevocable, "--jwks", jwks, "--offline", "--json"]);
    assert_eq!(code(&output), 0, "{}", stdout(&output));
    assert_eq!(json_of(&output)["revocation"], "no_status_list");
}

#[test]
fn usage_errors_exit_64() {
    let offline = Offline::new(Algorithm::EdDsa);
    let certificate = path_str(&offline.certificate);
    let jwks = path_str(&offline.jwks);
    let missing = offline.dir.path().join("missing.txt");
    let not_jwks = write(offline.dir.path(), "not-jwks.json", r#"{"hello": 1}"#);
    let private = write(
        offline.dir.path(),
        "private.json",
        r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAA","d":"AAAA"}]}"#,
    );
    let empty = write(offline.dir.path(), "empty.txt", "\n");
    for args in [
        vec![path_str(&missing), "--jwks", jwks],
        vec![certificate, "--jwks", path_str(&missing)],
        vec![certificate, "--jwks", path_str(&not_jwks)],
        vec![certificate, "--jwks", path_str(&private)],
        vec![path_str(&empty), "--jwks", jwks],
        vec![certificate, "--offline"],
        vec![certificate, "--jwks", jwks, "--at", "yesterday"],
        vec![certificate, "--status", jwks, "--no-status"],
        vec![certificate, "--unknown-flag"],
        vec![],
    ] {
        let output = run(&args);
        assert_eq!(code(&output), 64, "{args:?}: {}", stdout(&output));
        assert!(output.stdout.is_empty(), "{args:?}: no verdict is printed");
        assert!(
            !output.stderr.is_empty(),
            "{args:?}: the error is explained"
        );
    }
    // Other commands keep clap's usual exit code.
    let output = Command::new(BIN)
        .args(["catalog", "--unknown-flag"])
        .output()
        .unwrap();
    assert_eq!(code(&output), 2);
}

/// The issuing platform, as far as a verifier sees it: answers from a table of paths.
struct Server {
    addr: SocketAddr,
    answers: Arc<Mutex<HashMap<String, (&'static str, String)>>>,
    /// Path and `Accept` header of every request.
    requests: Arc<Mutex<Vec<(String, String)>>>,
    _runtime: tokio::runtime::Runtime,
}

impl Server {
    fn start() -> Server {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let answers: Arc<Mutex<HashMap<String, (&'static str, String)>>> = Arc::default();
        let requests: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
        let (table, log) = (answers.clone(), requests.clone());
        let router = axum::Router::new().fallback(
            move |uri: axum::http::Uri, headers: axum::http::HeaderMap| {
                let (table, log) = (table.clone(), log.clone());
                async move {
                    let accept = headers
                        .get("accept")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    log.lock().unwrap().push((uri.path().to_owned(), accept));
                    match table.lock().unwrap().get(uri.path()) {
                        Some((media_type, body)) => (
                            axum::http::StatusCode::OK,
                            [("content-type", *media_type)],
                            body.clone(),
                        ),
                        None => (
                            axum::http::StatusCode::NOT_FOUND,
                            [("content-type", "text/plain")],
                            String::new(),
                        ),
                    }
                }
            },
        );
        runtime.spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Server {
            addr,
            answers,
            requests,
            _runtime: runtime,
        }
    }

    fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn answer(&self, path: &str, media_type: &'static str, body: String) {
        self.answers
            .lock()
            .unwrap()
            .insert(path.to_owned(), (media_type, body));
    }
}

#[test]
fn online_the_keys_and_status_list_are_fetched_from_the_issuing_platform() {
    let server = Server::start();
    let platform = Platform::at(&server.origin());
    let signer = key(Algorithm::Es256, 5);
    let certificate = platform.certificate(&signer);
    let metadata_path = "/.well-known/jwt-vc-issuer/departments/sj";
    server.answer(
        metadata_path,
        "application/json",
        platform.metadata(&signer),
    );
    server.answer(
        "/statuslists/sj-1",
        "application/statuslist+jwt",
        platform.status_list(&signer, Status::Valid),
    );

    let output = run(&[&certificate, "--json"]);
    assert_eq!(code(&output), 0, "{}", stdout(&output));
    let report = json_of(&output);
    assert_eq!(
        report["keys"],
        format!("fetched from {}{metadata_path}", server.origin())
    );
    assert_eq!(
        report["status_list"],
        format!("fetched from {}", platform.status_uri)
    );
    assert_eq!(report["revocation"], "checked");
    assert_eq!(
        *server.requests.lock().unwrap(),
        vec![
            (metadata_path.to_owned(), "application/json".to_owned()),
            (
                "/statuslists/sj-1".to_owned(),
                "application/statuslist+jwt".to_owned()
            ),
        ]
    );

    server.answer(
        "/statuslists/sj-1",
        "application/statuslist+jwt",
        platform.status_list(&signer, Status::Invalid),
    );
    let output = run(&[&certificate]);
    assert_eq!(code(&output), 13, "{}", stdout(&output));

    // The status list is gone: unknown, never valid.
    server.answers.lock().unwrap().remove("/statuslists/sj-1");
    let output = run(&[&certificate, "--json"]);
    assert_eq!(code(&output), 15, "{}", stdout(&output));
    let reason = json_of(&output)["reason"].as_str().unwrap().to_owned();
    assert!(reason.contains("HTTP 404"), "{reason}");

    // Metadata may point to its keys with `jwks_uri` instead of holding them.
    server.answer(
        "/statuslists/sj-1",
        "application/statuslist+jwt",
        platform.status_list(&signer, Status::Valid),
    );
    server.answer(
        metadata_path,
        "application/json",
        json!({ "issuer": platform.issuer, "jwks_uri": format!("{}/.well-known/jwks.json", server.origin()) })
            .to_string(),
    );
    server.answer(
        "/.well-known/jwks.json",
        "application/json",
        jwks_json(&signer),
    );
    let output = run(&[&certificate]);
    assert_eq!(code(&output), 0, "{}", stdout(&output));

    // Metadata naming another issuer is not this issuer's keys.
    let other = Platform::at(&format!("{}/x", server.origin()));
    server.answer(metadata_path, "application/json", other.metadata(&signer));
    let output = run(&[&certificate, "--json"]);
    assert_eq!(code(&output), 16, "{}", stdout(&output));
    let reason = json_of(&output)["reason"].as_str().unwrap().to_owned();
    assert!(reason.contains("is the metadata of issuer"), "{reason}");

    // Answers are bounded to 1 MB.
    server.answer(
        metadata_path,
        "application/json",
        " ".repeat(1024 * 1024 + 1),
    );
    let output = run(&[&certificate, "--json"]);
    assert_eq!(code(&output), 16, "{}", stdout(&output));
    let reason = json_of(&output)["reason"].as_str().unwrap().to_owned();
    assert!(reason.contains("more than 1 MB"), "{reason}");

    // An `alg: none` token is refused before anything is fetched.
    let before = server.requests.lock().unwrap().len();
    let jws = certificate.split('~').next().unwrap();
    let header = B64URL.encode(r#"{"alg":"none","typ":"dc+sd-jwt"}"#);
    let unsigned = format!("{header}.{}.~", jws.split('.').nth(1).unwrap());
    let output = run(&[&unsigned]);
    assert_eq!(code(&output), 10, "{}", stdout(&output));
    assert_eq!(server.requests.lock().unwrap().len(), before);
}

#[test]
fn unreachable_or_https_issuers_leave_the_signature_unchecked() {
    // A port nobody listens on: bind one, then free it.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    // A server that accepts connections (the kernel does, into the backlog) but never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let signer = key(Algorithm::EdDsa, 3);
    for (origin, expected) in [
        (format!("http://{closed}"), "cannot connect"),
        (
            format!("http://{}", silent.local_addr().unwrap()),
            "did not answer within 5 seconds",
        ),
        ("https://tongban.example".to_owned(), "--jwks FILE"),
    ] {
        let certificate = Platform::at(&origin).certificate(&signer);
        let output = run(&[&certificate]);
        assert_eq!(code(&output), 16, "{}", stdout(&output));
        let text = stdout(&output);
        assert!(
            text.starts_with("CANNOT VERIFY: ISSUER KEYS UNAVAILABLE") && text.contains(expected),
            "{text}"
        );
    }
}
