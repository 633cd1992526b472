//! `simulate`: run a scenario and print its timeline.

use crate::diagnostics::{print, to_json};
use crate::{Format, LimitArgs, Reported, load_workflow, read_text};
use directrix_core::{
    EffectKind, LoadOptions, Scenario, SimulateError, Simulation, Timestamp, Workflow,
    record::EffectRecord, simulation::SimulationReport, simulation::TimelineEntry,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Arguments of `directrix simulate`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The workflow file.
    workflow: PathBuf,
    /// The scenario file.
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Stop at this time (RFC 3339, or local `YYYY-MM-DD HH:MM`); defaults to the
    /// scenario's `until`, or 14 days after the issue time.
    #[arg(long)]
    until: Option<String>,
    /// Seed (same seed, same result); with `--runs`, the master seed of all runs.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Run the scenario this many times and report distributions (Monte Carlo).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    runs: Option<u64>,
    /// Threads for Monte Carlo runs (default: all cores). Never changes the output.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    threads: Option<u64>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Also write a self-contained HTML report of the Monte Carlo study to this file.
    #[arg(long, requires = "runs", conflicts_with = "shard")]
    report: Option<PathBuf>,
    /// Run only shard I of K (0 ≤ I < K) of the `--runs` study and print its outcomes as
    /// JSON, for a batch system to run the shards on many machines; `directrix merge`
    /// combines them into the study's report, the same bytes as one machine prints.
    #[arg(long, requires = "runs", value_name = "I/K", value_parser = parse_shard)]
    shard: Option<(u64, u64)>,
    /// Also write a snapshot of the instance at the end (JSON), for `directrix migrate`
    /// or a host's `restore`.
    #[arg(long, conflicts_with = "runs")]
    snapshot_out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    #[command(flatten)]
    limits: LimitArgs,
}

/// Arguments of `directrix report`.
#[derive(Debug, clap::Args)]
pub(crate) struct ReportArgs {
    /// The workflow file.
    workflow: PathBuf,
    /// The scenario that leads up to the instant (without one, nobody acts).
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// The instant (RFC 3339, or local `YYYY-MM-DD HH:MM`); defaults to the scenario's end.
    #[arg(long)]
    at: Option<String>,
    /// Seed, for scenarios with behaviour models.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    #[command(flatten)]
    limits: LimitArgs,
}

pub(crate) fn report(args: &ReportArgs) -> Result<(), Reported> {
    let (workflow, scenario, at) = load_scenario(
        &args.workflow,
        args.scenario.as_deref(),
        args.at.as_deref(),
        "--at",
        &args.limits.options(),
    )?;
    // Only the state at the instant is needed, not the timeline that led there.
    let instance =
        directrix_core::simulation::simulate_state(Arc::clone(&workflow), &scenario, args.seed, at)
            .map_err(|e| failed(&e))?;
    let grid = instance.grid();
    match args.format {
        Format::Json => outln!("{}", to_json(&grid)),
        Format::Table => print_grid(&workflow, &grid),
    }
    Ok(())
}

fn print_grid(workflow: &Workflow, grid: &directrix_core::record::Grid) {
    let short = Timestamp::parse(&grid.at, workflow.calendar().offset()).map_or_else(
        |_| grid.at.clone(),
        |t| t.to_short(workflow.calendar().offset()),
    );
    outln!("{} · tracking grid at {short}", workflow.directive().number);
    outln!();
    // With child documents attached, the same columns per document after the total.
    let documents: Vec<(String, &directrix_core::record::GridCounts)> = grid
        .documents
        .iter()
        .map(|d| (format!("{} ({})", d.number, d.issuer), &d.counts))
        .collect();
    let width = grid
        .agencies
        .iter()
        .map(|a| a.name.chars().count())
        .chain(documents.iter().map(|(label, _)| label.chars().count()))
        .max()
        .unwrap_or(5)
        .max(5);
    outln!(
        "{:width$}  {:>12}  {:>9}  {:>12}  {:>12}  {:>8}  {:>8}  {:>8}",
        "agency",
        "done on time",
        "done late",
        "open in time",
        "open overdue",
        "due ≤3d",
        "extended",
        "returned"
    );
    let row = |name: &str, c: &directrix_core::record::GridCounts| {
        outln!(
            "{name:width$}  {:>12}  {:>9}  {:>12}  {:>12}  {:>8}  {:>8}  {:>8}",
            c.done_on_time,
            c.done_late,
            c.open_in_time,
            c.open_overdue,
            c.due_soon,
            c.extended,
            c.returned
        );
    };
    for agency in &grid.agencies {
        row(&agency.name, &agency.counts);
    }
    row("Total", &grid.total);
    if !documents.is_empty() {
        outln!();
        outln!("document");
        for (label, counts) in &documents {
            row(label, counts);
        }
    }
    let total = &grid.total;
    if total.in_force > 0 {
        outln!();
        outln!("Measures in force now: {}.", total.in_force);
    }
    if total.extended > 0 || total.extension_pending > 0 {
        outln!();
        outln!(
            "Extended tasks are judged against the extension; {} of them late against the original due time. Extension requests pending: {}.",
            total.late_vs_original,
            total.extension_pending
        );
    }
}

/// Prints why a run failed (its code, the fact and the fix, and the `--limit` flag that
/// raises the limit that stopped it); the process then exits 1.
pub(crate) fn failed(error: &SimulateError) -> Reported {
    eprintln!("error[{}]: {error}", error.code());
    if let Some((name, value)) = error.limit() {
        eprintln!("  help: raise the limit with `--limit {name}={value}`");
    }
    Reported
}

/// Loads the workflow and the scenario (or silence), and the horizon given as option
/// `flag` (the core checks that it lies within the run).
pub(crate) fn load_scenario(
    workflow_path: &Path,
    scenario_path: Option<&Path>,
    until: Option<&str>,
    flag: &str,
    options: &LoadOptions,
) -> Result<(Arc<Workflow>, Scenario, Option<Timestamp>), Reported> {
    let workflow = Arc::new(load_workflow(workflow_path, options)?);
    let scenario = match scenario_path {
        Some(path) => {
            let source = read_text(path)?;
            let follow_ups = crate::follow_up_texts(path);
            match Scenario::load_with(&source, &workflow, &follow_ups) {
                Ok((scenario, warnings)) => {
                    print(path, &source, &warnings);
                    scenario
                }
                Err(error) => {
                    print(path, &source, &error.diagnostics);
                    return Err(Reported);
                }
            }
        }
        None => Scenario::silent(&workflow),
    };
    let until = until
        .map(|text| {
            Timestamp::parse(text, workflow.calendar().offset()).map_err(|e| {
                eprintln!("error: {flag}: {e}");
                Reported
            })
        })
        .transpose()?;
    Ok((workflow, scenario, until))
}

/// `I/K` with `I < K`: shard I (from 0) of K.
fn parse_shard(text: &str) -> Result<(u64, u64), String> {
    let (index, count) = text
        .split_once('/')
        .ok_or_else(|| format!("`{text}` is not I/K (shard I of K, from 0: 0/4 … 3/4)"))?;
    let number = |s: &str| {
        s.trim()
            .parse::<u64>()
            .map_err(|e| format!("`{s}` in `{text}`: {e}"))
    };
    let (index, count) = (number(index)?, number(count)?);
    if index >= count {
        return Err(format!(
            "shard {index} of {count} does not exist: shards are numbered from 0 to {}",
            count.saturating_sub(1)
        ));
    }
    Ok((index, count))
}

pub(crate) fn run(args: &Args) -> Result<(), Reported> {
    let (workflow, mut scenario, until) = load_scenario(
        &args.workflow,
        args.scenario.as_deref(),
        args.until.as_deref(),
        "--until",
        &args.limits.options(),
    )?;
    if let Some(runs) = args.runs {
        // Each run checks the horizon, as `simulate` does.
        scenario.until = until.unwrap_or(scenario.until);
        return crate::montecarlo::run(&workflow, &scenario, runs, args);
    }
    let run = directrix_core::simulate(Arc::clone(&workflow), &scenario, args.seed, until)
        .map_err(|e| failed(&e))?;
    if let Some(path) = &args.snapshot_out {
        crate::write_file(path, format!("{}\n", to_json(&run.instance.snapshot())))?;
    }
    let report = run.report();
    match args.format {
        Format::Json => outln!("{}", to_json(&report)),
        Format::Table => print_timeline(&workflow, &run, &report),
    }
    Ok(())
}

impl Args {
    pub(crate) fn seed(&self) -> u64 {
        self.seed
    }

    pub(crate) fn threads(&self) -> Option<usize> {
        self.threads.map(|t| t as usize)
    }

    pub(crate) fn quiet(&self) -> bool {
        self.quiet
    }

    pub(crate) fn shard(&self) -> Option<(u64, u64)> {
        self.shard
    }

    pub(crate) fn report(&self) -> Option<&Path> {
        self.report.as_deref()
    }

    pub(crate) fn format(&self) -> Format {
        self.format
    }
}

/// The base task of an instance name: `task[member]` → `task`.
fn base(task: &str) -> &str {
    task.split('[').next().unwrap_or(task)
}

/// The detail column of a timeline line: what the typed `entry` says, with the names of
/// its `record` (a folded line's record names its lead `each`).
fn detail(workflow: &Workflow, entry: &TimelineEntry, record: &EffectRecord) -> String {
    let effect = match entry {
        TimelineEntry::Effect(effect) | TimelineEntry::Acted { effect, .. } => effect,
        TimelineEntry::Rejected { error, .. } => return error.to_string(),
        TimelineEntry::FollowUp { .. } => {
            return format!("applied {}", record.note.as_deref().unwrap_or_default());
        }
    };
    let name = |id: &str| {
        workflow
            .agency_id(id)
            .map_or_else(|| id.to_owned(), |a| workflow.agency(a).name.clone())
    };
    let at = |t: Timestamp| t.to_short(workflow.calendar().offset());
    let lead = || record.lead.as_deref().unwrap_or_default();
    match effect.kind {
        EffectKind::Transitioned { .. } => format!(
            "{}: {} → {}",
            record.action.as_deref().unwrap_or_default(),
            record.from.as_deref().unwrap_or_default(),
            record.to.as_deref().unwrap_or_default()
        ),
        EffectKind::Overdue { due } => format!("missed due {}", at(due)),
        EffectKind::Rescheduled { due } => format!("next due {}", at(due)),
        EffectKind::DueChanged { due } => format!("now due {}", at(due)),
        EffectKind::Reminded { level, .. }
        | EffectKind::Warned { level, .. }
        | EffectKind::Escalated { level, .. }
        | EffectKind::Reassigned { level, .. } => {
            format!("level {level} → {} (lead {})", name(&record.agency), lead())
        }
        EffectKind::Completed { on_time: true } => "on time".to_owned(),
        EffectKind::Completed { on_time: false } => "late".to_owned(),
        EffectKind::ExtensionRequested { until, .. } => format!(
            "asks until {}; {} decides (lead {})",
            at(until),
            name(&record.agency),
            lead()
        ),
        EffectKind::ExtensionApproved { due } => format!("due now {}", at(due)),
        EffectKind::ExtensionRefused => "due time unchanged".to_owned(),
        EffectKind::Returned => "sent back to redo".to_owned(),
        EffectKind::Skipped { level } => format!("level {level} not fired on restore"),
        EffectKind::PeriodStarted { from, until } if from < effect.at => {
            format!("in force since {} until {}", at(from), at(until))
        }
        EffectKind::PeriodStarted { until, .. } => format!("in force until {}", at(until)),
        EffectKind::PeriodExtended { until } => format!("in force now until {}", at(until)),
        EffectKind::PeriodEnded => "no longer in force: final report owed".to_owned(),
        // The kind column says it all.
        EffectKind::Started | EffectKind::Unblocked | EffectKind::Cancelled => String::new(),
        // A kind newer than this table: every field its record has, never nothing.
        _ => fields(record),
    }
}

/// The optional fields of a record, `name value` each, for an effect kind without its own
/// wording.
fn fields(record: &EffectRecord) -> String {
    let level = record.level.map(|l| l.to_string());
    let on_time = record.on_time.map(|o| o.to_string());
    [
        ("action", record.action.as_deref()),
        ("from", record.from.as_deref()),
        ("to", record.to.as_deref()),
        ("level", level.as_deref()),
        ("lead", record.lead.as_deref()),
        ("due", record.due.as_deref()),
        ("on_time", on_time.as_deref()),
        ("note", record.note.as_deref()),
    ]
    .into_iter()
    .filter_map(|(key, value)| value.map(|v| format!("{key} {v}")))
    .collect::<Vec<_>>()
    .join(", ")
}

fn short(workflow: &Workflow, rfc3339: Option<&str>) -> String {
    rfc3339
        .and_then(|t| Timestamp::parse(t, workflow.calendar().offset()).ok())
        .map_or_else(String::new, |t| t.to_short(workflow.calendar().offset()))
}

/// The run's timeline as a table; `report` is `run`'s report (one record per entry).
fn print_timeline(workflow: &Workflow, run: &Simulation, report: &SimulationReport) {
    outln!(
        "{} · scenario: {} · seed {} · {} → {}",
        report.directive,
        report.scenario,
        report.seed,
        short(workflow, Some(&report.start)),
        short(workflow, Some(&report.until))
    );
    outln!();
    // Fan-out makes runs of identical lines (one per commune); fold each run into one.
    let events = &report.events;
    let entries: Vec<&TimelineEntry> = run.timeline.iter().collect();
    let task_width = events
        .iter()
        .map(|e| e.task.chars().count())
        .max()
        .unwrap_or(4);
    let agency_width = events
        .iter()
        .map(|e| e.agency.chars().count())
        .max()
        .unwrap_or(6);
    let kind_width = events.iter().map(|e| e.kind.len()).max().unwrap_or(12);
    let mut i = 0;
    while i < events.len() {
        let event = &events[i];
        let mut run = 1;
        while let Some(next) = events.get(i + run) {
            let same = next.at == event.at
                && next.kind == event.kind
                && next.task != event.task
                && base(&next.task) == base(&event.task)
                && next.action == event.action
                && next.kind != "rejected";
            if !same {
                break;
            }
            run += 1;
        }
        let (task, agency, detail) = if run > 1 {
            let mut folded = event.clone();
            folded.lead = Some("each".to_owned());
            (
                format!("{} ×{run}", base(&event.task)),
                "(each)".to_owned(),
                detail(workflow, entries[i], &folded),
            )
        } else {
            (
                event.task.clone(),
                event.agency.clone(),
                detail(workflow, entries[i], event),
            )
        };
        let line = format!(
            "{}  {:kind_width$}  {task:task_width$}  {agency:agency_width$}  {}",
            short(workflow, Some(&event.at)),
            event.kind,
            detail
        );
        outln!("{}", line.trim_end());
        i += run;
    }
    let s = &report.summary;
    outln!();
    let counted = crate::diagnostics::counted;
    outln!(
        "{}: {} done ({} on time), {} overdue now; {}, {}, {}, {}",
        counted(s.tasks, "task instance"),
        s.done,
        s.done_on_time,
        s.overdue,
        counted(s.overdue_events, "overdue event"),
        counted(s.reminders, "reminder"),
        counted(s.escalations, "escalation"),
        counted(s.rejected, "rejected action")
    );
    outln!("Critical path: {}", report.critical_path.join(" → "));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A kind the detail table does not know yet shows every field its record has.
    #[test]
    fn an_unknown_kind_shows_its_fields() {
        let workflow = Arc::new(
            directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron"))
                .unwrap()
                .workflow,
        );
        let (_, effects) =
            directrix_core::Instance::start(Arc::clone(&workflow), workflow.directive().issued_at)
                .unwrap();
        let mut record = workflow.effect_record(&effects[0]);
        assert_eq!(fields(&record), "");
        record.level = Some(2);
        record.due = Some("2021-05-12T17:00:00+07:00".to_owned());
        assert_eq!(fields(&record), "level 2, due 2021-05-12T17:00:00+07:00");
    }
}
