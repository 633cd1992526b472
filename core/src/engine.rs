//! The sans-IO engine: an [`Instance`] of a workflow, fed inputs and a time, returning
//! effects as values.
//!
//! Method kinds: inputs ([`Instance::act`], [`Instance::advance`]) change state and return
//! the effects they caused; [`Instance::next_timer`] says when to call `advance` next;
//! getters ([`Instance::status`], [`Instance::inbox`], ...) never change anything.
//! Time only moves forward. Every input that succeeds is journaled; an input that fails
//! returns an error and changes nothing.

use crate::model::plan::critical_chain;
use crate::model::spec::{EscalationAction, ExtensionStep, Guard, StateKind};
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

/// Where a task instance is in its life, outside the machine's own states.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Starts at a later time.
    Waiting,
    /// Starts when its dependencies are done.
    Blocked,
    /// In its machine.
    Running,
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
    state_epoch: u32,
    due_epoch: u32,
}

/// A pending timer. Ordered by time, then instance, then kind: that order is the
/// deterministic tie-break when several fire at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
struct Timer {
    at: Timestamp,
    task: TaskRef,
    kind: TimerKind,
}

/// Adds the timers that can fire: one after [`Timestamp::MAX`] never does (no input
/// moves the clock past it), and keeping it would put an unrepresentable time into
/// `next_timer` and snapshots.
fn add_timers(set: &mut BTreeSet<Timer>, timers: impl IntoIterator<Item = Timer>) {
    set.extend(timers.into_iter().filter(|t| t.at <= Timestamp::MAX));
}

/// Timers carry the epoch they were set in; a change of state or due time makes older
/// timers stale, and stale timers are skipped rather than searched for and removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
enum TimerKind {
    Start,
    Due { epoch: u32 },
    Level { level: u16, epoch: u32 },
    Timed { transition: u16, epoch: u32 },
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

/// The wire form of an [`Input`] when reading one: every field of every kind, optional.
/// serde reads an internally tagged enum by buffering the whole input in a generic
/// `Content` tree before choosing the variant, and that code was the largest single item
/// of the WebAssembly runtime after the workflow loader (30 KB); a flat record decodes
/// directly, and `TryFrom` checks that its kind has exactly its own fields.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InputRecord {
    input: InputKind,
    at: Option<Timestamp>,
    actor: Option<AgencyId>,
    task: Option<TaskRef>,
    action: Option<ActionId>,
    note: Option<String>,
    until: Option<Timestamp>,
    to: Option<InputTo>,
    from: Option<String>,
    text: Option<String>,
    policy: Option<TimerPolicy>,
    skipped: Option<Vec<SkippedTimer>>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum InputKind {
    Start,
    Act,
    Advance,
    Migrate,
    FollowUp,
    Resume,
}

/// `to`: an instant for `advance` and `resume`, a content hash for `migrate`.
enum InputTo {
    Time(Timestamp),
    Hash(String),
}

impl<'de> Deserialize<'de> for InputTo {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ToVisitor;
        impl serde::de::Visitor<'_> for ToVisitor {
            type Value = InputTo;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an instant in seconds or a content hash")
            }

            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<InputTo, E> {
                Ok(InputTo::Time(Timestamp::from_seconds(v)))
            }

            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<InputTo, E> {
                i64::try_from(v)
                    .map(|v| InputTo::Time(Timestamp::from_seconds(v)))
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<InputTo, E> {
                Ok(InputTo::Hash(v.to_owned()))
            }
        }
        deserializer.deserialize_any(ToVisitor)
    }
}

impl TryFrom<InputRecord> for Input {
    type Error = String;

    fn try_from(record: InputRecord) -> Result<Self, String> {
        let InputRecord {
            input,
            at,
            actor,
            task,
            action,
            note,
            until,
            to,
            from,
            text,
            policy,
            skipped,
        } = record;
        let kind = match input {
            InputKind::Start => "start",
            InputKind::Act => "act",
            InputKind::Advance => "advance",
            InputKind::Migrate => "migrate",
            InputKind::FollowUp => "follow_up",
            InputKind::Resume => "resume",
        };
        let allowed: &[&str] = match input {
            InputKind::Start => &["at"],
            InputKind::Act => &["at", "actor", "task", "action", "note", "until"],
            InputKind::Advance => &["to"],
            InputKind::Migrate => &["at", "from", "to"],
            InputKind::FollowUp => &["at", "text"],
            InputKind::Resume => &["to", "policy", "skipped"],
        };
        let present = [
            ("at", at.is_some()),
            ("actor", actor.is_some()),
            ("task", task.is_some()),
            ("action", action.is_some()),
            ("note", note.is_some()),
            ("until", until.is_some()),
            ("to", to.is_some()),
            ("from", from.is_some()),
            ("text", text.is_some()),
            ("policy", policy.is_some()),
            ("skipped", skipped.is_some()),
        ];
        if let Some((field, _)) = present
            .iter()
            .find(|(field, present)| *present && !allowed.contains(field))
        {
            return Err(format!("a `{kind}` input has no field `{field}`"));
        }
        fn required<T>(value: Option<T>, field: &str) -> Result<T, String> {
            value.ok_or_else(|| format!("missing field `{field}`"))
        }
        let time = |to: Option<InputTo>| match required(to, "to")? {
            InputTo::Time(t) => Ok(t),
            InputTo::Hash(_) => Err(format!("`to` of a `{kind}` input is an instant in seconds")),
        };
        Ok(match input {
            InputKind::Start => Input::Start {
                at: required(at, "at")?,
            },
            InputKind::Act => Input::Act {
                at: required(at, "at")?,
                actor: required(actor, "actor")?,
                task: required(task, "task")?,
                action: required(action, "action")?,
                note,
                until,
            },
            InputKind::Advance => Input::Advance { to: time(to)? },
            InputKind::Migrate => Input::Migrate {
                at: required(at, "at")?,
                from: required(from, "from")?,
                to: match required(to, "to")? {
                    InputTo::Hash(hash) => hash,
                    InputTo::Time(_) => {
                        return Err("`to` of a `migrate` input is a content hash".to_owned());
                    }
                },
            },
            InputKind::FollowUp => Input::FollowUp {
                at: required(at, "at")?,
                text: required(text, "text")?,
            },
            InputKind::Resume => Input::Resume {
                to: time(to)?,
                policy: required(policy, "policy")?,
                skipped: required(skipped, "skipped")?,
            },
        })
    }
}

/// One input, as journaled. Replaying the journal rebuilds the identical instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "input", try_from = "InputRecord")]
pub enum Input {
    /// The instance started.
    Start {
        /// When.
        at: Timestamp,
    },
    /// An agency acted.
    Act {
        /// When.
        at: Timestamp,
        /// Who.
        actor: AgencyId,
        /// On which task instance.
        task: TaskRef,
        /// Which action.
        action: ActionId,
        /// Free text.
        note: Option<String>,
        /// The due time an extension request asks for.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<Timestamp>,
    },
    /// Time advanced.
    Advance {
        /// To when.
        to: Timestamp,
    },
    /// The instance moved to another version of its workflow ([`Instance::migrate`]).
    /// Inputs before it name task instances, agencies and actions of version `from`,
    /// inputs after it those of version `to`; [`Instance::replay_versions`] replays
    /// across it.
    Migrate {
        /// When (the instance's time; the clock does not move).
        at: Timestamp,
        /// The content hash of the old workflow.
        from: String,
        /// The content hash of the new workflow.
        to: String,
    },
    /// A follow-up document amended the running directive
    /// ([`Instance::apply_follow_up`]). The text itself is kept, so the journal is
    /// self-contained: replay applies it again. Inputs after it name task instances and
    /// actions of the amended workflow.
    FollowUp {
        /// When it was applied.
        at: Timestamp,
        /// The follow-up document's RON text.
        text: String,
    },
    /// The instance was restored at a later time and its clock moved there under a
    /// [`TimerPolicy`] ([`Instance::restore_at`]). Catching up is journaled as a plain
    /// `advance`.
    Resume {
        /// To when.
        to: Timestamp,
        /// The policy.
        policy: TimerPolicy,
        /// The escalation timers that did not fire (for [`TimerPolicy::Skip`]).
        skipped: Vec<SkippedTimer>,
    },
}

/// The arguments an action may carry besides who, what and when.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActArgs<'a> {
    /// Free text for the journal: a reason, what to redo.
    pub note: Option<&'a str>,
    /// For an extension request: the due time asked for.
    pub until: Option<Timestamp>,
}

/// Something the host should deliver or show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Effect {
    /// When it happened.
    pub at: Timestamp,
    /// The task instance concerned.
    pub task: TaskRef,
    /// What happened.
    pub kind: EffectKind,
}

/// What happened. The snake_case names ([`EffectKind::name`]) are a stable contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum EffectKind {
    /// The task started: its lead should be told.
    Started,
    /// Its dependencies are done: it may proceed.
    Unblocked,
    /// A transition fired.
    Transitioned {
        /// The action.
        action: ActionId,
        /// Previous state.
        from: StateId,
        /// New state.
        to: StateId,
        /// Who fired it; `None` for the system (a timed transition).
        actor: Option<AgencyId>,
    },
    /// A recurring task's next occurrence is now due.
    Rescheduled {
        /// The new due time.
        due: Timestamp,
    },
    /// The due time passed without the work handed in.
    Overdue {
        /// The missed due time.
        due: Timestamp,
    },
    /// An escalation level reminded `target`.
    Reminded {
        /// Level number from 1.
        level: u8,
        /// Who is reminded.
        target: AgencyId,
    },
    /// An escalation level warned `target`.
    Warned {
        /// Level number from 1.
        level: u8,
        /// Who is warned.
        target: AgencyId,
    },
    /// An escalation level raised the matter to `target`.
    Escalated {
        /// Level number from 1.
        level: u8,
        /// Who it is raised to.
        target: AgencyId,
    },
    /// An escalation level handed the task to `target`.
    Reassigned {
        /// Level number from 1.
        level: u8,
        /// The new lead.
        target: AgencyId,
    },
    /// The task reached a `Done` state.
    Completed {
        /// No due time of it was ever missed.
        on_time: bool,
    },
    /// The task reached a `Cancelled` state.
    Cancelled,
    /// The lead asked the supervisor for a later due time.
    ExtensionRequested {
        /// The due time asked for.
        until: Timestamp,
        /// Who decides.
        supervisor: AgencyId,
    },
    /// The extension was granted: `due` is the new due time.
    ExtensionApproved {
        /// The new due time.
        due: Timestamp,
    },
    /// The extension was refused; the due time stays.
    ExtensionRefused,
    /// Handed-in work was sent back to the lead to redo.
    Returned,
    /// A follow-up document changed the due time ([`Instance::apply_follow_up`]); the
    /// original stays in `first_due`.
    DueChanged {
        /// The new due time.
        due: Timestamp,
    },
    /// An escalation level fell due while the instance was stored and was skipped on
    /// restore ([`TimerPolicy::Skip`]); `at` is when it would have fired.
    Skipped {
        /// Level number from 1.
        level: u8,
    },
}

impl EffectKind {
    /// The stable snake_case name, e.g. `escalated`.
    ///
    /// ```
    /// assert_eq!(directrix_core::EffectKind::Started.name(), "started");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            EffectKind::Started => "started",
            EffectKind::Unblocked => "unblocked",
            EffectKind::Transitioned { .. } => "transitioned",
            EffectKind::Rescheduled { .. } => "rescheduled",
            EffectKind::Overdue { .. } => "overdue",
            EffectKind::Reminded { .. } => "reminded",
            EffectKind::Warned { .. } => "warned",
            EffectKind::Escalated { .. } => "escalated",
            EffectKind::Reassigned { .. } => "reassigned",
            EffectKind::Completed { .. } => "completed",
            EffectKind::Cancelled => "cancelled",
            EffectKind::ExtensionRequested { .. } => "extension_requested",
            EffectKind::ExtensionApproved { .. } => "extension_approved",
            EffectKind::ExtensionRefused => "extension_refused",
            EffectKind::Returned => "returned",
            EffectKind::Skipped { .. } => "skipped",
            EffectKind::DueChanged { .. } => "due_changed",
        }
    }
}

/// Why an input was refused. The instance is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ActError {
    /// The input's time is before the instance's current time.
    #[error(
        "time went backwards: {at} is before the instance's current time {now} (send inputs in time order)"
    )]
    TimeWentBackwards {
        /// The input's time.
        at: Timestamp,
        /// The instance's current time.
        now: Timestamp,
    },
    /// Timers are due before the action; they must fire first.
    #[error("timers are due at {next}, before this action at {at} (call advance({at}) first)")]
    TimersPending {
        /// The action's time.
        at: Timestamp,
        /// The first pending timer.
        next: Timestamp,
    },
    /// No such task instance.
    #[error("unknown task `{}`{}", crate::model::diagnostic::excerpt(.name), hint_text(.hint))]
    UnknownTask {
        /// The name given.
        name: String,
        /// A suggestion.
        hint: Option<String>,
    },
    /// No such agency.
    #[error("unknown agency `{}`{}", crate::model::diagnostic::excerpt(.name), hint_text(.hint))]
    UnknownAgency {
        /// The name given.
        name: String,
        /// A suggestion.
        hint: Option<String>,
    },
    /// The task's machine has no such action.
    #[error("task `{task}` has no action `{}`{}", crate::model::diagnostic::excerpt(.action), hint_text(.hint))]
    UnknownAction {
        /// The task instance.
        task: String,
        /// The action given.
        action: String,
        /// A suggestion.
        hint: Option<String>,
    },
    /// The task starts later.
    #[error("task `{task}` has not started; it starts at {starts_at}")]
    NotStarted {
        /// The task instance.
        task: String,
        /// When it starts.
        starts_at: Timestamp,
    },
    /// The task, or this action, waits for unfinished dependencies.
    #[error("task `{task}` is blocked until these tasks are done: {}", .waiting_for.join(", "))]
    Blocked {
        /// The task instance.
        task: String,
        /// The unfinished dependencies.
        waiting_for: Vec<String>,
    },
    /// The action does not apply in the current state.
    #[error("`{action}` is not possible for task `{task}` in state `{state}` (possible now: {})", list_or_none(.possible))]
    InvalidTransition {
        /// The task instance.
        task: String,
        /// Its state.
        state: String,
        /// The action given.
        action: String,
        /// Actions possible from this state.
        possible: Vec<String>,
    },
    /// The actor holds none of the roles the transition names.
    #[error("agency `{actor}` may not `{action}` task `{task}` (allowed: {})", .allowed.join(", "))]
    NotAllowed {
        /// The actor.
        actor: String,
        /// The task instance.
        task: String,
        /// The action.
        action: String,
        /// Roles (and their agencies) allowed.
        allowed: Vec<String>,
    },
    /// The action needs a note (`WithNote`).
    #[error("`{action}` on task `{task}` needs a note (say why, or what to redo)")]
    NoteRequired {
        /// The task instance.
        task: String,
        /// The action.
        action: String,
    },
    /// An extension step that does not fit the task now.
    #[error("`{action}` on task `{task}`: {reason}")]
    InvalidExtension {
        /// The task instance.
        task: String,
        /// The action.
        action: String,
        /// What is wrong and what to do.
        reason: String,
    },
    /// `advance` would fire more timers than the workflow's `timers-per-advance` limit.
    #[error(
        "advancing to {to} would fire more than {limit} timers (the `timers-per-advance` limit); the next one due is at {at} (advance in smaller steps, one next timer at a time, or raise the limit)"
    )]
    TooManyTimers {
        /// The time asked for.
        to: Timestamp,
        /// The limit ([`crate::Limits::timers_per_advance`]).
        limit: u64,
        /// When the first timer over the limit is due.
        at: Timestamp,
    },
    /// The input's time (or an extension's `until`) lies outside the representable
    /// range, [`Timestamp::MIN`] to [`Timestamp::MAX`].
    #[error(
        "time {at} is out of range (give a time from 0000-01-01T12:00:00Z to 9999-12-31T09:59:59Z)"
    )]
    TimeOutOfRange {
        /// The time given.
        at: Timestamp,
    },
    /// A `BeforeDue` guard failed.
    #[error("`{action}` on task `{task}` had to come before its due time {due}")]
    PastDue {
        /// The task instance.
        task: String,
        /// The action.
        action: String,
        /// The due time.
        due: Timestamp,
    },
}

fn hint_text(hint: &Option<String>) -> String {
    hint.as_ref().map(|h| format!(" ({h})")).unwrap_or_default()
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

impl ActError {
    /// The suggestion attached to an unknown-name error, if any.
    ///
    /// ```
    /// let e = directrix_core::ActError::UnknownAgency { name: "heath".into(), hint: Some("did you mean `health`?".into()) };
    /// assert_eq!(e.hint(), Some("did you mean `health`?"));
    /// ```
    pub fn hint(&self) -> Option<&str> {
        match self {
            ActError::UnknownTask { hint, .. }
            | ActError::UnknownAgency { hint, .. }
            | ActError::UnknownAction { hint, .. } => hint.as_deref(),
            _ => None,
        }
    }

    /// A stable snake_case code for hosts, e.g. `not_allowed`.
    ///
    /// ```
    /// let e = directrix_core::ActError::UnknownAgency { name: "x".into(), hint: None };
    /// assert_eq!(e.code(), "unknown_agency");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            ActError::TimeWentBackwards { .. } => "time_went_backwards",
            ActError::TimersPending { .. } => "timers_pending",
            ActError::UnknownTask { .. } => "unknown_task",
            ActError::UnknownAgency { .. } => "unknown_agency",
            ActError::UnknownAction { .. } => "unknown_action",
            ActError::NotStarted { .. } => "not_started",
            ActError::Blocked { .. } => "blocked",
            ActError::InvalidTransition { .. } => "invalid_transition",
            ActError::NotAllowed { .. } => "not_allowed",
            ActError::PastDue { .. } => "past_due",
            ActError::NoteRequired { .. } => "note_required",
            ActError::InvalidExtension { .. } => "invalid_extension",
            ActError::TooManyTimers { .. } => "too_many_timers",
            ActError::TimeOutOfRange { .. } => "invalid_time",
        }
    }
}

/// Refuses a time outside [`Timestamp::MIN`] to [`Timestamp::MAX`].
fn in_range(at: Timestamp) -> Result<Timestamp, ActError> {
    if at.in_range() {
        Ok(at)
    } else {
        Err(ActError::TimeOutOfRange { at })
    }
}

/// The serialisable state of an instance: what a snapshot carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceState {
    started_at: Timestamp,
    now: Timestamp,
    tasks: Vec<TaskState>,
    /// Per task definition: how many of its instances are done.
    done: Vec<u32>,
    timers: BTreeSet<Timer>,
    journal: Vec<Input>,
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
/// let (mut instance, effects) = Instance::start(workflow.clone(), start);
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
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let at = workflow.directive().issued_at;
    /// let (instance, effects) = directrix_core::Instance::start(workflow, at);
    /// assert_eq!(instance.now(), at);
    /// assert!(!effects.is_empty());
    /// ```
    ///
    /// `at` outside [`Timestamp::MIN`] to [`Timestamp::MAX`] is moved to the nearer end
    /// (a time parsed or built by this crate is always inside);
    /// [`Instance::try_start`] refuses it instead.
    pub fn start(workflow: Arc<Workflow>, at: Timestamp) -> (Self, Vec<Effect>) {
        let at = at.clamp(Timestamp::MIN, Timestamp::MAX);
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
                Start::AfterDependencies if instance.dependencies_done(task) => {
                    instance.begin(id, at, &mut effects)
                }
                Start::AfterDependencies => instance.state.tasks[i].phase = Phase::Blocked,
            }
        }
        instance.prune_stale_front();
        (instance, effects)
    }

    /// [`Instance::start`] for a time from outside (a host's number, a journal):
    /// refuses a time it cannot represent.
    ///
    /// # Errors
    /// [`ActError::TimeOutOfRange`] when `at` lies outside [`Timestamp::MIN`] to
    /// [`Timestamp::MAX`].
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// use directrix_core::{Instance, Timestamp};
    /// let error = Instance::try_start(workflow, Timestamp::from_seconds(i64::MAX)).unwrap_err();
    /// assert_eq!(error.code(), "invalid_time");
    /// ```
    pub fn try_start(
        workflow: Arc<Workflow>,
        at: Timestamp,
    ) -> Result<(Self, Vec<Effect>), ActError> {
        Ok(Self::start(workflow, in_range(at)?))
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

    /// Every successful input so far, starting with `start`.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// # let at = workflow.directive().issued_at;
    /// let (instance, _) = directrix_core::Instance::start(workflow, at);
    /// assert_eq!(instance.journal().len(), 1);
    /// ```
    pub fn journal(&self) -> &[Input] {
        &self.state.journal
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

    /// Whether every dependency of the task is done.
    fn dependencies_done(&self, task: &Task) -> bool {
        task.depends_on.iter().all(|d| {
            let dep = &self.workflow.tasks[d.index()];
            self.state.done[d.index()] as usize == dep.instances.len()
        })
    }

    fn pending_dependencies(&self, task: &Task) -> Vec<String> {
        task.depends_on
            .iter()
            .filter(|d| {
                let dep = &self.workflow.tasks[d.index()];
                self.state.done[d.index()] as usize != dep.instances.len()
            })
            .map(|d| self.workflow.tasks[d.index()].id.clone())
            .collect()
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

    fn begin(&mut self, task: TaskRef, started_at: Timestamp, effects: &mut Vec<Effect>) {
        let now = self.state.now;
        let def = self.task_def(task);
        let due = def
            .due
            .and_then(|d| d.first(&self.workflow.calendar, started_at));
        let initial = self.machine(task).initial;
        let ts = &mut self.state.tasks[task.index()];
        ts.phase = Phase::Running;
        ts.state = initial;
        ts.started_at = Some(started_at);
        ts.entered_at = now;
        ts.due = due;
        ts.first_due = due;
        effects.push(Effect {
            at: now,
            task,
            kind: EffectKind::Started,
        });
        self.schedule_due(task);
        self.schedule_state(task);
    }

    /// Sets the timers that hang on the current due time.
    fn schedule_due(&mut self, task: TaskRef) {
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
    fn schedule_state(&mut self, task: TaskRef) {
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
    fn prune_stale_front(&mut self) {
        while let Some(first) = self.state.timers.first().copied() {
            if self.is_live(&first) {
                break;
            }
            self.state.timers.pop_first();
        }
    }

    /// Whether a timer would still do something if it fired now.
    fn is_live(&self, timer: &Timer) -> bool {
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
        }
    }

    /// When the host should next call [`Instance::advance`], and why; `None` when no
    /// timer is pending.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let (instance, _) = directrix_core::Instance::start(workflow.clone(), workflow.directive().issued_at);
    /// let next = instance.next_timer().unwrap();
    /// assert!(next.at >= instance.now());
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
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let (mut instance, _) = directrix_core::Instance::start(workflow.clone(), workflow.directive().issued_at);
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

    fn fire(&mut self, timer: Timer, effects: &mut Vec<Effect>) {
        let task = timer.task;
        match timer.kind {
            TimerKind::Start => {
                let at = timer.at;
                self.begin(task, at, effects);
                if !self.task_def(task).depends_on.is_empty()
                    && self.dependencies_done(self.task_def(task))
                {
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
        }
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

    /// Fires transition `index` of the task's machine, with all consequences.
    fn apply(
        &mut self,
        task: TaskRef,
        index: usize,
        actor: Option<AgencyId>,
        until: Option<Timestamp>,
        effects: &mut Vec<Effect>,
    ) {
        let now = self.state.now;
        let transition = &self.machine(task).transitions[index];
        let (action, to, reports, stays) = (
            transition.action,
            transition.to,
            transition.reports,
            transition.stays,
        );
        let (extension, returns_report) = (transition.extension, transition.returns_report);
        let to_kind = self.machine(task).states[to.index()].kind;
        let to_submitted = self.machine(task).states[to.index()].submitted;
        let due_rule = self.task_def(task).due;
        let supervisor = self.task_def(task).supervisor;
        let task_id = self.workflow.slots[task.index()].task;
        let ts = &mut self.state.tasks[task.index()];
        let from = ts.state;
        if !stays {
            ts.state = to;
            ts.state_epoch = ts.state_epoch.wrapping_add(1);
            ts.entered_at = now;
        }
        effects.push(Effect {
            at: now,
            task,
            kind: EffectKind::Transitioned {
                action,
                from,
                to,
                actor,
            },
        });
        match extension {
            Some(ExtensionStep::Request) => {
                ts.extension_requested = until;
                if let Some(until) = until {
                    effects.push(Effect {
                        at: now,
                        task,
                        kind: EffectKind::ExtensionRequested { until, supervisor },
                    });
                }
            }
            Some(ExtensionStep::Approve) => {
                if let Some(due) = ts.extension_requested.take() {
                    ts.due = Some(due);
                    ts.due_epoch = ts.due_epoch.wrapping_add(1);
                    ts.extensions = ts.extensions.saturating_add(1);
                    ts.overdue = false;
                    // Lateness is now judged against the granted time; `first_due` keeps
                    // the original for reporting. A recurring task's past periods stay late.
                    if !due_rule.is_some_and(|rule| rule.is_recurring()) {
                        ts.ever_overdue = false;
                    }
                    effects.push(Effect {
                        at: now,
                        task,
                        kind: EffectKind::ExtensionApproved { due },
                    });
                    self.schedule_due(task);
                }
            }
            Some(ExtensionStep::Refuse) => {
                ts.extension_requested = None;
                effects.push(Effect {
                    at: now,
                    task,
                    kind: EffectKind::ExtensionRefused,
                });
            }
            None => {}
        }
        if returns_report {
            let ts = &mut self.state.tasks[task.index()];
            ts.returns = ts.returns.saturating_add(1);
            effects.push(Effect {
                at: now,
                task,
                kind: EffectKind::Returned,
            });
        }
        let ts = &mut self.state.tasks[task.index()];
        if reports {
            // A report hands in the current period; a recurring task moves to the next one.
            // A late report covers the periods it missed.
            if let (Some(rule), Some(current)) = (due_rule, ts.due)
                && rule.is_recurring()
            {
                ts.due = rule.next_after_at(&self.workflow.calendar, current, now);
                ts.due_epoch = ts.due_epoch.wrapping_add(1);
                ts.overdue = false;
                if let Some(due) = ts.due {
                    effects.push(Effect {
                        at: now,
                        task,
                        kind: EffectKind::Rescheduled { due },
                    });
                }
                self.schedule_due(task);
            }
        }
        let from_submitted = self.machine(task).states[from.index()].submitted;
        let ts = &mut self.state.tasks[task.index()];
        if to_submitted {
            // The work is handed in: the due time no longer presses the lead.
            ts.overdue = false;
        } else if from_submitted {
            // Returned for rework: still late if it was late and the due time has passed.
            ts.overdue = ts.ever_overdue && ts.due.is_some_and(|due| due <= now);
        }
        match to_kind {
            StateKind::Done => {
                ts.finished_at = Some(now);
                ts.overdue = false;
                let on_time = !ts.ever_overdue;
                effects.push(Effect {
                    at: now,
                    task,
                    kind: EffectKind::Completed { on_time },
                });
                self.state.done[task_id.index()] += 1;
                let def = &self.workflow.tasks[task_id.index()];
                if self.state.done[task_id.index()] as usize == def.instances.len() {
                    self.unblock_dependents(task_id, effects);
                }
            }
            StateKind::Cancelled => {
                ts.finished_at = Some(now);
                ts.overdue = false;
                effects.push(Effect {
                    at: now,
                    task,
                    kind: EffectKind::Cancelled,
                });
            }
            StateKind::Initial | StateKind::Active => {}
        }
        if !stays {
            self.schedule_state(task);
        }
    }

    fn unblock_dependents(&mut self, done: TaskId, effects: &mut Vec<Effect>) {
        let now = self.state.now;
        let workflow = Arc::clone(&self.workflow);
        for &dependent in workflow.dependents(done) {
            let def = workflow.task(dependent);
            if !self.dependencies_done(def) {
                continue;
            }
            for i in def.instances.clone() {
                let id = TaskRef(i);
                match self.state.tasks[i as usize].phase {
                    Phase::Blocked => {
                        effects.push(Effect {
                            at: now,
                            task: id,
                            kind: EffectKind::Unblocked,
                        });
                        self.begin(id, now, effects);
                    }
                    Phase::Running => effects.push(Effect {
                        at: now,
                        task: id,
                        kind: EffectKind::Unblocked,
                    }),
                    Phase::Waiting => {}
                }
            }
        }
    }

    /// `actor` performs `action` on `task` at `at`.
    ///
    /// Call [`Instance::advance`]`(at)` first when timers may be due: timers due at or
    /// before `at` fire before the action.
    ///
    /// # Errors
    /// Any [`ActError`]; the instance is then unchanged.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let at = workflow.directive().issued_at;
    /// let (mut instance, _) = directrix_core::Instance::start(workflow.clone(), at);
    /// let police = workflow.agency_id("police").unwrap();
    /// let task = workflow.task_ref("health_readiness").unwrap();
    /// let acknowledge = workflow.action_id("acknowledge").unwrap();
    /// let error = instance.act(at, police, task, acknowledge, None).unwrap_err();
    /// assert_eq!(error.code(), "not_allowed");
    /// ```
    pub fn act(
        &mut self,
        at: Timestamp,
        actor: AgencyId,
        task: TaskRef,
        action: ActionId,
        note: Option<&str>,
    ) -> Result<Vec<Effect>, ActError> {
        let mut effects = Vec::new();
        self.act_into(at, actor, task, action, note, &mut effects)?;
        Ok(effects)
    }

    /// [`Instance::act`] appending the effects to `effects`, so a host that acts in a
    /// loop reuses one buffer instead of allocating per event.
    ///
    /// # Errors
    /// As [`Instance::act`]; `effects` is then untouched.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let at = workflow.directive().issued_at;
    /// let (mut instance, _) = directrix_core::Instance::start(workflow.clone(), at);
    /// let (health, task, acknowledge) = workflow.resolve_act("health", "health_readiness", "acknowledge")?;
    /// let mut effects = Vec::new();
    /// instance.act_into(at, health, task, acknowledge, None, &mut effects)?;
    /// assert_eq!(effects.len(), 1);
    /// # Ok::<(), directrix_core::ActError>(())
    /// ```
    pub fn act_into(
        &mut self,
        at: Timestamp,
        actor: AgencyId,
        task: TaskRef,
        action: ActionId,
        note: Option<&str>,
        effects: &mut Vec<Effect>,
    ) -> Result<(), ActError> {
        let args = ActArgs { note, until: None };
        self.act_with(at, actor, task, action, args, effects)
    }

    /// [`Instance::act_into`] with every argument an action may take: the note and, for
    /// an extension request, the due time asked for.
    ///
    /// # Errors
    /// As [`Instance::act`], and [`ActError::InvalidExtension`] when `until` is missing
    /// for a request, given for anything else, or not later than the current due time;
    /// [`ActError::NoteRequired`] when a `WithNote` action has no note.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// use directrix_core::{instance::ActArgs, Span};
    /// let at = workflow.directive().issued_at;
    /// let (mut instance, _) = directrix_core::Instance::start(workflow.clone(), at);
    /// let (health, task, request) = workflow.resolve_act("health", "health_readiness", "request_extension")?;
    /// let due = instance.task_state(task).unwrap().due.unwrap();
    /// let args = ActArgs { note: Some("waiting for test kits"), until: Some(due.saturating_add(Span::parse("2d")?)) };
    /// let mut effects = Vec::new();
    /// instance.act_with(at, health, task, request, args, &mut effects)?;
    /// assert!(effects.iter().any(|e| e.kind.name() == "extension_requested"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn act_with(
        &mut self,
        at: Timestamp,
        actor: AgencyId,
        task: TaskRef,
        action: ActionId,
        args: ActArgs<'_>,
        effects: &mut Vec<Effect>,
    ) -> Result<(), ActError> {
        let index = self.authorize(at, actor, task, action)?;
        self.check_args(task, index, args)?;
        // No live timer is due by `at` (checked); drop the stale ones as `advance(at)`
        // would, so none can come back to life later with a time before `now`.
        while self
            .state
            .timers
            .first()
            .is_some_and(|timer| timer.at <= at)
        {
            self.state.timers.pop_first();
        }
        self.state.now = at;
        self.apply(task, index, Some(actor), args.until, effects);
        self.prune_stale_front();
        self.state.journal.push(Input::Act {
            at,
            actor,
            task,
            action,
            note: args.note.map(str::to_owned),
            until: args.until,
        });
        Ok(())
    }

    /// The checks on an action's arguments, after [`Instance::authorize`] passed.
    fn check_args(&self, task: TaskRef, index: usize, args: ActArgs<'_>) -> Result<(), ActError> {
        let transition = &self.machine(task).transitions[index];
        let name = || self.workflow.slots[task.index()].name.clone();
        let action = || self.workflow.action_name(transition.action).to_owned();
        let invalid = |reason: String| ActError::InvalidExtension {
            task: name(),
            action: action(),
            reason,
        };
        if let Some(until) = args.until {
            in_range(until)?;
        }
        if transition.guards.contains(&Guard::WithNote)
            && args.note.is_none_or(|note| note.trim().is_empty())
        {
            return Err(ActError::NoteRequired {
                task: name(),
                action: action(),
            });
        }
        match (transition.extension, args.until) {
            (Some(ExtensionStep::Request), None) => {
                Err(invalid("give the due time asked for (`until`)".to_owned()))
            }
            (Some(ExtensionStep::Request), Some(until)) => {
                match self.state.tasks[task.index()].due {
                    Some(due) if until <= due => Err(invalid(format!(
                        "the due time asked for, {}, is not after the current due time {}",
                        self.workflow.format_time(until),
                        self.workflow.format_time(due)
                    ))),
                    _ => Ok(()),
                }
            }
            (_, Some(_)) => Err(invalid(
                "`until` goes only with an extension request".to_owned(),
            )),
            (_, None) => Ok(()),
        }
    }

    /// Every check `act` makes (the time, the task and action, the role that may fire the
    /// transition, its guards), without changing anything; returns the transition index.
    fn authorize(
        &self,
        at: Timestamp,
        actor: AgencyId,
        task: TaskRef,
        action: ActionId,
    ) -> Result<usize, ActError> {
        let workflow = &self.workflow;
        in_range(at)?;
        if at < self.state.now {
            return Err(ActError::TimeWentBackwards {
                at,
                now: self.state.now,
            });
        }
        if let Some(next) = self.next_timer().filter(|t| t.at <= at) {
            return Err(ActError::TimersPending { at, next: next.at });
        }
        let Some(ts) = self.state.tasks.get(task.index()) else {
            return Err(ActError::UnknownTask {
                name: format!("#{}", task.0),
                hint: None,
            });
        };
        if actor.index() >= workflow.agencies.len() {
            return Err(ActError::UnknownAgency {
                name: format!("#{}", actor.0),
                hint: None,
            });
        }
        let name = || workflow.slots[task.index()].name.clone();
        let action_name = || {
            workflow
                .actions
                .get(action.index())
                .cloned()
                .unwrap_or_else(|| format!("#{}", action.0))
        };
        let def = self.task_def(task);
        match ts.phase {
            Phase::Waiting => {
                let starts_at = match def.start {
                    Start::At(t) => t,
                    _ => self.state.now,
                };
                return Err(ActError::NotStarted {
                    task: name(),
                    starts_at,
                });
            }
            Phase::Blocked => {
                return Err(ActError::Blocked {
                    task: name(),
                    waiting_for: self.pending_dependencies(def),
                });
            }
            Phase::Running => {}
        }
        let machine = self.machine(task);
        let Some(index) = machine
            .transitions
            .iter()
            .position(|t| t.action == action && t.from.contains(&ts.state))
        else {
            if !machine.transitions.iter().any(|t| t.action == action) {
                let names = machine
                    .transitions
                    .iter()
                    .map(|t| workflow.action_name(t.action));
                return Err(ActError::UnknownAction {
                    task: name(),
                    action: action_name(),
                    hint: crate::model::diagnostic::suggestion(&action_name(), names),
                });
            }
            let mut possible: Vec<String> = machine
                .transitions
                .iter()
                .filter(|t| t.from.contains(&ts.state) && t.after.is_none())
                .map(|t| workflow.action_name(t.action).to_owned())
                .collect();
            possible.dedup();
            return Err(ActError::InvalidTransition {
                task: name(),
                state: machine.states[ts.state.index()].id.clone(),
                action: action_name(),
                possible,
            });
        };
        let transition = &machine.transitions[index];
        if !transition
            .by
            .iter()
            .any(|&role| self.holds(role, actor, task))
        {
            return Err(ActError::NotAllowed {
                actor: workflow.agencies[actor.index()].id.clone(),
                task: name(),
                action: action_name(),
                allowed: transition
                    .by
                    .iter()
                    .map(|&r| self.describe_role(r, task))
                    .collect(),
            });
        }
        for guard in &transition.guards {
            match guard {
                Guard::DependenciesDone if !self.dependencies_done(def) => {
                    return Err(ActError::Blocked {
                        task: name(),
                        waiting_for: self.pending_dependencies(def),
                    });
                }
                Guard::BeforeDue => {
                    if let Some(due) = ts.due.filter(|&due| at > due) {
                        return Err(ActError::PastDue {
                            task: name(),
                            action: action_name(),
                            due,
                        });
                    }
                }
                _ => {}
            }
        }
        let refused = match transition.extension {
            Some(ExtensionStep::Request) if ts.due.is_none() => {
                Some("the task has no due time to extend")
            }
            Some(ExtensionStep::Request) if ts.extension_requested.is_some() => {
                Some("a request is already pending; the supervisor decides on it first")
            }
            Some(ExtensionStep::Approve | ExtensionStep::Refuse)
                if ts.extension_requested.is_none() =>
            {
                Some("no extension request is pending")
            }
            _ => None,
        };
        if let Some(reason) = refused {
            return Err(ActError::InvalidExtension {
                task: name(),
                action: action_name(),
                reason: reason.to_owned(),
            });
        }
        Ok(index)
    }

    fn describe_role(&self, role: Role, task: TaskRef) -> String {
        let ids = |agencies: &[AgencyId]| {
            agencies
                .iter()
                .map(|a| self.workflow.agencies[a.index()].id.as_str())
                .collect::<Vec<_>>()
                .join("/")
        };
        let def = self.task_def(task);
        match role {
            Role::Lead => format!("lead `{}`", ids(self.leads(task))),
            Role::Support => format!("support `{}`", ids(&def.support)),
            Role::Supervisor => format!("supervisor `{}`", ids(&[def.supervisor])),
            Role::Issuer => format!("issuer `{}`", ids(&[self.workflow.directive.issuer])),
            Role::Agency(a) => format!("`{}`", ids(&[a])),
            Role::System => "the system (timed)".to_owned(),
        }
    }

    /// [`Instance::act`] with names: `actor` and `action` ids, and `task` as `task`,
    /// `task[member]`, or, for a `for_each` task, the bare task id when the actor is a
    /// member.
    ///
    /// # Errors
    /// [`ActError::UnknownAgency`], [`ActError::UnknownTask`] or
    /// [`ActError::UnknownAction`] (with a suggestion) for names that do not resolve, then
    /// anything [`Instance::act`] returns.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// # let at = workflow.directive().issued_at;
    /// let (mut instance, _) = directrix_core::Instance::start(workflow, at);
    /// let error = instance.act_by_name(at, "heath", "health_readiness", "acknowledge", None).unwrap_err();
    /// assert_eq!(error.to_string(), "unknown agency `heath` (did you mean `health`?)");
    /// ```
    pub fn act_by_name(
        &mut self,
        at: Timestamp,
        actor: &str,
        task: &str,
        action: &str,
        note: Option<&str>,
    ) -> Result<Vec<Effect>, ActError> {
        let (actor, task, action) = self.workflow.resolve_act(actor, task, action)?;
        self.act(at, actor, task, action, note)
    }

    /// Status of every task instance, in instance order.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// # let at = workflow.directive().issued_at;
    /// let (instance, _) = directrix_core::Instance::start(workflow.clone(), at);
    /// assert_eq!(instance.status().len(), workflow.task_slots().len());
    /// ```
    pub fn status(&self) -> Vec<TaskStatus> {
        (0..self.state.tasks.len())
            .map(|i| {
                let id = TaskRef(i as u32);
                let ts = &self.state.tasks[i];
                TaskStatus {
                    task: id,
                    phase: ts.phase,
                    state: ts.state,
                    leads: self.leads(id).to_vec(),
                    due: ts.due,
                    first_due: ts.first_due,
                    overdue: ts.overdue,
                    level: ts.level,
                    finished_at: ts.finished_at,
                    done: ts.phase == Phase::Running
                        && self.current_state(id).kind == StateKind::Done,
                    on_time: (ts.phase == Phase::Running
                        && self.current_state(id).kind == StateKind::Done)
                        .then_some(!ts.ever_overdue),
                }
            })
            .collect()
    }

    /// The task instances whose current due time has passed without the work handed in.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let (instance, _) = directrix_core::Instance::start(workflow.clone(), workflow.directive().issued_at);
    /// assert!(instance.overdue().is_empty());
    /// ```
    pub fn overdue(&self) -> Vec<TaskRef> {
        (0..self.state.tasks.len())
            .filter(|&i| self.state.tasks[i].overdue)
            .map(|i| TaskRef(i as u32))
            .collect()
    }

    /// What `agency` may do now: every (task, action) it holds a role for whose guards
    /// pass, in instance order.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let (instance, _) = directrix_core::Instance::start(workflow.clone(), workflow.directive().issued_at);
    /// let health = workflow.agency_id("health").unwrap();
    /// let inbox = instance.inbox(health);
    /// assert!(inbox.iter().any(|item| workflow.action_name(item.action) == "acknowledge"));
    /// ```
    pub fn inbox(&self, agency: AgencyId) -> Vec<InboxItem> {
        let mut items = Vec::new();
        if agency.index() >= self.workflow.agencies.len() {
            return items;
        }
        for i in 0..self.state.tasks.len() {
            let id = TaskRef(i as u32);
            let ts = &self.state.tasks[i];
            if ts.phase != Phase::Running {
                continue;
            }
            for (index, transition) in self.machine(id).transitions.iter().enumerate() {
                if transition.after.is_some() || !transition.from.contains(&ts.state) {
                    continue;
                }
                if self.authorize(self.state.now, agency, id, transition.action) == Ok(index) {
                    items.push(InboxItem {
                        task: id,
                        action: transition.action,
                        to: transition.to,
                        needs_note: transition.guards.contains(&Guard::WithNote),
                        needs_until: transition.extension == Some(ExtensionStep::Request),
                    });
                }
            }
        }
        items
    }

    /// The chain of tasks that ends last, using actual finish times where known and
    /// `max(due, now)` otherwise (for a task not started yet, its due time counted from
    /// when it can start; never before its dependencies end); first task first.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let (instance, _) = directrix_core::Instance::start(workflow.clone(), workflow.directive().issued_at);
    /// assert!(!instance.critical_path().is_empty());
    /// ```
    pub fn critical_path(&self) -> Vec<TaskId> {
        let workflow = &self.workflow;
        let plan = crate::model::plan::plan(workflow);
        let now = self.state.now;
        // In dependency order, so an unfinished task never ends before its dependencies.
        let mut ends = vec![now; workflow.tasks.len()];
        for task in crate::model::plan::topological(workflow) {
            let def = &workflow.tasks[task.index()];
            let dependencies_end = def.depends_on.iter().map(|d| ends[d.index()]).max();
            ends[task.index()] = def
                .instances
                .clone()
                .map(|i| {
                    let ts = &self.state.tasks[i as usize];
                    if let Some(finished) = ts.finished_at {
                        return finished;
                    }
                    let expected = match ts.phase {
                        Phase::Running => ts.due.or(plan[task.index()].due),
                        // Not started yet: due by its rule from when it can start.
                        Phase::Waiting | Phase::Blocked => {
                            let start = match def.start {
                                Start::At(t) => t.max(now),
                                _ => now,
                            }
                            .max(dependencies_end.unwrap_or(now));
                            def.due
                                .and_then(|d| d.last(&workflow.calendar, start))
                                .or(Some(start))
                        }
                    };
                    expected
                        .unwrap_or(now)
                        .max(now)
                        .max(dependencies_end.unwrap_or(now))
                })
                .max()
                .unwrap_or(now);
        }
        critical_chain(workflow, |task| ends[task.index()])
    }

    /// A snapshot for the host to persist.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let (instance, _) = directrix_core::Instance::start(workflow.clone(), workflow.directive().issued_at);
    /// let json = serde_json::to_string(&instance.snapshot()).unwrap();
    /// let snapshot = serde_json::from_str(&json).unwrap();
    /// let restored = directrix_core::Instance::restore(workflow, snapshot).unwrap();
    /// assert_eq!(restored, instance);
    /// ```
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            format: SNAPSHOT_FORMAT,
            directive: self.workflow.directive.number.clone(),
            workflow_hash: Some(self.workflow.content_hash.clone()),
            state: self.state.clone(),
        }
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
        let (mut instance, _) = Self::try_start(Arc::clone(first), *at)
            .map_err(|error| ReplayError::Input { index: 0, error })?;
        for (index, input) in journal.iter().enumerate().skip(1) {
            let failed = |error| ReplayError::Input { index, error };
            match input {
                Input::Start { .. } => return Err(ReplayError::NoStart),
                Input::Advance { to } => drop(instance.advance(*to).map_err(failed)?),
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
                    instance
                        .act_with(*at, *actor, *task, *action, args, &mut Vec::new())
                        .map_err(failed)?;
                }
                Input::Migrate { from, to, .. } => {
                    let next = versions
                        .iter()
                        .find(|w| &w.content_hash == to)
                        .filter(|_| &instance.workflow.content_hash == from)
                        .ok_or_else(|| ReplayError::UnknownVersion {
                            index,
                            hash: to.clone(),
                        })?;
                    let (state, _) = map_state(&instance.workflow, &instance.state, next)
                        .map_err(|error| ReplayError::Migrate { index, error })?;
                    instance = Self {
                        workflow: Arc::clone(next),
                        state,
                    };
                    instance.state.journal.push(input.clone());
                }
                Input::FollowUp { at, text } => {
                    instance
                        .apply_follow_up_with(*at, text, amend)
                        .map_err(|error| ReplayError::FollowUp { index, error })?;
                }
                Input::Resume { to, policy, .. } => {
                    drop(instance.resume(*to, *policy).map_err(failed)?);
                    if instance.state.journal.last() != Some(input) {
                        return Err(ReplayError::Diverged { index });
                    }
                }
            }
        }
        Ok(instance)
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
    fn check_identity(&self, workflow: &Workflow, migrating: bool) -> Result<(), RestoreError> {
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
    /// - `done` counts exactly the task instances in a `Done` state (dependencies are
    ///   released by it);
    /// - timers are at or after `now`, name a task instance, level or transition that
    ///   exists, and a timer that would fire (live) does what its task allows: a due
    ///   timer needs a due time, a timed transition leaves the current state;
    /// - the journal begins with the one `start` at `started_at`, its times never go
    ///   backwards nor past `now`, and the inputs since the last change of workflow
    ///   (`migrate`, `follow_up`) name agencies, task instances and actions that exist.
    fn fits(&self, workflow: &Workflow) -> Result<(), RestoreError> {
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
        let range = |t: Timestamp, what: &str| {
            if t.in_range() {
                Ok(())
            } else {
                Err(RestoreError::Mismatch(format!(
                    "{what} {t} is out of range (from {} to {})",
                    Timestamp::MIN,
                    Timestamp::MAX
                )))
            }
        };
        range(self.started_at, "its start")?;
        range(self.now, "its clock")?;
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
            let slot = &workflow.slots[i];
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
                    range(time, &format!("the {what} of task `{}`", slot.name))?;
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
                Phase::Waiting if !waiting_timer.contains(&TaskRef(i as u32)) => {
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
            let levels = def.policy.map_or(0, |p| workflow.policies[p].levels.len());
            if usize::from(ts.level) > levels {
                return task(&format!(
                    "reached escalation level {}, but its policy has {levels}",
                    ts.level
                ));
            }
            if running && state.kind == StateKind::Done {
                done[slot.task.index()] += 1;
            }
        }
        if let Some(task) = (0..done.len()).find(|&t| done[t] != self.done[t]) {
            return mismatch(format!(
                "task `{}` counts {} instances done, but {} are",
                workflow.tasks[task].id, self.done[task], done[task]
            ));
        }
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
        self.journal_fits(workflow)
    }

    /// The journal part of [`InstanceState::fits`].
    fn journal_fits(&self, workflow: &Workflow) -> Result<(), RestoreError> {
        let mismatch = |what: String| Err(RestoreError::Mismatch(what));
        if self.journal.first()
            != Some(&Input::Start {
                at: self.started_at,
            })
        {
            return mismatch("its journal does not begin with its start".to_owned());
        }
        // Inputs after the last change of workflow name this workflow's indices.
        let current = self
            .journal
            .iter()
            .rposition(|input| matches!(input, Input::Migrate { .. } | Input::FollowUp { .. }))
            .unwrap_or(0);
        let mut last = self.started_at;
        for (index, input) in self.journal.iter().enumerate().skip(1) {
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
            if index < current {
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

/// The status of one task instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskStatus {
    /// Which instance.
    pub task: TaskRef,
    /// Life phase.
    pub phase: Phase,
    /// Machine state.
    pub state: StateId,
    /// Current leads.
    pub leads: Vec<AgencyId>,
    /// Current due time.
    pub due: Option<Timestamp>,
    /// Original due time.
    pub first_due: Option<Timestamp>,
    /// Past due with the work not handed in.
    pub overdue: bool,
    /// Highest escalation level fired.
    pub level: u8,
    /// When it reached a terminal state.
    pub finished_at: Option<Timestamp>,
    /// In a `Done` state.
    pub done: bool,
    /// For done tasks: whether no due time was missed.
    pub on_time: Option<bool>,
}

/// One thing an agency may do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct InboxItem {
    /// On which task instance.
    pub task: TaskRef,
    /// The action.
    pub action: ActionId,
    /// The state it leads to.
    pub to: StateId,
    /// The action needs a note ([`ActArgs::note`]): a reason, what to redo.
    pub needs_note: bool,
    /// The action needs a due time ([`ActArgs::until`]): an extension request.
    pub needs_until: bool,
}

impl Workflow {
    /// Resolves the names of an action request.
    ///
    /// # Errors
    /// The matching `Unknown*` [`ActError`], with a suggestion when one is close.
    pub fn resolve_act(
        &self,
        actor: &str,
        task: &str,
        action: &str,
    ) -> Result<(AgencyId, TaskRef, ActionId), ActError> {
        let actor_id = self
            .agency_id(actor)
            .ok_or_else(|| ActError::UnknownAgency {
                name: actor.to_owned(),
                hint: crate::model::diagnostic::suggestion(
                    actor,
                    self.agencies.iter().map(|a| a.id.as_str()),
                ),
            })?;
        let task_id = self.resolve_task(task, actor_id).ok_or_else(|| ActError::UnknownTask {
            name: task.to_owned(),
            hint: match self.task_id(task) {
                // The task exists but is fanned out and the actor is not one of its members.
                Some(_) => Some(format!(
                    "`{actor}` is not a member of this task's group; name the instance as `{task}[member]`"
                )),
                None => crate::model::diagnostic::suggestion(task, self.tasks.iter().map(|t| t.id.as_str())),
            },
        })?;
        let action_id = self
            .action_id(action)
            .ok_or_else(|| ActError::UnknownAction {
                task: self.slots[task_id.index()].name.clone(),
                action: action.to_owned(),
                hint: crate::model::diagnostic::suggestion(
                    action,
                    self.actions.iter().map(String::as_str),
                ),
            })?;
        Ok((actor_id, task_id, action_id))
    }

    /// Finds a task instance by `task`, `task[member]`, or a `for_each` task's bare id
    /// with `actor` as the member.
    pub fn resolve_task(&self, task: &str, actor: AgencyId) -> Option<TaskRef> {
        if let Some(id) = self.task_ref(task) {
            return Some(id);
        }
        let def = self.task(self.task_id(task)?);
        def.instances
            .clone()
            .find(|&i| self.slots[i as usize].member == Some(actor))
            .map(TaskRef)
    }
}
