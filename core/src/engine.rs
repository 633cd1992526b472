//! The sans-IO engine: an [`Instance`] of a workflow, fed inputs and a time, returning
//! effects as values.
//!
//! Method kinds: inputs ([`Instance::act`], [`Instance::advance`]) change state and return
//! the effects they caused; [`Instance::next_timer`] says when to call `advance` next;
//! getters ([`Instance::status`], [`Instance::inbox`], ...) never change anything.
//! Time only moves forward. Every input that succeeds is journaled; an input that fails
//! returns an error and changes nothing.

use crate::model::time::Timestamp;
use crate::model::workflow::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::Arc;

mod followup;
pub(crate) mod grid;
mod migrate;
pub(crate) mod record;
mod resume;

pub(crate) use followup::Amend;
pub use followup::{DueChange, FollowUpError, FollowUpReport};
pub(crate) use migrate::map_state;
pub use migrate::{Changed, MigrateError, MigrationProblem, MigrationReport, Removed};
pub use resume::{SkippedTimer, TimerPolicy};

mod act;
mod effect;
mod error;
mod input;
mod query;
mod snapshot;
mod timers;

pub use effect::{Effect, EffectKind};
use error::in_range;
pub use error::{ActError, Entered};
pub use input::{ActArgs, Input};
pub use query::{InboxItem, TaskStatus};
pub use snapshot::{RestoreError, SNAPSHOT_FORMAT, Snapshot};
pub use timers::{NextTimer, TimerReason};
use timers::{Timer, TimerKind, add_timers};

/// Where a task instance is in its life, outside the machine's own states.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Phase {
    /// Starts at a later time.
    Waiting,
    /// Starts when its dependencies are done.
    Blocked,
    /// In its machine.
    Running,
}

/// Where a task's period in force is (a task with `in_force`).
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodStatus {
    /// It comes into force later.
    Pending,
    /// The measure is in force: the final report waits for its end.
    InForce,
    /// It ended (at its time, or lifted by a follow-up): the final report is owed.
    Ended,
}

/// The period a task instance's measure is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodState {
    /// When it comes (or came) into force.
    pub from: Timestamp,
    /// When it ends (or ended); a follow-up may move it.
    pub until: Timestamp,
    /// Where it is.
    pub status: PeriodStatus,
    /// Bumped when the period is re-timed, so its older timers go stale.
    epoch: u32,
}

/// The live state of one task instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskState {
    /// Life phase.
    pub phase: Phase,
    /// Current machine state (the initial state until running).
    pub state: StateId,
    /// The lead after a reassignment, if any.
    pub reassigned_to: Option<AgencyId>,
    /// When the task started (may precede the instance).
    pub started_at: Option<Timestamp>,
    /// When the current state was entered.
    pub entered_at: Timestamp,
    /// The current due time (the current occurrence, for recurring tasks).
    pub due: Option<Timestamp>,
    /// The original due time, kept for reporting lateness.
    pub first_due: Option<Timestamp>,
    /// The current due time has passed without the work handed in.
    pub overdue: bool,
    /// Any due time of this instance has passed without the work handed in.
    pub ever_overdue: bool,
    /// The highest escalation level fired (0: none); never decreases.
    pub level: u8,
    /// When the task reached a terminal state.
    pub finished_at: Option<Timestamp>,
    /// The due time asked for by a pending extension request.
    #[serde(default)]
    pub extension_requested: Option<Timestamp>,
    /// Extensions granted.
    #[serde(default)]
    pub extensions: u8,
    /// Times handed-in work was sent back to redo.
    #[serde(default)]
    pub returns: u8,
    /// Withdrawn by a follow-up (cancelled there, alone or with its whole task): nothing
    /// waits for it any more, as for a done instance.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub withdrawn: bool,
    /// Its period in force, once started (a task with `in_force`). Omitted from
    /// snapshots when absent, so theirs keep their shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<PeriodState>,
    state_epoch: u32,
    due_epoch: u32,
}

/// The serialisable state of an instance: what a snapshot carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceState {
    started_at: Timestamp,
    now: Timestamp,
    tasks: Vec<TaskState>,
    /// Per task definition: how many of its instances are done or withdrawn (what its
    /// dependants wait for).
    done: Vec<u32>,
    timers: BTreeSet<Timer>,
    /// How many journaled inputs precede `journal`: 0 when it is whole (it begins with
    /// `start`); the length covered by the snapshot for a state restored from a
    /// snapshot without its journal ([`Instance::snapshot_without_journal`]), whose
    /// host keeps the journal itself. Absent (0) in whole snapshots, so they read and
    /// write as before.
    #[serde(default, skip_serializing_if = "is_zero")]
    journal_base: usize,
    /// The inputs since `journal_base`.
    journal: Vec<Input>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A running workflow instance.
///
/// # Example: the host loop
/// ```
/// use std::sync::Arc;
/// use directrix_core::{load, Instance, Timestamp, time::UtcOffset};
///
/// let workflow = Arc::new(load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron"))?.workflow);
/// let hanoi = workflow.calendar().offset();
/// let start = Timestamp::parse("2021-05-07 08:00", hanoi)?;
/// let (mut instance, effects) = Instance::start(workflow.clone(), start)?;
/// assert!(effects.iter().any(|e| e.kind.name() == "started"));
///
/// // An agency acts: the host authenticated it; the engine checks its role.
/// let at = Timestamp::parse("2021-05-07 09:00", hanoi)?;
/// instance.advance(at)?;
/// let effects = instance.act_by_name(at, "health", "health_readiness", "acknowledge", None)?;
/// assert_eq!(effects[0].kind.name(), "transitioned");
///
/// // Time passes: fire every timer up to a horizon, in order.
/// let horizon = Timestamp::parse("2021-05-21 17:00", hanoi)?;
/// while let Some(next) = instance.next_timer().filter(|t| t.at <= horizon) {
///     for effect in instance.advance(next.at)? {
///         let _record = workflow.effect_record(&effect); // deliver: email, SMS, UI
///     }
/// }
/// assert!(!instance.overdue().is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Instance {
    workflow: Arc<Workflow>,
    state: InstanceState,
}

impl PartialEq for Instance {
    fn eq(&self, other: &Self) -> bool {
        self.state == other.state
            && (Arc::ptr_eq(&self.workflow, &other.workflow) || self.workflow == other.workflow)
    }
}

impl Instance {
    /// Starts an instance at `at` (normally the directive's issue time): every task whose
    /// start has come begins in its machine's initial state.
    ///
    /// Returns the instance and the effects of starting (a `started` per running task).
    ///
    /// # Errors
    /// [`ActError::TimeOutOfRange`] (`invalid_time`) when `at` lies outside
    /// [`Timestamp::MIN`] to [`Timestamp::MAX`] (a time parsed or built by this crate is
    /// always inside; a host's number or a journal may not be).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// use directrix_core::{Instance, Timestamp};
    /// let at = workflow.directive().issued_at;
    /// let (instance, effects) = Instance::start(workflow.clone(), at)?;
    /// assert_eq!(instance.now(), at);
    /// assert!(!effects.is_empty());
    ///
    /// let error = Instance::start(workflow, Timestamp::from_seconds(i64::MAX)).unwrap_err();
    /// assert_eq!(error.code(), "invalid_time");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn start(workflow: Arc<Workflow>, at: Timestamp) -> Result<(Self, Vec<Effect>), ActError> {
        let at = in_range(at)?;
        let tasks = workflow
            .slots
            .iter()
            .map(|slot| {
                let machine = &workflow.machines[workflow.tasks[slot.task.index()].machine.index()];
                TaskState::waiting(machine.initial, at)
            })
            .collect();
        let mut instance = Self {
            state: InstanceState {
                started_at: at,
                now: at,
                tasks,
                done: vec![0; workflow.tasks.len()],
                timers: BTreeSet::new(),
                journal_base: 0,
                journal: vec![Input::Start { at }],
            },
            workflow,
        };
        let mut effects = Vec::new();
        for i in 0..instance.state.tasks.len() {
            let id = TaskRef(i as u32);
            let task = instance.task_def(id);
            match task.start {
                Start::AtIssue => instance.begin(id, at, &mut effects),
                Start::At(t) if t <= at => instance.begin(id, t, &mut effects),
                Start::At(t) => add_timers(
                    &mut instance.state.timers,
                    [Timer {
                        at: t,
                        task: id,
                        kind: TimerKind::Start,
                    }],
                ),
                // Also when every dependency fans out over an empty group: no instance
                // of it can ever complete, so waiting for one would block for ever.
                Start::AfterDependencies if instance.dependencies_done(id) => {
                    instance.begin(id, at, &mut effects)
                }
                Start::AfterDependencies => instance.state.tasks[i].phase = Phase::Blocked,
            }
        }
        instance.prune_stale_front();
        Ok((instance, effects))
    }

    /// The workflow this instance runs.
    pub fn workflow(&self) -> &Arc<Workflow> {
        &self.workflow
    }

    /// The instance's current time: the latest input's time.
    pub fn now(&self) -> Timestamp {
        self.state.now
    }

    /// When the instance started.
    pub fn started_at(&self) -> Timestamp {
        self.state.started_at
    }

    /// Every successful input so far, starting with `start`; for an instance restored
    /// from a snapshot without its journal (or after [`Instance::forget_journal`]), only
    /// the inputs since, which are journal positions [`Instance::journal_len`] minus
    /// their number onwards.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// # let at = workflow.directive().issued_at;
    /// let (instance, _) = directrix_core::Instance::start(workflow, at)?;
    /// assert_eq!(instance.journal().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn journal(&self) -> &[Input] {
        &self.state.journal
    }

    /// How many inputs the instance has journaled since its `start` (included), whether
    /// [`Instance::journal`] still holds them or not: the position the next input takes.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// # let at = workflow.directive().issued_at;
    /// let (mut instance, _) = directrix_core::Instance::start(workflow, at)?;
    /// instance.advance(at)?;
    /// instance.forget_journal();
    /// assert_eq!((instance.journal().len(), instance.journal_len()), (0, 2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn journal_len(&self) -> usize {
        self.state
            .journal_base
            .saturating_add(self.state.journal.len())
    }

    /// Drops the journaled inputs kept in memory, for a host that stores the journal
    /// itself: [`Instance::journal_len`] still counts them, nothing else changes, and
    /// [`Instance::snapshot`] is then a snapshot without the journal.
    pub fn forget_journal(&mut self) {
        self.state.journal_base = self.journal_len();
        self.state.journal = Vec::new();
    }

    /// The live state of one task instance.
    pub fn task_state(&self, task: TaskRef) -> Option<&TaskState> {
        self.state.tasks.get(task.index())
    }

    /// The serialisable state.
    pub fn state(&self) -> &InstanceState {
        &self.state
    }

    fn task_def(&self, task: TaskRef) -> &Task {
        &self.workflow.tasks[self.workflow.slots[task.index()].task.index()]
    }

    fn machine(&self, task: TaskRef) -> &Machine {
        &self.workflow.machines[self.task_def(task).machine.index()]
    }

    fn current_state(&self, task: TaskRef) -> &State {
        let machine = self.machine(task);
        &machine.states[self.state.tasks[task.index()].state.index()]
    }

    /// Whether the lead still owes work against the current due time.
    fn outstanding(&self, task: TaskRef) -> bool {
        let state = self.current_state(task);
        self.state.tasks[task.index()].phase == Phase::Running
            && !state.is_terminal()
            && !state.submitted
    }

    /// Whether every dependency of the task instance is done: of a per-member
    /// dependency, the same member's instance; of any other, every instance.
    fn dependencies_done(&self, task: TaskRef) -> bool {
        let def = self.task_def(task);
        def.depends_on.iter().all(|&d| {
            if def.per_member.contains(&d) {
                self.instance_done(self.workflow.same_member(task, d))
            } else {
                let dep = &self.workflow.tasks[d.index()];
                self.state.done[d.index()] as usize == dep.instances.len()
            }
        })
    }

    /// Whether a task instance has reached a done state, or was withdrawn by a follow-up:
    /// either way its dependants no longer wait for it.
    fn instance_done(&self, task: TaskRef) -> bool {
        let ts = &self.state.tasks[task.index()];
        ts.withdrawn
            || ts.phase == Phase::Running
                && self.current_state(task).kind == crate::model::spec::StateKind::Done
    }

    /// The dependency instances the task instance still waits for, by name
    /// (`count[phu_yen]` for a fan-out's member, `count` for a task without one).
    fn pending_dependencies(&self, task: TaskRef) -> Vec<String> {
        let def = self.task_def(task);
        let mut pending = Vec::new();
        for &d in &def.depends_on {
            let instances = if def.per_member.contains(&d) {
                let one = self.workflow.same_member(task, d).0;
                one..one + 1
            } else if self.state.done[d.index()] as usize
                == self.workflow.tasks[d.index()].instances.len()
            {
                continue;
            } else {
                self.workflow.tasks[d.index()].instances.clone()
            };
            pending.extend(
                instances
                    .map(TaskRef)
                    .filter(|&i| !self.instance_done(i))
                    .map(|i| self.workflow.slots[i.index()].name.clone()),
            );
        }
        pending
    }

    /// The current leads of an instance.
    ///
    /// Empty for an id this instance does not have.
    pub fn leads(&self, task: TaskRef) -> &[AgencyId] {
        match self.state.tasks.get(task.index()).map(|t| &t.reassigned_to) {
            Some(Some(agency)) => std::slice::from_ref(agency),
            Some(None) => self.workflow.leads_of(task),
            None => &[],
        }
    }

    fn holds(&self, role: Role, actor: AgencyId, task: TaskRef) -> bool {
        let def = self.task_def(task);
        match role {
            Role::Lead => self.leads(task).contains(&actor),
            Role::Support => def.support.contains(&actor),
            Role::Supervisor => def.supervisor == actor,
            Role::Issuer => self.workflow.directive.issuer == actor,
            Role::Agency(agency) => agency == actor,
            Role::System => false,
        }
    }

    /// [`Instance::replay_versions`] with follow-up documents amended by `amend`.
    pub(crate) fn replay_with(
        versions: &[Arc<Workflow>],
        journal: &[Input],
        amend: &Amend<'_>,
    ) -> Result<Self, ReplayError> {
        let Some(Input::Start { at }) = journal.first() else {
            return Err(ReplayError::NoStart);
        };
        let Some(first) = versions.first() else {
            return Err(ReplayError::NoVersions);
        };
        let (mut instance, _) = Self::start(Arc::clone(first), *at)
            .map_err(|error| ReplayError::Input { index: 0, error })?;
        let mut effects = Vec::new();
        for (index, input) in journal.iter().enumerate().skip(1) {
            instance.apply_at(index, versions, input, amend, &mut effects)?;
            effects.clear();
        }
        Ok(instance)
    }

    /// Applies one journaled input (at journal position `index`) as replay does, its
    /// effects appended to `effects`: replay's step, and [`Instance::apply_input`]'s.
    /// `versions` are the workflows a `migrate` may move to, `amend` compiles a
    /// follow-up. On an error the instance may be half changed (replay drops it).
    pub(crate) fn apply_at(
        &mut self,
        index: usize,
        versions: &[Arc<Workflow>],
        input: &Input,
        amend: &Amend<'_>,
        effects: &mut Vec<Effect>,
    ) -> Result<(), ReplayError> {
        let failed = |error| ReplayError::Input { index, error };
        match input {
            Input::Start { .. } => return Err(ReplayError::NoStart),
            Input::Advance { to } => effects.extend(self.advance(*to).map_err(failed)?),
            Input::Act {
                at,
                actor,
                task,
                action,
                note,
                until,
            } => {
                let args = ActArgs {
                    note: note.as_deref(),
                    until: *until,
                };
                self.act_with(*at, *actor, *task, *action, args, effects)
                    .map_err(failed)?;
            }
            Input::Migrate { from, to, .. } => {
                let next = versions
                    .iter()
                    .find(|w| &w.content_hash == to)
                    .filter(|_| &self.workflow.content_hash == from)
                    .ok_or_else(|| ReplayError::UnknownVersion {
                        index,
                        hash: to.clone(),
                    })?;
                let (state, _) = map_state(&self.workflow, &self.state, next)
                    .map_err(|error| ReplayError::Migrate { index, error })?;
                *self = Self {
                    workflow: Arc::clone(next),
                    state,
                };
                self.state.journal.push(input.clone());
            }
            Input::FollowUp { at, text } => {
                let (applied, _) = self
                    .apply_follow_up_with(*at, text, amend)
                    .map_err(|error| ReplayError::FollowUp { index, error })?;
                effects.extend(applied);
            }
            Input::Resume { to, policy, .. } => {
                effects.extend(self.resume(*to, *policy).map_err(failed)?);
                if self.state.journal.last() != Some(input) {
                    return Err(ReplayError::Diverged { index });
                }
            }
        }
        Ok(())
    }
}

/// Why a journal cannot be replayed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The journal does not begin with exactly one `start`.
    #[error("a journal begins with one `start` input and has no other")]
    NoStart,
    /// An input failed.
    #[error("input {index} of the journal failed: {error}")]
    Input {
        /// Its position.
        index: usize,
        /// The failure.
        error: ActError,
    },
    /// No workflow was given.
    #[error("no workflow to replay with (pass at least the version the journal started with)")]
    NoVersions,
    /// A `migrate` input names a version that was not given (or the replay is not at its
    /// `from` version).
    #[error(
        "input {index} migrates the instance to workflow version {hash}, which was not given (pass every version, oldest first, to `replay_versions`)"
    )]
    UnknownVersion {
        /// Its position.
        index: usize,
        /// The missing version's hash.
        hash: String,
    },
    /// A `migrate` input no longer maps.
    #[error("input {index} of the journal (a migration) failed: {error}")]
    Migrate {
        /// Its position.
        index: usize,
        /// The failure.
        error: MigrateError,
    },
    /// A `follow_up` input no longer applies.
    #[error("input {index} of the journal (a follow-up document) failed: {error}")]
    FollowUp {
        /// Its position.
        index: usize,
        /// The failure.
        error: FollowUpError,
    },
    /// A `resume` input recorded other skipped timers than replaying it skips.
    #[error(
        "input {index} of the journal (a resume) skipped other timers when replayed (was the journal edited?)"
    )]
    Diverged {
        /// Its position.
        index: usize,
    },
}
