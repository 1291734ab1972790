//! The checks a form definition passes before it can be published: every problem with a
//! precise path (`pages[1].fields[2].show_if`) and a plain message, all at once.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

use super::{
    CHECK_ANSWERS, Condition, CrossRule, FORM_SCHEMA, Field, FieldKind, FormDefinition, Prefill,
};
use crate::catalog::is_slug;
use crate::locale::{Locale, LocalizedText};

/// A problem in a form definition: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormProblem {
    /// A path into the definition, e.g. `pages[1].fields[2].show_if`.
    pub path: String,
    pub message: String,
}

impl fmt::Display for FormProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Platform limits on what a definition may ask for.
pub const MAX_FILE_SIZE_KB: u32 = 50 * 1024;
pub const MAX_FILE_COUNT: u32 = 20;
pub const MAX_GROUP_ITEMS: u32 = 50;

struct Checker<'d> {
    def: &'d FormDefinition,
    problems: Vec<FormProblem>,
    /// Field key → index of the page it is on (fields outside groups).
    page_of: HashMap<&'d str, usize>,
}

impl FormDefinition {
    /// Every problem in the definition; empty when it can be published.
    pub fn check(&self) -> Vec<FormProblem> {
        let mut checker = Checker {
            def: self,
            problems: Vec::new(),
            page_of: HashMap::new(),
        };
        checker.run();
        checker.problems
    }
}

impl<'d> Checker<'d> {
    fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(FormProblem {
            path: path.into(),
            message: message.into(),
        });
    }

    fn text(&mut self, path: &str, text: &LocalizedText, what: &str) {
        if !text.has(Locale::ZhCn) {
            self.problem(path, format!("{what} needs a zh-CN text"));
        }
        if let Some(tag) = text.unknown_tags().next() {
            self.problem(path, format!("unknown language tag {tag:?}"));
        }
    }

    fn run(&mut self) {
        let def = self.def;
        if def.schema != FORM_SCHEMA {
            self.problem(
                "schema",
                format!("must be {FORM_SCHEMA:?}, found {:?}", def.schema),
            );
        }
        if def.pages.is_empty() {
            self.problem("pages", "a form needs at least one page");
        }
        self.keys_and_fields();
        for (index, page) in def.pages.iter().enumerate() {
            let path = format!("pages[{index}]");
            if let Some(condition) = &page.show_if {
                self.condition(&format!("{path}.show_if"), condition, index, false);
            }
            for (f, field) in page.fields.iter().enumerate() {
                if let Some(condition) = &field.show_if {
                    self.condition(
                        &format!("{path}.fields[{f}].show_if"),
                        condition,
                        index,
                        false,
                    );
                }
            }
            self.branches(index);
        }
        self.reachability();
        self.rules();
        self.text("declaration.text", &def.declaration.text, "the declaration");
        self.text(
            "declaration.confirm",
            &def.declaration.confirm,
            "the declaration's confirmation",
        );
    }

    fn keys_and_fields(&mut self) {
        let def = self.def;
        let mut page_keys = HashSet::new();
        for (index, page) in def.pages.iter().enumerate() {
            let path = format!("pages[{index}]");
            if !is_slug(&page.key) {
                self.problem(
                    format!("{path}.key"),
                    format!(
                        "{:?} is not a key: use lower-case letters, digits and hyphens",
                        page.key
                    ),
                );
            } else if page.key == CHECK_ANSWERS {
                self.problem(format!("{path}.key"), "\"check-answers\" is reserved");
            } else if !page_keys.insert(page.key.as_str()) {
                self.problem(
                    format!("{path}.key"),
                    format!("duplicate page key {:?}", page.key),
                );
            }
            self.text(&format!("{path}.title"), &page.title, "the page title");
            if page.fields.is_empty() {
                self.problem(format!("{path}.fields"), "a page needs at least one field");
            }
            for (f, field) in page.fields.iter().enumerate() {
                let field_path = format!("{path}.fields[{f}]");
                if let Some(&other) = self.page_of.get(field.key.as_str()) {
                    self.problem(
                        format!("{field_path}.key"),
                        format!(
                            "duplicate field key {:?} (also on page {:?})",
                            field.key, def.pages[other].key
                        ),
                    );
                } else {
                    self.page_of.insert(&field.key, index);
                }
                self.field(&field_path, field, false);
            }
        }
        for (index, exit) in def.exits.iter().enumerate() {
            let path = format!("exits[{index}]");
            if !is_slug(&exit.key) || exit.key == CHECK_ANSWERS {
                self.problem(
                    format!("{path}.key"),
                    format!("{:?} is not a usable key", exit.key),
                );
            } else if !page_keys.insert(exit.key.as_str()) {
                self.problem(
                    format!("{path}.key"),
                    format!("{:?} is already the key of a page or exit", exit.key),
                );
            }
            self.text(&format!("{path}.title"), &exit.title, "the exit page title");
            self.text(&format!("{path}.body"), &exit.body, "the exit page text");
        }
    }

    fn field(&mut self, path: &str, field: &Field, in_group: bool) {
        if !is_field_key(&field.key) {
            self.problem(
                format!("{path}.key"),
                format!(
                    "{:?} is not a field key: use lower-case letters, digits and underscores, starting with a letter",
                    field.key
                ),
            );
        }
        self.text(&format!("{path}.label"), &field.label, "the label");
        if in_group && matches!(field.kind, FieldKind::ECertificate { .. }) {
            self.problem(
                format!("{path}.type"),
                "certificates cannot be asked inside a repeating group",
            );
        }
        if in_group && matches!(field.kind, FieldKind::File { .. }) {
            self.problem(
                format!("{path}.type"),
                "files cannot be asked inside a repeating group; ask for them in a file field after the group",
            );
        }
        if in_group && field.show_if.is_some() {
            self.problem(
                format!("{path}.show_if"),
                "fields inside a group cannot have conditions; put the condition on the group",
            );
        }
        if let Some(prefill) = field.prefill {
            let fits = matches!(
                (prefill, &field.kind),
                (_, FieldKind::Text { .. })
                    | (Prefill::ResidentId, FieldKind::ResidentId)
                    | (Prefill::Mobile, FieldKind::Mobile)
                    | (Prefill::Email, FieldKind::Email)
                    | (Prefill::CreditCode, FieldKind::CreditCode)
            );
            if !fits {
                self.problem(
                    format!("{path}.prefill"),
                    format!(
                        "a {} field cannot be prefilled with {}",
                        field.kind.type_name(),
                        prefill.key()
                    ),
                );
            }
        }
        match &field.kind {
            FieldKind::Text {
                min_length,
                max_length,
                pattern,
                ..
            } => {
                self.lengths(path, *min_length, *max_length);
                if let Some(pattern) = pattern
                    && let Err(e) = regex::Regex::new(pattern)
                {
                    let first = e.to_string().lines().last().unwrap_or_default().to_owned();
                    self.problem(
                        format!("{path}.pattern"),
                        format!("not a valid regular expression: {first}"),
                    );
                }
            }
            FieldKind::LongText {
                min_length,
                max_length,
            } => self.lengths(path, *min_length, *max_length),
            FieldKind::Number {
                min, max, decimals, ..
            } => {
                if let (Some(min), Some(max)) = (min, max)
                    && min > max
                {
                    self.problem(format!("{path}.min"), "min is greater than max");
                }
                if *decimals > 6 {
                    self.problem(format!("{path}.decimals"), "at most 6 decimals");
                }
            }
            FieldKind::Money { min, max } => {
                if let (Some(min), Some(max)) = (min, max)
                    && min > max
                {
                    self.problem(format!("{path}.min"), "min is greater than max");
                }
            }
            FieldKind::Date {
                not_before,
                not_after,
            }
            | FieldKind::DateRange {
                not_before,
                not_after,
                ..
            } => {
                if let (Some(super::DateBound::Fixed(a)), Some(super::DateBound::Fixed(b))) =
                    (not_before, not_after)
                    && a > b
                {
                    self.problem(
                        format!("{path}.not_before"),
                        "not_before is after not_after",
                    );
                }
                if let FieldKind::DateRange {
                    max_days: Some(0), ..
                } = field.kind
                {
                    self.problem(format!("{path}.max_days"), "max_days must be at least 1");
                }
            }
            FieldKind::Choice { options } => self.options(path, options),
            FieldKind::Choices { options, min, max } => {
                self.options(path, options);
                if let (Some(min), Some(max)) = (min, max)
                    && min > max
                {
                    self.problem(format!("{path}.min"), "min is greater than max");
                }
                if max.is_some_and(|m| m as usize > options.len()) {
                    self.problem(
                        format!("{path}.max"),
                        "max is more than the number of options",
                    );
                }
            }
            FieldKind::Address { within } => {
                if let Some(code) = within
                    && !(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()))
                {
                    self.problem(
                        format!("{path}.within"),
                        format!("{code:?} is not a six-digit division code"),
                    );
                }
            }
            FieldKind::File {
                accept,
                max_size_kb,
                max_count,
            } => {
                if accept.is_empty() {
                    self.problem(format!("{path}.accept"), "name at least one file kind");
                }
                if *max_size_kb == 0 || *max_size_kb > MAX_FILE_SIZE_KB {
                    self.problem(
                        format!("{path}.max_size_kb"),
                        format!("must be between 1 and {MAX_FILE_SIZE_KB}"),
                    );
                }
                if *max_count == 0 || *max_count > MAX_FILE_COUNT {
                    self.problem(
                        format!("{path}.max_count"),
                        format!("must be between 1 and {MAX_FILE_COUNT}"),
                    );
                }
            }
            FieldKind::ECertificate {
                certificate_type,
                disclose,
                ..
            } => {
                if certificate_type.trim().is_empty() {
                    self.problem(
                        format!("{path}.certificate_type"),
                        "name the certificate type that answers this field",
                    );
                }
                let mut seen = std::collections::HashSet::new();
                for key in disclose {
                    if !seen.insert(key) {
                        self.problem(format!("{path}.disclose"), format!("{key} is listed twice"));
                    }
                }
            }
            FieldKind::Group {
                fields,
                min_items,
                max_items,
                item_label,
            } => {
                if in_group {
                    self.problem(format!("{path}.type"), "groups cannot be nested");
                    return;
                }
                self.text(&format!("{path}.item_label"), item_label, "the item label");
                if fields.is_empty() {
                    self.problem(format!("{path}.fields"), "a group needs at least one field");
                }
                if *max_items == 0 || *max_items > MAX_GROUP_ITEMS {
                    self.problem(
                        format!("{path}.max_items"),
                        format!("must be between 1 and {MAX_GROUP_ITEMS}"),
                    );
                }
                if min_items > max_items {
                    self.problem(
                        format!("{path}.min_items"),
                        "min_items is greater than max_items",
                    );
                }
                let mut keys = HashSet::new();
                for (i, sub) in fields.iter().enumerate() {
                    let sub_path = format!("{path}.fields[{i}]");
                    if !keys.insert(sub.key.as_str()) {
                        self.problem(
                            format!("{sub_path}.key"),
                            format!("duplicate field key {:?} in the group", sub.key),
                        );
                    }
                    self.field(&sub_path, sub, true);
                }
            }
            FieldKind::YesNo
            | FieldKind::ResidentId
            | FieldKind::CreditCode
            | FieldKind::Mobile
            | FieldKind::Email => {}
        }
    }

    fn lengths(&mut self, path: &str, min: Option<u32>, max: Option<u32>) {
        if let (Some(min), Some(max)) = (min, max)
            && min > max
        {
            self.problem(
                format!("{path}.min_length"),
                "min_length is greater than max_length",
            );
        }
        if max == Some(0) {
            self.problem(
                format!("{path}.max_length"),
                "max_length must be at least 1",
            );
        }
    }

    fn options(&mut self, path: &str, options: &[super::ChoiceOption]) {
        if options.len() < 2 {
            self.problem(
                format!("{path}.options"),
                "a choice needs at least two options",
            );
        }
        let mut seen = HashSet::new();
        for (i, option) in options.iter().enumerate() {
            if option.value.trim().is_empty() || option.value.len() > 64 {
                self.problem(
                    format!("{path}.options[{i}].value"),
                    "a value is 1 to 64 characters",
                );
            }
            if !seen.insert(option.value.as_str()) {
                self.problem(
                    format!("{path}.options[{i}].value"),
                    format!("duplicate option value {:?}", option.value),
                );
            }
            self.text(
                &format!("{path}.options[{i}].label"),
                &option.label,
                "the option label",
            );
        }
    }

    /// Conditions may read only fields of earlier pages (or, for branches, of the page itself),
    /// so every answer a condition reads exists by the time it is evaluated.
    fn condition(&mut self, path: &str, condition: &Condition, page: usize, same_page: bool) {
        let def = self.def;
        match condition {
            Condition::All(all) | Condition::Any(all) => {
                if all.is_empty() {
                    self.problem(path, "an empty list of conditions");
                }
                for (i, c) in all.iter().enumerate() {
                    self.condition(&format!("{path}[{i}]"), c, page, same_page);
                }
                return;
            }
            Condition::Not(inner) => {
                self.condition(path, inner, page, same_page);
                return;
            }
            _ => {}
        }
        for key in condition.fields() {
            match self.page_of.get(key) {
                None => self.problem(path, format!("refers to unknown field {key:?}")),
                Some(&at) if at > page || (at == page && !same_page) => self.problem(
                    path,
                    format!(
                        "refers to field {key:?} on page {:?}, which is not asked before this",
                        def.pages[at].key
                    ),
                ),
                Some(_) => {}
            }
        }
        let value_check = match condition {
            Condition::Equals(fv) => Some((fv.field.as_str(), vec![fv.value.as_str()])),
            Condition::OneOf(fv) => Some((
                fv.field.as_str(),
                fv.values.iter().map(String::as_str).collect(),
            )),
            _ => None,
        };
        if let Some((key, values)) = value_check
            && let Some(field) = def.field(key)
        {
            let allowed: Option<BTreeSet<&str>> = match &field.kind {
                FieldKind::Choice { options } | FieldKind::Choices { options, .. } => {
                    Some(options.iter().map(|o| o.value.as_str()).collect())
                }
                FieldKind::YesNo => Some(["yes", "no"].into_iter().collect()),
                _ => None,
            };
            if let Some(allowed) = allowed {
                for value in values.iter().filter(|v| !allowed.contains(**v)) {
                    self.problem(
                        path,
                        format!(
                            "{value:?} is not a value of field {key:?} (it has {})",
                            allowed.iter().copied().collect::<Vec<_>>().join(", ")
                        ),
                    );
                }
            }
        }
        if let Condition::Above(fv) | Condition::Below(fv) = condition
            && let Some(field) = def.field(&fv.field)
            && !matches!(
                field.kind,
                FieldKind::Number { .. } | FieldKind::Money { .. } | FieldKind::Group { .. }
            )
        {
            self.problem(
                path,
                format!("field {:?} is not a number, an amount or a group", fv.field),
            );
        }
    }

    fn branches(&mut self, index: usize) {
        let def = self.def;
        let page = &def.pages[index];
        let count = page.next.len();
        for (b, branch) in page.next.iter().enumerate() {
            let path = format!("pages[{index}].next[{b}]");
            match &branch.when {
                Some(condition) => self.condition(&format!("{path}.when"), condition, index, true),
                None if b + 1 < count => self.problem(
                    format!("{path}.when"),
                    "a branch without a condition is always taken, so it must be the last",
                ),
                None => {}
            }
            let target = branch.goto.as_str();
            if target == CHECK_ANSWERS || def.exit(target).is_some() {
                continue;
            }
            match def.pages.iter().position(|p| p.key == target) {
                None => self.problem(
                    format!("{path}.goto"),
                    format!("{target:?} is neither a page, an exit nor check-answers"),
                ),
                Some(at) if at <= index => self.problem(
                    format!("{path}.goto"),
                    format!(
                        "branches go forward only; page {target:?} comes before or is this page"
                    ),
                ),
                Some(_) => {}
            }
        }
    }

    fn reachability(&mut self) {
        let def = self.def;
        let mut reachable = vec![false; def.pages.len()];
        let mut exits_used = HashSet::new();
        if !reachable.is_empty() {
            reachable[0] = true;
        }
        for index in 0..def.pages.len() {
            if !reachable[index] {
                continue;
            }
            let page = &def.pages[index];
            let always_leaves = page.next.iter().any(|b| b.when.is_none());
            // A page shown only under a condition can be skipped, which also falls through.
            if (!always_leaves || page.show_if.is_some()) && index + 1 < reachable.len() {
                reachable[index + 1] = true;
            }
            for branch in &page.next {
                if let Some(at) = def.pages.iter().position(|p| p.key == branch.goto)
                    && at > index
                {
                    reachable[at] = true;
                }
                exits_used.insert(branch.goto.as_str());
            }
        }
        for (index, page) in def.pages.iter().enumerate() {
            if !reachable[index] {
                self.problem(
                    format!("pages[{index}]"),
                    format!("page {:?} can never be reached", page.key),
                );
            }
        }
        for (index, exit) in def.exits.iter().enumerate() {
            if !exits_used.contains(exit.key.as_str()) {
                self.problem(
                    format!("exits[{index}]"),
                    format!("no branch leads to exit page {:?}", exit.key),
                );
            }
        }
    }

    fn rules(&mut self) {
        let def = self.def;
        for (index, rule) in def.rules.iter().enumerate() {
            let path = format!("rules[{index}]");
            match rule {
                CrossRule::After { field, than, .. } => {
                    for key in [field, than] {
                        match def.field(key) {
                            None => self.problem(&path, format!("refers to unknown field {key:?}")),
                            Some(f)
                                if !matches!(
                                    f.kind,
                                    FieldKind::Date { .. }
                                        | FieldKind::Number { .. }
                                        | FieldKind::Money { .. }
                                ) =>
                            {
                                self.problem(
                                    &path,
                                    format!("field {key:?} is not a date, a number or an amount"),
                                )
                            }
                            Some(_) => {}
                        }
                    }
                    if let (Some(a), Some(b)) = (def.field(field), def.field(than))
                        && a.kind.type_name() != b.kind.type_name()
                    {
                        self.problem(&path, "the two fields are of different types");
                    }
                }
                CrossRule::RequiredIf { field, when, .. } => {
                    match self.page_of.get(field.as_str()) {
                        None => self.problem(&path, format!("refers to unknown field {field:?}")),
                        Some(&page) => self.condition(&format!("{path}.when"), when, page, true),
                    }
                }
            }
        }
    }
}

/// A field key: a lower-case letter, then lower-case letters, digits or underscores (at most
/// 40), so it is a safe form-control name and JSON key.
pub fn is_field_key(key: &str) -> bool {
    let mut bytes = key.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z'))
        && key.len() <= 40
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}
