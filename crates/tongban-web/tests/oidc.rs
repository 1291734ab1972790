//! The OpenID Connect provider proven against a real client: the app runs on a random port and
//! the `openidconnect` crate drives discovery, the code flow with PKCE and nonce, ID-token
//! verification through the JWKS and userinfo, while the browser part (sign-in through the
//! real login form, consent) is plain HTTP with cookies. Refusals, client_secret_post,
//! client_credentials, end-session, pairwise subjects, key rotation and the client
//! administration page are checked too, on SQLite and PostgreSQL.

mod common;

use std::net::SocketAddr;

use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::http;
use openidconnect::url::Url;
use openidconnect::{
    AccessTokenHash, AuthType, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use tongban_services::identity::Origin;
use tongban_services::oidc::{Admin, NewClient};
use tongban_store::testing::TestDb;
use tongban_web::{AppState, Mode};

const PERSON: &str = "13800000001";
const PORTAL: &str = "gjj-portal";
const PORTAL_REDIRECT: &str = "http://127.0.0.1:9100/callback";
const PORTAL_LOGOUT: &str = "http://127.0.0.1:9100/bye";

// ---- plumbing ---------------------------------------------------------------------------

#[derive(Debug)]
struct HttpError(String);

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HttpError {}

/// A small HTTP/1 client on hyper: no TLS, no redirects followed.
#[derive(Clone)]
struct Http(HyperClient<HttpConnector, Full<Bytes>>);

impl Http {
    fn new() -> Http {
        Http(HyperClient::builder(TokioExecutor::new()).build_http())
    }

    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, HttpError> {
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, Full::new(Bytes::from(body)));
        let response = self
            .0
            .request(request)
            .await
            .map_err(|e| HttpError(e.to_string()))?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| HttpError(e.to_string()))?
            .to_bytes()
            .to_vec();
        Ok(http::Response::from_parts(parts, body))
    }
}

/// What the `openidconnect` crate's HTTP client returns.
type Pending =
    std::pin::Pin<Box<dyn Future<Output = Result<http::Response<Vec<u8>>, HttpError>> + Send>>;

/// The provider on a random port, with its state for direct service calls.
struct Server {
    base: String,
    state: AppState,
    http: Http,
}

impl Server {
    async fn start(db: &TestDb) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let clock = clock();
        tongban_services::catalog::seed_demo(&db.conn, clock.as_ref())
            .await
            .unwrap();
        let identity = identity(db);
        identity.seed_demo_accounts(clock.as_ref()).await.unwrap();
        let mut web = settings(Mode::Demo);
        web.public_url = base.clone();
        let state = AppState::load(db.conn.clone(), web, clock, identity, SECRET)
            .await
            .unwrap();
        let app = tongban_web::app(state.clone());
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        Server {
            base,
            state,
            http: Http::new(),
        }
    }

    /// Registers a client from the console; returns its secret (confidential clients).
    async fn register(&self, new: NewClient) -> Option<String> {
        self.state
            .oidc
            .register_client(
                self.state.clock.as_ref(),
                Admin::Console,
                DEMO_REGION,
                &new,
                &Origin::default(),
            )
            .await
            .unwrap()
            .secret
    }

    async fn portal(&self) -> String {
        self.register(portal_client(PORTAL, PORTAL_REDIRECT, "gjj.example"))
            .await
            .unwrap()
    }

    fn oidc_http(&self) -> impl Fn(http::Request<Vec<u8>>) -> Pending + use<> {
        let http = self.http.clone();
        move |request| {
            let http = http.clone();
            Box::pin(async move { http.send(request).await })
        }
    }

    async fn metadata(&self) -> CoreProviderMetadata {
        CoreProviderMetadata::discover_async(
            IssuerUrl::new(self.base.clone()).unwrap(),
            &self.oidc_http(),
        )
        .await
        .expect("discovery")
    }
}

fn portal_client(id: &str, redirect: &str, sector: &str) -> NewClient {
    NewClient {
        client_id: id.to_owned(),
        name: "公积金网上业务系统".to_owned(),
        redirect_uris: vec![redirect.to_owned()],
        post_logout_redirect_uris: vec![PORTAL_LOGOUT.to_owned()],
        scopes: ["openid", "profile", "phone", "exchange.read"]
            .map(str::to_owned)
            .to_vec(),
        sector: sector.to_owned(),
        department_code: "GJJ".to_owned(),
        ..NewClient::default()
    }
}

struct Reply {
    status: u16,
    location: Option<String>,
    headers: http::HeaderMap,
    body: String,
}

/// A browser: keeps cookies, does not follow redirects.
struct Browser {
    base: String,
    http: Http,
    cookies: Vec<(String, String)>,
}

impl Browser {
    fn new(server: &Server) -> Browser {
        Browser {
            base: server.base.clone(),
            http: server.http.clone(),
            cookies: Vec::new(),
        }
    }

    fn absolute(&self, url: &str) -> String {
        if url.starts_with('/') {
            format!("{}{url}", self.base)
        } else {
            url.to_owned()
        }
    }

    async fn request(&mut self, method: &str, url: &str, body: Option<String>) -> Reply {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut builder = http::Request::builder()
            .method(method)
            .uri(self.absolute(url))
            .header("accept-language", "en")
            .header("cookie", cookie);
        if body.is_some() {
            builder = builder.header("content-type", "application/x-www-form-urlencoded");
        }
        let response = self
            .http
            .send(builder.body(body.unwrap_or_default().into_bytes()).unwrap())
            .await
            .unwrap();
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(k, _)| k != name);
            if !value.is_empty() && !text.contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        Reply {
            status: response.status().as_u16(),
            location: response
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_owned()),
            headers: response.headers().clone(),
            body: String::from_utf8(response.body().clone()).unwrap(),
        }
    }

    async fn get(&mut self, url: &str) -> Reply {
        self.request("GET", url, None).await
    }

    async fn post(&mut self, url: &str, form: &[(String, String)]) -> Reply {
        let body = form
            .iter()
            .map(|(k, v)| format!("{k}={}", tongban_services::oidc::form_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.request("POST", url, Some(body)).await
    }

    /// Signs in through the real login form, coming back to `next`.
    async fn sign_in(&mut self, who: &str, next: &str) -> Reply {
        let page = self.get("/login").await;
        let csrf = field(&page.body, "csrf").expect("login form has a CSRF field");
        self.post(
            "/login",
            &pairs(&[
                ("identifier", who),
                ("password", DEMO_PASSWORD),
                ("csrf", &csrf),
                ("next", next),
            ]),
        )
        .await
    }
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn unescape(text: &str) -> String {
    text.replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
}

/// The hidden fields of the page's main form (the consent or sign-out form, not the header's
/// sign-out button), as the browser would send them.
fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let start = [
        "action=\"/oidc/authorize\"",
        "action=\"/oidc/end-session\"",
        "action=\"/login/second-factor\"",
        "action=\"/login\"",
    ]
    .iter()
    .find_map(|a| html.find(a))
    .unwrap_or(0);
    let form = &html[start..];
    let form = &form[..form.find("</form>").unwrap_or(form.len())];
    let mut out = Vec::new();
    for chunk in form.split("<input type=\"hidden\" name=\"").skip(1) {
        let Some((name, rest)) = chunk.split_once("\" value=\"") else {
            continue;
        };
        let value = rest.split('"').next().unwrap_or("");
        out.push((name.to_owned(), unescape(value)));
    }
    out
}

fn field(html: &str, name: &str) -> Option<String> {
    hidden_fields(html)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn query_param(url: &str, name: &str) -> Option<String> {
    Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Follows an authorization URL through sign-in and consent to the client's callback URL.
async fn authorize_through_browser(browser: &mut Browser, url: &Url, decision: &str) -> String {
    let path = format!("{}?{}", url.path(), url.query().unwrap_or(""));
    let mut reply = browser.get(&path).await;
    if reply.status == 303
        && reply
            .location
            .as_deref()
            .is_some_and(|l| l.starts_with("/login?next="))
    {
        let signed_in = browser.sign_in(PERSON, &path).await;
        assert_eq!(signed_in.status, 303, "{}", signed_in.body);
        assert_eq!(signed_in.location.as_deref(), Some(path.as_str()));
        reply = browser.get(&path).await;
    }
    if reply.status == 200 {
        assert!(
            reply.body.contains("公积金网上业务系统"),
            "consent names the client"
        );
        let mut form = hidden_fields(&reply.body);
        form.push(("decision".to_owned(), decision.to_owned()));
        reply = browser.post("/oidc/authorize", &form).await;
    }
    assert_eq!(reply.status, 303, "{}", reply.body);
    reply.location.expect("a redirect to the client")
}

// ---- the flow -----------------------------------------------------------------------------

/// Sign-in, consent, code exchange and userinfo for one client and one database.
struct SignedIn {
    subject: String,
    access_token: String,
    id_token: String,
    code: String,
    verifier: String,
}

async fn code_flow(
    server: &Server,
    browser: &mut Browser,
    client_id: &str,
    secret: &str,
    redirect: &str,
    auth_type: AuthType,
) -> SignedIn {
    let metadata = server.metadata().await;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(client_id.to_owned()),
        Some(ClientSecret::new(secret.to_owned())),
    )
    .set_redirect_uri(RedirectUrl::new(redirect.to_owned()).unwrap())
    .set_auth_type(auth_type);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("phone".into()))
        .set_pkce_challenge(challenge)
        .url();
    let callback = authorize_through_browser(browser, &url, "allow").await;
    assert!(callback.starts_with(redirect), "{callback}");
    assert_eq!(
        query_param(&callback, "state").as_deref(),
        Some(state.secret().as_str())
    );
    let code = query_param(&callback, "code").expect("a code");
    let verifier_secret = verifier.secret().clone();
    let http = server.oidc_http();
    let tokens = client
        .exchange_code(AuthorizationCode::new(code.clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    let id_token = tokens.id_token().expect("an ID token");
    let verifier = client
        .id_token_verifier()
        .set_allowed_algs([CoreJwsSigningAlgorithm::EdDsa])
        // The server runs on the tests' fixed clock.
        .set_time_fn(|| clock().0);
    let claims = id_token
        .claims(&verifier, &nonce)
        .expect("a valid ID token");
    assert_eq!(claims.issuer().as_str(), server.base);
    assert!(claims.auth_time().is_some());
    let expected_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected_hash));
    let info: openidconnect::core::CoreUserInfoClaims = client
        .user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        )
        .unwrap()
        .request_async(&http)
        .await
        .expect("userinfo");
    assert_eq!(
        info.name().and_then(|n| n.get(None)).map(|n| n.as_str()),
        Some("张三")
    );
    assert_eq!(
        info.phone_number().map(|p| p.as_str()),
        Some("+8613800000001")
    );
    SignedIn {
        subject: claims.subject().to_string(),
        access_token: tokens.access_token().secret().clone(),
        id_token: id_token.to_string(),
        code,
        verifier: verifier_secret,
    }
}

async fn post_token(server: &Server, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> Reply {
    let body = form
        .iter()
        .map(|(k, v)| format!("{k}={}", tongban_services::oidc::form_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let mut request = http::Request::post(format!("{}/oidc/token", server.base))
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some((id, secret)) = basic {
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
        request = request.header("authorization", format!("Basic {encoded}"));
    }
    let response = server
        .http
        .send(request.body(body.into_bytes()).unwrap())
        .await
        .unwrap();
    Reply {
        status: response.status().as_u16(),
        location: None,
        headers: response.headers().clone(),
        body: String::from_utf8(response.body().clone()).unwrap(),
    }
}

async fn userinfo_status(server: &Server, token: &str) -> (u16, String) {
    let response = server
        .http
        .send(
            http::Request::get(format!("{}/oidc/userinfo", server.base))
                .header("authorization", format!("Bearer {token}"))
                .body(Vec::new())
                .unwrap(),
        )
        .await
        .unwrap();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (response.status().as_u16(), challenge)
}

fn json_of(reply: &Reply) -> serde_json::Value {
    serde_json::from_str(&reply.body).unwrap_or_else(|_| panic!("JSON: {}", reply.body))
}

#[tokio::test]
async fn a_department_system_signs_a_person_in_with_the_openidconnect_crate() {
    for db in TestDb::all("oidc code flow").await {
        let server = Server::start(&db).await;
        let secret = server.portal().await;
        let mut browser = Browser::new(&server);

        let discovery = browser.get("/.well-known/openid-configuration").await;
        let doc: serde_json::Value = serde_json::from_str(&discovery.body).unwrap();
        assert_eq!(doc["issuer"], server.base);
        assert_eq!(
            doc["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );
        assert_eq!(
            doc["subject_types_supported"],
            serde_json::json!(["pairwise"])
        );

        let first = code_flow(
            &server,
            &mut browser,
            PORTAL,
            &secret,
            PORTAL_REDIRECT,
            AuthType::BasicAuth,
        )
        .await;

        // The code is single-use: a replay is refused and revokes what the code bought.
        let replay = post_token(
            &server,
            &[
                ("grant_type", "authorization_code"),
                ("code", &first.code),
                ("redirect_uri", PORTAL_REDIRECT),
                ("code_verifier", &first.verifier),
            ],
            Some((PORTAL, &secret)),
        )
        .await;
        assert_eq!(replay.status, 400, "{}", replay.body);
        assert_eq!(json_of(&replay)["error"], "invalid_grant");
        assert_eq!(replay.headers.get("cache-control").unwrap(), "no-store");
        assert_eq!(
            userinfo_status(&server, &first.access_token).await,
            (
                401,
                "Bearer realm=\"tongban\", error=\"invalid_token\"".to_owned()
            )
        );

        // Signing in again on the way to a system whose consent is remembered ends at the
        // system: the sign-in page lets its form lead there (CSP form-action), and no other
        // sign-in page does.
        let mut fresh = Browser::new(&server);
        let authorize_path = format!(
            "/oidc/authorize?response_type=code&client_id={PORTAL}&redirect_uri={}&scope=openid&code_challenge={}&code_challenge_method=S256",
            tongban_services::oidc::form_encode(PORTAL_REDIRECT),
            tongban_services::oidc::pkce_s256(&"v".repeat(43))
        );
        let login = fresh
            .get(&format!(
                "/login?next={}",
                tongban_services::oidc::form_encode(&authorize_path)
            ))
            .await;
        let csp = login.headers.get("content-security-policy").unwrap();
        assert!(
            csp.to_str()
                .unwrap()
                .contains("form-action 'self' http://127.0.0.1:9100;"),
            "{csp:?}"
        );
        let plain = fresh.get("/login").await;
        assert!(
            plain.headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("form-action 'self';")
        );

        // Consent is remembered: the second sign-in goes straight back with a code, and the
        // subject is stable for the client.
        let second = code_flow(
            &server,
            &mut browser,
            PORTAL,
            &secret,
            PORTAL_REDIRECT,
            AuthType::BasicAuth,
        )
        .await;
        assert_eq!(second.subject, first.subject);
        assert!(!first.id_token.is_empty());

        // Issuance is audited.
        let actions: Vec<String> = tongban_store::audit::recent_for_actor(
            &db.conn,
            tongban_store::identity::find_by_login(
                &db.conn,
                &tongban_store::identity::LoginKey::PhoneIndex(
                    server.state.identity.index.of("mobile", PERSON),
                ),
            )
            .await
            .unwrap()
            .unwrap()
            .id,
            50,
        )
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{}:{}", e.action, e.outcome))
        .collect();
        assert!(
            actions.contains(&"oidc.token:success".to_owned()),
            "{actions:?}"
        );
        assert!(
            actions.contains(&"oidc.authorize:success".to_owned()),
            "{actions:?}"
        );
        assert!(
            actions.contains(&"oidc.userinfo:success".to_owned()),
            "{actions:?}"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn client_secret_post_and_client_credentials_work_and_machine_tokens_get_no_userinfo() {
    for db in TestDb::all("oidc client_secret_post").await {
        let server = Server::start(&db).await;
        let secret = server.portal().await;
        let mut browser = Browser::new(&server);
        code_flow(
            &server,
            &mut browser,
            PORTAL,
            &secret,
            PORTAL_REDIRECT,
            AuthType::RequestBody,
        )
        .await;

        let client = CoreClient::from_provider_metadata(
            server.metadata().await,
            ClientId::new(PORTAL.to_owned()),
            Some(ClientSecret::new(secret.clone())),
        );
        let machine = client
            .exchange_client_credentials()
            .unwrap()
            .add_scope(Scope::new("exchange.read".into()))
            .request_async(&server.oidc_http())
            .await
            .expect("client_credentials");
        assert_eq!(
            machine
                .scopes()
                .map(|s| s.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
            Some(vec!["exchange.read".to_owned()])
        );
        assert_eq!(
            userinfo_status(&server, machine.access_token().secret())
                .await
                .0,
            401,
            "a token without a person gets no userinfo"
        );
        // User scopes mean nothing without a person.
        let refused = post_token(
            &server,
            &[
                ("grant_type", "client_credentials"),
                ("scope", "openid phone"),
                ("client_id", PORTAL),
                ("client_secret", &secret),
            ],
            None,
        )
        .await;
        assert_eq!(json_of(&refused)["error"], "invalid_scope");
        let unknown = post_token(
            &server,
            &[
                ("grant_type", "password"),
                ("client_id", PORTAL),
                ("client_secret", &secret),
            ],
            None,
        )
        .await;
        assert_eq!(json_of(&unknown)["error"], "unsupported_grant_type");
        db.finish().await;
    }
}

#[tokio::test]
async fn bad_requests_are_refused_the_way_rfc_6749_says() {
    for db in TestDb::all("oidc refusals").await {
        let server = Server::start(&db).await;
        let secret = server.portal().await;
        server
            .register(NewClient {
                public: true,
                ..portal_client("mobile-app", "http://127.0.0.1:9200/cb", "app.example")
            })
            .await;
        let mut browser = Browser::new(&server);
        let challenge = tongban_services::oidc::pkce_s256(&"v".repeat(43));
        let authorize = |client: &str, redirect: &str, scope: &str, extra: &str| {
            format!(
                "/oidc/authorize?response_type=code&client_id={client}&redirect_uri={}&scope={}&state=st-1&nonce=n-1{extra}",
                tongban_services::oidc::form_encode(redirect),
                tongban_services::oidc::form_encode(scope),
            )
        };
        let pkce = format!("&code_challenge={challenge}&code_challenge_method=S256");

        // An unregistered redirect URI gets an error page, never a redirect (signed out too).
        let evil = browser
            .get(&authorize(
                PORTAL,
                "http://127.0.0.1:9100/evil",
                "openid",
                &pkce,
            ))
            .await;
        assert_eq!(evil.status, 400);
        assert!(evil.location.is_none());
        assert!(
            evil.body.contains("not one the system registered"),
            "{}",
            evil.body
        );
        let unknown = browser
            .get(&authorize("nobody", PORTAL_REDIRECT, "openid", &pkce))
            .await;
        assert_eq!(unknown.status, 400);
        assert!(unknown.location.is_none());

        browser.sign_in(PERSON, "/account").await;
        // id_number asked by a client without approval: invalid_scope, at the client.
        let id_number = browser
            .get(&authorize(
                PORTAL,
                PORTAL_REDIRECT,
                "openid id_number",
                &pkce,
            ))
            .await;
        let location = id_number.location.expect("sent back to the client");
        assert_eq!(
            query_param(&location, "error").as_deref(),
            Some("invalid_scope")
        );
        assert_eq!(query_param(&location, "state").as_deref(), Some("st-1"));
        // PKCE `plain` is refused; a public client must use PKCE.
        let plain = browser
            .get(&authorize(
                PORTAL,
                PORTAL_REDIRECT,
                "openid",
                &format!(
                    "&code_challenge={}&code_challenge_method=plain",
                    "v".repeat(43)
                ),
            ))
            .await;
        assert_eq!(
            query_param(&plain.location.unwrap(), "error").as_deref(),
            Some("invalid_request")
        );
        let no_pkce = browser
            .get(&authorize(
                "mobile-app",
                "http://127.0.0.1:9200/cb",
                "openid",
                "",
            ))
            .await;
        assert_eq!(
            query_param(&no_pkce.location.unwrap(), "error").as_deref(),
            Some("invalid_request")
        );

        // The consent form refuses a POST without its CSRF token, and "deny" tells the client.
        let consent = browser
            .get(&authorize(PORTAL, PORTAL_REDIRECT, "openid profile", &pkce))
            .await;
        assert_eq!(consent.status, 200, "{}", consent.body);
        let mut form = hidden_fields(&consent.body);
        form.retain(|(k, _)| k != "csrf");
        form.push(("decision".into(), "allow".into()));
        assert_eq!(browser.post("/oidc/authorize", &form).await.status, 403);
        let mut form = hidden_fields(&consent.body);
        form.push(("decision".into(), "deny".into()));
        let denied = browser.post("/oidc/authorize", &form).await;
        let location = denied.location.unwrap();
        assert!(location.starts_with(PORTAL_REDIRECT));
        assert_eq!(
            query_param(&location, "error").as_deref(),
            Some("access_denied")
        );
        assert_eq!(query_param(&location, "state").as_deref(), Some("st-1"));

        // A code with the wrong PKCE verifier is refused (and used up).
        let mut form = hidden_fields(&consent.body);
        form.push(("decision".into(), "allow".into()));
        let allowed = browser.post("/oidc/authorize", &form).await;
        let code = query_param(&allowed.location.unwrap(), "code").unwrap();
        let exchange = |verifier: String, secret: String, code: String| {
            let server = &server;
            async move {
                post_token(
                    server,
                    &[
                        ("grant_type", "authorization_code"),
                        ("code", &code),
                        ("redirect_uri", PORTAL_REDIRECT),
                        ("code_verifier", &verifier),
                    ],
                    Some((PORTAL, &secret)),
                )
                .await
            }
        };
        let wrong_secret = exchange("v".repeat(43), "not-the-secret".into(), code.clone()).await;
        assert_eq!(wrong_secret.status, 401);
        assert_eq!(json_of(&wrong_secret)["error"], "invalid_client");
        assert_eq!(
            wrong_secret.headers.get("www-authenticate").unwrap(),
            "Basic realm=\"tongban\""
        );
        let wrong_verifier = exchange("w".repeat(43), secret.clone(), code.clone()).await;
        assert_eq!(wrong_verifier.status, 400);
        assert_eq!(json_of(&wrong_verifier)["error"], "invalid_grant");
        let right_too_late = exchange("v".repeat(43), secret.clone(), code).await;
        assert_eq!(json_of(&right_too_late)["error"], "invalid_grant");

        // The public client with PKCE gets its tokens without a secret.
        let consent = browser
            .get(&authorize(
                "mobile-app",
                "http://127.0.0.1:9200/cb",
                "openid",
                &pkce,
            ))
            .await;
        let mut form = hidden_fields(&consent.body);
        form.push(("decision".into(), "allow".into()));
        let code = query_param(
            &browser
                .post("/oidc/authorize", &form)
                .await
                .location
                .unwrap(),
            "code",
        )
        .unwrap();
        let public = post_token(
            &server,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "http://127.0.0.1:9200/cb"),
                ("code_verifier", &"v".repeat(43)),
                ("client_id", "mobile-app"),
            ],
            None,
        )
        .await;
        assert_eq!(public.status, 200, "{}", public.body);
        assert!(json_of(&public)["id_token"].is_string());
        db.finish().await;
    }
}

#[tokio::test]
async fn subjects_are_pairwise_per_sector_and_id_numbers_need_approval() {
    for db in TestDb::all("oidc pairwise").await {
        let server = Server::start(&db).await;
        let portal_secret = server.portal().await;
        // Another system of the same sector, and one of another sector that is approved for
        // ID numbers.
        let sibling_secret = server
            .register(portal_client(
                "gjj-counter",
                "http://127.0.0.1:9101/cb",
                "gjj.example",
            ))
            .await
            .unwrap();
        let tax_secret = server
            .register(NewClient {
                allow_id_number: true,
                scopes: ["openid", "profile", "phone"].map(str::to_owned).to_vec(),
                ..portal_client("tax-portal", "http://127.0.0.1:9102/cb", "tax.example")
            })
            .await
            .unwrap();
        let mut browser = Browser::new(&server);
        let portal = code_flow(
            &server,
            &mut browser,
            PORTAL,
            &portal_secret,
            PORTAL_REDIRECT,
            AuthType::BasicAuth,
        )
        .await;
        let sibling = code_flow(
            &server,
            &mut browser,
            "gjj-counter",
            &sibling_secret,
            "http://127.0.0.1:9101/cb",
            AuthType::BasicAuth,
        )
        .await;
        let tax = code_flow(
            &server,
            &mut browser,
            "tax-portal",
            &tax_secret,
            "http://127.0.0.1:9102/cb",
            AuthType::BasicAuth,
        )
        .await;
        assert_eq!(portal.subject, sibling.subject, "one sector, one subject");
        assert_ne!(
            portal.subject, tax.subject,
            "sectors cannot correlate people"
        );

        // The approved client asks for the ID number: the consent page says so plainly, and
        // userinfo then carries it.
        let challenge = tongban_services::oidc::pkce_s256(&"v".repeat(43));
        let consent = browser
            .get(&format!(
                "/oidc/authorize?response_type=code&client_id=tax-portal&redirect_uri={}&scope=openid%20id_number&code_challenge={challenge}&code_challenge_method=S256",
                tongban_services::oidc::form_encode("http://127.0.0.1:9102/cb")
            ))
            .await;
        assert_eq!(consent.status, 200, "{}", consent.body);
        assert!(
            consent
                .body
                .contains("specially approved to receive your resident ID number")
        );
        let mut form = hidden_fields(&consent.body);
        form.push(("decision".into(), "allow".into()));
        let code = query_param(
            &browser
                .post("/oidc/authorize", &form)
                .await
                .location
                .unwrap(),
            "code",
        )
        .unwrap();
        let tokens = post_token(
            &server,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "http://127.0.0.1:9102/cb"),
                ("code_verifier", &"v".repeat(43)),
            ],
            Some(("tax-portal", &tax_secret)),
        )
        .await;
        let access = json_of(&tokens)["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let info = server
            .http
            .send(
                http::Request::get(format!("{}/oidc/userinfo", server.base))
                    .header("authorization", format!("Bearer {access}"))
                    .body(Vec::new())
                    .unwrap(),
            )
            .await
            .unwrap();
        let info: serde_json::Value = serde_json::from_slice(info.body()).unwrap();
        assert_eq!(info["id_number"], "990102199003071233");
        assert_eq!(info["sub"], tax.subject);
        assert!(
            info.get("name").is_none(),
            "profile was not asked this time"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn end_session_returns_to_a_registered_address_with_state() {
    for db in TestDb::all("oidc end-session").await {
        let server = Server::start(&db).await;
        let secret = server.portal().await;
        let mut browser = Browser::new(&server);
        let signed_in = code_flow(
            &server,
            &mut browser,
            PORTAL,
            &secret,
            PORTAL_REDIRECT,
            AuthType::BasicAuth,
        )
        .await;
        let end = format!(
            "/oidc/end-session?id_token_hint={}&post_logout_redirect_uri={}&state=bye-1",
            signed_in.id_token,
            tongban_services::oidc::form_encode(PORTAL_LOGOUT)
        );
        let page = browser.get(&end).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let mut form = hidden_fields(&page.body);
        form.retain(|(k, _)| k != "csrf");
        assert_eq!(browser.post("/oidc/end-session", &form).await.status, 403);
        assert_eq!(browser.get("/account").await.status, 200, "still signed in");
        let done = browser
            .post("/oidc/end-session", &hidden_fields(&page.body))
            .await;
        assert_eq!(done.status, 303);
        assert_eq!(
            done.location.as_deref(),
            Some(&*format!("{PORTAL_LOGOUT}?state=bye-1"))
        );
        assert_eq!(browser.get("/account").await.status, 303, "signed out");

        // Signed out already: straight back; an unregistered address is never followed.
        let again = browser.get(&end).await;
        assert_eq!(
            again.location.as_deref(),
            Some(&*format!("{PORTAL_LOGOUT}?state=bye-1"))
        );
        let evil = browser
            .get(&format!(
                "/oidc/end-session?client_id={PORTAL}&post_logout_redirect_uri={}&state=x",
                tongban_services::oidc::form_encode("https://evil.example/")
            ))
            .await;
        assert_eq!(evil.status, 200);
        assert!(evil.location.is_none());
        db.finish().await;
    }
}

#[tokio::test]
async fn rotated_keys_stay_published_for_the_grace_period() {
    for db in TestDb::all("oidc key rotation").await {
        let server = Server::start(&db).await;
        let clock = server.state.clock.clone();
        let oidc = &server.state.oidc;
        let first = oidc.jwks(clock.as_ref()).await.unwrap();
        assert_eq!(first["keys"].as_array().unwrap().len(), 1);
        let old_kid = first["keys"][0]["kid"].as_str().unwrap().to_owned();
        let new_kid = oidc
            .rotate_keys(clock.as_ref(), Admin::Console, &Origin::default())
            .await
            .unwrap();
        assert_ne!(old_kid, new_kid);
        let both = oidc.jwks(clock.as_ref()).await.unwrap();
        let kids: Vec<&str> = both["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap())
            .collect();
        assert_eq!(kids.len(), 2);
        assert!(kids.contains(&old_kid.as_str()) && kids.contains(&new_kid.as_str()));
        // New ID tokens are signed with the new key and verify through the published JWKS.
        let secret = server.portal().await;
        let mut browser = Browser::new(&server);
        let signed_in = code_flow(
            &server,
            &mut browser,
            PORTAL,
            &secret,
            PORTAL_REDIRECT,
            AuthType::BasicAuth,
        )
        .await;
        let header = signed_in.id_token.split('.').next().unwrap();
        use base64::Engine;
        let header: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(header)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(header["kid"], new_kid);
        assert_eq!(header["alg"], "EdDSA");
        // After the grace period the old key leaves the JWKS.
        let later = tongban_domain::clock::FixedClock(clock.now() + chrono::Duration::days(8));
        let after = oidc.jwks(&later).await.unwrap();
        assert_eq!(after["keys"].as_array().unwrap().len(), 1);
        assert_eq!(after["keys"][0]["kid"], new_kid);
        // The private key is stored encrypted, never in clear.
        let stored = tongban_store::oidc::signing_key(&db.conn)
            .await
            .unwrap()
            .unwrap();
        assert!(stored.private_ciphertext.contains('.'));
        db.finish().await;
    }
}

// ---- administration ------------------------------------------------------------------------

async fn as_sysadmin(server: &Server) -> Browser {
    use tongban_services::crypto::{BlindIndex, totp_at_step, totp_step};
    let mut browser = Browser::new(server);
    let reply = browser.sign_in("sysadmin", "/admin/oidc/clients").await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    let secret =
        tongban_services::identity::mfa::demo_totp_secret(&BlindIndex::derive(&SECRET), "sysadmin");
    let page = browser.get("/login/second-factor").await;
    let csrf = field(&page.body, "csrf").unwrap();
    let code = totp_at_step(&secret, totp_step(clock().0.timestamp()), 6);
    let passed = browser
        .post(
            "/login/second-factor",
            &pairs(&[("code", &code), ("csrf", &csrf)]),
        )
        .await;
    assert_eq!(passed.status, 303, "{}", passed.body);
    browser
}

#[tokio::test]
async fn system_administrators_manage_clients_on_the_admin_page() {
    for db in TestDb::all("oidc admin page").await {
        let server = Server::start(&db).await;

        // People and other staff may not.
        let mut person = Browser::new(&server);
        person.sign_in(PERSON, "/account").await;
        assert_eq!(person.get("/admin/oidc/clients").await.status, 403);
        let mut anonymous = Browser::new(&server);
        let sent = anonymous.get("/admin/oidc/clients").await;
        assert_eq!(
            sent.location.as_deref(),
            Some("/login?next=/admin/oidc/clients")
        );

        let mut admin = as_sysadmin(&server).await;
        let page = admin.get("/admin/oidc/clients").await;
        assert_eq!(page.status, 200, "{}", page.body);
        let csrf = field(&page.body, "csrf").unwrap();
        let add = |csrf: &str, redirect: &str| {
            pairs(&[
                ("csrf", csrf),
                ("name", "不动产登记系统"),
                ("client_id", "bdc-portal"),
                ("department", "GJJ"),
                ("redirect_uris", redirect),
                ("post_logout_redirect_uris", ""),
                ("scopes", "openid profile"),
                ("sector", ""),
            ])
        };
        assert_eq!(
            admin
                .post(
                    "/admin/oidc/clients",
                    &add("forged", "https://bdc.example/cb")
                )
                .await
                .status,
            403
        );
        let invalid = admin
            .post("/admin/oidc/clients", &add(&csrf, "http://bdc.example/cb"))
            .await;
        assert_eq!(invalid.status, 422);
        assert!(
            invalid.body.contains("href=\"#redirect_uris\""),
            "error summary links the field"
        );
        assert!(
            invalid
                .body
                .contains("Every return address must be a full https address")
        );
        let created = admin
            .post("/admin/oidc/clients", &add(&csrf, "https://bdc.example/cb"))
            .await;
        assert_eq!(created.status, 200, "{}", created.body);
        assert!(created.body.contains("bdc-portal"));
        assert!(created.body.contains("shown only this once"));
        let list = admin.get("/admin/oidc/clients").await;
        assert!(list.body.contains("不动产登记系统"));
        assert!(
            list.body.contains("bdc.example"),
            "sector defaults to the redirect host"
        );

        // New secret, then switch off: the client can no longer start a sign-in.
        assert_eq!(
            admin
                .post(
                    "/admin/oidc/clients/bdc-portal/secret",
                    &pairs(&[("csrf", "x")])
                )
                .await
                .status,
            403
        );
        let renewed = admin
            .post(
                "/admin/oidc/clients/bdc-portal/secret",
                &pairs(&[("csrf", &csrf)]),
            )
            .await;
        assert_eq!(renewed.status, 200);
        assert_eq!(
            admin
                .post(
                    "/admin/oidc/clients/bdc-portal/disable",
                    &pairs(&[("csrf", "x")])
                )
                .await
                .status,
            403
        );
        let disabled = admin
            .post(
                "/admin/oidc/clients/bdc-portal/disable",
                &pairs(&[("csrf", &csrf)]),
            )
            .await;
        assert_eq!(disabled.status, 303);
        let refused = anonymous
            .get(&format!(
                "/oidc/authorize?response_type=code&client_id=bdc-portal&redirect_uri={}&scope=openid",
                tongban_services::oidc::form_encode("https://bdc.example/cb")
            ))
            .await;
        assert_eq!(refused.status, 400);
        assert!(refused.location.is_none());
        let enabled = admin
            .post(
                "/admin/oidc/clients/bdc-portal/enable",
                &pairs(&[("csrf", &csrf)]),
            )
            .await;
        assert_eq!(
            enabled.location.as_deref(),
            Some("/admin/oidc/clients?done=enabled")
        );
        assert_eq!(
            admin.get("/admin/oidc/clients?done=enabled").await.status,
            200
        );

        // Every change is in the audit trail under the administrator's name.
        let admin_id = tongban_store::identity::find_by_login(
            &db.conn,
            &tongban_store::identity::LoginKey::Username("sysadmin".into()),
        )
        .await
        .unwrap()
        .unwrap()
        .id;
        let actions: Vec<String> = tongban_store::audit::recent_for_actor(&db.conn, admin_id, 50)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.target.as_deref() == Some("bdc-portal"))
            .map(|e| e.action)
            .collect();
        assert_eq!(
            actions,
            [
                "oidc.client.enable",
                "oidc.client.disable",
                "oidc.client.secret",
                "oidc.client.add"
            ]
        );
        assert!(
            tongban_store::audit::verify_chain(&db.conn)
                .await
                .unwrap()
                .is_ok(),
            "the audit chain is intact"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn an_agent_acting_for_an_enterprise_passes_it_to_the_department_system() {
    use tongban_store::entities::enterprise;
    use tongban_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    for db in TestDb::all("oidc enterprise claim").await {
        let server = Server::start(&db).await;
        let mut client = portal_client("market-portal", PORTAL_REDIRECT, "market.example");
        client.scopes.push("enterprise".to_owned());
        let secret = server.register(client).await.unwrap();
        let demo_enterprise = enterprise::Entity::find()
            .filter(enterprise::Column::CreditCode.eq("91990100MA0QH00012"))
            .one(&db.conn)
            .await
            .unwrap()
            .expect("the demo enterprise");

        // The demo enterprise's agent signs in and switches to acting for it.
        let mut browser = Browser::new(&server);
        let signed_in = browser.sign_in("13800000002", "/account/acting").await;
        assert_eq!(signed_in.status, 303, "{}", signed_in.body);
        let page = browser.get("/account/acting").await;
        let csrf = field(&page.body, "csrf").expect("a CSRF field");
        let switched = browser
            .post(
                "/account/acting",
                &pairs(&[
                    ("principal", &format!("enterprise:{}", demo_enterprise.id)),
                    ("csrf", &csrf),
                ]),
            )
            .await;
        assert_eq!(switched.status, 303, "{}", switched.body);

        let metadata = server.metadata().await;
        let oidc = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new("market-portal".to_owned()),
            Some(ClientSecret::new(secret)),
        )
        .set_redirect_uri(RedirectUrl::new(PORTAL_REDIRECT.to_owned()).unwrap());
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, _, _) = oidc
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("enterprise".into()))
            .set_pkce_challenge(challenge)
            .url();
        let callback = authorize_through_browser(&mut browser, &url, "allow").await;
        let code = query_param(&callback, "code").expect("a code");
        let tokens = oidc
            .exchange_code(AuthorizationCode::new(code))
            .unwrap()
            .set_pkce_verifier(verifier)
            .request_async(&server.oidc_http())
            .await
            .expect("code exchange");
        let response = server
            .http
            .send(
                http::Request::get(format!("{}/oidc/userinfo", server.base))
                    .header(
                        "authorization",
                        format!("Bearer {}", tokens.access_token().secret()),
                    )
                    .body(Vec::new())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let claims: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(claims["enterprise"]["credit_code"], "91990100MA0QH00012");
        assert_eq!(claims["enterprise"]["name"], "示范市青禾餐饮有限公司");
        assert!(claims["enterprise"]["scopes"].is_array());
        db.finish().await;
    }
}

#[tokio::test]
async fn staff_pass_their_second_factor_on_the_way_and_land_back_on_the_request() {
    use tongban_services::crypto::{BlindIndex, totp_at_step, totp_step};
    for db in TestDb::all("oidc staff second factor").await {
        let server = Server::start(&db).await;
        let secret = server.portal().await;
        let oidc = CoreClient::from_provider_metadata(
            server.metadata().await,
            ClientId::new(PORTAL.to_owned()),
            Some(ClientSecret::new(secret)),
        )
        .set_redirect_uri(RedirectUrl::new(PORTAL_REDIRECT.to_owned()).unwrap());
        let (challenge, _verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, _, _) = oidc
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge)
            .url();
        let request = format!("{}?{}", url.path(), url.query().unwrap_or(""));
        let mut browser = Browser::new(&server);
        let signed_in = browser.sign_in("gjj.reviewer", &request).await;
        assert_eq!(signed_in.location.as_deref(), Some(request.as_str()));
        let gated = browser.get(&request).await;
        let to_code = gated.location.expect("the second factor first");
        assert!(
            to_code.starts_with("/login/second-factor?next="),
            "{to_code}"
        );
        let page = browser.get(&to_code).await;
        let secret = tongban_services::identity::mfa::demo_totp_secret(
            &BlindIndex::derive(&SECRET),
            "gjj.reviewer",
        );
        let mut form = hidden_fields(&page.body);
        form.push((
            "code".to_owned(),
            totp_at_step(&secret, totp_step(clock().0.timestamp()), 6),
        ));
        let passed = browser.post("/login/second-factor", &form).await;
        assert_eq!(passed.status, 303, "{}", passed.body);
        assert_eq!(
            passed.location.as_deref(),
            Some(request.as_str()),
            "back on the department system's request"
        );
        let consent = browser.get(&request).await;
        assert_eq!(consent.status, 200);
        assert!(consent.body.contains("公积金网上业务系统"));
        db.finish().await;
    }
}
