//! Tests of the shipped data, the queries and the case clock; property tests check the
//! arithmetic against day-by-day counting.

use chrono::{NaiveDateTime, NaiveTime};
use proptest::prelude::*;

use super::*;

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
}

fn mainland() -> &'static WorkingCalendar {
    WorkingCalendar::mainland()
}

#[test]
fn the_shipped_files_parse_and_cover_2025_and_2026() {
    let set = CalendarSet::embedded();
    assert_eq!(set.overlays().len(), 2);
    assert!(mainland().covers(2025) && mainland().covers(2026));
    assert!(!mainland().covers(2027));
    assert_eq!(mainland().years().collect::<Vec<_>>(), vec![2025, 2026]);
    assert_eq!(mainland().sources(), ["cn-mainland.yaml"]);
}

#[test]
fn make_up_weekend_days_are_worked() {
    for day in [
        "2025-01-26",
        "2025-02-08",
        "2025-04-27",
        "2025-09-28",
        "2025-10-11",
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ] {
        assert!(mainland().is_working_day(date(day)), "{day}");
        assert_eq!(mainland().holiday_name(date(day)), None);
    }
}

#[test]
fn holidays_are_not_worked_even_on_weekdays() {
    for day in date("2025-10-01").iter_days().take(8) {
        assert!(!mainland().is_working_day(day), "{day}");
        assert_eq!(mainland().holiday_name(day), Some("国庆节、中秋节"));
    }
    assert!(mainland().is_working_day(date("2025-10-09")));
    assert!(!mainland().is_working_day(date("2026-02-23")));
    assert_eq!(mainland().holiday_name(date("2026-02-17")), Some("春节"));
    assert!(!mainland().is_working_day(date("2026-01-02")));
    // An ordinary weekend is not a holiday and has no name.
    assert!(!mainland().is_working_day(date("2025-03-08")));
    assert_eq!(mainland().holiday_name(date("2025-03-08")), None);
}

#[test]
fn walking_across_national_day() {
    let cal = mainland();
    assert_eq!(
        cal.next_working_day_after(date("2025-09-30")),
        date("2025-10-09")
    );
    assert_eq!(
        cal.working_day_on_or_after(date("2025-10-03")),
        date("2025-10-09")
    );
    assert_eq!(
        cal.working_day_on_or_after(date("2025-09-28")),
        date("2025-09-28")
    );
    assert_eq!(
        cal.add_working_days(date("2025-09-26"), 2),
        date("2025-09-29")
    );
    assert_eq!(
        cal.add_working_days(date("2025-09-30"), 3),
        date("2025-10-11")
    );
    assert_eq!(
        cal.add_working_days(date("2025-09-30"), 0),
        date("2025-09-30")
    );
    // 9-28 (Sun, worked), 9-29, 9-30, then 10-09, 10-10, 10-11 (Sat, worked).
    assert_eq!(
        cal.working_days_between(date("2025-09-27"), date("2025-10-12")),
        6
    );
    assert_eq!(
        cal.working_days_between(date("2025-10-12"), date("2025-09-27")),
        0
    );
}

#[test]
fn a_year_without_data_is_monday_to_friday() {
    let cal = mainland();
    assert!(!cal.covers(2030));
    assert!(
        cal.is_working_day(date("2030-01-01")),
        "no 元旦 without data"
    );
    assert!(!cal.is_working_day(date("2030-01-05")));
    assert_eq!(
        cal.add_working_days(date("2029-12-28"), 1),
        date("2029-12-31")
    );
    assert_eq!(
        cal.working_days_between(date("2030-01-06"), date("2030-01-13")),
        5
    );
}

#[test]
fn xinjiang_has_its_own_holidays_and_beijing_does_not() {
    let urumqi = WorkingCalendar::for_division("650100");
    let beijing = WorkingCalendar::for_division("110105");
    let eid = date("2025-06-09");
    assert!(!urumqi.is_working_day(eid));
    assert_eq!(urumqi.holiday_name(eid), Some("古尔邦节"));
    assert!(beijing.is_working_day(eid));
    assert_eq!(beijing.holiday_name(eid), None);
    assert_eq!(beijing, *mainland());
    assert_eq!(urumqi.sources(), ["cn-mainland.yaml", "xinjiang.yaml"]);
    // A regional year does not make the nationwide schedule known.
    assert_eq!(urumqi.years().collect::<Vec<_>>(), vec![2025, 2026]);
}

#[test]
fn lhasa_joins_spring_festival_and_losar() {
    let lhasa = WorkingCalendar::for_division("540102");
    assert!(!lhasa.is_working_day(date("2026-02-25")));
    assert_eq!(
        lhasa.holiday_name(date("2026-02-18")),
        Some("春节、藏历新年")
    );
    assert!(mainland().is_working_day(date("2026-02-25")));
    assert!(
        lhasa.is_working_day(date("2026-02-28")),
        "the mainland make-up day stays"
    );
    assert!(!lhasa.is_working_day(date("2025-03-03")));
}

const BASE: &str = "2025:\n  holidays: [{ name: 国庆节, from: 2025-10-01, to: 2025-10-03 }]\n  working_days: [2025-09-28]\n";

#[test]
fn later_layers_win_on_the_days_they_list() {
    let overlay = "2025:\n  holidays: [{ name: 地方节日, from: 2025-09-28, to: 2025-09-28 }]\n  working_days: [2025-10-03]\n";
    let cal = WorkingCalendar::from_sources(
        CalendarSource::new("base.yaml", BASE),
        &[CalendarSource::new("local.yaml", overlay)],
    )
    .unwrap();
    assert!(!cal.is_working_day(date("2025-09-28")));
    assert_eq!(cal.holiday_name(date("2025-09-28")), Some("地方节日"));
    assert!(cal.is_working_day(date("2025-10-03")));
    assert!(!cal.is_working_day(date("2025-10-02")));
}

#[test]
fn operators_add_a_year_or_a_local_holiday() {
    let next_year = "2027:\n  holidays: [{ name: 元旦, from: 2027-01-01, to: 2027-01-01 }]\n";
    let local = "applies_to: [\"650102\"]\n2026:\n  holidays: [{ name: 区庆, from: 2026-07-01, to: 2026-07-01 }]\n";
    let set = CalendarSet::embedded()
        .with_extra(&[
            CalendarSource::new("2027.yaml", next_year),
            CalendarSource::new("tianshan.yaml", local),
        ])
        .unwrap();
    let tianshan = set.for_division("650102");
    let shaybagh = set.for_division("650103");
    assert!(tianshan.covers(2027) && set.mainland().covers(2027));
    assert!(!tianshan.is_working_day(date("2026-07-01")));
    assert!(shaybagh.is_working_day(date("2026-07-01")));
    assert!(
        !shaybagh.is_working_day(date("2025-06-09")),
        "still gets Xinjiang's file"
    );
    assert_eq!(
        tianshan.sources(),
        [
            "cn-mainland.yaml",
            "2027.yaml",
            "xinjiang.yaml",
            "tianshan.yaml"
        ]
    );
    let err = CalendarSet::embedded()
        .with_extra(&[CalendarSource::new("broken.yaml", "2027: [")])
        .unwrap_err();
    assert!(err.to_string().starts_with("broken.yaml: "), "{err}");
}

#[test]
fn receipt_after_hours_on_friday_counts_on_monday() {
    let hours = OfficeHours::default();
    let cal = mainland();
    assert_eq!(
        receipt_day(cal, at("2025-03-07 16:59"), &hours),
        date("2025-03-07")
    );
    assert_eq!(
        receipt_day(cal, at("2025-03-07 17:00"), &hours),
        date("2025-03-10")
    );
    assert_eq!(
        receipt_day(cal, at("2025-03-08 10:00"), &hours),
        date("2025-03-10")
    );
    // Before a holiday, the next working day is after it.
    assert_eq!(
        receipt_day(cal, at("2025-09-30 20:00"), &hours),
        date("2025-10-09")
    );
}

#[test]
fn receipt_on_a_make_up_sunday_before_closing_is_that_day() {
    let cal = mainland();
    let hours = OfficeHours::default();
    assert_eq!(
        receipt_day(cal, at("2025-09-28 10:00"), &hours),
        date("2025-09-28")
    );
    assert_eq!(
        receipt_day(cal, at("2025-09-28 18:00"), &hours),
        date("2025-09-29")
    );
    let late = OfficeHours {
        closes_at: NaiveTime::from_hms_opt(18, 30, 0).unwrap(),
    };
    assert_eq!(
        receipt_day(cal, at("2025-09-28 18:00"), &late),
        date("2025-09-28")
    );
}

#[test]
fn the_clock_starts_the_day_after_acceptance() {
    // Accepted Wednesday 9-24: 9-25 (1), 9-26 (2), 9-28 Sun worked (3), 9-29 (4), 9-30 (5).
    let d = deadline(mainland(), date("2025-09-24"), 5, 0, &[]);
    assert_eq!(d.due_on, Some(date("2025-09-30")));
    assert!(!d.is_paused());
    assert_eq!(d.allowed_working_days, 5);
    // One more day crosses National Day.
    let d = deadline(mainland(), date("2025-09-24"), 6, 0, &[]);
    assert_eq!(d.due_on, Some(date("2025-10-09")));
}

#[test]
fn decided_on_the_spot_is_due_on_acceptance() {
    let d = deadline(mainland(), date("2025-10-11"), 0, 0, &[]);
    assert_eq!(d.due_on, Some(date("2025-10-11")));
}

#[test]
fn an_extension_adds_working_days() {
    let d = deadline(mainland(), date("2025-09-24"), 5, 2, &[]);
    assert_eq!(d.due_on, Some(date("2025-10-10")));
    assert_eq!(d.allowed_working_days, 7);
}

#[test]
fn a_pause_across_a_holiday() {
    // Correction asked on 9-26 (day 2, which counts), corrected on 10-09 (which does not):
    // the clock resumes on 10-10 (3), 10-11 Sat worked (4), 10-13 (5).
    let d = deadline(
        mainland(),
        date("2025-09-24"),
        5,
        0,
        &[Pause::closed(date("2025-09-26"), date("2025-10-09"))],
    );
    assert_eq!(d.due_on, Some(date("2025-10-13")));
    assert!(!d.is_paused());
}

#[test]
fn an_open_pause_freezes_the_clock() {
    let d = deadline(
        mainland(),
        date("2025-09-24"),
        5,
        0,
        &[Pause::open(date("2025-09-26"))],
    );
    assert_eq!(d.due_on, None);
    assert_eq!(d.paused_since, Some(date("2025-09-26")));
    assert_eq!(d.days_left_at_pause, 3);
    // Paused after the limit ran out: still due on the missed day.
    let late = deadline(
        mainland(),
        date("2025-09-24"),
        2,
        0,
        &[Pause::open(date("2025-09-29"))],
    );
    assert_eq!(late.due_on, Some(date("2025-09-26")));
    assert!(late.is_paused());
    assert_eq!(late.days_left_at_pause, 0);
}

#[test]
fn overlapping_and_empty_pauses_are_harmless() {
    let one = deadline(
        mainland(),
        date("2025-03-03"),
        10,
        0,
        &[Pause::closed(date("2025-03-05"), date("2025-03-12"))],
    );
    let split = deadline(
        mainland(),
        date("2025-03-03"),
        10,
        0,
        &[
            Pause::closed(date("2025-03-08"), date("2025-03-12")),
            Pause::closed(date("2025-03-05"), date("2025-03-10")),
            Pause::closed(date("2025-03-20"), date("2025-03-19")),
        ],
    );
    assert_eq!(one, split);
}

#[test]
fn remaining_days_count_down_and_go_negative() {
    let cal = mainland();
    let due = date("2025-03-07"); // a Friday
    assert_eq!(remaining_working_days(cal, date("2025-03-05"), due), 2);
    assert_eq!(remaining_working_days(cal, date("2025-03-06"), due), 1);
    assert_eq!(remaining_working_days(cal, due, due), 0);
    assert_eq!(remaining_working_days(cal, date("2025-03-08"), due), -1);
    assert_eq!(remaining_working_days(cal, date("2025-03-10"), due), -1);
    assert_eq!(remaining_working_days(cal, date("2025-03-11"), due), -2);
    assert_eq!(
        remaining_working_days(cal, date("2025-09-30"), date("2025-10-09")),
        1
    );
}

#[test]
fn the_fingerprint_is_pinned() {
    let mut empty = Fnv1a::new();
    empty.write(b"");
    assert_eq!(empty.finish(), 0xcbf2_9ce4_8422_2325);
    let mut a = Fnv1a::new();
    a.write(b"a");
    assert_eq!(a.finish(), 0xaf63_dc4c_8601_ec8c);
    // Changing the scheme would make every deployment recompute every deadline: do it on
    // purpose, with a new version tag, or not at all.
    let cal = WorkingCalendar::from_sources(CalendarSource::new("base.yaml", BASE), &[]).unwrap();
    let mut expected = Fnv1a::new();
    expected
        .write(b"tongban-calendar-v1\n2025-09-28 W\n2025-10-01 H\n2025-10-02 H\n2025-10-03 H\n");
    assert_eq!(cal.fingerprint(), format!("{:016x}", expected.finish()));
}

#[test]
fn the_fingerprint_ignores_names_and_changes_that_change_nothing() {
    let renamed = BASE.replace("国庆节", "National Day");
    let with_sunday = "2025:\n  holidays:\n    - { name: 国庆节, from: 2025-10-01, to: 2025-10-03 }\n    - { name: 周日, from: 2025-10-05, to: 2025-10-05 }\n  working_days: [2025-09-28]\n";
    let fingerprint = |yaml: &str| {
        WorkingCalendar::from_sources(CalendarSource::new("x.yaml", yaml), &[])
            .unwrap()
            .fingerprint()
    };
    assert_eq!(fingerprint(BASE), fingerprint(&renamed));
    assert_eq!(fingerprint(BASE), fingerprint(with_sunday));
    assert_ne!(
        fingerprint(BASE),
        fingerprint(&BASE.replace("10-03", "10-02"))
    );
    assert_ne!(
        mainland().fingerprint(),
        WorkingCalendar::for_division("650100").fingerprint()
    );
}

#[test]
fn absurd_inputs_saturate_instead_of_panicking() {
    let cal = mainland();
    assert_eq!(cal.add_working_days(NaiveDate::MAX, 3), NaiveDate::MAX);
    assert_eq!(
        cal.add_working_days(date("2025-01-01"), u32::MAX),
        NaiveDate::MAX
    );
    let d = deadline(cal, date("2025-01-01"), u32::MAX, u32::MAX, &[]);
    assert_eq!(d.due_on, Some(NaiveDate::MAX));
    assert!(cal.working_days_between(NaiveDate::MIN, NaiveDate::MAX) > 0);
}

fn calendars() -> impl Strategy<Value = WorkingCalendar> {
    prop_oneof![
        Just(mainland().clone()),
        Just(WorkingCalendar::for_division("650100")),
        Just(WorkingCalendar::for_division("540102")),
    ]
}

/// Dates from 2024 (before the data) to 2028 (after it).
fn dates() -> impl Strategy<Value = NaiveDate> {
    (0u64..1900).prop_map(|offset| date("2024-01-01") + Days::new(offset))
}

fn naive_between(cal: &WorkingCalendar, a: NaiveDate, b: NaiveDate) -> u32 {
    a.iter_days()
        .skip(1)
        .take_while(|d| *d <= b)
        .filter(|d| cal.is_working_day(*d))
        .count() as u32
}

fn pauses() -> impl Strategy<Value = Vec<Pause>> {
    prop::collection::vec(
        (dates(), 0u64..40).prop_map(|(from, len)| Pause::closed(from, from + Days::new(len))),
        0..4,
    )
}

/// Day by day, as a clerk would count.
fn naive_deadline(
    cal: &WorkingCalendar,
    accepted_on: NaiveDate,
    allowed: u32,
    pauses: &[Pause],
) -> Option<NaiveDate> {
    if allowed == 0 {
        return Some(accepted_on);
    }
    let mut counted = 0;
    for day in accepted_on.iter_days().skip(1).take(5000) {
        let paused = pauses
            .iter()
            .any(|p| day > p.from && p.until.is_none_or(|until| day <= until));
        if !paused && cal.is_working_day(day) {
            counted += 1;
            if counted == allowed {
                return Some(day);
            }
        }
    }
    None
}

/// Later is larger; a frozen clock is later than every date.
fn lateness(d: &Deadline) -> NaiveDate {
    d.due_on.unwrap_or(NaiveDate::MAX)
}

proptest! {
    #[test]
    fn adding_working_days_lands_on_a_working_day(cal in calendars(), from in dates(), n in 1u32..700) {
        let to = cal.add_working_days(from, n);
        prop_assert!(cal.is_working_day(to));
        prop_assert_eq!(cal.working_days_between(from, to), n);
        prop_assert_eq!(naive_between(&cal, from, to), n);
    }

    #[test]
    fn counting_matches_day_by_day(cal in calendars(), a in dates(), b in dates()) {
        prop_assert_eq!(cal.working_days_between(a, b), naive_between(&cal, a, b));
    }

    #[test]
    fn deadlines_match_day_by_day_counting(
        cal in calendars(),
        accepted in dates(),
        limit in 0u32..60,
        extension in 0u32..30,
        pauses in pauses(),
        open in prop::option::of(dates()),
    ) {
        let mut all = pauses.clone();
        all.extend(open.map(Pause::open));
        let computed = deadline(&cal, accepted, limit, extension, &all);
        let expected = naive_deadline(&cal, accepted, limit + extension, &all);
        prop_assert_eq!(computed.due_on, expected);
        prop_assert_eq!(computed.paused_since.is_some(), open.is_some());
        if computed.due_on.is_none() {
            prop_assert!(computed.days_left_at_pause > 0);
        }
    }

    #[test]
    fn pauses_and_extensions_never_move_a_deadline_earlier(
        cal in calendars(),
        accepted in dates(),
        limit in 0u32..60,
        extension in 0u32..30,
        pauses in pauses(),
        extra in (dates(), prop::option::of(0u64..40)),
    ) {
        let before = deadline(&cal, accepted, limit, 0, &pauses);
        let extended = deadline(&cal, accepted, limit, extension, &pauses);
        prop_assert!(lateness(&extended) >= lateness(&before));
        let (from, len) = extra;
        let mut more = pauses.clone();
        more.push(Pause { from, until: len.map(|len| from + Days::new(len)) });
        let paused = deadline(&cal, accepted, limit, 0, &more);
        prop_assert!(lateness(&paused) >= lateness(&before));
    }

    #[test]
    fn remaining_days_fall_as_days_pass(cal in calendars(), today in dates(), due in dates()) {
        let now = remaining_working_days(&cal, today, due);
        let tomorrow = remaining_working_days(&cal, today + Days::new(1), due);
        prop_assert!(tomorrow <= now);
        prop_assert_eq!(now.signum(), (due - today).num_days().signum());
    }

    #[test]
    fn the_fingerprint_changes_iff_a_day_changes(
        left in prop::collection::btree_map(0u64..21, any::<bool>(), 0..8),
        right in prop::collection::btree_map(0u64..21, any::<bool>(), 0..8),
    ) {
        let start = date("2030-03-01");
        let build = |days: &BTreeMap<u64, bool>| {
            let mut holidays = Vec::new();
            let mut working = Vec::new();
            for (offset, worked) in days {
                let day = start + Days::new(*offset);
                if *worked {
                    working.push(day.to_string());
                } else {
                    holidays.push(format!("{{ name: h, from: {day}, to: {day} }}"));
                }
            }
            let yaml = format!(
                "2030:\n  holidays: [{}]\n  working_days: [{}]\n",
                holidays.join(", "),
                working.join(", ")
            );
            WorkingCalendar::from_sources(CalendarSource::new("p.yaml", &yaml), &[]).unwrap()
        };
        let (a, b) = (build(&left), build(&right));
        let same_days = start
            .iter_days()
            .take(21)
            .all(|d| a.is_working_day(d) == b.is_working_day(d));
        prop_assert_eq!(a.fingerprint() == b.fingerprint(), same_days);
    }
}

#[test]
fn office_hours_read_as_written_in_configuration() {
    let hours: OfficeHours = serde_json::from_str(r#"{ "closes_at": "17:30:00" }"#).unwrap();
    assert_eq!(hours.closes_at, NaiveTime::from_hms_opt(17, 30, 0).unwrap());
    let short: Result<OfficeHours, _> = serde_json::from_str(r#"{ "closes_at": "17:30" }"#);
    assert_eq!(short.ok().map(|h| h.closes_at), Some(hours.closes_at));
}
