//! Tests of the form schema, the definition checks, answer validation and branching.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;
use crate::identity::IdentifierError;

/// A form using every field type, a condition, a branch to an exit page and a group.
pub(crate) const SAMPLE: &str = r#"
pages:
  - key: eligibility
    title: { zh-CN: 申请资格, en: Eligibility }
    fields:
      - key: resident
        type: yes-no
        label: { zh-CN: 您是否居住在本市？, en: Do you live in the city? }
    next:
      - when: { equals: { field: resident, value: "no" } }
        goto: not-resident
  - key: about
    title: { zh-CN: 基本信息, en: About you }
    fields:
      - key: name
        type: text
        label: { zh-CN: 姓名, en: Name }
        max_length: 20
        prefill: name
      - key: id_number
        type: resident-id
        label: { zh-CN: 身份证号, en: Resident ID number }
        prefill: resident-id
      - key: phone
        type: mobile
        label: { zh-CN: 手机号码, en: Mobile number }
      - key: email
        type: email
        required: false
        label: { zh-CN: 电子邮箱, en: Email }
      - key: company_code
        type: credit-code
        required: false
        label: { zh-CN: 统一社会信用代码, en: Credit code }
      - key: postcode
        type: text
        required: false
        pattern: "[0-9]{6}"
        pattern_hint: { zh-CN: 6位数字, en: six digits }
        label: { zh-CN: 邮编, en: Postcode }
  - key: details
    title: { zh-CN: 申请事项, en: Details }
    fields:
      - key: purpose
        type: choice
        label: { zh-CN: 用途, en: Purpose }
        options:
          - { value: buy, label: { zh-CN: 购房, en: Buying } }
          - { value: rent, label: { zh-CN: 租房, en: Renting } }
      - key: reasons
        type: choices
        max: 2
        label: { zh-CN: 原因, en: Reasons }
        options:
          - { value: a, label: 甲 }
          - { value: b, label: 乙 }
          - { value: c, label: 丙 }
      - key: area
        type: number
        decimals: 2
        min: 1
        max: 10000
        label: { zh-CN: 面积, en: Area }
      - key: amount
        type: money
        max: 100000000
        label: { zh-CN: 金额, en: Amount }
      - key: start
        type: date
        not_before: "2000-01-01"
        label: { zh-CN: 开始日期, en: Start }
      - key: finish
        type: date
        label: { zh-CN: 结束日期, en: End }
      - key: period
        type: date-range
        max_days: 31
        required: false
        label: { zh-CN: 期间, en: Period }
      - key: address
        type: address
        label: { zh-CN: 地址, en: Address }
      - key: note
        type: long-text
        required: false
        max_length: 50
        label: { zh-CN: 说明, en: Note }
  - key: rental
    title: { zh-CN: 租赁信息, en: Rental }
    show_if: { equals: { field: purpose, value: rent } }
    fields:
      - key: landlord
        type: text
        label: { zh-CN: 出租人, en: Landlord }
  - key: family
    title: { zh-CN: 家庭成员, en: Family }
    fields:
      - key: members
        type: group
        min_items: 1
        max_items: 3
        item_label: { zh-CN: 家庭成员, en: family member }
        label: { zh-CN: 家庭成员, en: Family members }
        fields:
          - key: name
            type: text
            label: { zh-CN: 姓名, en: Name }
          - key: id_number
            type: resident-id
            label: { zh-CN: 身份证号, en: ID number }
      - key: scans
        type: file
        accept: [pdf, jpeg]
        max_size_kb: 1024
        max_count: 2
        label: { zh-CN: 材料, en: Documents }
exits:
  - key: not-resident
    title: { zh-CN: 无法在线申请, en: You cannot apply online }
    body: { zh-CN: 请到户籍所在地办理。, en: Apply where you are registered. }
rules:
  - after: { field: finish, than: start }
declaration:
  text: { zh-CN: 本人承诺所填信息真实。, en: I declare the information is true. }
  confirm: { zh-CN: 我承诺, en: I declare }
"#;

pub(crate) fn sample() -> FormDefinition {
    serde_norway::from_str(SAMPLE).expect("sample form parses")
}

struct Counties;

impl DivisionLookup for Counties {
    fn ends_address(&self, code: &str) -> bool {
        matches!(code, "110105" | "440305" | "990102")
    }
}

fn ctx() -> CheckContext<'static> {
    CheckContext {
        today: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
        divisions: &Counties,
    }
}

fn raw(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn page<'d>(def: &'d FormDefinition, key: &str) -> &'d Page {
    def.page(key).unwrap()
}

fn about(pairs: &[(&str, &str)]) -> PageOutcome {
    let def = sample();
    let mut all = raw(&[
        ("name", "张三"),
        ("id_number", "11010519491231002X"),
        ("phone", "13800138000"),
    ]);
    for (k, v) in pairs {
        all.retain(|(key, _)| key != k);
        all.push(((*k).to_owned(), (*v).to_owned()));
    }
    parse_page(
        &def,
        page(&def, "about"),
        &all,
        &Answers::new(),
        &BTreeMap::new(),
        &ctx(),
    )
}

#[test]
fn the_sample_definition_passes_its_checks_and_round_trips() {
    let def = sample();
    assert_eq!(def.check(), vec![], "sample must be valid");
    let json = serde_json::to_string(&def).unwrap();
    let back: FormDefinition = serde_json::from_str(&json).unwrap();
    assert_eq!(back, def);
    assert_eq!(def.schema, FORM_SCHEMA);
}

#[test]
fn a_misspelt_property_is_refused_not_ignored() {
    let typo = SAMPLE.replace("max_length: 20", "max_lenght: 20");
    let err = serde_norway::from_str::<FormDefinition>(&typo).unwrap_err();
    assert!(err.to_string().contains("max_lenght"), "{err}");
    let unknown_type = SAMPLE.replace("type: yes-no", "type: maybe");
    assert!(serde_norway::from_str::<FormDefinition>(&unknown_type).is_err());
}

fn problems_after(edit: impl FnOnce(&mut FormDefinition)) -> Vec<String> {
    let mut def = sample();
    edit(&mut def);
    def.check().into_iter().map(|p| p.to_string()).collect()
}

#[test]
fn definition_errors_are_precise() {
    let problems = problems_after(|def| {
        def.pages[1].fields[1].key = "name".into();
    });
    assert_eq!(
        problems,
        vec!["pages[1].fields[1].key: duplicate field key \"name\" (also on page \"about\")"]
    );

    let problems = problems_after(|def| {
        def.pages[3].show_if = Some(Condition::Equals(FieldValue {
            field: "purpos".into(),
            value: "rent".into(),
        }));
    });
    assert_eq!(
        problems,
        vec!["pages[3].show_if: refers to unknown field \"purpos\""]
    );

    let problems = problems_after(|def| {
        def.pages[3].show_if = Some(Condition::Equals(FieldValue {
            field: "purpose".into(),
            value: "lease".into(),
        }));
    });
    assert_eq!(
        problems,
        vec!["pages[3].show_if: \"lease\" is not a value of field \"purpose\" (it has buy, rent)"]
    );

    // A condition on a field asked later.
    let problems = problems_after(|def| {
        def.pages[1].show_if = Some(Condition::Answered("landlord".into()));
    });
    assert_eq!(
        problems,
        vec![
            "pages[1].show_if: refers to field \"landlord\" on page \"rental\", which is not asked before this"
        ]
    );

    // An unconditional branch past a page makes that page unreachable.
    let problems = problems_after(|def| {
        def.pages[2].next.push(Branch {
            when: None,
            goto: "family".into(),
        });
    });
    assert_eq!(
        problems,
        vec!["pages[3]: page \"rental\" can never be reached"]
    );

    let problems = problems_after(|def| {
        def.pages[2].next.push(Branch {
            when: None,
            goto: "about".into(),
        });
    });
    assert!(
        problems[0].starts_with("pages[2].next[0].goto: branches go forward only"),
        "{problems:?}"
    );

    let problems = problems_after(|def| def.pages[0].next.clear());
    assert_eq!(
        problems,
        vec!["exits[0]: no branch leads to exit page \"not-resident\""]
    );

    let problems = problems_after(|def| {
        if let FieldKind::Text { pattern, .. } = &mut def.pages[1].fields[5].kind {
            *pattern = Some("[0-9".into());
        }
    });
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].starts_with("pages[1].fields[5].pattern: not a valid regular expression"),
        "{problems:?}"
    );

    let problems = problems_after(|def| {
        let scan = def.pages[4].fields[1].clone();
        if let FieldKind::Group { fields, .. } = &mut def.pages[4].fields[0].kind {
            fields.push(scan);
        }
    });
    assert_eq!(
        problems,
        vec![
            "pages[4].fields[0].fields[2].type: files cannot be asked inside a repeating group; ask for them in a file field after the group"
        ]
    );

    let problems = problems_after(|def| def.pages[2].key = "about".into());
    assert!(problems.contains(&"pages[2].key: duplicate page key \"about\"".to_owned()));
    let problems = problems_after(|def| {
        def.pages[1].title = LocalizedText::default().with(crate::Locale::En, "About")
    });
    assert_eq!(
        problems,
        vec!["pages[1].title: the page title needs a zh-CN text"]
    );
}

#[test]
fn text_fields_count_characters_and_keep_names_outside_the_bmp() {
    for name in ["张三", "王𠀀", "阿依古丽·买买提", "ئايگۈل مەمەت", "བཀྲ་ཤིས་"]
    {
        let out = about(&[("name", name)]);
        assert_eq!(out.errors, vec![], "{name}");
        assert_eq!(out.answers["name"], Answer::Text(name.to_owned()));
        let json = serde_json::to_string(&out.answers).unwrap();
        let back: Answers = serde_json::from_str(&json).unwrap();
        assert_eq!(back["name"], Answer::Text(name.to_owned()));
    }
    // 20 characters of four bytes each is within a 20-character limit.
    let long = "𠀀".repeat(20);
    assert_eq!(about(&[("name", &long)]).errors, vec![]);
    let too_long = "𠀀".repeat(21);
    assert_eq!(
        about(&[("name", &too_long)]).errors[0].error,
        AnswerError::TooLong { max: 20 }
    );
    assert_eq!(
        about(&[("name", "张\u{0007}三")]).errors[0].error,
        AnswerError::InvalidCharacters
    );
}

#[test]
fn identifiers_are_checked_with_the_standards_vectors() {
    let vectors: serde_json::Value =
        serde_norway::from_str(include_str!("../../../../testdata/identifiers.yaml")).unwrap();
    for valid in vectors["resident_id"]["valid"].as_array().unwrap() {
        let id = valid.as_str().unwrap();
        let out = about(&[("id_number", id)]);
        assert_eq!(out.errors, vec![], "{id}");
        assert_eq!(out.answers["id_number"], Answer::Text(id.to_owned()));
    }
    for invalid in vectors["resident_id"]["invalid"].as_array().unwrap() {
        let id = invalid["value"].as_str().unwrap();
        let out = about(&[("id_number", id)]);
        assert!(
            matches!(out.errors[0].error, AnswerError::Identifier(_)),
            "{id}: {:?}",
            out.errors
        );
    }
    let out = about(&[("id_number", " 11010519491231002x ")]);
    assert_eq!(
        out.answers["id_number"],
        Answer::Text("11010519491231002X".into())
    );

    for valid in vectors["uscc"]["valid"].as_array().unwrap() {
        let code = valid.as_str().unwrap();
        assert_eq!(about(&[("company_code", code)]).errors, vec![], "{code}");
    }
    for invalid in vectors["uscc"]["invalid"].as_array().unwrap() {
        let code = invalid["value"].as_str().unwrap();
        assert!(
            matches!(
                about(&[("company_code", code)]).errors[0].error,
                AnswerError::Identifier(_)
            ),
            "{code}"
        );
    }
    assert_eq!(about(&[("phone", "+86 138-0013-8000")]).errors, vec![]);
    assert_eq!(
        about(&[("phone", "12800138000")]).errors[0].path,
        "phone".to_owned()
    );
    assert_eq!(about(&[("email", "a@example.cn")]).errors, vec![]);
    assert!(matches!(
        about(&[("email", "not-an-address")]).errors[0].error,
        AnswerError::Identifier(_)
    ));
    assert_eq!(about(&[("postcode", "100000")]).errors, vec![]);
    assert_eq!(
        about(&[("postcode", "1000001")]).errors[0].error,
        AnswerError::PatternMismatch
    );
    let missing = about(&[("phone", "  ")]);
    assert_eq!(missing.errors[0].error, AnswerError::Required);
    assert_eq!(
        missing.errors[0].error,
        AnswerError::Required,
        "blank is not an answer"
    );
    let _ = IdentifierError::Empty;
}

fn details(pairs: &[(&str, &str)]) -> Vec<(String, AnswerError)> {
    let mut all = raw(&[
        ("purpose", "buy"),
        ("reasons", "a"),
        ("area", "89.5"),
        ("amount", "1,000.5"),
        ("start", "2026-01-05"),
        ("finish", "2026年2月1日"),
        ("address.province", "110000"),
        ("address.city", "110100"),
        ("address.county", "110105"),
        ("address.street", "建国路88号"),
    ]);
    for (k, v) in pairs {
        all.retain(|(key, _)| key != k);
        if !v.is_empty() {
            all.push(((*k).to_owned(), (*v).to_owned()));
        }
    }
    let def = sample();
    parse_page(
        &def,
        page(&def, "details"),
        &all,
        &Answers::new(),
        &BTreeMap::new(),
        &ctx(),
    )
    .errors
    .into_iter()
    .map(|e| (e.path, e.error))
    .collect()
}

#[test]
fn numbers_money_dates_choices_and_addresses() {
    assert_eq!(details(&[]), vec![]);
    let def = sample();
    let good = parse_page(
        &def,
        page(&def, "details"),
        &raw(&[
            ("purpose", "buy"),
            ("reasons", "c"),
            ("reasons", "a"),
            ("area", "０８9.50"),
            ("amount", "¥1,000.5"),
            ("start", "2026/1/5"),
            ("finish", "2026.2.1"),
            ("period.from", "2026-03-01"),
            ("period.to", "2026-03-31"),
            ("address.county", "110105"),
            ("address.street", " 建国路88号 "),
        ]),
        &Answers::new(),
        &BTreeMap::new(),
        &ctx(),
    );
    assert_eq!(good.errors, vec![]);
    let a = &good.answers;
    assert_eq!(a["reasons"], Answer::Many(vec!["a".into(), "c".into()]));
    assert_eq!(a["area"], Answer::Text("89.5".into()));
    assert_eq!(a["amount"], Answer::Amount(100_050));
    assert_eq!(a["start"], Answer::Text("2026-01-05".into()));
    assert_eq!(
        a["period"],
        Answer::Range(DateSpan {
            from: "2026-03-01".into(),
            to: "2026-03-31".into()
        })
    );
    assert_eq!(
        a["address"],
        Answer::Address(AddressAnswer {
            division: "110105".into(),
            street: "建国路88号".into()
        })
    );

    assert_eq!(
        details(&[("purpose", "sell")]),
        vec![("purpose".into(), AnswerError::UnknownOption)]
    );
    assert_eq!(
        details(&[("purpose", "")]),
        vec![("purpose".into(), AnswerError::Required)]
    );
    let three = details(&[("reasons", "a")]);
    assert_eq!(three, vec![]);
    assert_eq!(
        details(&[("area", "abc")]),
        vec![("area".into(), AnswerError::NotANumber)]
    );
    assert_eq!(
        details(&[("area", "1.234")]),
        vec![("area".into(), AnswerError::TooManyDecimals { decimals: 2 })]
    );
    assert_eq!(
        details(&[("area", "0.5")]),
        vec![("area".into(), AnswerError::BelowMinimum { min: "1".into() })]
    );
    assert_eq!(
        details(&[("area", "10000.01")]),
        vec![(
            "area".into(),
            AnswerError::AboveMaximum {
                max: "10000".into()
            }
        )]
    );
    assert_eq!(
        details(&[("amount", "12.345")]),
        vec![("amount".into(), AnswerError::NotAnAmount)]
    );
    assert_eq!(
        details(&[("amount", "1000001")]),
        vec![(
            "amount".into(),
            AnswerError::AboveMaximum {
                max: "¥1000000.00".into()
            }
        )]
    );
    assert_eq!(
        details(&[("start", "2026-02-30")]),
        vec![("start".into(), AnswerError::NotADate)]
    );
    assert_eq!(
        details(&[("start", "1999-12-31")]),
        vec![(
            "start".into(),
            AnswerError::DateTooEarly {
                limit: NaiveDate::from_ymd_opt(2000, 1, 1).unwrap()
            }
        )]
    );
    assert_eq!(
        details(&[("finish", "2026-01-05")]),
        vec![(
            "finish".into(),
            AnswerError::NotAfter {
                than: "start".into()
            }
        )],
        "end after start"
    );
    assert_eq!(
        details(&[("period.from", "2026-03-10"), ("period.to", "2026-03-01")]),
        vec![("period.to".into(), AnswerError::RangeReversed)]
    );
    assert_eq!(
        details(&[("period.from", "2026-03-01"), ("period.to", "2026-04-01")]),
        vec![(
            "period.to".into(),
            AnswerError::RangeTooLong { max_days: 31 }
        )]
    );
    assert_eq!(
        details(&[("period.from", "2026-03-01")]),
        vec![("period.to".into(), AnswerError::NotADate)]
    );
    assert_eq!(
        details(&[("address.county", "")]),
        vec![("address.county".into(), AnswerError::DivisionMissing)]
    );
    assert_eq!(
        details(&[("address.county", "999999")]),
        vec![("address.county".into(), AnswerError::DivisionMissing)]
    );
    assert_eq!(
        details(&[("address.street", "")]),
        vec![("address.street".into(), AnswerError::StreetMissing)]
    );
    assert_eq!(
        details(&[("note", &"字".repeat(51))]),
        vec![("note".into(), AnswerError::TooLong { max: 50 })]
    );
}

#[test]
fn choices_beyond_the_maximum_are_refused() {
    let def = sample();
    let out = parse_page(
        &def,
        page(&def, "details"),
        &raw(&[("reasons", "a"), ("reasons", "b"), ("reasons", "c")]),
        &Answers::new(),
        &BTreeMap::new(),
        &ctx(),
    );
    assert!(
        out.errors
            .iter()
            .any(|e| e.path == "reasons" && e.error == AnswerError::TooManyChoices { max: 2 })
    );
}

#[test]
fn groups_drop_blank_rows_and_check_each_item() {
    let def = sample();
    let scan = FileRef {
        id: "u1".into(),
        name: "scan.pdf".into(),
        size: 2048,
        kind: FileKind::Pdf,
    };
    let uploads = BTreeMap::from([("scans".to_owned(), vec![scan.clone()])]);
    let out = parse_page(
        &def,
        page(&def, "family"),
        &raw(&[
            ("members.0.name", "王𠀀"),
            ("members.0.id_number", "11010519491231002X"),
            ("members.1.name", ""),
            ("members.1.id_number", ""),
            ("members.2.name", "李四"),
            ("members.2.id_number", "110105194912310021"),
        ]),
        &Answers::new(),
        &uploads,
        &ctx(),
    );
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    assert_eq!(
        out.errors[0].path, "members.1.id_number",
        "the blank row is dropped, so item 2 is now item 1"
    );
    assert_eq!(out.errors[0].field, "members");

    let none = parse_page(
        &def,
        page(&def, "family"),
        &raw(&[]),
        &Answers::new(),
        &uploads,
        &ctx(),
    );
    assert_eq!(none.errors[0].error, AnswerError::Required);

    let too_many: Vec<(String, String)> = (0..4)
        .flat_map(|i| {
            [
                (format!("members.{i}.name"), "张三".to_owned()),
                (
                    format!("members.{i}.id_number"),
                    "11010519491231002X".to_owned(),
                ),
            ]
        })
        .collect();
    let out = parse_page(
        &def,
        page(&def, "family"),
        &too_many,
        &Answers::new(),
        &uploads,
        &ctx(),
    );
    assert_eq!(out.errors[0].error, AnswerError::TooManyItems { max: 3 });

    let png = FileRef {
        kind: FileKind::Png,
        ..scan.clone()
    };
    let wrong = BTreeMap::from([("scans".to_owned(), vec![png])]);
    let out = parse_page(
        &def,
        page(&def, "family"),
        &too_many[..2],
        &Answers::new(),
        &wrong,
        &ctx(),
    );
    assert_eq!(out.errors[0].error, AnswerError::FileKindNotAllowed);
    let three = BTreeMap::from([("scans".to_owned(), vec![scan.clone(), scan.clone(), scan])]);
    let out = parse_page(
        &def,
        page(&def, "family"),
        &too_many[..2],
        &Answers::new(),
        &three,
        &ctx(),
    );
    assert_eq!(out.errors[0].error, AnswerError::TooManyFiles { max: 2 });
}

fn answered(pairs: &[(&str, Answer)]) -> Answers {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

#[test]
fn branches_and_conditions_decide_the_route() {
    let def = sample();
    let text = |s: &str| Answer::Text(s.to_owned());
    let not_resident = answered(&[("resident", text("no"))]);
    let (route, end) = visible_pages(&def, &not_resident);
    assert_eq!(
        route.iter().map(|p| p.key.as_str()).collect::<Vec<_>>(),
        ["eligibility"]
    );
    assert_eq!(end, Step::Exit("not-resident".into()));
    assert_eq!(
        next_step(&def, "eligibility", &not_resident),
        Step::Exit("not-resident".into())
    );
    assert_eq!(
        check_submission(&def, &not_resident, &ctx()),
        Err(SubmissionProblem::NotEligible {
            exit: "not-resident".into()
        })
    );

    let buyer = answered(&[("resident", text("yes")), ("purpose", text("buy"))]);
    let keys = |a: &Answers| {
        visible_pages(&def, a)
            .0
            .iter()
            .map(|p| p.key.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&buyer), ["eligibility", "about", "details", "family"]);
    assert_eq!(
        next_step(&def, "details", &buyer),
        Step::Page("family".into())
    );
    let renter = answered(&[("resident", text("yes")), ("purpose", text("rent"))]);
    assert_eq!(
        keys(&renter),
        ["eligibility", "about", "details", "rental", "family"]
    );
    assert_eq!(next_step(&def, "family", &renter), Step::CheckAnswers);
    assert_eq!(
        first_unanswered(&def, &renter),
        Some(Step::Page("about".into()))
    );
}

fn complete(purpose: &str) -> Answers {
    let text = |s: &str| Answer::Text(s.to_owned());
    let mut a = answered(&[
        ("resident", text("yes")),
        ("name", text("王𠀀")),
        ("id_number", text("11010519491231002x")),
        ("phone", text("13800138000")),
        ("purpose", text(purpose)),
        ("reasons", Answer::Many(vec!["b".into()])),
        ("area", text("100")),
        ("amount", Answer::Amount(5000)),
        ("start", text("2026-01-01")),
        ("finish", text("2026-06-01")),
        (
            "address",
            Answer::Address(AddressAnswer {
                division: "990102".into(),
                street: "示范路1号".into(),
            }),
        ),
        (
            "members",
            Answer::Items(vec![answered(&[
                ("name", text("张三")),
                ("id_number", text("440524188001010014")),
            ])]),
        ),
        (
            "scans",
            Answer::Files(vec![FileRef {
                id: "u1".into(),
                name: "a.pdf".into(),
                size: 10,
                kind: FileKind::Pdf,
            }]),
        ),
    ]);
    a.insert("landlord".into(), text("赵六"));
    a
}

#[test]
fn a_submission_is_checked_again_and_loses_what_was_not_asked() {
    let def = sample();
    let clean = check_submission(&def, &complete("buy"), &ctx()).unwrap();
    assert!(
        !clean.contains_key("landlord"),
        "the rental page was not on the buyer's route"
    );
    assert_eq!(
        clean["id_number"],
        Answer::Text("11010519491231002X".into()),
        "normalised"
    );
    let clean = check_submission(&def, &complete("rent"), &ctx()).unwrap();
    assert_eq!(clean["landlord"], Answer::Text("赵六".into()));

    let mut bad = complete("rent");
    bad.remove("landlord");
    bad.insert("area".into(), Answer::Many(vec!["x".into()]));
    let Err(SubmissionProblem::Invalid(errors)) = check_submission(&def, &bad, &ctx()) else {
        panic!("expected errors");
    };
    let found: Vec<(&str, &str, &AnswerError)> = errors
        .iter()
        .map(|(page, e)| (page.as_str(), e.path.as_str(), &e.error))
        .collect();
    assert_eq!(
        found,
        vec![
            ("details", "area", &AnswerError::WrongShape),
            ("rental", "landlord", &AnswerError::Required)
        ]
    );
}

#[test]
fn prefill_fills_only_what_is_empty() {
    let def = sample();
    let profile = Profile {
        name: Some("王𠀀".into()),
        resident_id: Some("11010519491231002X".into()),
        ..Profile::default()
    };
    let mut existing = Answers::new();
    existing.insert("name".into(), Answer::Text("自己填的".into()));
    let filled = prefill(&def, &existing, &profile);
    assert_eq!(filled["name"], Answer::Text("自己填的".into()));
    assert_eq!(
        filled["id_number"],
        Answer::Text("11010519491231002X".into())
    );
    assert!(!filled.contains_key("phone"));
}

#[test]
fn date_bounds_parse_and_print() {
    for text in ["today", "today+30", "today-365", "2026-01-01"] {
        assert_eq!(DateBound::parse(text).unwrap().to_string(), text);
    }
    for bad in [
        "tomorrow",
        "today+",
        "today*3",
        "2026-13-01",
        "today+99999999999",
    ] {
        assert_eq!(DateBound::parse(bad), None, "{bad}");
    }
}

proptest! {
    #[test]
    fn reading_any_page_never_panics(
        pairs in proptest::collection::vec(
            ("(resident|name|id_number|phone|purpose|reasons|area|amount|start|finish|period\\.from|period\\.to|address\\.county|address\\.street|members\\.[0-9]{1,3}\\.(name|id_number)|note)",
             "\\PC{0,30}"),
            0..20)
    ) {
        let def = sample();
        let mut answers = Answers::new();
        for page in &def.pages {
            let out = parse_page(&def, page, &pairs, &answers, &BTreeMap::new(), &ctx());
            answers = out.answers;
        }
        let _ = check_submission(&def, &answers, &ctx());
    }

    #[test]
    fn routes_move_forward_and_end(resident in proptest::bool::ANY, purpose in "(buy|rent|other)") {
        let def = sample();
        let mut answers = Answers::new();
        answers.insert("resident".into(), Answer::Text(if resident { "yes" } else { "no" }.into()));
        answers.insert("purpose".into(), Answer::Text(purpose));
        let (route, _) = visible_pages(&def, &answers);
        let positions: Vec<usize> = route
            .iter()
            .map(|p| def.pages.iter().position(|q| q.key == p.key).unwrap())
            .collect();
        prop_assert!(positions.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn money_parses_to_exact_fen(yuan in 0i64..10_000_000, fen in 0i64..100) {
        let text = format!("{yuan}.{fen:02}");
        prop_assert_eq!(parse_yuan(&text), Some(yuan * 100 + fen));
    }
}

#[test]
fn answers_read_as_people_expect() {
    let def = sample();
    let mut answers = complete("rent");
    answers.insert(
        "address".into(),
        Answer::Address(AddressAnswer {
            division: "110105".into(),
            street: "建国路88号".into(),
        }),
    );
    let words = DisplayWords {
        yes: "Yes".into(),
        no: "No".into(),
        range_to: " to ".into(),
        not_answered: "Not answered".into(),
        mask_identifiers: true,
        certificate_wallet: "Shared from my certificates".into(),
        certificate_fetch: "Fetched from its issuer".into(),
    };
    let rows = summary_rows(
        &def,
        &answers,
        crate::Locale::En,
        crate::divisions::Divisions::national(),
        &words,
    );
    let line = |key: &str| {
        rows.iter()
            .find(|r| r.field_key == key)
            .map(|r| r.lines.join(" | "))
            .unwrap_or_else(|| panic!("no row {key}"))
    };
    assert_eq!(line("resident"), "Yes");
    assert_eq!(line("purpose"), "Renting");
    assert_eq!(line("reasons"), "乙", "no English label: zh-CN");
    assert_eq!(line("amount"), "¥50.00");
    assert_eq!(line("address"), "北京市朝阳区建国路88号");
    assert_eq!(line("id_number"), "110***********002X", "masked");
    assert_eq!(line("email"), "Not answered");
    assert_eq!(line("scans"), "a.pdf (1 KB)");
    assert_eq!(line("landlord"), "赵六");
    let members = rows.iter().find(|r| r.field_key == "members").unwrap();
    assert_eq!(members.items[0][0], ("Name".to_owned(), "张三".to_owned()));
    assert!(
        members.items[0][1].1.contains('*'),
        "group identifiers masked too"
    );
    let unmasked = summary_rows(
        &def,
        &answers,
        crate::Locale::ZhCn,
        crate::divisions::Divisions::national(),
        &DisplayWords {
            mask_identifiers: false,
            ..words
        },
    );
    assert!(
        unmasked.iter().any(|r| r.lines == ["11010519491231002x"]),
        "as typed in the draft"
    );
    assert_eq!(rows.iter().filter(|r| r.page_key == "rental").count(), 1);
}

fn licence_form(fetch: bool) -> FormDefinition {
    let yaml = format!(
        r#"
pages:
  - key: papers
    title: 证照
    fields:
      - key: licence
        label: 营业执照
        type: e-certificate
        certificate_type: business-licence
        disclose: [name, credit_code]
{}
declaration:
  text: 本人承诺所填信息真实。
  confirm: 我承诺
"#,
        if fetch {
            "        fetch: on-consent"
        } else {
            ""
        }
    );
    serde_norway::from_str(&yaml).expect("form parses")
}

fn shared(def: &FormDefinition, pairs: &[(&str, &str)]) -> PageOutcome {
    parse_page(
        def,
        page(def, "papers"),
        &raw(pairs),
        &Answers::new(),
        &BTreeMap::new(),
        &ctx(),
    )
}

#[test]
fn an_e_certificate_is_shared_only_with_consent_and_fetched_only_where_allowed() {
    let def = licence_form(false);
    assert!(def.check().is_empty(), "{:?}", def.check());
    let id = "0190f3a2-7b1c-7def-8123-456789abcdef";
    let wallet = format!("wallet:{id}");

    let given = shared(&def, &[("licence", &wallet), ("licence.consent", "yes")]);
    assert!(given.errors.is_empty(), "{:?}", given.errors);
    let Some(Answer::Certificate(answer)) = given.answers.get("licence") else {
        panic!("no certificate answer: {:?}", given.answers);
    };
    assert_eq!(
        (answer.source, answer.id.as_deref(), answer.consent),
        (CertificateSource::Wallet, Some(id), true)
    );
    assert_eq!(answer.choice_value(), wallet);
    assert!(observe(&given.answers, "licence").answered);

    let errors_of = |outcome: PageOutcome| -> Vec<AnswerError> {
        outcome.errors.into_iter().map(|e| e.error).collect()
    };
    assert_eq!(
        errors_of(shared(&def, &[("licence", &wallet)])),
        [AnswerError::ConsentRequired],
        "picked but consent not ticked"
    );
    assert_eq!(
        errors_of(shared(
            &def,
            &[("licence", "fetch"), ("licence.consent", "yes")]
        )),
        [AnswerError::NotFetchable]
    );
    assert_eq!(
        errors_of(shared(
            &def,
            &[("licence", "wallet:../x"), ("licence.consent", "yes")]
        )),
        [AnswerError::CertificateNotHeld]
    );
    assert_eq!(errors_of(shared(&def, &[])), [AnswerError::Required]);

    let fetching = licence_form(true);
    let fetched = shared(
        &fetching,
        &[("licence", "fetch"), ("licence.consent", "yes")],
    );
    assert!(fetched.errors.is_empty(), "{:?}", fetched.errors);
    assert_eq!(
        observe(&fetched.answers, "licence").values,
        ["fetch".to_owned()]
    );

    // The API's JSON shape round-trips, and a submission checks consent again.
    let json = serde_json::to_string(&given.answers).unwrap();
    assert_eq!(
        json,
        format!(r#"{{"licence":{{"source":"wallet","id":"{id}","consent":true}}}}"#)
    );
    let back: Answers = serde_json::from_str(&json).unwrap();
    assert_eq!(back, given.answers);
    let withdrawn: Answers = serde_json::from_str(&json.replace("true", "false")).unwrap();
    assert!(matches!(
        check_submission(&def, &withdrawn, &ctx()),
        Err(SubmissionProblem::Invalid(errors)) if errors[0].1.error == AnswerError::ConsentRequired
    ));
}

#[test]
fn e_certificates_cannot_repeat_inside_a_group() {
    let problems = problems_after(|def| {
        let FieldKind::Group { fields, .. } = &mut def
            .pages
            .iter_mut()
            .flat_map(|p| p.fields.iter_mut())
            .find(|f| matches!(f.kind, FieldKind::Group { .. }))
            .unwrap()
            .kind
        else {
            unreachable!()
        };
        fields[0].kind = FieldKind::ECertificate {
            certificate_type: "business-licence".into(),
            disclose: vec!["name".into(), "name".into()],
            fetch: None,
        };
    });
    assert!(
        problems
            .iter()
            .any(|p| p.contains("inside a repeating group")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("listed twice")),
        "{problems:?}"
    );
}
