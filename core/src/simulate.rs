//! Scenarios: scripted events that drive one instance through virtual time.

use crate::behaviour::{Agent, Behaviours};
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::engine::{ActArgs, ActError, Effect, EffectKind, Instance};
use crate::load::{LoadError, Reporter, parse_ron, parse_time_at};
use crate::spec::{FORMAT_VERSION, ScenarioSpec};
use crate::time::Timestamp;
use crate::view::{EffectRecord, StatusRecord};
use crate::workflow::{ActionId, AgencyId, InstanceId, Workflow};
use serde::Serialize;
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
    pub task: InstanceId,
    /// Which action.
    pub action: ActionId,
    /// Note.
    pub note: Option<String>,
    /// For an extension request: the due time asked for.
    pub until: Option<Timestamp>,
}

/// How long a run without a scenario lasts.
const SILENT_HORIZON_DAYS: i64 = 14;

impl Scenario {
    /// The scenario in which nobody acts, from the issue time for 14 days: it shows which
    /// deadlines pass and how escalation unfolds when every agency stays silent.
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
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
            behaviours: Behaviours::default(),
        }
    }

    /// Parses and validates a scenario against `workflow`; returns it with its warnings.
    ///
    /// # Errors
    /// A [`LoadError`] with every problem: RON syntax, unknown agencies, tasks and actions
    /// (with suggestions), invalid times, events before the start.
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// let source = include_str!("../../workflows/kien-xuong-114-cv-hu.scenario.ron");
    /// let (scenario, _warnings) = directrix_core::Scenario::load(source, &workflow).unwrap();
    /// assert!(scenario.until > scenario.start);
    /// ```
    pub fn load(source: &str, workflow: &Workflow) -> Result<(Self, Vec<Diagnostic>), LoadError> {
        let spec: ScenarioSpec = parse_ron(source, &workflow.limits).map_err(|d| LoadError {
            diagnostics: vec![d],
        })?;
        let mut r = Reporter::new(source);
        let offset = workflow.calendar.offset();
        if spec.format != FORMAT_VERSION {
            let at = r.locator.field("format").map(|s| s..s + 6);
            r.error(
                Code::UnsupportedFormat,
                at,
                format!("scenario format {} is not supported (this directrix reads format {FORMAT_VERSION})", spec.format),
            );
        }
        let start = match &spec.start {
            Some(text) => {
                let at = r.locator.field_string_in("start", 0..source.len());
                parse_time_at(&mut r, text, offset, at).unwrap_or(workflow.directive.issued_at)
            }
            None => workflow.directive.issued_at,
        };
        let until_at = r.locator.field_string_in("until", 0..source.len());
        let until = parse_time_at(&mut r, &spec.until, offset, until_at.clone()).unwrap_or(start);
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
        let mut events = Vec::new();
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
            let at = parse_time_at(&mut r, &event.at, offset, span.clone());
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
            let until = event.until.as_ref().and_then(|until| {
                let span = locate(&r, "until");
                parse_time_at(&mut r, until, offset, span)
            });
            let resolved = workflow.resolve_act(&event.actor, &event.task, &event.action);
            match (at, resolved) {
                (Some(at), Ok((actor, task, action))) => events.push(ScriptedEvent {
                    at,
                    actor,
                    task,
                    action,
                    note: event.note.clone(),
                    until,
                }),
                (_, Err(error)) => {
                    let (code, field) = match &error {
                        ActError::UnknownAgency { .. } => (Code::UnknownAgency, "actor"),
                        ActError::UnknownAction { .. } => (Code::UnknownAction, "action"),
                        _ => (Code::UnknownTask, "task"),
                    };
                    let at = locate(&r, field);
                    // The suggestion goes in the hint; the message states the fact.
                    let message = error.to_string();
                    let message = match error.hint() {
                        Some(hint) => message.trim_end_matches(&format!(" ({hint})")).to_owned(),
                        None => message,
                    };
                    r.push(
                        Severity::Error,
                        code,
                        at,
                        message,
                        error.hint().map(str::to_owned),
                    );
                }
                (None, Ok(_)) => {}
            }
        }
        let behaviours =
            crate::behaviour::compile(&mut r, &spec.behaviours, workflow, source.len());
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
        // Stable: ties keep file order.
        events.sort_by_key(|e| e.at);
        Ok((
            Self {
                name: spec.name,
                description: spec.description,
                start,
                until,
                events,
                behaviours,
            },
            r.finish(),
        ))
    }
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
        event: ScriptedEvent,
        /// The refusal.
        error: ActError,
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
    /// Where it stopped: the horizon, or earlier when one instant held more timers than
    /// the workflow's `timers-per-advance` limit.
    pub until: Timestamp,
}

/// Runs a scenario: starts an instance, then for each scripted event advances to its
/// time and acts, and finally advances to the horizon. Refused actions are recorded in
/// the timeline, not fatal: a scenario may script mistakes on purpose.
///
/// Modelled agencies ([`Scenario::behaviours`]) draw their delays from a random stream
/// seeded with `seed`: the same seed gives the same run on every target. Scripted
/// scenarios draw nothing.
///
/// ```
/// # use std::sync::Arc;
/// # let workflow = Arc::new(directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
/// # let (scenario, _) = directrix_core::Scenario::load(include_str!("../../workflows/kien-xuong-114-cv-hu.scenario.ron"), &workflow).unwrap();
/// let a = directrix_core::simulate(workflow.clone(), &scenario, 7, None);
/// let b = directrix_core::simulate(workflow, &scenario, 7, None);
/// assert_eq!(a.report(), b.report());
/// ```
pub fn simulate(
    workflow: Arc<Workflow>,
    scenario: &Scenario,
    seed: u64,
    until: Option<Timestamp>,
) -> Simulation {
    let horizon = until.unwrap_or(scenario.until).max(scenario.start);
    let (mut instance, effects) = Instance::start(Arc::clone(&workflow), scenario.start);
    let mut agent = (!scenario.behaviours.is_empty())
        .then(|| Agent::new(&scenario.behaviours, &workflow, seed));
    let mut timeline: Vec<TimelineEntry> = Vec::new();
    let record = |instance: &Instance,
                  agent: &mut Option<Agent<'_>>,
                  effects: Vec<Effect>,
                  timeline: &mut Vec<TimelineEntry>| {
        for effect in effects {
            if let Some(agent) = agent.as_mut() {
                agent.observe(instance, &effect);
            }
            timeline.push(TimelineEntry::Effect(effect));
        }
    };
    record(&instance, &mut agent, effects, &mut timeline);
    let mut events = scenario
        .events
        .iter()
        .filter(|e| e.at <= horizon)
        .peekable();
    // At one instant: timers first, then scripted events, then modelled agencies.
    loop {
        let next_event = events.peek().map(|e| e.at.max(instance.now()));
        let next_agent = agent.as_ref().and_then(Agent::next);
        let next_timer = instance.next_timer().map(|t| t.at);
        let Some(at) = [next_event, next_agent, next_timer]
            .into_iter()
            .flatten()
            .min()
        else {
            break;
        };
        if at > horizon {
            break;
        }
        match instance.advance(at) {
            Ok(effects) => record(&instance, &mut agent, effects, &mut timeline),
            // More timers at one instant than the `timers-per-advance` limit: nothing
            // can move past them, so the run stops here (`until` says where).
            Err(_) => break,
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
                Ok(()) => {
                    let first = timeline.len();
                    record(&instance, &mut agent, effects, &mut timeline);
                    if let (Some(note), Some(&TimelineEntry::Effect(effect))) =
                        (&event.note, timeline.get(first))
                    {
                        let note = note.clone();
                        timeline[first] = TimelineEntry::Acted { effect, note };
                    }
                }
                Err(error) => timeline.push(TimelineEntry::Rejected {
                    event: event.clone(),
                    error,
                }),
            }
        } else if next_agent == Some(at) && next_timer.is_none_or(|t| t > at) {
            let mut effects = Vec::new();
            if let Some(agent) = agent.as_mut() {
                agent.act_due(&mut instance, &mut effects);
            }
            record(&instance, &mut agent, effects, &mut timeline);
        }
    }
    let until = match instance.advance(horizon.max(instance.now())) {
        Ok(effects) => {
            record(&instance, &mut agent, effects, &mut timeline);
            horizon
        }
        Err(_) => instance.now(),
    };
    Simulation {
        instance,
        timeline,
        seed,
        scenario: scenario.name.clone(),
        until,
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
    /// The named, serialisable report.
    pub fn report(&self) -> SimulationReport {
        let workflow = self.instance.workflow();
        let events: Vec<EffectRecord> = self
            .timeline
            .iter()
            .map(|entry| match entry {
                TimelineEntry::Effect(effect) => workflow.effect_record(effect),
                TimelineEntry::Acted { effect, note } => EffectRecord {
                    note: Some(note.clone()),
                    ..workflow.effect_record(effect)
                },
                TimelineEntry::Rejected { event, error } => {
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
