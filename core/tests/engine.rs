//! Runtime behaviour of `Instance`: every `ActError` (with the instance unchanged),
//! escalation, timed and recurring transitions, dependencies, timers and their order.
//!
//! Each test builds a small inline workflow. Times are local to +07:00; the instance
//! starts on Monday 10 May 2021 at 08:00.

use directrix_core::{
    ActError, Effect, EffectKind, Instance, Timestamp, Workflow, instance::TimerReason, load,
    time::UtcOffset, workflow::AgencyId, workflow::TaskRef,
};
use std::sync::Arc;

const START: &str = "2021-05-10 08:00";

/// A workflow with the standard agencies and the given machines, policies and tasks.
///
/// Agencies: `province` ← `boss` (issuer) ← `office` ← `unit`, `unit2`; `boss` ←
/// `helper`, `outsider`. Group `units` = `unit`, `unit2`.
fn workflow(machines: &str, policies: &str, tasks: &str) -> Arc<Workflow> {
    with_groups(
        r#"(id: "units", name: "Units", members: ["unit", "unit2"])"#,
        machines,
        policies,
        tasks,
    )
}

/// [`workflow`] with other groups.
fn with_groups(groups: &str, machines: &str, policies: &str, tasks: &str) -> Arc<Workflow> {
    let source = format!(
        r#"(
    format: 1,
    directive: (number: "1/T", kind: "Test", issuer: "boss", issued_at: "{START}", subject: "s"),
    calendar: (utc_offset: "+07:00"),
    agencies: [
        (id: "province", name: "Province"),
        (id: "boss", name: "Boss", parent: "province"),
        (id: "office", name: "Office", parent: "boss"),
        (id: "unit", name: "Unit", parent: "office"),
        (id: "unit2", name: "Unit 2", parent: "office"),
        (id: "helper", name: "Helper", parent: "boss"),
        (id: "outsider", name: "Outsider", parent: "boss"),
    ],
    groups: [{groups}],
    machines: [{machines}],
    policies: [{policies}],
    tasks: [{tasks}],
)"#
    );
    match load(&source) {
        Ok(loaded) => Arc::new(loaded.workflow),
        Err(e) => panic!("workflow does not load: {e:?}"),
    }
}

fn tasks(tasks: &str) -> Arc<Workflow> {
    workflow("", "", tasks)
}

fn at(local: &str) -> Timestamp {
    Timestamp::parse(local, UtcOffset::from_hms(7, 0, 0).unwrap()).unwrap()
}

fn start(wf: &Arc<Workflow>) -> Instance {
    Instance::start(wf.clone(), at(START)).unwrap().0
}

fn agency(wf: &Workflow, id: &str) -> AgencyId {
    wf.agency_id(id).unwrap()
}

fn task(wf: &Workflow, name: &str) -> TaskRef {
    wf.task_ref(name).unwrap()
}

/// `act_by_name` at a local time.
fn act(i: &mut Instance, when: &str, actor: &str, task: &str, action: &str) -> Vec<Effect> {
    // A return must say what to redo.
    let note = (action == "return").then_some("redo the figures");
    i.act_by_name(at(when), actor, task, action, note)
        .unwrap_or_else(|e| panic!("{actor} {action} {task} at {when}: {e}"))
}

/// Acts and expects a refusal that leaves the instance exactly as it was.
fn refused(i: &mut Instance, when: &str, actor: &str, task: &str, action: &str) -> ActError {
    let before = serde_json::to_string(&i.snapshot()).unwrap();
    let state = i.state().clone();
    let error = i
        .act_by_name(at(when), actor, task, action, None)
        .expect_err("the action is refused");
    assert_eq!(i.state(), &state, "a refused act changed the state");
    assert_eq!(serde_json::to_string(&i.snapshot()).unwrap(), before);
    error
}

/// Effects as `(local time, kind name, task, agency)` with the record's names.
fn lines(wf: &Workflow, effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .map(|e| {
            let r = wf.effect_record(e);
            let level = r.level.map(|l| format!(" L{l}")).unwrap_or_default();
            format!("{} {} {} {}{level}", &r.at[..16], r.kind, r.task, r.agency)
        })
        .collect()
}

/// Advances to `to`, firing timers one by one as a host would, and returns the effects.
fn run_until(i: &mut Instance, to: &str) -> Vec<Effect> {
    let horizon = at(to);
    let mut effects = Vec::new();
    while let Some(next) = i.next_timer().filter(|t| t.at <= horizon) {
        effects.extend(i.advance(next.at).unwrap());
    }
    effects.extend(i.advance(horizon).unwrap());
    effects
}

const ONE: &str = r#"(id: "task", title: "T", lead: ["unit"], due: At("2021-05-11 17:00"))"#;

// ---------------------------------------------------------------- errors

#[test]
fn time_went_backwards() {
    let wf = tasks(ONE);
    let mut i = start(&wf);
    act(&mut i, "2021-05-10 09:00", "unit", "task", "acknowledge");
    let e = refused(&mut i, "2021-05-10 08:30", "unit", "task", "start");
    assert_eq!(e.code(), "time_went_backwards");
    let state = i.state().clone();
    let e = i.advance(at("2021-05-10 08:59")).unwrap_err();
    assert_eq!(e.code(), "time_went_backwards");
    assert_eq!(i.state(), &state);
    // The same instant is fine.
    assert!(i.advance(at("2021-05-10 09:00")).unwrap().is_empty());
}

#[test]
fn timers_pending() {
    let wf = tasks(ONE);
    let mut i = start(&wf);
    let e = refused(&mut i, "2021-05-12 09:00", "unit", "task", "acknowledge");
    assert_eq!(e.code(), "timers_pending");
    assert_eq!(
        e,
        ActError::TimersPending {
            at: at("2021-05-12 09:00"),
            next: at("2021-05-11 17:00")
        }
    );
    i.advance(at("2021-05-12 09:00")).unwrap();
    act(&mut i, "2021-05-12 09:00", "unit", "task", "acknowledge");
}

#[test]
fn unknown_names_suggest_the_closest() {
    let wf = tasks(ONE);
    let mut i = start(&wf);
    let e = refused(&mut i, START, "unti", "task", "acknowledge");
    assert_eq!(e.code(), "unknown_agency");
    assert_eq!(
        e.to_string(),
        "unknown agency `unti` (did you mean `unit`?)"
    );
    let e = refused(&mut i, START, "unit", "tsak", "acknowledge");
    assert_eq!(e.code(), "unknown_task");
    assert_eq!(e.to_string(), "unknown task `tsak` (did you mean `task`?)");
    let e = refused(&mut i, START, "unit", "task", "acknowlege");
    assert_eq!(e.code(), "unknown_action");
    assert_eq!(
        e.to_string(),
        "task `task` has no action `acknowlege` (did you mean `acknowledge`?)"
    );
}

#[test]
fn unknown_ids_and_actions_of_another_machine() {
    let wf = workflow(
        r#"(id: "gate", states: [(id: "open", kind: Initial), (id: "shut", kind: Done)],
            transitions: [(on: "close", from: ["open"], to: "shut", by: [Lead])])"#,
        "",
        &format!(r#"{ONE}, (id: "gated", title: "G", lead: ["unit"], machine: "gate")"#),
    );
    let mut i = start(&wf);
    // `close` exists in the workflow, but not in the default machine.
    let e = refused(&mut i, START, "unit", "task", "close");
    assert_eq!(e.code(), "unknown_action");
    // `acknowledge` exists too, not in `gate`; the hint comes from `gate`'s own actions.
    let e = refused(&mut i, START, "unit", "gated", "acknowledge");
    assert_eq!(e.code(), "unknown_action");
    // Ids from outside the workflow are refused, not a panic.
    let state = i.state().clone();
    let bad_task: TaskRef = serde_json::from_str("99").unwrap();
    let bad_agency: AgencyId = serde_json::from_str("99").unwrap();
    let close = wf.action_id("close").unwrap();
    let e = i
        .act(at(START), agency(&wf, "unit"), bad_task, close, None)
        .unwrap_err();
    assert_eq!(e.code(), "unknown_task");
    let e = i
        .act(at(START), bad_agency, task(&wf, "gated"), close, None)
        .unwrap_err();
    assert_eq!(e.code(), "unknown_agency");
    assert_eq!(i.state(), &state);
    assert!(i.inbox(bad_agency).is_empty());
}

#[test]
fn not_started() {
    let wf = tasks(r#"(id: "later", title: "L", lead: ["unit"], start: At("2021-05-12 08:00"))"#);
    let mut i = start(&wf);
    let e = refused(&mut i, START, "unit", "later", "acknowledge");
    assert_eq!(e.code(), "not_started");
    assert_eq!(
        e,
        ActError::NotStarted {
            task: "later".into(),
            starts_at: at("2021-05-12 08:00")
        }
    );
    let next = i.next_timer().unwrap();
    assert_eq!(
        (next.at, next.reason),
        (at("2021-05-12 08:00"), TimerReason::Start)
    );
    let effects = i.advance(at("2021-05-12 08:00")).unwrap();
    assert_eq!(
        lines(&wf, &effects),
        ["2021-05-12T08:00 started later unit"]
    );
    act(&mut i, "2021-05-12 08:00", "unit", "later", "acknowledge");
}

const CHAIN: &str = r#"
    (id: "first", title: "F", lead: ["unit"]),
    (id: "after", title: "A", lead: ["unit2"], depends_on: ["first"], start: AfterDependencies),
    (id: "guarded", title: "G", lead: ["unit2"], depends_on: ["first"])"#;

#[test]
fn blocked_by_start_rule_and_by_guard() {
    let wf = tasks(CHAIN);
    let mut i = start(&wf);
    let e = refused(&mut i, START, "unit2", "after", "acknowledge");
    assert_eq!(
        e,
        ActError::Blocked {
            task: "after".into(),
            waiting_for: vec!["first".into()]
        }
    );
    // `guarded` runs, and may be acknowledged, but `start` has a DependenciesDone guard.
    act(&mut i, START, "unit2", "guarded", "acknowledge");
    let e = refused(&mut i, START, "unit2", "guarded", "start");
    assert_eq!(e.code(), "blocked");
    assert_eq!(
        e.to_string(),
        "task `guarded` is blocked until these tasks are done: first"
    );
}

#[test]
fn invalid_transition_lists_what_is_possible() {
    let wf = tasks(ONE);
    let mut i = start(&wf);
    let e = refused(&mut i, START, "unit", "task", "report");
    assert_eq!(
        e,
        ActError::InvalidTransition {
            task: "task".into(),
            state: "assigned".into(),
            action: "report".into(),
            possible: vec![
                "acknowledge".into(),
                "start".into(),
                "request_extension".into(),
                "approve_extension".into(),
                "refuse_extension".into(),
                "cancel".into()
            ],
            entered: Box::new(directrix_core::instance::Entered {
                by: None,
                at: at(START),
                joint_leads: vec![],
            }),
        }
    );
}

#[test]
fn not_allowed_names_the_roles() {
    let wf = tasks(ONE);
    let mut i = start(&wf);
    let e = refused(&mut i, START, "outsider", "task", "acknowledge");
    assert_eq!(e.code(), "not_allowed");
    assert_eq!(
        e.to_string(),
        "agency `outsider` may not `acknowledge` task `task` (allowed: lead `unit`)"
    );
    // The supervisor may not report, the lead may not accept, only the issuer cancels.
    let e = refused(&mut i, START, "unit", "task", "cancel");
    assert_eq!(e.code(), "not_allowed");
    let e = refused(&mut i, START, "office", "task", "acknowledge");
    assert_eq!(e.code(), "not_allowed");
}

const DEADLINE: &str = r#"(id: "deadline",
    states: [(id: "open", kind: Initial), (id: "filed", kind: Done), (id: "void", kind: Cancelled)],
    transitions: [
        (on: "file", from: ["open"], to: "filed", by: [Lead], guards: [BeforeDue]),
        (on: "void", from: ["open"], to: "void", by: [Issuer]),
    ])"#;

#[test]
fn past_due() {
    let wf = workflow(
        DEADLINE,
        "",
        r#"(id: "task", title: "T", lead: ["unit"], machine: "deadline", due: At("2021-05-10 12:00"))"#,
    );
    let mut i = start(&wf);
    i.advance(at("2021-05-10 12:30")).unwrap();
    let e = refused(&mut i, "2021-05-10 12:30", "unit", "task", "file");
    assert_eq!(
        e,
        ActError::PastDue {
            task: "task".into(),
            action: "file".into(),
            due: at("2021-05-10 12:00")
        }
    );
    // Before the due time (a second instance) the guard passes.
    let mut j = start(&wf);
    let effects = act(&mut j, "2021-05-10 11:59", "unit", "task", "file");
    assert_eq!(
        effects.last().unwrap().kind,
        EffectKind::Completed { on_time: true }
    );
}

// ---------------------------------------------------------------- escalation

const LADDER: &str = r#"(id: "ladder", levels: [
    (after: "0h", action: Remind, target: Lead),
    (after: "1d", action: Escalate, target: Supervisor),
    (after: "2d", action: Escalate, target: SupervisorParent),
    (after: "3d", action: Escalate, target: Agency("province"), repeat: "1d"),
])"#;

#[test]
fn escalation_overdue_reminded_escalated_repeated() {
    let wf = workflow(
        "",
        LADDER,
        r#"(id: "task", title: "T", lead: ["unit"], due: At("2021-05-11 17:00"),
            policy: "ladder", supervisor: "office")"#,
    );
    let mut i = start(&wf);
    let t = task(&wf, "task");
    let effects = run_until(&mut i, "2021-05-16 09:00");
    assert_eq!(
        lines(&wf, &effects),
        [
            "2021-05-11T17:00 overdue task unit",
            "2021-05-11T17:00 reminded task unit L1",
            "2021-05-12T17:00 escalated task office L2",
            "2021-05-13T17:00 escalated task boss L3",
            "2021-05-14T17:00 escalated task province L4",
            "2021-05-15T17:00 escalated task province L4",
        ]
    );
    let ts = i.task_state(t).unwrap();
    assert!(ts.overdue && ts.ever_overdue);
    assert_eq!(ts.level, 4);
    // The repeat continues until the work is handed in.
    let next = i.next_timer().unwrap();
    assert_eq!(next.at, at("2021-05-16 17:00"));
    assert_eq!(next.reason, TimerReason::Escalation { level: 4 });
    act(&mut i, "2021-05-16 09:00", "unit", "task", "start");
    act(&mut i, "2021-05-16 10:00", "unit", "task", "report");
    // Handed in: no longer overdue, though it was.
    assert!(!i.task_state(t).unwrap().overdue && i.task_state(t).unwrap().ever_overdue);
    assert!(i.overdue().is_empty());
    assert_eq!(i.next_timer(), None);
    assert!(run_until(&mut i, "2021-05-20 09:00").is_empty());
    let effects = act(&mut i, "2021-05-20 09:00", "office", "task", "accept");
    assert_eq!(
        effects.last().unwrap().kind,
        EffectKind::Completed { on_time: false }
    );
    // The level never decreases.
    assert_eq!(i.task_state(t).unwrap().level, 4);
}

#[test]
fn every_target_resolves_through_the_agency_graph() {
    let wf = workflow(
        "",
        r#"(id: "all", levels: [
            (after: "1h", action: Remind, target: Lead),
            (after: "1h", action: Warn, target: Parent),
            (after: "1h", action: Escalate, target: Supervisor),
            (after: "1h", action: Escalate, target: SupervisorParent),
            (after: "1h", action: Escalate, target: Issuer),
            (after: "1h", action: Escalate, target: Agency("helper")),
        ])"#,
        r#"(id: "task", title: "T", lead: ["unit", "unit2"], due: At("2021-05-10 12:00"),
            policy: "all", supervisor: "office")"#,
    );
    let mut i = start(&wf);
    let effects = run_until(&mut i, "2021-05-10 13:00");
    assert_eq!(
        lines(&wf, &effects),
        [
            "2021-05-10T12:00 overdue task unit",
            "2021-05-10T13:00 reminded task unit L1",
            "2021-05-10T13:00 reminded task unit2 L1",
            // Both leads share the parent `office`: told once.
            "2021-05-10T13:00 warned task office L2",
            "2021-05-10T13:00 escalated task office L3",
            "2021-05-10T13:00 escalated task boss L4",
            "2021-05-10T13:00 escalated task boss L5",
            "2021-05-10T13:00 escalated task helper L6",
        ]
    );
}

#[test]
fn supervisor_defaults_to_the_issuer_and_roots_resolve_to_themselves() {
    let wf = workflow(
        "",
        r#"(id: "up", levels: [
            (after: "0h", action: Escalate, target: Supervisor),
            (after: "0h", action: Escalate, target: SupervisorParent),
        ])"#,
        r#"(id: "a", title: "A", lead: ["unit"], due: At("2021-05-10 12:00"), policy: "up"),
           (id: "b", title: "B", lead: ["boss"], due: At("2021-05-10 12:00"), policy: "up", supervisor: "province")"#,
    );
    let mut i = start(&wf);
    let effects = run_until(&mut i, "2021-05-10 13:00");
    assert_eq!(
        lines(&wf, &effects),
        [
            "2021-05-10T12:00 overdue a unit",
            "2021-05-10T12:00 escalated a boss L1",
            "2021-05-10T12:00 escalated a province L2",
            "2021-05-10T12:00 overdue b boss",
            "2021-05-10T12:00 escalated b province L1",
            // `province` is a root: its own parent is itself.
            "2021-05-10T12:00 escalated b province L2",
        ]
    );
}

#[test]
fn escalation_from_entering_a_state() {
    let wf = workflow(
        "",
        r#"(id: "ack", levels: [(after: "4h", from: Entered("assigned"), action: Remind, target: Lead)])"#,
        r#"(id: "slow", title: "S", lead: ["unit"], due: At("2021-05-20 17:00"), policy: "ack"),
           (id: "quick", title: "Q", lead: ["unit2"], due: At("2021-05-20 17:00"), policy: "ack")"#,
    );
    let mut i = start(&wf);
    let next = i.next_timer().unwrap();
    assert_eq!(next.at, at("2021-05-10 12:00"));
    assert_eq!(next.reason, TimerReason::Escalation { level: 1 });
    act(&mut i, "2021-05-10 09:00", "unit2", "quick", "acknowledge");
    let effects = run_until(&mut i, "2021-05-10 18:00");
    // Only the task still in `assigned` is chased; it is not overdue.
    assert_eq!(
        lines(&wf, &effects),
        ["2021-05-10T12:00 reminded slow unit L1"]
    );
    assert!(i.overdue().is_empty());
    assert_eq!(i.task_state(task(&wf, "slow")).unwrap().level, 1);
    assert_eq!(i.task_state(task(&wf, "quick")).unwrap().level, 0);
}

#[test]
fn reassignment_hands_the_task_over() {
    let wf = workflow(
        "",
        r#"(id: "take", levels: [(after: "1d", action: Reassign, target: Parent)])"#,
        r#"(id: "task", title: "T", lead: ["unit"], due: At("2021-05-10 17:00"), policy: "take")"#,
    );
    let mut i = start(&wf);
    let t = task(&wf, "task");
    let (unit, office) = (agency(&wf, "unit"), agency(&wf, "office"));
    assert_eq!(i.inbox(unit).len(), 3); // acknowledge, start, request_extension
    let effects = run_until(&mut i, "2021-05-11 18:00");
    assert_eq!(
        lines(&wf, &effects),
        [
            "2021-05-10T17:00 overdue task unit",
            // The record's agency is the target; its lead is the new lead by then.
            "2021-05-11T17:00 reassigned task office L1",
        ]
    );
    assert_eq!(i.leads(t), [office]);
    assert_eq!(i.task_state(t).unwrap().reassigned_to, Some(office));
    assert!(i.inbox(unit).is_empty());
    let e = refused(&mut i, "2021-05-11 18:00", "unit", "task", "start");
    assert_eq!(e.code(), "not_allowed");
    act(&mut i, "2021-05-11 18:00", "office", "task", "start");
}

// ---------------------------------------------------------------- timed transitions

#[test]
fn timed_transition_fired_by_the_system() {
    let wf = workflow(
        r#"(id: "lapse",
            states: [(id: "open", kind: Initial), (id: "held"), (id: "lapsed", kind: Cancelled), (id: "done", kind: Done)],
            transitions: [
                (on: "hold", from: ["open"], to: "held", by: [Lead]),
                (on: "finish", from: ["held"], to: "done", by: [Lead]),
                (on: "lapse", from: ["open", "held"], to: "lapsed", by: [System], after: "2h"),
            ])"#,
        "",
        r#"(id: "task", title: "T", lead: ["unit"], machine: "lapse")"#,
    );
    let mut i = start(&wf);
    let lapse = wf.action_id("lapse").unwrap();
    let next = i.next_timer().unwrap();
    assert_eq!(next.at, at("2021-05-10 10:00"));
    assert_eq!(next.reason, TimerReason::Timed { action: lapse });
    // Entering `held` restarts the clock: the old timer is stale.
    act(&mut i, "2021-05-10 09:00", "unit", "task", "hold");
    assert_eq!(i.next_timer().unwrap().at, at("2021-05-10 11:00"));
    // Nobody may fire a System transition.
    let e = refused(&mut i, "2021-05-10 09:30", "boss", "task", "lapse");
    assert_eq!(e.code(), "not_allowed");
    // And it is not in anyone's inbox.
    assert!(
        i.inbox(agency(&wf, "unit"))
            .iter()
            .all(|item| item.action != lapse)
    );
    let effects = run_until(&mut i, "2021-05-10 12:00");
    assert_eq!(effects.len(), 2);
    assert_eq!(effects[0].at, at("2021-05-10 11:00"));
    assert!(matches!(
        effects[0].kind,
        EffectKind::Transitioned { actor: None, .. }
    ));
    assert_eq!(
        lines(&wf, &effects),
        [
            "2021-05-10T11:00 transitioned task system",
            "2021-05-10T11:00 cancelled task unit",
        ]
    );
    assert_eq!(i.next_timer(), None);
}

// ---------------------------------------------------------------- recurring

#[test]
fn recurring_report_reschedules_the_due() {
    let wf = workflow(
        "",
        r#"(id: "daily", levels: [(after: "0h", action: Remind, target: Lead)])"#,
        r#"(id: "daily", title: "D", lead: ["unit"], policy: "daily",
            due: Every(every: "1d", at: "16:00", until: "2021-05-13 16:00"))"#,
    );
    let mut i = start(&wf);
    let t = task(&wf, "daily");
    let effects = act(&mut i, "2021-05-10 15:00", "unit", "daily", "report");
    assert_eq!(
        lines(&wf, &effects),
        [
            "2021-05-10T15:00 transitioned daily unit",
            "2021-05-10T15:00 rescheduled daily unit",
        ]
    );
    assert_eq!(
        effects[1].kind,
        EffectKind::Rescheduled {
            due: at("2021-05-11 16:00")
        }
    );
    // The report of the 11th is missed: overdue and reminded, then caught up.
    let effects = run_until(&mut i, "2021-05-12 09:00");
    assert_eq!(
        lines(&wf, &effects),
        [
            "2021-05-11T16:00 overdue daily unit",
            "2021-05-11T16:00 reminded daily unit L1",
        ]
    );
    act(&mut i, "2021-05-12 09:00", "unit", "daily", "report");
    let ts = i.task_state(t).unwrap();
    assert_eq!(ts.due, Some(at("2021-05-12 16:00")));
    assert!(!ts.overdue && ts.ever_overdue);
    assert_eq!(ts.first_due, Some(at("2021-05-10 16:00")));
    // The supervisor (the issuer) closes the series; it was late once.
    let effects = act(&mut i, "2021-05-12 10:00", "boss", "daily", "close");
    assert_eq!(
        effects.last().unwrap().kind,
        EffectKind::Completed { on_time: false }
    );
    assert_eq!(i.next_timer(), None);
}

// ---------------------------------------------------------------- dependencies

#[test]
fn dependants_unblock_when_dependencies_complete() {
    let wf = tasks(CHAIN);
    let mut i = start(&wf);
    act(&mut i, START, "unit", "first", "start");
    act(&mut i, "2021-05-10 09:00", "unit", "first", "report");
    let effects = act(&mut i, "2021-05-10 10:00", "boss", "first", "accept");
    assert_eq!(
        lines(&wf, &effects),
        [
            "2021-05-10T10:00 transitioned first boss",
            "2021-05-10T10:00 completed first unit",
            "2021-05-10T10:00 unblocked after unit2",
            "2021-05-10T10:00 started after unit2",
            "2021-05-10T10:00 unblocked guarded unit2",
        ]
    );
    let after = i.task_state(task(&wf, "after")).unwrap();
    assert_eq!(after.started_at, Some(at("2021-05-10 10:00")));
    act(&mut i, "2021-05-10 10:00", "unit2", "guarded", "start");
}

#[test]
fn a_fan_out_unblocks_only_when_every_member_is_done() {
    let wf = tasks(
        r#"(id: "each", title: "E", for_each: "units"),
           (id: "sum", title: "S", lead: ["office"], depends_on: ["each"], start: AfterDependencies)"#,
    );
    let mut i = start(&wf);
    // A member may not act on the other's share.
    let e = refused(&mut i, START, "unit", "each[unit2]", "acknowledge");
    assert_eq!(e.code(), "not_allowed");
    for (n, member) in ["unit", "unit2"].iter().enumerate() {
        let hour = format!("2021-05-10 1{n}:00");
        act(&mut i, &hour, member, "each", "start");
        act(&mut i, &hour, member, "each", "report");
        let effects = act(&mut i, &hour, "boss", &format!("each[{member}]"), "accept");
        let unblocked = effects.iter().any(|e| e.kind == EffectKind::Unblocked);
        assert_eq!(unblocked, n == 1, "after {member}");
    }
}

#[test]
fn a_dependency_on_an_empty_fan_out_is_done_from_the_start() {
    // A group with no members (a warning, not an error) fans out to no task instances:
    // nothing can ever complete them, so a task waiting on them must not wait forever.
    let wf = with_groups(
        r#"(id: "units", name: "Units", members: [])"#,
        "",
        "",
        r#"(id: "each", title: "E", for_each: "units"),
           (id: "sum", title: "S", lead: ["office"], depends_on: ["each"], start: AfterDependencies)"#,
    );
    let i = start(&wf);
    let sum = i.task_state(task(&wf, "sum")).unwrap();
    assert_eq!(sum.started_at, Some(at(START)));
    let mut i = i;
    act(&mut i, START, "office", "sum", "acknowledge");
}

#[test]
fn completion_on_time_and_late() {
    let wf = tasks(
        r#"(id: "early", title: "E", lead: ["unit"], due: At("2021-05-10 17:00")),
           (id: "late", title: "L", lead: ["unit2"], due: At("2021-05-10 17:00"))"#,
    );
    let mut i = start(&wf);
    act(&mut i, "2021-05-10 09:00", "unit", "early", "start");
    act(&mut i, "2021-05-10 16:00", "unit", "early", "report");
    run_until(&mut i, "2021-05-11 08:00");
    act(&mut i, "2021-05-11 08:00", "unit2", "late", "start");
    act(&mut i, "2021-05-11 09:00", "unit2", "late", "report");
    let a = act(&mut i, "2021-05-11 10:00", "boss", "early", "accept");
    let b = act(&mut i, "2021-05-11 10:00", "boss", "late", "accept");
    // Accepted after the due time, but reported before it: on time.
    assert_eq!(a[1].kind, EffectKind::Completed { on_time: true });
    assert_eq!(b[1].kind, EffectKind::Completed { on_time: false });
    let status = i.status();
    assert_eq!(status[0].on_time, Some(true));
    assert_eq!(status[1].on_time, Some(false));
    assert!(status.iter().all(|s| s.done && !s.overdue));
}

#[test]
fn cancel_stops_timers_and_keeps_dependants_blocked() {
    let wf = tasks(
        r#"(id: "first", title: "F", lead: ["unit"], due: At("2021-05-10 17:00")),
           (id: "after", title: "A", lead: ["unit2"], depends_on: ["first"], start: AfterDependencies)"#,
    );
    let mut i = start(&wf);
    let effects = act(&mut i, "2021-05-10 09:00", "boss", "first", "cancel");
    assert_eq!(
        lines(&wf, &effects),
        [
            "2021-05-10T09:00 transitioned first boss",
            "2021-05-10T09:00 cancelled first unit",
        ]
    );
    let first = i.task_state(task(&wf, "first")).unwrap();
    assert_eq!(first.finished_at, Some(at("2021-05-10 09:00")));
    assert_eq!(i.next_timer(), None);
    assert!(run_until(&mut i, "2021-05-20 09:00").is_empty());
    let e = refused(&mut i, "2021-05-20 09:00", "unit2", "after", "acknowledge");
    assert_eq!(e.code(), "blocked");
    assert!(!i.status()[0].done);
}

// ---------------------------------------------------------------- inbox, timers, paths

#[test]
fn inbox_lists_what_an_agency_may_do_now() {
    let wf = tasks(&format!("{ONE}, {CHAIN}"));
    let mut i = start(&wf);
    let names = |i: &Instance, who: &str| -> Vec<String> {
        i.inbox(agency(&wf, who))
            .iter()
            .map(|item| {
                format!(
                    "{} {}",
                    wf.task_slot(item.task).name,
                    wf.action_name(item.action)
                )
            })
            .collect()
    };
    assert_eq!(
        names(&i, "unit"),
        [
            "task acknowledge",
            "task start",
            "task request_extension",
            "first acknowledge",
            "first start"
        ]
    );
    // `after` is blocked; `guarded` may be acknowledged but not started.
    assert_eq!(names(&i, "unit2"), ["guarded acknowledge"]);
    assert_eq!(
        names(&i, "boss"),
        ["task cancel", "first cancel", "guarded cancel"]
    );
    assert!(names(&i, "outsider").is_empty());
    act(&mut i, START, "unit", "task", "start");
    act(&mut i, START, "unit", "task", "report");
    assert_eq!(names(&i, "unit"), ["first acknowledge", "first start"]);
    assert_eq!(
        names(&i, "boss"),
        [
            "task accept",
            "task return",
            "task cancel",
            "first cancel",
            "guarded cancel"
        ]
    );
}

#[test]
fn next_timer_is_the_earliest_live_timer() {
    let wf = workflow(
        "",
        r#"(id: "p", levels: [
            (after: "2h", from: Entered("assigned"), action: Remind, target: Lead),
            (after: "1h", action: Escalate, target: Supervisor),
        ])"#,
        r#"(id: "a", title: "A", lead: ["unit"], due: At("2021-05-10 11:00"), policy: "p"),
           (id: "b", title: "B", lead: ["unit2"], start: At("2021-05-10 09:00"))"#,
    );
    let mut i = start(&wf);
    let (a, b) = (task(&wf, "a"), task(&wf, "b"));
    let mut seen = Vec::new();
    while let Some(next) = i.next_timer() {
        assert!(next.at >= i.now());
        seen.push((next.at, next.task, next.reason));
        i.advance(next.at).unwrap();
    }
    assert_eq!(
        seen,
        [
            (at("2021-05-10 09:00"), b, TimerReason::Start),
            (
                at("2021-05-10 10:00"),
                a,
                TimerReason::Escalation { level: 1 }
            ),
            (at("2021-05-10 11:00"), a, TimerReason::Due),
            (
                at("2021-05-10 12:00"),
                a,
                TimerReason::Escalation { level: 2 }
            ),
        ]
    );
    // Calling advance early only moves the clock.
    let mut j = start(&wf);
    assert!(j.advance(at("2021-05-10 08:30")).unwrap().is_empty());
    assert_eq!(j.now(), at("2021-05-10 08:30"));
}

#[test]
fn ties_fire_in_instance_then_kind_order() {
    let wf = workflow(
        "",
        r#"(id: "p", levels: [(after: "0h", action: Remind, target: Lead)])"#,
        r#"(id: "x", title: "X", lead: ["unit2"], due: At("2021-05-10 12:00"), policy: "p"),
           (id: "y", title: "Y", lead: ["unit"], due: At("2021-05-10 12:00"), policy: "p"),
           (id: "z", title: "Z", lead: ["office"], start: At("2021-05-10 12:00"), due: At("2021-05-10 12:00"))"#,
    );
    let expected = [
        "2021-05-10T12:00 overdue x unit2",
        "2021-05-10T12:00 reminded x unit2 L1",
        "2021-05-10T12:00 overdue y unit",
        "2021-05-10T12:00 reminded y unit L1",
        "2021-05-10T12:00 started z office",
        "2021-05-10T12:00 overdue z office",
    ];
    // One big step and step-by-step give the same order.
    let mut i = start(&wf);
    assert_eq!(
        lines(&wf, &i.advance(at("2021-05-11 08:00")).unwrap()),
        expected
    );
    let mut j = start(&wf);
    assert_eq!(lines(&wf, &run_until(&mut j, "2021-05-11 08:00")), expected);
    assert_eq!(i.state().clone(), {
        // Same state, except the journal (one advance vs several).
        let mut k = Instance::replay(wf.clone(), &i.journal()[..1]).unwrap();
        k.advance(at("2021-05-11 08:00")).unwrap();
        k.state().clone()
    });
}

#[test]
fn critical_path_follows_actual_times() {
    let wf = tasks(
        r#"(id: "a", title: "A", lead: ["unit"], due: At("2021-05-11 17:00")),
           (id: "b", title: "B", lead: ["unit2"], due: At("2021-05-12 17:00")),
           (id: "c", title: "C", lead: ["office"], depends_on: ["a", "b"], start: AfterDependencies, due: WorkingDays(1))"#,
    );
    let ids = |path: Vec<directrix_core::workflow::TaskId>| -> Vec<String> {
        path.iter().map(|t| wf.task(*t).id.clone()).collect()
    };
    assert_eq!(ids(wf.critical_path()), ["b", "c"]);
    let mut i = start(&wf);
    assert_eq!(ids(i.critical_path()), ["b", "c"]);
    // `b` finishes at once; `a` runs late: the path now goes through `a`.
    act(&mut i, START, "unit2", "b", "start");
    act(&mut i, START, "unit2", "b", "report");
    act(&mut i, START, "boss", "b", "accept");
    run_until(&mut i, "2021-05-14 09:00");
    assert_eq!(ids(i.critical_path()), ["a", "c"]);
}

// ---------------------------------------------------------------- regressions

#[test]
fn a_return_after_a_passed_due_time_does_not_send_time_backwards() {
    let wf = tasks(ONE);
    let mut i = start(&wf);
    act(&mut i, "2021-05-10 09:00", "unit", "task", "start");
    act(&mut i, "2021-05-11 09:00", "unit", "task", "report");
    // The due time (11/05 17:00) passes with the work handed in; no advance is called.
    act(&mut i, "2021-05-12 09:00", "boss", "task", "return");
    let now = i.now();
    if let Some(next) = i.next_timer() {
        assert!(next.at >= now, "next timer {:?} is before now", next.at);
    }
    let effects = i.advance(at("2021-05-12 10:00")).unwrap();
    assert!(effects.iter().all(|e| e.at >= now), "{effects:?}");
    // The same with the host advancing first gives the same state.
    let mut j = start(&wf);
    act(&mut j, "2021-05-10 09:00", "unit", "task", "start");
    act(&mut j, "2021-05-11 09:00", "unit", "task", "report");
    j.advance(at("2021-05-12 09:00")).unwrap();
    act(&mut j, "2021-05-12 09:00", "boss", "task", "return");
    j.advance(at("2021-05-12 10:00")).unwrap();
    assert_eq!(
        i.status(),
        j.status(),
        "the outcome depends on whether the host advanced"
    );
}

#[test]
fn a_late_recurring_report_covers_every_missed_period() {
    let wf = tasks(
        r#"(id: "daily", title: "D", lead: ["unit"],
            due: Every(every: "1d", at: "16:00", until: "2021-05-20 16:00"))"#,
    );
    let mut i = start(&wf);
    // 10/05 and 11/05 are missed; the report on 12/05 at 09:00 catches up both.
    let effects = run_until(&mut i, "2021-05-12 09:00");
    assert_eq!(
        lines(&wf, &effects),
        ["2021-05-10T16:00 overdue daily unit"]
    );
    let effects = act(&mut i, "2021-05-12 09:00", "unit", "daily", "report");
    assert_eq!(
        effects[1].kind,
        EffectKind::Rescheduled {
            due: at("2021-05-12 16:00")
        }
    );
    assert!(i.overdue().is_empty());
    assert!(run_until(&mut i, "2021-05-12 15:00").is_empty());
}

#[test]
fn a_report_clears_overdue_and_a_return_restores_it() {
    let wf = tasks(ONE);
    let mut i = start(&wf);
    let t = task(&wf, "task");
    act(&mut i, START, "unit", "task", "start");
    run_until(&mut i, "2021-05-12 09:00");
    assert_eq!(i.overdue(), [t]);
    act(&mut i, "2021-05-12 09:00", "unit", "task", "report");
    assert!(i.overdue().is_empty());
    act(&mut i, "2021-05-12 10:00", "boss", "task", "return");
    assert_eq!(i.overdue(), [t]);
    act(&mut i, "2021-05-12 11:00", "unit", "task", "report");
    let effects = act(&mut i, "2021-05-12 12:00", "boss", "task", "accept");
    assert_eq!(effects[1].kind, EffectKind::Completed { on_time: false });
    assert!(i.overdue().is_empty());
}

// ---------------------------------------------------------------- extensions and returns

/// Acts with a note and, for an extension request, the due time asked for.
fn act_with(
    i: &mut Instance,
    when: &str,
    actor: &str,
    task: &str,
    action: &str,
    note: Option<&str>,
    until: Option<&str>,
) -> Result<Vec<Effect>, ActError> {
    let wf = i.workflow().clone();
    let (actor, task, action) = wf.resolve_act(actor, task, action)?;
    let mut effects = Vec::new();
    let args = directrix_core::instance::ActArgs {
        note,
        until: until.map(at),
    };
    i.act_with(at(when), actor, task, action, args, &mut effects)?;
    Ok(effects)
}

#[test]
fn an_approved_extension_moves_the_due_time_and_keeps_the_original_for_reporting() {
    let wf = tasks(ONE);
    let mut i = start(&wf);
    let t = task(&wf, "task");
    let effects = act_with(
        &mut i,
        "2021-05-10 09:00",
        "unit",
        "task",
        "request_extension",
        Some("test kits arrive on 12/05"),
        Some("2021-05-13 17:00"),
    )
    .unwrap();
    assert_eq!(
        lines(&wf, &effects),
        [
            "2021-05-10T09:00 transitioned task unit",
            "2021-05-10T09:00 extension_requested task boss"
        ]
    );
    // The request changes no state and no due time until the supervisor decides.
    assert_eq!(wf.state_name(t, i.task_state(t).unwrap().state), "assigned");
    assert_eq!(i.task_state(t).unwrap().due, Some(at("2021-05-11 17:00")));
    assert_eq!(i.grid().total.extension_pending, 1);
    act(
        &mut i,
        "2021-05-10 10:00",
        "boss",
        "task",
        "approve_extension",
    );
    let state = i.task_state(t).unwrap();
    assert_eq!(state.due, Some(at("2021-05-13 17:00")));
    assert_eq!(state.first_due, Some(at("2021-05-11 17:00")));
    // The original due time passes quietly; the granted one does not.
    let effects = run_until(&mut i, "2021-05-12 12:00");
    assert!(
        effects.iter().all(|e| e.kind.name() != "overdue"),
        "{effects:?}"
    );
    act(&mut i, "2021-05-12 12:00", "unit", "task", "start");
    act(&mut i, "2021-05-12 13:00", "unit", "task", "report");
    act(&mut i, "2021-05-12 14:00", "boss", "task", "accept");
    let grid = i.grid();
    // On time against the extension, late against the original.
    assert_eq!((grid.total.done_on_time, grid.total.done_late), (1, 0));
    assert_eq!((grid.total.extended, grid.total.late_vs_original), (1, 1));
    assert_eq!(grid.total.extension_pending, 0);
}

#[test]
fn a_refused_extension_leaves_the_due_time() {
    let wf = tasks(ONE);
    let mut i = start(&wf);
    let t = task(&wf, "task");
    act_with(
        &mut i,
        "2021-05-10 09:00",
        "unit",
        "task",
        "request_extension",
        Some("short of staff"),
        Some("2021-05-20 17:00"),
    )
    .unwrap();
    // Refusing needs a reason.
    let e = act_with(
        &mut i,
        "2021-05-10 10:00",
        "boss",
        "task",
        "refuse_extension",
        None,
        None,
    )
    .unwrap_err();
    assert_eq!(e.code(), "note_required");
    let effects = act_with(
        &mut i,
        "2021-05-10 10:00",
        "boss",
        "task",
        "refuse_extension",
        Some("the district meets on 12/05"),
        None,
    )
    .unwrap();
    assert_eq!(effects.last().unwrap().kind.name(), "extension_refused");
    assert_eq!(i.task_state(t).unwrap().due, Some(at("2021-05-11 17:00")));
    let effects = run_until(&mut i, "2021-05-11 18:00");
    assert!(effects.iter().any(|e| e.kind.name() == "overdue"));
    let grid = i.grid();
    assert_eq!((grid.total.extended, grid.total.open_overdue), (0, 1));
}

#[test]
fn extension_requests_are_checked_and_a_refusal_changes_nothing() {
    let wf = tasks(&format!("{ONE}, {CHAIN}"));
    let mut i = start(&wf);
    let before = i.clone();
    let request = |i: &mut Instance, task: &str, note: Option<&str>, until: Option<&str>| {
        act_with(
            i,
            "2021-05-10 09:00",
            "unit",
            task,
            "request_extension",
            note,
            until,
        )
        .unwrap_err()
    };
    // No reason, no time, a time not later than the due time, a task without a due time.
    assert_eq!(
        request(&mut i, "task", None, Some("2021-05-13 17:00")).code(),
        "note_required"
    );
    assert_eq!(
        request(&mut i, "task", Some("r"), None).code(),
        "invalid_extension"
    );
    let e = request(&mut i, "task", Some("r"), Some("2021-05-11 12:00"));
    assert_eq!(
        e.to_string(),
        "`request_extension` on task `task`: the due time asked for, 2021-05-11T12:00:00+07:00, \
         is not after the current due time 2021-05-11T17:00:00+07:00"
    );
    let e = request(&mut i, "first", Some("r"), Some("2021-05-13 17:00"));
    assert!(e.to_string().contains("no due time to extend"), "{e}");
    // Nothing to decide yet; `until` only goes with a request; only the lead may ask.
    let e = act_with(
        &mut i,
        "2021-05-10 09:00",
        "boss",
        "task",
        "approve_extension",
        None,
        None,
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("no extension request is pending"),
        "{e}"
    );
    let e = act_with(
        &mut i,
        "2021-05-10 09:00",
        "unit",
        "task",
        "start",
        None,
        Some("2021-05-13 17:00"),
    )
    .unwrap_err();
    assert_eq!(e.code(), "invalid_extension");
    let e = act_with(
        &mut i,
        "2021-05-10 09:00",
        "unit2",
        "task",
        "request_extension",
        Some("r"),
        Some("2021-05-13 17:00"),
    )
    .unwrap_err();
    assert_eq!(e.code(), "not_allowed");
    assert_eq!(i, before);
    // One request at a time.
    act_with(
        &mut i,
        "2021-05-10 09:00",
        "unit",
        "task",
        "request_extension",
        Some("r"),
        Some("2021-05-13 17:00"),
    )
    .unwrap();
    let e = request(&mut i, "task", Some("again"), Some("2021-05-14 17:00"));
    assert!(e.to_string().contains("already pending"), "{e}");
}

#[test]
fn an_extension_granted_after_the_due_time_clears_the_overdue_state() {
    let wf = tasks(ONE);
    let mut i = start(&wf);
    act_with(
        &mut i,
        "2021-05-11 09:00",
        "unit",
        "task",
        "request_extension",
        Some("r"),
        Some("2021-05-14 17:00"),
    )
    .unwrap();
    run_until(&mut i, "2021-05-12 09:00");
    assert_eq!(i.grid().total.open_overdue, 1);
    act(
        &mut i,
        "2021-05-12 09:00",
        "boss",
        "task",
        "approve_extension",
    );
    let grid = i.grid();
    assert_eq!((grid.total.open_in_time, grid.total.open_overdue), (1, 0));
    assert_eq!(grid.total.late_vs_original, 1);
}

#[test]
fn a_return_needs_a_note_is_counted_and_replays() {
    let wf = tasks(ONE);
    let mut i = start(&wf);
    act(&mut i, "2021-05-10 09:00", "unit", "task", "start");
    act(&mut i, "2021-05-10 10:00", "unit", "task", "report");
    let e = act_with(
        &mut i,
        "2021-05-10 11:00",
        "boss",
        "task",
        "return",
        Some("  "),
        None,
    )
    .unwrap_err();
    assert_eq!(e.code(), "note_required");
    let effects = act(&mut i, "2021-05-10 11:00", "boss", "task", "return");
    assert_eq!(effects.last().unwrap().kind.name(), "returned");
    assert_eq!(i.grid().total.returned, 1);
    act_with(
        &mut i,
        "2021-05-10 12:00",
        "unit",
        "task",
        "request_extension",
        Some("redo takes a day"),
        Some("2021-05-12 17:00"),
    )
    .unwrap();
    act(
        &mut i,
        "2021-05-10 13:00",
        "boss",
        "task",
        "approve_extension",
    );
    // Notes and extension times are in the journal: replay rebuilds the same instance.
    let replayed = Instance::replay(wf.clone(), i.journal()).unwrap();
    assert_eq!(replayed, i);
    let json = serde_json::to_string(i.journal()).unwrap();
    assert!(
        json.contains("redo the figures") && json.contains("\"until\""),
        "{json}"
    );
}

// ---------------------------------------------------------------- the time range

/// Issue "Robustness", item 4: a time past `Timestamp::MAX` or before `Timestamp::MIN`
/// is `invalid_time` at every entry point, and nothing changes; the instance stays
/// savable. Before, `act` at 2^53 moved the clock there and the snapshot no longer fit
/// a JS number.
#[test]
fn times_outside_the_representable_range_are_refused() {
    use directrix_core::{instance::ActArgs, instance::TimerPolicy};
    let wf = tasks(r#"(id: "task", title: "T", lead: ["unit"], due: At("2021-06-11 17:00"))"#);
    let (unit, task_id) = (agency(&wf, "unit"), task(&wf, "task"));
    let acknowledge = wf.action_id("acknowledge").unwrap();
    let outside = [
        Timestamp::from_seconds(9_007_199_254_740_992),
        Timestamp::from_seconds(i64::MAX),
        Timestamp::from_seconds(i64::MIN),
        Timestamp::from_seconds(Timestamp::MAX.as_seconds() + 1),
    ];
    for bad in outside {
        let mut i = start(&wf);
        let state = i.state().clone();
        let code = |e: ActError| e.code();
        assert_eq!(
            i.act(bad, unit, task_id, acknowledge, None).map_err(code),
            Err("invalid_time")
        );
        assert_eq!(i.advance(bad).map_err(code), Err("invalid_time"));
        assert_eq!(
            i.resume(bad, TimerPolicy::Skip).map_err(code),
            Err("invalid_time")
        );
        assert_eq!(
            i.resume(bad, TimerPolicy::CatchUp).map_err(code),
            Err("invalid_time")
        );
        assert_eq!(
            Instance::restore_at(wf.clone(), i.snapshot(), bad, TimerPolicy::Skip)
                .map(drop)
                .map_err(|e| e.code()),
            Err("invalid_time")
        );
        assert_eq!(
            Instance::start(wf.clone(), bad).map(drop).map_err(code),
            Err("invalid_time")
        );
        assert_eq!(i.state(), &state, "{bad:?} changed the instance");
    }
    // The ends themselves are fine, and an extension may not ask for a time past them.
    let mut i = start(&wf);
    let args = ActArgs {
        note: Some("x"),
        until: Some(outside[0]),
    };
    let request = wf.action_id("request_extension").unwrap();
    act(&mut i, "2021-05-10 09:00", "unit", "task", "acknowledge");
    assert_eq!(
        i.act_with(
            at("2021-05-10 09:00"),
            unit,
            task_id,
            request,
            args,
            &mut Vec::new()
        )
        .map_err(|e| e.code()),
        Err("invalid_time")
    );
    run_until(&mut i, "2021-06-12 08:00");
    i.advance(Timestamp::MAX).unwrap();
    assert_eq!(i.now(), Timestamp::MAX);
    let snapshot = serde_json::to_value(i.snapshot()).unwrap();
    assert!(Instance::restore(wf.clone(), serde_json::from_value(snapshot).unwrap()).is_ok());
    // Text past the range is refused by the parser the RON front end uses.
    let west = UtcOffset::from_hms(-12, 0, 0).unwrap();
    assert_eq!(
        Timestamp::parse("9999-12-31T23:59:59-12:00", west),
        Err(directrix_core::time::TimeError::OutOfRange)
    );
    assert_eq!(
        Timestamp::parse("9999-12-31T23:59:59+14:00", west),
        Ok(Timestamp::MAX)
    );
    // A journal that starts outside the range does not replay.
    let journal = [directrix_core::Input::Start { at: outside[1] }];
    assert!(Instance::replay(wf.clone(), &journal).is_err());
}

/// Escalation timers that would fall after `Timestamp::MAX` are never set: they could
/// never fire, and would put an unrepresentable time into `next_timer` and snapshots.
#[test]
fn timers_past_the_end_of_time_are_not_set() {
    let wf = workflow(
        "",
        r#"(id: "slow", levels: [(after: "100000000000d", action: Remind, target: Lead)])"#,
        r#"(id: "task", title: "T", lead: ["unit"], due: At("2021-05-11 17:00"), policy: "slow")"#,
    );
    let mut i = start(&wf);
    i.advance(at("2021-05-12 08:00")).unwrap();
    assert_eq!(i.next_timer(), None);
    assert!(serde_json::to_string(&i.snapshot()).unwrap().len() > 10);
}
