//! Monte Carlo: many independent runs of a scenario with behaviour models, summarised
//! into distributions.
//!
//! Run `i` uses the seed [`run_seed`]`(master, i)`, and [`aggregate`] folds outcomes in
//! run order, so the report depends only on the master seed and the number of runs: a
//! host may run them on any number of threads or machines and merge the outcomes.

use crate::engine::{EffectKind, Phase};
use crate::model::workflow::{AgencyId, TaskId, Workflow};
use crate::sim::simulate::{Scenario, SimulateError, TimelineEntry, drive};
use serde::Serialize;
use std::sync::Arc;

/// The seed of run `index` under `master` (SplitMix64 of their combination): seeds of
/// neighbouring runs are unrelated, and any host derives the same ones.
///
/// ```
/// use directrix_core::simulation::run_seed;
/// assert_eq!(run_seed(1, 0), run_seed(1, 0));
/// assert_ne!(run_seed(1, 0), run_seed(1, 1));
/// ```
pub fn run_seed(master: u64, index: u64) -> u64 {
    let mut z = master
        .wrapping_add(index.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What one run contributes to the statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    /// Per task: seconds from the start until its last instance was done, if all were.
    finished: Vec<Option<i64>>,
    /// Per task: instances done without ever missing a due time.
    on_time: Vec<u32>,
    /// Per task, per level (0-based): escalation effects.
    escalations: Vec<Vec<u32>>,
    /// Per agency: reminders, warnings and escalations addressed to it.
    received: Vec<u32>,
    /// Per agency: reminders, warnings and escalations about tasks it leads.
    caused: Vec<u32>,
    /// Per agency, per level (0-based): the same, by escalation level.
    caused_by_level: Vec<Vec<u32>>,
    /// Per agency: seconds late summed over the task instances it leads.
    late: Vec<i64>,
    /// Agencies leading a task on the final critical path.
    critical_agencies: Vec<AgencyId>,
    /// Tasks on the final critical path.
    critical_tasks: Vec<TaskId>,
    /// Some escalation reached the last level of its policy.
    top_reached: bool,
}

impl RunOutcome {
    /// Per task: seconds from the start until its last instance was done, if all were.
    pub fn finished(&self) -> &[Option<i64>] {
        &self.finished
    }

    /// Seconds from the start until every task was done (the last one's finish), if all
    /// were: the run's overall finish. A workflow without tasks finishes at once.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// # let (scenario, _) = directrix_core::Scenario::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.behaviour.scenario.ron"), &workflow).unwrap();
    /// let outcome = directrix_core::simulation::run_outcome(&workflow, &scenario, 1)?;
    /// match outcome.finish() {
    ///     Some(end) => assert!(outcome.finished().iter().all(|f| f.is_some_and(|f| f <= end))),
    ///     None => assert!(outcome.finished().contains(&None)),
    /// }
    /// # Ok::<(), directrix_core::SimulateError>(())
    /// ```
    pub fn finish(&self) -> Option<i64> {
        self.finished
            .iter()
            .try_fold(0i64, |last, f| f.map(|f| last.max(f)))
    }
}

/// The most levels any policy has.
fn max_levels(workflow: &Workflow) -> usize {
    workflow
        .policies()
        .iter()
        .map(|p| p.levels.len())
        .max()
        .unwrap_or(0)
}

/// Runs one simulation and keeps only what the statistics need: the timeline is
/// folded as it happens, never kept.
///
/// # Errors
/// The run's [`SimulateError`] (the workflow's `effects-per-run` limit applies to each
/// run).
///
/// ```
/// # use std::sync::Arc;
/// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
/// # let (scenario, _) = directrix_core::Scenario::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.behaviour.scenario.ron"), &workflow).unwrap();
/// let a = directrix_core::simulation::run_outcome(&workflow, &scenario, 9)?;
/// assert_eq!(a, directrix_core::simulation::run_outcome(&workflow, &scenario, 9)?);
/// # Ok::<(), directrix_core::SimulateError>(())
/// ```
pub fn run_outcome(
    workflow: &Arc<Workflow>,
    scenario: &Scenario,
    seed: u64,
) -> Result<RunOutcome, SimulateError> {
    let tasks = workflow.tasks();
    let mut outcome = RunOutcome {
        finished: vec![None; tasks.len()],
        on_time: vec![0; tasks.len()],
        escalations: tasks
            .iter()
            .map(|t| vec![0; t.policy.map_or(0, |p| workflow.policies()[p].levels.len())])
            .collect(),
        received: vec![0; workflow.agencies().len()],
        caused: vec![0; workflow.agencies().len()],
        caused_by_level: vec![vec![0; max_levels(workflow)]; workflow.agencies().len()],
        late: vec![0; workflow.agencies().len()],
        critical_agencies: Vec::new(),
        critical_tasks: Vec::new(),
        top_reached: false,
    };
    let ended = drive(Arc::clone(workflow), scenario, seed, None, &mut |entry| {
        let TimelineEntry::Effect(effect) = entry else {
            return;
        };
        let (EffectKind::Reminded { level, target }
        | EffectKind::Warned { level, target }
        | EffectKind::Escalated { level, target }
        | EffectKind::Reassigned { level, target }) = effect.kind
        else {
            return;
        };
        let task = workflow.task_slot(effect.task).task;
        let levels = &mut outcome.escalations[task.index()];
        if let Some(count) = levels.get_mut(usize::from(level).saturating_sub(1)) {
            *count += 1;
        }
        if usize::from(level) == levels.len() {
            outcome.top_reached = true;
        }
        outcome.received[target.index()] += 1;
        if let Some(lead) = workflow.leads_of(effect.task).first() {
            outcome.caused[lead.index()] += 1;
            if let Some(count) =
                outcome.caused_by_level[lead.index()].get_mut(usize::from(level).saturating_sub(1))
            {
                *count += 1;
            }
        }
    })?;
    let instance = &ended.instance;
    let start = instance.started_at();
    let end = ended.until;
    // The latest-finishing instance of each task stands for it on the critical path.
    let mut last_lead: Vec<Option<AgencyId>> = vec![None; tasks.len()];
    for (t, task) in tasks.iter().enumerate() {
        let mut all_done = true;
        let mut latest: Option<(i64, AgencyId)> = None;
        for i in task.instances.clone() {
            let id = crate::model::workflow::TaskRef(i);
            let Some(state) = instance.task_state(id) else {
                continue;
            };
            let lead = workflow.leads_of(id).first().copied();
            let done = state.phase == Phase::Running
                && state.finished_at.is_some()
                && workflow.machine_of(id).states[state.state.index()].kind
                    == crate::model::spec::StateKind::Done;
            let finish = state.finished_at.filter(|_| done);
            match finish {
                Some(_) if !state.ever_overdue => outcome.on_time[t] += 1,
                Some(_) => {}
                None => all_done = false,
            }
            let reference = finish.unwrap_or(end);
            if let (Some(due), Some(lead)) = (state.first_due, lead)
                && reference > due
            {
                outcome.late[lead.index()] += reference.since(due).as_seconds();
            }
            if let Some(lead) = lead {
                let at = reference.since(start).as_seconds();
                if latest.is_none_or(|(best, _)| at > best) {
                    latest = Some((at, lead));
                }
            }
        }
        last_lead[t] = latest.map(|(_, lead)| lead);
        if all_done {
            outcome.finished[t] = Some(latest.map_or(0, |(at, _)| at));
        }
    }
    outcome.critical_tasks = instance.critical_path();
    for task in &outcome.critical_tasks {
        if let Some(lead) = last_lead[task.index()]
            && !outcome.critical_agencies.contains(&lead)
        {
            outcome.critical_agencies.push(lead);
        }
    }
    Ok(outcome)
}

/// Percentiles of a distribution, in hours from the start.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Percentiles {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
}

/// Statistics of one task.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct TaskStats {
    /// Task id.
    pub task: String,
    /// Task instances per run.
    pub instances: usize,
    /// Share of task instances done without missing a due time, over all runs.
    pub on_time_probability: f64,
    /// Share of runs in which every instance was done by the horizon.
    pub completed_probability: f64,
    /// Completion time in hours from the start, over the runs in which it completed.
    pub completion_hours: Option<Percentiles>,
    /// Mean escalation effects per run, by level (index 0 is level 1).
    pub escalations_by_level: Vec<f64>,
    /// Share of runs in which the task is on the critical path.
    pub criticality: f64,
}

/// Statistics of one agency.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct AgencyStats {
    /// Agency id.
    pub agency: String,
    /// Display name.
    pub name: String,
    /// Mean reminders, warnings and escalations addressed to it per run.
    pub escalations_received: f64,
    /// Mean reminders, warnings and escalations about tasks it leads per run.
    pub escalations_caused: f64,
    /// The same by escalation level (index 0 is level 1): the agency × level heatmap.
    pub escalations_caused_by_level: Vec<f64>,
    /// Mean hours late per run, summed over the task instances it leads.
    pub late_hours: f64,
    /// Share of runs in which it leads a task on the critical path.
    pub criticality_index: f64,
}

/// The result of a Monte Carlo study. A documented JSON contract (README).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct MonteCarloReport {
    /// Directive number.
    pub directive: String,
    /// Scenario name.
    pub scenario: String,
    /// Number of runs.
    pub runs: usize,
    /// Master seed.
    pub seed: u64,
    /// Per task, in workflow order.
    pub tasks: Vec<TaskStats>,
    /// Per agency with any activity, in workflow order.
    pub agencies: Vec<AgencyStats>,
    /// Agency ids ranked as bottlenecks: most hours late first, then criticality.
    pub bottlenecks: Vec<String>,
    /// Share of runs in which some escalation reached the last level of its policy.
    pub top_level_probability: f64,
}

impl Percentiles {
    /// The nearest-rank percentiles of durations in seconds, sorted, in hours; `None` for
    /// no durations. The one computation of percentiles: the report's tasks and the HTML
    /// report's overall finish both come through it.
    ///
    /// ```
    /// let p = directrix_core::simulation::Percentiles::of_sorted(&[3_600, 7_200, 36_000]).unwrap();
    /// assert_eq!((p.p50, p.p90, p.p99), (2.0, 10.0, 10.0));
    /// assert_eq!(directrix_core::simulation::Percentiles::of_sorted(&[]), None);
    /// ```
    pub fn of_sorted(seconds: &[i64]) -> Option<Self> {
        let at = |p: f64| {
            let rank = ((p * seconds.len() as f64).ceil() as usize).clamp(1, seconds.len());
            seconds[rank - 1] as f64 / 3_600.0
        };
        (!seconds.is_empty()).then(|| Self {
            p50: at(0.5),
            p90: at(0.9),
            p99: at(0.99),
        })
    }
}

fn ratio(part: f64, whole: usize) -> f64 {
    if whole == 0 { 0.0 } else { part / whole as f64 }
}

/// Folds run outcomes (in run order) into the report.
pub fn aggregate(
    workflow: &Workflow,
    scenario: &Scenario,
    seed: u64,
    outcomes: &[RunOutcome],
) -> MonteCarloReport {
    let runs = outcomes.len();
    let tasks = workflow
        .tasks()
        .iter()
        .enumerate()
        .map(|(t, task)| {
            let instances = task.instances.len();
            let mut finished: Vec<i64> = outcomes.iter().filter_map(|o| o.finished[t]).collect();
            finished.sort_unstable();
            let on_time: u64 = outcomes.iter().map(|o| u64::from(o.on_time[t])).sum();
            let levels = task
                .policy
                .map_or(0, |p| workflow.policies()[p].levels.len());
            TaskStats {
                task: task.id.clone(),
                instances,
                on_time_probability: ratio(on_time as f64, runs * instances),
                completed_probability: ratio(finished.len() as f64, runs),
                completion_hours: Percentiles::of_sorted(&finished),
                escalations_by_level: (0..levels)
                    .map(|l| {
                        ratio(
                            outcomes
                                .iter()
                                .map(|o| f64::from(o.escalations[t][l]))
                                .sum(),
                            runs,
                        )
                    })
                    .collect(),
                criticality: ratio(
                    outcomes
                        .iter()
                        .filter(|o| o.critical_tasks.iter().any(|c| c.index() == t))
                        .count() as f64,
                    runs,
                ),
            }
        })
        .collect();
    let agencies: Vec<AgencyStats> = workflow
        .agencies()
        .iter()
        .enumerate()
        .map(|(a, agency)| AgencyStats {
            agency: agency.id.clone(),
            name: agency.name.clone(),
            escalations_received: ratio(
                outcomes.iter().map(|o| f64::from(o.received[a])).sum(),
                runs,
            ),
            escalations_caused: ratio(outcomes.iter().map(|o| f64::from(o.caused[a])).sum(), runs),
            escalations_caused_by_level: (0..max_levels(workflow))
                .map(|l| {
                    ratio(
                        outcomes
                            .iter()
                            .map(|o| f64::from(o.caused_by_level[a][l]))
                            .sum(),
                        runs,
                    )
                })
                .collect(),
            late_hours: ratio(
                outcomes.iter().map(|o| o.late[a] as f64 / 3_600.0).sum(),
                runs,
            ),
            criticality_index: ratio(
                outcomes
                    .iter()
                    .filter(|o| o.critical_agencies.iter().any(|c| c.index() == a))
                    .count() as f64,
                runs,
            ),
        })
        .filter(|s| {
            s.escalations_received > 0.0
                || s.escalations_caused > 0.0
                || s.late_hours > 0.0
                || s.criticality_index > 0.0
        })
        .collect();
    let mut ranked: Vec<&AgencyStats> = agencies.iter().filter(|a| a.late_hours > 0.0).collect();
    ranked.sort_by(|a, b| {
        b.late_hours
            .total_cmp(&a.late_hours)
            .then(b.criticality_index.total_cmp(&a.criticality_index))
            .then(a.agency.cmp(&b.agency))
    });
    MonteCarloReport {
        directive: workflow.directive().number.clone(),
        scenario: scenario.name.clone(),
        runs,
        seed,
        tasks,
        bottlenecks: ranked.iter().take(10).map(|a| a.agency.clone()).collect(),
        agencies,
        top_level_probability: ratio(
            outcomes.iter().filter(|o| o.top_reached).count() as f64,
            runs,
        ),
    }
}

/// Runs `runs` simulations on this thread and aggregates them; hosts with threads run
/// [`run_outcome`] in parallel and call [`aggregate`] themselves.
///
/// # Errors
/// The first failing run's [`SimulateError`]: a study over runs that did not all reach
/// the horizon would not be what it says.
///
/// ```
/// # use std::sync::Arc;
/// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
/// # let (scenario, _) = directrix_core::Scenario::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.behaviour.scenario.ron"), &workflow).unwrap();
/// let report = directrix_core::simulation::monte_carlo(&workflow, &scenario, 20, 1)?;
/// assert_eq!(report.runs, 20);
/// assert!(report.tasks.iter().all(|t| (0.0..=1.0).contains(&t.on_time_probability)));
/// # Ok::<(), directrix_core::SimulateError>(())
/// ```
pub fn monte_carlo(
    workflow: &Arc<Workflow>,
    scenario: &Scenario,
    runs: usize,
    seed: u64,
) -> Result<MonteCarloReport, SimulateError> {
    let outcomes = (0..runs as u64)
        .map(|i| run_outcome(workflow, scenario, run_seed(seed, i)))
        .collect::<Result<Vec<RunOutcome>, SimulateError>>()?;
    Ok(aggregate(workflow, scenario, seed, &outcomes))
}
