//! `tongban serve`, `migrate` and `seed`: opening the database, preparing it and running the
//! HTTP server with graceful shutdown.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use tongban_domain::clock::SystemClock;
use tongban_services::crypto::{AesGcmKeyring, BlindIndex};
use tongban_services::identity::password::Passwords;
use tongban_services::identity::registration::DemoRealNameVerifier;
use tongban_services::identity::{DemoAccounts, Identity, IdentitySettings};
use tongban_services::mail::{EmailSender, LogEmail, SmtpEmail};
use tongban_services::notifications::{LogSms, Templates, Worker};
use tongban_web::{AppState, WebSettings};

use crate::settings::{LogFormat, Mode, Settings};

/// Flags shared by every command that opens the database.
#[derive(Debug, Default, clap::Args)]
pub struct DatabaseArgs {
    /// Database URL: sqlite://PATH or postgres://… (default: DATA_DIR/tongban.db).
    #[arg(long)]
    database: Option<String>,
    /// Directory for the embedded database and files.
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

impl DatabaseArgs {
    /// The embedded database of `data_dir`, as `--data-dir` would give.
    pub fn for_data_dir(data_dir: PathBuf) -> DatabaseArgs {
        DatabaseArgs {
            database: None,
            data_dir: Some(data_dir),
        }
    }
}

#[derive(Debug, Default, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    /// Address to listen on, e.g. 127.0.0.1:8080.
    #[arg(long)]
    addr: Option<SocketAddr>,
    /// Address of the metrics listener; "off" disables it.
    #[arg(long)]
    metrics_addr: Option<String>,
    /// demo or production.
    #[arg(long, value_enum)]
    mode: Option<Mode>,
    /// Log format.
    #[arg(long, value_enum)]
    log_format: Option<LogFormat>,
}

pub(crate) fn settings_with(config: Option<&Path>, db: &DatabaseArgs) -> anyhow::Result<Settings> {
    let mut settings = Settings::load(config).map_err(anyhow::Error::msg)?;
    if let Some(dir) = &db.data_dir {
        settings.server.data_dir = dir.clone();
    }
    if let Some(url) = &db.database {
        settings.database.url = url.clone();
    }
    Ok(settings)
}

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub(crate) async fn open(settings: &Settings) -> anyhow::Result<tongban_store::Connection> {
    let url = settings.database_url();
    let db = tongban_store::connect(&url)
        .await
        .with_context(|| format!("cannot open the database {}", redact(&url)))?;
    let applied = tongban_store::migrate(&db)
        .await
        .context("migration failed")?;
    if applied > 0 {
        tracing::info!(applied, "database migrated");
    }
    Ok(db)
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

pub fn migrate(config: Option<&Path>, args: DatabaseArgs) -> anyhow::Result<()> {
    let settings = settings_with(config, &args)?;
    let _guard = crate::logging::init(&settings.log);
    runtime()?.block_on(async {
        let url = settings.database_url();
        let db = tongban_store::connect(&url).await?;
        let applied = tongban_store::migrate(&db).await?;
        println!("{applied} migration(s) applied to {}", redact(&url));
        Ok(())
    })
}

pub fn seed_demo(config: Option<&Path>, args: DatabaseArgs) -> anyhow::Result<()> {
    let settings = settings_with(config, &args)?;
    let _guard = crate::logging::init(&settings.log);
    if settings.mode == Mode::Production {
        bail!("refusing to load demo data into a database configured for production mode");
    }
    runtime()?.block_on(async {
        let db = open(&settings).await?;
        let report = tongban_services::catalog::seed_demo(&db, &SystemClock).await?;
        let synonyms =
            tongban_services::search_terms::seed_demo_synonyms(&db, &SystemClock).await?;
        if report.is_empty() {
            println!("demo region already present: nothing to add");
        } else {
            println!(
                "demo region loaded: {} hall(s), {} department(s), {} service(s) added",
                report.halls_created, report.departments_created, report.services_created
            );
        }
        if synonyms > 0 {
            println!("demo search synonyms: {synonyms} group(s) added");
        }
        let (oidc, region) = crate::oidc::provider(&settings).await?;
        let (client_id, secret) = oidc.seed_demo_client(&SystemClock, &region).await?;
        print_demo_client(&client_id, &secret);
        Ok(())
    })
}

pub fn demo_totp(config: Option<&Path>, args: DatabaseArgs, user: &str) -> anyhow::Result<()> {
    let settings = settings_with(config, &args)?;
    if settings.mode == Mode::Production {
        bail!(
            "`tongban demo totp` works in demo mode only: production staff use their own authenticator"
        );
    }
    let _guard = crate::logging::init(&settings.log);
    runtime()?.block_on(async {
        let db = open(&settings).await?;
        let identity = build_identity(&settings, db, "通办".to_owned())?;
        match identity.current_totp(&SystemClock, user).await? {
            Some(code) => {
                println!("{code}");
                Ok(())
            }
            None => bail!("{user} is not a staff account with an authenticator"),
        }
    })
}

/// Prints an access token of the demo client for a demo person (`tongban demo token`), so
/// that benchmarks and scripts can call the applications API as several people without a
/// browser sign-in. Demo mode and demo people only; the issuance is audited.
pub fn demo_token(
    config: Option<&Path>,
    args: DatabaseArgs,
    user: &str,
    minutes: i64,
) -> anyhow::Result<()> {
    let settings = settings_with(config, &args)?;
    if settings.mode != Mode::Demo {
        bail!("`tongban demo token` works in demo mode only");
    }
    let _guard = crate::logging::init(&settings.log);
    runtime()?.block_on(async {
        let db = open(&settings).await?;
        let identity = build_identity(&settings, db, "通办".to_owned())?;
        let Some(account) = identity.demo_person(user).await? else {
            bail!(
                "{user} is not a demo person (a mobile number or resident ID number from demo/accounts.yaml) with an account here"
            );
        };
        let (oidc, _) = crate::oidc::provider(&settings).await?;
        let token = oidc
            .issue_demo_token(&SystemClock, account, chrono::Duration::minutes(minutes))
            .await?;
        println!("{}", token.access_token);
        Ok(())
    })
}

/// What `tongban staff add` is asked for.
pub struct StaffAddArgs {
    pub username: String,
    pub name: String,
    pub region: String,
    pub department: Option<String>,
    pub roles: Vec<String>,
}

/// Creates a staff account from the server's console and prints its initial password once:
/// how a new deployment gets its first security administrator, who creates everyone else in
/// the browser.
pub fn staff_add(
    config: Option<&Path>,
    args: DatabaseArgs,
    staff: StaffAddArgs,
) -> anyhow::Result<()> {
    use tongban_services::identity::staff::{NewStaff, StaffError};
    let settings = settings_with(config, &args)?;
    let _guard = crate::logging::init(&settings.log);
    runtime()?.block_on(async {
        let db = open(&settings).await?;
        let region_id = tongban_store::catalog::region_id(&db, &staff.region)
            .await?
            .ok_or_else(|| anyhow::anyhow!("region {} is not loaded", staff.region))?;
        let department_id = match &staff.department {
            None => None,
            Some(code) => Some(
                *tongban_store::catalog::department_ids(&db, region_id)
                    .await?
                    .get(code)
                    .ok_or_else(|| {
                        anyhow::anyhow!("region {} has no department {code}", staff.region)
                    })?,
            ),
        };
        let mut roles = Vec::new();
        for key in &staff.roles {
            roles.push(tongban_domain::access::Role::from_key(key).ok_or_else(|| {
                anyhow::anyhow!(
                    "unknown role {key}; roles: {}",
                    tongban_domain::access::Role::ALL
                        .map(|r| r.key())
                        .join(", ")
                )
            })?);
        }
        let identity = build_identity(&settings, db, "通办".to_owned())?;
        let new = NewStaff {
            username: staff.username,
            name: staff.name,
            department_id,
            roles,
        };
        match identity
            .create_staff_from_console(&SystemClock, &staff.region, &new)
            .await
        {
            Ok(issued) => {
                println!("created staff account {}", issued.username);
                println!("initial password (shown once): {}", issued.password);
                println!(
                    "at first sign-in they enrol an authenticator and choose their own password"
                );
                Ok(())
            }
            Err(StaffError::Invalid(problems)) => bail!(
                "refused: {}",
                problems
                    .iter()
                    .map(|(field, problem)| format!("{field}: {}", explain(*problem)))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            Err(StaffError::Separation(error)) => bail!("refused: {error}"),
            Err(other) => Err(other.into()),
        }
    })
}

/// A staff form problem in words, for the console.
fn explain(problem: tongban_services::identity::staff::StaffProblem) -> &'static str {
    use tongban_services::identity::staff::StaffProblem::*;
    match problem {
        UsernameFormat => {
            "3 to 32 lower-case letters, digits, '.', '_' or '-', starting with a letter"
        }
        UsernameTaken => "this user name is taken",
        NameInvalid => "enter the person's name",
        DepartmentUnknown => "no such department in this region",
        RolesMissing => "give at least one --role",
        RoleNotGrantable => "this role cannot be granted here",
        RoleNeedsDepartment => "a department role needs --department",
        Separation => {
            "system-admin, security-admin and auditor are separated: one account holds at most one, and an auditor nothing else"
        }
    }
}

/// The identity feature over `db` with the keys and settings in force.
fn build_identity(
    settings: &Settings,
    db: tongban_store::Connection,
    site_name: String,
) -> anyhow::Result<Identity> {
    let keys = crate::secrets::load(settings)?;
    Ok(Identity {
        db,
        cipher: Arc::new(AesGcmKeyring::new(keys.data, &[])),
        index: BlindIndex::derive(&keys.secret),
        passwords: Passwords::new(
            settings.security.argon2,
            std::thread::available_parallelism().map_or(2, |n| n.get()),
        )?,
        settings: IdentitySettings {
            policy: settings.security.password_policy,
            staff_password_max_age: (settings.security.staff_password_max_age_days > 0).then(
                || chrono::Duration::days(i64::from(settings.security.staff_password_max_age_days)),
            ),
            site_name,
            ..IdentitySettings::default()
        },
        // No national identity service is reachable from here; a deployment plugs its
        // provider in behind this trait.
        verifier: Arc::new(DemoRealNameVerifier),
    })
}

pub fn verify_audit(config: Option<&Path>, args: DatabaseArgs) -> anyhow::Result<()> {
    let settings = settings_with(config, &args)?;
    let _guard = crate::logging::init(&settings.log);
    runtime()?.block_on(async {
        let db = open(&settings).await?;
        match tongban_store::audit::verify_chain(&db).await? {
            Ok(count) => {
                println!("audit chain intact: {count} entries");
                Ok(())
            }
            Err(tongban_store::audit::ChainBreak::Altered { seq }) => {
                bail!("audit entry {seq} was altered after it was written")
            }
            Err(tongban_store::audit::ChainBreak::Unlinked { seq }) => {
                bail!("audit entry {seq} does not follow the entry before it: entries were removed or reordered")
            }
            Err(tongban_store::audit::ChainBreak::Truncated { head_seq, last_seq }) => {
                bail!("the audit chain ends at entry {last_seq} but its head names entry {head_seq}: entries were removed from the end")
            }
        }
    })
}

pub fn verify_exchange_log(config: Option<&Path>, args: DatabaseArgs) -> anyhow::Result<()> {
    use tongban_store::exchange::LogBreak;
    let settings = settings_with(config, &args)?;
    let _guard = crate::logging::init(&settings.log);
    runtime()?.block_on(async {
        let db = open(&settings).await?;
        match tongban_store::exchange::verify_log(&db).await? {
            Ok(count) => {
                println!("exchange evidence log intact: {count} entries, every seal verified");
                Ok(())
            }
            Err(LogBreak::Entry { seq, problem }) => {
                bail!("evidence entry {seq} fails: {problem}")
            }
            Err(LogBreak::Unreadable { seq }) => {
                bail!("evidence entry {seq} cannot be read: its field list is not the JSON it was written as")
            }
            Err(LogBreak::Truncated { head_seq, last_seq }) => {
                bail!("the evidence log ends at entry {last_seq} but its head names entry {head_seq}: entries were removed from the end")
            }
        }
    })
}

pub fn serve(config: Option<&Path>, args: ServeArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut settings = settings_with(config, &args.db)?;
    if let Some(addr) = args.addr {
        settings.server.addr = addr;
    }
    if let Some(metrics) = args.metrics_addr {
        settings.server.metrics_addr = metrics;
    }
    if let Some(mode) = args.mode {
        settings.mode = mode;
    }
    if let Some(format) = args.log_format {
        settings.log.format = format;
    }
    if settings.mode == Mode::Production {
        let gaps = settings.production_gaps();
        if !gaps.is_empty() {
            bail!(
                "production mode needs configuration before it starts:\n  - {}\nSee `tongban config default`.",
                gaps.join("\n  - ")
            );
        }
    }
    let metrics_addr = settings.metrics_addr().map_err(anyhow::Error::msg)?;
    let _guard = crate::logging::init(&settings.log);
    runtime()?.block_on(run(settings, metrics_addr, started))
}

async fn run(
    settings: Settings,
    metrics_addr: Option<SocketAddr>,
    started: Instant,
) -> anyhow::Result<()> {
    let db = open(&settings).await?;
    if settings.mode == Mode::Demo {
        let report = tongban_services::catalog::seed_demo(&db, &SystemClock)
            .await
            .context("cannot load the demo region")?;
        if !report.is_empty() {
            tracing::info!(
                halls = report.halls_created,
                departments = report.departments_created,
                services = report.services_created,
                "demo region loaded"
            );
        }
        tongban_services::search_terms::seed_demo_synonyms(&db, &SystemClock)
            .await
            .context("cannot load the demo search synonyms")?;
    }
    let region = if settings.server.region.is_empty() {
        tongban_services::catalog::default_region(&db)
            .await?
            .unwrap_or_default()
    } else {
        settings.server.region.clone()
    };
    let web = WebSettings {
        mode: match settings.mode {
            Mode::Demo => tongban_web::Mode::Demo,
            Mode::Production => tongban_web::Mode::Production,
        },
        region: region.clone(),
        secure_cookies: settings.server.secure_cookies,
        trust_proxy: settings.server.trust_proxy,
        max_body_bytes: settings.server.max_body_bytes,
        public_url: settings.server.public_url.clone(),
        search_dir: Some(settings.server.data_dir.join("search")),
        files_dir: Some(settings.server.data_dir.join("files")),
        applications: tongban_services::applications::ApplicationSettings {
            draft_days: i64::from(settings.applications.draft_days.max(1)),
            reminder_days: i64::from(settings.applications.reminder_days),
            calendars: std::sync::Arc::new(calendars(&settings.cases)?),
            handling: handling_settings(&settings.cases)?,
            certificates: certificate_settings(&settings)?,
        },
    };
    let keys = crate::secrets::load(&settings)?;
    // Text messages are signed with the region's site name, e.g. 【示范市政务服务网】.
    let site_name = match tongban_store::catalog::region(&db, &region).await? {
        Some(found) => format!("{}政务服务网", found.name.get(tongban_domain::Locale::ZhCn)),
        None => "通办".to_owned(),
    };
    let mut identity = build_identity(&settings, db.clone(), site_name)?;
    let smtp = settings
        .email
        .smtp()
        .map_err(|e| anyhow::anyhow!("invalid e-mail settings: {e}"))?;
    let email: Option<Arc<dyn EmailSender>> = match (&smtp, settings.mode) {
        (Some(config), _) => {
            Some(Arc::new(SmtpEmail::new(config).map_err(|e| {
                anyhow::anyhow!("invalid e-mail settings: {e}")
            })?))
        }
        (None, Mode::Demo) => Some(Arc::new(LogEmail {
            db: db.clone(),
            clock: Arc::new(SystemClock),
        })),
        (None, Mode::Production) => None,
    };
    // Nothing is queued for a channel that cannot deliver, and the e-mail pages say so.
    identity.settings.email_channel = email.is_some();
    let email_channel = email
        .as_ref()
        .map_or_else(|| "off (no email.smtp_url)".to_owned(), |e| e.describe());
    tracing::info!(
        sms = "demo gateway (log and inbox)",
        email = %email_channel,
        "notification channels: inbox always"
    );
    if settings.mode == Mode::Production {
        tracing::warn!(
            "real-name verification uses the demo verifier: connect the national identity service before opening registration"
        );
        tracing::warn!(
            "enterprise registration uses the demo registry: connect the market-regulation registry before opening enterprise registration"
        );
    }
    let demo_accounts = if settings.mode == Mode::Demo {
        Some(
            identity
                .seed_demo_accounts(&SystemClock)
                .await
                .context("cannot load the demo accounts")?,
        )
    } else {
        None
    };
    let state = AppState::load(db, web, Arc::new(SystemClock), identity, keys.secret).await?;
    let demo_client = if settings.mode == Mode::Demo {
        Some(
            state
                .oidc
                .seed_demo_client(&SystemClock, &region)
                .await
                .context("cannot register the demo OpenID Connect client")?,
        )
    } else {
        None
    };
    let region_name = state
        .snapshots
        .current()
        .catalog
        .region
        .name
        .get(tongban_domain::Locale::ZhCn)
        .to_owned();

    let listener = tokio::net::TcpListener::bind(settings.server.addr)
        .await
        .with_context(|| format!("cannot listen on {}", settings.server.addr))?;
    let addr = listener.local_addr()?;

    if let Some(metrics_addr) = metrics_addr {
        let metrics_listener = tokio::net::TcpListener::bind(metrics_addr)
            .await
            .with_context(|| format!("cannot listen for metrics on {metrics_addr}"))?;
        tongban_web::metrics::handle();
        tokio::spawn(async move {
            if let Err(error) = axum::serve(metrics_listener, tongban_web::metrics::router()).await
            {
                tracing::error!(%error, "metrics listener stopped");
            }
        });
    }

    let mode = match settings.mode {
        Mode::Demo => "demo mode",
        Mode::Production => "production mode",
    };
    println!(
        "Tongban {} is serving {region_name} ({mode})",
        env!("CARGO_PKG_VERSION")
    );
    println!("  portal:   http://{addr}/");
    if let Some(m) = metrics_addr {
        println!("  metrics:  http://{m}/metrics");
    }
    println!("  database: {}", redact(&settings.database_url()));
    println!("  e-mail:   {email_channel}");
    if let Some(demo) = &demo_accounts {
        print_demo_accounts(demo);
    }
    if let Some((client_id, secret)) = &demo_client {
        print_demo_client(client_id, secret);
    }
    println!(
        "  ready in {} ms; stop with Ctrl-C",
        started.elapsed().as_millis()
    );
    tracing::info!(%addr, mode, "listening");

    let (stop_worker, worker_stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = Worker {
        db: state.db.clone(),
        cipher: state.identity.cipher.clone(),
        templates: Arc::new(Templates::load()?),
        sms: Arc::new(LogSms {
            db: state.db.clone(),
            clock: state.clock.clone(),
        }),
        email,
        clock: state.clock.clone(),
    };
    let worker = tokio::spawn(worker.run(Arc::new(tokio::sync::Notify::new()), async {
        let _ = worker_stopped.await;
    }));
    // Versions published with a future effective date go live without a restart.
    let ticker = tongban_web::admin::catalog::spawn_effective_date_ticker(state.clone());
    // Draft reminders and expiry, and unused uploaded files.
    let housekeeping = tongban_web::applications::spawn_housekeeping(state.clone());

    let search_misses = state.search_misses.clone();
    axum::serve(
        listener,
        tongban_web::app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("server error")?;
    ticker.abort();
    housekeeping.abort();
    // Notifications not yet delivered stay in the outbox for the next start.
    let _ = stop_worker.send(());
    let _ = worker.await;
    // Unmet searches still queued are written before the process exits.
    search_misses.shutdown().await;
    tracing::info!("stopped after finishing in-flight requests");
    Ok(())
}

/// The demo accounts with their shared password, for whoever starts a demo.
fn print_demo_accounts(demo: &DemoAccounts) {
    println!("  demo accounts (password {}):", demo.password);
    println!("    staff also enter an authenticator code: `tongban demo totp USER` prints it");
    for person in &demo.people {
        println!(
            "    {:<14} {} ({})",
            person.mobile,
            person.name,
            person.about.get(tongban_domain::Locale::En)
        );
    }
    for staff in &demo.staff {
        let department = staff
            .department
            .as_deref()
            .map(|d| format!(", {d}"))
            .unwrap_or_default();
        println!(
            "    {:<14} {} ({}{department})",
            staff.username,
            staff.name,
            staff.roles.join(", ")
        );
    }
    // Enterprises and mandates name people by mobile number; show their names too.
    let who = |mobile: &str| {
        demo.people
            .iter()
            .find(|p| p.mobile == mobile)
            .map_or_else(|| mobile.to_owned(), |p| format!("{} {mobile}", p.name))
    };
    for enterprise in &demo.enterprises {
        println!(
            "    enterprise     {} ({}), legal representative {}",
            enterprise.name,
            enterprise.credit_code,
            who(&enterprise.legal_representative)
        );
    }
    for mandate in &demo.mandates {
        let principal = match (&mandate.enterprise, &mandate.person) {
            (Some(code), _) => demo
                .enterprises
                .iter()
                .find(|e| &e.credit_code == code)
                .map_or_else(|| code.clone(), |e| e.name.clone()),
            (None, Some(mobile)) => who(mobile),
            (None, None) => String::new(),
        };
        println!(
            "    mandate        {} acts for {principal} ({})",
            who(&mandate.agent),
            mandate.about.get(tongban_domain::Locale::En)
        );
    }
}

/// The demo department system's OpenID Connect credentials, so someone can try the flow.
fn print_demo_client(client_id: &str, secret: &str) {
    use tongban_services::oidc::{DEMO_POST_LOGOUT_URI, DEMO_REDIRECT_URI};
    println!("  demo OpenID Connect client (a department system; see docs/oidc.md):");
    println!("    client_id     {client_id}");
    println!("    client_secret {secret}");
    println!("    redirect_uri  {DEMO_REDIRECT_URI}  (after sign-out: {DEMO_POST_LOGOUT_URI})");
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM; axum then stops accepting and drains requests.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested");
}

/// The shipped working-day calendars with the operator's extra files layered on.
fn calendars(
    cases: &crate::settings::Cases,
) -> anyhow::Result<tongban_domain::calendar::CalendarSet> {
    use tongban_domain::calendar::{CalendarSet, CalendarSource};
    let embedded = CalendarSet::embedded();
    if cases.calendar_dir.is_empty() {
        return Ok(embedded.clone());
    }
    let dir = Path::new(&cases.calendar_dir);
    let mut files: Vec<(String, String)> = Vec::new();
    for entry in std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the calendar directory {}", dir.display()))?
    {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            files.push((path.display().to_string(), text));
        }
    }
    files.sort();
    let sources: Vec<CalendarSource<'_>> = files
        .iter()
        .map(|(name, yaml)| CalendarSource::new(name, yaml))
        .collect();
    let set = embedded
        .with_extra(&sources)
        .map_err(|e| anyhow::anyhow!("calendar files in {}: {e}", dir.display()))?;
    tracing::info!(files = files.len(), dir = %dir.display(), "extra calendar files loaded");
    Ok(set)
}

fn certificate_settings(
    settings: &Settings,
) -> anyhow::Result<tongban_services::certificates::CertificateSettings> {
    let algorithm =
        tongban_domain::certificates::Algorithm::from_name(&settings.certificates.algorithm)
            .with_context(|| {
                format!(
                    "certificates.algorithm must be EdDSA or ES256, not {:?}",
                    settings.certificates.algorithm
                )
            })?;
    Ok(tongban_services::certificates::CertificateSettings {
        algorithm,
        status_list_size: u64::from(settings.certificates.status_list_size.clamp(1024, 1 << 24)),
        ..tongban_services::certificates::CertificateSettings::new(&settings.server.public_url)
    })
}

fn handling_settings(
    cases: &crate::settings::Cases,
) -> anyhow::Result<tongban_services::workflow::HandlingSettings> {
    let closes_at = chrono::NaiveTime::parse_from_str(&cases.office_closes_at, "%H:%M")
        .with_context(|| {
            format!(
                "cases.office_closes_at must be HH:MM, not {:?}",
                cases.office_closes_at
            )
        })?;
    Ok(tongban_services::workflow::HandlingSettings {
        office_hours: tongban_domain::calendar::OfficeHours { closes_at },
        approaching_days: i64::from(cases.approaching_days),
        lookup_max_failures: i32::try_from(cases.lookup_max_failures.max(1)).unwrap_or(5),
        lookup_lock_minutes: i64::from(cases.lookup_lock_minutes.max(1)),
        attachment_max_kb: cases.attachment_max_kb.clamp(1, 60 * 1024),
        ..tongban_services::workflow::HandlingSettings::default()
    })
}

#[cfg(test)]
mod tests {
    use super::{calendars, handling_settings, redact};
    use crate::settings::Cases;
    use chrono::NaiveDate;

    #[test]
    fn an_operators_calendar_file_adds_a_local_holiday() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("demo-city.yaml"),
            "applies_to: [\"99\"]\n2026:\n  holidays:\n    - { name: 建市纪念日, from: 2026-12-07, to: 2026-12-07 }\n",
        )
        .unwrap();
        let cases = Cases {
            calendar_dir: dir.path().display().to_string(),
            ..Cases::default()
        };
        let set = calendars(&cases).unwrap();
        let monday = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        assert!(!set.for_division("990100").is_working_day(monday));
        assert!(set.for_division("110100").is_working_day(monday));
        assert_ne!(
            set.for_division("990100").fingerprint(),
            set.for_division("110100").fingerprint()
        );

        std::fs::write(dir.path().join("broken.yaml"), "2026: [").unwrap();
        assert!(calendars(&cases).is_err(), "a broken file stops the start");
    }

    #[test]
    fn office_hours_are_read_as_local_time() {
        let settings = handling_settings(&Cases::default()).unwrap();
        assert_eq!(settings.office_hours.closes_at.to_string(), "17:00:00");
        let bad = Cases {
            office_closes_at: "5pm".into(),
            ..Cases::default()
        };
        assert!(handling_settings(&bad).is_err());
    }

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact("sqlite://./data/tongban.db"),
            "sqlite://./data/tongban.db"
        );
    }
}
