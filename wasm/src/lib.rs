//! # directrix-wasm
//!
//! WebAssembly bindings of `directrix-core` for web portals: a thin layer with no logic of
//! its own. Plain JS objects go in and out; times cross as ISO 8601 / RFC 3339 strings;
//! every failure is a thrown `DirectrixError` (a JS `Error` subclass) carrying `code` and
//! `message`, and for RON problems `line`, `column` and the full `diagnostics` list. No
//! panic crosses the boundary: every input is checked by the core, which never panics on
//! user input, and the module keeps working after any error.
//!
//! ```js
//! import init, { Workflow, simulateJson } from "directrix";
//! await init();
//! const workflow = Workflow.parse(ronText);           // throws DirectrixError with line/column
//! const instance = workflow.start("2021-05-07T08:00:00+07:00");
//! instance.advance("2021-05-12T17:00:00+07:00");       // → effects: [{at, kind, task, agency, ...}]
//! instance.act({ at: "2021-05-12T17:00:00+07:00", actor: "health", task: "contingency_plan", action: "start" });
//! console.log(instance.status(), instance.inbox("health"), instance.nextTimer());
//! ```

use directrix_core::{
    ActError, Diagnostic, EffectRecord, GraphFormat, GraphView, Inspection, Instance, LoadError,
    Scenario, SimulationReport, Snapshot, StatusRecord, Timestamp, Workflow as CoreWorkflow,
};
use serde::{Deserialize, Serialize};
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

/// Extra fields of a thrown error.
#[derive(Serialize, Default)]
struct ErrorDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    diagnostics: Vec<Diagnostic>,
}

fn throw(code: &str, message: &str, details: ErrorDetails) -> JsValue {
    let details = to_js(&details).unwrap_or(JsValue::UNDEFINED);
    JsDirectrixError::new(code, message, details).into()
}

fn simple_error(code: &str, message: impl AsRef<str>) -> JsValue {
    throw(code, message.as_ref(), ErrorDetails::default())
}

fn load_error(error: LoadError) -> JsValue {
    let first = error.diagnostics.iter().find(|d| d.is_error());
    let code = first.map_or("invalid", |d| d.code.as_str());
    let details = ErrorDetails {
        line: first.and_then(|d| d.location).map(|l| l.line),
        column: first.and_then(|d| d.location).map(|l| l.column),
        diagnostics: error.diagnostics.clone(),
    };
    throw(code, &error.to_string(), details)
}

fn act_error(error: ActError) -> JsValue {
    simple_error(error.code(), error.to_string())
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

/// A time given as epoch seconds by the index path: whole, finite numbers only.
fn epoch_seconds(seconds: f64) -> Result<Timestamp, JsValue> {
    if seconds.is_finite() && seconds.fract() == 0.0 {
        Ok(Timestamp::from_seconds(seconds as i64))
    } else {
        Err(simple_error(
            "invalid_time",
            format!("time must be whole epoch seconds, not {seconds}"),
        ))
    }
}

fn parse_time(workflow: &CoreWorkflow, text: &str, what: &str) -> Result<Timestamp, JsValue> {
    Timestamp::parse(text, workflow.calendar().offset())
        .map_err(|e| simple_error("invalid_time", format!("{what}: {e}")))
}

/// Named calendar texts (`{ "vn-public-holidays": "(format: 1, ...)" }`) for workflows
/// that `use` them; `undefined` or `null` for none.
fn load_options(calendars: JsValue) -> Result<directrix_core::LoadOptions, JsValue> {
    let mut options = directrix_core::LoadOptions::default();
    if calendars.is_undefined() || calendars.is_null() {
        return Ok(options);
    }
    let texts: std::collections::BTreeMap<String, String> = from_js(
        calendars,
        "calendars must map names to RON texts",
        "invalid_argument",
    )?;
    for (name, text) in texts {
        options = options.with_calendar(name, text);
    }
    Ok(options)
}

/// A validated workflow.
#[wasm_bindgen]
pub struct Workflow {
    inner: Arc<CoreWorkflow>,
    warnings: Vec<Diagnostic>,
}

/// The effects an input caused, in order.
#[derive(Serialize, Tsify)]
#[serde(transparent)]
pub struct Effects(Vec<EffectRecord>);

/// Every diagnostic of a file.
#[derive(Serialize, Tsify)]
#[serde(transparent)]
pub struct Diagnostics(Vec<Diagnostic>);

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

/// One thing an agency may do now.
#[derive(Serialize, Tsify)]
pub struct InboxEntry {
    /// Task instance name.
    pub task: String,
    /// Task title.
    pub title: String,
    /// Action name.
    pub action: String,
    /// The state it leads to.
    pub to: String,
    /// The action needs a `note` (a reason, what to redo).
    pub needs_note: bool,
    /// The action needs `until` (an extension request's due time).
    pub needs_until: bool,
}

/// What an agency may do now.
#[derive(Serialize, Tsify)]
#[serde(transparent)]
pub struct Inbox(Vec<InboxEntry>);

/// When to call `advance` next, and why.
#[derive(Serialize, Tsify)]
pub struct NextTimer {
    /// When, RFC 3339.
    pub at: String,
    /// Task instance name.
    pub task: String,
    /// `start`, `due`, `escalation` or `timed`.
    pub reason: String,
    /// Escalation level, for `escalation`.
    #[tsify(optional)]
    pub level: Option<u8>,
}

#[wasm_bindgen]
impl Workflow {
    /// Parses and validates RON text. Throws a `DirectrixError` whose `diagnostics` lists
    /// every problem, and whose `line`/`column` locate the first. `calendars` supplies the
    /// shared calendars the workflow names (`{ name: ronText }`).
    pub fn parse(
        source: &str,
        #[wasm_bindgen(unchecked_param_type = "Record<string, string> | undefined")]
        calendars: JsValue,
    ) -> Result<Workflow, JsValue> {
        let options = load_options(calendars)?;
        let loaded = directrix_core::load_with(source, &options).map_err(load_error)?;
        Ok(Workflow {
            inner: Arc::new(loaded.workflow),
            warnings: loaded.warnings,
        })
    }

    /// Every diagnostic of a RON text, errors and warnings, without throwing.
    pub fn check(
        source: &str,
        #[wasm_bindgen(unchecked_param_type = "Record<string, string> | undefined")]
        calendars: JsValue,
    ) -> Result<Ts<Diagnostics>, JsValue> {
        let options = load_options(calendars)?;
        ts(&Diagnostics(directrix_core::check_with(source, &options)))
    }

    /// The warnings found while loading.
    #[wasm_bindgen(getter)]
    pub fn warnings(&self) -> Result<Ts<Diagnostics>, JsValue> {
        ts(&Diagnostics(self.warnings.clone()))
    }

    /// Metadata, agencies, groups, tasks with planned times, critical path.
    pub fn inspect(&self) -> Result<Ts<Inspection>, JsValue> {
        ts(&self.inner.inspection())
    }

    /// A graph as text: `format` is `dot` or `mermaid`; `view` is `tasks`, `agencies` or
    /// `documents`.
    pub fn graph(&self, format: &str, view: &str) -> Result<String, JsValue> {
        let format = match format {
            "dot" => GraphFormat::Dot,
            "mermaid" => GraphFormat::Mermaid,
            other => {
                return Err(simple_error(
                    "invalid_argument",
                    format!("unknown graph format `{other}` (use `dot` or `mermaid`)"),
                ));
            }
        };
        let view = match view {
            "tasks" => GraphView::Tasks,
            "agencies" => GraphView::Agencies,
            "documents" => GraphView::Documents,
            other => {
                return Err(simple_error(
                    "invalid_argument",
                    format!(
                        "unknown graph view `{other}` (use `tasks`, `agencies` or `documents`)"
                    ),
                ));
            }
        };
        Ok(directrix_core::render_graph(&self.inner, view, format))
    }

    /// The dense index of an agency, for `Instance.actByIndex`.
    #[wasm_bindgen(js_name = agencyIndex)]
    pub fn agency_index(&self, id: &str) -> Result<u32, JsValue> {
        self.inner
            .agency_id(id)
            .map(|a| a.index() as u32)
            .ok_or_else(|| simple_error("unknown_agency", format!("unknown agency `{id}`")))
    }

    /// The dense index of a task instance (`task` or `task[member]`), for
    /// `Instance.actByIndex`.
    #[wasm_bindgen(js_name = taskIndex)]
    pub fn task_index(&self, name: &str) -> Result<u32, JsValue> {
        self.inner
            .instance_id(name)
            .map(|t| t.index() as u32)
            .ok_or_else(|| simple_error("unknown_task", format!("unknown task `{name}`")))
    }

    /// The dense index of an action name, for `Instance.actByIndex`.
    #[wasm_bindgen(js_name = actionIndex)]
    pub fn action_index(&self, name: &str) -> Result<u32, JsValue> {
        self.inner
            .action_id(name)
            .map(|a| a.index() as u32)
            .ok_or_else(|| simple_error("unknown_action", format!("unknown action `{name}`")))
    }

    /// A time (ISO 8601) as seconds since the Unix epoch, for `Instance.actByIndex`.
    #[wasm_bindgen(js_name = timeSeconds)]
    pub fn time_seconds(&self, at: &str) -> Result<f64, JsValue> {
        Ok(parse_time(&self.inner, at, "time")?.as_seconds() as f64)
    }

    /// Starts an instance at `at` (ISO 8601); omitted, at the directive's issue time.
    pub fn start(&self, at: Option<String>) -> Result<StartedInstance, JsValue> {
        let at = match at {
            Some(text) => parse_time(&self.inner, &text, "start")?,
            None => self.inner.directive().issued_at,
        };
        let (instance, effects) = Instance::start(Arc::clone(&self.inner), at);
        let effects = records(&self.inner, &effects);
        Ok(StartedInstance {
            instance: Some(WorkflowInstance {
                inner: instance,
                last: Vec::new(),
            }),
            effects: Some(effects),
        })
    }
}

fn records(workflow: &CoreWorkflow, effects: &[directrix_core::Effect]) -> Vec<EffectRecord> {
    effects.iter().map(|e| workflow.effect_record(e)).collect()
}

/// The result of `Workflow.start`: the instance and the effects of starting.
#[wasm_bindgen]
pub struct StartedInstance {
    instance: Option<WorkflowInstance>,
    effects: Option<Vec<EffectRecord>>,
}

#[wasm_bindgen]
impl StartedInstance {
    /// The instance (can be taken once).
    #[wasm_bindgen(getter)]
    pub fn instance(&mut self) -> Result<WorkflowInstance, JsValue> {
        self.instance
            .take()
            .ok_or_else(|| simple_error("taken", "the instance was already taken"))
    }

    /// The effects of starting (can be taken once).
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
}

#[wasm_bindgen(js_class = Instance)]
impl WorkflowInstance {
    /// `actor` performs `action` on `task` at `at`. Call `advance(at)` first when timers
    /// may be due. Returns the effects; throws (and changes nothing) when refused.
    pub fn act(&mut self, request: Ts<ActRequest>) -> Result<Ts<Effects>, JsValue> {
        let request: ActRequest = from_js(request.into(), "act request", "invalid_argument")?;
        let workflow = Arc::clone(self.inner.workflow());
        let at = parse_time(&workflow, &request.at, "at")?;
        let until = request
            .until
            .as_deref()
            .map(|until| parse_time(&workflow, until, "until"))
            .transpose()?;
        let (actor, task, action) = workflow
            .resolve_act(&request.actor, &request.task, &request.action)
            .map_err(act_error)?;
        let args = directrix_core::ActArgs {
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
        actor: u32,
        task: u32,
        action: u32,
    ) -> Result<u32, JsValue> {
        let at = epoch_seconds(at_seconds)?;
        let (actor, task, action) = (
            directrix_core::AgencyId::from_index(actor),
            directrix_core::InstanceId::from_index(task),
            directrix_core::ActionId::from_index(action),
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
    pub fn act_batch(&mut self, at_seconds: f64, events: &[u32]) -> Result<u32, JsValue> {
        let at = epoch_seconds(at_seconds)?;
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
                    directrix_core::AgencyId::from_index(event[0]),
                    directrix_core::InstanceId::from_index(event[1]),
                    directrix_core::ActionId::from_index(event[2]),
                    None,
                    &mut self.last,
                )
                .map_err(|error| {
                    simple_error(error.code(), format!("event {position}: {error}"))
                })?;
        }
        Ok(self.last.len() as u32)
    }

    /// The effects of the last `actByIndex` or `actBatch`, as records.
    #[wasm_bindgen(js_name = lastEffects)]
    pub fn last_effects(&self) -> Result<Ts<Effects>, JsValue> {
        ts(&Effects(records(self.inner.workflow(), &self.last)))
    }

    /// Moves time to `to`, firing every timer due until then; returns the effects.
    pub fn advance(&mut self, to: &str) -> Result<Ts<Effects>, JsValue> {
        let workflow = Arc::clone(self.inner.workflow());
        let to = parse_time(&workflow, to, "advance")?;
        let effects = self.inner.advance(to).map_err(act_error)?;
        ts(&Effects(records(&workflow, &effects)))
    }

    /// When to call `advance` next and why, or `undefined` when nothing is pending.
    #[wasm_bindgen(js_name = nextTimer)]
    pub fn next_timer(&self) -> Result<Option<Ts<NextTimer>>, JsValue> {
        let Some(next) = self.inner.next_timer() else {
            return Ok(None);
        };
        let workflow = self.inner.workflow();
        let (reason, level) = match next.reason {
            directrix_core::TimerReason::Start => ("start", None),
            directrix_core::TimerReason::Due => ("due", None),
            directrix_core::TimerReason::Escalation { level } => ("escalation", Some(level)),
            directrix_core::TimerReason::Timed { .. } => ("timed", None),
        };
        let view = NextTimer {
            at: workflow.format_time(next.at),
            task: workflow.instance(next.task).name.clone(),
            reason: reason.to_owned(),
            level,
        };
        Ok(Some(ts(&view)?))
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
            .map(|t| workflow.instance(*t).name.clone())
            .collect();
        ts(&Names(names))
    }

    /// What `agency` may do now.
    pub fn inbox(&self, agency: &str) -> Result<Ts<Inbox>, JsValue> {
        let workflow = self.inner.workflow();
        let id = workflow.agency_id(agency).ok_or_else(|| {
            act_error(ActError::UnknownAgency {
                name: agency.to_owned(),
                hint: directrix_core::did_you_mean(
                    agency,
                    workflow.agencies().iter().map(|a| a.id.as_str()),
                )
                .map(|s| format!("did you mean `{s}`?")),
            })
        })?;
        let entries = self
            .inner
            .inbox(id)
            .iter()
            .map(|item| {
                let slot = workflow.instance(item.task);
                InboxEntry {
                    task: slot.name.clone(),
                    title: workflow.task(slot.task).title.clone(),
                    action: workflow.action_name(item.action).to_owned(),
                    to: workflow.machine_of(item.task).states[item.to.index()]
                        .id
                        .clone(),
                    needs_note: item.needs_note,
                    needs_until: item.needs_until,
                }
            })
            .collect();
        ts(&Inbox(entries))
    }

    /// The tracking grid now: per lead agency and in total, done on time / late, open
    /// in time / overdue, due within 3 days.
    pub fn grid(&self) -> Result<Ts<directrix_core::Grid>, JsValue> {
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

    /// Rebuilds an instance of `workflow` from a snapshot.
    pub fn restore(workflow: &Workflow, snapshot: JsValue) -> Result<WorkflowInstance, JsValue> {
        let snapshot: Snapshot = from_js(snapshot, "not a directrix snapshot", "invalid_snapshot")?;
        let inner = Instance::restore(Arc::clone(&workflow.inner), snapshot)
            .map_err(|e| simple_error("invalid_snapshot", e.to_string()))?;
        Ok(WorkflowInstance {
            inner,
            last: Vec::new(),
        })
    }
}

fn run_simulation(
    workflow_source: &str,
    scenario_source: Option<String>,
    seed: f64,
    until: Option<String>,
    calendars: JsValue,
) -> Result<SimulationReport, JsValue> {
    // Seeds cross as JS numbers: only whole numbers a double holds exactly are accepted.
    const MAX_SAFE: f64 = 9_007_199_254_740_991.0;
    if !(seed.is_finite() && seed.fract() == 0.0 && (0.0..=MAX_SAFE).contains(&seed)) {
        return Err(simple_error(
            "invalid_argument",
            format!("seed must be a whole number from 0 to 2^53 - 1, not {seed}"),
        ));
    }
    let options = load_options(calendars)?;
    let workflow = Arc::new(
        directrix_core::load_with(workflow_source, &options)
            .map_err(load_error)?
            .workflow,
    );
    let scenario = match scenario_source {
        Some(source) => Scenario::load(&source, &workflow).map_err(load_error)?.0,
        None => Scenario::silent(&workflow),
    };
    let until = until
        .map(|t| parse_time(&workflow, &t, "until"))
        .transpose()?;
    Ok(directrix_core::simulate(workflow, &scenario, seed as u64, until).report())
}

#[wasm_bindgen]
/// Runs a scenario (RON text; omitted, nobody acts for 14 days) and returns the report
/// as a plain object, the same data as `directrix simulate --format json`.
pub fn simulate(
    workflow: &str,
    scenario: Option<String>,
    seed: f64,
    until: Option<String>,
    #[wasm_bindgen(unchecked_param_type = "Record<string, string> | undefined")] calendars: JsValue,
) -> Result<Ts<SimulationReport>, JsValue> {
    ts(&run_simulation(workflow, scenario, seed, until, calendars)?)
}

/// Like `simulate`, as the exact JSON text `directrix simulate --format json` prints
/// (without the final newline).
#[wasm_bindgen(js_name = simulateJson)]
pub fn simulate_json(
    workflow: &str,
    scenario: Option<String>,
    seed: f64,
    until: Option<String>,
    #[wasm_bindgen(unchecked_param_type = "Record<string, string> | undefined")] calendars: JsValue,
) -> Result<String, JsValue> {
    let report = run_simulation(workflow, scenario, seed, until, calendars)?;
    serde_json::to_string_pretty(&report).map_err(|e| simple_error("serialization", e.to_string()))
}
