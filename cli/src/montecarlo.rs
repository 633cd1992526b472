//! `simulate --runs N`: Monte Carlo on threads, with a progress bar and an HTML report.

use crate::diagnostics::to_json;
use crate::simulate::Args;
use crate::{Format, Reported};
use directrix_core::{
    Scenario, SimulateError, Workflow, simulation::MonteCarloReport, simulation::RunOutcome,
    simulation::aggregate, simulation::run_outcome, simulation::run_seed,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Below this many runs a progress bar would only flicker.
const PROGRESS_THRESHOLD: u64 = 200;

pub(crate) fn run(
    workflow: &Arc<Workflow>,
    scenario: &Scenario,
    runs: u64,
    args: &Args,
) -> Result<(), Reported> {
    if scenario.behaviours.is_empty() {
        eprintln!(
            "note: the scenario models no behaviour, so every run is the same (add `behaviours` to the scenario for distributions)"
        );
    }
    let progress = if !args.quiet() && runs >= PROGRESS_THRESHOLD && std::io::stderr().is_terminal()
    {
        let bar = ProgressBar::with_draw_target(Some(runs), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} {pos}/{len} runs [{bar:40}] {elapsed} elapsed, {eta} left",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads().unwrap_or(0))
        .build()
        .map_err(|e| {
            eprintln!(
                "error: cannot start {} threads: {e}",
                args.threads().unwrap_or(0)
            );
            Reported
        })?;
    let master = args.seed();
    // Each run's seed depends only on the master seed and its index, and `collect` keeps
    // run order, so the output is the same for any number of threads. A failed run fails
    // the study; the one reported is the first in run order (every run before the
    // earliest failure so far still runs, later ones are skipped), so the error does not
    // depend on threads either.
    let first_failure = AtomicU64::new(u64::MAX);
    let results: Vec<Option<Result<RunOutcome, SimulateError>>> = pool.install(|| {
        (0..runs)
            .into_par_iter()
            .map(|i| {
                if i > first_failure.load(Ordering::Relaxed) {
                    return None;
                }
                let outcome = run_outcome(workflow, scenario, run_seed(master, i));
                if outcome.is_err() {
                    first_failure.fetch_min(i, Ordering::Relaxed);
                }
                progress.inc(1);
                Some(outcome)
            })
            .collect()
    });
    progress.finish_and_clear();
    let outcomes = results
        .into_iter()
        .map_while(|r| r)
        .collect::<Result<Vec<RunOutcome>, SimulateError>>()
        .map_err(|e| crate::simulate::failed(&e))?;
    let report = aggregate(workflow, scenario, master, &outcomes);
    if let Some(path) = args.report() {
        let representative = representative_run(&outcomes);
        let run = directrix_core::simulate(
            Arc::clone(workflow),
            scenario,
            run_seed(master, representative as u64),
            None,
        )
        .map_err(|e| crate::simulate::failed(&e))?;
        let html = crate::html::render(workflow, &report, &outcomes, &run, representative);
        std::fs::write(path, html).map_err(|e| {
            eprintln!("error: cannot write `{}`: {e}", path.display());
            Reported
        })?;
        eprintln!("wrote {}", path.display());
    }
    match args.format() {
        Format::Json => outln!("{}", to_json(&report)),
        Format::Table => print_table(&report),
    }
    Ok(())
}

/// The run whose overall finish is the median one: a typical run to draw.
fn representative_run(outcomes: &[RunOutcome]) -> usize {
    let end = |o: &RunOutcome| o.finish().unwrap_or(i64::MAX);
    let mut order: Vec<usize> = (0..outcomes.len()).collect();
    order.sort_by_key(|&i| (end(&outcomes[i]), i));
    order.get(order.len() / 2).copied().unwrap_or(0)
}

fn hours(h: f64) -> String {
    if h >= 48.0 {
        format!("{:.1}d", h / 24.0)
    } else {
        format!("{h:.1}h")
    }
}

fn print_table(report: &MonteCarloReport) {
    outln!(
        "{} · scenario: {} · {} runs · seed {}",
        report.directive,
        report.scenario,
        report.runs,
        report.seed
    );
    outln!();
    let width = report
        .tasks
        .iter()
        .map(|t| t.task.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    outln!(
        "{:width$}  {:>7}  {:>9}  {:>8}  {:>8}  {:>8}  {:>8}  escalations per run by level",
        "task",
        "on time",
        "completed",
        "p50",
        "p90",
        "p99",
        "critical"
    );
    for task in &report.tasks {
        let (p50, p90, p99) = task
            .completion_hours
            .map_or(("-".to_owned(), "-".to_owned(), "-".to_owned()), |p| {
                (hours(p.p50), hours(p.p90), hours(p.p99))
            });
        let levels: Vec<String> = task
            .escalations_by_level
            .iter()
            .map(|l| format!("{l:.2}"))
            .collect();
        outln!(
            "{:width$}  {:>6.1}%  {:>8.1}%  {p50:>8}  {p90:>8}  {p99:>8}  {:>7.1}%  {}",
            task.task,
            task.on_time_probability * 100.0,
            task.completed_probability * 100.0,
            task.criticality * 100.0,
            levels.join(" / ")
        );
    }
    outln!();
    outln!("Bottlenecks (most hours late per run first):");
    for (rank, id) in report.bottlenecks.iter().enumerate() {
        if let Some(agency) = report.agencies.iter().find(|a| &a.agency == id) {
            outln!(
                "  {}. {} ({}): {} late per run, on the critical path in {:.1}% of runs, {:.2} escalations caused, {:.2} received",
                rank + 1,
                agency.name,
                agency.agency,
                hours(agency.late_hours),
                agency.criticality_index * 100.0,
                agency.escalations_caused,
                agency.escalations_received
            );
        }
    }
    outln!();
    outln!(
        "Probability that some escalation reaches its policy's top level: {:.1}%",
        report.top_level_probability * 100.0
    );
}
