//! The planned schedule: when each task would start and fall due if every dependency
//! finished exactly at its due time. Used for warnings, `inspect` and the critical path.

use crate::calendar::Calendar;
use crate::time::Timestamp;
use crate::workflow::{Due, Start, TaskId, Workflow};
use serde::Serialize;

/// One task's planned start and due time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Planned {
    /// Planned start.
    pub start: Timestamp,
    /// Planned (final) due time; for recurring tasks the last occurrence.
    pub due: Option<Timestamp>,
}

impl Start {
    /// When a task with this rule starts, given the directive's issue time and when its
    /// dependencies end (`None`: it has none). The planned schedule and the deadline
    /// analysis differ only in what they take as a dependency's end.
    pub(crate) fn resolve(
        self,
        issued: Timestamp,
        dependencies_end: Option<Timestamp>,
    ) -> Timestamp {
        match self {
            Start::AtIssue => issued,
            Start::At(t) => t,
            Start::AfterDependencies => dependencies_end.unwrap_or(issued),
        }
    }
}

impl Due {
    /// The first due time for a task started at `start`.
    ///
    /// `None` when the rule yields no time (a recurring series that ends before its first
    /// occurrence, or a date out of range).
    pub fn first(&self, calendar: &Calendar, start: Timestamp) -> Option<Timestamp> {
        match *self {
            Due::At(t) => Some(t),
            Due::After(span) => Some(start.saturating_add(span)),
            Due::Days(n) => calendar.add_days(start, n),
            Due::WorkingDays(n) => calendar.add_working_days(start, n),
            Due::ClockTime { at, days } => calendar.clock_time(start, days, at),
            Due::Every { every, at, until } => {
                let first = match at {
                    Some(at) => calendar.next_clock_time(start, at)?,
                    None => start.saturating_add(every),
                };
                (first <= until).then_some(first)
            }
        }
    }

    /// The occurrence after `current` of a recurring due, or `None` past its end (and for
    /// one-off dues).
    pub fn next_after(&self, current: Timestamp) -> Option<Timestamp> {
        match *self {
            Due::Every { every, until, .. } => {
                let next = current.saturating_add(every);
                (next <= until && next > current).then_some(next)
            }
            _ => None,
        }
    }

    /// The first occurrence after both `current` and `now`: a late report covers every
    /// period it missed. `None` past the series' end (and for one-off dues).
    pub(crate) fn next_after_at(&self, current: Timestamp, now: Timestamp) -> Option<Timestamp> {
        let next = self.next_after(current)?;
        let Due::Every { every, until, .. } = *self else {
            return None;
        };
        if next > now {
            return Some(next);
        }
        let every = every.as_seconds().max(1);
        let missed = now.since(next).as_seconds() / every + 1;
        let next = next.saturating_add(crate::time::Span::from_seconds(
            missed.saturating_mul(every),
        ));
        (next <= until && next > now).then_some(next)
    }

    /// The last due time for a task started at `start`.
    pub fn last(&self, calendar: &Calendar, start: Timestamp) -> Option<Timestamp> {
        let first = self.first(calendar, start)?;
        match *self {
            Due::Every { every, until, .. } => {
                let steps = until.since(first).as_seconds() / every.as_seconds().max(1);
                Some(
                    first.saturating_add(crate::time::Span::from_seconds(
                        steps * every.as_seconds(),
                    )),
                )
            }
            _ => Some(first),
        }
    }
}

/// The planned schedule of every task, in task order. Dependencies are resolved in
/// topological order; the workflow is acyclic by validation.
pub(crate) fn plan(workflow: &Workflow) -> Vec<Planned> {
    let issued = workflow.directive.issued_at;
    let mut planned: Vec<Option<Planned>> = vec![None; workflow.tasks.len()];
    for task in topological(workflow) {
        let spec = &workflow.tasks[task.index()];
        let dependencies_end = spec
            .depends_on
            .iter()
            .filter_map(|d| planned[d.index()].map(|p| p.due.unwrap_or(p.start)))
            .max();
        let start = spec.start.resolve(issued, dependencies_end);
        let due = spec.due.and_then(|d| d.last(&workflow.calendar, start));
        planned[task.index()] = Some(Planned { start, due });
    }
    planned
        .into_iter()
        .map(|p| {
            p.unwrap_or(Planned {
                start: issued,
                due: None,
            })
        })
        .collect()
}

/// Tasks with every dependency before its dependants (Kahn's algorithm, stable by index).
pub(crate) fn topological(workflow: &Workflow) -> Vec<TaskId> {
    let n = workflow.tasks.len();
    let mut pending: Vec<usize> = workflow.tasks.iter().map(|t| t.depends_on.len()).collect();
    let mut ready: std::collections::BTreeSet<usize> =
        (0..n).filter(|&i| pending[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(i) = ready.pop_first() {
        order.push(TaskId(i as u32));
        for dependent in &workflow.dependents[i] {
            let d = dependent.index();
            pending[d] -= 1;
            if pending[d] == 0 {
                ready.insert(d);
            }
        }
    }
    order
}

/// The chain of tasks that ends last: from the task with the latest planned end, follow
/// at each step the dependency that ends latest (ties: lowest index).
pub(crate) fn critical_chain(
    workflow: &Workflow,
    end_of: impl Fn(TaskId) -> Timestamp,
) -> Vec<TaskId> {
    let Some(mut at) = (0..workflow.tasks.len())
        .map(|i| TaskId(i as u32))
        .max_by(|a, b| end_of(*a).cmp(&end_of(*b)).then(b.cmp(a)))
    else {
        return Vec::new();
    };
    let mut chain = vec![at];
    // Bounded by the task count: the graph is acyclic.
    for _ in 0..workflow.tasks.len() {
        let next = workflow.tasks[at.index()]
            .depends_on
            .iter()
            .copied()
            .max_by(|a, b| end_of(*a).cmp(&end_of(*b)).then(b.cmp(a)));
        match next {
            Some(next) => {
                chain.push(next);
                at = next;
            }
            None => break,
        }
    }
    chain.reverse();
    chain
}

impl Workflow {
    /// The planned start and due time of every task, in task order, assuming the
    /// directive starts at its issue time and dependencies finish exactly when due.
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// let plan = workflow.plan();
    /// assert_eq!(plan.len(), workflow.tasks().len());
    /// ```
    pub fn plan(&self) -> Vec<Planned> {
        plan(self)
    }

    /// The planned critical path: the dependency chain that ends last, first task first.
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// let path = workflow.critical_path();
    /// let ids: Vec<_> = path.iter().map(|t| workflow.task(*t).id.as_str()).collect();
    /// assert_eq!(ids.last(), Some(&"mobilise"));
    /// ```
    pub fn critical_path(&self) -> Vec<TaskId> {
        let plan = plan(self);
        critical_chain(self, |t| {
            let p = plan[t.index()];
            p.due.unwrap_or(p.start)
        })
    }
}
