//! The roles × routes table of docs/access.md against the real application: one demo account
//! per role signs in (passing the second factor), requests every route of the table and must
//! get exactly the outcome written there, on SQLite and PostgreSQL. A second region's staff
//! account proves that no id typed into a URL reaches another tenant.

mod common;

use std::collections::HashMap;

use axum::http::StatusCode;
use common::browser::*;
use common::*;
use tongban_services::identity::staff::NewStaff;
use tongban_store::identity::LoginKey;
use tongban_store::testing::TestDb;
use uuid::Uuid;

const TABLE: &str = include_str!("../../../docs/access.md");

/// The demo account that plays each role column of the table.
const PLAYERS: [(&str, &str); 11] = [
    ("person", "13800000001"),
    ("front-desk-clerk", "sj.clerk"),
    ("reviewer", "sj.reviewer"),
    ("approver", "sj.approver"),
    ("hall-staff", "hall.staff"),
    ("content-editor", "sj.editor"),
    ("department-admin", "sj.admin"),
    ("supervisor", "supervisor"),
    ("system-admin", "sysadmin"),
    ("security-admin", "secadmin"),
    ("auditor", "auditor"),
];

/// A second tenant, configured the way any region is: by a catalogue document.
const OTHER_REGION: &str = r#"
schema: tongban/catalog/v1
region:
  code: "990200"
  name: { zh-CN: 邻市, en: Neighbour City }
  timezone: Asia/Shanghai
  contact: { phone: "12345" }
halls: []
departments:
  - code: GA
    slug: police
    name: { zh-CN: 邻市公安局, en: Neighbour City Police }
services: []
"#;

struct Row {
    method: String,
    path: String,
    form: Vec<(String, String)>,
    expected: HashMap<String, String>,
}

/// The table's columns and rows.
fn parse_table() -> (Vec<String>, Vec<Row>) {
    let mut lines = TABLE.lines().filter(|l| l.starts_with("| ")).map(|l| {
        l.trim_matches('|')
            .split('|')
            .map(|cell| cell.trim().to_owned())
            .collect::<Vec<_>>()
    });
    let header = lines.next().expect("the table has a header");
    let columns: Vec<String> = header[1..].to_vec();
    let rows = lines
        .filter(|cells| !cells[0].starts_with("---"))
        .map(|cells| {
            assert_eq!(cells.len(), columns.len() + 1, "row {:?}", cells[0]);
            let mut route = cells[0].splitn(3, ' ');
            let method = route.next().unwrap().to_owned();
            let path = route.next().expect("a path").to_owned();
            let form = route
                .next()
                .map(|body| {
                    body.split('&')
                        .map(|pair| {
                            let (k, v) = pair.split_once('=').expect("field=value");
                            (k.to_owned(), v.to_owned())
                        })
                        .collect()
                })
                .unwrap_or_default();
            let expected = columns
                .iter()
                .cloned()
                .zip(cells[1..].iter().cloned())
                .collect();
            Row {
                method,
                path,
                form,
                expected,
            }
        })
        .collect();
    (columns, rows)
}

fn outcome(reply: &Reply) -> String {
    match reply.status {
        StatusCode::OK => "ok".to_owned(),
        StatusCode::SEE_OTHER | StatusCode::FOUND => {
            if reply
                .header("location")
                .is_some_and(|l| l.starts_with("/login"))
            {
                "login".to_owned()
            } else {
                "ok".to_owned()
            }
        }
        StatusCode::FORBIDDEN => "forbidden".to_owned(),
        StatusCode::NOT_FOUND => "not-found".to_owned(),
        other => format!("status {other}"),
    }
}

/// Fills the placeholders of docs/access.md (`{user}`, `{other-region}`, `{department CODE}`,
/// `{enterprise}`, … and `{new}`) in a route or form value.
fn fill(text: &str, ids: &HashMap<String, Uuid>, fresh: &str) -> String {
    let mut out = text.replace("{new}", fresh);
    for (name, id) in ids {
        out = out.replace(&format!("{{{name}}}"), &id.to_string());
    }
    assert!(!out.contains('{'), "unknown placeholder in {text}");
    out
}

#[tokio::test]
async fn every_role_reaches_exactly_what_docs_access_md_says() {
    let (columns, rows) = parse_table();
    assert_eq!(columns[0], "anonymous");
    assert_eq!(
        columns[1..].to_vec(),
        PLAYERS.map(|(role, _)| role.to_owned()).to_vec(),
        "every role of the table has a demo account playing it"
    );
    assert!(rows.len() >= 15, "the table lost rows");
    for db in TestDb::all("access_table").await {
        let state = demo_state(&db, tongban_web::Mode::Demo).await;
        let doc = tongban_services::catalog::parse_document(OTHER_REGION).expect("valid region");
        tongban_store::catalog::insert_missing(&db.conn, &doc, clock().0)
            .await
            .expect("second region");
        let stranger = state
            .identity
            .create_staff_from_console(
                clock().as_ref(),
                "990200",
                &NewStaff {
                    username: "nb.clerk".into(),
                    name: "邻市职员".into(),
                    department_id: None,
                    roles: vec![tongban_domain::access::Role::Supervisor],
                },
            )
            .await
            .expect("staff of the other region");
        let mut ids: HashMap<String, Uuid> = HashMap::new();
        ids.insert("other-region".into(), stranger.account_id);
        for name in ["sj.clerk", "ga.clerk", "sj.admin", "secadmin"] {
            let account =
                tongban_store::identity::find_by_login(&db.conn, &LoginKey::Username(name.into()))
                    .await
                    .unwrap()
                    .expect("demo staff");
            ids.insert(name.into(), account.id);
        }
        let region = tongban_store::catalog::region_id(&db.conn, DEMO_REGION)
            .await
            .unwrap()
            .expect("demo region");
        for (code, id) in tongban_store::catalog::department_ids(&db.conn, region)
            .await
            .unwrap()
        {
            ids.insert(format!("department {code}"), id);
        }
        // A demo synonym group, and one of the second region that nobody here may reach.
        let demo_group = tongban_store::search_terms::groups_of(&db.conn, region)
            .await
            .unwrap()
            .into_iter()
            .find(|g| g.terms.iter().any(|t| t == "身份证"))
            .expect("the demo synonym group");
        ids.insert("synonym-group".into(), demo_group.id);
        let other_region = tongban_store::catalog::region_id(&db.conn, "990200")
            .await
            .unwrap()
            .expect("second region");
        let other_group = Uuid::now_v7();
        tongban_store::search_terms::insert_group(
            &db.conn,
            other_region,
            other_group,
            &["邻市甲".to_owned(), "邻市乙".to_owned()],
            None,
            clock().0,
        )
        .await
        .expect("a synonym group of the second region");
        ids.insert("other-region-synonym-group".into(), other_group);
        {
            use tongban_store::entities::{enterprise, mandate};
            use tongban_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
            let demo_enterprise = enterprise::Entity::find()
                .filter(enterprise::Column::CreditCode.eq("91990100MA0QH00012"))
                .one(&db.conn)
                .await
                .unwrap()
                .expect("the demo enterprise");
            ids.insert("enterprise".into(), demo_enterprise.id);
            let agent_mandate = mandate::Entity::find()
                .filter(mandate::Column::PrincipalId.eq(demo_enterprise.id))
                .one(&db.conn)
                .await
                .unwrap()
                .expect("the demo enterprise's agent");
            ids.insert("mandate of the enterprise".into(), agent_mandate.id);
            let index = tongban_services::crypto::BlindIndex::derive(&SECRET);
            let elder = tongban_store::identity::find_by_login(
                &db.conn,
                &LoginKey::PhoneIndex(index.of("mobile", "13800000003")),
            )
            .await
            .unwrap()
            .expect("the older demo person");
            ids.insert("person 13800000003".into(), elder.id);
        }
        state
            .oidc
            .register_client(
                clock().as_ref(),
                tongban_services::oidc::Admin::Console,
                DEMO_REGION,
                &tongban_services::oidc::NewClient {
                    client_id: "gjj-portal".into(),
                    name: "公积金网上业务系统".into(),
                    redirect_uris: vec!["https://gjj.example/callback".into()],
                    department_code: "GJJ".into(),
                    ..Default::default()
                },
                &tongban_services::identity::Origin::default(),
            )
            .await
            .expect("a department system");
        let app = tongban_web::app(state);

        let mut differences = Vec::new();
        let mut checked = 0;
        for (column, who) in std::iter::once(("anonymous", None))
            .chain(PLAYERS.iter().map(|(role, who)| (*role, Some(*who))))
        {
            let mut browser = match who {
                Some(who) => signed_in(app.clone(), who).await,
                None => Browser::new(app.clone()),
            };
            let csrf = match who {
                Some(_) => csrf_of(&browser.get("/account").await.text()),
                None => String::new(),
            };
            for (index, row) in rows.iter().enumerate() {
                let fresh = format!("new.{}.{index}", column.replace('-', ""));
                let path = fill(&row.path, &ids, &fresh);
                let reply = match row.method.as_str() {
                    "GET" => browser.get(&path).await,
                    "POST" => {
                        let mut form: Vec<(String, String)> = row
                            .form
                            .iter()
                            .map(|(k, v)| (k.clone(), fill(v, &ids, &fresh)))
                            .collect();
                        form.push(("csrf".into(), csrf.clone()));
                        let fields: Vec<(&str, &str)> =
                            form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                        browser.post(&path, &fields).await
                    }
                    other => panic!("unsupported method {other}"),
                };
                let actual = outcome(&reply);
                let expected = &row.expected[column];
                checked += 1;
                if &actual != expected {
                    differences.push(format!(
                        "{} {} as {column}: expected {expected}, got {actual}",
                        row.method, row.path
                    ));
                }
            }
        }
        assert!(
            differences.is_empty(),
            "{:?}: {} of {checked} cells differ from docs/access.md:\n{}",
            db.backend,
            differences.len(),
            differences.join("\n")
        );
        println!(
            "{:?}: {checked} role × route cells match docs/access.md",
            db.backend
        );
        db.finish().await;
    }
}
