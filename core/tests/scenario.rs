//! The seed scenario's full report, pinned as a snapshot.

use directrix_core::{Scenario, load, simulate};
use std::sync::Arc;

fn report_json() -> String {
    let workflow = Arc::new(
        load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron"))
            .unwrap()
            .workflow,
    );
    let (scenario, _warnings) = Scenario::load(
        include_str!("../../workflows/kien-xuong-114-cv-hu.scenario.ron"),
        &workflow,
    )
    .unwrap();
    let report = simulate(workflow, &scenario, 1, None).report();
    serde_json::to_string_pretty(&report).unwrap()
}

#[test]
fn seed_scenario_timeline() {
    let json = report_json();
    assert_eq!(json, report_json(), "two runs differ");
    insta::assert_snapshot!("seed_scenario_report", json);
}

#[test]
fn seed_scenario_escalates_the_late_agency() {
    let json: serde_json::Value = serde_json::from_str(&report_json()).unwrap();
    let plan: Vec<String> = json["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["task"] == "contingency_plan" && e["kind"] != "transitioned")
        .map(|e| {
            format!(
                "{} {} {}",
                e["at"].as_str().unwrap(),
                e["kind"].as_str().unwrap(),
                e["agency"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        plan,
        [
            "2021-05-07T08:00:00+07:00 started health",
            "2021-05-11T09:00:00+07:00 unblocked health",
            "2021-05-12T17:00:00+07:00 overdue health",
            "2021-05-12T17:00:00+07:00 reminded health",
            "2021-05-13T17:00:00+07:00 escalated district_standing",
            "2021-05-15T17:00:00+07:00 escalated province_standing",
            "2021-05-17T14:00:00+07:00 completed health",
        ]
    );
    assert_eq!(json["summary"]["rejected"], 0);
}
