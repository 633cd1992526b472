//! Shared agency registries in the CLI: a workflow at `DIR/x.ron` finds
//! `DIR/registries/NAME.ron`; the bundled storm telegram (143/CĐ-TTg, provinces from the
//! registry) and its follow-up (146/CĐ-TTg, which adds an agency and groups) validate and
//! simulate; a problem inside a registry is shown against the registry's own text.

use serde_json::Value;
use std::path::{Path, PathBuf};

mod common;
use common::*;

const TELEGRAM: &str = "workflows/cd-143-ttg-2025.ron";
const FOLLOW_UP: &str = "workflows/cd-143-ttg-2025.146.followup.ron";
const SCENARIO: &str = "workflows/cd-143-ttg-2025.scenario.ron";
const REGISTRY: &str = "workflows/registries/vn-provinces.ron";
const CALENDAR: &str = "workflows/calendars/vn-public-holidays.ron";

/// A scratch directory with the telegram as `x.ron`, the calendar, and `registry` as
/// `registries/vn-provinces.ron` when given.
fn workspace(test: &str, registry: Option<&str>) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("registries-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("registries")).expect("create scratch dir");
    std::fs::create_dir_all(dir.join("calendars")).expect("create scratch dir");
    std::fs::write(dir.join("x.ron"), read(TELEGRAM)).expect("write workflow");
    std::fs::write(dir.join("calendars/vn-public-holidays.ron"), read(CALENDAR)).unwrap();
    if let Some(registry) = registry {
        std::fs::write(dir.join("registries/vn-provinces.ron"), registry).unwrap();
    }
    dir
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().expect("UTF-8 path").to_owned()
}

#[test]
fn the_storm_telegram_its_follow_up_scenario_and_registry_validate() {
    let output = run(&["validate", TELEGRAM, FOLLOW_UP, SCENARIO, REGISTRY]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    for file in [TELEGRAM, FOLLOW_UP, SCENARIO, REGISTRY] {
        assert!(stdout.contains(&format!("ok     {file}")), "{stdout}");
    }
    // The provinces come from the registry: twelve, as on 23 August 2025.
    let output = run(&["inspect", TELEGRAM, "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let inspection: Value = serde_json::from_slice(&output.stdout).unwrap();
    let agencies = inspection["agencies"].as_array().unwrap();
    assert!(agencies.iter().any(|a| a["id"] == "hue"));
    assert!(!agencies.iter().any(|a| a["id"] == "thua_thien_hue"));
}

#[test]
fn the_storm_scenario_applies_the_follow_up_and_its_new_agency_acts() {
    let output = run(&[
        "simulate",
        TELEGRAM,
        "--scenario",
        SCENARIO,
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["summary"]["rejected"], 0, "{}", report["summary"]);
    let events = report["events"].as_array().unwrap();
    let follow_up = events.iter().find(|e| e["kind"] == "follow_up").unwrap();
    assert_eq!(follow_up["at"], "2025-08-25T11:00:00+07:00");
    // The Deputy Prime Minister, added by 146/CĐ-TTg, acknowledges and reports.
    assert!(events.iter().any(|e| e["task"] == "direct"
        && e["agency"] == "deputy_pm_ha"
        && e["kind"] == "transitioned"));
    // The subset's task reaches four provinces, Quảng Trị late.
    assert!(
        events
            .iter()
            .any(|e| e["kind"] == "overdue" && e["task"] == "restrict_movement[quang_tri]")
    );
    assert!(
        !events
            .iter()
            .any(|e| e["task"].as_str() == Some("restrict_movement[hue]"))
    );
    // Gia Lai's late sea ban is escalated to the Prime Minister.
    assert!(
        events
            .iter()
            .any(|e| e["kind"] == "escalated" && e["task"] == "sea_ban[gia_lai]")
    );
}

#[test]
fn a_missing_registry_is_unknown_with_a_hint() {
    let dir = workspace("missing", None);
    std::fs::write(dir.join("registries/vn-province.ron"), read(REGISTRY)).unwrap();
    let output = run(&["validate", &path(&dir, "x.ron"), "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let diagnostic = &report[0]["diagnostics"][0];
    assert_eq!(diagnostic["code"], "unknown-registry");
    let hint = diagnostic["hint"].as_str().unwrap();
    assert!(hint.starts_with("did you mean `vn-province`?"), "{hint}");
    assert!(hint.contains("`registries/NAME.ron`"), "{hint}");
}

#[test]
fn an_error_inside_a_registry_shows_the_registry_file() {
    // The bundled registry with a misspelt successor: the telegram itself is fine.
    let registry = read(REGISTRY).replace("[\"tuyen_quang\"]", "[\"tuyen_qang\"]");
    let line = registry[..registry.find("\"tuyen_qang\"").unwrap()]
        .matches('\n')
        .count()
        + 1;
    let dir = workspace("broken", Some(&registry));
    let registry_path = path(&dir, "registries/vn-provinces.ron");
    let output = run(&["inspect", &path(&dir, "x.ron")]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("unknown-agency"), "{stderr}");
    assert!(
        stderr.contains(&format!("{registry_path}:{line}:")),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `tuyen_quang`?"), "{stderr}");
    assert!(!stderr.contains("x.ron:"), "{stderr}");

    let output = run(&["validate", &path(&dir, "x.ron"), "--format", "json"]);
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let diagnostics = report[0]["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0]["origin"], "registries/vn-provinces");
    assert_eq!(diagnostics[0]["location"]["line"], line);

    // The registry checked on its own gives the same location.
    let output = run(&["validate", &registry_path]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains(&format!("{registry_path}:{line}:")));
}

#[test]
fn a_province_merged_away_is_not_in_force_with_its_successor() {
    let dir = workspace("merged", Some(&read(REGISTRY)));
    let source = read(TELEGRAM).replace(
        "\"quang_ngai\", \"gia_lai\"",
        "\"quang_ngai\", \"binh_dinh\"",
    );
    std::fs::write(dir.join("x.ron"), source).unwrap();
    let output = run(&["validate", &path(&dir, "x.ron"), "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let diagnostic = &report[0]["diagnostics"][0];
    assert_eq!(diagnostic["code"], "not-in-force");
    let hint = diagnostic["hint"].as_str().unwrap();
    assert!(hint.contains("name `gia_lai` instead"), "{hint}");
}
