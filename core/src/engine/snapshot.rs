//! Snapshots: the persisted form of an instance, restoring one, and the checks that a
//! state from outside fits the workflow.

use super::{ActError, Input, Instance, InstanceState, PeriodStatus, Phase, TaskState, TimerKind};
use crate::model::spec::StateKind;
use crate::model::time::Timestamp;
use crate::model::workflow::{Start, TaskRef, Workflow};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::Arc;

impl Instance {
    /// A snapshot for the host to persist.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let (instance, _) = directrix_core::Instance::start(workflow.clone(), workflow.directive().issued_at)?;
    /// let json = serde_json::to_string(&instance.snapshot()).unwrap();
    /// let snapshot = serde_json::from_str(&json).unwrap();
    /// let restored = directrix_core::Instance::restore(workflow, snapshot).unwrap();
    /// assert_eq!(restored, instance);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            format: SNAPSHOT_FORMAT,
            directive: self.workflow.directive.number.clone(),
            workflow_hash: Some(self.workflow.content_hash.clone()),
            state: self.state.clone(),
        }
    }

    /// A snapshot without the journal: it records how many inputs it covers
    /// ([`Instance::journal_len`]) instead of carrying them, so its size does not grow
    /// with the journal. For a host that stores the journal itself: restore it, then
    /// [`Instance::apply_input`] each input journaled since, in order, to get the instance
    /// that replaying the whole journal gives. An instance restored from it keeps only
    /// the inputs applied since ([`Instance::journal`]).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// use directrix_core::{Instance, Span};
    /// let (mut instance, _) = Instance::start(workflow.clone(), workflow.directive().issued_at)?;
    /// let snapshot = instance.snapshot_without_journal();
    /// instance.advance(instance.now().saturating_add(Span::parse("3d")?))?;
    ///
    /// let mut restored = Instance::restore(workflow, snapshot)?;
    /// for input in &instance.journal()[restored.journal_len()..] {
    ///     restored.apply_input(input)?;
    /// }
    /// assert_eq!(restored.snapshot_without_journal(), instance.snapshot_without_journal());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn snapshot_without_journal(&self) -> Snapshot {
        let state = &self.state;
        Snapshot {
            format: SNAPSHOT_FORMAT,
            directive: self.workflow.directive.number.clone(),
            workflow_hash: Some(self.workflow.content_hash.clone()),
            state: InstanceState {
                started_at: state.started_at,
                now: state.now,
                tasks: state.tasks.clone(),
                done: state.done.clone(),
                timers: state.timers.clone(),
                journal_base: self.journal_len(),
                journal: Vec::new(),
            },
        }
    }

    /// A fingerprint of the instance's state, 16 hex digits: equal for two instances of
    /// the same workflow version in the same state (time, task states, timers) after as
    /// many inputs, whatever part of the journal they keep in memory, and the same
    /// natively and in WebAssembly. A host publishes it so that a portal replaying the
    /// host's journal can show that it reached the same state. FNV-1a over the postcard
    /// form of what [`Instance::snapshot_without_journal`] holds: it tells states apart,
    /// it is no defence against a forged one.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// use directrix_core::{Instance, Span};
    /// let (mut instance, _) = Instance::start(workflow.clone(), workflow.directive().issued_at)?;
    /// let started = instance.state_hash();
    /// instance.advance(instance.now().saturating_add(Span::parse("3d")?))?;
    /// assert_ne!(instance.state_hash(), started);
    /// let replayed = Instance::replay(workflow, instance.journal())?;
    /// assert_eq!(replayed.state_hash(), instance.state_hash());
    /// instance.forget_journal();
    /// assert_eq!(replayed.state_hash(), instance.state_hash());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn state_hash(&self) -> String {
        let state = &self.state;
        // The snapshot's fields by reference: no copy of the state.
        crate::model::hash::fnv_hex(&(
            SNAPSHOT_FORMAT,
            &self.workflow.content_hash,
            state.started_at,
            state.now,
            &state.tasks,
            &state.done,
            &state.timers,
            self.journal_len(),
        ))
    }

    /// Rebuilds an instance from a snapshot of the same workflow (same directive, same
    /// [`Workflow::content_hash`]). Pending timers come back with it; nothing already
    /// delivered is emitted again, and the clock stays at the snapshot's time (see
    /// [`Instance::restore_at`] to restore at a later time).
    ///
    /// # Errors
    /// [`RestoreError`] for another format (format 1 must be migrated), another
    /// directive, another version of the workflow ([`Instance::migrate`] it), or a
    /// snapshot whose contents do not fit the workflow (tampered).
    pub fn restore(workflow: Arc<Workflow>, snapshot: Snapshot) -> Result<Self, RestoreError> {
        snapshot.check_identity(&workflow, false)?;
        if snapshot.workflow_hash.as_deref() != Some(workflow.content_hash.as_str()) {
            return Err(RestoreError::OtherVersion {
                found: snapshot.workflow_hash.unwrap_or_default(),
                expected: workflow.content_hash.clone(),
            });
        }
        snapshot.state.fits(&workflow)?;
        Ok(Self {
            workflow,
            state: snapshot.state,
        })
    }
}

/// The snapshot format version this crate writes and reads.
///
/// Format 2 added `workflow_hash`. A format-1 snapshot records no workflow version, so
/// [`Instance::restore`] refuses it ([`RestoreError::NeedsMigration`]);
/// [`Instance::migrate`] reads it, given the workflow it was taken with.
pub const SNAPSHOT_FORMAT: u32 = 2;

/// A persisted instance: its format version, the workflow it belongs to (directive
/// number and content hash), and its state. Task instances, states and agencies inside
/// `state` are dense indices of that workflow: restoring is a check and a copy, and
/// [`Instance::migrate`] maps them by id to another version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// [`SNAPSHOT_FORMAT`] when written.
    pub format: u32,
    /// The directive number of the workflow.
    pub directive: String,
    /// The [`Workflow::content_hash`] of the workflow it was taken with (absent in
    /// format 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_hash: Option<String>,
    /// The instance state.
    pub state: InstanceState,
}

impl Snapshot {
    /// The checks shared by restore and migrate: a known format (format 1 only when
    /// migrating), the same directive.
    pub(super) fn check_identity(
        &self,
        workflow: &Workflow,
        migrating: bool,
    ) -> Result<(), RestoreError> {
        match self.format {
            SNAPSHOT_FORMAT => {}
            1 if migrating => {}
            1 => return Err(RestoreError::NeedsMigration { found: 1 }),
            found => {
                return Err(RestoreError::Format {
                    found,
                    expected: SNAPSHOT_FORMAT,
                });
            }
        }
        if self.directive != workflow.directive.number {
            return Err(RestoreError::OtherWorkflow {
                found: self.directive.clone(),
                expected: workflow.directive.number.clone(),
            });
        }
        Ok(())
    }
}

/// Why a snapshot cannot be restored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RestoreError {
    /// Written by another format version.
    #[error("snapshot format {found} is not supported (this directrix reads format {expected})")]
    Format {
        /// Found.
        found: u32,
        /// Expected.
        expected: u32,
    },
    /// Format 1 records no workflow version: it cannot be restored as is.
    #[error(
        "snapshot format {found} records no workflow version (migrate it with the workflow it was taken with: `directrix migrate --from OLD.ron --to NEW.ron`, or `Instance::migrate`)"
    )]
    NeedsMigration {
        /// Found.
        found: u32,
    },
    /// Taken with another version of the workflow.
    #[error(
        "snapshot was taken with version {found} of this workflow, not {expected} (migrate it: `directrix migrate --from OLD.ron --to NEW.ron`, or `Instance::migrate`)"
    )]
    OtherVersion {
        /// The snapshot's workflow hash.
        found: String,
        /// This workflow's hash.
        expected: String,
    },
    /// `restore_at` was given a time before the snapshot's.
    #[error(
        "cannot restore at {at}: the snapshot's clock is already at {now} (restore at or after it)"
    )]
    TimeWentBackwards {
        /// The time given.
        at: Timestamp,
        /// The snapshot's time.
        now: Timestamp,
    },
    /// Belongs to another directive.
    #[error(
        "snapshot belongs to directive `{}`, not `{expected}` (restore it with its own workflow)",
        crate::model::diagnostic::excerpt(.found)
    )]
    OtherWorkflow {
        /// Found.
        found: String,
        /// Expected.
        expected: String,
    },
    /// Does not fit the workflow.
    #[error(
        "snapshot does not fit this workflow: {0} (was it edited, or taken from another version of the workflow?)"
    )]
    Mismatch(String),
    /// [`Instance::restore_at`] could not move the clock to the time given.
    #[error("cannot catch up to the restore time: {0}")]
    CatchUp(ActError),
}

impl RestoreError {
    /// A stable snake_case code for hosts, as [`ActError::code`]: `invalid_snapshot`
    /// for a snapshot that is damaged or does not fit, `snapshot_format`,
    /// `needs_migration`, `other_version`, `other_workflow`, `time_went_backwards`, and
    /// for [`RestoreError::CatchUp`] the refusal's own code.
    ///
    /// ```
    /// let e = directrix_core::instance::RestoreError::Mismatch("edited".into());
    /// assert_eq!(e.code(), "invalid_snapshot");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            RestoreError::Format { .. } => "snapshot_format",
            RestoreError::NeedsMigration { .. } => "needs_migration",
            RestoreError::OtherVersion { .. } => "other_version",
            RestoreError::TimeWentBackwards { .. } => "time_went_backwards",
            RestoreError::OtherWorkflow { .. } => "other_workflow",
            RestoreError::Mismatch(_) => "invalid_snapshot",
            RestoreError::CatchUp(error) => error.code(),
        }
    }
}

impl InstanceState {
    /// Checks a state from outside (a snapshot) against the workflow: every index, and
    /// every invariant the engine relies on and keeps itself, so a restored instance can
    /// neither panic later nor behave in a way no sequence of inputs could have produced.
    /// `restore`, `restore_at` and `migrate` (so the JS bindings) come through here;
    /// replay rebuilds its state through the engine itself.
    ///
    /// What holds for a state the engine made (each check says what relies on it):
    /// - every time is in the representable range ([`Timestamp::MIN`] to
    ///   [`Timestamp::MAX`]), `started_at <= now`, and nothing but a task's start (which
    ///   may precede the instance) and due times lies after `now`;
    /// - a task not running yet is in its initial state with no due time, level,
    ///   lateness, reassignment, extension or finish; a waiting one has a start timer, a
    ///   blocked one starts after its dependencies and has some;
    /// - `finished_at` is set exactly for a running task in a `Done` or `Cancelled`
    ///   state; a finished task is not overdue; `overdue` implies `ever_overdue` and a
    ///   due time already passed;
    /// - the escalation level is at most the number of levels of the task's policy;
    /// - `done` counts exactly the task instances in a `Done` state or withdrawn
    ///   (dependencies are released by it); a withdrawn one is in a `Cancelled` state;
    /// - timers are at or after `now`, name a task instance, level or transition that
    ///   exists, and a timer that would fire (live) does what its task allows: a due
    ///   timer needs a due time, a timed transition leaves the current state;
    /// - the journal begins with the one `start` at `started_at` (or, for a state
    ///   without its journal, holds no `start`), its times never go backwards nor past
    ///   `now`, and the inputs since the last change of workflow (`migrate`,
    ///   `follow_up`) name agencies, task instances and actions that exist.
    pub(super) fn fits(&self, workflow: &Workflow) -> Result<(), RestoreError> {
        let mismatch = |what: String| Err(RestoreError::Mismatch(what));
        if self.tasks.len() != workflow.slots.len() {
            return mismatch(format!(
                "{} task instances, the workflow has {}",
                self.tasks.len(),
                workflow.slots.len()
            ));
        }
        if self.done.len() != workflow.tasks.len() {
            return mismatch(format!(
                "{} task counters, the workflow has {} tasks",
                self.done.len(),
                workflow.tasks.len()
            ));
        }
        time_fits(self.started_at, "its start")?;
        time_fits(self.now, "its clock")?;
        if self.now < self.started_at {
            return mismatch("its clock is before its start".to_owned());
        }
        let waiting_timer: BTreeSet<TaskRef> = self
            .timers
            .iter()
            .filter(|t| t.kind == TimerKind::Start)
            .map(|t| t.task)
            .collect();
        let mut done = vec![0u32; workflow.tasks.len()];
        for (i, ts) in self.tasks.iter().enumerate() {
            if self.task_fits(workflow, TaskRef(i as u32), ts, &waiting_timer)? {
                done[workflow.slots[i].task.index()] += 1;
            }
        }
        if let Some(task) = (0..done.len()).find(|&t| done[t] != self.done[t]) {
            return mismatch(format!(
                "task `{}` counts {} instances done, but {} are",
                workflow.tasks[task].id, self.done[task], done[task]
            ));
        }
        self.timers_fit(workflow)?;
        self.journal_fits(workflow)
    }

    /// The checks of [`InstanceState::fits`] on one task instance; whether it counts as
    /// done.
    fn task_fits(
        &self,
        workflow: &Workflow,
        id: TaskRef,
        ts: &TaskState,
        waiting_timer: &BTreeSet<TaskRef>,
    ) -> Result<bool, RestoreError> {
        let slot = &workflow.slots[id.index()];
        let def = &workflow.tasks[slot.task.index()];
        let machine = &workflow.machines[def.machine.index()];
        let task = |what: &str| {
            Err(RestoreError::Mismatch(format!(
                "task `{}` {what}",
                slot.name
            )))
        };
        let Some(state) = machine.states.get(ts.state.index()) else {
            return task(&format!(
                "is in state #{}, which does not exist",
                ts.state.0
            ));
        };
        if ts
            .reassigned_to
            .is_some_and(|a| a.index() >= workflow.agencies.len())
        {
            return task("is assigned to an unknown agency");
        }
        for (time, what) in [
            (ts.started_at, "start"),
            (Some(ts.entered_at), "entry into its state"),
            (ts.due, "due time"),
            (ts.first_due, "original due time"),
            (ts.finished_at, "finish"),
            (ts.extension_requested, "requested due time"),
        ] {
            if let Some(time) = time {
                time_fits(time, &format!("the {what} of task `{}`", slot.name))?;
            }
        }
        if ts.entered_at > self.now || ts.finished_at.is_some_and(|t| t > self.now) {
            return task("entered its state or finished after the instance's clock");
        }
        let running = ts.phase == Phase::Running;
        if !running
            && (ts.state != machine.initial
                || ts.due.is_some()
                || ts.first_due.is_some()
                || ts.level != 0
                || ts.overdue
                || ts.ever_overdue
                || ts.reassigned_to.is_some()
                || ts.extension_requested.is_some()
                || ts.finished_at.is_some())
        {
            return task("has not started, yet has a state, due time, level or finish");
        }
        match ts.phase {
            Phase::Waiting if !waiting_timer.contains(&id) => {
                return task("waits to start, but no timer starts it");
            }
            // (`start` also blocks a task whose dependencies have no instances at
            // all, an empty group: so "all done" is not checked here.)
            Phase::Blocked
                if def.start != Start::AfterDependencies || def.depends_on.is_empty() =>
            {
                return task("is blocked, but waits for no dependency");
            }
            _ => {}
        }
        let finished = running && state.is_terminal();
        if finished != ts.finished_at.is_some() {
            return task(if finished {
                "is finished, but has no finish time"
            } else {
                "has a finish time, but is not finished"
            });
        }
        if finished && ts.overdue {
            return task("is finished, yet overdue");
        }
        if ts.overdue && !(ts.ever_overdue && ts.due.is_some_and(|due| due <= self.now)) {
            return task("is overdue, but no due time has passed");
        }
        if let Some(period) = ts.period {
            time_fits(
                period.from,
                &format!("the period start of task `{}`", slot.name),
            )?;
            time_fits(
                period.until,
                &format!("the period end of task `{}`", slot.name),
            )?;
            if !running || def.period.is_none() {
                return task("has a period in force, but is not a running measure in force");
            }
            let settled = match period.status {
                PeriodStatus::Pending => true,
                PeriodStatus::InForce => period.from <= self.now,
                PeriodStatus::Ended => period.until <= self.now,
            };
            if !settled {
                return task("is in a period it has not reached yet");
            }
        }
        let levels = def.policy.map_or(0, |p| workflow.policies[p].levels.len());
        if usize::from(ts.level) > levels {
            return task(&format!(
                "reached escalation level {}, but its policy has {levels}",
                ts.level
            ));
        }
        if ts.withdrawn && !(running && state.kind == StateKind::Cancelled) {
            return task("is withdrawn, but not cancelled");
        }
        Ok(ts.withdrawn || running && state.kind == StateKind::Done)
    }

    /// The checks of [`InstanceState::fits`] on the timers.
    fn timers_fit(&self, workflow: &Workflow) -> Result<(), RestoreError> {
        let mismatch = |what: String| Err(RestoreError::Mismatch(what));
        for timer in &self.timers {
            let Some(slot) = workflow.slots.get(timer.task.index()) else {
                return mismatch("a timer names an unknown task instance".to_owned());
            };
            if timer.at < self.now || timer.at > Timestamp::MAX {
                return mismatch(format!(
                    "a timer of task `{}` is set for {}, before the instance's clock or out of range",
                    slot.name, timer.at
                ));
            }
            let def = &workflow.tasks[slot.task.index()];
            let machine = &workflow.machines[def.machine.index()];
            let ts = &self.tasks[timer.task.index()];
            let running = ts.phase == Phase::Running;
            let ok = match timer.kind {
                TimerKind::Start => true,
                // Live, it moves the period it was set for.
                TimerKind::PeriodStart { epoch } | TimerKind::PeriodEnd { epoch } => {
                    ts.period.is_none_or(|p| p.epoch != epoch) || running
                }
                // Live, it marks the task overdue against its due time.
                TimerKind::Due { epoch } => epoch != ts.due_epoch || ts.due.is_some(),
                TimerKind::Level { level, .. } => def
                    .policy
                    .is_some_and(|p| (level as usize) < workflow.policies[p].levels.len()),
                // Live, it fires the transition from the current state.
                TimerKind::Timed { transition, epoch } => machine
                    .transitions
                    .get(transition as usize)
                    .is_some_and(|t| {
                        !(running && epoch == ts.state_epoch)
                            || (t.after.is_some() && t.from.contains(&ts.state))
                    }),
            };
            if !ok {
                return mismatch(format!(
                    "a timer of task `{}` names an unknown level or transition, or one its task cannot fire",
                    slot.name
                ));
            }
        }
        Ok(())
    }

    /// The journal part of [`InstanceState::fits`]. A whole journal begins with the
    /// one `start`; a journal-less state (`journal_base` > 0) keeps only the inputs
    /// since its snapshot, none of them a `start`, and checks what it keeps.
    fn journal_fits(&self, workflow: &Workflow) -> Result<(), RestoreError> {
        let mismatch = |what: String| Err(RestoreError::Mismatch(what));
        if self.journal_base.checked_add(self.journal.len()).is_none() {
            return mismatch("its journal is longer than can be counted".to_owned());
        }
        // The inputs after the start, and the journal position of the first of them.
        let (first, kept) = if self.journal_base == 0 {
            if self.journal.first()
                != Some(&Input::Start {
                    at: self.started_at,
                })
            {
                return mismatch("its journal does not begin with its start".to_owned());
            }
            (1, &self.journal[1..])
        } else {
            (self.journal_base, &self.journal[..])
        };
        // Inputs after the last change of workflow name this workflow's indices (all
        // of them when none is kept: the snapshot's state fits this workflow).
        let current = kept
            .iter()
            .rposition(|input| matches!(input, Input::Migrate { .. } | Input::FollowUp { .. }))
            .unwrap_or(0);
        let mut last = self.started_at;
        for (offset, input) in kept.iter().enumerate() {
            let index = first + offset;
            let bad = |what: &str| {
                Err(RestoreError::Mismatch(format!(
                    "journal input {index} {what}"
                )))
            };
            let (time, until) = match input {
                Input::Start { .. } => return bad("is a second start"),
                Input::Act { at, until, .. } => (*at, *until),
                Input::Advance { to } | Input::Resume { to, .. } => (*to, None),
                Input::Migrate { at, .. } | Input::FollowUp { at, .. } => (*at, None),
            };
            if time < last || time > self.now {
                return bad("goes back in time, or past the instance's clock");
            }
            last = time;
            if until.is_some_and(|t| !t.in_range()) {
                return bad("asks for a due time out of range");
            }
            if offset < current {
                continue;
            }
            match input {
                Input::Act {
                    actor,
                    task,
                    action,
                    ..
                } if actor.index() >= workflow.agencies.len()
                    || task.index() >= workflow.slots.len()
                    || action.index() >= workflow.actions.len() =>
                {
                    return bad("names an agency, task instance or action that does not exist");
                }
                Input::Resume { skipped, .. }
                    if skipped
                        .iter()
                        .any(|s| s.task.index() >= workflow.slots.len() || s.at > time) =>
                {
                    return bad("skipped a timer of a task instance that does not exist");
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Refuses a time of the state outside [`Timestamp::MIN`] to [`Timestamp::MAX`].
fn time_fits(t: Timestamp, what: &str) -> Result<(), RestoreError> {
    if t.in_range() {
        Ok(())
    } else {
        Err(RestoreError::Mismatch(format!(
            "{what} {t} is out of range (from {} to {})",
            Timestamp::MIN,
            Timestamp::MAX
        )))
    }
}
