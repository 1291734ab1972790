//! The catalogue at a province's scale: 5,000 generated services imported into the demo region,
//! then searched over HTTP with a thousand and more distinct queries (results with snippets),
//! a service published through the administration page and timed until the portal and search
//! show it, start-up with the index already on disk, and resident memory.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use tongban_domain::Locale;
use tongban_domain::LocalizedText;
use tongban_domain::catalog::{
    Audience, CatalogDocument, Channel, Department, LifeEvent, Material, MaterialForm, Service,
    ServiceKind,
};
use tongban_domain::clock::SystemClock;

use super::{Connection, Server, free_port, load, rss_report, wait_ready};

/// Things people apply for, in Chinese and English.
const SUBJECTS: [(&str, &str); 50] = [
    ("小型餐饮", "small catering"),
    ("网约车", "ride-hailing vehicle"),
    ("民办学校", "private school"),
    ("养老机构", "elderly care home"),
    ("危险化学品", "hazardous chemicals"),
    ("出版物零售", "publication retail"),
    ("医疗器械", "medical device"),
    ("农药经营", "pesticide trading"),
    ("种子生产", "seed production"),
    ("兽药经营", "veterinary drug trading"),
    ("建筑业企业资质", "construction company qualification"),
    ("道路货物运输", "road freight transport"),
    ("旅行社", "travel agency"),
    ("娱乐场所", "entertainment venue"),
    ("互联网上网服务", "internet cafe"),
    ("电影放映", "film screening"),
    ("公共场所卫生", "public place hygiene"),
    ("生活饮用水", "drinking water supply"),
    ("城市排水", "urban drainage"),
    ("户外广告", "outdoor advertising"),
    ("临时占道", "temporary road occupation"),
    ("房屋租赁", "housing lease"),
    ("物业服务", "property management"),
    ("殡葬服务", "funeral service"),
    ("社会团体", "social organisation"),
    ("民办非企业单位", "private non-enterprise unit"),
    ("志愿服务组织", "volunteer organisation"),
    ("退役军人优待", "veterans preferential treatment"),
    ("职业资格", "professional qualification"),
    ("外国人工作", "foreigner work permit"),
    ("机动车检验", "vehicle inspection"),
    ("水路运输", "waterway transport"),
    ("港口经营", "port operation"),
    ("测绘资质", "surveying qualification"),
    ("林木采伐", "tree felling"),
    ("野生动物驯养", "wild animal breeding"),
    ("取水", "water abstraction"),
    ("河道采砂", "river sand mining"),
    ("节能审查", "energy saving review"),
    ("特种设备", "special equipment"),
    ("食品生产", "food production"),
    ("化妆品生产", "cosmetics production"),
    ("药品零售", "pharmacy retail"),
    ("中医诊所", "traditional medicine clinic"),
    ("护士执业", "nurse practice"),
    ("放射诊疗", "radiological diagnosis"),
    ("教师资格", "teacher qualification"),
    ("校外培训", "after-school tutoring"),
    ("高危体育项目", "high-risk sports"),
    ("文物保护", "cultural relic protection"),
];

/// What people do with them.
const ACTIONS: [(&str, &str); 10] = [
    ("许可申请", "licence application"),
    ("许可变更", "licence change"),
    ("许可延续", "licence renewal"),
    ("许可注销", "licence cancellation"),
    ("证书补办", "certificate replacement"),
    ("备案", "filing"),
    ("信息查询", "record enquiry"),
    ("资格认定", "qualification recognition"),
    ("登记", "registration"),
    ("年度报告", "annual report"),
];

/// Who applies, making each name distinct.
const VARIANTS: [(&str, &str); 10] = [
    ("", ""),
    ("（个人）", " (individuals)"),
    ("（企业）", " (enterprises)"),
    ("（首次）", " (first time)"),
    ("（跨区域）", " (cross-region)"),
    ("（告知承诺）", " (notification and commitment)"),
    ("（简易程序）", " (simplified procedure)"),
    ("（分支机构）", " (branches)"),
    ("（临时）", " (temporary)"),
    ("（港澳台）", " (Hong Kong, Macao and Taiwan)"),
];

const MATERIALS: [&str; 12] = [
    "居民身份证",
    "营业执照",
    "申请表",
    "场所使用证明",
    "法定代表人身份证明",
    "授权委托书",
    "从业人员健康证明",
    "资质证书",
    "平面布局图",
    "消防安全检查意见",
    "管理制度文本",
    "承诺书",
];

/// Departments of the generated services, each with 500 of them.
const DEPARTMENTS: [(&str, &str, &str, &str); 10] = [
    (
        "XJT",
        "bench-transport",
        "示范市交通运输局",
        "Transport Bureau",
    ),
    (
        "XZJ",
        "bench-housing",
        "示范市住房和城乡建设局",
        "Housing and Construction Bureau",
    ),
    (
        "XWL",
        "bench-culture",
        "示范市文化和旅游局",
        "Culture and Tourism Bureau",
    ),
    (
        "XNY",
        "bench-agriculture",
        "示范市农业农村局",
        "Agriculture Bureau",
    ),
    (
        "XZR",
        "bench-resources",
        "示范市自然资源局",
        "Natural Resources Bureau",
    ),
    (
        "XHB",
        "bench-environment",
        "示范市生态环境局",
        "Ecology and Environment Bureau",
    ),
    ("XSL", "bench-water", "示范市水务局", "Water Bureau"),
    (
        "XYJ",
        "bench-emergency",
        "示范市应急管理局",
        "Emergency Management Bureau",
    ),
    ("XSF", "bench-justice", "示范市司法局", "Justice Bureau"),
    ("XTY", "bench-sports", "示范市体育局", "Sports Bureau"),
];

fn text(zh: String, en: String) -> LocalizedText {
    LocalizedText::new(zh).with(Locale::En, en)
}

/// The demo region plus `count` generated services (at most 5,000).
pub fn generated_catalogue(count: usize) -> anyhow::Result<CatalogDocument> {
    let mut doc = tongban_services::catalog::demo_document()?;
    let hall = doc
        .halls
        .first()
        .map(|h| h.code.clone())
        .context("the demo region has a hall")?;
    for (code, slug, zh, en) in DEPARTMENTS {
        doc.departments.push(Department {
            code: code.to_owned(),
            slug: slug.to_owned(),
            name: text(zh.to_owned(), format!("Demo City {en}")),
            description: LocalizedText::default(),
            contact: Default::default(),
            halls: vec![hall.clone()],
        });
    }
    let count = count.min(SUBJECTS.len() * ACTIONS.len() * VARIANTS.len());
    for i in 0..count {
        let (department, ..) = DEPARTMENTS[i % DEPARTMENTS.len()];
        let (subject, subject_en) = SUBJECTS[i % SUBJECTS.len()];
        let (action, action_en) = ACTIONS[(i / SUBJECTS.len()) % ACTIONS.len()];
        let (variant, variant_en) = VARIANTS[i / (SUBJECTS.len() * ACTIONS.len())];
        let name = format!("{subject}{action}{variant}");
        let name_en = format!("{subject_en} {action_en}{variant_en}");
        let sequence = i / DEPARTMENTS.len() + 1;
        let materials = (0..3)
            .map(|k| {
                let material = MATERIALS[(i + k * 5) % MATERIALS.len()];
                Material {
                    name: LocalizedText::new(material),
                    description: LocalizedText::new(format!("办理{name}时提交的{material}。")),
                    form: MaterialForm::Upload,
                    mandatory: k == 0,
                    copies: 0,
                    certificate_type: None,
                    fetch: None,
                }
            })
            .collect();
        doc.services.push(Service {
            code: format!("{department}{sequence:04}"),
            department: department.to_owned(),
            kind: ServiceKind::AdministrativePermit,
            name: text(name.clone(), name_en.clone()),
            summary: text(
                format!("申请人办理{name}，经审查符合条件的，准予办理并出具结果。"),
                format!("Apply for the {name_en}; when the conditions are met it is granted."),
            ),
            audiences: if i % 3 == 0 {
                vec![Audience::Individual]
            } else {
                vec![Audience::Enterprise]
            },
            life_events: vec![LifeEvent::ALL[i % LifeEvent::ALL.len()]],
            channels: if i % 4 == 0 {
                vec![Channel::Hall]
            } else {
                vec![Channel::Online, Channel::Hall]
            },
            visits: (i % 2) as u8,
            committed_days: 5,
            statutory_days: 20,
            conditions: vec![LocalizedText::new(format!(
                "从事{subject}相关活动，具备相应场所、人员和管理制度。"
            ))],
            materials,
            process: vec![
                LocalizedText::new("网上或窗口提交申请"),
                LocalizedText::new("受理审查"),
                LocalizedText::new("作出决定并送达"),
            ],
            fees: vec![],
            legal_basis: vec![LocalizedText::new(format!(
                "《示范市{subject}管理办法》（演示）"
            ))],
            result: LocalizedText::new(format!("{subject}{action}决定书")),
            halls: vec![],
            faq: vec![],
            contact: Default::default(),
            issues: None,
            shared: false,
            form: None,
            workflow: None,
        });
    }
    Ok(doc)
}

/// At least `count` distinct queries people might type against the generated catalogue:
/// subjects, subjects with actions, materials, English words, English with typos, and pairs.
pub fn queries(count: usize) -> Vec<(String, Locale)> {
    let mut out: Vec<(String, Locale)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut push = |q: String, locale: Locale, out: &mut Vec<(String, Locale)>| {
        if seen.insert((q.clone(), locale)) {
            out.push((q, locale));
        }
    };
    for (subject, subject_en) in SUBJECTS {
        push(subject.to_owned(), Locale::ZhCn, &mut out);
        push(subject_en.to_owned(), Locale::En, &mut out);
        // A typo in the longest word: one letter dropped.
        let typo: String = subject_en
            .char_indices()
            .filter(|(i, _)| *i != subject_en.len() / 2)
            .map(|(_, c)| c)
            .collect();
        push(typo, Locale::En, &mut out);
        for (action, action_en) in ACTIONS {
            push(format!("{subject}{action}"), Locale::ZhCn, &mut out);
            push(format!("{subject} {action}"), Locale::ZhCn, &mut out);
            push(format!("{subject_en} {action_en}"), Locale::En, &mut out);
        }
    }
    for material in MATERIALS {
        push(material.to_owned(), Locale::ZhCn, &mut out);
    }
    for (a, b) in SUBJECTS.iter().zip(SUBJECTS.iter().skip(7)) {
        push(format!("{} {}", a.0, b.0), Locale::ZhCn, &mut out);
    }
    out.truncate(count.max(1));
    out
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Runs the search benchmark; prints its figures.
#[allow(clippy::too_many_arguments)]
pub fn run(
    exe: &Path,
    runtime: &tokio::runtime::Runtime,
    services: usize,
    query_count: usize,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<()> {
    let data = tempfile::tempdir().context("temporary data directory")?;
    // Kept for inspection when asked (e.g. to look at the server's memory by hand).
    let data = match std::env::var_os("TONGBAN_BENCH_KEEP_DATA") {
        Some(dir) => {
            std::fs::create_dir_all(&dir)?;
            tempfile::Builder::new()
                .disable_cleanup(true)
                .tempdir_in(dir)?
        }
        None => data,
    };
    let addr = free_port()?;
    let mut server = Server::start(exe, data.path(), addr)?;
    runtime.block_on(wait_ready(addr, Duration::from_secs(60)))?;
    server.stop();

    let doc = generated_catalogue(services)?;
    let yaml = serde_norway::to_string(&doc)?;
    let imported = Instant::now();
    let report = runtime.block_on(async {
        let db = tongban_store::connect(&tongban_store::sqlite_url_for(data.path())).await?;
        let request = tongban_services::catalog_io::ImportRequest {
            department: None,
            dry_run: false,
            change_note: "bench: generated catalogue".to_owned(),
            effective_from: None,
            audit: None,
        };
        let report =
            tongban_services::catalog_io::import(&db, &yaml, &request, &SystemClock).await?;
        db.close().await?;
        anyhow::Ok(report)
    })?;
    println!(
        "catalogue: {} services ({} generated, {:.1} MB of YAML) imported in {:.1} s",
        doc.services.len(),
        report.services_created.len(),
        yaml.len() as f64 / 1e6,
        imported.elapsed().as_secs_f64()
    );

    let first = Instant::now();
    let server = Server::start(exe, data.path(), addr)?;
    runtime.block_on(wait_ready(addr, Duration::from_secs(300)))?;
    let first = first.elapsed();
    drop(server);
    let warm = Instant::now();
    let server = Server::start(exe, data.path(), addr)?;
    runtime.block_on(wait_ready(addr, Duration::from_secs(60)))?;
    let warm = warm.elapsed();
    println!(
        "start-up to first served page with {} services: {:.0} ms with the index on disk (the start after the import, which built the index: {:.0} ms)",
        doc.services.len(),
        warm.as_secs_f64() * 1e3,
        first.as_secs_f64() * 1e3
    );
    println!(
        "idle resident memory with {} services and their index: {}",
        doc.services.len(),
        rss_report(server.pid())
    );

    let queries = queries(query_count);
    let paths: Vec<String> = queries
        .iter()
        .map(|(q, locale)| format!("/search?q={}&lang={}", urlencode(q), locale.tag()))
        .collect();
    let hits = runtime.block_on(count_hits(addr, &paths))?;
    let result = runtime.block_on(load(addr, &paths, connections, duration, None))?;
    println!(
        "search: {:.0} queries/s over {} distinct queries ({} with results, snippets highlighted), {} connections, {} requests, {} errors; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        result.requests as f64 / result.elapsed.as_secs_f64(),
        paths.len(),
        hits,
        connections,
        result.requests,
        result.errors,
        result.percentile(0.50),
        result.percentile(0.99),
        result.percentile(1.0),
    );

    let publish = runtime.block_on(publish_and_wait(exe, data.path(), addr))?;
    println!(
        "publishing: a department administrator's import of a changed service answered in {:.0} ms; the portal and search showed it {:.0} ms after the upload began",
        publish.0.as_secs_f64() * 1e3,
        publish.1.as_secs_f64() * 1e3
    );
    println!(
        "resident memory after the search load and the publication: {}",
        rss_report(server.pid())
    );
    drop(server);
    Ok(())
}

/// How many of the queries find something (a result list is on the page).
async fn count_hits(addr: SocketAddr, paths: &[String]) -> anyhow::Result<usize> {
    let mut conn = Connection::open(addr).await?;
    let mut hits = 0;
    for path in paths {
        let answer = conn.send("GET", path, &[], Bytes::new()).await?;
        if answer.status != 200 {
            bail!("{path} answered {}", answer.status);
        }
        if String::from_utf8_lossy(&answer.body).contains("<mark>") {
            hits += 1;
        }
    }
    Ok(hits)
}

/// The CSRF token of a page's form.
fn csrf_of(html: &str) -> anyhow::Result<String> {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).context("the page has no CSRF field")? + marker.len();
    let end = start + html[start..].find('"').context("unterminated CSRF field")?;
    Ok(html[start..end].to_owned())
}

/// Signs in as the market-regulation department administrator (password, then the demo
/// authenticator's code from `tongban demo totp`), uploads its department's file with a new
/// word in one service, and polls the guide and search until both show it. Returns the time
/// the import took to answer and the time until both pages showed the change.
async fn publish_and_wait(
    exe: &Path,
    data_dir: &Path,
    addr: SocketAddr,
) -> anyhow::Result<(Duration, Duration)> {
    let mut conn = Connection::open(addr).await?;
    let mut cookie = super::sign_in_on(&mut conn, "sj.admin").await?;
    let code = std::process::Command::new(exe)
        .args(["demo", "totp", "sj.admin", "--data-dir"])
        .arg(data_dir)
        .env("TONGBAN_LOG", "error")
        .output()
        .context("tongban demo totp")?;
    let code = String::from_utf8_lossy(&code.stdout).trim().to_owned();
    let page = conn
        .send(
            "GET",
            "/login/second-factor",
            &[("cookie", &cookie)],
            Bytes::new(),
        )
        .await?;
    let csrf = csrf_of(&String::from_utf8_lossy(&page.body))?;
    let answer = conn
        .send(
            "POST",
            "/login/second-factor",
            &[
                ("cookie", &cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            Bytes::from(format!("code={code}&csrf={csrf}")),
        )
        .await?;
    if answer.status != 303 {
        bail!("the second factor answered {}", answer.status);
    }
    if let Some(rotated) = answer
        .set_cookies
        .into_iter()
        .find(|c| c.starts_with("tb_session="))
    {
        cookie = rotated;
    }
    let export = conn
        .send(
            "GET",
            "/admin/catalog/export",
            &[("cookie", &cookie)],
            Bytes::new(),
        )
        .await?;
    if export.status != 200 {
        bail!("the export answered {}", export.status);
    }
    let mut doc: CatalogDocument = serde_norway::from_str(&String::from_utf8_lossy(&export.body))?;
    let marker = "基准发布标记";
    let service = doc.services.first_mut().context("SJ has services")?;
    let code_changed = service.code.clone();
    service.summary = LocalizedText::new(format!("{}{marker}", service.summary.get(Locale::ZhCn)));
    let yaml = serde_norway::to_string(&doc)?;
    let transfer = conn
        .send(
            "GET",
            "/admin/catalog/transfer",
            &[("cookie", &cookie)],
            Bytes::new(),
        )
        .await?;
    let csrf = csrf_of(&String::from_utf8_lossy(&transfer.body))?;
    let boundary = "tongban-bench";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nbench publish\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"sj.yaml\"\r\nContent-Type: application/yaml\r\n\r\n{yaml}\r\n--{boundary}--\r\n"
    );
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let started = Instant::now();
    let answer = conn
        .send(
            "POST",
            "/admin/catalog/import",
            &[("cookie", &cookie), ("content-type", &content_type)],
            Bytes::from(body),
        )
        .await?;
    let answered = started.elapsed();
    if answer.status != 200 {
        bail!("the import answered {}", answer.status);
    }
    let guide = format!("/services/{code_changed}");
    let search = format!("/search?q={}", urlencode(marker));
    let mut reader = Connection::open(addr).await?;
    loop {
        let page = reader.send("GET", &guide, &[], Bytes::new()).await?;
        let found = reader.send("GET", &search, &[], Bytes::new()).await?;
        let on_page = String::from_utf8_lossy(&page.body).contains(marker);
        let in_search = String::from_utf8_lossy(&found.body).contains(&guide);
        if on_page && in_search {
            return Ok((answered, started.elapsed()));
        }
        if started.elapsed() > Duration::from_secs(30) {
            bail!("the change was not visible after 30 s (page {on_page}, search {in_search})");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
