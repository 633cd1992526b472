//! `directrix simulate --snapshot-out` and `directrix migrate`: the round trip, the
//! report, and a refusal. The new versions are the seed with edits.

use serde_json::Value;
use std::path::{Path, PathBuf};

mod common;
use common::*;

const SEED: &str = "workflows/kien-xuong-114-cv-hu.ron";
const SCENARIO: &str = "workflows/kien-xuong-114-cv-hu.scenario.ron";

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("migrate-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

fn seed() -> String {
    std::fs::read_to_string(Path::new(ROOT).join(SEED)).expect("seed")
}

/// The seed that gained `hotline` and lost `vaccination`.
fn v2() -> String {
    let s = seed();
    let start = s
        .find("        (\n            id: \"vaccination\",")
        .unwrap();
    let end = s
        .find("        // ---------------------------------------------------------------- item 4")
        .unwrap();
    format!("{}{}", &s[..start], &s[end..])
        .replacen("\"contingency_plan\", \"vaccination\",", "\"contingency_plan\",", 1)
        .replacen(
            "        // ---------------------------------------------------------------- item 3 (three parts)",
            "        (id: \"hotline\", title: \"Đường dây nóng\", lead: [\"health\"], due: Days(2), policy: \"standard\"),\n",
            1,
        )
}

/// A snapshot of the seed's scenario at Sunday 09 May 12:00.
fn snapshot(dir: &Path) -> PathBuf {
    let path = dir.join("run.json");
    let output = run(&[
        "simulate",
        SEED,
        "--scenario",
        SCENARIO,
        "--until",
        "2021-05-09 12:00",
        "--snapshot-out",
        path.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    path
}

#[test]
fn migrate_round_trip_reports_and_writes_a_snapshot_of_the_new_version() {
    let dir = scratch("round-trip");
    let snap = snapshot(&dir);
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&snap).unwrap()).unwrap();
    assert_eq!(written["format"], 2);
    assert_eq!(written["directive"], "114-CV/HU");
    let new = dir.join("new.ron");
    std::fs::write(&new, v2()).unwrap();
    let out = dir.join("run-new.json");
    let args = [
        "migrate",
        "--from",
        SEED,
        "--to",
        new.to_str().unwrap(),
        snap.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    let output = run(&args);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let table = text(&output.stdout);
    assert!(table.contains("added    hotline"), "{table}");
    assert!(table.contains("removed  vaccination ("), "{table}");
    // JSON: the same report.
    let output = run(&[&args[..6], &["--format", "json"]].concat());
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["added"], serde_json::json!(["hotline"]));
    assert_eq!(report["removed"][0]["task"], "vaccination");
    assert_eq!(report["at"], "2021-05-09T12:00:00+07:00");
    // The written snapshot is of the new version: migrating it again from the new
    // version changes nothing, and from the old one is refused.
    let migrated: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(migrated["workflow_hash"], report["to"]);
    let again = run(&[
        "migrate",
        "--from",
        new.to_str().unwrap(),
        "--to",
        new.to_str().unwrap(),
        out.to_str().unwrap(),
    ]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("added    none"));
    let wrong = run(&[
        "migrate",
        "--from",
        SEED,
        "--to",
        new.to_str().unwrap(),
        out.to_str().unwrap(),
    ]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(text(&wrong.stderr).contains("pass the workflow the snapshot was taken with"));
}

#[test]
fn migrate_refuses_a_state_the_new_machine_lacks_and_exits_1() {
    let dir = scratch("refused");
    let snap = snapshot(&dir);
    // The daily report has reported: it is in `reporting`, which `default` lacks.
    let new = dir.join("new.ron");
    std::fs::write(
        &new,
        seed().replacen("machine: \"recurring\",", "machine: \"default\",", 1),
    )
    .unwrap();
    let out = dir.join("never.json");
    let args = [
        "migrate",
        "--from",
        SEED,
        "--to",
        new.to_str().unwrap(),
        snap.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    let output = run(&args);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("task `monitor_report` is in state `reporting`"),
        "{stderr}"
    );
    assert!(!out.exists());
    let output = run(&[&args[..], &["--format", "json"]].concat());
    assert_eq!(output.status.code(), Some(1));
    let refused: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(refused["refused"][0]["problem"], "state_removed");
    assert_eq!(refused["refused"][0]["task"], "monitor_report");
}

#[test]
fn migrate_reports_a_file_that_is_not_a_snapshot() {
    let dir = scratch("not-a-snapshot");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"format\": 2}").unwrap();
    let output = run(&[
        "migrate",
        "--from",
        SEED,
        "--to",
        SEED,
        bad.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("is not a directrix snapshot"));
}

/// A snapshot naming a megabyte-long directive: the error quotes it short.
#[test]
fn migrate_quotes_a_huge_name_short() {
    let dir = scratch("huge-name");
    let snap = snapshot(&dir);
    let mut value: Value = serde_json::from_str(&std::fs::read_to_string(&snap).unwrap()).unwrap();
    value["directive"] = Value::String("x".repeat(1_000_000));
    std::fs::write(&snap, value.to_string()).unwrap();
    let output = run(&[
        "migrate",
        "--from",
        SEED,
        "--to",
        SEED,
        snap.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let err = text(&output.stderr);
    assert!(
        err.len() < 2000 && err.contains("(1000000 bytes)"),
        "{} bytes: {}",
        err.len(),
        &err[..300.min(err.len())]
    );
}
