//! Migration: moving an instance to another version of its workflow, mapping task
//! instances by id (`task`, `task[member]`), states and agencies by id.
//!
//! [`map_state`] is the whole mapping, a pure function of (old workflow, state, new
//! workflow): [`Instance::migrate`] wraps it for snapshots, replay re-runs it for each
//! journaled `migrate` input, and amendments of a running instance can build on it.

use super::timers::period_timer;
use super::{
    Input, Instance, InstanceState, PeriodState, PeriodStatus, Phase, RestoreError, Snapshot,
    TaskState, Timer, TimerKind, add_timers,
};
use crate::model::spec::StateKind;
use crate::model::time::{Span, Timestamp};
use crate::model::workflow::{
    Machine, Role, Start, StateId, Target, Task, TaskRef, TaskSlot, Workflow,
};
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::Arc;

/// What a migration did, for the host to show and keep.
///
/// Added task instances wait for their start rule, counted from the migration: one
/// that starts at issue (or whose start time has passed, or whose dependencies are
/// done) starts at the next [`Instance::advance`], with due times counted from then.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrationReport {
    /// The old workflow's content hash.
    pub from: String,
    /// The new workflow's content hash.
    pub to: String,
    /// When, RFC 3339 in the new workflow's offset (the instance's time; migrating does
    /// not move the clock).
    pub at: String,
    /// Task instances mapped by id.
    pub kept: usize,
    /// Task instances of the new version that the old one lacked.
    pub added: Vec<String>,
    /// Task instances the new version dropped, with the state they were in.
    pub removed: Vec<Removed>,
    /// Mapped task instances whose data no longer held, and what was done about it.
    pub changed: Vec<Changed>,
}

/// A task instance the new version dropped.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Removed {
    /// Its name.
    pub task: String,
    /// Its phase.
    pub phase: Phase,
    /// Its machine state's id.
    pub state: String,
}

/// A mapped task instance whose data no longer held under the new version.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changed {
    /// Its name.
    pub task: String,
    /// What changed: `due_changed`, `reassignment_dropped`, `start_changed`,
    /// `unblocked`, `timers_rebuilt`.
    pub what: &'static str,
    /// In words.
    pub detail: String,
}

/// Something in the state that cannot be carried to the new version.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "problem")]
#[non_exhaustive]
pub enum MigrationProblem {
    /// A running task is in a state its new machine does not have.
    StateRemoved {
        /// The task instance.
        task: String,
        /// Its state.
        state: String,
        /// The new machine.
        machine: String,
    },
    /// A running task's state ends (or no longer ends) the task in the new machine: a
    /// migration cannot finish or reopen work.
    StateKindChanged {
        /// The task instance.
        task: String,
        /// Its state.
        state: String,
    },
}

impl std::fmt::Display for MigrationProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MigrationProblem::StateRemoved {
                task,
                state,
                machine,
            } => write!(
                f,
                "task `{task}` is in state `{state}`, which machine `{machine}` no longer has"
            ),
            MigrationProblem::StateKindChanged { task, state } => write!(
                f,
                "task `{task}` is in state `{state}`, which changed between finished and not finished"
            ),
        }
    }
}

/// Why a migration was refused. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MigrateError {
    /// The snapshot does not belong to the old workflow (format, directive, contents).
    #[error("{0}")]
    Snapshot(RestoreError),
    /// The snapshot was taken with another version than the old workflow given.
    #[error(
        "the snapshot was taken with workflow version {found}, but the old workflow given is version {expected} (pass the workflow the snapshot was taken with as the old one)"
    )]
    NotTheOldVersion {
        /// The snapshot's hash.
        found: String,
        /// The old workflow's hash.
        expected: String,
    },
    /// The new workflow is another directive.
    #[error(
        "the new workflow is directive `{found}`, the instance runs `{expected}` (a migration moves an instance between versions of one directive)"
    )]
    OtherDirective {
        /// The new workflow's directive.
        found: String,
        /// The old one's.
        expected: String,
    },
    /// Parts of the state cannot be mapped.
    #[error(
        "the instance cannot be mapped onto the new workflow: {} (keep these states in the new machines, or finish the tasks before migrating)",
        .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    Refused(Vec<MigrationProblem>),
}

impl MigrateError {
    /// A stable snake_case code for hosts: `migration_refused` (every problem is in
    /// [`MigrateError::Refused`]), `other_version` when the snapshot is not of the old
    /// workflow, `other_workflow` when the new one is another directive, and
    /// [`RestoreError::code`] for a snapshot that cannot be read.
    ///
    /// ```
    /// assert_eq!(directrix_core::instance::MigrateError::Refused(Vec::new()).code(), "migration_refused");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            MigrateError::Snapshot(error) => error.code(),
            MigrateError::NotTheOldVersion { .. } => "other_version",
            MigrateError::OtherDirective { .. } => "other_workflow",
            MigrateError::Refused(_) => "migration_refused",
        }
    }
}

impl Instance {
    /// Moves a snapshot taken with workflow `old` onto `new`, another version of the same
    /// directive: task instances, states and agencies are mapped by id. Returns the
    /// instance and what changed. Accepts format-1 snapshots (which record no version;
    /// `old` is then trusted once the state fits it).
    ///
    /// Timers are kept for tasks whose timing rules did not change and rebuilt from the
    /// new rules for the others: times already passed fire at the next
    /// [`Instance::advance`], except escalation levels the task had already reached. The
    /// journal keeps its history and gains a `migrate` input;
    /// [`Instance::replay_versions`] replays across it.
    ///
    /// # Errors
    /// [`MigrateError`]: the snapshot is not of `old`, `new` is another directive, or
    /// some running task is in a state that cannot be mapped (every one is listed).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// use directrix_core::{load, Instance};
    /// let source = include_str!("../../../workflows/kien-xuong-114-cv-hu.ron");
    /// let old = load(source)?.workflow;
    /// let new = Arc::new(load(&source.replace("due: Days(3)", "due: Days(4)"))?.workflow);
    /// let (instance, _) = Instance::start(Arc::new(old.clone()), old.directive().issued_at)?;
    /// let (migrated, report) = Instance::migrate(&old, new, instance.snapshot())?;
    /// assert_eq!(report.changed[0].task, "propaganda");
    /// assert_eq!(migrated.journal().last().unwrap(), &directrix_core::Input::Migrate {
    ///     at: migrated.now(), from: report.from.clone(), to: report.to.clone(),
    /// });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn migrate(
        old: &Workflow,
        new: Arc<Workflow>,
        snapshot: Snapshot,
    ) -> Result<(Self, MigrationReport), MigrateError> {
        // Format 1 is read here on purpose: its state has the same shape.
        snapshot
            .check_identity(old, true)
            .map_err(MigrateError::Snapshot)?;
        if let Some(found) = &snapshot.workflow_hash
            && found != &old.content_hash
        {
            return Err(MigrateError::NotTheOldVersion {
                found: found.clone(),
                expected: old.content_hash.clone(),
            });
        }
        snapshot.state.fits(old).map_err(MigrateError::Snapshot)?;
        if new.directive.number != old.directive.number {
            return Err(MigrateError::OtherDirective {
                found: new.directive.number.clone(),
                expected: old.directive.number.clone(),
            });
        }
        let (mut state, report) = map_state(old, &snapshot.state, &new)?;
        state.journal.push(Input::Migrate {
            at: state.now,
            from: old.content_hash.clone(),
            to: new.content_hash.clone(),
        });
        Ok((
            Self {
                workflow: new,
                state,
            },
            report,
        ))
    }
}

/// Maps `state` (of `old`, already checked to fit it) onto `new`, by id. The journal is
/// copied unchanged; the caller appends its own record of the change.
///
/// # Errors
/// [`MigrateError::Refused`] listing every task instance that cannot be mapped.
pub(crate) fn map_state(
    old: &Workflow,
    state: &InstanceState,
    new: &Workflow,
) -> Result<(InstanceState, MigrationReport), MigrateError> {
    let now = state.now;
    let mut report = MigrationReport {
        from: old.content_hash.clone(),
        to: new.content_hash.clone(),
        at: new.format_time(now),
        kept: 0,
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
    };
    let mut problems = Vec::new();
    // Per new task instance: its old id when it existed, and whether its timers carry over.
    let mut origin: Vec<Option<(TaskRef, bool)>> = Vec::with_capacity(new.slots.len());
    let mut tasks = Vec::with_capacity(new.slots.len());
    for slot in &new.slots {
        let (ts, from) = map_task(old, state, new, slot, &mut report, &mut problems);
        origin.push(from);
        tasks.push(ts);
    }
    if !problems.is_empty() {
        return Err(MigrateError::Refused(problems));
    }
    for (i, slot) in old.slots.iter().enumerate() {
        if new.task_ref(&slot.name).is_none() {
            let ts = &state.tasks[i];
            let machine = old.machine_of(TaskRef(i as u32));
            report.removed.push(Removed {
                task: slot.name.clone(),
                phase: ts.phase,
                state: machine.states[ts.state.index()].id.clone(),
            });
        }
    }
    // As `Instance::instance_done`: done, or withdrawn by a follow-up.
    let instance_done = |i: TaskRef| {
        let ts = &tasks[i.index()];
        ts.withdrawn
            || ts.phase == Phase::Running
                && new.machine_of(i).states[ts.state.index()].kind == StateKind::Done
    };
    let mut done = vec![0u32; new.tasks.len()];
    for (i, slot) in new.slots.iter().enumerate() {
        if instance_done(TaskRef(i as u32)) {
            done[slot.task.index()] += 1;
        }
    }
    // As `Instance::dependencies_done`, on the mapped state.
    let dependencies_done = |i: TaskRef, def: &Task| {
        def.depends_on.iter().all(|&d| {
            if def.per_member.contains(&d) {
                instance_done(new.same_member(i, d))
            } else {
                done[d.index()] as usize == new.tasks[d.index()].instances.len()
            }
        })
    };
    let blocked: Vec<bool> = (0..tasks.len())
        .map(|i| {
            let def = &new.tasks[new.slots[i].task.index()];
            def.start == Start::AfterDependencies && !dependencies_done(TaskRef(i as u32), def)
        })
        .collect();
    // Tasks not started yet wait by the new rules (their timers are rebuilt below).
    for (i, ts) in tasks.iter_mut().enumerate() {
        if ts.phase == Phase::Running {
            continue;
        }
        let was = ts.phase;
        ts.phase = if blocked[i] {
            Phase::Blocked
        } else {
            Phase::Waiting
        };
        if was == Phase::Blocked && ts.phase == Phase::Waiting && origin[i].is_some() {
            report.changed.push(Changed {
                task: new.slots[i].name.clone(),
                what: "unblocked",
                detail: "nothing it depends on is pending any more: it starts at the next advance"
                    .to_owned(),
            });
        }
    }
    let mut timers = BTreeSet::new();
    let mut old_timers: Vec<Vec<Timer>> = vec![Vec::new(); old.slots.len()];
    for timer in &state.timers {
        old_timers[timer.task.index()].push(*timer);
    }
    for (i, ts) in tasks.iter().enumerate() {
        let id = TaskRef(i as u32);
        match origin[i] {
            Some((old_id, true)) if ts.phase == Phase::Running => timers.extend(
                old_timers[old_id.index()]
                    .iter()
                    .map(|&timer| Timer { task: id, ..timer }),
            ),
            _ => {
                if origin[i].is_some() && ts.phase == Phase::Running {
                    report.changed.push(Changed {
                        task: new.slots[i].name.clone(),
                        what: "timers_rebuilt",
                        detail: "its timing rules changed: deadlines and escalations follow the new ones".to_owned(),
                    });
                }
                rebuild_timers(new, id, ts, now, &mut timers);
            }
        }
    }
    Ok((
        InstanceState {
            started_at: state.started_at,
            now,
            tasks,
            done,
            timers,
            journal_base: state.journal_base,
            journal: state.journal.clone(),
        },
        report,
    ))
}

/// One task instance of `new`, from its namesake in `old` when there is one: its state
/// (a problem when that cannot be mapped), reassignment, level and due time; with its
/// origin (the old instance, and whether its timers carry over).
fn map_task(
    old: &Workflow,
    state: &InstanceState,
    new: &Workflow,
    slot: &TaskSlot,
    report: &mut MigrationReport,
    problems: &mut Vec<MigrationProblem>,
) -> (TaskState, Option<(TaskRef, bool)>) {
    let now = state.now;
    let def = &new.tasks[slot.task.index()];
    let machine = &new.machines[def.machine.index()];
    let Some(old_id) = old.task_ref(&slot.name) else {
        report.added.push(slot.name.clone());
        return (TaskState::waiting(machine.initial, now), None);
    };
    report.kept += 1;
    let old_def = &old.tasks[old.slots[old_id.index()].task.index()];
    let old_machine = &old.machines[old_def.machine.index()];
    let mut ts = state.tasks[old_id.index()].clone();
    let old_state = &old_machine.states[ts.state.index()];
    if ts.phase == Phase::Running {
        match machine.states.iter().position(|s| s.id == old_state.id) {
            Some(p) if machine.states[p].kind.is_final() != old_state.kind.is_final() => {
                problems.push(MigrationProblem::StateKindChanged {
                    task: slot.name.clone(),
                    state: old_state.id.clone(),
                });
            }
            Some(p) => ts.state = StateId(p as u32),
            None => problems.push(MigrationProblem::StateRemoved {
                task: slot.name.clone(),
                state: old_state.id.clone(),
                machine: machine.id.clone(),
            }),
        }
    } else {
        ts.state = machine.initial;
    }
    if let Some(agency) = ts.reassigned_to {
        let id = &old.agencies[agency.index()].id;
        ts.reassigned_to = new.agency_id(id);
        if ts.reassigned_to.is_none() {
            report.changed.push(Changed {
                task: slot.name.clone(),
                what: "reassignment_dropped",
                detail: format!(
                    "reassigned to `{id}`, which no longer exists; its defined leads lead again"
                ),
            });
        }
    }
    // A level the new policy does not have cannot have been reached under it (a
    // snapshot whose level exceeds its policy's does not fit the workflow).
    let levels = def.policy.map_or(0, |p| new.policies[p].levels.len());
    ts.level = ts.level.min(u8::try_from(levels).unwrap_or(u8::MAX));
    let same_due = old_def.due == def.due && old.calendar == new.calendar;
    if ts.phase == Phase::Running && !same_due {
        redo_due(new, def, slot, now, &mut ts, report);
    }
    if ts.phase == Phase::Running && old_def.period != def.period {
        redo_period(def, now, &mut ts);
    }
    if ts.phase != Phase::Running && old_def.start != def.start {
        report.changed.push(Changed {
            task: slot.name.clone(),
            what: "start_changed",
            detail: "not started yet: starts by the new start rule".to_owned(),
        });
    }
    let same_timing = same_due
        && old_def.period == def.period
        && old_def.start == def.start
        && same_machine(old, old_machine, new, machine)
        && same_policy(old, old_def, new, def);
    (ts, Some((old_id, same_timing)))
}

/// A running task's due time under a changed due rule or calendar, counted from when it
/// started.
fn redo_due(
    new: &Workflow,
    def: &Task,
    slot: &TaskSlot,
    now: Timestamp,
    ts: &mut TaskState,
    report: &mut MigrationReport,
) {
    let started = ts.started_at.unwrap_or(now);
    let due = match def.due {
        // Periods already handed in stay handed in.
        Some(rule) if rule.is_recurring() => {
            rule.first(&new.calendar, started)
                .map(|first| match ts.due {
                    Some(current) if first < current => rule
                        .next_after_at(
                            &new.calendar,
                            first,
                            current.saturating_add(Span::from_seconds(-1)),
                        )
                        .unwrap_or(first),
                    _ => first,
                })
        }
        Some(rule) => rule.first(&new.calendar, started),
        None => None,
    };
    if due != ts.due {
        let show =
            |t: Option<Timestamp>| t.map_or_else(|| "none".to_owned(), |t| new.format_time(t));
        report.changed.push(Changed {
            task: slot.name.clone(),
            what: "due_changed",
            detail: format!("due {} → {}", show(ts.due), show(due)),
        });
        ts.due = due;
        ts.first_due = def.due.and_then(|rule| rule.first(&new.calendar, started));
        ts.due_epoch = ts.due_epoch.wrapping_add(1);
        ts.overdue = false;
    }
}

/// A running task's period under a changed period rule: a period already in force keeps
/// its beginning and takes the new end (a follow-up's `extend_period`, `end_period`),
/// with a new epoch so its old timer goes stale; one not yet in force (or new to the
/// task) follows the new rule; the next advance settles it against the clock.
fn redo_period(def: &Task, now: Timestamp, ts: &mut TaskState) {
    ts.period = def.period.map(|rule| {
        let (from, until) = rule.window(ts.started_at.unwrap_or(now));
        match ts.period {
            Some(old) => PeriodState {
                from: if old.status == PeriodStatus::Pending {
                    from
                } else {
                    old.from
                },
                // An ended period stays over: its final report is already owed.
                until: if old.status == PeriodStatus::Ended {
                    old.until
                } else {
                    until
                },
                status: old.status,
                epoch: old.epoch.wrapping_add(1),
            },
            None => PeriodState {
                from,
                until,
                status: PeriodStatus::Pending,
                epoch: 0,
            },
        }
    });
}

impl StateKind {
    fn is_final(self) -> bool {
        matches!(self, StateKind::Done | StateKind::Cancelled)
    }
}

impl TaskState {
    /// A task instance not started yet, in `initial`.
    pub(super) fn waiting(initial: StateId, at: Timestamp) -> Self {
        TaskState {
            phase: Phase::Waiting,
            state: initial,
            reassigned_to: None,
            started_at: None,
            entered_at: at,
            due: None,
            first_due: None,
            overdue: false,
            ever_overdue: false,
            level: 0,
            finished_at: None,
            extension_requested: None,
            extensions: 0,
            returns: 0,
            withdrawn: false,
            period: None,
            state_epoch: 0,
            due_epoch: 0,
        }
    }
}

/// The timers of one task instance under `new`'s rules at `now`, as the engine would
/// have set them: past times fire at the next advance, except escalation levels the task
/// already reached (a repeating one resumes at its next occurrence).
fn rebuild_timers(
    new: &Workflow,
    task: TaskRef,
    ts: &TaskState,
    now: Timestamp,
    out: &mut BTreeSet<Timer>,
) {
    let def = &new.tasks[new.slots[task.index()].task.index()];
    let machine = &new.machines[def.machine.index()];
    match ts.phase {
        Phase::Blocked => return,
        Phase::Waiting => {
            let at = match def.start {
                Start::At(t) => t.max(now),
                Start::AtIssue | Start::AfterDependencies => now,
            };
            add_timers(
                out,
                [Timer {
                    at,
                    task,
                    kind: TimerKind::Start,
                }],
            );
            return;
        }
        Phase::Running => {}
    }
    let state = &machine.states[ts.state.index()];
    if state.is_terminal() {
        return;
    }
    if let Some(timer) = ts.period.and_then(|p| period_timer(task, &p)) {
        add_timers(
            out,
            [Timer {
                at: timer.at.max(now),
                ..timer
            }],
        );
    }
    let outstanding = !state.submitted;
    if let (Some(due), true, false) = (ts.due, outstanding, ts.overdue) {
        add_timers(
            out,
            [Timer {
                at: due.max(now),
                task,
                kind: TimerKind::Due {
                    epoch: ts.due_epoch,
                },
            }],
        );
    }
    if let Some(policy) = def.policy {
        for (n, level) in new.policies[policy].levels.iter().enumerate() {
            let (anchor, epoch) = match def.level_states.get(n).copied().flatten() {
                Some(s) if s == ts.state => (ts.entered_at, ts.state_epoch),
                Some(_) => continue,
                None if outstanding => match ts.due {
                    Some(due) => (due, ts.due_epoch),
                    None => continue,
                },
                None => continue,
            };
            let mut at = anchor.saturating_add(level.after);
            let reached = n < usize::from(ts.level);
            if at <= now && reached {
                match level.repeat {
                    Some(repeat) => {
                        let step = repeat.as_seconds().max(1);
                        let k = now.since(at).as_seconds() / step + 1;
                        at = at.saturating_add(Span::from_seconds(k.saturating_mul(step)));
                    }
                    None => continue,
                }
            }
            add_timers(
                out,
                [Timer {
                    at: at.max(now),
                    task,
                    kind: TimerKind::Level {
                        level: n as u16,
                        epoch,
                    },
                }],
            );
        }
    }
    for (n, transition) in machine.transitions.iter().enumerate() {
        if let Some(after) = transition.after
            && transition.from.contains(&ts.state)
        {
            add_timers(
                out,
                [Timer {
                    at: ts.entered_at.saturating_add(after).max(now),
                    task,
                    kind: TimerKind::Timed {
                        transition: n as u16,
                        epoch: ts.state_epoch,
                    },
                }],
            );
        }
    }
}

/// Whether two machines are the same by ids (so transition indices carry over).
fn same_machine(old: &Workflow, a: &Machine, new: &Workflow, b: &Machine) -> bool {
    let states = |m: &Machine| {
        m.states
            .iter()
            .map(|s| (s.id.clone(), s.kind, s.submitted))
            .collect::<Vec<_>>()
    };
    let name = |m: &Machine, s: StateId| m.states[s.index()].id.clone();
    let transitions = |w: &Workflow, m: &Machine| {
        m.transitions
            .iter()
            .map(|t| {
                (
                    w.action_name(t.action).to_owned(),
                    t.from.iter().map(|&s| name(m, s)).collect::<Vec<_>>(),
                    name(m, t.to),
                    t.by.iter().map(|&r| role_key(w, r)).collect::<Vec<_>>(),
                    t.guards.clone(),
                    t.reports,
                    t.after,
                )
            })
            .collect::<Vec<_>>()
    };
    states(a) == states(b) && transitions(old, a) == transitions(new, b)
}

fn role_key(w: &Workflow, role: Role) -> String {
    match role {
        Role::Agency(a) => format!("agency:{}", w.agencies[a.index()].id),
        other => format!("{other:?}"),
    }
}

/// Whether two tasks escalate the same way by ids (so level indices carry over).
fn same_policy(old: &Workflow, a: &Task, new: &Workflow, b: &Task) -> bool {
    let levels = |w: &Workflow, t: &Task| {
        t.policy.map(|p| {
            w.policies[p]
                .levels
                .iter()
                .map(|l| {
                    let target = match l.target {
                        Target::Agency(x) => format!("agency:{}", w.agencies[x.index()].id),
                        other => format!("{other:?}"),
                    };
                    (l.after, l.entered.clone(), l.action, target, l.repeat)
                })
                .collect::<Vec<_>>()
        })
    };
    levels(old, a) == levels(new, b)
}
