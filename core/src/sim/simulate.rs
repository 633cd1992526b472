//! Scenarios: scripted events that drive one instance through virtual time.

use crate::engine::record::{EffectRecord, StatusRecord};
use crate::engine::{ActArgs, ActError, Effect, EffectKind, FollowUpError, Instance};
use crate::front::compile::parse_time_at;
use crate::front::load::{LoadError, parse_ron};
use crate::front::reporter::Reporter;
use crate::model::diagnostic::{Code, Diagnostic, Severity};
use crate::model::spec::{FORMAT_VERSION, ScenarioSpec};
use crate::model::time::Timestamp;
use crate::model::workflow::{ActionId, AgencyId, TaskRef, Workflow};
use crate::sim::behaviour::{Agent, Behaviours};
use serde::Serialize;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

/// A validated scenario for one workflow.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Short name.
    pub name: String,
    /// What it shows.
    pub description: Option<String>,
    /// Instance start.
    pub start: Timestamp,
    /// Horizon.
    pub until: Timestamp,
    /// Scripted actions in run order (time, then file order).
    pub events: Vec<ScriptedEvent>,
    /// Follow-up documents applied, in run order; at one instant, before the actions.
    pub follow_ups: Vec<ScriptedFollowUp>,
    /// Modelled agencies: they act on their own, drawing delays from the run's seed.
    pub behaviours: Behaviours,
}

/// A scripted action, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptedEvent {
    /// When.
    pub at: Timestamp,
    /// Who.
    pub actor: AgencyId,
    /// On what.
    pub task: TaskRef,
    /// Which action.
    pub action: ActionId,
    /// Note.
    pub note: Option<String>,
    /// For an extension request: the due time asked for.
    pub until: Option<Timestamp>,
}

/// A follow-up document a scenario applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptedFollowUp {
    /// When.
    pub at: Timestamp,
    /// Its name in the scenario.
    pub name: String,
    /// Its text.
    pub text: String,
}

/// How long a run without a scenario lasts.
const SILENT_HORIZON_DAYS: i64 = 14;

impl Scenario {
    /// The scenario in which nobody acts, from the issue time for 14 days: it shows which
    /// deadlines pass and how escalation unfolds when every agency stays silent.
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// let silence = directrix_core::Scenario::silent(&workflow);
    /// assert!(silence.events.is_empty());
    /// assert_eq!(silence.until.since(silence.start).as_seconds(), 14 * 86_400);
    /// ```
    pub fn silent(workflow: &Workflow) -> Self {
        let start = workflow.directive.issued_at;
        Self {
            name: "silence (no scenario: nobody acts)".to_owned(),
            description: None,
            start,
            until: start.saturating_add(crate::Span::from_seconds(SILENT_HORIZON_DAYS * 86_400)),
            events: Vec::new(),
            follow_ups: Vec::new(),
            behaviours: Behaviours::default(),
        }
    }

    /// Parses and validates a scenario against `workflow`; returns it with its warnings.
    ///
    /// # Errors
    /// A [`LoadError`] with every problem: RON syntax, unknown agencies, tasks and actions
    /// (with suggestions), invalid times, a start before the directive's issue, events
    /// before the start or after `until`.
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// let source = include_str!("../../../workflows/kien-xuong-114-cv-hu.scenario.ron");
    /// let (scenario, _warnings) = directrix_core::Scenario::load(source, &workflow).unwrap();
    /// assert!(scenario.until > scenario.start);
    /// ```
    pub fn load(source: &str, workflow: &Workflow) -> Result<(Self, Vec<Diagnostic>), LoadError> {
        Self::load_with(source, workflow, &BTreeMap::new())
    }

    /// [`Scenario::load`] with the texts of the follow-up documents its events apply
    /// (`follow_up: "NAME"`), by name; the core reads no files, so the host supplies them
    /// (the CLI reads each from the file of that name beside the scenario). Each text is
    /// checked against the workflow as amended by the follow-ups before it, and the
    /// actions after it are resolved against the amended workflow.
    ///
    /// # Errors
    /// As [`Scenario::load`]; also `unknown-follow-up` for a name not supplied, and a
    /// follow-up's own first error, reported at its event.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// let source = include_str!("../../../workflows/kien-xuong-114-cv-hu.followup.scenario.ron");
    /// let texts = BTreeMap::from([(
    ///     "kien-xuong-114-cv-hu.120.followup.ron".to_owned(),
    ///     include_str!("../../../workflows/kien-xuong-114-cv-hu.120.followup.ron").to_owned(),
    /// )]);
    /// let (scenario, _) = directrix_core::Scenario::load_with(source, &workflow, &texts).unwrap();
    /// assert_eq!(scenario.follow_ups.len(), 1);
    /// assert!(directrix_core::Scenario::load(source, &workflow).is_err());
    /// ```
    pub fn load_with(
        source: &str,
        workflow: &Workflow,
        texts: &BTreeMap<String, String>,
    ) -> Result<(Self, Vec<Diagnostic>), LoadError> {
        let mut spec: ScenarioSpec =
            parse_ron(source, &workflow.limits).map_err(|d| LoadError {
                diagnostics: vec![d],
            })?;
        crate::front::nfc::scenario(&mut spec);
        let mut r = Reporter::new(source);
        let (start, until) = scenario_span(&mut r, &spec, workflow, source);
        // First every event's time and the spans of its fields, in file order ...
        let located = locate_events(&mut r, &spec, workflow, source, (start, until));
        // ... then resolved in run order (time; at one instant follow-ups first, then file
        // order), each against the workflow as amended by the follow-ups before it.
        let (mut events, follow_ups) = resolve_events(&mut r, &spec, workflow, texts, &located);
        let behaviours =
            crate::sim::behaviour::compile(&mut r, &spec.behaviours, workflow, source.len());
        if spec.events.is_empty() && spec.behaviours.is_empty() {
            let at = r.locator.field("events").map(|s| s..s + 6);
            r.warning(
                Code::EmptyScenario,
                at,
                "the scenario scripts no events; only timers will fire".to_owned(),
            );
        }
        if r.has_errors() {
            return Err(LoadError {
                diagnostics: r.finish(),
            });
        }
        // Run order: time, ties in file order.
        events.sort_by_key(|(i, e)| (e.at, *i));
        let events = events.into_iter().map(|(_, e)| e).collect();
        Ok((
            Self {
                name: spec.name,
                description: spec.description,
                start,
                until,
                events,
                follow_ups,
                behaviours,
            },
            r.finish(),
        ))
    }
}

/// A scripted event with its time and the spans of its `actor`, `task`, `action` and
/// `follow_up` fields.
struct Located<'e> {
    event: &'e crate::model::spec::EventSpec,
    at: Timestamp,
    until: Option<Timestamp>,
    fields: [Option<Range<usize>>; 4],
}

/// The scenario's format, `start` and `until`, checked.
fn scenario_span(
    r: &mut Reporter<'_>,
    spec: &ScenarioSpec,
    workflow: &Workflow,
    source: &str,
) -> (Timestamp, Timestamp) {
    let offset = workflow.calendar.offset();
    if spec.format != FORMAT_VERSION {
        let at = r.locator.field("format").map(|s| s..s + 6);
        r.error(
            Code::UnsupportedFormat,
            at,
            format!("scenario format {} is not supported (this directrix reads format {FORMAT_VERSION})", spec.format),
        );
    }
    let issued_at = workflow.directive.issued_at;
    let start = match &spec.start {
        Some(text) => {
            let at = r.locator.field_string_in("start", 0..source.len());
            let start = parse_time_at(r, text, offset, at.clone()).unwrap_or(issued_at);
            // A directive runs from its issue on; tasks that began before the letter
            // say so with their own `start`, which the engine honours.
            if start < issued_at {
                r.error_hint(
                    Code::StartsBeforeIssue,
                    at,
                    format!(
                        "the scenario starts at {}, before directive {} was issued at {}",
                        workflow.format_time(start),
                        workflow.directive.number,
                        workflow.format_time(issued_at)
                    ),
                    Some(format!(
                        "start at or after the issue (`start: \"{}\"`); a task that began earlier says so with its own `start`",
                        workflow.format_time(issued_at)
                    )),
                );
            }
            start
        }
        None => issued_at,
    };
    let until_at = r.locator.field_string_in("until", 0..source.len());
    let until = parse_time_at(r, &spec.until, offset, until_at.clone()).unwrap_or(start);
    if until < start {
        r.error(
            Code::EventBeforeStart,
            until_at,
            format!(
                "the scenario ends at {} before it starts at {}",
                workflow.format_time(until),
                workflow.format_time(start)
            ),
        );
    }
    (start, until)
}

/// Every event with a time, in file order, its fields located and checked.
fn locate_events<'e>(
    r: &mut Reporter<'_>,
    spec: &'e ScenarioSpec,
    workflow: &Workflow,
    source: &str,
    (start, until): (Timestamp, Timestamp),
) -> Vec<Located<'e>> {
    let offset = workflow.calendar.offset();
    let mut located = Vec::new();
    let mut from = r.locator.field("events").unwrap_or(0);
    for event in &spec.events {
        let span = r.locator.keyed("at", &event.at, from, 0);
        if let Some(span) = &span {
            from = span.end;
        }
        let item = span.clone().map(|s| s.start..source.len());
        let locate = |r: &Reporter<'_>, field: &str| {
            item.clone()
                .and_then(|i| r.locator.field_string_in(field, i))
                .or(span.clone())
        };
        let at = parse_time_at(r, &event.at, offset, span.clone());
        if let Some(at) = at.filter(|&at| at < start) {
            r.error(
                Code::EventBeforeStart,
                span.clone(),
                format!(
                    "event at {} comes before the scenario starts at {}",
                    workflow.format_time(at),
                    workflow.format_time(start)
                ),
            );
        }
        if let Some(at) = at.filter(|&at| at > until && until >= start) {
            r.error_hint(
                Code::EventAfterEnd,
                span.clone(),
                format!(
                    "event at {} comes after the scenario ends at {}",
                    workflow.format_time(at),
                    workflow.format_time(until)
                ),
                Some("move `until` past it, or drop the event (it would never run)".to_owned()),
            );
        }
        let until = event.until.as_ref().and_then(|until| {
            let span = locate(r, "until");
            parse_time_at(r, until, offset, span)
        });
        let document = match (&event.follow_up, &event.attach) {
            (None, Some(_)) => "attach",
            _ => "follow_up",
        };
        let fields = ["actor", "task", "action", document].map(|f| locate(r, f));
        let act = [&event.actor, &event.task, &event.action];
        match event.document() {
            Some(_) if act.iter().any(|f| !f.is_empty()) => r.error_hint(
                Code::IncompleteEvent,
                fields[3].clone(),
                "an event applies a follow-up document or scripts an action, not both".to_owned(),
                Some("split it into two events".to_owned()),
            ),
            None if act.iter().any(|f| f.is_empty()) => r.error_hint(
                Code::IncompleteEvent,
                span.clone(),
                "the event names no follow-up and not all of `actor`, `task` and `action`"
                    .to_owned(),
                Some("add the missing fields, or `follow_up: \"NAME\"`".to_owned()),
            ),
            _ => {}
        }
        if let Some(at) = at {
            located.push(Located {
                event,
                at,
                until,
                fields,
            });
        }
    }
    located
}

/// The events resolved to indices and the follow-up documents applied, in run order.
fn resolve_events(
    r: &mut Reporter<'_>,
    spec: &ScenarioSpec,
    workflow: &Workflow,
    texts: &BTreeMap<String, String>,
    located: &[Located<'_>],
) -> (Vec<(usize, ScriptedEvent)>, Vec<ScriptedFollowUp>) {
    let mut order: Vec<usize> = (0..located.len()).collect();
    order.sort_by_key(|&i| (located[i].at, located[i].event.document().is_none(), i));
    let mut amended: Option<Workflow> = None;
    let mut events = Vec::new();
    let mut follow_ups = Vec::new();
    for i in order {
        let Located {
            event,
            at,
            until,
            fields,
        } = &located[i];
        let current = amended.as_ref().unwrap_or(workflow);
        if let Some(name) = event.document() {
            let span = fields[3].clone();
            if !spec.behaviours.is_empty() {
                r.error_hint(
                    Code::FollowUpWithBehaviours,
                    span.clone(),
                    "a scenario with `behaviours` cannot apply follow-up documents yet".to_owned(),
                    Some(
                        "script the agencies' actions as events, or drop the follow-up".to_owned(),
                    ),
                );
            }
            let Some(text) = texts.get(name) else {
                let hint = crate::model::diagnostic::suggestion(name, texts.keys().map(String::as_str))
                    .or(Some("the host supplies follow-up texts by name (the CLI reads the file of that name beside the scenario)".to_owned()));
                r.error_hint(
                    Code::UnknownFollowUp,
                    span,
                    format!("unknown follow-up document `{name}`"),
                    hint,
                );
                continue;
            };
            match current.amend(text) {
                Ok(next) => {
                    follow_ups.push(ScriptedFollowUp {
                        at: *at,
                        name: name.clone(),
                        text: text.clone(),
                    });
                    amended = Some(next.workflow);
                }
                Err(error) => {
                    let first = error.diagnostics().iter().find(|d| d.is_error());
                    r.error_hint(
                        first.map_or(Code::UnknownFollowUp, |d| d.code),
                        span,
                        format!(
                            "follow-up `{name}` does not apply: {}",
                            first.map_or_else(|| error.to_string(), ToString::to_string)
                        ),
                        Some(format!("run `directrix validate` on `{name}`")),
                    );
                }
            }
            continue;
        }
        let resolved = current.resolve_act(&event.actor, &event.task, &event.action);
        match resolved {
            Ok((actor, task, action)) => events.push((
                i,
                ScriptedEvent {
                    at: *at,
                    actor,
                    task,
                    action,
                    note: event.note.clone(),
                    until: *until,
                },
            )),
            Err(error) => {
                let (code, field) = match &error {
                    ActError::UnknownAgency { .. } => (Code::UnknownAgency, 0),
                    ActError::UnknownAction { .. } => (Code::UnknownAction, 2),
                    _ => (Code::UnknownTask, 1),
                };
                if [&event.actor, &event.task, &event.action]
                    .iter()
                    .any(|f| f.is_empty())
                {
                    // Already reported as an incomplete event.
                    continue;
                }
                // The suggestion goes in the hint; the message states the fact.
                let message = error.to_string();
                let message = match error.hint() {
                    Some(hint) => message.trim_end_matches(&format!(" ({hint})")).to_owned(),
                    None => message,
                };
                r.push(
                    Severity::Error,
                    code,
                    fields[field].clone(),
                    message,
                    error.hint().map(str::to_owned),
                );
            }
        }
    }
    (events, follow_ups)
}

/// One line of a simulation timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimelineEntry {
    /// An effect of the engine.
    Effect(Effect),
    /// The transition of a scripted action, with the note it gave (a reason, what to
    /// redo), which the report shows.
    Acted {
        /// The `transitioned` effect.
        effect: Effect,
        /// The event's note.
        note: String,
    },
    /// A scripted action that the engine refused, and why.
    Rejected {
        /// The scripted event.
        event: Box<ScriptedEvent>,
        /// The refusal.
        error: Box<ActError>,
    },
    /// A follow-up document was applied: from here on, effects name task instances of
    /// the next of [`Simulation::versions`].
    FollowUp {
        /// When.
        at: Timestamp,
        /// Its name in the scenario.
        name: String,
        /// Its number.
        number: String,
        /// Its issuer's agency id: the follow-up's own, not the running directive's.
        issuer: String,
    },
}

/// The result of running a scenario.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// The instance at the horizon.
    pub instance: Instance,
    /// Everything that happened, in order.
    pub timeline: Vec<TimelineEntry>,
    /// The seed the run used.
    pub seed: u64,
    /// The scenario's name.
    pub scenario: String,
    /// The horizon: the run always reaches it (or fails with a [`SimulateError`]).
    pub until: Timestamp,
    /// The workflow versions the run went through: the one it started with, then one per
    /// follow-up applied ([`TimelineEntry::FollowUp`]).
    pub versions: Vec<Arc<Workflow>>,
}

/// Why a simulation run failed. A run either reaches its horizon or fails: it is never
/// cut short silently, so a report always covers the whole run it names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SimulateError {
    /// The horizon (`until`, `--until`, `--at`) lies before the run's start.
    #[error(
        "the horizon {until} is before the run starts at {start} (give a time from the start on)"
    )]
    HorizonBeforeStart {
        /// The horizon asked for, RFC 3339 at the workflow's offset.
        until: String,
        /// The scenario's start.
        start: String,
    },
    /// The run produced more effects than the workflow's `effects-per-run` limit before
    /// reaching its horizon (a horizon years away, escalations repeating every minute).
    #[error(
        "the run produced more than {limit} effects (the `effects-per-run` limit) by {at}, before its horizon {until} (choose an earlier horizon, or raise the limit)"
    )]
    TooManyEffects {
        /// The limit ([`crate::Limits::effects_per_run`]).
        limit: u64,
        /// The instant at which it was exceeded.
        at: String,
        /// The horizon.
        until: String,
    },
    /// More timers fall due at one instant than the workflow's `timers-per-advance`
    /// limit: the run cannot pass that instant.
    #[error(
        "more than {limit} timers fall due at {at} (the `timers-per-advance` limit), so the run cannot reach its horizon {until} (raise the limit)"
    )]
    TooManyTimers {
        /// The limit ([`crate::Limits::timers_per_advance`]).
        limit: u64,
        /// The instant holding too many timers.
        at: String,
        /// The horizon.
        until: String,
    },
    /// The running instance refused a follow-up document the scenario applies (a task
    /// it cancels or re-times is already finished, a due time it sets has passed). The
    /// scripted actions after it were resolved against the amended workflow, so the run
    /// cannot go on without it.
    #[error(
        "follow-up `{name}` was refused at {at}: {error} (the scenario's later events are written for the amended directive, so the run stops; change the follow-up or the events before it)"
    )]
    FollowUpRefused {
        /// Its name in the scenario.
        name: String,
        /// When it was applied.
        at: String,
        /// Why the instance refused it.
        error: Box<FollowUpError>,
    },
    /// The engine refused a step of the run that the loop itself chose (a bug, reported
    /// rather than hidden).
    #[error("the run stopped: {0}")]
    Engine(ActError),
}

impl SimulateError {
    /// A stable snake_case code: `horizon_before_start`, `too_many_effects`,
    /// `too_many_timers`, `follow_up_refused`, or the engine error's code.
    ///
    /// ```
    /// let e = directrix_core::SimulateError::TooManyEffects {
    ///     limit: 10,
    ///     at: "2021-05-08T08:00:00+07:00".into(),
    ///     until: "9999-12-31T00:00:00+07:00".into(),
    /// };
    /// assert_eq!(e.code(), "too_many_effects");
    /// assert_eq!(e.limit(), Some(("effects-per-run", 100)));
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            SimulateError::HorizonBeforeStart { .. } => "horizon_before_start",
            SimulateError::TooManyEffects { .. } => "too_many_effects",
            SimulateError::TooManyTimers { .. } => "too_many_timers",
            SimulateError::FollowUpRefused { .. } => "follow_up_refused",
            SimulateError::Engine(error) => error.code(),
        }
    }

    /// For a run stopped by a limit: the limit's name (as [`crate::Limits::set`] and the
    /// CLI's `--limit` spell it) and a value ten times the one exceeded, so a host can word
    /// the fix in its own terms.
    pub fn limit(&self) -> Option<(&'static str, u64)> {
        match self {
            SimulateError::TooManyEffects { limit, .. } => {
                Some(("effects-per-run", limit.saturating_mul(10).max(1)))
            }
            SimulateError::TooManyTimers { limit, .. } => {
                Some(("timers-per-advance", limit.saturating_mul(10).max(1)))
            }
            _ => None,
        }
    }
}

/// Where a run ended: the instance at the horizon and the workflow versions it went
/// through.
pub(crate) struct Ended {
    pub(crate) instance: Instance,
    pub(crate) until: Timestamp,
    versions: Vec<Arc<Workflow>>,
}

/// Runs a scenario: starts an instance, then for each scripted event advances to its
/// time and acts, and finally advances to the horizon (`until`, or the scenario's own).
/// Refused actions are recorded in the timeline, not fatal: a scenario may script
/// mistakes on purpose. Scripted events after an earlier `until` are not run.
///
/// Modelled agencies ([`Scenario::behaviours`]) draw their delays from a random stream
/// seeded with `seed`: the same seed gives the same run on every target. Scripted
/// scenarios draw nothing.
///
/// # Errors
/// A [`SimulateError`]: a horizon before the start, more effects than the workflow's
/// `effects-per-run` limit (or more timers at one instant than `timers-per-advance`)
/// before the horizon, or a follow-up document the running instance refused. There is
/// no partial report: a run either reaches its horizon or fails.
///
/// ```
/// # use std::sync::Arc;
/// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
/// # let (scenario, _) = directrix_core::Scenario::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.scenario.ron"), &workflow).unwrap();
/// let a = directrix_core::simulate(workflow.clone(), &scenario, 7, None)?;
/// let b = directrix_core::simulate(workflow.clone(), &scenario, 7, None)?;
/// assert_eq!(a.report(), b.report());
/// let before = scenario.start.saturating_add(directrix_core::Span::from_seconds(-3600));
/// let error = directrix_core::simulate(workflow, &scenario, 7, Some(before)).unwrap_err();
/// assert_eq!(error.code(), "horizon_before_start");
/// # Ok::<(), directrix_core::SimulateError>(())
/// ```
pub fn simulate(
    workflow: Arc<Workflow>,
    scenario: &Scenario,
    seed: u64,
    until: Option<Timestamp>,
) -> Result<Simulation, SimulateError> {
    let mut timeline = Vec::new();
    let ended = drive(workflow, scenario, seed, until, &mut |entry| {
        timeline.push(entry);
    })?;
    Ok(Simulation {
        instance: ended.instance,
        timeline,
        seed,
        scenario: scenario.name.clone(),
        until: ended.until,
        versions: ended.versions,
    })
}

/// Runs a scenario as [`simulate`] does, under the same limits, but keeps no timeline:
/// only the instance at `at` (the scenario's end if `None`), e.g. for the tracking grid
/// at an instant.
///
/// # Errors
/// As [`simulate`].
///
/// ```
/// # use std::sync::Arc;
/// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
/// # let (scenario, _) = directrix_core::Scenario::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.scenario.ron"), &workflow).unwrap();
/// let instance = directrix_core::simulation::simulate_state(workflow.clone(), &scenario, 1, None)?;
/// assert_eq!(instance.now(), scenario.until);
/// # Ok::<(), directrix_core::SimulateError>(())
/// ```
pub fn simulate_state(
    workflow: Arc<Workflow>,
    scenario: &Scenario,
    seed: u64,
    at: Option<Timestamp>,
) -> Result<Instance, SimulateError> {
    Ok(drive(workflow, scenario, seed, at, &mut |_| {})?.instance)
}

/// Hands each effect to the agent, then to `keep`, counting it; a scripted action's first
/// effect carries the event's note.
fn record(
    keep: &mut dyn FnMut(TimelineEntry),
    instance: &Instance,
    agent: &mut Option<Agent<'_>>,
    effects: Vec<Effect>,
    note: Option<&String>,
    produced: &mut u64,
) {
    for (i, effect) in effects.into_iter().enumerate() {
        if let Some(agent) = agent.as_mut() {
            agent.observe(instance, &effect);
        }
        *produced += 1;
        match note {
            Some(note) if i == 0 => keep(TimelineEntry::Acted {
                effect,
                note: note.clone(),
            }),
            _ => keep(TimelineEntry::Effect(effect)),
        }
    }
}

/// The simulation loop. Every entry goes to `keep` as it happens, counted against the
/// `effects-per-run` limit, so memory is bounded by the limit whatever the horizon.
pub(crate) fn drive(
    workflow: Arc<Workflow>,
    scenario: &Scenario,
    seed: u64,
    until: Option<Timestamp>,
    keep: &mut dyn FnMut(TimelineEntry),
) -> Result<Ended, SimulateError> {
    let horizon = until.unwrap_or(scenario.until);
    let format = |t: Timestamp| workflow.format_time(t);
    if horizon < scenario.start {
        return Err(SimulateError::HorizonBeforeStart {
            until: format(horizon),
            start: format(scenario.start),
        });
    }
    let limit = workflow.limits().effects_per_run;
    let (mut instance, effects) =
        Instance::start(Arc::clone(&workflow), scenario.start).map_err(SimulateError::Engine)?;
    let mut agent = (!scenario.behaviours.is_empty())
        .then(|| Agent::new(&scenario.behaviours, &workflow, seed));
    let mut produced: u64 = 0;
    record(keep, &instance, &mut agent, effects, None, &mut produced);
    let mut versions = vec![Arc::clone(&workflow)];
    let mut follow_ups = scenario
        .follow_ups
        .iter()
        .filter(|f| f.at <= horizon)
        .peekable();
    let mut events = scenario
        .events
        .iter()
        .filter(|e| e.at <= horizon)
        .peekable();
    let stopped = |error: ActError| match error {
        ActError::TooManyTimers { limit, at, .. } => SimulateError::TooManyTimers {
            limit,
            at: format(at),
            until: format(horizon),
        },
        error => SimulateError::Engine(error),
    };
    let over = |produced: u64, instance: &Instance| {
        (produced > limit).then(|| SimulateError::TooManyEffects {
            limit,
            at: format(instance.now()),
            until: format(horizon),
        })
    };
    // At one instant: timers first, then scripted events, then modelled agencies.
    loop {
        if let Some(error) = over(produced, &instance) {
            return Err(error);
        }
        let next_follow_up = follow_ups.peek().map(|f| f.at.max(instance.now()));
        let next_event = events.peek().map(|e| e.at.max(instance.now()));
        let next_agent = agent.as_ref().and_then(Agent::next);
        let next_timer = instance.next_timer().map(|t| t.at);
        let Some(at) = [next_follow_up, next_event, next_agent, next_timer]
            .into_iter()
            .flatten()
            .min()
        else {
            break;
        };
        if at > horizon {
            break;
        }
        let effects = instance.advance(at).map_err(stopped)?;
        record(keep, &instance, &mut agent, effects, None, &mut produced);
        if next_follow_up == Some(at) {
            let Some(follow_up) = follow_ups.next() else {
                break;
            };
            match instance.apply_follow_up(at, &follow_up.text) {
                Ok((effects, report)) => {
                    versions.push(Arc::clone(instance.workflow()));
                    produced += 1;
                    keep(TimelineEntry::FollowUp {
                        at,
                        name: follow_up.name.clone(),
                        number: report.number,
                        issuer: report.issuer,
                    });
                    record(keep, &instance, &mut agent, effects, None, &mut produced);
                }
                Err(error) => {
                    // The scripted actions after it were resolved against the amended
                    // workflow: none can run on this one.
                    return Err(SimulateError::FollowUpRefused {
                        name: follow_up.name.clone(),
                        at: format(at),
                        error: Box::new(error),
                    });
                }
            }
            continue;
        }
        if next_event == Some(at) {
            let Some(event) = events.next() else { break };
            let args = ActArgs {
                note: event.note.as_deref(),
                until: event.until,
            };
            let mut effects = Vec::new();
            match instance.act_with(
                at,
                event.actor,
                event.task,
                event.action,
                args,
                &mut effects,
            ) {
                Ok(()) => record(
                    keep,
                    &instance,
                    &mut agent,
                    effects,
                    event.note.as_ref(),
                    &mut produced,
                ),
                Err(error) => {
                    produced += 1;
                    keep(TimelineEntry::Rejected {
                        event: Box::new(event.clone()),
                        error: Box::new(error),
                    });
                }
            }
        } else if next_agent == Some(at) && next_timer.is_none_or(|t| t > at) {
            let mut effects = Vec::new();
            if let Some(agent) = agent.as_mut() {
                agent.act_due(&mut instance, &mut effects);
            }
            record(keep, &instance, &mut agent, effects, None, &mut produced);
        }
    }
    let effects = instance
        .advance(horizon.max(instance.now()))
        .map_err(stopped)?;
    record(keep, &instance, &mut agent, effects, None, &mut produced);
    if let Some(error) = over(produced, &instance) {
        return Err(error);
    }
    Ok(Ended {
        instance,
        until: horizon,
        versions,
    })
}

/// The timeline record of a follow-up document: kind `follow_up`, no task, the
/// follow-up's own issuer as agency, `note` naming the document.
fn follow_up_record(
    workflow: &Workflow,
    at: Timestamp,
    (name, number): (&str, &str),
    issuer: &str,
) -> EffectRecord {
    let note = match number {
        "" => name.to_owned(),
        number => format!("{number} ({name})"),
    };
    EffectRecord {
        at: workflow.format_time(at),
        kind: "follow_up",
        task: String::new(),
        agency: issuer.to_owned(),
        action: None,
        from: None,
        to: None,
        level: None,
        lead: None,
        due: None,
        on_time: None,
        until: None,
        note: Some(note),
        code: None,
        error: None,
    }
}

/// The JSON form of a simulation: a documented contract (README, "JSON outputs").
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SimulationReport {
    /// Directive number.
    pub directive: String,
    /// Scenario name.
    pub scenario: String,
    /// Seed used.
    pub seed: u64,
    /// Instance start.
    pub start: String,
    /// Horizon.
    pub until: String,
    /// The timeline.
    pub events: Vec<EffectRecord>,
    /// Counts at the horizon.
    pub summary: Summary,
    /// Every task instance at the horizon.
    pub status: Vec<StatusRecord>,
    /// The critical path at the horizon (task ids, first first).
    pub critical_path: Vec<String>,
}

/// Counts at the end of a simulation.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Task instances.
    pub tasks: usize,
    /// Done.
    pub done: usize,
    /// Done without ever missing a due time.
    pub done_on_time: usize,
    /// Past due with work not handed in, at the horizon.
    pub overdue: usize,
    /// `overdue` effects in the timeline.
    pub overdue_events: usize,
    /// `reminded` and `warned` effects.
    pub reminders: usize,
    /// `escalated` and `reassigned` effects.
    pub escalations: usize,
    /// Scripted actions refused.
    pub rejected: usize,
}

impl Simulation {
    /// The timeline, each entry with the workflow version whose indices it holds: the
    /// one in force when it happened (a [`TimelineEntry::FollowUp`] comes with the
    /// version it brought in).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// # let (scenario, _) = directrix_core::Scenario::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.scenario.ron"), &workflow).unwrap();
    /// let run = directrix_core::simulate(workflow, &scenario, 1, None)?;
    /// for (version, entry) in run.entries() {
    ///     if let directrix_core::simulation::TimelineEntry::Effect(effect) = entry {
    ///         assert!(!version.task_slot(effect.task).name.is_empty());
    ///     }
    /// }
    /// # Ok::<(), directrix_core::SimulateError>(())
    /// ```
    pub fn entries(&self) -> impl Iterator<Item = (&Workflow, &TimelineEntry)> {
        let last = self.instance.workflow();
        let mut version = 0;
        self.timeline.iter().map(move |entry| {
            if let TimelineEntry::FollowUp { .. } = entry {
                version += 1;
            }
            let workflow: &Workflow = self.versions.get(version).unwrap_or(last);
            (workflow, entry)
        })
    }

    /// The named, serialisable report.
    pub fn report(&self) -> SimulationReport {
        let workflow = self.instance.workflow();
        // Each entry is named by the workflow version in force when it happened.
        let events: Vec<EffectRecord> = self
            .entries()
            .map(|(version, entry)| match entry {
                TimelineEntry::Effect(effect) => version.effect_record(effect),
                TimelineEntry::Acted { effect, note } => EffectRecord {
                    note: Some(note.clone()),
                    ..version.effect_record(effect)
                },
                TimelineEntry::FollowUp {
                    at,
                    name,
                    number,
                    issuer,
                } => follow_up_record(version, *at, (name, number), issuer),
                TimelineEntry::Rejected { event, error } => {
                    let workflow = version;
                    let mut record = workflow.effect_record(&Effect {
                        at: event.at,
                        task: event.task,
                        kind: EffectKind::Started,
                    });
                    record.kind = "rejected";
                    record.agency = workflow.agency(event.actor).id.clone();
                    record.action = Some(workflow.action_name(event.action).to_owned());
                    record.note = event.note.clone();
                    record.code = Some(error.code());
                    record.error = Some(error.to_string());
                    record
                }
            })
            .collect();
        let count = |kinds: &[&str]| events.iter().filter(|e| kinds.contains(&e.kind)).count();
        let status = self.instance.status();
        let summary = Summary {
            tasks: status.len(),
            done: status.iter().filter(|s| s.done).count(),
            done_on_time: status.iter().filter(|s| s.on_time == Some(true)).count(),
            overdue: status.iter().filter(|s| s.overdue).count(),
            overdue_events: count(&["overdue"]),
            reminders: count(&["reminded", "warned"]),
            escalations: count(&["escalated", "reassigned"]),
            rejected: count(&["rejected"]),
        };
        SimulationReport {
            directive: workflow.directive().number.clone(),
            scenario: self.scenario.clone(),
            seed: self.seed,
            start: workflow.format_time(self.instance.started_at()),
            until: workflow.format_time(self.until),
            events,
            summary,
            status: status.iter().map(|s| workflow.status_record(s)).collect(),
            critical_path: self
                .instance
                .critical_path()
                .iter()
                .map(|t| workflow.task(*t).id.clone())
                .collect(),
        }
    }
}
