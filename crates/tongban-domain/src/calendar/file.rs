//! One calendar file as written by people: per year, the holidays (放假) as named date ranges and
//! the make-up working days (调休上班), plus, for a regional overlay, the GB/T 2260 prefixes of
//! the divisions it applies to.
//!
//! Parsing checks everything a typo could break and names the file, the year and the date (or the
//! YAML line) so that an operator can fix a file without reading code.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

/// The text of one calendar file and the name that errors give it (usually its file name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CalendarSource<'a> {
    pub name: &'a str,
    pub yaml: &'a str,
}

impl<'a> CalendarSource<'a> {
    pub fn new(name: &'a str, yaml: &'a str) -> Self {
        CalendarSource { name, yaml }
    }
}

/// Why a calendar file was refused. Every variant names the file; the rest says where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// Not YAML of the expected shape; `message` carries the line and column when known.
    #[error("{file}: {message}")]
    Malformed {
        file: String,
        line: Option<usize>,
        message: String,
    },
    #[error("{file}: year {year}: {date} is not in {year}")]
    DateOutsideYear {
        file: String,
        year: i32,
        date: NaiveDate,
    },
    #[error("{file}: year {year}: holiday {name} ends on {to}, before it starts on {from}")]
    HolidayEndsBeforeStart {
        file: String,
        year: i32,
        name: String,
        from: NaiveDate,
        to: NaiveDate,
    },
    #[error("{file}: year {year}: the holiday starting on {from} has no name")]
    UnnamedHoliday {
        file: String,
        year: i32,
        from: NaiveDate,
    },
    #[error("{file}: year {year}: {date} is both a holiday ({holiday}) and a working day")]
    HolidayAndWorkingDay {
        file: String,
        year: i32,
        date: NaiveDate,
        holiday: String,
    },
    #[error("{file}: year {year}: {date} is listed twice")]
    ListedTwice {
        file: String,
        year: i32,
        date: NaiveDate,
    },
    #[error("{file}: applies_to: {prefix:?} is not a GB/T 2260 prefix (2, 4 or 6 digits)")]
    BadDivisionPrefix { file: String, prefix: String },
    #[error("{file}: the base calendar applies everywhere, so it cannot have applies_to")]
    BaseWithAppliesTo { file: String },
}

/// What one listed day is, in the file that lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListedDay {
    /// A day off, with the holiday's name (a weekday listed here is not worked).
    Holiday(String),
    /// A make-up working day (a weekend day listed here is worked).
    WorkingDay,
}

/// A named holiday, both ends included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    pub name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// One year of one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalendarYear {
    pub holidays: Vec<Holiday>,
    pub working_days: Vec<NaiveDate>,
}

/// One parsed and checked calendar file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarFile {
    name: String,
    applies_to: Vec<String>,
    years: BTreeMap<i32, CalendarYear>,
    days: BTreeMap<NaiveDate, ListedDay>,
}

impl CalendarFile {
    /// Parses and checks one file. A file without `applies_to` applies to every division.
    pub fn parse(source: CalendarSource<'_>) -> Result<CalendarFile, CalendarError> {
        let file = source.name.to_owned();
        let raw: RawFile =
            serde_norway::from_str(source.yaml).map_err(|err| CalendarError::Malformed {
                file: file.clone(),
                line: err.location().map(|location| location.line()),
                message: err.to_string(),
            })?;
        for prefix in &raw.applies_to {
            if !is_division_prefix(prefix) {
                return Err(CalendarError::BadDivisionPrefix {
                    file,
                    prefix: prefix.clone(),
                });
            }
        }
        let mut days = BTreeMap::new();
        for (&year, entry) in &raw.years {
            check_year(&file, year, entry, &mut days)?;
        }
        Ok(CalendarFile {
            name: file,
            applies_to: raw.applies_to,
            years: raw.years,
            days,
        })
    }

    /// Parses a base file, which must apply everywhere.
    pub fn parse_base(source: CalendarSource<'_>) -> Result<CalendarFile, CalendarError> {
        let file = CalendarFile::parse(source)?;
        if file.applies_to.is_empty() {
            Ok(file)
        } else {
            Err(CalendarError::BaseWithAppliesTo { file: file.name })
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// GB/T 2260 prefixes of the divisions this file applies to; empty means every division.
    pub fn applies_to(&self) -> &[String] {
        &self.applies_to
    }

    pub fn applies_everywhere(&self) -> bool {
        self.applies_to.is_empty()
    }

    /// Whether the division with this code gets this file (`"65"` matches `"650100"`).
    pub fn applies_to_division(&self, code: &str) -> bool {
        self.applies_everywhere()
            || self
                .applies_to
                .iter()
                .any(|prefix| code.starts_with(prefix.as_str()))
    }

    pub fn years(&self) -> &BTreeMap<i32, CalendarYear> {
        &self.years
    }

    /// Every day the file lists, each once.
    pub fn listed_days(&self) -> &BTreeMap<NaiveDate, ListedDay> {
        &self.days
    }
}

fn is_division_prefix(prefix: &str) -> bool {
    matches!(prefix.len(), 2 | 4 | 6) && prefix.bytes().all(|b| b.is_ascii_digit())
}

fn check_year(
    file: &str,
    year: i32,
    entry: &CalendarYear,
    days: &mut BTreeMap<NaiveDate, ListedDay>,
) -> Result<(), CalendarError> {
    let outside = |date: NaiveDate| CalendarError::DateOutsideYear {
        file: file.to_owned(),
        year,
        date,
    };
    let twice = |date: NaiveDate| CalendarError::ListedTwice {
        file: file.to_owned(),
        year,
        date,
    };
    for holiday in &entry.holidays {
        if holiday.name.trim().is_empty() {
            return Err(CalendarError::UnnamedHoliday {
                file: file.to_owned(),
                year,
                from: holiday.from,
            });
        }
        for end in [holiday.from, holiday.to] {
            if end.year() != year {
                return Err(outside(end));
            }
        }
        if holiday.from > holiday.to {
            return Err(CalendarError::HolidayEndsBeforeStart {
                file: file.to_owned(),
                year,
                name: holiday.name.clone(),
                from: holiday.from,
                to: holiday.to,
            });
        }
        // Both ends are in `year`, so this walks at most 366 days.
        for date in holiday.from.iter_days().take_while(|d| *d <= holiday.to) {
            match days.entry(date) {
                Entry::Vacant(slot) => {
                    slot.insert(ListedDay::Holiday(holiday.name.clone()));
                }
                Entry::Occupied(_) => return Err(twice(date)),
            }
        }
    }
    for &date in &entry.working_days {
        if date.year() != year {
            return Err(outside(date));
        }
        match days.entry(date) {
            Entry::Vacant(slot) => {
                slot.insert(ListedDay::WorkingDay);
            }
            Entry::Occupied(slot) => {
                return Err(match slot.get() {
                    ListedDay::Holiday(name) => CalendarError::HolidayAndWorkingDay {
                        file: file.to_owned(),
                        year,
                        date,
                        holiday: name.clone(),
                    },
                    ListedDay::WorkingDay => twice(date),
                });
            }
        }
    }
    Ok(())
}

/// The file's top level mixes one named key (`applies_to`) with year keys, which derive cannot
/// express without buffering (and buffering would lose the line numbers of errors).
struct RawFile {
    applies_to: Vec<String>,
    years: BTreeMap<i32, CalendarYear>,
}

impl<'de> Deserialize<'de> for RawFile {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawFileVisitor)
    }
}

struct RawFileVisitor;

impl<'de> Visitor<'de> for RawFileVisitor {
    type Value = RawFile;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of years (and optionally applies_to)")
    }

    /// A file of comments only: no data yet, which is not an error.
    fn visit_unit<E: de::Error>(self) -> Result<RawFile, E> {
        Ok(RawFile {
            applies_to: Vec::new(),
            years: BTreeMap::new(),
        })
    }

    fn visit_none<E: de::Error>(self) -> Result<RawFile, E> {
        self.visit_unit()
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawFile, A::Error> {
        let mut applies_to = None;
        let mut years = BTreeMap::new();
        while let Some(key) = map.next_key::<TopKey>()? {
            match key {
                TopKey::AppliesTo => {
                    if applies_to.is_some() {
                        return Err(de::Error::duplicate_field("applies_to"));
                    }
                    applies_to = Some(map.next_value::<Vec<String>>()?);
                }
                TopKey::Year(year) => {
                    let entry = map.next_value::<RawYear>()?;
                    if years.insert(year, entry.into()).is_some() {
                        return Err(de::Error::custom(format_args!("year {year} appears twice")));
                    }
                }
            }
        }
        Ok(RawFile {
            applies_to: applies_to.unwrap_or_default(),
            years,
        })
    }
}

enum TopKey {
    AppliesTo,
    Year(i32),
}

/// Years outside this range are typos (and chrono cannot represent all of `i32`).
const YEARS: std::ops::RangeInclusive<i64> = 1..=9999;

impl<'de> Deserialize<'de> for TopKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = TopKey;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`applies_to` or a year such as 2026")
            }

            fn visit_i64<E: de::Error>(self, year: i64) -> Result<TopKey, E> {
                if YEARS.contains(&year) {
                    i32::try_from(year)
                        .map(TopKey::Year)
                        .map_err(|_| E::custom(format_args!("{year} is not a year")))
                } else {
                    Err(E::custom(format_args!(
                        "{year} is not a year between 1 and 9999"
                    )))
                }
            }

            fn visit_u64<E: de::Error>(self, year: u64) -> Result<TopKey, E> {
                let year = i64::try_from(year).map_err(|_| E::custom("not a year"))?;
                self.visit_i64(year)
            }

            fn visit_str<E: de::Error>(self, key: &str) -> Result<TopKey, E> {
                if key == "applies_to" {
                    return Ok(TopKey::AppliesTo);
                }
                match key.parse::<i64>() {
                    Ok(year) => self.visit_i64(year),
                    Err(_) => Err(E::custom(format_args!(
                        "unknown key `{key}`: expected `applies_to` or a year such as 2026"
                    ))),
                }
            }
        }
        deserializer.deserialize_any(KeyVisitor)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawYear {
    #[serde(default)]
    holidays: Vec<RawHoliday>,
    #[serde(default)]
    working_days: Vec<YamlDate>,
}

impl From<RawYear> for CalendarYear {
    fn from(raw: RawYear) -> Self {
        CalendarYear {
            holidays: raw
                .holidays
                .into_iter()
                .map(|h| Holiday {
                    name: h.name,
                    from: h.from.0,
                    to: h.to.0,
                })
                .collect(),
            working_days: raw.working_days.into_iter().map(|d| d.0).collect(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHoliday {
    name: String,
    from: YamlDate,
    to: YamlDate,
}

/// A `YYYY-MM-DD` date with an error message that says so (chrono's alone says "out of range").
struct YamlDate(NaiveDate);

impl<'de> Deserialize<'de> for YamlDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map(YamlDate)
            .map_err(|_| de::Error::custom(format_args!("`{text}` is not a date (YYYY-MM-DD)")))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn parse(yaml: &str) -> Result<CalendarFile, CalendarError> {
        CalendarFile::parse(CalendarSource::new("test.yaml", yaml))
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_file_lists_each_day_of_each_holiday() {
        let file = parse(
            "2025:\n  holidays:\n    - { name: 春节, from: 2025-01-28, to: 2025-02-04 }\n  working_days: [2025-01-26]\n",
        )
        .unwrap();
        assert!(file.applies_everywhere());
        assert_eq!(file.listed_days().len(), 9);
        assert_eq!(
            file.listed_days().get(&date("2025-02-01")),
            Some(&ListedDay::Holiday("春节".into()))
        );
        assert_eq!(
            file.listed_days().get(&date("2025-01-26")),
            Some(&ListedDay::WorkingDay)
        );
    }

    #[test]
    fn overlays_match_divisions_by_prefix() {
        let file = parse("applies_to: [\"65\", \"5401\"]\n2025: {}\n").unwrap();
        assert!(file.applies_to_division("650100"));
        assert!(file.applies_to_division("540102"));
        assert!(!file.applies_to_division("540200"));
        assert!(!file.applies_to_division("110105"));
    }

    #[test]
    fn a_comment_only_file_is_empty_not_an_error() {
        let file = parse("# nothing yet\n").unwrap();
        assert!(file.years().is_empty());
    }

    #[test]
    fn a_date_outside_its_year_is_refused() {
        let err = parse("2026:\n  working_days: [2025-12-31]\n").unwrap_err();
        assert_eq!(
            err,
            CalendarError::DateOutsideYear {
                file: "test.yaml".into(),
                year: 2026,
                date: date("2025-12-31"),
            }
        );
        assert_eq!(
            err.to_string(),
            "test.yaml: year 2026: 2025-12-31 is not in 2026"
        );
        assert!(matches!(
            parse("2026:\n  holidays: [{ name: 元旦, from: 2025-12-31, to: 2026-01-01 }]\n"),
            Err(CalendarError::DateOutsideYear { .. })
        ));
    }

    #[test]
    fn a_backwards_holiday_is_refused() {
        let err =
            parse("2025:\n  holidays: [{ name: 端午节, from: 2025-06-02, to: 2025-05-31 }]\n")
                .unwrap_err();
        assert!(
            matches!(err, CalendarError::HolidayEndsBeforeStart { ref name, .. } if name == "端午节"),
            "{err}"
        );
    }

    #[test]
    fn a_day_both_holiday_and_working_day_is_refused() {
        let err = parse(
            "2025:\n  holidays: [{ name: 劳动节, from: 2025-05-01, to: 2025-05-05 }]\n  working_days: [2025-05-03]\n",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "test.yaml: year 2025: 2025-05-03 is both a holiday (劳动节) and a working day"
        );
    }

    #[test]
    fn overlapping_holidays_and_repeated_days_are_refused() {
        assert!(matches!(
            parse("2025:\n  holidays:\n    - { name: a, from: 2025-10-01, to: 2025-10-03 }\n    - { name: b, from: 2025-10-03, to: 2025-10-04 }\n"),
            Err(CalendarError::ListedTwice { date: listed, .. }) if listed == date("2025-10-03")
        ));
        assert!(matches!(
            parse("2025:\n  working_days: [2025-09-28, 2025-09-28]\n"),
            Err(CalendarError::ListedTwice { .. })
        ));
    }

    #[test]
    fn malformed_yaml_names_the_line() {
        let err =
            parse("2025:\n  holidays:\n    - { name: 元旦, from: 2025-01-01 }\n").unwrap_err();
        match err {
            CalendarError::Malformed { line, message, .. } => {
                assert_eq!(line, Some(3), "{message}");
                assert!(message.contains("to"), "{message}");
            }
            other => panic!("{other}"),
        }
        let err = parse("2025:\n  working_days: [2025-02-30]\n").unwrap_err();
        match err {
            CalendarError::Malformed { line, message, .. } => {
                assert_eq!(line, Some(2), "{message}");
                assert!(message.contains("`2025-02-30` is not a date"), "{message}");
            }
            other => panic!("{other}"),
        }
        assert!(matches!(
            parse("2025:\n  holidays: []\n  workdays: []\n"),
            Err(CalendarError::Malformed { line: Some(3), .. })
        ));
        assert!(matches!(
            parse("region: 新疆\n"),
            Err(CalendarError::Malformed { line: Some(1), .. })
        ));
        assert!(matches!(
            parse("2025: {}\n2025: {}\n"),
            Err(CalendarError::Malformed { line: Some(_), .. })
        ));
        assert!(matches!(
            parse("20250: {}\n"),
            Err(CalendarError::Malformed { .. })
        ));
        assert!(matches!(
            parse("2025: [\n"),
            Err(CalendarError::Malformed { .. })
        ));
    }

    #[test]
    fn prefixes_must_be_division_codes() {
        assert_eq!(
            parse("applies_to: [\"6\"]\n").unwrap_err(),
            CalendarError::BadDivisionPrefix {
                file: "test.yaml".into(),
                prefix: "6".into()
            }
        );
        assert!(parse("applies_to: [\"xj\"]\n").is_err());
        assert!(matches!(
            CalendarFile::parse_base(CalendarSource::new("base.yaml", "applies_to: [\"65\"]\n")),
            Err(CalendarError::BaseWithAppliesTo { .. })
        ));
    }

    #[test]
    fn quoted_years_are_years() {
        let file = parse("\"2027\":\n  working_days: [2027-02-06]\n").unwrap();
        assert!(file.years().contains_key(&2027));
    }

    #[test]
    fn unnamed_holidays_are_refused() {
        assert!(matches!(
            parse("2025:\n  holidays: [{ name: \" \", from: 2025-01-01, to: 2025-01-01 }]\n"),
            Err(CalendarError::UnnamedHoliday { year: 2025, .. })
        ));
    }

    #[test]
    fn the_listed_days_cover_exactly_the_ranges() {
        let file = parse(
            "2026:\n  holidays:\n    - { name: 元旦, from: 2026-01-01, to: 2026-01-03 }\n  working_days: [2026-01-04]\n",
        )
        .unwrap();
        let listed: BTreeSet<NaiveDate> = file.listed_days().keys().copied().collect();
        let expected: BTreeSet<NaiveDate> =
            ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"]
                .into_iter()
                .map(date)
                .collect();
        assert_eq!(listed, expected);
    }
}
