//! Bad-input suite: every case feeds a broken workflow (or scenario) to the loader and
//! asserts the exact list of diagnostic codes and where they point.
//!
//! Cases mutate `MINIMAL`, a small valid workflow, with [`edit`] (which insists the text it
//! replaces occurs exactly once), and locate the expected diagnostic with [`at`], which
//! turns a marker substring into a 1-based line:column. A failing case prints every
//! diagnostic the loader produced.

use directrix_core::{Diagnostic, Scenario, Severity, check as diagnostics_of, load};

type Expected<'a> = [(&'a str, (usize, usize))];

/// A small valid workflow touching every section: a group fan-out, a custom machine, a
/// policy with an `Entered` anchor, and each kind of due time.
const MINIMAL: &str = r#"(
    format: 1,
    directive: (
        number: "1-CV",
        kind: "Công văn",
        issuer: "district",
        issued_at: "2021-05-07 08:00",
        subject: "Test",
        addressees: ["health", "communes"],
    ),
    calendar: (
        utc_offset: "+07:00",
        weekend: [Sat, Sun],
        holidays: ["2021-05-03"],
        day_end: "17:00",
    ),
    agencies: [
        (id: "district", name: "District"),
        (id: "health", name: "Health", parent: "district"),
        (id: "police", name: "Police", parent: "district"),
        (id: "commune_a", name: "Commune A", parent: "district"),
        (id: "commune_b", name: "Commune B", parent: "district"),
    ],
    groups: [
        (id: "communes", name: "Communes", members: ["commune_a", "commune_b"]),
    ],
    machines: [
        (
            id: "simple",
            states: [
                (id: "open", kind: Initial),
                (id: "sent", submitted: true),
                (id: "done", kind: Done),
            ],
            transitions: [
                (on: "send", from: ["open"], to: "sent", by: [Lead], reports: true),
                (on: "approve", from: ["sent"], to: "done", by: [Supervisor]),
            ],
        ),
    ],
    policies: [
        (
            id: "standard",
            levels: [
                (after: "0h", action: Remind, target: Lead),
                (after: "2h", from: Entered("assigned"), action: Remind, target: Lead),
                (after: "1d", action: Escalate, target: Parent, repeat: "1d"),
            ],
        ),
    ],
    tasks: [
        (id: "prepare", title: "Prepare", lead: ["health"], due: WorkingDays(2), policy: "standard"),
        (id: "apply", title: "Apply", for_each: "communes", depends_on: ["prepare"], start: AfterDependencies, due: After("3d")),
        (id: "review", title: "Review", lead: ["police"], depends_on: ["apply"], due: ClockTime(at: "16:00", days: 9), machine: "simple"),
        (id: "monitor", title: "Monitor", lead: ["district"], due: Every(every: "1d", at: "15:00", until: "2021-05-21 17:00")),
    ],
)"#;

const SEED: &str = include_str!("../../workflows/kien-xuong-114-cv-hu.ron");
const SEED_SCENARIO: &str = include_str!("../../workflows/kien-xuong-114-cv-hu.scenario.ron");

/// A valid scenario for `MINIMAL`.
const SCENARIO: &str = r#"(
    format: 1,
    name: "minimal",
    until: "2021-05-21 17:00",
    events: [
        (at: "2021-05-07 09:00", actor: "health", task: "prepare", action: "acknowledge"),
        (at: "2021-05-07 10:00", actor: "commune_a", task: "apply", action: "acknowledge"),
        (at: "2021-05-08 10:00", actor: "police", task: "review", action: "send"),
    ],
)"#;

// ------------------------------------------------------------------------------ helpers

/// `source` with `from` replaced by `to`; `from` must occur exactly once, so a mutation
/// can never silently do nothing.
fn edit(source: &str, from: &str, to: &str) -> String {
    let count = source.matches(from).count();
    assert_eq!(count, 1, "`{from}` occurs {count} times, expected once");
    source.replacen(from, to, 1)
}

/// The 1-based line:column (columns in characters) where the only occurrence of `marker`
/// starts.
#[track_caller]
fn at(source: &str, marker: &str) -> (usize, usize) {
    let count = source.matches(marker).count();
    assert_eq!(
        count, 1,
        "marker `{marker}` occurs {count} times, expected once"
    );
    at_nth(source, marker, 0)
}

/// The 1-based line:column where the `nth` (0-based) occurrence of `marker` starts.
#[track_caller]
fn at_nth(source: &str, marker: &str, nth: usize) -> (usize, usize) {
    let (offset, _) = source
        .match_indices(marker)
        .nth(nth)
        .unwrap_or_else(|| panic!("marker `{marker}` has no occurrence {nth}"));
    line_col(source, offset)
}

fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Every diagnostic, one per line, as the CLI would print it.
fn render(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

#[track_caller]
fn assert_located(diagnostics: &[Diagnostic], severity: Severity, expected: &Expected<'_>) {
    let actual: Vec<(&str, (usize, usize))> = diagnostics
        .iter()
        .filter(|d| d.severity == severity)
        .map(|d| {
            let location = d.location.map_or((0, 0), |l| (l.line, l.column));
            (d.code.as_str(), location)
        })
        .collect();
    assert_eq!(
        actual,
        expected,
        "\n{severity:?}s differ (code, (line, column)); all diagnostics:\n{}\n",
        render(diagnostics)
    );
}

/// Asserts the errors of a workflow text, in file order, and that `load` fails (or
/// succeeds, when none are expected). Returns every diagnostic for further checks.
#[track_caller]
fn check(source: &str, expected: &Expected<'_>) -> Vec<Diagnostic> {
    let diagnostics = diagnostics_of(source);
    assert_located(&diagnostics, Severity::Error, expected);
    assert_eq!(load(source).is_err(), !expected.is_empty());
    diagnostics
}

/// Asserts that a workflow text loads, with exactly these warnings.
#[track_caller]
fn check_warnings(source: &str, expected: &Expected<'_>) -> Vec<Diagnostic> {
    let loaded =
        load(source).unwrap_or_else(|e| panic!("load failed:\n{}", render(&e.diagnostics)));
    assert_located(&loaded.warnings, Severity::Warning, expected);
    loaded.warnings
}

/// Asserts the errors of a scenario text against `workflow_source`.
#[track_caller]
fn check_scenario(workflow_source: &str, source: &str, expected: &Expected<'_>) -> Vec<Diagnostic> {
    let workflow = load(workflow_source).expect("the workflow loads").workflow;
    let diagnostics = match Scenario::load(source, &workflow) {
        Ok((_, warnings)) => warnings,
        Err(error) => error.diagnostics,
    };
    assert_located(&diagnostics, Severity::Error, expected);
    diagnostics
}

/// The hint of the only diagnostic with `code`.
#[track_caller]
fn hint<'d>(diagnostics: &'d [Diagnostic], code: &str) -> &'d str {
    let found: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.code.as_str() == code)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one `{code}`:\n{}",
        render(diagnostics)
    );
    found[0]
        .hint
        .as_deref()
        .unwrap_or_else(|| panic!("`{code}` has no hint: {}", found[0]))
}

/// The message of the only diagnostic with `code`.
#[track_caller]
fn message<'d>(diagnostics: &'d [Diagnostic], code: &str) -> &'d str {
    let found: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.code.as_str() == code)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one `{code}`:\n{}",
        render(diagnostics)
    );
    &found[0].message
}

#[test]
fn the_fixtures_are_clean() {
    check_warnings(MINIMAL, &[]);
    check_scenario(MINIMAL, SCENARIO, &[]);
    check_scenario(SEED, SEED_SCENARIO, &[]);
}

// ------------------------------------------------------------------------------- syntax

#[test]
fn empty_file() {
    let d = check("", &[("syntax", (1, 1))]);
    assert!(hint(&d, "syntax").contains("the file is empty"));
    let d = check("  \n\n\t", &[("syntax", (1, 1))]);
    assert!(hint(&d, "syntax").contains("the file is empty"));
}

#[test]
fn truncated_file() {
    // Cut just before `agencies`: the error is right after the last complete field.
    let source = &MINIMAL[..MINIMAL.find("    agencies").unwrap()];
    let (line, column) = at(MINIMAL, "),\n    agencies");
    let d = check(source, &[("syntax", (line, column + 2))]);
    assert!(message(&d, "syntax").contains("the file ends early: the `(` opened at 1:1"));
}

#[test]
fn truncated_seed() {
    let cut = SEED.find("    // The reporting forest").unwrap();
    let (line, column) = at(SEED, "),\n\n    // The reporting forest");
    check(&SEED[..cut], &[("syntax", (line, column + 2))]);
}

#[test]
fn truncated_inside_a_string() {
    let source = &MINIMAL[..MINIMAL.find("Test\"").unwrap() + 2];
    let d = check(source, &[("syntax", at(source, "\"Te"))]);
    assert!(message(&d, "syntax").contains("string"), "{d:?}");
}

#[test]
fn binary_file() {
    let d = check(
        "\u{0}\u{1}\u{2}PNG\r\n\u{1a}\n\u{fffd}\u{7f}",
        &[("syntax", (1, 1))],
    );
    assert!(hint(&d, "syntax").contains("binary"));
    // Binary bytes in the middle of an otherwise good file.
    let source = edit(
        MINIMAL,
        "subject: \"Test\",",
        "subject: \"Test\",\u{0}\u{1}",
    );
    check(&source, &[("syntax", at(&source, "\u{0}"))]);
}

#[test]
fn unknown_field() {
    let source = edit(
        MINIMAL,
        "subject: \"Test\",",
        "subject: \"Test\",\n        subjekt: \"x\",",
    );
    let d = check(&source, &[("syntax", at(&source, "subjekt"))]);
    assert!(message(&d, "syntax").contains("`subjekt`"));
    assert!(hint(&d, "syntax").contains("`subject`"));
}

#[test]
fn unknown_field_after_vietnamese_text_is_located_in_characters() {
    let source = edit(
        MINIMAL,
        "kind: \"Công văn\",",
        "kind: \"Công văn\", kindd: \"x\",",
    );
    assert_eq!(at(&source, "kindd"), (5, 27));
    check(&source, &[("syntax", (5, 27))]);
}

#[test]
fn unknown_field_in_a_task() {
    let source = edit(
        SEED,
        "policy: \"urgent\",\n        ),\n        (\n            id: \"tracing\"",
        "polcy: \"urgent\",\n        ),\n        (\n            id: \"tracing\"",
    );
    let d = check(&source, &[("syntax", at(&source, "polcy"))]);
    assert!(hint(&d, "syntax").contains("`policy`"));
}

#[test]
fn wrong_enum_variant() {
    let source = edit(MINIMAL, "[Sat, Sun]", "[Sat, Sunday]");
    let d = check(&source, &[("syntax", at(&source, "Sunday"))]);
    assert!(hint(&d, "syntax").contains("`Sun`"));
}

#[test]
fn wrong_value_type() {
    let source = edit(MINIMAL, "format: 1", "format: \"1\"");
    check(&source, &[("syntax", at(&source, "\"1\""))]);
    let source = edit(MINIMAL, "WorkingDays(2)", "WorkingDays(\"2\")");
    check(&source, &[("syntax", at(&source, "\"2\""))]);
}

#[test]
fn missing_field() {
    let source = edit(MINIMAL, "        subject: \"Test\",\n", "");
    // RON notices at the end of the struct.
    let d = check(&source, &[("syntax", at(&source, "),\n    calendar"))]);
    assert_eq!(hint(&d, "syntax"), "add the field `subject`");
}

#[test]
fn trailing_characters() {
    let source = format!("{MINIMAL} x");
    // `at` points at the space; the error is at the `x` itself.
    let (line, column) = at(&source, " x");
    check(&source, &[("syntax", (line, column + 1))]);
}

// -------------------------------------------------------------------------------- model

#[test]
fn unsupported_format() {
    let source = edit(MINIMAL, "format: 1", "format: 2");
    let d = check(&source, &[("unsupported-format", at(&source, "format"))]);
    assert_eq!(
        hint(&d, "unsupported-format"),
        "this directrix reads format 1"
    );
}

#[test]
fn duplicate_agency_id() {
    let source = edit(
        MINIMAL,
        "(id: \"police\", name: \"Police\", parent: \"district\"),",
        "(id: \"police\", name: \"Police\", parent: \"district\"),\n        (id: \"health\", name: \"Health again\"),",
    );
    // The second declaration is the duplicate.
    check(
        &source,
        &[("duplicate-id", at_nth(&source, "\"health\", name", 1))],
    );
}

#[test]
fn agency_and_group_share_one_namespace() {
    let source = edit(MINIMAL, "(id: \"communes\"", "(id: \"police\"");
    check(
        &source,
        &[
            ("unknown-agency", at(&source, "\"communes\"]")),
            ("duplicate-id", at_nth(&source, "\"police\"", 1)),
            ("unknown-group", at(&source, "\"communes\", depends_on")),
        ],
    );
}

#[test]
fn duplicate_task_id() {
    let source = edit(MINIMAL, "(id: \"review\"", "(id: \"apply\"");
    check(
        &source,
        &[("duplicate-id", at(&source, "\"apply\", title: \"Review\""))],
    );
}

#[test]
fn duplicate_state_id() {
    let source = edit(
        MINIMAL,
        "(id: \"sent\", submitted: true)",
        "(id: \"open\", submitted: true)",
    );
    // Only the duplicate and the now dangling references; no reachability noise.
    check(
        &source,
        &[
            ("duplicate-id", at(&source, "\"open\", submitted")),
            ("unknown-state", at(&source, "\"sent\", by")),
            ("unknown-state", at(&source, "\"sent\"], to")),
        ],
    );
}

#[test]
fn duplicate_builtin_machine_id() {
    let source = edit(MINIMAL, "id: \"simple\"", "id: \"default\"");
    let source = edit(&source, "machine: \"simple\"", "machine: \"default\"");
    let d = check(&source, &[("duplicate-id", at(&source, "\"default\","))]);
    assert!(hint(&d, "duplicate-id").contains("built in"));
}

#[test]
fn unknown_agency_in_lead() {
    let source = edit(MINIMAL, "lead: [\"health\"]", "lead: [\"heath\"]");
    let d = check(&source, &[("unknown-agency", at(&source, "\"heath\""))]);
    assert_eq!(hint(&d, "unknown-agency"), "did you mean `health`?");
}

#[test]
fn unknown_agency_far_from_any_is_not_guessed() {
    let source = edit(MINIMAL, "lead: [\"health\"]", "lead: [\"zzz\"]");
    let d = check(&source, &[("unknown-agency", at(&source, "\"zzz\""))]);
    assert_eq!(d[0].hint, None);
}

#[test]
fn unknown_parent() {
    let source = edit(
        MINIMAL,
        "name: \"Police\", parent: \"district\"",
        "name: \"Police\", parent: \"distric\"",
    );
    let d = check(&source, &[("unknown-agency", at(&source, "\"distric\""))]);
    assert_eq!(hint(&d, "unknown-agency"), "did you mean `district`?");
}

#[test]
fn unknown_group_member() {
    let source = edit(MINIMAL, "\"commune_b\"]", "\"commune_c\"]");
    check(&source, &[("unknown-agency", at(&source, "\"commune_c\""))]);
}

#[test]
fn unknown_issuer() {
    let source = edit(MINIMAL, "issuer: \"district\"", "issuer: \"distrct\"");
    let d = check(&source, &[("unknown-agency", at(&source, "\"distrct\""))]);
    assert_eq!(hint(&d, "unknown-agency"), "did you mean `district`?");
}

#[test]
fn unknown_addressee_suggests_groups_too() {
    let source = edit(
        MINIMAL,
        "[\"health\", \"communes\"]",
        "[\"health\", \"comunes\"]",
    );
    let d = check(&source, &[("unknown-agency", at(&source, "\"comunes\""))]);
    assert_eq!(hint(&d, "unknown-agency"), "did you mean `communes`?");
}

#[test]
fn unknown_supervisor() {
    let source = edit(
        MINIMAL,
        "machine: \"simple\"",
        "machine: \"simple\", supervisor: \"polise\"",
    );
    let d = check(&source, &[("unknown-agency", at(&source, "\"polise\""))]);
    assert_eq!(hint(&d, "unknown-agency"), "did you mean `police`?");
}

#[test]
fn unknown_group_in_for_each() {
    let source = edit(MINIMAL, "for_each: \"communes\"", "for_each: \"comunes\"");
    let d = check(&source, &[("unknown-group", at(&source, "\"comunes\""))]);
    assert_eq!(hint(&d, "unknown-group"), "did you mean `communes`?");
}

#[test]
fn unknown_task_in_depends_on() {
    let source = edit(
        MINIMAL,
        "depends_on: [\"prepare\"]",
        "depends_on: [\"prepar\"]",
    );
    let d = check(&source, &[("unknown-task", at(&source, "\"prepar\""))]);
    assert_eq!(hint(&d, "unknown-task"), "did you mean `prepare`?");
}

#[test]
fn unknown_machine() {
    let source = edit(MINIMAL, "machine: \"simple\"", "machine: \"simpel\"");
    let d = check(&source, &[("unknown-machine", at(&source, "\"simpel\""))]);
    assert_eq!(hint(&d, "unknown-machine"), "did you mean `simple`?");
}

#[test]
fn unknown_policy() {
    let source = edit(MINIMAL, "policy: \"standard\"", "policy: \"standart\"");
    let d = check(&source, &[("unknown-policy", at(&source, "\"standart\""))]);
    assert_eq!(hint(&d, "unknown-policy"), "did you mean `standard`?");
}

#[test]
fn unknown_state_in_a_transition() {
    let source = edit(MINIMAL, "to: \"done\"", "to: \"don\"");
    // One typo, one error: the states it cuts off are not also reported unreachable.
    let d = check(&source, &[("unknown-state", at(&source, "\"don\""))]);
    assert_eq!(hint(&d, "unknown-state"), "did you mean `done`?");
}

#[test]
fn unknown_state_is_located_in_its_own_transition() {
    // Both transitions name the missing `sent`; each error points into its own line.
    let source = edit(MINIMAL, "(id: \"sent\", submitted: true),\n", "");
    check(
        &source,
        &[
            ("unknown-state", at(&source, "\"sent\", by")),
            ("unknown-state", at(&source, "\"sent\"], to")),
        ],
    );
}

#[test]
fn unknown_state_in_a_policy_anchor() {
    // `standard` chases `Entered("assigned")`, a state of `default` but not of `simple`.
    let source = edit(
        MINIMAL,
        "machine: \"simple\"",
        "machine: \"simple\", policy: \"standard\"",
    );
    let d = check(&source, &[("unknown-state", at(&source, "\"assigned\""))]);
    assert!(message(&d, "unknown-state").contains("machine `simple` of task `review`"));
    // A second task with the same machine and policy does not repeat the error.
    let source = edit(
        &source,
        "lead: [\"district\"], due",
        "lead: [\"district\"], machine: \"simple\", policy: \"standard\", due",
    );
    check(&source, &[("unknown-state", at(&source, "\"assigned\""))]);
}

#[test]
fn unknown_agency_in_a_policy_target() {
    let source = edit(MINIMAL, "target: Parent", "target: Agency(\"distrct\")");
    let d = check(&source, &[("unknown-agency", at(&source, "\"distrct\""))]);
    assert_eq!(hint(&d, "unknown-agency"), "did you mean `district`?");
}

#[test]
fn unknown_agency_in_a_transition_role() {
    let source = edit(MINIMAL, "by: [Supervisor]", "by: [Agency(\"polce\")]");
    let d = check(&source, &[("unknown-agency", at(&source, "\"polce\""))]);
    assert_eq!(hint(&d, "unknown-agency"), "did you mean `police`?");
}

#[test]
fn dependency_cycle() {
    // prepare → review → apply → prepare.
    let source = edit(
        MINIMAL,
        "lead: [\"health\"], due",
        "lead: [\"health\"], depends_on: [\"review\"], due",
    );
    let d = check(
        &source,
        &[("dependency-cycle", at(&source, "\"prepare\", title"))],
    );
    assert_eq!(
        message(&d, "dependency-cycle"),
        "tasks depend on each other in a cycle: `prepare` → `review` → `apply` → `prepare`"
    );
}

#[test]
fn self_dependency() {
    let source = edit(
        MINIMAL,
        "lead: [\"health\"], due",
        "lead: [\"health\"], depends_on: [\"prepare\"], due",
    );
    let d = check(
        &source,
        &[("dependency-cycle", at(&source, "\"prepare\", title"))],
    );
    assert!(message(&d, "dependency-cycle").ends_with("`prepare` → `prepare`"));
}

#[test]
fn agency_parent_cycle() {
    let source = edit(
        MINIMAL,
        "(id: \"district\", name: \"District\")",
        "(id: \"district\", name: \"District\", parent: \"health\")",
    );
    let d = check(
        &source,
        &[("agency-cycle", at(&source, "\"district\", name"))],
    );
    assert!(message(&d, "agency-cycle").ends_with("`district` → `health` → `district`"));
}

#[test]
fn unreachable_state() {
    let source = edit(
        MINIMAL,
        "(id: \"done\", kind: Done),",
        "(id: \"done\", kind: Done),\n                (id: \"limbo\"),",
    );
    check(&source, &[("unreachable-state", at(&source, "\"limbo\""))]);
}

#[test]
fn no_reachable_done_state() {
    // `approve` loops back instead of finishing: `done` is cut off.
    let source = edit(
        MINIMAL,
        "from: [\"sent\"], to: \"done\"",
        "from: [\"sent\"], to: \"open\"",
    );
    check(
        &source,
        &[
            ("no-terminal-state", at(&source, "\"simple\",")),
            ("unreachable-state", at(&source, "\"done\"")),
        ],
    );
    // A machine with no `Done` state at all.
    let source = edit(
        MINIMAL,
        "(id: \"done\", kind: Done)",
        "(id: \"done\", kind: Cancelled)",
    );
    check(
        &source,
        &[("no-terminal-state", at(&source, "\"simple\","))],
    );
}

#[test]
fn two_initial_states() {
    let source = edit(
        MINIMAL,
        "(id: \"sent\", submitted: true)",
        "(id: \"sent\", kind: Initial, submitted: true)",
    );
    let d = check(&source, &[("initial-state", at(&source, "\"simple\","))]);
    assert!(message(&d, "initial-state").contains("has 2 initial states"));
}

#[test]
fn no_initial_state() {
    let source = edit(MINIMAL, "(id: \"open\", kind: Initial)", "(id: \"open\")");
    let d = check(&source, &[("initial-state", at(&source, "\"simple\","))]);
    assert!(message(&d, "initial-state").contains("has 0 initial states"));
}

#[test]
fn transition_from_a_terminal_state() {
    let source = edit(
        MINIMAL,
        "by: [Supervisor]),",
        "by: [Supervisor]),\n                (on: \"reopen\", from: [\"done\"], to: \"open\", by: [Supervisor]),",
    );
    check(
        &source,
        &[("transition-from-terminal", at(&source, "\"reopen\""))],
    );
}

#[test]
fn timed_transition_without_system() {
    let source = edit(
        MINIMAL,
        "by: [Supervisor]",
        "by: [Supervisor], after: \"1d\"",
    );
    check(&source, &[("timed-transition", at(&source, "\"approve\""))]);
}

#[test]
fn escalation_levels_out_of_order() {
    let source = edit(MINIMAL, "(after: \"1d\"", "(after: \"-1d\"");
    let d = check(&source, &[("escalation-order", at(&source, "\"-1d\""))]);
    assert!(message(&d, "escalation-order").starts_with("level 3 of policy `standard`"));
}

#[test]
fn invalid_time() {
    let source = edit(MINIMAL, "\"2021-05-07 08:00\"", "\"2021-05-07 25:00\"");
    check(
        &source,
        &[("invalid-time", at(&source, "\"2021-05-07 25:00\""))],
    );
    let source = edit(
        MINIMAL,
        "until: \"2021-05-21 17:00\"",
        "until: \"21/05/2021\"",
    );
    check(&source, &[("invalid-time", at(&source, "\"21/05/2021\""))]);
}

#[test]
fn invalid_date() {
    let source = edit(MINIMAL, "\"2021-05-03\"", "\"2021-02-30\"");
    check(&source, &[("invalid-date", at(&source, "\"2021-02-30\""))]);
    let source = edit(
        SEED,
        "issued_on: \"2021-05-05\"",
        "issued_on: \"2021-05-35\"",
    );
    check(&source, &[("invalid-date", at(&source, "\"2021-05-35\""))]);
}

#[test]
fn invalid_duration() {
    let source = edit(MINIMAL, "After(\"3d\")", "After(\"soon\")");
    check(&source, &[("invalid-duration", at(&source, "\"soon\""))]);
    let source = edit(MINIMAL, "(after: \"2h\"", "(after: \"2 hours later\"");
    check(
        &source,
        &[("invalid-duration", at(&source, "\"2 hours later\""))],
    );
}

#[test]
fn invalid_utc_offset() {
    let source = edit(MINIMAL, "\"+07:00\"", "\"+7\"");
    let d = check(&source, &[("invalid-offset", at(&source, "\"+7\""))]);
    assert_eq!(hint(&d, "invalid-offset"), "Vietnam is `+07:00`");
}

#[test]
fn invalid_clock_time() {
    let source = edit(MINIMAL, "at: \"16:00\"", "at: \"4pm\"");
    check(&source, &[("invalid-clock-time", at(&source, "\"4pm\""))]);
    let source = edit(MINIMAL, "day_end: \"17:00\"", "day_end: \"17h\"");
    check(&source, &[("invalid-clock-time", at(&source, "\"17h\""))]);
}

#[test]
fn recurring_zero_interval() {
    let source = edit(MINIMAL, "every: \"1d\"", "every: \"0h\"");
    check(&source, &[("zero-interval", at(&source, "\"0h\", at"))]);
}

#[test]
fn repeat_zero_interval() {
    // Level 1 is also `"0h"`; the error points at the repeat of level 3.
    let source = edit(MINIMAL, "repeat: \"1d\"", "repeat: \"0h\"");
    check(&source, &[("zero-interval", at_nth(&source, "\"0h\"", 1))]);
}

#[test]
fn short_interval() {
    // Under a minute warns; a minute does not (MINIMAL itself has none).
    let source = edit(MINIMAL, "repeat: \"1d\"", "repeat: \"30s\"");
    check_warnings(&source, &[("short-interval", at(&source, "\"30s\""))]);
    let source = edit(MINIMAL, "every: \"1d\"", "every: \"59s\"");
    check_warnings(&source, &[("short-interval", at(&source, "\"59s\""))]);
    check_warnings(&edit(MINIMAL, "every: \"1d\"", "every: \"1m\""), &[]);
}

#[test]
fn lead_with_for_each() {
    let source = edit(
        MINIMAL,
        "for_each: \"communes\"",
        "lead: [\"police\"], for_each: \"communes\"",
    );
    check(
        &source,
        &[("lead-with-for-each", at(&source, "\"police\"], for_each"))],
    );
}

#[test]
fn missing_lead() {
    let source = edit(MINIMAL, "lead: [\"police\"], ", "");
    let d = check(&source, &[("missing-lead", at(&source, "\"review\""))]);
    assert!(hint(&d, "missing-lead").contains("for_each"));
}

#[test]
fn group_as_lead() {
    let source = edit(MINIMAL, "lead: [\"police\"]", "lead: [\"communes\"]");
    let d = check(
        &source,
        &[("unknown-agency", at(&source, "\"communes\"], depends_on"))],
    );
    assert_eq!(
        hint(&d, "unknown-agency"),
        "write `for_each: \"communes\"` to give each member its own instance"
    );
}

#[test]
fn weekend_of_seven_days() {
    let source = edit(MINIMAL, "[Sat, Sun]", "[Mon, Tue, Wed, Thu, Fri, Sat, Sun]");
    check(&source, &[("no-working-days", at(&source, "weekend"))]);
}

#[test]
fn two_unrelated_mistakes_are_both_reported() {
    let source = edit(MINIMAL, "lead: [\"health\"]", "lead: [\"heath\"]");
    let source = edit(&source, "\"+07:00\"", "\"+7\"");
    check(
        &source,
        &[
            ("invalid-offset", at(&source, "\"+7\"")),
            ("unknown-agency", at(&source, "\"heath\"")),
        ],
    );
}

#[test]
fn two_unrelated_mistakes_in_the_seed() {
    let source = edit(SEED, "utc_offset: \"+07:00\"", "utc_offset: \"+7\"");
    let source = source.replacen("lead: [\"health\"]", "lead: [\"heath\"]", 1);
    check(
        &source,
        &[
            ("invalid-offset", at(&source, "\"+7\"")),
            ("unknown-agency", at(&source, "\"heath\"")),
        ],
    );
}

#[test]
fn duplicate_document_number_in_the_seed() {
    let source = edit(SEED, "number: \"135-TB/TU\"", "number: \"05/CĐ-UBND\"");
    check(
        &source,
        &[(
            "duplicate-id",
            at(&source, "\"05/CĐ-UBND\",\n            kind: \"Thông báo"),
        )],
    );
}

// ----------------------------------------------------------------------------- warnings

#[test]
fn starts_before_issue() {
    let source = edit(
        MINIMAL,
        "lead: [\"health\"], due",
        "lead: [\"health\"], start: At(\"2021-05-06 12:00\"), due",
    );
    check_warnings(
        &source,
        &[("starts-before-issue", at(&source, "\"2021-05-06 12:00\""))],
    );
}

#[test]
fn due_before_dependency() {
    let source = edit(MINIMAL, "days: 9", "days: 1");
    let d = check_warnings(
        &source,
        &[("due-before-dependency", at(&source, "\"apply\"]"))],
    );
    assert!(message(&d, "due-before-dependency").contains("dependency `apply`"));
}

#[test]
fn due_before_start() {
    let source = edit(MINIMAL, "WorkingDays(2)", "At(\"2021-05-06 17:00\")");
    check_warnings(
        &source,
        &[("due-before-start", at(&source, "\"2021-05-06 17:00\""))],
    );
}

#[test]
fn empty_group() {
    let source = edit(
        MINIMAL,
        "\"apply\", title: \"Apply\", for_each: \"communes\"",
        "\"apply\", title: \"Apply\", lead: [\"police\"]",
    );
    let source = edit(&source, "[\"commune_a\", \"commune_b\"]", "[]");
    check_warnings(
        &source,
        &[("empty-group", at(&source, "\"communes\", name"))],
    );
}

#[test]
fn warnings_do_not_hide_errors() {
    let source = edit(
        MINIMAL,
        "lead: [\"health\"], due",
        "lead: [\"health\"], start: At(\"2021-05-06 12:00\"), due",
    );
    let source = edit(&source, "policy: \"standard\"", "policy: \"standart\"");
    let d = check(&source, &[("unknown-policy", at(&source, "\"standart\""))]);
    assert_located(
        &d,
        Severity::Warning,
        &[("starts-before-issue", at(&source, "\"2021-05-06 12:00\""))],
    );
}

#[test]
fn the_seed_has_one_deliberate_warning() {
    check_warnings(
        SEED,
        &[("starts-before-issue", at(SEED, "\"2021-05-06 12:00\""))],
    );
}

// ---------------------------------------------------------------------------- scenarios

#[test]
fn scenario_unknown_actor() {
    let source = edit(SCENARIO, "actor: \"police\"", "actor: \"polise\"");
    let d = check_scenario(
        MINIMAL,
        &source,
        &[("unknown-agency", at(&source, "\"polise\""))],
    );
    assert!(hint(&d, "unknown-agency").contains("did you mean `police`?"));
}

#[test]
fn scenario_unknown_actor_in_the_seed() {
    let source = SEED_SCENARIO.replacen("actor: \"health\"", "actor: \"heath\"", 1);
    let d = check_scenario(
        SEED,
        &source,
        &[("unknown-agency", at(&source, "\"heath\""))],
    );
    assert!(hint(&d, "unknown-agency").contains("did you mean `health`?"));
}

#[test]
fn scenario_unknown_task() {
    let source = edit(SCENARIO, "task: \"review\"", "task: \"reveiw\"");
    let d = check_scenario(
        MINIMAL,
        &source,
        &[("unknown-task", at(&source, "\"reveiw\""))],
    );
    assert!(hint(&d, "unknown-task").contains("did you mean `review`?"));
}

#[test]
fn scenario_for_each_task_by_a_non_member() {
    // `apply` fans out over the communes; `police` must name an instance.
    let source = edit(SCENARIO, "actor: \"commune_a\"", "actor: \"police\"");
    let d = check_scenario(
        MINIMAL,
        &source,
        &[("unknown-task", at(&source, "\"apply\""))],
    );
    assert!(hint(&d, "unknown-task").contains("`apply[member]`"));
}

#[test]
fn scenario_unknown_action() {
    let source = edit(SCENARIO, "action: \"send\"", "action: \"sned\"");
    let d = check_scenario(
        MINIMAL,
        &source,
        &[("unknown-action", at(&source, "\"sned\""))],
    );
    assert!(hint(&d, "unknown-action").contains("did you mean `send`?"));
}

#[test]
fn scenario_event_before_start() {
    let source = edit(SCENARIO, "\"2021-05-07 09:00\"", "\"2021-05-07 07:00\"");
    check_scenario(
        MINIMAL,
        &source,
        &[("event-before-start", at(&source, "\"2021-05-07 07:00\""))],
    );
}

#[test]
fn scenario_ends_before_it_starts() {
    let source = edit(
        SCENARIO,
        "until: \"2021-05-21 17:00\"",
        "until: \"2021-05-01 17:00\"",
    );
    check_scenario(
        MINIMAL,
        &source,
        &[("event-before-start", at(&source, "\"2021-05-01 17:00\""))],
    );
}

#[test]
fn scenario_event_after_end() {
    let source = edit(SCENARIO, "\"2021-05-08 10:00\"", "\"2021-05-22 10:00\"");
    check_scenario(
        MINIMAL,
        &source,
        &[("event-after-end", at(&source, "\"2021-05-22 10:00\""))],
    );
}

#[test]
fn scenario_starts_before_the_issue() {
    let source = edit(
        SCENARIO,
        "until: \"2021-05-21 17:00\"",
        "start: \"2021-05-06 08:00\", until: \"2021-05-21 17:00\"",
    );
    let d = check_scenario(
        MINIMAL,
        &source,
        &[("starts-before-issue", at(&source, "\"2021-05-06 08:00\""))],
    );
    assert!(hint(&d, "starts-before-issue").contains("start: \"2021-05-07T08:00:00+07:00\""));
}

#[test]
fn scenario_invalid_time() {
    let source = edit(SCENARIO, "\"2021-05-08 10:00\"", "\"2021-05-08 10h\"");
    check_scenario(
        MINIMAL,
        &source,
        &[("invalid-time", at(&source, "\"2021-05-08 10h\""))],
    );
}

#[test]
fn scenario_syntax_and_format() {
    let source = edit(
        SCENARIO,
        "name: \"minimal\",",
        "name: \"minimal\",\n    nmae: \"x\",",
    );
    check_scenario(MINIMAL, &source, &[("syntax", at(&source, "nmae"))]);
    let source = edit(SCENARIO, "format: 1", "format: 3");
    check_scenario(
        MINIMAL,
        &source,
        &[("unsupported-format", at(&source, "format"))],
    );
    check_scenario(MINIMAL, "", &[("syntax", (1, 1))]);
}

#[test]
fn scenario_mistakes_are_all_reported() {
    let source = edit(SCENARIO, "actor: \"police\"", "actor: \"polise\"");
    let source = edit(
        &source,
        "action: \"acknowledge\"),\n        (at: \"2021-05-07 10:00\"",
        "action: \"acknowledg\"),\n        (at: \"2021-05-07 10:00\"",
    );
    check_scenario(
        MINIMAL,
        &source,
        &[
            ("unknown-action", at(&source, "\"acknowledg\"")),
            ("unknown-agency", at(&source, "\"polise\"")),
        ],
    );
}

#[test]
fn scenario_without_events_warns() {
    let source = edit(SCENARIO, "events: [", "events: [],\n    ignored: [");
    check_scenario(MINIMAL, &source, &[("syntax", at(&source, "ignored"))]);
    let start = SCENARIO.find("    events").unwrap();
    let source = format!("{}events: [],\n)", &SCENARIO[..start + 4]);
    let workflow = load(MINIMAL).unwrap().workflow;
    let (_, warnings) = Scenario::load(&source, &workflow).unwrap();
    assert_located(
        &warnings,
        Severity::Warning,
        &[("empty-scenario", at(&source, "events"))],
    );
}

// ---------------------------------------------------------------------------- snapshots

#[test]
fn snapshot_two_mistakes() {
    let source = edit(MINIMAL, "lead: [\"health\"]", "lead: [\"heath\"]");
    let source = edit(&source, "\"+07:00\"", "\"+7\"");
    insta::assert_snapshot!(render(&diagnostics_of(&source)));
}

#[test]
fn snapshot_broken_machine() {
    // Two initial states, a dangling target, a transition out of `done`, an untimed
    // `after`, and an unknown agency role.
    let machine = r#"(
            id: "simple",
            states: [
                (id: "open", kind: Initial),
                (id: "draft", kind: Initial),
                (id: "sent", submitted: true),
                (id: "done", kind: Done),
            ],
            transitions: [
                (on: "send", from: ["open", "draft"], to: "snet", by: [Lead], reports: true),
                (on: "approve", from: ["sent"], to: "done", by: [Agency("polce")], after: "1d"),
                (on: "reopen", from: ["done"], to: "open", by: [Supervisor]),
            ],
        ),"#;
    let start = MINIMAL.find("(\n            id: \"simple\"").unwrap();
    let end = MINIMAL.find("    ],\n    policies").unwrap();
    let source = format!("{}{machine}\n{}", &MINIMAL[..start], &MINIMAL[end..]);
    insta::assert_snapshot!(render(&diagnostics_of(&source)));
}

#[test]
fn snapshot_broken_seed() {
    let source = edit(SEED, "utc_offset: \"+07:00\"", "utc_offset: \"UTC+7\"");
    let source = edit(&source, "\"2021-09-03\"", "\"2021-09-31\"");
    let source = source.replacen("policy: \"standard\"", "policy: \"standart\"", 1);
    let source = edit(
        &source,
        "depends_on: [\"health_readiness\"]",
        "depends_on: [\"health_readines\"]",
    );
    let source = edit(
        &source,
        "(after: \"1d\", action: Warn",
        "(after: \"-1d\", action: Warn",
    );
    insta::assert_snapshot!(render(&diagnostics_of(&source)));
}

#[test]
fn snapshot_syntax_errors() {
    let truncated = &MINIMAL[..MINIMAL.find("    agencies").unwrap()];
    let cases = [
        ("empty", String::new()),
        ("truncated", truncated.to_owned()),
        ("binary", "\u{0}\u{1}\u{2}PNG\r\n\u{1a}\n".to_owned()),
        (
            "unknown field",
            edit(
                MINIMAL,
                "subject: \"Test\",",
                "subject: \"Test\", subjekt: \"x\",",
            ),
        ),
        (
            "wrong variant",
            edit(MINIMAL, "[Sat, Sun]", "[Sat, Sunday]"),
        ),
        (
            "missing field",
            edit(MINIMAL, "        subject: \"Test\",\n", ""),
        ),
    ];
    let text = cases
        .iter()
        .map(|(name, source)| format!("{name}: {}", render(&diagnostics_of(source))))
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!(text);
}

// ------------------------------------------------- out of range (issue "Robustness", item 5)
// A due rule or an effort whose result lies past the representable range (years 0 to 9999
// in every UTC offset) is a located error: before, it validated with no warning, the task
// had no planned due time and could never be overdue, and such an effort counted as zero.

#[test]
fn a_due_rule_past_the_range_is_an_error() {
    // Located at the rule, or at its text when it has one.
    for (rule, marker) in [
        ("Days(3000000)", "due: Days"),
        ("WorkingDays(4294967295)", "due: WorkingDays"),
        ("After(\"3000000d\")", "\"3000000d\""),
        (
            "ClockTime(at: \"16:00\", days: 3000000)",
            "due: ClockTime(at: \"16:00\", days: 3000000)",
        ),
    ] {
        let source = edit(MINIMAL, "WorkingDays(2)", rule);
        let d = check(&source, &[("out-of-range", at(&source, marker))]);
        assert!(
            message(&d, "out-of-range").contains("task `prepare`"),
            "{rule}"
        );
        assert!(hint(&d, "out-of-range").contains("At("), "{rule}");
    }
    // A monthly series whose first period is due in time, but whose last (cut-off
    // 9999-12-14, due 20 days later) falls due past the range.
    let source = edit(
        MINIMAL,
        "Every(every: \"1d\", at: \"15:00\", until: \"2021-05-21 17:00\")",
        "Periodic(period: Monthly, cutoff_day: 14, submit_within: Days(20), until: \"9999-12-31\")",
    );
    check(&source, &[("out-of-range", at(&source, "due: Periodic("))]);
}

#[test]
fn a_due_time_past_the_range_from_a_late_start_is_an_error() {
    // Issued three days before the end of the range: two working days after it is past.
    let source = edit(MINIMAL, "\"2021-05-07 08:00\"", "\"9999-12-28 08:00\"");
    let source = edit(
        &source,
        "until: \"2021-05-21 17:00\"",
        "until: \"9999-12-29 17:00\"",
    );
    let d = diagnostics_of(&source);
    assert!(load(&source).is_err());
    let errors: Vec<_> = d
        .iter()
        .filter(|d| d.code.as_str() == "out-of-range")
        .collect();
    assert!(!errors.is_empty(), "{}", render(&d));
    assert!(
        errors.iter().all(|d| d.location.is_some()),
        "{}",
        render(&d)
    );
}

#[test]
fn an_effort_past_the_range_is_an_error() {
    let source = edit(
        MINIMAL,
        "due: WorkingDays(2), policy",
        "due: WorkingDays(2), expected: WorkingDays(4294967295), minimum: Elapsed(\"3000000d\"), policy",
    );
    let d = check(
        &source,
        &[
            (
                "out-of-range",
                at(&source, "expected: WorkingDays(4294967295)"),
            ),
            ("out-of-range", at(&source, "\"3000000d\"")),
        ],
    );
    assert!(render(&d).contains("expected effort of task `prepare`"));
}

// ------------------------------------------------------------- robustness: text handling
// Unicode normalisation of ids, byte-order marks, early ends and unclosed brackets, and the
// cap on echoed input.

/// One megabyte of name: what a message quotes of it must stay small.
const HUGE: usize = 1_000_000;

/// Every diagnostic's message and hint together stay under `bound` bytes.
#[track_caller]
fn assert_small(diagnostics: &[Diagnostic], bound: usize) {
    assert!(!diagnostics.is_empty());
    for d in diagnostics {
        let size = d.message.len() + d.hint.as_ref().map_or(0, String::len);
        assert!(
            size < bound,
            "a diagnostic of {size} bytes: {}",
            &d.to_string()[..200]
        );
    }
}

#[test]
fn a_huge_name_is_quoted_short_in_workflow_diagnostics() {
    use directrix_core::{Limits, LoadOptions, check_with};
    let mut limits = Limits::default();
    limits.string_bytes = 2 * HUGE as u64;
    limits.input_bytes = 4 * HUGE as u64;
    let options = LoadOptions::default().with_limits(limits);
    let huge = "h".repeat(HUGE);
    // An unknown reference, a duplicate id and an unknown field name, each a megabyte long.
    let source = edit(
        MINIMAL,
        "lead: [\"health\"]",
        &format!("lead: [\"{huge}\"]"),
    );
    let d = check_with(&source, &options);
    assert_eq!(d[0].code.as_str(), "unknown-agency");
    assert!(
        d[0].message.contains(&format!("({HUGE} bytes)")),
        "{}",
        &d[0].message[..100]
    );
    assert_small(&d, 300);
    let source = edit(
        MINIMAL,
        "(id: \"police\", name: \"Police\", parent: \"district\"),",
        &format!("(id: \"{huge}\", name: \"P\"), (id: \"{huge}\", name: \"Q\"),"),
    );
    assert_small(&check_with(&source, &options), 300);
    let source = edit(
        MINIMAL,
        "subject: \"Test\",",
        &format!("subject: \"Test\", {huge}: 1,"),
    );
    assert_small(&check_with(&source, &options), 1200);
}

#[test]
fn a_huge_name_is_quoted_short_in_scenario_and_engine_errors() {
    let huge = "h".repeat(HUGE);
    let source = edit(SCENARIO, "actor: \"police\"", &format!("actor: \"{huge}\""));
    let workflow = load(MINIMAL).unwrap().workflow;
    let error = Scenario::load(&source, &workflow).unwrap_err();
    assert_small(&error.diagnostics, 300);
    let error = workflow
        .resolve_act(&huge, "prepare", "acknowledge")
        .unwrap_err();
    assert!(error.to_string().len() < 300);
    let error = workflow
        .resolve_act("health", &huge, "acknowledge")
        .unwrap_err();
    assert!(error.to_string().len() < 300);
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let source = format!("\u{feff}{MINIMAL}");
    check_warnings(&source, &[]);
    // Positions still count from the first character after the mark.
    let source = "\u{feff}(format: 1, bogus: 1)";
    check(source, &[("syntax", at(source, "bogus"))]);
}

#[test]
fn a_file_of_comments_says_so() {
    let d = check("// a workflow\n/* to come */\n", &[("syntax", (2, 14))]);
    assert!(message(&d, "syntax").contains("only comments"), "{d:?}");
    assert!(hint(&d, "syntax").contains("(format: 1,"), "{d:?}");
    assert!(!d[0].to_string().contains("Spec"), "{}", d[0]);
}

#[test]
fn ron_messages_do_not_name_internal_types() {
    let source = edit(
        MINIMAL,
        "subject: \"Test\",",
        "subject: \"Test\", subjekt: 1,",
    );
    let d = check(&source, &[("syntax", at(&source, "subjekt"))]);
    assert!(!message(&d, "syntax").contains("Spec"), "{d:?}");
    assert!(message(&d, "syntax").contains("the directive"), "{d:?}");
}

#[test]
fn an_unclosed_bracket_is_named_where_it_opens() {
    let source = edit(
        MINIMAL,
        "(id: \"health\", name: \"Health\", parent: \"district\"),",
        "(id: \"health\", name: \"Health\", parent: \"district\",",
    );
    let opened = at(&source, "(id: \"health\"");
    let d = check(&source, &[("syntax", at(&source, "(id: \"police\""))]);
    let text = format!("the `(` opened at {}:{} is not closed", opened.0, opened.1);
    assert!(message(&d, "syntax").contains(&text), "{d:?}");
    assert!(hint(&d, "syntax").contains("add `)`"), "{d:?}");
    // A `]` for a `(`.
    let source = edit(
        MINIMAL,
        "members: [\"commune_a\", \"commune_b\"]),",
        "members: [\"commune_a\", \"commune_b\"),",
    );
    let opened = at(&source, "[\"commune_a\"");
    let d = diagnostics_of(&source);
    let text = format!("the `[` opened at {}:{} is not closed", opened.0, opened.1);
    assert!(d[0].message.contains(&text), "{d:?}");
}

#[test]
fn every_cut_of_a_file_says_it_ends_early() {
    // Cut at every character: whatever RON stumbles on, the message says the file ends early
    // (and, when a bracket, string or comment is open, where it opened).
    let source = format!("{MINIMAL}\n/* a closing comment */");
    let end = source.find(")\n/*").unwrap();
    for (cut, _) in source[..end].char_indices().skip(1) {
        let d = diagnostics_of(&source[..cut]);
        assert_eq!(d.len(), 1, "cut at {cut}: {d:?}");
        assert!(
            d[0].message.contains("the file ends early"),
            "cut at {cut} ({:?}): {}",
            &source[cut.saturating_sub(10)..cut],
            d[0]
        );
    }
    let cut = source.find("/* a closing").unwrap() + 4;
    let d = diagnostics_of(&source[..cut]);
    assert!(
        d[0].message.contains("inside the comment that opens at"),
        "{}",
        d[0]
    );
    let cut = source.find("Test\"").unwrap() + 2;
    let d = diagnostics_of(&source[..cut]);
    assert!(
        d[0].message
            .contains("inside the string that opens at 8:18"),
        "{}",
        d[0]
    );
}

#[test]
fn a_negative_count_says_it_must_be_zero_or_more() {
    let source = edit(MINIMAL, "WorkingDays(2)", "WorkingDays(-2)");
    let d = diagnostics_of(&source);
    assert_eq!(d[0].code.as_str(), "syntax");
    assert!(d[0].message.contains("`-2`"), "{}", d[0]);
    assert!(hint(&d, "syntax").contains("0 or more"), "{}", d[0]);
    let source = edit(MINIMAL, "WorkingDays(2)", "WorkingDays(99999999999)");
    let d = diagnostics_of(&source);
    assert!(d[0].message.contains("`99999999999`"), "{}", d[0]);
    assert!(hint(&d, "syntax").contains("4294967295"), "{}", d[0]);
}

/// `công_an` composed (NFC) and decomposed (NFD): the same id, looking the same.
const CONG_AN_NFC: &str = "c\u{f4}ng_an";
const CONG_AN_NFD: &str = "co\u{302}ng_an";

#[test]
fn ids_equal_after_normalisation_are_one_id() {
    // Two agencies whose ids differ only in normal form are a duplicate.
    let source = edit(
        MINIMAL,
        "(id: \"police\", name: \"Police\", parent: \"district\"),",
        &format!(
            "(id: \"{CONG_AN_NFC}\", name: \"A\"),\n        (id: \"{CONG_AN_NFD}\", name: \"B\"),"
        ),
    );
    let d = check(
        &edit(
            &source,
            "lead: [\"police\"]",
            &format!("lead: [\"{CONG_AN_NFC}\"]"),
        ),
        &[("duplicate-id", at(&source, &format!("\"{CONG_AN_NFD}\"")))],
    );
    assert!(message(&d, "duplicate-id").contains("công_an"), "{d:?}");
    // An NFD reference finds the NFC id (no "did you mean" naming a look-alike), in a
    // workflow and in a scenario, and display names keep the bytes written.
    let name = "Co\u{302}ng an"; // NFD display name
    let source = edit(
        MINIMAL,
        "(id: \"police\", name: \"Police\", parent: \"district\"),",
        &format!("(id: \"{CONG_AN_NFC}\", name: \"{name}\", parent: \"district\"),"),
    );
    let source = edit(
        &source,
        "lead: [\"police\"]",
        &format!("lead: [\"{CONG_AN_NFD}\"]"),
    );
    check_warnings(&source, &[]);
    let workflow = load(&source).unwrap().workflow;
    assert!(workflow.agencies().iter().any(|a| a.name == name));
    let scenario = edit(
        SCENARIO,
        "actor: \"police\"",
        &format!("actor: \"{CONG_AN_NFD}\""),
    );
    check_scenario(&source, &scenario, &[]);
    // A reference to a missing id written in NFD is located where it is written.
    let source = edit(
        MINIMAL,
        "lead: [\"police\"]",
        &format!("lead: [\"{CONG_AN_NFD}\"]"),
    );
    let d = check(
        &source,
        &[("unknown-agency", at(&source, &format!("\"{CONG_AN_NFD}\"")))],
    );
    assert!(
        d.iter().all(|d| !d.to_string().contains("did you mean")),
        "{d:?}"
    );
}

/// The source text a diagnostic's span covers.
fn spanned<'s>(source: &'s str, d: &Diagnostic) -> &'s str {
    d.span.clone().map_or("", |span| &source[span])
}

#[test]
fn item_spans_cover_the_id_not_the_next_item() {
    let cases = [
        (
            edit(
                MINIMAL,
                "(id: \"police\", name: \"Police\", parent: \"district\"),",
                "(id: \"police\", name: \"Police\"), (id: \"police\", name: \"P2\"),",
            ),
            "duplicate-id",
            "\"police\"",
        ),
        (
            edit(
                MINIMAL,
                "(id: \"prepare\", title: \"Prepare\", lead: [\"health\"],",
                "(id: \"prepare\", title: \"Prepare\", lead: [\"health\"], depends_on: [\"review\"],",
            ),
            "dependency-cycle",
            "\"prepare\"",
        ),
        (
            edit(MINIMAL, "(id: \"done\", kind: Done),", "(id: \"done\"),"),
            "no-terminal-state",
            "\"simple\"",
        ),
        (
            edit(MINIMAL, "(id: \"open\", kind: Initial),", "(id: \"open\"),"),
            "initial-state",
            "\"simple\"",
        ),
        (
            edit(
                MINIMAL,
                "(id: \"review\", title: \"Review\", lead: [\"police\"],",
                "(id: \"review\", title: \"Review\",",
            ),
            "missing-lead",
            "\"review\"",
        ),
        (
            edit(
                MINIMAL,
                "(id: \"district\", name: \"District\"),",
                "(id: \"district\", name: \"District\", parent: \"health\"),",
            ),
            "agency-cycle",
            "\"district\"",
        ),
    ];
    for (source, code, text) in cases {
        let d = diagnostics_of(&source);
        let found = d
            .iter()
            .find(|d| d.code.as_str() == code)
            .unwrap_or_else(|| panic!("no {code}: {d:?}"));
        assert_eq!(spanned(&source, found), text, "{code}");
    }
}

#[test]
fn counts_agree_with_their_nouns() {
    let one = edit(MINIMAL, "lead: [\"health\"]", "lead: [\"heath\"]");
    let two = edit(&one, "lead: [\"police\"]", "lead: [\"polise\"]");
    let three = edit(&two, "lead: [\"district\"]", "lead: [\"distrikt\"]");
    assert!(!load(&one).unwrap_err().to_string().contains("more error"));
    assert!(
        load(&two)
            .unwrap_err()
            .to_string()
            .ends_with("(and 1 more error)"),
        "{}",
        load(&two).unwrap_err()
    );
    assert!(
        load(&three)
            .unwrap_err()
            .to_string()
            .ends_with("(and 2 more errors)")
    );
}

#[test]
fn a_follow_up_names_ids_in_either_normal_form() {
    // The workflow's agency `công_an` is written composed; the follow-up writes it, and a
    // task id, decomposed.
    let source = edit(
        MINIMAL,
        "(id: \"police\", name: \"Police\", parent: \"district\"),",
        &format!("(id: \"{CONG_AN_NFC}\", name: \"Công an\", parent: \"district\"),"),
    );
    let source = edit(
        &source,
        "lead: [\"police\"]",
        &format!("lead: [\"{CONG_AN_NFC}\"]"),
    );
    let source = edit(&source, "(id: \"review\",", "(id: \"ki\u{1ec3}m_tra\",");
    let workflow = load(&source).unwrap().workflow;
    let kiem_tra_nfd = "kie\u{302}\u{309}m_tra";
    let follow_up = format!(
        r#"(
    format: 1,
    number: "2-CV",
    kind: "Công văn",
    issuer: "district",
    issued_at: "2021-05-08 08:00",
    further_to: "1-CV",
    subject: "Follow-up",
    add_tasks: [(id: "extra", title: "Extra", lead: ["{CONG_AN_NFD}"], due: WorkingDays(1))],
    cancel: [(task: "{kiem_tra_nfd}")],
)"#
    );
    let amended = workflow.amend(&follow_up);
    assert!(
        amended.is_ok(),
        "{:?}",
        amended.err().map(|e| e.to_string())
    );
}

#[test]
fn a_calendar_is_named_in_either_normal_form() {
    use directrix_core::{LoadOptions, load_with};
    let source = edit(
        MINIMAL,
        "utc_offset: \"+07:00\",",
        "use: [\"vi\u{1ec7}t_nam\"], utc_offset: \"+07:00\",",
    );
    let options =
        LoadOptions::default().with_calendar("vie\u{323}\u{302}t_nam", r#"(format: 1, years: [])"#);
    assert!(load_with(&source, &options).is_ok());
}

#[test]
fn a_mistake_before_an_unbalanced_bracket_keeps_its_own_message() {
    let source = edit(MINIMAL, "subject: \"Test\",", "subjekt: \"Test\",");
    let source = edit(
        &source,
        "members: [\"commune_a\", \"commune_b\"]),",
        "members: [\"commune_a\", \"commune_b\"),",
    );
    let d = check(&source, &[("syntax", at(&source, "subjekt"))]);
    assert!(message(&d, "syntax").contains("`subjekt`"), "{d:?}");
}
