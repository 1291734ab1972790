//! A small compact JWS (RFC 7515) for ID tokens, signed with Ed25519 (`EdDSA`, RFC 8037), and
//! the JWKS that publishes the keys. Why a hand-written JWS and not a JWT crate: see
//! `docs/adr/0004-oidc-signing.md`.
//!
//! Only what the provider needs is here: signing its own tokens, and verifying its own tokens
//! when a client hands one back (`id_token_hint` at end-session).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use ed25519_dalek::{Signer, Verifier};
use sha2::{Digest, Sha256, Sha512};
use tongban_store::oidc::KeyRow;

/// The one algorithm the provider signs with.
pub const ALG: &str = "EdDSA";

/// A signing key with its public id.
pub struct SigningKey {
    pub kid: String,
    key: ed25519_dalek::SigningKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// The key made from 32 secret bytes; its `kid` is derived from the public key.
    pub fn from_secret(secret: [u8; 32]) -> SigningKey {
        let key = ed25519_dalek::SigningKey::from_bytes(&secret);
        let public = key.verifying_key().to_bytes();
        let kid = B64URL.encode(&Sha256::digest(public)[..12]);
        SigningKey { kid, key }
    }

    /// The public key, base64url (the JWK's `x`).
    pub fn public_b64(&self) -> String {
        B64URL.encode(self.key.verifying_key().to_bytes())
    }

    /// The secret bytes, for encrypting at rest.
    pub fn secret_b64(&self) -> String {
        B64URL.encode(self.key.to_bytes())
    }

    /// The secret bytes back from [`SigningKey::secret_b64`].
    pub fn from_secret_b64(text: &str) -> Option<SigningKey> {
        let bytes: [u8; 32] = B64URL.decode(text).ok()?.try_into().ok()?;
        Some(SigningKey::from_secret(bytes))
    }

    /// A compact JWS of `claims` with `typ: JWT`.
    pub fn sign(&self, claims: &serde_json::Value) -> String {
        let header = serde_json::json!({ "alg": ALG, "typ": "JWT", "kid": self.kid });
        let signing_input = format!(
            "{}.{}",
            B64URL.encode(header.to_string()),
            B64URL.encode(claims.to_string())
        );
        let signature = self.key.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", B64URL.encode(signature.to_bytes()))
    }
}

/// The JWK (RFC 8037 `OKP`) of a stored key.
pub fn jwk(row: &KeyRow) -> serde_json::Value {
    serde_json::json!({
        "kty": "OKP",
        "crv": "Ed25519",
        "use": "sig",
        "alg": row.alg,
        "kid": row.kid,
        "x": row.public_key,
    })
}

/// The claims of a compact JWS signed by one of `keys`, or `None` (malformed, unknown key,
/// another algorithm, bad signature). Expiry is the caller's concern.
pub fn verify(token: &str, keys: &[KeyRow]) -> Option<serde_json::Value> {
    let mut parts = token.split('.');
    let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || token.len() > 16 * 1024 {
        return None;
    }
    let header: serde_json::Value = serde_json::from_slice(&B64URL.decode(header).ok()?).ok()?;
    if header.get("alg")?.as_str()? != ALG {
        return None;
    }
    let kid = header.get("kid")?.as_str()?;
    let row = keys.iter().find(|k| k.kid == kid)?;
    let public: [u8; 32] = B64URL.decode(&row.public_key).ok()?.try_into().ok()?;
    let public = ed25519_dalek::VerifyingKey::from_bytes(&public).ok()?;
    let signature: [u8; 64] = B64URL.decode(signature).ok()?.try_into().ok()?;
    let signature = ed25519_dalek::Signature::from_bytes(&signature);
    public
        .verify(
            format!("{}.{payload}", token.split('.').next()?).as_bytes(),
            &signature,
        )
        .ok()?;
    serde_json::from_slice(&B64URL.decode(payload).ok()?).ok()
}

/// `at_hash` for an Ed25519-signed ID token: the left half of SHA-512 of the access token (the
/// hash Ed25519 itself uses, as OpenID Connect clients expect for `EdDSA`).
pub fn at_hash(access_token: &str) -> String {
    let digest = Sha512::digest(access_token.as_bytes());
    B64URL.encode(&digest[..32])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &SigningKey) -> KeyRow {
        KeyRow {
            kid: key.kid.clone(),
            alg: ALG.to_owned(),
            public_key: key.public_b64(),
            private_ciphertext: String::new(),
            created_at: chrono::DateTime::UNIX_EPOCH,
            retired_at: None,
            expires_at: None,
        }
    }

    #[test]
    fn tokens_verify_with_their_key_only() {
        let key = SigningKey::from_secret([1u8; 32]);
        let other = SigningKey::from_secret([2u8; 32]);
        let claims = serde_json::json!({ "sub": "x", "n": 1 });
        let token = key.sign(&claims);
        assert_eq!(verify(&token, &[row(&key)]), Some(claims.clone()));
        assert_eq!(verify(&token, &[row(&other)]), None);
        // A changed payload no longer verifies.
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = B64URL.encode(r#"{"sub":"y","n":1}"#);
        parts[1] = &forged;
        assert_eq!(verify(&parts.join("."), &[row(&key)]), None);
        assert_eq!(verify("a.b", &[row(&key)]), None);
        // The key survives its round trip through storage.
        let back = SigningKey::from_secret_b64(&key.secret_b64()).unwrap();
        assert_eq!(back.kid, key.kid);
    }

    #[test]
    fn rfc8037_test_vector() {
        // RFC 8037 appendix A.4: the signature of "Example of Ed25519 signing".
        let secret: [u8; 32] = B64URL
            .decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
            .unwrap()
            .try_into()
            .unwrap();
        let key = SigningKey::from_secret(secret);
        assert_eq!(
            key.public_b64(),
            "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
        );
        let signature = key
            .key
            .sign(b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc");
        assert_eq!(
            B64URL.encode(signature.to_bytes()),
            "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
        );
    }
}
