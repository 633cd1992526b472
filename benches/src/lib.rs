//! Shared fixtures of the benchmarks (see `benches/` and `README.md`).
//!
//! Everything here is built outside the timed loops: workflow and scenario texts, loaded
//! workflows and scenarios, thread pools. The benchmarks then time only the work they
//! name (parsing and validation, one simulation, a Monte Carlo of many runs).
#![deny(missing_docs)]

use directrix_core::{
    CascadeParams, GeneratedCascade, MonteCarloReport, RunOutcome, Scenario, Workflow, aggregate,
    generate_cascade, load, run_outcome, run_seed,
};
use rayon::ThreadPool;
use rayon::prelude::*;
use std::sync::Arc;

/// The seed workflow: letter 114/CV-HU of Kiến Xương.
pub const SEED_WORKFLOW: &str = include_str!("../../workflows/kien-xuong-114-cv-hu.ron");

/// The behaviour scenario of the seed workflow (random delays, for Monte Carlo).
pub const SEED_BEHAVIOUR_SCENARIO: &str =
    include_str!("../../workflows/kien-xuong-114-cv-hu.behaviour.scenario.ron");

/// The master seed of every Monte Carlo benchmark (the CLI's `--seed 1`).
pub const MASTER_SEED: u64 = 1;

/// The number of runs of the Monte Carlo benchmarks.
pub const MONTE_CARLO_RUNS: u64 = 10_000;

/// The national cascade: 63 provinces, 700 districts, 10,000 communes, seed 1 (what
/// `directrix generate cascade --seed 1` writes).
pub const NATIONAL: CascadeParams = CascadeParams {
    provinces: 63,
    districts: 700,
    communes: 10_000,
    seed: 1,
};

/// The generated text of the national cascade (workflow and behaviour scenario).
pub fn national_text() -> GeneratedCascade {
    generate_cascade(NATIONAL)
}

/// A loaded workflow with a scenario of it, ready to simulate.
pub struct Fixture {
    /// The validated workflow, shared by every run.
    pub workflow: Arc<Workflow>,
    /// The scenario to simulate.
    pub scenario: Scenario,
}

impl Fixture {
    /// Loads a workflow text and a scenario text of it.
    ///
    /// # Panics
    /// When either text does not load: fixtures are known to be valid.
    pub fn from_text(workflow: &str, scenario: &str) -> Self {
        let workflow = Arc::new(load(workflow).expect("fixture workflow loads").workflow);
        let (scenario, _warnings) =
            Scenario::load(scenario, &workflow).expect("fixture scenario loads");
        Self { workflow, scenario }
    }

    /// The seed workflow with its behaviour scenario.
    pub fn seed() -> Self {
        Self::from_text(SEED_WORKFLOW, SEED_BEHAVIOUR_SCENARIO)
    }

    /// The national cascade ([`NATIONAL`]) with its generated behaviour scenario.
    pub fn national() -> Self {
        let text = national_text();
        Self::from_text(&text.workflow, &text.scenario)
    }

    /// Monte Carlo on the calling thread: `runs` runs of [`run_outcome`] with seeds
    /// [`run_seed`]`(master, i)`, folded by [`aggregate`].
    pub fn monte_carlo_sequential(&self, runs: u64, master: u64) -> MonteCarloReport {
        let outcomes: Vec<RunOutcome> = (0..runs)
            .map(|i| run_outcome(&self.workflow, &self.scenario, run_seed(master, i)))
            .collect();
        aggregate(&self.workflow, &self.scenario, master, &outcomes)
    }

    /// Monte Carlo on `pool`, as the CLI does it: `into_par_iter().map(run_outcome)`
    /// collected in run order, then [`aggregate`] on the calling thread.
    pub fn monte_carlo_parallel(
        &self,
        pool: &ThreadPool,
        runs: u64,
        master: u64,
    ) -> MonteCarloReport {
        let outcomes: Vec<RunOutcome> = pool.install(|| {
            (0..runs)
                .into_par_iter()
                .map(|i| run_outcome(&self.workflow, &self.scenario, run_seed(master, i)))
                .collect()
        });
        aggregate(&self.workflow, &self.scenario, master, &outcomes)
    }
}

/// A rayon thread pool of exactly `threads` threads.
///
/// # Panics
/// When the operating system refuses the threads.
pub fn thread_pool(threads: usize) -> ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool starts")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_and_parallel_monte_carlo_agree() {
        let fixture = Fixture::seed();
        let sequential = fixture.monte_carlo_sequential(50, MASTER_SEED);
        let parallel = fixture.monte_carlo_parallel(&thread_pool(2), 50, MASTER_SEED);
        assert_eq!(sequential.runs, 50);
        assert_eq!(
            sequential, parallel,
            "the report depends only on the master seed and the number of runs"
        );
    }
}
