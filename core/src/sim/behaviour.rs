//! Behaviour models: simulated agencies that acknowledge, work, report and review on their
//! own, drawing delays from a seeded random stream.
//!
//! An [`Agent`] watches the effects of an instance and plans each agency's next action;
//! the simulation loop in `simulate.rs` interleaves its plans with timers and scripted
//! events. All randomness comes from one `Pcg64Mcg` seeded per run, drawn in the
//! deterministic order of the effects, so a seed fixes the run on every target.

use crate::engine::{ActError, Effect, EffectKind, Instance, PeriodStatus};
use crate::front::reporter::Reporter;
use crate::model::diagnostic::{Code, suggestion};
use crate::model::spec::{BehaviourSpec, DelaySpec, Hours};
use crate::model::time::{Span, Timestamp};
use crate::model::workflow::{ActionId, AgencyId, TaskRef, Workflow};
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, LogNormal, Triangular, Uniform};
use rand_pcg::Pcg64Mcg;
use std::collections::BTreeMap;
use std::ops::Range;
use time::Time;

/// A random delay, compiled.
#[derive(Debug, Clone, PartialEq)]
pub enum Delay {
    /// Always the same.
    Fixed(Span),
    /// Uniform, in seconds.
    Uniform(f64, f64),
    /// Triangular (min, mode, max), in seconds.
    Triangular(f64, f64, f64),
    /// Log-normal: ln of the median in seconds, and sigma.
    LogNormal(f64, f64),
}

impl Delay {
    fn sample(&self, rng: &mut Pcg64Mcg) -> Span {
        let seconds = match *self {
            Delay::Fixed(span) => return span,
            Delay::Uniform(min, max) => {
                Uniform::new_inclusive(min, max).map_or(min, |d| d.sample(rng))
            }
            Delay::Triangular(min, mode, max) => {
                Triangular::new(min, max, mode).map_or(mode, |d| d.sample(rng))
            }
            Delay::LogNormal(mu, sigma) => {
                LogNormal::new(mu, sigma).map_or(mu.exp(), |d| d.sample(rng))
            }
        };
        Span::from_seconds(seconds.max(0.0).round() as i64)
    }
}

/// How one agency behaves, compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct Behaviour {
    /// Delay to acknowledge.
    pub acknowledge: Delay,
    /// Time from acknowledgement to report.
    pub work: Delay,
    /// Delay to accept a report, as supervisor.
    pub review: Delay,
    /// Probability of reporting only after the due time.
    pub miss: f64,
    /// Lateness when missing.
    pub late_by: Delay,
    /// Acts only in office hours.
    pub office_hours: bool,
    /// Remaining work is divided by this on each reaction.
    pub speed_up: f64,
    /// The first reminder or escalation is ignored.
    pub ignore_first: bool,
}

/// Every agency's behaviour, if any.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Behaviours {
    models: Vec<Behaviour>,
    by_agency: Vec<Option<u32>>,
}

impl Behaviours {
    /// Whether any agency has a behaviour.
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }

    /// The behaviour of `agency`.
    pub fn of(&self, agency: AgencyId) -> Option<&Behaviour> {
        let index = (*self.by_agency.get(agency.index())?)?;
        self.models.get(index as usize)
    }
}

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;
const OFFICE_OPENS: (u8, u8) = (7, 30);

fn seconds(r: &mut Reporter<'_>, text: &str, at: Option<Range<usize>>) -> Option<f64> {
    match Span::parse(text) {
        Ok(span) if span.as_seconds() >= 0 => Some(span.as_seconds() as f64),
        Ok(span) => {
            r.error(
                Code::InvalidDistribution,
                at,
                format!("a delay cannot be negative ({span})"),
            );
            None
        }
        Err(e) => {
            r.error(Code::InvalidDuration, at, e.to_string());
            None
        }
    }
}

fn compile_delay(
    r: &mut Reporter<'_>,
    spec: &DelaySpec,
    item: &Option<Range<usize>>,
) -> Option<Delay> {
    let at = |r: &Reporter<'_>, text: &str| match item {
        Some(range) => r
            .locator
            .string_in(text, range.clone())
            .or(Some(range.start..range.start)),
        None => None,
    };
    Some(match spec {
        DelaySpec::Fixed(text) => {
            let span = at(r, text);
            Delay::Fixed(Span::from_seconds(seconds(r, text, span)? as i64))
        }
        DelaySpec::Uniform { min, max } => {
            let (a, b) = (at(r, min), at(r, max));
            let (min, max) = (seconds(r, min, a.clone())?, seconds(r, max, b)?);
            if min > max {
                r.error(
                    Code::InvalidDistribution,
                    a,
                    "a uniform delay needs `min` ≤ `max`".to_owned(),
                );
                return None;
            }
            Delay::Uniform(min, max)
        }
        DelaySpec::Triangular { min, mode, max } => {
            let (a, m, b) = (at(r, min), at(r, mode), at(r, max));
            let (min, mode, max) = (
                seconds(r, min, a.clone())?,
                seconds(r, mode, m)?,
                seconds(r, max, b)?,
            );
            if !(min <= mode && mode <= max) {
                r.error(
                    Code::InvalidDistribution,
                    a,
                    "a triangular delay needs `min` ≤ `mode` ≤ `max`".to_owned(),
                );
                return None;
            }
            Delay::Triangular(min, mode, max)
        }
        DelaySpec::LogNormal { median, sigma } => {
            let m = at(r, median);
            let median = seconds(r, median, m.clone())?;
            if !(sigma.is_finite() && *sigma >= 0.0) || median <= 0.0 {
                r.error(
                    Code::InvalidDistribution,
                    m,
                    "a log-normal delay needs a positive `median` and a `sigma` ≥ 0".to_owned(),
                );
                return None;
            }
            Delay::LogNormal(median.ln(), *sigma)
        }
    })
}

/// Validates and compiles the scenario's behaviours against the workflow.
pub(crate) fn compile(
    r: &mut Reporter<'_>,
    specs: &[BehaviourSpec],
    workflow: &Workflow,
    source_len: usize,
) -> Behaviours {
    let mut behaviours = Behaviours {
        models: Vec::new(),
        by_agency: vec![None; workflow.agencies.len()],
    };
    let mut from = r.locator.field("behaviours").unwrap_or(0);
    for spec in specs {
        // Each behaviour's text runs from its `who` to the next one's.
        let start = r.locator.field_in("who", from..source_len).unwrap_or(from);
        let end = r
            .locator
            .field_in("who", start + 3..source_len)
            .unwrap_or(source_len);
        from = end;
        let item = Some(start..end);
        let mut ok = true;
        let mut delay = |r: &mut Reporter<'_>, spec: &Option<DelaySpec>, default: Delay| match spec
        {
            Some(spec) => compile_delay(r, spec, &item).unwrap_or_else(|| {
                ok = false;
                default.clone()
            }),
            None => default,
        };
        let acknowledge = delay(
            r,
            &spec.acknowledge,
            Delay::Triangular(0.5 * HOUR as f64, 2.0 * HOUR as f64, DAY as f64),
        );
        let work = delay(r, &spec.work, Delay::LogNormal((DAY as f64).ln(), 0.5));
        let review = delay(r, &spec.review, Delay::Fixed(Span::from_seconds(2 * HOUR)));
        let late_by = delay(
            r,
            &spec.late_by,
            Delay::Triangular(DAY as f64, DAY as f64, 3.0 * DAY as f64),
        );
        let field = |r: &Reporter<'_>, name: &str| {
            r.locator
                .field_in(name, start..end)
                .map(|a| a..a + name.len())
        };
        if !(0.0..=1.0).contains(&spec.miss) {
            let at = field(r, "miss");
            r.error(
                Code::InvalidProbability,
                at,
                format!("`miss` is a probability from 0 to 1, not {}", spec.miss),
            );
            ok = false;
        }
        if !(spec.on_escalation.speed_up.is_finite() && spec.on_escalation.speed_up >= 1.0) {
            let at = field(r, "speed_up");
            r.error(
                Code::InvalidDistribution,
                at,
                format!(
                    "`speed_up` must be at least 1 (1: no effect), not {}",
                    spec.on_escalation.speed_up
                ),
            );
            ok = false;
        }
        let index = behaviours.models.len() as u32;
        for who in &spec.who {
            let members: Vec<AgencyId> = if who == "all" {
                (0..workflow.agencies.len() as u32).map(AgencyId).collect()
            } else if let Some(agency) = workflow.agency_id(who) {
                vec![agency]
            } else if let Some(group) = workflow.groups.iter().find(|g| &g.id == who) {
                group.members.clone()
            } else {
                let names = workflow.agencies.iter().map(|a| a.id.as_str());
                let groups = workflow.groups.iter().map(|g| g.id.as_str());
                let hint = suggestion(who, names.chain(groups));
                let at = r.locator.string_in(who, start..end);
                r.error_hint(
                    Code::UnknownAgency,
                    at,
                    format!("behaviour for unknown agency or group `{who}`"),
                    hint.or(Some("name agencies, groups, or `all`".to_owned())),
                );
                ok = false;
                continue;
            };
            for agency in members {
                // The first behaviour naming an agency wins.
                behaviours.by_agency[agency.index()].get_or_insert(index);
            }
        }
        if ok {
            behaviours.models.push(Behaviour {
                acknowledge,
                work,
                review,
                miss: spec.miss,
                late_by,
                office_hours: spec.hours == Hours::Office,
                speed_up: spec.on_escalation.speed_up,
                ignore_first: spec.on_escalation.ignore_first,
            });
        } else {
            // Keep indices aligned; the scenario fails to load anyway.
            behaviours.models.push(Behaviour {
                acknowledge: Delay::Fixed(Span::from_seconds(0)),
                work: Delay::Fixed(Span::from_seconds(0)),
                review: Delay::Fixed(Span::from_seconds(0)),
                miss: 0.0,
                late_by: Delay::Fixed(Span::from_seconds(0)),
                office_hours: false,
                speed_up: 1.0,
                ignore_first: false,
            });
        }
    }
    behaviours
}

/// What an agent does next on a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Acknowledge,
    Start,
    Report,
    Accept,
    Close,
}

impl Step {
    fn action(self) -> &'static str {
        match self {
            Step::Acknowledge => "acknowledge",
            Step::Start => "start",
            Step::Report => "report",
            Step::Accept => "accept",
            Step::Close => "close",
        }
    }

    fn by_supervisor(self) -> bool {
        matches!(self, Step::Accept | Step::Close)
    }
}

/// Plans and performs the modelled agencies' actions on one instance.
pub(crate) struct Agent<'s> {
    behaviours: &'s Behaviours,
    rng: Pcg64Mcg,
    opens: Time,
    /// Pending actions by (time, sequence): the sequence keeps ties in planning order.
    queue: BTreeMap<(Timestamp, u64), (TaskRef, Step)>,
    sequence: u64,
    /// Per instance: the key of its pending lead step, and of its pending supervisor step.
    lead_plan: Vec<Option<(Timestamp, u64)>>,
    review_plan: Vec<Option<(Timestamp, u64)>>,
    /// Per instance: a step refused until the dependencies are done.
    waiting: Vec<Option<Step>>,
    /// Per instance: reminders and escalations seen.
    reactions: Vec<u16>,
    actions: [Option<ActionId>; 5],
}

impl<'s> Agent<'s> {
    pub(crate) fn new(behaviours: &'s Behaviours, workflow: &Workflow, seed: u64) -> Self {
        let n = workflow.slots.len();
        let action = |step: Step| workflow.action_id(step.action());
        Self {
            behaviours,
            rng: Pcg64Mcg::seed_from_u64(seed),
            opens: Time::from_hms(OFFICE_OPENS.0, OFFICE_OPENS.1, 0).unwrap_or(Time::MIDNIGHT),
            queue: BTreeMap::new(),
            sequence: 0,
            lead_plan: vec![None; n],
            review_plan: vec![None; n],
            waiting: vec![None; n],
            reactions: vec![0; n],
            actions: [
                action(Step::Acknowledge),
                action(Step::Start),
                action(Step::Report),
                action(Step::Accept),
                action(Step::Close),
            ],
        }
    }

    /// When the next planned action is due.
    pub(crate) fn next(&self) -> Option<Timestamp> {
        self.queue.keys().next().map(|(at, _)| *at)
    }

    fn action(&self, step: Step) -> Option<ActionId> {
        self.actions[step as usize]
    }

    fn actor(instance: &Instance, task: TaskRef, step: Step) -> Option<AgencyId> {
        if step.by_supervisor() {
            let workflow = instance.workflow();
            Some(workflow.task(workflow.task_slot(task).task).supervisor)
        } else {
            instance.leads(task).first().copied()
        }
    }

    fn behaviour_of(
        &self,
        instance: &Instance,
        task: TaskRef,
        step: Step,
    ) -> Option<&'s Behaviour> {
        let behaviours: &'s Behaviours = self.behaviours;
        Self::actor(instance, task, step).and_then(|a| behaviours.of(a))
    }

    fn plan(
        &mut self,
        instance: &Instance,
        task: TaskRef,
        step: Step,
        at: Timestamp,
        office_hours: bool,
    ) {
        let at = if office_hours {
            instance
                .workflow()
                .calendar()
                .next_office_time(at, self.opens)
        } else {
            at
        };
        let at = at.max(instance.now());
        self.sequence += 1;
        let key = (at, self.sequence);
        let slot = if step.by_supervisor() {
            &mut self.review_plan
        } else {
            &mut self.lead_plan
        };
        if let Some(old) = slot[task.index()].replace(key) {
            self.queue.remove(&old);
        }
        self.queue.insert(key, (task, step));
    }

    fn cancel(&mut self, task: TaskRef) {
        for slot in [&mut self.lead_plan, &mut self.review_plan] {
            if let Some(old) = slot[task.index()].take() {
                self.queue.remove(&old);
            }
        }
        self.waiting[task.index()] = None;
    }

    /// Plans the report: after the work, or after the due time when it misses.
    fn plan_report(&mut self, instance: &Instance, task: TaskRef, behaviour: &Behaviour) {
        let now = instance.now();
        let state = instance.task_state(task);
        let due = state.and_then(|s| s.due);
        let recurring = instance
            .workflow()
            .task(instance.workflow().task_slot(task).task)
            .due
            .is_some_and(|d| d.is_recurring());
        // A measure in force is reported once its period ends: the work starts there.
        let begins = state
            .and_then(|s| s.period)
            .filter(|p| p.status != PeriodStatus::Ended)
            .map_or(now, |p| p.until.max(now));
        let work = behaviour.work.sample(&mut self.rng);
        let misses = behaviour.miss > 0.0 && self.rng.random_bool(behaviour.miss.min(1.0));
        let at = match (due, misses) {
            (Some(due), true) => due.saturating_add(behaviour.late_by.sample(&mut self.rng)),
            // A recurring report is prepared for its deadline: an hour before it.
            (Some(due), false) if recurring => due.saturating_add(Span::from_seconds(-HOUR)),
            _ => begins.saturating_add(work),
        };
        self.plan(instance, task, Step::Report, at, behaviour.office_hours);
    }

    /// Reacts to one effect by planning the next actions.
    pub(crate) fn observe(&mut self, instance: &Instance, effect: &Effect) {
        let task = effect.task;
        let now = instance.now();
        match effect.kind {
            EffectKind::Started | EffectKind::Unblocked => {
                if let Some(step) = self.waiting[task.index()].take() {
                    let office = self
                        .behaviour_of(instance, task, step)
                        .is_some_and(|b| b.office_hours);
                    self.plan(instance, task, step, now, office);
                } else if effect.kind == EffectKind::Started
                    && let Some(b) = self.behaviour_of(instance, task, Step::Acknowledge)
                {
                    let at = now.saturating_add(b.acknowledge.sample(&mut self.rng));
                    self.plan(instance, task, Step::Acknowledge, at, b.office_hours);
                }
            }
            EffectKind::Transitioned { action, to, .. } => {
                let workflow = instance.workflow();
                let state = &workflow.machine_of(task).states[to.index()];
                if state.is_terminal() {
                    self.cancel(task);
                    return;
                }
                if state.submitted {
                    let review = self
                        .behaviour_of(instance, task, Step::Accept)
                        .map_or(Delay::Fixed(Span::from_seconds(2 * HOUR)), |b| {
                            b.review.clone()
                        });
                    let office = self
                        .behaviour_of(instance, task, Step::Accept)
                        .is_none_or(|b| b.office_hours);
                    let at = now.saturating_add(review.sample(&mut self.rng));
                    self.plan(instance, task, Step::Accept, at, office);
                    return;
                }
                let Some(behaviour) = self.behaviour_of(instance, task, Step::Report) else {
                    return;
                };
                if Some(action) == self.action(Step::Acknowledge) {
                    let can_start = self.action(Step::Start).is_some_and(|start| {
                        workflow
                            .machine_of(task)
                            .transitions
                            .iter()
                            .any(|t| t.action == start && t.from.contains(&to))
                    });
                    if can_start {
                        self.plan(instance, task, Step::Start, now, behaviour.office_hours);
                    } else {
                        self.plan_report(instance, task, behaviour);
                    }
                } else if Some(action) == self.action(Step::Start) {
                    self.plan_report(instance, task, behaviour);
                } else if Some(action) != self.action(Step::Report) {
                    // Returned for rework, or another transition: report again after work.
                    self.plan_report(instance, task, behaviour);
                }
            }
            // A follow-up moved the period's end: the pending report moves with it.
            EffectKind::PeriodExtended { .. } | EffectKind::PeriodEnded
                if self.lead_plan[task.index()]
                    .and_then(|key| self.queue.get(&key))
                    .is_some_and(|&(_, step)| step == Step::Report) =>
            {
                if let Some(behaviour) = self.behaviour_of(instance, task, Step::Report) {
                    self.plan_report(instance, task, behaviour);
                }
            }
            EffectKind::Rescheduled { .. } => {
                if let Some(behaviour) = self.behaviour_of(instance, task, Step::Report) {
                    self.plan_report(instance, task, behaviour);
                }
            }
            EffectKind::Reminded { .. }
            | EffectKind::Warned { .. }
            | EffectKind::Escalated { .. } => {
                let Some(behaviour) = self.behaviour_of(instance, task, Step::Report) else {
                    return;
                };
                self.reactions[task.index()] = self.reactions[task.index()].saturating_add(1);
                if behaviour.ignore_first && self.reactions[task.index()] == 1 {
                    return;
                }
                // Pull the pending step closer: what remains of the wait shrinks.
                if let Some(key @ (at, _)) = self.lead_plan[task.index()]
                    && behaviour.speed_up > 1.0
                    && at > now
                    && let Some(&(_, step)) = self.queue.get(&key)
                {
                    let remaining = at.since(now).as_seconds() as f64 / behaviour.speed_up;
                    let at = now.saturating_add(Span::from_seconds(remaining.round() as i64));
                    self.plan(instance, task, step, at, behaviour.office_hours);
                }
            }
            _ => {}
        }
        // A recurring series that has run out awaits its supervisor's close.
        if let EffectKind::Transitioned { action, .. } = effect.kind {
            let series_over = Some(action) == self.action(Step::Report)
                && instance.task_state(task).is_some_and(|s| s.due.is_none())
                && instance
                    .workflow()
                    .task(instance.workflow().task_slot(task).task)
                    .due
                    .is_some_and(|d| d.is_recurring());
            if series_over {
                let behaviour = self.behaviour_of(instance, task, Step::Close);
                let review = behaviour.map_or(Delay::Fixed(Span::from_seconds(2 * HOUR)), |b| {
                    b.review.clone()
                });
                let at = now.saturating_add(review.sample(&mut self.rng));
                self.plan(
                    instance,
                    task,
                    Step::Close,
                    at,
                    behaviour.is_none_or(|b| b.office_hours),
                );
            }
        }
    }

    /// Performs every action planned at or before `until`'s first instant, returning the
    /// effects; refused actions are dropped (or kept waiting for dependencies).
    pub(crate) fn act_due(&mut self, instance: &mut Instance, effects: &mut Vec<Effect>) {
        let Some(((at, sequence), (task, step))) = self.queue.pop_first() else {
            return;
        };
        let slot = if step.by_supervisor() {
            &mut self.review_plan
        } else {
            &mut self.lead_plan
        };
        if slot[task.index()] == Some((at, sequence)) {
            slot[task.index()] = None;
        }
        let (Some(action), Some(actor)) = (self.action(step), Self::actor(instance, task, step))
        else {
            return;
        };
        match instance.act(at, actor, task, action, None) {
            Ok(new) => effects.extend(new),
            Err(ActError::Blocked { .. }) => self.waiting[task.index()] = Some(step),
            // Reported while its measure is still in force: again once the period ends.
            Err(ActError::InForce { until, .. }) => {
                let office = self
                    .behaviour_of(instance, task, step)
                    .is_some_and(|b| b.office_hours);
                self.plan(instance, task, step, until, office);
            }
            Err(_) => {}
        }
    }
}
