//! The HTML report of `simulate --runs N --report FILE`: one self-contained, deterministic
//! document.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_directrix");
const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
const SEED: &str = "workflows/kien-xuong-114-cv-hu.ron";
const SCENARIO: &str = "workflows/kien-xuong-114-cv-hu.behaviour.scenario.ron";

/// Writes the report of the seed study into `dir` and returns its text.
fn report(dir: &str) -> String {
    let dir: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join(dir);
    std::fs::create_dir_all(&dir).expect("create the temporary directory");
    let path = dir.join("r.html");
    let _ = std::fs::remove_file(&path);
    let output = Command::new(BIN)
        .args([
            "simulate",
            SEED,
            "--scenario",
            SCENARIO,
            "--runs",
            "200",
            "--seed",
            "3",
            "--quiet",
            "--report",
        ])
        .arg(&path)
        .current_dir(ROOT)
        .output()
        .expect("failed to run directrix");
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::read_to_string(&path).expect("the report is written as UTF-8")
}

#[test]
fn report_is_one_self_contained_deterministic_document() {
    let html = report("report-a");
    assert!(
        html.starts_with("<!doctype html>"),
        "starts with: {:?}",
        &html[..html.len().min(40)]
    );
    assert!(html.trim_end().ends_with("</html>"));
    assert!(html.contains("<svg"), "has inline SVG charts");
    assert!(html.contains("<style>"), "has inline CSS");

    // No external assets: nothing is loaded from the network or another file.
    let lower = html.to_ascii_lowercase();
    for attr in ["src=", "href=", "url(http", "@import"] {
        for quote in [
            "\"http://",
            "\"https://",
            "'http://",
            "'https://",
            "http://",
            "https://",
        ] {
            let needle = format!("{attr}{quote}");
            assert!(!lower.contains(&needle), "external reference `{needle}`");
        }
    }
    assert!(!lower.contains("<link"), "no linked stylesheets");
    assert!(!lower.contains("<img"), "no images");
    assert!(!lower.contains("<script src"), "no external scripts");

    // The directive and Vietnamese names, exactly as written.
    assert!(html.contains("114-CV/HU"));
    assert!(
        html.contains("Văn phòng Huyện ủy Kiến Xương"),
        "the top bottleneck agency"
    );
    assert!(html.contains("Ban Thường vụ Tỉnh ủy Thái Bình"));
    assert!(html.contains("Xã Vũ Quý"));

    // The sections an analyst reads.
    for heading in [
        "Summary",
        "A typical run, task by task",
        "Deadlines met, task by task",
        "When each task was finished",
        "Reminders and escalations by task and level",
        "Agencies: where the delays come from",
    ] {
        assert!(html.contains(heading), "missing section `{heading}`");
    }
    assert!(html.contains("activate_prevention"));

    // Same study, same bytes.
    let again = report("report-b");
    assert!(
        html == again,
        "two runs of the same study give different reports"
    );
}

/// A one-task workflow whose calendar rests on Sundays only and on a holiday (Wednesday
/// 05/05/2021), with its own lifecycle whose done state is `finished`; the task is
/// finished on Tuesday 04/05 in every run.
const OWN_CALENDAR: &str = r#"(
    format: 1,
    directive: (
        number: "7-CV", kind: "Công văn", issuer: "district",
        issued_at: "2021-05-03 08:00", subject: "Test",
    ),
    calendar: (utc_offset: "+07:00", weekend: [Sun], holidays: ["2021-05-05"], day_end: "17:00"),
    agencies: [
        (id: "district", name: "District"),
        (id: "police", name: "Police", parent: "district"),
    ],
    machines: [
        (
            id: "simple",
            states: [(id: "open", kind: Initial), (id: "finished", kind: Done)],
            transitions: [(on: "finish", from: ["open"], to: "finished", by: [Lead])],
        ),
    ],
    tasks: [
        (id: "watch", title: "Watch", lead: ["police"], machine: "simple", due: At("2021-05-07 17:00")),
    ],
)"#;

/// Two weeks, Monday 03/05 to Sunday 16/05/2021.
const OWN_SCENARIO: &str = r#"(
    format: 1,
    name: "two-weeks",
    start: "2021-05-03 08:00",
    until: "2021-05-16 17:00",
    events: [(at: "2021-05-04 10:00", actor: "police", task: "watch", action: "finish")],
    behaviours: [(who: ["police"], acknowledge: Triangular(min: "10m", mode: "30m", max: "2h"))],
)"#;

/// The report of a small study of `OWN_CALENDAR`, written into `dir`.
fn own_calendar_report(dir: &str) -> String {
    let dir: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join(dir);
    std::fs::create_dir_all(&dir).expect("create the temporary directory");
    let (workflow, scenario, path) = (
        dir.join("w.ron"),
        dir.join("w.scenario.ron"),
        dir.join("r.html"),
    );
    std::fs::write(&workflow, OWN_CALENDAR).unwrap();
    std::fs::write(&scenario, OWN_SCENARIO).unwrap();
    let _ = std::fs::remove_file(&path);
    let output = Command::new(BIN)
        .arg("simulate")
        .arg(&workflow)
        .arg("--scenario")
        .arg(&scenario)
        .args(["--runs", "5", "--seed", "1", "--quiet", "--report"])
        .arg(&path)
        .output()
        .expect("failed to run directrix");
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::read_to_string(&path).expect("the report is written as UTF-8")
}

#[test]
fn the_timeline_shades_the_calendars_days_off() {
    let html = own_calendar_report("report-days-off");
    // Sundays 09/05 and 16/05 and the holiday on Wednesday 05/05: not the Saturdays,
    // which this calendar works.
    let shaded = html.matches("fill=\"#e9edf2\"").count();
    assert_eq!(shaded, 3, "shaded columns");
    assert!(html.contains("Shaded columns are days off"));
}

#[test]
fn a_done_state_is_drawn_as_done_whatever_its_name() {
    let html = own_calendar_report("report-done-kind");
    // The done state of the workflow's own machine is named in the done entry of the
    // legend, drawn as the thin green bar, not as an unknown state.
    assert!(
        html.contains(
            "<rect x=\"0\" y=\"3.5\" width=\"22\" height=\"5\" fill=\"#3b8c52\"/></svg>Done (accepted, closed or finished)</li>"
        ),
        "{}",
        &html[html.find("<ul class=\"legend\">").unwrap_or(0)..][..600]
    );
    assert!(html.contains("watch: Done (accepted, closed or finished) ("));
    assert!(!html.contains(">finished</li>"));
}
