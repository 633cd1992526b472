//! Time words and marks in follow-up documents (issue 17, gaps 4 and 7): a clock time in
//! a follow-up counts from the day the follow-up is issued, not from each task's start;
//! a follow-up carries an urgency mark and its own issuer.

use directrix_core::{
    Instance, Scenario, Severity, Timestamp, Workflow, load, simulate, spec::Urgency,
};
use std::collections::BTreeMap;
use std::sync::Arc;

const SEED: &str = include_str!("../../workflows/kien-xuong-114-cv-hu.ron");

fn at(text: &str) -> Timestamp {
    Timestamp::parse(
        text,
        directrix_core::time::UtcOffset::from_hms(7, 0, 0).unwrap(),
    )
    .unwrap()
}

fn seed() -> Arc<Workflow> {
    Arc::new(load(SEED).unwrap().workflow)
}

/// A follow-up of 12 May (at `issued`) with `body` as its lists.
fn doc(issued: &str, body: &str) -> String {
    format!(
        "(\n    format: 1,\n    number: \"120-CV/HU\",\n    kind: \"Công điện\",\n    urgency: Flash,\n    issuer: \"district_standing\",\n    issued_at: \"{issued}\",\n    further_to: \"114-CV/HU\",\n    subject: \"s\",\n{body}\n)\n"
    )
}

fn running(when: &str) -> Instance {
    let workflow = seed();
    let (mut instance, _) =
        Instance::start(workflow.clone(), workflow.directive().issued_at).unwrap();
    instance.advance(at(when)).unwrap();
    instance
}

fn due_of(instance: &Instance, name: &str) -> Option<Timestamp> {
    let id = instance.workflow().task_ref(name).unwrap();
    instance.task_state(id).unwrap().due
}

#[test]
fn a_clock_time_in_a_change_counts_from_the_issue_day() {
    // Vaccination started with the letter on 7 May; "before 16:00 today" in a letter of
    // 12 May means 12 May 16:00, not 7 May 16:00 (which would refuse the follow-up).
    let text = doc(
        "2021-05-12 08:00",
        r#"    change_due: [(task: "vaccination", due: ClockTime(at: "16:00", days: 0))],"#,
    );
    let mut instance = running("2021-05-12 08:00");
    let (_, report) = instance
        .apply_follow_up(at("2021-05-12 08:00"), &text)
        .unwrap();
    assert_eq!(
        due_of(&instance, "vaccination"),
        Some(at("2021-05-12 16:00"))
    );
    assert_eq!(
        report.due_changed[0].to.as_deref(),
        Some("2021-05-12T16:00:00+07:00")
    );
    // `days` counts on from the issue day too.
    let text = doc(
        "2021-05-12 08:00",
        r#"    change_due: [(task: "vaccination", due: ClockTime(at: "16:00", days: 2))],"#,
    );
    let mut instance = running("2021-05-12 08:00");
    instance
        .apply_follow_up(at("2021-05-12 08:00"), &text)
        .unwrap();
    assert_eq!(
        due_of(&instance, "vaccination"),
        Some(at("2021-05-14 16:00"))
    );
    // Replay rebuilds it from the journaled text.
    let replayed = Instance::replay(seed(), instance.journal()).unwrap();
    assert_eq!(replayed, instance);
}

#[test]
fn an_added_tasks_clock_time_counts_from_the_issue_day_not_its_start() {
    // Issued on 12 May, applied (received) on 13 May at 07:00: "by 16:00 tomorrow" is
    // 13 May 16:00, not 14 May.
    let text = doc(
        "2021-05-12 08:00",
        r#"    add_tasks: [(id: "checkpoints", title: "Chốt kiểm soát", lead: ["police"], due: ClockTime(at: "16:00", days: 1))],"#,
    );
    let mut instance = running("2021-05-13 07:00");
    instance
        .apply_follow_up(at("2021-05-13 07:00"), &text)
        .unwrap();
    instance.advance(at("2021-05-13 07:00")).unwrap();
    assert_eq!(
        due_of(&instance, "checkpoints"),
        Some(at("2021-05-13 16:00"))
    );
}

#[test]
fn a_clock_time_already_past_at_issue_is_located_when_validated() {
    // A letter of 17:00 saying "before 16:00 today": `validate` (amend, no instance)
    // refuses the change and points at the clock time.
    let text = doc(
        "2021-05-12 17:00",
        r#"    change_due: [(task: "vaccination", due: ClockTime(at: "16:00", days: 0))],"#,
    );
    let error = seed().amend(&text).unwrap_err();
    let diagnostics = error.diagnostics();
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let d = &diagnostics[0];
    assert_eq!(d.code.as_str(), "due-before-follow-up");
    assert_eq!(d.severity, Severity::Error);
    let span = d.span.clone().unwrap();
    assert_eq!(&text[span.start..span.start + 7], "\"16:00\"");
    assert!(
        d.message.contains("2021-05-12T16:00:00+07:00"),
        "{}",
        d.message
    );
    assert!(
        d.message.contains("counts from the day it is issued"),
        "{}",
        d.message
    );
    assert!(d.hint.as_deref().unwrap().contains("`days: 1`"));

    // For an added task it is a warning: the task is overdue as soon as it starts.
    let text = doc(
        "2021-05-12 17:00",
        r#"    add_tasks: [(id: "checkpoints", title: "Chốt", lead: ["police"], due: ClockTime(at: "16:00"))],"#,
    );
    let amended = seed().amend(&text).unwrap();
    let codes: Vec<_> = amended
        .warnings
        .iter()
        .map(|d| (d.code.as_str(), d.severity))
        .collect();
    assert_eq!(codes, [("due-before-follow-up", Severity::Warning)]);
    let span = amended.warnings[0].span.clone().unwrap();
    assert_eq!(&text[span.start..span.start + 7], "\"16:00\"");
}

#[test]
fn a_follow_up_carries_its_urgency_and_its_own_issuer() {
    let text = doc("2021-05-12 08:00", "");
    let amended = seed().amend(&text).unwrap();
    assert_eq!(amended.spec.urgency, Urgency::Flash);
    let mut instance = running("2021-05-12 08:00");
    let (_, report) = instance
        .apply_follow_up(at("2021-05-12 08:00"), &text)
        .unwrap();
    assert_eq!(report.urgency, Urgency::Flash);
    assert_eq!(report.issuer, "district_standing");
    // Without the mark: no mark.
    let plain = text.replace("    urgency: Flash,\n", "");
    assert_eq!(seed().amend(&plain).unwrap().spec.urgency, Urgency::Normal);
}

#[test]
fn the_timeline_shows_the_follow_ups_issuer() {
    let workflow = seed();
    let scenario = r#"(format: 1, name: "s", until: "2021-05-13 17:00", events: [(at: "2021-05-12 08:00", follow_up: "letter")])"#;
    let texts = BTreeMap::from([("letter".to_owned(), doc("2021-05-12 08:00", ""))]);
    let (scenario, _) = Scenario::load_with(scenario, &workflow, &texts).unwrap();
    let simulation = simulate(workflow, &scenario, 0, None).unwrap();
    let report = simulation.report();
    let record = report
        .events
        .iter()
        .find(|e| e.kind == "follow_up")
        .unwrap();
    assert_eq!(record.agency, "district_standing");
    assert_eq!(record.note.as_deref(), Some("120-CV/HU (letter)"));
}
