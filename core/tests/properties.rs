//! Properties of the engine over random input sequences on the seed workflow: replay and
//! snapshot round trips rebuild the same instance, refused inputs change nothing, only
//! role holders fire transitions, time and escalation levels never go back.

use directrix_core::{
    Effect, EffectKind, Instance, Snapshot, Workflow, load, workflow::AgencyId, workflow::Role,
    workflow::TaskRef,
};
use proptest::prelude::*;
use std::sync::{Arc, LazyLock};

static WORKFLOW: LazyLock<Arc<Workflow>> = LazyLock::new(|| {
    Arc::new(
        load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron"))
            .unwrap()
            .workflow,
    )
});

/// Who acts: any agency, or (more often useful) one of the instance's own parties.
#[derive(Debug, Clone, Copy)]
enum Who {
    Any(usize),
    Party(usize),
}

/// Which action: any action of the workflow, or one of the instance's machine.
#[derive(Debug, Clone, Copy)]
enum What {
    Any(usize),
    Machine(usize),
}

#[derive(Debug, Clone, Copy)]
enum Step {
    Act {
        who: Who,
        task: usize,
        what: What,
        /// Minutes after the current time.
        after: i64,
        /// Advance to the action's time first, as a careful host does.
        advance_first: bool,
    },
    Advance {
        after: i64,
    },
}

fn minutes() -> impl Strategy<Value = i64> {
    prop_oneof![
        2 => Just(0i64),
        4 => 1i64..=120,
        3 => 120i64..=24 * 60,
        1 => 24 * 60i64..=3 * 24 * 60,
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let who = prop_oneof![
        1 => any::<usize>().prop_map(Who::Any),
        3 => any::<usize>().prop_map(Who::Party),
    ];
    let what = prop_oneof![
        1 => any::<usize>().prop_map(What::Any),
        4 => any::<usize>().prop_map(What::Machine),
    ];
    prop_oneof![
        5 => (who, any::<usize>(), what, minutes(), any::<bool>()).prop_map(
            |(who, task, what, after, advance_first)| Step::Act {
                who,
                task,
                what,
                after,
                advance_first
            }
        ),
        1 => minutes().prop_map(|after| Step::Advance { after }),
    ]
}

fn plus_minutes(i: &Instance, minutes: i64) -> directrix_core::Timestamp {
    i.now()
        .saturating_add(directrix_core::Span::from_seconds(minutes * 60))
}

/// The agencies that hold a part in an instance: leads, support, supervisor, issuer.
fn parties(wf: &Workflow, i: &Instance, task: TaskRef) -> Vec<AgencyId> {
    let def = wf.task(wf.task_slot(task).task);
    let mut all = i.leads(task).to_vec();
    all.extend(&def.support);
    all.push(def.supervisor);
    all.push(wf.directive().issuer);
    all
}

/// Independently of the engine: whether `actor` holds `role` on `task` in `i`.
fn holds(wf: &Workflow, i: &Instance, role: Role, actor: AgencyId, task: TaskRef) -> bool {
    let slot = wf.task_slot(task);
    let def = wf.task(slot.task);
    match role {
        Role::Lead => match i.task_state(task).unwrap().reassigned_to {
            Some(lead) => lead == actor,
            None => match slot.member {
                Some(member) => member == actor,
                None => def.leads.contains(&actor),
            },
        },
        Role::Support => def.support.contains(&actor),
        Role::Supervisor => def.supervisor == actor,
        Role::Issuer => wf.directive().issuer == actor,
        Role::Agency(agency) => agency == actor,
        Role::System => false,
    }
}

fn json(i: &Instance) -> String {
    serde_json::to_string(&i.snapshot()).unwrap()
}

/// Applies one step with every per-step check; returns its effects.
fn apply(i: &mut Instance, step: Step) -> Vec<Effect> {
    let wf = WORKFLOW.clone();
    let before_now = i.now();
    let levels: Vec<u8> = i.status().iter().map(|s| s.level).collect();
    let mut effects = Vec::new();
    match step {
        Step::Advance { after } => {
            let to = plus_minutes(i, after);
            effects.extend(i.advance(to).expect("advance forward succeeds"));
        }
        Step::Act {
            who,
            task,
            what,
            after,
            advance_first,
        } => {
            let at = plus_minutes(i, after);
            if advance_first {
                effects.extend(i.advance(at).expect("advance forward succeeds"));
            }
            let task = TaskRef::clone(&wf_instance(&wf, task));
            let actor = match who {
                Who::Any(n) => agency_at(&wf, n),
                Who::Party(n) => {
                    let parties = parties(&wf, i, task);
                    parties[n % parties.len()]
                }
            };
            let machine = wf.machine_of(task);
            let action = match what {
                What::Any(n) => action_at(&wf, n),
                What::Machine(n) => machine.transitions[n % machine.transitions.len()].action,
            };
            let snapshot = json(i);
            let reassigned = i.task_state(task).unwrap().reassigned_to;
            match i.act(at, actor, task, action, None) {
                Ok(new) => {
                    // (d) The actor held one of the transition's roles.
                    let transitioned: Vec<_> = new
                        .iter()
                        .filter_map(|e| match e.kind {
                            EffectKind::Transitioned {
                                action: a,
                                from,
                                to,
                                actor: who,
                            } if e.task == task => Some((a, from, to, who)),
                            _ => None,
                        })
                        .collect();
                    assert_eq!(transitioned.len(), 1, "one transition per act: {new:?}");
                    let (a, from, to, who) = transitioned[0];
                    assert_eq!((a, who), (action, Some(actor)));
                    let transition = machine
                        .transitions
                        .iter()
                        .find(|t| t.action == a && t.from.contains(&from) && t.to == to)
                        .expect("the transition exists");
                    assert_eq!(i.task_state(task).unwrap().reassigned_to, reassigned);
                    assert!(
                        transition
                            .by
                            .iter()
                            .any(|&role| holds(&wf, i, role, actor, task)),
                        "{} fired {} on {} without a role ({:?})",
                        wf.agency(actor).id,
                        wf.action_name(action),
                        wf.task_slot(task).name,
                        transition.by
                    );
                    effects.extend(new);
                }
                Err(_) => {
                    // (c) A refused act changes nothing.
                    assert_eq!(json(i), snapshot);
                }
            }
        }
    }
    // (e) Time never goes backwards.
    let mut last = before_now;
    for effect in &effects {
        assert!(
            effect.at >= last,
            "effect before the previous one: {effect:?}"
        );
        assert!(effect.at <= i.now(), "effect after now: {effect:?}");
        last = effect.at;
    }
    if let Some(next) = i.next_timer() {
        assert!(next.at >= i.now(), "next timer {next:?} before now");
    }
    // (f) Escalation levels never decrease.
    for (status, before) in i.status().iter().zip(&levels) {
        assert!(status.level >= *before);
    }
    // Timed transitions are the only ones without an actor.
    for effect in &effects {
        if let EffectKind::Transitioned {
            action,
            from,
            to,
            actor: None,
        } = effect.kind
        {
            let machine = wf.machine_of(effect.task);
            assert!(machine.transitions.iter().any(|t| t.action == action
                && t.from.contains(&from)
                && t.to == to
                && t.by.contains(&Role::System)));
        }
    }
    effects
}

fn wf_instance(wf: &Workflow, n: usize) -> TaskRef {
    wf.task_ref(&wf.task_slots()[n % wf.task_slots().len()].name)
        .unwrap()
}

fn agency_at(wf: &Workflow, n: usize) -> AgencyId {
    wf.agency_id(&wf.agencies()[n % wf.agencies().len()].id)
        .unwrap()
}

fn action_at(wf: &Workflow, n: usize) -> directrix_core::workflow::ActionId {
    // Every action of any machine, by name.
    let names: Vec<&str> = wf
        .machines()
        .iter()
        .flat_map(|m| m.transitions.iter().map(|t| wf.action_name(t.action)))
        .collect();
    wf.action_id(names[n % names.len()]).unwrap()
}

fn fresh() -> Instance {
    let wf = WORKFLOW.clone();
    let at = wf.directive().issued_at;
    Instance::start(wf, at).unwrap().0
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// (a) The journal replays to the same instance; (c)-(f) hold at every step.
    #[test]
    fn replay_rebuilds_the_instance(steps in prop::collection::vec(step(), 0..40)) {
        let mut i = fresh();
        for &s in &steps {
            apply(&mut i, s);
        }
        let replayed = Instance::replay(WORKFLOW.clone(), i.journal()).unwrap();
        prop_assert_eq!(&replayed, &i);
        prop_assert_eq!(json(&replayed), json(&i));
    }

    /// (b) Snapshot, JSON round trip, restore, continue: the same as never stopping.
    #[test]
    fn snapshot_restore_continues_identically(
        steps in prop::collection::vec(step(), 0..40),
        cut in any::<prop::sample::Index>(),
    ) {
        let cut = if steps.is_empty() { 0 } else { cut.index(steps.len() + 1) };
        let mut whole = fresh();
        let mut whole_effects = Vec::new();
        for (n, &s) in steps.iter().enumerate() {
            let effects = apply(&mut whole, s);
            if n >= cut {
                whole_effects.extend(effects);
            }
        }
        let mut first = fresh();
        for &s in &steps[..cut] {
            apply(&mut first, s);
        }
        let text = json(&first);
        let snapshot: Snapshot = serde_json::from_str(&text).unwrap();
        let mut resumed = Instance::restore(WORKFLOW.clone(), snapshot).unwrap();
        prop_assert_eq!(&resumed, &first);
        prop_assert_eq!(resumed.next_timer(), first.next_timer());
        let mut resumed_effects = Vec::new();
        for &s in &steps[cut..] {
            resumed_effects.extend(apply(&mut resumed, s));
        }
        prop_assert_eq!(&resumed, &whole);
        prop_assert_eq!(json(&resumed), json(&whole));
        prop_assert_eq!(resumed_effects, whole_effects);
    }

    /// (c) Migrating onto the same version, or resuming later under any timer policy,
    /// changes no behaviour that follows, and replay still equals state.
    #[test]
    fn migration_and_resume_replay_identically(
        steps in prop::collection::vec(step(), 0..30),
        cut in any::<prop::sample::Index>(),
        pause in 0i64..20_000,
        policy in prop::sample::select(vec![
            directrix_core::instance::TimerPolicy::CatchUp,
            directrix_core::instance::TimerPolicy::Skip,
            directrix_core::instance::TimerPolicy::CollapseRecurring,
        ]),
    ) {
        let cut = if steps.is_empty() { 0 } else { cut.index(steps.len() + 1) };
        let mut whole = fresh();
        for &s in &steps[..cut] {
            apply(&mut whole, s);
        }
        let (mut migrated, report) =
            Instance::migrate(&WORKFLOW, WORKFLOW.clone(), whole.snapshot()).unwrap();
        prop_assert!(report.changed.is_empty() && report.added.is_empty());
        prop_assert_eq!(migrated.next_timer(), whole.next_timer());
        let later = plus_minutes(&whole, pause);
        prop_assert_eq!(migrated.advance(later).unwrap(), whole.advance(later).unwrap());
        prop_assert_eq!(migrated.status(), whole.status());
        let at = plus_minutes(&migrated, pause);
        migrated.resume(at, policy).unwrap();
        for &s in &steps[cut..] {
            apply(&mut migrated, s);
        }
        let replayed = Instance::replay_versions(std::slice::from_ref(&WORKFLOW), migrated.journal()).unwrap();
        prop_assert_eq!(&replayed, &migrated);
    }
}

/// The generator reaches successful actions and escalations often enough to matter.
#[test]
fn the_generator_exercises_the_engine() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut acts, mut escalations) = (0, 0);
    for _ in 0..32 {
        let steps = prop::collection::vec(step(), 40)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let mut i = fresh();
        for s in steps {
            for e in apply(&mut i, s) {
                match e.kind {
                    EffectKind::Transitioned { .. } => acts += 1,
                    EffectKind::Escalated { .. } | EffectKind::Reminded { .. } => escalations += 1,
                    _ => {}
                }
            }
        }
    }
    assert!(acts > 40, "only {acts} transitions");
    assert!(escalations > 10, "only {escalations} escalations");
}
