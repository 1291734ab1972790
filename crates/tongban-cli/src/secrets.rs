//! The platform's two keys: the secret that signs (sessions, CSRF tokens, blind indexes) and the
//! data key that encrypts personal identifiers.
//!
//! Production takes both from configuration. Demo mode makes them on first start and keeps them
//! in `DATA_DIR/demo-secrets.toml` (readable by the owner only), so a restart can still read
//! the data it encrypted.

use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use tongban_services::crypto::{parse_key, random_bytes};

use crate::settings::{Mode, Settings};

pub struct Keys {
    pub secret: [u8; 32],
    pub data: [u8; 32],
}

#[derive(Serialize, Deserialize)]
struct DemoSecrets {
    secret_key: String,
    data_key: String,
}

const DEMO_SECRETS_FILE: &str = "demo-secrets.toml";

pub fn load(settings: &Settings) -> anyhow::Result<Keys> {
    let configured =
        !settings.security.secret_key.is_empty() && !settings.security.data_key.is_empty();
    if configured || settings.mode == Mode::Production {
        return Ok(Keys {
            secret: parse_key(&settings.security.secret_key).context("security.secret_key")?,
            data: parse_key(&settings.security.data_key).context("security.data_key")?,
        });
    }
    demo_keys(&settings.server.data_dir)
}

fn demo_keys(data_dir: &Path) -> anyhow::Result<Keys> {
    let path = data_dir.join(DEMO_SECRETS_FILE);
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let stored: DemoSecrets =
            toml::from_str(&text).with_context(|| format!("{} is damaged", path.display()))?;
        return Ok(Keys {
            secret: parse_key(&stored.secret_key)
                .with_context(|| format!("{}: secret_key", path.display()))?,
            data: parse_key(&stored.data_key)
                .with_context(|| format!("{}: data_key", path.display()))?,
        });
    }
    let keys = Keys {
        secret: random_bytes::<32>()?,
        data: random_bytes::<32>()?,
    };
    let stored = DemoSecrets {
        secret_key: hex(&keys.secret),
        data_key: hex(&keys.data),
    };
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let text = format!(
        "# Keys made by `tongban serve` in demo mode. Demo data only: production takes its keys\n# from configuration.\n{}",
        toml::to_string(&stored)?
    );
    write_private(&path, &text).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(keys)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_keys_are_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = demo_keys(dir.path()).unwrap();
        let second = demo_keys(dir.path()).unwrap();
        assert_eq!(first.secret, second.secret);
        assert_eq!(first.data, second.data);
        assert_ne!(first.secret, first.data);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(DEMO_SECRETS_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
