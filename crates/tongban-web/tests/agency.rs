//! Acting for others through the real router, on SQLite and PostgreSQL: registering
//! enterprises, granting and revoking mandates, switching whom one acts for, and proof that
//! nobody acts for or manages a principal by posting ids they hold no live mandate for.

mod common;

use axum::http::StatusCode;
use common::browser::*;
use common::*;
use tongban_store::entities::{audit_entry, enterprise, mandate, notification};
use tongban_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use tongban_store::testing::TestDb;
use uuid::Uuid;

/// The demo enterprise, its legal representative (李四), its agent (阿依古丽), and the older
/// person (王𠀀) whose relative (张三) acts for him.
const ENTERPRISE_CODE: &str = "91990100MA0QH00012";
const ENTERPRISE_NAME: &str = "示范市青禾餐饮有限公司";
const LEGAL_REP: &str = "13800000004";
const AGENT: &str = "13800000002";
const ELDER: &str = "13800000003";
const RELATIVE: &str = "13800000001";

async fn demo_enterprise(db: &TestDb) -> enterprise::Model {
    enterprise::Entity::find()
        .filter(enterprise::Column::CreditCode.eq(ENTERPRISE_CODE))
        .one(&db.conn)
        .await
        .unwrap()
        .expect("the demo enterprise is seeded")
}

async fn mandates_of(db: &TestDb, principal: Uuid) -> Vec<mandate::Model> {
    mandate::Entity::find()
        .filter(mandate::Column::PrincipalId.eq(principal))
        .order_by_asc(mandate::Column::CreatedAt)
        .all(&db.conn)
        .await
        .unwrap()
}

async fn account_id(db: &TestDb, name: &str) -> Uuid {
    tongban_store::entities::account::Entity::find()
        .filter(tongban_store::entities::account::Column::DisplayName.eq(name))
        .one(&db.conn)
        .await
        .unwrap()
        .expect("demo account")
        .id
}

async fn audit(db: &TestDb, action: &str) -> Vec<audit_entry::Model> {
    audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq(action))
        .order_by_asc(audit_entry::Column::Seq)
        .all(&db.conn)
        .await
        .unwrap()
}

async fn templates_for(db: &TestDb, account: Uuid) -> Vec<String> {
    notification::Entity::find()
        .filter(notification::Column::AccountId.eq(account))
        .filter(notification::Column::Channel.eq("inbox"))
        .all(&db.conn)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.template)
        .collect()
}

#[tokio::test]
async fn an_agent_switches_to_the_enterprise_and_what_they_do_names_it() {
    for db in TestDb::all("web agency switch").await {
        let app = demo_app(&db).await;
        let company = demo_enterprise(&db).await;
        let mut agent = signed_in(app.clone(), AGENT).await;

        let account = agent.get("/account").await.text();
        assert!(
            account.contains(ENTERPRISE_NAME),
            "the profile lists whom I act for"
        );
        assert!(account.contains("href=\"/account/acting\""));

        let page = agent.get("/account/acting").await;
        assert_eq!(page.status, StatusCode::OK);
        let html = page.text();
        assert!(html.contains(ENTERPRISE_NAME));
        assert!(
            html.contains("91************0012"),
            "credit code masked: {html}"
        );
        assert!(!html.contains(ENTERPRISE_CODE));
        assert!(html.contains("Submit applications") && html.contains("Pay fees"));
        assert!(
            !html.contains("class=\"acting-banner\""),
            "no banner before switching"
        );

        let before = agent.cookie("tb_session").unwrap();
        let switched = agent
            .submit(
                "/account/acting",
                "/account/acting",
                &[("principal", &format!("enterprise:{}", company.id))],
            )
            .await;
        assert_eq!(
            switched.status,
            StatusCode::SEE_OTHER,
            "{}",
            switched.text()
        );
        let after = agent.cookie("tb_session").unwrap();
        assert_ne!(before, after, "switching rotates the session token");

        // The old token no longer signs anyone in.
        let stale = get_with(
            &app,
            "/account",
            &[("cookie", &format!("tb_session={before}"))],
        )
        .await;
        assert_eq!(stale.status, StatusCode::SEE_OTHER);

        // The banner is on every page, with a way back.
        for path in ["/", "/account", "/account/acting"] {
            let html = agent.get(path).await.text();
            assert!(
                html.contains(&format!("You are acting for {ENTERPRISE_NAME}")),
                "{path}"
            );
            assert!(html.contains("action=\"/account/acting/self\""), "{path}");
        }

        let switches = audit(&db, "agency.switch").await;
        let last = switches.last().expect("the switch is audited");
        assert_eq!(last.outcome, "success");
        assert_eq!(last.on_behalf_of, Some(company.id));
        assert_eq!(
            last.actor_id,
            Some(account_id(&db, "阿依古丽·买买提").await)
        );

        // What the agent does while acting is recorded for the enterprise (the data download
        // is one such action today).
        let download = agent.get("/account/data").await;
        assert_eq!(download.status, StatusCode::OK);
        let entry = audit(&db, "identity.data-download").await.pop().unwrap();
        assert_eq!(entry.on_behalf_of, Some(company.id));
        // Management is refused while acting: no sub-delegation through a switch.
        let agents = agent.get("/account/agents").await.text();
        assert!(agents.contains("Switch back to yourself before managing"));
        assert!(!agents.contains("action=\"/account/agents\""));

        let back = agent
            .submit("/account/acting", "/account/acting/self", &[])
            .await;
        assert_eq!(back.status, StatusCode::SEE_OTHER);
        let html = agent.get("/").await.text();
        assert!(!html.contains("class=\"acting-banner\""));
        let last = audit(&db, "agency.switch").await.pop().unwrap();
        assert_eq!(last.on_behalf_of, None, "back to acting for oneself");
    }
}

#[tokio::test]
async fn nobody_acts_for_a_principal_without_a_live_mandate() {
    for db in TestDb::all("web agency no mandate").await {
        let app = demo_app(&db).await;
        let company = demo_enterprise(&db).await;
        let elder = account_id(&db, "王𠀀").await;
        let legal_rep = account_id(&db, "李四").await;
        let company_mandate = mandates_of(&db, company.id).await.remove(0);
        let elder_mandate = mandates_of(&db, elder).await.remove(0);

        // 张三 acts for 王𠀀 but holds nothing from the enterprise or from 李四.
        let mut relative = signed_in(app.clone(), RELATIVE).await;
        for principal in [
            format!("enterprise:{}", company.id),
            format!("person:{legal_rep}"),
            format!("person:{}", company.id),
            format!("enterprise:{}", company_mandate.id),
            format!("person:{}", elder_mandate.id),
            format!("enterprise:{elder}"),
            "enterprise:not-an-id".to_owned(),
            String::new(),
        ] {
            let reply = relative
                .submit(
                    "/account/acting",
                    "/account/acting",
                    &[("principal", &principal)],
                )
                .await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{principal}");
            assert!(
                reply.text().contains("no valid authorisation"),
                "{principal}"
            );
        }
        let html = relative.get("/").await.text();
        assert!(!html.contains("class=\"acting-banner\""));
        let denied = audit(&db, "agency.switch").await;
        assert!(denied.len() >= 8 && denied.iter().all(|e| e.outcome == "denied"));

        // The live mandate works …
        let ok = relative
            .submit(
                "/account/acting",
                "/account/acting",
                &[("principal", &format!("person:{elder}"))],
            )
            .await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER);
        assert!(
            relative
                .get("/")
                .await
                .text()
                .contains("You are acting for 王𠀀")
        );
        relative
            .submit("/account/acting", "/account/acting/self", &[])
            .await;

        // … until it expires: an expired mandate neither switches nor keeps a switch.
        relative
            .submit(
                "/account/acting",
                "/account/acting",
                &[("principal", &format!("person:{elder}"))],
            )
            .await;
        mandate::Entity::update_many()
            .col_expr(
                mandate::Column::ExpiresAt,
                tongban_store::sea_orm::sea_query::Expr::value(
                    clock().0 - chrono::Duration::minutes(1),
                ),
            )
            .filter(mandate::Column::Id.eq(elder_mandate.id))
            .exec(&db.conn)
            .await
            .unwrap();
        let html = relative.get("/account/acting").await.text();
        assert!(
            !html.contains("class=\"acting-banner\""),
            "an expired mandate ends the switch"
        );
        assert!(html.contains("Nobody has authorised you"));
        let reply = relative
            .submit(
                "/account/acting",
                "/account/acting",
                &[("principal", &format!("person:{elder}"))],
            )
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "expired");

        // A revoked mandate likewise: the agent of the enterprise loses it at once.
        let mut agent = signed_in(app.clone(), AGENT).await;
        agent
            .submit(
                "/account/acting",
                "/account/acting",
                &[("principal", &format!("enterprise:{}", company.id))],
            )
            .await;
        assert!(
            agent
                .get("/")
                .await
                .text()
                .contains("class=\"acting-banner\"")
        );
        let mut rep = signed_in(app.clone(), LEGAL_REP).await;
        let revoked = rep
            .submit(
                "/account/agents",
                "/account/agents/revoke",
                &[
                    ("principal", &format!("enterprise:{}", company.id)),
                    ("mandate", &company_mandate.id.to_string()),
                ],
            )
            .await;
        assert_eq!(revoked.status, StatusCode::SEE_OTHER, "{}", revoked.text());
        let html = agent.get("/").await.text();
        assert!(
            !html.contains("class=\"acting-banner\""),
            "revocation ends the switch"
        );
        let reply = agent
            .submit(
                "/account/acting",
                "/account/acting",
                &[("principal", &format!("enterprise:{}", company.id))],
            )
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "revoked");
        let agent_id = account_id(&db, "阿依古丽·买买提").await;
        assert!(
            templates_for(&db, agent_id)
                .await
                .contains(&"mandate-revoked".to_owned())
        );
        let revoke = audit(&db, "agency.mandate-revoke").await.pop().unwrap();
        assert_eq!(revoke.outcome, "success");
        assert_eq!(revoke.on_behalf_of, Some(company.id));
        assert_eq!(revoke.actor_id, Some(legal_rep));
    }
}

#[tokio::test]
async fn nobody_revokes_or_grants_for_someone_else_by_posting_ids() {
    for db in TestDb::all("web agency foreign ids").await {
        let app = demo_app(&db).await;
        let company = demo_enterprise(&db).await;
        let elder = account_id(&db, "王𠀀").await;
        let company_mandate = mandates_of(&db, company.id).await.remove(0);
        let elder_mandate = mandates_of(&db, elder).await.remove(0);

        // The agent of the enterprise tries to revoke and to grant for it (no sub-delegation),
        // and 张三 tries with the ids of mandates that are not his to manage.
        let mut agent = signed_in(app.clone(), AGENT).await;
        let mut relative = signed_in(app.clone(), RELATIVE).await;
        let relative_id = account_id(&db, "张三").await;
        for (as_agent, principal, mandate_id) in [
            (
                true,
                format!("enterprise:{}", company.id),
                company_mandate.id,
            ),
            (
                false,
                format!("enterprise:{}", company.id),
                company_mandate.id,
            ),
            (false, format!("person:{elder}"), elder_mandate.id),
            (false, format!("person:{relative_id}"), elder_mandate.id),
            (false, format!("person:{relative_id}"), company_mandate.id),
        ] {
            let browser = if as_agent { &mut agent } else { &mut relative };
            let reply = browser
                .submit(
                    "/account/agents",
                    "/account/agents/revoke",
                    &[
                        ("principal", &principal),
                        ("mandate", &mandate_id.to_string()),
                    ],
                )
                .await;
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{principal} {mandate_id}"
            );
            assert!(reply.text().contains("not yours to manage"));
        }
        let grant = agent
            .submit(
                "/account/agents",
                "/account/agents",
                &[
                    ("principal", &format!("enterprise:{}", company.id)),
                    ("mobile", RELATIVE),
                    ("agent_name", "张三"),
                    ("scope_apply", "yes"),
                    ("expires", "2027-06-30"),
                ],
            )
            .await;
        assert_eq!(
            grant.status,
            StatusCode::FORBIDDEN,
            "an agent cannot grant further"
        );
        for m in [company_mandate.id, elder_mandate.id] {
            let row = mandate::Entity::find_by_id(m)
                .one(&db.conn)
                .await
                .unwrap()
                .unwrap();
            assert!(row.revoked_at.is_none(), "still live");
        }
        assert!(
            audit(&db, "agency.mandate-revoke")
                .await
                .iter()
                .all(|e| e.outcome == "denied")
        );
        assert_eq!(
            audit(&db, "agency.mandate-grant")
                .await
                .pop()
                .unwrap()
                .outcome,
            "denied"
        );

        // The agents page shows each person only their own principals' mandates.
        let html = relative.get("/account/agents").await.text();
        assert!(!html.contains(ENTERPRISE_NAME));
        assert!(!html.contains(&company_mandate.id.to_string()));
    }
}

#[tokio::test]
async fn a_legal_representative_authorises_an_agent_with_scopes_and_expiry() {
    for db in TestDb::all("web agency grant").await {
        let app = demo_app(&db).await;
        let company = demo_enterprise(&db).await;
        let principal = format!("enterprise:{}", company.id);
        let mut rep = signed_in(app.clone(), LEGAL_REP).await;
        let page = rep.get("/account/agents").await;
        assert_eq!(page.status, StatusCode::OK);
        let html = page.text();
        assert!(html.contains(ENTERPRISE_NAME) && html.contains("阿依古丽·买买提"));
        assert!(html.contains("138****0002"), "agent's mobile masked");
        assert!(!html.contains(AGENT));
        assert!(
            html.contains("<label for=\"p1-mobile\">"),
            "every field labelled"
        );

        let grant =
            |mobile: &'static str, name: &'static str, expires: &'static str, scopes: bool| {
                let mut form = vec![
                    ("principal", principal.clone()),
                    ("mobile", mobile.to_owned()),
                    ("agent_name", name.to_owned()),
                    ("expires", expires.to_owned()),
                ];
                if scopes {
                    form.push(("scope_view", "yes".to_owned()));
                    form.push(("scope_pay", "yes".to_owned()));
                }
                form
            };
        let cases = [
            (
                grant(RELATIVE, "李四", "2027-06-30", true),
                "No personal account has this mobile number and name",
            ),
            (
                grant("13800009999", "张三", "2027-06-30", true),
                "No personal account has this mobile number and name",
            ),
            (
                grant(RELATIVE, "张三", "2027-06-30", false),
                "Choose at least one thing",
            ),
            (
                grant(RELATIVE, "张三", "2026-11-25", true),
                "cannot be before today",
            ),
            (
                grant(RELATIVE, "张三", "2029-11-27", true),
                "at most 3 years",
            ),
            (grant(RELATIVE, "张三", "next week", true), "year-month-day"),
            (
                grant(AGENT, "阿依古丽·买买提", "2027-06-30", true),
                "already holds a valid authorisation",
            ),
        ];
        for (form, message) in cases {
            let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let reply = rep
                .submit("/account/agents", "/account/agents", &fields)
                .await;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{message}");
            let html = reply.text();
            assert!(html.contains(message), "{message}: {html}");
            assert!(html.contains("class=\"error-summary\""));
            let start = html.find("class=\"error-summary\"").unwrap();
            let summary = &html[start..start + html[start..].find("</div>").unwrap()];
            let anchor = summary
                .split("href=\"#")
                .nth(1)
                .expect("a link")
                .split('"')
                .next()
                .unwrap();
            assert!(anchor.starts_with("p1-"), "the enterprise's form: {anchor}");
            assert!(
                html.contains(&format!("id=\"{anchor}\"")),
                "the summary links to a field on the page: {anchor}"
            );
        }
        assert_eq!(
            mandates_of(&db, company.id).await.len(),
            1,
            "nothing half-written"
        );

        let form = grant(RELATIVE, "张三", "2027-06-30", true);
        let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let reply = rep
            .submit("/account/agents", "/account/agents", &fields)
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
        let mandates = mandates_of(&db, company.id).await;
        let new = mandates.last().unwrap();
        assert_eq!(new.scopes, serde_json::json!(["view", "pay"]));
        assert_eq!(
            new.expires_at,
            chrono::DateTime::parse_from_rfc3339("2027-06-30T16:00:00Z").unwrap(),
            "the end of the chosen day in Beijing time"
        );
        let relative = account_id(&db, "张三").await;
        assert_eq!(new.agent_account_id, relative);
        assert!(
            templates_for(&db, relative)
                .await
                .contains(&"mandate-granted".to_owned())
        );
        let sms = notification::Entity::find()
            .filter(notification::Column::AccountId.eq(relative))
            .filter(notification::Column::Template.eq("mandate-granted"))
            .filter(notification::Column::Channel.eq("sms"))
            .all(&db.conn)
            .await
            .unwrap();
        assert_eq!(sms.len(), 1, "the agent is told by SMS too");
        let entry = audit(&db, "agency.mandate-grant").await.pop().unwrap();
        assert_eq!(entry.outcome, "success");
        assert_eq!(entry.on_behalf_of, Some(company.id));

        // 张三 now acts for the enterprise too, with the scopes given.
        let mut agent = signed_in(app.clone(), RELATIVE).await;
        let html = agent.get("/account/acting").await.text();
        assert!(html.contains(ENTERPRISE_NAME) && html.contains("Until 2027-06-30"));
        assert!(html.contains("Follow progress and outcomes, Pay fees"));

        // A person authorises a relative for themselves, never themselves.
        let own = format!("person:{}", account_id(&db, "李四").await);
        let reply = rep
            .submit(
                "/account/agents",
                "/account/agents",
                &[
                    ("principal", &own),
                    ("mobile", LEGAL_REP),
                    ("agent_name", "李四"),
                    ("scope_apply", "yes"),
                    ("expires", "2027-06-30"),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(reply.text().contains("You cannot authorise yourself"));
        // Nor for the enterprise: its legal representative acts for it with every scope.
        let reply = rep
            .submit(
                "/account/agents",
                "/account/agents",
                &[
                    ("principal", &principal),
                    ("mobile", LEGAL_REP),
                    ("agent_name", "李四"),
                    ("scope_apply", "yes"),
                    ("expires", "2027-06-30"),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(reply.text().contains("You cannot authorise yourself"));
    }
}

#[tokio::test]
async fn a_person_registers_an_enterprise_and_a_taken_code_is_refused() {
    for db in TestDb::all("web agency enterprises").await {
        let app = demo_app(&db).await;
        let mut person = signed_in(app.clone(), RELATIVE).await;
        let page = person.get("/account/enterprises").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.text()
                .contains("You have not registered an enterprise")
        );

        let code = tongban_domain::identity::CreditCode::with_check_character("91990102MA0XY0002")
            .unwrap();
        let register = |name: &'static str, code: String, rep: &'static str| {
            vec![
                ("name", name.to_owned()),
                ("credit_code", code),
                ("representative", rep.to_owned()),
            ]
        };
        let mut wrong = code.as_str().to_owned();
        wrong.replace_range(17..18, if wrong.ends_with('0') { "1" } else { "0" });
        for (form, field, message) in [
            (
                register("", code.as_str().to_owned(), "张三"),
                "name",
                "Enter the enterprise",
            ),
            (
                register("示范市张记小吃店", wrong, "张三"),
                "credit_code",
                "is not right",
            ),
            (
                register("示范市张记小吃店", code.as_str().to_owned(), "李四"),
                "representative",
                "must be you",
            ),
            (
                register("示范市冒名公司", ENTERPRISE_CODE.to_owned(), "张三"),
                "credit_code",
                "registered already",
            ),
        ] {
            let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let reply = person
                .submit("/account/enterprises", "/account/enterprises", &fields)
                .await;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{message}");
            let html = reply.text();
            assert!(html.contains(message), "{message}");
            assert!(html.contains(&format!("href=\"#{field}\"")), "{field}");
            assert!(
                !html.contains("李四") || field == "representative",
                "no names revealed"
            );
        }
        // The real legal representative hears of the attempt; nobody else learns who it is.
        let legal_rep = account_id(&db, "李四").await;
        assert!(
            templates_for(&db, legal_rep)
                .await
                .contains(&"enterprise-claim".to_owned())
        );
        let company = demo_enterprise(&db).await;
        assert_eq!(
            company.legal_representative_account_id, legal_rep,
            "unchanged"
        );

        let form = register("示范市张记小吃店", code.as_str().to_owned(), "张三");
        let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let reply = person
            .submit("/account/enterprises", "/account/enterprises", &fields)
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
        let html = person
            .get("/account/enterprises?done=registered")
            .await
            .text();
        assert!(html.contains("示范市张记小吃店") && html.contains(&code.masked()));
        assert!(!html.contains(code.as_str()), "the code is masked");
        let entry = audit(&db, "agency.enterprise-register")
            .await
            .pop()
            .unwrap();
        assert_eq!(entry.outcome, "success");
        // The legal representative acts for the new enterprise without a mandate.
        let acting = person.get("/account/acting").await.text();
        assert!(acting.contains("示范市张记小吃店") && acting.contains("Legal representative"));
    }
}

#[tokio::test]
async fn every_agency_form_refuses_a_post_without_its_csrf_token() {
    for db in TestDb::all("web agency csrf").await {
        let app = demo_app(&db).await;
        let company = demo_enterprise(&db).await;
        let company_mandate = mandates_of(&db, company.id).await.remove(0);
        let mut rep = signed_in(app.clone(), LEGAL_REP).await;
        let principal = format!("enterprise:{}", company.id);
        let forms: [(&str, Vec<(&str, String)>); 5] = [
            ("/account/acting", vec![("principal", principal.clone())]),
            ("/account/acting/self", vec![]),
            (
                "/account/enterprises",
                vec![
                    ("name", "示范市某公司".into()),
                    ("credit_code", ENTERPRISE_CODE.into()),
                    ("representative", "李四".into()),
                ],
            ),
            (
                "/account/agents",
                vec![
                    ("principal", principal.clone()),
                    ("mobile", RELATIVE.into()),
                    ("agent_name", "张三".into()),
                    ("scope_apply", "yes".into()),
                    ("expires", "2027-06-30".into()),
                ],
            ),
            (
                "/account/agents/revoke",
                vec![
                    ("principal", principal.clone()),
                    ("mandate", company_mandate.id.to_string()),
                ],
            ),
        ];
        for (uri, form) in forms {
            for token in [None, Some("forged")] {
                let mut fields: Vec<(&str, &str)> =
                    form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                if let Some(token) = token {
                    fields.push(("csrf", token));
                }
                let reply = rep.post(uri, &fields).await;
                assert_eq!(reply.status, StatusCode::FORBIDDEN, "{uri} {token:?}");
            }
        }
        assert_eq!(mandates_of(&db, company.id).await.len(), 1);
        assert!(mandates_of(&db, company.id).await[0].revoked_at.is_none());
        assert!(audit(&db, "agency.switch").await.is_empty());

        // Signed out, the pages send people to sign in.
        for uri in ["/account/acting", "/account/enterprises", "/account/agents"] {
            let reply = get(&app, uri).await;
            assert_eq!(reply.status, StatusCode::SEE_OTHER);
            assert_eq!(
                reply.header("location"),
                Some(format!("/login?next={uri}").as_str())
            );
        }
    }
}

#[tokio::test]
async fn closing_an_account_ends_mandates_both_ways_and_the_download_lists_them() {
    for db in TestDb::all("web agency closure").await {
        let app = demo_app(&db).await;
        let company = demo_enterprise(&db).await;
        let elder = account_id(&db, "王𠀀").await;

        let mut rep = signed_in(app.clone(), LEGAL_REP).await;
        let data = rep.get("/account/data").await;
        let json: serde_json::Value = serde_json::from_slice(&data.body).unwrap();
        assert_eq!(
            json["agency"]["enterprises"][0]["credit_code"],
            ENTERPRISE_CODE
        );
        assert_eq!(
            json["agency"]["mandates_given"].as_array().unwrap().len(),
            1
        );
        let mut relative = signed_in(app.clone(), RELATIVE).await;
        let data = relative.get("/account/data").await;
        let json: serde_json::Value = serde_json::from_slice(&data.body).unwrap();
        assert_eq!(
            json["agency"]["mandates_held"][0]["principal_id"],
            elder.to_string()
        );

        // The older person closes their account: the relative's mandate ends.
        let mut older = signed_in(app.clone(), ELDER).await;
        let closed = older
            .submit(
                "/account/close",
                "/account/close",
                &[("password", DEMO_PASSWORD), ("confirm", "yes")],
            )
            .await;
        assert_eq!(closed.header("location"), Some("/account/closed"));
        assert!(
            mandates_of(&db, elder)
                .await
                .iter()
                .all(|m| m.revoked_at.is_some())
        );
        let html = relative.get("/account/acting").await.text();
        assert!(html.contains("Nobody has authorised you"));

        // The legal representative closes theirs: the enterprise's mandates end and it is
        // closed, so its agent can no longer act for it.
        let closed = rep
            .submit(
                "/account/close",
                "/account/close",
                &[("password", DEMO_PASSWORD), ("confirm", "yes")],
            )
            .await;
        assert_eq!(closed.header("location"), Some("/account/closed"));
        assert!(
            mandates_of(&db, company.id)
                .await
                .iter()
                .all(|m| m.revoked_at.is_some())
        );
        assert_eq!(demo_enterprise(&db).await.status, "closed");
        let entry = audit(&db, "identity.close").await.pop().unwrap();
        assert_eq!(entry.detail["mandates_revoked"], 1);
        assert_eq!(entry.detail["enterprises_closed"], 1);
        let mut agent = signed_in(app.clone(), AGENT).await;
        let reply = agent
            .submit(
                "/account/acting",
                "/account/acting",
                &[("principal", &format!("enterprise:{}", company.id))],
            )
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);

        // Someone else may now register the closed enterprise as its new representative.
        let reply = relative
            .submit(
                "/account/enterprises",
                "/account/enterprises",
                &[
                    ("name", ENTERPRISE_NAME),
                    ("credit_code", ENTERPRISE_CODE),
                    ("representative", "张三"),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
        let reopened = demo_enterprise(&db).await;
        assert_eq!(reopened.status, "active");
        assert_eq!(
            reopened.legal_representative_account_id,
            account_id(&db, "张三").await
        );
    }
}

#[tokio::test]
async fn agency_pages_speak_every_language() {
    for db in TestDb::all("web agency locales").await {
        let app = demo_app(&db).await;
        let mut agent = signed_in(app.clone(), AGENT).await;
        for (lang, words) in [
            ("zh-CN", "我代办的人和企业"),
            ("ug", "مەن ۋاكالىتەن ئىش بېجىرىدىغان"),
            ("bo", "ངས་ཚབ་སྒྲུབ་བྱེད་པའི་མི་དང་ཁེ་ལས"),
        ] {
            let html = agent
                .get(&format!("/account/acting?lang={lang}"))
                .await
                .text();
            assert!(html.contains(words), "{lang}");
        }
    }
}
