//! Encryption of personal data at rest and keyed hashes for looking it up.
//!
//! [`FieldCipher`] is the interface (so national algorithms such as SM4, or a key service, can
//! replace AES-256-GCM where a deployment requires it). Ciphertexts carry the id of the key that
//! made them (`kid.base64(nonce‖ciphertext‖tag)`), so keys can rotate: new data uses the current
//! key, old data stays readable while its key is kept.

use std::collections::HashMap;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// What can go wrong with keys and ciphertexts. Never contains plaintext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("a key must be 64 hex digits (32 bytes)")]
    BadKey,
    #[error("the ciphertext is malformed")]
    Malformed,
    #[error("the ciphertext was made with key {0}, which is not configured")]
    UnknownKey(String),
    #[error("the ciphertext does not decrypt: wrong key, wrong column or tampered")]
    Forged,
    #[error("the system random number generator failed")]
    Random,
}

/// Encrypts and decrypts one field's values; `context` binds a ciphertext to its column so it
/// cannot be moved to another.
pub trait FieldCipher: Send + Sync {
    fn encrypt(&self, context: &str, plaintext: &str) -> Result<String, CryptoError>;
    fn decrypt(&self, context: &str, ciphertext: &str) -> Result<String, CryptoError>;
}

/// 32 bytes from 64 hex digits.
pub fn parse_key(hex_key: &str) -> Result<[u8; 32], CryptoError> {
    let bytes = hex::decode(hex_key.trim()).map_err(|_| CryptoError::BadKey)?;
    bytes.try_into().map_err(|_| CryptoError::BadKey)
}

/// Fresh random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|_| CryptoError::Random)?;
    Ok(bytes)
}

/// AES-256-GCM with a ring of keys: the first encrypts, all decrypt.
pub struct AesGcmKeyring {
    current: String,
    keys: HashMap<String, Aes256Gcm>,
}

impl std::fmt::Debug for AesGcmKeyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AesGcmKeyring")
            .field("current", &self.current)
            .field("keys", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A key's public id: the start of its SHA-256, so the id reveals nothing about the key.
pub fn key_id(key: &[u8; 32]) -> String {
    hex::encode(&Sha256::digest(key)[..4])
}

impl AesGcmKeyring {
    /// `current` encrypts; `retired` keys only decrypt what they once encrypted.
    pub fn new(current: [u8; 32], retired: &[[u8; 32]]) -> AesGcmKeyring {
        let mut keys = HashMap::new();
        for key in std::iter::once(&current).chain(retired) {
            // A 32-byte slice is always a valid AES-256 key.
            if let Ok(cipher) = Aes256Gcm::new_from_slice(key) {
                keys.insert(key_id(key), cipher);
            }
        }
        AesGcmKeyring {
            current: key_id(&current),
            keys,
        }
    }

    pub fn current_key_id(&self) -> &str {
        &self.current
    }
}

impl FieldCipher for AesGcmKeyring {
    fn encrypt(&self, context: &str, plaintext: &str) -> Result<String, CryptoError> {
        let cipher = self.keys.get(&self.current).ok_or(CryptoError::BadKey)?;
        let nonce_bytes = random_bytes::<12>()?;
        let nonce =
            aes_gcm::Nonce::try_from(&nonce_bytes[..]).map_err(|_| CryptoError::Malformed)?;
        let aad = format!("{}|{context}", self.current);
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Forged)?;
        let mut out = Vec::with_capacity(12 + sealed.len());
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&sealed);
        Ok(format!("{}.{}", self.current, B64.encode(out)))
    }

    fn decrypt(&self, context: &str, ciphertext: &str) -> Result<String, CryptoError> {
        let (kid, body) = ciphertext.split_once('.').ok_or(CryptoError::Malformed)?;
        let cipher = self
            .keys
            .get(kid)
            .ok_or_else(|| CryptoError::UnknownKey(kid.to_owned()))?;
        let bytes = B64.decode(body).map_err(|_| CryptoError::Malformed)?;
        if bytes.len() < 12 + 16 {
            return Err(CryptoError::Malformed);
        }
        let nonce = aes_gcm::Nonce::try_from(&bytes[..12]).map_err(|_| CryptoError::Malformed)?;
        let aad = format!("{kid}|{context}");
        let plain = cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: &bytes[12..],
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Forged)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Forged)
    }
}

/// Keyed hashes (HMAC-SHA-256) of identifiers, so uniqueness and look-up work without
/// decrypting and without letting anyone who reads the database test guesses offline.
#[derive(Clone)]
pub struct BlindIndex {
    key: [u8; 32],
}

impl std::fmt::Debug for BlindIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlindIndex(<key>)")
    }
}

impl BlindIndex {
    /// Derived from the platform secret, so it survives rotation of the data key.
    pub fn derive(secret: &[u8; 32]) -> BlindIndex {
        BlindIndex {
            key: hmac_sha256(secret, b"tongban blind index v1"),
        }
    }

    /// The index of `value` in the namespace `purpose` (e.g. `resident-id`, `mobile`).
    pub fn of(&self, purpose: &str, value: &str) -> String {
        let mut message = Vec::with_capacity(purpose.len() + 1 + value.len());
        message.extend_from_slice(purpose.as_bytes());
        message.push(0);
        message.extend_from_slice(value.as_bytes());
        hex::encode(hmac_sha256(&self.key, &message))
    }
}

/// HMAC-SHA-256 of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length.
    let mut mac =
        <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Time step of TOTP codes (RFC 6238), in seconds.
pub const TOTP_STEP: i64 = 30;

/// The RFC 6238 one-time password of `secret` for time step `step` (HMAC-SHA-1, as
/// authenticator apps use), with `digits` digits.
pub fn totp_at_step(secret: &[u8], step: i64, digits: u32) -> String {
    let mut mac = <Hmac<sha1::Sha1> as hmac::KeyInit>::new_from_slice(secret)
        .expect("HMAC takes any key length");
    mac.update(&step.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    // RFC 4226 dynamic truncation.
    let offset = usize::from(hash[hash.len() - 1] & 0x0f);
    let value = u32::from_be_bytes([
        hash[offset] & 0x7f,
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]);
    let modulus = 10u32.pow(digits);
    format!("{:0width$}", value % modulus, width = digits as usize)
}

/// The time step of a Unix time.
pub fn totp_step(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(TOTP_STEP)
}

/// The step whose 6-digit code `code` is, within one step of `unix_seconds` (clock drift of
/// the phone), compared in constant time.
pub fn totp_match(secret: &[u8], unix_seconds: i64, code: &str) -> Option<i64> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = totp_step(unix_seconds);
    [now - 1, now, now + 1]
        .into_iter()
        .find(|&step| constant_time_eq(totp_at_step(secret, step, 6).as_bytes(), code.as_bytes()))
}

/// Base32 (RFC 4648, no padding) as authenticator apps expect secrets.
pub fn base32(bytes: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(bytes)
}

/// SHA-256 in hex, for session tokens stored hashed.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Compares secrets in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyring() -> AesGcmKeyring {
        AesGcmKeyring::new([7u8; 32], &[])
    }

    #[test]
    fn round_trips_and_never_repeats_a_ciphertext() {
        let ring = keyring();
        let a = ring
            .encrypt("accounts.id_doc", "11010519491231002X")
            .unwrap();
        let b = ring
            .encrypt("accounts.id_doc", "11010519491231002X")
            .unwrap();
        assert_ne!(a, b, "fresh nonce per encryption");
        assert!(!a.contains("11010519491231002X"));
        assert!(a.starts_with(&format!("{}.", ring.current_key_id())));
        assert_eq!(
            ring.decrypt("accounts.id_doc", &a).unwrap(),
            "11010519491231002X"
        );
    }

    #[test]
    fn ciphertexts_are_bound_to_their_column_and_key() {
        let ring = keyring();
        let sealed = ring.encrypt("accounts.id_doc", "secret").unwrap();
        assert_eq!(
            ring.decrypt("accounts.phone", &sealed),
            Err(CryptoError::Forged)
        );
        let other = AesGcmKeyring::new([8u8; 32], &[]);
        assert!(matches!(
            other.decrypt("accounts.id_doc", &sealed),
            Err(CryptoError::UnknownKey(_))
        ));
        let mut tampered = sealed.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        assert!(ring.decrypt("accounts.id_doc", &tampered).is_err());
        assert_eq!(
            ring.decrypt("accounts.id_doc", "nonsense"),
            Err(CryptoError::Malformed)
        );
    }

    #[test]
    fn rotated_keys_still_decrypt_old_data() {
        let old = AesGcmKeyring::new([1u8; 32], &[]);
        let sealed = old.encrypt("c", "value").unwrap();
        let rotated = AesGcmKeyring::new([2u8; 32], &[[1u8; 32]]);
        assert_eq!(rotated.decrypt("c", &sealed).unwrap(), "value");
        assert!(
            rotated
                .encrypt("c", "value")
                .unwrap()
                .starts_with(rotated.current_key_id())
        );
        assert_ne!(rotated.current_key_id(), old.current_key_id());
    }

    #[test]
    fn blind_indexes_depend_on_key_purpose_and_value() {
        let index = BlindIndex::derive(&[3u8; 32]);
        let a = index.of("resident-id", "11010519491231002X");
        assert_eq!(a, index.of("resident-id", "11010519491231002X"));
        assert_ne!(a, index.of("mobile", "11010519491231002X"));
        assert_ne!(
            a,
            BlindIndex::derive(&[4u8; 32]).of("resident-id", "11010519491231002X")
        );
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn totp_matches_the_rfc_6238_vectors() {
        // RFC 6238 appendix B, SHA-1, 8 digits.
        let secret = b"12345678901234567890";
        for (time, code) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(totp_at_step(secret, totp_step(time), 8), code, "T={time}");
        }
    }

    #[test]
    fn totp_codes_are_accepted_one_step_either_side_only() {
        let secret = b"12345678901234567890";
        let now = 1_234_567_890;
        let code = totp_at_step(secret, totp_step(now), 6);
        assert_eq!(totp_match(secret, now, &code), Some(totp_step(now)));
        assert_eq!(totp_match(secret, now + 30, &code), Some(totp_step(now)));
        assert_eq!(totp_match(secret, now + 90, &code), None);
        assert_eq!(totp_match(secret, now, "12345"), None);
        assert_eq!(totp_match(b"another secret", now, &code), None);
        assert_eq!(
            base32(b"12345678901234567890"),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
    }

    #[test]
    fn keys_are_64_hex_digits() {
        assert!(parse_key(&"ab".repeat(32)).is_ok());
        assert_eq!(parse_key("abcd"), Err(CryptoError::BadKey));
        assert_eq!(parse_key(&"zz".repeat(32)), Err(CryptoError::BadKey));
    }
}
