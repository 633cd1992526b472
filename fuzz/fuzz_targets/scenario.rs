//! A scenario text (seeded from `workflows/*.scenario.ron`, mutated token by token) loaded
//! against the bundled seed workflow, with the seed's follow-up document available by
//! name; when it loads, simulated. Loading must not panic and its diagnostics point inside
//! the text; a run must not panic, gives the same report for the same seed, and that
//! report serialises; the instance it ends with keeps the engine's invariants, restores
//! from its snapshot and replays from its journal.
//!
//! An optional first line `//@ SEED` picks the run's random seed (modelled agencies).
#![no_main]

use directrix_core::{Instance, LoadError, Scenario, Span, simulation::TimelineEntry, Timestamp, Workflow, load, simulate};
use directrix_fuzz::{check_diagnostic, check_instance, check_views, header, mutate_ron};
use libfuzzer_sys::{fuzz_mutator, fuzz_target};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// The follow-up document the seed's scenarios may name.
const FOLLOW_UP: &str = "kien-xuong-114-cv-hu.120.followup.ron";

/// How far past its start a run goes at most: longer than every bundled scenario (three
/// weeks), short enough that a run stays cheap (the `effects-per-run` limit bounds a
/// longer one, but a run of a million effects would slow the fuzzer a thousandfold).
const HORIZON: Span = Span::from_seconds(62 * 86_400);

struct Seed {
    workflow: Arc<Workflow>,
    texts: BTreeMap<String, String>,
}

fn seed() -> &'static Seed {
    static SEED: OnceLock<Seed> = OnceLock::new();
    SEED.get_or_init(|| Seed {
        workflow: Arc::new(
            load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron"))
                .expect("the seed workflow loads")
                .workflow,
        ),
        texts: BTreeMap::from([(
            FOLLOW_UP.to_owned(),
            include_str!("../../workflows/kien-xuong-114-cv-hu.120.followup.ron").to_owned(),
        )]),
    })
}

fn check_refusal(source: &str, error: &LoadError) {
    assert!(
        error.diagnostics.iter().any(|d| d.is_error()),
        "a refused scenario reports no error"
    );
    for diagnostic in &error.diagnostics {
        check_diagnostic(source, diagnostic);
    }
    let _ = error.to_string();
}

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let seed = seed();
    let (scenario, warnings) = match Scenario::load_with(source, &seed.workflow, &seed.texts) {
        Ok(loaded) => loaded,
        Err(error) => return check_refusal(source, &error),
    };
    for warning in &warnings {
        assert!(!warning.is_error(), "a loaded scenario carries an error");
        check_diagnostic(source, warning);
    }
    assert!(
        scenario.until >= scenario.start,
        "a scenario ends before it starts"
    );
    let until = scenario.until.min(scenario.start.saturating_add(HORIZON));
    let [run_seed, ..] = header(source);
    let first = simulate(seed.workflow.clone(), &scenario, run_seed, Some(until));
    let again = simulate(seed.workflow.clone(), &scenario, run_seed, Some(until));
    let (run, again) = match (first, again) {
        (Ok(run), Ok(again)) => (run, again),
        // A run that fails (a follow-up refused at run time, a limit) fails alike twice.
        (Err(a), Err(b)) => {
            assert_eq!(a, b, "two runs of one scenario with one seed fail differently");
            assert!(!a.code().is_empty());
            return;
        }
        (a, b) => panic!("one run failed and the other did not: {a:?} / {b:?}"),
    };
    let report = run.report();
    assert_eq!(
        report,
        again.report(),
        "two runs of one scenario with one seed differ"
    );
    serde_json::to_string(&report).expect("a report serialises");

    // The timeline is in time order and stops where the run says it stopped.
    assert!(
        run.until <= until.max(scenario.start),
        "the run went past its horizon"
    );
    let mut last: Option<Timestamp> = None;
    for entry in &run.timeline {
        let at = match entry {
            TimelineEntry::Effect(effect) | TimelineEntry::Acted { effect, .. } => effect.at,
            TimelineEntry::FollowUp { at, .. } => *at,
            // A refused action keeps its scripted time (which a timer at the same
            // instant may follow).
            TimelineEntry::Rejected { .. } => continue,
        };
        assert!(last <= Some(at), "timeline out of order: {entry:?}");
        assert!(
            at <= run.instance.now(),
            "timeline entry after the end: {entry:?}"
        );
        last = Some(at);
    }
    let followed = run
        .timeline
        .iter()
        .filter(|e| matches!(e, TimelineEntry::FollowUp { .. }))
        .count();
    assert_eq!(
        run.versions.len(),
        followed + 1,
        "one version per follow-up applied"
    );

    // The instance it ends with is a sound one.
    let instance = &run.instance;
    check_instance(instance);
    check_views(instance);
    let json = serde_json::to_string(&instance.snapshot()).expect("a snapshot serialises");
    let snapshot = serde_json::from_str(&json).expect("a snapshot deserialises");
    let restored =
        Instance::restore(instance.workflow().clone(), snapshot).expect("own snapshot restores");
    assert!(
        restored == *instance,
        "restore(snapshot) differs from the run"
    );
    let replayed = Instance::replay(seed.workflow.clone(), instance.journal())
        .expect("the run's journal replays");
    assert!(
        replayed == *instance,
        "replay(journal) differs from the run"
    );
});

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    mutate_ron(data, size, max_size, seed, 8)
});
