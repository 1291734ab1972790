//! Certificate types in a catalogue document: the rules a type, an issuing service and a
//! material must follow, the source language and the validity periods.

use proptest::prelude::*;

use super::*;
use crate::catalog::CatalogDocument;

/// A region with a police department whose service issues a no-criminal-record certificate
/// from its form, and a market department whose service accepts it as a material.
fn document() -> CatalogDocument {
    serde_norway::from_str(
        r#"
schema: tongban/catalog/v1
region:
  code: "990100"
  name: 示范市
  contact: { phone: "12345" }
departments:
  - { code: GA, slug: police, name: 市公安局 }
  - { code: SJ, slug: market, name: 市市场监督管理局 }
certificate_types:
  - key: no-criminal-record
    name: { zh-CN: 无犯罪记录证明, en: No-criminal-record certificate }
    department: GA
    fields:
      - { key: number, label: 证明编号, type: text }
      - { key: holder_name, label: 姓名, type: text, personal: true }
      - { key: id_number, label: 公民身份号码, type: resident-id, personal: true, required: false }
      - { key: issued_on, label: 开具日期, type: date }
    validity: { months: 3 }
    template:
      title: 无犯罪记录证明
      fields: [holder_name, id_number, number]
services:
  - code: GA0001
    department: GA
    kind: public-service
    name: 无犯罪记录证明
    summary: 开具无犯罪记录证明。
    audiences: [individual]
    channels: [online]
    visits: 0
    committed_days: 3
    statutory_days: 20
    conditions: [本人申请]
    materials: [{ name: 居民身份证, form: upload }]
    process: [在线申请]
    legal_basis: [公安机关办理犯罪记录查询工作规定]
    result: 无犯罪记录证明
    issues:
      certificate: no-criminal-record
      fields:
        number: case.tracking-number
        holder_name: form.full_name
        id_number: form.id_number
        issued_on: case.decision-date
    form:
      pages:
        - key: applicant
          title: 申请人
          fields:
            - { key: full_name, label: 姓名, type: text }
            - { key: id_number, label: 公民身份号码, type: resident-id }
            - { key: wanted_on, label: 需要日期, type: date-range }
      declaration: { text: 本人承诺所填信息真实。, confirm: 我承诺 }
  - code: SJ0001
    department: SJ
    kind: administrative-permit
    name: 食品经营许可
    summary: 申请食品经营许可。
    audiences: [enterprise]
    channels: [online]
    visits: 0
    committed_days: 10
    statutory_days: 20
    conditions: [已取得营业执照]
    materials:
      - { name: 无犯罪记录证明, form: upload, certificate_type: no-criminal-record, fetch: on-consent }
    process: [在线申请]
    legal_basis: [食品经营许可和备案管理办法]
    result: 食品经营许可证
"#,
    )
    .unwrap()
}

fn problems(doc: &CatalogDocument) -> Vec<String> {
    doc.validate().iter().map(ToString::to_string).collect()
}

fn issuance(doc: &mut CatalogDocument) -> &mut Issuance {
    doc.services[0].issues.as_mut().unwrap()
}

#[test]
fn a_consistent_document_with_certificates_has_no_problems() {
    let doc = document();
    assert_eq!(problems(&doc), Vec::<String>::new());
    let certificate = &doc.certificate_types[0];
    assert_eq!(certificate.validity, Validity::Months(3));
    assert!(certificate.field("holder_name").unwrap().personal);
    assert!(
        certificate.field("holder_name").unwrap().disclosable,
        "disclosable by default"
    );
    assert_eq!(doc.services[1].materials[0].fetch, Some(Fetch::OnConsent));
    let shown: Vec<&str> = certificate
        .shown_fields()
        .iter()
        .map(|f| f.key.as_str())
        .collect();
    assert_eq!(shown, ["holder_name", "id_number", "number"]);
}

#[test]
fn unknown_certificate_types_are_reported_where_they_are_named() {
    let mut doc = document();
    issuance(&mut doc).certificate = "no-such-thing".into();
    doc.services[1].materials[0].certificate_type = Some("business-licence".into());
    assert_eq!(
        problems(&doc),
        [
            "services[0].issues.certificate: unknown certificate type no-such-thing",
            "services[1].materials[0].certificate_type: unknown certificate type business-licence",
        ]
    );
}

#[test]
fn a_type_needs_a_known_issuing_department_and_a_unique_key() {
    let mut doc = document();
    doc.certificate_types[0].department = "police".into();
    let mut twin = doc.certificate_types[0].clone();
    twin.department = "GA".into();
    doc.certificate_types.push(twin);
    assert_eq!(
        problems(&doc),
        [
            "certificate_types[0].department: unknown department police",
            "certificate_types[1].key: duplicate certificate type no-criminal-record",
        ]
    );
    // A well-formed code outside the file is for the import to check against the region (a
    // department's file names the types of other departments its services use).
    doc.certificate_types.pop();
    doc.certificate_types[0].department = "WJ".into();
    doc.services[0].issues = None;
    assert_eq!(problems(&doc), Vec::<String>::new());
}

#[test]
fn mapped_fields_must_exist_and_required_ones_need_a_source() {
    let mut doc = document();
    let fields = &mut issuance(&mut doc).fields;
    fields.remove("holder_name");
    fields.remove("id_number"); // not required: leaving it out is fine
    fields.insert("colour".into(), FieldSource::DepartmentName);
    assert_eq!(
        problems(&doc),
        [
            "services[0].issues.fields.colour: no-criminal-record has no field colour",
            "services[0].issues.fields: no source for holder_name, a required field of no-criminal-record",
        ]
    );
}

#[test]
fn form_sources_must_name_a_field_of_the_services_form() {
    let mut doc = document();
    issuance(&mut doc)
        .fields
        .insert("holder_name".into(), FieldSource::Form("name".into()));
    assert_eq!(
        problems(&doc),
        ["services[0].issues.fields.holder_name: form.name: the form has no field name"]
    );
    doc.services[0].form = None;
    let found = problems(&doc);
    assert!(
        found.contains(
            &"services[0].issues.fields.id_number: form.id_number: the service has no online form"
                .to_owned()
        ),
        "{found:?}"
    );
}

#[test]
fn sources_must_give_the_fields_kind_of_value() {
    let mut doc = document();
    let fields = &mut issuance(&mut doc).fields;
    fields.insert("issued_on".into(), FieldSource::CaseTrackingNumber);
    fields.insert("id_number".into(), FieldSource::Form("full_name".into()));
    fields.insert("number".into(), FieldSource::Form("wanted_on".into()));
    assert_eq!(
        problems(&doc),
        [
            "services[0].issues.fields.id_number: id_number: form.full_name gives no resident-id value",
            "services[0].issues.fields.issued_on: issued_on: case.tracking-number gives no date value",
            "services[0].issues.fields.number: number: a date-range answer cannot fill a certificate field",
        ]
    );
    // Fixed values are checked against the field's type.
    let fields = &mut issuance(&mut doc).fields;
    fields.insert(
        "id_number".into(),
        FieldSource::Applicant(Prefill::ResidentId),
    );
    fields.insert("number".into(), FieldSource::CaseTrackingNumber);
    fields.insert("issued_on".into(), FieldSource::Fixed("2026-02-30".into()));
    assert_eq!(
        problems(&doc),
        [
            "services[0].issues.fields.issued_on: issued_on: the fixed value does not fit a date field: not a date in the form YYYY-MM-DD"
        ]
    );
}

#[test]
fn a_service_issues_only_its_own_departments_certificates() {
    let mut doc = document();
    doc.certificate_types[0].department = "SJ".into();
    assert_eq!(
        problems(&doc),
        [
            "services[0].issues.certificate: no-criminal-record is issued by department SJ, not by this service's department GA"
        ]
    );
}

#[test]
fn field_keys_labels_and_the_template_are_checked() {
    let mut doc = document();
    let certificate = &mut doc.certificate_types[0];
    certificate.fields[0].key = "exp".into();
    certificate.fields[1].disclosable = false;
    certificate.fields[2].key = "Id-Number".into();
    certificate.fields[3].label = LocalizedText::default();
    certificate.template.as_mut().unwrap().fields = vec![
        "holder_name".into(),
        "holder_name".into(),
        "exp".into(),
        "age".into(),
    ];
    certificate.vct = Some("not a uri".into());
    let found = problems(&doc);
    for expected in [
        "certificate_types[0].vct: must be an absolute URI (https://… or urn:…) without spaces",
        "certificate_types[0].fields[0].key: exp is a claim the certificate format reserves",
        "certificate_types[0].fields[1].disclosable: a personal field must be selectively disclosable, so the holder can leave it out",
        "certificate_types[0].fields[2].key: use lower-case letters, digits and underscores, starting with a letter",
        "certificate_types[0].fields[3].label: the zh-CN text is missing",
        "certificate_types[0].template.fields[1]: holder_name is shown twice",
        "certificate_types[0].template.fields[3]: no-criminal-record has no field age",
    ] {
        assert!(
            found.contains(&expected.to_owned()),
            "{expected}\nin {found:#?}"
        );
    }
}

#[test]
fn a_type_needs_fields_and_a_usable_validity() {
    let mut doc = document();
    doc.certificate_types[0].fields.clear();
    doc.certificate_types[0].template = None;
    doc.certificate_types[0].validity = Validity::Days(0);
    doc.services[0].issues = None;
    assert_eq!(
        problems(&doc),
        [
            "certificate_types[0].fields: a certificate needs at least one field",
            "certificate_types[0].validity: a validity of 0 days would expire on issue; write `none` for no expiry",
        ]
    );
    doc.certificate_types[0].validity = Validity::Years(101);
    assert!(
        problems(&doc)[1]
            .ends_with("101 years is longer than 100 years; write `none` for no expiry")
    );
    for longest in [
        Validity::Years(100),
        Validity::Months(1200),
        Validity::Days(36_525),
    ] {
        doc.certificate_types[0].validity = longest;
        assert_eq!(problems(&doc).len(), 1, "{longest:?}");
    }
    doc.certificate_types[0].validity = Validity::Months(1201);
    assert!(
        problems(&doc)[1]
            .ends_with("1201 months is longer than 100 years; write `none` for no expiry")
    );
}

#[test]
fn fetching_needs_a_certificate_type() {
    let mut doc = document();
    doc.services[1].materials[0].certificate_type = None;
    assert_eq!(
        problems(&doc),
        [
            "services[1].materials[0].fetch: only a certificate can be fetched: name its certificate_type"
        ]
    );
}

#[test]
fn a_service_alone_is_checked_against_the_regions_types() {
    let doc = document();
    assert!(
        doc.services[1]
            .validate_certificates(&doc.certificate_types)
            .is_empty()
    );
    let problems: Vec<String> = doc.services[1]
        .validate_certificates(&[])
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        problems,
        ["materials[0].certificate_type: unknown certificate type no-criminal-record"]
    );
}

#[test]
fn validity_is_none_or_one_period() {
    let read = |yaml: &str| serde_norway::from_str::<Validity>(yaml).map_err(|e| e.to_string());
    assert_eq!(read("none"), Ok(Validity::Unlimited));
    assert_eq!(read("{ years: 5 }"), Ok(Validity::Years(5)));
    assert_eq!(read("{ months: 6 }"), Ok(Validity::Months(6)));
    assert_eq!(read("{ days: 90 }"), Ok(Validity::Days(90)));
    for bad in [
        "{ years: 1, months: 6 }",
        "{ weeks: 2 }",
        "forever",
        "{}",
        "5",
    ] {
        let err = read(bad).unwrap_err();
        assert!(
            err.contains("`validity` is `none` or one period"),
            "{bad}: {err}"
        );
    }
    for bad in ["{ years: -1 }", "{ years: 1.5 }", "{ days: 99999999999 }"] {
        let err = read(bad).unwrap_err();
        assert!(err.contains("must be a whole number"), "{bad}: {err}");
    }
    assert_eq!(
        serde_norway::to_string(&Validity::Unlimited).unwrap(),
        "none\n"
    );
    assert_eq!(
        serde_norway::to_string(&Validity::Years(5)).unwrap(),
        "years: 5\n"
    );
}

#[test]
fn expiry_keeps_the_day_of_the_month_or_takes_the_last_one() {
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    assert_eq!(
        Validity::Years(1).expires_on(day(2028, 2, 29)),
        Some(day(2029, 2, 28))
    );
    assert_eq!(
        Validity::Months(1).expires_on(day(2027, 1, 31)),
        Some(day(2027, 2, 28))
    );
    assert_eq!(
        Validity::Months(3).expires_on(day(2026, 12, 5)),
        Some(day(2027, 3, 5))
    );
    assert_eq!(
        Validity::Days(90).expires_on(day(2026, 12, 5)),
        Some(day(2027, 3, 5))
    );
    assert_eq!(Validity::Unlimited.expires_on(day(2026, 12, 5)), None);
    assert_eq!(Validity::Years(u32::MAX).expires_on(day(2026, 12, 5)), None);
}

#[test]
fn sources_read_and_write_the_same_text() {
    for text in [
        "form.full_name",
        "applicant.name",
        "applicant.resident-id",
        "applicant.credit-code",
        "case.tracking-number",
        "case.decision-date",
        "case.submission-date",
        "department.name",
        "fixed:个体工商户",
        "fixed: spaced text ",
    ] {
        let source: FieldSource = text.parse().unwrap();
        assert_eq!(source.to_string(), text);
    }
    for (bad, why) in [
        ("form.", SourceError::EmptyFormField),
        ("fixed:  ", SourceError::EmptyFixed),
        ("applicant.age", SourceError::ApplicantFact("age".into())),
        ("case.outcome", SourceError::Unknown("case.outcome".into())),
        (
            "form.group.item",
            SourceError::Unknown("form.group.item".into()),
        ),
        ("full_name", SourceError::Unknown("full_name".into())),
    ] {
        assert_eq!(bad.parse::<FieldSource>(), Err(why), "{bad}");
    }
    let err = serde_norway::from_str::<Issuance>("certificate: x\nfields: { a: applicant.age }\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown applicant fact \"age\""), "{err}");
}

#[test]
fn versions_stored_before_field_sources_still_read() {
    let mut service = serde_json::to_value(&document().services[1]).unwrap();
    let object = service.as_object_mut().unwrap();
    object.insert(
        "issues_certificate".into(),
        serde_json::json!("no-criminal-record"),
    );
    let read: crate::catalog::Service = serde_json::from_value(service.clone()).unwrap();
    assert_eq!(
        read.issues,
        Some(Issuance {
            certificate: "no-criminal-record".into(),
            fields: BTreeMap::new()
        })
    );
    let object = service.as_object_mut().unwrap();
    object.insert("issues_certificate".into(), serde_json::Value::Null);
    let read: crate::catalog::Service = serde_json::from_value(service).unwrap();
    assert_eq!(read.issues, None);
    // Written back, it uses the current name.
    let written = serde_json::to_value(&document().services[0]).unwrap();
    assert!(written.get("issues").is_some() && written.get("issues_certificate").is_none());
}

#[test]
fn the_type_uri_is_derived_unless_written() {
    let mut certificate = document().certificate_types[0].clone();
    assert_eq!(
        certificate.vct("https://gov.example/", "990100"),
        "https://gov.example/vct/990100/no-criminal-record"
    );
    certificate.vct = Some("urn:cn:gov:certificate:criminal-record".into());
    assert_eq!(
        certificate.vct("https://gov.example", "990100"),
        "urn:cn:gov:certificate:criminal-record"
    );
}

#[test]
fn documents_with_certificates_round_trip_through_yaml() {
    let doc = document();
    let text = serde_norway::to_string(&doc).unwrap();
    let back: CatalogDocument = serde_norway::from_str(&text).unwrap();
    assert_eq!(back, doc);
}

#[test]
fn values_are_checked_by_type() {
    assert_eq!(ValueType::Date.check("2026-12-05"), Ok(()));
    assert_eq!(ValueType::Date.check("2026-2-5"), Err(ValueError::NotADate));
    assert_eq!(ValueType::Number.check("35.5"), Ok(()));
    assert_eq!(ValueType::Number.check("3e5"), Err(ValueError::NotANumber));
    assert_eq!(ValueType::Number.check("1."), Err(ValueError::NotANumber));
    assert_eq!(ValueType::ResidentId.check("11010519491231002X"), Ok(()));
    assert!(ValueType::ResidentId.check("110105194912310021").is_err());
    assert_eq!(ValueType::CreditCode.check("91350100M000100Y43"), Ok(()));
    assert_eq!(ValueType::Mobile.check("13800138000"), Ok(()));
    assert_eq!(ValueType::Text.check("  "), Err(ValueError::Empty));
}

fn any_source() -> impl Strategy<Value = FieldSource> {
    prop_oneof![
        "[a-z][a-z0-9_]{0,20}".prop_map(FieldSource::Form),
        proptest::sample::select(APPLICANT_FACTS.to_vec()).prop_map(FieldSource::Applicant),
        Just(FieldSource::CaseTrackingNumber),
        Just(FieldSource::CaseDecisionDate),
        Just(FieldSource::CaseSubmissionDate),
        Just(FieldSource::DepartmentName),
        "\\PC*[^\\s]\\PC*".prop_map(FieldSource::Fixed),
    ]
}

proptest! {
    #[test]
    fn every_source_round_trips_through_its_text(source in any_source()) {
        prop_assert_eq!(source.to_string().parse::<FieldSource>(), Ok(source));
    }

    #[test]
    fn reading_any_text_as_a_source_never_panics(text in "\\PC{0,40}") {
        if let Ok(source) = text.parse::<FieldSource>() {
            prop_assert_eq!(source.to_string(), text);
        }
    }

    #[test]
    fn checking_any_value_never_panics(text in "\\PC{0,40}", kind in proptest::sample::select(ValueType::ALL.to_vec())) {
        let _ = kind.check(&text);
    }

    #[test]
    fn dates_are_valid_exactly_in_their_own_spelling(days in 0i64..200_000) {
        let date = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Duration::days(days);
        prop_assert_eq!(ValueType::Date.check(&date.format("%Y-%m-%d").to_string()), Ok(()));
        prop_assert!(ValueType::Date.check(&date.format("%Y/%m/%d").to_string()).is_err());
    }

    #[test]
    fn a_certificate_expires_after_it_is_issued_and_later_issues_expire_no_earlier(
        days in 0i64..60_000,
        later in 0i64..400,
        amount in 1u32..=100,
        unit in 0usize..3,
    ) {
        let validity = [Validity::Years(amount), Validity::Months(amount), Validity::Days(amount)][unit];
        prop_assert_eq!(validity.problem(), None);
        let issued = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + chrono::Duration::days(days);
        let expires = validity.expires_on(issued).unwrap();
        prop_assert!(expires > issued);
        let expires_later = validity.expires_on(issued + chrono::Duration::days(later)).unwrap();
        prop_assert!(expires_later >= expires);
    }

    #[test]
    fn validities_round_trip_through_yaml(amount in 0u32..100_000, unit in 0usize..4) {
        let validity = [Validity::Unlimited, Validity::Years(amount), Validity::Months(amount), Validity::Days(amount)][unit];
        let text = serde_norway::to_string(&validity).unwrap();
        prop_assert_eq!(serde_norway::from_str::<Validity>(&text).unwrap(), validity);
    }
}
