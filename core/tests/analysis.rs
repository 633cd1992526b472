//! Static deadline analysis: the earliest completion of every task on the calendar, and
//! each analysis warning with a case that triggers it and one that must not.
//!
//! `BASE` is the issue's example: `tracing` → `verify` → `report_results`, issued on
//! Friday 07/05/2021 08:00 with a holiday on Tuesday 11/05, so the chain crosses a weekend
//! and a holiday. It loads without a single warning.

use directrix_core::{Diagnostic, Timestamp, Workflow, check, load, time::UtcOffset};

const BASE: &str = r#"(
    format: 1,
    directive: (
        number: "1-CV", kind: "Công văn", issuer: "district",
        issued_at: "2021-05-07 08:00", subject: "Test",
        addressees: ["police", "health", "communes"],
    ),
    calendar: (utc_offset: "+07:00", weekend: [Sat, Sun], holidays: ["2021-05-11"], day_end: "17:00"),
    agencies: [
        (id: "province", name: "Province"),
        (id: "district", name: "District", parent: "province"),
        (id: "health", name: "Health", parent: "district"),
        (id: "police", name: "Police", parent: "district"),
        (id: "commune_a", name: "Commune A", parent: "district"),
        (id: "commune_b", name: "Commune B", parent: "district"),
        (id: "neighbour", name: "Neighbouring district", parent: "province"),
    ],
    groups: [
        (id: "communes", name: "Communes", members: ["commune_a", "commune_b"]),
        (id: "outsiders", name: "Outsiders", members: ["neighbour"]),
    ],
    machines: [
        (
            id: "lapsing",
            states: [(id: "open", kind: Initial), (id: "done", kind: Done), (id: "lapsed", kind: Cancelled)],
            transitions: [
                (on: "finish", from: ["open"], to: "done", by: [Lead]),
                (on: "lapse", from: ["open"], to: "lapsed", by: [System], after: "1d"),
            ],
        ),
    ],
    policies: [
        (id: "standard", levels: [
            (after: "0h", action: Remind, target: Lead),
            (after: "2h", from: Entered("assigned"), action: Remind, target: Lead),
            (after: "1d", action: Escalate, target: Agency("province")),
        ]),
        (id: "chase", levels: [(after: "12h", from: Entered("open"), action: Remind, target: Lead)]),
    ],
    tasks: [
        (id: "tracing", title: "Tracing", lead: ["police"], due: After("72h"), policy: "standard",
         expected: Elapsed("48h")),
        (id: "verify", title: "Verify", lead: ["health"], depends_on: ["tracing"], start: AfterDependencies,
         due: At("2021-05-10 17:00"), expected: WorkingDays(1)),
        (id: "report_results", title: "Report", lead: ["health"], depends_on: ["verify"],
         due: At("2021-05-12 17:00"), policy: "standard", expected: WorkingDays(1)),
        (id: "activate", title: "Activate", for_each: "communes", due: WorkingDays(1), policy: "standard"),
        (id: "watch", title: "Watch", lead: ["police"], machine: "lapsing", policy: "chase"),
    ],
)"#;

#[track_caller]
fn edit(source: &str, from: &str, to: &str) -> String {
    let count = source.matches(from).count();
    assert_eq!(count, 1, "`{from}` occurs {count} times, expected once");
    source.replacen(from, to, 1)
}

/// The 1-based line:column of the only occurrence of `marker`.
#[track_caller]
fn at(source: &str, marker: &str) -> (usize, usize) {
    assert_eq!(source.matches(marker).count(), 1, "marker `{marker}`");
    let offset = source.find(marker).unwrap_or(0);
    let before = &source[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

fn render(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Loads `source` and returns the warnings with `code`.
#[track_caller]
fn warnings(source: &str, code: &str) -> Vec<Diagnostic> {
    let loaded =
        load(source).unwrap_or_else(|e| panic!("load failed:\n{}", render(&e.diagnostics)));
    loaded
        .warnings
        .into_iter()
        .filter(|d| d.code.as_str() == code)
        .collect()
}

/// Exactly one warning with `code`, at `marker`; returns it.
#[track_caller]
fn one(source: &str, code: &str, marker: &str) -> Diagnostic {
    let found = warnings(source, code);
    assert_eq!(found.len(), 1, "expected one `{code}`:\n{}", render(&found));
    let location = found[0].location.expect("located");
    assert_eq!(
        (location.line, location.column),
        at(source, marker),
        "{}",
        found[0]
    );
    assert!(found[0].hint.is_some(), "{} has a hint", found[0]);
    found.into_iter().next().unwrap_or_else(|| unreachable!())
}

#[track_caller]
fn none(source: &str, code: &str) {
    let found = warnings(source, code);
    assert!(found.is_empty(), "unexpected `{code}`:\n{}", render(&found));
}

fn hanoi() -> UtcOffset {
    UtcOffset::from_hms(7, 0, 0).unwrap_or(UtcOffset::UTC)
}

fn time(text: &str) -> Timestamp {
    Timestamp::parse(text, hanoi()).unwrap_or_else(|e| panic!("{e}"))
}

fn workflow(source: &str) -> Workflow {
    load(source)
        .unwrap_or_else(|e| panic!("load failed:\n{}", render(&e.diagnostics)))
        .workflow
}

#[test]
fn the_base_is_clean() {
    let loaded = load(BASE).unwrap_or_else(|e| panic!("{}", render(&e.diagnostics)));
    assert!(loaded.warnings.is_empty(), "{}", render(&loaded.warnings));
}

// --------------------------------------------------------------- the computation

#[test]
fn earliest_completion_crosses_the_weekend_and_the_holiday() {
    let workflow = workflow(BASE);
    let analysis = workflow.analysis();
    let of = |id: &str| {
        &analysis.tasks[workflow
            .task_id(id)
            .unwrap_or_else(|| panic!("{id}"))
            .index()]
    };
    // 48 hours round the clock from Friday 08:00: Sunday 08:00, weekend or not.
    assert_eq!(of("tracing").earliest_completion, time("2021-05-09 08:00"));
    // Begun on Sunday, one working day is Monday's.
    assert_eq!(of("verify").earliest_start, time("2021-05-09 08:00"));
    assert_eq!(of("verify").earliest_completion, time("2021-05-10 17:00"));
    // Begun at Monday's day end; Tuesday is a holiday, so Wednesday's.
    let report = of("report_results");
    assert_eq!(report.earliest_start, time("2021-05-10 17:00"));
    assert_eq!(report.earliest_completion, time("2021-05-12 17:00"));
    let path: Vec<_> = report
        .critical_path
        .iter()
        .map(|t| workflow.task(*t).id.as_str())
        .collect();
    assert_eq!(path, ["tracing", "verify", "report_results"]);
    // Without an effort a task takes no time, and alone it is its own path.
    let activate = of("activate");
    assert_eq!(activate.earliest_completion, time("2021-05-07 08:00"));
    assert_eq!(activate.critical_path.len(), 1);
}

#[test]
fn a_start_after_dependencies_moves_its_due_with_it() {
    // verify's due is relative: two working days from Sunday 08:00 skip the holiday.
    let source = edit(BASE, "due: At(\"2021-05-10 17:00\")", "due: WorkingDays(2)");
    let workflow = workflow(&source);
    let verify = workflow.task_id("verify").map(|t| t.index()).unwrap_or(0);
    assert_eq!(
        workflow.analysis().tasks[verify].due,
        Some(time("2021-05-12 17:00"))
    );
}

#[test]
fn a_recurring_task_completes_with_its_last_occurrence() {
    let source = edit(
        BASE,
        "(id: \"watch\", title: \"Watch\", lead: [\"police\"], machine: \"lapsing\", policy: \"chase\")",
        "(id: \"watch\", title: \"Watch\", lead: [\"police\"], expected: Elapsed(\"2h\"), due: Every(every: \"1d\", at: \"16:00\", until: \"2021-05-14 16:00\"))",
    );
    let workflow = workflow(&source);
    let watch = workflow.task_id("watch").map(|t| t.index()).unwrap_or(0);
    let analysis = &workflow.analysis().tasks[watch];
    assert_eq!(analysis.earliest_report, time("2021-05-07 10:00"));
    assert_eq!(analysis.due, Some(time("2021-05-07 16:00")));
    assert_eq!(analysis.earliest_completion, time("2021-05-14 16:00"));
}

// ------------------------------------------------------------ deadline-unreachable

#[test]
fn deadline_unreachable() {
    let source = edit(BASE, "At(\"2021-05-12 17:00\")", "At(\"2021-05-12 12:00\")");
    let d = one(&source, "deadline-unreachable", "\"2021-05-12 12:00\"");
    assert_eq!(
        d.message,
        "task `report_results` is due 2021-05-12 12:00 but its critical path `tracing` → `verify` → \
         `report_results` needs at least 2 working days and 2d from 2021-05-07 08:00: it can be \
         reported 2021-05-12 17:00 at the earliest; even at the minimum pace, 2021-05-12 17:00"
    );
    assert!(
        d.hint
            .as_deref()
            .unwrap_or("")
            .contains("start `tracing` earlier")
    );
}

#[test]
fn deadline_met_exactly_is_not_unreachable() {
    // BASE's report_results is due exactly at its earliest completion.
    none(BASE, "deadline-unreachable");
    // Two working days of verifying cross the holiday, and push report_results with it.
    let source = edit(
        BASE,
        "At(\"2021-05-10 17:00\"), expected: WorkingDays(1)",
        "At(\"2021-05-10 17:00\"), expected: WorkingDays(2)",
    );
    let found = warnings(&source, "deadline-unreachable");
    assert_eq!(found.len(), 2, "{}", render(&found));
    assert!(
        found[0]
            .message
            .starts_with("task `verify` is due 2021-05-10 17:00"),
        "{}",
        found[0]
    );
}

#[test]
fn deadline_unreachable_except_at_the_minimum_pace() {
    let source = edit(
        BASE,
        "policy: \"standard\", expected: WorkingDays(1)",
        "policy: \"standard\", expected: WorkingDays(2), minimum: WorkingDays(1)",
    );
    let d = one(&source, "deadline-unreachable", "\"2021-05-12 17:00\"");
    assert!(
        d.message
            .ends_with("only at the minimum pace (2021-05-12 17:00) would it be in time"),
        "{}",
        d.message
    );
}

#[test]
fn a_due_before_the_start_is_not_also_unreachable() {
    let source = edit(BASE, "At(\"2021-05-12 17:00\")", "At(\"2021-05-06 17:00\")");
    let found = load(&source).map(|l| l.warnings).unwrap_or_default();
    let codes: Vec<_> = found.iter().map(|d| d.code.as_str()).collect();
    assert!(codes.contains(&"due-before-start"), "{codes:?}");
    assert!(!codes.contains(&"deadline-unreachable"), "{codes:?}");
}

// ------------------------------------------------------ due-before-dependency

#[test]
fn dependency_ends_after_the_due_time() {
    let source = edit(BASE, "At(\"2021-05-10 17:00\")", "At(\"2021-05-13 17:00\")");
    let d = one(&source, "due-before-dependency", "\"verify\"],");
    assert!(d.message.contains("dependency `verify`"), "{}", d.message);
}

#[test]
fn dependency_due_first_is_fine() {
    none(BASE, "due-before-dependency");
}

// ---------------------------------------------------------------- invalid-effort

#[test]
fn invalid_efforts_are_located_errors() {
    let cases = [
        (
            "expected: Elapsed(\"48h\")",
            "expected: Elapsed(\"-2h\")",
            "\"-2h\"",
            "invalid-effort",
        ),
        (
            "expected: Elapsed(\"48h\")",
            "expected: Elapsed(\"two days\")",
            "\"two days\"",
            "invalid-duration",
        ),
        (
            "expected: Elapsed(\"48h\")",
            "expected: Elapsed(\"4h\"), minimum: Elapsed(\"8h\")",
            "\"8h\"",
            "invalid-effort",
        ),
        (
            "expected: Elapsed(\"48h\")",
            "minimum: WorkingDays(1)",
            "minimum",
            "invalid-effort",
        ),
    ];
    for (from, to, marker, code) in cases {
        let source = edit(BASE, from, to);
        let diagnostics = check(&source);
        let errors: Vec<_> = diagnostics.iter().filter(|d| d.is_error()).collect();
        assert_eq!(errors.len(), 1, "{to}:\n{}", render(&diagnostics));
        assert_eq!(errors[0].code.as_str(), code, "{to}");
        let location = errors[0].location.expect("located");
        assert_eq!(
            (location.line, location.column),
            at(&source, marker),
            "{to}"
        );
    }
    // A working-day minimum under an elapsed expectation compares on the calendar.
    let source = edit(
        BASE,
        "expected: Elapsed(\"48h\")",
        "expected: Elapsed(\"48h\"), minimum: WorkingDays(1)",
    );
    assert!(load(&source).is_ok());
}

// -------------------------------------------------------------- level-never-fires

#[test]
fn level_never_fires_without_a_due_time() {
    let source = edit(BASE, "due: WorkingDays(1), policy", "policy");
    let d = one(&source, "level-never-fires", "\"standard\")");
    assert!(
        d.message.contains("levels 1 and 3 of policy `standard`"),
        "{}",
        d.message
    );
}

#[test]
fn a_state_anchored_policy_needs_no_due_time() {
    // `watch` has no due, but its policy counts from a state.
    none(BASE, "level-never-fires");
}

#[test]
fn level_never_fires_in_a_terminal_state() {
    let source = edit(
        BASE,
        "from: Entered(\"assigned\")",
        "from: Entered(\"accepted\")",
    );
    let d = one(&source, "level-never-fires", "\"2h\"");
    assert!(d.message.contains("already over"), "{}", d.message);
}

#[test]
fn level_never_fires_after_a_timed_exit() {
    let source = edit(
        BASE,
        "after: \"12h\", from: Entered(\"open\")",
        "after: \"2d\", from: Entered(\"open\")",
    );
    let d = one(&source, "level-never-fires", "\"2d\", from");
    assert!(
        d.message.contains("leaves `open` by itself after 1d"),
        "{}",
        d.message
    );
    // A guarded timed exit may not happen: the level may still fire.
    let guarded = edit(
        &source,
        "by: [System], after",
        "by: [System], guards: [BeforeDue], after",
    );
    none(&guarded, "level-never-fires");
}

// ---------------------------------------------------- target-outside-reporting-line

#[test]
fn supervisor_outside_the_reporting_line() {
    let source = edit(
        BASE,
        "due: After(\"72h\"),",
        "due: After(\"72h\"), supervisor: \"neighbour\",",
    );
    let d = one(
        &source,
        "target-outside-reporting-line",
        "\"neighbour\", policy",
    );
    assert!(
        d.message.contains("(`police` → `district` → `province`)"),
        "{}",
        d.message
    );
}

#[test]
fn supervisor_up_the_reporting_line_is_fine() {
    let source = edit(
        BASE,
        "due: After(\"72h\"),",
        "due: After(\"72h\"), supervisor: \"province\",",
    );
    none(&source, "target-outside-reporting-line");
}

#[test]
fn an_organ_of_the_issuer_may_supervise_across_branches() {
    // The police sit directly under the issuing district: its delegate, not a stranger.
    let source = edit(
        BASE,
        "due: WorkingDays(1), policy: \"standard\"",
        "due: WorkingDays(1), policy: \"standard\", supervisor: \"police\"",
    );
    none(&source, "target-outside-reporting-line");
}

#[test]
fn escalation_target_outside_the_reporting_line() {
    let source = edit(
        BASE,
        "target: Agency(\"province\")",
        "target: Agency(\"neighbour\")",
    );
    let found = warnings(&source, "target-outside-reporting-line");
    // Every task on the policy: tracing, report_results and each commune of activate.
    assert_eq!(found.len(), 3, "{}", render(&found));
    let activate = found
        .iter()
        .find(|d| d.message.contains("task `activate`"))
        .unwrap_or_else(|| panic!("{}", render(&found)));
    assert!(
        activate
            .message
            .contains("the reporting lines of 2 of its 2 leads (`commune_a`, `commune_b`)"),
        "{}",
        activate.message
    );
}

#[test]
fn escalation_to_the_issuer_is_fine() {
    let source = edit(
        BASE,
        "target: Agency(\"province\")",
        "target: Agency(\"district\")",
    );
    none(&source, "target-outside-reporting-line");
}

// ------------------------------------------------------------ addressee-without-task

#[test]
fn addressee_without_a_task() {
    let source = edit(BASE, "\"communes\"],\n", "\"communes\", \"neighbour\"],\n");
    let d = one(&source, "addressee-without-task", "\"neighbour\"],");
    assert!(
        d.message.starts_with("`neighbour` is addressed"),
        "{}",
        d.message
    );
    // Through a group, the group's entry is located.
    let source = edit(BASE, "\"communes\"],\n", "\"communes\", \"outsiders\"],\n");
    one(&source, "addressee-without-task", "\"outsiders\"],");
}

#[test]
fn a_supporting_addressee_holds_a_task() {
    let source = edit(BASE, "\"communes\"],\n", "\"communes\", \"neighbour\"],\n");
    let source = edit(
        &source,
        "lead: [\"health\"], depends_on: [\"verify\"],",
        "lead: [\"health\"], support: [\"neighbour\"], depends_on: [\"verify\"],",
    );
    none(&source, "addressee-without-task");
}

// -------------------------------------------------------------------------- seed

#[test]
fn the_seed_has_no_analysis_warning_and_no_slack_on_three_tasks() {
    let source = include_str!("../../workflows/kien-xuong-114-cv-hu.ron");
    let loaded = load(source).unwrap_or_else(|e| panic!("{}", render(&e.diagnostics)));
    let codes: Vec<_> = loaded.warnings.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["starts-before-issue"]);
    let workflow = loaded.workflow;
    let analysis = workflow.analysis();
    let tight: Vec<_> = workflow
        .tasks()
        .iter()
        .zip(&analysis.tasks)
        .filter(|(_, a)| a.due == Some(a.earliest_report))
        .map(|(t, _)| t.id.as_str())
        .collect();
    assert_eq!(tight, ["mobilise", "propaganda", "contingency_plan"]);
}
