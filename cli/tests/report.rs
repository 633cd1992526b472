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
