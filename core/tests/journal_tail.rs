//! Snapshots without the journal: a host that stores the journal itself snapshots the
//! state alone (`snapshot_without_journal`), restores it and applies the journal tail
//! input by input (`apply_input`), and must arrive where replaying the whole journal
//! does, at every cut; a tampered tail or snapshot is refused.

use directrix_core::{
    Input, Instance, Scenario, Snapshot, Timestamp, Workflow,
    instance::{ReplayError, RestoreError},
    load,
    simulation::simulate_state,
};
use std::sync::Arc;

const SEED: &str = include_str!("../../workflows/kien-xuong-114-cv-hu.ron");
const SCENARIO: &str = include_str!("../../workflows/kien-xuong-114-cv-hu.scenario.ron");
const LETTER: &str = include_str!("../../workflows/kien-xuong-114-cv-hu.120.followup.ron");

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

/// The seed scenario's run to 12 May 08:00, the follow-up letter applied then, and acts
/// and timers after it: a journal of every kind a host writes but `migrate`.
fn seed_run() -> Instance {
    let workflow = seed();
    let (scenario, _) = Scenario::load(SCENARIO, &workflow).unwrap();
    let letter_at = at("2021-05-12 08:00");
    let mut instance = simulate_state(workflow, &scenario, 1, Some(letter_at)).unwrap();
    instance.advance(letter_at).unwrap();
    instance.apply_follow_up(letter_at, LETTER).unwrap();
    let t = at("2021-05-12 09:00");
    instance.advance(t).unwrap();
    instance
        .act_by_name(t, "police", "checkpoints", "acknowledge", None)
        .unwrap();
    instance.advance(at("2021-05-19 08:00")).unwrap();
    instance
}

/// The workflow a state after `journal[..cut]` runs: the seed, amended by each follow-up
/// in it (what a host rebuilds from the texts it stored).
fn workflow_after(journal: &[Input], cut: usize) -> Arc<Workflow> {
    journal[..cut]
        .iter()
        .fold(seed(), |workflow, input| match input {
            Input::FollowUp { text, .. } => Arc::new(workflow.amend(text).unwrap().workflow),
            _ => workflow,
        })
}

/// A snapshot without the journal, through JSON as a host would store it.
fn stored(instance: &Instance) -> Snapshot {
    let json = serde_json::to_string(&instance.snapshot_without_journal()).unwrap();
    serde_json::from_str(&json).unwrap()
}

#[test]
fn snapshot_without_journal_plus_tail_equals_replaying_the_whole_journal_at_every_cut() {
    let whole = seed_run();
    let journal = whole.journal().to_vec();
    assert!(journal.len() > 20, "a journal of {} inputs", journal.len());
    assert!(
        journal
            .iter()
            .any(|input| matches!(input, Input::FollowUp { .. }))
    );
    let replayed = Instance::replay(seed(), &journal).unwrap();
    assert_eq!(replayed, whole);
    for cut in 1..=journal.len() {
        let prefix = Instance::replay(seed(), &journal[..cut]).unwrap();
        let snapshot = stored(&prefix);
        let mut restored = Instance::restore(workflow_after(&journal, cut), snapshot).unwrap();
        assert_eq!((restored.journal_len(), restored.journal().len()), (cut, 0));
        for input in &journal[cut..] {
            restored.apply_input(input).unwrap();
        }
        assert_eq!(
            restored.snapshot_without_journal(),
            whole.snapshot_without_journal(),
            "cut at {cut}"
        );
        assert_eq!(restored.journal(), &journal[cut..]);
        assert_eq!(restored.next_timer(), whole.next_timer());
        assert_eq!(restored.grid(), whole.grid());
    }
}

#[test]
fn apply_input_gives_the_effects_of_the_live_run() {
    let workflow = seed();
    let (mut live, _) = Instance::start(workflow.clone(), workflow.directive().issued_at).unwrap();
    let mut applied = Instance::restore(workflow, stored(&live)).unwrap();
    let t = at("2021-05-07 09:00");
    let advanced = live.advance(t).unwrap();
    let acted = live
        .act_by_name(t, "health", "health_readiness", "acknowledge", None)
        .unwrap();
    let later = live.advance(at("2021-05-10 17:00")).unwrap();
    for (input, effects) in live.journal()[1..].iter().zip([advanced, acted, later]) {
        assert_eq!(applied.apply_input(input).unwrap(), effects);
    }
}

#[test]
fn forgetting_the_journal_makes_snapshot_journal_less() {
    let mut instance = seed_run();
    let len = instance.journal_len();
    let before = instance.snapshot_without_journal();
    instance.forget_journal();
    assert_eq!((instance.journal_len(), instance.journal().len()), (len, 0));
    assert_eq!(instance.snapshot(), before);
    assert_eq!(instance.snapshot_without_journal(), before);
}

#[test]
fn a_tampered_tail_is_refused_at_its_position() {
    let whole = seed_run();
    let journal = whole.journal().to_vec();
    let cut = journal.len() - 3;
    let prefix = Instance::replay(seed(), &journal[..cut]).unwrap();
    let restore = || Instance::restore(workflow_after(&journal, cut), stored(&prefix)).unwrap();

    // A second start.
    let mut restored = restore();
    assert_eq!(
        restored.apply_input(&Input::Start { at: whole.now() }),
        Err(ReplayError::NoStart)
    );

    // An input moved back before the snapshot's time.
    let mut restored = restore();
    let back = Input::Advance {
        to: at("2021-05-07 08:00"),
    };
    assert!(matches!(
        restored.apply_input(&back),
        Err(ReplayError::Input { index, error }) if index == cut && error.code() == "time_went_backwards"
    ));

    // A resume that records other skipped timers than applying it skips.
    let mut restored = restore();
    let resume = Input::Resume {
        to: whole.now(),
        policy: directrix_core::instance::TimerPolicy::CatchUp,
        skipped: vec![directrix_core::instance::SkippedTimer {
            task: whole.workflow().task_ref("health_readiness").unwrap(),
            level: 1,
            at: whole.now(),
        }],
    };
    assert!(matches!(
        restored.apply_input(&resume),
        Err(ReplayError::Diverged { index }) if index == cut
    ));

    // A migration without its versions.
    let mut restored = restore();
    let migrate = Input::Migrate {
        at: whole.now(),
        from: restored.workflow().content_hash().to_owned(),
        to: "0".repeat(64),
    };
    assert!(matches!(
        restored.apply_input(&migrate),
        Err(ReplayError::UnknownVersion { index, .. }) if index == cut
    ));
}

#[test]
fn a_tampered_journal_less_snapshot_is_refused() {
    let whole = seed_run();
    let workflow = whole.workflow().clone();
    let json = serde_json::to_value(whole.snapshot_without_journal()).unwrap();
    let restore = |json: serde_json::Value| {
        Instance::restore(workflow.clone(), serde_json::from_value(json).unwrap())
    };
    assert!(restore(json.clone()).is_ok());

    // Without its base, the empty journal lacks its start.
    let mut edited = json.clone();
    edited["state"]
        .as_object_mut()
        .unwrap()
        .remove("journal_base");
    assert!(matches!(restore(edited), Err(RestoreError::Mismatch(m)) if m.contains("start")));

    // A start among the kept inputs.
    let mut edited = json.clone();
    edited["state"]["journal"] = serde_json::json!([{"input": "start", "at": whole.started_at()}]);
    assert!(
        matches!(restore(edited), Err(RestoreError::Mismatch(m)) if m.contains("second start"))
    );

    // A kept act naming a task instance the workflow does not have.
    let mut edited = json.clone();
    edited["state"]["journal"] = serde_json::json!([{
        "input": "act", "at": whole.now(), "actor": 0, "task": 100000, "action": 0, "note": null
    }]);
    assert!(
        matches!(restore(edited), Err(RestoreError::Mismatch(m)) if m.contains("does not exist"))
    );

    // A kept input after the instance's clock.
    let mut edited = json.clone();
    edited["state"]["journal"] =
        serde_json::json!([{"input": "advance", "to": whole.now().as_seconds() + 60}]);
    assert!(
        matches!(restore(edited), Err(RestoreError::Mismatch(m)) if m.contains("past the instance's clock"))
    );

    // A length that cannot be counted.
    let mut edited = json;
    edited["state"]["journal_base"] = serde_json::json!(u64::MAX);
    edited["state"]["journal"] =
        serde_json::json!([{"input": "advance", "to": whole.now().as_seconds()}]);
    assert!(matches!(restore(edited), Err(RestoreError::Mismatch(m)) if m.contains("counted")));
}
