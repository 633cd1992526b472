//! Follow-up documents, the instance side: a later letter ("tiếp theo Công văn số …")
//! applied to a running instance. It adds tasks and policies, changes due rules, cancels
//! tasks and tightens escalation.
//!
//! The engine does not read the document: it is handed the [`Amendment`] the front end
//! made of it (through an [`Amend`] function, so replay can rebuild one from a journaled
//! text). The state is carried over by [`map_state`] as for a migration, then the
//! cancellations and due changes act on the running task instances. The journal keeps
//! the document's text (`Input::FollowUp`), so replay applies it again. The public entry
//! points (`Workflow::amend`, `Instance::apply_follow_up`) are in `glue.rs`.

use super::{
    ActError, Effect, EffectKind, Input, Instance, InstanceState, MigrateError, PeriodStatus,
    Phase, TaskState, map_state,
};
use crate::model::amendment::{Amended, Amendment};
use crate::model::diagnostic::{Code, Diagnostic, Severity, cap_message, location_of, summary};
use crate::model::spec::{FollowUpSpec, StateKind, Urgency};
use crate::model::time::Timestamp;
use crate::model::workflow::{TaskId, TaskRef, Workflow};
use serde::Serialize;
use std::ops::Range;
use std::sync::Arc;

use super::migrate::MigrationReport;

/// Builds the amendment a follow-up text makes to a workflow: the front end's work,
/// passed in so that the engine does not depend on it.
pub(crate) type Amend<'a> = dyn Fn(&Workflow, &str) -> Result<Amendment, FollowUpError> + 'a;

/// Why a follow-up document was not applied. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FollowUpError {
    /// The document has problems, or does not fit the running instance: every one,
    /// located in the document's text (an unknown task, a `further_to` that is not this
    /// directive, a task already finished, a new due time already passed, and the
    /// ordinary validation of the added tasks).
    #[error("{}", summary(.diagnostics))]
    Invalid {
        /// Every diagnostic; at least one is an error.
        diagnostics: Vec<Diagnostic>,
    },
    /// The time given is refused as an action's would be (before [`Instance::now`], or
    /// timers pending by then: `advance` first).
    #[error("{0}")]
    Time(ActError),
    /// The state cannot be carried onto the amended workflow.
    #[error("{0}")]
    Migrate(MigrateError),
}

impl FollowUpError {
    /// The located diagnostics, for [`FollowUpError::Invalid`]; empty otherwise.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            FollowUpError::Invalid { diagnostics } => diagnostics,
            _ => &[],
        }
    }

    /// A stable snake_case code: `invalid_follow_up`, or the time error's code, or
    /// `migration_refused`.
    pub fn code(&self) -> &'static str {
        match self {
            FollowUpError::Invalid { .. } => "invalid_follow_up",
            FollowUpError::Time(error) => error.code(),
            FollowUpError::Migrate(_) => "migration_refused",
        }
    }
}

/// What a follow-up did to a running instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FollowUpReport {
    /// The follow-up's number.
    pub number: String,
    /// Its issuer's agency id (the follow-up's own, which the timeline shows).
    pub issuer: String,
    /// Its urgency mark.
    pub urgency: Urgency,
    /// The document it follows.
    pub further_to: String,
    /// The carry-over onto the amended workflow: added task instances, timers rebuilt.
    pub migration: MigrationReport,
    /// Running task instances whose due time moved.
    pub due_changed: Vec<DueChange>,
    /// Task instances cancelled.
    pub cancelled: Vec<String>,
    /// Task instances (not finished) now under a stricter policy.
    pub tightened: Vec<String>,
    /// Warnings about what the document adds, located in its text.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Diagnostic>,
}

/// A running task instance's due time moved by a follow-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DueChange {
    /// The task instance.
    pub task: String,
    /// Its due time before, RFC 3339.
    pub from: Option<String>,
    /// Its due time now, RFC 3339.
    pub to: Option<String>,
}

impl Instance {
    /// [`Instance::apply_follow_up`] with the document's amendment built by `amend`. The
    /// time is checked first, then the document, then what it does to this instance.
    pub(crate) fn apply_follow_up_with(
        &mut self,
        at: Timestamp,
        text: &str,
        amend: &Amend<'_>,
    ) -> Result<(Vec<Effect>, FollowUpReport), FollowUpError> {
        super::in_range(at).map_err(FollowUpError::Time)?;
        if at < self.state.now {
            return Err(FollowUpError::Time(ActError::TimeWentBackwards {
                at,
                now: self.state.now,
            }));
        }
        if let Some(next) = self.next_timer().filter(|t| t.at <= at) {
            return Err(FollowUpError::Time(ActError::TimersPending {
                at,
                next: next.at,
            }));
        }
        let amendment = amend(&self.workflow, text)?;
        self.apply_amendment(at, text, amendment)
    }

    /// Applies a follow-up document's `amendment` at `at` (checked against the clock
    /// already), journaled with the document's `text`. On an error nothing is changed.
    fn apply_amendment(
        &mut self,
        at: Timestamp,
        text: &str,
        amendment: Amendment,
    ) -> Result<(Vec<Effect>, FollowUpReport), FollowUpError> {
        let Amendment {
            amended,
            issued_at,
            issued_at_span,
            change_due_spans,
            cancel_spans,
            period_spans,
        } = amendment;
        let Amended {
            workflow,
            spec,
            warnings,
        } = amended;
        let new = Arc::new(workflow);
        let old = &self.workflow;
        // Work on a copy: a refused document leaves the instance as it was.
        let mut state = self.state.clone();
        // As `act` does: no live timer is due by `at`; the stale ones go.
        while state.timers.first().is_some_and(|timer| timer.at <= at) {
            state.timers.pop_first();
        }
        state.now = at;
        let (mut state, migration) =
            map_state(old, &state, &new).map_err(FollowUpError::Migrate)?;
        let mut r = Problems::new(text);
        if at < issued_at {
            r.error(
                Code::FollowUpBeforeIssue,
                issued_at_span,
                format!(
                    "the follow-up is issued at {}, after the time it is applied at, {}",
                    new.format_time(issued_at),
                    new.format_time(at)
                ),
                None,
            );
        }
        let applying = Applying {
            old,
            new: &new,
            running: &self.state,
            at,
        };
        let mut effects = Vec::new();
        let due_changed =
            applying.change_dues(&mut r, &mut state, (&spec, &change_due_spans), &mut effects);
        let cancelled = applying.cancel(&mut r, &mut state, (&spec, &cancel_spans), &mut effects);
        let mut due_changed = due_changed;
        due_changed.extend(applying.periods(
            &mut r,
            &mut state,
            (&spec, &period_spans),
            &mut effects,
        ));
        if !r.diagnostics.is_empty() {
            return Err(FollowUpError::Invalid {
                diagnostics: r.finish(),
            });
        }
        let tightened: Vec<String> = spec
            .tighten
            .iter()
            .flat_map(|tighten| applying.instances(&tighten.task))
            .filter(|&i| !applying.finished(i, &state.tasks[i.index()]))
            .map(|i| new.slots[i.index()].name.clone())
            .collect();
        state.journal.push(Input::FollowUp {
            at,
            text: text.to_owned(),
        });
        self.workflow = new;
        self.state = state;
        // A withdrawn member's instance held back its own dependants; a whole task's
        // dependants no longer depend on it in the amended workflow.
        for name in &cancelled {
            if let Some(i) = self.workflow.task_ref(name) {
                self.unblock_dependents(i, &mut effects);
            }
        }
        self.prune_stale_front();
        Ok((
            effects,
            FollowUpReport {
                number: spec.number,
                issuer: spec.issuer,
                urgency: spec.urgency,
                further_to: spec.further_to,
                migration,
                due_changed,
                cancelled,
                tightened,
                warnings,
            },
        ))
    }
}

/// A follow-up being applied: the workflow before and after, the instance's state
/// before, and when.
struct Applying<'a> {
    old: &'a Workflow,
    new: &'a Workflow,
    running: &'a InstanceState,
    at: Timestamp,
}

impl Applying<'_> {
    /// Whether task instance `i` of the new workflow has finished in `ts`.
    fn finished(&self, i: TaskRef, ts: &TaskState) -> bool {
        ts.phase == Phase::Running
            && matches!(
                self.new.machine_of(i).states[ts.state.index()].kind,
                StateKind::Done | StateKind::Cancelled
            )
    }

    /// The task `name` names in the new workflow and the instances it means: every
    /// instance of a task id, or the one of a member's name (`evacuate[phu_yen]`).
    fn resolve(&self, name: &str) -> Option<(TaskId, std::ops::Range<u32>)> {
        match self.new.task_id(name) {
            Some(t) => Some((t, self.new.tasks[t.index()].instances.clone())),
            None => self
                .new
                .task_ref(name)
                .map(|i| (self.new.slots[i.index()].task, i.0..i.0 + 1)),
        }
    }

    /// The instances `task` names in the new workflow (none for an unknown name).
    fn instances(&self, task: &str) -> impl Iterator<Item = TaskRef> {
        self.resolve(task)
            .map_or(0..0, |(_, instances)| instances)
            .map(TaskRef)
    }

    /// The due changes on the mapped `state`: each open instance keeps its original due
    /// time for reporting and is judged anew; a new due time already passed is refused.
    fn change_dues(
        &self,
        r: &mut Problems<'_>,
        state: &mut InstanceState,
        (spec, spans): (&FollowUpSpec, &[Option<Range<usize>>]),
        effects: &mut Vec<Effect>,
    ) -> Vec<DueChange> {
        let (old, new, at) = (self.old, self.new, self.at);
        let mut due_changed = Vec::new();
        let show = |t: Option<Timestamp>| t.map(|t| new.format_time(t));
        for (change, span) in spec.change_due.iter().zip(spans) {
            let mut open = false;
            for i in self.instances(&change.task) {
                let ts = &state.tasks[i.index()];
                if self.finished(i, ts) {
                    continue;
                }
                open = true;
                if ts.phase != Phase::Running {
                    // It starts later, under the new rule.
                    continue;
                }
                let name = &new.slots[i.index()].name;
                let before = old.task_ref(name).map(|o| &self.running.tasks[o.index()]);
                let ts = &mut state.tasks[i.index()];
                if let Some(due) = ts.due.filter(|&due| due < at) {
                    r.error(
                    Code::DueBeforeFollowUp,
                    span.clone(),
                    format!(
                        "the new due time of `{name}` would be {}, before the follow-up is applied at {}",
                        new.format_time(due),
                        new.format_time(at)
                    ),
                    Some("a follow-up can only set due times still ahead; give an absolute `At(...)` time after it, or a `ClockTime` (counted from the follow-up's issue day) later than it".to_owned()),
                );
                    continue;
                }
                let Some(before) = before else { continue };
                // The original due time stays for reporting; lateness is judged anew.
                ts.first_due = before.first_due;
                if ts.due != before.due {
                    if !new.tasks[new.slots[i.index()].task.index()]
                        .due
                        .is_some_and(|rule| rule.is_recurring())
                    {
                        ts.ever_overdue = false;
                    }
                    due_changed.push(DueChange {
                        task: name.clone(),
                        from: show(before.due),
                        to: show(ts.due),
                    });
                    if let Some(due) = ts.due {
                        effects.push(Effect {
                            at,
                            task: i,
                            kind: EffectKind::DueChanged { due },
                        });
                    }
                }
            }
            if !open {
                finished_error(r, span, &change.task, "change its due time");
            }
        }
        due_changed
    }

    /// The cancellations on the mapped `state`: each open instance enters its machine's
    /// `Cancelled` state, its pending timers stale.
    fn cancel(
        &self,
        r: &mut Problems<'_>,
        state: &mut InstanceState,
        (spec, spans): (&FollowUpSpec, &[Option<Range<usize>>]),
        effects: &mut Vec<Effect>,
    ) -> Vec<String> {
        let (new, at) = (self.new, self.at);
        let mut cancelled = Vec::new();
        for (cancel, span) in spec.cancel.iter().zip(spans) {
            let Some((task, _)) = self.resolve(&cancel.task) else {
                continue;
            };
            let machine = &new.machines[new.tasks[task.index()].machine.index()];
            let Some(to) = machine
                .states
                .iter()
                .position(|s| s.kind == StateKind::Cancelled)
            else {
                r.error(
                    Code::NoCancelledState,
                    span.clone(),
                    format!(
                        "task `{}` runs machine `{}`, which has no `Cancelled` state",
                        cancel.task, machine.id
                    ),
                    Some("add a state with `kind: Cancelled` to the machine".to_owned()),
                );
                continue;
            };
            let mut open = false;
            for i in self.instances(&cancel.task) {
                let ts = &mut state.tasks[i.index()];
                if self.finished(i, ts) {
                    continue;
                }
                open = true;
                ts.phase = Phase::Running;
                ts.state = crate::model::workflow::StateId(to as u32);
                // New epochs: every pending timer of the instance goes stale.
                ts.state_epoch = ts.state_epoch.wrapping_add(1);
                ts.due_epoch = ts.due_epoch.wrapping_add(1);
                ts.entered_at = at;
                ts.finished_at = Some(at);
                ts.overdue = false;
                ts.extension_requested = None;
                // Nothing waits for it any more (see `apply_amendment`).
                ts.withdrawn = true;
                state.done[task.index()] += 1;
                cancelled.push(new.slots[i.index()].name.clone());
                effects.push(Effect {
                    at,
                    task: i,
                    kind: EffectKind::Cancelled,
                });
            }
            if !open {
                finished_error(r, span, &cancel.task, "cancel it");
            }
        }
        cancelled
    }
}

impl Applying<'_> {
    /// The periods moved on the mapped `state` (`extend_period`, `end_period`, then
    /// `supersede`): the mapping gave each running instance its new end; here a period
    /// whose end has come ends now, the others are re-timed, and the final report's new
    /// due time is judged anew (the original stays in `first_due`). A period already over
    /// cannot be moved.
    fn periods(
        &self,
        r: &mut Problems<'_>,
        state: &mut InstanceState,
        (spec, spans): (&FollowUpSpec, &[Option<Range<usize>>]),
        effects: &mut Vec<Effect>,
    ) -> Vec<DueChange> {
        let (old, new, at) = (self.old, self.new, self.at);
        let show = |t: Option<Timestamp>| t.map(|t| new.format_time(t));
        let tasks = spec
            .extend_period
            .iter()
            .map(|e| (e.task.as_str(), "extend its period"))
            .chain(
                spec.end_period
                    .iter()
                    .map(|e| (e.task.as_str(), "end its period")),
            )
            .chain(
                spec.supersede
                    .iter()
                    .map(|e| (e.task.as_str(), "supersede it")),
            );
        let mut due_changed = Vec::new();
        for ((task, what), span) in tasks.zip(spans) {
            let mut open = false;
            for i in self.instances(task) {
                if self.finished(i, &state.tasks[i.index()]) {
                    continue;
                }
                open = true;
                if state.tasks[i.index()].phase != Phase::Running {
                    // Its period begins when it starts, under the new rule.
                    continue;
                }
                let name = &new.slots[i.index()].name;
                let Some(before) = old.task_ref(name).map(|o| &self.running.tasks[o.index()])
                else {
                    continue;
                };
                let ts = &mut state.tasks[i.index()];
                let (Some(period), Some(was)) = (ts.period.as_mut(), before.period) else {
                    continue;
                };
                if was.status == PeriodStatus::Ended {
                    r.error(
                        Code::TaskFinished,
                        span.clone(),
                        format!(
                            "the period of `{name}` already ended at {}: too late to {what}",
                            new.format_time(was.until)
                        ),
                        Some("remove the line; its final report is already owed".to_owned()),
                    );
                    continue;
                }
                if period.until <= at {
                    period.status = PeriodStatus::Ended;
                    period.epoch = period.epoch.wrapping_add(1);
                    effects.push(Effect {
                        at,
                        task: i,
                        kind: EffectKind::PeriodEnded,
                    });
                } else if period.until != was.until {
                    effects.push(Effect {
                        at,
                        task: i,
                        kind: EffectKind::PeriodExtended {
                            until: period.until,
                        },
                    });
                }
                ts.first_due = before.first_due;
                if ts.due != before.due {
                    ts.ever_overdue = false;
                    due_changed.push(DueChange {
                        task: name.clone(),
                        from: show(before.due),
                        to: show(ts.due),
                    });
                    if let Some(due) = ts.due {
                        effects.push(Effect {
                            at,
                            task: i,
                            kind: EffectKind::DueChanged { due },
                        });
                    }
                }
            }
            if !open {
                finished_error(r, span, task, what);
            }
        }
        due_changed
    }
}

fn finished_error(r: &mut Problems<'_>, span: &Option<Range<usize>>, task: &str, what: &str) {
    r.error(
        Code::TaskFinished,
        span.clone(),
        format!("task `{task}` is already finished: too late to {what}"),
        Some("remove the line; a finished task stays as it was reported".to_owned()),
    );
}

/// The errors found applying a follow-up, located in its text as the front end locates
/// the document's own.
struct Problems<'t> {
    text: &'t str,
    diagnostics: Vec<Diagnostic>,
}

impl<'t> Problems<'t> {
    fn new(text: &'t str) -> Self {
        Self {
            text,
            diagnostics: Vec::new(),
        }
    }

    fn error(
        &mut self,
        code: Code,
        span: Option<Range<usize>>,
        message: String,
        hint: Option<String>,
    ) {
        let capped = |text: String| cap_message(&text).into_owned();
        self.diagnostics.push(Diagnostic {
            severity: Severity::Error,
            code,
            message: capped(message),
            location: span.as_ref().map(|s| location_of(self.text, s.start)),
            span,
            hint: hint.map(capped),
            origin: None,
        });
    }

    /// In file order, unlocated last, keeping discovery order among equals.
    fn finish(mut self) -> Vec<Diagnostic> {
        self.diagnostics
            .sort_by_key(|d| d.span.as_ref().map_or(usize::MAX, |s| s.start));
        self.diagnostics
    }
}
