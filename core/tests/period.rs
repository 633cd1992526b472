//! Measures in force for a period (`in_force`): the located diagnostics of the format,
//! the engine's period effects and timers, the final report held until the end, a
//! follow-up extending and ending a period, snapshots and replay, the grid, the static
//! analysis and modelled agencies.

use directrix_core::{
    Diagnostic, Effect, EffectKind, Instance, LoadOptions, Scenario, Span, Timestamp, Workflow,
    instance::{PeriodStatus, TaskState},
    load, load_with, simulate,
};
use std::sync::Arc;

/// Issued Friday 7 May 2021 08:00. `distancing` is in force for 15 days from 00:00 on
/// Saturday 8 May (to 00:00 on Sunday 23 May), its final report due a day later;
/// `curfew` fans out over two communes, in force for three days from its own start.
const WORKFLOW: &str = r#"(
    format: 1,
    directive: (
        number: "1-CT",
        kind: "Chỉ thị",
        issuer: "district",
        issued_at: "2021-05-07 08:00",
        subject: "Giãn cách xã hội",
    ),
    calendar: (utc_offset: "+07:00"),
    agencies: [
        (id: "district", name: "UBND huyện"),
        (id: "health", name: "Trung tâm Y tế", parent: "district"),
        (id: "commune_a", name: "Xã A", parent: "district"),
        (id: "commune_b", name: "Xã B", parent: "district"),
    ],
    groups: [
        (id: "communes", name: "Các xã", members: ["commune_a", "commune_b"]),
    ],
    machines: [
        (
            id: "no_report",
            states: [(id: "open", kind: Initial), (id: "closed", kind: Done)],
            transitions: [(on: "close", from: ["open"], to: "closed", by: [Lead])],
        ),
    ],
    policies: [
        (id: "chase", levels: [(after: "0h", action: Remind, target: Lead)]),
    ],
    tasks: [
        (
            id: "distancing",
            title: "Giãn cách xã hội 15 ngày kể từ 00 giờ ngày 08/5/2021",
            lead: ["health"],
            in_force: (from: "2021-05-08 00:00", length: "15d", report_within: "1d"),
            policy: "chase",
        ),
        (
            id: "curfew",
            title: "Hạn chế đi lại ban đêm trong 3 ngày",
            for_each: "communes",
            in_force: (length: "3d", report_within: "8h"),
        ),
        (id: "plan", title: "Kế hoạch", lead: ["district"], due: Days(1)),
    ],
)"#;

fn at(text: &str) -> Timestamp {
    Timestamp::parse(
        text,
        directrix_core::time::UtcOffset::from_hms(7, 0, 0).unwrap(),
    )
    .unwrap()
}

fn edit(source: &str, from: &str, to: &str) -> String {
    assert_eq!(source.matches(from).count(), 1, "`{from}` must occur once");
    source.replace(from, to)
}

/// The 1-based line:column of the first occurrence of `marker`.
fn locate(source: &str, marker: &str) -> (usize, usize) {
    let offset = source
        .find(marker)
        .unwrap_or_else(|| panic!("no `{marker}`"));
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap().chars().count() + 1;
    (line, column)
}

/// The errors of `source` as (code, line, column).
fn errors(source: &str) -> Vec<(String, usize, usize)> {
    directrix_core::check(source)
        .iter()
        .filter(|d: &&Diagnostic| d.is_error())
        .map(|d| {
            let location = d.location.expect("located");
            (d.code.as_str().to_owned(), location.line, location.column)
        })
        .collect()
}

fn check(source: &str, expected: &[(&str, &str)]) {
    let expected: Vec<(String, usize, usize)> = expected
        .iter()
        .map(|&(code, marker)| {
            let (line, column) = locate(source, marker);
            (code.to_owned(), line, column)
        })
        .collect();
    assert_eq!(errors(source), expected);
}

fn workflow() -> Arc<Workflow> {
    Arc::new(load(WORKFLOW).expect("valid").workflow)
}

fn started() -> (Instance, Vec<Effect>) {
    let workflow = workflow();
    Instance::start(workflow.clone(), workflow.directive().issued_at).unwrap()
}

fn state(instance: &Instance, name: &str) -> TaskState {
    let id = instance.workflow().task_ref(name).unwrap();
    instance.task_state(id).unwrap().clone()
}

/// The (task, kind) of each effect.
fn kinds(instance: &Instance, effects: &[Effect]) -> Vec<(String, &'static str)> {
    effects
        .iter()
        .map(|e| {
            (
                instance.workflow().task_slot(e.task).name.clone(),
                e.kind.name(),
            )
        })
        .collect()
}

fn act(instance: &mut Instance, when: &str, actor: &str, task: &str, action: &str) {
    instance.advance(at(when)).unwrap();
    instance
        .act_by_name(at(when), actor, task, action, None)
        .unwrap_or_else(|e| panic!("{actor} {action} {task}: {e}"));
}

// ---- The format: every mistake a clerk can make, located.

#[test]
fn the_fixture_is_clean() {
    assert_eq!(errors(WORKFLOW), []);
}

#[test]
fn a_period_with_both_a_length_and_an_end_is_refused() {
    let source = edit(
        WORKFLOW,
        r#"length: "15d", report_within"#,
        r#"length: "15d", until: "2021-05-23 00:00", report_within"#,
    );
    check(
        &source,
        &[("invalid-period", "in_force: (from: \"2021-05-08")],
    );
}

#[test]
fn a_period_with_neither_a_length_nor_an_end_is_refused() {
    let source = edit(WORKFLOW, r#"length: "15d", "#, "");
    check(
        &source,
        &[("invalid-period", "in_force: (from: \"2021-05-08")],
    );
}

#[test]
fn a_period_of_no_length_is_refused() {
    let source = edit(WORKFLOW, r#"length: "15d""#, r#"length: "0m""#);
    check(&source, &[("invalid-period", "\"0m\"")]);
}

#[test]
fn a_report_due_at_the_very_end_is_refused() {
    let source = edit(WORKFLOW, r#"report_within: "1d""#, r#"report_within: "0d""#);
    check(&source, &[("invalid-period", "\"0d\"")]);
}

#[test]
fn a_period_ending_before_it_begins_is_refused() {
    let source = edit(WORKFLOW, r#"length: "15d""#, r#"until: "2021-05-07 00:00""#);
    check(
        &source,
        &[("period-ends-before-start", "\"2021-05-07 00:00\"")],
    );
    let diagnostics = directrix_core::check(&source);
    assert!(diagnostics[0].message.contains("2021-05-08T00:00:00+07:00"));
}

#[test]
fn an_end_before_a_fixed_task_start_is_refused() {
    // No `from`: the period begins when the task starts, here at a fixed time.
    let source = edit(
        WORKFLOW,
        r#"in_force: (length: "3d", report_within: "8h"),"#,
        r#"start: At("2021-05-10 00:00"), in_force: (until: "2021-05-09 00:00", report_within: "8h"),"#,
    );
    check(
        &source,
        &[("period-ends-before-start", "\"2021-05-09 00:00\"")],
    );
}

#[test]
fn a_period_and_a_due_time_are_refused_together() {
    let source = edit(
        WORKFLOW,
        r#"report_within: "1d"),"#,
        r#"report_within: "1d"), due: Days(3),"#,
    );
    check(&source, &[("period-with-due", "due: Days(3)")]);
}

#[test]
fn a_period_on_a_machine_that_cannot_report_is_refused() {
    let source = edit(
        WORKFLOW,
        r#"report_within: "8h"),"#,
        r#"report_within: "8h"), machine: "no_report","#,
    );
    check(
        &source,
        &[("period-without-report", "in_force: (length: \"3d\"")],
    );
}

#[test]
fn a_bad_time_in_a_period_is_located() {
    let source = edit(WORKFLOW, "\"2021-05-08 00:00\"", "\"2021-05-32 00:00\"");
    check(&source, &[("invalid-time", "\"2021-05-32 00:00\"")]);
}

#[test]
fn files_without_periods_are_unchanged() {
    // A period is an optional field: the bundled directive written before it loads, and
    // its content hash (which snapshots carry) does not depend on the new field.
    let seed = load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap();
    assert!(seed.workflow.tasks().iter().all(|t| t.period.is_none()));
    let with = workflow();
    let without = load(&edit(
        WORKFLOW,
        r#"in_force: (from: "2021-05-08 00:00", length: "15d", report_within: "1d"),"#,
        r#"due: At("2021-05-24 00:00"),"#,
    ))
    .unwrap()
    .workflow;
    // Same due rule, so only the period tells them apart.
    assert_ne!(with.content_hash(), without.content_hash());
}

// ---- The engine.

#[test]
fn a_period_starts_and_ends_on_its_own_timers_and_holds_the_final_report() {
    let (mut instance, effects) = started();
    // Issued Friday 08:00: the task starts, its period is pending until Saturday 00:00.
    assert!(!kinds(&instance, &effects).contains(&("distancing".to_owned(), "period_started")));
    let ts = state(&instance, "distancing");
    let period = ts.period.unwrap();
    assert_eq!(period.status, PeriodStatus::Pending);
    assert_eq!(
        (period.from, period.until),
        (at("2021-05-08 00:00"), at("2021-05-23 00:00"))
    );
    // The final report is due a day after the end: Monday 24 May 00:00.
    assert_eq!(ts.due, Some(at("2021-05-24 00:00")));
    let next = instance.next_timer().unwrap();
    assert_eq!(
        (next.at, instance.workflow().next_timer_record(&next).reason),
        (at("2021-05-08 00:00"), "period_start")
    );

    act(
        &mut instance,
        "2021-05-07 09:00",
        "health",
        "distancing",
        "acknowledge",
    );
    let effects = instance.advance(at("2021-05-08 00:00")).unwrap();
    assert_eq!(
        effects
            .iter()
            .find(|e| matches!(e.kind, EffectKind::PeriodStarted { .. }))
            .map(|e| (e.at, e.kind)),
        Some((
            at("2021-05-08 00:00"),
            EffectKind::PeriodStarted {
                from: at("2021-05-08 00:00"),
                until: at("2021-05-23 00:00"),
            }
        ))
    );
    assert_eq!(
        state(&instance, "distancing").period.unwrap().status,
        PeriodStatus::InForce
    );
    assert_eq!(instance.grid().total.in_force, 3);

    // The report waits for the end of the period; the refusal changes nothing.
    act(
        &mut instance,
        "2021-05-10 08:00",
        "health",
        "distancing",
        "start",
    );
    let before = instance.clone();
    let error = instance
        .act_by_name(
            at("2021-05-10 08:00"),
            "health",
            "distancing",
            "report",
            None,
        )
        .unwrap_err();
    assert_eq!(error.code(), "in_force");
    assert_eq!(instance, before);
    // Nor does the lead's inbox offer it.
    let health = instance.workflow().agency_id("health").unwrap();
    let offered: Vec<_> = instance
        .inbox(health)
        .iter()
        .map(|item| instance.workflow().action_name(item.action).to_owned())
        .collect();
    assert!(!offered.contains(&"report".to_owned()), "{offered:?}");

    // Fifteen days round the clock, weekends and all: it ends at 00:00 on Sunday 23 May.
    let effects = instance.advance(at("2021-05-23 00:00")).unwrap();
    let ended: Vec<_> = effects
        .iter()
        .filter(|e| e.kind == EffectKind::PeriodEnded)
        .map(|e| (instance.workflow().task_slot(e.task).name.clone(), e.at))
        .collect();
    assert_eq!(ended, [("distancing".to_owned(), at("2021-05-23 00:00"))]);
    assert_eq!(instance.grid().total.in_force, 0);
    // Not overdue yet: the report is due on Monday.
    assert!(!state(&instance, "distancing").overdue);
    act(
        &mut instance,
        "2021-05-23 09:00",
        "health",
        "distancing",
        "report",
    );
    act(
        &mut instance,
        "2021-05-23 10:00",
        "district",
        "distancing",
        "accept",
    );
    assert!(
        instance
            .status()
            .iter()
            .find(|s| instance.workflow().task_slot(s.task).name == "distancing")
            .unwrap()
            .on_time
            == Some(true)
    );
}

#[test]
fn a_period_from_the_task_start_runs_per_member_and_a_missed_report_is_overdue() {
    let (mut instance, effects) = started();
    // `curfew` has no `from`: in force from its start (the issue), for each commune.
    let started: Vec<_> = kinds(&instance, &effects)
        .into_iter()
        .filter(|(_, kind)| *kind == "period_started")
        .collect();
    assert_eq!(
        started,
        [
            ("curfew[commune_a]".to_owned(), "period_started"),
            ("curfew[commune_b]".to_owned(), "period_started")
        ]
    );
    let ts = state(&instance, "curfew[commune_a]");
    assert_eq!(ts.period.unwrap().until, at("2021-05-10 08:00"));
    assert_eq!(ts.due, Some(at("2021-05-10 16:00")));
    let effects = instance.advance(at("2021-05-10 16:00")).unwrap();
    let names: Vec<_> = kinds(&instance, &effects)
        .into_iter()
        .filter(|(task, _)| task.starts_with("curfew"))
        .collect();
    assert_eq!(
        names,
        [
            ("curfew[commune_a]".to_owned(), "period_ended"),
            ("curfew[commune_b]".to_owned(), "period_ended"),
            ("curfew[commune_a]".to_owned(), "overdue"),
            ("curfew[commune_b]".to_owned(), "overdue"),
        ]
    );
}

#[test]
fn a_period_already_over_when_the_task_starts_starts_and_ends_at_once() {
    let source = edit(
        WORKFLOW,
        r#"in_force: (from: "2021-05-08 00:00", length: "15d", report_within: "1d"),"#,
        r#"in_force: (from: "2021-05-01 00:00", length: "3d", report_within: "10d"),"#,
    );
    let workflow = Arc::new(load(&source).unwrap().workflow);
    let (instance, effects) =
        Instance::start(workflow.clone(), workflow.directive().issued_at).unwrap();
    let distancing: Vec<_> = kinds(&instance, &effects)
        .into_iter()
        .filter(|(task, _)| task == "distancing")
        .map(|(_, kind)| kind)
        .collect();
    assert_eq!(distancing, ["started", "period_started", "period_ended"]);
}

// ---- Follow-ups.

fn follow_up(issued_at: &str, body: &str) -> String {
    format!(
        "(\n    format: 1,\n    number: \"2-CT\",\n    kind: \"Công văn\",\n    issuer: \"district\",\n    issued_at: \"{issued_at}\",\n    further_to: \"1-CT\",\n    subject: \"Tiếp tục giãn cách\",\n{body}\n)\n"
    )
}

/// Running with the distancing in force, at 20 May 08:00.
fn in_force() -> Instance {
    let (mut instance, _) = started();
    act(
        &mut instance,
        "2021-05-07 09:00",
        "health",
        "distancing",
        "acknowledge",
    );
    act(
        &mut instance,
        "2021-05-07 10:00",
        "health",
        "distancing",
        "start",
    );
    instance.advance(at("2021-05-20 08:00")).unwrap();
    instance
}

#[test]
fn a_follow_up_extends_a_period_and_its_report() {
    let mut instance = in_force();
    let text = follow_up(
        "2021-05-20 08:00",
        r#"    extend_period: [(task: "distancing", until: "2021-06-06 00:00")],"#,
    );
    let (effects, report) = instance
        .apply_follow_up(at("2021-05-20 08:00"), &text)
        .unwrap();
    assert_eq!(
        effects.iter().map(|e| e.kind).collect::<Vec<_>>(),
        [
            EffectKind::PeriodExtended {
                until: at("2021-06-06 00:00")
            },
            EffectKind::DueChanged {
                due: at("2021-06-07 00:00")
            },
        ]
    );
    assert_eq!(report.due_changed.len(), 1);
    let ts = state(&instance, "distancing");
    assert_eq!(ts.due, Some(at("2021-06-07 00:00")));
    // The original report date stays for reporting.
    assert_eq!(ts.first_due, Some(at("2021-05-24 00:00")));
    let period = ts.period.unwrap();
    assert_eq!(
        (period.from, period.until, period.status),
        (
            at("2021-05-08 00:00"),
            at("2021-06-06 00:00"),
            PeriodStatus::InForce
        )
    );
    // The old end passes quietly; the new one ends it.
    let effects = instance.advance(at("2021-05-25 00:00")).unwrap();
    assert!(!effects.iter().any(|e| e.kind == EffectKind::PeriodEnded));
    let error = instance
        .act_by_name(
            at("2021-05-25 00:00"),
            "health",
            "distancing",
            "report",
            None,
        )
        .unwrap_err();
    assert_eq!(error.code(), "in_force");
    let effects = instance.advance(at("2021-06-06 00:00")).unwrap();
    assert_eq!(
        effects
            .iter()
            .filter(|e| e.kind == EffectKind::PeriodEnded)
            .map(|e| e.at)
            .collect::<Vec<_>>(),
        [at("2021-06-06 00:00")]
    );

    // Replay rebuilds the same state, follow-up and all; a snapshot round-trips.
    let replayed = Instance::replay(workflow(), instance.journal()).unwrap();
    assert_eq!(replayed.state(), instance.state());
}

#[test]
fn a_follow_up_ends_a_period_early() {
    let mut instance = in_force();
    let text = follow_up(
        "2021-05-20 08:00",
        r#"    end_period: [(task: "distancing", reason: "Dịch được kiểm soát")],"#,
    );
    let (effects, _) = instance
        .apply_follow_up(at("2021-05-20 10:00"), &text)
        .unwrap();
    assert_eq!(
        effects.iter().map(|e| (e.at, e.kind)).collect::<Vec<_>>(),
        [
            (at("2021-05-20 10:00"), EffectKind::PeriodEnded),
            (
                at("2021-05-20 10:00"),
                EffectKind::DueChanged {
                    due: at("2021-05-21 08:00")
                }
            ),
        ]
    );
    // The report may now be made.
    act(
        &mut instance,
        "2021-05-20 14:00",
        "health",
        "distancing",
        "report",
    );
    // No period timer is left to fire.
    let effects = instance.advance(at("2021-05-25 00:00")).unwrap();
    assert!(!effects.iter().any(|e| matches!(
        e.kind,
        EffectKind::PeriodEnded | EffectKind::PeriodStarted { .. }
    )));
    let replayed = Instance::replay(workflow(), instance.journal()).unwrap();
    assert_eq!(replayed.state(), instance.state());
}

/// (code, line, column) of every error of a refused follow-up.
fn refused(instance: &mut Instance, when: &str, text: &str) -> Vec<(String, usize, usize)> {
    let before = instance.clone();
    let error = instance.apply_follow_up(at(when), text).unwrap_err();
    assert_eq!(
        *instance, before,
        "a refused follow-up changed the instance"
    );
    error
        .diagnostics()
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let location = d.location.expect("located in the follow-up");
            (d.code.as_str().to_owned(), location.line, location.column)
        })
        .collect()
}

#[test]
fn follow_up_period_mistakes_are_located() {
    let mut instance = in_force();
    // A task that is no measure in force.
    let text = follow_up(
        "2021-05-20 08:00",
        r#"    extend_period: [(task: "plan", until: "2021-06-06 00:00")],"#,
    );
    let (line, column) = locate(&text, "\"plan\"");
    assert_eq!(
        refused(&mut instance, "2021-05-20 08:00", &text),
        [("no-period".to_owned(), line, column)]
    );
    // A new end that is not after the document.
    let text = follow_up(
        "2021-05-20 08:00",
        r#"    extend_period: [(task: "distancing", until: "2021-05-19 00:00")],"#,
    );
    let (line, column) = locate(&text, "\"2021-05-19 00:00\"");
    assert_eq!(
        refused(&mut instance, "2021-05-20 08:00", &text),
        [("invalid-period".to_owned(), line, column)]
    );
    // A new due rule on a measure in force.
    let text = follow_up(
        "2021-05-20 08:00",
        r#"    change_due: [(task: "distancing", due: At("2021-06-06 00:00"))],"#,
    );
    let (line, column) = locate(&text, "\"distancing\"");
    assert_eq!(
        refused(&mut instance, "2021-05-20 08:00", &text),
        [("period-with-due".to_owned(), line, column)]
    );
    // An unknown task.
    let text = follow_up(
        "2021-05-20 08:00",
        r#"    end_period: [(task: "distansing")],"#,
    );
    let (line, column) = locate(&text, "\"distansing\"");
    assert_eq!(
        refused(&mut instance, "2021-05-20 08:00", &text),
        [("unknown-task".to_owned(), line, column)]
    );
}

#[test]
fn a_period_already_over_cannot_be_extended() {
    let mut instance = in_force();
    instance.advance(at("2021-05-23 12:00")).unwrap();
    let text = follow_up(
        "2021-05-23 12:00",
        r#"    extend_period: [(task: "distancing", until: "2021-06-06 00:00")],"#,
    );
    let (line, column) = locate(&text, "\"distancing\"");
    assert_eq!(
        refused(&mut instance, "2021-05-23 12:00", &text),
        [("task-finished".to_owned(), line, column)]
    );
}

// ---- Snapshots.

#[test]
fn a_snapshot_in_force_round_trips_and_keeps_its_timer() {
    let instance = in_force();
    let json = serde_json::to_string(&instance.snapshot()).unwrap();
    assert!(json.contains("\"in_force\""), "{json}");
    let restored = Instance::restore(
        instance.workflow().clone(),
        serde_json::from_str(&json).unwrap(),
    )
    .unwrap();
    assert_eq!(restored, instance);
    let mut restored = restored;
    let effects = restored.advance(at("2021-05-23 00:00")).unwrap();
    assert!(effects.iter().any(|e| e.kind == EffectKind::PeriodEnded));

    // A snapshot of a workflow without periods has no period field at all.
    let seed = Arc::new(
        load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron"))
            .unwrap()
            .workflow,
    );
    let (seed_instance, _) = Instance::start(seed.clone(), seed.directive().issued_at).unwrap();
    let json = serde_json::to_string(&seed_instance.snapshot()).unwrap();
    assert!(!json.contains("period"));
}

#[test]
fn a_tampered_period_is_refused_on_restore() {
    let instance = in_force();
    let mut json = serde_json::to_value(instance.snapshot()).unwrap();
    // The plan task has no period in the workflow.
    let tasks = json["state"]["tasks"].as_array_mut().unwrap();
    let period = tasks[0]["period"].clone();
    let plan = tasks.len() - 1;
    tasks[plan]["period"] = period;
    let error = Instance::restore(
        instance.workflow().clone(),
        serde_json::from_value(json).unwrap(),
    )
    .unwrap_err();
    assert_eq!(error.code(), "invalid_snapshot");

    // A period in a state the clock has not reached, or out of range.
    let snapshot = serde_json::to_value(instance.snapshot()).unwrap();
    let now = instance.now().as_seconds();
    type Mutation = fn(&mut serde_json::Value, i64);
    let mutations: [(Mutation, &str); 4] = [
        (|p, _| p["status"] = "ended".into(), "ended before its end"),
        (
            |p, now| {
                p["from"] = (now + 3600).into();
                p["until"] = (now + 7200).into();
            },
            "in force before its start",
        ),
        (|p, _| p["until"] = i64::MAX.into(), "out of range"),
        (|p, _| p["from"] = i64::MIN.into(), "out of range"),
    ];
    for (mutate, what) in mutations {
        let mut json = snapshot.clone();
        mutate(&mut json["state"]["tasks"][0]["period"], now);
        let error = Instance::restore(
            instance.workflow().clone(),
            serde_json::from_value(json).unwrap(),
        )
        .expect_err(what);
        assert_eq!(error.code(), "invalid_snapshot", "{what}");
    }
}

// ---- The analysis and modelled agencies.

#[test]
fn the_analysis_reads_a_period_without_an_expected_effort() {
    let workflow = workflow();
    let analysis = workflow.analysis();
    let distancing = &analysis.tasks[workflow.task_id("distancing").unwrap().index()];
    // The report cannot come before the period ends, and is due a day later.
    assert_eq!(distancing.earliest_report, at("2021-05-23 00:00"));
    assert_eq!(distancing.due, Some(at("2021-05-24 00:00")));
    assert!(!distancing.misses_due());

    // Work after the end that overruns the report window misses it.
    let slow = load(&edit(
        WORKFLOW,
        r#"report_within: "1d"),"#,
        r#"report_within: "1d"), expected: Elapsed("2d"),"#,
    ))
    .unwrap();
    let analysis = slow.workflow.analysis();
    let distancing = &analysis.tasks[slow.workflow.task_id("distancing").unwrap().index()];
    assert_eq!(distancing.earliest_report, at("2021-05-25 00:00"));
    assert!(distancing.misses_due());
    assert!(
        slow.warnings
            .iter()
            .any(|d| d.code.as_str() == "deadline-unreachable")
    );

    // A dependant waits for the whole period and its report.
    let chained = load(&edit(
        WORKFLOW,
        r#"lead: ["district"], due: Days(1)"#,
        r#"lead: ["district"], depends_on: ["distancing"], start: AfterDependencies, due: Days(1)"#,
    ))
    .unwrap()
    .workflow;
    let plan = &chained.analysis().tasks[chained.task_id("plan").unwrap().index()];
    assert_eq!(plan.earliest_start, at("2021-05-23 00:00"));
}

#[test]
fn modelled_agencies_report_once_the_period_ends() {
    let workflow = workflow();
    let (scenario, _) = Scenario::load(
        r#"(format: 1, name: "m", until: "2021-05-31 17:00", behaviours: [
            (who: ["all"], acknowledge: Fixed("1h"), work: Fixed("2h"), review: Fixed("1h"), hours: AroundTheClock),
        ])"#,
        &workflow,
    )
    .unwrap();
    let report = simulate(Arc::clone(&workflow), &scenario, 1, None)
        .unwrap()
        .report();
    let reported = |task: &str| {
        report
            .events
            .iter()
            .find(|e| e.task == task && e.action.as_deref() == Some("report"))
            .map(|e| e.at.clone())
    };
    // Two hours of work from the end of the period, never before it.
    assert_eq!(
        reported("distancing").as_deref(),
        Some("2021-05-23T02:00:00+07:00")
    );
    assert_eq!(
        reported("curfew[commune_a]").as_deref(),
        Some("2021-05-10T10:00:00+07:00")
    );
    assert!(report.events.iter().all(|e| e.kind != "rejected"));
    assert_eq!(report.summary.done, report.summary.tasks);

    let monte = directrix_core::simulation::monte_carlo(&workflow, &scenario, 5, 1).unwrap();
    assert!(monte.tasks.iter().all(|t| t.completed_probability == 1.0));

    // No work at all: the report comes at the very end of the period, not before.
    let (instant, _) = Scenario::load(
        r#"(format: 1, name: "m", until: "2021-05-31 17:00", behaviours: [
            (who: ["all"], acknowledge: Fixed("0h"), work: Fixed("0h"), review: Fixed("0h"), hours: AroundTheClock),
        ])"#,
        &workflow,
    )
    .unwrap();
    let report = simulate(Arc::clone(&workflow), &instant, 1, None)
        .unwrap()
        .report();
    let reported = report
        .events
        .iter()
        .find(|e| e.task == "distancing" && e.action.as_deref() == Some("report"))
        .map(|e| e.at.as_str());
    assert_eq!(reported, Some("2021-05-23T00:00:00+07:00"));
    assert_eq!(report.summary.done, report.summary.tasks);
}

#[test]
fn the_bundled_directive_is_extended_by_its_follow_up() {
    let options = LoadOptions::default().with_calendar(
        "vn-public-holidays",
        include_str!("../../workflows/calendars/vn-public-holidays.ron"),
    );
    let workflow = Arc::new(
        load_with(include_str!("../../workflows/ct-16-ttg-2020.ron"), &options)
            .unwrap()
            .workflow,
    );
    let (mut instance, _) =
        Instance::start(workflow.clone(), workflow.directive().issued_at).unwrap();
    instance.advance(at("2020-04-15 20:00")).unwrap();
    let (effects, _) = instance
        .apply_follow_up(
            at("2020-04-15 20:00"),
            include_str!("../../workflows/ct-16-ttg-2020.extension.followup.ron"),
        )
        .unwrap();
    let extended = effects
        .iter()
        .filter(|e| {
            e.kind
                == EffectKind::PeriodExtended {
                    until: at("2020-04-23 00:00"),
                }
        })
        .count();
    // Three provinces and the ministry enforcing it.
    assert_eq!(extended, 4);
    let span = Span::parse("7d").unwrap();
    assert_eq!(
        state(&instance, "enforce").period.unwrap().until,
        at("2020-04-16 00:00").saturating_add(span)
    );
}

#[test]
fn a_compiled_workflow_keeps_its_periods() {
    let workflow = workflow();
    let bytes = workflow.to_compiled();
    let back = Workflow::from_compiled(&bytes, &directrix_core::Limits::default()).unwrap();
    assert_eq!(back.content_hash(), workflow.content_hash());
    assert_eq!(
        back.tasks().iter().map(|t| t.period).collect::<Vec<_>>(),
        workflow
            .tasks()
            .iter()
            .map(|t| t.period)
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_migration_that_makes_a_running_task_a_measure_in_force_starts_its_period() {
    // The same directive written before periods existed: a plain due time.
    let old = load(&edit(
        WORKFLOW,
        r#"in_force: (from: "2021-05-08 00:00", length: "15d", report_within: "1d"),"#,
        r#"due: At("2021-05-24 00:00"),"#,
    ))
    .unwrap()
    .workflow;
    let (mut instance, _) =
        Instance::start(Arc::new(old.clone()), old.directive().issued_at).unwrap();
    instance.advance(at("2021-05-10 08:00")).unwrap();
    let (mut migrated, report) = Instance::migrate(&old, workflow(), instance.snapshot()).unwrap();
    assert!(
        report
            .changed
            .iter()
            .any(|c| c.task == "distancing" && c.what == "timers_rebuilt"),
        "{report:?}"
    );
    // Its period began on 8 May: it is settled at the next advance, and runs to its end.
    let effects = migrated.advance(at("2021-05-10 08:00")).unwrap();
    assert!(effects.iter().any(|e| e.kind
        == EffectKind::PeriodStarted {
            from: at("2021-05-08 00:00"),
            until: at("2021-05-23 00:00")
        }));
    let effects = migrated.advance(at("2021-05-23 00:00")).unwrap();
    assert!(effects.iter().any(|e| e.kind == EffectKind::PeriodEnded));
}

#[test]
fn a_measure_superseded_by_an_added_one_ends_when_its_successor_begins() {
    let mut instance = in_force();
    // From 00:00 on 22 May the district switches from distancing to a lighter regime.
    let text = follow_up(
        "2021-05-20 08:00",
        r#"    add_tasks: [(id: "new_normal", title: "Trạng thái bình thường mới", lead: ["health"],
                 in_force: (from: "2021-05-22 00:00", length: "30d", report_within: "1d"))],
    supersede: [(task: "distancing", by: "new_normal")],"#,
    );
    let (effects, _) = instance
        .apply_follow_up(at("2021-05-20 08:00"), &text)
        .unwrap();
    assert!(effects.contains(&Effect {
        at: at("2021-05-20 08:00"),
        task: instance.workflow().task_ref("distancing").unwrap(),
        kind: EffectKind::PeriodExtended {
            until: at("2021-05-22 00:00")
        },
    }));
    let effects = instance.advance(at("2021-05-22 00:00")).unwrap();
    let periods: Vec<_> = kinds(&instance, &effects)
        .into_iter()
        .filter(|(_, kind)| kind.starts_with("period"))
        .collect();
    assert_eq!(
        periods,
        [
            ("distancing".to_owned(), "period_ended"),
            ("new_normal".to_owned(), "period_started"),
        ]
    );

    // The successor must be a measure in force this document adds.
    let mut instance = in_force();
    let text = follow_up(
        "2021-05-20 08:00",
        r#"    supersede: [(task: "distancing", by: "plan")],"#,
    );
    let (line, column) = locate(&text, "\"plan\"");
    assert_eq!(
        refused(&mut instance, "2021-05-20 08:00", &text),
        [("no-period".to_owned(), line, column)]
    );
}
