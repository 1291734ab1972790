//! The case clock: when an application counts as received, and when a case falls due.
//!
//! The rules (see `docs/calendar.md`): an application received after office hours or on a day
//! that is not worked counts as received on the next working day. The clock starts on the first
//! working day after acceptance (受理) and runs for the time limit plus any extension (延期), in
//! working days. A correction request (补正) or suspension (中止) pauses it: the working days after
//! the pause day up to and including the resumption day do not count, and an open pause freezes
//! it. Nothing here is stored: the services layer keeps the inputs and recomputes.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

use super::WorkingCalendar;

/// When the office stops taking applications for the day (local time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficeHours {
    /// An application received at or after this time counts as received on the next working
    /// day.
    pub closes_at: NaiveTime,
}

impl Default for OfficeHours {
    fn default() -> Self {
        OfficeHours {
            closes_at: NaiveTime::from_hms_opt(17, 0, 0).unwrap_or(NaiveTime::MIN),
        }
    }
}

/// The day an application counts as received: the day itself if it is a working day and the
/// office had not closed yet, otherwise the next working day.
pub fn receipt_day(
    calendar: &WorkingCalendar,
    received_local: NaiveDateTime,
    hours: &OfficeHours,
) -> NaiveDate {
    let day = received_local.date();
    if calendar.is_working_day(day) && received_local.time() < hours.closes_at {
        day
    } else {
        calendar.next_working_day_after(day)
    }
}

/// A stretch during which the clock stood still: paused on `from`, resumed on `until`.
///
/// The working days `d` with `from < d <= until` do not count (`from` itself does, as the day's
/// work happened; counting restarts on the first working day after resumption, as it starts
/// after acceptance). `until = None` is a pause still open, which freezes the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
}

impl Pause {
    pub fn closed(from: NaiveDate, until: NaiveDate) -> Self {
        Pause {
            from,
            until: Some(until),
        }
    }

    pub fn open(from: NaiveDate) -> Self {
        Pause { from, until: None }
    }
}

/// Where a case's clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// The last working day on which the case is on time. `None` while an open pause holds the
    /// clock with working days still left: the date is unknown until the case resumes.
    pub due_on: Option<NaiveDate>,
    /// The day the open pause began, if one is open. When the time limit had already run out
    /// before it, `due_on` is still that (missed) day.
    pub paused_since: Option<NaiveDate>,
    /// Working days left on the clock when the open pause began (0 without an open pause, or
    /// when the limit had already run out).
    pub days_left_at_pause: u32,
    /// The time limit plus the extension, in working days.
    pub allowed_working_days: u32,
}

impl Deadline {
    pub fn is_paused(&self) -> bool {
        self.paused_since.is_some()
    }
}

/// The deadline of a case accepted on `accepted_on` with a limit of `limit_days` working days
/// (0 = decided on the spot, 即办: due on the acceptance day), extended by `extension_days`, and
/// paused as `pauses` say (in any order; overlaps are merged).
pub fn deadline(
    calendar: &WorkingCalendar,
    accepted_on: NaiveDate,
    limit_days: u32,
    extension_days: u32,
    pauses: &[Pause],
) -> Deadline {
    let allowed = limit_days.saturating_add(extension_days);
    let pauses = merged_pauses(pauses);
    let open_pause = pauses
        .iter()
        .find(|(_, until)| until.is_none())
        .map(|(from, _)| *from);
    let mut result = Deadline {
        due_on: None,
        paused_since: open_pause,
        days_left_at_pause: 0,
        allowed_working_days: allowed,
    };
    if allowed == 0 {
        result.due_on = Some(accepted_on);
        return result;
    }
    // Walk the stretches the clock runs, from acceptance to each pause, then from its end.
    let mut cursor = accepted_on;
    let mut left = allowed;
    for (from, until) in pauses {
        if until.is_some_and(|until| until <= cursor) {
            continue;
        }
        let running = calendar.working_days_between(cursor, from.max(cursor));
        if running >= left {
            result.due_on = Some(calendar.add_working_days(cursor, left));
            return result;
        }
        left -= running;
        match until {
            Some(until) => cursor = until,
            None => {
                result.days_left_at_pause = left;
                return result;
            }
        }
    }
    result.due_on = Some(calendar.add_working_days(cursor, left));
    result
}

/// Pauses as disjoint `(from, until]` intervals sorted by start; `None` is an unbounded end.
/// An interval whose end is not after its start excludes no day and is dropped.
fn merged_pauses(pauses: &[Pause]) -> Vec<(NaiveDate, Option<NaiveDate>)> {
    let mut sorted: Vec<(NaiveDate, Option<NaiveDate>)> = pauses
        .iter()
        .filter(|p| p.until.is_none_or(|until| until > p.from))
        .map(|p| (p.from, p.until))
        .collect();
    sorted.sort();
    let mut merged: Vec<(NaiveDate, Option<NaiveDate>)> = Vec::with_capacity(sorted.len());
    for (from, until) in sorted {
        if let Some(last) = merged.last_mut() {
            // (a, b] and (c, d] with c <= b join into (a, max(b, d)].
            let touches = last.1.is_none_or(|end| from <= end);
            if touches {
                last.1 = match (last.1, until) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
                continue;
            }
        }
        merged.push((from, until));
    }
    merged
}

/// Working days from `today` to `due_on`: 0 when due today, positive while time is left,
/// negative once overdue (by that many working days). A day that is not worked between the
/// two still shows the side it is on: the Saturday after a Friday deadline is -1, not 0.
pub fn remaining_working_days(
    calendar: &WorkingCalendar,
    today: NaiveDate,
    due_on: NaiveDate,
) -> i64 {
    use std::cmp::Ordering;
    match today.cmp(&due_on) {
        Ordering::Equal => 0,
        Ordering::Less => i64::from(calendar.working_days_between(today, due_on).max(1)),
        Ordering::Greater => -i64::from(calendar.working_days_between(due_on, today).max(1)),
    }
}
