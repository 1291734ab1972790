//! Passwords: argon2id hashing on a bounded pool, verification that costs the same whether the
//! account exists or not, and the password policy.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

use argon2::password_hash::PasswordHash;
use argon2::{Algorithm, Argon2, Block, Params, Version};

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

/// Hashes and verifies on a fixed set of worker threads, one per core. A burst of sign-ins
/// queues instead of allocating argon2's memory for every request at once, and because only
/// these threads ever allocate argon2 blocks, the allocator keeps at most one block per worker
/// (tokio's blocking pool would spread them over dozens of threads, each keeping its own).
#[derive(Clone)]
pub struct Passwords {
    argon2: Argon2<'static>,
    jobs: tokio::sync::mpsc::Sender<Job>,
    /// Verified against when the account does not exist, so both cases cost the same.
    dummy_hash: Arc<String>,
}

type Job = Box<dyn FnOnce() + Send>;

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
    #[error("the password workers have stopped")]
    Stopped,
}

impl Passwords {
    /// Starts `workers` hashing threads (usually the number of cores); they end when the last
    /// clone of this value is dropped.
    pub fn new(settings: Argon2Settings, workers: usize) -> Result<Passwords, HashError> {
        let params = Params::new(
            settings.memory_kib,
            settings.iterations,
            settings.parallelism,
            None,
        )
        .map_err(|e| HashError::Params(e.to_string()))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let dummy_hash = dummy_hash(settings)?;
        let workers = workers.max(1);
        let (jobs, queue) = tokio::sync::mpsc::channel::<Job>(workers * 64);
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for n in 0..workers {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || {
                    loop {
                        // Holding the lock only while waiting for the next job.
                        let job = queue
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .blocking_recv();
                        match job {
                            Some(job) => job(),
                            None => break,
                        }
                    }
                })
                .map_err(|e| HashError::Hash(e.to_string()))?;
        }
        Ok(Passwords {
            argon2,
            jobs,
            dummy_hash: Arc::new(dummy_hash),
        })
    }

    /// Runs `work` on a password worker and waits for its answer.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = answer.send(work());
            }))
            .await
            .map_err(|_| HashError::Stopped)?;
        answered.await.map_err(|_| HashError::Stopped)
    }

    /// A PHC-format argon2id hash of `password` with a fresh salt.
    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let argon2 = self.argon2.clone();
        let password = password.to_owned();
        self.run(move || hash_with(&argon2, &password)).await?
    }

    /// Whether `password` matches `stored`; with `None` (no such account) a dummy hash is
    /// checked so the answer takes as long, and is always false.
    pub async fn verify(&self, stored: Option<&str>, password: &str) -> bool {
        let exists = stored.is_some();
        let stored = stored.unwrap_or(&self.dummy_hash).to_owned();
        let password = password.to_owned();
        let matched = self
            .run(move || verify_with(&stored, &password))
            .await
            .unwrap_or(false);
        exists && matched
    }
}

thread_local! {
    /// argon2's working memory, kept by each password worker between jobs: no allocation and
    /// no page faults per sign-in, and a resident size bounded by workers × cost.
    static BLOCKS: std::cell::RefCell<Vec<Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn with_blocks<T>(count: usize, work: impl FnOnce(&mut [Block]) -> T) -> T {
    BLOCKS.with(|cell| {
        let mut blocks = cell.borrow_mut();
        if blocks.len() < count {
            blocks.resize(count, Block::default());
        }
        work(&mut blocks[..count])
    })
}

const OUTPUT_LEN: usize = 32;

fn hash_with(argon2: &Argon2<'_>, password: &str) -> Result<String, HashError> {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD_NO_PAD;
    let salt = random_bytes::<16>().map_err(|e| HashError::Hash(e.to_string()))?;
    let mut output = [0u8; OUTPUT_LEN];
    let params = argon2.params().clone();
    with_blocks(params.block_count(), |blocks| {
        argon2.hash_password_into_with_memory(password.as_bytes(), &salt, &mut output, blocks)
    })
    .map_err(|e| HashError::Hash(e.to_string()))?;
    Ok(format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(output)
    ))
}

/// Recomputes a stored PHC hash with its own parameters (older hashes keep verifying after the
/// configured cost changes) and compares in constant time.
fn verify_with(stored: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let version = parsed
        .version
        .and_then(|v| Version::try_from(v).ok())
        .unwrap_or(Version::V0x13);
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let expected = expected.as_bytes();
    let mut output = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let computed = with_blocks(params.block_count(), |blocks| {
        argon2.hash_password_into_with_memory(password.as_bytes(), salt, &mut output, blocks)
    });
    computed.is_ok() && crate::crypto::constant_time_eq(&output, expected)
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

    #[tokio::test]
    async fn hashes_agree_with_the_argon2_crates_own_encoding() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
        let passwords = cheap();
        let ours = passwords.hash("correct horse battery").await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            passwords
                .argon2
                .verify_password(b"correct horse battery", &parsed)
                .is_ok()
        );
        let salt = SaltString::encode_b64(&[1u8; 16]).unwrap();
        let theirs = passwords
            .argon2
            .hash_password(b"correct horse battery", &salt)
            .unwrap()
            .to_string();
        assert!(
            passwords
                .verify(Some(&theirs), "correct horse battery")
                .await
        );
        assert!(!passwords.verify(Some(&theirs), "wrong").await);
        // A hash made with other costs still verifies.
        let older = Passwords::new(
            Argon2Settings {
                memory_kib: 512,
                iterations: 2,
                parallelism: 1,
            },
            1,
        )
        .unwrap();
        let old_hash = older.hash("correct horse battery").await.unwrap();
        assert!(
            passwords
                .verify(Some(&old_hash), "correct horse battery")
                .await
        );
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
