//! The planned schedule: when each task would start and fall due if every dependency
//! finished exactly at its due time. Used for warnings, `inspect` and the critical path.

use crate::model::calendar::Calendar;
use crate::model::spec::Within;
use crate::model::time::Timestamp;
use crate::model::workflow::{Due, Start, TaskId, Workflow};
use serde::Serialize;
use time::{Date, Month, Time};

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

/// A due time the rule would give lies outside the representable range
/// ([`Timestamp::MIN`] to [`Timestamp::MAX`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OutOfRange;

/// `Some(t)` when `t` is representable; the calendar's arithmetic gives `None` past the
/// dates `time` knows, and local times near them can still fall outside the range.
fn representable(t: Option<Timestamp>) -> Result<Timestamp, OutOfRange> {
    t.filter(|t| t.in_range()).ok_or(OutOfRange)
}

impl Due {
    /// The first due time for a task started at `start`.
    ///
    /// `None` when the rule yields no time: a recurring series that ends before its first
    /// occurrence, or a time outside the representable range ([`Timestamp::MIN`] to
    /// [`Timestamp::MAX`]; loading refuses a rule that gives one on the planned
    /// schedule, `out-of-range`).
    pub fn first(&self, calendar: &Calendar, start: Timestamp) -> Option<Timestamp> {
        self.first_checked(calendar, start).ok().flatten()
    }

    /// [`Due::first`], telling a series without occurrence (`Ok(None)`) from a time out
    /// of range (`Err`).
    pub(crate) fn first_checked(
        &self,
        calendar: &Calendar,
        start: Timestamp,
    ) -> Result<Option<Timestamp>, OutOfRange> {
        let first = match *self {
            Due::At(t) => Some(t),
            Due::After(span) => Some(start.saturating_add(span)),
            Due::Days(n) => calendar.add_days(start, n),
            Due::WorkingDays(n) => calendar.add_working_days(start, n),
            Due::ClockTime { at, days } => calendar.clock_time(start, days, at),
            Due::Every { every, at, until } => {
                let first = representable(match at {
                    Some(at) => calendar.next_clock_time(start, at),
                    None => Some(start.saturating_add(every)),
                });
                // A first occurrence after `until` (itself in range) is no occurrence.
                return match first {
                    Ok(first) => Ok((first <= until).then_some(first)),
                    Err(OutOfRange) => Ok(None),
                };
            }
            Due::Periodic { .. } => {
                let Some(periodic) = Periodic::of(self, calendar) else {
                    return Ok(None);
                };
                let (day, _) = start.local(calendar.offset()).ok_or(OutOfRange)?;
                let first = periodic.first_on_or_after(day).ok_or(OutOfRange)?;
                return periodic.due_checked(first);
            }
        };
        representable(first).map(Some)
    }

    /// The occurrence after `current` of a recurring due, or `None` past its end (and for
    /// one-off dues).
    ///
    /// ```
    /// # use directrix_core::{time::Calendar, workflow::Due, Timestamp, time::UtcOffset};
    /// # use directrix_core::spec::{Period, Within};
    /// let calendar = Calendar::new(UtcOffset::UTC);
    /// let monthly = Due::Periodic {
    ///     period: Period::Monthly,
    ///     cutoff_day: 14,
    ///     within: Within::WorkingDays(2),
    ///     until: time::macros::date!(2024 - 12 - 31),
    /// };
    /// // Cut-off Wednesday 14/02, due two working days later, Friday 16/02 at 17:00;
    /// // the next cut-off is Thursday 14/03, due Monday 18/03.
    /// let february = Timestamp::parse("2024-02-16 17:00", UtcOffset::UTC).unwrap();
    /// let next = monthly.next_after(&calendar, february).unwrap();
    /// assert_eq!(next.to_short(UtcOffset::UTC), "2024-03-18 17:00");
    /// ```
    pub fn next_after(&self, calendar: &Calendar, current: Timestamp) -> Option<Timestamp> {
        match *self {
            Due::Every { every, until, .. } => {
                let next = current.saturating_add(every);
                (next <= until && next > current).then_some(next)
            }
            Due::Periodic { .. } => Periodic::of(self, calendar)?.due_after(current),
            _ => None,
        }
        .filter(|t| t.in_range())
    }

    /// The first occurrence after both `current` and `now`: a late report covers every
    /// period it missed. `None` past the series' end (and for one-off dues).
    pub(crate) fn next_after_at(
        &self,
        calendar: &Calendar,
        current: Timestamp,
        now: Timestamp,
    ) -> Option<Timestamp> {
        if let Due::Periodic { .. } = self {
            return Periodic::of(self, calendar)?
                .due_after(current.max(now))
                .filter(|t| t.in_range());
        }
        let next = self.next_after(calendar, current)?;
        let Due::Every { every, until, .. } = *self else {
            return None;
        };
        if next > now {
            return Some(next);
        }
        let every = every.as_seconds().max(1);
        let missed = now.since(next).as_seconds() / every + 1;
        let next = next.saturating_add(crate::model::time::Span::from_seconds(
            missed.saturating_mul(every),
        ));
        (next <= until && next > now).then_some(next)
    }

    /// The last due time for a task started at `start`; `None` as for [`Due::first`].
    pub fn last(&self, calendar: &Calendar, start: Timestamp) -> Option<Timestamp> {
        self.last_checked(calendar, start).ok().flatten()
    }

    /// [`Due::last`], telling a series without occurrence (`Ok(None)`) from a time out of
    /// range (`Err`): a periodic series whose last period falls due past the range.
    pub(crate) fn last_checked(
        &self,
        calendar: &Calendar,
        start: Timestamp,
    ) -> Result<Option<Timestamp>, OutOfRange> {
        let Some(first) = self.first_checked(calendar, start)? else {
            return Ok(None);
        };
        match *self {
            Due::Every { every, until, .. } => {
                let steps = until.since(first).as_seconds() / every.as_seconds().max(1);
                // At or before `until`, so in range.
                Ok(Some(first.saturating_add(
                    crate::model::time::Span::from_seconds(
                        steps.saturating_mul(every.as_seconds()),
                    ),
                )))
            }
            Due::Periodic { .. } => {
                let Some(periodic) = Periodic::of(self, calendar) else {
                    return Ok(None);
                };
                let Some(last) = periodic.last_cutoff() else {
                    return Err(OutOfRange);
                };
                Ok(periodic.due_checked(last)?.filter(|last| *last >= first))
            }
            _ => Ok(Some(first)),
        }
    }
}

/// Bounds every walk over periods: a hundred years of months.
const MAX_PERIODS: u32 = 1200;

/// A [`Due::Periodic`] rule with its calendar. Periods are numbered by the month count
/// `year * 12 + month0` of their last (cut-off) month.
struct Periodic<'c> {
    calendar: &'c Calendar,
    months: i32,
    cutoff_day: u8,
    within: Within,
    until: Date,
}

impl<'c> Periodic<'c> {
    fn of(due: &Due, calendar: &'c Calendar) -> Option<Self> {
        let Due::Periodic {
            period,
            cutoff_day,
            within,
            until,
        } = *due
        else {
            return None;
        };
        Some(Self {
            calendar,
            months: i32::from(period.months()),
            cutoff_day,
            within,
            until,
        })
    }

    /// The cut-off date of the period ending in month `m`.
    fn cutoff(&self, m: i32) -> Option<Date> {
        let year = m.div_euclid(12);
        let month = Month::try_from(u8::try_from(m.rem_euclid(12) + 1).ok()?).ok()?;
        let day = self.cutoff_day.clamp(1, month.length(year));
        Date::from_calendar_date(year, month, day).ok()
    }

    /// The last aligned period month at or before month `m` (quarters end in March, ...).
    fn aligned_at_or_before(&self, m: i32) -> i32 {
        m - (m + 1).rem_euclid(self.months)
    }

    fn month_of(date: Date) -> i32 {
        date.year() * 12 + i32::from(u8::from(date.month())) - 1
    }

    /// The due time of the period ending in month `m`, if its cut-off is within `until`.
    fn due(&self, m: i32) -> Option<Timestamp> {
        self.cutoff(m).filter(|c| *c <= self.until)?;
        self.due_unbounded(m)
    }

    /// [`Periodic::due`], `Ok(None)` past `until` and `Err` when the due time of a period
    /// within `until` is out of range.
    fn due_checked(&self, m: i32) -> Result<Option<Timestamp>, OutOfRange> {
        match self.cutoff(m) {
            Some(cutoff) if cutoff <= self.until => representable(self.due_unbounded(m)).map(Some),
            Some(_) => Ok(None),
            None => Err(OutOfRange),
        }
    }

    /// The first period whose cut-off falls on or after `day`.
    fn first_on_or_after(&self, day: Date) -> Option<i32> {
        let m = self.aligned_at_or_before(Self::month_of(day) + self.months - 1);
        if self.cutoff(m)? >= day {
            Some(m)
        } else {
            Some(m + self.months)
        }
    }

    /// The last period whose cut-off falls on or before `until`.
    fn last_cutoff(&self) -> Option<i32> {
        let m = self.aligned_at_or_before(Self::month_of(self.until));
        if self.cutoff(m)? <= self.until {
            Some(m)
        } else {
            Some(m - self.months)
        }
    }

    /// The first due time strictly after `after`. Due times rise with the cut-off, so walk
    /// back to a period due at or before `after`, then forward to the first one after it.
    fn due_after(&self, after: Timestamp) -> Option<Timestamp> {
        let (day, _) = after.local(self.calendar.offset())?;
        let mut m = self.aligned_at_or_before(Self::month_of(day));
        for _ in 0..MAX_PERIODS {
            match self.due_unbounded(m) {
                Some(due) if due > after => m -= self.months,
                _ => break,
            }
        }
        for _ in 0..MAX_PERIODS {
            m += self.months;
            // Past `until`, no later period is due either.
            self.cutoff(m).filter(|c| *c <= self.until)?;
            if let Some(due) = self.due(m).filter(|due| *due > after) {
                return Some(due);
            }
        }
        None
    }

    /// [`Periodic::due`] ignoring `until` (walking back may cross it).
    fn due_unbounded(&self, m: i32) -> Option<Timestamp> {
        let cutoff = self.cutoff(m)?;
        let from = Timestamp::from_local(cutoff, Time::MIDNIGHT, self.calendar.offset());
        match self.within {
            Within::WorkingDays(n) => self.calendar.add_working_days(from, n),
            Within::Days(n) => self.calendar.add_days(from, n),
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

/// The tasks whose due rule gives a time outside the representable range on the planned
/// schedule (first or last occurrence), with their planned start: loading refuses them
/// (`out-of-range`), and so does a compiled workflow.
pub(crate) fn dues_out_of_range(workflow: &Workflow) -> Vec<(TaskId, Timestamp)> {
    let plan = plan(workflow);
    let calendar = &workflow.calendar;
    workflow
        .tasks
        .iter()
        .enumerate()
        .filter_map(|(i, task)| {
            let (due, start) = (task.due?, plan[i].start);
            (due.first_checked(calendar, start).is_err()
                || due.last_checked(calendar, start).is_err())
            .then_some((TaskId(i as u32), start))
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
    /// Every member's instance of a task is planned alike, so a dependency waited for per
    /// member ([`crate::model::workflow::Task::per_member`]) plans as one waited for in
    /// full: the plan is per task.
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// let plan = workflow.plan();
    /// assert_eq!(plan.len(), workflow.tasks().len());
    /// ```
    pub fn plan(&self) -> Vec<Planned> {
        plan(self)
    }

    /// The planned critical path: the dependency chain that ends last, first task first.
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
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
