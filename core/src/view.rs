//! Owned, serialisable views with names instead of indices: what hosts print and what
//! the JSON outputs contain. Field names are a contract (see README "JSON outputs").

use crate::engine::{Effect, EffectKind, Instance, Phase, TaskStatus};
use crate::time::Timestamp;
use crate::workflow::{AgencyId, InstanceId, Workflow};
use serde::Serialize;

/// One effect with names and local times.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    pub task: InstanceId,
    /// The agency concerned.
    pub agency: AgencyField,
    /// Transition action.
    pub action: Option<crate::ActionId>,
    /// Previous state.
    pub from: Option<crate::StateId>,
    /// New state.
    pub to: Option<crate::StateId>,
    /// Escalation level.
    pub level: Option<u8>,
    /// The lead concerned by an escalation.
    pub lead: Option<AgencyField>,
    /// A due time.
    pub due: Option<Timestamp>,
    /// For `completed`.
    pub on_time: Option<bool>,
}

/// One task instance's status with names and local times.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
}

impl Workflow {
    /// Formats a time at the workflow's offset, RFC 3339.
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// assert_eq!(workflow.format_time(workflow.directive().issued_at), "2021-05-07T08:00:00+07:00");
    /// ```
    pub fn format_time(&self, at: Timestamp) -> String {
        at.to_rfc3339(self.calendar.offset())
    }

    fn agency_name(&self, agency: AgencyId) -> String {
        self.agencies
            .get(agency.index())
            .map_or_else(|| format!("#{}", agency.index()), |a| a.id.clone())
    }

    fn instance_name(&self, task: InstanceId) -> String {
        self.slots
            .get(task.index())
            .map_or_else(|| format!("#{}", task.index()), |s| s.name.clone())
    }

    /// The fields of an effect's record as ids, for hosts that cache names (the
    /// WebAssembly bindings); [`Workflow::effect_record`] turns them into strings.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let (_, effects) = directrix_core::Instance::start(workflow.clone(), workflow.directive().issued_at);
    /// let fields = workflow.effect_fields(&effects[0]);
    /// assert_eq!(fields.kind, "started");
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
    pub fn state_name(&self, task: InstanceId, state: crate::StateId) -> &str {
        self.slots
            .get(task.index())
            .and_then(|_| self.machine_of(task).states.get(state.index()))
            .map_or("", |s| s.id.as_str())
    }

    /// The named record of an effect.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let (_, effects) = directrix_core::Instance::start(workflow.clone(), workflow.directive().issued_at);
    /// let record = workflow.effect_record(&effects[0]);
    /// assert_eq!(record.kind, "started");
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
            note: None,
            code: None,
            error: None,
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
        }
    }
}

impl Instance {
    /// The status of every task instance as named records.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let (instance, _) = directrix_core::Instance::start(workflow.clone(), workflow.directive().issued_at);
    /// assert!(instance.status_records().iter().all(|s| !s.state.is_empty()));
    /// ```
    pub fn status_records(&self) -> Vec<StatusRecord> {
        self.status()
            .iter()
            .map(|s| self.workflow().status_record(s))
            .collect()
    }
}
