//! Working-day calendar: weekends, holidays, the Civil Code deadline rules, clock-time
//! and recurring deadlines, and the local UTC offset. Every expectation is an exact
//! RFC 3339 string at the calendar's offset.

use directrix_core::{Calendar, Instance, Timestamp, UtcOffset, load};
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
    let (instance, _) = Instance::start(workflow.clone(), start);
    let id = workflow.instance_id("t").unwrap();
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
    let (mut instance, _) = Instance::start(workflow.clone(), at("2021-05-07 08:00"));
    let t = workflow.instance_id("t").unwrap();
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
    let (instance, _) = Instance::start(workflow.clone(), at("2021-05-06 08:00"));
    let due = instance
        .task_state(workflow.instance_id("t").unwrap())
        .unwrap()
        .due;
    assert_eq!(
        workflow.format_time(due.unwrap()),
        "2021-05-09T16:30:00+07:00"
    );
}
