//! The engine's invariants, checked step by step on random `act` / `advance` sequences:
//! shared by `invariants.rs` (the seed and a generated cascade) and
//! `generated_workflows.rs` (generated workflows).
//!
//! At every step: a refused call changes nothing; an accepted act was made by an agency
//! holding one of the fired transition's roles (derived here from the workflow's
//! definition, not by asking the engine); what an inbox offers is accepted; time never
//! goes backwards; escalation levels never decrease; the grid's four counts plus the
//! cancelled ones cover every task instance. At the end: replaying the journal rebuilds
//! the instance, and snapshot → restore → continue equals never stopping.
#![allow(dead_code)]

use directrix_core::{
    Effect, Instance, Snapshot, Span, Timestamp, Workflow, workflow::AgencyId, workflow::Role,
    workflow::TaskRef,
};
use proptest::prelude::*;
use std::sync::Arc;

#[derive(Debug, Clone, Copy)]
pub enum Step {
    /// An agency with something for task instance `task` in its inbox (else the first
    /// agency from `agency` on with anything in its inbox) takes item `item`.
    Inbox {
        task: usize,
        agency: usize,
        item: usize,
        after: i64,
    },
    /// Any agency (or one of the instance's parties) tries any action (or one of the
    /// instance's machine).
    Act {
        party: bool,
        who: usize,
        task: usize,
        machine_action: bool,
        action: usize,
        after: i64,
        advance_first: bool,
    },
    Advance {
        after: i64,
    },
}

/// Minutes to wait before a step: often none, sometimes days.
pub fn minutes() -> impl Strategy<Value = i64> {
    prop_oneof![
        3 => Just(0i64),
        4 => 1i64..=240,
        2 => 240i64..=2 * 24 * 60,
        1 => 2 * 24 * 60i64..=7 * 24 * 60,
    ]
}

pub fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        // A few instances get most of the attention, so some go all the way to done.
        5 => (prop_oneof![0usize..3, any::<usize>()], any::<usize>(), any::<usize>(), minutes())
            .prop_map(|(task, agency, item, after)| Step::Inbox { task, agency, item, after }),
        4 => (
            any::<bool>(),
            any::<usize>(),
            any::<usize>(),
            any::<bool>(),
            any::<usize>(),
            minutes(),
            any::<bool>(),
        )
            .prop_map(
                |(party, who, task, machine_action, action, after, advance_first)| Step::Act {
                    party,
                    who,
                    task,
                    machine_action,
                    action,
                    after,
                    advance_first,
                }
            ),
        1 => minutes().prop_map(|after| Step::Advance { after }),
    ]
}

pub fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(step(), 0..60)
}

pub fn later(i: &Instance, minutes: i64) -> Timestamp {
    i.now().saturating_add(Span::from_seconds(minutes * 60))
}

pub fn json(i: &Instance) -> String {
    serde_json::to_string(&i.snapshot()).unwrap()
}

/// Independently of the engine's own check: whether `actor` holds `role` on `task`,
/// given the lead it was reassigned to (if any).
pub fn holds(
    wf: &Workflow,
    reassigned_to: Option<AgencyId>,
    role: Role,
    actor: AgencyId,
    task: TaskRef,
) -> bool {
    let slot = wf.task_slot(task);
    let def = wf.task(slot.task);
    match role {
        Role::Lead => match (reassigned_to, slot.member) {
            (Some(lead), _) => lead == actor,
            (None, Some(member)) => member == actor,
            (None, None) => def.leads.contains(&actor),
        },
        Role::Support => def.support.contains(&actor),
        Role::Supervisor => def.supervisor == actor,
        Role::Issuer => wf.directive().issuer == actor,
        Role::Agency(agency) => agency == actor,
        Role::System => false,
    }
}

/// What the runs reached, to check the generator goes deep.
#[derive(Debug, Default)]
pub struct Reach {
    pub accepted: usize,
    pub refused: usize,
    pub completed: usize,
    pub escalated: usize,
}

/// Tries one act, checking the per-act invariants; returns its effects.
pub fn try_act(
    i: &mut Instance,
    at: Timestamp,
    actor: AgencyId,
    task: TaskRef,
    action: directrix_core::workflow::ActionId,
    reach: &mut Reach,
) -> Result<Vec<Effect>, directrix_core::ActError> {
    let wf = Arc::clone(i.workflow());
    let before = i.state().clone();
    let from = i.task_state(task).map(|s| (s.state, s.reassigned_to));
    // Arguments as a host gives them: a note always, a later due time for an extension
    // request (judged from the definition, so a wrong action still meets the engine).
    let asks_extension = wf.machine_of(task).transitions.iter().any(|t| {
        t.action == action
            && t.extension == Some(directrix_core::spec::ExtensionStep::Request)
            && i.task_state(task)
                .is_some_and(|s| t.from.contains(&s.state))
    });
    let until = asks_extension
        .then(|| i.task_state(task).and_then(|s| s.due))
        .flatten()
        .map(|due| due.saturating_add(directrix_core::Span::from_seconds(86_400)));
    let args = directrix_core::instance::ActArgs {
        note: Some("as the property test asks"),
        until,
    };
    let mut effects = Vec::new();
    match i
        .act_with(at, actor, task, action, args, &mut effects)
        .map(|()| effects)
    {
        Ok(effects) => {
            reach.accepted += 1;
            // Only the named role can fire a transition: the definition's transition
            // from the old state to the new one, on this action, names a role the actor
            // held before acting.
            let (from, reassigned_to) = from.expect("an accepted act names a real instance");
            let to = i.task_state(task).unwrap().state;
            let machine = wf.machine_of(task);
            let fired = machine
                .transitions
                .iter()
                .filter(|t| t.action == action && t.from.contains(&from) && t.to == to)
                .filter(|t| t.after.is_none())
                .collect::<Vec<_>>();
            assert!(!fired.is_empty(), "no transition {from:?} -> {to:?}");
            assert!(
                fired.iter().any(|t| t.by.iter().any(|&role| holds(
                    &wf,
                    reassigned_to,
                    role,
                    actor,
                    task
                ))),
                "{} fired `{}` on {} without a role",
                wf.agency(actor).id,
                wf.action_name(action),
                wf.task_slot(task).name,
            );
            Ok(effects)
        }
        Err(error) => {
            reach.refused += 1;
            // A failed call changes nothing.
            assert_eq!(i.state(), &before, "{error}");
            Err(error)
        }
    }
}

/// Applies one step with every per-step check; returns its effects.
pub fn apply(i: &mut Instance, step: Step, reach: &mut Reach) -> Vec<Effect> {
    let wf = Arc::clone(i.workflow());
    let before_now = i.now();
    let levels: Vec<u8> = i.status().iter().map(|s| s.level).collect();
    let mut effects = Vec::new();
    match step {
        Step::Advance { after } => {
            effects.extend(i.advance(later(i, after)).expect("forward"));
        }
        Step::Inbox {
            task,
            agency,
            item,
            after,
        } => {
            let at = later(i, after);
            effects.extend(i.advance(at).expect("forward"));
            let agencies = wf.agencies().len();
            let task = TaskRef::from_index((task % wf.task_slots().len()) as u32);
            let inboxes: Vec<_> = (0..agencies)
                .map(|k| AgencyId::from_index(((agency + k) % agencies) as u32))
                .map(|a| (a, i.inbox(a)))
                .filter(|(_, inbox)| !inbox.is_empty())
                .collect();
            let offered = inboxes
                .iter()
                .map(|(a, inbox)| {
                    (
                        *a,
                        inbox
                            .iter()
                            .filter(|x| x.task == task)
                            .copied()
                            .collect::<Vec<_>>(),
                    )
                })
                .find(|(_, inbox)| !inbox.is_empty())
                .or_else(|| inboxes.first().cloned());
            if let Some((actor, inbox)) = offered {
                // Mostly actions that move the task on, so tasks reach done; now and then
                // one that stays put (an extension request or decision).
                let moving: Vec<_> = inbox
                    .iter()
                    .filter(|x| i.task_state(x.task).is_some_and(|s| s.state != x.to))
                    .copied()
                    .collect();
                let inbox = if item % 4 != 0 && !moving.is_empty() {
                    moving
                } else {
                    inbox
                };
                let pick = inbox[item % inbox.len()];
                // What the inbox offers now, the engine accepts now.
                let done = try_act(i, at, actor, pick.task, pick.action, reach)
                    .unwrap_or_else(|e| panic!("inbox item {pick:?} refused: {e}"));
                assert_eq!(i.task_state(pick.task).unwrap().state, pick.to);
                effects.extend(done);
            }
        }
        Step::Act {
            party,
            who,
            task,
            machine_action,
            action,
            after,
            advance_first,
        } => {
            let at = later(i, after);
            if advance_first {
                effects.extend(i.advance(at).expect("forward"));
            }
            let task = TaskRef::from_index((task % wf.task_slots().len()) as u32);
            let def = wf.task(wf.task_slot(task).task);
            let actor = if party {
                let mut parties = i.leads(task).to_vec();
                parties.extend(&def.support);
                parties.push(def.supervisor);
                parties.push(wf.directive().issuer);
                parties[who % parties.len()]
            } else {
                AgencyId::from_index((who % wf.agencies().len()) as u32)
            };
            let machine = wf.machine_of(task);
            let action = if machine_action {
                machine.transitions[action % machine.transitions.len()].action
            } else {
                let all: Vec<_> = wf
                    .machines()
                    .iter()
                    .flat_map(|m| m.transitions.iter().map(|t| t.action))
                    .collect();
                all[action % all.len()]
            };
            if let Ok(done) = try_act(i, at, actor, task, action, reach) {
                effects.extend(done);
            }
        }
    }
    // Time never goes backwards.
    assert!(i.now() >= before_now);
    let mut last = before_now;
    for effect in &effects {
        assert!(effect.at >= last && effect.at <= i.now(), "{effect:?}");
        last = effect.at;
    }
    if let Some(next) = i.next_timer() {
        assert!(next.at >= i.now(), "next timer {next:?} before now");
    }
    // Escalation levels never decrease.
    for (status, before) in i.status().iter().zip(&levels) {
        assert!(status.level >= *before, "{status:?}");
    }
    // The grid accounts for every task instance exactly once, in total and per lead.
    let grid = i.grid();
    assert_eq!(
        (grid.total.tracked() + grid.total.cancelled) as usize,
        wf.task_slots().len()
    );
    for row in &grid.agencies {
        let agency = wf.agency_id(&row.agency).unwrap();
        let led = (0..wf.task_slots().len())
            .filter(|&n| i.leads(TaskRef::from_index(n as u32)).contains(&agency))
            .count();
        assert_eq!((row.counts.tracked() + row.counts.cancelled) as usize, led);
    }
    for effect in &effects {
        match effect.kind.name() {
            "completed" => reach.completed += 1,
            "escalated" | "reminded" | "warned" | "reassigned" => reach.escalated += 1,
            _ => {}
        }
    }
    effects
}

pub fn fresh(wf: &Arc<Workflow>) -> Instance {
    Instance::start(Arc::clone(wf), wf.directive().issued_at)
        .unwrap()
        .0
}

pub fn replay_equals_state(wf: &Arc<Workflow>, steps: &[Step]) {
    let mut i = fresh(wf);
    let mut reach = Reach::default();
    for &s in steps {
        apply(&mut i, s, &mut reach);
    }
    // The read-only views run on whatever state the steps reached.
    let _ = (i.status_records(), i.overdue(), i.critical_path());
    let replayed = Instance::replay(Arc::clone(wf), i.journal()).unwrap();
    assert_eq!(replayed, i);
    assert_eq!(json(&replayed), json(&i));
}

pub fn restore_continues(wf: &Arc<Workflow>, steps: &[Step], cut: usize) {
    let mut reach = Reach::default();
    let mut whole = fresh(wf);
    let mut whole_effects = Vec::new();
    for (n, &s) in steps.iter().enumerate() {
        let effects = apply(&mut whole, s, &mut reach);
        if n >= cut {
            whole_effects.extend(effects);
        }
    }
    let mut first = fresh(wf);
    for &s in &steps[..cut] {
        apply(&mut first, s, &mut reach);
    }
    let snapshot: Snapshot = serde_json::from_str(&json(&first)).unwrap();
    let mut resumed = Instance::restore(Arc::clone(wf), snapshot).unwrap();
    assert_eq!(resumed, first);
    assert_eq!(resumed.next_timer(), first.next_timer());
    let mut resumed_effects = Vec::new();
    for &s in &steps[cut..] {
        resumed_effects.extend(apply(&mut resumed, s, &mut reach));
    }
    assert_eq!(resumed, whole);
    assert_eq!(json(&resumed), json(&whole));
    assert_eq!(resumed_effects, whole_effects);
}
