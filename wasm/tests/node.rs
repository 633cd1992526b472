//! The bindings as JavaScript sees them, run in Node by wasm-bindgen-test:
//! `cargo test -p directrix-wasm --target wasm32-unknown-unknown`.
#![cfg(target_arch = "wasm32")]

use directrix_wasm::{Workflow, WorkflowInstance as Instance, simulate_json};
use js_sys::{JSON, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const SEED: &str = include_str!("../../workflows/kien-xuong-114-cv-hu.ron");
const SCENARIO: &str = include_str!("../../workflows/kien-xuong-114-cv-hu.scenario.ron");

fn field(value: &JsValue, name: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

fn json(value: &JsValue) -> String {
    JSON::stringify(value).map(String::from).unwrap_or_default()
}

/// Asserts a thrown value is a `DirectrixError` with `code`, and returns it.
fn directrix_error(error: JsValue, code: &str) -> JsValue {
    assert!(
        error.is_instance_of::<js_sys::Error>(),
        "not an Error: {error:?}"
    );
    assert_eq!(
        field(&error, "name").as_string().as_deref(),
        Some("DirectrixError")
    );
    assert_eq!(
        field(&error, "code").as_string().as_deref(),
        Some(code),
        "{error:?}"
    );
    assert!(
        !field(&error, "message")
            .as_string()
            .unwrap_or_default()
            .is_empty()
    );
    error
}

fn started() -> (Workflow, Instance) {
    let workflow = Workflow::parse(SEED, JsValue::UNDEFINED).expect("the seed loads");
    let mut started = workflow.start(None).expect("it starts");
    let instance = started.instance().expect("an instance");
    (workflow, instance)
}

#[wasm_bindgen_test]
fn a_syntax_error_carries_code_line_column_and_every_diagnostic() {
    let error = Workflow::parse("(format: 1,\n  directive: 5", JsValue::UNDEFINED)
        .err()
        .unwrap_or_else(|| panic!("expected an error"));
    let error = directrix_error(error, "syntax");
    assert_eq!(field(&error, "line").as_f64(), Some(2.0));
    assert_eq!(field(&error, "column").as_f64(), Some(14.0));
    let diagnostics: js_sys::Array = field(&error, "diagnostics").dyn_into().expect("an array");
    assert_eq!(diagnostics.length(), 1);
}

#[wasm_bindgen_test]
fn two_unrelated_mistakes_are_both_listed() {
    let broken = SEED
        .replacen("lead: [\"health\"]", "lead: [\"heath\"]", 1)
        .replacen("utc_offset: \"+07:00\"", "utc_offset: \"+7\"", 1);
    let error = directrix_error(
        Workflow::parse(&broken, JsValue::UNDEFINED)
            .err()
            .unwrap_or_else(|| panic!("expected an error")),
        "invalid-offset",
    );
    let all = json(&field(&error, "diagnostics"));
    assert!(
        all.contains("unknown-agency") && all.contains("invalid-offset"),
        "{all}"
    );
    assert!(all.contains("did you mean `health`?"), "{all}");
}

#[wasm_bindgen_test]
fn the_module_keeps_working_after_errors() {
    for bad in ["", "\u{0}\u{1}binary", "(format: 1", "[1, 2,"] {
        assert!(Workflow::parse(bad, JsValue::UNDEFINED).is_err());
    }
    let (_, instance) = started();
    assert!(instance.now().starts_with("2021-05-07T08:00:00"));
}

#[wasm_bindgen_test]
fn check_lists_warnings_without_throwing() {
    let diagnostics =
        Workflow::check(SEED, JsValue::UNDEFINED).expect("check never throws for text");
    assert!(json(&diagnostics.js_value()).contains("starts-before-issue"));
}

#[wasm_bindgen_test]
fn advancing_past_deadlines_reports_overdue_and_escalations() {
    let (_, mut instance) = started();
    let effects = instance
        .advance("2021-05-14T08:00:00+07:00")
        .expect("advances");
    let effects = json(&effects.js_value());
    assert!(effects.contains("\"kind\":\"overdue\""), "{effects}");
    assert!(effects.contains("\"kind\":\"escalated\""), "{effects}");
    assert!(
        effects.contains("\"agency\":\"district_standing\""),
        "{effects}"
    );
    let overdue = json(&instance.overdue().expect("overdue").js_value());
    assert!(overdue.contains("contingency_plan"), "{overdue}");
    let next = instance
        .next_timer()
        .expect("next timer")
        .expect("a pending timer");
    assert!(json(&next.js_value()).contains("\"reason\""));
}

#[wasm_bindgen_test]
fn a_refused_action_throws_and_changes_nothing() {
    let (_, mut instance) = started();
    let before = json(&instance.snapshot().expect("snapshot"));
    let request = JSON::parse(
        r#"{"at": "2021-05-07T09:00:00+07:00", "actor": "police", "task": "health_readiness", "action": "acknowledge"}"#,
    )
    .expect("json");
    let error = instance
        .act(tsify::Ts::new_unchecked(request))
        .err()
        .unwrap_or_else(|| panic!("expected an error"));
    directrix_error(error, "not_allowed");
    assert_eq!(json(&instance.snapshot().expect("snapshot")), before);
}

#[wasm_bindgen_test]
fn the_inbox_lists_allowed_actions_and_acting_works() {
    let (_, mut instance) = started();
    let inbox = json(&instance.inbox("health").expect("inbox").js_value());
    assert!(inbox.contains("\"action\":\"acknowledge\""), "{inbox}");
    let request = JSON::parse(
        r#"{"at": "2021-05-07T09:00:00+07:00", "actor": "health", "task": "health_readiness", "action": "acknowledge", "note": "đã nhận"}"#,
    )
    .expect("json");
    instance
        .advance("2021-05-07T09:00:00+07:00")
        .expect("advance");
    let effects = json(
        &instance
            .act(tsify::Ts::new_unchecked(request))
            .expect("acts")
            .js_value(),
    );
    assert!(effects.contains("\"to\":\"acknowledged\""), "{effects}");
    directrix_error(
        instance
            .inbox("heath")
            .err()
            .unwrap_or_else(|| panic!("expected an error")),
        "unknown_agency",
    );
}

#[wasm_bindgen_test]
fn an_extension_is_asked_with_a_date_and_a_reason_and_granted() {
    let (_, mut instance) = started();
    let act = |instance: &mut Instance, text: &str| {
        let request = JSON::parse(text).expect("json");
        instance
            .act(tsify::Ts::new_unchecked(request))
            .map(|effects| json(&effects.js_value()))
    };
    instance
        .advance("2021-05-07T09:00:00+07:00")
        .expect("advance");
    // Without a reason it is refused with a code; with one it is recorded.
    let no_reason = r#"{"at": "2021-05-07T09:00:00+07:00", "actor": "health", "task": "health_readiness", "action": "request_extension", "until": "2021-05-20T17:00:00+07:00"}"#;
    directrix_error(
        act(&mut instance, no_reason).expect_err("refused"),
        "note_required",
    );
    let request = r#"{"at": "2021-05-07T09:00:00+07:00", "actor": "health", "task": "health_readiness", "action": "request_extension", "until": "2021-05-20T17:00:00+07:00", "note": "chờ vật tư"}"#;
    let effects = act(&mut instance, request).expect("requested");
    assert!(
        effects.contains("\"kind\":\"extension_requested\""),
        "{effects}"
    );
    instance
        .advance("2021-05-07T10:00:00+07:00")
        .expect("advance");
    let approve = r#"{"at": "2021-05-07T10:00:00+07:00", "actor": "district_standing", "task": "health_readiness", "action": "approve_extension"}"#;
    let effects = act(&mut instance, approve).expect("approved");
    assert!(
        effects.contains("\"due\":\"2021-05-20T17:00:00+07:00\""),
        "{effects}"
    );
}

#[wasm_bindgen_test]
fn wrong_types_and_values_throw_coded_errors() {
    let (workflow, mut instance) = started();
    directrix_error(
        instance
            .advance("yesterday")
            .err()
            .unwrap_or_else(|| panic!("expected an error")),
        "invalid_time",
    );
    directrix_error(
        instance
            .advance("2021-05-01T00:00:00+07:00")
            .err()
            .unwrap_or_else(|| panic!("expected an error")),
        "time_went_backwards",
    );
    let not_a_request = tsify::Ts::new_unchecked(JsValue::from_f64(f64::NAN));
    directrix_error(
        instance
            .act(not_a_request)
            .err()
            .unwrap_or_else(|| panic!("expected an error")),
        "invalid_argument",
    );
    directrix_error(
        workflow
            .graph("svg", "tasks")
            .err()
            .unwrap_or_else(|| panic!("expected an error")),
        "invalid_argument",
    );
    directrix_error(
        simulate_json(SEED, None, f64::NAN, None, JsValue::UNDEFINED)
            .err()
            .unwrap_or_else(|| panic!("expected an error")),
        "invalid_argument",
    );
    directrix_error(
        simulate_json(SEED, None, -1.0, None, JsValue::UNDEFINED)
            .err()
            .unwrap_or_else(|| panic!("expected an error")),
        "invalid_argument",
    );
    directrix_error(
        Instance::restore(&workflow, JsValue::from_str("tampered"))
            .err()
            .unwrap_or_else(|| panic!("expected an error")),
        "invalid_snapshot",
    );
}

#[wasm_bindgen_test]
fn snapshot_and_restore_round_trip() {
    let (workflow, mut instance) = started();
    instance
        .advance("2021-05-12T18:00:00+07:00")
        .expect("advance");
    let snapshot = instance.snapshot().expect("snapshot");
    let copy = JSON::parse(&json(&snapshot)).expect("plain JSON");
    let restored = Instance::restore(&workflow, copy).expect("restores");
    assert_eq!(
        json(&restored.status().expect("status").js_value()),
        json(&instance.status().expect("status").js_value())
    );
    assert_eq!(restored.now(), instance.now());
}

#[wasm_bindgen_test]
fn simulation_json_is_deterministic_and_shows_escalation() {
    let a = simulate_json(
        SEED,
        Some(SCENARIO.to_owned()),
        7.0,
        None,
        JsValue::UNDEFINED,
    )
    .expect("runs");
    let b = simulate_json(
        SEED,
        Some(SCENARIO.to_owned()),
        7.0,
        None,
        JsValue::UNDEFINED,
    )
    .expect("runs");
    assert_eq!(a, b);
    assert!(
        a.contains("\"kind\": \"escalated\"") && a.contains("\"agency\": \"province_standing\"")
    );
}

#[wasm_bindgen_test]
fn graphs_render_as_text() {
    let (workflow, _) = started();
    let mermaid = workflow.graph("mermaid", "documents").expect("renders");
    assert!(mermaid.starts_with("flowchart") && mermaid.contains("05/CĐ-UBND"));
}

#[wasm_bindgen_test]
fn the_grid_counts_every_task_instance() {
    let (_, mut instance) = started();
    instance
        .advance("2021-05-12T18:00:00+07:00")
        .expect("advance");
    let grid = instance.grid().expect("grid").js_value();
    let total = field(&grid, "total");
    let sum: f64 = ["done_on_time", "done_late", "open_in_time", "open_overdue"]
        .iter()
        .map(|k| field(&total, k).as_f64().unwrap_or(0.0))
        .sum();
    assert_eq!(sum, 21.0);
    assert!(field(&total, "open_overdue").as_f64().unwrap_or(0.0) > 0.0);
}

#[wasm_bindgen_test]
fn the_index_path_acts_like_act() {
    let (workflow, mut instance) = started();
    let at = workflow
        .time_seconds("2021-05-07T09:00:00+07:00")
        .expect("time");
    instance
        .advance("2021-05-07T09:00:00+07:00")
        .expect("advance");
    let health = workflow.agency_index("health").expect("agency");
    let task = workflow.task_index("health_readiness").expect("task");
    let acknowledge = workflow.action_index("acknowledge").expect("action");
    assert_eq!(
        instance
            .act_by_index(at, health, task, acknowledge)
            .expect("acts"),
        1
    );
    let effects = json(&instance.last_effects().expect("effects").js_value());
    assert!(effects.contains("\"to\":\"acknowledged\""), "{effects}");
    // Refused exactly as `act` refuses, and nothing changes.
    let before = json(&instance.snapshot().expect("snapshot"));
    let police = workflow.agency_index("police").expect("agency");
    let start = workflow.action_index("start").expect("action");
    directrix_error(
        instance
            .act_by_index(at, police, task, start)
            .err()
            .unwrap_or_else(|| panic!("expected an error")),
        "not_allowed",
    );
    directrix_error(
        instance
            .act_by_index(at, 9_999, task, start)
            .err()
            .unwrap_or_else(|| panic!("expected an error")),
        "unknown_agency",
    );
    directrix_error(
        instance
            .act_by_index(f64::NAN, health, task, start)
            .err()
            .unwrap_or_else(|| panic!("expected an error")),
        "invalid_time",
    );
    assert_eq!(json(&instance.snapshot().expect("snapshot")), before);
}

#[wasm_bindgen_test]
fn a_batch_acts_in_order_and_names_the_refused_event() {
    let (workflow, mut instance) = started();
    let at = workflow
        .time_seconds("2021-05-07T08:00:00+07:00")
        .expect("time");
    let health = workflow.agency_index("health").expect("agency");
    let task = workflow.task_index("health_readiness").expect("task");
    let [acknowledge, start] =
        ["acknowledge", "start"].map(|a| workflow.action_index(a).expect("action"));
    let count = instance
        .act_batch(at, &[health, task, acknowledge, health, task, start])
        .expect("acts");
    assert_eq!(count, 2);
    assert!(
        json(&instance.last_effects().expect("effects").js_value())
            .contains("\"to\":\"in_progress\"")
    );
    let error = instance
        .act_batch(at, &[health, task, start])
        .err()
        .unwrap_or_else(|| panic!("expected an error"));
    let error = directrix_error(error, "invalid_transition");
    assert!(
        field(&error, "message")
            .as_string()
            .unwrap_or_default()
            .starts_with("event 0:")
    );
    directrix_error(
        instance
            .act_batch(at, &[health, task])
            .err()
            .unwrap_or_else(|| panic!("expected an error")),
        "invalid_argument",
    );
}

#[wasm_bindgen_test]
fn named_calendars_come_from_the_caller() {
    const WORKFLOW: &str = include_str!("../../workflows/quang-tri-41-2019-qd-ubnd.ron");
    const CALENDAR: &str = include_str!("../../workflows/calendars/vn-public-holidays.ron");
    let error = Workflow::parse(WORKFLOW, JsValue::UNDEFINED)
        .err()
        .unwrap_or_else(|| panic!("a named calendar must be supplied"));
    directrix_error(error, "unknown-calendar");
    let calendars = js_sys::Object::new();
    Reflect::set(&calendars, &"vn-public-holidays".into(), &CALENDAR.into()).expect("set");
    assert!(Workflow::parse(WORKFLOW, calendars.clone().into()).is_ok());
    let report = simulate_json(WORKFLOW, None, 1.0, None, calendars.into()).expect("runs");
    assert!(report.contains("\"directive\""), "{report}");
    // Not a map of texts: a coded error, and the module goes on working.
    directrix_error(
        Workflow::parse(WORKFLOW, JsValue::from(3))
            .err()
            .expect("refused"),
        "invalid_argument",
    );
    assert!(Workflow::parse(SEED, JsValue::NULL).is_ok());
}
