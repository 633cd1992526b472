//! Working-day calendar: weekends, holidays, the Civil Code deadline rules, clock-time
//! and recurring deadlines, and the local UTC offset. Every expectation is an exact
//! RFC 3339 string at the calendar's offset.

use directrix_core::{
    Diagnostic, Instance, LoadOptions, Timestamp, check, check_with, diagnostic::check_calendar,
    load, load_with, time::Calendar, time::UtcOffset,
};
use std::sync::Arc;

fn hanoi() -> UtcOffset {
    UtcOffset::from_hms(7, 0, 0).unwrap()
}

/// Vietnam's 2021 holidays, as in the seed workflow.
fn vietnam_2021() -> Calendar {
    [
        "2021-01-01",
        "2021-02-10",
        "2021-02-11",
        "2021-02-12",
        "2021-02-13",
        "2021-02-14",
        "2021-02-15",
        "2021-02-16",
        "2021-04-21",
        "2021-04-30",
        "2021-05-01",
        "2021-05-03",
        "2021-09-02",
        "2021-09-03",
    ]
    .iter()
    .fold(Calendar::new(hanoi()), |c, d| c.with_holiday(d).unwrap())
}

fn at(local: &str) -> Timestamp {
    Timestamp::parse(local, hanoi()).unwrap()
}

fn rfc(t: Option<Timestamp>) -> String {
    t.expect("a deadline").to_rfc3339(hanoi())
}

/// The first due time of a one-task workflow with `due` started at `start` (local).
fn first_due(due: &str, start: &str) -> String {
    let source = format!(
        r#"(
    format: 1,
    directive: (number: "1/T", kind: "Test", issuer: "boss", issued_at: "{start}", subject: "s"),
    calendar: (
        utc_offset: "+07:00",
        holidays: ["2021-02-10", "2021-02-11", "2021-02-12", "2021-02-13", "2021-02-14",
                   "2021-02-15", "2021-02-16", "2021-04-30", "2021-05-01", "2021-05-03"],
    ),
    agencies: [(id: "boss", name: "Boss"), (id: "unit", name: "Unit", parent: "boss")],
    tasks: [(id: "t", title: "T", lead: ["unit"], due: {due})],
)"#
    );
    let workflow = Arc::new(load(&source).expect("workflow loads").workflow);
    let start = at(start);
    let (instance, _) = Instance::start(workflow.clone(), start).unwrap();
    let id = workflow.task_ref("t").unwrap();
    workflow.format_time(instance.task_state(id).unwrap().due.expect("a due time"))
}

// ---------------------------------------------------------------- working days

#[test]
fn working_days_skip_the_weekend() {
    let c = vietnam_2021();
    // Fri 07/05 + 1: Sat and Sun skipped.
    assert_eq!(
        rfc(c.add_working_days(at("2021-05-07 08:00"), 1)),
        "2021-05-10T17:00:00+07:00"
    );
    // Fri 07/05 + 2: Tue 11/05.
    assert_eq!(
        rfc(c.add_working_days(at("2021-05-07 08:00"), 2)),
        "2021-05-11T17:00:00+07:00"
    );
    // Started on a Saturday: the start day is not counted, Monday is day one.
    assert_eq!(
        rfc(c.add_working_days(at("2021-05-08 10:00"), 1)),
        "2021-05-10T17:00:00+07:00"
    );
    // Five working days from a Monday end the next Monday.
    assert_eq!(
        rfc(c.add_working_days(at("2021-05-10 08:00"), 5)),
        "2021-05-17T17:00:00+07:00"
    );
}

#[test]
fn the_start_day_is_not_counted_even_late_in_the_day() {
    let c = vietnam_2021();
    assert_eq!(
        rfc(c.add_working_days(at("2021-05-11 23:59"), 1)),
        "2021-05-12T17:00:00+07:00"
    );
    assert_eq!(
        rfc(c.add_working_days(at("2021-05-11 00:00"), 1)),
        "2021-05-12T17:00:00+07:00"
    );
}

#[test]
fn zero_working_days_is_within_the_day_or_the_next_working_day() {
    let c = vietnam_2021();
    assert_eq!(
        rfc(c.add_working_days(at("2021-05-11 09:00"), 0)),
        "2021-05-11T17:00:00+07:00"
    );
    // Saturday: the next working day (Mon 03/05 is a holiday too).
    assert_eq!(
        rfc(c.add_working_days(at("2021-05-01 09:00"), 0)),
        "2021-05-04T17:00:00+07:00"
    );
}

#[test]
fn a_holiday_in_the_middle_is_skipped() {
    let c = vietnam_2021();
    // Tue 20/04 + 2: Wed 21/04 is the Hùng Kings' day, so Thu 22 and Fri 23.
    assert_eq!(
        rfc(c.add_working_days(at("2021-04-20 08:00"), 2)),
        "2021-04-23T17:00:00+07:00"
    );
    // Thu 29/04 + 1: Fri 30/04, Sat 01/05, Sun, Mon 03/05 (compensation) are all off.
    assert_eq!(
        rfc(c.add_working_days(at("2021-04-29 08:00"), 1)),
        "2021-05-04T17:00:00+07:00"
    );
    // Friday + 1 with the Monday a holiday (the Calendar docs' example).
    let c = Calendar::new(hanoi()).with_holiday("2021-05-10").unwrap();
    assert_eq!(
        rfc(c.add_working_days(at("2021-05-07 08:00"), 1)),
        "2021-05-11T17:00:00+07:00"
    );
}

#[test]
fn tet_week_is_skipped_whole() {
    let c = vietnam_2021();
    // Tue 09/02 + 1: 10-16/02 is Tết, so Wed 17/02.
    assert_eq!(
        rfc(c.add_working_days(at("2021-02-09 08:00"), 1)),
        "2021-02-17T17:00:00+07:00"
    );
    // Fri 05/02 + 3: Mon 08, Tue 09, then Wed 17/02.
    assert_eq!(
        rfc(c.add_working_days(at("2021-02-05 08:00"), 3)),
        "2021-02-17T17:00:00+07:00"
    );
    // Started during Tết (Thu 11/02): the first working day after it is day one.
    assert_eq!(
        rfc(c.add_working_days(at("2021-02-11 08:00"), 1)),
        "2021-02-17T17:00:00+07:00"
    );
    // Calendar days across Tết: Tue 09/02 + 3 days = Fri 12/02, off until Wed 17/02.
    assert_eq!(
        rfc(c.add_days(at("2021-02-09 08:00"), 3)),
        "2021-02-17T17:00:00+07:00"
    );
    for day in 10..=16 {
        let date = time::Date::from_calendar_date(2021, time::Month::February, day).unwrap();
        assert!(!c.is_working_day(date), "{date} is Tết");
    }
    assert!(c.is_working_day(time::macros::date!(2021 - 02 - 17)));
}

// ---------------------------------------------------------------- calendar days

#[test]
fn calendar_days_count_every_day_but_end_on_a_working_day() {
    let c = vietnam_2021();
    // Fri 07/05 + 3 days: Mon 10/05, a working day.
    assert_eq!(
        rfc(c.add_days(at("2021-05-07 08:00"), 3)),
        "2021-05-10T17:00:00+07:00"
    );
    // Mon 10/05 + 3 days: Thu 13/05, weekend days in between do count.
    assert_eq!(
        rfc(c.add_days(at("2021-05-10 08:00"), 3)),
        "2021-05-13T17:00:00+07:00"
    );
    // Thu 06/05 + 2 days lands on Saturday: moves to Monday.
    assert_eq!(
        rfc(c.add_days(at("2021-05-06 08:00"), 2)),
        "2021-05-10T17:00:00+07:00"
    );
}

#[test]
fn a_deadline_on_a_holiday_moves_to_the_next_working_day() {
    let c = vietnam_2021();
    // Thu 29/04 + 1 day = Fri 30/04 (Reunification Day); Sat, Sun, Mon 03/05 are off too.
    assert_eq!(
        rfc(c.add_days(at("2021-04-29 08:00"), 1)),
        "2021-05-04T17:00:00+07:00"
    );
    // Tue 20/04 + 1 day = Wed 21/04 (Hùng Kings): Thu 22/04.
    assert_eq!(
        rfc(c.add_days(at("2021-04-20 08:00"), 1)),
        "2021-04-22T17:00:00+07:00"
    );
    // 0 days on a holiday: the next working day.
    assert_eq!(
        rfc(c.add_days(at("2021-09-02 08:00"), 0)),
        "2021-09-06T17:00:00+07:00"
    );
}

// ---------------------------------------------------------------- clock times

#[test]
fn clock_time_today_and_tomorrow() {
    let c = vietnam_2021();
    let fifteen = time::macros::time!(15:00);
    // "Before 15:00 today".
    assert_eq!(
        rfc(c.clock_time(at("2021-05-07 08:00"), 0, fifteen)),
        "2021-05-07T15:00:00+07:00"
    );
    // Started after 15:00, "today" is still today: already past.
    assert_eq!(
        rfc(c.clock_time(at("2021-05-07 16:00"), 0, fifteen)),
        "2021-05-07T15:00:00+07:00"
    );
    // `days: 1` is the next calendar day at that clock time, weekend or not.
    assert_eq!(
        rfc(c.clock_time(at("2021-05-07 08:00"), 1, fifteen)),
        "2021-05-08T15:00:00+07:00"
    );
}

// ---------------------------------------------------------------- through workflows

#[test]
fn workflow_dues_follow_the_calendar() {
    assert_eq!(
        first_due("WorkingDays(2)", "2021-05-07 08:00"),
        "2021-05-11T17:00:00+07:00"
    );
    assert_eq!(
        first_due("WorkingDays(1)", "2021-02-09 08:00"),
        "2021-02-17T17:00:00+07:00"
    );
    assert_eq!(
        first_due("Days(1)", "2021-04-29 08:00"),
        "2021-05-04T17:00:00+07:00"
    );
    assert_eq!(
        first_due("Days(3)", "2021-05-07 08:00"),
        "2021-05-10T17:00:00+07:00"
    );
    assert_eq!(
        first_due(r#"ClockTime(at: "15:00")"#, "2021-05-07 08:00"),
        "2021-05-07T15:00:00+07:00"
    );
    assert_eq!(
        first_due(r#"ClockTime(at: "15:00", days: 1)"#, "2021-05-07 08:00"),
        "2021-05-08T15:00:00+07:00"
    );
    assert_eq!(
        first_due(r#"After("48h")"#, "2021-05-07 08:00"),
        "2021-05-09T08:00:00+07:00"
    );
    assert_eq!(
        first_due(r#"At("2021-05-20 17:00")"#, "2021-05-07 08:00"),
        "2021-05-20T17:00:00+07:00"
    );
}

#[test]
fn recurring_first_occurrence_at_the_clock_time() {
    let every = r#"Every(every: "1d", at: "16:00", until: "2021-05-21 16:00")"#;
    // Started before 16:00: today at 16:00.
    assert_eq!(
        first_due(every, "2021-05-07 08:00"),
        "2021-05-07T16:00:00+07:00"
    );
    // Started after 16:00: tomorrow at 16:00.
    assert_eq!(
        first_due(every, "2021-05-07 16:30"),
        "2021-05-08T16:00:00+07:00"
    );
    // Started at 16:00 exactly: that very instant.
    assert_eq!(
        first_due(every, "2021-05-07 16:00"),
        "2021-05-07T16:00:00+07:00"
    );
    // Without `at`: one interval after the start.
    assert_eq!(
        first_due(
            r#"Every(every: "12h", until: "2021-05-21 16:00")"#,
            "2021-05-07 08:30"
        ),
        "2021-05-07T20:30:00+07:00"
    );
}

#[test]
fn recurring_report_moves_the_due_to_the_next_occurrence() {
    let source = r#"(
    format: 1,
    directive: (number: "1/T", kind: "Test", issuer: "boss", issued_at: "2021-05-07 08:00", subject: "s"),
    calendar: (utc_offset: "+07:00"),
    agencies: [(id: "boss", name: "Boss"), (id: "unit", name: "Unit", parent: "boss")],
    tasks: [(id: "t", title: "T", lead: ["unit"], due: Every(every: "1d", at: "16:00", until: "2021-05-09 16:00"))],
)"#;
    let workflow = Arc::new(load(source).unwrap().workflow);
    let (mut instance, _) = Instance::start(workflow.clone(), at("2021-05-07 08:00")).unwrap();
    let t = workflow.task_ref("t").unwrap();
    let due = |i: &Instance| workflow.format_time(i.task_state(t).unwrap().due.unwrap());
    assert_eq!(due(&instance), "2021-05-07T16:00:00+07:00");
    instance
        .act_by_name(at("2021-05-07 15:00"), "unit", "t", "report", None)
        .unwrap();
    // Saturday counts: a recurring report is every day.
    assert_eq!(due(&instance), "2021-05-08T16:00:00+07:00");
    instance
        .act_by_name(at("2021-05-08 15:00"), "unit", "t", "report", None)
        .unwrap();
    assert_eq!(due(&instance), "2021-05-09T16:00:00+07:00");
    instance
        .act_by_name(at("2021-05-09 15:00"), "unit", "t", "report", None)
        .unwrap();
    // Past `until`: no further occurrence.
    assert_eq!(instance.task_state(t).unwrap().due, None);
}

// ---------------------------------------------------------------- the UTC offset

#[test]
fn local_days_are_days_at_the_calendar_offset() {
    let c = vietnam_2021();
    // 20:00 UTC on Thursday 06/05 is 03:00 on Friday 07/05 in Hà Nội: the start day is
    // Friday, so one working day is Monday.
    let late_thursday_utc = Timestamp::parse("2021-05-06T20:00:00Z", hanoi()).unwrap();
    assert_eq!(
        rfc(c.add_working_days(late_thursday_utc, 1)),
        "2021-05-10T17:00:00+07:00"
    );
    // The same instant in a UTC calendar is still Thursday: Friday 17:00 UTC.
    let utc = Calendar::new(UtcOffset::UTC);
    assert_eq!(
        utc.add_working_days(late_thursday_utc, 1)
            .unwrap()
            .to_rfc3339(UtcOffset::UTC),
        "2021-05-07T17:00:00Z"
    );
    // 17:00 in Hà Nội is 10:00 UTC.
    let due = c.add_working_days(at("2021-05-07 08:00"), 1).unwrap();
    assert_eq!(due.to_rfc3339(UtcOffset::UTC), "2021-05-10T10:00:00Z");
    assert_eq!(due.as_seconds(), 1_620_640_800);
}

#[test]
fn local_and_rfc3339_inputs_agree() {
    let local = Timestamp::parse("2021-05-07 08:00", hanoi()).unwrap();
    let explicit = Timestamp::parse("2021-05-07T08:00:00+07:00", UtcOffset::UTC).unwrap();
    let utc = Timestamp::parse("2021-05-07T01:00:00Z", hanoi()).unwrap();
    assert_eq!(local, explicit);
    assert_eq!(local, utc);
    assert_eq!(local.to_rfc3339(hanoi()), "2021-05-07T08:00:00+07:00");
    assert_eq!(local.to_rfc3339(UtcOffset::UTC), "2021-05-07T01:00:00Z");
    // A clock time is read at the calendar's offset, not in UTC.
    let c = vietnam_2021();
    assert_eq!(
        c.clock_time(utc, 0, time::macros::time!(16:00))
            .unwrap()
            .to_rfc3339(UtcOffset::UTC),
        "2021-05-07T09:00:00Z"
    );
}

#[test]
fn a_custom_weekend_and_day_end_through_a_workflow() {
    let source = r#"(
    format: 1,
    directive: (number: "1/T", kind: "Test", issuer: "boss", issued_at: "2021-05-07 08:00", subject: "s"),
    calendar: (utc_offset: "+07:00", weekend: [Fri, Sat], day_end: "16:30"),
    agencies: [(id: "boss", name: "Boss"), (id: "unit", name: "Unit", parent: "boss")],
    tasks: [(id: "t", title: "T", lead: ["unit"], due: WorkingDays(1))],
)"#;
    let workflow = Arc::new(load(source).unwrap().workflow);
    // Thu 06/05 + 1 working day with a Friday-Saturday weekend: Sunday 09/05 at 16:30.
    let (instance, _) = Instance::start(workflow.clone(), at("2021-05-06 08:00")).unwrap();
    let due = instance
        .task_state(workflow.task_ref("t").unwrap())
        .unwrap()
        .due;
    assert_eq!(
        workflow.format_time(due.unwrap()),
        "2021-05-09T16:30:00+07:00"
    );
}

// ---------------------------------------------------------------- shared calendars

const VN_HOLIDAYS: &str = include_str!("../../workflows/calendars/vn-public-holidays.ron");

/// A one-task workflow whose calendar block is `calendar` and whose task is due `due`.
fn workflow_with(calendar: &str, due: &str, start: &str) -> String {
    format!(
        r#"(
    format: 1,
    directive: (number: "1/T", kind: "Test", issuer: "boss", issued_at: "{start}", subject: "s"),
    calendar: {calendar},
    agencies: [(id: "boss", name: "Boss"), (id: "unit", name: "Unit", parent: "boss")],
    tasks: [(id: "t", title: "T", lead: ["unit"], start: At("{start}"), due: {due})],
)"#
    )
}

fn with_vn() -> LoadOptions {
    LoadOptions::default().with_calendar("vn-public-holidays", VN_HOLIDAYS)
}

/// The due times of task `t` as successive reports hand in each period, from `start`.
fn periodic_dues(source: &str, options: &LoadOptions, start: &str, n: usize) -> Vec<String> {
    let workflow = Arc::new(load_with(source, options).expect("workflow loads").workflow);
    let t = workflow.task_ref("t").unwrap();
    let (mut instance, _) = Instance::start(workflow.clone(), at(start)).unwrap();
    let mut dues = Vec::new();
    while dues.len() < n {
        let Some(due) = instance.task_state(t).unwrap().due else {
            break;
        };
        dues.push(workflow.format_time(due));
        // Report an hour before the deadline.
        let report = Timestamp::from_seconds(due.as_seconds() - 3600);
        instance.advance(report).unwrap();
        instance
            .act_by_name(report, "unit", "t", "report", None)
            .unwrap();
    }
    dues
}

#[test]
fn the_shared_calendar_is_valid_and_covers_2020_to_2027() {
    assert_eq!(check_calendar(VN_HOLIDAYS), vec![]);
    let spec: directrix_core::spec::CalendarFileSpec = ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str(VN_HOLIDAYS)
        .unwrap();
    let years: Vec<i32> = spec.years.iter().map(|y| y.year).collect();
    assert_eq!(years, (2020..=2027).collect::<Vec<_>>());
}

#[test]
fn a_named_calendar_merges_with_the_inline_holidays() {
    // Wednesday 17/04/2024 + 2 working days: Thursday 18/04 is the Hùng Kings' day (shared
    // calendar), Friday 19/04 an inline holiday, so Monday 22/04 and Tuesday 23/04.
    let calendar =
        r#"(use: ["vn-public-holidays"], utc_offset: "+07:00", holidays: ["2024-04-19"])"#;
    let source = workflow_with(calendar, "WorkingDays(2)", "2024-04-17 08:00");
    let workflow = load_with(&source, &with_vn()).unwrap().workflow;
    assert_eq!(
        workflow.format_time(workflow.plan()[0].due.unwrap()),
        "2024-04-23T17:00:00+07:00"
    );
    // Without the shared calendar, Thursday counts.
    let alone = workflow_with(
        r#"(utc_offset: "+07:00", holidays: ["2024-04-19"])"#,
        "WorkingDays(2)",
        "2024-04-17 08:00",
    );
    let workflow = load(&alone).unwrap().workflow;
    assert_eq!(
        workflow.format_time(workflow.plan()[0].due.unwrap()),
        "2024-04-22T17:00:00+07:00"
    );
}

#[test]
fn a_decreed_working_saturday_counts() {
    // 2024: Monday 29/04 off, Saturday 04/05 worked. From Friday 03/05, one working day
    // is Saturday 04/05 (with the shared calendar), else Monday 06/05.
    let calendar = r#"(use: ["vn-public-holidays"], utc_offset: "+07:00")"#;
    let source = workflow_with(calendar, "WorkingDays(1)", "2024-05-03 08:00");
    let workflow = load_with(&source, &with_vn()).unwrap().workflow;
    assert_eq!(
        workflow.format_time(workflow.plan()[0].due.unwrap()),
        "2024-05-04T17:00:00+07:00"
    );
    // And inline, in the workflow's own calendar.
    let inline = workflow_with(
        r#"(utc_offset: "+07:00", extra_working_days: ["2024-05-04"])"#,
        "WorkingDays(1)",
        "2024-05-03 08:00",
    );
    let workflow = load(&inline).unwrap().workflow;
    assert_eq!(
        workflow.format_time(workflow.plan()[0].due.unwrap()),
        "2024-05-04T17:00:00+07:00"
    );
    // A date both off and worked stays off.
    let both = Calendar::new(hanoi())
        .with_holiday("2024-05-04")
        .unwrap()
        .with_working_day("2024-05-04")
        .unwrap();
    assert!(!both.is_working_day(time::macros::date!(2024 - 05 - 04)));
}

fn codes(diagnostics: &[Diagnostic]) -> Vec<&'static str> {
    diagnostics.iter().map(|d| d.code.as_str()).collect()
}

#[test]
fn an_unknown_calendar_suggests_the_supplied_names() {
    let source = workflow_with(
        r#"(use: ["vn-public-holiday"], utc_offset: "+07:00")"#,
        "WorkingDays(1)",
        "2024-05-03 08:00",
    );
    let diagnostics = check_with(&source, &with_vn());
    assert_eq!(codes(&diagnostics), ["unknown-calendar"]);
    let d = &diagnostics[0];
    assert_eq!(d.message, "the calendar `vn-public-holiday` is unknown");
    let hint = d.hint.as_deref().unwrap();
    assert!(
        hint.starts_with("did you mean `vn-public-holidays`?"),
        "{hint}"
    );
    assert!(hint.contains("calendars/NAME.ron"), "{hint}");
    // Located at the name in the workflow, not in any calendar.
    assert_eq!(d.origin, None);
    assert_eq!(&source[d.span.clone().unwrap()], "\"vn-public-holiday\"");

    // Nothing supplied: the hint says how calendars are found.
    let diagnostics = check(&source);
    let hint = diagnostics[0].hint.as_deref().unwrap();
    assert!(hint.starts_with("no calendars were supplied"), "{hint}");
    // A name far from every supplied one lists them.
    let options = with_vn().with_calendar("thai-binh", "(format: 1, years: [])");
    let far = source.replace("vn-public-holiday\"", "lao\"");
    let hint = check_with(&far, &options)[0].hint.clone().unwrap();
    assert!(
        hint.starts_with("the calendars supplied are `thai-binh`, `vn-public-holidays`"),
        "{hint}"
    );
}

#[test]
fn problems_inside_a_calendar_are_located_in_its_own_text() {
    let broken = "(\n    format: 1,\n    years: [\n        (year: 2024, holidays: [\"2024-01-01\" \"2024-02-08\"]),\n    ],\n)\n";
    let options = LoadOptions::default().with_calendar("vn", broken);
    let source = workflow_with(
        r#"(use: ["vn"], utc_offset: "+07:00")"#,
        "WorkingDays(1)",
        "2024-05-03 08:00",
    );
    let diagnostics = check_with(&source, &options);
    assert_eq!(codes(&diagnostics), ["syntax"]);
    let d = &diagnostics[0];
    assert_eq!(d.origin.as_deref(), Some("vn"));
    assert_eq!(d.location.unwrap().to_string(), "4:46");
    assert!(
        d.to_string()
            .starts_with("calendar `vn` 4:46: error[syntax]"),
        "{d}"
    );
    // The error of the load says so too.
    let error = load_with(&source, &options).unwrap_err();
    assert!(
        error.to_string().starts_with("calendar `vn` 4:46"),
        "{error}"
    );
}

#[test]
fn calendar_dates_must_be_valid_and_in_their_year() {
    let text = r#"(format: 1, years: [
    (year: 2024, holidays: ["2024-01-01", "2025-01-01"]),
    (year: 2025, holidays: ["2025-02-30"], extra_working_days: ["2025-04-26"]),
    (year: 2024),
])"#;
    let diagnostics = check_calendar(text);
    assert_eq!(
        codes(&diagnostics),
        ["date-outside-year", "invalid-date", "duplicate-id"]
    );
    let spans: Vec<&str> = diagnostics
        .iter()
        .map(|d| &text[d.span.clone().unwrap()])
        .collect();
    assert_eq!(spans, ["\"2025-01-01\"", "\"2025-02-30\"", "year"]);
    assert_eq!(diagnostics[0].location.unwrap().to_string(), "2:43");
    assert_eq!(
        diagnostics[0].hint.as_deref(),
        Some("move it to the entry for 2025")
    );
    // Through a workflow: the same diagnostics, with the calendar as origin, after the
    // workflow's own.
    let source = workflow_with(
        r#"(use: ["bad"], utc_offset: "+07:00", holidays: ["2024-13-01"])"#,
        "WorkingDays(1)",
        "2024-05-03 08:00",
    );
    let diagnostics = check_with(&source, &LoadOptions::default().with_calendar("bad", text));
    assert_eq!(
        codes(&diagnostics),
        [
            "invalid-date",
            "date-outside-year",
            "invalid-date",
            "duplicate-id"
        ]
    );
    let origins: Vec<Option<&str>> = diagnostics.iter().map(|d| d.origin.as_deref()).collect();
    assert_eq!(origins, [None, Some("bad"), Some("bad"), Some("bad")]);
    // An unsupported format version is reported in the calendar too.
    assert_eq!(
        codes(&check_calendar("(format: 2, years: [])")),
        ["unsupported-format"]
    );
}

// ---------------------------------------------------------------- periodic reports

#[test]
fn monthly_deadlines_skip_tet() {
    // 2021: the February cut-off is Sunday 14/02 (Tết); 15 and 16/02 are still Tết, so
    // two working days end on Thursday 18/02. March: cut-off Sunday 14/03, due Tuesday
    // 16/03. April: Wednesday 14/04 -> Friday 16/04. May: Friday 14/05 -> Tuesday 18/05.
    let calendar = r#"(use: ["vn-public-holidays"], utc_offset: "+07:00")"#;
    let due = r#"Periodic(period: Monthly, cutoff_day: 14, submit_within: WorkingDays(2), until: "2021-05-31")"#;
    let source = workflow_with(calendar, due, "2021-01-01 08:00");
    assert_eq!(
        periodic_dues(&source, &with_vn(), "2021-01-01 08:00", 10),
        [
            "2021-01-18T17:00:00+07:00",
            "2021-02-18T17:00:00+07:00",
            "2021-03-16T17:00:00+07:00",
            "2021-04-16T17:00:00+07:00",
            "2021-05-18T17:00:00+07:00",
        ]
    );
    // Without the holidays February would be due on Tuesday 16/02.
    let plain = workflow_with(r#"(utc_offset: "+07:00")"#, due, "2021-02-01 08:00");
    assert_eq!(
        periodic_dues(&plain, &LoadOptions::default(), "2021-02-01 08:00", 1),
        ["2021-02-16T17:00:00+07:00"]
    );
}

#[test]
fn quarterly_half_yearly_and_yearly_cutoffs_are_aligned_to_the_year() {
    let calendar = r#"(use: ["vn-public-holidays"], utc_offset: "+07:00")"#;
    let dues = |period: &str, within: &str, until: &str| {
        let due = format!(
            r#"Periodic(period: {period}, cutoff_day: 14, submit_within: {within}, until: "{until}")"#
        );
        let source = workflow_with(calendar, &due, "2024-01-01 08:00");
        periodic_dues(&source, &with_vn(), "2024-01-01 08:00", 10)
    };
    // 2024 quarters: 14/03 (Thu) + 5 working days = 21/03; 14/06 (Fri) = 21/06;
    // 14/09 (Sat) = 20/09; 14/12 (Sat) = 20/12.
    assert_eq!(
        dues("Quarterly", "WorkingDays(5)", "2024-12-31"),
        [
            "2024-03-21T17:00:00+07:00",
            "2024-06-21T17:00:00+07:00",
            "2024-09-20T17:00:00+07:00",
            "2024-12-20T17:00:00+07:00",
        ]
    );
    assert_eq!(
        dues("HalfYearly", "WorkingDays(5)", "2024-12-31"),
        ["2024-06-21T17:00:00+07:00", "2024-12-20T17:00:00+07:00"]
    );
    // Calendar days: 14/12/2024 + 3 days is Tuesday 17/12; `until` stops the series.
    assert_eq!(
        dues("Yearly", "Days(3)", "2025-12-13"),
        ["2024-12-17T17:00:00+07:00"]
    );
}

#[test]
fn the_first_period_is_the_first_cutoff_on_or_after_the_start_day() {
    let calendar = r#"(utc_offset: "+07:00")"#;
    let due = r#"Periodic(period: Monthly, cutoff_day: 14, submit_within: WorkingDays(2), until: "2024-12-31")"#;
    // A cut-off on the start day counts (late in the day too): Friday 14/06 -> 18/06.
    assert_eq!(
        first_due(due, "2024-06-14 16:00"),
        "2024-06-18T17:00:00+07:00"
    );
    // The day after: the July period, Sunday 14/07 -> Tuesday 16/07.
    let source = workflow_with(calendar, due, "2024-06-15 08:00");
    let workflow = load(&source).unwrap().workflow;
    assert_eq!(
        workflow.format_time(workflow.plan()[0].start),
        "2024-06-15T08:00:00+07:00"
    );
    assert_eq!(
        periodic_dues(&source, &LoadOptions::default(), "2024-06-15 08:00", 1),
        ["2024-07-16T17:00:00+07:00"]
    );
    // A cut-off day beyond the month's length is its last day: Thursday 29/02/2024 -> Monday 04/03.
    assert_eq!(
        first_due(
            r#"Periodic(period: Monthly, cutoff_day: 31, submit_within: WorkingDays(2), until: "2024-12-31")"#,
            "2024-02-01 08:00"
        ),
        "2024-03-04T17:00:00+07:00"
    );
    // The planned (last) due time is the last cut-off within `until`: 14/12/2024 -> 17/12.
    assert_eq!(
        workflow.format_time(workflow.plan()[0].due.unwrap()),
        "2024-12-17T17:00:00+07:00"
    );
}

#[test]
fn a_late_periodic_report_covers_the_periods_it_missed() {
    let due = r#"Periodic(period: Monthly, cutoff_day: 14, submit_within: WorkingDays(2), until: "2024-12-31")"#;
    let source = workflow_with(r#"(utc_offset: "+07:00")"#, due, "2024-01-02 08:00");
    let workflow = Arc::new(load(&source).unwrap().workflow);
    let t = workflow.task_ref("t").unwrap();
    let (mut instance, _) = Instance::start(workflow.clone(), at("2024-01-02 08:00")).unwrap();
    assert_eq!(
        workflow.format_time(instance.task_state(t).unwrap().due.unwrap()),
        "2024-01-16T17:00:00+07:00"
    );
    // Reported on 20/03, after the March deadline (Monday 18/03): next is April's, 16/04.
    instance.advance(at("2024-03-20 09:00")).unwrap();
    instance
        .act_by_name(at("2024-03-20 09:00"), "unit", "t", "report", None)
        .unwrap();
    assert_eq!(
        workflow.format_time(instance.task_state(t).unwrap().due.unwrap()),
        "2024-04-16T17:00:00+07:00"
    );
    // Past the last period: no further due time.
    instance.advance(at("2024-12-18 09:00")).unwrap();
    instance
        .act_by_name(at("2024-12-18 09:00"), "unit", "t", "report", None)
        .unwrap();
    assert_eq!(instance.task_state(t).unwrap().due, None);
}

#[test]
fn a_cutoff_day_outside_the_month_is_rejected() {
    for (day, expected) in [
        ("0", vec!["invalid-date"]),
        ("32", vec!["invalid-date"]),
        ("31", vec![]),
    ] {
        let due = format!(
            r#"Periodic(period: Monthly, cutoff_day: {day}, submit_within: WorkingDays(2), until: "2024-12-31")"#
        );
        let source = workflow_with(r#"(utc_offset: "+07:00")"#, &due, "2024-01-02 08:00");
        assert_eq!(codes(&check(&source)), expected, "cutoff_day {day}");
    }
    let bad_until = workflow_with(
        r#"(utc_offset: "+07:00")"#,
        r#"Periodic(period: Monthly, cutoff_day: 14, submit_within: WorkingDays(2), until: "2024-12-31 17:00")"#,
        "2024-01-02 08:00",
    );
    assert_eq!(codes(&check(&bad_until)), ["invalid-date"]);
}

#[test]
fn the_quang_tri_reporting_year_skips_tet() {
    let source = include_str!("../../workflows/quang-tri-41-2019-qd-ubnd.ron");
    let workflow = Arc::new(load_with(source, &with_vn()).unwrap().workflow);
    let (mut instance, _) = Instance::start(workflow.clone(), at("2021-01-01 08:00")).unwrap();
    assert_eq!(
        workflow.describe_due(workflow.tasks()[1].due),
        "quarterly: data cut off on day 14, due 5 working days after, until 2021-12-31"
    );
    let due = |i: &Instance, name: &str| {
        let id = workflow.task_ref(name).unwrap();
        workflow.format_time(i.task_state(id).unwrap().due.unwrap())
    };
    assert_eq!(
        due(&instance, "monthly[dakrong]"),
        "2021-01-18T17:00:00+07:00"
    );
    assert_eq!(
        due(&instance, "quarterly[dakrong]"),
        "2021-03-19T17:00:00+07:00"
    );
    assert_eq!(
        due(&instance, "compiled_monthly"),
        "2021-01-21T17:00:00+07:00"
    );
    instance.advance(at("2021-01-18 10:00")).unwrap();
    instance
        .act_by_name(at("2021-01-18 10:00"), "dakrong", "monthly", "report", None)
        .unwrap();
    assert_eq!(
        due(&instance, "monthly[dakrong]"),
        "2021-02-18T17:00:00+07:00"
    );
    // Without the shared calendar the workflow does not load.
    let error = load(source).unwrap_err();
    assert_eq!(codes(&error.diagnostics), ["unknown-calendar"]);
}

// ---------------------------------------------------------------- hour-level deadlines

/// An emergency telegram (công điện hỏa tốc): "report before 15:00 today", escalated to
/// the issuer an hour after.
fn telegram(
    start: &str,
) -> (
    Arc<directrix_core::Workflow>,
    Instance,
    Vec<directrix_core::Effect>,
) {
    let source = format!(
        r#"(
    format: 1,
    directive: (number: "05/CĐ-UBND", kind: "Công điện", urgency: Flash, issuer: "boss", issued_at: "{start}", subject: "s"),
    calendar: (utc_offset: "+07:00"),
    agencies: [(id: "boss", name: "Boss"), (id: "unit", name: "Unit", parent: "boss")],
    policies: [(id: "urgent", levels: [(after: "0h", action: Remind, target: Lead), (after: "1h", action: Escalate, target: Issuer)])],
    tasks: [(id: "t", title: "Báo cáo trước 15 giờ ngày hôm nay", lead: ["unit"], due: ClockTime(at: "15:00"), policy: "urgent")],
)"#
    );
    let workflow = Arc::new(load(&source).expect("telegram loads").workflow);
    let (instance, effects) = Instance::start(workflow.clone(), at(start)).unwrap();
    (workflow, instance, effects)
}

#[test]
fn before_15_today_is_today_even_on_a_weekend() {
    let (workflow, instance, _) = telegram("2024-09-07 09:00");
    let t = workflow.task_ref("t").unwrap();
    // Saturday 07/09/2024 (typhoon Yagi's landfall): due that Saturday at 15:00.
    assert_eq!(
        workflow.format_time(instance.task_state(t).unwrap().due.unwrap()),
        "2024-09-07T15:00:00+07:00"
    );
    assert_eq!(instance.overdue(), vec![]);
}

#[test]
fn a_telegram_received_after_the_hour_is_late_at_once() {
    let (workflow, mut instance, start_effects) = telegram("2024-09-07 16:00");
    let t = workflow.task_ref("t").unwrap();
    // The deadline stays 15:00 today: it does not move to tomorrow.
    assert_eq!(
        workflow.format_time(instance.task_state(t).unwrap().due.unwrap()),
        "2024-09-07T15:00:00+07:00"
    );
    assert!(start_effects.iter().all(|e| e.kind.name() != "overdue"));
    // The overdue timer and the reminder fire at the start instant; the escalation an
    // hour after the (past) deadline is also already due.
    let effects = instance.advance(at("2024-09-07 16:00")).unwrap();
    let names: Vec<&str> = effects.iter().map(|e| e.kind.name()).collect();
    assert_eq!(names, ["overdue", "reminded", "escalated"]);
    assert!(effects.iter().all(|e| e.at == at("2024-09-07 16:00")));
    assert_eq!(instance.overdue(), vec![t]);
    // The planned schedule flags it when the workflow is loaded.
    let source_warns = directrix_core::check(
        r#"(
    format: 1,
    directive: (number: "1/T", kind: "Test", issuer: "boss", issued_at: "2024-09-07 16:00", subject: "s"),
    calendar: (utc_offset: "+07:00"),
    agencies: [(id: "boss", name: "Boss")],
    tasks: [(id: "t", title: "T", lead: ["boss"], due: ClockTime(at: "15:00"))],
)"#,
    );
    assert_eq!(codes(&source_warns), ["due-before-start"]);
}
