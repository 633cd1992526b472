//! Scenarios: scripted events that drive one instance through virtual time.

use crate::behaviour::{Agent, Behaviours};
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::engine::{ActArgs, ActError, Effect, EffectKind, FollowUpError, Instance};
use crate::load::{LoadError, Reporter, parse_ron, parse_time_at};
use crate::spec::{FORMAT_VERSION, ScenarioSpec};
use crate::time::Timestamp;
use crate::view::{EffectRecord, StatusRecord};
use crate::workflow::{ActionId, AgencyId, InstanceId, Workflow};
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
    pub task: InstanceId,
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
            follow_ups: Vec::new(),
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
    /// # let workflow = directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// let source = include_str!("../../workflows/kien-xuong-114-cv-hu.followup.scenario.ron");
    /// let texts = BTreeMap::from([(
    ///     "kien-xuong-114-cv-hu.120.followup.ron".to_owned(),
    ///     include_str!("../../workflows/kien-xuong-114-cv-hu.120.followup.ron").to_owned(),
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
        crate::nfc::scenario(&mut spec);
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
        // First every event's time and the spans of its fields, in file order ...
        struct Located<'e> {
            event: &'e crate::spec::EventSpec,
            at: Timestamp,
            until: Option<Timestamp>,
            fields: [Option<Range<usize>>; 4],
        }
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
            let fields = ["actor", "task", "action", "follow_up"].map(|f| locate(&r, f));
            let act = [&event.actor, &event.task, &event.action];
            match &event.follow_up {
                Some(_) if act.iter().any(|f| !f.is_empty()) => r.error_hint(
                    Code::IncompleteEvent,
                    fields[3].clone(),
                    "an event applies a follow-up document or scripts an action, not both"
                        .to_owned(),
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
        // ... then resolved in run order (time; at one instant follow-ups first, then file
        // order), each against the workflow as amended by the follow-ups before it.
        let mut order: Vec<usize> = (0..located.len()).collect();
        order.sort_by_key(|&i| (located[i].at, located[i].event.follow_up.is_none(), i));
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
            if let Some(name) = &event.follow_up {
                let span = fields[3].clone();
                if !spec.behaviours.is_empty() {
                    r.error_hint(
                        Code::FollowUpWithBehaviours,
                        span.clone(),
                        "a scenario with `behaviours` cannot apply follow-up documents yet"
                            .to_owned(),
                        Some(
                            "script the agencies' actions as events, or drop the follow-up"
                                .to_owned(),
                        ),
                    );
                }
                let Some(text) = texts.get(name) else {
                    let hint = crate::diagnostic::suggestion(name, texts.keys().map(String::as_str))
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
    /// A follow-up document was applied: from here on, effects name task instances of
    /// the next of [`Simulation::versions`].
    FollowUp {
        /// When.
        at: Timestamp,
        /// Its name in the scenario.
        name: String,
        /// Its number.
        number: String,
    },
    /// The running instance refused a follow-up document (a task it cancels was already
    /// finished, a due time it sets has passed): the run stops there.
    FollowUpRefused {
        /// When.
        at: Timestamp,
        /// Its name in the scenario.
        name: String,
        /// Why.
        error: FollowUpError,
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
    /// the workflow's `timers-per-advance` limit, or a follow-up was refused.
    pub until: Timestamp,
    /// The workflow versions the run went through: the one it started with, then one per
    /// follow-up applied ([`TimelineEntry::FollowUp`]).
    pub versions: Vec<Arc<Workflow>>,
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
    let mut versions = vec![Arc::clone(&workflow)];
    let mut follow_ups = scenario
        .follow_ups
        .iter()
        .filter(|f| f.at <= horizon)
        .peekable();
    let mut stopped = None;
    let mut events = scenario
        .events
        .iter()
        .filter(|e| e.at <= horizon)
        .peekable();
    // At one instant: timers first, then scripted events, then modelled agencies.
    loop {
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
        match instance.advance(at) {
            Ok(effects) => record(&instance, &mut agent, effects, &mut timeline),
            // More timers at one instant than the `timers-per-advance` limit: nothing
            // can move past them, so the run stops here (`until` says where).
            Err(_) => break,
        }
        if next_follow_up == Some(at) {
            let Some(follow_up) = follow_ups.next() else {
                break;
            };
            match instance.apply_follow_up(at, &follow_up.text) {
                Ok((effects, report)) => {
                    versions.push(Arc::clone(instance.workflow()));
                    timeline.push(TimelineEntry::FollowUp {
                        at,
                        name: follow_up.name.clone(),
                        number: report.number,
                    });
                    record(&instance, &mut agent, effects, &mut timeline);
                }
                Err(error) => {
                    // The scripted actions after it were resolved against the amended
                    // workflow: none can run on this one.
                    timeline.push(TimelineEntry::FollowUpRefused {
                        at,
                        name: follow_up.name.clone(),
                        error,
                    });
                    stopped = Some(at);
                    break;
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
    let until = match stopped {
        Some(at) => at,
        None => match instance.advance(horizon.max(instance.now())) {
            Ok(effects) => {
                record(&instance, &mut agent, effects, &mut timeline);
                horizon
            }
            Err(_) => instance.now(),
        },
    };
    Simulation {
        instance,
        timeline,
        seed,
        scenario: scenario.name.clone(),
        until,
        versions,
    }
}

/// The timeline record of a follow-up document: kind `follow_up` (or `rejected`), no task,
/// the issuer as agency, `note` naming the document.
fn follow_up_record(
    workflow: &Workflow,
    at: Timestamp,
    name: &str,
    number: &str,
    error: Option<&FollowUpError>,
) -> EffectRecord {
    let note = match number {
        "" => name.to_owned(),
        number => format!("{number} ({name})"),
    };
    EffectRecord {
        at: workflow.format_time(at),
        kind: if error.is_some() {
            "rejected"
        } else {
            "follow_up"
        },
        task: String::new(),
        agency: workflow.agency(workflow.directive.issuer).id.clone(),
        action: None,
        from: None,
        to: None,
        level: None,
        lead: None,
        due: None,
        on_time: None,
        note: Some(note),
        code: error.map(FollowUpError::code),
        error: error.map(ToString::to_string),
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
        // Each entry is named by the workflow version in force when it happened.
        let mut version = 0;
        let events: Vec<EffectRecord> = self
            .timeline
            .iter()
            .map(|entry| match entry {
                TimelineEntry::Effect(effect) => self
                    .versions
                    .get(version)
                    .unwrap_or(workflow)
                    .effect_record(effect),
                TimelineEntry::Acted { effect, note } => EffectRecord {
                    note: Some(note.clone()),
                    ..self
                        .versions
                        .get(version)
                        .unwrap_or(workflow)
                        .effect_record(effect)
                },
                TimelineEntry::FollowUp { at, name, number } => {
                    version += 1;
                    let current = self.versions.get(version).unwrap_or(workflow);
                    follow_up_record(current, *at, name, number, None)
                }
                TimelineEntry::FollowUpRefused { at, name, error } => {
                    let current = self.versions.get(version).unwrap_or(workflow);
                    follow_up_record(current, *at, name, "", Some(error))
                }
                TimelineEntry::Rejected { event, error } => {
                    let workflow = self.versions.get(version).unwrap_or(workflow);
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
