//! The evidence log of once-only sharing: one record per access to another department's data
//! (who asked, for which case and purpose, which fields, on which consent), chained by SHA-256
//! and sealed by the requesting department, after X-Road's message log.
//!
//! An entry's hash covers the previous entry's hash and every fact of the record, so altering,
//! reordering or removing an entry breaks the chain; its seal is a compact JWS by the
//! requesting department over `{seq, hash}`, so a forged entry (one nobody's key signed) or a
//! rewritten chain (rehashed by someone without the departments' keys) is detected too. The
//! storage layer appends; [`check_entry`] is the whole rule for a verifier.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::jose::{Algorithm, JoseError, Jwks, Signer, sign_compact, verify_compact};

/// The `typ` of an entry's seal.
pub const SEAL_TYPE: &str = "exchange-evidence+jwt";

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What one access was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceRecord {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub region_id: Uuid,
    /// Whose data: the certificate's holder.
    pub holder_account_id: Uuid,
    /// The department that received the data.
    pub requester_department_id: Uuid,
    /// The department that issued (holds) it.
    pub issuer_department_id: Uuid,
    pub case_id: Option<Uuid>,
    pub certificate_id: Uuid,
    pub type_key: String,
    /// Why, in words the holder reads (the service applied for).
    pub purpose: String,
    /// The certificate's field keys the requester received.
    pub fields: Vec<String>,
    /// The consent it rests on (the shared certificate's id).
    pub consent_id: Option<Uuid>,
    /// `application` or `api`.
    pub channel: String,
    /// The machine client that asked, for the exchange API.
    pub client_id: Option<String>,
}

/// The entry's hash: SHA-256 over the previous hash, the sequence number and every fact, each
/// length-prefixed so that no two different records hash alike.
pub fn entry_hash(prev: &str, seq: i64, record: &EvidenceRecord) -> String {
    let opt = |u: Option<Uuid>| u.map(|u| u.to_string()).unwrap_or_default();
    let mut hasher = Sha256::new();
    for part in [
        prev.to_owned(),
        seq.to_string(),
        record.id.to_string(),
        record.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        record.region_id.to_string(),
        record.holder_account_id.to_string(),
        record.requester_department_id.to_string(),
        record.issuer_department_id.to_string(),
        opt(record.case_id),
        record.certificate_id.to_string(),
        record.type_key.clone(),
        record.purpose.clone(),
        Value::from(record.fields.clone()).to_string(),
        opt(record.consent_id),
        record.channel.clone(),
        record.client_id.clone().unwrap_or_default(),
    ] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hex_lower(&hasher.finalize())
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The requesting department's seal over an entry.
pub fn seal(signer: &dyn Signer, seq: i64, hash: &str) -> Result<String, JoseError> {
    let mut payload = Map::new();
    payload.insert("seq".into(), Value::from(seq));
    payload.insert("hash".into(), Value::from(hash));
    sign_compact(signer, SEAL_TYPE, &payload)
}

/// One stored entry, as a verifier reads it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedEntry {
    pub seq: i64,
    pub record: EvidenceRecord,
    pub prev_hash: String,
    pub hash: String,
    pub seal: String,
}

/// Why an entry fails verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryProblem {
    #[error("it does not follow the entry before it (entries removed, inserted or reordered)")]
    Unlinked,
    #[error("its contents were changed after it was written (the hash does not match)")]
    Altered,
    #[error("its seal is not the requesting department's signature of it: {0}")]
    BadSeal(String),
}

/// Checks one entry against the hash of the entry before it (`prev`, [`GENESIS`] first) and
/// the requesting department's published keys.
pub fn check_entry(
    entry: &LoggedEntry,
    expected_seq: i64,
    prev: &str,
    requester_keys: &Jwks,
) -> Result<(), EntryProblem> {
    if entry.seq != expected_seq || entry.prev_hash != prev {
        return Err(EntryProblem::Unlinked);
    }
    let hash = entry_hash(prev, entry.seq, &entry.record);
    if hash != entry.hash {
        return Err(EntryProblem::Altered);
    }
    let verified = verify_compact(
        &entry.seal,
        requester_keys,
        &[Algorithm::EdDsa, Algorithm::Es256],
    )
    .map_err(|e| EntryProblem::BadSeal(e.to_string()))?;
    let typ = verified.header.get("typ").and_then(Value::as_str);
    let seq = verified.payload.get("seq").and_then(Value::as_i64);
    let sealed_hash = verified.payload.get("hash").and_then(Value::as_str);
    if typ != Some(SEAL_TYPE) || seq != Some(entry.seq) || sealed_hash != Some(&hash) {
        return Err(EntryProblem::BadSeal("it seals another entry".to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificates::jose::{Ed25519Key, Signer};

    fn key(seed: u8) -> Ed25519Key {
        Ed25519Key::from_secret(&[seed; 32]).unwrap()
    }

    fn record(n: u128) -> EvidenceRecord {
        EvidenceRecord {
            id: Uuid::from_u128(n),
            at: DateTime::parse_from_rfc3339("2026-12-06T08:00:00.123456Z")
                .unwrap()
                .with_timezone(&Utc),
            region_id: Uuid::from_u128(1),
            holder_account_id: Uuid::from_u128(2),
            requester_department_id: Uuid::from_u128(3),
            issuer_department_id: Uuid::from_u128(4),
            case_id: Some(Uuid::from_u128(5)),
            certificate_id: Uuid::from_u128(6),
            type_key: "business-licence".into(),
            purpose: "食品经营许可（SJ0002）".into(),
            fields: vec!["name".into(), "credit_code".into()],
            consent_id: Some(Uuid::from_u128(7)),
            channel: "application".into(),
            client_id: None,
        }
    }

    fn chain(signer: &dyn Signer, count: u128) -> Vec<LoggedEntry> {
        let mut prev = GENESIS.to_owned();
        (1..=count)
            .map(|n| {
                let seq = n as i64;
                let record = record(100 + n);
                let hash = entry_hash(&prev, seq, &record);
                let entry = LoggedEntry {
                    seq,
                    record,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                    seal: seal(signer, seq, &hash).unwrap(),
                };
                prev = hash;
                entry
            })
            .collect()
    }

    fn verify_all(entries: &[LoggedEntry], keys: &Jwks) -> Result<(), (i64, EntryProblem)> {
        let mut prev = GENESIS.to_owned();
        for (i, entry) in entries.iter().enumerate() {
            check_entry(entry, i as i64 + 1, &prev, keys).map_err(|p| (entry.seq, p))?;
            prev = entry.hash.clone();
        }
        Ok(())
    }

    #[test]
    fn an_intact_chain_verifies_and_every_kind_of_tampering_is_named() {
        let department = key(1);
        let keys = Jwks {
            keys: vec![department.public_jwk()],
        };
        let entries = chain(&department, 4);
        assert_eq!(verify_all(&entries, &keys), Ok(()));

        let mut altered = entries.clone();
        altered[1].record.fields.push("address".into());
        assert_eq!(verify_all(&altered, &keys), Err((2, EntryProblem::Altered)));

        let mut removed = entries.clone();
        removed.remove(2);
        assert_eq!(
            verify_all(&removed, &keys),
            Err((4, EntryProblem::Unlinked))
        );

        // Rehashing the whole chain after a change needs the department's key for the seals.
        let mut rewritten = entries.clone();
        rewritten[1].record.purpose = "另一目的".into();
        let mut prev = rewritten[0].hash.clone();
        for entry in rewritten.iter_mut().skip(1) {
            entry.prev_hash = prev.clone();
            entry.hash = entry_hash(&prev, entry.seq, &entry.record);
            prev = entry.hash.clone();
        }
        assert!(matches!(
            verify_all(&rewritten, &keys),
            Err((2, EntryProblem::BadSeal(_)))
        ));

        // A seal by another key, or one moved from another entry, is no seal.
        let intruder = key(2);
        let mut forged = entries.clone();
        forged[0].seal = seal(&intruder, 1, &forged[0].hash).unwrap();
        assert!(matches!(
            verify_all(&forged, &keys),
            Err((1, EntryProblem::BadSeal(_)))
        ));
        let mut moved = entries.clone();
        moved[0].seal = entries[1].seal.clone();
        assert!(matches!(
            verify_all(&moved, &keys),
            Err((1, EntryProblem::BadSeal(_)))
        ));
    }
}
