//! A Monte Carlo study split into shards (`simulate --runs N --shard I/K`) and merged
//! (`directrix merge`) prints the same bytes as the whole study on one machine: table,
//! JSON and HTML report, for every split. Shards of another study, missing, repeated or
//! damaged ones are refused with a coded error, and nothing is printed.

use std::path::{Path, PathBuf};

mod common;
use common::*;

const SEED: &str = "workflows/kien-xuong-114-cv-hu.ron";
const BEHAVIOUR: &str = "workflows/kien-xuong-114-cv-hu.behaviour.scenario.ron";
const RUNS: &str = "23";

fn ok(args: &[&str]) -> String {
    let output = run(args);
    assert!(
        output.status.success(),
        "directrix {args:?} failed: {}",
        text(&output.stderr)
    );
    text(&output.stdout)
}

/// Writes shards `0..count` of the seed study (seed `seed`) and returns their paths.
fn shards(name: &str, seed: &str, count: u64) -> Vec<PathBuf> {
    (0..count)
        .map(|i| {
            let shard = format!("{i}/{count}");
            let json = ok(&[
                "simulate",
                SEED,
                "--scenario",
                BEHAVIOUR,
                "--runs",
                RUNS,
                "--seed",
                seed,
                "--shard",
                &shard,
            ]);
            let path = scratch("shard", &format!("{name}-{i}-of-{count}.json"));
            std::fs::write(&path, json).expect("write a shard");
            path
        })
        .collect()
}

fn merge(shards: &[PathBuf], extra: &[&str]) -> std::process::Output {
    let mut args = vec!["merge", SEED, "--scenario", BEHAVIOUR];
    args.extend(extra);
    args.extend(shards.iter().map(|p| p.to_str().expect("UTF-8 path")));
    run(&args)
}

fn refused(output: &std::process::Output, code: &str) {
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(
        output.stdout.is_empty(),
        "printed: {}",
        text(&output.stdout)
    );
    assert!(
        text(&output.stderr).contains(&format!("error[{code}]")),
        "expected {code}: {}",
        text(&output.stderr)
    );
}

fn html(path: &Path) -> String {
    std::fs::read_to_string(path).expect("the HTML report was written")
}

#[test]
fn every_split_merges_to_the_whole_study_in_table_json_and_html() {
    let whole_html = scratch("shard", "whole.html");
    let whole_path = whole_html.to_str().expect("UTF-8 path");
    let base = [
        "simulate",
        SEED,
        "--scenario",
        BEHAVIOUR,
        "--runs",
        RUNS,
        "--seed",
        "5",
    ];
    let table = ok(&[&base[..], &["--quiet", "--report", whole_path]].concat());
    let json = ok(&[&base[..], &["--format", "json"]].concat());
    assert!(table.contains(&format!("{RUNS} runs")));
    for count in [1, 2, 3, 7, 23, 30] {
        let mut parts = shards("split", "5", count);
        // The order of the files does not matter.
        parts.reverse();
        let merged_html = scratch("shard", &format!("merged-{count}.html"));
        let merged_path = merged_html.to_str().expect("UTF-8 path");
        let merged = merge(&parts, &["--report", merged_path]);
        assert!(merged.status.success(), "{}", text(&merged.stderr));
        assert_eq!(text(&merged.stdout), table, "table, {count} shards");
        assert_eq!(
            html(&merged_html),
            html(&whole_html),
            "HTML, {count} shards"
        );
        let merged_json = merge(&parts, &["--format", "json"]);
        assert_eq!(text(&merged_json.stdout), json, "JSON, {count} shards");
    }
}

#[test]
fn shards_of_another_study_or_an_incomplete_set_are_refused() {
    let parts = shards("checks", "5", 3);
    refused(&merge(&parts[..2], &[]), "missing_shard");
    refused(
        &merge(&[parts[0].clone(), parts[0].clone(), parts[1].clone()], &[]),
        "duplicate_shard",
    );
    // Another master seed.
    let other = shards("other-seed", "6", 3);
    refused(
        &merge(&[parts[0].clone(), other[1].clone(), parts[2].clone()], &[]),
        "other_study",
    );
    // Another horizon than the shards ran to.
    let until = merge(&parts, &["--until", "2021-05-20 00:00"]);
    refused(&until, "other_study");
    assert!(text(&until.stderr).contains("until"));
    // Another workflow.
    let output = run(&[
        "merge",
        "workflows/quang-tri-41-2019-qd-ubnd.ron",
        "--scenario",
        "workflows/quang-tri-41-2019-qd-ubnd.behaviour.scenario.ron",
        parts[0].to_str().expect("UTF-8 path"),
    ]);
    refused(&output, "other_study");
}

#[test]
fn a_damaged_shard_is_refused_and_a_foreign_file_located() {
    let parts = shards("damaged", "5", 2);
    let text_of = |p: &Path| std::fs::read_to_string(p).expect("read a shard");
    // An outcome with a task too few.
    let shard = text_of(&parts[1]);
    let damaged = shard.replacen("\"finished\":[", "\"finished\":[1,", 1);
    assert_ne!(damaged, shard);
    let path = scratch("shard", "damaged-extra-task.json");
    std::fs::write(&path, damaged).expect("write");
    refused(&merge(&[parts[0].clone(), path], &[]), "damaged_shard");
    // A shard with one outcome missing: the count no longer matches its runs.
    let mut value: serde_json::Value = serde_json::from_str(&shard).expect("JSON");
    let outcomes = value["outcomes"].as_array_mut().expect("outcomes");
    assert!(outcomes.pop().is_some());
    let path = scratch("shard", "damaged-short.json");
    std::fs::write(&path, value.to_string()).expect("write");
    refused(&merge(&[parts[0].clone(), path], &[]), "damaged_shard");
    // Not a shard at all: located.
    let path = scratch("shard", "foreign.json");
    std::fs::write(&path, "{\n  \"format\": 1,\n  \"colour\": \"red\"\n}\n").expect("write");
    let output = merge(&[path], &[]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("foreign.json:3:"), "{stderr}");
    assert!(stderr.contains("not a shard"), "{stderr}");
}

#[test]
fn a_shard_outside_the_study_is_a_usage_error() {
    let output = run(&[
        "simulate",
        SEED,
        "--scenario",
        BEHAVIOUR,
        "--runs",
        RUNS,
        "--shard",
        "3/3",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("numbered from 0 to 2"));
    let output = run(&["simulate", SEED, "--scenario", BEHAVIOUR, "--shard", "0/2"]);
    assert_eq!(output.status.code(), Some(2), "--shard needs --runs");
}
