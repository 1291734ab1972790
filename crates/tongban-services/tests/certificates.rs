//! E-certificates on the demo region, on SQLite and PostgreSQL: a department's key is made on
//! first use and published; a certificate verifies, with all or some of its fields; a changed
//! disclosure or a foreign key is a forgery; an expired one is expired; revocation by the
//! issuing department's approver shows in the status list, tells the holder and is audited,
//! while anyone else is refused (and audited); a rotated key keeps old certificates valid.

mod common;

use chrono::Duration;
use common::*;
use serde_json::{Map, Value, json};
use tongban_domain::certificates::sdjwt::present;
use tongban_domain::certificates::{ForgeryReason, RevocationCheck, Status, Verdict};
use tongban_services::certificates::{CertificateError, NewCertificate};
use tongban_store::entities::{audit_entry, notification};
use tongban_store::sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tongban_store::testing::TestDb;

fn licence(w: &World, expires_in_days: Option<i64>) -> NewCertificate {
    let mut plain = Map::new();
    plain.insert("licence_number".into(), json!("92990100MA0000001X"));
    plain.insert("trade_name".into(), json!("示范市张三小吃店"));
    let mut disclosable = Map::new();
    disclosable.insert("operator_name".into(), json!("张三"));
    disclosable.insert("operator_id_number".into(), json!("11010519491231002X"));
    disclosable.insert("address".into(), json!("示范市人民路1号"));
    NewCertificate {
        type_key: "business-licence".into(),
        vct: "http://127.0.0.1:8080/certificate-types/business-licence".into(),
        department_id: w.catalog.department_id("SJ").unwrap(),
        holder_account_id: w.applicant,
        holder_enterprise_id: None,
        case_id: None,
        valid_from: now(),
        expires_at: expires_in_days.map(|days| now() + Duration::days(days)),
        plain,
        disclosable,
        summary: json!({ "name": "营业执照", "number": "92990100MA0000001X" }),
    }
}

fn fields(verdict: &Verdict) -> Vec<String> {
    match verdict {
        Verdict::Valid { certificate, .. } => {
            let mut names: Vec<String> = certificate.fields().map(|(k, _)| k.clone()).collect();
            names.sort();
            names
        }
        other => panic!("not valid: {other:?}"),
    }
}

#[tokio::test]
async fn a_certificate_verifies_is_revoked_by_its_department_and_survives_key_rotation() {
    for db in TestDb::all("certificates").await {
        let w = world(db).await;
        let certificates = w.handling.certificates().clone();
        let issued = certificates
            .issue(&w.db.conn, &clock(), &w.catalog, licence(&w, Some(365)))
            .await
            .unwrap();
        // The second certificate takes the next slot of the same list.
        let second = certificates
            .issue(&w.db.conn, &clock(), &w.catalog, licence(&w, Some(365)))
            .await
            .unwrap();
        assert_eq!(second.status_list_id, issued.status_list_id);
        assert_eq!(second.status_index, issued.status_index + 1);

        let jwks = certificates.jwks(w.catalog.region_id, None).await.unwrap();
        assert_eq!(jwks.keys.len(), 1, "one key, made on first use");

        // The holder's wallet holds both, the token sealed at rest.
        let held = certificates
            .wallet(&applicant(&w).await, w.catalog.region_id)
            .await
            .unwrap();
        assert_eq!(held.len(), 2);
        assert!(!issued.token_sealed.contains('~'), "stored encrypted");
        let token = held
            .iter()
            .find(|h| h.row.id == issued.id)
            .unwrap()
            .token
            .clone();

        let verdict = certificates
            .verify(&clock(), &w.catalog, &token)
            .await
            .unwrap();
        assert!(
            matches!(
                verdict,
                Verdict::Valid {
                    revocation: RevocationCheck::Checked,
                    ..
                }
            ),
            "{verdict:?}"
        );
        assert_eq!(
            fields(&verdict),
            [
                "address",
                "licence_number",
                "operator_id_number",
                "operator_name",
                "trade_name"
            ]
        );
        if let Verdict::Valid { certificate, .. } = &verdict {
            assert_eq!(
                certificate.issuer,
                "http://127.0.0.1:8080/departments/market-regulation"
            );
        }

        // The holder shows only the operator's name: the rest stays hidden, still valid.
        let shown = present(&token, &["operator_name"]).unwrap();
        let verdict = certificates
            .verify(&clock(), &w.catalog, &shown)
            .await
            .unwrap();
        assert_eq!(
            fields(&verdict),
            ["licence_number", "operator_name", "trade_name"]
        );

        // A disclosure of another certificate does not belong to this one.
        let other = held
            .iter()
            .find(|h| h.row.id == second.id)
            .unwrap()
            .token
            .clone();
        let foreign = other.split('~').nth(1).unwrap();
        let (jws, _) = token.split_once('~').unwrap();
        let forged = format!("{jws}~{foreign}~");
        assert_eq!(
            certificates
                .verify(&clock(), &w.catalog, &forged)
                .await
                .unwrap(),
            Verdict::Forged(ForgeryReason::TamperedDisclosure)
        );

        // Signed by a key that is not the department's, though it names the department.
        let mut seed = 7u8;
        let impostor = tongban_domain::certificates::SoftwareKey::generate(
            tongban_domain::certificates::Algorithm::EdDsa,
            &mut |buf: &mut [u8]| {
                for b in buf.iter_mut() {
                    seed = seed.wrapping_mul(31).wrapping_add(17);
                    *b = seed;
                }
            },
        )
        .unwrap();
        let claimed = tongban_domain::certificates::IssueRequest {
            issuer: "http://127.0.0.1:8080/departments/market-regulation".into(),
            vct: "http://127.0.0.1:8080/certificate-types/business-licence".into(),
            subject: None,
            issued_at: now(),
            valid_from: now(),
            expires_at: None,
            status: None,
            cnf: None,
            plain: Map::new(),
            disclosable: Map::new(),
            decoys: 0,
        };
        let fake =
            tongban_domain::certificates::sdjwt::issue(&claimed, &impostor, &mut |buf| buf.fill(1))
                .unwrap();
        assert!(matches!(
            certificates
                .verify(&clock(), &w.catalog, &fake)
                .await
                .unwrap(),
            Verdict::Forged(ForgeryReason::Signature(_))
        ));

        // A year and a day later it is expired.
        let later = tongban_domain::clock::FixedClock(now() + Duration::days(366));
        assert!(matches!(
            certificates
                .verify(&later, &w.catalog, &token)
                .await
                .unwrap(),
            Verdict::Expired(_)
        ));

        // Police staff may not revoke a market regulation licence; the attempt is audited.
        let police = staff(&w, "ga.clerk").await;
        assert!(matches!(
            certificates
                .revoke(&clock(), &police, &w.catalog, &origin(), issued.id, "测试")
                .await,
            Err(CertificateError::NotAllowed)
        ));
        let approver = staff(&w, "sj.approver").await;
        assert!(matches!(
            certificates
                .revoke(&clock(), &approver, &w.catalog, &origin(), issued.id, "  ")
                .await,
            Err(CertificateError::ReasonRequired)
        ));
        certificates
            .revoke(
                &clock(),
                &approver,
                &w.catalog,
                &origin(),
                issued.id,
                "经营者申请注销登记",
            )
            .await
            .unwrap();
        assert!(matches!(
            certificates
                .revoke(
                    &clock(),
                    &approver,
                    &w.catalog,
                    &origin(),
                    issued.id,
                    "再次"
                )
                .await,
            Err(CertificateError::AlreadyRevoked)
        ));
        match certificates
            .verify(&clock(), &w.catalog, &token)
            .await
            .unwrap()
        {
            Verdict::Revoked { status, .. } => assert_eq!(status, Status::Invalid),
            other => panic!("{other:?}"),
        }
        // Its neighbour in the list is untouched.
        assert!(matches!(
            certificates
                .verify(&clock(), &w.catalog, &other)
                .await
                .unwrap(),
            Verdict::Valid { .. }
        ));
        let audits = audit_entry::Entity::find()
            .filter(audit_entry::Column::Action.eq("certificates.revoke"))
            .all(&w.db.conn)
            .await
            .unwrap();
        let outcomes: Vec<&str> = audits.iter().map(|a| a.outcome.as_str()).collect();
        assert!(
            outcomes.contains(&"denied") && outcomes.contains(&"success"),
            "{outcomes:?}"
        );
        let told = notification::Entity::find()
            .filter(notification::Column::AccountId.eq(w.applicant))
            .filter(notification::Column::Template.eq("certificate-revoked"))
            .count(&w.db.conn)
            .await
            .unwrap();
        assert_eq!(told, 1, "the holder is told");

        // A rotated key signs what comes next; what the old key signed still verifies.
        let admin = staff(&w, "sj.admin").await;
        assert!(matches!(
            certificates
                .rotate_key(
                    &clock(),
                    &approver,
                    &w.catalog,
                    &origin(),
                    "SJ",
                    tongban_domain::certificates::Algorithm::Es256,
                )
                .await,
            Err(CertificateError::NotAllowed)
        ));
        let kid = certificates
            .rotate_key(
                &clock(),
                &admin,
                &w.catalog,
                &origin(),
                "SJ",
                tongban_domain::certificates::Algorithm::Es256,
            )
            .await
            .unwrap();
        let third = certificates
            .issue(&w.db.conn, &clock(), &w.catalog, licence(&w, None))
            .await
            .unwrap();
        let third = certificates
            .held_by(&applicant(&w).await, w.catalog.region_id, third.id)
            .await
            .unwrap();
        match certificates
            .verify(&clock(), &w.catalog, &third.token)
            .await
            .unwrap()
        {
            Verdict::Valid { certificate, .. } => {
                assert_eq!(certificate.kid, kid);
                assert_eq!(certificate.expires_at, None, "valid until revoked");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            certificates
                .verify(&clock(), &w.catalog, &other)
                .await
                .unwrap(),
            Verdict::Valid { .. }
        ));
        assert_eq!(
            certificates
                .jwks(w.catalog.region_id, None)
                .await
                .unwrap()
                .keys
                .len(),
            2
        );
        // Another person cannot open the holder's certificate.
        assert!(matches!(
            certificates
                .held_by(&approver, w.catalog.region_id, third.row.id)
                .await,
            Err(CertificateError::NotFound)
        ));
        let _: Value = serde_json::from_str(&third.row.summary).unwrap();
    }
}

/// The demo applicant as signed in.
async fn applicant(w: &World) -> tongban_services::identity::CurrentUser {
    tongban_services::identity::CurrentUser {
        account_id: w.applicant,
        kind: tongban_services::identity::AccountKind::Person,
        display_name: "张三".into(),
        roles: Vec::new(),
        session_hash: String::new(),
        second_factor: tongban_services::identity::SecondFactor::Passed,
        acting_for: None,
        password_due: tongban_services::identity::PasswordDue::No,
    }
}
