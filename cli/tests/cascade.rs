//! The three-level cascade workflow (Thái Bình's new-rural-development plan) on the real
//! binary: validate, simulate, report and the documents graph.

mod common;
use serde_json::Value;
use std::process::Output;

const WORKFLOW: &str = "workflows/thai-binh-ntm-2022.ron";
const SCENARIO: &str = "workflows/thai-binh-ntm-2022.scenario.ron";

/// Runs `directrix ARGS`, which must succeed.
fn run(args: &[&str]) -> Output {
    let output = common::run(args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn text(output: &Output) -> String {
    common::text(&output.stdout)
}

#[test]
fn validates_without_warnings() {
    let output = run(&["validate", WORKFLOW, SCENARIO, "--format", "json"]);
    let files: Value = serde_json::from_slice(&output.stdout).expect("json");
    for file in files.as_array().expect("array") {
        assert_eq!(file["valid"], true, "{file}");
        assert_eq!(file["diagnostics"], Value::Array(Vec::new()), "{file}");
    }
}

#[test]
fn the_late_commune_escalates_to_its_district_then_the_province() {
    let output = run(&[
        "simulate",
        WORKFLOW,
        "--scenario",
        SCENARIO,
        "--format",
        "json",
    ]);
    let report: Value = serde_json::from_slice(&output.stdout).expect("json");
    let escalations: Vec<(&str, &str, &str)> = report["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "escalated")
        .map(|e| {
            (
                e["at"].as_str().unwrap(),
                e["task"].as_str().unwrap(),
                e["agency"].as_str().unwrap(),
            )
        })
        .collect();
    let plan = "district_plans/kien_xuong/report/xa_vu_quy/plan";
    let half_year = "district_plans/kien_xuong/report/xa_vu_quy/report";
    assert_eq!(
        escalations,
        [
            ("2022-04-28T17:00:00+07:00", plan, "kien_xuong"),
            ("2022-04-30T17:00:00+07:00", plan, "province_pc"),
            ("2022-06-11T17:00:00+07:00", half_year, "kien_xuong"),
            ("2022-06-13T17:00:00+07:00", half_year, "province_pc"),
        ]
    );
    // Everything completes, and reports flow up: the province reports to the Ministry
    // only after the last district, which waited for the late commune.
    assert_eq!(report["summary"]["done"], 51);
    assert_eq!(report["summary"]["done_on_time"], 49);
    let completed = |task: &str| {
        report["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "completed" && e["task"] == task)
            .and_then(|e| e["at"].as_str())
            .unwrap_or_else(|| panic!("{task} never completes"))
            .to_owned()
    };
    assert!(completed(half_year) <= completed("district_plans/kien_xuong/report"));
    assert!(completed("district_plans/kien_xuong/report") <= completed("district_plans"));
    assert!(completed("district_plans") <= completed("national_report"));
}

#[test]
fn report_at_shows_the_late_commune() {
    let output = run(&[
        "report",
        WORKFLOW,
        "--scenario",
        SCENARIO,
        "--at",
        "2022-06-10 12:00",
        "--format",
        "json",
    ]);
    let grid: Value = serde_json::from_slice(&output.stdout).expect("json");
    let row = grid["agencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["agency"] == "xa_vu_quy")
        .expect("the commune has a row");
    assert_eq!(row["done_late"], 1, "{row}");
    assert_eq!(row["open_overdue"], 1, "{row}");
    assert_eq!(grid["total"]["open_overdue"], 1);
    let table = text(&run(&[
        "report",
        WORKFLOW,
        "--scenario",
        SCENARIO,
        "--at",
        "2022-06-10 12:00",
    ]));
    assert!(table.contains("Ủy ban nhân dân xã Vũ Quý"), "{table}");
}

#[test]
fn documents_graph_shows_the_chain() {
    let dot = text(&run(&[
        "graph",
        WORKFLOW,
        "--view",
        "documents",
        "--format",
        "dot",
    ]));
    for label in [
        "Nghị quyết 25/2021/QH15",
        "Quyết định 263/QĐ-TTg",
        "Kế hoạch NTM/KH-UBND",
        "Kế hoạch kien_xuong/KH-UBND\\nỦy ban nhân dân huyện Kiến Xương",
        "Kế hoạch xa_vu_quy/KH-UBND\\nỦy ban nhân dân xã Vũ Quý",
    ] {
        assert!(dot.contains(label), "{label} missing:\n{dot}");
    }
    // national → province → each district → each of its communes.
    let node = |label: &str| {
        dot.lines()
            .find(|l| l.contains(label))
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or_else(|| panic!("{label}"))
            .to_owned()
    };
    let (national, district, commune) = (
        node("263/QĐ-TTg"),
        node("kien_xuong/KH-UBND"),
        node("xa_vu_quy/KH-UBND"),
    );
    for edge in [
        format!("{national} -> d_this"),
        format!("d_this -> {district};"),
        format!("{district} -> {commune};"),
    ] {
        assert!(dot.contains(&edge), "{edge} missing:\n{dot}");
    }
    let districts = dot
        .lines()
        .filter(|l| l.starts_with("  d_this -> "))
        .count();
    assert_eq!(districts, 8, "{dot}");
}
