//! Owned, serialisable views with names instead of indices: what hosts print and what
//! the JSON outputs contain. Field names are a contract (see README "JSON outputs").

use crate::engine::{
    Effect, EffectKind, InboxItem, Instance, NextTimer, PeriodStatus, Phase, TaskStatus,
    TimerReason,
};
use crate::model::time::Timestamp;
use crate::model::workflow::{AgencyId, TaskRef, Workflow};
use serde::Serialize;

/// One effect with names and local times.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EffectRecord {
    /// RFC 3339 at the workflow's offset.
    pub at: String,
    /// Snake_case kind, e.g. `escalated`.
    pub kind: &'static str,
    /// Task instance name.
    pub task: String,
    /// The agency concerned: the actor of a transition, the target of an escalation,
    /// else the lead.
    pub agency: String,
    /// Transition action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Previous state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// New state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Escalation level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<u8>,
    /// The lead concerned by an escalation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead: Option<String>,
    /// A due time (overdue, rescheduled, extension asked for or granted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
    /// For `completed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_time: Option<bool>,
    /// For `period_started` and `period_extended`: when the period in force ends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// For scripted actions: the note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// For `rejected`: the error code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    /// For `rejected`: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The agency an effect concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgencyField {
    /// An agency.
    Agency(AgencyId),
    /// The engine (a timed transition).
    System,
    /// None (a task without a lead).
    None,
}

/// An effect's record with ids instead of names; see [`Workflow::effect_fields`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EffectFields {
    /// When.
    pub at: Timestamp,
    /// Snake_case kind.
    pub kind: &'static str,
    /// Task instance.
    pub task: TaskRef,
    /// The agency concerned.
    pub agency: AgencyField,
    /// Transition action.
    pub action: Option<crate::model::workflow::ActionId>,
    /// Previous state.
    pub from: Option<crate::model::workflow::StateId>,
    /// New state.
    pub to: Option<crate::model::workflow::StateId>,
    /// Escalation level.
    pub level: Option<u8>,
    /// The lead concerned by an escalation.
    pub lead: Option<AgencyField>,
    /// A due time.
    pub due: Option<Timestamp>,
    /// For `completed`.
    pub on_time: Option<bool>,
    /// The end of a period in force.
    pub until: Option<Timestamp>,
}

/// One task instance's status with names and local times.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusRecord {
    /// Task instance name.
    pub task: String,
    /// `waiting`, `blocked` or `running`.
    pub phase: Phase,
    /// Machine state id.
    pub state: String,
    /// Current leads.
    pub leads: Vec<String>,
    /// Current due time.
    pub due: Option<String>,
    /// Past due with work not handed in.
    pub overdue: bool,
    /// Highest escalation level fired.
    pub level: u8,
    /// When it reached a terminal state.
    pub finished_at: Option<String>,
    /// For done tasks, whether on time.
    pub on_time: Option<bool>,
    /// For a measure in force: `pending`, `in_force` or `ended`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<PeriodStatus>,
    /// For a measure in force: when its period ends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_until: Option<String>,
}

/// One thing an agency may do now ([`InboxItem`]) with names: an entry of the JS
/// `inbox`.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InboxRecord {
    /// Task instance name.
    pub task: String,
    /// Task title.
    pub title: String,
    /// Action name.
    pub action: String,
    /// The state it leads to.
    pub to: String,
    /// The action needs a `note` (a reason, what to redo).
    pub needs_note: bool,
    /// The action needs `until` (an extension request's due time).
    pub needs_until: bool,
}

/// When to call `advance` next, and why ([`NextTimer`]) with names and local time: the
/// JS `nextTimer`.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NextTimerRecord {
    /// When, RFC 3339 at the workflow's offset.
    pub at: String,
    /// Task instance name.
    pub task: String,
    /// `start`, `due`, `escalation` or `timed`.
    pub reason: &'static str,
    /// Escalation level, for `escalation`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub level: Option<u8>,
    /// The timed transition's action, for `timed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub action: Option<String>,
}

impl Workflow {
    fn agency_name(&self, agency: AgencyId) -> String {
        self.agencies
            .get(agency.index())
            .map_or_else(|| format!("#{}", agency.index()), |a| a.id.clone())
    }

    fn instance_name(&self, task: TaskRef) -> String {
        self.slots
            .get(task.index())
            .map_or_else(|| format!("#{}", task.index()), |s| s.name.clone())
    }

    /// The fields of an effect's record as ids, for hosts that cache names (the
    /// WebAssembly bindings); [`Workflow::effect_record`] turns them into strings.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let (_, effects) = directrix_core::Instance::start(workflow.clone(), workflow.directive().issued_at)?;
    /// let fields = workflow.effect_fields(&effects[0]);
    /// assert_eq!(fields.kind, "started");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn effect_fields(&self, effect: &Effect) -> EffectFields {
        let lead = self
            .slots
            .get(effect.task.index())
            .and_then(|_| self.leads_of(effect.task).first().copied());
        let mut fields = EffectFields {
            at: effect.at,
            kind: effect.kind.name(),
            task: effect.task,
            agency: lead.map_or(AgencyField::None, AgencyField::Agency),
            action: None,
            from: None,
            to: None,
            level: None,
            lead: None,
            due: None,
            on_time: None,
            until: None,
        };
        match effect.kind {
            EffectKind::Transitioned {
                action,
                from,
                to,
                actor,
            } => {
                fields.action = Some(action);
                fields.from = Some(from);
                fields.to = Some(to);
                fields.agency = actor.map_or(AgencyField::System, AgencyField::Agency);
            }
            EffectKind::Overdue { due } | EffectKind::Rescheduled { due } => fields.due = Some(due),
            EffectKind::Reminded { level, target }
            | EffectKind::Warned { level, target }
            | EffectKind::Escalated { level, target }
            | EffectKind::Reassigned { level, target } => {
                fields.level = Some(level);
                fields.lead = Some(fields.agency);
                fields.agency = AgencyField::Agency(target);
            }
            EffectKind::Completed { on_time } => fields.on_time = Some(on_time),
            EffectKind::ExtensionRequested { until, supervisor } => {
                // The supervisor decides: the request concerns them.
                fields.due = Some(until);
                fields.lead = Some(fields.agency);
                fields.agency = AgencyField::Agency(supervisor);
            }
            EffectKind::ExtensionApproved { due } | EffectKind::DueChanged { due } => {
                fields.due = Some(due)
            }
            EffectKind::Started
            | EffectKind::Unblocked
            | EffectKind::Cancelled
            | EffectKind::ExtensionRefused
            | EffectKind::Returned => {}
            EffectKind::Skipped { level } => fields.level = Some(level),
            EffectKind::PeriodStarted { until, .. } | EffectKind::PeriodExtended { until } => {
                fields.until = Some(until)
            }
            EffectKind::PeriodEnded => {}
        }
        fields
    }

    /// The text of an agency field: its id, `system`, or empty.
    pub fn agency_field_name(&self, field: AgencyField) -> String {
        match field {
            AgencyField::Agency(agency) => self.agency_name(agency),
            AgencyField::System => "system".to_owned(),
            AgencyField::None => String::new(),
        }
    }

    /// The id of a state of a task instance's machine (empty if out of range).
    pub fn state_name(&self, task: TaskRef, state: crate::model::workflow::StateId) -> &str {
        self.slots
            .get(task.index())
            .and_then(|_| self.machine_of(task).states.get(state.index()))
            .map_or("", |s| s.id.as_str())
    }

    /// The named record of an effect.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let (_, effects) = directrix_core::Instance::start(workflow.clone(), workflow.directive().issued_at)?;
    /// let record = workflow.effect_record(&effects[0]);
    /// assert_eq!(record.kind, "started");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn effect_record(&self, effect: &Effect) -> EffectRecord {
        let fields = self.effect_fields(effect);
        EffectRecord {
            at: self.format_time(fields.at),
            kind: fields.kind,
            task: self.instance_name(fields.task),
            agency: self.agency_field_name(fields.agency),
            action: fields
                .action
                .and_then(|a| self.actions.get(a.index()).cloned()),
            from: fields
                .from
                .map(|s| self.state_name(fields.task, s).to_owned()),
            to: fields
                .to
                .map(|s| self.state_name(fields.task, s).to_owned()),
            level: fields.level,
            lead: fields.lead.map(|l| self.agency_field_name(l)),
            due: fields.due.map(|t| self.format_time(t)),
            on_time: fields.on_time,
            until: fields.until.map(|t| self.format_time(t)),
            note: None,
            code: None,
            error: None,
        }
    }

    /// The named record of an inbox item.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let (instance, _) = directrix_core::Instance::start(workflow.clone(), workflow.directive().issued_at)?;
    /// let health = workflow.agency_id("health").unwrap();
    /// let record = workflow.inbox_record(&instance.inbox(health)[0]);
    /// assert_eq!((record.action.as_str(), record.to.as_str()), ("acknowledge", "acknowledged"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn inbox_record(&self, item: &InboxItem) -> InboxRecord {
        InboxRecord {
            task: self.instance_name(item.task),
            title: self
                .slots
                .get(item.task.index())
                .and_then(|slot| self.tasks.get(slot.task.index()))
                .map_or_else(String::new, |t| t.title.clone()),
            action: self
                .actions
                .get(item.action.index())
                .cloned()
                .unwrap_or_default(),
            to: self.state_name(item.task, item.to).to_owned(),
            needs_note: item.needs_note,
            needs_until: item.needs_until,
        }
    }

    /// The named record of a next timer.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let (instance, _) = directrix_core::Instance::start(workflow.clone(), workflow.directive().issued_at)?;
    /// let record = workflow.next_timer_record(&instance.next_timer().unwrap());
    /// assert!(["start", "due", "escalation", "timed"].contains(&record.reason));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn next_timer_record(&self, next: &NextTimer) -> NextTimerRecord {
        let (reason, level, action) = match next.reason {
            TimerReason::Start => ("start", None, None),
            TimerReason::Due => ("due", None, None),
            TimerReason::Escalation { level } => ("escalation", Some(level), None),
            TimerReason::Timed { action } => ("timed", None, self.actions.get(action.index())),
            TimerReason::PeriodStart => ("period_start", None, None),
            TimerReason::PeriodEnd => ("period_end", None, None),
        };
        NextTimerRecord {
            at: self.format_time(next.at),
            task: self.instance_name(next.task),
            reason,
            level,
            action: action.cloned(),
        }
    }

    /// The named record of a task status.
    pub fn status_record(&self, status: &TaskStatus) -> StatusRecord {
        StatusRecord {
            task: self.instance_name(status.task),
            phase: status.phase,
            state: self
                .slots
                .get(status.task.index())
                .and_then(|_| {
                    self.machine_of(status.task)
                        .states
                        .get(status.state.index())
                })
                .map_or_else(String::new, |s| s.id.clone()),
            leads: status.leads.iter().map(|&a| self.agency_name(a)).collect(),
            due: status.due.map(|t| self.format_time(t)),
            overdue: status.overdue,
            level: status.level,
            finished_at: status.finished_at.map(|t| self.format_time(t)),
            on_time: status.on_time,
            period: status.period.map(|p| p.status),
            period_until: status.period.map(|p| self.format_time(p.until)),
        }
    }
}

impl Instance {
    /// The status of every task instance as named records.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let (instance, _) = directrix_core::Instance::start(workflow.clone(), workflow.directive().issued_at)?;
    /// assert!(instance.status_records().iter().all(|s| !s.state.is_empty()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn status_records(&self) -> Vec<StatusRecord> {
        self.status()
            .iter()
            .map(|s| self.workflow().status_record(s))
            .collect()
    }

    /// What `agency` may do now ([`Instance::inbox`]) as named records.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let (instance, _) = directrix_core::Instance::start(workflow.clone(), workflow.directive().issued_at)?;
    /// let inbox = instance.inbox_records(workflow.agency_id("health").unwrap());
    /// assert!(inbox.iter().any(|entry| entry.task == "health_readiness"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn inbox_records(&self, agency: AgencyId) -> Vec<InboxRecord> {
        self.inbox(agency)
            .iter()
            .map(|item| self.workflow().inbox_record(item))
            .collect()
    }

    /// When to call [`Instance::advance`] next and why ([`Instance::next_timer`]) as a
    /// named record; `None` when no timer is pending.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let (instance, _) = directrix_core::Instance::start(workflow.clone(), workflow.directive().issued_at)?;
    /// let next = instance.next_timer_record().unwrap();
    /// assert!(next.at.starts_with("2021-05-"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn next_timer_record(&self) -> Option<NextTimerRecord> {
        self.next_timer()
            .map(|next| self.workflow().next_timer_record(&next))
    }
}
