//! The tracking grid Vietnamese offices use to follow up assigned tasks: done on time,
//! done late, open and still within the deadline, open and overdue, and "due within 3
//! days", per lead agency and in total, at the instance's current time.

use crate::engine::{Instance, Phase};
use crate::spec::StateKind;
use crate::time::{Span, Timestamp};
use crate::workflow::InstanceId;
use serde::Serialize;

/// How far ahead "due soon" looks.
pub const DUE_SOON_DAYS: i64 = 3;

/// The counts of one row of the grid. `done_on_time + done_late + open_in_time +
/// open_overdue` is every task instance of the row except the cancelled ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
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
}

impl GridCounts {
    /// `done_on_time + done_late + open_in_time + open_overdue`.
    ///
    /// ```
    /// let counts = directrix_core::GridCounts { done_on_time: 2, open_overdue: 1, ..Default::default() };
    /// assert_eq!(counts.tracked(), 3);
    /// ```
    pub fn tracked(&self) -> u32 {
        self.done_on_time + self.done_late + self.open_in_time + self.open_overdue
    }

    fn add(&mut self, class: Class) {
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
pub struct AgencyGrid {
    /// Agency id.
    pub agency: String,
    /// Display name.
    pub name: String,
    /// Its counts, over the task instances it leads.
    #[serde(flatten)]
    pub counts: GridCounts,
}

/// The whole grid. A documented JSON contract (README).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Grid {
    /// The instant, RFC 3339 at the workflow's offset.
    pub at: String,
    /// One row per lead agency with any task instance, in workflow order. An instance
    /// with several leads counts in each lead's row.
    pub agencies: Vec<AgencyGrid>,
    /// Every task instance once.
    pub total: GridCounts,
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
    fn classify(&self, task: InstanceId, now: Timestamp) -> Class {
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

    /// The tracking grid at the instance's current time.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let (mut instance, _) = directrix_core::Instance::start(workflow.clone(), workflow.directive().issued_at);
    /// instance.advance(instance.now().saturating_add(directrix_core::Span::parse("5d")?))?;
    /// let grid = instance.grid();
    /// assert_eq!(grid.total.tracked() as usize, workflow.instances().len());
    /// assert!(grid.total.open_overdue > 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn grid(&self) -> Grid {
        let workflow = self.workflow();
        let now = self.now();
        let mut total = GridCounts::default();
        let mut rows = vec![GridCounts::default(); workflow.agencies().len()];
        let mut leads_any = vec![false; workflow.agencies().len()];
        for i in 0..workflow.instances().len() {
            let task = InstanceId(i as u32);
            let class = self.classify(task, now);
            total.add(class);
            for lead in self.leads(task) {
                rows[lead.index()].add(class);
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
        }
    }
}
