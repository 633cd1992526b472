//! Measures in force for a period on the real binary: the bundled Directive 16/CT-TTg, its
//! extension letter, the timeline's wording and the grid's `in_force` count.

use serde_json::Value;

mod common;
use common::*;

const DIRECTIVE: &str = "workflows/ct-16-ttg-2020.ron";
const SCENARIO: &str = "workflows/ct-16-ttg-2020.scenario.ron";
const EXTENSION: &str = "workflows/ct-16-ttg-2020.extension.followup.ron";

fn ok(output: &std::process::Output) -> String {
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    text(&output.stdout)
}

#[test]
fn the_directive_and_its_extension_validate() {
    ok(&run(&["validate", DIRECTIVE]));
    ok(&run(&["validate", EXTENSION]));
}

#[test]
fn the_timeline_says_when_a_measure_is_in_force_and_when_it_ends() {
    let table = ok(&run(&["simulate", DIRECTIVE, "--scenario", SCENARIO]));
    for expected in [
        "in force until 2020-04-16 00:00",
        "in force now until 2020-04-23 00:00",
        "no longer in force: final report owed",
        "is the final report of a measure in force",
    ] {
        assert!(table.contains(expected), "`{expected}` missing:\n{table}");
    }
}

#[test]
fn the_grid_counts_measures_in_force() {
    let during = run(&[
        "report",
        DIRECTIVE,
        "--scenario",
        SCENARIO,
        "--at",
        "2020-04-10 12:00",
        "--format",
        "json",
    ]);
    let grid: Value = serde_json::from_str(&ok(&during)).expect("json");
    // The three provinces' isolation and the ministry enforcing it.
    assert_eq!(grid["total"]["in_force"], 4);
    let after = run(&[
        "report",
        DIRECTIVE,
        "--scenario",
        SCENARIO,
        "--at",
        "2020-04-23 12:00",
    ]);
    let table = ok(&after);
    assert!(!table.contains("Measures in force now"), "{table}");
    let during = ok(&run(&[
        "report",
        DIRECTIVE,
        "--scenario",
        SCENARIO,
        "--at",
        "2020-04-10 12:00",
    ]));
    assert!(during.contains("Measures in force now: 4."), "{during}");
}

#[test]
fn inspect_lists_the_measures_in_force() {
    let table = ok(&run(&["inspect", DIRECTIVE]));
    assert!(
        table
            .contains("from 2020-04-01T00:00:00+07:00 for 15d; final report within 17h of its end"),
        "{table}"
    );
    let json: Value =
        serde_json::from_str(&ok(&run(&["inspect", DIRECTIVE, "--format", "json"]))).expect("json");
    let tasks = json["tasks"].as_array().expect("tasks");
    let with_period: Vec<_> = tasks
        .iter()
        .filter(|t| t.get("in_force").is_some())
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(with_period, ["isolation", "enforce"]);
}
