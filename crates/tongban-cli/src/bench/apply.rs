//! `tongban bench --suite apply`: submitted applications per second over HTTP, and proof that
//! every acknowledged one is in the database with everything it brings.
//!
//! A child `tongban serve` runs on a fresh data directory (SQLite with `synchronous=FULL`, or a
//! fresh PostgreSQL database made for the run and dropped after it). Several demo people get
//! access tokens from `tongban demo token` run against the same data, then `connections`
//! clients POST a ten-field application (RS0005, flexible workers' social insurance: yes/no,
//! choices, a name, a resident ID number, a mobile number, an address, multiple choice and a
//! date; no uploads), each with a fresh `Idempotency-Key` and different answers, on keep-alive
//! connections for the given time. After the server is stopped, the database is opened and the
//! cases, their intake tasks, their `cases.submit` audit entries and their notifications are
//! counted against the 201 answers, and the audit chain is verified.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use tongban_domain::clock::{Clock, SystemClock};
use tongban_store::sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use super::{Connection, Server, free_port, wait_ready};

/// The service whose form is filled in: ten fields, no uploads.
const SERVICE: &str = "RS0005";
/// Demo people who apply (demo/accounts.yaml); the clients take turns with their tokens.
const PEOPLE: [&str; 4] = ["13800000001", "13800000002", "13800000003", "13800000004"];

const SURNAMES: [&str; 12] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "欧阳", "𠀀",
];
const GIVEN: [&str; 10] = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "阿依古丽",
];
const WORK: [&str; 4] = ["platform", "self-employed", "part-time", "freelance"];
const LEVELS: [&str; 6] = ["60", "80", "100", "150", "200", "300"];
const STREETS: [&str; 5] = ["人民路", "解放路", "建设大街", "东湖路", "西山路"];

/// A PostgreSQL database made for one run, dropped when done.
struct ScratchDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl ScratchDatabase {
    async fn create(admin_url: &str) -> anyhow::Result<ScratchDatabase> {
        let name = format!(
            "tongban_bench_{}",
            &uuid::Uuid::now_v7().simple().to_string()[20..]
        );
        let admin = tongban_store::connect(admin_url)
            .await
            .context("cannot connect to the PostgreSQL server given")?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .with_context(|| format!("cannot create the database {name}"))?;
        let url = with_database(admin_url, &name)?;
        Ok(ScratchDatabase {
            admin_url: admin_url.to_owned(),
            name,
            url,
        })
    }

    async fn drop_now(self) -> anyhow::Result<()> {
        let admin = tongban_store::connect(&self.admin_url).await?;
        admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await
            .with_context(|| format!("cannot drop the database {}", self.name))?;
        Ok(())
    }
}

/// `url` with its database name replaced.
fn with_database(url: &str, name: &str) -> anyhow::Result<String> {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").context("not a database URL")? + 3;
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    Ok(out)
}

pub fn run(
    exe: &Path,
    runtime: &tokio::runtime::Runtime,
    connections: usize,
    duration: Duration,
    postgres: Option<&str>,
) -> anyhow::Result<()> {
    let data = tempfile::tempdir().context("temporary data directory")?;
    let scratch = match postgres {
        Some(admin) => Some(runtime.block_on(ScratchDatabase::create(admin))?),
        None => None,
    };
    let database = scratch.as_ref().map(|s| s.url.clone());
    let outcome = measure(
        exe,
        runtime,
        data.path(),
        database.as_deref(),
        connections,
        duration,
    );
    if let Some(scratch) = scratch {
        let name = scratch.name.clone();
        if let Err(error) = runtime.block_on(scratch.drop_now()) {
            eprintln!("warning: the scratch database {name} was not dropped: {error:#}");
        }
    }
    outcome
}

fn measure(
    exe: &Path,
    runtime: &tokio::runtime::Runtime,
    data_dir: &Path,
    database: Option<&str>,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<()> {
    let backend = if database.is_some() {
        "PostgreSQL"
    } else {
        "SQLite (WAL, synchronous=FULL)"
    };
    let addr = free_port()?;
    let mut server = Server::start_on(exe, data_dir, addr, database)?;
    runtime.block_on(wait_ready(addr, Duration::from_secs(120)))?;
    let tokens = PEOPLE
        .iter()
        .map(|who| demo_token(exe, data_dir, database, who))
        .collect::<anyhow::Result<Vec<_>>>()?;

    // Warm up (connections, the form, the pool) before measuring; these count as cases too.
    let warm = runtime.block_on(load(
        addr,
        &tokens,
        connections,
        Duration::from_millis(500),
        1_000_000,
    ))?;
    let result = runtime.block_on(load(addr, &tokens, connections, duration, 0))?;
    let loaded_rss = super::rss_report(server.pid());
    server.stop();

    let error_text = if result.errors.is_empty() {
        "none".to_owned()
    } else {
        result
            .errors
            .iter()
            .map(|(status, n)| match status {
                0 => format!("{n} connection errors"),
                s => format!("{n}× {s}"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "submitted applications on {backend}: {:.0}/s ({} ten-field applications of {SERVICE} in {:.1} s, {} clients, {} people); latency p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms; errors: {error_text}",
        result.submitted as f64 / result.elapsed.as_secs_f64(),
        result.submitted,
        result.elapsed.as_secs_f64(),
        connections,
        PEOPLE.len(),
        result.percentile(0.50),
        result.percentile(0.90),
        result.percentile(0.99),
        result.percentile(1.0),
    );
    println!("server resident memory after the load: {loaded_rss}");

    let acknowledged = warm.submitted + result.submitted;
    let url = database.map_or_else(|| tongban_store::sqlite_url_for(data_dir), str::to_owned);
    runtime.block_on(verify(
        &url,
        acknowledged,
        &[&warm.tracking, &result.tracking],
    ))?;
    if !result.errors.is_empty() || !warm.errors.is_empty() {
        bail!("some submissions failed: {error_text}");
    }
    Ok(())
}

/// Runs `tongban demo token` against the bench's data, as an operator would.
fn demo_token(
    exe: &Path,
    data_dir: &Path,
    database: Option<&str>,
    who: &str,
) -> anyhow::Result<String> {
    let mut command = Command::new(exe);
    command
        .args([
            "demo",
            "token",
            "--minutes",
            "120",
            "--user",
            who,
            "--data-dir",
        ])
        .arg(data_dir)
        .env("TONGBAN_LOG", "warn")
        .env_remove("TONGBAN__DATABASE__URL");
    if let Some(url) = database {
        command.arg("--database").arg(url);
    }
    let output = command.output().context("cannot run tongban demo token")?;
    if !output.status.success() {
        bail!(
            "tongban demo token --user {who} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let token = String::from_utf8(output.stdout)?.trim().to_owned();
    if token.is_empty() {
        bail!("tongban demo token --user {who} printed nothing");
    }
    Ok(token)
}

/// The answers of application number `n`: every one different, every one valid.
pub fn application(n: u64, today: chrono::NaiveDate) -> serde_json::Value {
    let i = n as usize;
    let name = format!(
        "{}{}",
        SURNAMES[i % SURNAMES.len()],
        GIVEN[(i / SURNAMES.len()) % GIVEN.len()]
    );
    let born = chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap_or_default()
        + chrono::Duration::days((n % 15_000) as i64);
    let first17 = format!("990102{}{:03}", born.format("%Y%m%d"), (n / 7) % 1000);
    let id_number = tongban_domain::identity::ResidentId::with_check_digit(&first17)
        .map(|id| id.as_str().to_owned())
        .unwrap_or_default();
    let types: serde_json::Value = match n % 3 {
        0 => serde_json::json!(["pension"]),
        1 => serde_json::json!(["medical"]),
        _ => serde_json::json!(["pension", "medical"]),
    };
    serde_json::json!({
        "service": SERVICE,
        "declaration": true,
        "answers": {
            "employer_insured": "no",
            "work_type": WORK[i % WORK.len()],
            "full_name": name,
            "id_number": id_number,
            "phone": format!("139{:08}", n % 100_000_000),
            "contact_address": {
                "division": "990102",
                "street": format!("{}{}号{}室", STREETS[i % STREETS.len()], n % 400 + 1, n % 30 + 101),
            },
            "insurance_types": types,
            "contribution_level": LEVELS[i % LEVELS.len()],
            "start_month": (today + chrono::Duration::days((n % 28) as i64)).format("%Y-%m-%d").to_string(),
            "payment_method": if n.is_multiple_of(2) { "debit" } else { "self-pay" },
        }
    })
}

/// What one load phase measured.
struct Load {
    submitted: u64,
    elapsed: Duration,
    /// Sorted latencies of the 201 answers, in microseconds.
    latencies: Vec<u32>,
    /// Answers other than 201, by status; 0 stands for a connection error.
    errors: BTreeMap<u16, u64>,
    /// Tracking numbers of the 201 answers.
    tracking: Vec<String>,
}

/// `connections` clients submitting for `duration`; application numbers start at `base`.
async fn load(
    addr: SocketAddr,
    tokens: &[String],
    connections: usize,
    duration: Duration,
    base: u64,
) -> anyhow::Result<Load> {
    let today = SystemClock.now().date_naive();
    let tokens: Arc<Vec<String>> = Arc::new(tokens.to_vec());
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(connections);
    for worker in 0..connections {
        let tokens = tokens.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(1 << 14);
            let mut tracking = Vec::with_capacity(1 << 14);
            let mut errors: BTreeMap<u16, u64> = BTreeMap::new();
            let authorization = format!("Bearer {}", tokens[worker % tokens.len()]);
            let mut conn = Connection::open(addr).await.ok();
            let mut n = base + worker as u64;
            while Instant::now() < deadline {
                let Some(c) = conn.as_mut() else {
                    *errors.entry(0).or_default() += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    conn = Connection::open(addr).await.ok();
                    continue;
                };
                let body = Bytes::from(application(n, today).to_string());
                let key = uuid::Uuid::now_v7().to_string();
                n += connections as u64;
                let sent = Instant::now();
                let answer = c
                    .send(
                        "POST",
                        "/api/v1/applications",
                        &[
                            ("content-type", "application/json"),
                            ("authorization", &authorization),
                            ("idempotency-key", &key),
                        ],
                        body,
                    )
                    .await;
                match answer {
                    Ok(answer) if answer.status == 201 => {
                        latencies.push(sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                        let number = serde_json::from_slice::<serde_json::Value>(&answer.body)
                            .ok()
                            .and_then(|v| v["tracking_number"].as_str().map(str::to_owned))
                            .unwrap_or_default();
                        tracking.push(number);
                    }
                    Ok(answer) => {
                        if errors.is_empty() {
                            eprintln!(
                                "submission answered {}: {}",
                                answer.status,
                                String::from_utf8_lossy(&answer.body)
                            );
                        }
                        *errors.entry(answer.status).or_default() += 1;
                    }
                    Err(_) => {
                        *errors.entry(0).or_default() += 1;
                        conn = Connection::open(addr).await.ok();
                    }
                }
            }
            (latencies, tracking, errors)
        }));
    }
    let mut result = Load {
        submitted: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
        errors: BTreeMap::new(),
        tracking: Vec::new(),
    };
    for task in tasks {
        let (latencies, tracking, errors) = task.await?;
        result.submitted += latencies.len() as u64;
        result.latencies.extend(latencies);
        result.tracking.extend(tracking);
        for (status, n) in errors {
            *result.errors.entry(status).or_default() += n;
        }
    }
    result.elapsed = started.elapsed();
    result.latencies.sort_unstable();
    Ok(result)
}

impl Load {
    fn percentile(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let index = ((self.latencies.len() - 1) as f64 * p).round() as usize;
        f64::from(self.latencies[index]) / 1e3
    }
}

async fn count(db: &DatabaseConnection, sql: &str) -> anyhow::Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .context("COUNT returned no row")?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

/// Opens the stopped server's database and checks that every 201 is a case with its task,
/// audit entry and notification, and nothing more.
async fn verify(url: &str, acknowledged: u64, tracking: &[&Vec<String>]) -> anyhow::Result<()> {
    let db = tongban_store::connect(url).await?;
    let acknowledged = i64::try_from(acknowledged)?;
    let checks = [
        ("cases", "SELECT COUNT(*) FROM cases"),
        (
            "distinct tracking numbers",
            "SELECT COUNT(DISTINCT tracking_number) FROM cases",
        ),
        ("intake tasks", "SELECT COUNT(*) FROM case_tasks"),
        (
            "cases.submit audit entries",
            "SELECT COUNT(*) FROM audit_log WHERE action = 'cases.submit'",
        ),
        (
            "case-submitted notifications",
            "SELECT COUNT(*) FROM notifications WHERE template = 'case-submitted'",
        ),
    ];
    let mut problems = Vec::new();
    let mut found = Vec::new();
    for (what, sql) in checks {
        let n = count(&db, sql).await?;
        found.push(format!("{n} {what}"));
        if n != acknowledged {
            problems.push(format!(
                "{n} {what} for {acknowledged} acknowledged submissions"
            ));
        }
    }
    let stored: HashSet<String> = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT tracking_number FROM cases",
        ))
        .await?
        .into_iter()
        .filter_map(|row| row.try_get_by_index::<String>(0).ok())
        .collect();
    let missing = tracking
        .iter()
        .flat_map(|t| t.iter())
        .filter(|n| !stored.contains(*n))
        .count();
    if missing > 0 {
        problems.push(format!(
            "{missing} acknowledged tracking numbers are not in the database"
        ));
    }
    match tongban_store::audit::verify_chain(&db).await? {
        Ok(entries) => found.push(format!("audit chain of {entries} entries verifies")),
        Err(broken) => problems.push(format!("the audit chain is broken: {broken:?}")),
    }
    if !problems.is_empty() {
        bail!(
            "the database does not match the answers:\n  - {}",
            problems.join("\n  - ")
        );
    }
    println!(
        "database after the run: {acknowledged} acknowledged = {}",
        found.join(", ")
    );
    Ok(())
}
