//! Shared fixtures of the benchmarks (see `benches/` and `README.md`).
//!
//! Everything here is built outside the timed loops: workflow and scenario texts, loaded
//! workflows and scenarios, thread pools. The benchmarks then time only the work they
//! name (parsing and validation, one simulation, a Monte Carlo of many runs).
#![deny(missing_docs)]

use directrix_core::{
    Instance, Scenario, Span, Timestamp, Workflow, load, simulation::MonteCarloReport,
    simulation::RunOutcome, simulation::aggregate, simulation::run_outcome, simulation::run_seed,
    workflow::ActionId, workflow::AgencyId, workflow::TaskRef,
};
use directrix_generate::{CascadeParams, GeneratedCascade, generate_cascade};
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
            .map(|i| {
                run_outcome(&self.workflow, &self.scenario, run_seed(master, i))
                    .expect("a run reaches its horizon")
            })
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
                .map(|i| {
                    run_outcome(&self.workflow, &self.scenario, run_seed(master, i))
                        .expect("a run reaches its horizon")
                })
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

// ---------------------------------------------------------------- engine benchmarks
//
// Fixtures of `benches/engine.rs`, added after the ones above.

/// The seed workflow's scripted scenario (two weeks of fixed events, no random draws).
pub const SEED_SCRIPTED_SCENARIO: &str =
    include_str!("../../workflows/kien-xuong-114-cv-hu.scenario.ron");

/// Generated cascades of about 1,000, 10,000 and 60,000 task instances (seed 1).
///
/// A cascade has `2 + 2 × (provinces + districts + communes)` task instances (two tasks
/// fanned out over each level, plus the two national ones), so these give 1,002, 9,928
/// and 59,928 instances; the benchmarks print the exact count in their names.
pub const ENGINE_CASCADES: [CascadeParams; 3] = [
    CascadeParams {
        provinces: 10,
        districts: 90,
        communes: 400,
        seed: 1,
    },
    CascadeParams {
        provinces: 63,
        districts: 700,
        communes: 4_200,
        seed: 1,
    },
    CascadeParams {
        provinces: 63,
        districts: 700,
        communes: 29_200,
        seed: 1,
    },
];

/// The common head of the synthetic engine workflows: directive issued by `a` on Monday
/// 10 May 2021 at 08:00 (+07:00), agencies `top` and `a` (child of `top`).
fn engine_head(out: &mut String, number: &str) {
    use std::fmt::Write;
    let _ = write!(
        out,
        r#"(
    format: 1,
    directive: (number: "{number}", kind: "Bench", issuer: "a", issued_at: "2021-05-10 08:00", subject: "bench"),
    calendar: (utc_offset: "+07:00"),
    agencies: [
        (id: "top", name: "Top"),
        (id: "a", name: "A", parent: "top"),
    ],
"#
    );
}

/// A workflow of `tasks` independent tasks `t0`, `t1`, ... on the built-in `default`
/// lifecycle: agency `a` issues, leads every task and (as the issuer) supervises it; no
/// due time, no policy, so no timers. For the act-throughput benchmark.
pub fn independent_tasks_text(tasks: usize) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(400 + tasks * 48);
    engine_head(&mut out, "1/ACT");
    out.push_str("    tasks: [\n");
    for i in 0..tasks {
        let _ = writeln!(out, r#"        (id: "t{i}", title: "T", lead: ["a"]),"#);
    }
    out.push_str("    ],\n)\n");
    out
}

/// A workflow of `tasks` independent tasks on the `default` lifecycle, each with a due
/// time `After(n min)` spread over the first 7 days (n from 60 to 10,140, scattered by
/// a multiplicative step so neighbours differ) and an escalation policy of four levels
/// (remind at the due time, remind 4 h after entering `assigned`, escalate to the parent
/// a day late, to the supervisor three days late and every two days after). Nobody acts,
/// so every task goes overdue and escalates. For the `advance` benchmark.
pub fn many_timers_text(tasks: usize) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(1_000 + tasks * 80);
    engine_head(&mut out, "1/TIMERS");
    out.push_str(
        r#"    policies: [
        (
            id: "p",
            levels: [
                (after: "0h", action: Remind, target: Lead),
                (after: "4h", from: Entered("assigned"), action: Remind, target: Lead),
                (after: "1d", action: Escalate, target: Parent),
                (after: "3d", action: Escalate, target: Supervisor, repeat: "2d"),
            ],
        ),
    ],
    tasks: [
"#,
    );
    for i in 0..tasks {
        let minutes = 60 + (i * 7_919) % (7 * 24 * 60);
        let _ = writeln!(
            out,
            r#"        (id: "t{i}", title: "T", lead: ["a"], due: After("{minutes}min"), policy: "p"),"#
        );
    }
    out.push_str("    ],\n)\n");
    out
}

/// Loads a workflow text known to be valid.
///
/// # Panics
/// When it does not load.
pub fn load_arc(text: &str) -> Arc<Workflow> {
    Arc::new(load(text).expect("fixture workflow loads").workflow)
}

/// One resolved act: time, actor, task instance, action.
pub type Act = (Timestamp, AgencyId, TaskRef, ActionId);

/// The acts of the act-throughput benchmark on [`independent_tasks_text`]: every task
/// `acknowledge`d, then every task `start`ed, `report`ed and `accept`ed, one second
/// apart from the issue time, all by `a`. Names are resolved here, once.
///
/// # Panics
/// When `workflow` is not one of [`independent_tasks_text`].
pub fn act_script(workflow: &Workflow) -> Vec<Act> {
    let a = workflow.agency_id("a").expect("agency a");
    let issued = workflow.directive().issued_at;
    let tasks: Vec<TaskRef> = workflow
        .task_slots()
        .iter()
        .map(|slot| workflow.task_ref(&slot.name).expect("instance by name"))
        .collect();
    let mut acts = Vec::with_capacity(tasks.len() * 4);
    for action in ["acknowledge", "start", "report", "accept"] {
        let action = workflow
            .action_id(action)
            .expect("default lifecycle action");
        for &task in &tasks {
            let at = issued.saturating_add(Span::from_seconds(acts.len() as i64));
            acts.push((at, a, task, action));
        }
    }
    acts
}

/// Applies acts in order.
///
/// # Panics
/// When an act is refused: the scripts here are valid.
pub fn run_acts(instance: &mut Instance, acts: &[Act]) {
    for &(at, actor, task, action) in acts {
        instance
            .act(at, actor, task, action, None)
            .expect("scripted act succeeds");
    }
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

    /// Prints the in-memory sizes behind the "memory per task instance" figure of
    /// RESULTS.md (`cargo test -p directrix-benches --lib -- --nocapture sizes`), and
    /// checks the engine fixtures load and run.
    #[test]
    fn sizes_and_engine_fixtures() {
        use directrix_core::{Input, Snapshot, instance::TaskState};
        use std::mem::size_of;
        println!("size_of::<TaskState>() = {}", size_of::<TaskState>());
        println!("size_of::<Input>() = {}", size_of::<Input>());
        println!("size_of::<Instance>() = {}", size_of::<Instance>());
        println!("size_of::<Snapshot>() = {}", size_of::<Snapshot>());
        println!("size_of::<Timestamp>() = {}", size_of::<Timestamp>());

        let workflow = load_arc(&independent_tasks_text(10));
        let acts = act_script(&workflow);
        assert_eq!(acts.len(), 40);
        let (mut instance, _) =
            Instance::start(Arc::clone(&workflow), workflow.directive().issued_at)
                .expect("a parsed time is in range");
        run_acts(&mut instance, &acts);
        assert_eq!(instance.journal().len(), 41);

        let workflow = load_arc(&many_timers_text(10));
        let (instance, _) = Instance::start(Arc::clone(&workflow), workflow.directive().issued_at)
            .expect("a parsed time is in range");
        assert!(instance.next_timer().is_some());
    }
}
