//! Certificates: the cryptographic core of e-certificates (电子证照).
//!
//! Pure code, no I/O: signing and verifying compact JWS with Ed25519 or ES256 behind a
//! [`Signer`] interface ([`jose`]), issuing, presenting and verifying SD-JWT VCs ([`sdjwt`]),
//! and the IETF Token Status List that publishes revocations ([`status_list`]). Keys,
//! randomness and the current time come from the caller; storage, HTTP and the catalogue's
//! certificate types live in the other layers. `docs/certificates.md` describes the formats,
//! `docs/adr/0007-sd-jwt-vc-and-status-list.md` why they are hand-written.
//!
//! Each part has its own error enum ([`JoseError`], [`ForgeryReason`], [`StatusListError`])
//! because a verifier has to say precisely which check failed; the SD-JWT and status list
//! errors wrap the JOSE one.

pub mod evidence;
pub mod jose;
pub mod sdjwt;
pub mod status_list;

pub use jose::{
    Algorithm, Ed25519Key, Es256Key, JoseError, Jwk, Jwks, PublicKey, Signer, SoftwareKey,
};
pub use sdjwt::{
    DEFAULT_LEEWAY, ForgeryReason, IssueError, IssueRequest, PresentError, RevocationCheck,
    StatusEvidence, Verdict, Verification, VerifiedCertificate,
};
pub use status_list::{Status, StatusList, StatusListError, StatusReference};
