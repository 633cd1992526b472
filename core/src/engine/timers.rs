//! Timers: what is pending, when the host should call again, and `advance`, which fires
//! them in order.

use super::{
    ActError, Effect, EffectKind, Input, Instance, PeriodState, PeriodStatus, Phase, in_range,
};
use crate::model::spec::EscalationAction;
use crate::model::time::Timestamp;
use crate::model::workflow::{ActionId, AgencyId, Target, TaskRef};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A pending timer. Ordered by time, then instance, then kind: that order is the
/// deterministic tie-break when several fire at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(super) struct Timer {
    pub(super) at: Timestamp,
    pub(super) task: TaskRef,
    pub(super) kind: TimerKind,
}

/// Adds the timers that can fire: one after [`Timestamp::MAX`] never does (no input
/// moves the clock past it), and keeping it would put an unrepresentable time into
/// `next_timer` and snapshots.
pub(super) fn add_timers(set: &mut BTreeSet<Timer>, timers: impl IntoIterator<Item = Timer>) {
    set.extend(timers.into_iter().filter(|t| t.at <= Timestamp::MAX));
}

/// The timer of a period's next change, if it has one to come.
pub(super) fn period_timer(task: TaskRef, period: &PeriodState) -> Option<Timer> {
    let (at, kind) = match period.status {
        PeriodStatus::Pending => (
            period.from,
            TimerKind::PeriodStart {
                epoch: period.epoch,
            },
        ),
        PeriodStatus::InForce => (
            period.until,
            TimerKind::PeriodEnd {
                epoch: period.epoch,
            },
        ),
        PeriodStatus::Ended => return None,
    };
    Some(Timer { at, task, kind })
}

/// Timers carry the epoch they were set in; a change of state or due time makes older
/// timers stale, and stale timers are skipped rather than searched for and removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(super) enum TimerKind {
    Start,
    Due {
        epoch: u32,
    },
    Level {
        level: u16,
        epoch: u32,
    },
    Timed {
        transition: u16,
        epoch: u32,
    },
    /// A period in force begins; `epoch` is the period's.
    PeriodStart {
        epoch: u32,
    },
    /// A period in force ends.
    PeriodEnd {
        epoch: u32,
    },
}

/// Why the next timer is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum TimerReason {
    /// A task starts.
    Start,
    /// A due time.
    Due,
    /// An escalation level (numbered from 1).
    Escalation {
        /// Level number.
        level: u8,
    },
    /// A timed transition.
    Timed {
        /// Its action.
        action: ActionId,
    },
    /// A measure comes into force.
    PeriodStart,
    /// A measure's period in force ends.
    PeriodEnd,
}

/// The next moment the instance needs `advance`, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NextTimer {
    /// When.
    pub at: Timestamp,
    /// Which task instance.
    pub task: TaskRef,
    /// Why.
    pub reason: TimerReason,
}

impl Instance {
    /// Sets the timers that hang on the current due time.
    pub(super) fn schedule_due(&mut self, task: TaskRef) {
        let now = self.state.now;
        let ts = &self.state.tasks[task.index()];
        let Some(due) = ts.due else { return };
        let epoch = ts.due_epoch;
        let mut timers = vec![Timer {
            at: due.max(now),
            task,
            kind: TimerKind::Due { epoch },
        }];
        let def = self.task_def(task);
        if let Some(policy) = def.policy {
            for (n, level) in self.workflow.policies[policy].levels.iter().enumerate() {
                if level.entered.is_none() {
                    timers.push(Timer {
                        at: due.saturating_add(level.after).max(now),
                        task,
                        kind: TimerKind::Level {
                            level: n as u16,
                            epoch,
                        },
                    });
                }
            }
        }
        add_timers(&mut self.state.timers, timers);
    }

    /// Sets the timers that hang on being in the current state.
    pub(super) fn schedule_state(&mut self, task: TaskRef) {
        let now = self.state.now;
        let ts = &self.state.tasks[task.index()];
        let (state, epoch, entered) = (ts.state, ts.state_epoch, ts.entered_at);
        let def = self.task_def(task);
        let mut timers = Vec::new();
        if let Some(policy) = def.policy {
            for (n, level) in self.workflow.policies[policy].levels.iter().enumerate() {
                if def.level_states.get(n).copied().flatten() == Some(state) {
                    timers.push(Timer {
                        at: entered.saturating_add(level.after).max(now),
                        task,
                        kind: TimerKind::Level {
                            level: n as u16,
                            epoch,
                        },
                    });
                }
            }
        }
        for (n, transition) in self.machine(task).transitions.iter().enumerate() {
            if let Some(after) = transition.after
                && transition.from.contains(&state)
            {
                timers.push(Timer {
                    at: entered.saturating_add(after).max(now),
                    task,
                    kind: TimerKind::Timed {
                        transition: n as u16,
                        epoch,
                    },
                });
            }
        }
        add_timers(&mut self.state.timers, timers);
    }

    /// Drops stale timers from the front of the queue, so the first timer is live and
    /// `next_timer` is O(1). Called at the end of every input.
    pub(super) fn prune_stale_front(&mut self) {
        while let Some(first) = self.state.timers.first().copied() {
            if self.is_live(&first) {
                break;
            }
            self.state.timers.pop_first();
        }
    }

    /// Whether a timer would still do something if it fired now.
    pub(super) fn is_live(&self, timer: &Timer) -> bool {
        let Some(ts) = self.state.tasks.get(timer.task.index()) else {
            return false;
        };
        match timer.kind {
            TimerKind::Start => ts.phase == Phase::Waiting,
            TimerKind::Due { epoch } => epoch == ts.due_epoch && self.outstanding(timer.task),
            TimerKind::Level { level, epoch } => {
                let def = self.task_def(timer.task);
                match def.level_states.get(level as usize).copied().flatten() {
                    Some(state) => {
                        ts.phase == Phase::Running && epoch == ts.state_epoch && ts.state == state
                    }
                    None => epoch == ts.due_epoch && self.outstanding(timer.task),
                }
            }
            TimerKind::Timed { epoch, .. } => ts.phase == Phase::Running && epoch == ts.state_epoch,
            TimerKind::PeriodStart { epoch } => {
                self.period_timer_live(timer.task, epoch, PeriodStatus::Pending)
            }
            TimerKind::PeriodEnd { epoch } => {
                self.period_timer_live(timer.task, epoch, PeriodStatus::InForce)
            }
        }
    }

    /// When the host should next call [`Instance::advance`], and why; `None` when no
    /// timer is pending.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let (instance, _) = directrix_core::Instance::start(workflow.clone(), workflow.directive().issued_at)?;
    /// let next = instance.next_timer().unwrap();
    /// assert!(next.at >= instance.now());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn next_timer(&self) -> Option<NextTimer> {
        let timer = self.state.timers.iter().find(|t| self.is_live(t))?;
        let reason = match timer.kind {
            TimerKind::Start => TimerReason::Start,
            TimerKind::Due { .. } => TimerReason::Due,
            TimerKind::Level { level, .. } => TimerReason::Escalation {
                level: (level + 1).min(u8::MAX as u16) as u8,
            },
            TimerKind::Timed { transition, .. } => TimerReason::Timed {
                action: self.machine(timer.task).transitions[transition as usize].action,
            },
            TimerKind::PeriodStart { .. } => TimerReason::PeriodStart,
            TimerKind::PeriodEnd { .. } => TimerReason::PeriodEnd,
        };
        Some(NextTimer {
            at: timer.at,
            task: timer.task,
            reason,
        })
    }

    /// Moves time to `to`, firing every timer due until then in order (time, then task
    /// instance, then kind). Calling it early is harmless: it only moves the clock.
    ///
    /// # Errors
    /// [`ActError::TimeWentBackwards`] when `to` is before [`Instance::now`];
    /// [`ActError::TimeOutOfRange`] when it is after [`Timestamp::MAX`];
    /// [`ActError::TooManyTimers`] when more than the workflow's
    /// [`crate::Limits::timers_per_advance`] timers would fire (a repeating escalation
    /// every second, advanced a year at once). Either way the instance is unchanged.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use directrix_core::{Timestamp, Span};
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let (mut instance, _) = directrix_core::Instance::start(workflow.clone(), workflow.directive().issued_at)?;
    /// let week_later = instance.now().saturating_add(Span::parse("7d")?);
    /// let effects = instance.advance(week_later)?;
    /// assert!(effects.iter().any(|e| e.kind.name() == "overdue"));
    /// assert!(instance.advance(workflow.directive().issued_at).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn advance(&mut self, to: Timestamp) -> Result<Vec<Effect>, ActError> {
        in_range(to)?;
        if to < self.state.now {
            return Err(ActError::TimeWentBackwards {
                at: to,
                now: self.state.now,
            });
        }
        let mut effects = Vec::new();
        let limit = self.workflow.limits.timers_per_advance;
        // `to >= now` here, so the window is not negative.
        let window = to.as_seconds().saturating_sub(self.state.now.as_seconds()) as u64;
        let bound = self.workflow.timer_bound.timers(window);
        if bound <= limit {
            // The common case: the limit cannot be reached, so nothing to keep.
            let fired = self.fire_until(to, u64::MAX, &mut effects);
            debug_assert!(fired.is_ok_and(|n| n <= bound), "{fired:?} > {bound}");
        } else {
            // It might be: keep a copy (without the journal, which firing does not touch)
            // to restore if it is. Costs O(instance), only when the bound is that large.
            let journal = std::mem::take(&mut self.state.journal);
            let before = self.state.clone();
            self.state.journal = journal;
            if let Err(at) = self.fire_until(to, limit, &mut effects) {
                let journal = std::mem::take(&mut self.state.journal);
                self.state = before;
                self.state.journal = journal;
                return Err(ActError::TooManyTimers { to, limit, at });
            }
        }
        self.state.now = to;
        self.prune_stale_front();
        self.state.journal.push(Input::Advance { to });
        Ok(effects)
    }

    /// Fires the live timers due by `to`, in order; returns how many, or, before firing
    /// one more than `limit`, the time it is due (the instance is then half advanced).
    fn fire_until(
        &mut self,
        to: Timestamp,
        limit: u64,
        effects: &mut Vec<Effect>,
    ) -> Result<u64, Timestamp> {
        let mut fired = 0u64;
        while let Some(timer) = self.state.timers.first().copied() {
            if timer.at > to {
                break;
            }
            if self.is_live(&timer) {
                if fired == limit {
                    return Err(timer.at);
                }
                fired += 1;
                self.state.timers.pop_first();
                self.state.now = timer.at;
                self.fire(timer, effects);
            } else {
                self.state.timers.pop_first();
            }
        }
        Ok(fired)
    }

    pub(super) fn fire(&mut self, timer: Timer, effects: &mut Vec<Effect>) {
        let task = timer.task;
        match timer.kind {
            TimerKind::Start => {
                let at = timer.at;
                self.begin(task, at, effects);
                if !self.task_def(task).depends_on.is_empty() && self.dependencies_done(task) {
                    effects.push(Effect {
                        at,
                        task,
                        kind: EffectKind::Unblocked,
                    });
                }
            }
            TimerKind::Due { .. } => {
                let ts = &mut self.state.tasks[task.index()];
                ts.overdue = true;
                ts.ever_overdue = true;
                if let Some(due) = ts.due {
                    effects.push(Effect {
                        at: timer.at,
                        task,
                        kind: EffectKind::Overdue { due },
                    });
                }
            }
            TimerKind::Level { level, epoch } => {
                self.escalate(task, level as usize, timer.at, effects);
                let repeat = self
                    .task_def(task)
                    .policy
                    .and_then(|p| self.workflow.policies[p].levels.get(level as usize))
                    .and_then(|l| l.repeat);
                if let Some(repeat) = repeat {
                    add_timers(
                        &mut self.state.timers,
                        [Timer {
                            at: timer.at.saturating_add(repeat),
                            task,
                            kind: TimerKind::Level { level, epoch },
                        }],
                    );
                }
            }
            TimerKind::Timed { transition, .. } => {
                self.apply(task, transition as usize, None, None, effects);
            }
            TimerKind::PeriodStart { .. } | TimerKind::PeriodEnd { .. } => {
                self.settle_period(task, effects);
            }
        }
    }

    /// Whether a period timer set in `epoch` still finds the period in `status`, on a
    /// task not finished (a withdrawn measure neither starts nor ends).
    fn period_timer_live(&self, task: TaskRef, epoch: u32, status: PeriodStatus) -> bool {
        let ts = &self.state.tasks[task.index()];
        ts.phase == Phase::Running
            && !self.current_state(task).is_terminal()
            && ts
                .period
                .is_some_and(|p| p.epoch == epoch && p.status == status)
    }

    /// Brings a task's period up to the clock: it comes into force at `from` and ends at
    /// `until` (each with its effect, both at once for a period already over), then sets
    /// the timer for its next change.
    pub(super) fn settle_period(&mut self, task: TaskRef, effects: &mut Vec<Effect>) {
        let now = self.state.now;
        let Some(period) = self.state.tasks[task.index()].period.as_mut() else {
            return;
        };
        if period.status == PeriodStatus::Pending && period.from <= now {
            period.status = PeriodStatus::InForce;
            effects.push(Effect {
                at: now,
                task,
                kind: EffectKind::PeriodStarted {
                    from: period.from,
                    until: period.until,
                },
            });
        }
        if period.status == PeriodStatus::InForce && period.until <= now {
            period.status = PeriodStatus::Ended;
            effects.push(Effect {
                at: now,
                task,
                kind: EffectKind::PeriodEnded,
            });
        }
        let timer = period_timer(task, period);
        add_timers(&mut self.state.timers, timer);
    }

    fn escalate(&mut self, task: TaskRef, level: usize, at: Timestamp, effects: &mut Vec<Effect>) {
        let def = self.task_def(task);
        let Some(policy) = def.policy else { return };
        let Some(spec) = self.workflow.policies[policy].levels.get(level) else {
            return;
        };
        let number = (level + 1).min(u8::MAX as usize) as u8;
        let parent_or_issuer = |agency: AgencyId| {
            self.workflow.agencies[agency.index()]
                .parent
                .unwrap_or(self.workflow.directive.issuer)
        };
        let mut targets: Vec<AgencyId> = Vec::new();
        match spec.target {
            Target::Lead => targets.extend_from_slice(self.leads(task)),
            Target::Parent => targets.extend(self.leads(task).iter().map(|&l| parent_or_issuer(l))),
            Target::Supervisor => targets.push(def.supervisor),
            Target::SupervisorParent => targets.push(
                self.workflow.agencies[def.supervisor.index()]
                    .parent
                    .unwrap_or(def.supervisor),
            ),
            Target::Issuer => targets.push(self.workflow.directive.issuer),
            Target::ParentIssuer => {
                targets.push(def.parent_issuer.unwrap_or(self.workflow.directive.issuer))
            }
            Target::Agency(agency) => targets.push(agency),
        }
        targets.dedup();
        let action = spec.action;
        let ts = &mut self.state.tasks[task.index()];
        ts.level = ts.level.max(number);
        for target in targets {
            let kind = match action {
                EscalationAction::Remind => EffectKind::Reminded {
                    level: number,
                    target,
                },
                EscalationAction::Warn => EffectKind::Warned {
                    level: number,
                    target,
                },
                EscalationAction::Escalate => EffectKind::Escalated {
                    level: number,
                    target,
                },
                EscalationAction::Reassign => {
                    self.state.tasks[task.index()].reassigned_to = Some(target);
                    EffectKind::Reassigned {
                        level: number,
                        target,
                    }
                }
            };
            effects.push(Effect { at, task, kind });
        }
    }
}
