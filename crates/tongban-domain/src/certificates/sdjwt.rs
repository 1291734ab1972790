//! Certificates as SD-JWT VCs (SD-JWT is RFC 9901; the VC profile is
//! draft-ietf-oauth-sd-jwt-vc): issue, present a chosen subset of fields, verify.
//!
//! A certificate is `<issuer-signed JWT>~<disclosure>~…~`: the JWT (`typ: dc+sd-jwt`) holds
//! the plain claims and, in `_sd`, the sorted SHA-256 digests of the selectively disclosable
//! top-level claims (plus optional decoy digests that hide how many there are). Each
//! disclosure is `base64url(JSON [salt, name, value])` with a 128-bit salt. The holder
//! presents a certificate by dropping the disclosures of fields they do not want to show; the
//! signature still verifies because it covers only the digests. No key-binding JWT: the
//! wallet lives on the platform.
//!
//! Only top-level claims are selectively disclosable, which is all the certificate types need;
//! verification refuses nested `_sd` and array-element disclosures rather than pass them
//! through unverified.
//!
//! [`verify`] answers [`Verification`]: valid, expired, not yet valid, or forged with a
//! [`ForgeryReason`]. Revocation needs the issuer's status list: [`verify_with_status`]
//! combines both into a [`Verdict`].

use std::collections::{BTreeSet, HashSet};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::jose::{self, Algorithm, JoseError, Jwks, RandomSource, Signer};
use super::status_list::{self, Status, StatusListError, StatusReference, numeric_date};

/// The `typ` header of an SD-JWT VC.
pub const SD_JWT_VC_TYP: &str = "dc+sd-jwt";

/// The one digest algorithm we issue and accept.
pub const SD_ALG: &str = "sha-256";

/// How far in the future `iat` and `nbf` may be, and how long past `exp` still counts, when a
/// caller has no reason to choose otherwise: clocks on phones and servers drift.
pub const DEFAULT_LEEWAY: Duration = Duration::seconds(60);

/// Claims that are always plain (never selectively disclosable) in our certificates. The
/// SD-JWT VC draft forbids disclosing `iss`, `nbf`, `exp`, `cnf`, `vct` and `status`
/// selectively; `iat` and `sub` are kept plain too because the platform's own views need them.
pub const REGISTERED_CLAIMS: &[&str] = &[
    "iss", "iat", "nbf", "exp", "vct", "sub", "status", "cnf", "_sd", "_sd_alg", "...",
];

/// Claims a disclosure may never name (the draft's MUST NOT list and SD-JWT's own keys).
const NEVER_DISCLOSED: &[&str] = &[
    "iss", "nbf", "exp", "cnf", "vct", "status", "_sd", "_sd_alg", "...",
];

/// What the issuer puts into a certificate. `Debug` shows field names, never their values
/// (they are personal data).
#[derive(Clone)]
pub struct IssueRequest {
    /// `iss`: the issuing department's URL on the platform.
    pub issuer: String,
    /// `vct`: the certificate type's identifier.
    pub vct: String,
    /// `sub`: the holder's identifier, if the type carries one in the clear.
    pub subject: Option<String>,
    /// `iat`.
    pub issued_at: DateTime<Utc>,
    /// `nbf`: when the certificate starts to be valid.
    pub valid_from: DateTime<Utc>,
    /// `exp`, or `None` for a certificate valid until revoked.
    pub expires_at: Option<DateTime<Utc>>,
    /// `status`: where the certificate's revocation status is published.
    pub status: Option<StatusReference>,
    /// `cnf`: a holder key (RFC 7800), when a deployment binds certificates to wallet keys.
    pub cnf: Option<Value>,
    /// Fields always visible.
    pub plain: Map<String, Value>,
    /// Fields the holder chooses to show or not, each its own disclosure.
    pub disclosable: Map<String, Value>,
    /// How many decoy digests to add.
    pub decoys: usize,
}

/// Why a certificate could not be issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssueError {
    #[error("claim {0} is reserved and set by the issuing code")]
    ReservedClaim(String),
    #[error("claim {0} is both plain and selectively disclosable")]
    DuplicateClaim(String),
    #[error("claim {0} holds an _sd, _sd_alg or ... key, which SD-JWT reserves")]
    NestedReservedKey(String),
    #[error("signing failed: {0}")]
    Signing(#[from] JoseError),
}

/// One disclosure: the salt, the claim name and its value, and its encoded form. `Debug`
/// shows only the name.
#[derive(Clone, PartialEq)]
pub struct Disclosure {
    pub encoded: String,
    pub salt: String,
    pub name: String,
    pub value: Value,
}

impl Disclosure {
    /// A new disclosure with a 128-bit salt from `random`.
    fn new(name: &str, value: &Value, random: RandomSource<'_>) -> Disclosure {
        let mut salt = [0u8; 16];
        random(&mut salt);
        let salt = B64URL.encode(salt);
        let array = Value::Array(vec![salt.clone().into(), name.into(), value.clone()]);
        Disclosure {
            encoded: B64URL.encode(array.to_string()),
            salt,
            name: name.to_owned(),
            value: value.clone(),
        }
    }

    /// The disclosure from its encoded form; `None` unless it is a three-element array
    /// `[string salt, string name, value]`.
    pub fn parse(encoded: &str) -> Option<Disclosure> {
        let bytes = B64URL.decode(encoded).ok()?;
        let Value::Array(mut items) = serde_json::from_slice(&bytes).ok()? else {
            return None;
        };
        if items.len() != 3 {
            return None;
        }
        let value = items.pop()?;
        let name = items.pop()?.as_str()?.to_owned();
        let salt = items.pop()?.as_str()?.to_owned();
        Some(Disclosure {
            encoded: encoded.to_owned(),
            salt,
            name,
            value,
        })
    }

    /// The digest that stands for this disclosure in `_sd`.
    pub fn digest(&self) -> String {
        digest(&self.encoded)
    }
}

/// base64url(SHA-256(ASCII of the encoded disclosure)) (RFC 9901 §4.2.3).
pub fn digest(encoded_disclosure: &str) -> String {
    B64URL.encode(Sha256::digest(encoded_disclosure.as_bytes()))
}

/// Issues a certificate: the compact SD-JWT `<jws>~<disclosure>~…~` with every disclosure.
pub fn issue(
    request: &IssueRequest,
    signer: &dyn Signer,
    random: RandomSource<'_>,
) -> Result<String, IssueError> {
    for name in request.plain.keys().chain(request.disclosable.keys()) {
        if REGISTERED_CLAIMS.contains(&name.as_str()) {
            return Err(IssueError::ReservedClaim(name.clone()));
        }
    }
    if let Some(name) = request
        .disclosable
        .keys()
        .find(|name| request.plain.contains_key(*name))
    {
        return Err(IssueError::DuplicateClaim(name.clone()));
    }
    // A value holding SD-JWT's own keys would make verifiers refuse the certificate.
    if let Some((name, _)) = request
        .plain
        .iter()
        .chain(&request.disclosable)
        .find(|(_, value)| has_nested_disclosure(value))
    {
        return Err(IssueError::NestedReservedKey(name.clone()));
    }
    let disclosures: Vec<Disclosure> = request
        .disclosable
        .iter()
        .map(|(name, value)| Disclosure::new(name, value, random))
        .collect();
    let mut digests: BTreeSet<String> = disclosures.iter().map(Disclosure::digest).collect();
    for _ in 0..request.decoys {
        let mut salt = [0u8; 16];
        random(&mut salt);
        digests.insert(B64URL.encode(Sha256::digest(salt)));
    }

    let mut payload = Map::new();
    payload.insert("iss".into(), request.issuer.clone().into());
    payload.insert("iat".into(), request.issued_at.timestamp().into());
    payload.insert("nbf".into(), request.valid_from.timestamp().into());
    if let Some(exp) = request.expires_at {
        payload.insert("exp".into(), exp.timestamp().into());
    }
    payload.insert("vct".into(), request.vct.clone().into());
    if let Some(sub) = &request.subject {
        payload.insert("sub".into(), sub.clone().into());
    }
    if let Some(status) = &request.status {
        payload.insert("status".into(), status.to_claim());
    }
    if let Some(cnf) = &request.cnf {
        payload.insert("cnf".into(), cnf.clone());
    }
    for (name, value) in &request.plain {
        payload.insert(name.clone(), value.clone());
    }
    if !digests.is_empty() {
        payload.insert("_sd".into(), digests.into_iter().collect());
    }
    payload.insert("_sd_alg".into(), SD_ALG.into());

    let jws = jose::sign_compact(signer, SD_JWT_VC_TYP, &payload)?;
    Ok(assemble(
        &jws,
        disclosures.iter().map(|d| d.encoded.as_str()),
    ))
}

fn assemble<'a>(jws: &str, disclosures: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::from(jws);
    out.push('~');
    for disclosure in disclosures {
        out.push_str(disclosure);
        out.push('~');
    }
    out
}

/// A compact SD-JWT split into its parts (not verified). `Debug` shows only the number of
/// disclosures: the parts are personal data in base64url.
#[derive(Clone, PartialEq)]
pub struct SdJwtParts<'a> {
    pub jws: &'a str,
    pub disclosures: Vec<&'a str>,
}

impl std::fmt::Debug for SdJwtParts<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SdJwtParts")
            .field("disclosures", &self.disclosures.len())
            .finish_non_exhaustive()
    }
}

/// Splits `<jws>~<d1>~…~<dN>~`. A non-empty last part would be a key-binding JWT, which we
/// neither issue nor accept.
pub fn split(compact: &str) -> Result<SdJwtParts<'_>, ForgeryReason> {
    if compact.len() > jose::MAX_TOKEN_LEN {
        return Err(ForgeryReason::Signature(JoseError::TooLong));
    }
    let mut parts: Vec<&str> = compact.split('~').collect();
    if parts.len() < 2 {
        return Err(ForgeryReason::NotSdJwt);
    }
    let last = parts.pop().unwrap_or_default();
    if !last.is_empty() {
        return Err(ForgeryReason::KeyBindingUnsupported);
    }
    let jws = parts.remove(0);
    if parts.iter().any(|d| d.is_empty()) {
        return Err(ForgeryReason::MalformedDisclosure);
    }
    Ok(SdJwtParts {
        jws,
        disclosures: parts,
    })
}

/// Why a presentation could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresentError {
    #[error("the certificate is malformed: {0}")]
    Malformed(ForgeryReason),
    #[error("the certificate has no disclosable field {0}")]
    NotDisclosable(String),
}

/// The certificate with only the disclosures of the fields named in `keep` (the holder's
/// choice). Every name must be a disclosable field of the certificate.
pub fn present(compact: &str, keep: &[&str]) -> Result<String, PresentError> {
    let parts = split(compact).map_err(PresentError::Malformed)?;
    let disclosures: Vec<Disclosure> = parts
        .disclosures
        .iter()
        .map(|d| {
            Disclosure::parse(d).ok_or(PresentError::Malformed(ForgeryReason::MalformedDisclosure))
        })
        .collect::<Result<_, _>>()?;
    if let Some(missing) = keep
        .iter()
        .find(|name| !disclosures.iter().any(|d| d.name == **name))
    {
        return Err(PresentError::NotDisclosable((*missing).to_owned()));
    }
    Ok(assemble(
        parts.jws,
        disclosures
            .iter()
            .filter(|d| keep.contains(&d.name.as_str()))
            .map(|d| d.encoded.as_str()),
    ))
}

/// Why a certificate is not genuine. Messages are for logs and the verification page's
/// detail line; they never repeat the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForgeryReason {
    #[error("not an SD-JWT (no ~ separator)")]
    NotSdJwt,
    #[error("key-binding JWTs are not supported")]
    KeyBindingUnsupported,
    #[error("signature: {0}")]
    Signature(JoseError),
    #[error("typ is not dc+sd-jwt")]
    WrongType,
    #[error("_sd_alg is not sha-256")]
    UnsupportedSdAlg,
    #[error("claim {0} is missing or malformed")]
    MalformedClaim(&'static str),
    #[error("_sd is malformed or repeats a digest")]
    MalformedDigests,
    #[error("nested or array-element selective disclosure is not supported")]
    NestedDisclosure,
    #[error("a disclosure is malformed")]
    MalformedDisclosure,
    #[error("a disclosure appears twice")]
    DuplicateDisclosure,
    #[error("a disclosure is not referenced by the signed digests (tampered or foreign)")]
    TamperedDisclosure,
    #[error("a disclosure names claim {0}, which may not be disclosed")]
    ForbiddenDisclosure(String),
    #[error("disclosed claim {0} is already present")]
    ClaimCollision(String),
}

/// A certificate whose signature and disclosures verified. `Debug` shows the issuer, type,
/// key, times and status reference, and only the names of the claims (their values and `sub`
/// are personal data).
#[derive(Clone, PartialEq)]
pub struct VerifiedCertificate {
    pub issuer: String,
    pub vct: String,
    pub subject: Option<String>,
    pub issued_at: Option<DateTime<Utc>>,
    pub valid_from: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub status: Option<StatusReference>,
    pub alg: Algorithm,
    pub kid: String,
    /// Every verified claim, plain and disclosed (without `_sd` and `_sd_alg`).
    pub claims: Map<String, Value>,
    /// The names of the claims that came from disclosures, sorted.
    pub disclosed: Vec<String>,
}

impl VerifiedCertificate {
    /// The certificate's fields: the verified claims other than the registered ones.
    pub fn fields(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.claims
            .iter()
            .filter(|(name, _)| !REGISTERED_CLAIMS.contains(&name.as_str()))
    }
}

impl std::fmt::Debug for IssueRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssueRequest")
            .field("issuer", &self.issuer)
            .field("vct", &self.vct)
            .field("issued_at", &self.issued_at)
            .field("valid_from", &self.valid_from)
            .field("expires_at", &self.expires_at)
            .field("status", &self.status)
            .field("plain", &self.plain.keys().collect::<Vec<_>>())
            .field("disclosable", &self.disclosable.keys().collect::<Vec<_>>())
            .field("decoys", &self.decoys)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Disclosure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Disclosure")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for VerifiedCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedCertificate")
            .field("issuer", &self.issuer)
            .field("vct", &self.vct)
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("issued_at", &self.issued_at)
            .field("valid_from", &self.valid_from)
            .field("expires_at", &self.expires_at)
            .field("status", &self.status)
            .field("claims", &self.claims.keys().collect::<Vec<_>>())
            .field("disclosed", &self.disclosed)
            .finish_non_exhaustive()
    }
}

/// The outcome of checking a certificate's signature, disclosures and validity period.
#[derive(Clone, Debug, PartialEq)]
pub enum Verification {
    Valid(VerifiedCertificate),
    /// Genuine, but `exp` has passed.
    Expired(VerifiedCertificate),
    /// Genuine, but `nbf` or `iat` is still in the future.
    NotYetValid(VerifiedCertificate),
    Forged(ForgeryReason),
}

/// Verifies a certificate (or a presentation of one) against the issuer's keys at `now`.
pub fn verify(compact: &str, jwks: &Jwks, now: DateTime<Utc>, leeway: Duration) -> Verification {
    let certificate = match verify_genuine(compact, jwks) {
        Ok(certificate) => certificate,
        Err(reason) => return Verification::Forged(reason),
    };
    let future = |time: Option<DateTime<Utc>>| time.is_some_and(|t| t > now + leeway);
    if certificate
        .expires_at
        .is_some_and(|exp| exp + leeway <= now)
    {
        Verification::Expired(certificate)
    } else if future(certificate.valid_from) || future(certificate.issued_at) {
        Verification::NotYetValid(certificate)
    } else {
        Verification::Valid(certificate)
    }
}

/// Whether a value holds SD-JWT's own keys (`_sd`, `_sd_alg`, or `...`, which marks an array
/// element disclosure) anywhere inside: nested selective disclosure, which we do not support.
fn has_nested_disclosure(value: &Value) -> bool {
    match value {
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| k == "_sd" || k == "_sd_alg" || k == "..." || has_nested_disclosure(v)),
        Value::Array(items) => items.iter().any(has_nested_disclosure),
        _ => false,
    }
}

/// Signature, `typ`, digests and disclosures; times are not looked at.
fn verify_genuine(compact: &str, jwks: &Jwks) -> Result<VerifiedCertificate, ForgeryReason> {
    let parts = split(compact)?;
    let jws =
        jose::verify_compact(parts.jws, jwks, Algorithm::ALL).map_err(ForgeryReason::Signature)?;
    if !jws.typ_is(SD_JWT_VC_TYP) {
        return Err(ForgeryReason::WrongType);
    }
    let mut claims = jws.payload;
    match claims.remove("_sd_alg") {
        None => {}
        Some(Value::String(alg)) if alg == SD_ALG => {}
        Some(_) => return Err(ForgeryReason::UnsupportedSdAlg),
    }
    let digests: Vec<String> = match claims.remove("_sd") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::String(digest) => Ok(digest),
                _ => Err(ForgeryReason::MalformedDigests),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(ForgeryReason::MalformedDigests),
    };
    let digest_set: HashSet<&str> = digests.iter().map(String::as_str).collect();
    if digest_set.len() != digests.len() {
        return Err(ForgeryReason::MalformedDigests);
    }
    if claims.values().any(has_nested_disclosure) || claims.contains_key("...") {
        return Err(ForgeryReason::NestedDisclosure);
    }

    let mut seen = HashSet::new();
    let mut disclosed = Vec::new();
    for encoded in &parts.disclosures {
        if !seen.insert(*encoded) {
            return Err(ForgeryReason::DuplicateDisclosure);
        }
        if !digest_set.contains(digest(encoded).as_str()) {
            return Err(ForgeryReason::TamperedDisclosure);
        }
        let disclosure = Disclosure::parse(encoded).ok_or_else(|| {
            // Signed but not a claim disclosure: a two-element array (an array element) or
            // junk the issuer hashed.
            let is_array_element = B64URL
                .decode(encoded)
                .ok()
                .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
                .is_some_and(|v| v.as_array().is_some_and(|a| a.len() == 2));
            if is_array_element {
                ForgeryReason::NestedDisclosure
            } else {
                ForgeryReason::MalformedDisclosure
            }
        })?;
        if NEVER_DISCLOSED.contains(&disclosure.name.as_str()) {
            return Err(ForgeryReason::ForbiddenDisclosure(disclosure.name));
        }
        if claims.contains_key(&disclosure.name) {
            return Err(ForgeryReason::ClaimCollision(disclosure.name));
        }
        if has_nested_disclosure(&disclosure.value) {
            return Err(ForgeryReason::NestedDisclosure);
        }
        disclosed.push(disclosure.name.clone());
        claims.insert(disclosure.name, disclosure.value);
    }
    disclosed.sort();

    let string = |name: &'static str| match claims.get(name) {
        Some(Value::String(value)) => Ok(value.clone()),
        _ => Err(ForgeryReason::MalformedClaim(name)),
    };
    let optional_string = |name: &'static str| match claims.get(name) {
        None => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.clone())),
        Some(_) => Err(ForgeryReason::MalformedClaim(name)),
    };
    let time = |name: &'static str| {
        numeric_date(&claims, name).map_err(|()| ForgeryReason::MalformedClaim(name))
    };
    let status = match claims.get("status") {
        None => None,
        Some(claim) => Some(
            StatusReference::from_claim(claim).ok_or(ForgeryReason::MalformedClaim("status"))?,
        ),
    };
    Ok(VerifiedCertificate {
        issuer: string("iss")?,
        vct: string("vct")?,
        subject: optional_string("sub")?,
        issued_at: time("iat")?,
        valid_from: time("nbf")?,
        expires_at: time("exp")?,
        status,
        alg: jws.alg,
        kid: jws.kid,
        claims,
        disclosed,
    })
}

/// The status list a verifier has for a certificate's issuer: a Status List Token and the
/// keys to check it with (normally the same JWKS as the certificate's).
#[derive(Clone, Copy, Debug)]
pub struct StatusEvidence<'a> {
    pub token: &'a str,
    pub jwks: &'a Jwks,
}

/// How revocation was checked for a certificate found valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RevocationCheck {
    /// The status list says VALID.
    Checked,
    /// The certificate names no status list: it cannot be revoked.
    NoStatusList,
    /// The certificate names a status list but the caller gave none.
    NotChecked,
}

/// The full answer for a certificate: what the verification page and the CLI show.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Valid {
        certificate: VerifiedCertificate,
        revocation: RevocationCheck,
    },
    /// The status list marks it INVALID (or an application-specific non-valid status).
    Revoked {
        certificate: VerifiedCertificate,
        status: Status,
    },
    Suspended(VerifiedCertificate),
    Expired(VerifiedCertificate),
    NotYetValid(VerifiedCertificate),
    Forged(ForgeryReason),
    /// Genuine and within its validity period, but the status list given cannot be trusted
    /// or does not cover it, so whether it is revoked is unknown.
    StatusUnavailable {
        certificate: VerifiedCertificate,
        reason: StatusListError,
    },
}

/// Verifies a certificate and, when it is otherwise valid and names a status list, looks its
/// status up in `status`. The token's own validity comes first (the status list draft: an
/// expired certificate is expired whatever its status).
pub fn verify_with_status(
    compact: &str,
    jwks: &Jwks,
    status: Option<StatusEvidence<'_>>,
    now: DateTime<Utc>,
    leeway: Duration,
) -> Verdict {
    let certificate = match verify(compact, jwks, now, leeway) {
        Verification::Valid(certificate) => certificate,
        Verification::Expired(certificate) => return Verdict::Expired(certificate),
        Verification::NotYetValid(certificate) => return Verdict::NotYetValid(certificate),
        Verification::Forged(reason) => return Verdict::Forged(reason),
    };
    let Some(reference) = certificate.status.clone() else {
        return Verdict::Valid {
            certificate,
            revocation: RevocationCheck::NoStatusList,
        };
    };
    let Some(evidence) = status else {
        return Verdict::Valid {
            certificate,
            revocation: RevocationCheck::NotChecked,
        };
    };
    let looked_up =
        status_list::verify_token(evidence.token, evidence.jwks, &reference.uri, now, leeway)
            .and_then(|list| {
                if list
                    .issuer
                    .as_ref()
                    .is_some_and(|iss| *iss != certificate.issuer)
                {
                    return Err(StatusListError::IssuerMismatch);
                }
                list.status_of(&reference)
            });
    match looked_up {
        Ok(Status::Valid) => Verdict::Valid {
            certificate,
            revocation: RevocationCheck::Checked,
        },
        Ok(Status::Suspended) => Verdict::Suspended(certificate),
        Ok(status) => Verdict::Revoked {
            certificate,
            status,
        },
        Err(reason) => Verdict::StatusUnavailable {
            certificate,
            reason,
        },
    }
}

#[cfg(test)]
mod tests;
