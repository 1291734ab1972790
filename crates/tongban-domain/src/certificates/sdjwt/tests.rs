//! Tests of issuing, presenting and verifying SD-JWT VC certificates, including every forgery
//! the issue lists and RFC 9901's own digest example.

use super::*;
use crate::certificates::jose::{Ed25519Key, Es256Key, SoftwareKey};
use crate::certificates::status_list::{StatusList, StatusListTokenClaims, issue_token};
use proptest::prelude::*;

const ISSUER: &str = "https://tongban.example/departments/sj";
const STATUS_URI: &str = "https://tongban.example/statuslists/sj-1";
const T0: i64 = 1_780_000_000;

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap()
}

/// A deterministic random source: SHA-256 of a counter.
fn counter_random() -> impl FnMut(&mut [u8]) {
    let mut counter = 0u64;
    move |bytes: &mut [u8]| {
        for chunk in bytes.chunks_mut(32) {
            counter += 1;
            let block = Sha256::digest(counter.to_be_bytes());
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn request() -> IssueRequest {
    IssueRequest {
        issuer: ISSUER.into(),
        vct: "https://tongban.example/certificate-types/business-licence".into(),
        subject: None,
        issued_at: at(T0),
        valid_from: at(T0),
        expires_at: Some(at(T0 + 365 * 86_400)),
        status: Some(StatusReference {
            idx: 3,
            uri: STATUS_URI.into(),
        }),
        cnf: None,
        plain: object(serde_json::json!({ "certificate_number": "SJ-2026-000123" })),
        disclosable: object(serde_json::json!({
            "name": "示范餐饮有限公司",
            "credit_code": "91110000MA01ABCD2X",
            "legal_representative": "张三",
            "address": { "city": "示范市", "street": "东湖路 1 号" },
            "registered_capital_fen": 50_000_000,
        })),
        decoys: 3,
    }
}

fn ed_key() -> Ed25519Key {
    Ed25519Key::from_secret(&[11; 32]).unwrap()
}

fn jwks_of(signer: &dyn Signer) -> Jwks {
    Jwks::from_signers([signer])
}

fn issue_with(signer: &dyn Signer, request: &IssueRequest) -> String {
    issue(request, signer, &mut counter_random()).unwrap()
}

fn now() -> DateTime<Utc> {
    at(T0 + 86_400)
}

fn verified(compact: &str, jwks: &Jwks) -> VerifiedCertificate {
    match verify(compact, jwks, now(), DEFAULT_LEEWAY) {
        Verification::Valid(certificate) => certificate,
        other => panic!("expected valid, got {other:?}"),
    }
}

fn forged(compact: &str, jwks: &Jwks) -> ForgeryReason {
    match verify(compact, jwks, now(), DEFAULT_LEEWAY) {
        Verification::Forged(reason) => reason,
        other => panic!("expected forged, got {other:?}"),
    }
}

/// A signed SD-JWT with exactly this payload and these disclosures: what a malicious or
/// buggy issuer holding the real key could produce.
fn signed_raw(signer: &dyn Signer, typ: &str, payload: Value, disclosures: &[&str]) -> String {
    let jws = jose::sign_compact(signer, typ, &object(payload)).unwrap();
    assemble(&jws, disclosures.iter().copied())
}

fn encode_disclosure(array: Value) -> String {
    B64URL.encode(array.to_string())
}

#[test]
fn rfc9901_disclosure_digest_example() {
    let disclosure = "WyI2cU1RdlJMNWhhaiIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0";
    assert_eq!(
        digest(disclosure),
        "uutlBuYeMDyjLLTpf6Jxi7yNkEF35jdyWMn9U7b_RYY"
    );
    let parsed = Disclosure::parse(disclosure).unwrap();
    assert_eq!(parsed.salt, "6qMQvRL5haj");
    assert_eq!(parsed.name, "family_name");
    assert_eq!(parsed.value, Value::String("Möbius".into()));
    assert_eq!(
        parsed.digest(),
        "uutlBuYeMDyjLLTpf6Jxi7yNkEF35jdyWMn9U7b_RYY"
    );
}

#[test]
fn issued_certificates_verify_with_both_algorithms() {
    let ed = SoftwareKey::Ed25519(ed_key());
    let es = SoftwareKey::Es256(Es256Key::from_secret(&[12; 32]).unwrap());
    for key in [&ed, &es] {
        let compact = issue_with(key, &request());
        let parts = split(&compact).unwrap();
        assert_eq!(parts.disclosures.len(), 5);
        let certificate = verified(&compact, &jwks_of(key));
        assert_eq!(certificate.alg, key.algorithm());
        assert_eq!(certificate.kid, key.kid());
        assert_eq!(certificate.issuer, ISSUER);
        assert_eq!(certificate.expires_at, Some(at(T0 + 365 * 86_400)));
        assert_eq!(
            certificate.status,
            Some(StatusReference {
                idx: 3,
                uri: STATUS_URI.into()
            })
        );
        let fields: Map<String, Value> = certificate
            .fields()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut expected = request().disclosable;
        expected.extend(request().plain);
        assert_eq!(fields, expected);
        assert_eq!(
            certificate.disclosed,
            vec![
                "address",
                "credit_code",
                "legal_representative",
                "name",
                "registered_capital_fen"
            ]
        );
    }
}

#[test]
fn the_signed_payload_hides_disclosable_fields_and_sorts_digests() {
    let key = ed_key();
    let compact = issue_with(&key, &request());
    let jws =
        jose::verify_compact(split(&compact).unwrap().jws, &jwks_of(&key), Algorithm::ALL).unwrap();
    assert_eq!(jws.typ(), Some("dc+sd-jwt"));
    assert_eq!(jws.header["kid"], Value::String(key.kid().into()));
    let payload = jws.payload;
    for hidden in request().disclosable.keys() {
        assert!(!payload.contains_key(hidden), "{hidden} is in the clear");
    }
    assert_eq!(payload["_sd_alg"], "sha-256");
    assert_eq!(payload["vct"], Value::String(request().vct));
    assert_eq!(payload["status"]["status_list"]["idx"], 3);
    let digests: Vec<&str> = payload["_sd"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    // Five disclosures and three decoys, sorted.
    assert_eq!(digests.len(), 8);
    let mut sorted = digests.clone();
    sorted.sort();
    assert_eq!(digests, sorted);
    // Each disclosure has a fresh 128-bit salt (22 base64url characters).
    let salts: HashSet<String> = split(&compact)
        .unwrap()
        .disclosures
        .iter()
        .map(|d| Disclosure::parse(d).unwrap().salt)
        .collect();
    assert_eq!(salts.len(), 5);
    assert!(salts.iter().all(|s| s.len() == 22));
}

#[test]
fn debug_output_names_fields_but_never_shows_their_values() {
    let key = ed_key();
    let mut request = request();
    request.subject = Some("110101199003070011".into());
    let compact = issue_with(&key, &request);
    let certificate = verified(&compact, &jwks_of(&key));
    let disclosure = Disclosure::parse(split(&compact).unwrap().disclosures[0]).unwrap();
    for debug in [
        format!("{request:?}"),
        format!("{certificate:?}"),
        format!("{:?}", Verification::Valid(certificate.clone())),
        format!("{disclosure:?}"),
    ] {
        for secret in [
            "示范餐饮",
            "91110000MA01ABCD2X",
            "张三",
            "110101199003070011",
            "东湖路",
        ] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
    }
    assert!(format!("{certificate:?}").contains("legal_representative"));
}

#[test]
fn issuing_refuses_reserved_and_duplicate_claims() {
    let key = ed_key();
    let mut bad = request();
    bad.disclosable.insert("iss".into(), "https://evil".into());
    assert_eq!(
        issue(&bad, &key, &mut counter_random()).unwrap_err(),
        IssueError::ReservedClaim("iss".into())
    );
    let mut bad = request();
    bad.plain.insert("_sd".into(), Value::Array(vec![]));
    assert!(matches!(
        issue(&bad, &key, &mut counter_random()),
        Err(IssueError::ReservedClaim(_))
    ));
    let mut bad = request();
    bad.disclosable
        .insert("items".into(), serde_json::json!([{"...": "digest"}]));
    assert_eq!(
        issue(&bad, &key, &mut counter_random()).unwrap_err(),
        IssueError::NestedReservedKey("items".into())
    );
    let mut bad = request();
    bad.plain.insert("name".into(), "x".into());
    assert_eq!(
        issue(&bad, &key, &mut counter_random()).unwrap_err(),
        IssueError::DuplicateClaim("name".into())
    );
}

#[test]
fn presentations_disclose_only_the_chosen_fields() {
    let key = ed_key();
    let compact = issue_with(&key, &request());
    let presented = present(&compact, &["name", "credit_code"]).unwrap();
    let certificate = verified(&presented, &jwks_of(&key));
    assert_eq!(certificate.disclosed, vec!["credit_code", "name"]);
    assert!(!certificate.claims.contains_key("legal_representative"));
    assert_eq!(certificate.claims["certificate_number"], "SJ-2026-000123");
    // Nothing disclosed still verifies: the plain claims alone.
    let bare = present(&compact, &[]).unwrap();
    assert!(bare.ends_with('~') && split(&bare).unwrap().disclosures.is_empty());
    assert!(verified(&bare, &jwks_of(&key)).disclosed.is_empty());
    assert_eq!(
        present(&compact, &["iss"]).unwrap_err(),
        PresentError::NotDisclosable("iss".into())
    );
}

#[test]
fn validity_period_is_checked_with_leeway() {
    let key = ed_key();
    let jwks = jwks_of(&key);
    let compact = issue_with(&key, &request());
    let exp = T0 + 365 * 86_400;
    let check = |now: i64| verify(&compact, &jwks, at(now), DEFAULT_LEEWAY);
    assert!(matches!(check(exp + 59), Verification::Valid(_)));
    assert!(matches!(check(exp + 60), Verification::Expired(_)));
    assert!(matches!(check(T0 - 60), Verification::Valid(_)));
    assert!(matches!(check(T0 - 61), Verification::NotYetValid(_)));
    // nbf later than iat: valid only from nbf.
    let mut later = request();
    later.valid_from = at(T0 + 10 * 86_400);
    let compact = issue_with(&key, &later);
    assert!(matches!(
        verify(&compact, &jwks, at(T0 + 86_400), DEFAULT_LEEWAY),
        Verification::NotYetValid(_)
    ));
    // No exp: valid until revoked.
    let mut forever = request();
    forever.expires_at = None;
    let compact = issue_with(&key, &forever);
    assert!(matches!(
        verify(&compact, &jwks, at(T0 + 100 * 365 * 86_400), DEFAULT_LEEWAY),
        Verification::Valid(_)
    ));
}

#[test]
fn a_tampered_payload_is_forged() {
    let key = ed_key();
    let compact = issue_with(&key, &request());
    let parts = split(&compact).unwrap();
    let jws: Vec<&str> = parts.jws.split('.').collect();
    let mut payload: Value = serde_json::from_slice(&B64URL.decode(jws[1]).unwrap()).unwrap();
    payload["exp"] = Value::from(T0 + 100 * 365 * 86_400);
    let tampered = format!(
        "{}.{}.{}~{}~",
        jws[0],
        B64URL.encode(payload.to_string()),
        jws[2],
        parts.disclosures.join("~")
    );
    assert_eq!(
        forged(&tampered, &jwks_of(&key)),
        ForgeryReason::Signature(JoseError::BadSignature)
    );
}

#[test]
fn tampered_foreign_and_repeated_disclosures_are_forged() {
    let key = ed_key();
    let jwks = jwks_of(&key);
    let compact = issue_with(&key, &request());
    let parts = split(&compact).unwrap();
    let name_disclosure = parts
        .disclosures
        .iter()
        .find(|d| Disclosure::parse(d).unwrap().name == "name")
        .unwrap();
    let original = Disclosure::parse(name_disclosure).unwrap();

    // Same salt and name, another value.
    let changed = encode_disclosure(serde_json::json!([original.salt, "name", "另一家公司"]));
    assert_eq!(
        forged(&assemble(parts.jws, [changed.as_str()].into_iter()), &jwks),
        ForgeryReason::TamperedDisclosure
    );

    // A genuine disclosure from another certificate of the same issuer.
    let mut other = request();
    other.disclosable.insert("name".into(), "另一家公司".into());
    let other = issue(&other, &key, &mut |b: &mut [u8]| b.fill(0x5a)).unwrap();
    let foreign = split(&other)
        .unwrap()
        .disclosures
        .into_iter()
        .find(|d| Disclosure::parse(d).unwrap().name == "name")
        .unwrap();
    assert_eq!(
        forged(&assemble(parts.jws, [foreign].into_iter()), &jwks),
        ForgeryReason::TamperedDisclosure
    );

    // The same disclosure twice.
    assert_eq!(
        forged(
            &assemble(parts.jws, [*name_disclosure, *name_disclosure].into_iter()),
            &jwks
        ),
        ForgeryReason::DuplicateDisclosure
    );

    // An empty disclosure slot and a trailing key-binding JWT.
    assert_eq!(
        forged(&format!("{}~~", parts.jws), &jwks),
        ForgeryReason::MalformedDisclosure
    );
    assert_eq!(
        forged(&format!("{}~{}", parts.jws, parts.jws), &jwks),
        ForgeryReason::KeyBindingUnsupported
    );
    assert_eq!(forged(parts.jws, &jwks), ForgeryReason::NotSdJwt);
}

#[test]
fn wrong_keys_and_bad_algorithms_are_forged() {
    let key = ed_key();
    let compact = issue_with(&key, &request());
    let other = Ed25519Key::from_secret(&[99; 32]).unwrap();
    assert_eq!(
        forged(&compact, &jwks_of(&other)),
        ForgeryReason::Signature(JoseError::UnknownKey)
    );
    // Another key published under our kid.
    let mut impostor = other.public_jwk();
    impostor.kid = Some(key.kid().to_owned());
    assert_eq!(
        forged(
            &compact,
            &Jwks {
                keys: vec![impostor]
            }
        ),
        ForgeryReason::Signature(JoseError::BadSignature)
    );
    // alg none and HS256 over the genuine payload.
    let parts = split(&compact).unwrap();
    let payload = parts.jws.split('.').nth(1).unwrap();
    for (alg, expected) in [
        ("none", JoseError::AlgNone),
        ("HS256", JoseError::SymmetricAlg("HS256".into())),
    ] {
        let header = serde_json::json!({"alg": alg, "kid": key.kid(), "typ": "dc+sd-jwt"});
        let token = format!(
            "{}.{payload}.{}~{}~",
            B64URL.encode(header.to_string()),
            if alg == "none" { "" } else { "c2lnbmF0dXJl" },
            parts.disclosures.join("~")
        );
        assert_eq!(
            forged(&token, &jwks_of(&key)),
            ForgeryReason::Signature(expected)
        );
    }
}

#[test]
fn signed_but_malformed_certificates_are_refused() {
    let key = ed_key();
    let jwks = jwks_of(&key);
    let base = || {
        serde_json::json!({
            "iss": ISSUER, "iat": T0, "nbf": T0, "vct": "x", "_sd_alg": "sha-256",
            "certificate_number": "1"
        })
    };
    let with_disclosure = |name: &str| {
        let disclosure = encode_disclosure(serde_json::json!(["c2FsdHNhbHRzYWx0", name, "v"]));
        let mut payload = base();
        payload["_sd"] = serde_json::json!([digest(&disclosure)]);
        signed_raw(&key, "dc+sd-jwt", payload, &[&disclosure])
    };

    // Another typ (a status list token, a plain JWT) is not a certificate.
    assert_eq!(
        forged(&signed_raw(&key, "JWT", base(), &[]), &jwks),
        ForgeryReason::WrongType
    );
    // A disclosure that would overwrite a plain claim, or name a reserved one.
    assert_eq!(
        forged(&with_disclosure("certificate_number"), &jwks),
        ForgeryReason::ClaimCollision("certificate_number".into())
    );
    for reserved in ["iss", "vct", "status", "_sd", "..."] {
        assert_eq!(
            forged(&with_disclosure(reserved), &jwks),
            ForgeryReason::ForbiddenDisclosure(reserved.into())
        );
    }
    // Two disclosures of the same claim name, both signed.
    let first = encode_disclosure(serde_json::json!(["c2FsdDE", "name", "a"]));
    let second = encode_disclosure(serde_json::json!(["c2FsdDI", "name", "b"]));
    let mut payload = base();
    payload["_sd"] = serde_json::json!([digest(&first), digest(&second)]);
    assert_eq!(
        forged(
            &signed_raw(&key, "dc+sd-jwt", payload, &[&first, &second]),
            &jwks
        ),
        ForgeryReason::ClaimCollision("name".into())
    );
    // The media type may be written in full and in any case (RFC 7515 §4.1.9).
    for typ in ["application/dc+sd-jwt", "DC+SD-JWT"] {
        let token = signed_raw(&key, typ, base(), &[]);
        assert!(matches!(
            verify(&token, &jwks, now(), DEFAULT_LEEWAY),
            Verification::Valid(_)
        ));
    }
    // Other digest algorithms, repeated digests, a missing vct.
    let mut payload = base();
    payload["_sd_alg"] = "sha-512".into();
    assert_eq!(
        forged(&signed_raw(&key, "dc+sd-jwt", payload, &[]), &jwks),
        ForgeryReason::UnsupportedSdAlg
    );
    let mut payload = base();
    payload["_sd"] = serde_json::json!([digest(&first), digest(&first)]);
    assert_eq!(
        forged(&signed_raw(&key, "dc+sd-jwt", payload, &[&first]), &jwks),
        ForgeryReason::MalformedDigests
    );
    let mut payload = base();
    payload.as_object_mut().unwrap().remove("vct");
    assert_eq!(
        forged(&signed_raw(&key, "dc+sd-jwt", payload, &[]), &jwks),
        ForgeryReason::MalformedClaim("vct")
    );
    let mut payload = base();
    payload["status"] = serde_json::json!({"status_list": {"idx": -1, "uri": STATUS_URI}});
    assert_eq!(
        forged(&signed_raw(&key, "dc+sd-jwt", payload, &[]), &jwks),
        ForgeryReason::MalformedClaim("status")
    );
    // Nested selective disclosure and array-element disclosures are not passed through.
    let mut payload = base();
    payload["address"] = serde_json::json!({"_sd": ["abc"]});
    assert_eq!(
        forged(&signed_raw(&key, "dc+sd-jwt", payload, &[]), &jwks),
        ForgeryReason::NestedDisclosure
    );
    let element = encode_disclosure(serde_json::json!(["c2FsdA", "DE"]));
    let mut payload = base();
    payload["_sd"] = serde_json::json!([digest(&element)]);
    assert_eq!(
        forged(&signed_raw(&key, "dc+sd-jwt", payload, &[&element]), &jwks),
        ForgeryReason::NestedDisclosure
    );
}

fn status_token(key: &dyn Signer, statuses: &[(u64, Status)], uri: &str, issuer: &str) -> String {
    let mut list = StatusList::new(2, 16).unwrap();
    for (index, status) in statuses {
        list.set(*index, *status).unwrap();
    }
    let claims = StatusListTokenClaims {
        uri,
        issuer: Some(issuer),
        issued_at: at(T0),
        expires_at: Some(at(T0 + 2 * 86_400)),
        ttl_seconds: Some(3600),
    };
    issue_token(&list, &claims, key).unwrap()
}

#[test]
fn revocation_and_suspension_come_from_the_status_list() {
    let key = ed_key();
    let jwks = jwks_of(&key);
    let compact = issue_with(&key, &request());
    let run = |token: Option<&str>, now: DateTime<Utc>| {
        verify_with_status(
            &compact,
            &jwks,
            token.map(|token| StatusEvidence { token, jwks: &jwks }),
            now,
            DEFAULT_LEEWAY,
        )
    };
    let valid = status_token(&key, &[(2, Status::Invalid)], STATUS_URI, ISSUER);
    let revoked = status_token(&key, &[(3, Status::Invalid)], STATUS_URI, ISSUER);
    let suspended = status_token(&key, &[(3, Status::Suspended)], STATUS_URI, ISSUER);
    assert!(matches!(
        run(Some(&valid), now()),
        Verdict::Valid {
            revocation: RevocationCheck::Checked,
            ..
        }
    ));
    assert!(matches!(
        run(Some(&revoked), now()),
        Verdict::Revoked {
            status: Status::Invalid,
            ..
        }
    ));
    assert!(matches!(
        run(Some(&suspended), now()),
        Verdict::Suspended(_)
    ));
    assert!(matches!(
        run(None, now()),
        Verdict::Valid {
            revocation: RevocationCheck::NotChecked,
            ..
        }
    ));
    // An expired certificate is expired, revoked or not.
    assert!(matches!(
        run(Some(&revoked), at(T0 + 400 * 86_400)),
        Verdict::Expired(_)
    ));
    // A status list for another URI, from another issuer, or expired, tells nothing.
    let elsewhere = status_token(
        &key,
        &[],
        "https://tongban.example/statuslists/other",
        ISSUER,
    );
    assert!(matches!(
        run(Some(&elsewhere), now()),
        Verdict::StatusUnavailable {
            reason: StatusListError::SubjectMismatch,
            ..
        }
    ));
    let foreign = status_token(
        &key,
        &[],
        STATUS_URI,
        "https://tongban.example/departments/gs",
    );
    assert!(matches!(
        run(Some(&foreign), now()),
        Verdict::StatusUnavailable {
            reason: StatusListError::IssuerMismatch,
            ..
        }
    ));
    assert!(matches!(
        run(Some(&valid), at(T0 + 3 * 86_400)),
        Verdict::StatusUnavailable {
            reason: StatusListError::Expired(_),
            ..
        }
    ));
    // A certificate without a status reference cannot be revoked.
    let mut unrevocable = request();
    unrevocable.status = None;
    let compact = issue_with(&key, &unrevocable);
    assert!(matches!(
        verify_with_status(&compact, &jwks, None, now(), DEFAULT_LEEWAY),
        Verdict::Valid {
            revocation: RevocationCheck::NoStatusList,
            ..
        }
    ));
    // A forged certificate is forged before any status lookup.
    assert!(matches!(
        verify_with_status("x~", &jwks, None, now(), DEFAULT_LEEWAY),
        Verdict::Forged(_)
    ));
}

/// Which part of a certificate a property test changes.
#[derive(Clone, Copy, Debug)]
enum Target {
    Header,
    Payload,
    Signature,
    Disclosure,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn any_subset_of_disclosures_verifies(es in any::<bool>(), keep in prop::collection::vec(any::<bool>(), 5)) {
        let key = if es {
            SoftwareKey::from_secret(Algorithm::Es256, &[21; 32]).unwrap()
        } else {
            SoftwareKey::from_secret(Algorithm::EdDsa, &[21; 32]).unwrap()
        };
        let compact = issue_with(&key, &request());
        let names: Vec<&str> = request_names();
        let chosen: Vec<&str> = names.iter().zip(&keep).filter(|(_, k)| **k).map(|(n, _)| *n).collect();
        let presented = present(&compact, &chosen).unwrap();
        let certificate = verified(&presented, &jwks_of(&key));
        let mut expected: Vec<String> = chosen.iter().map(|s| (*s).to_owned()).collect();
        expected.sort();
        prop_assert_eq!(certificate.disclosed, expected);
        for name in names {
            prop_assert_eq!(certificate.claims.contains_key(name), chosen.contains(&name));
        }
    }

    #[test]
    fn any_changed_byte_is_rejected(
        es in any::<bool>(),
        target in prop::sample::select(vec![Target::Header, Target::Payload, Target::Signature, Target::Disclosure]),
        index in any::<prop::sample::Index>(),
        replacement in prop::sample::select(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~=+/ ".to_vec()),
    ) {
        let key = if es {
            SoftwareKey::from_secret(Algorithm::Es256, &[22; 32]).unwrap()
        } else {
            SoftwareKey::from_secret(Algorithm::EdDsa, &[22; 32]).unwrap()
        };
        let compact = issue_with(&key, &request());
        // The byte range of the chosen part within the compact form.
        let first_dot = compact.find('.').unwrap();
        let second_dot = first_dot + 1 + compact[first_dot + 1..].find('.').unwrap();
        let first_tilde = compact.find('~').unwrap();
        let range = match target {
            Target::Header => 0..first_dot,
            Target::Payload => first_dot + 1..second_dot,
            Target::Signature => second_dot + 1..first_tilde,
            Target::Disclosure => first_tilde + 1..compact.len() - 1,
        };
        let at = range.start + index.index(range.len());
        let mut bytes = compact.clone().into_bytes();
        prop_assume!(bytes[at] != replacement);
        bytes[at] = replacement;
        let changed = String::from_utf8(bytes).unwrap();
        let verdict = verify(&changed, &jwks_of(&key), now(), DEFAULT_LEEWAY);
        prop_assert!(matches!(verdict, Verification::Forged(_)), "{:?} still verifies: {:?}", target, verdict);
    }

    #[test]
    fn any_claims_round_trip(
        plain in prop::collection::btree_map("[a-z][a-z_]{0,8}", claim_value(), 0..4),
        disclosable in prop::collection::btree_map("[a-z][a-z_]{0,8}", claim_value(), 0..6),
        decoys in 0usize..4,
    ) {
        let reserved = |name: &String| REGISTERED_CLAIMS.contains(&name.as_str());
        let plain: Map<String, Value> = plain.into_iter().filter(|(k, _)| !reserved(k)).collect();
        let disclosable: Map<String, Value> = disclosable
            .into_iter()
            .filter(|(k, _)| !reserved(k) && !plain.contains_key(k))
            .collect();
        let mut request = request();
        request.plain = plain.clone();
        request.disclosable = disclosable.clone();
        request.decoys = decoys;
        let key = ed_key();
        let certificate = verified(&issue_with(&key, &request), &jwks_of(&key));
        let mut expected = plain;
        expected.extend(disclosable);
        let fields: Map<String, Value> = certificate.fields().map(|(k, v)| (k.clone(), v.clone())).collect();
        prop_assert_eq!(fields, expected);
    }

    #[test]
    fn arbitrary_input_never_panics(text in "[A-Za-z0-9_~.-]{0,200}") {
        let key = ed_key();
        let _ = verify(&text, &jwks_of(&key), now(), DEFAULT_LEEWAY);
        let _ = present(&text, &["name"]);
    }
}

/// JSON values a certificate field might hold: text (including Chinese), numbers, booleans,
/// and small arrays and objects of those.
fn claim_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        "[a-z0-9 \u{4e00}-\u{4e20}]{0,12}".prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        Just(Value::Null),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
            prop::collection::btree_map("[a-z]{1,5}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn request_names() -> Vec<&'static str> {
    vec![
        "address",
        "credit_code",
        "legal_representative",
        "name",
        "registered_capital_fen",
    ]
}
