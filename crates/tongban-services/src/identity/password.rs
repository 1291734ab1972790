//! Passwords: argon2id hashing on a bounded pool, verification that costs the same whether the
//! account exists or not, and the password policy.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::crypto::random_bytes;

/// argon2id cost parameters (RFC 9106); the defaults follow OWASP's 19 MiB, 2 passes, 1 lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Argon2Settings {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for Argon2Settings {
    fn default() -> Self {
        Argon2Settings {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// How strict the password rules are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PasswordPolicy {
    /// At least 10 characters and not a commonly used password.
    Standard,
    /// Also three of the four character classes (等保 requirements).
    Strict,
}

/// Why a new password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRejection {
    #[error("shorter than {0} characters")]
    TooShort(usize),
    #[error("longer than {0} characters")]
    TooLong(usize),
    #[error("a commonly used password")]
    Common,
    #[error("needs three of: lower-case, upper-case, digits, symbols")]
    TooSimple,
    #[error("contains the account's own name or identifier")]
    Personal,
}

pub const MIN_LENGTH: usize = 10;
/// Long enough for passphrases; bounded so hashing cost stays predictable.
pub const MAX_LENGTH: usize = 128;

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/common-passwords.txt")
        .lines()
        .map(str::trim)
        .collect()
});

impl PasswordPolicy {
    /// Checks a new password; `personal` are strings it must not contain (user name, phone).
    pub fn check(self, password: &str, personal: &[&str]) -> Result<(), PasswordRejection> {
        let length = password.chars().count();
        if length < MIN_LENGTH {
            return Err(PasswordRejection::TooShort(MIN_LENGTH));
        }
        if length > MAX_LENGTH {
            return Err(PasswordRejection::TooLong(MAX_LENGTH));
        }
        let lower = password.to_lowercase();
        if COMMON.contains(lower.as_str()) || password.chars().all(|c| password.starts_with(c)) {
            return Err(PasswordRejection::Common);
        }
        if personal
            .iter()
            .filter(|p| p.chars().count() >= 4)
            .any(|p| lower.contains(&p.to_lowercase()))
        {
            return Err(PasswordRejection::Personal);
        }
        if self == PasswordPolicy::Strict {
            let classes = [
                password.chars().any(|c| c.is_lowercase()),
                password.chars().any(|c| c.is_uppercase()),
                password.chars().any(|c| c.is_ascii_digit()),
                password.chars().any(|c| !c.is_alphanumeric()),
            ];
            if classes.iter().filter(|&&c| c).count() < 3 {
                return Err(PasswordRejection::TooSimple);
            }
        }
        Ok(())
    }
}

/// Hashes and verifies on a pool bounded by a semaphore, so a burst of sign-ins queues instead
/// of allocating argon2's memory for every request at once.
#[derive(Clone)]
pub struct Passwords {
    argon2: Argon2<'static>,
    permits: Arc<Semaphore>,
    /// Verified against when the account does not exist, so both cases cost the same.
    dummy_hash: Arc<String>,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords").finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("invalid argon2 parameters: {0}")]
    Params(String),
    #[error("hashing failed: {0}")]
    Hash(String),
}

impl Passwords {
    /// `concurrency` hashes run at once at most (usually the number of cores).
    pub fn new(settings: Argon2Settings, concurrency: usize) -> Result<Passwords, HashError> {
        let params = Params::new(
            settings.memory_kib,
            settings.iterations,
            settings.parallelism,
            None,
        )
        .map_err(|e| HashError::Params(e.to_string()))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let dummy_hash = dummy_hash(settings)?;
        Ok(Passwords {
            argon2,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy_hash: Arc::new(dummy_hash),
        })
    }

    /// A PHC-format argon2id hash of `password` with a fresh salt.
    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| HashError::Hash(e.to_string()))?;
        let argon2 = self.argon2.clone();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || hash_with(&argon2, &password))
            .await
            .map_err(|e| HashError::Hash(e.to_string()))?
    }

    /// Whether `password` matches `stored`; with `None` (no such account) a dummy hash is
    /// checked so the answer takes as long, and is always false.
    pub async fn verify(&self, stored: Option<&str>, password: &str) -> bool {
        let Ok(_permit) = self.permits.acquire().await else {
            return false;
        };
        let exists = stored.is_some();
        let stored = stored.unwrap_or(&self.dummy_hash).to_owned();
        let argon2 = self.argon2.clone();
        let password = password.to_owned();
        let matched = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&stored)
                .map(|parsed| argon2.verify_password(password.as_bytes(), &parsed).is_ok())
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false);
        exists && matched
    }
}

/// A well-formed hash with the configured cost whose output matches no password: verifying
/// against it costs a full argon2 run, yet making it costs nothing at start-up.
fn dummy_hash(settings: Argon2Settings) -> Result<String, HashError> {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD_NO_PAD;
    let salt = random_bytes::<16>().map_err(|e| HashError::Hash(e.to_string()))?;
    let output = random_bytes::<32>().map_err(|e| HashError::Hash(e.to_string()))?;
    Ok(format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        settings.memory_kib,
        settings.iterations,
        settings.parallelism,
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(output)
    ))
}

fn hash_with(argon2: &Argon2<'_>, password: &str) -> Result<String, HashError> {
    let salt_bytes = random_bytes::<16>().map_err(|e| HashError::Hash(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| HashError::Hash(e.to_string()))?;
    argon2
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError::Hash(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> Passwords {
        Passwords::new(
            Argon2Settings {
                memory_kib: 256,
                iterations: 1,
                parallelism: 1,
            },
            2,
        )
        .unwrap()
    }

    #[tokio::test]
    async fn hashes_verify_and_are_salted() {
        let passwords = cheap();
        let a = passwords.hash("correct horse battery").await.unwrap();
        let b = passwords.hash("correct horse battery").await.unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$v=19$m=256,t=1,p=1$"));
        assert!(passwords.verify(Some(&a), "correct horse battery").await);
        assert!(!passwords.verify(Some(&a), "correct horse batterY").await);
        assert!(
            !passwords
                .verify(None, "tongban dummy password for unknown accounts")
                .await
        );
        assert!(!passwords.verify(Some("not a hash"), "x").await);
        // The dummy hash parses, so unknown accounts pay for a full verification.
        assert!(PasswordHash::new(&passwords.dummy_hash).is_ok());
    }

    #[test]
    fn the_standard_policy_wants_length_and_no_common_passwords() {
        let p = PasswordPolicy::Standard;
        assert_eq!(p.check("short", &[]), Err(PasswordRejection::TooShort(10)));
        assert_eq!(p.check("Password123", &[]), Err(PasswordRejection::Common));
        assert_eq!(p.check("woaini1314", &[]), Err(PasswordRejection::Common));
        assert_eq!(p.check("zzzzzzzzzzzz", &[]), Err(PasswordRejection::Common));
        assert_eq!(
            p.check("13812345678abc", &["13812345678"]),
            Err(PasswordRejection::Personal)
        );
        assert!(p.check("correct horse battery", &[]).is_ok());
        assert!(
            p.check("长城长城黄河黄河长江长江", &[]).is_ok(),
            "any script counts"
        );
        assert_eq!(
            p.check(&"x1".repeat(65), &[]),
            Err(PasswordRejection::TooLong(128))
        );
    }

    #[test]
    fn the_strict_policy_wants_three_character_classes() {
        let p = PasswordPolicy::Strict;
        assert_eq!(
            p.check("correcthorsebattery", &[]),
            Err(PasswordRejection::TooSimple)
        );
        assert!(p.check("Correct horse 7", &[]).is_ok());
        assert!(p.check("correct-horse-42", &[]).is_ok());
    }
}
