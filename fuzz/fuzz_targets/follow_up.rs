//! A follow-up document text (seeded from `workflows/*.followup.ron`, mutated token by
//! token), checked with `Workflow::amend` and applied with `Instance::apply_follow_up` to
//! a running instance of the seed workflow, at some time.
//!
//! The running instances are the seed's two scripted scenarios stopped every half day
//! (the second one after its own follow-up, so documents can follow a follow-up). The
//! optional first line `//@ INSTANCE MINUTES FLAGS` picks one of them, how many minutes
//! after its clock the document is applied, and flags: 1 = do not `advance` there first
//! (pending timers must refuse the document), 2 = apply that many minutes before its
//! clock instead (refused: time went backwards).
//!
//! Checked: amending and applying never panic and their diagnostics point inside the
//! text; a refused document changes nothing (the instance and its snapshot are as
//! before); an applied one was amendable, moves the instance to the amended workflow,
//! gives the same result twice, and leaves an instance that restores from its snapshot,
//! replays from its journal, and keeps the engine's invariants through its next timers.
//! (Inspecting and rendering an amended workflow is left to `load_mutated`: it is a
//! workflow like any other, and doing it here would halve the executions.)
#![no_main]

use directrix_core::{instance::FollowUpError, Instance, Scenario, Span, Workflow, load, simulate};
use directrix_fuzz::{
    check_diagnostic, check_effects, check_instance, check_step, check_views, header, mutate_ron,
};
use libfuzzer_sys::{fuzz_mutator, fuzz_target};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// How many timers are fired after an applied document, at most.
const TIMERS: usize = 50;

/// A running instance and the workflow it started with (for replay).
struct Running {
    original: Arc<Workflow>,
    instance: Instance,
}

fn running() -> &'static [Running] {
    static RUNNING: OnceLock<Vec<Running>> = OnceLock::new();
    RUNNING.get_or_init(|| {
        let workflow = Arc::new(
            load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron"))
                .expect("the seed workflow loads")
                .workflow,
        );
        let name = "kien-xuong-114-cv-hu.120.followup.ron";
        let texts = BTreeMap::from([(
            name.to_owned(),
            include_str!("../../workflows/kien-xuong-114-cv-hu.120.followup.ron").to_owned(),
        )]);
        let mut running = Vec::new();
        for source in [
            include_str!("../../workflows/kien-xuong-114-cv-hu.scenario.ron"),
            include_str!("../../workflows/kien-xuong-114-cv-hu.followup.scenario.ron"),
        ] {
            let (scenario, _) =
                Scenario::load_with(source, &workflow, &texts).expect("the seed's scenarios load");
            // Every half day from the start for two weeks: 29 instances per scenario.
            for half_days in 0..=28 {
                let until = scenario
                    .start
                    .saturating_add(Span::from_seconds(half_days * 43_200));
                let run = simulate(workflow.clone(), &scenario, 1, Some(until))
                    .expect("the seed's scenarios run");
                running.push(Running {
                    original: workflow.clone(),
                    instance: run.instance,
                });
            }
        }
        running
    })
}

fn check_error(text: &str, error: &FollowUpError) {
    assert!(!error.code().is_empty());
    for diagnostic in error.diagnostics() {
        check_diagnostic(text, diagnostic);
    }
    if let FollowUpError::Invalid { diagnostics } = error {
        assert!(
            diagnostics.iter().any(|d| d.is_error()),
            "an invalid document reports no error"
        );
    }
    let _ = error.to_string();
}

fn json(instance: &Instance) -> String {
    serde_json::to_string(&instance.snapshot()).expect("a snapshot serialises")
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let [which, minutes, flags, _] = header(text);
    let running = running();
    let Running { original, instance } = &running[(which % running.len() as u64) as usize];
    let mut instance = instance.clone();

    let amended = instance.workflow().amend(text);
    match &amended {
        Ok(amended) => {
            for warning in &amended.warnings {
                assert!(!warning.is_error(), "an amendment carries an error");
                check_diagnostic(text, warning);
            }
        }
        Err(error) => check_error(text, error),
    }

    let span = Span::from_seconds((minutes % (60 * 24 * 60)) as i64 * 60);
    let at = if flags & 2 != 0 {
        instance
            .now()
            .saturating_add(Span::from_seconds(-span.as_seconds()))
    } else {
        instance.now().saturating_add(span)
    };
    if flags & 1 == 0 && at >= instance.now() {
        let step = instance.clone();
        match instance.advance(at) {
            Ok(effects) => check_effects(step.now(), &instance, &effects),
            Err(_) => assert!(instance == step, "a failed advance changed the instance"),
        }
    }

    let before = instance.clone();
    let before_json = json(&before);
    let result = instance.apply_follow_up(at, text);
    let (effects, report) = match result {
        Err(error) => {
            check_error(text, &error);
            assert!(
                instance == before,
                "a refused follow-up changed the instance"
            );
            assert_eq!(
                json(&instance),
                before_json,
                "a refused follow-up changed the snapshot"
            );
            return;
        }
        Ok(applied) => applied,
    };

    // Applied: the document was amendable, and the instance runs its amended workflow.
    let amended = match amended {
        Ok(amended) => amended,
        Err(error) => panic!("applied, but `amend` refused it: {error}"),
    };
    assert_eq!(
        instance.workflow().content_hash(),
        amended.workflow.content_hash(),
        "the instance runs another workflow than `amend` gives"
    );
    check_effects(before.now(), &instance, &effects);
    serde_json::to_string(&report).expect("a follow-up report serialises");
    let mut again = before.clone();
    let (effects_again, report_again) = again
        .apply_follow_up(at, text)
        .expect("the same document applies again to the same state");
    assert_eq!(effects, effects_again, "one document, two outcomes");
    assert_eq!(report, report_again, "one document, two reports");
    assert!(again == instance, "one document, two states");

    let round_trips = |instance: &Instance| {
        let snapshot = serde_json::from_str(&json(instance)).expect("a snapshot deserialises");
        let restored = Instance::restore(instance.workflow().clone(), snapshot)
            .expect("own snapshot restores");
        assert!(restored == *instance, "restore(snapshot) differs");
        let replayed =
            Instance::replay(original.clone(), instance.journal()).expect("the journal replays");
        assert!(
            replayed == *instance,
            "replay(journal) differs from the state"
        );
    };
    round_trips(&instance);
    check_instance(&instance);
    check_views(&instance);
    for _ in 0..TIMERS {
        let Some(next) = instance.next_timer() else {
            break;
        };
        let step = instance.clone();
        match instance.advance(next.at) {
            Ok(effects) => check_effects(step.now(), &instance, &effects),
            Err(_) => assert!(instance == step, "a failed advance changed the instance"),
        }
        check_step(&step, &instance);
    }
    round_trips(&instance);
});

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    mutate_ron(data, size, max_size, seed, 24)
});
