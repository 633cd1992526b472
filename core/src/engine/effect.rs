//! Effects: what an input caused, returned as values for the host to deliver.

// Named in the docs only.
#[cfg(doc)]
use super::{Instance, TimerPolicy};
use crate::model::time::Timestamp;
use crate::model::workflow::{ActionId, AgencyId, StateId, TaskRef};
use serde::Serialize;

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
    /// The task's measure came into force (`from` may precede `at`, when the period
    /// began before the task started).
    PeriodStarted {
        /// When it came into force.
        from: Timestamp,
        /// When it ends.
        until: Timestamp,
    },
    /// A follow-up moved the end of the period in force (usually later: "tiếp tục thực
    /// hiện đến …"; earlier when it shortens it, still after the follow-up).
    PeriodExtended {
        /// The new end.
        until: Timestamp,
    },
    /// The period in force ended (at its end, or lifted by a follow-up): the final report
    /// is now owed.
    PeriodEnded,
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
            EffectKind::PeriodStarted { .. } => "period_started",
            EffectKind::PeriodExtended { .. } => "period_extended",
            EffectKind::PeriodEnded => "period_ended",
        }
    }
}
