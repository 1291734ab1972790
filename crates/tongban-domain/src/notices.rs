//! Legal notices (行政许可文书): the written documents the Administrative Licensing Law
//! (《中华人民共和国行政许可法》) requires at each turn of a licensing case, and their wording.
//!
//! A case keeps a frozen snapshot of each notice's facts ([`Notice`], stored as JSON) rather than
//! a rendered file; the PDF is drawn from the snapshot on download, deterministically, so a batch
//! of a thousand approvals stores a thousand small records and renders nothing until someone
//! asks. [`notice_text`] turns a snapshot into the words of the document: zh-CN is the legal
//! original, en a translation for readers that says so; ug and bo readers get zh-CN, because
//! the PDF renderer cannot shape their scripts yet.
//!
//! The wording follows the Act: acceptance and intake refusal (Art. 32), the one-time complete
//! list of corrections (Art. 32(4)), refusal with reasons and the applicant's rights (Art.
//! 38(2)), approval and the certificate issued (Art. 38(1), 39). The rights' time limits come
//! from the Administrative Reconsideration Law (Art. 20, 60 days) and the Administrative
//! Litigation Law (Art. 46, 6 months).

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::Locale;

pub mod seal;

pub use seal::SealMark;

/// Which document of the licensing procedure a notice is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoticeKind {
    /// 受理通知书: the application is complete and accepted (Art. 32(5)).
    Acceptance,
    /// 补正告知书: everything to correct or add, told at once (Art. 32(4)).
    Correction,
    /// 不予受理决定书: the application is not accepted (Art. 32(1)(2)).
    IntakeRefusal,
    /// 不予许可决定书: the licence is refused after review (Art. 38(2)).
    Refusal,
    /// 准予许可决定书: the licence is granted (Art. 38(1)).
    Approval,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 5] = [
        NoticeKind::Acceptance,
        NoticeKind::Correction,
        NoticeKind::IntakeRefusal,
        NoticeKind::Refusal,
        NoticeKind::Approval,
    ];

    /// The stable key used in URLs, data and the stored snapshot.
    pub fn key(self) -> &'static str {
        match self {
            NoticeKind::Acceptance => "acceptance",
            NoticeKind::Correction => "correction",
            NoticeKind::IntakeRefusal => "intake-refusal",
            NoticeKind::Refusal => "refusal",
            NoticeKind::Approval => "approval",
        }
    }

    pub fn from_key(key: &str) -> Option<NoticeKind> {
        NoticeKind::ALL.into_iter().find(|kind| kind.key() == key)
    }

    /// The document's title, in Chinese (the legal name) or English.
    pub fn title(self, locale: Locale) -> &'static str {
        match (self, locale) {
            (NoticeKind::Acceptance, Locale::En) => "Notice of Acceptance",
            (NoticeKind::Correction, Locale::En) => "Notice to Correct Application Materials",
            (NoticeKind::IntakeRefusal, Locale::En) => "Decision Not to Accept an Application",
            (NoticeKind::Refusal, Locale::En) => "Decision Not to Grant an Administrative Licence",
            (NoticeKind::Approval, Locale::En) => "Decision to Grant an Administrative Licence",
            (NoticeKind::Acceptance, _) => "受理通知书",
            (NoticeKind::Correction, _) => "补正告知书",
            (NoticeKind::IntakeRefusal, _) => "不予受理决定书",
            (NoticeKind::Refusal, _) => "不予许可决定书",
            (NoticeKind::Approval, _) => "准予许可决定书",
        }
    }

    /// The word that marks this kind in a document number (示市监许〔2026〕12号), so each kind
    /// keeps its own sequence.
    pub fn number_word(self) -> &'static str {
        match self {
            NoticeKind::Acceptance => "受",
            NoticeKind::Correction => "补",
            NoticeKind::IntakeRefusal => "不受",
            NoticeKind::Refusal => "不许",
            NoticeKind::Approval => "许",
        }
    }

    /// Whether the notice is meaningless without items: the corrections asked for, or the
    /// reasons for a refusal (Art. 32(4), 38(2)).
    pub fn requires_items(self) -> bool {
        matches!(
            self,
            NoticeKind::Correction | NoticeKind::IntakeRefusal | NoticeKind::Refusal
        )
    }

    /// Whether the notice tells the applicant how to challenge it: both refusals are
    /// administrative acts against which reconsideration and litigation lie.
    pub fn states_rights(self) -> bool {
        matches!(self, NoticeKind::IntakeRefusal | NoticeKind::Refusal)
    }
}

/// The frozen facts of one notice, kept with the case and rendered on demand. Plain data:
/// whatever the case module knew when the notice was issued, so a later rename of the
/// department or service does not rewrite documents already sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub kind: NoticeKind,
    /// 文号, made by [`document_number`].
    pub number: String,
    pub issued_on: NaiveDate,
    /// The issuing department's full name in Chinese (示范市市场监督管理局).
    pub department: String,
    pub department_code: String,
    pub region_name: String,
    pub applicant_name: String,
    /// The case's tracking number (办件编号), by which the applicant can look it up.
    pub tracking_number: String,
    pub service_name: String,
    /// When the application (or, for an acceptance after correction, the last materials)
    /// arrived.
    pub received_on: NaiveDate,
    /// Correction: everything to correct or add. Refusals: the reasons. Otherwise unused.
    #[serde(default)]
    pub items: Vec<String>,
    /// Intake refusal of a matter outside this department's remit: the authority to apply to
    /// instead (Art. 32(2)).
    #[serde(default)]
    pub refer_to: Option<String>,
    /// A further paragraph the department adds in its own words.
    #[serde(default)]
    pub comment: Option<String>,
    /// Acceptance: the date the decision is expected by.
    #[serde(default)]
    pub due_on: Option<NaiveDate>,
    /// Correction: the date to correct by.
    #[serde(default)]
    pub respond_by: Option<NaiveDate>,
    /// Approval: what is issued with the decision (食品经营许可证).
    #[serde(default)]
    pub certificate: Option<String>,
    /// Refusals: where to apply for administrative reconsideration (示范市人民政府).
    #[serde(default)]
    pub reconsideration_body: String,
    /// Refusals: where to bring an administrative suit (示范市东湖区人民法院).
    #[serde(default)]
    pub court: String,
    /// Who to ask, with a phone number.
    #[serde(default)]
    pub contact: Option<String>,
    /// The department's electronic seal, when the notice was sealed: never part of the stored
    /// snapshot (the seal signs the snapshot's text), attached by the case module when it
    /// loads a sealed notice. `None` for notices issued before seals existed.
    #[serde(skip)]
    pub seal: Option<SealMark>,
}

/// Why a notice cannot be issued as it stands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoticeError {
    #[error("a notice needs {0}")]
    Missing(&'static str),
    #[error("a correction notice must list everything to correct, at once")]
    NothingToCorrect,
    #[error("a refusal must give its reasons")]
    NoReasons,
    #[error("an item of the notice is blank")]
    BlankItem,
    #[error("a notice cannot be issued before the application was received")]
    IssuedBeforeReceipt,
    #[error("{0} cannot be before the notice is issued")]
    BeforeIssue(&'static str),
    #[error("a document number needs the department's short name")]
    NoShortName,
    #[error("a document number's year must have four digits")]
    BadYear,
    #[error("document numbers start at 1")]
    ZeroSequence,
}

impl Notice {
    /// Checks what the law and plain sense require before a notice is frozen: the parties,
    /// the items a correction or refusal must carry, the bodies a refusal names, dates in
    /// order. The case module calls it when issuing; rendering never refuses a stored notice.
    pub fn validate(&self) -> Result<(), NoticeError> {
        for (value, what) in [
            (&self.number, "a document number"),
            (&self.department, "the issuing department"),
            (&self.applicant_name, "the applicant's name"),
            (&self.tracking_number, "the tracking number"),
            (&self.service_name, "the service's name"),
        ] {
            if value.trim().is_empty() {
                return Err(NoticeError::Missing(what));
            }
        }
        if self.kind.requires_items() && self.items.is_empty() {
            return Err(match self.kind {
                NoticeKind::Correction => NoticeError::NothingToCorrect,
                _ => NoticeError::NoReasons,
            });
        }
        if self.items.iter().any(|item| item.trim().is_empty()) {
            return Err(NoticeError::BlankItem);
        }
        if self.kind.states_rights() {
            if self.reconsideration_body.trim().is_empty() {
                return Err(NoticeError::Missing("the reconsideration body"));
            }
            if self.court.trim().is_empty() {
                return Err(NoticeError::Missing("the court"));
            }
        }
        if self.issued_on < self.received_on {
            return Err(NoticeError::IssuedBeforeReceipt);
        }
        if self.due_on.is_some_and(|due| due < self.issued_on) {
            return Err(NoticeError::BeforeIssue("the decision's due date"));
        }
        if self.respond_by.is_some_and(|by| by < self.issued_on) {
            return Err(NoticeError::BeforeIssue("the date to correct by"));
        }
        Ok(())
    }
}

/// A document number (发文字号) as GB/T 9704-2012 writes it: the department's short
/// name and the kind's word, the full year in 〔〕, the sequence without padding or 第, and 号:
/// `document_number("示市监", "许", 2026, 12)` is `示市监许〔2026〕12号`.
pub fn document_number(
    department_short: &str,
    word: &str,
    year: i32,
    sequence: u32,
) -> Result<String, NoticeError> {
    let short = department_short.trim();
    if short.is_empty() {
        return Err(NoticeError::NoShortName);
    }
    if !(1000..=9999).contains(&year) {
        return Err(NoticeError::BadYear);
    }
    if sequence == 0 {
        return Err(NoticeError::ZeroSequence);
    }
    Ok(format!("{short}{}〔{year}〕{sequence}号", word.trim()))
}

/// A date as Chinese documents write it: 2026年12月5日 (no leading zeros).
pub fn chinese_date(date: NaiveDate) -> String {
    format!("{}年{}月{}日", date.year(), date.month(), date.day())
}

/// A date as English prose writes it: 5 December 2026.
pub fn english_date(date: NaiveDate) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let month = MONTHS
        .get(date.month0() as usize)
        .copied()
        .unwrap_or_default();
    format!("{} {month} {}", date.day(), date.year())
}

/// The words of a notice, in reading order, ready to lay out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeText {
    /// The language the words are in (zh-CN for ug and bo readers).
    pub locale: Locale,
    /// The issuing department, printed above the title.
    pub issuer: String,
    pub title: String,
    pub number: String,
    /// Set on a translation: the Chinese original is the legal document.
    pub translation_note: Option<String>,
    /// 「申请人：」 line.
    pub addressee: String,
    /// The body before the items.
    pub paragraphs: Vec<String>,
    /// Corrections or reasons, to be numbered; empty for other kinds.
    pub items: Vec<String>,
    /// The body after the items: when and how to respond, where to apply instead, the
    /// department's comment.
    pub follow_up: Vec<String>,
    /// The rights of reconsideration and litigation, on refusals.
    pub rights: Option<String>,
    pub contact: Option<String>,
    /// 「特此通知。」 and the like.
    pub closing: String,
    /// Who signs: the department.
    pub signer: String,
    pub date_line: String,
    /// Where the seal goes: on an unsealed notice, that it is not there; on a sealed one,
    /// what the seal is and how to check it.
    pub seal_note: String,
    /// A sealed notice's seal block: heading, lines and the verification address.
    pub seal: Option<SealText>,
    /// A short line for the foot of each page.
    pub footer: String,
}

/// The printed seal of a sealed notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealText {
    /// 「电子签章」.
    pub heading: String,
    /// Who sealed, the key, the digest's first characters, where to check.
    pub lines: Vec<String>,
    /// The verification address, for a QR code.
    pub url: String,
}

/// The first characters of a seal's digest, as printed.
fn digest_prefix(digest: &str) -> &str {
    digest
        .char_indices()
        .nth(seal::DIGEST_PREFIX)
        .map_or(digest, |(at, _)| &digest[..at])
}

fn seal_text(n: &Notice, locale: Locale) -> Option<SealText> {
    let mark = n.seal.as_ref()?;
    let department = n.department.trim();
    let digest = digest_prefix(&mark.digest);
    Some(match locale {
        Locale::En => SealText {
            heading: "Electronic seal".to_owned(),
            lines: vec![
                format!("Sealed by: {department}"),
                format!("Signing key: {}", mark.kid),
                format!("Document digest (SHA-256): {digest}…"),
                format!("Verify at: {}", mark.check_url),
            ],
            url: mark.check_url.clone(),
        },
        _ => SealText {
            heading: "电子签章".to_owned(),
            lines: vec![
                format!("签章机关：{department}"),
                format!("签名密钥：{}", mark.kid),
                format!("文书摘要（SHA-256）：{digest}…"),
                format!("验证地址：{}", mark.check_url),
            ],
            url: mark.check_url.clone(),
        },
    })
}

/// The words of `notice` in `locale`. Never fails: a stored notice always renders, and a
/// correction or refusal stored without items says so in a line of its own rather than
/// reading as though nothing were wrong.
pub fn notice_text(notice: &Notice, locale: Locale) -> NoticeText {
    match locale {
        Locale::En => english(notice),
        Locale::ZhCn | Locale::Ug | Locale::Bo => chinese(notice),
    }
}

/// Non-blank items, trimmed: a stored snapshot may predate validation.
fn listed_items(notice: &Notice) -> Vec<String> {
    notice
        .items
        .iter()
        .map(|item| item.trim())
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn chinese(n: &Notice) -> NoticeText {
    const LAW: &str = "《中华人民共和国行政许可法》";
    let items = listed_items(n);
    let received = chinese_date(n.received_on);
    let application = format!(
        "你（单位）于{received}提交的“{}”申请（办件编号：{}）",
        n.service_name.trim(),
        n.tracking_number.trim()
    );
    let mut paragraphs = Vec::new();
    let mut follow_up = Vec::new();
    let missing_items = |what: &str| format!("（本文书未列明{what}，请与本机关联系核实。）");
    let closing = match n.kind {
        NoticeKind::Acceptance => {
            paragraphs.push(format!(
                "{application}，申请材料齐全、符合法定形式。根据{LAW}第三十二条第一款第（五）项的规定，本机关决定自{}起受理。",
                chinese_date(n.issued_on)
            ));
            if let Some(due) = n.due_on {
                paragraphs.push(format!(
                    "本机关将于{}前作出是否准予行政许可的决定。依法需要听证、招标、拍卖、检验、检测、检疫、鉴定和专家评审的，所需时间不计算在上述期限内，本机关将书面告知所需时间。",
                    chinese_date(due)
                ));
            }
            paragraphs.push("你（单位）可以凭办件编号在本平台查询办理进度和结果。".to_owned());
            "特此通知。"
        }
        NoticeKind::Correction => {
            paragraphs.push(format!(
                "{application}，经审查，申请材料不齐全或者不符合法定形式。根据{LAW}第三十二条第一款第（四）项的规定，现一次性告知你（单位）需要补正的全部内容如下："
            ));
            if items.is_empty() {
                follow_up.push(missing_items("需要补正的内容"));
            }
            match n.respond_by {
                Some(by) => follow_up.push(format!("请于{}前补正上述全部内容。", chinese_date(by))),
                None => follow_up.push("请尽快补正上述全部内容。".to_owned()),
            }
            follow_up.push(
                "补正方式：登录本平台，凭办件编号找到本申请，按上述内容修改或者补充材料后重新提交；也可以将补正材料送交本机关办事窗口。".to_owned(),
            );
            follow_up.push(
                "本机关自收到全部补正材料之日起受理申请，审查期限自受理之日起计算；此前的时间不计入办理期限。".to_owned(),
            );
            "特此告知。"
        }
        NoticeKind::IntakeRefusal => {
            paragraphs.push(format!(
                "{application}，经审查，根据{LAW}第三十二条第一款的规定，本机关决定不予受理，理由如下："
            ));
            if items.is_empty() {
                follow_up.push(missing_items("不予受理的理由"));
            }
            if let Some(authority) = present(&n.refer_to) {
                follow_up.push(format!(
                    "该申请事项不属于本机关职权范围，请向{authority}提出申请。"
                ));
            }
            "特此决定。"
        }
        NoticeKind::Refusal => {
            paragraphs.push(format!(
                "{application}，经审查，不符合法定条件、标准。根据{LAW}第三十八条第二款的规定，本机关决定不予行政许可，理由如下："
            ));
            if items.is_empty() {
                follow_up.push(missing_items("不予许可的理由"));
            }
            "特此决定。"
        }
        NoticeKind::Approval => {
            paragraphs.push(format!(
                "{application}，经审查，符合法定条件、标准。根据{LAW}第三十八条第一款的规定，本机关决定准予行政许可。"
            ));
            match present(&n.certificate) {
                Some(certificate) => paragraphs.push(format!(
                    "根据{LAW}第三十九条的规定，本机关向你（单位）颁发{certificate}。电子证照可凭办件编号在本平台查看和下载。"
                )),
                None => paragraphs.push(
                    "本决定书即为准予行政许可的书面凭证，可凭办件编号在本平台查看和下载。"
                        .to_owned(),
                ),
            }
            paragraphs.push(
                "根据该法第四十条的规定，准予行政许可的决定将依法公开，公众有权查阅。".to_owned(),
            );
            "特此决定。"
        }
    };
    if let Some(comment) = present(&n.comment) {
        follow_up.push(comment.to_owned());
    }
    let rights = n.kind.states_rights().then(|| {
        format!(
            "如不服本决定，你（单位）可以自收到本决定书之日起60日内向{}申请行政复议（《中华人民共和国行政复议法》第二十条），或者自收到本决定书之日起6个月内向{}提起行政诉讼（《中华人民共和国行政诉讼法》第四十六条）。",
            n.reconsideration_body.trim(),
            n.court.trim()
        )
    });
    NoticeText {
        locale: Locale::ZhCn,
        issuer: n.department.trim().to_owned(),
        title: n.kind.title(Locale::ZhCn).to_owned(),
        number: n.number.trim().to_owned(),
        translation_note: None,
        addressee: format!("{}：", n.applicant_name.trim()),
        paragraphs,
        items,
        follow_up,
        rights,
        contact: present(&n.contact).map(|c| format!("联系方式：{c}")),
        closing: closing.to_owned(),
        signer: n.department.trim().to_owned(),
        date_line: chinese_date(n.issued_on),
        // An unsealed notice keeps its note word for word, so it renders as it always did.
        seal_note: if n.seal.is_some() {
            format!(
                "本文书为电子文书，由{}通过本平台出具，并加盖本机关电子签章（数字签名）。可访问下列验证地址或扫描二维码核验文书真伪及内容是否被改动。",
                n.department.trim()
            )
        } else {
            format!(
                "（盖章处）本文书为电子文书，由{}通过本平台出具。本机关电子签章启用前，本文书不带电子印章；启用后出具的文书将加盖本机关电子印章。",
                n.department.trim()
            )
        },
        seal: seal_text(n, Locale::ZhCn),
        footer: footer(n, "办件编号"),
    }
}

fn english(n: &Notice) -> NoticeText {
    const LAW: &str = "the Administrative Licensing Law of the People's Republic of China";
    let items = listed_items(n);
    let application = format!(
        "Your application for \u{201c}{}\u{201d} (tracking number {}), received on {}",
        n.service_name.trim(),
        n.tracking_number.trim(),
        english_date(n.received_on)
    );
    let mut paragraphs = Vec::new();
    let mut follow_up = Vec::new();
    let missing_items = |what: &str| {
        format!("(This document does not list {what}. Please contact us to have it completed.)")
    };
    let closing = match n.kind {
        NoticeKind::Acceptance => {
            paragraphs.push(format!(
                "{application}, is complete and in the form the law requires. Under Article 32(1)(5) of {LAW}, we accept it as of {}.",
                english_date(n.issued_on)
            ));
            if let Some(due) = n.due_on {
                paragraphs.push(format!(
                    "We will decide whether to grant the licence by {}. Time needed by law for hearings, tenders, auctions, inspections, tests, quarantine, appraisals or expert review does not count toward this limit; we will tell you in writing how long it takes.",
                    english_date(due)
                ));
            }
            paragraphs.push(
                "You can follow the progress and the result on this platform with your tracking number."
                    .to_owned(),
            );
            "This notice is hereby given."
        }
        NoticeKind::Correction => {
            paragraphs.push(format!(
                "{application}, is incomplete or not in the form the law requires. Under Article 32(1)(4) of {LAW}, we list here, at once, everything you need to correct or add:"
            ));
            if items.is_empty() {
                follow_up.push(missing_items("what is to be corrected"));
            }
            match n.respond_by {
                Some(by) => follow_up.push(format!(
                    "Please correct all of the above by {}.",
                    english_date(by)
                )),
                None => follow_up.push("Please correct all of the above soon.".to_owned()),
            }
            follow_up.push(
                "How to respond: sign in to this platform, find this application by its tracking number, correct or add the materials listed above and submit it again; or bring the materials to our service window.".to_owned(),
            );
            follow_up.push(
                "We accept the application on the day all the corrected materials arrive, and the time limit for our decision runs from that day; the time before it does not count.".to_owned(),
            );
            "This notice is hereby given."
        }
        NoticeKind::IntakeRefusal => {
            paragraphs.push(format!(
                "{application}, has been examined. Under Article 32(1) of {LAW}, we do not accept it, for these reasons:"
            ));
            if items.is_empty() {
                follow_up.push(missing_items("the reasons"));
            }
            if let Some(authority) = present(&n.refer_to) {
                follow_up.push(format!(
                    "The matter is outside our remit; please apply to {authority}."
                ));
            }
            "This decision is hereby given."
        }
        NoticeKind::Refusal => {
            paragraphs.push(format!(
                "{application}, has been reviewed. Under Article 38(2) of {LAW}, we do not grant the licence, for these reasons:"
            ));
            if items.is_empty() {
                follow_up.push(missing_items("the reasons"));
            }
            "This decision is hereby given."
        }
        NoticeKind::Approval => {
            paragraphs.push(format!(
                "{application}, has been reviewed and meets the conditions and standards set by law. Under Article 38(1) of {LAW}, we grant the licence."
            ));
            match present(&n.certificate) {
                Some(certificate) => paragraphs.push(format!(
                    "Under Article 39 of that law we issue you: {certificate}. The electronic certificate can be viewed and downloaded on this platform with your tracking number."
                )),
                None => paragraphs.push(
                    "This decision is your written proof of the licence; it can be viewed and downloaded on this platform with your tracking number."
                        .to_owned(),
                ),
            }
            paragraphs.push(
                "Under Article 40 of that law, the decision to grant a licence is made public and anyone may consult it."
                    .to_owned(),
            );
            "This decision is hereby given."
        }
    };
    if let Some(comment) = present(&n.comment) {
        follow_up.push(comment.to_owned());
    }
    let rights = n.kind.states_rights().then(|| {
        format!(
            "If you disagree with this decision, you may apply to {} for administrative reconsideration within 60 days of receiving it (Article 20 of the Administrative Reconsideration Law), or bring an administrative suit before {} within 6 months of receiving it (Article 46 of the Administrative Litigation Law).",
            n.reconsideration_body.trim(),
            n.court.trim()
        )
    });
    NoticeText {
        locale: Locale::En,
        issuer: n.department.trim().to_owned(),
        title: n.kind.title(Locale::En).to_owned(),
        number: n.number.trim().to_owned(),
        translation_note: Some(format!(
            "Translation for reference. The legal document is the Chinese original, {}.",
            n.kind.title(Locale::ZhCn)
        )),
        addressee: format!("To: {}", n.applicant_name.trim()),
        paragraphs,
        items,
        follow_up,
        rights,
        contact: present(&n.contact).map(|c| format!("Contact: {c}")),
        closing: closing.to_owned(),
        signer: n.department.trim().to_owned(),
        date_line: english_date(n.issued_on),
        seal_note: if n.seal.is_some() {
            format!(
                "This is an electronic document issued by {} through this platform and sealed with the department's electronic seal (a digital signature). Check that it is genuine and unchanged at the address below or by scanning the QR code.",
                n.department.trim()
            )
        } else {
            format!(
                "(Seal) This is an electronic document issued by {} through this platform. It does not carry the department's electronic seal: documents issued after the department's signing keys are in place will.",
                n.department.trim()
            )
        },
        seal: seal_text(n, Locale::En),
        footer: footer(n, "Tracking number"),
    }
}

fn footer(n: &Notice, tracking_label: &str) -> String {
    let mut parts = Vec::new();
    for part in [&n.region_name, &n.department] {
        if !part.trim().is_empty() {
            parts.push(part.trim().to_owned());
        }
    }
    parts.push(n.number.trim().to_owned());
    parts.push(format!("{tracking_label} {}", n.tracking_number.trim()));
    parts.join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a real date")
    }

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
                    "补充经营场所平面图".to_owned(),
                ],
                NoticeKind::IntakeRefusal | NoticeKind::Refusal => {
                    vec!["经营场所与污染源距离不足25米".to_owned()]
                }
                _ => Vec::new(),
            },
            refer_to: None,
            comment: None,
            due_on: Some(day(2026, 12, 29)),
            respond_by: Some(day(2026, 12, 19)),
            certificate: Some("食品经营许可证".to_owned()),
            reconsideration_body: "示范市人民政府".to_owned(),
            court: "示范市东湖区人民法院".to_owned(),
            contact: Some("窗口 0000-12345678".to_owned()),
            seal: None,
        }
    }

    fn all_text(text: &NoticeText) -> String {
        let mut parts = vec![
            text.issuer.clone(),
            text.title.clone(),
            text.number.clone(),
            text.addressee.clone(),
        ];
        parts.extend(text.paragraphs.iter().cloned());
        parts.extend(text.items.iter().cloned());
        parts.extend(text.follow_up.iter().cloned());
        parts.extend(text.rights.iter().cloned());
        parts.extend(text.contact.iter().cloned());
        parts.push(text.closing.clone());
        parts.push(text.signer.clone());
        parts.push(text.date_line.clone());
        parts.push(text.seal_note.clone());
        parts.join("\n")
    }

    #[test]
    fn document_numbers_follow_the_official_document_standard() {
        assert_eq!(
            document_number("示市监", "许", 2026, 12).as_deref(),
            Ok("示市监许〔2026〕12号")
        );
        assert_eq!(
            document_number(" 示市监 ", "不受", 2027, 1).as_deref(),
            Ok("示市监不受〔2027〕1号")
        );
        assert_eq!(
            document_number("", "许", 2026, 1),
            Err(NoticeError::NoShortName)
        );
        assert_eq!(
            document_number("示市监", "许", 26, 1),
            Err(NoticeError::BadYear)
        );
        assert_eq!(
            document_number("示市监", "许", 2026, 0),
            Err(NoticeError::ZeroSequence)
        );
    }

    #[test]
    fn dates_are_written_without_leading_zeros() {
        assert_eq!(chinese_date(day(2026, 12, 5)), "2026年12月5日");
        assert_eq!(chinese_date(day(2027, 1, 10)), "2027年1月10日");
        assert_eq!(english_date(day(2026, 12, 5)), "5 December 2026");
        assert_eq!(english_date(day(2027, 1, 31)), "31 January 2027");
    }

    #[test]
    fn kinds_round_trip_through_their_keys_and_serde() {
        for kind in NoticeKind::ALL {
            assert_eq!(NoticeKind::from_key(kind.key()), Some(kind));
            let json = serde_json::to_string(&kind).expect("serialise");
            assert_eq!(json, format!("\"{}\"", kind.key()));
        }
        assert_eq!(NoticeKind::from_key("Approval"), None);
        let words: std::collections::BTreeSet<_> =
            NoticeKind::ALL.iter().map(|k| k.number_word()).collect();
        assert_eq!(words.len(), 5, "each kind numbers its own sequence");
    }

    #[test]
    fn the_snapshot_survives_json_and_tolerates_missing_optional_fields() {
        let original = notice(NoticeKind::Correction);
        let json = serde_json::to_string(&original).expect("serialise");
        let back: Notice = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, original);
        let minimal = r#"{"kind":"acceptance","number":"示市监受〔2026〕1号",
            "issued_on":"2026-12-05","department":"示范市市场监督管理局","department_code":"SJ",
            "region_name":"示范市","applicant_name":"张三","tracking_number":"TB1",
            "service_name":"食品经营许可","received_on":"2026-12-01"}"#;
        let minimal: Notice = serde_json::from_str(minimal).expect("older snapshots load");
        assert!(minimal.items.is_empty());
        assert_eq!(minimal.validate(), Ok(()));
    }

    #[test]
    fn every_kind_as_built_here_is_valid() {
        for kind in NoticeKind::ALL {
            assert_eq!(notice(kind).validate(), Ok(()), "{kind:?}");
        }
    }

    #[test]
    fn a_correction_without_items_is_refused_and_still_renders_saying_so() {
        let mut n = notice(NoticeKind::Correction);
        n.items.clear();
        assert_eq!(n.validate(), Err(NoticeError::NothingToCorrect));
        let text = notice_text(&n, Locale::ZhCn);
        assert!(text.items.is_empty());
        assert!(
            text.follow_up
                .iter()
                .any(|p| p.contains("未列明需要补正的内容")),
            "{text:?}"
        );
        let en = notice_text(&n, Locale::En);
        assert!(en.follow_up.iter().any(|p| p.contains("does not list")));
    }

    #[test]
    fn refusals_need_reasons_and_the_bodies_they_name() {
        for kind in [NoticeKind::IntakeRefusal, NoticeKind::Refusal] {
            let mut n = notice(kind);
            n.items = vec!["  ".to_owned()];
            assert_eq!(n.validate(), Err(NoticeError::BlankItem));
            n.items.clear();
            assert_eq!(n.validate(), Err(NoticeError::NoReasons));
            let mut n = notice(kind);
            n.court = " ".to_owned();
            assert_eq!(n.validate(), Err(NoticeError::Missing("the court")));
        }
        // An approval names no court: it is not challenged by the applicant.
        let mut approval = notice(NoticeKind::Approval);
        approval.court.clear();
        approval.reconsideration_body.clear();
        assert_eq!(approval.validate(), Ok(()));
    }

    #[test]
    fn dates_must_be_in_order() {
        let mut n = notice(NoticeKind::Acceptance);
        n.issued_on = day(2026, 11, 30);
        assert_eq!(n.validate(), Err(NoticeError::IssuedBeforeReceipt));
        let mut n = notice(NoticeKind::Acceptance);
        n.due_on = Some(day(2026, 12, 4));
        assert!(matches!(n.validate(), Err(NoticeError::BeforeIssue(_))));
        let mut n = notice(NoticeKind::Correction);
        n.respond_by = Some(day(2026, 12, 4));
        assert!(matches!(n.validate(), Err(NoticeError::BeforeIssue(_))));
        let mut n = notice(NoticeKind::Approval);
        n.applicant_name = "\n".to_owned();
        assert!(matches!(n.validate(), Err(NoticeError::Missing(_))));
    }

    #[test]
    fn the_chinese_text_carries_what_the_law_asks_of_each_kind() {
        let acceptance = all_text(&notice_text(&notice(NoticeKind::Acceptance), Locale::ZhCn));
        for phrase in [
            "受理通知书",
            "示市监受〔2026〕12号",
            "示范餐饮有限公司：",
            "2026年12月1日提交的“食品经营许可”申请（办件编号：TB2612010007K）",
            "决定自2026年12月5日起受理",
            "2026年12月29日前作出",
            "凭办件编号在本平台查询",
        ] {
            assert!(acceptance.contains(phrase), "{phrase}\n{acceptance}");
        }

        let correction = notice_text(&notice(NoticeKind::Correction), Locale::ZhCn);
        assert_eq!(correction.items.len(), 2);
        let correction = all_text(&correction);
        for phrase in [
            "一次性告知",
            "第三十二条第一款第（四）项",
            "请于2026年12月19日前补正",
            "不计入办理期限",
            "重新提交",
        ] {
            assert!(correction.contains(phrase), "{phrase}\n{correction}");
        }

        for kind in [NoticeKind::IntakeRefusal, NoticeKind::Refusal] {
            let text = all_text(&notice_text(&notice(kind), Locale::ZhCn));
            for phrase in [
                "经营场所与污染源距离不足25米",
                "60日内向示范市人民政府申请行政复议",
                "6个月内向示范市东湖区人民法院提起行政诉讼",
                "行政复议法》第二十条",
                "行政诉讼法》第四十六条",
            ] {
                assert!(text.contains(phrase), "{kind:?}: {phrase}\n{text}");
            }
        }
        let refusal = all_text(&notice_text(&notice(NoticeKind::Refusal), Locale::ZhCn));
        assert!(refusal.contains("第三十八条第二款"));

        let approval = all_text(&notice_text(&notice(NoticeKind::Approval), Locale::ZhCn));
        for phrase in ["决定准予行政许可", "颁发食品经营许可证", "第三十九条"]
        {
            assert!(approval.contains(phrase), "{phrase}\n{approval}");
        }
        assert!(!approval.contains("行政复议"), "no rights on an approval");
    }

    #[test]
    fn an_intake_refusal_points_to_the_competent_authority() {
        let mut n = notice(NoticeKind::IntakeRefusal);
        n.refer_to = Some("示范市卫生健康委员会".to_owned());
        n.comment = Some("如有疑问请致电窗口。".to_owned());
        let text = notice_text(&n, Locale::ZhCn);
        assert!(
            text.follow_up
                .iter()
                .any(|p| p.contains("请向示范市卫生健康委员会提出申请"))
        );
        assert!(text.follow_up.iter().any(|p| p == "如有疑问请致电窗口。"));
    }

    #[test]
    fn the_seal_note_is_honest_about_the_missing_seal() {
        let text = notice_text(&notice(NoticeKind::Approval), Locale::ZhCn);
        assert!(text.seal_note.contains("本文书为电子文书"));
        assert!(text.seal_note.contains("不带电子印章"));
        assert_eq!(text.date_line, "2026年12月5日");
        assert_eq!(text.signer, "示范市市场监督管理局");
    }

    #[test]
    fn a_sealed_notice_says_who_sealed_it_and_where_to_check() {
        let mut n = notice(NoticeKind::Acceptance);
        n.seal = Some(SealMark {
            kid: "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k".into(),
            digest: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8".into(),
            check_url: "https://zwfw.example.gov.cn/notices/check/x/y".into(),
        });
        let zh = notice_text(&n, Locale::ZhCn);
        assert!(!zh.seal_note.contains("不带电子印章"), "{}", zh.seal_note);
        let seal = zh.seal.expect("a seal block");
        assert_eq!(seal.heading, "电子签章");
        assert_eq!(seal.url, "https://zwfw.example.gov.cn/notices/check/x/y");
        let lines = seal.lines.join("\n");
        assert!(lines.contains("签章机关：示范市市场监督管理局"), "{lines}");
        assert!(lines.contains("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"));
        assert!(lines.contains("AAECAwQFBgcICQoL…"), "the digest's first 16");
        assert!(!lines.contains("AAECAwQFBgcICQoLD"));
        let en = notice_text(&n, Locale::En);
        assert_eq!(en.seal.expect("a seal block").heading, "Electronic seal");
        // The snapshot never carries the seal: it is what the seal signs.
        let json = serde_json::to_string(&n).unwrap();
        assert!(!json.contains("kPrK_"), "{json}");
        assert_eq!(
            notice_text(&notice(NoticeKind::Acceptance), Locale::ZhCn).seal,
            None
        );
    }

    #[test]
    fn english_is_a_translation_that_says_so_and_minority_languages_get_the_original() {
        let n = notice(NoticeKind::Refusal);
        let en = notice_text(&n, Locale::En);
        assert_eq!(en.locale, Locale::En);
        assert_eq!(en.title, "Decision Not to Grant an Administrative Licence");
        assert!(
            en.translation_note
                .as_deref()
                .is_some_and(|t| t.contains("不予许可决定书"))
        );
        let rights = en.rights.as_deref().unwrap_or_default();
        assert!(rights.contains("within 60 days"), "{rights}");
        assert!(rights.contains("within 6 months"), "{rights}");
        assert_eq!(en.date_line, "5 December 2026");
        for locale in [Locale::Ug, Locale::Bo] {
            assert_eq!(notice_text(&n, locale), notice_text(&n, Locale::ZhCn));
        }
        assert_eq!(notice_text(&n, Locale::ZhCn).translation_note, None);
    }

    proptest! {
        #[test]
        fn chinese_dates_read_back(days in 0i64..100_000) {
            let date = day(1900, 1, 1) + chrono::Duration::days(days);
            let text = chinese_date(date);
            let parsed = NaiveDate::parse_from_str(&text, "%Y年%m月%d日");
            prop_assert_eq!(parsed, Ok(date));
        }

        #[test]
        fn any_notice_text_renders_every_listed_item(
            kind in 0usize..5,
            items in proptest::collection::vec(".{0,30}", 0..6),
            name in ".{0,20}",
        ) {
            let mut n = notice(NoticeKind::ALL[kind]);
            n.items = items.clone();
            n.applicant_name = name;
            for locale in Locale::ALL {
                let text = notice_text(&n, locale);
                let expected: Vec<String> = items
                    .iter()
                    .map(|i| i.trim().to_owned())
                    .filter(|i| !i.is_empty())
                    .collect();
                prop_assert_eq!(&text.items, &expected);
            }
        }
    }
}
