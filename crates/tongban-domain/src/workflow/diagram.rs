//! A workflow drawn as a server-rendered SVG, for administrators checking a definition and for
//! anyone reading a service's procedure: states as boxes (localized name, a band in the colour of
//! the stage, the roles working there underneath; final states with a double border in the colour
//! of their outcome), actions as labelled arrows (routes say which condition sends the case
//! where; the joins of parallel reviews are dashed), and a `<desc>` that says every transition
//! in words for screen readers.
//!
//! Layout is by breadth-first depth from the start state: one column per step, final states in
//! the last column, states in definition order within a column; arrows going back curve above
//! the boxes. The output depends only on the definition and the locale, so it can be cached and
//! compared in tests. Definitions with problems (an unknown target, an unreachable state) are
//! still drawn as far as they make sense: the editor shows them while they are being fixed.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write;

use super::{Outcome, Stage, State, Target, WorkflowDefinition};
use crate::Locale;
use crate::forms::Condition;

const MARGIN: f64 = 24.0;
const BOX_HEIGHT: f64 = 64.0;
const BAND: f64 = 6.0;
const MIN_BOX_WIDTH: f64 = 132.0;
const COLUMN_GAP: f64 = 150.0;
const ROW_GAP: f64 = 56.0;
const FONT: f64 = 13.0;
const SMALL_FONT: f64 = 11.0;
/// The height each arrow going back adds above the boxes, so that their curves do not overlap.
const BACK_LIFT: f64 = 18.0;
/// Longest text of a condition on an arrow, in characters; the `<desc>` has the whole of it.
const CONDITION_CHARS: usize = 36;

/// The fixed words of the drawing, in the languages the interface is written in (Uyghur and
/// Tibetan fall back to Chinese until translated, as the interface does).
struct Words {
    title: &'static str,
    all_concur: &'static str,
    objection: &'static str,
    objection_ends: &'static str,
    when: &'static str,
    otherwise: &'static str,
    applicant: &'static str,
    starts: &'static str,
    leads: fn(&str, &str, &str) -> String,
    ends: fn(&str, &str) -> String,
    votes: &'static str,
}

fn words(locale: Locale) -> Words {
    match locale {
        Locale::En => Words {
            title: "Workflow diagram",
            all_concur: "all agree",
            objection: "objection",
            objection_ends: "objection (ends the review at once)",
            when: "if",
            otherwise: "otherwise",
            applicant: "applicant",
            starts: "A case starts at",
            leads: |from, action, to| format!("From {from}, “{action}” leads to {to}."),
            ends: |state, outcome| format!("{state} ends the case: {outcome}."),
            votes: "each department",
        },
        _ => Words {
            title: "办理流程图",
            all_concur: "全部同意",
            objection: "有异议",
            objection_ends: "有异议（立即结束会审）",
            when: "若",
            otherwise: "否则",
            applicant: "申请人",
            starts: "案件从此开始：",
            leads: |from, action, to| format!("在“{from}”，“{action}”转到“{to}”。"),
            ends: |state, outcome| format!("“{state}”办结：{outcome}。"),
            votes: "各部门",
        },
    }
}

fn outcome_word(outcome: Outcome, locale: Locale) -> &'static str {
    match (locale, outcome) {
        (Locale::En, Outcome::Approved) => "approved",
        (Locale::En, Outcome::Refused) => "refused",
        (Locale::En, Outcome::NotAccepted) => "not accepted",
        (Locale::En, Outcome::Withdrawn) => "withdrawn",
        (_, Outcome::Approved) => "准予",
        (_, Outcome::Refused) => "不予",
        (_, Outcome::NotAccepted) => "不予受理",
        (_, Outcome::Withdrawn) => "撤回",
    }
}

/// A role's short name; keys the drawing does not know are shown as written.
fn role_word(role: &str, locale: Locale) -> String {
    let known = match (locale, role) {
        (Locale::En, "front-desk-clerk") => "front desk",
        (Locale::En, "reviewer") => "reviewer",
        (Locale::En, "approver") => "approver",
        (Locale::En, "department-admin") => "department admin",
        (Locale::En, "content-editor") => "content editor",
        (_, "front-desk-clerk") => "窗口受理",
        (_, "reviewer") => "审查",
        (_, "approver") => "审批",
        (_, "department-admin") => "部门负责人",
        (_, "content-editor") => "内容编辑",
        _ => role,
    };
    known.to_owned()
}

fn stage_colour(stage: Stage) -> &'static str {
    match stage {
        Stage::Accept => "#1d70b8",
        Stage::Review => "#912b88",
        Stage::Decide => "#f47738",
        Stage::Complete => "#00703c",
    }
}

fn outcome_colour(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Approved => "#00703c",
        Outcome::Refused => "#d4351c",
        Outcome::NotAccepted | Outcome::Withdrawn => "#505a5f",
    }
}

/// Text for XML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0 at all.
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Roughly how wide `text` is drawn: CJK and other wide characters take a full em, Latin about
/// half; close enough to size boxes without a font.
fn text_width(text: &str, size: f64) -> f64 {
    text.chars()
        .map(|c| if (c as u32) < 0x2E80 { 0.58 } else { 1.0 })
        .sum::<f64>()
        * size
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(max.saturating_sub(1)).collect();
    short.push('…');
    short
}

/// A condition in a line: `withdrawal_amount > 20000000 or withdrawal_reason ∈ {emigrate}`.
pub fn condition_text(condition: &Condition, locale: Locale) -> String {
    let (and, or, not, answered) = match locale {
        Locale::En => (" and ", " or ", "not ", " answered"),
        _ => (" 且 ", " 或 ", "非 ", " 已填写"),
    };
    let nested = |c: &Condition| match c {
        Condition::All(_) | Condition::Any(_) => format!("({})", condition_text(c, locale)),
        _ => condition_text(c, locale),
    };
    match condition {
        Condition::Equals(v) => format!("{} = {}", v.field, v.value),
        Condition::OneOf(v) => format!("{} ∈ {{{}}}", v.field, v.values.join(", ")),
        Condition::Answered(field) => format!("{field}{answered}"),
        Condition::Above(v) => format!("{} > {}", v.field, v.value),
        Condition::Below(v) => format!("{} < {}", v.field, v.value),
        Condition::All(all) => all.iter().map(nested).collect::<Vec<_>>().join(and),
        Condition::Any(any) => any.iter().map(nested).collect::<Vec<_>>().join(or),
        Condition::Not(inner) => format!("{not}{}", nested(inner)),
    }
}

/// One arrow: every action between the same two states with the same style shares it.
struct Edge {
    from: usize,
    to: usize,
    /// A join of a parallel review rather than an action.
    join: bool,
    /// Shown on the arrow.
    labels: Vec<String>,
    /// Said in the description, one sentence per action.
    sentences: Vec<String>,
}

fn collect_edges(
    def: &WorkflowDefinition,
    index: &HashMap<&str, usize>,
    locale: Locale,
) -> Vec<Edge> {
    let w = words(locale);
    let mut edges: Vec<Edge> = Vec::new();
    let mut add = |from: usize, to_key: &str, join: bool, label: String, spoken: String| {
        let Some(&to) = index.get(to_key) else {
            return;
        };
        let sentence = (w.leads)(
            def.states[from].name.get(locale),
            &spoken,
            def.states[to].name.get(locale),
        );
        match edges
            .iter_mut()
            .find(|e| e.from == from && e.to == to && e.join == join)
        {
            Some(edge) => {
                edge.labels.push(label);
                edge.sentences.push(sentence);
            }
            None => edges.push(Edge {
                from,
                to,
                join,
                labels: vec![label],
                sentences: vec![sentence],
            }),
        }
    };
    for (i, state) in def.states.iter().enumerate() {
        for action in &state.actions {
            let label = action.label().get(locale).to_owned();
            match &action.to {
                None => {}
                Some(Target::State(to)) => add(i, to, false, label.clone(), label.clone()),
                Some(Target::Routes(routes)) => {
                    for route in routes {
                        let condition = match &route.when {
                            Some(when) => format!("{} {}", w.when, condition_text(when, locale)),
                            None => w.otherwise.to_owned(),
                        };
                        add(
                            i,
                            &route.state,
                            false,
                            format!("{label} ({})", shorten(&condition, CONDITION_CHARS)),
                            format!("{label} ({condition})"),
                        );
                    }
                }
            }
        }
        if let Some(join) = &state.join {
            let objection = if join.objection_ends {
                w.objection_ends
            } else {
                w.objection
            };
            add(
                i,
                &join.all_concur,
                true,
                w.all_concur.to_owned(),
                w.all_concur.to_owned(),
            );
            add(
                i,
                &join.objection,
                true,
                objection.to_owned(),
                objection.to_owned(),
            );
        }
    }
    edges
}

/// Columns by breadth-first depth from the start; unreachable states after the reachable ones
/// and final states in a column of their own at the end.
fn columns(def: &WorkflowDefinition, start: Option<usize>, edges: &[Edge]) -> Vec<usize> {
    let count = def.states.len();
    let mut depth: Vec<Option<usize>> = vec![None; count];
    if let Some(start) = start {
        depth[start] = Some(0);
        let mut queue = VecDeque::from([start]);
        while let Some(at) = queue.pop_front() {
            let next = depth[at].unwrap_or(0) + 1;
            for edge in edges.iter().filter(|e| e.from == at) {
                if depth[edge.to].is_none() && !def.states[edge.to].is_terminal() {
                    depth[edge.to] = Some(next);
                    queue.push_back(edge.to);
                }
            }
        }
    }
    let deepest = depth.iter().flatten().copied().max();
    let unreached = deepest.map_or(0, |d| d + 1);
    let mut column: Vec<usize> = (0..count)
        .map(|i| {
            if def.states[i].is_terminal() {
                usize::MAX
            } else {
                depth[i].unwrap_or(unreached)
            }
        })
        .collect();
    let last = column
        .iter()
        .copied()
        .filter(|&c| c != usize::MAX)
        .max()
        .map_or(0, |c| c + 1);
    for c in &mut column {
        if *c == usize::MAX {
            *c = last;
        }
    }
    column
}

/// Where a state's box is drawn, and what it says.
struct Placed {
    x: f64,
    y: f64,
    width: f64,
    lines: [String; 3],
}

fn roles_line(state: &State, locale: Locale) -> String {
    if state.waits_for_applicant {
        return words(locale).applicant.to_owned();
    }
    state
        .tasks
        .iter()
        .map(|task| {
            let role = role_word(&task.role, locale);
            match &task.department {
                Some(department) => format!("{department} {role}"),
                None => role,
            }
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The third line: the votes of a parallel review, or the committed days.
fn detail_line(state: &State, locale: Locale) -> String {
    if state.is_parallel() {
        let votes: Vec<String> = state
            .actions
            .iter()
            .filter(|a| a.kind.is_parallel_vote())
            .map(|a| a.label().get(locale).to_owned())
            .collect();
        return format!("{}: {}", words(locale).votes, votes.join(" / "));
    }
    if let Some(outcome) = state.outcome {
        return outcome_word(outcome, locale).to_owned();
    }
    match (state.days, locale) {
        (Some(days), Locale::En) => format!("{days} working day(s)"),
        (Some(days), _) => format!("{days}个工作日"),
        (None, _) => String::new(),
    }
}

fn point(p: (f64, f64)) -> String {
    format!("{:.1},{:.1}", p.0, p.1)
}

/// The point halfway along a cubic Bézier curve.
fn halfway(p0: (f64, f64), p1: (f64, f64), p2: (f64, f64), p3: (f64, f64)) -> (f64, f64) {
    (
        (p0.0 + 3.0 * p1.0 + 3.0 * p2.0 + p3.0) / 8.0,
        (p0.1 + 3.0 * p1.1 + 3.0 * p2.1 + p3.1) / 8.0,
    )
}

/// The workflow as an SVG image in `locale` (names fall back to Chinese where not translated).
pub fn svg(def: &WorkflowDefinition, locale: Locale) -> String {
    let w = words(locale);
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, state) in def.states.iter().enumerate() {
        index.entry(state.key.as_str()).or_insert(i);
    }
    let edges = collect_edges(def, &index, locale);
    let start = index.get(def.start.as_str()).copied();
    let column = columns(def, start, &edges);
    let column_count = column.iter().copied().max().map_or(0, |c| c + 1);

    let lines: Vec<[String; 3]> = def
        .states
        .iter()
        .map(|s| {
            [
                s.name.get(locale).to_owned(),
                roles_line(s, locale),
                detail_line(s, locale),
            ]
        })
        .collect();
    let mut widths = vec![MIN_BOX_WIDTH; column_count];
    for (i, [name, roles, detail]) in lines.iter().enumerate() {
        let needed = text_width(name, FONT)
            .max(text_width(roles, SMALL_FONT))
            .max(text_width(detail, SMALL_FONT))
            + 24.0;
        widths[column[i]] = widths[column[i]].max(needed);
    }
    let back_edges = edges
        .iter()
        .filter(|e| column[e.to] <= column[e.from])
        .count();
    let top = MARGIN + 18.0 + BACK_LIFT * back_edges as f64;
    let mut x_of = Vec::with_capacity(column_count);
    let mut x = MARGIN;
    for width in &widths {
        x_of.push(x);
        x += width + COLUMN_GAP;
    }
    let total_width = (x - COLUMN_GAP + MARGIN).max(MARGIN * 2.0 + MIN_BOX_WIDTH);
    // Rows in definition order, states waiting for the applicant below the others of their
    // column: the main path stays on top and the detours hang under it.
    let mut rows = vec![0usize; column_count];
    let mut row_of = vec![0usize; def.states.len()];
    let mut order: Vec<usize> = (0..def.states.len()).collect();
    order.sort_by_key(|&i| def.states[i].waits_for_applicant);
    for i in order {
        row_of[i] = rows[column[i]];
        rows[column[i]] += 1;
    }
    let placed: Vec<Placed> = lines
        .into_iter()
        .enumerate()
        .map(|(i, lines)| Placed {
            x: x_of[column[i]],
            y: top + row_of[i] as f64 * (BOX_HEIGHT + ROW_GAP),
            width: widths[column[i]],
            lines,
        })
        .collect();
    let row_count = rows.iter().copied().max().unwrap_or(0).max(1);
    let total_height = top + row_count as f64 * (BOX_HEIGHT + ROW_GAP) - ROW_GAP + MARGIN + 18.0;

    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"workflow-diagram\" role=\"img\" \
         aria-labelledby=\"wf-title wf-desc\" viewBox=\"0 0 {total_width:.0} {total_height:.0}\" \
         width=\"{total_width:.0}\" height=\"{total_height:.0}\" font-family=\"sans-serif\" \
         font-size=\"{FONT}\">"
    );
    let _ = write!(out, "<title id=\"wf-title\">{}</title>", escape(w.title));
    let mut desc = Vec::new();
    if let Some(start) = start {
        desc.push(format!(
            "{} {}.",
            w.starts,
            def.states[start].name.get(locale)
        ));
    }
    desc.extend(edges.iter().flat_map(|e| e.sentences.iter().cloned()));
    for state in &def.states {
        if let Some(outcome) = state.outcome {
            desc.push((w.ends)(
                state.name.get(locale),
                outcome_word(outcome, locale),
            ));
        }
    }
    let _ = write!(
        out,
        "<desc id=\"wf-desc\">{}</desc>",
        escape(&desc.join(" "))
    );
    out.push_str(
        "<defs><marker id=\"wf-arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" \
         markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\">\
         <path d=\"M0,0 L10,5 L0,10 z\" fill=\"#505a5f\"/></marker></defs>",
    );

    // Arrows first, boxes over them, labels over everything.
    let mut labels = Vec::new();
    out.push_str("<g class=\"wf-edges\" fill=\"none\" stroke=\"#505a5f\" stroke-width=\"1.5\">");
    let mut lift = 0.0;
    for edge in &edges {
        let (a, b) = (&placed[edge.from], &placed[edge.to]);
        let (p0, p1, p2, p3);
        if column[edge.to] > column[edge.from] {
            p0 = (a.x + a.width, a.y + BOX_HEIGHT / 2.0);
            p3 = (b.x, b.y + BOX_HEIGHT / 2.0);
            let pull = (p3.0 - p0.0) / 2.0;
            p1 = (p0.0 + pull, p0.1);
            p2 = (p3.0 - pull, p3.1);
        } else if column[edge.to] == column[edge.from] && edge.to != edge.from {
            // Within a column: straight down (or up) between the boxes, downward arrows a
            // little left of the middle and upward ones right of it so a pair stays apart.
            let (from_y, to_y, x) = if b.y > a.y {
                (a.y + BOX_HEIGHT, b.y, a.x + a.width * 0.45)
            } else {
                (a.y, b.y + BOX_HEIGHT, a.x + a.width * 0.55)
            };
            p0 = (x, from_y);
            p3 = (x, to_y);
            p1 = (x, (from_y * 2.0 + to_y) / 3.0);
            p2 = (x, (from_y + to_y * 2.0) / 3.0);
        } else {
            // Back: up from the source, around, down into the target: up from the source, around, down into the target.
            lift += BACK_LIFT;
            let peak = a.y.min(b.y) - 18.0 - lift;
            p0 = (a.x + a.width * 0.4, a.y);
            p3 = (b.x + b.width * 0.6, b.y);
            p1 = (p0.0, peak);
            p2 = (p3.0, peak);
        }
        let dash = if edge.join {
            " stroke-dasharray=\"6 4\""
        } else {
            ""
        };
        let _ = write!(
            out,
            "<path d=\"M{} C{} {} {}\" marker-end=\"url(#wf-arrow)\"{dash}/>",
            point(p0),
            point(p1),
            point(p2),
            point(p3)
        );
        let (lx, ly) = halfway(p0, p1, p2, p3);
        labels.push((lx, ly - 4.0, edge.labels.join(" / "), edge.join));
    }
    out.push_str("</g>");

    out.push_str("<g class=\"wf-states\">");
    for (state, place) in def.states.iter().zip(&placed) {
        let Placed { x, y, width, .. } = *place;
        let stroke = state.outcome.map_or("#0b0c0c", outcome_colour);
        let dash = if state.waits_for_applicant {
            " stroke-dasharray=\"4 3\""
        } else {
            ""
        };
        let _ = write!(
            out,
            "<g class=\"wf-state\" data-state=\"{}\"><rect x=\"{x:.1}\" y=\"{y:.1}\" \
             width=\"{width:.1}\" height=\"{BOX_HEIGHT}\" rx=\"4\" fill=\"#ffffff\" \
             stroke=\"{stroke}\" stroke-width=\"1.5\"{dash}/>",
            escape(&state.key)
        );
        if state.is_terminal() {
            let _ = write!(
                out,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"2\" \
                 fill=\"none\" stroke=\"{stroke}\" stroke-width=\"1\"/>",
                x + 3.0,
                y + 3.0,
                width - 6.0,
                BOX_HEIGHT - 6.0
            );
        }
        let _ = write!(
            out,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{BAND}\" fill=\"{}\"/>",
            x + 1.0,
            y + 1.0,
            width - 2.0,
            stage_colour(state.stage)
        );
        let centre = x + width / 2.0;
        let [name, roles, detail] = &place.lines;
        let _ = write!(
            out,
            "<text x=\"{centre:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-weight=\"bold\" \
             fill=\"#0b0c0c\">{}</text>",
            y + 26.0,
            escape(name)
        );
        for (line, dy) in [(roles, 42.0), (detail, 56.0)] {
            if !line.is_empty() {
                let _ = write!(
                    out,
                    "<text x=\"{centre:.1}\" y=\"{:.1}\" text-anchor=\"middle\" \
                     font-size=\"{SMALL_FONT}\" fill=\"#505a5f\">{}</text>",
                    y + dy,
                    escape(line)
                );
            }
        }
        out.push_str("</g>");
    }
    out.push_str("</g>");

    out.push_str(&format!(
        "<g class=\"wf-labels\" font-size=\"{SMALL_FONT}\" text-anchor=\"middle\" \
         stroke=\"#ffffff\" stroke-width=\"4\" paint-order=\"stroke\">"
    ));
    for (x, y, text, join) in labels {
        let style = if join { " font-style=\"italic\"" } else { "" };
        let _ = write!(
            out,
            "<text x=\"{x:.1}\" y=\"{y:.1}\" fill=\"#0b0c0c\"{style}>{}</text>",
            escape(&text)
        );
    }
    out.push_str("</g></svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LocalizedText;

    const JOINT: &str = r#"
start: intake
states:
  - key: intake
    name: { zh-CN: 受理, en: Intake }
    stage: accept
    tasks: [ { role: front-desk-clerk } ]
    actions:
      - { key: accept, kind: accept, by: [front-desk-clerk], to: joint-review }
      - { key: refuse, kind: refuse-intake, by: [front-desk-clerk], to: not-accepted, comment: required }
  - key: joint-review
    name: { zh-CN: 并联审查, en: Joint review }
    stage: review
    tasks: [ { role: reviewer }, { department: WJ, role: reviewer } ]
    join: { all_concur: decision, objection: refused }
    actions:
      - { key: agree, kind: concur, by: [reviewer] }
      - { key: object, kind: object, by: [reviewer], comment: required }
  - key: decision
    name: { zh-CN: 决定, en: Decision }
    stage: decide
    tasks: [ { role: approver } ]
    actions:
      - key: approve
        kind: approve
        by: [approver]
        to:
          - { when: { above: { field: amount, value: 500000 } }, state: chief }
          - { state: approved }
      - { key: back, kind: send-back, by: [approver], to: intake, comment: required }
  - key: chief
    name: { zh-CN: 负责人审批, en: Chief }
    stage: decide
    tasks: [ { role: department-admin } ]
    actions:
      - { key: approve, kind: approve, by: [department-admin], to: approved }
  - { key: approved, name: { zh-CN: 准予, en: Approved }, stage: complete, outcome: approved }
  - { key: refused, name: { zh-CN: 不予许可, en: Refused }, stage: complete, outcome: refused }
  - { key: not-accepted, name: { zh-CN: 不予受理, en: Not accepted }, stage: accept, outcome: not-accepted }
"#;

    fn joint() -> WorkflowDefinition {
        serde_norway::from_str(JOINT).expect("test definition parses")
    }

    /// Tags open and close in order, attributes are quoted, and no bare `<` or `&` is left in
    /// text: enough of XML's well-formedness to catch a missing escape or an unclosed element.
    fn assert_balanced(svg: &str) {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = svg;
        while let Some(open) = rest.find('<') {
            let text = &rest[..open];
            assert!(!text.contains('>'), "a bare > in text: {text}");
            for (i, _) in text.match_indices('&') {
                let entity = &text[i..];
                assert!(
                    ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
                        .iter()
                        .any(|e| entity.starts_with(e)),
                    "a bare & in text: {entity}"
                );
            }
            let close = rest[open..].find('>').expect("a tag closes") + open;
            let tag = &rest[open + 1..close];
            assert!(!tag.contains('<'), "a < inside tag {tag}");
            assert_eq!(tag.matches('"').count() % 2, 0, "quotes balance in {tag}");
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop().as_deref(), Some(name), "closing {name}");
            } else if !tag.ends_with('/') {
                let name = tag.split_whitespace().next().expect("a tag name");
                stack.push(name.to_owned());
            }
            rest = &rest[close + 1..];
        }
        assert!(stack.is_empty(), "unclosed: {stack:?}");
        assert!(rest.trim().is_empty());
    }

    #[test]
    fn every_state_and_action_is_labelled() {
        for def in [WorkflowDefinition::standard(), joint()] {
            for locale in [Locale::ZhCn, Locale::En] {
                let svg = svg(&def, locale);
                assert_balanced(&svg);
                for state in &def.states {
                    assert!(
                        svg.contains(&escape(state.name.get(locale))),
                        "state {} in {locale:?}",
                        state.key
                    );
                    for action in &state.actions {
                        assert!(
                            svg.contains(&escape(action.label().get(locale))),
                            "action {}.{} in {locale:?}",
                            state.key,
                            action.key
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn joins_are_dashed_and_routes_say_their_condition() {
        let svg = svg(&joint(), Locale::ZhCn);
        assert!(svg.contains("全部同意") && svg.contains("有异议"));
        assert_eq!(svg.matches("stroke-dasharray=\"6 4\"").count(), 2);
        assert!(svg.contains("准予 (若 amount &gt; 500000)"), "{svg}");
        assert!(svg.contains("准予 (否则)"));
        assert!(
            svg.contains("WJ 审查"),
            "the other department's task is named"
        );
        let en = super::svg(&joint(), Locale::En);
        assert!(en.contains("Approve (if amount &gt; 500000)"));
        assert!(en.contains("all agree"));
    }

    #[test]
    fn the_description_says_every_transition_in_words() {
        let svg = svg(&joint(), Locale::En);
        let desc = &svg[svg.find("<desc").unwrap()..svg.find("</desc>").unwrap()];
        assert!(desc.contains("A case starts at Intake."));
        assert!(desc.contains("From Intake, “Accept” leads to Joint review."));
        assert!(desc.contains("From Decision, “Send back” leads to Intake."));
        assert!(desc.contains("Refused ends the case: refused."));
        assert!(svg.contains("role=\"img\"") && svg.contains("<title id=\"wf-title\">"));
    }

    #[test]
    fn text_is_escaped_and_output_is_deterministic() {
        let mut def = joint();
        def.states[0].name = LocalizedText::new("受理 <b>&\"'</b>");
        def.states[0].actions[0].name = Some(LocalizedText::new("a < b & c > d"));
        let first = svg(&def, Locale::ZhCn);
        assert_balanced(&first);
        assert!(first.contains("受理 &lt;b&gt;&amp;&quot;&#39;&lt;/b&gt;"));
        assert!(first.contains("a &lt; b &amp; c &gt; d"));
        assert!(!first.contains("<b>"));
        assert_eq!(first, svg(&def, Locale::ZhCn));
    }

    #[test]
    fn broken_definitions_are_drawn_as_far_as_they_go() {
        let mut def = joint();
        def.start = "nowhere".into();
        def.states[0].actions[0].to = Some(Target::State("missing".into()));
        assert_balanced(&svg(&def, Locale::ZhCn));
        def.states.clear();
        assert_balanced(&svg(&def, Locale::ZhCn));
    }

    #[test]
    fn back_edges_curve_above_the_boxes_and_finals_come_last() {
        let def = joint();
        let svg = svg(&def, Locale::En);
        // The send-back from decision to intake rises above the top row of boxes.
        let number = |text: &str, after: &str| -> f64 {
            let start = text.find(after).unwrap() + after.len();
            let end = start + text[start..].find('"').unwrap();
            text[start..end].parse().unwrap()
        };
        let top_box = number(&svg[svg.find("<rect").unwrap()..], " y=\"");
        let highest_curve = svg
            .split("<path d=\"M")
            .skip(1)
            .filter_map(|p| p.split('"').next())
            .flat_map(|d| {
                d.split([' ', 'C'])
                    .filter_map(|xy| xy.split_once(','))
                    .map(|(_, y)| y.parse::<f64>().unwrap())
                    .collect::<Vec<_>>()
            })
            .fold(f64::MAX, f64::min);
        assert!(highest_curve < top_box, "{highest_curve} < {top_box}");
        let index: HashMap<&str, usize> = def
            .states
            .iter()
            .enumerate()
            .map(|(i, s)| (s.key.as_str(), i))
            .collect();
        let edges = collect_edges(&def, &index, Locale::En);
        let column = columns(&def, Some(0), &edges);
        assert_eq!(column, [0, 1, 2, 3, 4, 4, 4]);
    }
}
