//! The tracking grid on the seed scenario at known instants.

use directrix_core::{Scenario, Timestamp, load, record::Grid, simulate};
use std::sync::Arc;

fn grid_at(at: &str) -> Grid {
    let workflow = Arc::new(
        load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron"))
            .expect("seed")
            .workflow,
    );
    let (mut scenario, _) = Scenario::load(
        include_str!("../../workflows/kien-xuong-114-cv-hu.scenario.ron"),
        &workflow,
    )
    .expect("scenario");
    scenario.until = Timestamp::parse(at, workflow.calendar().offset()).expect("time");
    simulate(workflow, &scenario, 0, None)
        .unwrap()
        .instance
        .grid()
}

fn counts(grid: &Grid, agency: &str) -> [u32; 5] {
    let row = grid
        .agencies
        .iter()
        .find(|a| a.agency == agency)
        .expect("a row");
    let c = row.counts;
    [
        c.done_on_time,
        c.done_late,
        c.open_in_time,
        c.open_overdue,
        c.due_soon,
    ]
}

#[test]
fn mid_scenario_counts_match_the_timeline() {
    let grid = grid_at("2021-05-14 12:00");
    assert_eq!(grid.at, "2021-05-14T12:00:00+07:00");
    let t = grid.total;
    // 21 instances: 16 done on time, Xã Lê Lợi done late, contingency_plan overdue,
    // mobilise, vaccination and the daily report open (the report due at 16:00).
    assert_eq!(
        [
            t.done_on_time,
            t.done_late,
            t.open_in_time,
            t.open_overdue,
            t.due_soon
        ],
        [16, 1, 3, 1, 1]
    );
    assert_eq!(counts(&grid, "health"), [1, 0, 1, 1, 0]);
    assert_eq!(counts(&grid, "xa_le_loi"), [0, 1, 0, 0, 0]);
    // The daily report has two leads: it counts in both rows, once in the total.
    assert_eq!(counts(&grid, "party_office"), [0, 0, 1, 0, 1]);
    assert_eq!(counts(&grid, "pc_office"), [0, 0, 1, 0, 1]);
}

#[test]
fn at_the_start_everything_is_open_and_the_counts_sum_to_the_instances() {
    let grid = grid_at("2021-05-07 08:00");
    assert_eq!(grid.total.tracked(), 21);
    assert_eq!(grid.total.done_on_time + grid.total.done_late, 0);
    // Items 4 and 6 fall due the same afternoon.
    assert!(grid.total.due_soon >= 3, "{:?}", grid.total);
}

#[test]
fn at_the_end_everything_is_done() {
    let t = grid_at("2021-05-21 17:00").total;
    assert_eq!(
        [t.done_on_time, t.done_late, t.open_in_time, t.open_overdue],
        [18, 3, 0, 0]
    );
}
