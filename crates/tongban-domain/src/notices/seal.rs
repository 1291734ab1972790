//! The electronic seal (电子签章) of a legal notice: a compact JWS (`typ: notice+jwt`) signed by
//! the issuing department's certificate key, whose payload binds the notice — issuer, kind,
//! document number, tracking number, issue date — to the SHA-256 digest of the stored snapshot.
//!
//! The digest covers the snapshot's JSON text exactly as it was stored when the notice was
//! issued, not a re-serialisation of the parsed [`Notice`](super::Notice): snapshots are read
//! leniently and may gain fields later, and a seal must not break because the code that reads
//! it changed. Verifying a seal is two steps: the signature against the issuing department's
//! keys ([`verify_seal`]), then, where the snapshot is at hand, [`VerifiedSeal::binds`] on it.
//!
//! Pure code: keys, the issuer URL and the current time come from the caller.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::NoticeKind;
use crate::certificates::jose::{self, Algorithm, JoseError, Jwks, Signer};

/// The JWS `typ` of a notice seal, so a seal is never mistaken for a certificate or a status
/// list token signed by the same key (and the reverse).
pub const SEAL_TYP: &str = "notice+jwt";

/// How many characters of the digest the printed seal shows: enough to compare by eye with the
/// verification page, short enough for one line.
pub const DIGEST_PREFIX: usize = 16;

/// The base64url SHA-256 of a stored snapshot's JSON text.
pub fn snapshot_digest(content: &str) -> String {
    B64URL.encode(Sha256::digest(content.as_bytes()))
}

/// What a seal asserts about one notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealClaims {
    /// `iss`: the issuing department's URL on the platform (as for its certificates).
    pub issuer: String,
    /// `jti`: the stored document's id.
    pub document_id: String,
    pub kind: NoticeKind,
    /// 文号.
    pub number: String,
    pub tracking_number: String,
    pub issued_on: NaiveDate,
    /// `iat`: when the seal was made.
    pub issued_at: DateTime<Utc>,
    /// `notice_sha256`: [`snapshot_digest`] of the stored snapshot.
    pub digest: String,
}

impl SealClaims {
    fn to_payload(&self) -> Map<String, Value> {
        let mut payload = Map::new();
        payload.insert("iss".into(), self.issuer.clone().into());
        payload.insert("jti".into(), self.document_id.clone().into());
        payload.insert("iat".into(), self.issued_at.timestamp().into());
        payload.insert("kind".into(), self.kind.key().into());
        payload.insert("number".into(), self.number.clone().into());
        payload.insert(
            "tracking_number".into(),
            self.tracking_number.clone().into(),
        );
        payload.insert("issued_on".into(), self.issued_on.to_string().into());
        payload.insert("notice_sha256".into(), self.digest.clone().into());
        payload
    }

    fn from_payload(payload: &Map<String, Value>) -> Result<SealClaims, SealError> {
        let text = |name: &'static str| {
            payload
                .get(name)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .ok_or(SealError::MalformedClaim(name))
        };
        let kind = NoticeKind::from_key(&text("kind")?).ok_or(SealError::MalformedClaim("kind"))?;
        let issued_on = text("issued_on")?
            .parse::<NaiveDate>()
            .map_err(|_| SealError::MalformedClaim("issued_on"))?;
        let issued_at = payload
            .get("iat")
            .and_then(Value::as_i64)
            .and_then(|t| DateTime::from_timestamp(t, 0))
            .ok_or(SealError::MalformedClaim("iat"))?;
        let digest = text("notice_sha256")?;
        // A SHA-256 digest in base64url is 43 characters; anything else cannot bind a snapshot.
        if B64URL.decode(&digest).map(|d| d.len()) != Ok(32) {
            return Err(SealError::MalformedClaim("notice_sha256"));
        }
        Ok(SealClaims {
            issuer: text("iss")?,
            document_id: text("jti")?,
            kind,
            number: text("number")?,
            tracking_number: text("tracking_number")?,
            issued_on,
            issued_at,
            digest,
        })
    }
}

/// Why a seal is not a valid seal of a notice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The JWS itself: bad signature, unknown key (another department's), `alg: none`…
    #[error("the signature does not hold: {0}")]
    Signature(#[from] JoseError),
    #[error("not a notice seal (typ is not {SEAL_TYP})")]
    WrongType,
    #[error("the seal's {0} claim is missing or malformed")]
    MalformedClaim(&'static str),
    /// The signature holds but the snapshot it is checked against is not the one sealed.
    #[error("the notice is not the one the seal was made for")]
    DigestMismatch,
}

/// A seal whose signature verified, with what it asserts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSeal {
    pub alg: Algorithm,
    pub kid: String,
    pub claims: SealClaims,
}

impl VerifiedSeal {
    /// Whether the seal was made for exactly this stored snapshot text.
    pub fn binds(&self, content: &str) -> Result<(), SealError> {
        let digest = snapshot_digest(content);
        // Both are public values; constant time is not needed, but costs nothing.
        let same = digest.len() == self.claims.digest.len()
            && digest
                .bytes()
                .zip(self.claims.digest.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if same {
            Ok(())
        } else {
            Err(SealError::DigestMismatch)
        }
    }
}

/// Seals a notice: a compact JWS of `claims` signed by the department's `signer`.
pub fn seal_notice(signer: &dyn Signer, claims: &SealClaims) -> Result<String, JoseError> {
    jose::sign_compact(signer, SEAL_TYP, &claims.to_payload())
}

/// Verifies a seal's signature against `jwks` — which must be the keys of the department the
/// caller trusts for it, never every department's — and reads its claims.
pub fn verify_seal(seal: &str, jwks: &Jwks) -> Result<VerifiedSeal, SealError> {
    let verified = jose::verify_compact(seal.trim(), jwks, Algorithm::ALL)?;
    if !verified.typ_is(SEAL_TYP) {
        return Err(SealError::WrongType);
    }
    let claims = SealClaims::from_payload(&verified.payload)?;
    Ok(VerifiedSeal {
        alg: verified.alg,
        kid: verified.kid,
        claims,
    })
}

/// The `iss` a seal claims, read before anything is verified, only to find whose keys to check
/// it with.
pub fn unverified_issuer(seal: &str) -> Option<String> {
    let payload = seal.trim().split('.').nth(1)?;
    let bytes = B64URL.decode(payload).ok()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    value.get("iss")?.as_str().map(str::to_owned)
}

/// The printed mark of a seal the platform itself stored: its `kid` and digest, read without
/// verifying (the seal comes from our own records, and the mark only describes it; checking
/// is the verification page's job). `None` if the seal cannot be read.
pub fn mark_of(seal: &str, check_url: String) -> Option<SealMark> {
    let mut parts = seal.trim().split('.');
    let decode = |part: Option<&str>| -> Option<Value> {
        serde_json::from_slice(&B64URL.decode(part?).ok()?).ok()
    };
    let header = decode(parts.next())?;
    let payload = decode(parts.next())?;
    Some(SealMark {
        kid: header.get("kid")?.as_str()?.to_owned(),
        digest: payload.get("notice_sha256")?.as_str()?.to_owned(),
        check_url,
    })
}

/// What a sealed notice prints where the seal goes: the key that signed, the digest and the
/// address where anyone can check it. Not part of the stored snapshot (the seal signs the
/// snapshot, so it cannot be inside it); the case module attaches it when it loads a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealMark {
    pub kid: String,
    /// The full base64url digest; the PDF shows its first [`DIGEST_PREFIX`] characters.
    pub digest: String,
    /// The public verification page of this notice.
    pub check_url: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificates::{Ed25519Key, Es256Key};

    fn claims(content: &str) -> SealClaims {
        SealClaims {
            issuer: "https://zwfw.example.gov.cn/departments/market-regulation".into(),
            document_id: "0193a0c0-0000-7000-8000-000000000001".into(),
            kind: NoticeKind::Approval,
            number: "示市监许〔2026〕12号".into(),
            tracking_number: "SF-20261126-00012345-7".into(),
            issued_on: NaiveDate::from_ymd_opt(2026, 12, 5).unwrap(),
            issued_at: DateTime::from_timestamp(1_796_000_000, 0).unwrap(),
            digest: snapshot_digest(content),
        }
    }

    const CONTENT: &str = r#"{"kind":"approval","number":"示市监许〔2026〕12号"}"#;

    #[test]
    fn a_seal_verifies_with_its_department_key_and_binds_its_snapshot() {
        let key = Ed25519Key::from_secret(&[7; 32]).unwrap();
        let seal = seal_notice(&key, &claims(CONTENT)).unwrap();
        let jwks = Jwks::from_signers([&key as &dyn Signer]);
        let verified = verify_seal(&seal, &jwks).unwrap();
        assert_eq!(verified.claims, claims(CONTENT));
        assert_eq!(verified.kid, key.kid());
        assert_eq!(verified.binds(CONTENT), Ok(()));
        assert_eq!(
            verified.binds(&CONTENT.replace("12号", "13号")),
            Err(SealError::DigestMismatch)
        );
        let mark = mark_of(&seal, "https://x/notices/check/1/2".into()).unwrap();
        assert_eq!(mark.kid, key.kid());
        assert_eq!(mark.digest, snapshot_digest(CONTENT));
        assert_eq!(mark_of("not.a.seal", String::new()), None);
        assert_eq!(
            unverified_issuer(&seal).as_deref(),
            Some("https://zwfw.example.gov.cn/departments/market-regulation")
        );
    }

    #[test]
    fn another_departments_key_or_a_changed_byte_is_refused() {
        let ours = Es256Key::from_secret(&[3; 32]).unwrap();
        let theirs = Ed25519Key::from_secret(&[9; 32]).unwrap();
        let seal = seal_notice(&theirs, &claims(CONTENT)).unwrap();
        let jwks = Jwks::from_signers([&ours as &dyn Signer]);
        assert_eq!(
            verify_seal(&seal, &jwks),
            Err(SealError::Signature(JoseError::UnknownKey))
        );
        // Every single changed byte of the payload is refused.
        let jwks = Jwks::from_signers([&theirs as &dyn Signer]);
        let (start, end) = {
            let first = seal.find('.').unwrap() + 1;
            (first, first + seal[first..].find('.').unwrap())
        };
        for at in start..end {
            let mut bytes = seal.clone().into_bytes();
            bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
            let forged = String::from_utf8(bytes).unwrap();
            assert!(verify_seal(&forged, &jwks).is_err(), "byte {at}");
        }
    }

    #[test]
    fn a_certificate_style_jws_is_not_a_seal() {
        let key = Ed25519Key::from_secret(&[7; 32]).unwrap();
        let jwks = Jwks::from_signers([&key as &dyn Signer]);
        let other = jose::sign_compact(&key, "dc+sd-jwt", &claims(CONTENT).to_payload()).unwrap();
        assert_eq!(verify_seal(&other, &jwks), Err(SealError::WrongType));
        let mut payload = claims(CONTENT).to_payload();
        payload.insert("notice_sha256".into(), "short".into());
        let bad = jose::sign_compact(&key, SEAL_TYP, &payload).unwrap();
        assert_eq!(
            verify_seal(&bad, &jwks),
            Err(SealError::MalformedClaim("notice_sha256"))
        );
    }
}
