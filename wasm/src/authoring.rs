//! The authoring half of the bindings: everything that needs the RON front end (parsing,
//! validation and its diagnostics, inspection, simulation, follow-ups, migration) and
//! `compile`, which produces what the runtime module loads. Built with the `authoring`
//! feature (the default); the runtime module (`--no-default-features`) leaves it out.

use super::{
    MAX_SAFE, Workflow, WorkflowInstance, apply_limits, describe, from_js, invalid_argument,
    known_keys, optional_string_arg, parse_time, simple_error, snapshot_arg, take_instance, throw,
    to_js, ts,
};
use directrix_core::{
    Diagnostic, Instance, Limits, LoadError, Scenario, SimulateError, inspect::Inspection,
    instance::MigrateError, instance::MigrationProblem, instance::MigrationReport,
    simulation::SimulationReport,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use tsify::{Ts, Tsify};
use wasm_bindgen::prelude::*;

/// Extra fields of a thrown error.
#[derive(Serialize, Default)]
struct ErrorDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    diagnostics: Vec<Diagnostic>,
    /// For `migration_refused`: every task instance that cannot be mapped.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    problems: Vec<MigrationProblem>,
    /// For a run stopped by a limit (`too_many_effects`, `too_many_timers`): its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<&'static str>,
}

/// A `DirectrixError` carrying `details`.
fn throw_with(code: &str, message: &str, details: &ErrorDetails) -> JsValue {
    throw(code, message, to_js(details).unwrap_or(JsValue::UNDEFINED))
}

/// Diagnostics as JS shows them: the core words a `limit-exceeded` hint for the CLI and
/// Rust hosts (`--limit NAME=N`, `LoadOptions::with_limits`); here a limit is raised with
/// the `limits` option, so the hint shows that.
fn for_js(mut diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    for d in &mut diagnostics {
        if d.code != directrix_core::Code::LimitExceeded {
            continue;
        }
        let raise = d
            .hint
            .as_deref()
            .and_then(|hint| hint.split_once("`--limit "))
            .and_then(|(_, rest)| rest.split_once('`'))
            .and_then(|(arg, _)| arg.split_once('='))
            .map(|(name, value)| (name.to_owned(), value.to_owned()));
        if let Some((name, value)) = raise {
            d.hint = Some(format!(
                "raise the `{name}` limit if this is intended (`{{ limits: {{ \"{name}\": {value} }} }}`)"
            ));
        }
    }
    diagnostics
}

fn load_error(error: LoadError) -> JsValue {
    let error = LoadError {
        diagnostics: for_js(error.diagnostics),
    };
    let first = error.diagnostics.iter().find(|d| d.is_error());
    let code = first.map_or("invalid", |d| d.code.as_str());
    let details = ErrorDetails {
        line: first.and_then(|d| d.location).map(|l| l.line),
        column: first.and_then(|d| d.location).map(|l| l.column),
        diagnostics: error.diagnostics.clone(),
        ..ErrorDetails::default()
    };
    throw_with(code, &error.to_string(), &details)
}

/// A failed run: its code, the message with the fix in the options' terms for a limit
/// (`limit` names it), and for a refused follow-up the document's located diagnostics.
fn simulate_error(error: &SimulateError) -> JsValue {
    let mut message = error.to_string();
    let limit = error.limit().map(|(name, value)| {
        message.push_str(&format!(
            " To raise it: `{{ limits: {{ \"{name}\": {value} }} }}` in the options."
        ));
        name
    });
    let diagnostics = match error {
        SimulateError::FollowUpRefused { error, .. } => error.diagnostics().to_vec(),
        _ => Vec::new(),
    };
    let details = ErrorDetails {
        diagnostics,
        limit,
        ..ErrorDetails::default()
    };
    throw_with(error.code(), &message, &details)
}

fn migrate_error(error: MigrateError) -> JsValue {
    let problems = match &error {
        MigrateError::Refused(problems) => problems.clone(),
        _ => Vec::new(),
    };
    let details = ErrorDetails {
        problems,
        ..ErrorDetails::default()
    };
    throw_with(error.code(), &error.to_string(), &details)
}

/// A RON text argument. `Err(diagnostic)` when it is over the `input-bytes` limit in
/// UTF-16 units already (each is at least one UTF-8 byte): then it is never copied into
/// the module, so a text of any size is `limit-exceeded`, not an out-of-memory abort.
/// Texts under that bound are checked exactly by the core.
fn source_arg(
    value: &JsValue,
    what: &str,
    limits: &Limits,
) -> Result<Result<String, Diagnostic>, JsValue> {
    let Some(text) = value.dyn_ref::<js_sys::JsString>() else {
        return Err(invalid_argument(format!(
            "{what} must be a string of RON, not {}",
            describe(value)
        )));
    };
    let units = u64::from(text.length());
    if units > limits.input_bytes {
        return Ok(Err(Diagnostic {
            severity: directrix_core::Severity::Error,
            code: directrix_core::Code::LimitExceeded,
            message: format!(
                "the {what} is at least {units} bytes, more than the `input-bytes` limit of {}",
                limits.input_bytes
            ),
            span: None,
            location: None,
            hint: Some(format!(
                "raise the `input-bytes` limit if this is intended (`{{ limits: {{ \"input-bytes\": {units} }} }}`)"
            )),
            origin: None,
        }));
    }
    Ok(Ok(String::from(text)))
}

/// A source text, or the `limit-exceeded` error thrown.
fn source_or_throw(value: &JsValue, what: &str, limits: &Limits) -> Result<String, JsValue> {
    source_arg(value, what, limits)?.map_err(|diagnostic| {
        load_error(LoadError {
            diagnostics: vec![diagnostic],
        })
    })
}

/// The options of `Workflow.parse`, `Workflow.check`, `simulate` and `simulateJson`.
#[derive(Deserialize, Tsify, Default)]
#[serde(deny_unknown_fields)]
pub struct ParseOptions {
    /// The shared calendars the workflow names (`calendar: (use: [NAME])`), as
    /// `{ name: ronText }`.
    #[serde(default)]
    #[tsify(optional)]
    pub calendars: Option<BTreeMap<String, String>>,
    /// The shared agency registries the workflow names (`agencies: (use: [NAME], ...)`),
    /// as `{ name: ronText }`.
    #[serde(default)]
    #[tsify(optional)]
    pub registries: Option<BTreeMap<String, String>>,
    /// Resource limits to change, by name (`{ "input-bytes": 33554432 }`); the others keep
    /// their defaults (README, "Resource limits").
    #[serde(default)]
    #[tsify(optional, type = "Partial<Record<LimitName, number>>")]
    pub limits: Option<BTreeMap<String, f64>>,
    /// `simulate` and `simulateJson` only: the follow-up documents a scenario applies
    /// (`follow_up: "NAME"` events), as `{ NAME: ronText }`.
    #[serde(default, rename = "followUps")]
    #[tsify(optional)]
    pub follow_ups: Option<BTreeMap<String, String>>,
}

/// `ParseOptions` from JS (`undefined` or `null` for the defaults) as the core's.
fn load_options(options: JsValue) -> Result<directrix_core::LoadOptions, JsValue> {
    Ok(simulation_options(options, false)?.0)
}

/// `ParseOptions` as the core's load options and, for a simulation, the follow-up texts.
fn simulation_options(
    options: JsValue,
    simulation: bool,
) -> Result<(directrix_core::LoadOptions, BTreeMap<String, String>), JsValue> {
    let mut out = directrix_core::LoadOptions::default();
    if options.is_undefined() || options.is_null() {
        return Ok((out, BTreeMap::new()));
    }
    // serde reads an array as a struct's fields in order: refuse it first.
    if !options.is_object() || js_sys::Array::is_array(&options) {
        return Err(invalid_argument(format!(
            "options must be an object `{{ calendars?, registries?, limits? }}`, not {}",
            describe(&options)
        )));
    }
    let keys: &[&str] = if simulation {
        &["calendars", "registries", "limits", "followUps"]
    } else {
        &["calendars", "registries", "limits"]
    };
    known_keys(&options, keys, "options")?;
    let options: ParseOptions = from_js(options, "options", "invalid_argument")?;
    for (name, text) in options.calendars.unwrap_or_default() {
        out = out.with_calendar(name, text);
    }
    for (name, text) in options.registries.unwrap_or_default() {
        out = out.with_registry(name, text);
    }
    apply_limits(&mut out.limits, options.limits.unwrap_or_default())?;
    Ok((out, options.follow_ups.unwrap_or_default()))
}

/// Every diagnostic of a file.
#[derive(Serialize, Tsify)]
#[serde(transparent)]
pub struct Diagnostics(Vec<Diagnostic>);

#[wasm_bindgen]
impl Workflow {
    /// Parses and validates RON text. Throws a `DirectrixError` whose `diagnostics` lists
    /// every problem, and whose `line`/`column` locate the first. `options.calendars`
    /// supplies the shared calendars the workflow names (`{ name: ronText }`),
    /// `options.limits` changes resource limits by name.
    pub fn parse(
        #[wasm_bindgen(unchecked_param_type = "string")] source: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ParseOptions")] options: JsValue,
    ) -> Result<Workflow, JsValue> {
        let options = load_options(options)?;
        let source = source_or_throw(&source, "workflow text", &options.limits)?;
        let loaded = directrix_core::load_with(&source, &options).map_err(load_error)?;
        Ok(Workflow {
            inner: Arc::new(loaded.workflow),
            warnings: loaded.warnings,
        })
    }

    /// Every diagnostic of a RON text, errors and warnings. Throws only for arguments
    /// that are not a string and `ParseOptions`.
    pub fn check(
        #[wasm_bindgen(unchecked_param_type = "string")] source: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ParseOptions")] options: JsValue,
    ) -> Result<Ts<Diagnostics>, JsValue> {
        let options = load_options(options)?;
        let diagnostics = match source_arg(&source, "workflow text", &options.limits)? {
            Ok(source) => for_js(directrix_core::check_with(&source, &options)),
            Err(diagnostic) => vec![diagnostic],
        };
        ts(&Diagnostics(diagnostics))
    }

    /// The warnings found while loading.
    #[wasm_bindgen(getter)]
    pub fn warnings(&self) -> Result<Ts<Diagnostics>, JsValue> {
        ts(&Diagnostics(self.warnings.clone()))
    }

    /// The compiled form, for `Workflow.fromCompiled` (of the runtime module above all):
    /// versioned bytes, the same as `directrix compile` writes.
    pub fn compile(&self) -> Vec<u8> {
        self.inner.to_compiled()
    }

    /// Metadata, agencies, groups, tasks with planned times and the deadline analysis
    /// (`earliest_start`, `earliest_completion`, each task's `critical_path`), and the
    /// planned critical path.
    pub fn inspect(&self) -> Result<Ts<Inspection>, JsValue> {
        ts(&self.inner.inspection())
    }
}

#[wasm_bindgen(js_class = Instance)]
impl WorkflowInstance {
    /// Moves a snapshot taken with `oldWorkflow` onto `newWorkflow`, another version of
    /// the same directive, mapping task instances, states and agencies by id. Returns the
    /// instance and the `MigrationReport`. Refused (`migration_refused`, every problem
    /// in the error's `problems`) when a running task is in a state the new version
    /// cannot hold; nothing changes then.
    pub fn migrate(
        old_workflow: &Workflow,
        new_workflow: &Workflow,
        snapshot: JsValue,
    ) -> Result<MigratedInstance, JsValue> {
        let snapshot = snapshot_arg(snapshot)?;
        let (inner, report) = Instance::migrate(
            &old_workflow.inner,
            Arc::clone(&new_workflow.inner),
            snapshot,
        )
        .map_err(migrate_error)?;
        Ok(MigratedInstance {
            instance: Some(WorkflowInstance {
                inner,
                last: Vec::new(),
            }),
            report,
        })
    }
}

/// The result of `Instance.migrate`: the instance and what the migration did.
#[wasm_bindgen]
pub struct MigratedInstance {
    instance: Option<WorkflowInstance>,
    report: MigrationReport,
}

#[wasm_bindgen]
impl MigratedInstance {
    /// The instance (can be taken once).
    #[wasm_bindgen(getter)]
    pub fn instance(&mut self) -> Result<WorkflowInstance, JsValue> {
        take_instance(&mut self.instance)
    }

    /// What the migration did: versions, kept, added, removed and changed task instances.
    #[wasm_bindgen(getter)]
    pub fn report(&self) -> Result<Ts<MigrationReport>, JsValue> {
        ts(&self.report)
    }
}

fn run_simulation(
    workflow_source: &JsValue,
    scenario_source: &JsValue,
    seed: &JsValue,
    until: &JsValue,
    options: JsValue,
) -> Result<SimulationReport, JsValue> {
    // Seeds cross as JS numbers: only whole numbers a double holds exactly are accepted.
    let seed = match seed.as_f64() {
        Some(seed)
            if seed.is_finite() && seed.fract() == 0.0 && (0.0..=MAX_SAFE).contains(&seed) =>
        {
            seed as u64
        }
        _ => {
            return Err(invalid_argument(format!(
                "seed must be a whole number from 0 to 2^53 - 1, not {}",
                describe(seed)
            )));
        }
    };
    let (options, follow_ups) = simulation_options(options, true)?;
    let workflow_source = source_or_throw(workflow_source, "workflow text", &options.limits)?;
    let scenario_source = if scenario_source.is_undefined() || scenario_source.is_null() {
        None
    } else {
        Some(source_or_throw(
            scenario_source,
            "scenario text",
            &options.limits,
        )?)
    };
    let until = optional_string_arg(until, "until")?;
    let workflow = Arc::new(
        directrix_core::load_with(&workflow_source, &options)
            .map_err(load_error)?
            .workflow,
    );
    let scenario = match scenario_source {
        Some(source) => {
            Scenario::load_with(&source, &workflow, &follow_ups)
                .map_err(load_error)?
                .0
        }
        None => Scenario::silent(&workflow),
    };
    let until = until
        .map(|t| parse_time(&workflow, &t, "until"))
        .transpose()?;
    directrix_core::simulate(workflow, &scenario, seed, until)
        .map(|run| run.report())
        .map_err(|e| simulate_error(&e))
}

#[wasm_bindgen]
/// Runs a scenario (RON text; omitted, nobody acts for 14 days) and returns the report
/// as a plain object, the same data as `directrix simulate --format json`. `until`, if
/// given, must not lie before the scenario's start (`horizon_before_start`); a run that
/// produces more effects than the `effects-per-run` limit before its horizon throws
/// `too_many_effects` (raise it with `{ limits: { "effects-per-run": N } }`), and a
/// follow-up the running instance refuses throws `follow_up_refused`.
pub fn simulate(
    #[wasm_bindgen(unchecked_param_type = "string")] workflow: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | null | undefined")] scenario: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] seed: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "string | null")] until: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "ParseOptions")] options: JsValue,
) -> Result<Ts<SimulationReport>, JsValue> {
    ts(&run_simulation(
        &workflow, &scenario, &seed, &until, options,
    )?)
}

/// Like `simulate`, as the exact JSON text `directrix simulate --format json` prints
/// (without the final newline).
#[wasm_bindgen(js_name = simulateJson)]
pub fn simulate_json(
    #[wasm_bindgen(unchecked_param_type = "string")] workflow: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | null | undefined")] scenario: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] seed: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "string | null")] until: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "ParseOptions")] options: JsValue,
) -> Result<String, JsValue> {
    let report = run_simulation(&workflow, &scenario, &seed, &until, options)?;
    serde_json::to_string_pretty(&report).map_err(|e| simple_error("serialization", e.to_string()))
}
