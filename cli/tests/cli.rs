//! Integration tests of the real `directrix` binary: exit codes, stdout/stderr contracts,
//! JSON shapes and the seed workflow 114-CV/HU.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

const BIN: &str = env!("CARGO_BIN_EXE_directrix");
const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
const SEED: &str = "workflows/kien-xuong-114-cv-hu.ron";
const SCENARIO: &str = "workflows/kien-xuong-114-cv-hu.scenario.ron";

/// Runs `directrix` from the workspace root.
fn run(args: &[&str]) -> Output {
    run_in(Path::new(ROOT), args)
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("failed to run directrix")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("terminated by a signal")
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON value ({e}):\n{}\nstderr:\n{}",
            stdout(output),
            stderr(output)
        )
    })
}

/// A fresh directory under the target's test scratch area, unique per call.
fn scratch(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("cli-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Writes `contents` as `name` in a fresh scratch directory and returns its path.
fn temp_file(test: &str, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = scratch(test).join(name);
    std::fs::write(&path, contents).expect("write temp file");
    path
}

fn seed_source() -> String {
    std::fs::read_to_string(Path::new(ROOT).join(SEED)).expect("read seed workflow")
}

fn scenario_source() -> String {
    std::fs::read_to_string(Path::new(ROOT).join(SCENARIO)).expect("read seed scenario")
}

/// Replaces exactly one occurrence of `from` (so a changed seed fails loudly here).
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "expected one `{from}`");
    text.replacen(from, to, 1)
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// Whether `text` contains `:LINE:COLUMN` (both positive numbers).
fn has_line_column(text: &str) -> bool {
    text.split(':').collect::<Vec<_>>().windows(3).any(|w| {
        let line = w[1];
        let column: String = w[2].chars().take_while(char::is_ascii_digit).collect();
        !line.is_empty()
            && line.chars().all(|c| c.is_ascii_digit())
            && line != "0"
            && !column.is_empty()
            && column != "0"
    })
}

fn assert_fails_with_location(output: &Output) {
    let err = stderr(output);
    assert_eq!(code(output), 1, "stderr:\n{err}");
    assert!(has_line_column(&err), "no line:column in stderr:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
}

fn is_rfc3339_plus7(text: &str) -> bool {
    // 2021-05-07T08:00:00+07:00
    let b = text.as_bytes();
    text.len() == 25
        && text.ends_with("+07:00")
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && [0..4, 5..7, 8..10, 11..13, 14..16, 17..19]
            .into_iter()
            .all(|r| b[r].iter().all(u8::is_ascii_digit))
}

/// Removes ANSI escape sequences (`ESC [ ... letter`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

// ------------------------------------------------------------------------- validate

#[test]
fn validate_accepts_every_shipped_file() {
    let mut files: Vec<String> = std::fs::read_dir(Path::new(ROOT).join("workflows"))
        .expect("workflows/")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .into_string()
                .expect("UTF-8")
        })
        .filter(|name| name.ends_with(".ron"))
        .map(|name| format!("workflows/{name}"))
        .collect();
    files.sort();
    assert!(files.iter().any(|f| f.ends_with(".scenario.ron")));
    let args: Vec<&str> = std::iter::once("validate")
        .chain(files.iter().map(String::as_str))
        .collect();
    let output = run(&args);
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));
    let out = stdout(&output);
    for file in &files {
        assert!(out.contains(&format!("ok     {file}")), "{file}:\n{out}");
    }

    // Each file on its own, too (the scenario against its sibling workflow).
    for file in &files {
        let output = run(&["validate", file, "--format", "json"]);
        assert_eq!(code(&output), 0, "{file}: {}", stderr(&output));
        assert_eq!(json(&output)[0]["valid"], true, "{file}");
    }
}

#[test]
fn validate_empty_file() {
    let path = temp_file("empty", "empty.ron", "");
    let output = run(&["validate", path_str(&path)]);
    assert_fails_with_location(&output);
    assert!(stderr(&output).contains("syntax"), "{}", stderr(&output));
}

#[test]
fn validate_truncated_seed() {
    let source = seed_source();
    let mut half = source.len() / 2;
    while !source.is_char_boundary(half) {
        half -= 1;
    }
    let path = temp_file("truncated", "truncated.ron", &source[..half]);
    let output = run(&["validate", path_str(&path)]);
    assert_fails_with_location(&output);
    assert!(
        stdout(&output).starts_with("FAILED "),
        "{}",
        stdout(&output)
    );

    let output = run(&["validate", path_str(&path), "--format", "json"]);
    assert_eq!(code(&output), 1);
    let report = json(&output);
    let diagnostic = &report[0]["diagnostics"][0];
    assert_eq!(diagnostic["code"], "syntax");
    assert!(diagnostic["location"]["line"].as_u64().unwrap() > 1);
}

#[test]
fn validate_binary_file() {
    // Deterministic "random" bytes after a valid prefix; 0xFF never occurs in UTF-8.
    let mut bytes = b"(format".to_vec();
    bytes.push(0xFF);
    let mut state: u32 = 0x2021_0507;
    for _ in 0..512 {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        bytes.push((state >> 24) as u8);
    }
    assert!(std::str::from_utf8(&bytes).is_err());
    let path = temp_file("binary", "binary.ron", &bytes);
    let output = run(&["validate", path_str(&path)]);
    assert_fails_with_location(&output);
    let err = stderr(&output);
    assert!(err.contains(":1:8:"), "{err}");
    assert!(err.contains("not UTF-8"), "{err}");

    // JSON says why, with the location.
    let output = run(&["validate", path_str(&path), "--format", "json"]);
    assert_eq!(code(&output), 1);
    let report = json(&output);
    assert_eq!(report[0]["valid"], false);
    let diagnostic = &report[0]["diagnostics"][0];
    assert_eq!(diagnostic["code"], "syntax");
    assert_eq!(diagnostic["severity"], "error");
    assert_eq!(diagnostic["location"]["line"], 1);
    assert_eq!(diagnostic["location"]["column"], 8);
}

#[test]
fn validate_missing_file() {
    let path = scratch("missing").join("does-not-exist.ron");
    let output = run(&["validate", path_str(&path)]);
    assert_eq!(code(&output), 1);
    let err = stderr(&output);
    assert!(err.contains("cannot read"), "{err}");
    assert!(err.contains("does-not-exist.ron"), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    let output = run(&["validate", path_str(&path), "--format", "json"]);
    assert_eq!(code(&output), 1);
    let report = json(&output);
    assert_eq!(report[0]["valid"], false);
    assert!(
        report[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("cannot read")),
        "{report}"
    );
}

/// The seed with two unrelated mistakes: a misspelt issuer and a malformed UTC offset.
fn two_mistakes() -> (String, usize, usize) {
    let source = seed_source();
    let source = replace_once(
        &source,
        "issuer: \"district_standing\",",
        "issuer: \"district_standin\",",
    );
    let source = replace_once(&source, "utc_offset: \"+07:00\"", "utc_offset: \"+7\"");
    let line_of = |needle: &str| source[..source.find(needle).unwrap()].matches('\n').count() + 1;
    let (issuer, offset) = (line_of("district_standin\""), line_of("\"+7\""));
    (source, issuer, offset)
}

#[test]
fn validate_reports_two_unrelated_mistakes() {
    let (source, issuer_line, offset_line) = two_mistakes();
    let path = temp_file("two", "two.ron", source);

    let output = run(&["validate", path_str(&path)]);
    assert_fails_with_location(&output);
    let err = stderr(&output);
    assert!(err.contains("unknown-agency"), "{err}");
    assert!(err.contains("invalid-offset"), "{err}");
    assert!(err.contains(&format!("two.ron:{issuer_line}:")), "{err}");
    assert!(err.contains(&format!("two.ron:{offset_line}:")), "{err}");
    assert!(
        err.contains("district_standing"),
        "did-you-mean hint:\n{err}"
    );

    let output = run(&["validate", path_str(&path), "--format", "json"]);
    assert_eq!(code(&output), 1);
    let report = json(&output);
    let diagnostics = report[0]["diagnostics"].as_array().unwrap();
    let find = |code: &str| {
        diagnostics
            .iter()
            .find(|d| d["code"] == code)
            .unwrap_or_else(|| panic!("no {code} in {report}"))
    };
    let agency = find("unknown-agency");
    assert_eq!(agency["location"]["line"], issuer_line);
    assert_eq!(agency["location"]["column"], 17);
    assert_eq!(agency["severity"], "error");
    let offset = find("invalid-offset");
    assert_eq!(offset["location"]["line"], offset_line);
    assert_eq!(offset["location"]["column"], 21);
    assert_eq!(offset["severity"], "error");
}

#[test]
fn validate_json_shape() {
    let (source, _, _) = two_mistakes();
    let path = temp_file("json-shape", "bad.ron", source);
    let output = run(&[
        "validate",
        SEED,
        SCENARIO,
        path_str(&path),
        "--format",
        "json",
    ]);
    assert_eq!(code(&output), 1);
    let report = json(&output);
    let files = report.as_array().expect("an array of file reports");
    assert_eq!(files.len(), 3);
    assert_eq!(files[0]["file"], SEED);
    assert_eq!(files[1]["file"], SCENARIO);
    assert_eq!(files[2]["file"], path_str(&path));
    assert_eq!(files[0]["valid"], true);
    assert_eq!(files[1]["valid"], true);
    assert_eq!(files[2]["valid"], false);
    let mut seen = 0;
    for file in files {
        assert!(file["file"].is_string());
        assert!(file["valid"].is_boolean());
        for d in file["diagnostics"].as_array().expect("diagnostics array") {
            seen += 1;
            assert!(d["code"].is_string(), "{d}");
            assert!(
                d["severity"] == "error" || d["severity"] == "warning",
                "{d}"
            );
            assert!(
                d["location"]["line"].as_u64().is_some_and(|l| l >= 1),
                "{d}"
            );
            assert!(
                d["location"]["column"].as_u64().is_some_and(|c| c >= 1),
                "{d}"
            );
        }
    }
    assert!(seen >= 3, "{report}");
    // The seed's one intended warning: social distancing started the day before the letter.
    assert_eq!(files[0]["diagnostics"][0]["code"], "starts-before-issue");
    assert_eq!(files[0]["diagnostics"][0]["severity"], "warning");
}

#[test]
fn validate_scenario_with_invalid_sibling_workflow() {
    let dir = scratch("sibling");
    std::fs::write(dir.join("x.ron"), two_mistakes().0).unwrap();
    std::fs::write(dir.join("x.scenario.ron"), scenario_source()).unwrap();
    let output = run_in(&dir, &["validate", "x.scenario.ron", "--format", "json"]);
    assert_eq!(code(&output), 1);
    let err = stderr(&output);
    assert!(err.contains("without a valid workflow"), "{err}");
    assert!(err.contains("x.ron:"), "{err}");
    let report = json(&output);
    assert_eq!(report[0]["valid"], false);
    assert!(report[0]["error"].is_string(), "{report}");
}

#[test]
fn validate_stderr_snapshot() {
    let source = r#"(
    format: 1,
    directive: (
        number: "1/CV",
        kind: "Công văn",
        issuer: "ubnd",
        issued_at: "2021-05-07T08:00:00+07:00",
        subject: "Thử nghiệm",
    ),
    calendar: (utc_offset: "+7"),
    agencies: [
        (id: "ubnd", name: "Ủy ban nhân dân xã", kind: State),
    ],
    tasks: [
        (id: "bao_cao", title: "Báo cáo", lead: ["ubdn"], due: Days(1)),
    ],
)
"#;
    let dir = scratch("snapshot");
    std::fs::write(dir.join("small.ron"), source).unwrap();
    let output = run_in(&dir, &["validate", "small.ron"]);
    assert_eq!(code(&output), 1);
    assert_eq!(stdout(&output), "FAILED small.ron (2 errors, 0 warnings)\n");
    // Trailing spaces (ariadne pads label lines) are trimmed so the snapshot survives
    // editors that strip them.
    let err: Vec<String> = strip_ansi(&stderr(&output))
        .lines()
        .map(|l| l.trim_end().to_owned())
        .collect();
    insta::assert_snapshot!(err.join("\n"));
}

// ------------------------------------------------------------------------- usage errors

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["frobnicate"][..],
        &["validate"],
        &["inspect"],
        &["graph"],
        &["simulate"],
        &["validate", SEED, "--format", "xml"],
        &["inspect", SEED, "--format", "yaml"],
        &["graph", SEED, "--format", "svg"],
        &["graph", SEED, "--view", "people"],
        &["simulate", SEED, "--seed", "minus-one"],
        &["simulate", SEED, "--no-such-flag"],
    ] {
        let output = run(args);
        assert_eq!(code(&output), 2, "{args:?}: {}", stderr(&output));
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(
            stderr(&output).starts_with("error:"),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn no_arguments_prints_usage_and_exits_2() {
    let output = run(&[]);
    assert_eq!(code(&output), 2);
    assert!(output.stdout.is_empty());
    assert!(stderr(&output).contains("Usage: directrix <COMMAND>"));
}

#[test]
fn every_help_has_an_example() {
    for command in ["validate", "inspect", "graph", "simulate"] {
        let output = run(&[command, "--help"]);
        assert_eq!(code(&output), 0, "{command}");
        assert!(
            stdout(&output).contains("Example"),
            "{command}:\n{}",
            stdout(&output)
        );
        let output = run(&["help", command]);
        assert_eq!(code(&output), 0, "{command}");
        assert!(stdout(&output).contains("Example"), "help {command}");
    }
    let output = run(&["--help"]);
    assert_eq!(code(&output), 0);
    for command in ["validate", "inspect", "graph", "simulate"] {
        assert!(stdout(&output).contains(command));
    }
    let output = run(&["--version"]);
    assert_eq!(code(&output), 0);
    assert!(stdout(&output).starts_with("directrix "));
}

// ------------------------------------------------------------------------- inspect

#[test]
fn inspect_table() {
    let output = run(&["inspect", SEED]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let out = stdout(&output);
    for expected in [
        "114-CV/HU",
        "Ban Thường vụ Huyện ủy Kiến Xương",
        "Ban Thường vụ Tỉnh ủy Thái Bình",
        "Trung tâm Y tế huyện Kiến Xương",
        "Xã Lê Lợi",
        "V/v thực hiện các biện pháp cấp bách phòng, chống dịch Covid-19",
        "Implements 135-TB/TU, 05/CĐ-UBND",
        "Tasks (times +07:00)",
        "contingency_plan     2021-05-07 08:00  2021-05-12 17:00  2021-05-12 17:00  health",
        "Critical path",
        "Earliest done at the expected pace, set by",
        "contingency_plan     health_readiness → contingency_plan",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    // The seed's warning is announced, not hidden.
    assert!(stderr(&output).contains("1 warning"), "{}", stderr(&output));
}

#[test]
fn inspect_json() {
    let output = run(&["inspect", SEED, "--format", "json"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let inspection = json(&output);
    assert_eq!(inspection["directive"]["number"], "114-CV/HU");
    assert_eq!(inspection["calendar"]["utc_offset"], "+07:00");
    assert!(is_rfc3339_plus7(
        inspection["directive"]["issued_at"].as_str().unwrap()
    ));
    let critical = inspection["critical_path"].as_array().unwrap();
    assert!(!critical.is_empty());
    assert_eq!(critical.last().unwrap(), "mobilise");
    let agencies = inspection["agencies"].as_array().unwrap();
    assert!(agencies.iter().any(
        |a| a["id"] == "district_standing" && a["name"] == "Ban Thường vụ Huyện ủy Kiến Xương"
    ));
    let tasks = inspection["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 10);
    for task in tasks {
        let due = task["planned_due"].as_str().unwrap_or_default();
        assert!(is_rfc3339_plus7(due), "{}: {due:?}", task["id"]);
        assert!(is_rfc3339_plus7(task["planned_start"].as_str().unwrap()));
        let on_path = critical.contains(&task["id"]);
        assert_eq!(task["critical"], on_path, "{}", task["id"]);
    }
    let contingency = tasks
        .iter()
        .find(|t| t["id"] == "contingency_plan")
        .unwrap();
    assert_eq!(contingency["planned_due"], "2021-05-12T17:00:00+07:00");
}

#[test]
fn inspect_json_carries_earliest_completion_and_critical_path() {
    let output = run(&["inspect", SEED, "--format", "json"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let inspection = json(&output);
    let tasks = inspection["tasks"].as_array().unwrap();
    for task in tasks {
        let earliest = task["earliest_completion"].as_str().unwrap_or_default();
        assert!(is_rfc3339_plus7(earliest), "{}: {earliest:?}", task["id"]);
        let path = task["critical_path"].as_array().unwrap();
        assert_eq!(path.last(), Some(&task["id"]), "a path ends with its task");
    }
    let task = |id: &str| tasks.iter().find(|t| t["id"] == id).unwrap();
    // Two working days of readiness (Fri, Mon), then two of planning (Tue, Wed).
    let contingency = task("contingency_plan");
    assert_eq!(contingency["expected"], "2 working days");
    assert_eq!(contingency["earliest_start"], "2021-05-10T17:00:00+07:00");
    assert_eq!(
        contingency["earliest_completion"],
        "2021-05-12T17:00:00+07:00"
    );
    assert_eq!(
        contingency["critical_path"],
        serde_json::json!(["health_readiness", "contingency_plan"])
    );
    // 36 hours round the clock from Friday 08:00.
    assert_eq!(
        task("tracing")["earliest_completion"],
        "2021-05-08T20:00:00+07:00"
    );
}

#[test]
fn inspect_invalid_workflow_fails_with_location() {
    let (source, _, _) = two_mistakes();
    let path = temp_file("inspect-bad", "bad.ron", source);
    for format in ["table", "json"] {
        let output = run(&["inspect", path_str(&path), "--format", format]);
        assert_fails_with_location(&output);
        assert!(output.stdout.is_empty(), "{}", stdout(&output));
    }
}

// ------------------------------------------------------------------------- graph

#[test]
fn graph_every_format_and_view() {
    for (format, header) in [("dot", "digraph"), ("mermaid", "flowchart")] {
        for view in ["tasks", "agencies", "documents"] {
            let output = run(&["graph", SEED, "--format", format, "--view", view]);
            assert_eq!(code(&output), 0, "{format} {view}: {}", stderr(&output));
            let out = stdout(&output);
            assert!(out.starts_with(header), "{format} {view}:\n{out}");
            assert!(out.ends_with('\n'), "{format} {view}");
            if view == "documents" {
                for number in ["15/CT-TTg", "135-TB/TU", "05/CĐ-UBND", "114-CV/HU"] {
                    assert!(out.contains(number), "{format}: {number} missing:\n{out}");
                }
            }
            if view == "agencies" {
                assert!(out.contains("Ban Thường vụ Huyện ủy Kiến Xương"), "{out}");
            }
        }
    }
    // Defaults: mermaid, tasks.
    let output = run(&["graph", SEED]);
    assert_eq!(code(&output), 0);
    assert!(stdout(&output).starts_with("flowchart"));
    assert!(stdout(&output).contains("contingency_plan"));
}

// ------------------------------------------------------------------------- simulate

fn simulate_json(extra: &[&str]) -> (Output, Value) {
    let mut args = vec!["simulate", SEED, "--scenario", SCENARIO, "--format", "json"];
    args.extend_from_slice(extra);
    let output = run(&args);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let value = json(&output);
    (output, value)
}

#[test]
fn simulate_json_timeline() {
    let (_, report) = simulate_json(&[]);
    assert!(report.is_object());
    assert_eq!(report["directive"], "114-CV/HU");
    assert_eq!(report["until"], "2021-05-21T17:00:00+07:00");
    let events = report["events"].as_array().expect("events array");
    assert!(!events.is_empty());
    let mut previous = "";
    for event in events {
        let at = event["at"].as_str().unwrap_or_default();
        assert!(is_rfc3339_plus7(at), "{event}");
        // One offset throughout, so the text order is the time order.
        assert!(at >= previous, "events out of order at {event}");
        previous = at;
        for key in ["kind", "task", "agency"] {
            assert!(
                event[key].as_str().is_some_and(|s| !s.is_empty()),
                "{key} in {event}"
            );
        }
    }
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"overdue"));
    assert!(kinds.contains(&"escalated"));
    let escalated = |agency: &str, at: &str| {
        events.iter().any(|e| {
            e["kind"] == "escalated"
                && e["task"] == "contingency_plan"
                && e["agency"] == agency
                && e["at"] == at
        })
    };
    assert!(
        escalated("district_standing", "2021-05-13T17:00:00+07:00"),
        "{report}"
    );
    assert!(
        escalated("province_standing", "2021-05-15T17:00:00+07:00"),
        "{report}"
    );
    assert!(events.iter().any(|e| e["kind"] == "overdue"
        && e["task"] == "contingency_plan"
        && e["at"] == "2021-05-12T17:00:00+07:00"));
}

#[test]
fn simulate_is_deterministic() {
    let (first, _) = simulate_json(&["--seed", "7"]);
    let (second, report) = simulate_json(&["--seed", "7"]);
    assert_eq!(first.stdout, second.stdout);
    assert_eq!(report["seed"], 7);
    let table = |_: ()| run(&["simulate", SEED, "--scenario", SCENARIO, "--seed", "7"]).stdout;
    assert_eq!(table(()), table(()));
}

#[test]
fn simulate_table_shows_escalations() {
    let output = run(&["simulate", SEED, "--scenario", SCENARIO]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let out = stdout(&output);
    let line = |needles: &[&str]| out.lines().any(|l| needles.iter().all(|n| l.contains(n)));
    assert!(
        line(&[
            "2021-05-13 17:00",
            "escalated",
            "contingency_plan",
            "district_standing",
            "Ban Thường vụ Huyện ủy Kiến Xương",
        ]),
        "{out}"
    );
    assert!(
        line(&[
            "2021-05-15 17:00",
            "escalated",
            "contingency_plan",
            "province_standing",
            "Ban Thường vụ Tỉnh ủy Thái Bình",
        ]),
        "{out}"
    );
    assert!(
        line(&["2021-05-12 17:00", "overdue", "contingency_plan", "health"]),
        "{out}"
    );
    assert!(out.contains("Critical path"), "{out}");
    assert!(
        out.starts_with("114-CV/HU · scenario: kien-xuong-114-two-weeks"),
        "{out}"
    );
}

#[test]
fn simulate_until_cuts_the_timeline() {
    let cut = "2021-05-14T12:00:00+07:00";
    let (_, full) = simulate_json(&[]);
    for until in [cut, "2021-05-14 12:00"] {
        let (_, report) = simulate_json(&["--until", until]);
        assert_eq!(report["until"], cut);
        let events = report["events"].as_array().unwrap();
        assert!(!events.is_empty());
        for event in events {
            assert!(event["at"].as_str().unwrap() <= cut, "{event} after {cut}");
        }
        // The 13 May escalation is in, the 15 May one is not.
        assert!(
            events
                .iter()
                .any(|e| e["kind"] == "escalated" && e["agency"] == "district_standing")
        );
        assert!(
            !events
                .iter()
                .any(|e| e["agency"] == "province_standing" && e["kind"] == "escalated")
        );
        assert!(events.len() < full["events"].as_array().unwrap().len());
    }
}

#[test]
fn simulate_invalid_until() {
    for until in ["garbage", "2021-13-45 25:00", "tomorrow"] {
        let output = run(&["simulate", SEED, "--scenario", SCENARIO, "--until", until]);
        assert_eq!(code(&output), 1, "{until}");
        assert!(stderr(&output).contains("--until"), "{}", stderr(&output));
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn simulate_without_scenario_escalates_silence() {
    let output = run(&["simulate", SEED, "--format", "json"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(report["until"], "2021-05-21T08:00:00+07:00");
    let events = report["events"].as_array().unwrap();
    assert!(events.iter().any(|e| e["kind"] == "escalated"));
}

#[test]
fn simulate_unknown_agency_suggests() {
    let scenario = replace_once(
        &scenario_source(),
        "actor: \"health\", task: \"contingency_plan\", action: \"report\"",
        "actor: \"helth\", task: \"contingency_plan\", action: \"report\"",
    );
    let path = temp_file("unknown-agency", "k.scenario.ron", scenario);
    let output = run(&["simulate", SEED, "--scenario", path_str(&path)]);
    assert_fails_with_location(&output);
    let err = stderr(&output);
    assert!(err.contains("unknown-agency"), "{err}");
    assert!(err.contains("helth"), "{err}");
    assert!(err.contains("did you mean `health`"), "{err}");
    assert!(output.stdout.is_empty());
}

#[test]
fn simulate_missing_scenario() {
    let path = scratch("missing-scenario").join("nope.scenario.ron");
    let output = run(&["simulate", SEED, "--scenario", path_str(&path)]);
    assert_eq!(code(&output), 1);
    assert!(
        stderr(&output).contains("cannot read"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn closed_stdout_does_not_panic() {
    // Several runs print more than a pipe holds (silence until September), so the
    // process is still writing when the reader goes away.
    let long = "2021-09-07 08:00";
    let dir = scratch("closed-stdout");
    for (i, args) in [
        &["simulate", SEED, "--scenario", SCENARIO][..],
        &["simulate", SEED, "--scenario", SCENARIO, "--format", "json"],
        &["simulate", SEED, "--until", long],
        &["simulate", SEED, "--until", long, "--format", "json"],
        &["inspect", SEED],
        &["graph", SEED, "--format", "dot", "--view", "agencies"],
    ]
    .into_iter()
    .enumerate()
    {
        // stderr goes to a file: a pipe nobody reads could fill up and block the child.
        let err_path = dir.join(format!("stderr-{i}"));
        let mut child = Command::new(BIN)
            .args(args)
            .current_dir(ROOT)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&err_path).unwrap())
            .spawn()
            .expect("spawn directrix");
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        reader.read_line(&mut first).unwrap();
        assert!(!first.is_empty(), "{args:?}");
        drop(reader); // `| head -1`
        let status = child.wait().unwrap();
        let err = std::fs::read_to_string(&err_path).unwrap();
        assert_ne!(status.code(), Some(101), "{args:?}: {err}");
        assert!(status.code().is_some(), "{args:?}: killed by a signal");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn limits_are_raised_with_limit_flags() {
    // 26 agencies: a limit of 25 fails with a located diagnostic saying how to raise it.
    let over = run(&["validate", SEED, "--limit", "agencies=25"]);
    assert_eq!(code(&over), 1);
    let text = strip_ansi(&stderr(&over));
    assert!(text.contains("limit-exceeded"), "{text}");
    assert!(text.contains("--limit agencies=26"), "{text}");
    assert!(has_line_column(&text), "{text}");
    assert_eq!(code(&run(&["validate", SEED, "--limit", "agencies=26"])), 0);
    // Every loading command takes it.
    for command in ["inspect", "graph", "simulate", "report"] {
        let output = run(&[command, SEED, "--limit", "instances=1"]);
        assert_eq!(code(&output), 1, "{command}: {}", stderr(&output));
        assert!(stderr(&output).contains("limit-exceeded"), "{command}");
    }
    // Unknown names and bad values are usage errors.
    let typo = run(&["validate", SEED, "--limit", "agency=3"]);
    assert_eq!(code(&typo), 2);
    assert!(stderr(&typo).contains("did you mean `agencies`?"));
    assert_eq!(code(&run(&["validate", SEED, "--limit", "agencies"])), 2);
    assert_eq!(code(&run(&["validate", SEED, "--limit", "agencies=-1"])), 2);
    // `--help` lists the limits with their defaults and an example.
    let help = stdout(&run(&["validate", "--help"]));
    assert!(help.contains("timers-per-advance=1000000"), "{help}");
    assert!(help.contains("Example: --limit instances="), "{help}");
}

/// A megabyte-long name in a workflow or a scenario: the diagnostic quotes it short, and the
/// snippet of its megabyte-long line is not printed, in both formats and on both streams.
#[test]
fn a_huge_name_makes_a_small_diagnostic() {
    let huge = "h".repeat(1_000_000);
    let dir = scratch("huge-name");
    let workflow = seed_source();
    std::fs::write(dir.join("k.ron"), &workflow).unwrap();
    let scenario = replace_once(
        &scenario_source(),
        "actor: \"health\", task: \"contingency_plan\", action: \"report\"",
        &format!("actor: \"{huge}\", task: \"contingency_plan\", action: \"report\""),
    );
    std::fs::write(dir.join("k.scenario.ron"), scenario).unwrap();
    let long_workflow = workflow.replacen("lead: [\"health\"]", &format!("lead: [\"{huge}\"]"), 1);
    std::fs::write(dir.join("long.ron"), long_workflow).unwrap();
    let runs = [
        vec!["validate", "k.scenario.ron"],
        vec!["validate", "k.scenario.ron", "--format", "json"],
        vec!["simulate", "k.ron", "--scenario", "k.scenario.ron"],
        vec!["validate", "long.ron", "--limit", "string-bytes=2000000"],
        vec![
            "validate",
            "long.ron",
            "--limit",
            "string-bytes=2000000",
            "--format",
            "json",
        ],
    ];
    for args in runs {
        let output = run_in(&dir, &args);
        assert_eq!(code(&output), 1, "{args:?}");
        assert!(
            stderr(&output).contains("(1000000 bytes)"),
            "{args:?}: {}",
            &stderr(&output)[..300]
        );
        assert!(
            output.stdout.len() + output.stderr.len() < 4000,
            "{args:?}: {} bytes out, {} bytes err",
            output.stdout.len(),
            output.stderr.len()
        );
    }
}

/// The summary's counts agree with their nouns: "1 rejected action", not "1 rejected actions".
#[test]
fn simulate_summary_counts_agree_with_their_nouns() {
    let event = "(at: \"2021-05-17 10:00\", actor: \"health\", task: \"contingency_plan\", action: \"report\"";
    let scenario = scenario_source();
    let line = scenario
        .lines()
        .find(|l| l.contains(event))
        .expect("the event")
        .to_owned();
    // The same report twice: the second is refused.
    let scenario = replace_once(&scenario, &line, &format!("{line}\n{line}"));
    let path = temp_file("counted", "k.scenario.ron", scenario);
    let output = run(&["simulate", SEED, "--scenario", path_str(&path)]);
    let out = stdout(&output);
    assert!(out.contains(", 1 rejected action\n"), "{out}");
}
