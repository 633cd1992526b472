//! `simulate --runs N`: Monte Carlo on threads, with a progress bar and an HTML report;
//! `--shard I/K` runs a share of the study, and `merge` combines the shares.

use crate::diagnostics::to_json;
use crate::simulate::Args;
use crate::{Format, LimitArgs, Reported, read_text};
use directrix_core::simulation::{
    MonteCarloReport, RunOutcome, Shard, aggregate, merge as directrix_merge, run_outcome,
    run_seed, shard_runs,
};
use directrix_core::{Scenario, SimulateError, Workflow};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use std::io::IsTerminal;
use std::ops::Range;
use std::path::{Path, PathBuf};
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
    let master = args.seed();
    let Some((index, count)) = args.shard() else {
        let outcomes = outcomes(workflow, scenario, master, 0..runs, args)?;
        return study(
            workflow,
            scenario,
            master,
            &outcomes,
            args.report(),
            args.format(),
        );
    };
    let Some(range) = shard_runs(runs, index, count) else {
        eprintln!("error: --shard {index}/{count}: shards are numbered from 0 to {count} - 1");
        return Err(Reported);
    };
    let outcomes = outcomes(workflow, scenario, master, range, args)?;
    let shard = Shard::of(workflow, scenario, master, runs, index, count, outcomes);
    // One line: a study of many runs makes a large shard, and nobody reads it by eye.
    outln!(
        "{}",
        serde_json::to_string(&shard).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    );
    Ok(())
}

/// The outcomes of runs `range` of a study with master seed `master`, on threads, in run
/// order.
fn outcomes(
    workflow: &Arc<Workflow>,
    scenario: &Scenario,
    master: u64,
    range: Range<u64>,
    args: &Args,
) -> Result<Vec<RunOutcome>, Reported> {
    let runs = range.end - range.start;
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
    // Each run's seed depends only on the master seed and its index, and `collect` keeps
    // run order, so the output is the same for any number of threads. A failed run fails
    // the study; the one reported is the first in run order (every run before the
    // earliest failure so far still runs, later ones are skipped), so the error does not
    // depend on threads either.
    let first_failure = AtomicU64::new(u64::MAX);
    let results: Vec<Option<Result<RunOutcome, SimulateError>>> = pool.install(|| {
        range
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
    results
        .into_iter()
        .map_while(|r| r)
        .collect::<Result<Vec<RunOutcome>, SimulateError>>()
        .map_err(|e| crate::simulate::failed(&e))
}

/// The study's output from the outcomes of all its runs: the report (table or JSON) on
/// stdout and, when asked, the HTML report. `simulate --runs` and `merge` end here, so a
/// merged study prints the same bytes as one run on one machine.
fn study(
    workflow: &Arc<Workflow>,
    scenario: &Scenario,
    master: u64,
    outcomes: &[RunOutcome],
    html: Option<&Path>,
    format: Format,
) -> Result<(), Reported> {
    let report = aggregate(workflow, scenario, master, outcomes);
    if let Some(path) = html {
        let representative = representative_run(outcomes);
        let run = directrix_core::simulate(
            Arc::clone(workflow),
            scenario,
            run_seed(master, representative as u64),
            None,
        )
        .map_err(|e| crate::simulate::failed(&e))?;
        let html = crate::html::render(workflow, &report, outcomes, &run, representative);
        std::fs::write(path, html).map_err(|e| {
            eprintln!("error: cannot write `{}`: {e}", path.display());
            Reported
        })?;
        eprintln!("wrote {}", path.display());
    }
    match format {
        Format::Json => outln!("{}", to_json(&report)),
        Format::Table => print_table(&report),
    }
    Ok(())
}

/// Arguments of `directrix merge`.
#[derive(Debug, clap::Args)]
pub(crate) struct MergeArgs {
    /// The workflow file the shards simulated.
    workflow: PathBuf,
    /// The scenario file the shards ran.
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// The horizon the shards ran to, if `simulate` was given one.
    #[arg(long)]
    until: Option<String>,
    /// The shard files (`simulate --runs N --shard I/K` output), in any order.
    #[arg(required = true)]
    shards: Vec<PathBuf>,
    /// Also write a self-contained HTML report of the whole study to this file.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    #[command(flatten)]
    limits: LimitArgs,
}

/// `directrix merge`: the shards of one study, checked and combined, printed as
/// `simulate --runs` prints the whole study.
pub(crate) fn merge(args: &MergeArgs) -> Result<(), Reported> {
    let (workflow, mut scenario, until) = crate::simulate::load_scenario(
        &args.workflow,
        args.scenario.as_deref(),
        args.until.as_deref(),
        "--until",
        &args.limits.options(),
    )?;
    scenario.until = until.unwrap_or(scenario.until);
    let mut shards = Vec::with_capacity(args.shards.len());
    for path in &args.shards {
        let text = read_text(path)?;
        let shard: Shard = serde_json::from_str(&text).map_err(|e| {
            eprintln!(
                "error: {}:{}:{}: not a shard of a Monte Carlo study: {e}",
                path.display(),
                e.line(),
                e.column()
            );
            Reported
        })?;
        shards.push(shard);
    }
    let outcomes = directrix_merge(&workflow, &scenario, &shards).map_err(|e| {
        eprintln!("error[{}]: {e}", e.code());
        Reported
    })?;
    let master = shards.first().map_or(0, |s| s.seed);
    study(
        &workflow,
        &scenario,
        master,
        &outcomes,
        args.report.as_deref(),
        args.format,
    )
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
