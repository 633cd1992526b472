//! The full report of every bundled scenario, pinned as a snapshot; a run's horizon and
//! the limit that bounds its work.

use directrix_core::{
    LoadOptions, Scenario, load, load_with, simulate, simulation::simulate_state,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn report_json() -> String {
    let workflow = Arc::new(
        load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron"))
            .unwrap()
            .workflow,
    );
    let (scenario, _warnings) = Scenario::load(
        include_str!("../../workflows/kien-xuong-114-cv-hu.scenario.ron"),
        &workflow,
    )
    .unwrap();
    let report = simulate(workflow, &scenario, 1, None).unwrap().report();
    serde_json::to_string_pretty(&report).unwrap()
}

#[test]
fn seed_scenario_timeline() {
    let json = report_json();
    assert_eq!(json, report_json(), "two runs differ");
    insta::assert_snapshot!("seed_scenario_report", json);
}

/// The bundled workflows' folder.
fn workflows_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../workflows")
}

/// The `.ron` files of `dir` whose names end with `suffix`, by name, in name order.
fn texts(dir: &Path, suffix: &str) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?.to_owned();
            let text = name
                .ends_with(suffix)
                .then(|| std::fs::read_to_string(&path))?;
            Some((name, text.unwrap()))
        })
        .collect()
}

/// The JSON report of a bundled scenario run with seed 1, its workflow (`NAME.ron` for
/// `NAME[.LABEL].scenario.ron`) loaded with the shared calendars and registries as the
/// CLI loads them (every `calendars/NAME.ron` and `registries/NAME.ron`, through
/// `LoadOptions::with_calendar` and `with_registry`), and its follow-up documents read
/// and child documents from the files beside it (`NAME.LABEL.followup.ron`,
/// `NAME.LABEL.child.ron`).
fn bundled_report(scenario_file: &str, scenario: &str) -> String {
    let dir = workflows_dir();
    let name = scenario_file.split('.').next().unwrap();
    let options = texts(&dir.join("calendars"), ".ron")
        .into_iter()
        .fold(LoadOptions::default(), |options, (file, text)| {
            options.with_calendar(file.trim_end_matches(".ron"), text)
        });
    let options = texts(&dir.join("registries"), ".ron")
        .into_iter()
        .fold(options, |options, (file, text)| {
            options.with_registry(file.trim_end_matches(".ron"), text)
        });
    let source = std::fs::read_to_string(dir.join(format!("{name}.ron"))).unwrap();
    let workflow = Arc::new(load_with(&source, &options).unwrap().workflow);
    let mut follow_ups = texts(&dir, ".followup.ron");
    follow_ups.extend(texts(&dir, ".child.ron"));
    let (scenario, _warnings) = Scenario::load_with(scenario, &workflow, &follow_ups)
        .unwrap_or_else(|e| panic!("{scenario_file}: {:?}", e.diagnostics));
    let report = simulate(workflow, &scenario, 1, None).unwrap().report();
    serde_json::to_string_pretty(&report).unwrap()
}

#[test]
fn every_bundled_scenario_timeline() {
    let scenarios = texts(&workflows_dir(), ".scenario.ron");
    assert!(
        scenarios.len() >= 6,
        "the glob found only {:?}",
        scenarios.keys()
    );
    for (file, text) in &scenarios {
        let json = bundled_report(file, text);
        assert_eq!(json, bundled_report(file, text), "{file}: two runs differ");
        // The seed's scenario keeps its snapshot of old; each other one gets its own.
        let snapshot = match file.strip_suffix(".scenario.ron").unwrap() {
            "kien-xuong-114-cv-hu" => "seed_scenario_report".to_owned(),
            stem => format!("bundled_{stem}"),
        };
        insta::assert_snapshot!(snapshot, json);
    }
}

#[test]
fn seed_scenario_escalates_the_late_agency() {
    let json: serde_json::Value = serde_json::from_str(&report_json()).unwrap();
    let plan: Vec<String> = json["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["task"] == "contingency_plan" && e["kind"] != "transitioned")
        .map(|e| {
            format!(
                "{} {} {}",
                e["at"].as_str().unwrap(),
                e["kind"].as_str().unwrap(),
                e["agency"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        plan,
        [
            "2021-05-07T08:00:00+07:00 started health",
            "2021-05-11T09:00:00+07:00 unblocked health",
            "2021-05-12T17:00:00+07:00 overdue health",
            "2021-05-12T17:00:00+07:00 reminded health",
            "2021-05-13T17:00:00+07:00 escalated district_standing",
            "2021-05-15T17:00:00+07:00 escalated province_standing",
            "2021-05-17T14:00:00+07:00 completed health",
        ]
    );
    assert_eq!(json["summary"]["rejected"], 0);
}

// ------------------------------------------------- the run's horizon and its limit

const SEED: &str = include_str!("../../workflows/kien-xuong-114-cv-hu.ron");
const SCENARIO: &str = include_str!("../../workflows/kien-xuong-114-cv-hu.scenario.ron");

fn seed_with(limits: &[(&str, u64)]) -> Arc<directrix_core::Workflow> {
    let mut set = directrix_core::Limits::default();
    for (name, value) in limits {
        set.set(name, *value).unwrap();
    }
    let options = directrix_core::LoadOptions::default().with_limits(set);
    Arc::new(directrix_core::load_with(SEED, &options).unwrap().workflow)
}

fn time(text: &str) -> directrix_core::Timestamp {
    directrix_core::Timestamp::parse(
        text,
        directrix_core::time::UtcOffset::from_hms(7, 0, 0).unwrap(),
    )
    .unwrap()
}

/// The error of a run expected to fail (a `Simulation` is too big to print).
fn failure<T>(result: Result<T, directrix_core::SimulateError>) -> directrix_core::SimulateError {
    match result {
        Ok(_) => panic!("the run should fail"),
        Err(error) => error,
    }
}

#[test]
fn a_far_horizon_stops_at_the_effects_limit_with_a_coded_error() {
    // Nobody acts: escalations to the province repeat every day or two, forever.
    let workflow = seed_with(&[]);
    let scenario = Scenario::silent(&workflow);
    let far = Some(time("9999-12-31 00:00"));
    let error = failure(simulate(Arc::clone(&workflow), &scenario, 1, far));
    assert_eq!(error.code(), "too_many_effects");
    assert_eq!(error.limit(), Some(("effects-per-run", 10_000_000)));
    let message = error.to_string();
    assert!(
        message.contains("`effects-per-run`") && message.contains("9999-12-31T00:00:00+07:00"),
        "{message}"
    );
    // The grid's run keeps no timeline, but is bounded the same way.
    let error = failure(simulate_state(workflow, &scenario, 1, far));
    assert_eq!(error.code(), "too_many_effects");
}

#[test]
fn raising_the_effects_limit_lets_the_run_reach_its_horizon() {
    let year = time("2022-05-07 08:00");
    let run = |limit: u64| {
        let workflow = seed_with(&[("effects-per-run", limit)]);
        simulate(
            Arc::clone(&workflow),
            &Scenario::silent(&workflow),
            1,
            Some(year),
        )
    };
    assert_eq!(failure(run(1_000)).code(), "too_many_effects");
    let reached = run(100_000).unwrap();
    assert_eq!(reached.until, year);
    assert_eq!(reached.instance.now(), year);
    assert!(reached.timeline.len() > 1_000, "{}", reached.timeline.len());
    // The limit counts the timeline's entries: exactly as many pass, one fewer fails.
    let scripted = |limit: u64| {
        let workflow = seed_with(&[("effects-per-run", limit)]);
        let (scenario, _) = Scenario::load(SCENARIO, &workflow).unwrap();
        simulate(workflow, &scenario, 1, None)
    };
    let entries = scripted(1_000_000).unwrap().timeline.len() as u64;
    assert!(scripted(entries).is_ok());
    assert_eq!(failure(scripted(entries - 1)).code(), "too_many_effects");
}

#[test]
fn a_horizon_before_the_start_is_an_error_naming_both_times() {
    let workflow = seed_with(&[]);
    let (scenario, _) = Scenario::load(SCENARIO, &workflow).unwrap();
    let early = Some(time("2021-05-01 08:00"));
    for error in [
        failure(simulate(Arc::clone(&workflow), &scenario, 1, early)),
        failure(simulate_state(Arc::clone(&workflow), &scenario, 1, early)),
    ] {
        assert_eq!(error.code(), "horizon_before_start");
        let message = error.to_string();
        assert!(
            message.contains("2021-05-01T08:00:00+07:00")
                && message.contains("2021-05-07T08:00:00+07:00"),
            "{message}"
        );
    }
    // The start itself is inside the run.
    let at_start = simulate(workflow, &scenario, 1, Some(scenario.start)).unwrap();
    assert_eq!(at_start.until, scenario.start);
}
