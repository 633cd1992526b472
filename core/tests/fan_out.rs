//! Fan-out granularity (issue 17, gap 2): dependencies between tasks that fan out over
//! the same group are per member unless `depends_on_all` asks for every member; the
//! engine, the critical path and the located diagnostics agree on it.

use directrix_core::{ActError, EffectKind, Instance, Severity, Timestamp, Workflow, check, load};
use std::sync::Arc;

const START: &str = "2024-11-11 08:00";

/// Provinces `a` and `b` (group `provinces`) under `region`, the issuer; `tasks` is the
/// tasks section's body.
fn source(tasks: &str) -> String {
    format!(
        r#"(
    format: 1,
    directive: (number: "1/CĐ", kind: "Công điện", issuer: "region", issued_at: "{START}", subject: "Storm"),
    calendar: (utc_offset: "+07:00"),
    agencies: [
        (id: "region", name: "Region"),
        (id: "a", name: "Province A", parent: "region"),
        (id: "b", name: "Province B", parent: "region"),
        (id: "c", name: "Province C", parent: "region"),
    ],
    groups: [
        (id: "provinces", name: "Provinces", members: ["a", "b"]),
        (id: "coast", name: "Coast", members: ["a", "b", "c"]),
    ],
    tasks: [
{tasks}
    ],
)"#
    )
}

/// Count, call in per member, evacuate after every member's count, a summary after all.
const STORM: &str = r#"
        (id: "count", title: "Count vessels", for_each: "provinces", due: After("1d")),
        (id: "call_in", title: "Call vessels in", for_each: "provinces", depends_on: ["count"], start: AfterDependencies, due: After("1d")),
        (id: "evacuate", title: "Evacuate", for_each: "provinces", depends_on_all: ["count"], start: AfterDependencies, due: After("2d")),
        (id: "summary", title: "Summary", lead: ["region"], depends_on: ["call_in"], start: AfterDependencies, due: After("3d")),"#;

fn workflow(tasks: &str) -> Arc<Workflow> {
    let source = source(tasks);
    let loaded = load(&source).unwrap_or_else(|e| panic!("{e}"));
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    Arc::new(loaded.workflow)
}

fn at(workflow: &Workflow, text: &str) -> Timestamp {
    Timestamp::parse(text, workflow.calendar().offset()).unwrap()
}

/// `lead` starts and reports `task`, and the region accepts it.
fn complete(instance: &mut Instance, when: Timestamp, lead: &str, task: &str) -> Vec<String> {
    instance.advance(when).unwrap();
    let mut effects = Vec::new();
    for (actor, action) in [(lead, "start"), (lead, "report"), ("region", "accept")] {
        effects.extend(
            instance
                .act_by_name(when, actor, task, action, None)
                .unwrap(),
        );
    }
    let workflow = Arc::clone(instance.workflow());
    effects
        .iter()
        .filter(|e| matches!(e.kind, EffectKind::Unblocked))
        .map(|e| workflow.task_slot(e.task).name.clone())
        .collect()
}

fn phase(instance: &Instance, task: &str) -> directrix_core::instance::Phase {
    let id = instance.workflow().task_ref(task).unwrap();
    instance.task_state(id).unwrap().phase
}

fn blocked_on(instance: &mut Instance, when: Timestamp, lead: &str, task: &str) -> Vec<String> {
    match instance.act_by_name(when, lead, task, "start", None) {
        Err(ActError::Blocked { waiting_for, .. }) => waiting_for,
        other => panic!("`{task}` is not blocked: {other:?}"),
    }
}

#[test]
fn a_members_dependant_starts_when_that_members_dependency_is_done() {
    use directrix_core::instance::Phase::{Blocked, Running};
    let workflow = workflow(STORM);
    let (mut instance, _) =
        Instance::start(workflow.clone(), workflow.directive().issued_at).unwrap();
    let nine = at(&workflow, "2024-11-11 09:00");
    assert_eq!(
        complete(&mut instance, nine, "a", "count[a]"),
        ["call_in[a]"],
        "A's call-in waits for A's count only"
    );
    assert_eq!(phase(&instance, "call_in[a]"), Running);
    assert_eq!(phase(&instance, "call_in[b]"), Blocked);
    // Every member's count is awaited by `depends_on_all`; the message names the
    // pending member instance, not the task.
    assert_eq!(
        blocked_on(&mut instance, nine, "a", "evacuate[a]"),
        ["count[b]"]
    );
    assert_eq!(
        blocked_on(&mut instance, nine, "b", "call_in[b]"),
        ["count[b]"]
    );
    let error = instance
        .act_by_name(nine, "b", "call_in[b]", "start", None)
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "task `call_in[b]` is blocked until these tasks are done: count[b]"
    );
    // A's call-in done does not free the summary, which waits for every call-in.
    complete(&mut instance, nine, "a", "call_in[a]");
    assert_eq!(phase(&instance, "summary"), Blocked);
    assert_eq!(
        blocked_on(&mut instance, nine, "region", "summary"),
        ["call_in[b]"]
    );

    let ten = at(&workflow, "2024-11-11 10:00");
    let mut unblocked = complete(&mut instance, ten, "b", "count[b]");
    unblocked.sort();
    assert_eq!(unblocked, ["call_in[b]", "evacuate[a]", "evacuate[b]"]);
    assert_eq!(complete(&mut instance, ten, "b", "call_in[b]"), ["summary"]);

    // Replay rebuilds the same state.
    let replayed = Instance::replay(workflow, instance.journal()).unwrap();
    assert_eq!(replayed, instance);
}

#[test]
fn the_plan_and_the_running_critical_path_agree() {
    let workflow = workflow(STORM);
    let names = |path: Vec<directrix_core::workflow::TaskId>| -> Vec<String> {
        path.iter().map(|&t| workflow.task(t).id.clone()).collect()
    };
    // Every member's instance of a task is planned alike, so the plan is per task: the
    // call-in starts when the count is due.
    let plan = workflow.plan();
    let id = |name: &str| workflow.task_id(name).unwrap().index();
    assert_eq!(plan[id("call_in")].start, plan[id("count")].due.unwrap());
    assert_eq!(
        names(workflow.critical_path()),
        ["count", "call_in", "summary"]
    );
    let (mut instance, _) =
        Instance::start(workflow.clone(), workflow.directive().issued_at).unwrap();
    assert_eq!(
        names(instance.critical_path()),
        ["count", "call_in", "summary"]
    );
    // A finishes its count and call-in at once: the summary still waits for B's chain.
    complete(
        &mut instance,
        at(&workflow, "2024-11-11 09:00"),
        "a",
        "count[a]",
    );
    complete(
        &mut instance,
        at(&workflow, "2024-11-11 09:00"),
        "a",
        "call_in[a]",
    );
    assert_eq!(
        names(instance.critical_path()),
        ["count", "call_in", "summary"]
    );
}

#[test]
fn different_groups_wait_for_every_instance() {
    use directrix_core::instance::Phase::Blocked;
    // `coast` is not `provinces`: C's call-in waits for every count.
    let workflow = workflow(
        r#"
        (id: "count", title: "Count", for_each: "provinces", due: After("1d")),
        (id: "call_in", title: "Call in", for_each: "coast", depends_on: ["count"], start: AfterDependencies),"#,
    );
    let (mut instance, _) =
        Instance::start(workflow.clone(), workflow.directive().issued_at).unwrap();
    let nine = at(&workflow, "2024-11-11 09:00");
    assert!(complete(&mut instance, nine, "a", "count[a]").is_empty());
    assert_eq!(phase(&instance, "call_in[a]"), Blocked);
    assert_eq!(
        blocked_on(&mut instance, nine, "c", "call_in[c]"),
        ["count[b]"]
    );
}

#[test]
fn a_compiled_workflow_keeps_per_member_dependencies() {
    let storm = workflow(STORM);
    let bytes = storm.to_compiled();
    let again = Workflow::from_compiled(&bytes, storm.limits()).unwrap();
    assert_eq!(again.content_hash(), storm.content_hash());
    assert_eq!(again.tasks(), storm.tasks());
    // The per-member rule is part of the version: `depends_on_all` hashes differently.
    let all = workflow(&STORM.replace(
        r#"depends_on: ["count"], start"#,
        r#"depends_on_all: ["count"], start"#,
    ));
    assert_ne!(all.content_hash(), storm.content_hash());
}

/// (code, severity, line, column of `marker`) of every diagnostic.
#[track_caller]
fn diagnostics(tasks: &str) -> Vec<(String, Severity, String)> {
    let source = source(tasks);
    check(&source)
        .iter()
        .map(|d| {
            let location = d
                .span
                .clone()
                .map(|s| source[s.start..].chars().take(8).collect());
            (
                d.code.as_str().to_owned(),
                d.severity,
                location.unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn a_task_in_both_dependency_lists_is_an_error() {
    let found = diagnostics(
        r#"
        (id: "count", title: "Count", for_each: "provinces"),
        (id: "call_in", title: "Call in", for_each: "provinces", depends_on: ["count"], depends_on_all: ["count"]),"#,
    );
    assert_eq!(
        found,
        [(
            "dependency-listed-twice".to_owned(),
            Severity::Error,
            "\"count\"]".to_owned()
        )]
    );
    let source = source(
        r#"
        (id: "count", title: "Count", for_each: "provinces"),
        (id: "call_in", title: "Call in", for_each: "provinces", depends_on: ["count"], depends_on_all: ["count"]),"#,
    );
    let error = &check(&source)[0];
    assert!(
        error
            .hint
            .as_deref()
            .unwrap()
            .contains("`depends_on_all` to wait for every member's")
    );
}

#[test]
fn depends_on_all_without_a_shared_fan_out_is_flagged() {
    let found = diagnostics(
        r#"
        (id: "count", title: "Count", for_each: "provinces"),
        (id: "summary", title: "Summary", lead: ["region"], depends_on_all: ["count"]),
        (id: "coastal", title: "Coastal", for_each: "coast", depends_on_all: ["count"]),"#,
    );
    let codes: Vec<_> = found.iter().map(|(c, s, _)| (c.as_str(), *s)).collect();
    assert_eq!(
        codes,
        [
            ("redundant-depends-on-all", Severity::Warning),
            ("redundant-depends-on-all", Severity::Warning)
        ]
    );
    assert!(
        found.iter().all(|(_, _, at)| at.starts_with("\"count\"]")),
        "{found:?}"
    );
    // Each entry of the list is located on its own.
    let found = diagnostics(
        r#"
        (id: "count", title: "Count", for_each: "provinces"),
        (id: "tally", title: "Tally", lead: ["region"]),
        (id: "call_in", title: "Call in", for_each: "provinces", depends_on: ["tally", "count"], depends_on_all: ["tally", "count"]),"#,
    );
    let codes: Vec<_> = found
        .iter()
        .map(|(c, _, at)| (c.as_str(), at.as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            ("dependency-listed-twice", "\"tally\","),
            ("redundant-depends-on-all", "\"tally\","),
            ("dependency-listed-twice", "\"count\"]"),
        ]
    );
    let source = source(
        r#"
        (id: "count", title: "Count", for_each: "provinces"),
        (id: "summary", title: "Summary", lead: ["region"], depends_on_all: ["count"]),"#,
    );
    let warning = &check(&source)[0];
    assert_eq!(
        warning.hint.as_deref(),
        Some("move `count` to `depends_on`")
    );
}

#[test]
fn an_unknown_task_in_depends_on_all_is_located() {
    let found = diagnostics(
        r#"
        (id: "count", title: "Count", for_each: "provinces"),
        (id: "call_in", title: "Call in", for_each: "provinces", depends_on_all: ["cuont"]),"#,
    );
    assert_eq!(
        found,
        [(
            "unknown-task".to_owned(),
            Severity::Error,
            "\"cuont\"]".to_owned()
        )]
    );
}

#[test]
fn a_long_wait_names_the_first_instances_and_counts_the_rest() {
    let waiting_for: Vec<String> = (1..=7).map(|i| format!("count[p{i}]")).collect();
    let error = ActError::Blocked {
        task: "summary".to_owned(),
        waiting_for,
    };
    assert_eq!(
        error.to_string(),
        "task `summary` is blocked until these tasks are done: count[p1], count[p2], count[p3], count[p4], count[p5] and 2 more"
    );
}

// ------------------------------------------------------------------ several leads (2d)

/// Police and army lead the same order: `mode` is the task's `lead_mode` field, if any.
fn two_leads(mode: &str) -> Arc<Workflow> {
    workflow(&format!(
        r#"
        (id: "guard", title: "Guard the coast", lead: ["a", "b"], {mode} due: After("1d")),"#
    ))
}

#[test]
fn joint_leads_share_one_instance_and_the_refusal_says_who_moved_it() {
    let workflow = two_leads("");
    assert_eq!(
        workflow.task_slots().len(),
        1,
        "one shared instance by default"
    );
    let (mut instance, _) =
        Instance::start(workflow.clone(), workflow.directive().issued_at).unwrap();
    let nine = at(&workflow, "2024-11-11 09:00");
    instance.advance(nine).unwrap();
    instance
        .act_by_name(nine, "b", "guard", "acknowledge", None)
        .unwrap();
    let error = instance
        .act_by_name(nine, "a", "guard", "acknowledge", None)
        .unwrap_err();
    let ActError::InvalidTransition { state, entered, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(state, "acknowledged");
    assert_eq!(entered.by.as_deref(), Some("b"));
    assert_eq!(entered.at, nine);
    assert_eq!(entered.joint_leads, ["a", "b"]);
    let message = error.to_string();
    assert!(
        message.contains("in state `acknowledged`, where `b` moved it at"),
        "{message}"
    );
    assert!(
        message.contains("its leads `a`, `b` share this one instance (`lead_mode: Joint`)"),
        "{message}"
    );
    assert!(message.contains("write `lead_mode: Each`"), "{message}");
    // `Joint` written out is the same workflow.
    assert_eq!(
        two_leads("lead_mode: Joint,").content_hash(),
        workflow.content_hash()
    );
}

#[test]
fn a_refusal_on_a_one_lead_task_does_not_talk_of_sharing() {
    let workflow = workflow(STORM);
    let (mut instance, _) =
        Instance::start(workflow.clone(), workflow.directive().issued_at).unwrap();
    let nine = at(&workflow, "2024-11-11 09:00");
    instance.advance(nine).unwrap();
    let error = instance
        .act_by_name(nine, "a", "count[a]", "accept", None)
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("in state `assigned`, entered at"),
        "{message}"
    );
    assert!(!message.contains("lead_mode"), "{message}");
}

#[test]
fn each_lead_runs_its_own_instance() {
    use directrix_core::instance::Phase::Running;
    let workflow = two_leads("lead_mode: Each,");
    let names: Vec<_> = workflow
        .task_slots()
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["guard[a]", "guard[b]"]);
    assert_ne!(workflow.content_hash(), two_leads("").content_hash());
    let (mut instance, _) =
        Instance::start(workflow.clone(), workflow.directive().issued_at).unwrap();
    let nine = at(&workflow, "2024-11-11 09:00");
    instance.advance(nine).unwrap();
    // The bare id resolves to the actor's own instance.
    instance
        .act_by_name(nine, "b", "guard", "acknowledge", None)
        .unwrap();
    instance
        .act_by_name(nine, "a", "guard", "acknowledge", None)
        .unwrap();
    // Each acts only on its own.
    let error = instance
        .act_by_name(nine, "a", "guard[b]", "start", None)
        .unwrap_err();
    assert_eq!(error.code(), "not_allowed");
    assert_eq!(phase(&instance, "guard[a]"), Running);
    // The compiled form keeps the fan-out.
    let again = Workflow::from_compiled(&workflow.to_compiled(), workflow.limits()).unwrap();
    assert_eq!(again.task_slots(), workflow.task_slots());
}

#[test]
fn a_lead_mode_with_nothing_to_choose_is_flagged() {
    let found = diagnostics(
        r#"
        (id: "one", title: "One lead", lead: ["a"], lead_mode: Each),
        (id: "each", title: "Fan-out", for_each: "provinces", lead_mode: Joint),
        (id: "two", title: "Two leads", lead: ["a", "b"], lead_mode: Each),"#,
    );
    assert_eq!(
        found,
        [
            (
                "redundant-lead-mode".to_owned(),
                Severity::Warning,
                "lead_mod".to_owned()
            ),
            (
                "redundant-lead-mode".to_owned(),
                Severity::Warning,
                "lead_mod".to_owned()
            ),
        ]
    );
    let source = source(r#"(id: "one", title: "One lead", lead: ["a"], lead_mode: Each),"#);
    let warning = &check(&source)[0];
    assert!(
        warning.message.contains("it has one lead"),
        "{}",
        warning.message
    );
    assert_eq!(warning.hint.as_deref(), Some("remove `lead_mode`"));
}

// ------------------------------------------------- a follow-up to some members (2b)

/// A follow-up of 11 November 09:00 from the region with `body` as its lists.
fn follow_up(body: &str) -> String {
    format!(
        "(\n    format: 1,\n    number: \"2/CĐ\",\n    kind: \"Công điện\",\n    issuer: \"region\",\n    issued_at: \"2024-11-11 09:00\",\n    further_to: \"1/CĐ\",\n    subject: \"s\",\n{body}\n)\n"
    )
}

#[test]
fn a_follow_up_withdraws_one_members_instance_and_nothing_waits_for_it() {
    use directrix_core::instance::Phase::{Blocked, Running};
    let workflow = workflow(STORM);
    let (mut instance, _) =
        Instance::start(workflow.clone(), workflow.directive().issued_at).unwrap();
    let nine = at(&workflow, "2024-11-11 09:00");
    instance.advance(nine).unwrap();
    let text =
        follow_up(r#"    cancel: [(task: "count[b]", reason: "B is out of the storm's path")],"#);
    let (effects, report) = instance.apply_follow_up(nine, &text).unwrap();
    assert_eq!(report.cancelled, ["count[b]"]);
    let amended = Arc::clone(instance.workflow());
    let lines: Vec<String> = effects
        .iter()
        .map(|e| format!("{} {}", e.kind.name(), amended.task_slot(e.task).name))
        .collect();
    assert_eq!(
        lines,
        [
            "cancelled count[b]",
            "unblocked call_in[b]",
            "started call_in[b]"
        ]
    );
    // A's count still runs; B's call-in no longer waits for B's count.
    assert_eq!(phase(&instance, "count[a]"), Running);
    assert_eq!(phase(&instance, "call_in[b]"), Running);
    assert_eq!(phase(&instance, "call_in[a]"), Blocked);
    // Evacuation waits for every count, but not for the withdrawn one.
    assert_eq!(
        blocked_on(&mut instance, nine, "a", "evacuate[a]"),
        ["count[a]"]
    );
    let mut unblocked = complete(&mut instance, nine, "a", "count[a]");
    unblocked.sort();
    assert_eq!(unblocked, ["call_in[a]", "evacuate[a]", "evacuate[b]"]);

    // Replay and a snapshot's checks agree.
    let replayed = Instance::replay(workflow, instance.journal()).unwrap();
    assert_eq!(replayed, instance);
    let restored = Instance::restore(Arc::clone(instance.workflow()), instance.snapshot()).unwrap();
    assert_eq!(restored, instance);
}

#[test]
fn a_follow_up_can_only_cancel_a_member_and_says_so() {
    let workflow = workflow(STORM);
    let located = |body: &str| -> Vec<(String, String, String)> {
        let text = follow_up(body);
        let error = workflow.amend(&text).unwrap_err();
        error
            .diagnostics()
            .iter()
            .map(|d| {
                let span = d.span.clone().unwrap();
                (
                    d.code.as_str().to_owned(),
                    text[span].to_owned(),
                    d.hint.clone().unwrap_or_default(),
                )
            })
            .collect()
    };
    let found = located(r#"    change_due: [(task: "count[b]", due: After("2d"))],"#);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].0.as_str(), found[0].1.as_str()),
        ("member-change-unsupported", "\"count[b]\"")
    );
    assert!(found[0].2.contains("`task: \"count\"`"), "{}", found[0].2);
    let found = located(r#"    cancel: [(task: "count[c]")],"#);
    assert_eq!(
        (found[0].0.as_str(), found[0].1.as_str()),
        ("unknown-task", "\"count[c]\"")
    );
    assert_eq!(found[0].2, "`count` fans out to count[a], count[b]");
    let found = located(r#"    cancel: [(task: "summary[a]")],"#);
    assert_eq!(found[0].0, "unknown-task");
    assert!(
        found[0].2.contains("`summary` does not fan out"),
        "{}",
        found[0].2
    );
}
