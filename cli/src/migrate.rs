//! `migrate`: move a snapshot to another version of its workflow and print what changed.

use crate::diagnostics::to_json;
use crate::{Format, LimitArgs, Reported, load_workflow, read_text, write_file};
use directrix_core::{
    Instance, Snapshot, diagnostic::cap_message, instance::MigrateError, instance::MigrationReport,
};
use std::path::PathBuf;
use std::sync::Arc;

/// Arguments of `directrix migrate`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The workflow the snapshot was taken with.
    #[arg(long)]
    from: PathBuf,
    /// The new version of the workflow.
    #[arg(long)]
    to: PathBuf,
    /// The snapshot (JSON, as written by `simulate --snapshot-out`).
    snapshot: PathBuf,
    /// Write the migrated snapshot here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Output format of the report.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    #[command(flatten)]
    limits: LimitArgs,
}

pub(crate) fn run(args: &Args) -> Result<(), Reported> {
    let options = args.limits.options();
    let old = load_workflow(&args.from, &options)?;
    let new = Arc::new(load_workflow(&args.to, &options)?);
    let text = read_text(&args.snapshot)?;
    let snapshot: Snapshot = serde_json::from_str(&text).map_err(|error| {
        eprintln!(
            "error: `{}` is not a directrix snapshot: {error}",
            args.snapshot.display()
        );
        Reported
    })?;
    match Instance::migrate(&old, new, snapshot) {
        Ok((instance, report)) => {
            if let Some(out) = &args.out {
                write_file(out, format!("{}\n", to_json(&instance.snapshot())))?;
            }
            match args.format {
                Format::Json => outln!("{}", to_json(&report)),
                Format::Table => {
                    print_report(instance.workflow().directive().number.as_str(), &report)
                }
            }
            Ok(())
        }
        Err(error) => {
            if let (Format::Json, MigrateError::Refused(problems)) = (args.format, &error) {
                outln!(
                    "{}",
                    to_json(
                        &serde_json::json!({ "refused": problems, "message": error.to_string() })
                    )
                );
            }
            match &error {
                MigrateError::Refused(problems) => {
                    eprintln!(
                        "error: the instance cannot be mapped onto `{}`:",
                        args.to.display()
                    );
                    for problem in problems {
                        eprintln!("  - {}", cap_message(&problem.to_string()));
                    }
                    eprintln!(
                        "hint: keep these states in the new machines, or finish the tasks before migrating"
                    );
                }
                other => eprintln!("error: {}", cap_message(&other.to_string())),
            }
            Err(Reported)
        }
    }
}

fn print_report(directive: &str, report: &MigrationReport) {
    let list = |items: Vec<String>| {
        if items.is_empty() {
            "none".to_owned()
        } else {
            items.join(", ")
        }
    };
    outln!(
        "{directive} · migrated from version {} to {} at {}",
        report.from,
        report.to,
        report.at
    );
    outln!();
    outln!("kept     {} task instances", report.kept);
    outln!("added    {}", list(report.added.clone()));
    outln!(
        "removed  {}",
        list(
            report
                .removed
                .iter()
                .map(|r| format!("{} ({})", r.task, r.state))
                .collect()
        )
    );
    if report.changed.is_empty() {
        outln!("changed  none");
    }
    for (n, change) in report.changed.iter().enumerate() {
        let label = if n == 0 { "changed" } else { "" };
        outln!(
            "{label:8} {}: {} ({})",
            change.task,
            change.detail,
            change.what
        );
    }
}
