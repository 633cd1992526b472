//! The RON file format, as written by people: strings for ids, times and durations.
//!
//! These types mirror the file one to one and carry no meaning beyond it; [`crate::load`]
//! checks them and compiles them into a [`crate::Workflow`]. Every struct denies unknown
//! fields so a typo in a field name is an error, not a silently ignored line. Optional
//! fields may be written bare (`parent: "district"`) because the loader enables RON's
//! `implicit_some` extension.
//!
//! Formats of the string fields:
//! - time: RFC 3339 (`"2021-05-07T08:00:00+07:00"`) or local to the calendar's offset
//!   (`"2021-05-07 08:00"`, `"2021-05-07T08:00"`);
//! - date: `"2021-05-07"`; clock time: `"16:00"`;
//! - duration: `"2d"`, `"36h"`, `"1h 30m"`, with a leading `-` for "before" (`"-1d"`);
//! - UTC offset: `"+07:00"`.

use serde::{Deserialize, Serialize};

/// The version of the RON format this crate reads; a file states it in `format`.
pub const FORMAT_VERSION: u32 = 1;

/// A whole workflow file: one directive and everything needed to run it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowSpec {
    /// Must equal [`FORMAT_VERSION`].
    pub format: u32,
    /// The directive this workflow models.
    pub directive: DirectiveSpec,
    /// Other documents in the chain (those the directive implements, and theirs).
    #[serde(default)]
    pub documents: Vec<DocumentSpec>,
    /// Working-day calendar and the local UTC offset.
    pub calendar: CalendarSpec,
    /// Every agency, in a forest by `parent`: a list, or the agencies of shared registries
    /// and a list of the workflow's own (`agencies: (use: ["vn-provinces"], list: [...])`).
    pub agencies: AgenciesSpec,
    /// Named sets of agencies ("all communes").
    #[serde(default)]
    pub groups: Vec<GroupSpec>,
    /// Lifecycle machines; the built-in `default` and `recurring` need no definition.
    #[serde(default)]
    pub machines: Vec<MachineSpec>,
    /// Escalation policies.
    #[serde(default)]
    pub policies: Vec<PolicySpec>,
    /// The tasks the directive assigns.
    pub tasks: Vec<TaskSpec>,
    /// Implementing directives that a task's `cascade` makes each member of a group issue.
    #[serde(default)]
    pub templates: Vec<TemplateSpec>,
}

/// The template of an implementing directive (a district's plan carrying out the
/// province's), issued by every member a task's [`CascadeSpec`] names.
///
/// Loading expands it once per member into ordinary tasks named
/// `parent_task/member/task`. In its tasks, `"{member}"` stands for the member and
/// `"{parent}"` for the cascading task's lead (in `lead`, `support` and `supervisor`), and
/// `"{children}"` for the member's children in the agency forest (in `support`, and in a
/// nested `cascade`'s `for_each`); the due form
/// [`DueSpec::BeforeParent`] counts back from the parent task's due time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateSpec {
    /// Unique id among templates.
    pub id: String,
    /// Number of each implementing document: `{member}` becomes the member's id and
    /// `{index}` its 1-based position, e.g. `"{member}/KH-UBND"`.
    pub number: String,
    /// Kind of document, e.g. `Kế hoạch`.
    pub kind: String,
    /// Subject line.
    #[serde(default)]
    pub subject: Option<String>,
    /// English gloss.
    #[serde(default)]
    pub gloss: Option<String>,
    /// The task whose report goes up: its supervisor is the parent task's lead. Defaults
    /// to the last task.
    #[serde(default)]
    pub reports: Option<String>,
    /// The tasks every member's directive assigns.
    pub tasks: Vec<TaskSpec>,
}

/// Makes each member of a set issue and carry out its own implementing directive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CascadeSpec {
    /// The [`TemplateSpec`] id.
    pub template: String,
    /// A group id, or `"{children}"`: the children of the task's lead in the agency forest.
    pub for_each: String,
}

/// Metadata of the directive itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectiveSpec {
    /// Number and symbol, e.g. `114-CV/HU`.
    pub number: String,
    /// Kind of document in the original language, e.g. `Công văn`.
    pub kind: String,
    /// English gloss of the kind.
    #[serde(default)]
    pub kind_gloss: Option<String>,
    /// Urgency mark.
    #[serde(default)]
    pub urgency: Urgency,
    /// The issuing agency's id.
    pub issuer: String,
    /// Who signed and how.
    #[serde(default)]
    pub signer: Option<SignerSpec>,
    /// Place of issue as printed ("Kiến Xương").
    #[serde(default)]
    pub place: Option<String>,
    /// Time of issue.
    pub issued_at: String,
    /// Subject line ("V/v ...").
    pub subject: String,
    /// English gloss of the subject.
    #[serde(default)]
    pub subject_gloss: Option<String>,
    /// Addressees (kính gửi): agency or group ids.
    #[serde(default)]
    pub addressees: Vec<String>,
    /// Copies (nơi nhận) with their purpose.
    #[serde(default)]
    pub copies: Vec<CopySpec>,
    /// Numbers of the documents this directive implements.
    #[serde(default)]
    pub implements: Vec<String>,
    /// Agencies the directive delegates to (giao ... hướng dẫn, chỉ đạo): besides the
    /// issuer, the only agencies whose follow-up documents may amend it.
    #[serde(default)]
    pub delegates: Vec<String>,
}

/// Urgency mark of a document (độ khẩn).
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Urgency {
    /// No mark.
    #[default]
    Normal,
    /// Khẩn.
    Urgent,
    /// Thượng khẩn.
    VeryUrgent,
    /// Hỏa tốc.
    Flash,
}

/// The signature block.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignerSpec {
    /// Signing prefix, e.g. `T/M` (on behalf of) or `K/T` (for).
    pub prefix: String,
    /// The body signed for, e.g. `Ban Thường vụ`.
    pub on_behalf_of: String,
    /// Title of the signer, e.g. `Phó Bí thư`.
    pub title: String,
    /// Name of the signer.
    pub name: String,
}

/// One line of the copies list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopySpec {
    /// Agency or group id; `"addressees"` stands for "như trên" (as above).
    pub to: String,
    /// Purpose as printed ("để báo cáo").
    #[serde(default)]
    pub purpose: Option<String>,
    /// English gloss of the purpose.
    #[serde(default)]
    pub purpose_gloss: Option<String>,
}

/// Another document in the chain of directives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentSpec {
    /// Number and symbol, e.g. `15/CT-TTg`.
    pub number: String,
    /// Kind of document, e.g. `Chỉ thị`.
    pub kind: String,
    /// Issuing body as printed.
    pub issuer: String,
    /// Date of issue.
    pub issued_on: String,
    /// Subject line.
    #[serde(default)]
    pub subject: Option<String>,
    /// English gloss.
    #[serde(default)]
    pub gloss: Option<String>,
    /// Numbers of the documents it implements.
    #[serde(default)]
    pub implements: Vec<String>,
}

/// Working-day calendar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    /// Named shared calendars whose dates are merged with this one's, e.g.
    /// `use: ["vn-public-holidays"]`. The host supplies their texts
    /// ([`crate::LoadOptions::with_calendar`]); each is a [`CalendarFileSpec`].
    #[serde(default, rename = "use")]
    pub uses: Vec<String>,
    /// Local offset from UTC, e.g. `"+07:00"`.
    pub utc_offset: String,
    /// Non-working days of the week.
    #[serde(default = "default_weekend")]
    pub weekend: Vec<Day>,
    /// Non-working dates (public holidays), `"YYYY-MM-DD"`.
    #[serde(default)]
    pub holidays: Vec<String>,
    /// Weekend dates that are working days (a Saturday worked in exchange for a bridge
    /// day off), `"YYYY-MM-DD"`. A date that is also a holiday stays a holiday.
    #[serde(default)]
    pub extra_working_days: Vec<String>,
    /// Local clock time at which a day-counted deadline falls (end of office hours).
    #[serde(default = "default_day_end")]
    pub day_end: String,
}

/// A shared calendar file (`calendars/NAME.ron`): the days off a government decreed, year
/// by year, for workflows to name in `calendar: (use: ["NAME"], ...)`. It holds dates
/// only; the offset, weekend and day end stay the workflow's.
///
/// ```ron
/// (
///     format: 1,
///     name: "Ngày nghỉ lễ, Tết",
///     years: [
///         (year: 2024, holidays: ["2024-01-01", "2024-04-29"], extra_working_days: ["2024-05-04"]),
///     ],
/// )
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarFileSpec {
    /// Must equal [`FORMAT_VERSION`].
    pub format: u32,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Where the dates come from.
    #[serde(default)]
    pub source: Option<String>,
    /// One entry per year; each date must fall in its entry's year.
    pub years: Vec<CalendarYearSpec>,
}

/// One year of a shared calendar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarYearSpec {
    /// The year, e.g. `2024`.
    pub year: i32,
    /// Days off: holidays, the decreed Tết break, compensatory and swapped days.
    #[serde(default)]
    pub holidays: Vec<String>,
    /// Weekend dates decreed working days.
    #[serde(default)]
    pub extra_working_days: Vec<String>,
}

fn default_weekend() -> Vec<Day> {
    vec![Day::Sat, Day::Sun]
}

fn default_day_end() -> String {
    "17:00".to_owned()
}

/// Day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

/// An agency: a node of the reporting forest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgencySpec {
    /// Unique id (shared namespace with groups).
    pub id: String,
    /// Display name, kept exactly as written.
    pub name: String,
    /// English gloss.
    #[serde(default)]
    pub gloss: Option<String>,
    /// Kind of agency.
    #[serde(default)]
    pub kind: AgencyKind,
    /// The agency it reports to.
    #[serde(default)]
    pub parent: Option<String>,
}

/// The `agencies` section: written as a plain list of the workflow's own agencies
/// (`agencies: [(id: ...), ...]`), or with shared registries
/// (`agencies: (use: ["vn-provinces"], list: [(id: ...), ...])`), whose units in force on
/// the directive's issue date (and their groups) join the workflow's own. The host
/// supplies the registries' texts ([`crate::LoadOptions::with_registry`]); each is a
/// [`RegistryFileSpec`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgenciesSpec {
    /// Named shared registries.
    pub uses: Vec<String>,
    /// The workflow's own agencies.
    pub list: Vec<AgencySpec>,
}

/// The written form of [`AgenciesSpec`] with registries.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgenciesWithRegistries {
    #[serde(default, rename = "use")]
    uses: Vec<String>,
    #[serde(default)]
    list: Vec<AgencySpec>,
}

impl Serialize for AgenciesSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // A file without registries keeps its plain list.
        if self.uses.is_empty() {
            self.list.serialize(s)
        } else {
            AgenciesWithRegistries {
                uses: self.uses.clone(),
                list: self.list.clone(),
            }
            .serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for AgenciesSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = AgenciesSpec;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of agencies, or `(use: [...], list: [...])`")
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<AgenciesSpec, A::Error> {
                let list = Vec::<AgencySpec>::deserialize(
                    serde::de::value::SeqAccessDeserializer::new(seq),
                )?;
                Ok(AgenciesSpec {
                    uses: Vec::new(),
                    list,
                })
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<AgenciesSpec, A::Error> {
                let written = AgenciesWithRegistries::deserialize(
                    serde::de::value::MapAccessDeserializer::new(map),
                )?;
                Ok(AgenciesSpec {
                    uses: written.uses,
                    list: written.list,
                })
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// A shared registry of agencies (`registries/NAME.ron`): administrative units or bodies
/// that many directives address, each with the dates it is in force, and groups of them,
/// for workflows to name in `agencies: (use: ["NAME"], ...)`. A workflow gets the units in
/// force on its issue date; a group, its members in force then.
///
/// ```ron
/// (
///     format: 1,
///     name: "Đơn vị hành chính cấp tỉnh",
///     agencies: [
///         (id: "ha_giang", name: "Tỉnh Hà Giang", until: "2025-06-30", replaced_by: ["tuyen_quang"]),
///         (id: "tuyen_quang", name: "Tỉnh Tuyên Quang"),
///     ],
///     groups: [(id: "provinces", name: "Các tỉnh, thành phố", members: ["ha_giang", "tuyen_quang"])],
/// )
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryFileSpec {
    /// Must equal [`FORMAT_VERSION`].
    pub format: u32,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Where the entries come from (the legal acts that set them).
    #[serde(default)]
    pub source: Option<String>,
    /// The units, each with the dates it is in force.
    pub agencies: Vec<RegistryAgencySpec>,
    /// Groups of units; a workflow gets the group entry in force on its issue date, with
    /// its members in force then.
    #[serde(default)]
    pub groups: Vec<RegistryGroupSpec>,
}

/// A group of a registry, with the dates it is in force: membership changes too (a
/// province that took in a coastal one is coastal from the day of the merger), so one id
/// may have several entries whose dates do not overlap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryGroupSpec {
    /// Id, shared with the registry's units; several entries only with disjoint dates.
    pub id: String,
    /// Display name.
    pub name: String,
    /// English gloss.
    #[serde(default)]
    pub gloss: Option<String>,
    /// Unit ids; only those in force on a workflow's issue date are its members there.
    pub members: Vec<String>,
    /// The first day this membership is in force, `"YYYY-MM-DD"`.
    #[serde(default)]
    pub from: Option<String>,
    /// The last day this membership is in force, `"YYYY-MM-DD"`.
    #[serde(default)]
    pub until: Option<String>,
}

/// One unit of a registry: an agency with the dates it is in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryAgencySpec {
    /// Unique id in the registry (and in every workflow that uses it).
    pub id: String,
    /// Display name, kept exactly as written.
    pub name: String,
    /// English gloss.
    #[serde(default)]
    pub gloss: Option<String>,
    /// Kind of agency.
    #[serde(default)]
    pub kind: AgencyKind,
    /// The unit of the same registry it reports to.
    #[serde(default)]
    pub parent: Option<String>,
    /// The first day it is in force, `"YYYY-MM-DD"`; absent: since before the registry's
    /// scope.
    #[serde(default)]
    pub from: Option<String>,
    /// The last day it is in force, `"YYYY-MM-DD"`; absent: still in force.
    #[serde(default)]
    pub until: Option<String>,
    /// The units of the same registry that took it over after `until`.
    #[serde(default)]
    pub replaced_by: Vec<String>,
}

/// Kind of an agency.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AgencyKind {
    /// A party committee or its organs.
    Party,
    /// A people's committee, council or state department.
    #[default]
    State,
    /// Police or military.
    Force,
    /// Fatherland Front or a mass organisation.
    Mass,
    /// A public service unit (station, hospital, school).
    Service,
    /// A steering committee or other inter-agency body.
    Committee,
}

/// A named set of agencies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    /// Unique id (shared namespace with agencies).
    pub id: String,
    /// Display name.
    pub name: String,
    /// English gloss.
    #[serde(default)]
    pub gloss: Option<String>,
    /// Member agency ids.
    pub members: Vec<String>,
}

/// A data-defined lifecycle machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MachineSpec {
    /// Unique id.
    pub id: String,
    /// States; exactly one is `Initial`.
    pub states: Vec<StateSpec>,
    /// Transitions between them.
    pub transitions: Vec<TransitionSpec>,
}

/// A state of a machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateSpec {
    /// Id, unique within the machine.
    pub id: String,
    /// What the state means to the engine.
    #[serde(default)]
    pub kind: StateKind,
    /// The lead has handed in its work: deadlines and escalation stop pressing it.
    #[serde(default)]
    pub submitted: bool,
}

/// What a state means to the engine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum StateKind {
    /// Where every task instance starts (exactly one per machine).
    Initial,
    /// Work in progress.
    #[default]
    Active,
    /// Terminal: the task is done; dependants may proceed.
    Done,
    /// Terminal: the task was cancelled; dependants stay blocked.
    Cancelled,
}

/// A transition `on` an action `from` states `to` a state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionSpec {
    /// The action name, e.g. `report`.
    pub on: String,
    /// Source states.
    pub from: Vec<String>,
    /// Target state; omitted, the task stays in its state (the action is recorded, no
    /// state timer restarts), as for an extension request.
    #[serde(default)]
    pub to: Option<String>,
    /// Roles allowed to fire it.
    pub by: Vec<RoleSpec>,
    /// Conditions that must hold.
    #[serde(default)]
    pub guards: Vec<Guard>,
    /// Firing it hands in the current period's work (satisfies the current due time).
    #[serde(default)]
    pub reports: bool,
    /// Firing it sends handed-in work back to the lead to redo (counted as a return).
    #[serde(default)]
    pub returns_report: bool,
    /// A step of an extension (gia hạn) of the current due time.
    #[serde(default)]
    pub extension: Option<ExtensionStep>,
    /// A timed transition: fired by the system after this long in a `from` state.
    #[serde(default)]
    pub after: Option<String>,
}

/// A role that may fire a transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoleSpec {
    /// The task instance's lead agency.
    Lead,
    /// A supporting agency of the task.
    Support,
    /// The task's supervisor (defaults to the issuer).
    Supervisor,
    /// The directive's issuer.
    Issuer,
    /// One named agency.
    Agency(String),
    /// The engine itself (timed transitions only).
    System,
}

/// A condition on a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Guard {
    /// Every task this one depends on is done.
    DependenciesDone,
    /// The current due time has not passed.
    BeforeDue,
    /// The actor gives a note (a reason, what to redo).
    WithNote,
}

/// A step of an extension (gia hạn): the lead asks for a later due time, the supervisor
/// decides. The original due time is kept for reporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExtensionStep {
    /// Ask for the due time given with the action (`until`); one request at a time, for a
    /// task with a due time.
    Request,
    /// Grant the pending request: its time becomes the due time.
    Approve,
    /// Turn the pending request down: the due time stays.
    Refuse,
}

/// An escalation policy: ordered levels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    /// Unique id.
    pub id: String,
    /// Levels, in firing order.
    pub levels: Vec<LevelSpec>,
}

/// One escalation level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelSpec {
    /// Offset from the anchor, e.g. `"1d"` or `"-2h"`.
    pub after: String,
    /// What the offset counts from.
    #[serde(default)]
    pub from: Anchor,
    /// What happens.
    pub action: EscalationAction,
    /// Who is told (or, for `Reassign`, who takes over).
    pub target: TargetSpec,
    /// Fire again at this interval while the condition holds.
    #[serde(default)]
    pub repeat: Option<String>,
}

/// What an escalation offset counts from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Anchor {
    /// The current due time; fires only while the work is not handed in.
    #[default]
    Due,
    /// Entering the named state; fires only while still in it.
    Entered(String),
}

/// What an escalation level does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EscalationAction {
    /// A reminder.
    Remind,
    /// A formal warning.
    Warn,
    /// Raise the matter to the target.
    Escalate,
    /// Hand the task to the target.
    Reassign,
}

/// Who an escalation level addresses, resolved through the agency graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TargetSpec {
    /// The lead agency itself.
    Lead,
    /// The lead's parent in the reporting forest.
    Parent,
    /// The task's supervisor.
    Supervisor,
    /// The parent of the task's supervisor (one level above whoever follows the task).
    SupervisorParent,
    /// The directive's issuer.
    Issuer,
    /// The issuer of the directive that the task's own directive implements: for a task
    /// of a commune's plan, the district; for a task of the directive itself, its issuer.
    ParentIssuer,
    /// A named agency.
    Agency(String),
}

/// A task the directive assigns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskSpec {
    /// Unique id.
    pub id: String,
    /// Title as written in the directive.
    pub title: String,
    /// English gloss.
    #[serde(default)]
    pub gloss: Option<String>,
    /// Lead agencies (chủ trì); with `for_each`, each member leads its own instance.
    #[serde(default)]
    pub lead: Vec<String>,
    /// With several leads: one instance they share (`Joint`, the default) or one each
    /// (`Each`).
    #[serde(default)]
    pub lead_mode: Option<LeadMode>,
    /// Supporting agencies (phối hợp): agency or group ids.
    #[serde(default)]
    pub support: Vec<String>,
    /// One task instance per member of this group, led by that member.
    #[serde(default)]
    pub for_each: Option<String>,
    /// Tasks that must be done first. When this task and a dependency fan out over the
    /// same group, each member's instance waits only for that member's instance of the
    /// dependency (a province calls its vessels in after its own count); otherwise it
    /// waits for every instance of the dependency.
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// Tasks that must be done first by every member: for a dependency that fans out over
    /// the same group as this task, each instance waits for all of the dependency's
    /// instances, not only its own member's (evacuation starts once every province has
    /// counted). A task is listed here or in `depends_on`, not both.
    #[serde(default)]
    pub depends_on_all: Vec<String>,
    /// When the task starts.
    #[serde(default)]
    pub start: StartSpec,
    /// When it is due.
    #[serde(default)]
    pub due: Option<DueSpec>,
    /// Lifecycle machine id; defaults to `default`, or `recurring` for a recurring due.
    #[serde(default)]
    pub machine: Option<String>,
    /// Escalation policy id.
    #[serde(default)]
    pub policy: Option<String>,
    /// Who accepts reports; defaults to the issuer (in a template: the member).
    #[serde(default)]
    pub supervisor: Option<String>,
    /// Each member of a set issues its own implementing directive from a template; this
    /// task then depends on every task of those directives.
    #[serde(default)]
    pub cascade: Option<CascadeSpec>,
    /// The work it takes at the usual pace, from when it can begin to its report (for a
    /// recurring due, each report; for a measure `in_force`, the final report's work
    /// after its period ends). Read only by the static deadline analysis; a task without
    /// it counts as taking no time.
    #[serde(default)]
    pub expected: Option<EffortSpec>,
    /// The least it can take when pushed; at most `expected`, and only with it. Defaults
    /// to `expected`.
    #[serde(default)]
    pub minimum: Option<EffortSpec>,
    /// A measure in force for a period ("giãn cách xã hội 15 ngày kể từ 00 giờ ngày …"):
    /// the lead applies it from `from` to its end, then reports once. The task's due time
    /// is that final report's, so a task with `in_force` has no `due`.
    #[serde(default)]
    pub in_force: Option<InForceSpec>,
}

/// A period during which a measure is in force, and the report owed at its end.
///
/// ```ron
/// in_force: (from: "2021-05-06 00:00", length: "15d", report_within: "1d"),
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InForceSpec {
    /// When the measure comes into force (it may precede the directive); without it, when
    /// the task starts.
    #[serde(default)]
    pub from: Option<String>,
    /// How long it stays in force, e.g. `"15d"`; give this or `until`.
    #[serde(default)]
    pub length: Option<String>,
    /// When it ends; give this or `length`.
    #[serde(default)]
    pub until: Option<String>,
    /// How long after the end the final report is due, e.g. `"1d"`.
    pub report_within: String,
}

/// How a task with several leads runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LeadMode {
    /// One instance, which any lead may act on: the first lead to acknowledge moves it
    /// for all of them (the police and the military answering together).
    #[default]
    Joint,
    /// One instance per lead, named `task[lead]`, as a fan-out over the listed leads: each
    /// acknowledges, works and reports on its own.
    Each,
}

/// How much work a task takes, as an office plans it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EffortSpec {
    /// Whole working days of office work: weekends and holidays are skipped, each day
    /// ends at the calendar's `day_end`, and the day the work begins counts when the work
    /// begins on a working day before `day_end`.
    WorkingDays(u32),
    /// Elapsed time round the clock, e.g. `"8h"` or `"2d"`: emergency work that does not
    /// stop for nights, weekends or holidays.
    Elapsed(String),
}

/// When a task starts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum StartSpec {
    /// When the instance starts (the directive is issued).
    #[default]
    AtIssue,
    /// At a given time (which may precede the directive).
    At(String),
    /// When every dependency is done.
    AfterDependencies,
}

/// When a task is due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DueSpec {
    /// At an absolute time.
    At(String),
    /// A duration after the task starts.
    After(String),
    /// N calendar days after the start day, at the calendar's `day_end`; a deadline on a
    /// non-working day moves to the next working day.
    Days(u32),
    /// N working days after the start day (the start day is not counted), at `day_end`.
    WorkingDays(u32),
    /// A local clock time, `days` days after the start day (`days: 0` is "today"),
    /// weekend or holiday alike: an emergency telegram's "before 15:00 today". A task that
    /// starts after that time (a telegram received at 16:00) is overdue at once; the
    /// deadline does not move to the next day.
    ClockTime {
        /// Local clock time, `"15:00"`.
        at: String,
        /// Days after the start day.
        #[serde(default)]
        days: u32,
    },
    /// In a template only: N working days before the parent task's (planned) due time, at
    /// the same clock time; `BeforeParent(0)` is the parent's due time itself.
    BeforeParent(u32),
    /// A recurring report: every `every` from the first `at` after the start, until `until`.
    Every {
        /// Interval, e.g. `"1d"`.
        every: String,
        /// Local clock time of the first occurrence; without it, one interval after start.
        #[serde(default)]
        at: Option<String>,
        /// Last possible occurrence.
        until: String,
    },
    /// A periodic report on the calendar: each period's data is cut off on `cutoff_day`
    /// of its last month (Decree 09/2019/NĐ-CP, Art. 12: the 14th), and the report is due
    /// `submit_within` after the cut-off day. Cut-offs from the task's start day (one on
    /// the start day counts) up to the date `until`.
    ///
    /// ```ron
    /// due: Periodic(period: Quarterly, cutoff_day: 14, submit_within: WorkingDays(3), until: "2024-12-31"),
    /// ```
    Periodic {
        /// Monthly, quarterly (cut-offs in March, June, September, December), half-yearly
        /// (June, December) or yearly (December).
        period: Period,
        /// Day of the month of the cut-off, 1 to 31; beyond a month's length, its last day.
        cutoff_day: u8,
        /// How long after the cut-off day the report is due.
        submit_within: Within,
        /// Last possible cut-off date, `"YYYY-MM-DD"`.
        until: String,
    },
}

/// The length of a reporting period, aligned to the calendar year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Period {
    /// Every month.
    Monthly,
    /// Cut-offs in March, June, September and December.
    Quarterly,
    /// Cut-offs in June and December.
    HalfYearly,
    /// Cut-off in December.
    Yearly,
}

impl Period {
    /// Months per period.
    pub fn months(self) -> u8 {
        match self {
            Period::Monthly => 1,
            Period::Quarterly => 3,
            Period::HalfYearly => 6,
            Period::Yearly => 12,
        }
    }
}

/// A submission window counted from a cut-off day (which is not counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Within {
    /// N working days, at the calendar's `day_end`.
    WorkingDays(u32),
    /// N calendar days, at `day_end`, moved off a non-working last day.
    Days(u32),
}

/// A scenario file: scripted events that drive one instance through time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    /// Must equal [`FORMAT_VERSION`].
    pub format: u32,
    /// Short name.
    pub name: String,
    /// What the scenario shows.
    #[serde(default)]
    pub description: Option<String>,
    /// When the instance starts; defaults to the directive's `issued_at`.
    #[serde(default)]
    pub start: Option<String>,
    /// Where the simulation stops.
    pub until: String,
    /// Scripted actions, in any order (they are run in time order, ties in file order).
    #[serde(default)]
    pub events: Vec<EventSpec>,
    /// How agencies behave when nobody scripts them: the first entry naming an agency
    /// (directly, through a group, or with `"all"`) applies to it.
    #[serde(default)]
    pub behaviours: Vec<BehaviourSpec>,
}

/// How an agency behaves in a simulation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BehaviourSpec {
    /// Agency or group ids, or `"all"`.
    pub who: Vec<String>,
    /// Delay from a task's start to its acknowledgement.
    #[serde(default)]
    pub acknowledge: Option<DelaySpec>,
    /// Time from acknowledgement to the report (per period, for recurring tasks).
    #[serde(default)]
    pub work: Option<DelaySpec>,
    /// As supervisor: delay from a report to its acceptance.
    #[serde(default)]
    pub review: Option<DelaySpec>,
    /// Probability (0 to 1) that a report comes only after the due time.
    #[serde(default)]
    pub miss: f64,
    /// When it misses: how long after the due time the report comes (default 1–3 days).
    #[serde(default)]
    pub late_by: Option<DelaySpec>,
    /// Whether it acts only in office hours.
    #[serde(default)]
    pub hours: Hours,
    /// How it reacts to reminders and escalations.
    #[serde(default)]
    pub on_escalation: ReactionSpec,
}

/// A random delay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DelaySpec {
    /// Always the same.
    Fixed(String),
    /// Uniform between `min` and `max`.
    Uniform {
        /// Shortest.
        min: String,
        /// Longest.
        max: String,
    },
    /// Triangular: most often `mode`, never outside `min`..`max`.
    Triangular {
        /// Shortest.
        min: String,
        /// Most likely.
        mode: String,
        /// Longest.
        max: String,
    },
    /// Log-normal around `median` with shape `sigma` (0.5 is moderately skewed).
    LogNormal {
        /// Median.
        median: String,
        /// Shape (standard deviation of the logarithm).
        sigma: f64,
    },
}

/// When an agency acts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Hours {
    /// Only on working days between 07:30 and the calendar's `day_end`.
    #[default]
    Office,
    /// At any time.
    AroundTheClock,
}

/// Reaction to reminders, warnings and escalations about its own task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReactionSpec {
    /// Remaining work is divided by this on each reaction (1: no effect).
    #[serde(default = "one")]
    pub speed_up: f64,
    /// The first reminder or escalation is ignored.
    #[serde(default)]
    pub ignore_first: bool,
}

impl Default for ReactionSpec {
    fn default() -> Self {
        Self {
            speed_up: 1.0,
            ignore_first: false,
        }
    }
}

fn one() -> f64 {
    1.0
}

/// One scripted action, or a follow-up document applied (`(at: ..., follow_up: "NAME")`,
/// with no `actor`, `task` or `action`), or a child document attached (`attach: "NAME"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    /// When.
    pub at: String,
    /// The acting agency's id.
    #[serde(default)]
    pub actor: String,
    /// Task id; for a `for_each` task, `task[member]`, or the bare id when the actor is
    /// the member.
    #[serde(default)]
    pub task: String,
    /// Action name.
    #[serde(default)]
    pub action: String,
    /// The name of a follow-up document ([`FollowUpSpec`]) to apply at `at`; the host
    /// supplies its text (the CLI reads the file of that name beside the scenario). At
    /// one instant, follow-ups come before scripted actions; actions after it may name
    /// the tasks it adds.
    #[serde(default)]
    pub follow_up: Option<String>,
    /// The name of a child document (a directive file implementing the running one,
    /// issued by another agency) to attach at `at`, as [`crate::Instance::attach_child`]
    /// does; supplied and ordered like a follow-up.
    #[serde(default)]
    pub attach: Option<String>,
    /// Free text kept in the journal: a reason, what to redo.
    #[serde(default)]
    pub note: Option<String>,
    /// For an extension request: the due time asked for.
    #[serde(default)]
    pub until: Option<String>,
}

impl EventSpec {
    /// The document the event applies: its follow-up, else the child it attaches.
    pub(crate) fn document(&self) -> Option<&String> {
        self.follow_up.as_ref().or(self.attach.as_ref())
    }
}

/// A follow-up document (văn bản "tiếp theo Công văn số …"): a later letter of the issuer
/// that amends a running directive. Its own small file, `NAME.<label>.followup.ron`;
/// applied to a running instance with [`crate::Instance::apply_follow_up`].
///
/// Every list is optional; what it names must exist in the running workflow (an added
/// task may use the policies it adds).
///
/// ```ron
/// (
///     format: 1,
///     number: "120-CV/HU",
///     kind: "Công văn",
///     issuer: "district_standing",
///     issued_at: "2021-05-12 08:00",
///     further_to: "114-CV/HU",
///     subject: "V/v tăng cường các biện pháp phòng, chống dịch Covid-19",
///     add_tasks: [(id: "checkpoints", title: "Lập chốt kiểm soát", lead: ["police"], due: After("24h"))],
///     change_due: [(task: "vaccination", due: At("2021-05-18 17:00"))],
///     cancel: [(task: "contingency_plan", reason: "replaced by the district plan")],
///     tighten: [(task: "vaccination", policy: "urgent")],
/// )
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUpSpec {
    /// Must equal [`FORMAT_VERSION`].
    pub format: u32,
    /// Number and symbol of the follow-up itself, e.g. `120-CV/HU`.
    pub number: String,
    /// Kind of document, e.g. `Công văn`.
    pub kind: String,
    /// English gloss of the kind.
    #[serde(default)]
    pub kind_gloss: Option<String>,
    /// Urgency mark (Khẩn, Thượng khẩn, Hỏa tốc), as on a directive.
    #[serde(default)]
    pub urgency: Urgency,
    /// The issuing agency's id.
    pub issuer: String,
    /// Time of issue. Clock times in the document (`ClockTime(at: "16:00", days: 0)`:
    /// "before 16:00 today") count from this day, not from each task's start.
    pub issued_at: String,
    /// The number of the document it follows: the running directive's, or a follow-up
    /// already applied to it.
    pub further_to: String,
    /// Subject line.
    pub subject: String,
    /// English gloss of the subject.
    #[serde(default)]
    pub subject_gloss: Option<String>,
    /// New tasks, written as in a workflow; they start by their start rule, counted from
    /// the follow-up.
    #[serde(default)]
    pub add_tasks: Vec<TaskSpec>,
    /// New escalation policies, for added tasks or `tighten`.
    #[serde(default)]
    pub add_policies: Vec<PolicySpec>,
    /// New agencies, written as in a workflow (a body the letter brings in: a forward
    /// steering committee, a ministry); added tasks and groups may name them.
    #[serde(default)]
    pub add_agencies: Vec<AgencySpec>,
    /// New groups (the subset of provinces a later telegram goes to), for added tasks.
    #[serde(default)]
    pub add_groups: Vec<GroupSpec>,
    /// Members added to an existing group of the workflow's own, for added tasks; a group
    /// that a running task fans out over keeps its members.
    #[serde(default)]
    pub add_members: Vec<AddMembersSpec>,
    /// New due rules for existing tasks.
    #[serde(default)]
    pub change_due: Vec<ChangeDueSpec>,
    /// Tasks withdrawn: their unfinished instances are cancelled, and nothing waits for
    /// them any more.
    #[serde(default)]
    pub cancel: Vec<CancelSpec>,
    /// Existing tasks put under another (stricter) escalation policy.
    #[serde(default)]
    pub tighten: Vec<TightenSpec>,
    /// Measures kept in force to a new end ("tiếp tục thực hiện đến …"): later to extend
    /// them, earlier (but after this document) to shorten them.
    #[serde(default)]
    pub extend_period: Vec<ExtendPeriodSpec>,
    /// Measures lifted now, before their end: the period ends when the document is
    /// applied, and the final report falls due `report_within` after its issue time.
    #[serde(default)]
    pub end_period: Vec<EndPeriodSpec>,
    /// Measures superseded by a measure this document adds ("từ 0 giờ ngày … chuyển sang
    /// thực hiện …"): each one's period ends when its successor comes into force.
    #[serde(default)]
    pub supersede: Vec<SupersedeSpec>,
}

/// Members a follow-up adds to an existing group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddMembersSpec {
    /// The group's id.
    pub group: String,
    /// Agency ids (existing, or added by the same document).
    pub members: Vec<String>,
}

/// A measure in force superseded by one a follow-up adds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupersedeSpec {
    /// The running task's id; it must have `in_force`.
    pub task: String,
    /// The id of a task in this document's `add_tasks`, with `in_force`: the old period
    /// ends at its `from` (or at this document's issue time, if it has none).
    pub by: String,
}

/// A measure kept in force to a new end by a follow-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtendPeriodSpec {
    /// The task's id; it must have `in_force`.
    pub task: String,
    /// The new end, after the follow-up's issue time.
    pub until: String,
}

/// A measure lifted early by a follow-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndPeriodSpec {
    /// The task's id; it must have `in_force`.
    pub task: String,
    /// Why, as the letter says.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A new due rule for a task of the running directive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeDueSpec {
    /// The task's id.
    pub task: String,
    /// Its new due rule; running instances recompute their due time from their start.
    pub due: DueSpec,
}

/// A task withdrawn by a follow-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelSpec {
    /// The task's id, or one member's instance of a fan-out, `evacuate[phu_yen]` (a
    /// telegram to some of the provinces): only that instance is withdrawn.
    pub task: String,
    /// Why, as the letter says.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A task put under another escalation policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TightenSpec {
    /// The task's id.
    pub task: String,
    /// The policy id (the workflow's, or one the follow-up adds).
    pub policy: String,
}
