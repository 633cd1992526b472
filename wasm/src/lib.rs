//! # directrix-wasm
//!
//! WebAssembly bindings of `directrix-core` for web portals: a thin layer with no logic of
//! its own. Plain JS objects go in and out; times cross as ISO 8601 / RFC 3339 strings;
//! every failure is a thrown `DirectrixError` (a JS `Error` subclass) carrying `code` and
//! `message`, and for RON problems `line`, `column` and the full `diagnostics` list. No
//! panic crosses the boundary: every argument crosses as a `JsValue` or `f64` and is
//! checked here (types, whole numbers, sizes) before the core, which never panics on user
//! input, sees it; the module keeps working after any error.
//!
//! Two modules come from this crate. The runtime (`--no-default-features`, what a portal
//! loads) runs instances of a *compiled* workflow (`Workflow.fromCompiled`); it has no
//! RON front end, so it is a fraction of the size. The full module (the default
//! `authoring` feature, [`authoring`]) adds parsing, diagnostics, inspection, simulation,
//! migration and `workflow.compile()`, which makes the bytes the runtime loads.
//!
//! ```js
//! import init, { Workflow } from "directrix/runtime";
//! await init();
//! const workflow = Workflow.fromCompiled(compiledBytes); // from `directrix compile`
//! const instance = workflow.start("2021-05-07T08:00:00+07:00").instance;
//! instance.advance("2021-05-12T17:00:00+07:00");       // → effects: [{at, kind, task, agency, ...}]
//! instance.act({ at: "2021-05-12T17:00:00+07:00", actor: "health", task: "contingency_plan", action: "start" });
//! console.log(instance.status(), instance.inbox("health"), instance.nextTimer());
//! ```

#[cfg(feature = "authoring")]
pub mod authoring;
#[cfg(feature = "authoring")]
pub use authoring::*;

#[cfg(feature = "authoring")]
use directrix_core::Diagnostic;
use directrix_core::{
    ActError, Instance, Limits, Snapshot, Timestamp, Workflow as CoreWorkflow,
    instance::RestoreError, instance::TimerPolicy, record::AgencyField, record::EffectRecord,
    record::InboxRecord, record::NextTimerRecord, record::StatusRecord, render::Graph,
    render::GraphFormat,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use tsify::{Ts, Tsify};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
export class DirectrixError extends Error {
    constructor(code, message, details) {
        super(message);
        this.name = "DirectrixError";
        this.code = code;
        if (details) Object.assign(this, details);
    }
    // The runtime and the full module each define this class: `instanceof` recognises
    // the errors of both, so a page that loads both needs one check.
    static [Symbol.hasInstance](value) {
        return value instanceof Error && value.name === "DirectrixError";
    }
}
export function directrixErrorClass() { return DirectrixError; }
"#)]
extern "C" {
    #[wasm_bindgen(js_name = DirectrixError)]
    type JsDirectrixError;

    #[wasm_bindgen(constructor, js_class = "DirectrixError")]
    fn new(code: &str, message: &str, details: JsValue) -> JsDirectrixError;

    #[wasm_bindgen(js_name = directrixErrorClass)]
    fn directrix_error_class() -> JsValue;
}

/// The `DirectrixError` class, for `instanceof` checks.
#[wasm_bindgen(js_name = errorClass)]
pub fn error_class() -> JsValue {
    directrix_error_class()
}

/// A `DirectrixError`; `details` (an object or `undefined`) adds fields such as `line`.
/// The message is capped ([`directrix_core::diagnostic::cap_message`]): a huge name is quoted short.
fn throw(code: &str, message: &str, details: JsValue) -> JsValue {
    JsDirectrixError::new(
        code,
        &directrix_core::diagnostic::cap_message(message),
        details,
    )
    .into()
}

fn simple_error(code: &str, message: impl AsRef<str>) -> JsValue {
    throw(code, message.as_ref(), JsValue::UNDEFINED)
}

fn act_error(error: ActError) -> JsValue {
    simple_error(error.code(), error.to_string())
}

fn restore_error(error: RestoreError) -> JsValue {
    simple_error(error.code(), error.to_string())
}

fn invalid_argument(message: impl AsRef<str>) -> JsValue {
    simple_error("invalid_argument", message)
}

/// How an unexpected JS value reads in an error message (never its whole text).
fn describe(value: &JsValue) -> String {
    if value.is_undefined() {
        "undefined".to_owned()
    } else if value.is_null() {
        "null".to_owned()
    } else if js_sys::Array::is_array(value) {
        "an array".to_owned()
    } else if value.is_string() {
        "a string".to_owned()
    } else if let Some(number) = value.as_f64() {
        format!("the number {number}")
    } else {
        format!(
            "a value of type {}",
            value.js_typeof().as_string().unwrap_or_default()
        )
    }
}

/// Refuses keys of a plain object that `known` does not list: serde-wasm-bindgen reads
/// only the fields a struct declares, so `deny_unknown_fields` alone would let a
/// misspelt option or request field pass unnoticed.
fn known_keys(value: &JsValue, known: &[&str], what: &str) -> Result<(), JsValue> {
    let Some(object) = value.dyn_ref::<js_sys::Object>() else {
        return Ok(());
    };
    for key in js_sys::Object::keys(object).iter() {
        let key = key.as_string().unwrap_or_default();
        if !known.contains(&key.as_str()) {
            let hint = directrix_core::diagnostic::suggestion(&key, known.iter().copied())
                .unwrap_or_else(|| format!("known: {}", known.join(", ")));
            return Err(invalid_argument(format!(
                "unknown field `{key}` in {what} ({hint})"
            )));
        }
    }
    Ok(())
}

/// A string argument. Every string crosses as a `JsValue` and is checked here, so that a
/// wrong type is a `DirectrixError`, not a `TypeError` of the generated glue.
fn string_arg(value: &JsValue, what: &str) -> Result<String, JsValue> {
    value.as_string().ok_or_else(|| {
        invalid_argument(format!("{what} must be a string, not {}", describe(value)))
    })
}

/// A name (agency, task, action) as the workflow's ids are kept: in Unicode NFC, so a
/// name typed decomposed (NFD) finds its id. JS's own `String.prototype.normalize` does
/// it, so the module carries no normalisation tables; ASCII names skip the round trip.
fn nfc(name: String) -> String {
    if name.is_ascii() {
        name
    } else {
        js_sys::JsString::from(name.as_str())
            .normalize("NFC")
            .into()
    }
}

/// A string argument that names an agency, task or action: [`string_arg`], in NFC.
fn name_arg(value: &JsValue, what: &str) -> Result<String, JsValue> {
    string_arg(value, what).map(nfc)
}

/// An optional string argument: `undefined` and `null` are none.
fn optional_string_arg(value: &JsValue, what: &str) -> Result<Option<String>, JsValue> {
    if value.is_undefined() || value.is_null() {
        Ok(None)
    } else {
        string_arg(value, what).map(Some)
    }
}

/// The largest whole number a JS number holds exactly.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// A dense index of the index path. Numbers cross as wasm `f64`, which JS converts with
/// `Number()` first; anything not a whole number in `u32` range is refused here rather
/// than wrapped or truncated.
fn index_arg(value: f64, what: &str) -> Result<u32, JsValue> {
    if value.is_finite() && value.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&value) {
        Ok(value as u32)
    } else {
        Err(invalid_argument(format!(
            "{what} must be a whole number from 0 to 2^32 - 1, not {value}"
        )))
    }
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| simple_error("serialization", e.to_string()))
}

/// JS → Rust; `what` names the argument in the error.
fn from_js<T: serde::de::DeserializeOwned>(
    value: JsValue,
    what: &str,
    code: &str,
) -> Result<T, JsValue> {
    serde_wasm_bindgen::from_value(value).map_err(|e| simple_error(code, format!("{what}: {e}")))
}

/// Converts to a JS value typed for TypeScript, with JSON-compatible objects.
fn ts<T: Tsify + Serialize>(value: &T) -> Result<Ts<T>, JsValue> {
    Ok(Ts::new_unchecked(to_js(value)?))
}

/// A time given as epoch seconds by the index path: whole numbers from
/// `Timestamp::MIN` to `Timestamp::MAX` only (the range every RFC 3339 text parses into).
fn epoch_seconds(seconds: f64) -> Result<Timestamp, JsValue> {
    let (min, max) = (Timestamp::MIN.as_seconds(), Timestamp::MAX.as_seconds());
    // Both ends are far below 2^53, so they and every whole number between are exact.
    if seconds.is_finite() && seconds.fract() == 0.0 && (min as f64..=max as f64).contains(&seconds)
    {
        Ok(Timestamp::from_seconds(seconds as i64))
    } else {
        Err(simple_error(
            "invalid_time",
            format!(
                "time must be whole epoch seconds from {min} to {max} (0000-01-01T12:00:00Z to 9999-12-31T09:59:59Z), not {seconds}"
            ),
        ))
    }
}

fn parse_time(workflow: &CoreWorkflow, text: &str, what: &str) -> Result<Timestamp, JsValue> {
    Timestamp::parse(text, workflow.calendar().offset())
        .map_err(|e| simple_error("invalid_time", format!("{what}: {e}")))
}

/// The TypeScript type of a limit's name; a test keeps it equal to `Limits::NAMES`.
// Natively, outside tests, nothing uses it: only wasm32 builds emit custom sections.
#[allow(unused_macros)]
macro_rules! limit_name_ts {
    () => {
        r#"/** A resource limit's name (`Limits::NAMES` of directrix-core). */
export type LimitName = "input-bytes" | "agencies" | "instances" | "depth" | "string-bytes" | "timers-per-advance" | "effects-per-run";"#
    };
}

#[wasm_bindgen(typescript_custom_section)]
const LIMIT_NAME_TS: &str = limit_name_ts!();

/// Sets resource limits by name (`{ "input-bytes": 33554432 }`), refusing a value that is
/// not a whole number a JS number holds exactly, and an unknown name with a suggestion.
fn apply_limits(limits: &mut Limits, values: BTreeMap<String, f64>) -> Result<(), JsValue> {
    for (name, value) in values {
        if !(value.is_finite() && value.fract() == 0.0 && (0.0..=MAX_SAFE).contains(&value)) {
            return Err(invalid_argument(format!(
                "limit `{name}` must be a whole number from 0 to 2^53 - 1, not {value}"
            )));
        }
        limits
            .set(&name, value as u64)
            .map_err(|e| invalid_argument(e.to_string()))?;
    }
    Ok(())
}

/// The options of `Workflow.fromCompiled`.
#[derive(Deserialize, Tsify, Default)]
#[serde(deny_unknown_fields)]
pub struct CompiledOptions {
    /// Resource limits to change, by name (`{ "instances": 20000 }`); the others keep
    /// their defaults (README, "Resource limits").
    #[serde(default)]
    #[tsify(optional, type = "Partial<Record<LimitName, number>>")]
    pub limits: Option<BTreeMap<String, f64>>,
}

/// `CompiledOptions` from JS (`undefined` or `null` for the defaults) as the limits.
fn compiled_limits(options: JsValue) -> Result<Limits, JsValue> {
    let mut limits = Limits::default();
    if options.is_undefined() || options.is_null() {
        return Ok(limits);
    }
    // serde reads an array as a struct's fields in order: refuse it first.
    if !options.is_object() || js_sys::Array::is_array(&options) {
        return Err(invalid_argument(format!(
            "options must be an object `{{ limits? }}`, not {}",
            describe(&options)
        )));
    }
    known_keys(&options, &["limits"], "options")?;
    let options: CompiledOptions = from_js(options, "options", "invalid_argument")?;
    apply_limits(&mut limits, options.limits.unwrap_or_default())?;
    Ok(limits)
}

/// A `TimerPolicy` by its JS name.
fn timer_policy(value: &JsValue) -> Result<TimerPolicy, JsValue> {
    const NAMES: [&str; 3] = ["catch_up", "skip", "collapse_recurring"];
    let name = string_arg(value, "policy")?;
    match name.as_str() {
        "catch_up" => Ok(TimerPolicy::CatchUp),
        "skip" => Ok(TimerPolicy::Skip),
        "collapse_recurring" => Ok(TimerPolicy::CollapseRecurring),
        _ => Err(invalid_argument(format!(
            "unknown timer policy `{name}` ({})",
            directrix_core::diagnostic::suggestion(&name, NAMES)
                .unwrap_or_else(|| "use `catch_up`, `skip` or `collapse_recurring`".to_owned())
        ))),
    }
}

/// A validated workflow.
#[wasm_bindgen]
pub struct Workflow {
    inner: Arc<CoreWorkflow>,
    /// The warnings of loading RON; none for a compiled workflow.
    #[cfg(feature = "authoring")]
    warnings: Vec<Diagnostic>,
}

/// The effects an input caused, in order.
#[derive(Serialize, Tsify)]
#[serde(transparent)]
pub struct Effects(Vec<EffectRecord>);

/// Status of every task instance.
#[derive(Serialize, Tsify)]
#[serde(transparent)]
pub struct Statuses(Vec<StatusRecord>);

/// A list of names.
#[derive(Serialize, Tsify)]
#[serde(transparent)]
pub struct Names(Vec<String>);

/// An action request.
#[derive(Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct ActRequest {
    /// When, ISO 8601.
    pub at: String,
    /// Acting agency id.
    pub actor: String,
    /// Task instance (`task`, `task[member]`, or a `for_each` task's id when the actor is
    /// a member).
    pub task: String,
    /// Action name.
    pub action: String,
    /// Free text for the journal: a reason, what to redo (required by `return`,
    /// `request_extension` and `refuse_extension`).
    #[serde(default)]
    #[tsify(optional)]
    pub note: Option<String>,
    /// For `request_extension`: the due time asked for, ISO 8601.
    #[serde(default)]
    #[tsify(optional)]
    pub until: Option<String>,
}

/// What an agency may do now.
#[derive(Serialize, Tsify)]
#[serde(transparent)]
pub struct Inbox(Vec<InboxRecord>);

#[wasm_bindgen]
impl Workflow {
    /// Loads a compiled workflow: the bytes of `directrix compile` or `workflow.compile()`,
    /// as a `Uint8Array` or `ArrayBuffer`. Every index is checked, so any bytes are safe:
    /// others throw `not-compiled`, `compiled-format` (another format number: recompile),
    /// `damaged-compiled`, `inconsistent-compiled` or `limit-exceeded`. `options.limits`
    /// changes resource limits by name, as for `Workflow.parse`.
    #[wasm_bindgen(js_name = fromCompiled)]
    pub fn from_compiled(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer")] bytes: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CompiledOptions")] options: JsValue,
    ) -> Result<Workflow, JsValue> {
        let bytes = if let Some(buffer) = bytes.dyn_ref::<js_sys::ArrayBuffer>() {
            js_sys::Uint8Array::new(buffer)
        } else {
            bytes.dyn_into::<js_sys::Uint8Array>().map_err(|value| {
                invalid_argument(format!(
                    "compiled bytes must be a Uint8Array or an ArrayBuffer, not {}",
                    describe(&value)
                ))
            })?
        };
        let limits = compiled_limits(options)?;
        // Checked before the copy into the module, so any size is an error, not an abort.
        let length = u64::from(bytes.length());
        if length > limits.input_bytes {
            return Err(simple_error(
                "limit-exceeded",
                format!(
                    "the compiled workflow is {length} bytes, more than the `input-bytes` limit of {} (raise it if this is intended)",
                    limits.input_bytes
                ),
            ));
        }
        let workflow = CoreWorkflow::from_compiled(&bytes.to_vec(), &limits)
            .map_err(|error| simple_error(error.code(), error.to_string()))?;
        Ok(Workflow {
            inner: Arc::new(workflow),
            #[cfg(feature = "authoring")]
            warnings: Vec::new(),
        })
    }

    /// The workflow's content hash: the version a snapshot records and a migration
    /// reports (`from`, `to`).
    #[wasm_bindgen(getter, js_name = contentHash)]
    pub fn content_hash(&self) -> String {
        self.inner.content_hash().to_owned()
    }

    /// A graph as text: `format` is `dot` or `mermaid`; `view` is `tasks`, `agencies` or
    /// `documents`.
    pub fn graph(
        &self,
        #[wasm_bindgen(unchecked_param_type = "\"dot\" | \"mermaid\"")] format: JsValue,
        #[wasm_bindgen(unchecked_param_type = "\"tasks\" | \"agencies\" | \"documents\"")]
        view: JsValue,
    ) -> Result<String, JsValue> {
        let format = string_arg(&format, "graph format")?;
        let view = string_arg(&view, "graph view")?;
        let format = match format.as_str() {
            "dot" => GraphFormat::Dot,
            "mermaid" => GraphFormat::Mermaid,
            other => {
                return Err(simple_error(
                    "invalid_argument",
                    format!("unknown graph format `{other}` (use `dot` or `mermaid`)"),
                ));
            }
        };
        let view = match view.as_str() {
            "tasks" => Graph::Tasks,
            "agencies" => Graph::Agencies,
            "documents" => Graph::Documents,
            other => {
                return Err(simple_error(
                    "invalid_argument",
                    format!(
                        "unknown graph view `{other}` (use `tasks`, `agencies` or `documents`)"
                    ),
                ));
            }
        };
        Ok(directrix_core::render::render_graph(
            &self.inner,
            view,
            format,
        ))
    }

    /// The dense index of an agency, for `Instance.actByIndex`.
    #[wasm_bindgen(js_name = agencyIndex)]
    pub fn agency_index(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Result<u32, JsValue> {
        let id = name_arg(&id, "agency id")?;
        self.inner
            .agency_id(&id)
            .map(|a| a.index() as u32)
            .ok_or_else(|| simple_error("unknown_agency", format!("unknown agency `{id}`")))
    }

    /// The dense index of a task instance (`task` or `task[member]`), for
    /// `Instance.actByIndex`.
    #[wasm_bindgen(js_name = taskIndex)]
    pub fn task_index(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
    ) -> Result<u32, JsValue> {
        let name = name_arg(&name, "task name")?;
        self.inner
            .task_ref(&name)
            .map(|t| t.index() as u32)
            .ok_or_else(|| simple_error("unknown_task", format!("unknown task `{name}`")))
    }

    /// The dense index of an action name, for `Instance.actByIndex`.
    #[wasm_bindgen(js_name = actionIndex)]
    pub fn action_index(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
    ) -> Result<u32, JsValue> {
        let name = name_arg(&name, "action name")?;
        self.inner
            .action_id(&name)
            .map(|a| a.index() as u32)
            .ok_or_else(|| simple_error("unknown_action", format!("unknown action `{name}`")))
    }

    /// A time (ISO 8601) as seconds since the Unix epoch, for `Instance.actByIndex`.
    #[wasm_bindgen(js_name = timeSeconds)]
    pub fn time_seconds(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] at: JsValue,
    ) -> Result<f64, JsValue> {
        let at = string_arg(&at, "time")?;
        Ok(parse_time(&self.inner, &at, "time")?.as_seconds() as f64)
    }

    /// Starts an instance at `at` (ISO 8601); omitted, at the directive's issue time.
    pub fn start(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] at: JsValue,
    ) -> Result<StartedInstance, JsValue> {
        let at = match optional_string_arg(&at, "start time")? {
            Some(text) => parse_time(&self.inner, &text, "start")?,
            None => self.inner.directive().issued_at,
        };
        let (instance, effects) =
            Instance::start(Arc::clone(&self.inner), at).map_err(act_error)?;
        let effects = records(&self.inner, &effects);
        Ok(StartedInstance {
            instance: Some(WorkflowInstance::new(instance)),
            effects: Some(effects),
        })
    }
}

fn records(workflow: &CoreWorkflow, effects: &[directrix_core::Effect]) -> Vec<EffectRecord> {
    effects.iter().map(|e| workflow.effect_record(e)).collect()
}

/// The result of `Workflow.start` and `Instance.restoreAt`: the instance and the effects
/// of starting (or of catching up).
#[wasm_bindgen]
pub struct StartedInstance {
    instance: Option<WorkflowInstance>,
    effects: Option<Vec<EffectRecord>>,
}

/// Hands out an instance held by a result object, once.
fn take_instance(slot: &mut Option<WorkflowInstance>) -> Result<WorkflowInstance, JsValue> {
    slot.take()
        .ok_or_else(|| simple_error("taken", "the instance was already taken"))
}

#[wasm_bindgen]
impl StartedInstance {
    /// The instance (can be taken once).
    #[wasm_bindgen(getter)]
    pub fn instance(&mut self) -> Result<WorkflowInstance, JsValue> {
        take_instance(&mut self.instance)
    }

    /// The effects of starting or catching up (can be taken once).
    #[wasm_bindgen(getter)]
    pub fn effects(&mut self) -> Result<Ts<Effects>, JsValue> {
        ts(&Effects(self.effects.take().unwrap_or_default()))
    }
}

/// A running instance of a workflow.
#[wasm_bindgen(js_name = Instance)]
pub struct WorkflowInstance {
    inner: Instance,
    /// Effects of the last `actByIndex`, reused across calls.
    last: Vec<directrix_core::Effect>,
    /// The effects of the glue's `act`, reused across calls.
    scratch: Vec<directrix_core::Effect>,
    /// Those effects as numbers (`pack`).
    packed: Vec<f64>,
}

impl WorkflowInstance {
    fn new(inner: Instance) -> Self {
        WorkflowInstance {
            inner,
            last: Vec::new(),
            scratch: Vec::new(),
            packed: Vec::new(),
        }
    }
}

#[wasm_bindgen(js_class = Instance)]
impl WorkflowInstance {
    /// `actor` performs `action` on `task` at `at`. Call `advance(at)` first when timers
    /// may be due. Returns the effects; throws (and changes nothing) when refused.
    pub fn act(&mut self, request: Ts<ActRequest>) -> Result<Ts<Effects>, JsValue> {
        let request: JsValue = request.into();
        if !request.is_object() || js_sys::Array::is_array(&request) {
            return Err(invalid_argument(format!(
                "an act request is an object `{{ at, actor, task, action, note?, until? }}`, not {}",
                describe(&request)
            )));
        }
        known_keys(
            &request,
            &["at", "actor", "task", "action", "note", "until"],
            "the act request",
        )?;
        let request: ActRequest = from_js(request, "act request", "invalid_argument")?;
        let workflow = Arc::clone(self.inner.workflow());
        let at = parse_time(&workflow, &request.at, "at")?;
        let until = request
            .until
            .as_deref()
            .map(|until| parse_time(&workflow, until, "until"))
            .transpose()?;
        let (actor, task, action) = workflow
            .resolve_act(
                &nfc(request.actor),
                &nfc(request.task),
                &nfc(request.action),
            )
            .map_err(act_error)?;
        let args = directrix_core::instance::ActArgs {
            note: request.note.as_deref(),
            until,
        };
        let mut effects = Vec::new();
        self.inner
            .act_with(at, actor, task, action, args, &mut effects)
            .map_err(act_error)?;
        ts(&Effects(records(&workflow, &effects)))
    }

    /// The fast path for hosts that act in bulk: `act` with dense indices (from
    /// `Workflow.agencyIndex`, `taskIndex`, `actionIndex`) and a time in epoch seconds
    /// (`Workflow.timeSeconds`). Nothing crosses the boundary but numbers: it returns the
    /// number of effects, which `lastEffects()` gives as records. Throws, and changes
    /// nothing, exactly when `act` would.
    #[wasm_bindgen(js_name = actByIndex)]
    pub fn act_by_index(
        &mut self,
        at_seconds: f64,
        actor: f64,
        task: f64,
        action: f64,
    ) -> Result<u32, JsValue> {
        let at = epoch_seconds(at_seconds)?;
        let (actor, task, action) = (
            directrix_core::workflow::AgencyId::from_index(index_arg(actor, "actor index")?),
            directrix_core::workflow::TaskRef::from_index(index_arg(task, "task index")?),
            directrix_core::workflow::ActionId::from_index(index_arg(action, "action index")?),
        );
        self.last.clear();
        self.inner
            .act_into(at, actor, task, action, None, &mut self.last)
            .map_err(act_error)?;
        Ok(self.last.len() as u32)
    }

    /// Many `actByIndex` calls in one: `events` holds (actor, task, action) index
    /// triples, all acted at `atSeconds` in order. Returns the number of effects, which
    /// `lastEffects()` gives as records. On a refusal it throws with the event's position
    /// in `message`; the events before it stay applied, as with separate calls.
    #[wasm_bindgen(js_name = actBatch)]
    pub fn act_batch(
        &mut self,
        at_seconds: f64,
        #[wasm_bindgen(unchecked_param_type = "Uint32Array | number[]")] events: JsValue,
    ) -> Result<u32, JsValue> {
        let at = epoch_seconds(at_seconds)?;
        let events = index_triples(&events)?;
        if !events.len().is_multiple_of(3) {
            return Err(simple_error(
                "invalid_argument",
                "events must be (actor, task, action) index triples",
            ));
        }
        self.last.clear();
        for (position, event) in events.chunks_exact(3).enumerate() {
            self.inner
                .act_into(
                    at,
                    directrix_core::workflow::AgencyId::from_index(event[0]),
                    directrix_core::workflow::TaskRef::from_index(event[1]),
                    directrix_core::workflow::ActionId::from_index(event[2]),
                    None,
                    &mut self.last,
                )
                .map_err(|error| {
                    simple_error(error.code(), format!("event {position}: {error}"))
                })?;
        }
        Ok(self.last.len() as u32)
    }

    /// `act` as the package's JS glue calls it (wasm/npm/act.js), with the names and the
    /// time already resolved to numbers by `__resolve`: one boundary
    /// crossing per event and only numbers cross it. The effects are written as
    /// `PACKED_WIDTH` numbers each after their count (`pack`) into a buffer this
    /// instance keeps; it returns the buffer's address in the module's memory
    /// (`__memory`), valid until the next call. A refusal (which changes nothing)
    /// returns 0: the glue then calls `act`, which refuses the same way with its own
    /// error, so the error is built in one place and nothing but a number crosses here.
    #[wasm_bindgen(js_name = __actPacked, skip_typescript)]
    pub fn act_packed(&mut self, at_seconds: f64, actor: f64, task: f64, action: f64) -> u32 {
        let (Ok(at), Ok(actor), Ok(task), Ok(action)) = (
            epoch_seconds(at_seconds),
            index_arg(actor, "actor index"),
            index_arg(task, "task index"),
            index_arg(action, "action index"),
        ) else {
            return 0;
        };
        let mut effects = std::mem::take(&mut self.scratch);
        effects.clear();
        let acted = self.inner.act_into(
            at,
            directrix_core::workflow::AgencyId::from_index(actor),
            directrix_core::workflow::TaskRef::from_index(task),
            directrix_core::workflow::ActionId::from_index(action),
            None,
            &mut effects,
        );
        self.packed.clear();
        if acted.is_ok() {
            pack(self.inner.workflow(), &effects, &mut self.packed);
        }
        self.scratch = effects;
        if acted.is_ok() {
            self.packed.as_ptr() as u32
        } else {
            0
        }
    }

    /// What the JS glue resolves once per workflow and caches: `what` is `FIELD_AGENCY`,
    /// `FIELD_TASK` (`task` or `task[member]` only: a name that depends on the actor
    /// is left to `act`), `FIELD_ACTION` or `FIELD_AT` (epoch seconds). `NaN` when
    /// the text names nothing: the glue then calls `act` itself, whose error says why.
    #[wasm_bindgen(js_name = __resolve, skip_typescript)]
    pub fn resolve(&self, what: u32, text: JsValue) -> f64 {
        let workflow = self.inner.workflow();
        let Some(text) = text.as_string() else {
            return f64::NAN;
        };
        let found = match what {
            FIELD_AGENCY => workflow.agency_id(&nfc(text)).map(|a| a.index()),
            FIELD_TASK => workflow.task_ref(&nfc(text)).map(|t| t.index()),
            FIELD_ACTION => workflow.action_id(&nfc(text)).map(|a| a.index()),
            FIELD_AT => {
                return Timestamp::parse(&text, workflow.calendar().offset())
                    .map_or(f64::NAN, |at| at.as_seconds() as f64);
            }
            _ => None,
        };
        found.map_or(f64::NAN, |index| index as f64)
    }

    /// The text of field `field` (a `pack` position) of effect `position` of the last
    /// `__actPacked`, which the JS glue caches under the number packed there; empty when
    /// there is no such effect or field.
    #[wasm_bindgen(js_name = __name, skip_typescript)]
    pub fn name(&self, field: u32, position: u32) -> String {
        let workflow = self.inner.workflow();
        let Some(effect) = self.scratch.get(position as usize) else {
            return String::new();
        };
        let record = workflow.effect_record(effect);
        match field {
            FIELD_AT => record.at,
            FIELD_KIND => record.kind.to_owned(),
            FIELD_TASK => record.task,
            FIELD_AGENCY => record.agency,
            FIELD_ACTION => record.action.unwrap_or_default(),
            FIELD_FROM => record.from.unwrap_or_default(),
            FIELD_TO => record.to.unwrap_or_default(),
            FIELD_LEAD => record.lead.unwrap_or_default(),
            FIELD_DUE => record.due.unwrap_or_default(),
            FIELD_UNTIL => record.until.unwrap_or_default(),
            _ => String::new(),
        }
    }

    /// The instance's workflow as the JS glue keys its caches: its content hash.
    #[wasm_bindgen(js_name = __workflowKey, skip_typescript)]
    pub fn workflow_key(&self) -> String {
        self.inner.workflow().content_hash().to_owned()
    }

    /// The effects of the last `actByIndex` or `actBatch`, as records.
    #[wasm_bindgen(js_name = lastEffects)]
    pub fn last_effects(&self) -> Result<Ts<Effects>, JsValue> {
        ts(&Effects(records(self.inner.workflow(), &self.last)))
    }

    /// Moves time to `to`, firing every timer due until then; returns the effects.
    pub fn advance(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string")] to: JsValue,
    ) -> Result<Ts<Effects>, JsValue> {
        let workflow = Arc::clone(self.inner.workflow());
        let to = string_arg(&to, "advance time")?;
        let to = parse_time(&workflow, &to, "advance")?;
        let effects = self.inner.advance(to).map_err(act_error)?;
        ts(&Effects(records(&workflow, &effects)))
    }

    /// When to call `advance` next and why, or `undefined` when nothing is pending.
    #[wasm_bindgen(js_name = nextTimer)]
    pub fn next_timer(&self) -> Result<Option<Ts<NextTimerRecord>>, JsValue> {
        self.inner
            .next_timer_record()
            .map(|next| ts(&next))
            .transpose()
    }

    /// A fingerprint of the instance's state (16 hex digits): equal to the `state_hash`
    /// of a `directrix serve` status view when this instance replayed that host's
    /// journal, and the same in both modules.
    #[wasm_bindgen(js_name = stateHash)]
    pub fn state_hash(&self) -> String {
        self.inner.state_hash()
    }

    /// The instance's current time, RFC 3339.
    pub fn now(&self) -> String {
        self.inner.workflow().format_time(self.inner.now())
    }

    /// Status of every task instance.
    pub fn status(&self) -> Result<Ts<Statuses>, JsValue> {
        ts(&Statuses(self.inner.status_records()))
    }

    /// Names of the task instances past due with the work not handed in.
    pub fn overdue(&self) -> Result<Ts<Names>, JsValue> {
        let workflow = self.inner.workflow();
        let names = self
            .inner
            .overdue()
            .iter()
            .map(|t| workflow.task_slot(*t).name.clone())
            .collect();
        ts(&Names(names))
    }

    /// What `agency` may do now.
    pub fn inbox(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] agency: JsValue,
    ) -> Result<Ts<Inbox>, JsValue> {
        let workflow = self.inner.workflow();
        let agency = name_arg(&agency, "agency id")?;
        let id = workflow.agency_id(&agency).ok_or_else(|| {
            act_error(ActError::UnknownAgency {
                name: agency.clone(),
                hint: directrix_core::diagnostic::suggestion(
                    &agency,
                    workflow.agencies().iter().map(|a| a.id.as_str()),
                ),
            })
        })?;
        ts(&Inbox(self.inner.inbox_records(id)))
    }

    /// The tracking grid now: per lead agency and in total, done on time / late, open
    /// in time / overdue, due within 3 days.
    pub fn grid(&self) -> Result<Ts<directrix_core::record::Grid>, JsValue> {
        ts(&self.inner.grid())
    }

    /// The current critical path, task ids first to last.
    #[wasm_bindgen(js_name = criticalPath)]
    pub fn critical_path(&self) -> Result<Ts<Names>, JsValue> {
        let workflow = self.inner.workflow();
        let names = self
            .inner
            .critical_path()
            .iter()
            .map(|t| workflow.task(*t).id.clone())
            .collect();
        ts(&Names(names))
    }

    /// A snapshot to persist (a plain JSON-compatible object).
    pub fn snapshot(&self) -> Result<JsValue, JsValue> {
        to_js(&self.inner.snapshot())
    }

    /// Rebuilds an instance of `workflow` from a snapshot, at the snapshot's time.
    pub fn restore(workflow: &Workflow, snapshot: JsValue) -> Result<WorkflowInstance, JsValue> {
        let inner = Instance::restore(Arc::clone(&workflow.inner), snapshot_arg(snapshot)?)
            .map_err(restore_error)?;
        Ok(WorkflowInstance::new(inner))
    }

    /// Rebuilds an instance from a snapshot and moves its clock to `now` (ISO 8601),
    /// handling the timers that fell due meanwhile as `policy` says: `catch_up` fires
    /// them all in order (as `advance`), `skip` drops missed escalation levels with a
    /// `skipped` effect each, `collapse_recurring` fires a repeating level once. Returns
    /// the instance and the effects of catching up.
    #[wasm_bindgen(js_name = restoreAt)]
    pub fn restore_at(
        workflow: &Workflow,
        snapshot: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] now: JsValue,
        #[wasm_bindgen(unchecked_param_type = "TimerPolicy")] policy: JsValue,
    ) -> Result<StartedInstance, JsValue> {
        let snapshot = snapshot_arg(snapshot)?;
        let now = string_arg(&now, "restore time")?;
        let now = parse_time(&workflow.inner, &now, "restore time")?;
        let policy = timer_policy(&policy)?;
        let (inner, effects) =
            Instance::restore_at(Arc::clone(&workflow.inner), snapshot, now, policy)
                .map_err(restore_error)?;
        Ok(StartedInstance {
            effects: Some(records(&workflow.inner, &effects)),
            instance: Some(WorkflowInstance::new(inner)),
        })
    }
}

// The layout of `pack`: one effect is `PACKED_WIDTH` numbers, at these positions
// (wasm/npm/act.js reads them with the same numbers). Names are numbers the glue turns
// into text through caches, so a name crosses the boundary once per workflow, not per
// effect: indices for agencies (`-1` none, `-2` the system), tasks and actions; a state
// with its machine (state ids are per machine); times as epoch seconds; `NaN` or `-1`
// (`-3` for `lead`) where the record has no such field.
const FIELD_AT: u32 = 0;
const FIELD_KIND: u32 = 1;
const FIELD_TASK: u32 = 2;
const FIELD_AGENCY: u32 = 3;
const FIELD_ACTION: u32 = 4;
const FIELD_MACHINE: u32 = 5;
const FIELD_FROM: u32 = 6;
const FIELD_TO: u32 = 7;
const FIELD_LEVEL: u32 = 8;
const FIELD_LEAD: u32 = 9;
const FIELD_DUE: u32 = 10;
const FIELD_ON_TIME: u32 = 11;
const FIELD_UNTIL: u32 = 12;
const PACKED_WIDTH: usize = 13;

thread_local! {
    /// The effect kinds met so far, numbered in that order: the number `pack` writes.
    static KINDS: std::cell::RefCell<Vec<&'static str>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn kind_number(kind: &'static str) -> f64 {
    KINDS.with_borrow_mut(|kinds| {
        // The same kind is the same static text: its address finds it without comparing bytes.
        let position = kinds
            .iter()
            .position(|k| std::ptr::eq(*k, kind) || *k == kind)
            .unwrap_or_else(|| {
                kinds.push(kind);
                kinds.len() - 1
            });
        position as f64
    })
}

fn agency_number(field: AgencyField) -> f64 {
    match field {
        AgencyField::Agency(agency) => agency.index() as f64,
        AgencyField::System => -2.0,
        AgencyField::None => -1.0,
    }
}

/// Writes the count of `effects`, then each as `PACKED_WIDTH` numbers (see `FIELD_AT`).
fn pack(workflow: &CoreWorkflow, effects: &[directrix_core::Effect], out: &mut Vec<f64>) {
    out.push(effects.len() as f64);
    for effect in effects {
        let fields = workflow.effect_fields(effect);
        let machine = workflow.task(workflow.task_slot(fields.task).task).machine;
        let mut packed = [0.0; PACKED_WIDTH];
        packed[FIELD_AT as usize] = fields.at.as_seconds() as f64;
        packed[FIELD_KIND as usize] = kind_number(fields.kind);
        packed[FIELD_TASK as usize] = fields.task.index() as f64;
        packed[FIELD_AGENCY as usize] = agency_number(fields.agency);
        packed[FIELD_ACTION as usize] = fields.action.map_or(-1.0, |a| a.index() as f64);
        packed[FIELD_MACHINE as usize] = machine.index() as f64;
        packed[FIELD_FROM as usize] = fields.from.map_or(-1.0, |s| s.index() as f64);
        packed[FIELD_TO as usize] = fields.to.map_or(-1.0, |s| s.index() as f64);
        packed[FIELD_LEVEL as usize] = fields.level.map_or(-1.0, f64::from);
        packed[FIELD_LEAD as usize] = fields.lead.map_or(-3.0, agency_number);
        packed[FIELD_DUE as usize] = fields.due.map_or(f64::NAN, |t| t.as_seconds() as f64);
        packed[FIELD_ON_TIME as usize] = fields.on_time.map_or(-1.0, f64::from);
        packed[FIELD_UNTIL as usize] = fields.until.map_or(f64::NAN, |t| t.as_seconds() as f64);
        out.extend_from_slice(&packed);
    }
}

/// The module's memory, where the JS glue reads what `__actPacked` wrote.
#[wasm_bindgen(js_name = __memory, skip_typescript)]
pub fn memory() -> JsValue {
    wasm_bindgen::memory()
}

/// A snapshot from JS: a plain object as `snapshot()` gave it.
fn snapshot_arg(snapshot: JsValue) -> Result<Snapshot, JsValue> {
    if !snapshot.is_object() || js_sys::Array::is_array(&snapshot) {
        return Err(simple_error(
            "invalid_snapshot",
            format!(
                "a snapshot is the object `instance.snapshot()` returned, not {}",
                describe(&snapshot)
            ),
        ));
    }
    from_js(snapshot, "not a directrix snapshot", "invalid_snapshot")
}

/// The index triples of `actBatch`: a `Uint32Array`, or an array of whole numbers
/// (checked one by one, not wrapped as a typed-array copy would).
fn index_triples(events: &JsValue) -> Result<Vec<u32>, JsValue> {
    if let Some(typed) = events.dyn_ref::<js_sys::Uint32Array>() {
        return Ok(typed.to_vec());
    }
    let Some(array) = events.dyn_ref::<js_sys::Array>() else {
        return Err(invalid_argument(format!(
            "events must be a Uint32Array or an array of indices, not {}",
            describe(events)
        )));
    };
    array
        .iter()
        .enumerate()
        .map(|(i, value)| match value.as_f64() {
            Some(number) => index_arg(number, &format!("events[{i}]")),
            None => Err(invalid_argument(format!(
                "events[{i}] must be a number, not {}",
                describe(&value)
            ))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    /// The hand-kept `LimitName` type lists exactly the core's limit names, in order.
    #[test]
    fn the_limit_name_type_matches_the_core() {
        let names = directrix_core::Limits::NAMES
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(" | ");
        assert!(
            limit_name_ts!().ends_with(&format!("export type LimitName = {names};")),
            "{}",
            limit_name_ts!()
        );
    }
}
