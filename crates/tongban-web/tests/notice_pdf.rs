//! Legal notices as PDF: every kind renders in zh-CN and en from a snapshot, byte for byte the
//! same each time, and reads back with `pdftotext` (Debian's poppler-utils) with its title,
//! document number, tracking number, every item and, on refusals, the time limits of the
//! rights of appeal. A correction stored without items prints a line that says so. Without
//! `pdftotext` the text checks print "skipped" and pass, unless `TONGBAN_TEST_STRICT=1`.

use std::io::Write;
use std::process::{Command, Stdio};

use axum::http::HeaderValue;
use chrono::NaiveDate;
use tongban_domain::Locale;
use tongban_domain::notices::{Notice, NoticeError, NoticeKind, document_number};
use tongban_store::testing::skip;
use tongban_web::notice_pdf::{notice_content_disposition, notice_document, render_notice};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a real date")
}

/// A notice of `kind` from the demo region's food business licence, with items where the
/// kind needs them.
fn notice(kind: NoticeKind) -> Notice {
    Notice {
        kind,
        number: document_number("示市监", kind.number_word(), 2026, 12).expect("number"),
        issued_on: day(2026, 12, 5),
        department: "示范市市场监督管理局".to_owned(),
        department_code: "SJ".to_owned(),
        region_name: "示范市".to_owned(),
        applicant_name: "示范餐饮有限公司".to_owned(),
        tracking_number: "TB2612010007K".to_owned(),
        service_name: "食品经营许可".to_owned(),
        received_on: day(2026, 12, 1),
        items: match kind {
            NoticeKind::Correction => vec![
                "营业执照复印件不清晰，请重新上传".to_owned(),
                "补充经营场所平面图，标明食品处理区域".to_owned(),
                "法定代表人身份证明已过有效期".to_owned(),
            ],
            NoticeKind::IntakeRefusal => vec!["申请事项依法不需要取得行政许可".to_owned()],
            NoticeKind::Refusal => vec![
                "经营场所与污染源距离不足25米".to_owned(),
                "未配备与经营规模相适应的冷藏设施".to_owned(),
            ],
            _ => Vec::new(),
        },
        refer_to: None,
        comment: None,
        due_on: Some(day(2026, 12, 29)),
        respond_by: Some(day(2026, 12, 19)),
        certificate: Some("食品经营许可证".to_owned()),
        reconsideration_body: "示范市人民政府".to_owned(),
        court: "示范市东湖区人民法院".to_owned(),
        contact: Some("许可窗口 0000-12345678".to_owned()),
        seal: None,
    }
}

/// Whether `pdftotext` can be run; says "skipped" (or fails, under strict mode) when not.
fn pdftotext_available() -> bool {
    match Command::new("pdftotext").arg("-v").output() {
        Ok(_) => true,
        Err(error) => {
            skip(
                "reading notice PDFs back with pdftotext",
                &format!("pdftotext cannot be started ({error}); apt-get install poppler-utils"),
            );
            false
        }
    }
}

/// The text of `pdf` as `pdftotext -layout` reads it.
fn pdftotext(pdf: &[u8]) -> String {
    let mut child = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pdftotext starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(pdf)
        .expect("write the PDF to pdftotext");
    let output = child.wait_with_output().expect("pdftotext runs");
    assert!(
        output.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 text")
}

/// Text without any whitespace, so a phrase wrapped across lines still matches.
fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// With `TONGBAN_PDF_OUT` set, writes `pdf` there to look at:
/// `TONGBAN_PDF_OUT=/tmp cargo test -p tongban-web --test notice_pdf`.
fn keep_for_inspection(name: &str, pdf: &[u8]) {
    if let Some(dir) = std::env::var_os("TONGBAN_PDF_OUT") {
        std::fs::write(std::path::Path::new(&dir).join(name), pdf).expect("write the PDF");
    }
}

fn assert_contains(text: &str, phrases: &[&str], what: &str) {
    let text = squeezed(text);
    for phrase in phrases {
        assert!(
            text.contains(&squeezed(phrase)),
            "{what}: {phrase:?} missing from the PDF's text:\n{text}"
        );
    }
}

#[test]
fn every_kind_renders_in_both_languages_with_what_the_law_requires() {
    let can_read = pdftotext_available();
    for kind in NoticeKind::ALL {
        let notice = notice(kind);
        assert_eq!(notice.validate(), Ok(()), "{kind:?}");
        for locale in [Locale::ZhCn, Locale::En] {
            let what = format!("{} {}", kind.key(), locale.tag());
            let pdf = render_notice(&notice, locale).expect("renders");
            assert!(pdf.starts_with(b"%PDF-"), "{what}");
            assert!(pdf.len() < 100 * 1024, "{what}: {} bytes", pdf.len());
            assert_eq!(
                render_notice(&notice, locale).expect("renders again"),
                pdf,
                "{what}: rendering a snapshot is deterministic"
            );
            assert_eq!(
                tongban_pdf::page_count(&notice_document(&notice, locale)).expect("pages"),
                1,
                "{what}: a notice fits one page"
            );
            keep_for_inspection(&format!("{}-{}.pdf", kind.key(), locale.tag()), &pdf);
            if !can_read {
                continue;
            }
            let text = pdftotext(&pdf);
            let mut expected = vec![
                kind.title(locale),
                notice.number.as_str(),
                notice.tracking_number.as_str(),
                notice.department.as_str(),
                notice.applicant_name.as_str(),
            ];
            expected.extend(notice.items.iter().map(String::as_str));
            match locale {
                Locale::En => expected.extend([
                    "5 December 2026",
                    "Translation for reference",
                    "electronic document",
                ]),
                _ => expected.extend(["2026年12月5日", "本文书为电子文书", "不带电子印章"]),
            }
            if kind.states_rights() {
                expected.extend(match locale {
                    Locale::En => [
                        "within 60 days",
                        "within 6 months",
                        "示范市人民政府",
                        "示范市东湖区人民法院",
                    ],
                    _ => [
                        "60日内向示范市人民政府申请行政复议",
                        "6个月内向示范市东湖区人民法院提起行政诉讼",
                        "第二十条",
                        "第四十六条",
                    ],
                });
            } else {
                let squeezed_text = squeezed(&text);
                assert!(
                    !squeezed_text.contains("60日") && !squeezed_text.contains("60 days"),
                    "{what}: rights of appeal only on refusals"
                );
            }
            match (kind, locale) {
                (NoticeKind::Acceptance, Locale::En) => expected.push("29 December 2026"),
                (NoticeKind::Acceptance, _) => expected.push("2026年12月29日前作出"),
                (NoticeKind::Correction, Locale::En) => {
                    expected.extend(["19 December 2026", "at once"])
                }
                (NoticeKind::Correction, _) => {
                    expected.extend(["请于2026年12月19日前补正", "一次性告知"])
                }
                (NoticeKind::Approval, _) => expected.push("食品经营许可证"),
                _ => {}
            }
            assert_contains(&text, &expected, &what);
            if !notice.items.is_empty() {
                // Numbered, in order.
                let squeezed_text = squeezed(&text);
                let positions: Vec<usize> = notice
                    .items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        squeezed_text
                            .find(&squeezed(&format!("{}. {item}", i + 1)))
                            .unwrap_or_else(|| panic!("{what}: item {} numbered", i + 1))
                    })
                    .collect();
                assert!(positions.is_sorted(), "{what}: items in order");
            }
        }
    }
}

#[test]
fn a_correction_without_items_is_refused_at_issue_and_printed_with_a_clear_line() {
    let mut notice = notice(NoticeKind::Correction);
    notice.items.clear();
    assert_eq!(notice.validate(), Err(NoticeError::NothingToCorrect));
    // A snapshot stored that way all the same still downloads, and says what is missing.
    let pdf = render_notice(&notice, Locale::ZhCn).expect("renders");
    let document = notice_document(&notice, Locale::ZhCn);
    assert!(
        !document
            .blocks
            .iter()
            .any(|b| matches!(b, tongban_pdf::Block::Numbered(_))),
        "no empty list"
    );
    if pdftotext_available() {
        assert_contains(
            &pdftotext(&pdf),
            &["本文书未列明需要补正的内容，请与本机关联系核实。"],
            "correction without items",
        );
    }
}

#[test]
fn uyghur_and_tibetan_readers_get_the_chinese_original() {
    let notice = notice(NoticeKind::Refusal);
    let original = render_notice(&notice, Locale::ZhCn).expect("renders");
    for locale in [Locale::Ug, Locale::Bo] {
        assert_eq!(render_notice(&notice, locale).expect("renders"), original);
        assert_eq!(notice_document(&notice, locale).lang, "zh-CN");
    }
    assert_eq!(notice_document(&notice, Locale::En).lang, "en");
}

#[test]
fn the_download_is_named_after_the_notice() {
    let notice = notice(NoticeKind::Approval);
    let value = notice_content_disposition(&notice, Locale::ZhCn);
    assert!(
        value.starts_with("attachment; filename=\"approval-TB2612010007K-zh-CN.pdf\""),
        "{value}"
    );
    assert!(HeaderValue::from_str(&value).is_ok());
    let en = notice_content_disposition(&notice, Locale::Bo);
    assert!(en.contains("zh-CN.pdf"), "{en}");
}

#[test]
fn a_sealed_notice_prints_its_seal_address_and_qr_code_the_same_each_time() {
    let unsealed = notice(NoticeKind::Approval);
    let mut sealed = unsealed.clone();
    let url = "https://zwfw.example.gov.cn/notices/check/0193a0c0-0000-7000-8000-000000000001/AAECAwQFBgcICQoLDA0ODw";
    sealed.seal = Some(tongban_domain::notices::SealMark {
        kid: "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k".to_owned(),
        digest: "Ut4Ow1B8isnGtp9WZZZZZZZZZZZZZZZZZZZZZZZZZZZ".to_owned(),
        check_url: url.to_owned(),
    });
    for locale in [Locale::ZhCn, Locale::En] {
        let document = notice_document(&sealed, locale);
        assert!(
            document
                .blocks
                .iter()
                .any(|b| matches!(b, tongban_pdf::Block::Qr { text, .. } if text == url)),
            "a QR code of the address"
        );
        assert!(
            !notice_document(&unsealed, locale)
                .blocks
                .iter()
                .any(|b| matches!(b, tongban_pdf::Block::Qr { .. })),
            "no QR code without a seal"
        );
        let pdf = render_notice(&sealed, locale).expect("renders");
        assert_eq!(render_notice(&sealed, locale).expect("renders again"), pdf);
        assert_eq!(
            tongban_pdf::page_count(&document).expect("pages"),
            1,
            "the seal fits the notice's one page"
        );
        keep_for_inspection(&format!("sealed-{}.pdf", locale.tag()), &pdf);
        if pdftotext_available() {
            let heading = if locale == Locale::En {
                "Electronic seal"
            } else {
                "电子签章"
            };
            assert_contains(
                &pdftotext(&pdf),
                &[
                    heading,
                    url,
                    "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
                    "Ut4Ow1B8isnGtp9W…",
                ],
                "sealed notice",
            );
        }
    }
}
