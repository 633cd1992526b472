//! Why an input was refused: `ActError`, its codes and hints.

use crate::model::time::Timestamp;

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
    #[error("task `{task}` is blocked until these tasks are done: {}", list_capped(.waiting_for))]
    Blocked {
        /// The task instance.
        task: String,
        /// The unfinished dependency instances (`count[phu_yen]` for a member of a
        /// fan-out), every one of them; the message names the first few.
        waiting_for: Vec<String>,
    },
    /// The action does not apply in the current state.
    #[error(
        "`{action}` is not possible for task `{task}` in state `{state}`{} (possible now: {}){}",
        entered_text(&.entered.by, &.entered.at),
        list_or_none(.possible),
        joint_text(&.entered.joint_leads)
    )]
    InvalidTransition {
        /// The task instance.
        task: String,
        /// Its state.
        state: String,
        /// The action given.
        action: String,
        /// Actions possible from this state.
        possible: Vec<String>,
        /// How the instance came to be in its state, and who shares it.
        entered: Box<Entered>,
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
    /// The final report of a measure in force came before its period ended.
    #[error(
        "`{action}` on task `{task}` is the final report of a measure in force until {until} (report once the period ends, or have a follow-up end it early)"
    )]
    InForce {
        /// The task instance.
        task: String,
        /// The action.
        action: String,
        /// When the period ends.
        until: Timestamp,
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

/// How a task instance came to be in its state, and who shares it: what a refused
/// transition needs to explain itself (boxed in [`ActError::InvalidTransition`] to keep
/// the error small).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entered {
    /// The agency whose action moved the instance into its state; `None` when it started
    /// there or the system moved it (a timed transition, a follow-up).
    pub by: Option<String>,
    /// When the instance entered its state.
    pub at: Timestamp,
    /// When several leads share this one instance (`lead_mode: Joint`): all of them, since
    /// one lead's action moves it for every lead. Empty otherwise.
    pub joint_leads: Vec<String>,
}

fn hint_text(hint: &Option<String>) -> String {
    hint.as_ref().map(|h| format!(" ({h})")).unwrap_or_default()
}

/// The first few items, then how many more: a task waiting for a national fan-out would
/// otherwise name sixty-odd instances.
fn list_capped(items: &[String]) -> String {
    const SHOWN: usize = 5;
    match items.len().checked_sub(SHOWN) {
        Some(more) if more > 0 => format!("{} and {more} more", items[..SHOWN].join(", ")),
        _ => items.join(", "),
    }
}

fn entered_text(entered_by: &Option<String>, entered_at: &Timestamp) -> String {
    match entered_by {
        Some(agency) => format!(", where `{agency}` moved it at {entered_at}"),
        None => format!(", entered at {entered_at}"),
    }
}

fn joint_text(joint_leads: &[String]) -> String {
    if joint_leads.is_empty() {
        return String::new();
    }
    let leads: Vec<String> = joint_leads.iter().map(|l| format!("`{l}`")).collect();
    format!(
        "; its leads {} share this one instance (`lead_mode: Joint`), so one lead's action moves it for all (write `lead_mode: Each` to give each lead an instance of its own)",
        leads.join(", ")
    )
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
            ActError::InForce { .. } => "in_force",
            ActError::NoteRequired { .. } => "note_required",
            ActError::InvalidExtension { .. } => "invalid_extension",
            ActError::TooManyTimers { .. } => "too_many_timers",
            ActError::TimeOutOfRange { .. } => "invalid_time",
        }
    }
}

/// Refuses a time outside [`Timestamp::MIN`] to [`Timestamp::MAX`].
pub(super) fn in_range(at: Timestamp) -> Result<Timestamp, ActError> {
    if at.in_range() {
        Ok(at)
    } else {
        Err(ActError::TimeOutOfRange { at })
    }
}
