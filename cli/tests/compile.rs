//! `directrix compile`: the validated model as bytes for the WebAssembly runtime.

mod common;
use common::{run, text};
use directrix_core::{Limits, LoadOptions, Workflow};

fn scratch(name: &str) -> std::path::PathBuf {
    common::scratch("compile", name)
}

#[test]
fn compiles_the_seed_to_bytes_with_the_same_content_hash() {
    let out = scratch("seed.dxw");
    let _ = std::fs::remove_file(&out);
    let output = run(&[
        "compile",
        "workflows/kien-xuong-114-cv-hu.ron",
        "--out",
        out.to_str().expect("UTF-8 path"),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let bytes = std::fs::read(&out).expect("written");
    let compiled = Workflow::from_compiled(&bytes, &Limits::default()).expect("loads");
    let source = common::read("workflows/kien-xuong-114-cv-hu.ron");
    let loaded = directrix_core::load(&source).expect("seed loads").workflow;
    assert_eq!(compiled.content_hash(), loaded.content_hash());
    assert_eq!(bytes, loaded.to_compiled());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!("content hash {}", loaded.content_hash())),
        "{stderr}"
    );
}

#[test]
fn named_calendars_are_compiled_in() {
    let out = scratch("quang-tri.dxw");
    let output = run(&[
        "compile",
        "workflows/quang-tri-41-2019-qd-ubnd.ron",
        "--out",
        out.to_str().expect("UTF-8 path"),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let holidays = common::read("workflows/calendars/vn-public-holidays.ron");
    let options = LoadOptions::default().with_calendar("vn-public-holidays", &holidays);
    let source = common::read("workflows/quang-tri-41-2019-qd-ubnd.ron");
    let loaded = directrix_core::load_with(&source, &options)
        .expect("loads")
        .workflow;
    assert_eq!(std::fs::read(&out).expect("written"), loaded.to_compiled());
}

#[test]
fn an_invalid_workflow_is_reported_and_nothing_is_written() {
    let broken = scratch("broken.ron");
    std::fs::write(&broken, "(directive: (number: \"1\",").expect("write fixture");
    let out = scratch("broken.dxw");
    let _ = std::fs::remove_file(&out);
    let output = run(&["compile", broken.to_str().expect("UTF-8 path")]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("[syntax] Error"),
        "{}",
        text(&output.stderr)
    );
    assert!(
        !out.exists(),
        "the default output beside the input was not written"
    );
}
