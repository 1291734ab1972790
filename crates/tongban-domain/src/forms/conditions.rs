//! Conditions on answers: when a field or a page is shown, and where a branch goes.
//!
//! Written in the YAML as one operator per mapping, so a typo is an error rather than a
//! condition that silently never holds:
//!
//! ```yaml
//! show_if: { equals: { field: marital_status, value: married } }
//! show_if: { one_of: { field: purpose, values: [buy, build] } }
//! show_if: { answered: spouse_name }
//! show_if: { above: { field: amount, value: 100000 } }
//! show_if: { all: [ { answered: a }, { not: { equals: { field: b, value: "no" } } } ] }
//! ```

use serde::{Deserialize, Serialize};

/// A test on the answers given so far.
// Written as a one-key mapping in YAML and JSON alike (YAML libraries would otherwise want
// `!equals` tags), hence the representation below.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ConditionRepr", into = "ConditionRepr")]
pub enum Condition {
    /// The answer equals `value` (for yes/no fields `"yes"` or `"no"`; for multiple choice,
    /// `value` is among the chosen).
    Equals(FieldValue),
    /// The answer is one of `values`.
    OneOf(FieldValues),
    /// The field has an answer.
    Answered(String),
    /// The numeric answer (number, or money in fen) is greater than `value`.
    Above(FieldNumber),
    /// The numeric answer is less than `value`.
    Below(FieldNumber),
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldValue {
    pub field: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldValues {
    pub field: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldNumber {
    pub field: String,
    pub value: f64,
}

/// The mapping form of a condition: exactly one operator.
#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConditionRepr {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    equals: Option<FieldValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    one_of: Option<FieldValues>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    answered: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    above: Option<FieldNumber>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    below: Option<FieldNumber>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    all: Option<Vec<Condition>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    any: Option<Vec<Condition>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    not: Option<Box<Condition>>,
}

impl TryFrom<ConditionRepr> for Condition {
    type Error = String;

    fn try_from(repr: ConditionRepr) -> Result<Self, Self::Error> {
        let mut found = Vec::new();
        if let Some(v) = repr.equals {
            found.push(Condition::Equals(v));
        }
        if let Some(v) = repr.one_of {
            found.push(Condition::OneOf(v));
        }
        if let Some(v) = repr.answered {
            found.push(Condition::Answered(v));
        }
        if let Some(v) = repr.above {
            found.push(Condition::Above(v));
        }
        if let Some(v) = repr.below {
            found.push(Condition::Below(v));
        }
        if let Some(v) = repr.all {
            found.push(Condition::All(v));
        }
        if let Some(v) = repr.any {
            found.push(Condition::Any(v));
        }
        if let Some(v) = repr.not {
            found.push(Condition::Not(v));
        }
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err(
                "a condition needs one of equals, one_of, answered, above, below, all, any, not"
                    .into(),
            ),
            _ => {
                Err("a condition has exactly one operator; combine several with all or any".into())
            }
        }
    }
}

impl From<Condition> for ConditionRepr {
    fn from(condition: Condition) -> Self {
        let mut repr = ConditionRepr::default();
        match condition {
            Condition::Equals(v) => repr.equals = Some(v),
            Condition::OneOf(v) => repr.one_of = Some(v),
            Condition::Answered(v) => repr.answered = Some(v),
            Condition::Above(v) => repr.above = Some(v),
            Condition::Below(v) => repr.below = Some(v),
            Condition::All(v) => repr.all = Some(v),
            Condition::Any(v) => repr.any = Some(v),
            Condition::Not(v) => repr.not = Some(v),
        }
        repr
    }
}

impl Condition {
    /// Every field key the condition reads, for the definition's reference checks.
    pub fn fields(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_fields(&mut out);
        out
    }

    fn collect_fields<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Condition::Equals(fv) => out.push(&fv.field),
            Condition::OneOf(fv) => out.push(&fv.field),
            Condition::Answered(field) => out.push(field),
            Condition::Above(fv) | Condition::Below(fv) => out.push(&fv.field),
            Condition::All(all) | Condition::Any(all) => {
                all.iter().for_each(|c| c.collect_fields(out))
            }
            Condition::Not(inner) => inner.collect_fields(out),
        }
    }

    /// Evaluates the condition; `lookup` gives a field's answer as the values it compares
    /// (one for most fields, several for multiple choice, none when unanswered) and its
    /// numeric value when it has one.
    pub fn holds(&self, lookup: &dyn Fn(&str) -> Observed) -> bool {
        match self {
            Condition::Equals(fv) => lookup(&fv.field).values.contains(&fv.value),
            Condition::OneOf(fv) => {
                let seen = lookup(&fv.field);
                seen.values.iter().any(|v| fv.values.contains(v))
            }
            Condition::Answered(field) => lookup(field).answered,
            Condition::Above(fv) => lookup(&fv.field).number.is_some_and(|n| n > fv.value),
            Condition::Below(fv) => lookup(&fv.field).number.is_some_and(|n| n < fv.value),
            Condition::All(all) => all.iter().all(|c| c.holds(lookup)),
            Condition::Any(any) => any.iter().any(|c| c.holds(lookup)),
            Condition::Not(inner) => !inner.holds(lookup),
        }
    }
}

/// What a condition sees of one field's answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observed {
    pub answered: bool,
    pub values: Vec<String>,
    pub number: Option<f64>,
}
