//! The compiled, validated workflow: every reference resolved to a dense index.
//!
//! Built only by [`crate::load`], so every index inside is valid by construction and the
//! engine never compares id strings. Strings survive for display and for name lookups at
//! the API boundary.

use crate::model::calendar::Calendar;
use crate::model::spec::{
    AgencyKind, EscalationAction, ExtensionStep, Guard, LeadMode, StateKind, Urgency,
};
use crate::model::time::{Span, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::ops::Range;
use time::{Date, Time};

macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub(crate) u32);

        impl $name {
            /// The dense index, for hosts that keep per-item tables.
            pub fn index(self) -> usize {
                self.0 as usize
            }

            /// The id with this dense index. Not checked here: every input that takes
            /// an id checks it against the workflow and refuses unknown ones.
            pub fn from_index(index: u32) -> Self {
                Self(index)
            }
        }
    };
}

index_type!(
    /// An agency, by position in [`Workflow::agencies`].
    AgencyId
);
index_type!(
    /// A task definition, by position in [`Workflow::tasks`].
    TaskId
);
index_type!(
    /// A task instance (a task, or one member's share of a `for_each` task), by position
    /// in [`Workflow::task_slots`]. "Instance" alone always means a running directive
    /// ([`crate::Instance`]); fields named `task` in effects and errors hold a `TaskRef`.
    TaskRef
);
index_type!(
    /// A state of one machine.
    StateId
);
index_type!(
    /// An action name, interned across all machines.
    ActionId
);
index_type!(
    /// A lifecycle machine.
    MachineId
);
index_type!(
    /// A group of agencies.
    GroupId
);

/// Directive metadata, resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Directive {
    /// Number and symbol, e.g. `114-CV/HU`.
    pub number: String,
    /// Kind as written.
    pub kind: String,
    /// English gloss of the kind.
    pub kind_gloss: Option<String>,
    /// Urgency mark.
    pub urgency: Urgency,
    /// Issuing agency.
    pub issuer: AgencyId,
    /// Signature block.
    pub signer: Option<crate::model::spec::SignerSpec>,
    /// Place of issue.
    pub place: Option<String>,
    /// Time of issue.
    pub issued_at: Timestamp,
    /// Subject line.
    pub subject: String,
    /// English gloss of the subject.
    pub subject_gloss: Option<String>,
    /// Addressed agencies, groups expanded.
    pub addressees: Vec<AgencyId>,
    /// Copies: (agency, purpose, gloss); `None` agency means "as above" (the addressees).
    pub copies: Vec<CopyLine>,
    /// Numbers of the documents it implements.
    pub implements: Vec<String>,
    /// Agencies it delegates to: with the issuer, who may issue its follow-ups. Not in
    /// the compiled form (its shape, and so stored bytes, stay as they were): it is read
    /// only when a follow-up's text is checked, which needs a workflow loaded from text.
    #[serde(skip)]
    pub delegates: Vec<AgencyId>,
}

/// One line of the copies list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CopyLine {
    /// The recipient, or `None` for "as above".
    pub to: Option<AgencyId>,
    /// Purpose as printed.
    pub purpose: Option<String>,
    /// English gloss.
    pub purpose_gloss: Option<String>,
}

/// A document of the chain.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// Number and symbol.
    pub number: String,
    /// Kind as written.
    pub kind: String,
    /// Issuing body as printed.
    pub issuer: String,
    /// Date of issue, `YYYY-MM-DD`.
    pub issued_on: String,
    /// Subject line.
    pub subject: Option<String>,
    /// English gloss.
    pub gloss: Option<String>,
    /// Numbers of documents it implements.
    pub implements: Vec<String>,
}

/// An agency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agency {
    /// Id from the file.
    pub id: String,
    /// Display name, exactly as written.
    pub name: String,
    /// English gloss.
    pub gloss: Option<String>,
    /// Kind.
    pub kind: AgencyKind,
    /// The agency it reports to.
    pub parent: Option<AgencyId>,
}

/// A group of agencies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// Id from the file.
    pub id: String,
    /// Display name.
    pub name: String,
    /// English gloss.
    pub gloss: Option<String>,
    /// Members.
    pub members: Vec<AgencyId>,
}

/// A lifecycle machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// Id (`default` and `recurring` are built in).
    pub id: String,
    /// States.
    pub states: Vec<State>,
    /// The initial state.
    pub initial: StateId,
    /// Transitions.
    pub transitions: Vec<Transition>,
}

/// A machine state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Id from the file.
    pub id: String,
    /// Meaning to the engine.
    pub kind: StateKind,
    /// Work handed in: deadlines stop pressing the lead.
    pub submitted: bool,
}

impl State {
    /// Whether the state ends the task.
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// let default = &workflow.machines()[0];
    /// let accepted = default.states.iter().find(|s| s.id == "accepted").unwrap();
    /// assert!(accepted.is_terminal());
    /// ```
    pub fn is_terminal(&self) -> bool {
        matches!(self.kind, StateKind::Done | StateKind::Cancelled)
    }
}

/// A transition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// The action.
    pub action: ActionId,
    /// Source states.
    pub from: Vec<StateId>,
    /// Target state.
    pub to: StateId,
    /// Roles that may fire it.
    pub by: Vec<Role>,
    /// Guards.
    pub guards: Vec<Guard>,
    /// Hands in the current period's work.
    pub reports: bool,
    /// Sends handed-in work back to redo.
    pub returns_report: bool,
    /// An extension step.
    pub extension: Option<ExtensionStep>,
    /// The task stays in its state (`to` was omitted; `to` is then the source state).
    pub stays: bool,
    /// Timed: fired by the system after this long in a source state.
    pub after: Option<Span>,
}

/// A role, resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// The instance's lead.
    Lead,
    /// A supporting agency.
    Support,
    /// The supervisor.
    Supervisor,
    /// The issuer.
    Issuer,
    /// One agency.
    Agency(AgencyId),
    /// The engine.
    System,
}

/// An escalation policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// Id from the file.
    pub id: String,
    /// Levels in firing order; level numbers start at 1.
    pub levels: Vec<Level>,
}

/// An escalation level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Level {
    /// Offset from the anchor.
    pub after: Span,
    /// The anchor: `None` for the due time, else the state's id (resolved per task).
    pub entered: Option<String>,
    /// What happens.
    pub action: EscalationAction,
    /// Who is addressed.
    pub target: Target,
    /// Interval of repetition.
    pub repeat: Option<Span>,
}

/// An escalation target, resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// The lead.
    Lead,
    /// The lead's parent (the issuer for a root agency).
    Parent,
    /// The supervisor.
    Supervisor,
    /// The supervisor's parent (the supervisor itself at a root).
    SupervisorParent,
    /// The issuer.
    Issuer,
    /// The issuer of the directive the task's own directive implements.
    ParentIssuer,
    /// A named agency.
    Agency(AgencyId),
}

/// When a task starts, resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Start {
    /// At instance start.
    AtIssue,
    /// At a time.
    At(Timestamp),
    /// When all dependencies are done.
    AfterDependencies,
}

/// When a task is due, resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Due {
    /// Absolute.
    At(Timestamp),
    /// Relative to the start.
    After(Span),
    /// Calendar days, moved off non-working days.
    Days(u32),
    /// Working days.
    WorkingDays(u32),
    /// Local clock time `days` after the start day.
    ClockTime {
        /// Clock time.
        #[serde(
            serialize_with = "serialize_time",
            deserialize_with = "deserialize_time"
        )]
        at: Time,
        /// Days after the start day.
        days: u32,
    },
    /// Recurring.
    Every {
        /// Interval (positive).
        every: Span,
        /// Clock time of the first occurrence.
        #[serde(
            serialize_with = "serialize_opt_time",
            deserialize_with = "deserialize_opt_time"
        )]
        at: Option<Time>,
        /// Last possible occurrence.
        until: Timestamp,
    },
    /// Periodic reports by cut-off day (see [`crate::model::spec::DueSpec::Periodic`]).
    Periodic {
        /// Period length.
        period: crate::model::spec::Period,
        /// Day of the month of the cut-off (1 to 31, clamped to the month's length).
        cutoff_day: u8,
        /// Submission window after the cut-off day.
        within: crate::model::spec::Within,
        /// Last possible cut-off date.
        #[serde(
            serialize_with = "serialize_date",
            deserialize_with = "deserialize_date"
        )]
        until: Date,
    },
}

impl Due {
    /// Whether the rule repeats (a report hands in one period and the next falls due).
    ///
    /// ```
    /// assert!(!directrix_core::workflow::Due::WorkingDays(2).is_recurring());
    /// ```
    pub fn is_recurring(&self) -> bool {
        matches!(self, Due::Every { .. } | Due::Periodic { .. })
    }
}

fn serialize_date<S: serde::Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::model::time::date_text(*date))
}

// The compiled form (`compiled.rs`) reads back what the views write.
fn deserialize_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
    let text = String::deserialize(d)?;
    crate::model::time::parse_date(&text).map_err(serde::de::Error::custom)
}

fn deserialize_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Time, D::Error> {
    let text = String::deserialize(d)?;
    crate::model::time::parse_clock(&text).map_err(serde::de::Error::custom)
}

fn deserialize_opt_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Time>, D::Error> {
    let text = if d.is_human_readable() {
        Option::<String>::deserialize(d)?
    } else {
        Some(String::deserialize(d)?).filter(|text| !text.is_empty())
    };
    text.map(|text| crate::model::time::parse_clock(&text).map_err(serde::de::Error::custom))
        .transpose()
}

fn serialize_time<S: serde::Serializer>(time: &Time, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format_args!("{:02}:{:02}", time.hour(), time.minute()))
}

fn serialize_opt_time<S: serde::Serializer>(time: &Option<Time>, s: S) -> Result<S::Ok, S::Error> {
    match time {
        Some(time) => serialize_time(time, s),
        // A binary format (postcard: the compiled form and the content hash) gets a plain
        // string either way, empty for none, so it reads back without a tag and the hash
        // stays what it was; JSON views keep `null`.
        None if !s.is_human_readable() => s.serialize_str(""),
        None => s.serialize_none(),
    }
}

/// A measure in force for a period, resolved (see [`crate::model::spec::InForceSpec`]).
///
/// ```
/// # use directrix_core::{workflow::{InForce, InForceEnd, Due}, Span, Timestamp};
/// let start = Timestamp::from_seconds(0);
/// let period = InForce {
///     from: None,
///     end: InForceEnd::Length(Span::parse("15d").unwrap()),
///     report_within: Span::parse("1d").unwrap(),
/// };
/// let (from, until) = period.window(start);
/// assert_eq!((from, until.since(from)), (start, Span::parse("15d").unwrap()));
/// assert_eq!(period.due(), Due::After(Span::parse("16d").unwrap()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct InForce {
    /// When it comes into force; `None`: when the task starts.
    pub from: Option<Timestamp>,
    /// When it ends.
    pub end: InForceEnd,
    /// How long after the end the final report is due (never negative).
    pub report_within: Span,
}

/// How a period ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InForceEnd {
    /// This long after it comes into force (positive).
    Length(Span),
    /// At a time (after it comes into force).
    Until(Timestamp),
}

impl InForce {
    /// When the period comes into force and when it ends, for a task started at `started`.
    pub fn window(&self, started: Timestamp) -> (Timestamp, Timestamp) {
        let from = self.from.unwrap_or(started);
        let until = match self.end {
            InForceEnd::Length(length) => from.saturating_add(length),
            InForceEnd::Until(until) => until,
        };
        (from, until)
    }

    /// The due rule of the final report: `report_within` after the end. The task's `due`
    /// is this rule, so the plan, the analysis and the engine's deadlines read it as any
    /// other.
    pub fn due(&self) -> Due {
        match (self.from, self.end) {
            (None, InForceEnd::Length(length)) => Due::After(Span::from_seconds(
                length
                    .as_seconds()
                    .saturating_add(self.report_within.as_seconds()),
            )),
            // Either end is a fixed time: the task's start does not move it.
            (Some(from), InForceEnd::Length(length)) => Due::At(
                from.saturating_add(length)
                    .saturating_add(self.report_within),
            ),
            (_, InForceEnd::Until(until)) => Due::At(until.saturating_add(self.report_within)),
        }
    }
}

/// How much work a task takes, resolved (see [`crate::model::spec::EffortSpec`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Effort {
    /// Whole working days on the calendar.
    WorkingDays(u32),
    /// Elapsed time round the clock (never negative).
    Elapsed(Span),
}

impl Effort {
    /// When this much work, begun at `begin`, is done.
    ///
    /// ```
    /// # use directrix_core::{time::Calendar, workflow::Effort, Span, Timestamp, time::UtcOffset};
    /// let calendar = Calendar::new(UtcOffset::UTC);
    /// let friday = Timestamp::parse("2021-05-07 08:00", UtcOffset::UTC).unwrap();
    /// // Friday counts: two working days end on Monday at the day's end.
    /// let done = Effort::WorkingDays(2).finish(&calendar, friday);
    /// assert_eq!(done.to_short(UtcOffset::UTC), "2021-05-10 17:00");
    /// let done = Effort::Elapsed(Span::parse("36h").unwrap()).finish(&calendar, friday);
    /// assert_eq!(done.to_short(UtcOffset::UTC), "2021-05-08 20:00");
    /// ```
    pub fn finish(self, calendar: &Calendar, begin: Timestamp) -> Timestamp {
        // Out of the representable range: `begin` keeps the analysis a lower bound (and
        // loading refuses such an effort on the planned schedule, `out-of-range`).
        self.finish_checked(calendar, begin).unwrap_or(begin)
    }

    /// [`Effort::finish`], or `None` when the end lies outside the representable range
    /// ([`Timestamp::MIN`] to [`Timestamp::MAX`]).
    pub(crate) fn finish_checked(self, calendar: &Calendar, begin: Timestamp) -> Option<Timestamp> {
        match self {
            Effort::WorkingDays(n) => calendar.work_days(begin, n),
            Effort::Elapsed(span) => Some(begin.saturating_add(span)),
        }
        .filter(|t| t.in_range())
    }
}

/// A task definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Id from the file.
    pub id: String,
    /// Title as written.
    pub title: String,
    /// English gloss.
    pub gloss: Option<String>,
    /// Lead agencies (empty for `for_each`: each member leads).
    pub leads: Vec<AgencyId>,
    /// With several leads, one shared instance or one per lead (then each lead is the
    /// member of its instance, as in a fan-out).
    pub lead_mode: LeadMode,
    /// Supporting agencies, groups expanded.
    pub support: Vec<AgencyId>,
    /// Fan-out group.
    pub for_each: Option<GroupId>,
    /// Dependencies.
    pub depends_on: Vec<TaskId>,
    /// Of `depends_on`, those waited for member by member: each fans out over the same
    /// group as this task, so this task's instance for a member waits only for that
    /// member's instance of it (same group, same member order: the same offset in both
    /// ranges of `instances`). Every other dependency is waited for in full.
    pub per_member: Vec<TaskId>,
    /// Start rule.
    pub start: Start,
    /// Due rule.
    pub due: Option<Due>,
    /// Lifecycle machine.
    pub machine: MachineId,
    /// Escalation policy.
    pub policy: Option<usize>,
    /// For each policy level anchored on a state, that state in this task's machine.
    pub level_states: Vec<Option<StateId>>,
    /// Who accepts reports.
    pub supervisor: AgencyId,
    /// Expected effort (none: no time), for the static analysis.
    pub expected: Option<Effort>,
    /// Least effort when pushed (none: as expected).
    pub minimum: Option<Effort>,
    /// For a task of an implementing directive expanded from a template: the issuer of the
    /// directive it implements (the target [`Target::ParentIssuer`]).
    pub parent_issuer: Option<AgencyId>,
    /// The instances of this task, a contiguous range.
    pub instances: Range<u32>,
    /// The period the measure is in force, if it is one; its final report is `due`.
    pub period: Option<InForce>,
}

impl Task {
    /// Whether each lead runs an instance of its own (`lead_mode: Each` with several).
    pub fn each_lead(&self) -> bool {
        self.lead_mode == LeadMode::Each && self.leads.len() > 1
    }

    /// How many instances the task fans out to, given its group's size.
    pub(crate) fn fan_out(&self, groups: &[Group]) -> usize {
        match self.for_each {
            Some(group) => groups[group.index()].members.len(),
            None if self.each_lead() => self.leads.len(),
            None => 1,
        }
    }
}

/// The definition of one task instance of the fan-out: which task, for which member
/// (what a [`TaskRef`] points at).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskSlot {
    /// Its task.
    pub task: TaskId,
    /// The member leading it, for `for_each` tasks (and each lead's, for `lead_mode: Each`).
    pub member: Option<AgencyId>,
    /// Display name: `task` or `task[member]`.
    pub name: String,
}

/// A validated workflow, ready to start instances.
///
/// ```
/// let source = include_str!("../../../workflows/kien-xuong-114-cv-hu.ron");
/// let loaded = directrix_core::load(source).unwrap();
/// let workflow = loaded.workflow;
/// assert_eq!(workflow.directive().number, "114-CV/HU");
/// assert!(workflow.agency_id("health").is_some());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Workflow {
    pub(crate) directive: Directive,
    pub(crate) documents: Vec<Document>,
    pub(crate) calendar: Calendar,
    pub(crate) agencies: Vec<Agency>,
    pub(crate) groups: Vec<Group>,
    pub(crate) machines: Vec<Machine>,
    pub(crate) actions: Vec<String>,
    pub(crate) policies: Vec<Policy>,
    pub(crate) tasks: Vec<Task>,
    pub(crate) slots: Vec<TaskSlot>,
    pub(crate) dependents: Vec<Vec<TaskId>>,
    pub(crate) agency_index: HashMap<String, AgencyId>,
    pub(crate) task_index: HashMap<String, TaskId>,
    pub(crate) slot_index: HashMap<String, TaskRef>,
    pub(crate) action_index: HashMap<String, ActionId>,
    /// Set once by `load` (see `hash.rs`).
    pub(crate) content_hash: String,
    /// The limits it was loaded with; `advance` keeps to `timers_per_advance`.
    pub(crate) limits: crate::model::limits::Limits,
    pub(crate) timer_bound: crate::model::limits::TimerBound,
    /// What it was compiled from, shared between versions: a follow-up document
    /// ([`crate::Instance::apply_follow_up`]) recompiles it amended. `None` only while
    /// `load.rs` builds it.
    pub(crate) origin: Option<std::sync::Arc<Origin>>,
}

/// The defining tables of a workflow, from which [`Workflow::assemble`] derives the rest.
/// Built by `load` from text and by `compiled` from bytes, each after its own checks.
pub(crate) struct Parts {
    pub(crate) directive: Directive,
    pub(crate) documents: Vec<Document>,
    pub(crate) calendar: Calendar,
    pub(crate) agencies: Vec<Agency>,
    pub(crate) groups: Vec<Group>,
    pub(crate) machines: Vec<Machine>,
    pub(crate) actions: Vec<String>,
    pub(crate) policies: Vec<Policy>,
    pub(crate) tasks: Vec<Task>,
}

impl Workflow {
    /// Derives the fan-out, reverse edges, name indices and timer bound. Every index in
    /// `parts` must be in range (checked by the caller). The content hash is the caller's:
    /// `load` computes it from the result, `compiled.rs` reads it from the bytes (so the
    /// runtime module carries no serialiser for the model).
    pub(crate) fn assemble(
        parts: Parts,
        content_hash: String,
        limits: &crate::model::limits::Limits,
    ) -> Workflow {
        let Parts {
            directive,
            documents,
            calendar,
            agencies,
            groups,
            machines,
            actions,
            policies,
            mut tasks,
        } = parts;
        let mut slots = Vec::new();
        for (i, task) in tasks.iter_mut().enumerate() {
            let first = slots.len() as u32;
            let members = match task.for_each {
                Some(group) => Some(groups[group.index()].members.as_slice()),
                None if task.each_lead() => Some(task.leads.as_slice()),
                None => None,
            };
            match members {
                Some(members) => {
                    for &member in members {
                        slots.push(TaskSlot {
                            task: TaskId(i as u32),
                            member: Some(member),
                            name: format!("{}[{}]", task.id, agencies[member.index()].id),
                        });
                    }
                }
                None => slots.push(TaskSlot {
                    task: TaskId(i as u32),
                    member: None,
                    name: task.id.clone(),
                }),
            }
            task.instances = first..slots.len() as u32;
        }
        let mut dependents = vec![Vec::new(); tasks.len()];
        for (i, task) in tasks.iter().enumerate() {
            for dep in &task.depends_on {
                dependents[dep.index()].push(TaskId(i as u32));
            }
        }
        let slot_index = slots
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), TaskRef(i as u32)))
            .collect();
        let agency_index = agencies
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id.clone(), AgencyId(i as u32)))
            .collect();
        let task_index = tasks
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.clone(), TaskId(i as u32)))
            .collect();
        let action_index = actions
            .iter()
            .enumerate()
            .map(|(i, a)| (a.clone(), ActionId(i as u32)))
            .collect();
        let mut workflow = Workflow {
            directive,
            documents,
            calendar,
            agencies,
            groups,
            machines,
            actions,
            policies,
            tasks,
            slots,
            dependents,
            agency_index,
            task_index,
            slot_index,
            action_index,
            content_hash,
            limits: *limits,
            timer_bound: crate::model::limits::TimerBound::default(),
            origin: None,
        };
        workflow.timer_bound = crate::model::limits::TimerBound::of(&workflow);
        workflow
    }
}

/// The text-level inputs of a compiled workflow: its spec, the options it was loaded with,
/// the follow-up and child documents applied so far (added to `documents` after each
/// compile, so that the chain shows them without their own validation), and the child
/// documents' tasks.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Origin {
    pub(crate) spec: crate::model::spec::WorkflowSpec,
    pub(crate) options: crate::model::options::LoadOptions,
    pub(crate) follow_ups: Vec<Document>,
    pub(crate) children: Vec<ChildDocument>,
}

/// A child document attached to a running instance ([`crate::Instance::attach_child`]):
/// an implementing directive issued later by another agency, whose tasks run in the
/// parent's instance.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildDocument {
    /// Its number, e.g. `2601/BYT-MT`.
    pub number: String,
    /// Its issuer's agency id.
    pub issuer: String,
    /// The number of the document it implements: the running directive's, or a child
    /// attached before it.
    pub implements: String,
    /// The ids of the tasks it assigns, in the order they were added.
    pub tasks: Vec<String>,
}

impl Workflow {
    /// The child documents attached so far ([`crate::Instance::attach_child`]), in the
    /// order attached; empty for a workflow not loaded from text.
    pub fn children(&self) -> &[ChildDocument] {
        self.origin
            .as_deref()
            .map_or(&[], |o| o.children.as_slice())
    }

    /// The directive's metadata.
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// assert_eq!(workflow.agency(workflow.directive().issuer).id, "district_standing");
    /// ```
    pub fn directive(&self) -> &Directive {
        &self.directive
    }

    /// The content hash of the compiled model: 16 hex digits, the same natively and in
    /// WebAssembly. Equal for two files that differ only in whitespace, comments or
    /// display text (names, titles, glosses); different when anything the engine acts on
    /// changes (a task, a rule, an agency, the calendar). Snapshots record it, and
    /// [`crate::Instance::restore`] refuses a snapshot taken with another version.
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// assert_eq!(workflow.content_hash().len(), 16);
    /// ```
    pub fn content_hash(&self) -> &str {
        &self.content_hash
    }

    /// The documents of the chain.
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// assert!(workflow.documents().iter().any(|d| d.number == "15/CT-TTg"));
    /// ```
    pub fn documents(&self) -> &[Document] {
        &self.documents
    }

    /// The working-day calendar.
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// assert_eq!(workflow.calendar().offset().whole_hours(), 7);
    /// ```
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// Formats a time at the workflow's offset, RFC 3339.
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// assert_eq!(workflow.format_time(workflow.directive().issued_at), "2021-05-07T08:00:00+07:00");
    /// ```
    pub fn format_time(&self, at: Timestamp) -> String {
        at.to_rfc3339(self.calendar.offset())
    }

    /// All agencies, indexed by [`AgencyId`].
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// assert!(workflow.agencies().iter().any(|a| a.name == "Công an huyện Kiến Xương"));
    /// ```
    pub fn agencies(&self) -> &[Agency] {
        &self.agencies
    }

    /// One agency.
    ///
    /// # Panics
    /// Never for an id obtained from this workflow; ids from another workflow may point
    /// elsewhere or out of range (use [`Workflow::agency_id`] to look ids up).
    pub fn agency(&self, id: AgencyId) -> &Agency {
        &self.agencies[id.index()]
    }

    /// Looks an agency up by its id string.
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// assert!(workflow.agency_id("nobody").is_none());
    /// ```
    pub fn agency_id(&self, id: &str) -> Option<AgencyId> {
        self.agency_index.get(id).copied()
    }

    /// The groups.
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// assert!(workflow.groups().iter().any(|g| g.id == "communes"));
    /// ```
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// The machines (the built-ins first).
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// assert_eq!(workflow.machines()[0].id, "default");
    /// ```
    pub fn machines(&self) -> &[Machine] {
        &self.machines
    }

    /// The escalation policies.
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// assert!(!workflow.policies().is_empty());
    /// ```
    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    /// The task definitions.
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// assert!(workflow.tasks().len() >= 7);
    /// ```
    pub fn tasks(&self) -> &[Task] {
        &self.tasks
    }

    /// One task definition.
    pub fn task(&self, id: TaskId) -> &Task {
        &self.tasks[id.index()]
    }

    /// Looks a task up by id.
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// let id = workflow.task_id(&workflow.tasks()[0].id).unwrap();
    /// assert_eq!(id.index(), 0);
    /// ```
    pub fn task_id(&self, id: &str) -> Option<TaskId> {
        self.task_index.get(id).copied()
    }

    /// The task instances after fan-out, indexed by [`TaskRef`].
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// assert!(workflow.task_slots().iter().any(|s| s.name.contains('[')));
    /// ```
    pub fn task_slots(&self) -> &[TaskSlot] {
        &self.slots
    }

    /// One task instance's definition.
    pub fn task_slot(&self, id: TaskRef) -> &TaskSlot {
        &self.slots[id.index()]
    }

    /// Looks a task instance up by name (`task` or `task[member]`).
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// let first = &workflow.task_slots()[0].name;
    /// assert_eq!(workflow.task_ref(first).unwrap().index(), 0);
    /// ```
    pub fn task_ref(&self, name: &str) -> Option<TaskRef> {
        self.slot_index.get(name).copied()
    }

    /// The interned action names.
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// assert!(workflow.action_id("report").is_some());
    /// ```
    pub fn action_id(&self, name: &str) -> Option<ActionId> {
        self.action_index.get(name).copied()
    }

    /// The limits the workflow was loaded with ([`crate::LoadOptions::with_limits`]).
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// assert_eq!(workflow.limits(), &directrix_core::Limits::default());
    /// ```
    pub fn limits(&self) -> &crate::model::limits::Limits {
        &self.limits
    }

    /// An action's name.
    pub fn action_name(&self, id: ActionId) -> &str {
        &self.actions[id.index()]
    }

    /// The machine of a task instance.
    pub fn machine_of(&self, instance: TaskRef) -> &Machine {
        let task = self.slots[instance.index()].task;
        &self.machines[self.tasks[task.index()].machine.index()]
    }

    /// The lead agencies of an instance as defined (before any reassignment).
    pub fn leads_of(&self, instance: TaskRef) -> &[AgencyId] {
        let slot = &self.slots[instance.index()];
        match &slot.member {
            Some(member) => std::slice::from_ref(member),
            None => &self.tasks[slot.task.index()].leads,
        }
    }

    /// The instance of `dependency` for the same member as `instance`, for a dependency
    /// the instance's task waits for per member ([`Task::per_member`]: the two fan out
    /// over the same group, so the member sits at the same offset in both).
    pub(crate) fn same_member(&self, instance: TaskRef, dependency: TaskId) -> TaskRef {
        let task = &self.tasks[self.slots[instance.index()].task.index()];
        let offset = instance.0 - task.instances.start;
        TaskRef(self.tasks[dependency.index()].instances.start + offset)
    }

    /// The tasks that depend on `task`.
    pub fn dependents(&self, task: TaskId) -> &[TaskId] {
        &self.dependents[task.index()]
    }

    /// The agency's ancestors, nearest first (the reporting line upwards).
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// let health = workflow.agency_id("health").unwrap();
    /// let line: Vec<_> = workflow.ancestors(health).map(|a| workflow.agency(a).id.as_str()).collect();
    /// assert_eq!(line.last(), Some(&"province_standing"));
    /// ```
    pub fn ancestors(&self, agency: AgencyId) -> impl Iterator<Item = AgencyId> + '_ {
        // Validation rejects parent cycles; the bound keeps a hand-built cycle finite anyway.
        std::iter::successors(self.agencies[agency.index()].parent, |a| {
            self.agencies[a.index()].parent
        })
        .take(self.agencies.len())
    }
}
