//! The `tongban` binary as an operator uses it: demo start-up (twice, on SQLite and PostgreSQL),
//! production refusal, printed configuration, JSON logs and graceful shutdown.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tongban_store::testing::TestDb;

const BIN: &str = env!("CARGO_BIN_EXE_tongban");

/// A running `tongban serve`, with the address it printed.
struct Running {
    child: Child,
    addr: String,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

fn start(dir: &Path, extra: &[&str]) -> Running {
    let child = Command::new(BIN)
        .current_dir(dir)
        .args(["serve", "--addr", "127.0.0.1:0", "--metrics-addr", "off"])
        .args(extra)
        .env_remove("TONGBAN__DATABASE__URL")
        .env("TONGBAN_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tongban");
    // Owned by `Running` at once, so every failure below still stops the process.
    let mut running = Running {
        child,
        addr: String::new(),
        stderr: Default::default(),
    };
    let sink = running.stderr.clone();
    let mut err = running.child.stderr.take().unwrap();
    std::thread::spawn(move || {
        let mut buf = String::new();
        let _ = err.read_to_string(&mut buf);
        sink.lock().unwrap().push_str(&buf);
    });
    let stdout = BufReader::new(running.child.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut printed = Vec::new();
    while Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            if let Some(url) = line.trim().strip_prefix("portal:") {
                running.addr = url
                    .trim()
                    .trim_start_matches("http://")
                    .trim_end_matches('/')
                    .to_owned();
                return running;
            }
            printed.push(line);
        }
        if let Ok(Some(status)) = running.child.try_wait() {
            panic!(
                "tongban exited with {status}: {printed:?} {}",
                running.stderr.lock().unwrap()
            );
        }
    }
    panic!("tongban printed no portal address: {printed:?}");
}

impl Drop for Running {
    /// A failed assertion must not leave a server behind.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Running {
    fn get(&self, path: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response[9..12].parse().unwrap();
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    /// SIGTERM, then the exit status; graceful shutdown must end the process by itself.
    fn terminate(&mut self) -> (std::process::ExitStatus, String) {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(100));
                let log = self.stderr.lock().unwrap().clone();
                return (status, log);
            }
            assert!(Instant::now() < deadline, "tongban ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn count_services(url: &str) -> u64 {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = tongban_store::connect(url).await.unwrap();
        tongban_store::catalog::count_rows(&db, "990100")
            .await
            .unwrap()[2]
    })
}

#[test]
fn demo_mode_starts_with_nothing_configured_and_a_restart_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = start(dir.path(), &[]);
    let (status, home) = first.get("/");
    assert_eq!(status, 200);
    assert!(home.contains("demo-ribbon"));
    assert!(home.contains("示范市"));
    let (status, guide) = first.get("/services/GA0001?lang=en");
    assert_eq!(status, 200);
    assert!(guide.contains("lang=\"en\""));
    let (status, exit_log) = first.terminate();
    assert!(
        status.success(),
        "graceful shutdown exits 0: {status} {exit_log}"
    );
    assert!(exit_log.contains("shutdown requested"), "{exit_log}");

    let database = dir.path().join("data").join("tongban.db");
    assert!(database.exists(), "the default data directory is ./data");
    let url = format!("sqlite://{}", database.display());
    let services = count_services(&url);
    assert!(services >= 10);

    let mut second = start(dir.path(), &[]);
    assert_eq!(second.get("/").0, 200);
    second.terminate();
    assert_eq!(
        count_services(&url),
        services,
        "a second start adds nothing"
    );
}

#[test]
fn the_same_binary_runs_on_postgresql() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = runtime.block_on(TestDb::postgres("serve on PostgreSQL")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path(), &["--database", &db.url]);
    let (status, page) = server.get("/departments/police");
    assert_eq!(status, 200);
    assert!(page.contains("/services/GA0001"));
    assert_eq!(server.get("/readyz").0, 200);
    assert!(server.terminate().0.success());
    assert!(
        !dir.path().join("data/tongban.db").exists(),
        "no SQLite database beside PostgreSQL"
    );
    runtime.block_on(db.finish());
}

#[test]
fn production_mode_refuses_to_start_and_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(BIN)
        .current_dir(dir.path())
        .args(["serve", "--mode", "production", "--addr", "127.0.0.1:0"])
        .env_remove("TONGBAN__SECURITY__SECRET_KEY")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for missing in [
        "TONGBAN__SECURITY__SECRET_KEY",
        "TONGBAN__SECURITY__DATA_KEY",
    ] {
        assert!(stderr.contains(missing), "{stderr}");
    }
    assert!(
        !dir.path().join("data").exists(),
        "nothing created before the checks pass"
    );
}

#[test]
fn production_mode_starts_when_configured_and_loads_no_demo_data() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tongban.toml"),
        format!(
            "mode = \"production\"\n[security]\nsecret_key = \"{}\"\ndata_key = \"{}\"\n",
            "1f".repeat(32),
            "2e".repeat(32)
        ),
    )
    .unwrap();
    let mut server = start(dir.path(), &[]);
    let (status, home) = server.get("/");
    assert_eq!(status, 200);
    assert!(!home.contains("demo-ribbon"));
    assert_eq!(
        server.get("/services/GA0001").0,
        404,
        "no demo data in production"
    );
    server.terminate();
    let url = format!("sqlite://{}", dir.path().join("data/tongban.db").display());
    assert_eq!(count_services(&url), 0);

    let refused = Command::new(BIN)
        .current_dir(dir.path())
        .args(["seed", "demo"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("production"));
}

#[test]
fn json_logs_are_one_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path(), &["--log-format", "json"]);
    server.get("/");
    let (_, log) = server.terminate();
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty());
    for line in lines {
        let value: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(value.get("level").is_some(), "{line}");
    }
}

#[test]
fn config_default_prints_the_commented_defaults() {
    let output = Command::new(BIN)
        .args(["config", "default"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("mode = \"demo\""));
    assert!(text.contains("[security]"));
    let parsed: toml_check::Value = text.parse().expect("valid TOML");
    assert!(parsed.get("server").is_some());
}

mod toml_check {
    pub use toml::Value;
}

#[test]
fn migrate_and_seed_are_separate_commands() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let migrate = Command::new(BIN)
        .current_dir(dir.path())
        .args(["migrate", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    let first = String::from_utf8_lossy(&migrate.stdout).to_string();
    let applied: usize = first.split(' ').next().unwrap().parse().unwrap();
    assert!(
        applied >= 2 && first.contains("migration(s) applied"),
        "{first}"
    );
    let again = Command::new(BIN)
        .current_dir(dir.path())
        .args(["migrate", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).starts_with("0 migration(s) applied"));
    let seed = |expect: &str| {
        let out = Command::new(BIN)
            .current_dir(dir.path())
            .args(["seed", "demo", "--data-dir"])
            .arg(&data)
            .output()
            .unwrap();
        assert!(out.status.success());
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(stdout.contains(expect), "{stdout}");
    };
    seed("demo region loaded");
    seed("nothing to add");
}

#[test]
fn audit_verify_finds_an_altered_entry() {
    let dir = tempfile::tempdir().unwrap();
    // A demo start creates the database; two entries are then appended as sign-ins would.
    let mut server = start(dir.path(), &[]);
    let (_, page) = server.get("/login");
    assert!(page.contains("name=\"csrf\""));
    server.terminate();
    let url = format!("sqlite://{}", dir.path().join("data/tongban.db").display());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let db = tongban_store::connect(&url).await.unwrap();
        for outcome in ["failure", "success"] {
            tongban_store::audit::append_alone(
                &db,
                &tongban_store::audit::AuditRecord {
                    at: chrono_now(),
                    region_id: None,
                    actor_id: None,
                    on_behalf_of: None,
                    action: "identity.login".into(),
                    target: None,
                    outcome: outcome.into(),
                    ip: Some("127.0.0.1".into()),
                    detail: serde_json::json!({}),
                },
            )
            .await
            .unwrap();
        }
    });
    let verify = || {
        Command::new(BIN)
            .current_dir(dir.path())
            .args(["audit", "verify"])
            .output()
            .unwrap()
    };
    let intact = verify();
    assert!(intact.status.success());
    assert!(String::from_utf8_lossy(&intact.stdout).contains("intact: 2 entries"));

    runtime.block_on(async {
        use tongban_store::sea_orm::ConnectionTrait;
        let db = tongban_store::connect(&url).await.unwrap();
        db.execute_unprepared("UPDATE audit_log SET outcome = 'success' WHERE seq = 1")
            .await
            .unwrap();
    });
    let broken = verify();
    assert!(!broken.status.success());
    assert!(String::from_utf8_lossy(&broken.stderr).contains("audit entry 1 was altered"));
}

fn chrono_now() -> chrono::DateTime<chrono::Utc> {
    use tongban_domain::clock::{Clock, SystemClock};
    SystemClock.now()
}

#[test]
fn demo_totp_prints_the_current_code_of_a_demo_staff_account() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path(), &[]);
    server.terminate();
    let output = Command::new(BIN)
        .current_dir(dir.path())
        .args(["demo", "totp", "sj.reviewer"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let code = String::from_utf8(output.stdout).unwrap();
    let code = code.trim();
    assert_eq!(code.len(), 6);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
    let unknown = Command::new(BIN)
        .current_dir(dir.path())
        .args(["demo", "totp", "13800000001"])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
}

#[test]
fn staff_add_creates_an_administrator_once_and_explains_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let seeded = Command::new(BIN)
        .current_dir(dir.path())
        .args(["seed", "demo", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(seeded.status.success());
    let add = |username: &str, roles: &[&str]| {
        let mut command = Command::new(BIN);
        command.current_dir(dir.path()).args([
            "staff",
            "add",
            "--region",
            "990100",
            "--username",
            username,
            "--name",
            "林峰",
        ]);
        for role in roles {
            command.args(["--role", role]);
        }
        command.arg("--data-dir").arg(&data).output().unwrap()
    };
    let created = add("lin.feng", &["security-admin"]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let stdout = String::from_utf8_lossy(&created.stdout);
    let password = stdout
        .lines()
        .find_map(|l| l.strip_prefix("initial password (shown once): "))
        .expect("the initial password is printed");
    assert_eq!(password.len(), 19, "{stdout}");

    let again = add("lin.feng", &["security-admin"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("this user name is taken"));
    let combined = add("two.hats", &["security-admin", "auditor"]);
    assert!(!combined.status.success());
    assert!(String::from_utf8_lossy(&combined.stderr).contains("separated"));
    let unknown = add("no.role", &["root"]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown role root"));
}

#[test]
fn oidc_clients_are_registered_listed_and_keys_rotated_from_the_console() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(BIN)
            .current_dir(dir.path())
            .args(args)
            .env_remove("TONGBAN__DATABASE__URL")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    // `seed demo` registers the demo department system and prints its derived secret.
    let (ok, seeded, err) = run(&["seed", "demo"]);
    assert!(ok, "{err}");
    assert!(
        seeded.contains("client_id     demo-department-portal"),
        "{seeded}"
    );
    let secret_line = |text: &str| {
        text.lines()
            .find(|l| l.contains("client_secret"))
            .map(str::to_owned)
    };
    let (_, again, _) = run(&["seed", "demo"]);
    assert_eq!(
        secret_line(&seeded),
        secret_line(&again),
        "the demo secret is stable"
    );

    let (ok, added, err) = run(&[
        "oidc",
        "client",
        "add",
        "--name",
        "公积金网上业务系统",
        "--redirect-uri",
        "https://gjj.example.gov.cn/callback",
        "--post-logout-redirect-uri",
        "https://gjj.example.gov.cn/",
        "--scope",
        "openid",
        "--scope",
        "phone",
        "--department",
        "GJJ",
        "--client-id",
        "gjj-portal",
    ]);
    assert!(ok, "{err}");
    assert!(added.contains("client_id:     gjj-portal"), "{added}");
    let secret = added
        .lines()
        .find_map(|l| l.strip_prefix("client_secret: "))
        .expect("the secret is printed once");
    assert_eq!(secret.len(), 43);

    let (ok, _, err) = run(&[
        "oidc",
        "client",
        "add",
        "--name",
        "x",
        "--redirect-uri",
        "http://evil.example/cb",
        "--department",
        "NOPE",
    ]);
    assert!(!ok);
    assert!(
        err.contains("--redirect-uri must be absolute https"),
        "{err}"
    );
    assert!(
        err.contains("--department is not a department code"),
        "{err}"
    );

    let (ok, listed, _) = run(&["oidc", "client", "list"]);
    assert!(ok);
    assert!(
        listed.contains("gjj-portal\tactive\tconfidential"),
        "{listed}"
    );
    assert!(listed.contains("demo-department-portal"), "{listed}");
    assert!(!listed.contains(secret), "secrets are never shown again");

    let (ok, rotated, err) = run(&["oidc", "keys", "rotate"]);
    assert!(ok, "{err}");
    assert!(rotated.contains("now signing with key"), "{rotated}");
}

#[test]
fn demo_token_prints_a_token_the_applications_api_accepts_for_demo_people_only() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    let token = |who: &str, env: &[(&str, &str)]| {
        let mut command = Command::new(BIN);
        command
            .current_dir(dir.path())
            .args(["demo", "token", "--minutes", "5", "--user", who])
            .env_remove("TONGBAN__DATABASE__URL");
        for (k, v) in env {
            command.env(k, v);
        }
        command.output().unwrap()
    };
    let issued = token("13800000001", &[]);
    assert!(
        issued.status.success(),
        "{}",
        String::from_utf8_lossy(&issued.stderr)
    );
    let access_token = String::from_utf8(issued.stdout).unwrap().trim().to_owned();
    let list = |bearer: &str| {
        let mut stream = TcpStream::connect(&server.addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "GET /api/v1/applications HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {bearer}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response[9..12].parse::<u16>().unwrap()
    };
    assert_eq!(list(&access_token), 200);
    assert_eq!(list("not-a-token"), 401);

    // The resident ID number works too; people outside demo/accounts.yaml and production
    // mode get nothing.
    assert!(token("990102199003071233", &[]).status.success());
    let stranger = token("13912345678", &[]);
    assert!(!stranger.status.success());
    assert!(String::from_utf8_lossy(&stranger.stderr).contains("not a demo person"));
    let production = token("13800000001", &[("TONGBAN__MODE", "production")]);
    assert!(!production.status.success());
    assert!(String::from_utf8_lossy(&production.stderr).contains("demo mode only"));
}
