//! The bindings as JavaScript sees them, run in Node by wasm-bindgen-test:
//! `cargo test -p directrix-wasm --target wasm32-unknown-unknown`. They need the full
//! module (the default `authoring` feature); `wasm/tests/runtime.mjs` tests the runtime.
#![cfg(all(target_arch = "wasm32", feature = "authoring"))]

use directrix_wasm::{Workflow, WorkflowInstance as Instance, simulate, simulate_json};
use js_sys::{JSON, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const SEED: &str = include_str!("../../workflows/kien-xuong-114-cv-hu.ron");
const SCENARIO: &str = include_str!("../../workflows/kien-xuong-114-cv-hu.scenario.ron");

/// A JS string.
fn s(text: &str) -> JsValue {
    JsValue::from_str(text)
}

/// Index triples as `actBatch` takes them.
fn triples(indices: &[u32]) -> JsValue {
    js_sys::Uint32Array::from(indices).into()
}

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
    let workflow = Workflow::parse(s(SEED), JsValue::UNDEFINED).expect("the seed loads");
    let mut started = workflow.start(JsValue::UNDEFINED).expect("it starts");
    let instance = started.instance().expect("an instance");
    (workflow, instance)
}

#[wasm_bindgen_test]
fn a_syntax_error_carries_code_line_column_and_every_diagnostic() {
    let error = Workflow::parse(s("(format: 1,\n  directive: 5"), JsValue::UNDEFINED)
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
        Workflow::parse(s(&broken), JsValue::UNDEFINED)
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
        assert!(Workflow::parse(s(bad), JsValue::UNDEFINED).is_err());
    }
    let (_, instance) = started();
    assert!(instance.now().starts_with("2021-05-07T08:00:00"));
}

#[wasm_bindgen_test]
fn check_lists_warnings_without_throwing() {
    let diagnostics =
        Workflow::check(s(SEED), JsValue::UNDEFINED).expect("check never throws for text");
    assert!(json(&diagnostics.js_value()).contains("starts-before-issue"));
}

#[wasm_bindgen_test]
fn advancing_past_deadlines_reports_overdue_and_escalations() {
    let (_, mut instance) = started();
    let effects = instance
        .advance(s("2021-05-14T08:00:00+07:00"))
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

/// A task whose only timer is a timed transition: `lapse` by the system after a day.
const LAPSING: &str = r#"(
    format: 1,
    directive: (number: "1-CV", kind: "Công văn", issuer: "district", issued_at: "2021-05-07 08:00", subject: "Test"),
    calendar: (utc_offset: "+07:00"),
    agencies: [(id: "district", name: "District"), (id: "police", name: "Police", parent: "district")],
    machines: [(
        id: "lapsing",
        states: [(id: "open", kind: Initial), (id: "done", kind: Done), (id: "lapsed", kind: Cancelled)],
        transitions: [
            (on: "finish", from: ["open"], to: "done", by: [Lead]),
            (on: "lapse", from: ["open"], to: "lapsed", by: [System], after: "1d"),
        ],
    )],
    tasks: [(id: "watch", title: "Watch", lead: ["police"], machine: "lapsing")],
)"#;

#[wasm_bindgen_test]
fn the_next_timer_names_a_timed_transitions_action() {
    let workflow = Workflow::parse(s(LAPSING), JsValue::UNDEFINED).expect("it loads");
    let mut started = workflow.start(JsValue::UNDEFINED).expect("it starts");
    let instance = started.instance().expect("an instance");
    let next = instance
        .next_timer()
        .expect("next timer")
        .expect("a pending timer");
    assert_eq!(
        json(&next.js_value()),
        r#"{"at":"2021-05-08T08:00:00+07:00","task":"watch","reason":"timed","action":"lapse"}"#
    );
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
    let inbox = json(&instance.inbox(s("health")).expect("inbox").js_value());
    assert!(inbox.contains("\"action\":\"acknowledge\""), "{inbox}");
    let request = JSON::parse(
        r#"{"at": "2021-05-07T09:00:00+07:00", "actor": "health", "task": "health_readiness", "action": "acknowledge", "note": "đã nhận"}"#,
    )
    .expect("json");
    instance
        .advance(s("2021-05-07T09:00:00+07:00"))
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
            .inbox(s("heath"))
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
        .advance(s("2021-05-07T09:00:00+07:00"))
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
        .advance(s("2021-05-07T10:00:00+07:00"))
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
            .advance(s("yesterday"))
            .err()
            .unwrap_or_else(|| panic!("expected an error")),
        "invalid_time",
    );
    directrix_error(
        instance
            .advance(s("2021-05-01T00:00:00+07:00"))
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
            .graph(s("svg"), s("tasks"))
            .err()
            .unwrap_or_else(|| panic!("expected an error")),
        "invalid_argument",
    );
    directrix_error(
        simulate_json(
            s(SEED),
            JsValue::UNDEFINED,
            f64::NAN.into(),
            JsValue::UNDEFINED,
            JsValue::UNDEFINED,
        )
        .err()
        .unwrap_or_else(|| panic!("expected an error")),
        "invalid_argument",
    );
    directrix_error(
        simulate_json(
            s(SEED),
            JsValue::UNDEFINED,
            JsValue::from_f64(-1.0),
            JsValue::UNDEFINED,
            JsValue::UNDEFINED,
        )
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
        .advance(s("2021-05-12T18:00:00+07:00"))
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
        s(SEED),
        s(SCENARIO),
        JsValue::from_f64(7.0),
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    )
    .expect("runs");
    let b = simulate_json(
        s(SEED),
        s(SCENARIO),
        JsValue::from_f64(7.0),
        JsValue::UNDEFINED,
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
    let mermaid = workflow
        .graph(s("mermaid"), s("documents"))
        .expect("renders");
    assert!(mermaid.starts_with("flowchart") && mermaid.contains("05/CĐ-UBND"));
}

#[wasm_bindgen_test]
fn the_grid_counts_every_task_instance() {
    let (_, mut instance) = started();
    instance
        .advance(s("2021-05-12T18:00:00+07:00"))
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
        .time_seconds(s("2021-05-07T09:00:00+07:00"))
        .expect("time");
    instance
        .advance(s("2021-05-07T09:00:00+07:00"))
        .expect("advance");
    let health = workflow.agency_index(s("health")).expect("agency");
    let task = workflow.task_index(s("health_readiness")).expect("task");
    let acknowledge = workflow.action_index(s("acknowledge")).expect("action");
    assert_eq!(
        instance
            .act_by_index(at, health.into(), task.into(), acknowledge.into())
            .expect("acts"),
        1
    );
    let effects = json(&instance.last_effects().expect("effects").js_value());
    assert!(effects.contains("\"to\":\"acknowledged\""), "{effects}");
    // Refused exactly as `act` refuses, and nothing changes.
    let before = json(&instance.snapshot().expect("snapshot"));
    let police = workflow.agency_index(s("police")).expect("agency");
    let start = workflow.action_index(s("start")).expect("action");
    directrix_error(
        instance
            .act_by_index(at, police.into(), task.into(), start.into())
            .err()
            .unwrap_or_else(|| panic!("expected an error")),
        "not_allowed",
    );
    directrix_error(
        instance
            .act_by_index(at, 9_999.0, task.into(), start.into())
            .err()
            .unwrap_or_else(|| panic!("expected an error")),
        "unknown_agency",
    );
    directrix_error(
        instance
            .act_by_index(f64::NAN, health.into(), task.into(), start.into())
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
        .time_seconds(s("2021-05-07T08:00:00+07:00"))
        .expect("time");
    let health = workflow.agency_index(s("health")).expect("agency");
    let task = workflow.task_index(s("health_readiness")).expect("task");
    let [acknowledge, start] =
        ["acknowledge", "start"].map(|a| workflow.action_index(s(a)).expect("action"));
    let count = instance
        .act_batch(
            at,
            triples(&[health, task, acknowledge, health, task, start]),
        )
        .expect("acts");
    assert_eq!(count, 2);
    assert!(
        json(&instance.last_effects().expect("effects").js_value())
            .contains("\"to\":\"in_progress\"")
    );
    let error = instance
        .act_batch(at, triples(&[health, task, start]))
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
            .act_batch(at, triples(&[health, task]))
            .err()
            .unwrap_or_else(|| panic!("expected an error")),
        "invalid_argument",
    );
}

#[wasm_bindgen_test]
fn named_calendars_come_from_the_caller() {
    const WORKFLOW: &str = include_str!("../../workflows/quang-tri-41-2019-qd-ubnd.ron");
    const CALENDAR: &str = include_str!("../../workflows/calendars/vn-public-holidays.ron");
    let error = Workflow::parse(s(WORKFLOW), JsValue::UNDEFINED)
        .err()
        .unwrap_or_else(|| panic!("a named calendar must be supplied"));
    directrix_error(error, "unknown-calendar");
    let calendars = js_sys::Object::new();
    Reflect::set(&calendars, &"vn-public-holidays".into(), &CALENDAR.into()).expect("set");
    let options = js_sys::Object::new();
    Reflect::set(&options, &"calendars".into(), &calendars).expect("set");
    assert!(Workflow::parse(s(WORKFLOW), options.clone().into()).is_ok());
    let report = simulate_json(
        s(WORKFLOW),
        JsValue::UNDEFINED,
        JsValue::from_f64(1.0),
        JsValue::UNDEFINED,
        options.into(),
    )
    .expect("runs");
    // The map of texts alone is not the options object: refused, naming the fields.
    let error = directrix_error(
        Workflow::parse(s(WORKFLOW), calendars.into())
            .err()
            .expect("refused"),
        "invalid_argument",
    );
    assert!(
        field(&error, "message")
            .as_string()
            .unwrap_or_default()
            .contains("calendars"),
        "{error:?}"
    );
    assert!(report.contains("\"directive\""), "{report}");
    // Not a map of texts: a coded error, and the module goes on working.
    directrix_error(
        Workflow::parse(s(WORKFLOW), JsValue::from(3))
            .err()
            .expect("refused"),
        "invalid_argument",
    );
    assert!(Workflow::parse(s(SEED), JsValue::NULL).is_ok());
}

// ---------------------------------------------------------------------------------------
// The boundary table (issue #8, item 6): every entry point that takes input, each kind of
// bad input, a `DirectrixError` with a specific code, and then the module still works.

/// One bad call and the code it must throw.
struct Case {
    what: &'static str,
    code: &'static str,
    call: fn(&Workflow, &mut Instance) -> Result<(), JsValue>,
}

fn number(value: f64) -> JsValue {
    JsValue::from_f64(value)
}

fn request(text: &str) -> tsify::Ts<directrix_wasm::ActRequest> {
    tsify::Ts::new_unchecked(JSON::parse(text).expect("json"))
}

fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let object = js_sys::Object::new();
    for (name, value) in pairs {
        Reflect::set(&object, &JsValue::from_str(name), value).expect("set");
    }
    object.into()
}

fn limits(name: &str, value: JsValue) -> JsValue {
    object(&[("limits", object(&[(name, value)]))])
}

/// The seed's snapshot after a day, as JSON, edited by `edit` and handed over as JS.
fn tampered(edit: fn(&mut serde_json::Value)) -> JsValue {
    let (_, mut instance) = started();
    instance
        .advance(s("2021-05-08T08:00:00+07:00"))
        .expect("advance");
    let mut value: serde_json::Value =
        serde_json::from_str(&json(&instance.snapshot().expect("snapshot"))).expect("json");
    edit(&mut value);
    JSON::parse(&value.to_string()).expect("json")
}

/// A text of `n` bytes of `unit` repeated.
fn repeated(unit: &str, n: usize) -> String {
    unit.repeat(n / unit.len())
}

fn sim(workflow: JsValue, scenario: JsValue, seed: JsValue, until: JsValue) -> Result<(), JsValue> {
    simulate_json(workflow, scenario, seed, until, JsValue::UNDEFINED).map(drop)
}

fn parse(source: JsValue, options: JsValue) -> Result<(), JsValue> {
    Workflow::parse(source, options).map(drop)
}

fn restore(workflow: &Workflow, snapshot: JsValue) -> Result<(), JsValue> {
    Instance::restore(workflow, snapshot).map(drop)
}

const CASES: &[Case] = &[
    // Workflow.parse / Workflow.check: the text.
    Case {
        what: "parse(number)",
        code: "invalid_argument",
        call: |_, _| parse(number(5.0), JsValue::UNDEFINED),
    },
    Case {
        what: "parse(null)",
        code: "invalid_argument",
        call: |_, _| parse(JsValue::NULL, JsValue::UNDEFINED),
    },
    Case {
        what: "parse(undefined)",
        code: "invalid_argument",
        call: |_, _| parse(JsValue::UNDEFINED, JsValue::UNDEFINED),
    },
    Case {
        what: "parse(array)",
        code: "invalid_argument",
        call: |_, _| parse(js_sys::Array::new().into(), JsValue::UNDEFINED),
    },
    Case {
        what: "parse(object)",
        code: "invalid_argument",
        call: |_, _| parse(js_sys::Object::new().into(), JsValue::UNDEFINED),
    },
    Case {
        what: "check(number)",
        code: "invalid_argument",
        call: |_, _| Workflow::check(number(1.0), JsValue::UNDEFINED).map(drop),
    },
    Case {
        what: "parse(20 MB)",
        code: "limit-exceeded",
        call: |_, _| parse(s(&repeated("(a: 1) ", 20 << 20)), JsValue::UNDEFINED),
    },
    Case {
        what: "parse(a 1 MB agency name)",
        code: "limit-exceeded",
        call: |_, _| {
            let name = "x".repeat(1 << 20);
            let source = SEED.replacen(
                r#"name: "Ban Thường vụ Tỉnh ủy Thái Bình""#,
                &format!(r#"name: "{name}""#),
                1,
            );
            assert_ne!(source.len(), SEED.len());
            parse(s(&source), JsValue::UNDEFINED)
        },
    },
    Case {
        what: "parse(100,000 brackets)",
        code: "syntax",
        call: |_, _| parse(s(&"[".repeat(100_000)), JsValue::UNDEFINED),
    },
    Case {
        what: "parse(100,000 brackets in the agencies)",
        code: "syntax",
        call: |_, _| {
            let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
            parse(
                s(&SEED.replacen("agencies: [", &format!("agencies: [{deep},"), 1)),
                JsValue::UNDEFINED,
            )
        },
    },
    Case {
        what: "parse(deeper than the depth limit)",
        code: "limit-exceeded",
        call: |_, _| parse(s(SEED), limits("depth", number(2.0))),
    },
    // The options.
    Case {
        what: "parse options: number",
        code: "invalid_argument",
        call: |_, _| parse(s(SEED), number(3.0)),
    },
    Case {
        what: "parse options: array",
        code: "invalid_argument",
        call: |_, _| parse(s(SEED), js_sys::Array::new().into()),
    },
    Case {
        what: "parse options: unknown field",
        code: "invalid_argument",
        call: |_, _| parse(s(SEED), object(&[("calendar", JsValue::NULL)])),
    },
    Case {
        what: "parse options: calendar text a number",
        code: "invalid_argument",
        call: |_, _| {
            parse(
                s(SEED),
                object(&[("calendars", object(&[("vn", number(1.0))]))]),
            )
        },
    },
    Case {
        what: "parse options: registry text a number",
        code: "invalid_argument",
        call: |_, _| {
            parse(
                s(SEED),
                object(&[("registries", object(&[("vn-provinces", number(1.0))]))]),
            )
        },
    },
    Case {
        what: "limit: unknown name",
        code: "invalid_argument",
        call: |_, _| parse(s(SEED), limits("instance", number(5.0))),
    },
    Case {
        what: "limit: NaN",
        code: "invalid_argument",
        call: |_, _| parse(s(SEED), limits("depth", number(f64::NAN))),
    },
    Case {
        what: "limit: Infinity",
        code: "invalid_argument",
        call: |_, _| parse(s(SEED), limits("depth", number(f64::INFINITY))),
    },
    Case {
        what: "limit: negative",
        code: "invalid_argument",
        call: |_, _| parse(s(SEED), limits("depth", number(-1.0))),
    },
    Case {
        what: "limit: fractional",
        code: "invalid_argument",
        call: |_, _| parse(s(SEED), limits("depth", number(1.5))),
    },
    Case {
        what: "limit: a string",
        code: "invalid_argument",
        call: |_, _| parse(s(SEED), limits("depth", s("64"))),
    },
    Case {
        what: "limit: too low for the seed",
        code: "limit-exceeded",
        call: |_, _| parse(s(SEED), limits("agencies", number(3.0))),
    },
    // Times.
    Case {
        what: "start(number)",
        code: "invalid_argument",
        call: |w, _| w.start(number(0.0)).map(drop),
    },
    Case {
        what: "start(month 13)",
        code: "invalid_time",
        call: |w, _| w.start(s("2021-13-45")).map(drop),
    },
    Case {
        what: "start(empty)",
        code: "invalid_time",
        call: |w, _| w.start(s("")).map(drop),
    },
    Case {
        what: "advance(null)",
        code: "invalid_argument",
        call: |_, i| i.advance(JsValue::NULL).map(drop),
    },
    Case {
        what: "advance(object)",
        code: "invalid_argument",
        call: |_, i| i.advance(js_sys::Object::new().into()).map(drop),
    },
    Case {
        what: "advance(month 13)",
        code: "invalid_time",
        call: |_, i| i.advance(s("2021-13-45T08:00:00+07:00")).map(drop),
    },
    Case {
        what: "advance(empty)",
        code: "invalid_time",
        call: |_, i| i.advance(s("")).map(drop),
    },
    Case {
        what: "advance(backwards)",
        code: "time_went_backwards",
        call: |_, i| i.advance(s("2020-01-01T00:00:00+07:00")).map(drop),
    },
    Case {
        what: "timeSeconds(array)",
        code: "invalid_argument",
        call: |w, _| w.time_seconds(js_sys::Array::new().into()).map(drop),
    },
    Case {
        what: "timeSeconds(bad date)",
        code: "invalid_time",
        call: |w, _| w.time_seconds(s("2021-02-30")).map(drop),
    },
    // The act request.
    Case {
        what: "act(string)",
        code: "invalid_argument",
        call: |_, i| i.act(tsify::Ts::new_unchecked(s("act"))).map(drop),
    },
    Case {
        what: "act(null)",
        code: "invalid_argument",
        call: |_, i| i.act(tsify::Ts::new_unchecked(JsValue::NULL)).map(drop),
    },
    Case {
        what: "act(missing actor)",
        code: "invalid_argument",
        call: |_, i| {
            i.act(request(r#"{"at": "2021-05-07T09:00:00+07:00", "task": "health_readiness", "action": "acknowledge"}"#)).map(drop)
        },
    },
    Case {
        what: "act(actor a number)",
        code: "invalid_argument",
        call: |_, i| {
            i.act(request(r#"{"at": "2021-05-07T09:00:00+07:00", "actor": 3, "task": "health_readiness", "action": "acknowledge"}"#)).map(drop)
        },
    },
    Case {
        what: "act(unknown field)",
        code: "invalid_argument",
        call: |_, i| {
            i.act(request(r#"{"at": "2021-05-07T09:00:00+07:00", "actor": "health", "task": "health_readiness", "action": "acknowledge", "reason": "x"}"#)).map(drop)
        },
    },
    Case {
        what: "act(bad date)",
        code: "invalid_time",
        call: |_, i| {
            i.act(request(r#"{"at": "2021-13-45", "actor": "health", "task": "health_readiness", "action": "acknowledge"}"#)).map(drop)
        },
    },
    Case {
        what: "act(bad until)",
        code: "invalid_time",
        call: |_, i| {
            i.act(request(r#"{"at": "2021-05-07T08:00:00+07:00", "actor": "health", "task": "health_readiness", "action": "request_extension", "note": "x", "until": ""}"#)).map(drop)
        },
    },
    Case {
        what: "act(unknown task)",
        code: "unknown_task",
        call: |_, i| {
            i.act(request(r#"{"at": "2021-05-07T08:00:00+07:00", "actor": "health", "task": "nope", "action": "acknowledge"}"#)).map(drop)
        },
    },
    // Names.
    Case {
        what: "inbox(number)",
        code: "invalid_argument",
        call: |_, i| i.inbox(number(1.0)).map(drop),
    },
    Case {
        what: "agencyIndex(undefined)",
        code: "invalid_argument",
        call: |w, _| w.agency_index(JsValue::UNDEFINED).map(drop),
    },
    Case {
        what: "taskIndex(unknown)",
        code: "unknown_task",
        call: |w, _| w.task_index(s("nope")).map(drop),
    },
    Case {
        what: "actionIndex(null)",
        code: "invalid_argument",
        call: |w, _| w.action_index(JsValue::NULL).map(drop),
    },
    Case {
        what: "graph(number, ..)",
        code: "invalid_argument",
        call: |w, _| w.graph(number(1.0), s("tasks")).map(drop),
    },
    Case {
        what: "graph(.., unknown)",
        code: "invalid_argument",
        call: |w, _| w.graph(s("dot"), s("task")).map(drop),
    },
    // The index path.
    Case {
        what: "actByIndex(at NaN)",
        code: "invalid_time",
        call: |_, i| i.act_by_index(f64::NAN, 0.0, 0.0, 0.0).map(drop),
    },
    Case {
        what: "actByIndex(at Infinity)",
        code: "invalid_time",
        call: |_, i| i.act_by_index(f64::INFINITY, 0.0, 0.0, 0.0).map(drop),
    },
    Case {
        what: "actByIndex(at fractional)",
        code: "invalid_time",
        call: |_, i| i.act_by_index(1.6e9 + 0.5, 0.0, 0.0, 0.0).map(drop),
    },
    Case {
        what: "actByIndex(actor negative)",
        code: "invalid_argument",
        call: |_, i| i.act_by_index(1.7e9, -1.0, 0.0, 0.0).map(drop),
    },
    Case {
        what: "actByIndex(task fractional)",
        code: "invalid_argument",
        call: |_, i| i.act_by_index(1.7e9, 0.0, 1.5, 0.0).map(drop),
    },
    Case {
        what: "actByIndex(action NaN)",
        code: "invalid_argument",
        call: |_, i| i.act_by_index(1.7e9, 0.0, 0.0, f64::NAN).map(drop),
    },
    Case {
        what: "actByIndex(task 2^32)",
        code: "invalid_argument",
        call: |_, i| i.act_by_index(1.7e9, 0.0, 4_294_967_296.0, 0.0).map(drop),
    },
    Case {
        what: "actByIndex(task out of range)",
        code: "unknown_task",
        call: |w, i| {
            i.act_by_index(
                w.time_seconds(s("2021-05-07T08:00:00+07:00"))?,
                0.0,
                99_999.0,
                0.0,
            )
            .map(drop)
        },
    },
    Case {
        what: "actByIndex(action out of range)",
        code: "unknown_action",
        call: |w, i| {
            i.act_by_index(
                w.time_seconds(s("2021-05-07T08:00:00+07:00"))?,
                0.0,
                0.0,
                99_999.0,
            )
            .map(drop)
        },
    },
    Case {
        what: "actBatch(number)",
        code: "invalid_argument",
        call: |_, i| i.act_batch(1.7e9, number(3.0)).map(drop),
    },
    Case {
        what: "actBatch([-1, 0, 0])",
        code: "invalid_argument",
        call: |_, i| {
            i.act_batch(1.7e9, JSON::parse("[-1, 0, 0]").expect("json"))
                .map(drop)
        },
    },
    Case {
        what: "actBatch([0.5, 0, 0])",
        code: "invalid_argument",
        call: |_, i| {
            i.act_batch(1.7e9, JSON::parse("[0.5, 0, 0]").expect("json"))
                .map(drop)
        },
    },
    Case {
        what: "actBatch([\"0\", 0, 0])",
        code: "invalid_argument",
        call: |_, i| {
            i.act_batch(1.7e9, JSON::parse("[\"0\", 0, 0]").expect("json"))
                .map(drop)
        },
    },
    // Times outside the representable range (issue "Robustness", item 4): a number or a
    // text past `Timestamp::MAX` (9999-12-31T09:59:59Z) or before `Timestamp::MIN` is
    // `invalid_time`, whatever it names, and nothing changes.
    Case {
        what: "actByIndex(at 2^53)",
        code: "invalid_time",
        call: |_, i| {
            i.act_by_index(9_007_199_254_740_992.0, 0.0, 0.0, 0.0)
                .map(drop)
        },
    },
    Case {
        what: "actByIndex(at 1e300)",
        code: "invalid_time",
        call: |_, i| i.act_by_index(1e300, 0.0, 0.0, 0.0).map(drop),
    },
    Case {
        what: "actByIndex(at -1e300)",
        code: "invalid_time",
        call: |_, i| i.act_by_index(-1e300, 0.0, 0.0, 0.0).map(drop),
    },
    Case {
        what: "actByIndex(at MAX + 1)",
        code: "invalid_time",
        call: |_, i| i.act_by_index(253_402_250_400.0, 0.0, 0.0, 0.0).map(drop),
    },
    Case {
        what: "actBatch(at 2^53)",
        code: "invalid_time",
        call: |_, i| {
            i.act_batch(9_007_199_254_740_992.0, triples(&[0, 0, 0]))
                .map(drop)
        },
    },
    Case {
        what: "actBatch(at 2^53, no events)",
        code: "invalid_time",
        call: |_, i| i.act_batch(9_007_199_254_740_992.0, triples(&[])).map(drop),
    },
    Case {
        what: "start(past year 9999 in UTC)",
        code: "invalid_time",
        call: |w, _| w.start(s("9999-12-31T23:59:59-12:00")).map(drop),
    },
    Case {
        what: "advance(past year 9999 in UTC)",
        code: "invalid_time",
        call: |_, i| i.advance(s("9999-12-31T23:59:59-12:00")).map(drop),
    },
    Case {
        what: "timeSeconds(past year 9999 in UTC)",
        code: "invalid_time",
        call: |w, _| w.time_seconds(s("9999-12-31T23:59:59-12:00")).map(drop),
    },
    Case {
        what: "act(until past year 9999 in UTC)",
        code: "invalid_time",
        call: |_, i| {
            i.act(request(r#"{"at": "2021-05-07T08:00:00+07:00", "actor": "health", "task": "health_readiness", "action": "request_extension", "note": "x", "until": "9999-12-31T23:59:59-12:00"}"#)).map(drop)
        },
    },
    Case {
        what: "restoreAt(past year 9999 in UTC)",
        code: "invalid_time",
        call: |w, i| {
            Instance::restore_at(w, i.snapshot()?, s("9999-12-31T23:59:59-12:00"), s("skip"))
                .map(drop)
        },
    },
    // Simulation: texts, seeds, until.
    Case {
        what: "simulate(number)",
        code: "invalid_argument",
        call: |_, _| {
            sim(
                number(1.0),
                JsValue::UNDEFINED,
                number(1.0),
                JsValue::UNDEFINED,
            )
        },
    },
    Case {
        what: "simulate(scenario a number)",
        code: "invalid_argument",
        call: |_, _| sim(s(SEED), number(1.0), number(1.0), JsValue::UNDEFINED),
    },
    Case {
        what: "simulate(scenario broken)",
        code: "syntax",
        call: |_, _| sim(s(SEED), s("(events: ["), number(1.0), JsValue::UNDEFINED),
    },
    Case {
        what: "simulate(scenario 20 MB)",
        code: "limit-exceeded",
        call: |_, _| {
            sim(
                s(SEED),
                s(&" ".repeat(20 << 20)),
                number(1.0),
                JsValue::UNDEFINED,
            )
        },
    },
    Case {
        what: "simulate(seed undefined)",
        code: "invalid_argument",
        call: |_, _| {
            sim(
                s(SEED),
                JsValue::UNDEFINED,
                JsValue::UNDEFINED,
                JsValue::UNDEFINED,
            )
        },
    },
    Case {
        what: "simulate(seed null)",
        code: "invalid_argument",
        call: |_, _| {
            sim(
                s(SEED),
                JsValue::UNDEFINED,
                JsValue::NULL,
                JsValue::UNDEFINED,
            )
        },
    },
    Case {
        what: "simulate(seed string)",
        code: "invalid_argument",
        call: |_, _| sim(s(SEED), JsValue::UNDEFINED, s("7"), JsValue::UNDEFINED),
    },
    Case {
        what: "simulate(seed Infinity)",
        code: "invalid_argument",
        call: |_, _| {
            sim(
                s(SEED),
                JsValue::UNDEFINED,
                number(f64::INFINITY),
                JsValue::UNDEFINED,
            )
        },
    },
    Case {
        what: "simulate(seed fractional)",
        code: "invalid_argument",
        call: |_, _| sim(s(SEED), JsValue::UNDEFINED, number(0.5), JsValue::UNDEFINED),
    },
    Case {
        what: "simulate(seed 2^53)",
        code: "invalid_argument",
        call: |_, _| {
            sim(
                s(SEED),
                JsValue::UNDEFINED,
                number(9_007_199_254_740_992.0),
                JsValue::UNDEFINED,
            )
        },
    },
    Case {
        what: "simulate(until number)",
        code: "invalid_argument",
        call: |_, _| sim(s(SEED), JsValue::UNDEFINED, number(1.0), number(1.0)),
    },
    Case {
        what: "simulate(until bad date)",
        code: "invalid_time",
        call: |_, _| sim(s(SEED), JsValue::UNDEFINED, number(1.0), s("2021-13-45")),
    },
    Case {
        what: "simulate(until before the start)",
        code: "horizon_before_start",
        call: |_, _| {
            sim(
                s(SEED),
                JsValue::UNDEFINED,
                number(0.0),
                s("2021-05-01 08:00"),
            )
        },
    },
    Case {
        what: "simulate(until 9999)",
        code: "too_many_effects",
        call: |_, _| {
            sim(
                s(SEED),
                JsValue::UNDEFINED,
                number(0.0),
                s("9999-12-31 00:00"),
            )
        },
    },
    Case {
        what: "simulate(options array)",
        code: "invalid_argument",
        call: |_, _| {
            simulate(
                s(SEED),
                JsValue::UNDEFINED,
                number(1.0),
                JsValue::UNDEFINED,
                js_sys::Array::new().into(),
            )
            .map(drop)
        },
    },
    // Tampered snapshots.
    Case {
        what: "restore(string)",
        code: "invalid_snapshot",
        call: |w, _| restore(w, s("tampered")),
    },
    Case {
        what: "restore(number)",
        code: "invalid_snapshot",
        call: |w, _| restore(w, number(2.0)),
    },
    Case {
        what: "restore(null)",
        code: "invalid_snapshot",
        call: |w, _| restore(w, JsValue::NULL),
    },
    Case {
        what: "restore(array)",
        code: "invalid_snapshot",
        call: |w, _| restore(w, js_sys::Array::new().into()),
    },
    Case {
        what: "restore(format 99)",
        code: "snapshot_format",
        call: |w, _| restore(w, tampered(|v| v["format"] = 99.into())),
    },
    Case {
        what: "restore(format \"2\")",
        code: "invalid_snapshot",
        call: |w, _| restore(w, tampered(|v| v["format"] = "2".into())),
    },
    Case {
        what: "restore(format 1)",
        code: "needs_migration",
        call: |w, _| restore(w, tampered(|v| v["format"] = 1.into())),
    },
    Case {
        what: "restore(other hash)",
        code: "other_version",
        call: |w, _| {
            restore(
                w,
                tampered(|v| v["workflow_hash"] = "0123456789abcdef".into()),
            )
        },
    },
    Case {
        what: "restore(other directive)",
        code: "other_workflow",
        call: |w, _| restore(w, tampered(|v| v["directive"] = "1/XX".into())),
    },
    Case {
        what: "restore(timer task out of range)",
        code: "invalid_snapshot",
        call: |w, _| {
            restore(
                w,
                tampered(|v| v["state"]["timers"][0]["task"] = 99_999.into()),
            )
        },
    },
    Case {
        what: "restore(state out of range)",
        code: "invalid_snapshot",
        call: |w, _| {
            restore(
                w,
                tampered(|v| v["state"]["tasks"][0]["state"] = 99_999.into()),
            )
        },
    },
    Case {
        what: "restore(task index negative)",
        code: "invalid_snapshot",
        call: |w, _| {
            restore(
                w,
                tampered(|v| v["state"]["timers"][0]["task"] = (-1).into()),
            )
        },
    },
    Case {
        what: "restore(negative time)",
        code: "invalid_snapshot",
        call: |w, _| restore(w, tampered(|v| v["state"]["now"] = (-1).into())),
    },
    Case {
        what: "restore(fractional time)",
        code: "invalid_snapshot",
        call: |w, _| restore(w, tampered(|v| v["state"]["now"] = 1.5.into())),
    },
    Case {
        what: "restore(huge time)",
        code: "invalid_snapshot",
        call: |w, _| restore(w, tampered(|v| v["state"]["now"] = 1e300.into())),
    },
    Case {
        what: "restore(missing field)",
        code: "invalid_snapshot",
        call: |w, _| {
            restore(
                w,
                tampered(|v| drop(v["state"].as_object_mut().map(|o| o.remove("done")))),
            )
        },
    },
    Case {
        what: "restore(missing state)",
        code: "invalid_snapshot",
        call: |w, _| {
            restore(
                w,
                tampered(|v| drop(v.as_object_mut().map(|o| o.remove("state")))),
            )
        },
    },
    Case {
        what: "restore(one task fewer)",
        code: "invalid_snapshot",
        call: |w, _| {
            restore(
                w,
                tampered(|v| drop(v["state"]["tasks"].as_array_mut().map(Vec::pop))),
            )
        },
    },
    // A due rule past the supported range (issue "Robustness", item 5): a located error.
    Case {
        what: "parse(due past the supported range)",
        code: "out-of-range",
        call: |_, _| {
            parse(
                s(&SEED.replacen("due: Days(3)", "due: Days(3000000)", 1)),
                JsValue::UNDEFINED,
            )
        },
    },
    // Impossible states with every index in range (issue "Robustness", item 3): restore,
    // restoreAt and migrate check every invariant the engine relies on.
    Case {
        what: "restore(level 99 on a policy of 4 levels)",
        code: "invalid_snapshot",
        call: |w, _| restore(w, tampered(|v| v["state"]["tasks"][0]["level"] = 99.into())),
    },
    Case {
        what: "restore(an unfinished task with finished_at)",
        code: "invalid_snapshot",
        call: |w, _| {
            restore(
                w,
                tampered(|v| v["state"]["tasks"][0]["finished_at"] = v["state"]["now"].clone()),
            )
        },
    },
    Case {
        what: "restore(a timer before now)",
        code: "invalid_snapshot",
        call: |w, _| restore(w, tampered(|v| v["state"]["timers"][0]["at"] = 0.into())),
    },
    Case {
        what: "restore(a journal act by agency 999)",
        code: "invalid_snapshot",
        call: |w, _| {
            restore(
                w,
                tampered(|v| {
                    let act = serde_json::json!({
                        "input": "act", "at": v["state"]["now"], "actor": 999, "task": 0,
                        "action": 0, "note": null,
                    });
                    if let Some(journal) = v["state"]["journal"].as_array_mut() {
                        journal.push(act);
                    }
                }),
            )
        },
    },
    Case {
        what: "restore(a due time before year 0)",
        code: "invalid_snapshot",
        call: |w, _| {
            restore(
                w,
                tampered(|v| v["state"]["tasks"][0]["due"] = (-100_000_000_000i64).into()),
            )
        },
    },
    Case {
        what: "restore(a negative counter)",
        code: "invalid_snapshot",
        call: |w, _| {
            restore(
                w,
                tampered(|v| v["state"]["tasks"][0]["returns"] = (-1).into()),
            )
        },
    },
    Case {
        what: "restore(a negative done counter)",
        code: "invalid_snapshot",
        call: |w, _| restore(w, tampered(|v| v["state"]["done"][0] = (-1).into())),
    },
    Case {
        what: "restore(a counter past its type)",
        code: "invalid_snapshot",
        call: |w, _| {
            restore(
                w,
                tampered(|v| v["state"]["tasks"][0]["extensions"] = 256.into()),
            )
        },
    },
    Case {
        what: "restoreAt(level 99 on a policy of 4 levels)",
        code: "invalid_snapshot",
        call: |w, _| {
            Instance::restore_at(
                w,
                tampered(|v| v["state"]["tasks"][0]["level"] = 99.into()),
                s("2021-05-09T00:00:00+07:00"),
                s("skip"),
            )
            .map(drop)
        },
    },
    Case {
        what: "migrate(level 99 on a policy of 4 levels)",
        code: "invalid_snapshot",
        call: |w, _| {
            Instance::migrate(
                w,
                w,
                tampered(|v| v["state"]["tasks"][0]["level"] = 99.into()),
            )
            .map(drop)
        },
    },
    // restoreAt and migrate.
    Case {
        what: "restoreAt(bad date)",
        code: "invalid_time",
        call: |w, i| Instance::restore_at(w, i.snapshot()?, s("2021-13-45"), s("skip")).map(drop),
    },
    Case {
        what: "restoreAt(time a number)",
        code: "invalid_argument",
        call: |w, i| Instance::restore_at(w, i.snapshot()?, number(1.7e9), s("skip")).map(drop),
    },
    Case {
        what: "restoreAt(backwards)",
        code: "time_went_backwards",
        call: |w, i| {
            Instance::restore_at(w, i.snapshot()?, s("2020-01-01T00:00:00+07:00"), s("skip"))
                .map(drop)
        },
    },
    Case {
        what: "restoreAt(unknown policy)",
        code: "invalid_argument",
        call: |w, i| {
            Instance::restore_at(w, i.snapshot()?, s("2021-05-09T00:00:00+07:00"), s("skp"))
                .map(drop)
        },
    },
    Case {
        what: "restoreAt(policy undefined)",
        code: "invalid_argument",
        call: |w, i| {
            Instance::restore_at(
                w,
                i.snapshot()?,
                s("2021-05-09T00:00:00+07:00"),
                JsValue::UNDEFINED,
            )
            .map(drop)
        },
    },
    Case {
        what: "restoreAt(tampered)",
        code: "other_version",
        call: |w, _| {
            Instance::restore_at(
                w,
                tampered(|v| v["workflow_hash"] = "x".into()),
                s("2021-05-09T00:00:00+07:00"),
                s("skip"),
            )
            .map(drop)
        },
    },
    Case {
        what: "migrate(not a snapshot)",
        code: "invalid_snapshot",
        call: |w, _| Instance::migrate(w, w, number(1.0)).map(drop),
    },
    Case {
        what: "migrate(tampered)",
        code: "invalid_snapshot",
        call: |w, _| {
            Instance::migrate(w, w, tampered(|v| v["state"]["now"] = (-1).into())).map(drop)
        },
    },
];

/// The module still works: parse the seed, start, act, advance.
fn still_works() {
    let (workflow, mut instance) = started();
    instance
        .advance(s("2021-05-07T09:00:00+07:00"))
        .expect("advance");
    instance
        .act(request(
            r#"{"at": "2021-05-07T09:00:00+07:00", "actor": "health", "task": "health_readiness", "action": "acknowledge"}"#,
        ))
        .expect("act");
    instance
        .advance(s("2021-05-14T08:00:00+07:00"))
        .expect("advance");
    assert!(workflow.content_hash().len() > 8);
}

#[wasm_bindgen_test]
fn every_bad_input_throws_a_coded_error_and_the_module_keeps_working() {
    let mut failures = Vec::new();
    for case in CASES {
        let (workflow, mut instance) = started();
        let before = json(&instance.snapshot().expect("snapshot"));
        match (case.call)(&workflow, &mut instance) {
            Ok(()) => failures.push(format!("{}: no error", case.what)),
            Err(error) => {
                let code = field(&error, "code").as_string();
                let name = field(&error, "name").as_string();
                if !error.is_instance_of::<js_sys::Error>()
                    || name.as_deref() != Some("DirectrixError")
                    || code.as_deref() != Some(case.code)
                    || field(&error, "message")
                        .as_string()
                        .unwrap_or_default()
                        .is_empty()
                {
                    failures.push(format!(
                        "{}: expected `{}`, got {:?}: {:?}",
                        case.what,
                        case.code,
                        code,
                        field(&error, "message").as_string()
                    ));
                }
            }
        }
        // A failed call changes nothing.
        if json(&instance.snapshot().expect("snapshot")) != before {
            failures.push(format!("{}: the instance changed", case.what));
        }
        still_works();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------
// The APIs: options, content hash, analysis, restoreAt, migrate.

#[wasm_bindgen_test]
fn limits_are_set_by_name_and_a_misspelt_name_is_suggested() {
    // Lowered, the seed's agencies are too many; raised back, it loads.
    let error = directrix_error(
        Workflow::parse(s(SEED), limits("agencies", number(3.0)))
            .err()
            .expect("refused"),
        "limit-exceeded",
    );
    assert!(json(&field(&error, "diagnostics")).contains("agencies"));
    assert!(Workflow::parse(s(SEED), limits("agencies", number(1000.0))).is_ok());
    // A text over the input limit is refused before it is copied into the module.
    let error = directrix_error(
        Workflow::parse(s(SEED), limits("input-bytes", number(100.0)))
            .err()
            .expect("refused"),
        "limit-exceeded",
    );
    assert!(json(&field(&error, "diagnostics")).contains("input-bytes"));
    let diagnostics = Workflow::check(s(SEED), limits("input-bytes", number(100.0)))
        .expect("check does not throw for text");
    assert!(json(&diagnostics.js_value()).contains("limit-exceeded"));
    let error = directrix_error(
        Workflow::parse(s(SEED), limits("instance", number(5.0)))
            .err()
            .expect("refused"),
        "invalid_argument",
    );
    let message = field(&error, "message").as_string().unwrap_or_default();
    assert!(message.contains("did you mean `instances`?"), "{message}");
    // The simulation takes the same options.
    let error = simulate_json(
        s(SEED),
        JsValue::UNDEFINED,
        number(1.0),
        JsValue::UNDEFINED,
        limits("agencies", number(3.0)),
    )
    .expect_err("refused");
    directrix_error(error, "limit-exceeded");
}

#[wasm_bindgen_test]
fn a_run_s_horizon_is_bounded_by_a_limit_the_options_raise() {
    let year = |limit: f64| {
        simulate_json(
            s(SEED),
            JsValue::UNDEFINED,
            number(0.0),
            s("2022-05-07 08:00"),
            limits("effects-per-run", number(limit)),
        )
    };
    let error = directrix_error(year(1000.0).expect_err("refused"), "too_many_effects");
    let message = field(&error, "message").as_string().unwrap_or_default();
    assert!(
        message.contains("`{ limits: { \"effects-per-run\": 10000 } }`"),
        "{message}"
    );
    assert_eq!(
        field(&error, "limit").as_string().as_deref(),
        Some("effects-per-run")
    );
    let report = year(100_000.0).expect("a raised limit is honoured");
    assert!(
        report.contains("\"until\": \"2022-05-07T08:00:00+07:00\""),
        "{}",
        &report[..300]
    );
    // An instant before the start names both times.
    let error = directrix_error(
        simulate_json(
            s(SEED),
            JsValue::UNDEFINED,
            number(0.0),
            s("2021-05-01 08:00"),
            JsValue::UNDEFINED,
        )
        .expect_err("refused"),
        "horizon_before_start",
    );
    let message = field(&error, "message").as_string().unwrap_or_default();
    assert!(
        message.contains("2021-05-01T08:00:00+07:00")
            && message.contains("2021-05-07T08:00:00+07:00"),
        "{message}"
    );
    still_works();
}

#[wasm_bindgen_test]
fn a_follow_up_refused_during_the_run_throws() {
    let scenario = "(format: 1, name: \"x\", until: \"2021-05-21 08:00\", events: [\n\
         (at: \"2021-05-07 08:10\", actor: \"police\", task: \"force_alert\", action: \"acknowledge\"),\n\
         (at: \"2021-05-07 08:10\", actor: \"police\", task: \"force_alert\", action: \"start\"),\n\
         (at: \"2021-05-07 08:10\", actor: \"police\", task: \"force_alert\", action: \"report\"),\n\
         (at: \"2021-05-07 08:10\", actor: \"district_standing\", task: \"force_alert\", action: \"accept\"),\n\
         (at: \"2021-05-12 08:00\", follow_up: \"late\"),\n])";
    let late = "(format: 1, number: \"120-CV/HU\", kind: \"Công văn\", issuer: \"district_standing\",\n\
         issued_at: \"2021-05-12 08:00\", further_to: \"114-CV/HU\", subject: \"s\",\n\
         cancel: [(task: \"force_alert\")])";
    let options = object(&[("followUps", object(&[("late", s(late))]))]);
    let error = directrix_error(
        simulate_json(
            s(SEED),
            s(scenario),
            number(0.0),
            JsValue::UNDEFINED,
            options,
        )
        .expect_err("refused"),
        "follow_up_refused",
    );
    let message = field(&error, "message").as_string().unwrap_or_default();
    assert!(message.contains("`late`"), "{message}");
    assert!(json(&field(&error, "diagnostics")).contains("task-finished"));
    still_works();
}

#[wasm_bindgen_test]
fn the_content_hash_is_the_snapshots_version() {
    let (workflow, instance) = started();
    let snapshot = instance.snapshot().expect("snapshot");
    assert_eq!(
        field(&snapshot, "workflow_hash").as_string(),
        Some(workflow.content_hash())
    );
    let edited = Workflow::parse(
        s(&SEED.replace("due: Days(3)", "due: Days(4)")),
        JsValue::UNDEFINED,
    )
    .expect("loads");
    assert_ne!(edited.content_hash(), workflow.content_hash());
}

#[wasm_bindgen_test]
fn inspect_carries_the_deadline_analysis() {
    let (workflow, _) = started();
    let inspection = workflow.inspect().expect("inspect").js_value();
    let tasks: js_sys::Array = field(&inspection, "tasks").dyn_into().expect("tasks");
    assert!(tasks.length() > 0);
    for task in tasks.iter() {
        for name in ["earliest_start", "earliest_completion"] {
            assert!(
                field(&task, name)
                    .as_string()
                    .is_some_and(|t| t.ends_with("+07:00")),
                "{name}: {}",
                json(&task)
            );
        }
        let path: js_sys::Array = field(&task, "critical_path").dyn_into().expect("a path");
        // The chain ends with the task itself.
        assert_eq!(
            path.get(path.length() - 1).as_string(),
            field(&task, "id").as_string()
        );
    }
    assert!(js_sys::Array::is_array(&field(
        &inspection,
        "critical_path"
    )));
}

#[wasm_bindgen_test]
fn restore_at_applies_the_timer_policy() {
    let (workflow, mut instance) = started();
    instance
        .advance(s("2021-05-07T09:00:00+07:00"))
        .expect("advance");
    let snapshot = instance.snapshot().expect("snapshot");
    let later = "2021-05-14T09:00:00+07:00";
    let mut caught_up = Instance::restore_at(&workflow, snapshot.clone(), s(later), s("catch_up"))
        .expect("restores");
    let mut skipped =
        Instance::restore_at(&workflow, snapshot.clone(), s(later), s("skip")).expect("restores");
    let mut collapsed =
        Instance::restore_at(&workflow, snapshot, s(later), s("collapse_recurring"))
            .expect("restores");
    // Catching up is advancing.
    let advanced = json(&instance.advance(s(later)).expect("advance").js_value());
    assert_eq!(
        json(&caught_up.effects().expect("effects").js_value()),
        advanced
    );
    let skip_effects = json(&skipped.effects().expect("effects").js_value());
    assert!(
        skip_effects.contains("\"kind\":\"skipped\""),
        "{skip_effects}"
    );
    assert!(
        !skip_effects.contains("\"kind\":\"escalated\""),
        "{skip_effects}"
    );
    assert!(
        json(&collapsed.effects().expect("effects").js_value()).contains("\"kind\":\"overdue\"")
    );
    for started in [&mut caught_up, &mut skipped, &mut collapsed] {
        let restored = started.instance().expect("an instance");
        assert!(restored.now().starts_with("2021-05-14T09:00:00"));
        // Taken once.
        directrix_error(started.instance().err().expect("taken"), "taken");
    }
}

#[wasm_bindgen_test]
fn migrate_reports_what_changed_and_refusals_list_every_problem() {
    let (old, mut instance) = started();
    instance
        .advance(s("2021-05-07T09:00:00+07:00"))
        .expect("advance");
    let new = Workflow::parse(
        s(&SEED.replace("due: Days(3)", "due: Days(4)")),
        JsValue::UNDEFINED,
    )
    .expect("loads");
    let mut migrated =
        Instance::migrate(&old, &new, instance.snapshot().expect("snapshot")).expect("migrates");
    let report = migrated.report().expect("report").js_value();
    assert_eq!(field(&report, "from").as_string(), Some(old.content_hash()));
    assert_eq!(field(&report, "to").as_string(), Some(new.content_hash()));
    assert!(json(&field(&report, "changed")).contains("\"task\":\"propaganda\""));
    let moved = migrated.instance().expect("an instance");
    assert_eq!(
        field(&moved.snapshot().expect("snapshot"), "workflow_hash").as_string(),
        Some(new.content_hash())
    );
    // The old workflow's snapshot does not restore on the new one, and says how to move it.
    directrix_error(
        Instance::restore(&new, instance.snapshot().expect("snapshot"))
            .err()
            .expect("refused"),
        "other_version",
    );
    // Given the wrong old version: refused.
    directrix_error(
        Instance::migrate(&new, &old, instance.snapshot().expect("snapshot"))
            .err()
            .expect("refused"),
        "other_version",
    );

    // A running task in a state the new machine lacks.
    instance
        .act(request(
            r#"{"at": "2021-05-07T09:00:00+07:00", "actor": "police", "task": "force_alert", "action": "start"}"#,
        ))
        .expect("acts");
    instance
        .act(request(
            r#"{"at": "2021-05-07T09:00:00+07:00", "actor": "party_office", "task": "monitor_report", "action": "report"}"#,
        ))
        .expect("acts");
    let incompatible = SEED
        .replacen("machine: \"recurring\",", "machine: \"default\",", 1)
        .replacen(
            "            policy: \"urgent\",\n        ),\n        (\n            id: \"tracing\"",
            "            policy: \"urgent\",\n            machine: \"recurring\",\n        ),\n        (\n            id: \"tracing\"",
            1,
        );
    let incompatible = Workflow::parse(s(&incompatible), JsValue::UNDEFINED).expect("loads");
    let error = directrix_error(
        Instance::migrate(&old, &incompatible, instance.snapshot().expect("snapshot"))
            .err()
            .expect("refused"),
        "migration_refused",
    );
    let problems: js_sys::Array = field(&error, "problems").dyn_into().expect("problems");
    assert_eq!(problems.length(), 2, "{}", json(&problems));
    let problems = json(&problems);
    assert!(
        problems.contains("\"problem\":\"state_removed\"")
            && problems.contains("force_alert")
            && problems.contains("monitor_report"),
        "{problems}"
    );
    still_works();
}

/// The seed with the agency `health` renamed `y_tế` (composed, NFC).
fn seed_with_y_te() -> (Workflow, Instance) {
    let source = SEED.replace("\"health\"", "\"y_t\u{1ebf}\"");
    let workflow = Workflow::parse(s(&source), JsValue::UNDEFINED).expect("it loads");
    let mut started = workflow.start(JsValue::UNDEFINED).expect("it starts");
    let instance = started.instance().expect("an instance");
    (workflow, instance)
}

#[wasm_bindgen_test]
fn names_typed_decomposed_find_composed_ids() {
    let (workflow, mut instance) = seed_with_y_te();
    let nfd = "y_te\u{302}\u{301}";
    assert_eq!(
        workflow.agency_index(s(nfd)).expect("NFD finds the NFC id"),
        workflow.agency_index(s("y_t\u{1ebf}")).expect("NFC")
    );
    let inbox = json(&instance.inbox(s(nfd)).expect("inbox").js_value());
    assert!(inbox.contains("\"action\":\"acknowledge\""), "{inbox}");
    instance
        .advance(s("2021-05-07T09:00:00+07:00"))
        .expect("advance");
    let effects = instance
        .act(request(&format!(
            r#"{{"at": "2021-05-07T09:00:00+07:00", "actor": "{nfd}", "task": "health_readiness", "action": "acknowledge"}}"#
        )))
        .expect("an NFD actor acts");
    assert!(json(&effects.js_value()).contains("\"to\":\"acknowledged\""));
}

#[wasm_bindgen_test]
fn a_huge_name_makes_a_short_error() {
    let (workflow, mut instance) = started();
    let huge = "h".repeat(1_000_000);
    let message = |error: JsValue| field(&error, "message").as_string().unwrap_or_default();
    let errors = [
        workflow.agency_index(s(&huge)).map(drop).unwrap_err(),
        workflow.task_index(s(&huge)).map(drop).unwrap_err(),
        instance.inbox(s(&huge)).map(drop).unwrap_err(),
        instance
            .act(request(&format!(
                r#"{{"at": "2021-05-07T09:00:00+07:00", "actor": "{huge}", "task": "x", "action": "y"}}"#
            )))
            .map(drop)
            .unwrap_err(),
    ];
    for error in errors {
        let text = message(error);
        assert!(
            text.len() < 300 && text.contains("(1000000 bytes)"),
            "{}",
            &text[..200.min(text.len())]
        );
    }
}

#[wasm_bindgen_test]
fn a_limit_hint_shows_the_js_option() {
    let error = Workflow::parse(s(SEED), limits("agencies", number(3.0)))
        .map(drop)
        .unwrap_err();
    let error = directrix_error(error, "limit-exceeded");
    let texts = [
        field(&error, "message").as_string().unwrap_or_default(),
        json(&field(&error, "diagnostics")),
        json(
            &Workflow::check(s(SEED), limits("agencies", number(3.0)))
                .unwrap()
                .js_value(),
        ),
    ];
    for text in texts {
        assert!(
            text.contains("limits: {") && text.contains("agencies") && !text.contains("--limit"),
            "{text}"
        );
    }
}
