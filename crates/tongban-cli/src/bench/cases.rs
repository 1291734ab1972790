//! `tongban bench --suite cases`: batch handling and a department's inbox at scale.
//!
//! A child `tongban serve` migrates and seeds a fresh data directory (SQLite, `synchronous=FULL`)
//! and stops. The benchmark then files `--cases` cases of one market-regulation service straight
//! through the store's batch writer (the path the submission writer takes), so that the
//! department holds that many open cases, and times, in-process on the same database file:
//! - a batch acceptance of `--batch` cases by the front-desk clerk, and the batch decision of
//!   the same cases by the staff member the workflow gives the decision to — each one
//!   `CaseHandling::act_many` call, one transaction, with every line checked;
//! - the inbox query for the clerk, on the full department.
//!
//! Then the server is started again, the clerk signs in (password and authenticator code) and
//! the inbox page `/workbench` is loaded over HTTP on keep-alive connections for the given time.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use tongban_domain::clock::{Clock, SystemClock};
use tongban_domain::workflow::ActionKind;
use tongban_services::crypto::{AesGcmKeyring, FieldCipher};
use tongban_services::identity::{CurrentUser, Origin};
use tongban_services::workflow::{ActRequest, CaseHandling, CaseRef, HandlingSettings};
use tongban_store::cases::{BatchOutcome, Channel, NewCase};

use super::{Connection, Server, free_port, load_with_cookie, sign_in_on, wait_ready};

/// The service filed: market regulation's sole-trader registration.
const SERVICE: &str = "SJ0001";
/// The demo person the cases are filed for.
const APPLICANT: &str = "13800000001";
/// The clerk whose inbox is measured and who accepts the batch.
const CLERK: &str = "sj.clerk";
/// Staff who may hold the decision, tried in order.
const DECIDERS: [&str; 2] = ["sj.reviewer", "sj.approver"];

pub fn run(
    exe: &Path,
    runtime: &tokio::runtime::Runtime,
    cases: usize,
    batch: usize,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<()> {
    if batch > cases {
        bail!("--batch ({batch}) cannot exceed --cases ({cases})");
    }
    let data = tempfile::tempdir().context("temporary data directory")?;
    let addr = free_port()?;
    let mut server = Server::start(exe, data.path(), addr)?;
    runtime.block_on(wait_ready(addr, Duration::from_secs(60)))?;
    server.stop();

    runtime.block_on(in_process(data.path(), cases, batch))?;

    let server = Server::start(exe, data.path(), addr)?;
    runtime.block_on(wait_ready(addr, Duration::from_secs(60)))?;
    let code = totp(exe, data.path())?;
    let cookie = runtime.block_on(async {
        let mut conn = Connection::open(addr).await?;
        let session = sign_in_on(&mut conn, CLERK).await?;
        let session = second_factor(&mut conn, &session, &code).await?;
        let first = conn
            .send("GET", "/workbench", &[("cookie", &session)], Bytes::new())
            .await?;
        if first.status != 200 {
            bail!(
                "the inbox page answered {} for the signed-in clerk: {}",
                first.status,
                String::from_utf8_lossy(&first.body)
                    .chars()
                    .take(300)
                    .collect::<String>()
            );
        }
        anyhow::Ok(session)
    })?;
    // One connection: how long one render takes; then several: what the server sustains.
    for clients in [1, connections] {
        let inbox = runtime.block_on(load_with_cookie(
            addr,
            "/workbench",
            &cookie,
            clients,
            duration,
        ))?;
        println!(
            "inbox page (/workbench, {cases} open cases in the department, 50 per page, earliest deadline first): {:.0} requests/s, {clients} connection(s), {} errors; p50 {:.2} ms, p99 {:.2} ms",
            inbox.requests as f64 / inbox.elapsed.as_secs_f64(),
            inbox.errors,
            inbox.percentile(0.50),
            inbox.percentile(0.99),
        );
    }
    drop(server);
    Ok(())
}

async fn in_process(data_dir: &Path, cases: usize, batch: usize) -> anyhow::Result<()> {
    let settings = crate::serve::settings_with(
        None,
        &crate::serve::DatabaseArgs::for_data_dir(data_dir.to_path_buf()),
    )?;
    let db = crate::serve::open(&settings).await?;
    let keys = crate::secrets::load(&settings)?;
    let cipher: Arc<dyn FieldCipher> = Arc::new(AesGcmKeyring::new(keys.data, &[]));
    let clock = SystemClock;
    let catalog = tongban_services::catalog::load_portal_catalog(&db, "990100", &clock).await?;
    let handling = CaseHandling::new(
        db.clone(),
        cipher.clone(),
        Arc::new(tongban_domain::calendar::CalendarSet::embedded().clone()),
        HandlingSettings::default(),
        Arc::new(tongban_services::certificates::Certificates::new(
            db.clone(),
            cipher.clone(),
            tongban_services::certificates::CertificateSettings::new("http://127.0.0.1:8080"),
        )),
    );
    let published = catalog
        .service(SERVICE)
        .context("the demo catalogue has no SJ0001")?;
    let department_id = catalog
        .department_id(&published.service.department)
        .context("SJ0001's department")?;
    let applicant = person(&db, &cipher, &keys.secret).await?;
    let sealed = cipher
        .encrypt(
            tongban_services::applications::CASE_ANSWERS_FIELD,
            &serde_json::to_string(&tongban_services::catalog::demo_sole_trader_answers())?,
        )
        .map_err(|e| anyhow::anyhow!("sealing answers: {e}"))?;

    let filing = Instant::now();
    let mut ids = Vec::with_capacity(cases);
    let now = clock.now();
    let start = handling.starting_state(&catalog, &published.service, now)?;
    let today = tongban_services::applications::local_date(&catalog, now);
    for chunk_start in (0..cases).step_by(1000) {
        let chunk: Vec<NewCase> = (chunk_start..cases.min(chunk_start + 1000))
            .map(|i| NewCase {
                region_id: catalog.region_id,
                tracking_prefix: catalog.region.tracking_prefix.clone(),
                local_date: today,
                service_code: SERVICE.into(),
                service_name: "个体工商户设立登记".into(),
                service_version: published.version,
                department_id,
                applicant_id: applicant,
                enterprise_id: None,
                entered_by: applicant,
                channel: Channel::Api,
                answers: sealed.clone(),
                submission_key: format!("bench:{i}"),
                request_digest: "bench".into(),
                submitted_at: now,
                applicant_phone_last4: Some("0001".into()),
                draft_id: None,
                workflow: start.clone(),
                locale: "zh-CN".into(),
                ip: None,
                shares: Vec::new(),
            })
            .collect();
        let txn = tongban_store::cases::begin_write(&db).await?;
        for outcome in tongban_store::cases::insert_batch(&txn, &chunk).await? {
            match outcome {
                BatchOutcome::Created(row) => ids.push(row.id),
                other => bail!("a bench case was not created: {other:?}"),
            }
        }
        txn.commit().await?;
    }
    println!(
        "filed {cases} cases of {SERVICE} in {:.1} s (store batch writer, 1,000 per transaction)",
        filing.elapsed().as_secs_f64()
    );

    let clerk = staff(&db, &catalog, CLERK).await?;
    let origin = Origin {
        ip: Some("127.0.0.1".into()),
        user_agent: None,
    };
    let chosen: Vec<CaseRef> = ids[..batch]
        .iter()
        .map(|&id| CaseRef {
            id,
            version: Some(0),
        })
        .collect();
    let accept = action_of(
        &handling,
        &clock,
        &clerk,
        &catalog,
        ids[0],
        ActionKind::Accept,
    )
    .await?
    .context("the clerk cannot accept SJ0001 cases")?;
    let timed = Instant::now();
    let lines = handling
        .act_many(
            &clock,
            &clerk,
            &catalog,
            &origin,
            &chosen,
            &ActRequest {
                action: accept,
                comment: Some("材料齐全，予以受理".into()),
                ..ActRequest::default()
            },
        )
        .await?;
    let accepted = timed.elapsed();
    check_lines(&lines, batch, "acceptance")?;
    println!(
        "batch acceptance of {batch} cases (one act_many, one transaction, notices filed): {:.0} ms",
        accepted.as_secs_f64() * 1000.0
    );

    let mut decided = None;
    for who in DECIDERS {
        let decider = staff(&db, &catalog, who).await?;
        if let Some(approve) = action_of(
            &handling,
            &clock,
            &decider,
            &catalog,
            ids[0],
            ActionKind::Approve,
        )
        .await?
        {
            let chosen: Vec<CaseRef> = ids[..batch]
                .iter()
                .map(|&id| CaseRef { id, version: None })
                .collect();
            let timed = Instant::now();
            let lines = handling
                .act_many(
                    &clock,
                    &decider,
                    &catalog,
                    &origin,
                    &chosen,
                    &ActRequest {
                        action: approve,
                        comment: Some("符合条件，准予登记".into()),
                        ..ActRequest::default()
                    },
                )
                .await?;
            let elapsed = timed.elapsed();
            check_lines(&lines, batch, "approval")?;
            let licences = lines
                .iter()
                .filter(|l| l.result.as_ref().is_ok_and(|a| a.certificates.len() == 1))
                .count();
            if licences != batch {
                bail!("approval: {licences} of {batch} cases issued their business licence");
            }
            decided = Some((who, elapsed));
            break;
        }
    }
    let (who, elapsed) = decided.context("no demo staff member can approve SJ0001 cases")?;
    println!(
        "batch approval of {batch} cases by {who} (one act_many, one transaction, approval notices filed, {batch} business licences signed and stored, applicants notified, audited): {:.0} ms (target < 2,000 ms)",
        elapsed.as_secs_f64() * 1000.0
    );

    let mut times = Vec::new();
    for _ in 0..200 {
        let timed = Instant::now();
        let inbox = handling
            .inbox(&clock, &clerk, &catalog, &Default::default())
            .await?;
        times.push(timed.elapsed());
        if inbox.lines.len() as u64
            != tongban_services::workflow::INBOX_PAGE.min((cases - batch) as u64)
        {
            bail!("the clerk's inbox page holds {} tasks", inbox.lines.len());
        }
    }
    times.sort();
    println!(
        "inbox query (service call, {} open tasks for the clerk, counted up to 5,000): p50 {:.2} ms, p99 {:.2} ms",
        cases - batch,
        times[times.len() / 2].as_secs_f64() * 1000.0,
        times[times.len() * 99 / 100].as_secs_f64() * 1000.0
    );
    db.close().await?;
    Ok(())
}

fn check_lines(
    lines: &[tongban_services::workflow::BatchLine],
    batch: usize,
    what: &str,
) -> anyhow::Result<()> {
    let done = lines.iter().filter(|l| l.result.is_ok()).count();
    if lines.len() != batch || done != batch {
        let first = lines.iter().find_map(|l| l.result.as_ref().err());
        bail!("{what}: {done} of {batch} cases done; first refusal: {first:?}");
    }
    Ok(())
}

/// The key of an action of `kind` that `user` may take on the case, if any.
async fn action_of(
    handling: &CaseHandling,
    clock: &dyn Clock,
    user: &CurrentUser,
    catalog: &tongban_services::catalog::PortalCatalog,
    case: uuid::Uuid,
    kind: ActionKind,
) -> anyhow::Result<Option<String>> {
    let view = handling.staff_case(clock, user, catalog, case).await?;
    Ok(view
        .actions
        .iter()
        .find(|a| a.action.kind == kind)
        .map(|a| a.action.key.clone()))
}

async fn person(
    db: &tongban_store::Connection,
    _cipher: &Arc<dyn FieldCipher>,
    secret: &[u8; 32],
) -> anyhow::Result<uuid::Uuid> {
    let index = tongban_services::crypto::BlindIndex::derive(secret);
    let key = tongban_store::identity::LoginKey::PhoneIndex(
        index.of(tongban_services::identity::MOBILE_INDEX, APPLICANT),
    );
    Ok(tongban_store::identity::find_by_login(db, &key)
        .await?
        .context("the demo person 13800000001")?
        .id)
}

async fn staff(
    db: &tongban_store::Connection,
    catalog: &tongban_services::catalog::PortalCatalog,
    username: &str,
) -> anyhow::Result<CurrentUser> {
    let mut user = tongban_services::identity::staff_session(db, username)
        .await?
        .with_context(|| format!("the demo staff member {username}"))?;
    user.roles.retain(|g| g.region_id == catalog.region_id);
    Ok(user)
}

/// The clerk's current authenticator code, from `tongban demo totp` as an operator would.
fn totp(exe: &Path, data_dir: &Path) -> anyhow::Result<String> {
    let output = std::process::Command::new(exe)
        .args(["demo", "totp", CLERK, "--data-dir"])
        .arg(data_dir)
        .env("TONGBAN_LOG", "warn")
        .env_remove("TONGBAN__DATABASE__URL")
        .output()
        .context("cannot run tongban demo totp")?;
    if !output.status.success() {
        bail!(
            "tongban demo totp failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8(output.stdout)?.trim().to_owned())
}

/// Passes the second factor of a fresh staff session; returns the session's cookie, which the
/// server renews at this step.
async fn second_factor(conn: &mut Connection, session: &str, code: &str) -> anyhow::Result<String> {
    let form = conn
        .send(
            "GET",
            "/login/second-factor",
            &[("cookie", session)],
            Bytes::new(),
        )
        .await?;
    let html = String::from_utf8_lossy(&form.body);
    let marker = "name=\"csrf\" value=\"";
    let start = html
        .find(marker)
        .context("the second-factor page has no CSRF field")?
        + marker.len();
    let end = start + html[start..].find('"').context("unterminated CSRF field")?;
    let csrf = html[start..end].to_owned();
    let answer = conn
        .send(
            "POST",
            "/login/second-factor",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("cookie", session),
            ],
            Bytes::from(format!("code={code}&csrf={csrf}")),
        )
        .await?;
    if answer.status != 303 {
        bail!("the second factor answered {}", answer.status);
    }
    Ok(answer
        .set_cookies
        .into_iter()
        .find(|c| c.starts_with("tb_session="))
        .unwrap_or_else(|| session.to_owned()))
}
