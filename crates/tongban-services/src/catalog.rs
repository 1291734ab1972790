//! The catalogue use cases: reading catalogue documents (the demo region ships as one),
//! writing them idempotently, and building the in-memory snapshot public pages render from.

use std::collections::HashMap;
use std::fmt;

use tongban_domain::catalog::{
    Audience, CatalogDocument, CatalogProblem, Department, Hall, LifeEvent, Region, Service,
};
use tongban_domain::certificate_types::CertificateType;
use tongban_domain::clock::Clock;
use tongban_store::Connection as DatabaseConnection;
use tongban_store::catalog::{InsertReport, PublishedService};
use uuid::Uuid;

use crate::StoreError;

/// The demo region 示范市, shipped inside the binary so a fresh machine needs no other file.
pub const DEMO_CATALOG_YAML: &str = include_str!("../../../demo/catalog.yaml");

/// Why a catalogue document was not accepted. Each variant says where the problem is.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{}", describe_syntax(.line, .column, .message))]
    Syntax {
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    },
    #[error("the catalogue has {} problem(s):\n{}", .0.len(), list(.0))]
    Invalid(Vec<LocatedProblem>),
    #[error("the region {0} is not in the database")]
    UnknownRegion(String),
    #[error("the region has no department {0}")]
    UnknownDepartment(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn describe_syntax(line: &Option<usize>, column: &Option<usize>, message: &str) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("line {l}, column {c}: {message}"),
        _ => message.to_owned(),
    }
}

/// A problem of a catalogue file, with the line and column where it is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LocatedProblem {
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// A path into the document, e.g. `services[3].department`.
    pub path: String,
    pub message: String,
}

impl LocatedProblem {
    /// Places the problems of a document read from `yaml` at their lines.
    pub fn locate(yaml: &str, problems: Vec<CatalogProblem>) -> Vec<LocatedProblem> {
        let lines = crate::yaml_lines::YamlLines::read(yaml);
        problems
            .into_iter()
            .map(|p| {
                let at = lines.locate(&p.path);
                LocatedProblem {
                    line: at.map(|(line, _)| line),
                    column: at.map(|(_, column)| column),
                    path: p.path,
                    message: p.message,
                }
            })
            .collect()
    }
}

impl fmt::Display for LocatedProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(
                f,
                "line {line}, column {column}: {}: {}",
                self.path, self.message
            ),
            _ => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

fn list(problems: &[LocatedProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Parses and validates a catalogue document written in YAML.
pub fn parse_document(yaml: &str) -> Result<CatalogDocument, CatalogError> {
    let mut doc: CatalogDocument = serde_norway::from_str(yaml).map_err(|e| {
        let location = e.location();
        CatalogError::Syntax {
            line: location.as_ref().map(|l| l.line()),
            column: location.as_ref().map(|l| l.column()),
            message: e.to_string(),
        }
    })?;
    let problems = doc.validate();
    if problems.is_empty() {
        doc.resolve_workflows();
        Ok(doc)
    } else {
        Err(CatalogError::Invalid(LocatedProblem::locate(
            yaml, problems,
        )))
    }
}

/// The demo region's catalogue document.
/// A complete set of answers to the demo's sole-trader registration (SJ0001): what benchmarks
/// and tests file when they need cases whose approval issues the business licence.
pub fn demo_sole_trader_answers() -> tongban_domain::forms::Answers {
    use tongban_domain::forms::{AddressAnswer, Answer};
    let mut answers = tongban_domain::forms::Answers::new();
    for (key, value) in [
        ("age_ok", "yes"),
        ("barred", "no"),
        ("operator_name", "张三"),
        ("trade_name", "示范市张三小吃店"),
        ("business_scope", "小吃服务；预包装食品销售"),
    ] {
        answers.insert(key.to_owned(), Answer::Text(value.to_owned()));
    }
    answers.insert(
        "premises_address".to_owned(),
        Answer::Address(AddressAnswer {
            division: "990102".to_owned(),
            street: "人民路1号".to_owned(),
        }),
    );
    answers
}

pub fn demo_document() -> Result<CatalogDocument, CatalogError> {
    parse_document(DEMO_CATALOG_YAML)
}

/// Loads the demo region into the database through the catalogue import; once the region
/// exists, adds only what is missing, so that a restart never overwrites what administrators
/// changed and a second run changes nothing.
pub async fn seed_demo(
    db: &DatabaseConnection,
    clock: &dyn Clock,
) -> Result<InsertReport, CatalogError> {
    let doc = demo_document()?;
    if tongban_store::catalog::region_id(db, &doc.region.code)
        .await?
        .is_some()
    {
        return Ok(tongban_store::catalog::insert_missing(db, &doc, clock.now()).await?);
    }
    let request = crate::catalog_io::ImportRequest {
        department: None,
        dry_run: false,
        change_note: "demo region".to_owned(),
        effective_from: None,
        audit: None,
    };
    let report = crate::catalog_io::import(db, DEMO_CATALOG_YAML, &request, clock).await?;
    Ok(InsertReport {
        region_created: report.region_created,
        halls_created: report.halls_created.len(),
        departments_created: report.departments_created.len(),
        services_created: report.services_created.len(),
    })
}

/// The region the public portal serves when the configuration names none: the first one created.
pub async fn default_region(db: &DatabaseConnection) -> Result<Option<String>, CatalogError> {
    Ok(tongban_store::catalog::root_region_codes(db)
        .await?
        .into_iter()
        .next())
}

/// A region's published catalogue in memory, indexed for the portal's pages.
pub struct PortalCatalog {
    /// The region's database id (nil for a region not imported yet): the tenant of everything
    /// done through this portal.
    pub region_id: Uuid,
    pub region: Region,
    pub halls: Vec<Hall>,
    pub departments: Vec<Department>,
    /// The newest version of each certificate type the region's departments issue.
    pub certificate_types: Vec<CertificateType>,
    pub services: Vec<PublishedService>,
    department_by_slug: HashMap<String, usize>,
    department_by_code: HashMap<String, usize>,
    service_by_code: HashMap<String, usize>,
    hall_by_code: HashMap<String, usize>,
    department_by_id: HashMap<Uuid, usize>,
    department_ids: HashMap<String, Uuid>,
}

impl fmt::Debug for PortalCatalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PortalCatalog")
            .field("region", &self.region.code)
            .field("departments", &self.departments.len())
            .field("services", &self.services.len())
            .finish()
    }
}

impl PortalCatalog {
    pub fn new(
        region_id: Uuid,
        region: Region,
        halls: Vec<Hall>,
        departments: Vec<Department>,
        department_ids: &HashMap<String, Uuid>,
        certificate_types: Vec<CertificateType>,
        services: Vec<PublishedService>,
    ) -> PortalCatalog {
        let index = |keys: Vec<String>| -> HashMap<String, usize> {
            keys.into_iter().enumerate().map(|(i, k)| (k, i)).collect()
        };
        PortalCatalog {
            department_by_slug: index(departments.iter().map(|d| d.slug.clone()).collect()),
            department_by_code: index(departments.iter().map(|d| d.code.clone()).collect()),
            service_by_code: index(services.iter().map(|s| s.service.code.clone()).collect()),
            hall_by_code: index(halls.iter().map(|h| h.code.clone()).collect()),
            department_by_id: departments
                .iter()
                .enumerate()
                .filter_map(|(i, d)| department_ids.get(&d.code).map(|id| (*id, i)))
                .collect(),
            department_ids: department_ids.clone(),
            region_id,
            region,
            halls,
            departments,
            certificate_types,
            services,
        }
    }

    /// A catalogue with nothing published, for a region not imported yet.
    pub fn empty(region_code: &str) -> PortalCatalog {
        PortalCatalog::new(
            Uuid::nil(),
            Region {
                code: region_code.to_owned(),
                name: tongban_domain::LocalizedText::default(),
                timezone: "Asia/Shanghai".to_owned(),
                tagline: tongban_domain::LocalizedText::default(),
                contact: Default::default(),
                districts: Vec::new(),
                parent: None,
                overrides: Vec::new(),
                tracking_prefix: "TB".to_owned(),
            },
            Vec::new(),
            Vec::new(),
            &HashMap::new(),
            Vec::new(),
            Vec::new(),
        )
    }

    pub fn department_by_slug(&self, slug: &str) -> Option<&Department> {
        self.department_by_slug
            .get(slug)
            .map(|&i| &self.departments[i])
    }

    /// The department with database id `id` (role grants refer to departments by id).
    pub fn department_by_id(&self, id: Uuid) -> Option<&Department> {
        self.department_by_id
            .get(&id)
            .map(|&i| &self.departments[i])
    }

    /// The database id of the department with `code`.
    pub fn department_id(&self, code: &str) -> Option<Uuid> {
        self.department_ids.get(code).copied()
    }

    pub fn department(&self, code: &str) -> Option<&Department> {
        self.department_by_code
            .get(code)
            .map(|&i| &self.departments[i])
    }

    pub fn service(&self, code: &str) -> Option<&PublishedService> {
        self.service_by_code.get(code).map(|&i| &self.services[i])
    }

    /// The certificate type with `key` (what a service issues, what satisfies a material).
    pub fn certificate_type(&self, key: &str) -> Option<&CertificateType> {
        self.certificate_types.iter().find(|c| c.key == key)
    }

    pub fn hall(&self, code: &str) -> Option<&Hall> {
        self.hall_by_code.get(code).map(|&i| &self.halls[i])
    }

    pub fn services_of<'a>(&'a self, department: &'a str) -> impl Iterator<Item = &'a Service> {
        self.services
            .iter()
            .map(|s| &s.service)
            .filter(move |s| s.department == department)
    }

    pub fn services_for_event(&self, event: LifeEvent) -> impl Iterator<Item = &Service> {
        self.services
            .iter()
            .map(|s| &s.service)
            .filter(move |s| s.life_events.contains(&event))
    }

    pub fn services_for_audience(&self, audience: Audience) -> impl Iterator<Item = &Service> {
        self.services
            .iter()
            .map(|s| &s.service)
            .filter(move |s| s.audiences.contains(&audience))
    }

    /// Life events that at least one service belongs to, in their canonical order.
    pub fn life_events(&self) -> Vec<LifeEvent> {
        LifeEvent::ALL
            .into_iter()
            .filter(|e| {
                self.services
                    .iter()
                    .any(|s| s.service.life_events.contains(e))
            })
            .collect()
    }

    /// Where a service is handled: its own halls, else its department's.
    pub fn halls_for(&self, service: &Service) -> Vec<&Hall> {
        let codes = if service.halls.is_empty() {
            self.department(&service.department)
                .map(|d| d.halls.as_slice())
                .unwrap_or_default()
        } else {
            service.halls.as_slice()
        };
        codes.iter().filter_map(|c| self.hall(c)).collect()
    }

    pub fn district_name(&self, code: &str) -> Option<&tongban_domain::LocalizedText> {
        self.region
            .districts
            .iter()
            .find(|d| d.code == code)
            .map(|d| &d.name)
    }
}

/// Builds the portal's snapshot of `region_code` from what is published now.
pub async fn load_portal_catalog(
    db: &DatabaseConnection,
    region_code: &str,
    clock: &dyn Clock,
) -> Result<PortalCatalog, CatalogError> {
    let published = tongban_store::catalog::load_published(db, region_code, clock.now())
        .await?
        .ok_or_else(|| CatalogError::UnknownRegion(region_code.to_owned()))?;
    Ok(PortalCatalog::new(
        published.region_id,
        published.region,
        published.halls,
        published.departments,
        &published.department_ids,
        published.certificate_types,
        published.services,
    ))
}
