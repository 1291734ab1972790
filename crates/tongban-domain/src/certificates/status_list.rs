//! The IETF Token Status List (draft-ietf-oauth-status-list): how an issuer publishes which of
//! its certificates are revoked or suspended without learning who checks which one.
//!
//! A [`StatusList`] is a bit array with `bits` (1, 2, 4 or 8) bits per certificate; the status
//! of index `i` sits in byte `i * bits / 8`, least significant bits first. On the wire it is
//! DEFLATE-compressed in the ZLIB format (RFC 1950) and base64url-encoded as `lst`. A Status
//! List Token is a JWT (`typ: statuslist+jwt`) whose `sub` is the list's URI and whose
//! `status_list` claim is `{bits, lst}`, signed with the issuer's key through [`jose`].
//!
//! Decoding caps the decompressed size ([`MAX_LIST_BYTES`]) so a small hostile `lst` cannot
//! inflate into gigabytes.

use std::io::{Read, Write};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use chrono::{DateTime, Duration, Utc};
use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::jose::{self, Algorithm, JoseError, Jwks, Signer};

/// The `typ` of a Status List Token.
pub const STATUS_LIST_TYP: &str = "statuslist+jwt";

/// The largest decompressed list accepted: 16 MiB, 16 million certificates at 8 bits each.
pub const MAX_LIST_BYTES: usize = 16 * 1024 * 1024;

/// One certificate's status (the draft's Status Types registry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// 0x00: valid.
    Valid,
    /// 0x01: revoked, permanently.
    Invalid,
    /// 0x02: temporarily invalid; may become valid again.
    Suspended,
    /// 0x03 and up: application-specific, treated as not valid.
    Other(u8),
}

impl Status {
    /// The numeric value in the list.
    pub fn value(self) -> u8 {
        match self {
            Status::Valid => 0,
            Status::Invalid => 1,
            Status::Suspended => 2,
            Status::Other(value) => value,
        }
    }

    /// The status with this numeric value.
    pub fn from_value(value: u8) -> Status {
        match value {
            0 => Status::Valid,
            1 => Status::Invalid,
            2 => Status::Suspended,
            other => Status::Other(other),
        }
    }
}

/// Everything that can be wrong with a status list or its token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusListError {
    #[error("bits must be 1, 2, 4 or 8, not {0}")]
    InvalidBits(u64),
    #[error("status {value} does not fit in {bits} bits")]
    ValueTooWide { value: u8, bits: u8 },
    #[error("index {0} is outside the list")]
    IndexOutOfRange(u64),
    #[error("the list would be larger than {MAX_LIST_BYTES} bytes")]
    TooLarge,
    #[error("lst is not valid base64url")]
    Base64,
    #[error("lst is not valid ZLIB data")]
    Zlib,
    #[error("the status list token's signature: {0}")]
    Jose(#[from] JoseError),
    #[error("the token's typ is not statuslist+jwt")]
    WrongType,
    #[error("the token's claims are malformed: {0}")]
    Malformed(&'static str),
    #[error("the token is the list at another URI")]
    SubjectMismatch,
    #[error("the token was issued by another issuer")]
    IssuerMismatch,
    #[error("the token expired at {0}")]
    Expired(DateTime<Utc>),
    #[error("the token is issued in the future ({0})")]
    IssuedInFuture(DateTime<Utc>),
}

/// The number of bits per status.
fn check_bits(bits: u64) -> Result<u8, StatusListError> {
    match bits {
        1 | 2 | 4 | 8 => Ok(bits as u8),
        other => Err(StatusListError::InvalidBits(other)),
    }
}

/// A status list: statuses of `bits` bits packed into bytes. `Debug` shows the size, not the
/// (possibly megabytes of) bits.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusList {
    bits: u8,
    bytes: Vec<u8>,
}

impl std::fmt::Debug for StatusList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusList")
            .field("bits", &self.bits)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl StatusList {
    /// An all-valid list with room for at least `size` statuses of `bits` bits.
    pub fn new(bits: u8, size: u64) -> Result<StatusList, StatusListError> {
        let bits = check_bits(u64::from(bits))?;
        let len = size
            .checked_mul(u64::from(bits))
            .map(|total| total.div_ceil(8))
            .filter(|len| *len <= MAX_LIST_BYTES as u64)
            .ok_or(StatusListError::TooLarge)?;
        Ok(StatusList {
            bits,
            bytes: vec![0; len as usize],
        })
    }

    /// A list over these packed bytes.
    pub fn from_bytes(bits: u8, bytes: Vec<u8>) -> Result<StatusList, StatusListError> {
        let bits = check_bits(u64::from(bits))?;
        if bytes.len() > MAX_LIST_BYTES {
            return Err(StatusListError::TooLarge);
        }
        Ok(StatusList { bits, bytes })
    }

    /// Bits per status.
    pub fn bits(&self) -> u8 {
        self.bits
    }

    /// The packed bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// How many statuses the list holds (the bytes' capacity).
    pub fn len(&self) -> u64 {
        self.bytes.len() as u64 * 8 / u64::from(self.bits)
    }

    /// Whether the list holds no status at all.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn locate(&self, index: u64) -> Result<(usize, u8, u8), StatusListError> {
        if index >= self.len() {
            return Err(StatusListError::IndexOutOfRange(index));
        }
        let bit = index * u64::from(self.bits);
        let mask = if self.bits == 8 {
            0xff
        } else {
            (1u8 << self.bits) - 1
        };
        Ok(((bit / 8) as usize, (bit % 8) as u8, mask))
    }

    /// The status at `index`.
    pub fn get(&self, index: u64) -> Result<Status, StatusListError> {
        let (byte, shift, mask) = self.locate(index)?;
        Ok(Status::from_value((self.bytes[byte] >> shift) & mask))
    }

    /// Sets the status at `index`.
    pub fn set(&mut self, index: u64, status: Status) -> Result<(), StatusListError> {
        let (byte, shift, mask) = self.locate(index)?;
        let value = status.value();
        if value > mask {
            return Err(StatusListError::ValueTooWide {
                value,
                bits: self.bits,
            });
        }
        self.bytes[byte] = (self.bytes[byte] & !(mask << shift)) | (value << shift);
        Ok(())
    }

    /// The `lst` value: ZLIB (best compression) and base64url without padding.
    pub fn encode_lst(&self) -> String {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
        // Writing into a Vec cannot fail.
        let compressed = encoder
            .write_all(&self.bytes)
            .and_then(|()| encoder.finish())
            .unwrap_or_default();
        B64URL.encode(compressed)
    }

    /// The list from its `bits` and `lst`.
    pub fn decode(bits: u64, lst: &str) -> Result<StatusList, StatusListError> {
        let bits = check_bits(bits)?;
        let compressed = B64URL.decode(lst).map_err(|_| StatusListError::Base64)?;
        let mut bytes = Vec::new();
        ZlibDecoder::new(compressed.as_slice())
            .take(MAX_LIST_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|_| StatusListError::Zlib)?;
        if bytes.len() > MAX_LIST_BYTES {
            return Err(StatusListError::TooLarge);
        }
        Ok(StatusList { bits, bytes })
    }

    /// The JSON form `{"bits": …, "lst": "…"}`.
    pub fn to_json(&self) -> StatusListJson {
        StatusListJson {
            bits: u64::from(self.bits),
            lst: self.encode_lst(),
        }
    }
}

/// The `status_list` claim of a Status List Token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusListJson {
    pub bits: u64,
    pub lst: String,
}

/// A certificate's pointer into a status list: the `status.status_list` claim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusReference {
    pub idx: u64,
    pub uri: String,
}

impl StatusReference {
    /// The certificate's `status` claim: `{"status_list": {"idx": …, "uri": "…"}}`.
    pub fn to_claim(&self) -> Value {
        serde_json::json!({ "status_list": { "idx": self.idx, "uri": self.uri } })
    }

    /// The reference from a `status` claim; `None` when the claim is not of this shape.
    pub fn from_claim(claim: &Value) -> Option<StatusReference> {
        let list = claim.get("status_list")?;
        Some(StatusReference {
            idx: list.get("idx")?.as_u64()?,
            uri: list.get("uri")?.as_str()?.to_owned(),
        })
    }
}

/// What goes into a Status List Token besides the list.
#[derive(Clone, Debug)]
pub struct StatusListTokenClaims<'a> {
    /// `sub`: the URI certificates name in their `status.status_list.uri`.
    pub uri: &'a str,
    /// `iss`, the issuing department; checked against the certificate's issuer when present.
    pub issuer: Option<&'a str>,
    pub issued_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// `ttl`: how many seconds verifiers may cache the token.
    pub ttl_seconds: Option<u64>,
}

/// A signed Status List Token of `list`.
pub fn issue_token(
    list: &StatusList,
    claims: &StatusListTokenClaims<'_>,
    signer: &dyn Signer,
) -> Result<String, StatusListError> {
    let mut payload = Map::new();
    if let Some(issuer) = claims.issuer {
        payload.insert("iss".into(), issuer.into());
    }
    payload.insert("sub".into(), claims.uri.into());
    payload.insert("iat".into(), claims.issued_at.timestamp().into());
    if let Some(exp) = claims.expires_at {
        payload.insert("exp".into(), exp.timestamp().into());
    }
    if let Some(ttl) = claims.ttl_seconds {
        payload.insert("ttl".into(), ttl.into());
    }
    payload.insert(
        "status_list".into(),
        serde_json::to_value(list.to_json()).unwrap_or(Value::Null),
    );
    Ok(jose::sign_compact(signer, STATUS_LIST_TYP, &payload)?)
}

/// A Status List Token that verified.
#[derive(Clone, Debug, PartialEq)]
pub struct VerifiedStatusList {
    pub uri: String,
    pub issuer: Option<String>,
    pub issued_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub ttl_seconds: Option<u64>,
    pub list: StatusList,
    pub kid: String,
}

impl VerifiedStatusList {
    /// The status a certificate's reference points at.
    pub fn status_of(&self, reference: &StatusReference) -> Result<Status, StatusListError> {
        if reference.uri != self.uri {
            return Err(StatusListError::SubjectMismatch);
        }
        self.list.get(reference.idx)
    }
}

/// A JWT NumericDate claim as a time; `Ok(None)` when absent.
pub(crate) fn numeric_date(
    payload: &Map<String, Value>,
    name: &str,
) -> Result<Option<DateTime<Utc>>, ()> {
    match payload.get(name) {
        None => Ok(None),
        Some(value) => {
            let seconds = value
                .as_i64()
                .or_else(|| value.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
                .ok_or(())?;
            DateTime::from_timestamp(seconds, 0).map(Some).ok_or(())
        }
    }
}

/// Verifies a Status List Token: signature against `jwks`, `typ`, `sub` equal to `uri` (the
/// certificate's reference), `iat` not in the future and `exp` not past (both with `leeway`),
/// and a well-formed list.
pub fn verify_token(
    token: &str,
    jwks: &Jwks,
    uri: &str,
    now: DateTime<Utc>,
    leeway: Duration,
) -> Result<VerifiedStatusList, StatusListError> {
    let jws = jose::verify_compact(token, jwks, Algorithm::ALL)?;
    if !jws.typ_is(STATUS_LIST_TYP) {
        return Err(StatusListError::WrongType);
    }
    let payload = &jws.payload;
    let sub = payload
        .get("sub")
        .and_then(Value::as_str)
        .ok_or(StatusListError::Malformed("sub"))?;
    if sub != uri {
        return Err(StatusListError::SubjectMismatch);
    }
    let issuer = match payload.get("iss") {
        None => None,
        Some(Value::String(iss)) => Some(iss.clone()),
        Some(_) => return Err(StatusListError::Malformed("iss")),
    };
    let issued_at = numeric_date(payload, "iat")
        .ok()
        .flatten()
        .ok_or(StatusListError::Malformed("iat"))?;
    let expires_at =
        numeric_date(payload, "exp").map_err(|()| StatusListError::Malformed("exp"))?;
    let ttl_seconds = match payload.get("ttl") {
        None => None,
        Some(ttl) => Some(ttl.as_u64().ok_or(StatusListError::Malformed("ttl"))?),
    };
    if issued_at > now + leeway {
        return Err(StatusListError::IssuedInFuture(issued_at));
    }
    if let Some(exp) = expires_at
        && exp + leeway <= now
    {
        return Err(StatusListError::Expired(exp));
    }
    let claim: StatusListJson = payload
        .get("status_list")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .ok_or(StatusListError::Malformed("status_list"))?;
    let list = StatusList::decode(claim.bits, &claim.lst)?;
    Ok(VerifiedStatusList {
        uri: sub.to_owned(),
        issuer,
        issued_at,
        expires_at,
        ttl_seconds,
        list,
        kid: jws.kid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificates::jose::Ed25519Key;
    use proptest::prelude::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap()
    }

    fn list_of(bits: u8, statuses: &[u8]) -> StatusList {
        let mut list = StatusList::new(bits, statuses.len() as u64).unwrap();
        for (index, status) in statuses.iter().enumerate() {
            list.set(index as u64, Status::from_value(*status)).unwrap();
        }
        list
    }

    #[test]
    fn draft_example_one_bit() {
        // The draft's 1-bit example: 16 statuses packed into 0xB9 0xA3.
        let statuses = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1];
        let list = list_of(1, &statuses);
        assert_eq!(list.as_bytes(), &[0xb9, 0xa3]);
        // The draft's `lst` for these bytes (its examples/status_list_encoding_json).
        let decoded = StatusList::decode(1, "eNrbuRgAAhcBXQ").unwrap();
        assert_eq!(decoded, list);
        for (index, status) in statuses.iter().enumerate() {
            assert_eq!(decoded.get(index as u64).unwrap().value(), *status);
        }
        // ZLIB output is not canonical (it depends on the compressor's implementation and
        // level), so ours is only required to round-trip.
        assert_eq!(StatusList::decode(1, &list.encode_lst()).unwrap(), list);
        // A value quoted for this example elsewhere is a truncated stream (its DEFLATE
        // block never ends): refused, not read as far as it goes.
        assert_eq!(
            StatusList::decode(1, "eNrbuZgEAAPCAZY").unwrap_err(),
            StatusListError::Zlib
        );
    }

    #[test]
    fn draft_example_two_bits() {
        let statuses = [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3];
        let list = list_of(2, &statuses);
        assert_eq!(list.as_bytes(), &[0xc9, 0x44, 0xf9]);
        let decoded = StatusList::decode(2, "eNo76fITAAPfAgc").unwrap();
        assert_eq!(decoded, list);
        assert_eq!(decoded.get(1).unwrap(), Status::Suspended);
        assert_eq!(decoded.get(3).unwrap(), Status::Other(3));
        assert_eq!(decoded.len(), 12);
    }

    #[test]
    fn bad_inputs_are_refused() {
        assert_eq!(
            StatusList::new(3, 8).unwrap_err(),
            StatusListError::InvalidBits(3)
        );
        assert_eq!(
            StatusList::decode(16, "eNo76fITAAPfAgc").unwrap_err(),
            StatusListError::InvalidBits(16)
        );
        assert_eq!(
            StatusList::decode(1, "eNo76fITAAPfAgc=").unwrap_err(),
            StatusListError::Base64
        );
        assert_eq!(
            StatusList::decode(1, "AAAA").unwrap_err(),
            StatusListError::Zlib
        );
        let mut list = StatusList::new(1, 8).unwrap();
        assert_eq!(
            list.set(0, Status::Suspended).unwrap_err(),
            StatusListError::ValueTooWide { value: 2, bits: 1 }
        );
        assert_eq!(
            list.get(8).unwrap_err(),
            StatusListError::IndexOutOfRange(8)
        );
        assert_eq!(
            StatusList::new(1, u64::MAX).unwrap_err(),
            StatusListError::TooLarge
        );
    }

    #[test]
    fn a_zlib_bomb_is_refused() {
        // 17 MiB of zeros compress to a few kilobytes.
        let big = StatusList {
            bits: 8,
            bytes: vec![0; MAX_LIST_BYTES + 1024 * 1024],
        };
        let lst = big.encode_lst();
        assert!(lst.len() < 64 * 1024);
        assert_eq!(
            StatusList::decode(8, &lst).unwrap_err(),
            StatusListError::TooLarge
        );
    }

    const URI: &str = "https://tongban.example/statuslists/1";

    fn token_claims(exp: Option<i64>) -> StatusListTokenClaims<'static> {
        StatusListTokenClaims {
            uri: URI,
            issuer: Some("https://tongban.example/departments/sj"),
            issued_at: at(1_700_000_000),
            expires_at: exp.map(at),
            ttl_seconds: Some(300),
        }
    }

    #[test]
    fn tokens_round_trip_and_are_checked() {
        let key = Ed25519Key::from_secret(&[5; 32]).unwrap();
        let jwks = Jwks::from_signers([&key as &dyn Signer]);
        let list = list_of(2, &[0, 1, 2, 0]);
        let token = issue_token(&list, &token_claims(Some(1_700_086_400)), &key).unwrap();
        let leeway = Duration::seconds(60);
        let verified = verify_token(&token, &jwks, URI, at(1_700_000_100), leeway).unwrap();
        assert_eq!(verified.list, list);
        assert_eq!(verified.ttl_seconds, Some(300));
        let reference = |idx| StatusReference {
            idx,
            uri: URI.into(),
        };
        assert_eq!(verified.status_of(&reference(1)).unwrap(), Status::Invalid);
        assert_eq!(
            verified.status_of(&reference(2)).unwrap(),
            Status::Suspended
        );
        assert_eq!(
            verified
                .status_of(&StatusReference {
                    idx: 1,
                    uri: "https://elsewhere".into()
                })
                .unwrap_err(),
            StatusListError::SubjectMismatch
        );
        assert_eq!(
            verify_token(
                &token,
                &jwks,
                "https://tongban.example/statuslists/2",
                at(1_700_000_100),
                leeway
            )
            .unwrap_err(),
            StatusListError::SubjectMismatch
        );
        assert_eq!(
            verify_token(&token, &jwks, URI, at(1_700_086_400 + 60), leeway).unwrap_err(),
            StatusListError::Expired(at(1_700_086_400))
        );
        assert_eq!(
            verify_token(&token, &jwks, URI, at(1_700_000_000 - 61), leeway).unwrap_err(),
            StatusListError::IssuedInFuture(at(1_700_000_000))
        );
        let other = Ed25519Key::from_secret(&[6; 32]).unwrap();
        let other_jwks = Jwks::from_signers([&other as &dyn Signer]);
        assert_eq!(
            verify_token(&token, &other_jwks, URI, at(1_700_000_100), leeway).unwrap_err(),
            StatusListError::Jose(JoseError::UnknownKey)
        );
        // A certificate (another typ) signed by the same key is not a status list.
        let mut payload = Map::new();
        payload.insert("sub".into(), URI.into());
        let wrong = jose::sign_compact(&key, "dc+sd-jwt", &payload).unwrap();
        assert_eq!(
            verify_token(&wrong, &jwks, URI, at(1_700_000_100), leeway).unwrap_err(),
            StatusListError::WrongType
        );
    }

    proptest! {
        #[test]
        fn any_list_round_trips(bits in prop::sample::select(vec![1u8, 2, 4, 8]), values in prop::collection::vec(any::<u8>(), 0..200)) {
            let mask = if bits == 8 { 0xff } else { (1u8 << bits) - 1 };
            let values: Vec<u8> = values.into_iter().map(|v| v & mask).collect();
            let list = list_of(bits, &values);
            let decoded = StatusList::decode(u64::from(bits), &list.encode_lst()).unwrap();
            for (index, value) in values.iter().enumerate() {
                prop_assert_eq!(decoded.get(index as u64).unwrap().value(), *value);
            }
        }

        #[test]
        fn setting_one_index_leaves_the_others(bits in prop::sample::select(vec![1u8, 2, 4, 8]), size in 1u64..100, index in any::<prop::sample::Index>()) {
            let mut list = StatusList::new(bits, size).unwrap();
            let index = index.index(size as usize) as u64;
            list.set(index, Status::Invalid).unwrap();
            for other in 0..list.len() {
                let expected = if other == index { Status::Invalid } else { Status::Valid };
                prop_assert_eq!(list.get(other).unwrap(), expected);
            }
        }

        #[test]
        fn arbitrary_lst_never_panics(bits in 0u64..10, lst in "[A-Za-z0-9_-]{0,64}") {
            let _ = StatusList::decode(bits, &lst);
        }
    }
}
