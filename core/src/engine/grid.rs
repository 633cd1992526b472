//! The tracking grid Vietnamese offices use to follow up assigned tasks: done on time,
//! done late, open and still within the deadline, open and overdue, and "due within 3
//! days", per lead agency and in total, at the instance's current time.

use crate::engine::{Instance, PeriodStatus, Phase};
use crate::model::spec::StateKind;
use crate::model::time::{Span, Timestamp};
use crate::model::workflow::TaskRef;
use serde::Serialize;

/// How far ahead "due soon" looks.
pub const DUE_SOON_DAYS: i64 = 3;

/// The counts of one row of the grid. `done_on_time + done_late + open_in_time +
/// open_overdue` is every task instance of the row except the cancelled ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridCounts {
    /// Done without missing a due time.
    pub done_on_time: u32,
    /// Done after missing a due time.
    pub done_late: u32,
    /// Not done, current due time not passed (or none).
    pub open_in_time: u32,
    /// Not done, current due time passed.
    pub open_overdue: u32,
    /// Of `open_in_time`: due within the next 3 days.
    pub due_soon: u32,
    /// Cancelled (outside the four counts).
    pub cancelled: u32,
    /// Granted an extension (gia hạn), whatever their state.
    pub extended: u32,
    /// Of `extended`: done after, or still open past, the original due time. The four
    /// counts judge them against the extension.
    pub late_vs_original: u32,
    /// Waiting for a decision on an extension request.
    pub extension_pending: u32,
    /// Handed-in work sent back to redo at least once.
    pub returned: u32,
    /// Measures in force now (their period begun, not ended), whatever their state.
    pub in_force: u32,
}

impl GridCounts {
    /// `done_on_time + done_late + open_in_time + open_overdue`.
    ///
    /// ```
    /// let counts = directrix_core::record::GridCounts { done_on_time: 2, open_overdue: 1, ..Default::default() };
    /// assert_eq!(counts.tracked(), 3);
    /// ```
    pub fn tracked(&self) -> u32 {
        self.done_on_time + self.done_late + self.open_in_time + self.open_overdue
    }

    fn add(&mut self, class: Class, marks: Marks) {
        self.extended += u32::from(marks.extended);
        self.late_vs_original += u32::from(marks.late_vs_original);
        self.extension_pending += u32::from(marks.extension_pending);
        self.returned += u32::from(marks.returned);
        self.in_force += u32::from(marks.in_force);
        match class {
            Class::DoneOnTime => self.done_on_time += 1,
            Class::DoneLate => self.done_late += 1,
            Class::OpenInTime { due_soon } => {
                self.open_in_time += 1;
                self.due_soon += u32::from(due_soon);
            }
            Class::OpenOverdue => self.open_overdue += 1,
            Class::Cancelled => self.cancelled += 1,
        }
    }
}

/// One agency's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgencyGrid {
    /// Agency id.
    pub agency: String,
    /// Display name.
    pub name: String,
    /// Its counts, over the task instances it leads.
    #[serde(flatten)]
    pub counts: GridCounts,
}

/// One document's row: the task instances a document assigns, the running directive's
/// own or an attached child's ([`crate::Instance::attach_child`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentGrid {
    /// The document's number.
    pub number: String,
    /// Its issuer's agency id.
    pub issuer: String,
    /// Its counts, over the task instances it assigns.
    #[serde(flatten)]
    pub counts: GridCounts,
}

/// The whole grid. A documented JSON contract (README).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Grid {
    /// The instant, RFC 3339 at the workflow's offset.
    pub at: String,
    /// One row per lead agency with any task instance, in workflow order. An instance
    /// with several leads counts in each lead's row.
    pub agencies: Vec<AgencyGrid>,
    /// Every task instance once.
    pub total: GridCounts,
    /// With child documents attached: one row for the running directive's own tasks,
    /// then one per child, in the order attached (each instance in one row). Empty, and
    /// left out of the JSON, without children.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<DocumentGrid>,
}

/// What a task instance adds to the columns beside the four counts.
#[derive(Clone, Copy, Default)]
struct Marks {
    extended: bool,
    late_vs_original: bool,
    extension_pending: bool,
    returned: bool,
    in_force: bool,
}

#[derive(Clone, Copy)]
enum Class {
    DoneOnTime,
    DoneLate,
    OpenInTime { due_soon: bool },
    OpenOverdue,
    Cancelled,
}

impl Instance {
    fn classify(&self, task: TaskRef, now: Timestamp) -> Class {
        let Some(state) = self.task_state(task) else {
            return Class::OpenInTime { due_soon: false };
        };
        let kind = self.workflow().machine_of(task).states[state.state.index()].kind;
        match (state.phase, kind) {
            (Phase::Running, StateKind::Done) if state.ever_overdue => Class::DoneLate,
            (Phase::Running, StateKind::Done) => Class::DoneOnTime,
            (Phase::Running, StateKind::Cancelled) => Class::Cancelled,
            _ if state.overdue || state.due.is_some_and(|due| due < now) => Class::OpenOverdue,
            _ => Class::OpenInTime {
                due_soon: state.due.is_some_and(|due| {
                    due <= now.saturating_add(Span::from_seconds(DUE_SOON_DAYS * 86_400))
                }),
            },
        }
    }

    fn marks(&self, task: TaskRef, now: Timestamp) -> Marks {
        let Some(state) = self.task_state(task) else {
            return Marks::default();
        };
        let extended = state.extensions > 0;
        Marks {
            extended,
            late_vs_original: extended
                && state
                    .first_due
                    .is_some_and(|original| state.finished_at.unwrap_or(now) > original),
            extension_pending: state.extension_requested.is_some(),
            returned: state.returns > 0,
            in_force: state.phase == Phase::Running
                && !self.workflow().machine_of(task).states[state.state.index()].is_terminal()
                && state
                    .period
                    .is_some_and(|p| p.status == PeriodStatus::InForce),
        }
    }

    /// The tracking grid at the instance's current time.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let (mut instance, _) = directrix_core::Instance::start(workflow.clone(), workflow.directive().issued_at)?;
    /// instance.advance(instance.now().saturating_add(directrix_core::Span::parse("5d")?))?;
    /// let grid = instance.grid();
    /// assert_eq!(grid.total.tracked() as usize, workflow.task_slots().len());
    /// assert!(grid.total.open_overdue > 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn grid(&self) -> Grid {
        let workflow = self.workflow();
        let now = self.now();
        let mut total = GridCounts::default();
        let mut rows = vec![GridCounts::default(); workflow.agencies().len()];
        let mut leads_any = vec![false; workflow.agencies().len()];
        let children = workflow.children();
        // Row 0 is the directive's own; a child's task is in its child's row.
        let mut document_of = std::collections::HashMap::new();
        for (row, child) in children.iter().enumerate() {
            for task in &child.tasks {
                document_of.insert(task.as_str(), row + 1);
            }
        }
        let mut documents = vec![GridCounts::default(); children.len() + 1];
        for i in 0..workflow.task_slots().len() {
            let task = TaskRef(i as u32);
            let class = self.classify(task, now);
            let marks = self.marks(task, now);
            total.add(class, marks);
            if !children.is_empty() {
                let id = &workflow.task(workflow.task_slots()[i].task).id;
                // A task a child's cascade generates (`task/member/sub`) is the child's
                // when its cascading task is.
                let top = id.split('/').next().unwrap_or(id);
                documents[document_of.get(top).copied().unwrap_or(0)].add(class, marks);
            }
            for lead in self.leads(task) {
                rows[lead.index()].add(class, marks);
                leads_any[lead.index()] = true;
            }
        }
        Grid {
            at: workflow.format_time(now),
            agencies: workflow
                .agencies()
                .iter()
                .zip(rows)
                .zip(leads_any)
                .filter(|(_, any)| *any)
                .map(|((agency, counts), _)| AgencyGrid {
                    agency: agency.id.clone(),
                    name: agency.name.clone(),
                    counts,
                })
                .collect(),
            total,
            documents: match children {
                [] => Vec::new(),
                _ => std::iter::once(DocumentGrid {
                    number: workflow.directive().number.clone(),
                    issuer: workflow.agency(workflow.directive().issuer).id.clone(),
                    counts: documents[0],
                })
                .chain(
                    children
                        .iter()
                        .zip(&documents[1..])
                        .map(|(child, &counts)| DocumentGrid {
                            number: child.number.clone(),
                            issuer: child.issuer.clone(),
                            counts,
                        }),
                )
                .collect(),
            },
        }
    }
}
