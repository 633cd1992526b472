//! Monte Carlo: many independent runs of a scenario with behaviour models, summarised
//! into distributions.
//!
//! Run `i` uses the seed [`run_seed`]`(master, i)`, and [`aggregate`] folds outcomes in
//! run order, so the report depends only on the master seed and the number of runs: a
//! host may run them on any number of threads or machines and merge the outcomes.

use crate::engine::{EffectKind, Phase};
use crate::model::time::Timestamp;
use crate::model::workflow::{AgencyId, TaskId, Workflow};
use crate::sim::simulate::{Scenario, SimulateError, TimelineEntry, drive};
use serde::{Deserialize, Serialize};
use std::ops::Range;
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

/// What one run contributes to the statistics. Serialisable, so the runs of one study can
/// be shared out ([`Shard`]); [`RunOutcome::fits`] checks one read back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

    /// Whether this outcome has the shape a run of `workflow` gives: a value per task,
    /// per level of each task's policy and per agency, and ids inside the workflow. An
    /// outcome read from a file is checked with it before [`aggregate`] indexes by it.
    pub fn fits(&self, workflow: &Workflow) -> bool {
        let tasks = workflow.tasks();
        let agencies = workflow.agencies().len();
        let levels = max_levels(workflow);
        let level_counts = |t: &crate::model::workflow::Task| {
            t.policy.map_or(0, |p| workflow.policies()[p].levels.len())
        };
        self.finished.len() == tasks.len()
            && self.finished.iter().flatten().all(|&f| f >= 0)
            && self.on_time.len() == tasks.len()
            && self
                .on_time
                .iter()
                .zip(tasks)
                .all(|(&n, t)| n as usize <= t.instances.len())
            && self.escalations.len() == tasks.len()
            && self
                .escalations
                .iter()
                .zip(tasks)
                .all(|(e, t)| e.len() == level_counts(t))
            && self.received.len() == agencies
            && self.caused.len() == agencies
            && self.caused_by_level.len() == agencies
            && self.caused_by_level.iter().all(|l| l.len() == levels)
            && self.late.len() == agencies
            && self.late.iter().all(|&l| l >= 0)
            && self.critical_agencies.iter().all(|a| a.index() < agencies)
            && self.critical_tasks.iter().all(|t| t.index() < tasks.len())
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

/// The format of [`Shard`] this build writes and reads.
pub const SHARD_FORMAT: u32 = 1;

/// The runs shard `index` of `count` does in a study of `runs`: a contiguous range, the
/// ranges of `0..count` covering `0..runs` in order, their lengths differing by one at
/// most. `None` when `index >= count` or `count` is 0.
///
/// ```
/// use directrix_core::simulation::shard_runs;
/// assert_eq!(shard_runs(10, 0, 3), Some(0..3));
/// assert_eq!(shard_runs(10, 2, 3), Some(6..10));
/// assert_eq!(shard_runs(10, 3, 3), None);
/// ```
pub fn shard_runs(runs: u64, index: u64, count: u64) -> Option<Range<u64>> {
    if index >= count {
        return None;
    }
    // 128-bit products: `runs * index` may not fit in 64 bits.
    let at = |i: u64| (u128::from(runs) * u128::from(i) / u128::from(count)) as u64;
    Some(at(index)..at(index + 1))
}

/// Part of a Monte Carlo study, for splitting it over machines with any batch system:
/// the outcomes of the runs [`shard_runs`] gives shard `index` of `count`. [`merge`]
/// combines the shards of one study into the outcomes of all its runs, in run order, so
/// the merged report is the one a single machine gives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shard {
    /// [`SHARD_FORMAT`] when written.
    pub format: u32,
    /// The [`Workflow::content_hash`] of the workflow simulated.
    pub workflow_hash: String,
    /// The scenario's name.
    pub scenario: String,
    /// The horizon of every run (the scenario's `until`, or the one the host set).
    pub until: Timestamp,
    /// The master seed of the study.
    pub seed: u64,
    /// Runs in the whole study.
    pub runs: u64,
    /// This shard's index, from 0.
    pub index: u64,
    /// Shards in the study.
    pub count: u64,
    /// The outcomes of this shard's runs, in run order.
    pub outcomes: Vec<RunOutcome>,
}

impl Shard {
    /// Runs this shard's part of a study of `runs` with master seed `seed`.
    ///
    /// # Errors
    /// [`ShardError::NoSuchShard`] for an index outside `0..count`; the first failing
    /// run's [`SimulateError`] as [`ShardError::Run`].
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// # let (scenario, _) = directrix_core::Scenario::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.behaviour.scenario.ron"), &workflow).unwrap();
    /// use directrix_core::simulation::{Shard, merge, monte_carlo, aggregate};
    /// let shards = (0..3)
    ///     .map(|i| Shard::run(&workflow, &scenario, 1, 20, i, 3))
    ///     .collect::<Result<Vec<_>, _>>()?;
    /// let outcomes = merge(&workflow, &scenario, &shards)?;
    /// assert_eq!(aggregate(&workflow, &scenario, 1, &outcomes), monte_carlo(&workflow, &scenario, 20, 1)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run(
        workflow: &Arc<Workflow>,
        scenario: &Scenario,
        seed: u64,
        runs: u64,
        index: u64,
        count: u64,
    ) -> Result<Shard, ShardError> {
        let range =
            shard_runs(runs, index, count).ok_or(ShardError::NoSuchShard { index, count })?;
        let outcomes = range
            .map(|i| run_outcome(workflow, scenario, run_seed(seed, i)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ShardError::Run(Box::new(e)))?;
        Ok(Shard::of(
            workflow, scenario, seed, runs, index, count, outcomes,
        ))
    }

    /// A shard of outcomes a host computed itself (on threads, say), runs in order.
    pub fn of(
        workflow: &Workflow,
        scenario: &Scenario,
        seed: u64,
        runs: u64,
        index: u64,
        count: u64,
        outcomes: Vec<RunOutcome>,
    ) -> Shard {
        Shard {
            format: SHARD_FORMAT,
            workflow_hash: workflow.content_hash().to_owned(),
            scenario: scenario.name.clone(),
            until: scenario.until,
            seed,
            runs,
            index,
            count,
            outcomes,
        }
    }
}

/// Why shards do not merge, or a shard cannot run. Every variant names the shard.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ShardError {
    /// No shards were given.
    #[error("no shards to merge")]
    Empty,
    /// The shard index lies outside `0..count`.
    #[error("there is no shard {index} of {count} (shards are numbered from 0 to {count} - 1)")]
    NoSuchShard {
        /// The index asked for.
        index: u64,
        /// Shards in the study.
        count: u64,
    },
    /// A shard of a format this build does not read.
    #[error("shard {index} has format {found}; this directrix reads format {expected}")]
    Format {
        /// The shard's index.
        index: u64,
        /// Its format.
        found: u32,
        /// [`SHARD_FORMAT`].
        expected: u32,
    },
    /// A shard of another workflow, scenario or study (seed, runs, shard count).
    #[error(
        "shard {index} is of another study: its {field} is {found}, the first shard's or the given one's is {expected}"
    )]
    OtherStudy {
        /// The shard's index.
        index: u64,
        /// What differs: `workflow`, `scenario`, `until`, `seed`, `runs` or `count`.
        field: &'static str,
        /// The shard's value.
        found: String,
        /// The value it should have.
        expected: String,
    },
    /// The same shard given twice.
    #[error("shard {index} is given twice")]
    Duplicate {
        /// The shard's index.
        index: u64,
    },
    /// A shard of the study is missing.
    #[error("shard {index} of {count} is missing")]
    Missing {
        /// The first missing index.
        index: u64,
        /// Shards in the study.
        count: u64,
    },
    /// A shard's outcomes are not what its runs give: a wrong number of them, or one
    /// that does not fit the workflow (a damaged or edited file).
    #[error("shard {index} is damaged: {problem}")]
    Damaged {
        /// The shard's index.
        index: u64,
        /// What is wrong.
        problem: String,
    },
    /// A run of the shard failed.
    #[error("{0}")]
    Run(Box<SimulateError>),
}

impl ShardError {
    /// A stable snake_case code: `no_shards`, `no_such_shard`, `shard_format`,
    /// `other_study`, `duplicate_shard`, `missing_shard`, `damaged_shard`, or the failed
    /// run's code.
    pub fn code(&self) -> &'static str {
        match self {
            ShardError::Empty => "no_shards",
            ShardError::NoSuchShard { .. } => "no_such_shard",
            ShardError::Format { .. } => "shard_format",
            ShardError::OtherStudy { .. } => "other_study",
            ShardError::Duplicate { .. } => "duplicate_shard",
            ShardError::Missing { .. } => "missing_shard",
            ShardError::Damaged { .. } => "damaged_shard",
            ShardError::Run(e) => e.code(),
        }
    }
}

/// The outcomes of every run of a study split into `shards`, in run order, after
/// checking that they are all the shards of one study of this workflow and scenario,
/// each once, each whole and fitting the workflow. Feed them to [`aggregate`] with the
/// study's seed (every shard's `seed`).
///
/// # Errors
/// The first problem found, as a [`ShardError`]; nothing is merged.
pub fn merge(
    workflow: &Workflow,
    scenario: &Scenario,
    shards: &[Shard],
) -> Result<Vec<RunOutcome>, ShardError> {
    let first = shards.first().ok_or(ShardError::Empty)?;
    let count = first.count;
    let mut by_index: Vec<Option<&Shard>> = Vec::new();
    for shard in shards {
        let index = shard.index;
        if shard.format != SHARD_FORMAT {
            return Err(ShardError::Format {
                index,
                found: shard.format,
                expected: SHARD_FORMAT,
            });
        }
        let other = |field, found: String, expected: String| ShardError::OtherStudy {
            index,
            field,
            found,
            expected,
        };
        if shard.workflow_hash != workflow.content_hash() {
            let expected = workflow.content_hash().to_owned();
            return Err(other("workflow", shard.workflow_hash.clone(), expected));
        }
        if shard.scenario != scenario.name {
            return Err(other(
                "scenario",
                shard.scenario.clone(),
                scenario.name.clone(),
            ));
        }
        if shard.until != scenario.until {
            let time = |t| workflow.format_time(t);
            return Err(other("until", time(shard.until), time(scenario.until)));
        }
        for (field, found, expected) in [
            ("seed", shard.seed, first.seed),
            ("runs", shard.runs, first.runs),
            ("count", shard.count, count),
        ] {
            if found != expected {
                return Err(other(field, found.to_string(), expected.to_string()));
            }
        }
        let range =
            shard_runs(shard.runs, index, count).ok_or(ShardError::NoSuchShard { index, count })?;
        let damaged = |problem: String| ShardError::Damaged { index, problem };
        if shard.outcomes.len() as u64 != range.end - range.start {
            return Err(damaged(format!(
                "it holds {} outcomes for runs {}..{} ({} runs)",
                shard.outcomes.len(),
                range.start,
                range.end,
                range.end - range.start
            )));
        }
        if let Some(at) = shard.outcomes.iter().position(|o| !o.fits(workflow)) {
            return Err(damaged(format!(
                "the outcome of run {} does not fit the workflow",
                range.start + at as u64
            )));
        }
        // Shards are at most `shards.len()` distinct indices below `count`; a sparse
        // table of that size is enough, whatever `count` claims.
        let slot = usize::try_from(index).map_err(|_| ShardError::NoSuchShard { index, count })?;
        if slot >= shards.len() {
            return Err(ShardError::Missing {
                index: (0..count)
                    .find(|&i| shards.iter().all(|s| s.index != i))
                    .unwrap_or(0),
                count,
            });
        }
        by_index.resize(shards.len(), None);
        if by_index[slot].replace(shard).is_some() {
            return Err(ShardError::Duplicate { index });
        }
    }
    if let Some(index) = (0..count).find(|&i| by_index.get(i as usize).is_none_or(Option::is_none))
    {
        return Err(ShardError::Missing { index, count });
    }
    Ok(by_index
        .into_iter()
        .flatten()
        .flat_map(|shard| shard.outcomes.iter().cloned())
        .collect())
}
