//! The working-day calendar (工作日历) and the deadline arithmetic built on it.
//!
//! Time limits (承诺时限, 法定时限) count working days. Which days are worked is data, not code:
//! the State Council publishes each year's public holidays (放假) and make-up working days
//! (调休上班), and regions add their own customary holidays (古尔邦节 in Xinjiang, 藏历新年 in
//! Tibet). A day listed as a holiday is not worked, a day listed as a working day is worked, and
//! every other day follows Monday–Friday — which is also all a year without data gets.
//!
//! A [`WorkingCalendar`] layers one base file and any number of overlays (later layers win on a
//! day they both list). The shipped files are compiled in ([`CalendarSet::embedded`]); operators
//! add files at start-up through [`CalendarSet::with_extra`]. Deadlines are never stored as
//! truths: they are computed from a case's stored inputs and the calendar, and
//! [`WorkingCalendar::fingerprint`] tells the services layer when a calendar change means open
//! cases' deadlines must be recomputed. See `docs/calendar.md`.

mod deadline;
mod file;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound::{Excluded, Included, Unbounded};
use std::sync::LazyLock;

use chrono::{Datelike, Days, NaiveDate, Weekday};

pub use deadline::{Deadline, OfficeHours, Pause, deadline, receipt_day, remaining_working_days};
pub use file::{CalendarError, CalendarFile, CalendarSource, CalendarYear, Holiday, ListedDay};

const MAINLAND_YAML: &str = include_str!("../../data/calendars/cn-mainland.yaml");
const XINJIANG_YAML: &str = include_str!("../../data/calendars/xinjiang.yaml");
const TIBET_YAML: &str = include_str!("../../data/calendars/tibet.yaml");

static EMBEDDED: LazyLock<CalendarSet> = LazyLock::new(|| {
    CalendarSet::from_sources(
        CalendarSource::new("cn-mainland.yaml", MAINLAND_YAML),
        &[
            CalendarSource::new("xinjiang.yaml", XINJIANG_YAML),
            CalendarSource::new("tibet.yaml", TIBET_YAML),
        ],
    )
    // The shipped files are tested below; a broken one cannot pass CI.
    .expect("the calendar files compiled into tongban-domain are valid")
});

static MAINLAND: LazyLock<WorkingCalendar> = LazyLock::new(|| EMBEDDED.mainland());

/// A base calendar and the overlays that may apply on top of it, from which the calendar of any
/// division is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarSet {
    base: CalendarFile,
    overlays: Vec<CalendarFile>,
}

impl CalendarSet {
    /// The files shipped with Tongban: mainland China plus the Xinjiang and Tibet overlays.
    pub fn embedded() -> &'static CalendarSet {
        &EMBEDDED
    }

    /// Parses a base file (which applies everywhere) and overlays (which apply where their
    /// `applies_to` says, or everywhere without one).
    pub fn from_sources(
        base: CalendarSource<'_>,
        overlays: &[CalendarSource<'_>],
    ) -> Result<CalendarSet, CalendarError> {
        Ok(CalendarSet {
            base: CalendarFile::parse_base(base)?,
            overlays: parse_all(overlays)?,
        })
    }

    /// This set with more overlays on top, e.g. the files in an operator's calendar directory:
    /// a year the release does not ship yet, or a local holiday.
    pub fn with_extra(&self, extra: &[CalendarSource<'_>]) -> Result<CalendarSet, CalendarError> {
        let mut set = self.clone();
        set.overlays.extend(parse_all(extra)?);
        Ok(set)
    }

    pub fn base(&self) -> &CalendarFile {
        &self.base
    }

    pub fn overlays(&self) -> &[CalendarFile] {
        &self.overlays
    }

    /// The calendar that applies everywhere: the base and the overlays without `applies_to`.
    pub fn mainland(&self) -> WorkingCalendar {
        WorkingCalendar::layered(
            std::iter::once(&self.base)
                .chain(self.overlays.iter().filter(|o| o.applies_everywhere())),
        )
    }

    /// The calendar of one division (GB/T 2260 code): the base and every overlay whose prefix
    /// matches, e.g. `"650100"` (乌鲁木齐市) gets Xinjiang's `"65"`. Overlays for a wider area
    /// come first so that a city's file can correct its province's.
    pub fn for_division(&self, code: &str) -> WorkingCalendar {
        let mut matching: Vec<(usize, &CalendarFile)> = self
            .overlays
            .iter()
            .filter(|o| o.applies_to_division(code))
            .map(|o| (longest_matching_prefix(o, code), o))
            .collect();
        // Stable: files for the same area keep their given order.
        matching.sort_by_key(|(len, _)| *len);
        WorkingCalendar::layered(
            std::iter::once(&self.base).chain(matching.into_iter().map(|(_, o)| o)),
        )
    }
}

fn parse_all(sources: &[CalendarSource<'_>]) -> Result<Vec<CalendarFile>, CalendarError> {
    sources.iter().map(|s| CalendarFile::parse(*s)).collect()
}

fn longest_matching_prefix(file: &CalendarFile, code: &str) -> usize {
    file.applies_to()
        .iter()
        .filter(|prefix| code.starts_with(prefix.as_str()))
        .map(String::len)
        .max()
        .unwrap_or(0)
}

/// What the layers together say of a listed day.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Effective {
    Holiday(String),
    WorkingDay,
}

/// The days worked in one place: Monday–Friday, except the listed holidays and make-up days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingCalendar {
    listed: BTreeMap<NaiveDate, Effective>,
    years: BTreeSet<i32>,
    sources: Vec<String>,
}

impl WorkingCalendar {
    /// Mainland China's calendar from the shipped data, parsed once.
    pub fn mainland() -> &'static WorkingCalendar {
        &MAINLAND
    }

    /// The shipped calendar of one division: mainland plus every shipped overlay whose prefix
    /// matches the code.
    pub fn for_division(code: &str) -> WorkingCalendar {
        EMBEDDED.for_division(code)
    }

    /// A base file with every given overlay on top, in order, whatever their `applies_to` (the
    /// caller chose them; [`CalendarSet::for_division`] chooses by division).
    pub fn from_sources(
        base: CalendarSource<'_>,
        overlays: &[CalendarSource<'_>],
    ) -> Result<WorkingCalendar, CalendarError> {
        let base = CalendarFile::parse_base(base)?;
        let overlays = parse_all(overlays)?;
        Ok(WorkingCalendar::layered(
            std::iter::once(&base).chain(overlays.iter()),
        ))
    }

    fn layered<'a>(layers: impl IntoIterator<Item = &'a CalendarFile>) -> WorkingCalendar {
        let mut listed = BTreeMap::new();
        let mut years = BTreeSet::new();
        let mut sources = Vec::new();
        for layer in layers {
            for (date, day) in layer.listed_days() {
                let effective = match day {
                    ListedDay::Holiday(name) => Effective::Holiday(name.clone()),
                    ListedDay::WorkingDay => Effective::WorkingDay,
                };
                listed.insert(*date, effective);
            }
            // A regional file's year alone does not make a year's nationwide schedule known.
            if layer.applies_everywhere() {
                years.extend(layer.years().keys().copied());
            }
            sources.push(layer.name().to_owned());
        }
        WorkingCalendar {
            listed,
            years,
            sources,
        }
    }

    /// The files this calendar was built from, bottom layer first.
    pub fn sources(&self) -> &[String] {
        &self.sources
    }

    /// The years for which a nationwide schedule is known, ascending.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    /// Whether the nationwide schedule of `year` is known. Without it the year still works —
    /// as plain Monday–Friday (plus any regional days listed for it) — but its deadlines will
    /// move once the State Council's notice is added.
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.listed.get(&date) {
            Some(Effective::Holiday(_)) => false,
            Some(Effective::WorkingDay) => true,
            None => is_weekday(date),
        }
    }

    /// The holiday's name on a listed holiday; `None` on other days, ordinary weekends included.
    pub fn holiday_name(&self, date: NaiveDate) -> Option<&str> {
        match self.listed.get(&date) {
            Some(Effective::Holiday(name)) => Some(name),
            _ => None,
        }
    }

    /// The first working day strictly after `date`.
    pub fn next_working_day_after(&self, date: NaiveDate) -> NaiveDate {
        self.add_working_days(date, 1)
    }

    /// `date` itself if it is worked, else the next working day.
    pub fn working_day_on_or_after(&self, date: NaiveDate) -> NaiveDate {
        if self.is_working_day(date) {
            date
        } else {
            self.next_working_day_after(date)
        }
    }

    /// The `n`-th working day after `from` (`from` itself is not counted; `n = 0` gives `from`).
    /// Saturates at the last date chrono can represent rather than failing on absurd inputs.
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut day = from;
        let mut left = n;
        while left > 0 {
            // Where nothing is listed every week has exactly five working days, so whole weeks
            // can be skipped: far-future dates and huge limits cost no more than small ones.
            let weeks = self.whole_unlisted_weeks_after(day).min((left - 1) / 5);
            if weeks > 0 {
                match day.checked_add_days(Days::new(7 * u64::from(weeks))) {
                    Some(later) => {
                        day = later;
                        left -= 5 * weeks;
                    }
                    None => return NaiveDate::MAX,
                }
            }
            match day.succ_opt() {
                Some(next) => day = next,
                None => return day,
            }
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// How many whole weeks after `day` contain no listed date.
    fn whole_unlisted_weeks_after(&self, day: NaiveDate) -> u32 {
        match self.listed.range((Excluded(day), Unbounded)).next() {
            Some((next_listed, _)) => {
                let gap = (*next_listed - day).num_days() - 1;
                u32::try_from(gap / 7).unwrap_or(u32::MAX)
            }
            None => u32::MAX,
        }
    }

    /// The number of working days `d` with `a < d <= b`; 0 when `b <= a`.
    pub fn working_days_between(&self, a: NaiveDate, b: NaiveDate) -> u32 {
        if b <= a {
            return 0;
        }
        let mut count = weekdays_through(b) - weekdays_through(a);
        for (date, effective) in self.listed.range((Excluded(a), Included(b))) {
            let worked = matches!(effective, Effective::WorkingDay);
            count += i64::from(worked) - i64::from(is_weekday(*date));
        }
        u32::try_from(count).unwrap_or(if count < 0 { 0 } else { u32::MAX })
    }

    /// A short, stable identity of which days are worked: it changes exactly when some date
    /// changes between worked and not worked (holiday names and listings that change nothing,
    /// such as a holiday on a Sunday, do not count). FNV-1a over a fixed text form, so it is the
    /// same on every run, platform and Rust version; the services layer stores it next to
    /// computed deadlines and recomputes them when it differs.
    pub fn fingerprint(&self) -> String {
        let mut hash = Fnv1a::new();
        hash.write(b"tongban-calendar-v1\n");
        for (date, effective) in &self.listed {
            let worked = matches!(effective, Effective::WorkingDay);
            if worked != is_weekday(*date) {
                let line = format!(
                    "{:04}-{:02}-{:02} {}\n",
                    date.year(),
                    date.month(),
                    date.day(),
                    if worked { 'W' } else { 'H' }
                );
                hash.write(line.as_bytes());
            }
        }
        format!("{:016x}", hash.finish())
    }
}

fn is_weekday(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The number of weekdays (Monday–Friday) from 0001-01-01 (a Monday) through `date`, negative
/// before it: `weekdays_through(b) - weekdays_through(a)` counts the weekdays in `(a, b]`.
fn weekdays_through(date: NaiveDate) -> i64 {
    // Day 1 of the common era is a Monday, so day n is a weekday when (n - 1) mod 7 < 5.
    let days = i64::from(date.num_days_from_ce());
    5 * days.div_euclid(7) + days.rem_euclid(7).min(5)
}

/// 64-bit FNV-1a, written out because the standard library's hasher is not stable across
/// Rust versions and a cryptographic hash would be a dependency for nothing.
struct Fnv1a(u64);

impl Fnv1a {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    fn new() -> Self {
        Fnv1a(Self::OFFSET_BASIS)
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(Self::PRIME);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests;
