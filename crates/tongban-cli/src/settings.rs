//! Typed settings: built-in defaults, then a TOML file, then `TONGBAN__SECTION__KEY` environment
//! variables, then command-line flags. `tongban config default` prints the commented example.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use tongban_services::identity::password::{Argon2Settings, PasswordPolicy};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Demo,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub mode: Mode,
    pub server: Server,
    pub database: Database,
    pub log: Log,
    pub security: Security,
    pub email: Email,
    pub applications: Applications,
    pub cases: Cases,
    pub certificates: Certificates,
}

/// E-certificates: how departments sign them. See docs/certificates.md.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Certificates {
    /// The algorithm of new department keys: "EdDSA" (Ed25519) or "ES256" (P-256). Existing
    /// keys keep theirs until rotated.
    pub algorithm: String,
    /// Slots per status list: revocations are published in lists this long, so a slot says
    /// nothing more precise about a certificate than the list it is in.
    pub status_list_size: u32,
}

impl Default for Certificates {
    fn default() -> Self {
        Certificates {
            algorithm: "EdDSA".into(),
            status_list_size: 131_072,
        }
    }
}

/// Case handling: office hours, deadline alerts, the public progress lookup, extra calendars.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Cases {
    /// Local time ("HH:MM") after which an application counts as received the next working day.
    pub office_closes_at: String,
    /// Working days before a committed deadline that a case raises an "approaching" alert.
    pub approaching_days: u32,
    /// Wrong answers to the public progress lookup before a tracking number is locked.
    pub lookup_max_failures: u32,
    /// Minutes a locked tracking number stays locked.
    pub lookup_lock_minutes: u32,
    /// A directory of extra calendar files (a new year's holidays, a regional holiday) layered
    /// on the shipped ones; "" for none. See docs/calendar.md.
    pub calendar_dir: String,
    /// The largest file staff may attach to an action, in kilobytes (the whole request is
    /// bounded at 64 MB).
    pub attachment_max_kb: u32,
}

impl Default for Cases {
    fn default() -> Self {
        Cases {
            office_closes_at: "17:00".into(),
            approaching_days: 2,
            lookup_max_failures: 5,
            lookup_lock_minutes: 30,
            calendar_dir: String::new(),
            attachment_max_kb: 20 * 1024,
        }
    }
}

/// Online applications.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Applications {
    /// Days an unsent draft is kept after its last change.
    pub draft_days: u32,
    /// Days before a draft expires that its filler is reminded.
    pub reminder_days: u32,
}

impl Default for Applications {
    fn default() -> Self {
        let defaults = tongban_services::applications::ApplicationSettings::default();
        Applications {
            draft_days: defaults.draft_days as u32,
            reminder_days: defaults.reminder_days as u32,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Server {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    /// Where `/metrics` listens; empty turns the listener off.
    pub metrics_addr: String,
    pub max_body_bytes: usize,
    /// Mark cookies `Secure`: set when serving over HTTPS or behind a TLS-terminating proxy.
    pub secure_cookies: bool,
    /// Believe the reverse proxy's `X-Forwarded-Proto` (cookies become `Secure` for https)
    /// and `X-Forwarded-For` (the client address in audit entries and throttling). Only when a
    /// proxy in front sets them: otherwise any client could claim any address.
    pub trust_proxy: bool,
    /// The region code the portal shows; empty means the first region in the database.
    pub region: String,
    /// The address people and department systems reach the platform at; the OpenID Connect
    /// issuer.
    pub public_url: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Database {
    /// `sqlite://PATH` or `postgres://…`; empty means `DATA_DIR/tongban.db`.
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Log {
    pub format: LogFormat,
    /// A `tracing` filter; `TONGBAN_LOG` or `RUST_LOG` take precedence.
    pub filter: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Security {
    /// 32 random bytes as 64 hex digits: signs sessions and CSRF tokens.
    pub secret_key: String,
    /// 32 random bytes as 64 hex digits: encrypts personal identifiers at rest (AES-256-GCM).
    pub data_key: String,
    /// `standard` (10+ characters, not a common password) or `strict` (also three character
    /// classes, for deployments under 等保 rules).
    pub password_policy: PasswordPolicy,
    /// Under the strict policy, staff must choose a new password after this many days
    /// (等保 periodic change); 0 turns the rule off.
    pub staff_password_max_age_days: u32,
    pub argon2: Argon2Settings,
}

/// The e-mail channel. With no SMTP URL, demo mode writes e-mails to the log and the inbox,
/// and production runs without e-mail (inbox and SMS only).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Email {
    /// `smtp://HOST[:PORT]` of the relay; empty turns SMTP off.
    pub smtp_url: String,
    /// SMTP authentication; empty for none.
    pub username: String,
    /// Set it through TONGBAN__EMAIL__PASSWORD rather than in a file; never printed.
    pub password: String,
    /// The sender, e.g. `示范市政务服务网 <noreply@shifan.gov.cn>`; required with an SMTP URL.
    pub from: String,
    /// Where replies go; empty for none.
    pub reply_to: String,
    /// Longest wait for the relay at each step, in seconds (at most 25).
    pub timeout_secs: u64,
}

impl Default for Email {
    fn default() -> Self {
        Email {
            smtp_url: String::new(),
            username: String::new(),
            password: String::new(),
            from: String::new(),
            reply_to: String::new(),
            timeout_secs: 20,
        }
    }
}

/// The password stays out of logs.
impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Email")
            .field("smtp_url", &self.smtp_url)
            .field("username", &self.username)
            .field(
                "password",
                &if self.password.is_empty() { "" } else { "***" },
            )
            .field("from", &self.from)
            .field("reply_to", &self.reply_to)
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

impl Email {
    /// The SMTP relay's settings, or `None` when no SMTP URL is set.
    pub fn smtp(&self) -> Result<Option<tongban_services::mail::SmtpConfig>, String> {
        if self.smtp_url.trim().is_empty() {
            return Ok(None);
        }
        tongban_services::mail::parse_smtp_url(&self.smtp_url)
            .map_err(|e| format!("email.smtp_url: {e}"))?;
        if self.from.trim().is_empty() {
            return Err(
                "email.from is not set (TONGBAN__EMAIL__FROM): the sender address, e.g. \"示范市政务服务网 <noreply@shifan.gov.cn>\""
                    .to_owned(),
            );
        }
        if !(1..=25).contains(&self.timeout_secs) {
            return Err("email.timeout_secs must be between 1 and 25 seconds".to_owned());
        }
        Ok(Some(tongban_services::mail::SmtpConfig {
            url: self.smtp_url.trim().to_owned(),
            username: self.username.clone(),
            password: self.password.clone(),
            from: self.from.clone(),
            reply_to: self.reply_to.clone(),
            timeout: std::time::Duration::from_secs(self.timeout_secs),
        }))
    }
}

impl Default for Security {
    fn default() -> Self {
        Security {
            secret_key: String::new(),
            data_key: String::new(),
            password_policy: PasswordPolicy::Standard,
            staff_password_max_age_days: 90,
            argon2: Argon2Settings::default(),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            mode: Mode::Demo,
            server: Server::default(),
            database: Database::default(),
            log: Log::default(),
            security: Security::default(),
            email: Email::default(),
            applications: Applications::default(),
            cases: Cases::default(),
            certificates: Certificates::default(),
        }
    }
}

impl Default for Server {
    fn default() -> Self {
        Server {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./data"),
            metrics_addr: "127.0.0.1:9090".to_owned(),
            max_body_bytes: 10 * 1024 * 1024,
            secure_cookies: false,
            trust_proxy: false,
            region: String::new(),
            public_url: "http://127.0.0.1:8080".to_owned(),
        }
    }
}

impl Default for Log {
    fn default() -> Self {
        Log {
            format: LogFormat::Text,
            filter: "info,sqlx=warn,sea_orm=warn".to_owned(),
        }
    }
}

/// The default configuration file looked for in the working directory.
pub const DEFAULT_CONFIG_FILE: &str = "tongban.toml";

impl Settings {
    /// Defaults, then `file` (or `./tongban.toml` when present), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Settings, String> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        match file {
            Some(path) if !path.exists() => {
                return Err(format!(
                    "configuration file {} does not exist",
                    path.display()
                ));
            }
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => {
                figment = figment.merge(Toml::file_exact(DEFAULT_CONFIG_FILE));
            }
            None => {}
        }
        figment
            .merge(Env::prefixed("TONGBAN__").split("__"))
            .extract()
            .map_err(|e| format!("invalid configuration: {e}"))
    }

    /// The database URL in force.
    pub fn database_url(&self) -> String {
        if self.database.url.trim().is_empty() {
            tongban_store::sqlite_url_for(&self.server.data_dir)
        } else {
            self.database.url.trim().to_owned()
        }
    }

    /// The metrics listener's address, if enabled.
    pub fn metrics_addr(&self) -> Result<Option<SocketAddr>, String> {
        let addr = self.server.metrics_addr.trim();
        if addr.is_empty() || addr == "off" {
            return Ok(None);
        }
        addr.parse().map(Some).map_err(|_| {
            format!("server.metrics_addr {addr:?} is not an address like 127.0.0.1:9090")
        })
    }

    /// In production, everything that must be configured and is not, each with how to set it.
    pub fn production_gaps(&self) -> Vec<String> {
        let mut gaps = Vec::new();
        for (name, env, value, purpose) in [
            (
                "security.secret_key",
                "TONGBAN__SECURITY__SECRET_KEY",
                &self.security.secret_key,
                "signs sessions and CSRF tokens",
            ),
            (
                "security.data_key",
                "TONGBAN__SECURITY__DATA_KEY",
                &self.security.data_key,
                "encrypts personal identifiers at rest",
            ),
        ] {
            if value.is_empty() {
                gaps.push(format!(
                    "{name} is not set ({env}): 64 hex digits (32 random bytes, e.g. `openssl rand -hex 32`) that {purpose}"
                ));
            } else if !is_hex_key(value) {
                gaps.push(format!("{name} must be exactly 64 hex digits (32 bytes)"));
            }
        }
        if self.security.secret_key.len() == 64
            && self.security.secret_key == self.security.data_key
        {
            gaps.push("security.secret_key and security.data_key must differ".to_owned());
        }
        if let Err(error) = self.email.smtp() {
            gaps.push(error);
        }
        gaps
    }
}

fn is_hex_key(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The commented example printed by `tongban config default`. A test keeps it equal to the
/// built-in defaults.
pub const EXAMPLE: &str = r#"# Tongban configuration. Every key is optional; shown here with its default.
# Precedence: built-in defaults < this file < TONGBAN__SECTION__KEY environment variables
# (e.g. TONGBAN__SERVER__ADDR) < command-line flags.

# "demo" loads the fictional region 示范市 and shows a demo ribbon on every page.
# "production" never loads demo data and refuses to start until the [security] keys are set.
mode = "demo"

[server]
# Where the portal listens.
addr = "127.0.0.1:8080"
# Where the embedded database and uploaded files live.
data_dir = "./data"
# Where Prometheus metrics (/metrics) listen; "" turns them off. Keep it off public networks.
metrics_addr = "127.0.0.1:9090"
# Request bodies larger than this many bytes are refused with 413.
max_body_bytes = 10485760
# Set to true when served over HTTPS or behind a TLS-terminating proxy.
secure_cookies = false
# Set to true behind a reverse proxy that sets X-Forwarded-Proto and X-Forwarded-For: cookies
# become Secure for https requests and audit entries name the client, not the proxy. Leave it
# false when clients reach tongban directly (they could claim any address).
trust_proxy = false
# Region code the portal shows; "" means the first region in the database.
region = ""
# The address people and department systems reach the platform at, without a trailing slash.
# It is the OpenID Connect issuer: set it to the public https address in production.
public_url = "http://127.0.0.1:8080"

[database]
# sqlite://PATH or postgres://USER@HOST:PORT/DB; "" means DATA_DIR/tongban.db (SQLite, WAL).
url = ""

[log]
# "text" or "json".
format = "text"
# A tracing filter; the TONGBAN_LOG or RUST_LOG environment variables take precedence.
filter = "info,sqlx=warn,sea_orm=warn"

[security]
# Required in production. Generate keys with: openssl rand -hex 32
# Signs sessions and CSRF tokens (64 hex digits).
secret_key = ""
# Encrypts personal identifiers at rest (64 hex digits). Keep a backup: data encrypted with a
# lost key cannot be read.
data_key = ""
# "standard": at least 10 characters and not a common password.
# "strict": also three of lower-case, upper-case, digits and symbols (等保).
password_policy = "standard"
# Under "strict", staff must choose a new password after this many days (0: never).
staff_password_max_age_days = 90

[security.argon2]
# Password hashing cost (argon2id). Higher is slower for attackers and for sign-in alike;
# `tongban bench` reports sign-ins per second with the values in force.
memory_kib = 19456
iterations = 2
parallelism = 1

[email]
# The SMTP relay that e-mail is handed to: smtp://HOST[:PORT] (port 25 by default). There is no
# TLS in this build: use a relay on this host or network that does TLS onwards. "" means no
# SMTP: demo mode then writes e-mails to the log and the inbox; production runs without
# e-mail (inbox and SMS only) and says so at start-up.
smtp_url = ""
# SMTP authentication, if the relay wants it. Set the password through the environment
# (TONGBAN__EMAIL__PASSWORD), not in this file; it is never printed.
username = ""
password = ""
# Sender and Reply-To, e.g. "示范市政务服务网 <noreply@shifan.gov.cn>"; from is required with
# an SMTP URL.
from = ""
reply_to = ""
# Longest wait for the relay at each step, in seconds (1 to 25).
timeout_secs = 20

[applications]
# Days an unsent application draft is kept after its last change, and how many days before it
# is deleted its filler gets a reminder in their inbox.
draft_days = 30
reminder_days = 3

[cases]
# Local time after which an application counts as received on the next working day.
office_closes_at = "17:00"
# Working days before a committed deadline that the case raises an "approaching" alert.
approaching_days = 2
# The public progress lookup (tracking number + last four digits of the mobile): wrong answers
# before a number is locked, and for how many minutes.
lookup_max_failures = 5
lookup_lock_minutes = 30
# A directory of extra calendar files (*.yaml: a new year's holidays, a regional holiday),
# layered on the shipped ones; open cases' deadlines are recomputed when they change.
calendar_dir = ""
# The largest file (KB) staff may attach to an action on a case (PDF, OFD, JPG, PNG).
attachment_max_kb = 20480

[certificates]
# The algorithm of new department signing keys: "EdDSA" (Ed25519) or "ES256" (P-256).
algorithm = "EdDSA"
# Slots per revocation status list (one bit each).
status_list_size = 131072
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_example_is_the_defaults() {
        let parsed: Settings = Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::string(EXAMPLE))
            .extract()
            .unwrap();
        assert_eq!(parsed, Settings::default());
        let only_file: Settings = toml_only(EXAMPLE);
        assert_eq!(only_file, Settings::default());
    }

    fn toml_only(text: &str) -> Settings {
        Figment::from(Toml::string(text)).extract().unwrap()
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::string("[server]\nadress = \"x\""))
            .extract::<Settings>()
            .unwrap_err()
            .to_string();
        assert!(err.contains("adress"), "{err}");
    }

    #[test]
    fn production_names_every_missing_secret() {
        let gaps = Settings::default().production_gaps();
        assert_eq!(gaps.len(), 2, "{gaps:?}");
        assert!(gaps[0].contains("TONGBAN__SECURITY__SECRET_KEY"));
        assert!(gaps[1].contains("TONGBAN__SECURITY__DATA_KEY"));

        let mut settings = Settings::default();
        settings.security.secret_key = "ab".repeat(32);
        settings.security.data_key = "cd".repeat(32);
        assert!(settings.production_gaps().is_empty());
        settings.security.data_key = "zz".repeat(32);
        assert_eq!(
            settings.production_gaps(),
            vec!["security.data_key must be exactly 64 hex digits (32 bytes)"]
        );
    }

    #[test]
    fn email_settings_are_checked_and_the_password_never_printed() {
        let mut settings = Settings::default();
        assert_eq!(settings.email.smtp().unwrap(), None);
        settings.email.smtp_url = "smtp://127.0.0.1:2525".into();
        settings.email.password = "relay-secret".into();
        assert!(
            settings
                .email
                .smtp()
                .unwrap_err()
                .contains("TONGBAN__EMAIL__FROM")
        );
        settings.email.from = "通办 <noreply@example.gov.cn>".into();
        let smtp = settings.email.smtp().unwrap().unwrap();
        assert_eq!(smtp.timeout, std::time::Duration::from_secs(20));
        assert!(!format!("{settings:?}").contains("relay-secret"));
        settings.email.smtp_url = "smtps://relay".into();
        assert!(settings.email.smtp().unwrap_err().contains("no TLS"));
    }

    #[test]
    fn database_url_defaults_to_the_data_dir() {
        let mut settings = Settings::default();
        settings.server.data_dir = PathBuf::from("/srv/tb");
        assert_eq!(settings.database_url(), "sqlite:///srv/tb/tongban.db");
        settings.database.url = "postgres://u@h/db".into();
        assert_eq!(settings.database_url(), "postgres://u@h/db");
    }

    #[test]
    fn metrics_can_be_turned_off() {
        let mut settings = Settings::default();
        assert!(settings.metrics_addr().unwrap().is_some());
        settings.server.metrics_addr = String::new();
        assert_eq!(settings.metrics_addr().unwrap(), None);
        settings.server.metrics_addr = "nonsense".into();
        assert!(settings.metrics_addr().is_err());
    }
}
