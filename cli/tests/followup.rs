//! Follow-up documents in the CLI: `validate` checks a `*.followup.ron` against its
//! workflow; `simulate` reads the follow-ups beside a scenario.

use serde_json::Value;
use std::path::{Path, PathBuf};

mod common;
use common::*;

const SEED: &str = "workflows/kien-xuong-114-cv-hu.ron";
const LETTER: &str = "workflows/kien-xuong-114-cv-hu.120.followup.ron";
const SCENARIO: &str = "workflows/kien-xuong-114-cv-hu.followup.scenario.ron";

/// A scratch copy of the seed, its letter and its follow-up scenario, with `edit`
/// applied to the letter.
fn scratch(name: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("followup-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    for path in [SEED, SCENARIO] {
        std::fs::write(dir.join(Path::new(path).file_name().unwrap()), read(path)).unwrap();
    }
    let letter = dir.join(Path::new(LETTER).file_name().unwrap());
    std::fs::write(letter, edit(read(LETTER))).unwrap();
    dir
}

#[test]
fn validate_checks_a_follow_up_against_its_workflow() {
    let output = run(&["validate", LETTER]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stdout).starts_with("ok     "));

    let dir = scratch("validate", |s| {
        s.replace(
            "(task: \"vaccination\", due:",
            "(task: \"vacination\", due:",
        )
    });
    let letter = dir.join("kien-xuong-114-cv-hu.120.followup.ron");
    let output = run(&["validate", letter.to_str().unwrap(), "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let diagnostic = &report[0]["diagnostics"][0];
    assert_eq!(diagnostic["code"], "unknown-task");
    let source = std::fs::read_to_string(&letter).unwrap();
    let line = source[..source.find("\"vacination\"").unwrap()]
        .matches('\n')
        .count()
        + 1;
    assert_eq!(diagnostic["location"]["line"], line);
    assert_eq!(diagnostic["hint"], "did you mean `vaccination`?");
    // Rendered against the follow-up file itself.
    assert!(text(&output.stderr).contains("kien-xuong-114-cv-hu.120.followup.ron:"));
}

#[test]
fn simulate_applies_the_follow_up_beside_the_scenario() {
    let output = run(&["simulate", SEED, "--scenario", SCENARIO, "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let events = report["events"].as_array().unwrap();
    let follow_up = events.iter().find(|e| e["kind"] == "follow_up").unwrap();
    assert_eq!(follow_up["at"], "2021-05-12T08:00:00+07:00");
    assert!(
        events
            .iter()
            .any(|e| e["kind"] == "cancelled" && e["task"] == "contingency_plan")
    );
    assert!(events.iter().any(|e| e["kind"] == "due_changed"
        && e["task"] == "vaccination"
        && e["due"] == "2021-05-18T17:00:00+07:00"));
    assert_eq!(report["summary"]["rejected"], 0);

    // Without the letter beside it, the scenario names an unknown follow-up.
    let dir = scratch("missing", |s| s);
    std::fs::remove_file(dir.join("kien-xuong-114-cv-hu.120.followup.ron")).unwrap();
    let output = run(&[
        "simulate",
        dir.join("kien-xuong-114-cv-hu.ron").to_str().unwrap(),
        "--scenario",
        dir.join("kien-xuong-114-cv-hu.followup.scenario.ron")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("unknown-follow-up"),
        "{}",
        text(&output.stderr)
    );
}
