//! Named calendars in the CLI: a workflow at `DIR/x.ron` finds `DIR/calendars/NAME.ron`,
//! and a problem inside a calendar is shown against the calendar's own text.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

mod common;
use common::*;

const WORKFLOW: &str = "workflows/quang-tri-41-2019-qd-ubnd.ron";
const CALENDAR: &str = "workflows/calendars/vn-public-holidays.ron";

/// A fresh directory holding the Quảng Trị workflow as `x.ron`, and, when given, a
/// `calendars/vn-public-holidays.ron` with `calendar` as its text.
fn workspace(test: &str, calendar: Option<&str>) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("calendars-{test}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("calendars")).expect("create scratch dir");
    std::fs::write(dir.join("x.ron"), read(WORKFLOW)).expect("write workflow");
    if let Some(calendar) = calendar {
        std::fs::write(dir.join("calendars/vn-public-holidays.ron"), calendar)
            .expect("write calendar");
    }
    dir
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().expect("UTF-8 path").to_owned()
}

#[test]
fn every_command_finds_the_calendar_beside_the_workflow() {
    let dir = workspace("found", Some(&read(CALENDAR)));
    let x = path(&dir, "x.ron");
    for args in [
        vec!["validate", x.as_str()],
        vec!["inspect", x.as_str()],
        vec!["graph", x.as_str()],
        vec!["simulate", x.as_str(), "--until", "2021-03-01 00:00"],
        vec!["report", x.as_str(), "--at", "2021-02-20 12:00"],
    ] {
        let output = run(&args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&output.stderr)
        );
    }
    // The shipped files, including the calendar itself, checked as a calendar.
    let output = run(&["validate", WORKFLOW, CALENDAR]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains(&format!("ok     {CALENDAR}")));
}

#[test]
fn a_missing_calendar_is_unknown_with_a_hint() {
    let dir = workspace("missing", None);
    std::fs::write(dir.join("calendars/vn-holidays.ron"), read(CALENDAR)).unwrap();
    let output = run(&["validate", &path(&dir, "x.ron"), "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let diagnostic = &report[0]["diagnostics"][0];
    assert_eq!(diagnostic["code"], "unknown-calendar");
    assert!(diagnostic.get("origin").is_none(), "{diagnostic}");
    let hint = diagnostic["hint"].as_str().unwrap();
    assert!(hint.starts_with("did you mean `vn-holidays`?"), "{hint}");
    assert!(hint.contains("`calendars/NAME.ron`"), "{hint}");
    // Every loading command fails the same way, with the workflow's line shown.
    let output = run(&["simulate", &path(&dir, "x.ron")]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("unknown-calendar"), "{stderr}");
    assert!(stderr.contains("use: [\"vn-public-holidays\"]"), "{stderr}");
}

#[test]
fn an_error_inside_a_calendar_shows_the_calendar_file() {
    // Line 5 of the calendar holds a date that does not exist.
    let calendar = "// A broken calendar.\n(\n    format: 1,\n    years: [\n        (year: 2021, holidays: [\"2021-02-30\"]),\n    ],\n)\n";
    let dir = workspace("broken", Some(calendar));
    let calendar_path = path(&dir, "calendars/vn-public-holidays.ron");
    let output = run(&["inspect", &path(&dir, "x.ron")]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("invalid-date"), "{stderr}");
    // ariadne names the calendar file at the date's line:column and quotes its line.
    assert!(
        stderr.contains(&format!("{calendar_path}:5:33")),
        "{stderr}"
    );
    assert!(
        stderr.contains("(year: 2021, holidays: [\"2021-02-30\"])"),
        "{stderr}"
    );
    assert!(!stderr.contains("x.ron:"), "{stderr}");

    // In JSON, the diagnostic names its calendar.
    let output = run(&["validate", &path(&dir, "x.ron"), "--format", "json"]);
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let diagnostic = &report[0]["diagnostics"][0];
    assert_eq!(diagnostic["origin"], "vn-public-holidays");
    assert_eq!(diagnostic["location"]["line"], 5);

    // A syntax error too, and the calendar checked on its own gives the same location.
    let output = run(&["validate", &calendar_path]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains(&format!("{calendar_path}:5:33")));
}

#[test]
fn an_unreadable_calendar_is_reported_by_path() {
    let dir = workspace("binary", Some("(format: 1, years: [])"));
    std::fs::write(dir.join("calendars/other.ron"), b"\xff\xfe").unwrap();
    let output = run(&["validate", &path(&dir, "x.ron")]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("calendars/other.ron:1:1"), "{stderr}");
    assert!(text(&output.stdout).contains("cannot read the calendar"));
}
