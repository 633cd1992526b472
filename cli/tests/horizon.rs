//! A run's horizon and what bounds it: `simulate --until` and `report --at` far away stop
//! at the `effects-per-run` limit with a coded error (raising the limit is honoured), an
//! instant before the start is an error naming both times, and a follow-up the running
//! instance refuses fails the run. Never a short run that looks complete (exit 0).

use std::path::PathBuf;
use std::process::Output;

mod common;
use common::*;

const SEED: &str = "workflows/kien-xuong-114-cv-hu.ron";
const BEHAVIOUR: &str = "workflows/kien-xuong-114-cv-hu.behaviour.scenario.ron";

/// Asserts a failed run: exit 1, nothing on stdout, `code` and every part on stderr.
fn failed(output: &Output, code: &str, parts: &[&str]) {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(text(&output.stdout), "", "a failed run prints no report");
    assert!(stderr.contains(&format!("error[{code}]")), "{stderr}");
    for part in parts {
        assert!(stderr.contains(part), "{part} not in {stderr}");
    }
}

#[test]
fn a_far_horizon_is_a_coded_error_with_the_flag_that_raises_the_limit() {
    let raise = "--limit effects-per-run=10000000";
    for format in ["table", "json"] {
        let output = run(&[
            "simulate",
            SEED,
            "--until",
            "9999-12-31 00:00",
            "--format",
            format,
        ]);
        failed(&output, "too_many_effects", &["`effects-per-run`", raise]);
    }
    let output = run(&["report", SEED, "--at", "9999-12-31 00:00"]);
    failed(&output, "too_many_effects", &[raise]);
}

#[test]
fn a_raised_effects_limit_is_honoured() {
    let year = |limit: &str| {
        run(&[
            "simulate",
            SEED,
            "--until",
            "2022-05-07 08:00",
            "--limit",
            &format!("effects-per-run={limit}"),
        ])
    };
    failed(
        &year("1000"),
        "too_many_effects",
        &["effects-per-run=10000"],
    );
    let output = year("100000");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout
            .lines()
            .next()
            .unwrap()
            .ends_with("2021-05-07 08:00 → 2022-05-07 08:00"),
        "{stdout}"
    );
}

#[test]
fn an_instant_before_the_start_is_an_error_naming_both_times() {
    let both = ["2021-05-01T08:00:00+07:00", "2021-05-07T08:00:00+07:00"];
    for args in [
        &["simulate", SEED, "--until", "2021-05-01 08:00"][..],
        &[
            "simulate",
            SEED,
            "--until",
            "2021-05-01 08:00",
            "--format",
            "json",
        ],
        &["report", SEED, "--at", "2021-05-01 08:00"],
        &[
            "simulate",
            SEED,
            "--scenario",
            BEHAVIOUR,
            "--until",
            "2021-05-01 08:00",
            "--runs",
            "5",
        ],
    ] {
        failed(&run(args), "horizon_before_start", &both);
    }
}

#[test]
fn monte_carlo_runs_are_bounded_too() {
    let output = run(&[
        "simulate",
        SEED,
        "--scenario",
        BEHAVIOUR,
        "--runs",
        "20",
        "--limit",
        "effects-per-run=50",
        "--quiet",
    ]);
    failed(
        &output,
        "too_many_effects",
        &["--limit effects-per-run=500"],
    );
}

/// A scratch directory holding the seed, a scenario whose follow-up (`late`) cancels a
/// task finished days before, and that follow-up.
fn refused_follow_up() -> PathBuf {
    let dir = scratch("horizon", "refused");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("seed.ron"), read(SEED)).unwrap();
    std::fs::write(
        dir.join("late.followup.ron"),
        "(format: 1, number: \"120-CV/HU\", kind: \"Công văn\", issuer: \"district_standing\",\n\
         issued_at: \"2021-05-12 08:00\", further_to: \"114-CV/HU\", subject: \"s\",\n\
         cancel: [(task: \"force_alert\")])\n",
    )
    .unwrap();
    let scenario = dir.join("seed.scenario.ron");
    std::fs::write(
        &scenario,
        "(format: 1, name: \"refused\", until: \"2021-05-21 08:00\", events: [\n\
         (at: \"2021-05-07 08:10\", actor: \"police\", task: \"force_alert\", action: \"acknowledge\"),\n\
         (at: \"2021-05-07 08:10\", actor: \"police\", task: \"force_alert\", action: \"start\"),\n\
         (at: \"2021-05-07 08:10\", actor: \"police\", task: \"force_alert\", action: \"report\"),\n\
         (at: \"2021-05-07 08:10\", actor: \"district_standing\", task: \"force_alert\", action: \"accept\"),\n\
         (at: \"2021-05-12 08:00\", follow_up: \"late.followup.ron\"),\n\
         (at: \"2021-05-13 08:00\", actor: \"health\", task: \"health_readiness\", action: \"acknowledge\"),\n])\n",
    )
    .unwrap();
    dir
}

#[test]
fn a_refused_follow_up_fails_the_run() {
    let dir = refused_follow_up();
    let workflow = dir.join("seed.ron");
    let scenario = dir.join("seed.scenario.ron");
    let (workflow, scenario) = (workflow.to_str().unwrap(), scenario.to_str().unwrap());
    let parts = [
        "`late.followup.ron`",
        "2021-05-12T08:00:00+07:00",
        "force_alert",
    ];
    for format in ["table", "json"] {
        let output = run(&[
            "simulate",
            workflow,
            "--scenario",
            scenario,
            "--format",
            format,
        ]);
        failed(&output, "follow_up_refused", &parts);
    }
    let output = run(&["report", workflow, "--scenario", scenario]);
    failed(&output, "follow_up_refused", &parts);
    let output = run(&[
        "simulate",
        workflow,
        "--scenario",
        scenario,
        "--runs",
        "3",
        "--quiet",
    ]);
    failed(&output, "follow_up_refused", &parts);
}
