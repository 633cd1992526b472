//! `simulate --runs` and `generate cascade` on the real binary.

mod common;
use common::run;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Output;

const SEED: &str = "workflows/kien-xuong-114-cv-hu.ron";
const BEHAVIOUR: &str = "workflows/kien-xuong-114-cv-hu.behaviour.scenario.ron";

fn scratch(name: &str) -> PathBuf {
    common::scratch("montecarlo-tests", name)
}

fn monte_carlo(extra: &[&str]) -> Output {
    let mut args = vec![
        "simulate",
        SEED,
        "--scenario",
        BEHAVIOUR,
        "--runs",
        "300",
        "--seed",
        "11",
        "--quiet",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn the_json_has_runs_and_per_task_on_time_probabilities() {
    let output = monte_carlo(&["--format", "json"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert_eq!(report["runs"], 300);
    let tasks = report["tasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), 10);
    for task in tasks {
        assert!(task["task"].is_string());
        let p = task["on_time_probability"].as_f64().expect("a probability");
        assert!((0.0..=1.0).contains(&p), "{task}");
    }
    assert!(
        report["bottlenecks"]
            .as_array()
            .is_some_and(|b| !b.is_empty())
    );
    assert!(report["top_level_probability"].is_number());
}

#[test]
fn the_output_does_not_depend_on_the_thread_count() {
    let one = monte_carlo(&["--format", "json", "--threads", "1"]);
    let two = monte_carlo(&["--format", "json", "--threads", "2"]);
    let four = monte_carlo(&["--format", "json", "--threads", "4"]);
    assert_eq!(one.status.code(), Some(0));
    assert_eq!(one.stdout, two.stdout);
    assert_eq!(one.stdout, four.stdout);
}

#[test]
fn another_seed_gives_other_figures() {
    let a = monte_carlo(&["--format", "json"]);
    let b = run(&[
        "simulate",
        SEED,
        "--scenario",
        BEHAVIOUR,
        "--runs",
        "300",
        "--seed",
        "12",
        "--quiet",
        "--format",
        "json",
    ]);
    assert_ne!(a.stdout, b.stdout);
}

#[test]
fn the_table_names_bottlenecks_and_the_top_level_probability() {
    let output = monte_carlo(&[]);
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.contains("300 runs"), "{table}");
    assert!(table.contains("Bottlenecks"), "{table}");
    assert!(table.contains("top level"), "{table}");
    // Not a terminal: no progress bar on stderr.
    assert!(!String::from_utf8_lossy(&output.stderr).contains("runs ["));
}

#[test]
fn a_report_needs_runs() {
    let output = run(&["simulate", SEED, "--report", "x.html"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn bad_run_counts_are_usage_errors() {
    for runs in ["0", "-3", "many"] {
        let output = run(&["simulate", SEED, "--runs", runs]);
        assert_eq!(output.status.code(), Some(2), "--runs {runs}");
    }
}

#[test]
fn a_generated_cascade_validates_and_simulates() {
    let workflow = scratch("cascade.ron");
    let scenario = scratch("cascade.behaviour.scenario.ron");
    let output = run(&[
        "generate",
        "cascade",
        "--provinces",
        "4",
        "--districts",
        "12",
        "--communes",
        "60",
        "--seed",
        "5",
        "--out",
        workflow.to_str().expect("utf-8 path"),
        "--scenario",
        scenario.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = run(&[
        "validate",
        workflow.to_str().expect("path"),
        scenario.to_str().expect("path"),
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = run(&[
        "simulate",
        workflow.to_str().expect("path"),
        "--scenario",
        scenario.to_str().expect("path"),
        "--runs",
        "20",
        "--quiet",
        "--format",
        "json",
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(report["runs"], 20);
}

#[test]
fn generating_to_stdout_is_deterministic() {
    let args = [
        "generate",
        "cascade",
        "--provinces",
        "2",
        "--districts",
        "3",
        "--communes",
        "9",
        "--seed",
        "1",
    ];
    let a = run(&args);
    assert_eq!(a.status.code(), Some(0));
    assert_eq!(a.stdout, run(&args).stdout);
    assert!(String::from_utf8_lossy(&a.stdout).contains("format: 1"));
}
