//! The service catalogue as data: regions, departments, service halls and services (事项) with
//! their guides (办事指南), plus the checks a catalogue document must pass before it is stored.
//!
//! A catalogue document is what the demo region's YAML file and, later, administrators' imports
//! contain. Nothing about a particular service lives in code.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::workflow::{CheckContext, FormContext, WorkflowChoice, WorkflowDefinition};

use crate::certificate_types::{CertificateType, Fetch, Issuance, check_issuance};
use crate::locale::{Locale, LocalizedText};
use crate::money::Fen;

/// The schema tag a catalogue document must carry.
pub const CATALOG_SCHEMA: &str = "tongban/catalog/v1";

/// A whole region's catalogue, as imported and exported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogDocument {
    pub schema: String,
    pub region: Region,
    #[serde(default)]
    pub halls: Vec<Hall>,
    #[serde(default)]
    pub departments: Vec<Department>,
    /// The e-certificates the region's departments issue, named by key from services'
    /// `issues` and materials' `certificate_type`; see [`crate::certificate_types`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificate_types: Vec<CertificateType>,
    #[serde(default)]
    pub services: Vec<Service>,
    /// Workflows services refer to by key (`workflow: standard`); resolved into each service
    /// on import, see [`CatalogDocument::resolve_workflows`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workflows: Vec<crate::workflow::WorkflowTemplate>,
}

/// A region (行政区划) served by the platform: the tenant every record belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    /// Administrative division code (six digits, GB/T 2260 style).
    pub code: String,
    pub name: LocalizedText,
    #[serde(default = "default_timezone")]
    pub timezone: String,
    /// What the portal says about itself on the home page.
    #[serde(default)]
    pub tagline: LocalizedText,
    pub contact: Contact,
    #[serde(default)]
    pub districts: Vec<District>,
    /// The upper region (e.g. the city of a district), whose shared services this region inherits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Local parts (halls, contacts) of services inherited from the upper region.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<ServiceOverride>,
    /// The letters tracking numbers of the region's cases start with (`SF-20261126-…`).
    #[serde(default = "default_tracking_prefix")]
    pub tracking_prefix: String,
}

fn default_tracking_prefix() -> String {
    "TB".to_owned()
}

/// What a region changes in a service it inherits from its upper region: where it is handled and
/// whom to call. Everything else (conditions, materials, legal basis) stays the upper region's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceOverride {
    /// Code of the inherited service.
    pub service: String,
    /// This region's halls where it is handled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub halls: Vec<String>,
    /// This region's contact for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
}

fn default_timezone() -> String {
    "Asia/Shanghai".to_owned()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct District {
    pub code: String,
    pub name: LocalizedText,
}

/// How to reach a region, department or service by phone, mail and in person.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[serde(default)]
    pub phone: Option<String>,
    /// Where complaints about this service go (often the 12345 hotline).
    #[serde(default)]
    pub complaint_phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub address: LocalizedText,
    #[serde(default)]
    pub hours: LocalizedText,
}

/// A service hall (办事大厅) where people can apply in person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hall {
    pub code: String,
    pub name: LocalizedText,
    /// District code, when the hall belongs to one.
    #[serde(default)]
    pub district: Option<String>,
    pub address: LocalizedText,
    pub hours: LocalizedText,
    #[serde(default)]
    pub phone: Option<String>,
    /// How to get there: bus lines, metro stations, parking.
    #[serde(default)]
    pub directions: LocalizedText,
}

/// A department (部门) of the region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Department {
    /// Short upper-case code, also the prefix of its service codes (e.g. `GA` for police).
    pub code: String,
    pub slug: String,
    pub name: LocalizedText,
    #[serde(default)]
    pub description: LocalizedText,
    #[serde(default)]
    pub contact: Contact,
    /// Codes of the halls where its services are handled.
    #[serde(default)]
    pub halls: Vec<String>,
}

/// Who a service is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Audience {
    Individual,
    Enterprise,
}

impl Audience {
    pub const ALL: [Audience; 2] = [Audience::Individual, Audience::Enterprise];
    pub fn key(self) -> &'static str {
        match self {
            Audience::Individual => "individual",
            Audience::Enterprise => "enterprise",
        }
    }
    pub fn from_key(key: &str) -> Option<Audience> {
        Audience::ALL.into_iter().find(|a| a.key() == key)
    }
}

/// Life events (主题) people recognise their needs by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LifeEvent {
    Birth,
    Education,
    Employment,
    Business,
    Housing,
    Marriage,
    SocialSecurity,
    Retirement,
    Health,
    Residence,
    Tax,
}

impl LifeEvent {
    pub const ALL: [LifeEvent; 11] = [
        LifeEvent::Birth,
        LifeEvent::Education,
        LifeEvent::Employment,
        LifeEvent::Business,
        LifeEvent::Housing,
        LifeEvent::Marriage,
        LifeEvent::SocialSecurity,
        LifeEvent::Retirement,
        LifeEvent::Health,
        LifeEvent::Residence,
        LifeEvent::Tax,
    ];
    pub fn key(self) -> &'static str {
        match self {
            LifeEvent::Birth => "birth",
            LifeEvent::Education => "education",
            LifeEvent::Employment => "employment",
            LifeEvent::Business => "business",
            LifeEvent::Housing => "housing",
            LifeEvent::Marriage => "marriage",
            LifeEvent::SocialSecurity => "social-security",
            LifeEvent::Retirement => "retirement",
            LifeEvent::Health => "health",
            LifeEvent::Residence => "residence",
            LifeEvent::Tax => "tax",
        }
    }
    pub fn from_key(key: &str) -> Option<LifeEvent> {
        LifeEvent::ALL.into_iter().find(|e| e.key() == key)
    }
}

/// Ways a service can be applied for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    Online,
    Hall,
}

impl Channel {
    pub fn key(self) -> &'static str {
        match self {
            Channel::Online => "online",
            Channel::Hall => "hall",
        }
    }
}

/// The legal category of a service (事项类型), as the national catalogue classifies them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceKind {
    /// 行政许可
    AdministrativePermit,
    /// 行政确认
    AdministrativeConfirmation,
    /// 行政给付
    AdministrativePayment,
    /// 公共服务
    PublicService,
    /// 其他行政权力
    Other,
}

impl ServiceKind {
    pub fn key(self) -> &'static str {
        match self {
            ServiceKind::AdministrativePermit => "administrative-permit",
            ServiceKind::AdministrativeConfirmation => "administrative-confirmation",
            ServiceKind::AdministrativePayment => "administrative-payment",
            ServiceKind::PublicService => "public-service",
            ServiceKind::Other => "other",
        }
    }
}

/// How a material can be provided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MaterialForm {
    /// Uploaded scan or photo, or the paper original at a hall.
    Upload,
    /// Answered in the application form itself.
    FormField,
}

/// A material (材料) an application needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Material {
    pub name: LocalizedText,
    #[serde(default)]
    pub description: LocalizedText,
    pub form: MaterialForm,
    #[serde(default = "yes")]
    pub mandatory: bool,
    /// Paper copies needed at a hall (0 when only the electronic form is needed).
    #[serde(default)]
    pub copies: u8,
    /// The e-certificate type that satisfies this material instead, when the applicant holds
    /// one: they are offered it instead of an upload.
    #[serde(default)]
    pub certificate_type: Option<String>,
    /// Whether the platform may fetch that certificate from its issuing department on the
    /// applicant's consent, when they hold none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetch: Option<Fetch>,
}

fn yes() -> bool {
    true
}

/// One fee item (收费项目).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fee {
    pub item: LocalizedText,
    pub amount: Fen,
    /// When the fee applies or is waived.
    #[serde(default)]
    pub note: LocalizedText,
    /// The document that sets the fee.
    #[serde(default)]
    pub basis: LocalizedText,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faq {
    pub question: LocalizedText,
    pub answer: LocalizedText,
}

/// A service (事项) and its guide.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Department prefix and sequence, e.g. `GA0001`; stable across versions and used in URLs.
    pub code: String,
    /// Code of the responsible department.
    pub department: String,
    pub kind: ServiceKind,
    pub name: LocalizedText,
    pub summary: LocalizedText,
    pub audiences: Vec<Audience>,
    #[serde(default)]
    pub life_events: Vec<LifeEvent>,
    pub channels: Vec<Channel>,
    /// Times the applicant must come in person (0 = 全程网办, 1 = 最多跑一次).
    pub visits: u8,
    /// Committed time limit (承诺时限) in working days; 0 means decided on the spot (即办).
    pub committed_days: u16,
    /// Statutory time limit (法定时限) in working days.
    pub statutory_days: u16,
    /// Eligibility conditions (受理条件).
    pub conditions: Vec<LocalizedText>,
    pub materials: Vec<Material>,
    /// Steps of the procedure (办理流程).
    pub process: Vec<LocalizedText>,
    /// Fee items; empty means the service is free of charge.
    #[serde(default)]
    pub fees: Vec<Fee>,
    /// Laws and regulations the service rests on (设定依据).
    pub legal_basis: Vec<LocalizedText>,
    /// What the applicant receives (办理结果).
    pub result: LocalizedText,
    /// Halls where it is handled; when empty, the department's halls.
    #[serde(default)]
    pub halls: Vec<String>,
    #[serde(default)]
    pub faq: Vec<Faq>,
    #[serde(default)]
    pub contact: Contact,
    /// The e-certificate an approved case issues, with the source of each field. Versions
    /// stored before field sources existed wrote `issues_certificate: KEY` (or `null`).
    #[serde(
        default,
        alias = "issues_certificate",
        deserialize_with = "crate::certificate_types::deserialize_issuance",
        skip_serializing_if = "Option::is_none"
    )]
    pub issues: Option<Issuance>,
    /// Lower regions inherit this service (and may override its halls and contact).
    #[serde(default, skip_serializing_if = "is_false")]
    pub shared: bool,
    /// The online application form; a service without one is applied for at a hall.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<crate::forms::FormDefinition>,
    /// How cases are handled: a template of the document or a definition of its own; the
    /// standard four-stage workflow when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<crate::workflow::WorkflowChoice>,
}

fn is_false(value: &bool) -> bool {
    !value
}

impl Service {
    pub fn is_free(&self) -> bool {
        self.fees.iter().all(|fee| fee.amount == Fen(0))
    }

    /// The workflow its cases follow: its own (resolved) definition, or the standard one.
    pub fn workflow_definition(&self) -> std::borrow::Cow<'_, WorkflowDefinition> {
        match self.workflow.as_ref().and_then(WorkflowChoice::definition) {
            Some(def) => std::borrow::Cow::Borrowed(def),
            None => std::borrow::Cow::Owned(WorkflowDefinition::standard()),
        }
    }
}

/// A problem found in a catalogue document: where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogProblem {
    /// A path into the document, e.g. `services[3].department`.
    pub path: String,
    pub message: String,
}

impl fmt::Display for CatalogProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl CatalogDocument {
    /// Checks what serde cannot: references, uniqueness, required translations and codes.
    /// Returns every problem found, not just the first.
    pub fn validate(&self) -> Vec<CatalogProblem> {
        let mut problems = Vec::new();
        let mut problem =
            |path: String, message: String| problems.push(CatalogProblem { path, message });

        if self.schema != CATALOG_SCHEMA {
            problem(
                "schema".into(),
                format!("expected \"{CATALOG_SCHEMA}\", found \"{}\"", self.schema),
            );
        }
        if !is_division_code(&self.region.code) {
            problem(
                "region.code".into(),
                "must be a six-digit division code".into(),
            );
        }
        check_text(&mut problem, "region.name", &self.region.name);
        if !crate::forms::valid_prefix(&self.region.tracking_prefix) {
            problem(
                "region.tracking_prefix".into(),
                "must be 2 to 4 capital letters".into(),
            );
        }

        let mut districts = HashSet::new();
        for (i, district) in self.region.districts.iter().enumerate() {
            if !is_division_code(&district.code) {
                problem(
                    format!("region.districts[{i}].code"),
                    "must be a six-digit division code".into(),
                );
            }
            if !districts.insert(district.code.as_str()) {
                problem(
                    format!("region.districts[{i}].code"),
                    format!("duplicate district {}", district.code),
                );
            }
            check_text(
                &mut problem,
                &format!("region.districts[{i}].name"),
                &district.name,
            );
        }

        if let Some(parent) = &self.region.parent
            && (!is_division_code(parent) || *parent == self.region.code)
        {
            problem(
                "region.parent".into(),
                "must be the six-digit code of another region".into(),
            );
        }

        let mut halls = HashSet::new();
        for (i, hall) in self.halls.iter().enumerate() {
            if !is_slug(&hall.code) {
                problem(
                    format!("halls[{i}].code"),
                    "use lower-case letters, digits and hyphens".into(),
                );
            }
            if !halls.insert(hall.code.as_str()) {
                problem(
                    format!("halls[{i}].code"),
                    format!("duplicate hall {}", hall.code),
                );
            }
            if let Some(d) = &hall.district
                && !districts.contains(d.as_str())
            {
                problem(
                    format!("halls[{i}].district"),
                    format!("unknown district {d}"),
                );
            }
            check_text(&mut problem, &format!("halls[{i}].name"), &hall.name);
            check_text(&mut problem, &format!("halls[{i}].address"), &hall.address);
            check_text(&mut problem, &format!("halls[{i}].hours"), &hall.hours);
        }

        let mut departments = HashSet::new();
        let mut slugs = HashSet::new();
        for (i, dept) in self.departments.iter().enumerate() {
            if !is_department_code(&dept.code) {
                problem(
                    format!("departments[{i}].code"),
                    "use 2 to 6 upper-case letters".into(),
                );
            }
            if !departments.insert(dept.code.as_str()) {
                problem(
                    format!("departments[{i}].code"),
                    format!("duplicate department {}", dept.code),
                );
            }
            if !is_slug(&dept.slug) {
                problem(
                    format!("departments[{i}].slug"),
                    "use lower-case letters, digits and hyphens".into(),
                );
            }
            if !slugs.insert(dept.slug.as_str()) {
                problem(
                    format!("departments[{i}].slug"),
                    format!("duplicate slug {}", dept.slug),
                );
            }
            check_text(&mut problem, &format!("departments[{i}].name"), &dept.name);
            for (j, hall) in dept.halls.iter().enumerate() {
                if !halls.contains(hall.as_str()) {
                    problem(
                        format!("departments[{i}].halls[{j}]"),
                        format!("unknown hall {hall}"),
                    );
                }
            }
        }

        // A department's own file carries the types of other departments its services name
        // (as it names the departments its workflows route to) without containing those
        // departments; the import checks them against the region in the database.
        let mut issuers = departments.clone();
        for certificate in &self.certificate_types {
            if is_department_code(&certificate.department) {
                issuers.insert(certificate.department.as_str());
            }
        }
        let mut certificate_types: HashMap<&str, &CertificateType> = HashMap::new();
        let mut type_uris = HashSet::new();
        for (i, certificate) in self.certificate_types.iter().enumerate() {
            let at = format!("certificate_types[{i}]");
            certificate.check(&at, &issuers, &mut problem);
            if certificate_types
                .insert(certificate.key.as_str(), certificate)
                .is_some()
            {
                problem(
                    format!("{at}.key"),
                    format!("duplicate certificate type {}", certificate.key),
                );
            }
            if let Some(vct) = &certificate.vct
                && !type_uris.insert(vct.as_str())
            {
                problem(
                    format!("{at}.vct"),
                    format!("another certificate type has the vct {vct}"),
                );
            }
        }

        let mut overridden = HashSet::new();
        for (i, local) in self.region.overrides.iter().enumerate() {
            let at = |field: &str| format!("region.overrides[{i}].{field}");
            if self.region.parent.is_none() {
                problem(
                    at("service"),
                    "only a region with a parent inherits services".into(),
                );
            }
            if !overridden.insert(local.service.as_str()) {
                problem(
                    at("service"),
                    format!("{} is overridden twice", local.service),
                );
            }
            for (j, hall) in local.halls.iter().enumerate() {
                if !halls.contains(hall.as_str()) {
                    problem(at(&format!("halls[{j}]")), format!("unknown hall {hall}"));
                }
            }
        }

        // A department's own file names the other departments its workflows route to without
        // containing them; the import checks those against the region in the database.
        let mut workflow_departments = departments.clone();
        for (_, code) in self.workflow_departments() {
            if is_department_code(code) {
                workflow_departments.insert(code);
            }
        }
        let mut services = HashSet::new();
        for (i, service) in self.services.iter().enumerate() {
            let prefix = format!("services[{i}].");
            check_service_code(service, &prefix, &departments, &mut problem);
            let at = |field: &str| format!("{prefix}{field}");
            if !services.insert(service.code.as_str()) {
                problem(at("code"), format!("duplicate service {}", service.code));
            }
            check_service_content(service, &prefix, &halls, &mut problem);
            check_service_certificates(service, &prefix, &certificate_types, &mut problem);
            check_service_workflow(
                service,
                &prefix,
                &workflow_departments,
                &self.workflows,
                &mut problem,
            );
        }
        let mut templates = HashSet::new();
        for (i, template) in self.workflows.iter().enumerate() {
            if !is_slug(&template.key) {
                problem(
                    format!("workflows[{i}].key"),
                    "use lower-case letters, digits and hyphens".into(),
                );
            }
            if !templates.insert(template.key.as_str()) {
                problem(
                    format!("workflows[{i}].key"),
                    format!("duplicate workflow {}", template.key),
                );
            }
            check_text(
                &mut problem,
                &format!("workflows[{i}].name"),
                &template.name,
            );
            let context = CheckContext {
                departments: &workflow_departments,
                form: FormContext::Template,
            };
            for p in template.definition.check(context) {
                problem(format!("workflows[{i}].definition.{}", p.path), p.message);
            }
        }
        problems
    }
}

impl Service {
    /// The checks [`CatalogDocument::validate`] makes on one service, for a service edited on
    /// its own: `departments` and `halls` are the codes of its region. Paths are relative to
    /// the service (`name`, `materials[1].name`).
    pub fn validate(
        &self,
        departments: &HashSet<&str>,
        halls: &HashSet<&str>,
    ) -> Vec<CatalogProblem> {
        let mut problems = Vec::new();
        let mut problem =
            |path: String, message: String| problems.push(CatalogProblem { path, message });
        check_service_code(self, "", departments, &mut problem);
        check_service_content(self, "", halls, &mut problem);
        check_service_workflow(self, "", departments, &[], &mut problem);
        problems
    }

    /// The checks [`CatalogDocument::validate`] makes on the certificate types a service names
    /// (in `issues` and its materials), against the region's `certificate_types`; paths are
    /// relative to the service.
    pub fn validate_certificates(
        &self,
        certificate_types: &[CertificateType],
    ) -> Vec<CatalogProblem> {
        let types = certificate_types
            .iter()
            .map(|t| (t.key.as_str(), t))
            .collect();
        let mut problems = Vec::new();
        let mut problem =
            |path: String, message: String| problems.push(CatalogProblem { path, message });
        check_service_certificates(self, "", &types, &mut problem);
        problems
    }
}

impl CatalogDocument {
    /// Every department a workflow of the document (a service's own or a template) assigns a
    /// task to, with its path.
    pub fn workflow_departments(&self) -> Vec<(String, &str)> {
        fn collect<'a>(
            found: &mut Vec<(String, &'a str)>,
            at: String,
            def: &'a WorkflowDefinition,
        ) {
            for (i, state) in def.states.iter().enumerate() {
                for (j, task) in state.tasks.iter().enumerate() {
                    if let Some(code) = &task.department {
                        found.push((
                            format!("{at}.states[{i}].tasks[{j}].department"),
                            code.as_str(),
                        ));
                    }
                }
            }
        }
        let mut found = Vec::new();
        for (i, service) in self.services.iter().enumerate() {
            if let Some(WorkflowChoice::Defined(def)) = &service.workflow {
                collect(&mut found, format!("services[{i}].workflow"), def);
            }
        }
        for (i, template) in self.workflows.iter().enumerate() {
            collect(
                &mut found,
                format!("workflows[{i}].definition"),
                &template.definition,
            );
        }
        found
    }

    /// Replaces every service's template reference with a copy of the template's definition, so
    /// that each stored service version carries the workflow its cases follow. Unknown keys
    /// are left for [`CatalogDocument::validate`] to report.
    pub fn resolve_workflows(&mut self) {
        for service in &mut self.services {
            if let Some(WorkflowChoice::Template(key)) = &service.workflow
                && let Some(template) = self.workflows.iter().find(|t| &t.key == key)
            {
                service.workflow = Some(WorkflowChoice::Defined(Box::new(
                    template.definition.clone(),
                )));
            }
        }
    }
}

/// The service's workflow names a known template, or its own definition passes the checks
/// against the region's departments and the service's form.
fn check_service_workflow(
    service: &Service,
    prefix: &str,
    departments: &HashSet<&str>,
    templates: &[crate::workflow::WorkflowTemplate],
    problem: &mut impl FnMut(String, String),
) {
    let at = |field: &str| format!("{prefix}{field}");
    let context = CheckContext {
        departments,
        form: FormContext::Service(service.form.as_ref()),
    };
    match &service.workflow {
        None => {}
        Some(WorkflowChoice::Template(key)) => match templates.iter().find(|t| &t.key == key) {
            None => problem(at("workflow"), format!("unknown workflow {key}")),
            Some(template) => {
                for p in template.definition.check_routes(service.form.as_ref()) {
                    problem(at("workflow"), format!("{key}: {p}"));
                }
            }
        },
        Some(WorkflowChoice::Defined(def)) => {
            for p in def.check(context) {
                problem(at(&format!("workflow.{}", p.path)), p.message);
            }
        }
    }
}

/// The certificate types the service's materials and `issues` name exist, and what it issues
/// gets every required field from a source that fits.
fn check_service_certificates(
    service: &Service,
    prefix: &str,
    types: &HashMap<&str, &CertificateType>,
    problem: &mut impl FnMut(String, String),
) {
    for (j, material) in service.materials.iter().enumerate() {
        let at = |field: &str| format!("{prefix}materials[{j}].{field}");
        match &material.certificate_type {
            Some(key) if !types.contains_key(key.as_str()) => {
                problem(
                    at("certificate_type"),
                    format!("unknown certificate type {key}"),
                );
            }
            None if material.fetch.is_some() => {
                problem(
                    at("fetch"),
                    "only a certificate can be fetched: name its certificate_type".into(),
                );
            }
            _ => {}
        }
    }
    if let Some(form) = &service.form {
        for (page, field) in form.fields() {
            let crate::forms::FieldKind::ECertificate {
                certificate_type,
                disclose,
                ..
            } = &field.kind
            else {
                continue;
            };
            let at = format!("{prefix}form.pages.{}.{}", page.key, field.key);
            let Some(certificate) = types.get(certificate_type.as_str()) else {
                problem(
                    format!("{at}.certificate_type"),
                    format!("unknown certificate type {certificate_type}"),
                );
                continue;
            };
            for key in disclose {
                match certificate.field(key) {
                    None => problem(
                        format!("{at}.disclose"),
                        format!("{certificate_type} has no field {key}"),
                    ),
                    Some(f) if !f.disclosable => problem(
                        format!("{at}.disclose"),
                        format!("{key} of {certificate_type} is not disclosable"),
                    ),
                    Some(_) => {}
                }
            }
        }
    }
    if let Some(issuance) = &service.issues {
        let at = format!("{prefix}issues");
        match types.get(issuance.certificate.as_str()) {
            None => problem(
                format!("{at}.certificate"),
                format!("unknown certificate type {}", issuance.certificate),
            ),
            Some(certificate) => check_issuance(
                issuance,
                certificate,
                &service.department,
                service.form.as_ref(),
                &at,
                problem,
            ),
        }
    }
}

/// The service's department exists and its code carries the department's prefix.
fn check_service_code(
    service: &Service,
    prefix: &str,
    departments: &HashSet<&str>,
    problem: &mut impl FnMut(String, String),
) {
    let at = |field: &str| format!("{prefix}{field}");
    if !departments.contains(service.department.as_str()) {
        problem(
            at("department"),
            format!("unknown department {}", service.department),
        );
    } else if !service_code_matches(&service.code, &service.department) {
        problem(
            at("code"),
            format!(
                "must be the department prefix {} followed by four digits",
                service.department
            ),
        );
    }
}

/// Required texts, lists and limits of a service, and the halls it names.
fn check_service_content(
    service: &Service,
    prefix: &str,
    halls: &HashSet<&str>,
    problem: &mut impl FnMut(String, String),
) {
    let at = |field: &str| format!("{prefix}{field}");
    check_text(problem, &at("name"), &service.name);
    check_text(problem, &at("summary"), &service.summary);
    if let Some(form) = &service.form {
        for p in form.check() {
            problem(at(&format!("form.{}", p.path)), p.message);
        }
    }
    check_text(problem, &at("result"), &service.result);
    if service.audiences.is_empty() {
        problem(at("audiences"), "name at least one audience".into());
    }
    if service.channels.is_empty() {
        problem(at("channels"), "name at least one channel".into());
    }
    if service.committed_days > service.statutory_days {
        problem(
            at("committed_days"),
            format!(
                "{} working days is longer than the statutory {}",
                service.committed_days, service.statutory_days
            ),
        );
    }
    if service.conditions.is_empty() {
        problem(at("conditions"), "state at least one condition".into());
    }
    if service.process.is_empty() {
        problem(at("process"), "describe at least one step".into());
    }
    if service.legal_basis.is_empty() {
        problem(at("legal_basis"), "cite at least one legal basis".into());
    }
    for (j, text) in service.conditions.iter().enumerate() {
        check_text(problem, &at(&format!("conditions[{j}]")), text);
    }
    for (j, material) in service.materials.iter().enumerate() {
        check_text(
            problem,
            &at(&format!("materials[{j}].name")),
            &material.name,
        );
    }
    for (j, fee) in service.fees.iter().enumerate() {
        if fee.amount.0 < 0 {
            problem(
                at(&format!("fees[{j}].amount")),
                "a fee cannot be negative".into(),
            );
        }
        check_text(problem, &at(&format!("fees[{j}].item")), &fee.item);
    }
    for (j, hall) in service.halls.iter().enumerate() {
        if !halls.contains(hall.as_str()) {
            problem(at(&format!("halls[{j}]")), format!("unknown hall {hall}"));
        }
    }
    for (j, faq) in service.faq.iter().enumerate() {
        check_text(problem, &at(&format!("faq[{j}].question")), &faq.question);
        check_text(problem, &at(&format!("faq[{j}].answer")), &faq.answer);
    }
}

/// Every piece of content needs its zh-CN text and only known locale tags.
pub(crate) fn check_text(
    problem: &mut impl FnMut(String, String),
    path: &str,
    text: &LocalizedText,
) {
    if !text.has(Locale::ZhCn) {
        problem(path.to_owned(), "the zh-CN text is missing".into());
    }
    for tag in text.unknown_tags() {
        problem(path.to_owned(), format!("unknown language \"{tag}\""));
    }
}

fn is_division_code(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

fn is_department_code(code: &str) -> bool {
    (2..=6).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// URL-safe identifiers: lower-case ASCII letters, digits and single hyphens.
pub fn is_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 64
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--")
}

fn service_code_matches(code: &str, department: &str) -> bool {
    code.strip_prefix(department)
        .is_some_and(|seq| seq.len() == 4 && seq.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> CatalogDocument {
        serde_norway::from_str(
            r#"
schema: tongban/catalog/v1
region:
  code: "990100"
  name: { zh-CN: 示范市, en: Demo City }
  contact: { phone: "12345" }
  districts: [{ code: "990102", name: 东城区 }]
halls:
  - { code: city-hall, name: 市民中心, district: "990102", address: 人民路1号, hours: 工作日 9:00-17:00 }
departments:
  - { code: GA, slug: police, name: 市公安局, halls: [city-hall] }
services:
  - code: GA0001
    department: GA
    kind: public-service
    name: 无犯罪记录证明
    summary: 开具无犯罪记录证明。
    audiences: [individual]
    channels: [online, hall]
    visits: 0
    committed_days: 3
    statutory_days: 20
    conditions: [本人申请]
    materials: [{ name: 居民身份证, form: upload }]
    process: [在线申请]
    legal_basis: [公安机关办理犯罪记录查询工作规定]
    result: 无犯罪记录证明
"#,
        )
        .unwrap()
    }

    #[test]
    fn services_name_workflow_templates_that_imports_resolve() {
        let mut doc = minimal();
        doc.workflows.push(crate::workflow::WorkflowTemplate {
            key: "standard".into(),
            name: LocalizedText::new("标准流程"),
            definition: WorkflowDefinition::standard(),
        });
        doc.services[0].workflow = Some(WorkflowChoice::Template("quick".into()));
        let problems: Vec<String> = doc.validate().iter().map(ToString::to_string).collect();
        assert_eq!(problems, ["services[0].workflow: unknown workflow quick"]);

        doc.services[0].workflow = Some(WorkflowChoice::Template("standard".into()));
        assert_eq!(doc.validate(), vec![]);
        doc.resolve_workflows();
        assert_eq!(
            doc.services[0].workflow,
            Some(WorkflowChoice::Defined(Box::new(
                WorkflowDefinition::standard()
            )))
        );

        // A definition of its own is checked in place, against the region's departments.
        let mut own = WorkflowDefinition::standard();
        own.states[2].tasks[0].department = Some("wj".into());
        doc.services[0].workflow = Some(WorkflowChoice::Defined(Box::new(own)));
        let problems: Vec<String> = doc.validate().iter().map(ToString::to_string).collect();
        assert_eq!(
            problems,
            ["services[0].workflow.states[2].tasks[0].department: unknown department wj"]
        );
    }

    #[test]
    fn a_consistent_document_has_no_problems() {
        assert_eq!(minimal().validate(), vec![]);
        assert!(minimal().services[0].is_free());
    }

    #[test]
    fn problems_name_the_place_and_the_cause() {
        let mut doc = minimal();
        doc.services[0].department = "SJ".into();
        doc.services[0].committed_days = 30;
        doc.halls[0].district = Some("990199".into());
        doc.departments[0].halls.push("nowhere".into());
        let problems: Vec<String> = doc.validate().iter().map(ToString::to_string).collect();
        assert!(
            problems.contains(&"services[0].department: unknown department SJ".to_owned()),
            "{problems:?}"
        );
        assert!(
            problems.contains(
                &"services[0].committed_days: 30 working days is longer than the statutory 20"
                    .to_owned()
            )
        );
        assert!(problems.contains(&"halls[0].district: unknown district 990199".to_owned()));
        assert!(problems.contains(&"departments[0].halls[1]: unknown hall nowhere".to_owned()));
    }

    #[test]
    fn service_codes_carry_the_department_prefix() {
        let mut doc = minimal();
        doc.services[0].code = "SC0001".into();
        assert_eq!(doc.validate()[0].path, "services[0].code");
        doc.services[0].code = "GA01".into();
        assert_eq!(doc.validate()[0].path, "services[0].code");
    }

    #[test]
    fn duplicates_and_missing_chinese_are_reported() {
        let mut doc = minimal();
        doc.services.push(doc.services[0].clone());
        doc.services[1].name = LocalizedText::default().with(Locale::En, "Only English");
        let problems: Vec<String> = doc.validate().iter().map(ToString::to_string).collect();
        assert!(problems.contains(&"services[1].code: duplicate service GA0001".to_owned()));
        assert!(problems.contains(&"services[1].name: the zh-CN text is missing".to_owned()));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let yaml = "schema: tongban/catalog/v1\nregion: { code: '990100', name: x, contact: {}, colour: red }\n";
        let err = serde_norway::from_str::<CatalogDocument>(yaml)
            .unwrap_err()
            .to_string();
        assert!(err.contains("colour"), "{err}");
    }

    #[test]
    fn slugs_are_strict() {
        assert!(is_slug("police"));
        assert!(is_slug("market-regulation"));
        assert!(!is_slug("Police"));
        assert!(!is_slug("-x"));
        assert!(!is_slug("a--b"));
        assert!(!is_slug(""));
        assert!(!is_slug("公安"));
    }
}
