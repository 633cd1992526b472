//! Restoring at a later time: what happens to the timers that fell due while the
//! instance was stored. The caller chooses; nothing is dropped silently.

use super::{
    ActError, Effect, EffectKind, Input, Instance, RestoreError, Snapshot, Timer, TimerKind,
    add_timers,
};
use crate::model::time::{Span, Timestamp};
use crate::model::workflow::{TaskRef, Workflow};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What [`Instance::restore_at`] does with the timers that fell due while the instance
/// was stored.
///
/// Start times, due times (`overdue`) and timed transitions always take effect in
/// order, whatever the policy: they are facts of the model's clock, and skipping them
/// would leave a task never started, or a late task counted as on time. The policy
/// applies to escalation levels, the messages (reminders, warnings, escalations,
/// reassignments) that may be stale after a long pause.
///
/// A recurring *due* never piles up: the engine keeps a recurring task at its first
/// missed occurrence (one `overdue`), and its next report covers every missed period.
/// What recurs are escalation levels with a `repeat`.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerPolicy {
    /// Every missed timer fires, in order, at its own time: exactly
    /// [`Instance::advance`]`(now)`. The default.
    #[default]
    CatchUp,
    /// Missed escalation levels do not fire: each yields a `skipped` effect and is
    /// recorded in the journal; a repeating level resumes at its first occurrence from
    /// `now` on. Timers due exactly at `now` are not missed and fire.
    Skip,
    /// A repeating escalation level fires once, at its latest missed occurrence, instead
    /// of once per missed occurrence; everything else catches up.
    CollapseRecurring,
}

/// An escalation level that [`TimerPolicy::Skip`] did not fire.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedTimer {
    /// When it would have fired (epoch seconds).
    #[cfg_attr(feature = "typescript", tsify(type = "number"))]
    pub at: Timestamp,
    /// The task instance (its dense index).
    #[cfg_attr(feature = "typescript", tsify(type = "number"))]
    pub task: TaskRef,
    /// Level number from 1.
    pub level: u8,
}

/// The first `start + k * step` (k ≥ 0) at or after `bound` (`at_or_after`) or the last
/// one at or before it.
fn occurrence(start: Timestamp, step: Span, bound: Timestamp, at_or_after: bool) -> Timestamp {
    let step = step.as_seconds().max(1);
    if bound <= start {
        return start;
    }
    let gap = bound.since(start).as_seconds();
    let mut k = gap / step;
    if at_or_after && gap % step != 0 {
        k += 1;
    }
    start.saturating_add(Span::from_seconds(k.saturating_mul(step)))
}

impl Instance {
    /// Restores a snapshot and moves its clock to `now`, handling the timers that fell
    /// due in between as `policy` says. Returns the instance and the effects of the
    /// catch-up, for the host to deliver. [`Instance::restore`] keeps the snapshot's
    /// time instead.
    ///
    /// # Errors
    /// Anything [`Instance::restore`] returns, [`RestoreError::TimeWentBackwards`] when
    /// `now` is before the snapshot's time, and [`RestoreError::CatchUp`] when catching
    /// up is refused (more timers than the `timers-per-advance` limit).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// use directrix_core::{Instance, Span, instance::TimerPolicy};
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let (instance, _) = Instance::start(workflow.clone(), workflow.directive().issued_at)?;
    /// let later = instance.now().saturating_add(Span::parse("5d")?);
    /// let (restored, effects) =
    ///     Instance::restore_at(workflow, instance.snapshot(), later, TimerPolicy::Skip)?;
    /// assert_eq!(restored.now(), later);
    /// assert!(effects.iter().any(|e| e.kind.name() == "skipped"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn restore_at(
        workflow: Arc<Workflow>,
        snapshot: Snapshot,
        now: Timestamp,
        policy: TimerPolicy,
    ) -> Result<(Self, Vec<Effect>), RestoreError> {
        let mut instance = Self::restore(workflow, snapshot)?;
        let effects = instance.resume(now, policy).map_err(|error| match error {
            ActError::TimeWentBackwards { .. } => RestoreError::TimeWentBackwards {
                at: now,
                now: instance.now(),
            },
            // Catching up under `CatchUp` is an `advance`, bounded by the workflow's
            // `timers-per-advance` limit.
            other => RestoreError::CatchUp(other),
        })?;
        Ok((instance, effects))
    }

    /// Moves the clock to `to` under a [`TimerPolicy`], as [`Instance::restore_at`] does
    /// for a restored instance: for a host that kept an instance in memory while it was
    /// not being advanced. `CatchUp` is [`Instance::advance`]; the other policies are
    /// journaled as a `resume` input, so replay reproduces the same state.
    ///
    /// # Errors
    /// [`ActError::TimeWentBackwards`] when `to` is before [`Instance::now`],
    /// [`ActError::TimeOutOfRange`] when it is after [`Timestamp::MAX`], and
    /// [`ActError::TooManyTimers`] past the `timers-per-advance` limit; nothing changes
    /// then.
    pub fn resume(&mut self, to: Timestamp, policy: TimerPolicy) -> Result<Vec<Effect>, ActError> {
        if policy == TimerPolicy::CatchUp {
            return self.advance(to);
        }
        super::in_range(to)?;
        if to < self.state.now {
            return Err(ActError::TimeWentBackwards {
                at: to,
                now: self.state.now,
            });
        }
        let mut effects = Vec::new();
        let mut skipped = Vec::new();
        // The same `timers-per-advance` limit as `advance` (timed transitions can still
        // loop); a resume is rare, so it simply keeps a copy to undo a refusal.
        let limit = self.workflow.limits.timers_per_advance;
        let before = self.state.clone();
        let mut handled = 0u64;
        // The order of `advance` (time, task instance, kind), with the policy deciding
        // about each live escalation timer before it fires.
        while let Some(timer) = self.state.timers.first().copied() {
            if timer.at > to {
                break;
            }
            self.state.timers.pop_first();
            if !self.is_live(&timer) {
                continue;
            }
            if handled == limit {
                self.state = before;
                return Err(ActError::TooManyTimers {
                    to,
                    limit,
                    at: timer.at,
                });
            }
            handled += 1;
            self.state.now = timer.at;
            if let TimerKind::Level { level, .. } = timer.kind {
                let repeat = self.level_repeat(timer.task, level as usize);
                match policy {
                    TimerPolicy::Skip if timer.at < to => {
                        let number = (level + 1).min(u8::MAX as u16) as u8;
                        skipped.push(SkippedTimer {
                            at: timer.at,
                            task: timer.task,
                            level: number,
                        });
                        effects.push(Effect {
                            at: timer.at,
                            task: timer.task,
                            kind: EffectKind::Skipped { level: number },
                        });
                        if let Some(repeat) = repeat {
                            add_timers(
                                &mut self.state.timers,
                                [Timer {
                                    at: occurrence(timer.at, repeat, to, true),
                                    ..timer
                                }],
                            );
                        }
                        continue;
                    }
                    TimerPolicy::CollapseRecurring => {
                        if let Some(repeat) = repeat {
                            let latest = occurrence(timer.at, repeat, to, false);
                            if latest > timer.at {
                                // Fires once, at the latest occurrence, if still live then.
                                self.state.timers.insert(Timer {
                                    at: latest,
                                    ..timer
                                });
                                continue;
                            }
                        }
                    }
                    _ => {}
                }
            }
            self.fire(timer, &mut effects);
        }
        self.state.now = to;
        self.prune_stale_front();
        self.state.journal.push(Input::Resume {
            to,
            policy,
            skipped,
        });
        Ok(effects)
    }

    /// The repeat interval of escalation level `level` of the task's policy.
    pub(super) fn level_repeat(&self, task: TaskRef, level: usize) -> Option<Span> {
        self.task_def(task)
            .policy
            .and_then(|p| self.workflow.policies[p].levels.get(level))
            .and_then(|l| l.repeat)
    }
}
