//! `directrix graph --follow-up FILE`: the workflow as amended, so a follow-up joins the
//! documents chain (as the README says) and its tasks the task graph.

mod common;
use common::*;

const SEED: &str = "workflows/kien-xuong-114-cv-hu.ron";
const LETTER: &str = "workflows/kien-xuong-114-cv-hu.120.followup.ron";

#[test]
fn a_follow_up_joins_the_documents_chain() {
    let plain = run(&["graph", SEED, "--view", "documents", "--format", "dot"]);
    assert_eq!(plain.status.code(), Some(0), "{}", text(&plain.stderr));
    assert!(!text(&plain.stdout).contains("120-CV/HU"));

    let output = run(&[
        "graph",
        SEED,
        "--view",
        "documents",
        "--format",
        "dot",
        "--follow-up",
        LETTER,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let dot = text(&output.stdout);
    assert!(dot.contains("Công văn 120-CV/HU"), "{dot}");
    // Its tasks join the task graph.
    let output = run(&["graph", SEED, "--follow-up", LETTER]);
    assert!(text(&output.stdout).contains("checkpoints"));
}

#[test]
fn a_refused_follow_up_is_reported_against_its_file() {
    let letter = scratch("graph-follow-up", "bad.followup.ron");
    std::fs::write(
        &letter,
        read(LETTER).replace(
            "(task: \"vaccination\", due:",
            "(task: \"vacination\", due:",
        ),
    )
    .unwrap();
    let output = run(&["graph", SEED, "--follow-up", letter.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("unknown-task"), "{stderr}");
    assert!(stderr.contains("bad.followup.ron"), "{stderr}");
    assert!(text(&output.stdout).is_empty());
}
