//! Compact JWS (RFC 7515) for certificates and status lists: a [`Signer`] interface, software
//! keys for Ed25519 (`EdDSA`, RFC 8037) and P-256 (`ES256`, RFC 7518), JWK / JWKS (RFC 7517)
//! with RFC 7638 thumbprints as key ids, and verification against a JWKS that refuses every
//! known way of slipping a forged token past a verifier.
//!
//! Signing goes through the [`Signer`] trait so that a hardware security module, a key service
//! or a national algorithm (SM2 with SM3) can stand in for the software keys here. Verification
//! only ever needs public keys, so it is plain code over [`PublicKey`]: adding an algorithm is
//! adding an [`Algorithm`] variant and its [`PublicKey`] case.
//!
//! What [`verify_compact`] rejects, each with its own [`JoseError`] variant: `alg: none`, MAC
//! algorithms (`HS256`… with a public key as the secret is the classic key-confusion attack),
//! algorithms the caller did not allow, an `alg` that does not fit the key's type and curve
//! (or the key's own `alg`), unknown `kid`, any `crit` header (we understand no extension),
//! malformed base64url (including padding and non-canonical trailing bits), malformed JSON,
//! and of course a signature that does not verify.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use ed25519_dalek::Signer as _;
use p256::ecdsa::signature::Verifier as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The longest compact token [`verify_compact`] looks at, so a hostile input cannot make the
/// verifier decode megabytes of base64: 8 MiB, room for a status list of tens of millions of
/// entries even when many are revoked.
pub const MAX_TOKEN_LEN: usize = 8 * 1024 * 1024;

/// A caller-supplied source of secure random bytes: fills the slice it is given.
///
/// The domain does no I/O, so it cannot read the operating system's generator itself; the
/// services layer passes `|bytes| getrandom::fill(bytes)…`. A closure rather than a
/// `rand_core` trait because three incompatible `rand_core` majors are in the lock file and the
/// closure ties callers to none of them.
pub type RandomSource<'a> = &'a mut dyn FnMut(&mut [u8]);

/// The signature algorithms certificates may use (JOSE names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Algorithm {
    /// Ed25519 (RFC 8037): 64-byte signatures, deterministic.
    #[serde(rename = "EdDSA")]
    EdDsa,
    /// ECDSA on P-256 with SHA-256 (RFC 7518 §3.4): 64-byte `r || s` signatures,
    /// deterministic nonces (RFC 6979).
    #[serde(rename = "ES256")]
    Es256,
}

impl Algorithm {
    /// Every algorithm this module can verify, for callers that accept them all.
    pub const ALL: &'static [Algorithm] = &[Algorithm::EdDsa, Algorithm::Es256];

    /// The JOSE `alg` name.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::EdDsa => "EdDSA",
            Algorithm::Es256 => "ES256",
        }
    }

    /// The algorithm with this JOSE `alg` name, if we support it.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        match name {
            "EdDSA" => Some(Algorithm::EdDsa),
            "ES256" => Some(Algorithm::Es256),
            _ => None,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything that can go wrong making or checking a JWS. The messages are for logs; they name
/// the problem, never the token's contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoseError {
    #[error("the token is longer than {MAX_TOKEN_LEN} bytes")]
    TooLong,
    #[error("a compact JWS has exactly three dot-separated parts")]
    NotCompact,
    #[error("the {0} is not valid base64url")]
    Base64(JwsPart),
    #[error("the {0} is not a JSON object")]
    Json(JwsPart),
    #[error("the header has no alg")]
    MissingAlg,
    #[error("alg none: unsigned tokens are refused")]
    AlgNone,
    #[error("alg {0}: MAC algorithms are refused (key confusion)")]
    SymmetricAlg(String),
    #[error("alg {0} is not supported")]
    UnsupportedAlg(String),
    #[error("alg {0} is not allowed here")]
    AlgNotAllowed(Algorithm),
    #[error("the header marks extensions critical (crit); none are understood")]
    CriticalHeader,
    #[error("the header has no kid")]
    MissingKid,
    #[error("no key with this kid")]
    UnknownKey,
    #[error("alg {alg} does not fit the key (a {key} key)")]
    AlgKeyMismatch { alg: Algorithm, key: String },
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the JWK is invalid: {0}")]
    InvalidJwk(&'static str),
    #[error("a published key set must not hold private keys")]
    PrivateKeyInJwks,
    #[error("the secret key bytes are invalid for {0}")]
    InvalidSecret(Algorithm),
    #[error("the random source gave no usable key")]
    RandomSource,
    #[error("the signer failed: {0}")]
    Signer(String),
}

/// Which part of a compact JWS an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwsPart {
    Header,
    Payload,
    Signature,
}

impl fmt::Display for JwsPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JwsPart::Header => "header",
            JwsPart::Payload => "payload",
            JwsPart::Signature => "signature",
        })
    }
}

/// Something that signs: a software key here, an HSM or a key service elsewhere.
///
/// `sign` returns a `Result` because real key stores fail (a locked HSM, a network error); the
/// software keys in this module never do.
pub trait Signer: Send + Sync {
    /// The algorithm, which becomes the header's `alg`.
    fn algorithm(&self) -> Algorithm;
    /// The key id, which becomes the header's `kid`: the RFC 7638 thumbprint of the public key.
    fn kid(&self) -> &str;
    /// The public key as published in the JWKS.
    fn public_jwk(&self) -> Jwk;
    /// The JWS signature of `message` in its JOSE form (`r || s` for ECDSA).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, JoseError>;
}

/// An Ed25519 signing key held in memory.
pub struct Ed25519Key {
    key: ed25519_dalek::SigningKey,
    kid: String,
}

impl Ed25519Key {
    /// A new key from 32 bytes of the caller's random source.
    pub fn generate(random: RandomSource<'_>) -> Ed25519Key {
        let mut secret = [0u8; 32];
        random(&mut secret);
        let key = Ed25519Key::from_secret_array(&secret);
        secret.fill(0);
        key
    }

    /// The key from its 32 secret bytes (RFC 8032 seed; the JWK's `d`).
    pub fn from_secret(secret: &[u8]) -> Result<Ed25519Key, JoseError> {
        let secret: &[u8; 32] = secret
            .try_into()
            .map_err(|_| JoseError::InvalidSecret(Algorithm::EdDsa))?;
        Ok(Ed25519Key::from_secret_array(secret))
    }

    fn from_secret_array(secret: &[u8; 32]) -> Ed25519Key {
        let key = ed25519_dalek::SigningKey::from_bytes(secret);
        let kid = PublicKey::Ed25519(key.verifying_key()).thumbprint();
        Ed25519Key { key, kid }
    }

    /// The 32 secret bytes, for the store to encrypt at rest.
    pub fn secret_bytes(&self) -> Vec<u8> {
        self.key.to_bytes().to_vec()
    }

    /// The public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey::Ed25519(self.key.verifying_key())
    }
}

impl fmt::Debug for Ed25519Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ed25519Key")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl Signer for Ed25519Key {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDsa
    }
    fn kid(&self) -> &str {
        &self.kid
    }
    fn public_jwk(&self) -> Jwk {
        self.public_key().to_jwk()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, JoseError> {
        Ok(self.key.sign(message).to_bytes().to_vec())
    }
}

/// A P-256 ECDSA signing key held in memory.
pub struct Es256Key {
    key: p256::ecdsa::SigningKey,
    kid: String,
}

impl Es256Key {
    /// A new key from the caller's random source: 32 bytes at a time until they form a valid
    /// scalar (all but a 2^-32 sliver of values do). A source that gives 64 unusable values in
    /// a row is broken, and that is an error rather than an endless loop.
    pub fn generate(random: RandomSource<'_>) -> Result<Es256Key, JoseError> {
        let mut secret = [0u8; 32];
        for _ in 0..64 {
            random(&mut secret);
            let key = Es256Key::from_secret(&secret);
            secret.fill(0);
            if let Ok(key) = key {
                return Ok(key);
            }
        }
        Err(JoseError::RandomSource)
    }

    /// The key from its 32-byte big-endian secret scalar (the JWK's `d`).
    pub fn from_secret(secret: &[u8]) -> Result<Es256Key, JoseError> {
        if secret.len() != 32 {
            return Err(JoseError::InvalidSecret(Algorithm::Es256));
        }
        let key = p256::ecdsa::SigningKey::from_slice(secret)
            .map_err(|_| JoseError::InvalidSecret(Algorithm::Es256))?;
        let kid = PublicKey::P256(*key.verifying_key()).thumbprint();
        Ok(Es256Key { key, kid })
    }

    /// The 32 secret bytes, for the store to encrypt at rest.
    pub fn secret_bytes(&self) -> Vec<u8> {
        self.key.to_bytes().to_vec()
    }

    /// The public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey::P256(*self.key.verifying_key())
    }
}

impl fmt::Debug for Es256Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Es256Key")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl Signer for Es256Key {
    fn algorithm(&self) -> Algorithm {
        Algorithm::Es256
    }
    fn kid(&self) -> &str {
        &self.kid
    }
    fn public_jwk(&self) -> Jwk {
        self.public_key().to_jwk()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, JoseError> {
        let signature: p256::ecdsa::Signature = self.key.sign(message);
        Ok(signature.to_bytes().to_vec())
    }
}

/// A software key of either algorithm, as the store keeps it: the algorithm and the secret.
#[derive(Debug)]
pub enum SoftwareKey {
    Ed25519(Ed25519Key),
    Es256(Es256Key),
}

impl SoftwareKey {
    /// A new key of `algorithm` from the caller's random source.
    pub fn generate(algorithm: Algorithm, random: RandomSource<'_>) -> Result<Self, JoseError> {
        Ok(match algorithm {
            Algorithm::EdDsa => SoftwareKey::Ed25519(Ed25519Key::generate(random)),
            Algorithm::Es256 => SoftwareKey::Es256(Es256Key::generate(random)?),
        })
    }

    /// The key back from [`SoftwareKey::secret_bytes`].
    pub fn from_secret(algorithm: Algorithm, secret: &[u8]) -> Result<Self, JoseError> {
        Ok(match algorithm {
            Algorithm::EdDsa => SoftwareKey::Ed25519(Ed25519Key::from_secret(secret)?),
            Algorithm::Es256 => SoftwareKey::Es256(Es256Key::from_secret(secret)?),
        })
    }

    /// The secret bytes, for the store to encrypt at rest.
    pub fn secret_bytes(&self) -> Vec<u8> {
        match self {
            SoftwareKey::Ed25519(key) => key.secret_bytes(),
            SoftwareKey::Es256(key) => key.secret_bytes(),
        }
    }

    fn inner(&self) -> &dyn Signer {
        match self {
            SoftwareKey::Ed25519(key) => key,
            SoftwareKey::Es256(key) => key,
        }
    }
}

impl Signer for SoftwareKey {
    fn algorithm(&self) -> Algorithm {
        self.inner().algorithm()
    }
    fn kid(&self) -> &str {
        self.inner().kid()
    }
    fn public_jwk(&self) -> Jwk {
        self.inner().public_jwk()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, JoseError> {
        self.inner().sign(message)
    }
}

/// A public key we can verify with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PublicKey {
    /// `kty: OKP`, `crv: Ed25519`.
    Ed25519(ed25519_dalek::VerifyingKey),
    /// `kty: EC`, `crv: P-256`.
    P256(p256::ecdsa::VerifyingKey),
}

impl PublicKey {
    /// The one algorithm this key verifies.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            PublicKey::Ed25519(_) => Algorithm::EdDsa,
            PublicKey::P256(_) => Algorithm::Es256,
        }
    }

    /// The key's type for messages: `OKP/Ed25519` or `EC/P-256`.
    pub fn describe(&self) -> &'static str {
        match self {
            PublicKey::Ed25519(_) => "OKP/Ed25519",
            PublicKey::P256(_) => "EC/P-256",
        }
    }

    /// The key from a JWK, checking that the key is well-formed (right lengths, a point on
    /// the curve, not a weak Ed25519 key).
    pub fn from_jwk(jwk: &Jwk) -> Result<PublicKey, JoseError> {
        let coordinate = |value: &Option<String>, name: &'static str| {
            let text = value.as_deref().ok_or(JoseError::InvalidJwk(name))?;
            let bytes = B64URL
                .decode(text)
                .map_err(|_| JoseError::InvalidJwk(name))?;
            <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| JoseError::InvalidJwk(name))
        };
        match (jwk.kty.as_str(), jwk.crv.as_deref()) {
            ("OKP", Some("Ed25519")) => {
                if jwk.y.is_some() {
                    return Err(JoseError::InvalidJwk("an OKP key has no y"));
                }
                let x = coordinate(&jwk.x, "x must be 32 base64url bytes")?;
                let key = ed25519_dalek::VerifyingKey::from_bytes(&x)
                    .map_err(|_| JoseError::InvalidJwk("x is not an Ed25519 point"))?;
                if key.is_weak() {
                    return Err(JoseError::InvalidJwk("x is a weak Ed25519 key"));
                }
                Ok(PublicKey::Ed25519(key))
            }
            ("EC", Some("P-256")) => {
                let x = coordinate(&jwk.x, "x must be 32 base64url bytes")?;
                let y = coordinate(&jwk.y, "y must be 32 base64url bytes")?;
                let mut sec1 = [0u8; 65];
                sec1[0] = 0x04;
                sec1[1..33].copy_from_slice(&x);
                sec1[33..].copy_from_slice(&y);
                let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1)
                    .map_err(|_| JoseError::InvalidJwk("(x, y) is not a P-256 point"))?;
                Ok(PublicKey::P256(key))
            }
            _ => Err(JoseError::InvalidJwk(
                "only OKP/Ed25519 and EC/P-256 keys are supported",
            )),
        }
    }

    /// The members that define the key (RFC 7638 §3.2), in lexicographic order.
    fn required_members(&self) -> BTreeMap<&'static str, String> {
        let mut members = BTreeMap::new();
        match self {
            PublicKey::Ed25519(key) => {
                members.insert("crv", "Ed25519".to_owned());
                members.insert("kty", "OKP".to_owned());
                members.insert("x", B64URL.encode(key.to_bytes()));
            }
            PublicKey::P256(key) => {
                let point = key.to_sec1_point(false);
                let bytes = point.as_bytes();
                members.insert("crv", "P-256".to_owned());
                members.insert("kty", "EC".to_owned());
                members.insert("x", B64URL.encode(&bytes[1..33]));
                members.insert("y", B64URL.encode(&bytes[33..65]));
            }
        }
        members
    }

    /// The RFC 7638 JWK thumbprint: base64url SHA-256 of the required members as JSON with
    /// sorted keys and no whitespace. Used as every key's `kid`.
    pub fn thumbprint(&self) -> String {
        // A BTreeMap serialises with sorted keys and serde_json writes no whitespace, which
        // is exactly RFC 7638's canonical form for these members (plain ASCII values).
        let canonical = serde_json::to_string(&self.required_members()).unwrap_or_default();
        B64URL.encode(Sha256::digest(canonical.as_bytes()))
    }

    /// The public JWK, with `kid` (the thumbprint), `alg` and `use: sig`.
    pub fn to_jwk(&self) -> Jwk {
        let mut members = self.required_members();
        Jwk {
            kty: members.remove("kty").unwrap_or_default(),
            crv: members.remove("crv"),
            x: members.remove("x"),
            y: members.remove("y"),
            kid: Some(self.thumbprint()),
            alg: Some(self.algorithm().name().to_owned()),
            key_use: Some("sig".to_owned()),
            d: None,
        }
    }

    /// Whether `signature` is this key's signature of `message` under `alg`.
    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), JoseError> {
        match self {
            PublicKey::Ed25519(key) => {
                let bytes: &[u8; 64] = signature.try_into().map_err(|_| JoseError::BadSignature)?;
                let signature = ed25519_dalek::Signature::from_bytes(bytes);
                // Strict: refuses small-order keys and non-canonical signatures, so one
                // message has one valid signature per key.
                key.verify_strict(message, &signature)
                    .map_err(|_| JoseError::BadSignature)
            }
            PublicKey::P256(key) => {
                if signature.len() != 64 {
                    return Err(JoseError::BadSignature);
                }
                let signature = p256::ecdsa::Signature::from_slice(signature)
                    .map_err(|_| JoseError::BadSignature)?;
                key.verify(message, &signature)
                    .map_err(|_| JoseError::BadSignature)
            }
        }
    }
}

/// A JSON Web Key (RFC 7517), public members only plus what we need to refuse private ones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub key_use: Option<String>,
    /// Present only to notice private keys in a published set; never written.
    #[serde(default, skip_serializing)]
    d: Option<Value>,
}

/// A JWK Set (RFC 7517 §5): the keys an issuer publishes, old ones kept for verification.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

impl Jwks {
    /// The set of these signers' public keys.
    pub fn from_signers<'a>(signers: impl IntoIterator<Item = &'a dyn Signer>) -> Jwks {
        Jwks {
            keys: signers.into_iter().map(|s| s.public_jwk()).collect(),
        }
    }

    /// A JWKS from its JSON text. Keys of types we do not support are kept (they are simply
    /// never matched); a private key anywhere in the set is refused.
    pub fn parse(json: &str) -> Result<Jwks, JoseError> {
        let jwks: Jwks =
            serde_json::from_str(json).map_err(|_| JoseError::InvalidJwk("not a JWK Set"))?;
        if jwks.keys.iter().any(|k| k.d.is_some()) {
            return Err(JoseError::PrivateKeyInJwks);
        }
        Ok(jwks)
    }

    /// The JSON text of the set.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The key with this `kid`.
    pub fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|k| k.kid.as_deref() == Some(kid))
    }
}

/// A JWS whose signature verified, with its decoded parts. `Debug` shows the payload's claim
/// names only: certificate payloads are personal data.
#[derive(Clone, PartialEq)]
pub struct VerifiedJws {
    pub alg: Algorithm,
    pub kid: String,
    pub header: Map<String, Value>,
    pub payload: Map<String, Value>,
}

impl fmt::Debug for VerifiedJws {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedJws")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("header", &self.header)
            .field("payload", &self.payload.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl VerifiedJws {
    /// The header's `typ`, if it has a string one.
    pub fn typ(&self) -> Option<&str> {
        self.header.get("typ").and_then(Value::as_str)
    }

    /// Whether `typ` is the media type `expected` (e.g. `dc+sd-jwt`). RFC 7515 §4.1.9: media
    /// types compare case-insensitively and the `application/` prefix may be left out.
    pub fn typ_is(&self, expected: &str) -> bool {
        self.typ().is_some_and(|typ| {
            let typ = match typ.get(..12) {
                Some(prefix) if prefix.eq_ignore_ascii_case("application/") => &typ[12..],
                _ => typ,
            };
            typ.eq_ignore_ascii_case(expected)
        })
    }
}

/// A compact JWS of `payload` signed by `signer`, with header `{alg, kid, typ}`.
pub fn sign_compact(
    signer: &dyn Signer,
    typ: &str,
    payload: &Map<String, Value>,
) -> Result<String, JoseError> {
    let header = serde_json::json!({
        "alg": signer.algorithm().name(),
        "kid": signer.kid(),
        "typ": typ,
    });
    let payload = serde_json::to_vec(payload).map_err(|e| JoseError::Signer(e.to_string()))?;
    let signing_input = format!(
        "{}.{}",
        B64URL.encode(header.to_string()),
        B64URL.encode(payload)
    );
    let signature = signer.sign(signing_input.as_bytes())?;
    Ok(format!("{signing_input}.{}", B64URL.encode(signature)))
}

fn decode_part(text: &str, part: JwsPart) -> Result<Vec<u8>, JoseError> {
    B64URL.decode(text).map_err(|_| JoseError::Base64(part))
}

fn decode_object(text: &str, part: JwsPart) -> Result<Map<String, Value>, JoseError> {
    let bytes = decode_part(text, part)?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(JoseError::Json(part)),
    }
}

/// Verifies a compact JWS against `jwks`, accepting only the `allowed` algorithms, and returns
/// its header and payload. Claims (`typ`, times, issuer) are the caller's to check.
pub fn verify_compact(
    token: &str,
    jwks: &Jwks,
    allowed: &[Algorithm],
) -> Result<VerifiedJws, JoseError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(JoseError::TooLong);
    }
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JoseError::NotCompact);
    };
    let header = decode_object(header_b64, JwsPart::Header)?;
    let alg = match header.get("alg") {
        None => return Err(JoseError::MissingAlg),
        Some(Value::String(alg)) => alg.as_str(),
        Some(_) => return Err(JoseError::Json(JwsPart::Header)),
    };
    if alg.eq_ignore_ascii_case("none") {
        return Err(JoseError::AlgNone);
    }
    if alg.starts_with("HS") {
        return Err(JoseError::SymmetricAlg(alg.to_owned()));
    }
    let alg = Algorithm::from_name(alg).ok_or_else(|| JoseError::UnsupportedAlg(alg.to_owned()))?;
    if !allowed.contains(&alg) {
        return Err(JoseError::AlgNotAllowed(alg));
    }
    if header.contains_key("crit") {
        return Err(JoseError::CriticalHeader);
    }
    let kid = match header.get("kid") {
        Some(Value::String(kid)) => kid.clone(),
        Some(_) => return Err(JoseError::Json(JwsPart::Header)),
        None => return Err(JoseError::MissingKid),
    };
    let jwk = jwks.find(&kid).ok_or(JoseError::UnknownKey)?;
    let key = PublicKey::from_jwk(jwk)?;
    let key_alg_fits = jwk.alg.as_deref().is_none_or(|a| a == alg.name());
    if key.algorithm() != alg || !key_alg_fits {
        return Err(JoseError::AlgKeyMismatch {
            alg,
            key: key.describe().to_owned(),
        });
    }
    let signature = decode_part(signature_b64, JwsPart::Signature)?;
    let signing_input_len = header_b64.len() + 1 + payload_b64.len();
    key.verify(&token.as_bytes()[..signing_input_len], &signature)?;
    let payload = decode_object(payload_b64, JwsPart::Payload)?;
    Ok(VerifiedJws {
        alg,
        kid,
        header,
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// RFC 8037 appendix A.1's private key.
    const RFC8037_D: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";

    fn rfc8037_key() -> Ed25519Key {
        let secret = B64URL.decode(RFC8037_D).unwrap();
        Ed25519Key::from_secret(&secret).unwrap()
    }

    fn es256_key(seed: u8) -> Es256Key {
        Es256Key::from_secret(&[seed; 32]).unwrap()
    }

    fn payload() -> Map<String, Value> {
        let Value::Object(map) = serde_json::json!({"iss": "https://example.gov.cn", "n": 1})
        else {
            unreachable!()
        };
        map
    }

    fn b64(value: &Value) -> String {
        B64URL.encode(value.to_string())
    }

    #[test]
    fn rfc8037_public_key_thumbprint_and_signature() {
        let key = rfc8037_key();
        let jwk = key.public_jwk();
        assert_eq!(
            jwk.x.as_deref(),
            Some("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
        );
        // RFC 8037 A.3: the thumbprint of that key.
        assert_eq!(key.kid(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
        // RFC 8037 A.4: the signature over header {"alg":"EdDSA"} and the example payload.
        let input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
        let signature = key.sign(input.as_bytes()).unwrap();
        assert_eq!(
            B64URL.encode(signature),
            "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
        );
    }

    #[test]
    fn rfc7638_thumbprint_of_a_p256_key() {
        // The canonical JSON is built from the members in sorted order with no whitespace;
        // check the digest against one computed here by hand.
        let key = es256_key(7);
        let jwk = key.public_jwk();
        let canonical = format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            jwk.x.as_deref().unwrap(),
            jwk.y.as_deref().unwrap()
        );
        assert_eq!(key.kid(), B64URL.encode(Sha256::digest(canonical)));
        assert_eq!(jwk.kid.as_deref(), Some(key.kid()));
    }

    #[test]
    fn both_algorithms_sign_and_verify_and_keys_round_trip() {
        let ed = SoftwareKey::from_secret(Algorithm::EdDsa, &[3; 32]).unwrap();
        let es = SoftwareKey::from_secret(Algorithm::Es256, &[4; 32]).unwrap();
        let jwks = Jwks::parse(&Jwks::from_signers([&ed as &dyn Signer, &es]).to_json()).unwrap();
        for key in [&ed, &es] {
            let token = sign_compact(key, "JWT", &payload()).unwrap();
            let verified = verify_compact(&token, &jwks, Algorithm::ALL).unwrap();
            assert_eq!(verified.alg, key.algorithm());
            assert_eq!(verified.kid, key.kid());
            assert_eq!(verified.payload, payload());
            assert_eq!(verified.typ(), Some("JWT"));
            assert!(verified.typ_is("jwt") && !verified.typ_is("dc+sd-jwt"));
            let back = SoftwareKey::from_secret(key.algorithm(), &key.secret_bytes()).unwrap();
            assert_eq!(back.kid(), key.kid());
        }
    }

    #[test]
    fn generated_keys_use_the_random_source() {
        let mut counter = 0u8;
        let mut random = |bytes: &mut [u8]| {
            counter += 1;
            bytes.fill(counter);
        };
        let a = Ed25519Key::generate(&mut random);
        let b = Ed25519Key::generate(&mut random);
        assert_ne!(a.kid(), b.kid());
        assert_eq!(a.secret_bytes(), vec![1; 32]);
        // All-0xFF is above the P-256 group order and all-zero is not a scalar: a source
        // that only gives those is refused, one that recovers is used.
        let mut calls = 0;
        let mut bad_then_good = |bytes: &mut [u8]| {
            calls += 1;
            bytes.fill(if calls < 3 { 0xff } else { 9 });
        };
        let key = Es256Key::generate(&mut bad_then_good).unwrap();
        assert_eq!(key.secret_bytes(), vec![9; 32]);
        let mut broken = |bytes: &mut [u8]| bytes.fill(0);
        assert_eq!(
            Es256Key::generate(&mut broken).unwrap_err(),
            JoseError::RandomSource
        );
    }

    #[test]
    fn invalid_secrets_are_refused() {
        assert!(Ed25519Key::from_secret(&[1; 31]).is_err());
        assert!(Es256Key::from_secret(&[0; 32]).is_err());
        assert!(Es256Key::from_secret(&[0xff; 32]).is_err());
        assert!(Es256Key::from_secret(&[1; 33]).is_err());
    }

    fn forge(header: &Value, payload: &Map<String, Value>, signature: &[u8]) -> String {
        format!(
            "{}.{}.{}",
            b64(header),
            B64URL.encode(serde_json::to_vec(payload).unwrap()),
            B64URL.encode(signature)
        )
    }

    #[test]
    fn attacks_on_the_header_are_refused() {
        let key = rfc8037_key();
        let es = es256_key(5);
        let jwks = Jwks::from_signers([&key as &dyn Signer, &es]);
        let kid = key.kid();
        let cases: Vec<(Value, JoseError)> = vec![
            (
                serde_json::json!({"alg": "none", "kid": kid}),
                JoseError::AlgNone,
            ),
            (
                serde_json::json!({"alg": "None", "kid": kid}),
                JoseError::AlgNone,
            ),
            (
                serde_json::json!({"alg": "HS256", "kid": kid}),
                JoseError::SymmetricAlg("HS256".into()),
            ),
            (
                serde_json::json!({"alg": "RS256", "kid": kid}),
                JoseError::UnsupportedAlg("RS256".into()),
            ),
            (serde_json::json!({"kid": kid}), JoseError::MissingAlg),
            (serde_json::json!({"alg": "EdDSA"}), JoseError::MissingKid),
            (
                serde_json::json!({"alg": "EdDSA", "kid": "nope"}),
                JoseError::UnknownKey,
            ),
            (
                serde_json::json!({"alg": "EdDSA", "kid": kid, "crit": ["exp"], "exp": 1}),
                JoseError::CriticalHeader,
            ),
            // ES256 named over an Ed25519 key, and the other way round.
            (
                serde_json::json!({"alg": "ES256", "kid": kid}),
                JoseError::AlgKeyMismatch {
                    alg: Algorithm::Es256,
                    key: "OKP/Ed25519".into(),
                },
            ),
            (
                serde_json::json!({"alg": "EdDSA", "kid": es.kid()}),
                JoseError::AlgKeyMismatch {
                    alg: Algorithm::EdDsa,
                    key: "EC/P-256".into(),
                },
            ),
        ];
        for (header, expected) in cases {
            // Signed with the real key over the forged header: only the header's claims
            // can make it fail.
            let input = format!(
                "{}.{}",
                b64(&header),
                B64URL.encode(serde_json::to_vec(&payload()).unwrap())
            );
            let signature = key.sign(input.as_bytes()).unwrap();
            let token = format!("{input}.{}", B64URL.encode(signature));
            assert_eq!(
                verify_compact(&token, &jwks, Algorithm::ALL).unwrap_err(),
                expected,
                "{header}"
            );
        }
        // An unsigned token with an empty signature.
        let none = forge(&serde_json::json!({"alg": "none"}), &payload(), b"");
        assert_eq!(
            verify_compact(&none, &jwks, Algorithm::ALL).unwrap_err(),
            JoseError::AlgNone
        );
        // Only the allowed algorithms.
        let token = sign_compact(&key, "JWT", &payload()).unwrap();
        assert_eq!(
            verify_compact(&token, &jwks, &[Algorithm::Es256]).unwrap_err(),
            JoseError::AlgNotAllowed(Algorithm::EdDsa)
        );
    }

    #[test]
    fn hs256_with_the_public_key_as_secret_is_refused() {
        // The classic confusion attack: an HMAC computed with the public JWK's bytes as the
        // secret. We never get as far as computing anything with the key.
        let key = rfc8037_key();
        let jwks = Jwks::from_signers([&key as &dyn Signer]);
        let header = serde_json::json!({"alg": "HS256", "kid": key.kid(), "typ": "JWT"});
        let token = forge(&header, &payload(), &[0u8; 32]);
        assert_eq!(
            verify_compact(&token, &jwks, Algorithm::ALL).unwrap_err(),
            JoseError::SymmetricAlg("HS256".into())
        );
    }

    #[test]
    fn a_key_whose_own_alg_differs_is_not_used() {
        let key = rfc8037_key();
        let mut jwk = key.public_jwk();
        jwk.alg = Some("ES256".into());
        let jwks = Jwks { keys: vec![jwk] };
        let token = sign_compact(&key, "JWT", &payload()).unwrap();
        assert!(matches!(
            verify_compact(&token, &jwks, Algorithm::ALL),
            Err(JoseError::AlgKeyMismatch { .. })
        ));
    }

    #[test]
    fn malformed_tokens_are_refused_precisely() {
        let key = rfc8037_key();
        let jwks = Jwks::from_signers([&key as &dyn Signer]);
        let token = sign_compact(&key, "JWT", &payload()).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let check = |token: String, expected: JoseError| {
            assert_eq!(
                verify_compact(&token, &jwks, Algorithm::ALL).unwrap_err(),
                expected
            );
        };
        check("a.b".into(), JoseError::NotCompact);
        check(format!("{token}.x"), JoseError::NotCompact);
        check(
            format!("{}=.{}.{}", parts[0], parts[1], parts[2]),
            JoseError::Base64(JwsPart::Header),
        );
        check(
            format!("{}.{}.{}", B64URL.encode("[1]"), parts[1], parts[2]),
            JoseError::Json(JwsPart::Header),
        );
        check(
            format!("{}.{}.{}!", parts[0], parts[1], parts[2]),
            JoseError::Base64(JwsPart::Signature),
        );
        check(
            format!("{}.{}.{}", parts[0], parts[1], &parts[2][..20]),
            JoseError::BadSignature,
        );
        // A payload that is signed but not a JSON object.
        let input = format!("{}.{}", parts[0], B64URL.encode("\"text\""));
        let signature = key.sign(input.as_bytes()).unwrap();
        check(
            format!("{input}.{}", B64URL.encode(signature)),
            JoseError::Json(JwsPart::Payload),
        );
        check("a".repeat(MAX_TOKEN_LEN + 1), JoseError::TooLong);
    }

    #[test]
    fn jwks_parsing_refuses_private_keys_and_bad_points() {
        let key = rfc8037_key();
        let mut value = serde_json::to_value(Jwks::from_signers([&key as &dyn Signer])).unwrap();
        value["keys"][0]["d"] = Value::String(RFC8037_D.into());
        assert_eq!(
            Jwks::parse(&value.to_string()).unwrap_err(),
            JoseError::PrivateKeyInJwks
        );
        assert!(Jwks::parse("{}").is_err());
        let mut jwk = es256_key(1).public_jwk();
        jwk.y = jwk.x.clone();
        assert!(PublicKey::from_jwk(&jwk).is_err());
        let mut jwk = key.public_jwk();
        jwk.crv = Some("X25519".into());
        assert!(PublicKey::from_jwk(&jwk).is_err());
        // Ed25519's identity point is a small-order (weak) key.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let mut jwk = key.public_jwk();
        jwk.x = Some(B64URL.encode(identity));
        assert!(PublicKey::from_jwk(&jwk).is_err());
        // Unknown key types in a set are kept but never match.
        let set =
            Jwks::parse(r#"{"keys":[{"kty":"RSA","kid":"r","n":"AQAB","e":"AQAB"}]}"#).unwrap();
        assert_eq!(set.keys.len(), 1);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn any_changed_byte_is_rejected(es in any::<bool>(), index in any::<prop::sample::Index>(), replacement in any::<u8>()) {
            let key = if es {
                SoftwareKey::from_secret(Algorithm::Es256, &[8; 32]).unwrap()
            } else {
                SoftwareKey::from_secret(Algorithm::EdDsa, &[8; 32]).unwrap()
            };
            let jwks = Jwks::from_signers([&key as &dyn Signer]);
            let token = sign_compact(&key, "JWT", &payload()).unwrap();
            let mut bytes = token.clone().into_bytes();
            let at = index.index(bytes.len());
            prop_assume!(bytes[at] != replacement);
            bytes[at] = replacement;
            let changed = String::from_utf8_lossy(&bytes).into_owned();
            prop_assert!(verify_compact(&changed, &jwks, Algorithm::ALL).is_err());
        }

        #[test]
        fn arbitrary_input_never_panics(text in ".{0,300}") {
            let key = rfc8037_key();
            let jwks = Jwks::from_signers([&key as &dyn Signer]);
            let _ = verify_compact(&text, &jwks, Algorithm::ALL);
            let _ = Jwks::parse(&text);
        }
    }
}
