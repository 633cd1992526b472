//! `directrix report`: the tracking grid on the real binary.

mod common;
use serde_json::Value;

fn report(args: &[&str]) -> std::process::Output {
    let mut all = vec![
        "report",
        "workflows/kien-xuong-114-cv-hu.ron",
        "--scenario",
        "workflows/kien-xuong-114-cv-hu.scenario.ron",
    ];
    all.extend_from_slice(args);
    common::run(&all)
}

#[test]
fn the_json_has_integer_counts_per_agency_and_in_total() {
    let output = report(&["--at", "2021-05-14 12:00", "--format", "json"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let grid: Value = serde_json::from_slice(&output.stdout).expect("json");
    let keys = [
        "done_on_time",
        "done_late",
        "open_in_time",
        "open_overdue",
        "due_soon",
    ];
    for row in grid["agencies"]
        .as_array()
        .expect("rows")
        .iter()
        .chain([&grid["total"]])
    {
        for key in keys {
            assert!(row[key].is_u64(), "{key} in {row}");
        }
    }
    let total = &grid["total"];
    let sum: u64 = keys[..4]
        .iter()
        .map(|k| total[*k].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(sum, 21);
    assert_eq!(total["open_overdue"], 1);
}

#[test]
fn the_table_has_a_total_row_and_vietnamese_names() {
    let output = report(&["--at", "2021-05-14 12:00"]);
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.contains("Trung tâm Y tế huyện Kiến Xương"), "{table}");
    assert!(table.lines().any(|l| l.starts_with("Total")), "{table}");
}

#[test]
fn a_bad_instant_is_an_input_error() {
    assert_eq!(report(&["--at", "tomorrow"]).status.code(), Some(1));
}
