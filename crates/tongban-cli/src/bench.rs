//! `tongban bench`: the platform's speed and size, measured over real HTTP on this machine.
//!
//! It starts `tongban serve` as a child process on a fresh data directory (demo mode), lets it
//! migrate and seed once, restarts it to time a warm start-up, then drives every service guide
//! page in all four locales with a closed-loop load generator on keep-alive connections: once
//! without compression, once with `Accept-Encoding: gzip, br`. It reports requests per second,
//! latency percentiles, resident memory and page sizes, with the command that produced them.
//! The apply suite (bench/apply.rs) submits applications through the JSON API and checks the
//! database afterwards.

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tongban_domain::Locale;

mod apply;
mod cases;
mod search;

/// Which parts of the benchmark run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Suite {
    /// Guide pages, sign-ins and a signed-in page on the demo region.
    Portal,
    /// Search and publishing on a generated catalogue of `--services` services.
    Search,
    /// Online applications submitted through the JSON API, checked in the database after.
    Apply,
    /// Batch handling of cases and a department's inbox with `--cases` open cases.
    Cases,
    All,
}

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Seconds of load per phase.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent keep-alive connections (default 64; 16 clients for the apply suite).
    #[arg(long)]
    connections: Option<usize>,
    /// Worker threads of the load generator (the server gets the machine's cores too).
    #[arg(long, default_value_t = 2)]
    load_threads: usize,
    /// Which measurements to run.
    #[arg(long, value_enum, default_value_t = Suite::All)]
    suite: Suite,
    /// Services in the generated catalogue of the search suite (a province's scale).
    #[arg(long, default_value_t = 5000)]
    services: usize,
    /// Distinct queries of the search suite.
    #[arg(long, default_value_t = 1200)]
    queries: usize,
    /// Open cases in the department for the cases suite.
    #[arg(long, default_value_t = 100_000)]
    cases: usize,
    /// Cases handled in one batch by the cases suite.
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// Run the apply suite on PostgreSQL too: a server URL (e.g.
    /// postgres://postgres@127.0.0.1:5432/postgres) on which a scratch database is created
    /// for the run and dropped after it.
    #[arg(long, env = "TONGBAN_BENCH_POSTGRES_URL")]
    database_url: Option<String>,
}

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.connections == Some(0) || args.seconds == 0 {
        bail!("--connections and --seconds must be at least 1");
    }
    let connections = args.connections.unwrap_or(64);
    let data = tempfile::tempdir().context("temporary data directory")?;
    let exe = std::env::current_exe().context("cannot find the tongban binary")?;
    let doc = tongban_services::catalog::demo_document()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.load_threads.max(1))
        .enable_all()
        .build()?;

    println!("# tongban bench");
    println!(
        "command: tongban bench --seconds {} --connections {} --load-threads {} --suite {:?} --services {} --queries {}{}",
        args.seconds,
        args.connections
            .map_or_else(|| "default".to_owned(), |c| c.to_string()),
        args.load_threads,
        args.suite,
        args.services,
        args.queries,
        if args.database_url.is_some() {
            " --database-url …"
        } else {
            ""
        }
    );
    println!(
        "machine: {} cores; server and load generator share them; load average before: {}",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        load_average()
    );
    if matches!(args.suite, Suite::Apply | Suite::All) {
        let clients = args.connections.unwrap_or(16);
        let duration = Duration::from_secs(args.seconds);
        println!("## applications through the JSON API");
        apply::run(&exe, &runtime, clients, duration, None)?;
        if let Some(url) = &args.database_url {
            apply::run(&exe, &runtime, clients, duration, Some(url))?;
        }
        if args.suite == Suite::Apply {
            return Ok(());
        }
    }
    if matches!(args.suite, Suite::Cases | Suite::All) {
        println!("## case handling: batches and the inbox");
        cases::run(
            &exe,
            &runtime,
            args.cases,
            args.batch,
            args.connections.unwrap_or(8),
            Duration::from_secs(args.seconds),
        )?;
        if args.suite == Suite::Cases {
            return Ok(());
        }
    }
    if matches!(args.suite, Suite::Search | Suite::All) {
        println!("## search on a generated catalogue");
        search::run(
            &exe,
            &runtime,
            args.services,
            args.queries,
            connections,
            Duration::from_secs(args.seconds),
        )?;
    }
    if args.suite == Suite::Search {
        return Ok(());
    }
    println!("## portal on the demo region");

    // First start: migrations and demo seeding.
    let addr = free_port()?;
    let first_started = Instant::now();
    let mut server = Server::start(&exe, data.path(), addr)?;
    runtime.block_on(wait_ready(addr, Duration::from_secs(60)))?;
    let first_start = first_started.elapsed();
    server.stop();

    // Second start: what an operator sees on every restart.
    let second_started = Instant::now();
    let server = Server::start(&exe, data.path(), addr)?;
    runtime.block_on(wait_ready(addr, Duration::from_secs(30)))?;
    let warm_start = second_started.elapsed();
    println!(
        "start-up to first served page: {:.0} ms after the first migration (first start with migration and seeding: {:.0} ms)",
        warm_start.as_secs_f64() * 1e3,
        first_start.as_secs_f64() * 1e3
    );

    let mut paths = Vec::new();
    for locale in Locale::ALL {
        for service in &doc.services {
            paths.push(format!("/services/{}?lang={}", service.code, locale.tag()));
        }
    }
    let sizes = runtime.block_on(page_sizes(addr, &doc))?;
    let idle_rss = rss_kib(server.pid());
    println!(
        "idle resident memory with the demo region: {}",
        idle_rss.map_or("unknown".into(), |k| format!("{:.1} MB", k as f64 / 1024.0))
    );
    for (label, max) in &sizes {
        println!("{label}: {:.1} KB", *max as f64 / 1024.0);
    }

    let duration = Duration::from_secs(args.seconds);
    for (label, encoding) in [
        ("uncompressed", None),
        ("Accept-Encoding: gzip, br", Some("gzip, br")),
    ] {
        let result = runtime.block_on(load(addr, &paths, connections, duration, encoding))?;
        println!(
            "{label}: {:.0} requests/s over {} guide URLs ({} locales), {} connections, {} requests, {} errors; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {:.1} MB/s",
            result.requests as f64 / result.elapsed.as_secs_f64(),
            paths.len(),
            Locale::ALL.len(),
            connections,
            result.requests,
            result.errors,
            result.percentile(0.50),
            result.percentile(0.99),
            result.percentile(1.0),
            result.bytes as f64 / result.elapsed.as_secs_f64() / 1e6,
        );
    }
    let argon2 = tongban_services::identity::password::Argon2Settings::default();
    let logins = runtime.block_on(sign_ins(addr, connections.min(16), duration))?;
    println!(
        "sign-ins: {:.0} per second with argon2id m={} KiB, t={}, p={} ({} sign-ins, {} errors; p50 {:.1} ms, p99 {:.1} ms)",
        logins.requests as f64 / logins.elapsed.as_secs_f64(),
        argon2.memory_kib,
        argon2.iterations,
        argon2.parallelism,
        logins.requests,
        logins.errors,
        logins.percentile(0.50),
        logins.percentile(0.99),
    );
    let session = runtime.block_on(sign_in(addr, PAGE_ACCOUNT))?;
    let account = runtime.block_on(load_with_cookie(
        addr,
        "/account",
        &session,
        connections,
        duration,
    ))?;
    println!(
        "signed-in page (/account, rendered per request with a session look-up): {:.0} requests/s, {} connections, {} errors; p50 {:.2} ms, p99 {:.2} ms",
        account.requests as f64 / account.elapsed.as_secs_f64(),
        connections,
        account.errors,
        account.percentile(0.50),
        account.percentile(0.99),
    );
    let loaded_rss = rss_kib(server.pid());
    println!(
        "resident memory after the load: {}",
        loaded_rss.map_or("unknown".into(), |k| format!("{:.1} MB", k as f64 / 1024.0))
    );
    drop(server);
    Ok(())
}

/// A `tongban serve` child process, stopped with SIGTERM (graceful) when dropped.
struct Server(Child);

impl Server {
    fn start(
        exe: &std::path::Path,
        data_dir: &std::path::Path,
        addr: SocketAddr,
    ) -> anyhow::Result<Server> {
        Server::start_on(exe, data_dir, addr, None)
    }

    /// As [`start`](Self::start), on the database at `database` instead of the data
    /// directory's SQLite file when given.
    fn start_on(
        exe: &std::path::Path,
        data_dir: &std::path::Path,
        addr: SocketAddr,
        database: Option<&str>,
    ) -> anyhow::Result<Server> {
        let mut command = Command::new(exe);
        command
            .args(["serve", "--mode", "demo", "--metrics-addr", "off", "--addr"])
            .arg(addr.to_string())
            .arg("--data-dir")
            .arg(data_dir)
            .env("TONGBAN_LOG", "warn")
            .env_remove("TONGBAN__DATABASE__URL")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if let Some(url) = database {
            command.arg("--database").arg(url);
        }
        let child = command.spawn().context("cannot start tongban serve")?;
        Ok(Server(child))
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }

    fn stop(&mut self) {
        #[cfg(unix)]
        {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(self.0.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.0.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            self.stop();
        }
    }
}

/// The 1, 5 and 15 minute load averages (Linux), to say how busy the machine was.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".to_owned())
}

fn free_port() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

/// Resident memory of a process, with its anonymous (heap) and file-backed (mapped index files,
/// shared libraries) parts, for the report.
fn rss_report(pid: u32) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
    };
    match (field("VmRSS:"), field("RssAnon:"), field("RssFile:")) {
        (Some(total), Some(anon), Some(file)) => format!(
            "{:.1} MB ({:.1} MB anonymous, {:.1} MB file-backed)",
            total as f64 / 1024.0,
            anon as f64 / 1024.0,
            file as f64 / 1024.0
        ),
        _ => "unknown".to_owned(),
    }
}

/// Resident set size of a process in KiB, from /proc (Linux).
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

async fn wait_ready(addr: SocketAddr, limit: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(mut conn) = Connection::open(addr).await
            && let Ok((200, _)) = conn.get("/", None).await
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the server did not serve / within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

struct Connection(hyper::client::conn::http1::SendRequest<Full<Bytes>>);

/// What a response said that the benchmark needs.
struct Answer {
    status: u16,
    body: Bytes,
    set_cookies: Vec<String>,
}

impl Connection {
    async fn open(addr: SocketAddr) -> anyhow::Result<Connection> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Connection(sender))
    }

    /// Status and body length of `GET path`.
    async fn get(&mut self, path: &str, encoding: Option<&str>) -> anyhow::Result<(u16, usize)> {
        let headers: Vec<(&str, &str)> = encoding
            .map(|e| ("accept-encoding", e))
            .into_iter()
            .collect();
        let answer = self.send("GET", path, &headers, Bytes::new()).await?;
        Ok((answer.status, answer.body.len()))
    }

    async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> anyhow::Result<Answer> {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "bench");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.0.ready().await?;
        let response = self.0.send_request(request.body(Full::new(body))?).await?;
        let status = response.status().as_u16();
        let set_cookies = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .map(str::to_owned)
            .collect();
        let body = response.into_body().collect().await?.to_bytes();
        Ok(Answer {
            status,
            body,
            set_cookies,
        })
    }
}

/// The largest page of each kind, uncompressed.
async fn page_sizes(
    addr: SocketAddr,
    doc: &tongban_domain::catalog::CatalogDocument,
) -> anyhow::Result<Vec<(String, usize)>> {
    let mut conn = Connection::open(addr).await?;
    let mut sizes = Vec::new();
    for locale in Locale::ALL {
        let mut max = 0;
        for service in &doc.services {
            let (status, len) = conn
                .get(
                    &format!("/services/{}?lang={}", service.code, locale.tag()),
                    None,
                )
                .await?;
            if status != 200 {
                bail!("/services/{} answered {status}", service.code);
            }
            max = max.max(len);
        }
        sizes.push((format!("largest {} guide page HTML", locale.tag()), max));
    }
    let (_, home) = conn.get("/", None).await?;
    sizes.push(("zh-CN home page HTML".into(), home));
    let css = tongban_web::assets::CSS.href.clone();
    let (status, css_len) = conn.get(&css, None).await?;
    if status != 200 {
        bail!("{css} answered {status}");
    }
    sizes.push(("stylesheet (uncompressed)".into(), css_len));
    Ok(sizes)
}

struct LoadResult {
    requests: u64,
    errors: u64,
    bytes: u64,
    elapsed: Duration,
    /// Sorted latencies in microseconds.
    latencies: Vec<u32>,
}

impl LoadResult {
    fn percentile(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let index = ((self.latencies.len() - 1) as f64 * p).round() as usize;
        f64::from(self.latencies[index]) / 1e3
    }
}

async fn load(
    addr: SocketAddr,
    paths: &[String],
    connections: usize,
    duration: Duration,
    encoding: Option<&'static str>,
) -> anyhow::Result<LoadResult> {
    let paths: std::sync::Arc<Vec<String>> = std::sync::Arc::new(paths.to_vec());
    // Warm the page cache and the connections before measuring.
    let mut warm = Connection::open(addr).await?;
    for path in paths.iter() {
        warm.get(path, encoding).await?;
    }
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(connections);
    for worker in 0..connections {
        let paths = paths.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(1 << 16);
            let (mut errors, mut bytes) = (0u64, 0u64);
            let mut conn = match Connection::open(addr).await {
                Ok(c) => c,
                Err(_) => return (latencies, 1, 0),
            };
            let mut i = worker * 7;
            while Instant::now() < deadline {
                let path = &paths[i % paths.len()];
                i += 1;
                let sent = Instant::now();
                match conn.get(path, encoding).await {
                    Ok((200, len)) => {
                        latencies.push(sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                        bytes += len as u64;
                    }
                    Ok(_) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        match Connection::open(addr).await {
                            Ok(c) => conn = c,
                            Err(_) => break,
                        }
                    }
                }
            }
            (latencies, errors, bytes)
        }));
    }
    collect(tasks, started).await
}

/// The shared demo password.
const DEMO_PASSWORD: &str = "Demo-Tongban-2026";
/// Signed in repeatedly by the sign-in phase.
const SIGN_IN_ACCOUNT: &str = "13800000001";
/// Signed in once for the page phase: an account the sign-in phase leaves with one session,
/// as a real person would have.
const PAGE_ACCOUNT: &str = "13800000002";

/// Signs in once as `who`; returns the cookie header of the session.
async fn sign_in(addr: SocketAddr, who: &str) -> anyhow::Result<String> {
    let mut conn = Connection::open(addr).await?;
    sign_in_on(&mut conn, who).await
}

async fn sign_in_on(conn: &mut Connection, who: &str) -> anyhow::Result<String> {
    let form = conn.send("GET", "/login", &[], Bytes::new()).await?;
    let html = String::from_utf8_lossy(&form.body);
    let marker = "name=\"csrf\" value=\"";
    let start = html
        .find(marker)
        .context("the sign-in page has no CSRF field")?
        + marker.len();
    let end = start + html[start..].find('"').context("unterminated CSRF field")?;
    let csrf = &html[start..end];
    let seed = form
        .set_cookies
        .iter()
        .find(|c| c.starts_with("tb_csrf="))
        .context("the sign-in page set no CSRF cookie")?
        .clone();
    let body = format!("identifier={who}&password={DEMO_PASSWORD}&csrf={csrf}&next=%2Faccount");
    let answer = conn
        .send(
            "POST",
            "/login",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("cookie", &seed),
            ],
            Bytes::from(body),
        )
        .await?;
    if answer.status != 303 {
        bail!("sign-in answered {}", answer.status);
    }
    answer
        .set_cookies
        .into_iter()
        .find(|c| c.starts_with("tb_session="))
        .context("sign-in set no session cookie")
}

/// Signs in over and over on `connections` connections; each sign-in is GET form + POST.
async fn sign_ins(
    addr: SocketAddr,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<LoadResult> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for _ in 0..connections {
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            let Ok(mut conn) = Connection::open(addr).await else {
                return (latencies, 1, 0);
            };
            while Instant::now() < deadline {
                let sent = Instant::now();
                match sign_in_on(&mut conn, SIGN_IN_ACCOUNT).await {
                    Ok(_) => {
                        latencies.push(sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32)
                    }
                    Err(_) => {
                        errors += 1;
                        match Connection::open(addr).await {
                            Ok(c) => conn = c,
                            Err(_) => break,
                        }
                    }
                }
            }
            (latencies, errors, 0)
        }));
    }
    collect(tasks, started).await
}

/// GETs `path` with a session cookie on `connections` connections.
async fn load_with_cookie(
    addr: SocketAddr,
    path: &'static str,
    cookie: &str,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<LoadResult> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let cookie = cookie.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            let Ok(mut conn) = Connection::open(addr).await else {
                return (latencies, 1, 0);
            };
            while Instant::now() < deadline {
                let sent = Instant::now();
                match conn
                    .send("GET", path, &[("cookie", &cookie)], Bytes::new())
                    .await
                {
                    Ok(answer) if answer.status == 200 => {
                        latencies.push(sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32)
                    }
                    _ => errors += 1,
                }
            }
            (latencies, errors, 0)
        }));
    }
    collect(tasks, started).await
}

/// Merges what each connection measured: latencies, errors and bytes received.
async fn collect(
    tasks: Vec<tokio::task::JoinHandle<(Vec<u32>, u64, u64)>>,
    started: Instant,
) -> anyhow::Result<LoadResult> {
    let mut result = LoadResult {
        requests: 0,
        errors: 0,
        bytes: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
    };
    for task in tasks {
        let (latencies, errors, bytes) = task.await?;
        result.requests += latencies.len() as u64;
        result.errors += errors;
        result.bytes += bytes;
        result.latencies.extend(latencies);
    }
    result.elapsed = started.elapsed();
    result.latencies.sort_unstable();
    Ok(result)
}
