//! The seed workflow driven by an arbitrary sequence of act / advance / snapshot+restore /
//! replay, with the engine's invariants checked after every step: time never goes
//! backwards, a failed call changes nothing, escalation levels never decrease while a
//! task is active, restore(snapshot) and replay(journal) equal the instance, the grid
//! adds up.
#![no_main]

use arbitrary::Arbitrary;
use directrix_core::{ActError, workflow::ActionId, workflow::AgencyId, Effect, Instance, workflow::TaskRef, Span, Timestamp, Workflow, load};
use directrix_fuzz::{check_effects, check_instance, check_round_trips, check_step, check_views};
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, OnceLock};

/// A step forward in time (runs stop at `HORIZON`).
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Dt {
    Zero,
    Seconds(u16),
    Hours(u8),
    Days(u8),
    Far(u16),
}

impl Dt {
    fn span(self) -> Span {
        Span::from_seconds(match self {
            Dt::Zero => 0,
            Dt::Seconds(s) => i64::from(s),
            Dt::Hours(h) => i64::from(h) * 3_600,
            Dt::Days(d) => i64::from(d) * 86_400,
            Dt::Far(s) => i64::from(s) * 1_000,
        })
    }
}

#[derive(Arbitrary, Debug)]
enum Op {
    /// An agency acts. `actor` picks one of the instance's leads first, then any agency
    /// (one past the end: an unknown one); `action` one of the transitions leaving the
    /// current state first, then any action id (past the end: an unknown one).
    Act {
        actor: u8,
        task: u16,
        action: u8,
        dt: Dt,
        /// `advance(at)` first, as a host does, so pending timers do not refuse the act.
        advance_first: bool,
        note: bool,
    },
    /// Time passes.
    Advance { dt: Dt },
    /// To the next timer.
    AdvanceToNext,
    /// Into the past: must fail and change nothing.
    Back { seconds: u16 },
    /// Through JSON and back; the run goes on with the restored instance.
    SnapshotRestore,
    /// Rebuilt from the journal; the run goes on with the replayed instance.
    Replay,
}

/// How far past the issue time a run goes: six weeks covers every deadline of the seed
/// (two weeks) and its escalations with room to spare, and keeps each run cheap (every
/// open task fires its repeating escalations daily until it closes).
const HORIZON: Span = Span::from_seconds(42 * 86_400);

/// `dt` after now, but not past the horizon.
fn later(instance: &Instance, dt: Dt) -> Timestamp {
    let horizon = instance.started_at().saturating_add(HORIZON);
    instance
        .now()
        .saturating_add(dt.span())
        .min(horizon.max(instance.now()))
}

struct Seed {
    workflow: Arc<Workflow>,
    actions: u32,
}

fn seed() -> &'static Seed {
    static SEED: OnceLock<Seed> = OnceLock::new();
    SEED.get_or_init(|| {
        let source = include_str!("../../workflows/kien-xuong-114-cv-hu.ron");
        let workflow = Arc::new(load(source).expect("the seed workflow loads").workflow);
        let actions = workflow
            .machines()
            .iter()
            .flat_map(|m| &m.transitions)
            .map(|t| t.action.index() as u32 + 1)
            .max()
            .unwrap_or(0);
        Seed { workflow, actions }
    })
}

/// One `act`, its indices picked as `Op::Act` says.
fn act(
    instance: &mut Instance,
    seed: &Seed,
    at: Timestamp,
    op: (u8, u16, u8, bool),
) -> Result<Vec<Effect>, ActError> {
    let (actor, task, action, note) = op;
    let workflow = &seed.workflow;
    let instances = workflow.task_slots().len() as u32;
    let task = TaskRef::from_index(u32::from(task) % (instances + 1));
    let leads: Vec<AgencyId> = if task.index() < workflow.task_slots().len() {
        instance.leads(task).to_vec()
    } else {
        Vec::new()
    };
    let agencies = workflow.agencies().len() as u32;
    let actor = match leads.get(usize::from(actor)) {
        Some(&lead) => lead,
        None => AgencyId::from_index((u32::from(actor) - leads.len() as u32) % (agencies + 1)),
    };
    let open: Vec<ActionId> = match instance.task_state(task) {
        Some(state) => workflow
            .machine_of(task)
            .transitions
            .iter()
            .filter(|t| t.from.contains(&state.state))
            .map(|t| t.action)
            .collect(),
        None => Vec::new(),
    };
    let action = match open.get(usize::from(action)) {
        Some(&action) => action,
        None => ActionId::from_index((u32::from(action) - open.len() as u32) % (seed.actions + 1)),
    };
    let note = note.then_some("ghi chú");
    instance
        .act(at, actor, task, action, note)
        .inspect_err(|error| {
            let _ = (error.to_string(), error.code(), error.hint());
        })
}

fuzz_target!(|ops: Vec<Op>| {
    let seed = seed();
    let workflow = seed.workflow.clone();
    let (mut instance, _) = Instance::start(workflow.clone(), workflow.directive().issued_at).expect("a parsed time is in range");
    check_instance(&instance);
    for op in ops.into_iter().take(256) {
        let before = instance.clone();
        let ok = match op {
            Op::Act {
                actor,
                task,
                action,
                dt,
                advance_first,
                note,
            } => {
                let at = later(&instance, dt);
                if advance_first {
                    match instance.advance(at) {
                        Ok(effects) => check_effects(before.now(), &instance, &effects),
                        Err(_) => {
                            assert!(instance == before, "a failed advance changed the instance")
                        }
                    }
                }
                let middle = instance.clone();
                match act(&mut instance, seed, at, (actor, task, action, note)) {
                    Ok(effects) => check_effects(middle.now(), &instance, &effects),
                    Err(_) => assert!(instance == middle, "a failed act changed the instance"),
                }
                true
            }
            Op::Advance { dt } => {
                let result = instance.advance(later(&instance, dt));
                result
                    .map(|effects| check_effects(before.now(), &instance, &effects))
                    .is_ok()
            }
            Op::AdvanceToNext => match instance.next_timer() {
                Some(next) => {
                    let result = instance.advance(next.at);
                    result
                        .map(|effects| check_effects(before.now(), &instance, &effects))
                        .is_ok()
                }
                None => true,
            },
            Op::Back { seconds } => {
                let to = instance
                    .now()
                    .saturating_add(Span::from_seconds(-1 - i64::from(seconds)));
                assert!(
                    instance.advance(to).is_err(),
                    "advance into the past succeeded"
                );
                false
            }
            Op::SnapshotRestore => {
                let json = serde_json::to_vec(&instance.snapshot()).expect("a snapshot serialises");
                let snapshot = serde_json::from_slice(&json).expect("a snapshot deserialises");
                let restored =
                    Instance::restore(workflow.clone(), snapshot).expect("own snapshot restores");
                assert!(
                    restored == instance,
                    "restore(snapshot) differs from the instance"
                );
                instance = restored;
                true
            }
            Op::Replay => {
                let replayed = Instance::replay(workflow.clone(), instance.journal())
                    .expect("own journal replays");
                assert!(
                    replayed == instance,
                    "replay(journal) differs from the instance"
                );
                instance = replayed;
                true
            }
        };
        assert!(
            ok || instance == before,
            "a failed call changed the instance"
        );
        check_step(&before, &instance);
    }
    check_views(&instance);
    check_round_trips(&instance);
});
