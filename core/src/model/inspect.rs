//! What a workflow says, with names and local times: the data of `directrix inspect` and
//! of the WebAssembly `Workflow.inspect()`. Field names are a contract (README).

use crate::model::spec::{AgencyKind, SignerSpec, Urgency};
use crate::model::workflow::{AgencyId, Document, Workflow};
use serde::Serialize;

/// A whole workflow described for display.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inspection {
    /// Directive metadata.
    pub directive: InspectedDirective,
    /// Documents of the chain.
    pub documents: Vec<Document>,
    /// Calendar facts.
    pub calendar: InspectedCalendar,
    /// Agencies, in file order.
    pub agencies: Vec<InspectedAgency>,
    /// Groups.
    pub groups: Vec<InspectedGroup>,
    /// Tasks with their rules and planned times.
    pub tasks: Vec<InspectedTask>,
    /// The planned critical path, task ids first to last.
    pub critical_path: Vec<String>,
}

/// Directive metadata for display.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InspectedDirective {
    /// Number and symbol.
    pub number: String,
    /// Kind as written.
    pub kind: String,
    /// English gloss of the kind.
    pub kind_gloss: Option<String>,
    /// Urgency mark.
    pub urgency: Urgency,
    /// Issuer's id.
    pub issuer: String,
    /// Signature block.
    pub signer: Option<SignerSpec>,
    /// Place of issue.
    pub place: Option<String>,
    /// Issue time, RFC 3339 at the workflow's offset.
    pub issued_at: String,
    /// Subject line.
    pub subject: String,
    /// English gloss of the subject.
    pub subject_gloss: Option<String>,
    /// Addressed agency ids, groups expanded.
    pub addressees: Vec<String>,
    /// Copies.
    pub copies: Vec<InspectedCopy>,
    /// Numbers of the documents implemented.
    pub implements: Vec<String>,
}

/// One copy line.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InspectedCopy {
    /// Agency id, or `addressees` for "as above".
    pub to: String,
    /// Purpose as printed.
    pub purpose: Option<String>,
    /// English gloss.
    pub purpose_gloss: Option<String>,
}

/// Calendar facts.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InspectedCalendar {
    /// UTC offset, `+07:00`.
    pub utc_offset: String,
}

/// An agency for display.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InspectedAgency {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// English gloss.
    pub gloss: Option<String>,
    /// Kind.
    pub kind: AgencyKind,
    /// Parent's id.
    pub parent: Option<String>,
}

/// A group for display.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InspectedGroup {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Member ids.
    pub members: Vec<String>,
}

/// A task for display.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InspectedTask {
    /// Id.
    pub id: String,
    /// Title as written.
    pub title: String,
    /// English gloss.
    pub gloss: Option<String>,
    /// Lead agency ids (empty for `for_each`).
    pub leads: Vec<String>,
    /// Fan-out group id.
    pub for_each: Option<String>,
    /// Number of task instances.
    pub instances: usize,
    /// Supporting agency ids.
    pub support: Vec<String>,
    /// Dependency task ids.
    pub depends_on: Vec<String>,
    /// Supervisor's id.
    pub supervisor: String,
    /// Machine id.
    pub machine: String,
    /// Policy id.
    pub policy: Option<String>,
    /// Start rule in words.
    pub start: String,
    /// Due rule in words.
    pub due: String,
    /// For a measure in force: its period in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_force: Option<String>,
    /// Planned start, RFC 3339.
    pub planned_start: String,
    /// Planned (last) due time, RFC 3339.
    pub planned_due: Option<String>,
    /// On the planned critical path.
    pub critical: bool,
    /// Expected effort in words (`2 working days`, `8h`); none counts as no time.
    pub expected: Option<String>,
    /// Earliest start at the expected pace (every dependency done), RFC 3339.
    pub earliest_start: String,
    /// Earliest completion at the expected pace, RFC 3339 (see [`crate::model::analysis::TaskAnalysis`]).
    pub earliest_completion: String,
    /// The dependency chain that sets the earliest completion, task ids first to last,
    /// ending with this task.
    pub critical_path: Vec<String>,
}

impl Workflow {
    fn agency_ids(&self, agencies: &[AgencyId]) -> Vec<String> {
        agencies
            .iter()
            .map(|a| self.agency(*a).id.clone())
            .collect()
    }

    /// Describes the whole workflow for display.
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// let inspection = workflow.inspection();
    /// assert_eq!(inspection.directive.number, "114-CV/HU");
    /// assert!(inspection.tasks.iter().all(|t| t.planned_start.ends_with("+07:00")));
    /// ```
    pub fn inspection(&self) -> Inspection {
        let plan = self.plan();
        let critical = self.critical_path();
        let analysis = self.analysis();
        let d = self.directive();
        Inspection {
            directive: InspectedDirective {
                number: d.number.clone(),
                kind: d.kind.clone(),
                kind_gloss: d.kind_gloss.clone(),
                urgency: d.urgency,
                issuer: self.agency(d.issuer).id.clone(),
                signer: d.signer.clone(),
                place: d.place.clone(),
                issued_at: self.format_time(d.issued_at),
                subject: d.subject.clone(),
                subject_gloss: d.subject_gloss.clone(),
                addressees: self.agency_ids(&d.addressees),
                copies: d
                    .copies
                    .iter()
                    .map(|c| InspectedCopy {
                        to: c
                            .to
                            .map_or_else(|| "addressees".to_owned(), |a| self.agency(a).id.clone()),
                        purpose: c.purpose.clone(),
                        purpose_gloss: c.purpose_gloss.clone(),
                    })
                    .collect(),
                implements: d.implements.clone(),
            },
            documents: self.documents().to_vec(),
            calendar: InspectedCalendar {
                utc_offset: self.calendar().offset_text(),
            },
            agencies: self
                .agencies()
                .iter()
                .map(|a| InspectedAgency {
                    id: a.id.clone(),
                    name: a.name.clone(),
                    gloss: a.gloss.clone(),
                    kind: a.kind,
                    parent: a.parent.map(|p| self.agency(p).id.clone()),
                })
                .collect(),
            groups: self
                .groups()
                .iter()
                .map(|g| InspectedGroup {
                    id: g.id.clone(),
                    name: g.name.clone(),
                    members: self.agency_ids(&g.members),
                })
                .collect(),
            tasks: self
                .tasks()
                .iter()
                .enumerate()
                .map(|(i, t)| InspectedTask {
                    id: t.id.clone(),
                    title: t.title.clone(),
                    gloss: t.gloss.clone(),
                    leads: self.agency_ids(&t.leads),
                    for_each: t.for_each.map(|g| self.groups()[g.index()].id.clone()),
                    instances: t.instances.len(),
                    support: self.agency_ids(&t.support),
                    depends_on: t
                        .depends_on
                        .iter()
                        .map(|d| self.task(*d).id.clone())
                        .collect(),
                    supervisor: self.agency(t.supervisor).id.clone(),
                    machine: self.machines()[t.machine.index()].id.clone(),
                    policy: t.policy.map(|p| self.policies()[p].id.clone()),
                    start: self.describe_start(t.start),
                    due: self.describe_due(t.due),
                    in_force: t.period.map(|p| self.describe_period(p)),
                    planned_start: self.format_time(plan[i].start),
                    planned_due: plan[i].due.map(|t| self.format_time(t)),
                    critical: critical.iter().any(|c| c.index() == i),
                    expected: t.expected.map(|e| self.describe_effort(e)),
                    earliest_start: self.format_time(analysis.tasks[i].earliest_start),
                    earliest_completion: self.format_time(analysis.tasks[i].earliest_completion),
                    critical_path: analysis.tasks[i]
                        .critical_path
                        .iter()
                        .map(|p| self.task(*p).id.clone())
                        .collect(),
                })
                .collect(),
            critical_path: critical.iter().map(|t| self.task(*t).id.clone()).collect(),
        }
    }
}
