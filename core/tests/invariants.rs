//! The engine's invariants (ARCHITECTURE.md) as properties over random sequences of
//! `act` and `advance`, on the seed workflow and on a small generated cascade.
//!
//! Half the actions are taken from an agency's inbox, so they mostly succeed and the
//! sequences reach deep states (reports, acceptance, completion, unblocked dependents);
//! the rest are arbitrary (any agency, any action), so refusals are exercised too.
//!
//! At every step: a refused call changes nothing; an accepted act was made by an agency
//! holding one of the fired transition's roles (derived here from the workflow's
//! definition, not by asking the engine); time never goes backwards; escalation levels
//! never decrease; the grid's four counts plus the cancelled ones cover every task
//! instance. At the end: replaying the journal rebuilds the instance, and snapshot →
//! restore → continue equals never stopping. The checks live in `common/mod.rs`, shared
//! with the generated workflows of `generated_workflows.rs`.

mod common;

use common::{Reach, apply, fresh, replay_equals_state, restore_continues, step, steps};
use directrix_core::{Workflow, load};
use directrix_generate::{CascadeParams, generate_cascade};
use proptest::prelude::*;
use std::sync::{Arc, LazyLock};

static SEED: LazyLock<Arc<Workflow>> = LazyLock::new(|| {
    Arc::new(
        load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron"))
            .unwrap()
            .workflow,
    )
});

static CASCADE: LazyLock<Arc<Workflow>> = LazyLock::new(|| {
    let generated = generate_cascade(CascadeParams {
        provinces: 2,
        districts: 4,
        communes: 8,
        seed: 3,
    });
    Arc::new(load(&generated.workflow).unwrap().workflow)
});

/// Directive 16/CT-TTg: measures in force for a period (their timers, and the final
/// report the engine holds until the period ends).
static PERIOD: LazyLock<Arc<Workflow>> = LazyLock::new(|| {
    let options = directrix_core::LoadOptions::default().with_calendar(
        "vn-public-holidays",
        include_str!("../../workflows/calendars/vn-public-holidays.ron"),
    );
    Arc::new(
        directrix_core::load_with(include_str!("../../workflows/ct-16-ttg-2020.ron"), &options)
            .unwrap()
            .workflow,
    )
});

proptest! {
    // Moderate, so the suite stays fast in debug builds; raise with PROPTEST_CASES.
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn seed_replay_equals_state(steps in steps()) {
        replay_equals_state(&SEED, &steps);
    }

    #[test]
    fn seed_restore_continues(steps in steps(), cut in any::<prop::sample::Index>()) {
        let cut = cut.index(steps.len() + 1);
        restore_continues(&SEED, &steps, cut);
    }

    #[test]
    fn period_replay_equals_state(steps in steps()) {
        replay_equals_state(&PERIOD, &steps);
    }

    #[test]
    fn period_restore_continues(steps in steps(), cut in any::<prop::sample::Index>()) {
        let cut = cut.index(steps.len() + 1);
        restore_continues(&PERIOD, &steps, cut);
    }

    #[test]
    fn cascade_replay_equals_state(steps in steps()) {
        replay_equals_state(&CASCADE, &steps);
    }

    #[test]
    fn cascade_restore_continues(steps in steps(), cut in any::<prop::sample::Index>()) {
        let cut = cut.index(steps.len() + 1);
        restore_continues(&CASCADE, &steps, cut);
    }
}

/// The generator goes deep: acts are accepted and refused, tasks complete, escalations
/// fire, on both workflows.
#[test]
fn the_generator_goes_deep() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    for wf in [&*SEED, &*CASCADE] {
        let mut runner = TestRunner::deterministic();
        let mut reach = Reach::default();
        for _ in 0..10 {
            let steps = prop::collection::vec(step(), 60)
                .new_tree(&mut runner)
                .unwrap()
                .current();
            let mut i = fresh(wf);
            for s in steps {
                apply(&mut i, s, &mut reach);
            }
        }
        let number = &wf.directive().number;
        assert!(reach.accepted > 150, "{number}: {reach:?}");
        assert!(reach.refused > 50, "{number}: {reach:?}");
        assert!(reach.completed >= 4, "{number}: {reach:?}");
        assert!(reach.escalated > 10, "{number}: {reach:?}");
    }
}
