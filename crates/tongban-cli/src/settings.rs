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
    /// Initial password of the `admin` account (production only; demo accounts have their own).
    pub admin_password: String,
    /// 32 random bytes as 64 hex digits: signs sessions and CSRF tokens.
    pub secret_key: String,
    /// 32 random bytes as 64 hex digits: encrypts personal identifiers at rest (AES-256-GCM).
    pub data_key: String,
    /// `standard` (10+ characters, not a common password) or `strict` (also three character
    /// classes, for deployments under 等保 rules).
    pub password_policy: PasswordPolicy,
    pub argon2: Argon2Settings,
}

impl Default for Security {
    fn default() -> Self {
        Security {
            admin_password: String::new(),
            secret_key: String::new(),
            data_key: String::new(),
            password_policy: PasswordPolicy::Standard,
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
        let password = &self.security.admin_password;
        if password.is_empty() {
            gaps.push(
                "security.admin_password is not set (TONGBAN__SECURITY__ADMIN_PASSWORD): the initial administrator password, at least 12 characters"
                    .to_owned(),
            );
        } else if password.chars().count() < 12 {
            gaps.push("security.admin_password is shorter than 12 characters".to_owned());
        }
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
# Initial password of the "admin" account, at least 12 characters.
admin_password = ""
# Signs sessions and CSRF tokens (64 hex digits).
secret_key = ""
# Encrypts personal identifiers at rest (64 hex digits). Keep a backup: data encrypted with a
# lost key cannot be read.
data_key = ""
# "standard": at least 10 characters and not a common password.
# "strict": also three of lower-case, upper-case, digits and symbols (等保).
password_policy = "standard"

[security.argon2]
# Password hashing cost (argon2id). Higher is slower for attackers and for sign-in alike;
# `tongban bench` reports sign-ins per second with the values in force.
memory_kib = 19456
iterations = 2
parallelism = 1
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
        assert_eq!(gaps.len(), 3, "{gaps:?}");
        assert!(gaps[0].contains("TONGBAN__SECURITY__ADMIN_PASSWORD"));
        assert!(gaps[1].contains("TONGBAN__SECURITY__SECRET_KEY"));
        assert!(gaps[2].contains("TONGBAN__SECURITY__DATA_KEY"));

        let mut settings = Settings::default();
        settings.security.admin_password = "correct horse battery".into();
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
