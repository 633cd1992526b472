//! Child documents in the CLI: `validate` checks a `*.child.ron` on its own and against
//! the directive it implements; `simulate` and `report` attach the children a scenario
//! names (`attach:`); `graph --child` draws one in the documents chain.

use serde_json::Value;
use std::path::{Path, PathBuf};

mod common;
use common::*;

const PARENT: &str = "workflows/ct-16-ttg-2020.ron";
const CHILD: &str = "workflows/ct-16-ttg-2020.moh.child.ron";
const SCENARIO: &str = "workflows/ct-16-ttg-2020.moh.scenario.ron";

/// A scratch copy of the parent, its calendar, the child and the scenario, with `edit`
/// applied to the child.
fn copy(name: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("child-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("calendars")).expect("create scratch dir");
    for path in [
        PARENT,
        SCENARIO,
        "workflows/calendars/vn-public-holidays.ron",
    ] {
        let to = match path.contains("calendars") {
            true => dir.join("calendars/vn-public-holidays.ron"),
            false => dir.join(Path::new(path).file_name().unwrap()),
        };
        std::fs::write(to, read(path)).unwrap();
    }
    let child = dir.join(Path::new(CHILD).file_name().unwrap());
    std::fs::write(child, edit(read(CHILD))).unwrap();
    dir
}

/// The (code, line) of the first diagnostic `validate --format json` reports for `file`.
fn first(file: &Path) -> (String, usize) {
    let output = run(&["validate", file.to_str().unwrap(), "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stdout));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let diagnostic = &report[0]["diagnostics"][0];
    (
        diagnostic["code"].as_str().unwrap().to_owned(),
        diagnostic["location"]["line"].as_u64().unwrap() as usize,
    )
}

/// The 1-based line of the first `needle` in the child as edited in `dir`.
fn line_of(dir: &Path, needle: &str) -> usize {
    let source = std::fs::read_to_string(dir.join("ct-16-ttg-2020.moh.child.ron")).unwrap();
    source[..source.find(needle).unwrap()].matches('\n').count() + 1
}

#[test]
fn validate_checks_a_child_on_its_own_and_against_its_parent() {
    let output = run(&["validate", CHILD, SCENARIO]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout)
            .lines()
            .filter(|l| l.starts_with("ok     "))
            .count(),
        2,
        "{}",
        text(&output.stdout)
    );

    let dir = copy("other-parent", |s| {
        s.replace("implements: [\"16/CT-TTg\"]", "implements: [\"15/CT-TTg\"]")
    });
    let child = dir.join("ct-16-ttg-2020.moh.child.ron");
    assert_eq!(
        first(&child),
        (
            "implements-mismatch".to_owned(),
            line_of(&dir, "implements: [\"15")
        )
    );
    // Rendered against the child's own file.
    let output = run(&["validate", child.to_str().unwrap()]);
    assert!(text(&output.stderr).contains("ct-16-ttg-2020.moh.child.ron:"));

    let dir = copy("before-parent", |s| {
        s.replace("\"2020-04-03 09:00\"", "\"2020-03-30 09:00\"")
    });
    assert_eq!(
        first(&dir.join("ct-16-ttg-2020.moh.child.ron")),
        (
            "child-before-parent".to_owned(),
            line_of(&dir, "\"2020-03-30 09:00\"")
        )
    );

    let dir = copy("no-parent", |s| {
        s.replace("implements: [\"16/CT-TTg\"]", "implements: []")
    });
    assert_eq!(
        first(&dir.join("ct-16-ttg-2020.moh.child.ron")),
        (
            "unknown-parent".to_owned(),
            line_of(&dir, "number: \"HD-16")
        )
    );
}

#[test]
fn simulate_attaches_the_child_a_scenario_names() {
    let output = run(&[
        "simulate",
        PARENT,
        "--scenario",
        SCENARIO,
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let events = report["events"].as_array().unwrap();
    let attached = events.iter().find(|e| e["kind"] == "follow_up").unwrap();
    assert_eq!(attached["at"], "2020-04-03T09:00:00+07:00");
    // Shown with the child's issuer, not the parent's.
    assert_eq!(attached["agency"], "moh");
    assert!(attached["note"].as_str().unwrap().starts_with("HD-16/BYT"));
    assert!(
        events
            .iter()
            .any(|e| e["kind"] == "started" && e["task"] == "hospital_screening")
    );
    // Thái Bình, late with its quarantine sites, is raised to the Prime Minister.
    assert!(
        events.iter().any(|e| e["kind"] == "escalated"
            && e["task"] == "quarantine_sites[thai_binh]"
            && e["agency"] == "prime_minister"),
        "{events:#?}"
    );
    assert_eq!(report["summary"]["rejected"], 0);

    // Without the child beside it, the scenario names an unknown document.
    let dir = copy("missing", |s| s);
    std::fs::remove_file(dir.join("ct-16-ttg-2020.moh.child.ron")).unwrap();
    let output = run(&[
        "simulate",
        dir.join("ct-16-ttg-2020.ron").to_str().unwrap(),
        "--scenario",
        dir.join("ct-16-ttg-2020.moh.scenario.ron")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("unknown-follow-up"));
}

#[test]
fn report_rolls_the_grid_up_per_document() {
    let output = run(&[
        "report",
        PARENT,
        "--scenario",
        SCENARIO,
        "--at",
        "2020-04-07 09:00",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let grid: Value = serde_json::from_slice(&output.stdout).unwrap();
    let documents = grid["documents"].as_array().unwrap();
    let rows: Vec<(&str, u64, u64)> = documents
        .iter()
        .map(|d| {
            (
                d["number"].as_str().unwrap(),
                d["done_on_time"].as_u64().unwrap(),
                d["open_overdue"].as_u64().unwrap(),
            )
        })
        .collect();
    // The ministry's screening and two provinces' sites done; Thái Bình's overdue.
    assert_eq!(rows, [("16/CT-TTg", 1, 1), ("HD-16/BYT", 3, 1)]);

    let output = run(&[
        "report",
        PARENT,
        "--scenario",
        SCENARIO,
        "--at",
        "2020-04-07 09:00",
    ]);
    let table = text(&output.stdout);
    assert!(table.contains("HD-16/BYT (moh)"), "{table}");
    // Before the child is attached there are no document rows.
    let output = run(&[
        "report",
        PARENT,
        "--scenario",
        SCENARIO,
        "--at",
        "2020-04-02 09:00",
        "--format",
        "json",
    ]);
    let grid: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(grid.get("documents").is_none(), "{grid}");
}

#[test]
fn graph_draws_a_child_in_the_documents_chain() {
    let output = run(&[
        "graph",
        PARENT,
        "--view",
        "documents",
        "--format",
        "dot",
        "--child",
        CHILD,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let dot = text(&output.stdout);
    assert!(dot.contains("Hướng dẫn HD-16/BYT"), "{dot}");
    assert!(dot.contains("Bộ Y tế"), "{dot}");
    // Its tasks join the task graph.
    let output = run(&["graph", PARENT, "--child", CHILD]);
    assert!(text(&output.stdout).contains("hospital_screening"));
}

#[test]
fn validate_refuses_a_follow_up_from_an_agency_not_delegated_to() {
    let dir = copy("issuer", |s| s);
    let letter = dir.join("ct-16-ttg-2020.extension.followup.ron");
    let edited = read("workflows/ct-16-ttg-2020.extension.followup.ron")
        .replace("issuer: \"prime_minister\"", "issuer: \"moh\"");
    std::fs::write(&letter, &edited).unwrap();
    let line = edited[..edited.find("\"moh\"").unwrap()]
        .matches('\n')
        .count()
        + 1;
    assert_eq!(first(&letter), ("issuer-mismatch".to_owned(), line));
    let output = run(&["validate", letter.to_str().unwrap()]);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("child document"), "{stderr}");
}
