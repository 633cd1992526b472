//! `validate`, and rendering diagnostics with their source snippet.

use crate::{Format, ReadError, Reported, WorkflowFile, read_source};
use ariadne::{Color, Config, IndexType, Label, Report, ReportKind, Source};
use directrix_core::{Diagnostic, LoadOptions, Scenario, Severity};
use serde::Serialize;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Prints diagnostics to stderr with the offending source lines.
pub(crate) fn print(path: &Path, source: &str, diagnostics: &[Diagnostic]) {
    let name = path.display().to_string();
    let color = std::io::stderr().is_terminal();
    for diagnostic in diagnostics {
        let (kind, paint) = match diagnostic.severity {
            Severity::Error => (ReportKind::Error, Color::Red),
            Severity::Warning => (ReportKind::Warning, Color::Yellow),
        };
        let Some(span) = diagnostic.span.clone() else {
            eprintln!("{name}: {diagnostic}");
            continue;
        };
        let span = span.start.min(source.len())
            ..span.end.clamp(span.start.min(source.len()), source.len());
        if !fits_snippet(source, &span) {
            // A snippet would echo a huge line whole: the located one-line form instead.
            eprintln!("{name}:{diagnostic}");
            continue;
        }
        let mut report = Report::build(kind, (name.as_str(), span.clone()))
            .with_config(
                Config::default()
                    .with_index_type(IndexType::Byte)
                    .with_color(color),
            )
            .with_code(diagnostic.code)
            .with_message(&diagnostic.message)
            .with_label(
                Label::new((name.as_str(), span))
                    .with_message(diagnostic.code.as_str())
                    .with_color(paint),
            );
        if let Some(hint) = &diagnostic.hint {
            report = report.with_help(hint);
        }
        // Writing to stderr can only fail when stderr is gone; nothing useful is left to do.
        let _ = report
            .finish()
            .eprint((name.as_str(), Source::from(source)));
    }
}

/// The longest source line a snippet shows, in bytes.
const SNIPPET_LINE_BYTES: usize = 400;

/// The most lines a snippet shows.
const SNIPPET_LINES: usize = 40;

/// Whether the lines `span` touches are few and short enough to show in a snippet.
fn fits_snippet(source: &str, span: &std::ops::Range<usize>) -> bool {
    let bytes = source.as_bytes();
    let start = bytes[..span.start]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let end = bytes[span.end..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| span.end + i);
    let mut lines = bytes[start..end].split(|&b| b == b'\n');
    lines.clone().count() <= SNIPPET_LINES && lines.all(|line| line.len() <= SNIPPET_LINE_BYTES)
}

#[derive(Serialize)]
struct FileReport {
    file: String,
    valid: bool,
    diagnostics: Vec<Diagnostic>,
    /// Why the file could not be checked at all (unreadable, or a scenario whose
    /// workflow is invalid); absent when it was checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// The outcome of checking one file.
struct Checked {
    valid: bool,
    diagnostics: Vec<Diagnostic>,
    error: Option<String>,
}

impl Checked {
    fn diagnostics(valid: bool, diagnostics: Vec<Diagnostic>) -> Self {
        Checked {
            valid,
            diagnostics,
            error: None,
        }
    }

    fn failed(error: String) -> Self {
        Checked {
            valid: false,
            diagnostics: Vec::new(),
            error: Some(error),
        }
    }
}

/// Checks each file; `NAME.scenario.ron`, `NAME.<label>.followup.ron` and
/// `NAME.<label>.child.ron` against `NAME.ron`.
pub(crate) fn validate(
    files: &[PathBuf],
    format: Format,
    options: &LoadOptions,
) -> Result<(), Reported> {
    let mut reports = Vec::new();
    for path in files {
        let Checked {
            valid,
            diagnostics,
            error,
        } = validate_one(path, options);
        if format == Format::Table {
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            let warnings = diagnostics.len() - errors;
            match (valid, warnings, &error) {
                (_, _, Some(error)) => outln!("FAILED {} ({error})", path.display()),
                (true, 0, None) => outln!("ok     {}", path.display()),
                (true, w, None) => {
                    outln!("ok     {} ({w} warning{})", path.display(), plural(w))
                }
                (false, _, None) => outln!(
                    "FAILED {} ({errors} error{}, {warnings} warning{})",
                    path.display(),
                    plural(errors),
                    plural(warnings)
                ),
            }
        }
        reports.push(FileReport {
            file: path.display().to_string(),
            valid,
            diagnostics,
            error,
        });
    }
    if format == Format::Json {
        outln!("{}", to_json(&reports));
    }
    if reports.iter().all(|r| r.valid) {
        Ok(())
    } else {
        Err(Reported)
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `n` and `noun`, with the noun in the plural unless `n` is 1: "1 reminder", "2 reminders".
pub(crate) fn counted(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", plural(n))
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> String {
    // Our report types hold only strings, numbers and maps with string keys, which
    // serde_json always serialises.
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

fn validate_one(path: &Path, options: &LoadOptions) -> Checked {
    let source = match read_source(path) {
        Ok(source) => source,
        Err(error) => {
            error.report(path);
            return match error {
                ReadError::Io(error) => Checked::failed(format!("cannot read: {error}")),
                ReadError::NotUtf8(diagnostic) => Checked::diagnostics(false, vec![diagnostic]),
            };
        }
    };
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let pair = file_name
        .strip_suffix(".scenario.ron")
        .map(|stem| (stem, "scenario"))
        .or_else(|| {
            file_name
                .strip_suffix(".followup.ron")
                .map(|stem| (stem, "follow-up"))
        })
        .or_else(|| {
            file_name
                .strip_suffix(".child.ron")
                .map(|stem| (stem, "child document"))
        });
    if let Some((stem, what)) = pair {
        let workflow_path = workflow_of_scenario(path, stem);
        let workflow = WorkflowFile::read(&workflow_path)
            .map_err(|unreadable| unreadable.report())
            .and_then(|file| {
                file.load(options)
                    .map(|loaded| loaded.workflow)
                    .map_err(|error| file.print(&error.diagnostics))
            });
        let Ok(workflow) = workflow else {
            eprintln!(
                "error: cannot check {what} `{}` without a valid workflow `{}`",
                path.display(),
                workflow_path.display()
            );
            return Checked::failed(format!(
                "cannot check the {what} without a valid workflow `{}`",
                workflow_path.display()
            ));
        };
        if what != "scenario" {
            // Checked against the workflow as loaded: what it names, what it adds (a
            // child is checked on its own first, as a directive file).
            let (valid, diagnostics) = match workflow.amend(&source) {
                Ok(amended) => (true, amended.warnings),
                Err(error) => (false, error.diagnostics().to_vec()),
            };
            print(path, &source, &diagnostics);
            return Checked::diagnostics(valid, diagnostics);
        }
        let workflow = Arc::new(workflow);
        let follow_ups = crate::follow_up_texts(path);
        let (valid, diagnostics) = match Scenario::load_with(&source, &workflow, &follow_ups) {
            Ok((_, warnings)) => (true, warnings),
            Err(error) => (false, error.diagnostics),
        };
        print(path, &source, &diagnostics);
        return Checked::diagnostics(valid, diagnostics);
    }
    let shared: Option<fn(&str) -> Vec<Diagnostic>> = match in_directory(path) {
        Some("calendars") => Some(directrix_core::diagnostic::check_calendar),
        Some("registries") => Some(directrix_core::diagnostic::check_registry),
        _ => None,
    };
    if let Some(check) = shared {
        let diagnostics = check(&source);
        print(path, &source, &diagnostics);
        return Checked::diagnostics(!diagnostics.iter().any(Diagnostic::is_error), diagnostics);
    }
    let file = match WorkflowFile::read(path) {
        Ok(file) => file,
        Err(unreadable) => {
            unreadable.report();
            return Checked::failed(format!(
                "cannot read the calendar or registry `{}`",
                unreadable.path.display()
            ));
        }
    };
    let diagnostics = file.check(options);
    file.print(&diagnostics);
    Checked::diagnostics(!diagnostics.iter().any(Diagnostic::is_error), diagnostics)
}

/// The name of the directory a file is in: a `.ron` file in `calendars` is a shared
/// calendar, in `registries` a shared agency registry.
fn in_directory(path: &Path) -> Option<&str> {
    path.parent()
        .and_then(Path::file_name)
        .and_then(|dir| dir.to_str())
}

/// The workflow beside a scenario `STEM.scenario.ron` (or a follow-up
/// `STEM.followup.ron`): `STEM.ron`, or for a named
/// variant such as `letter.behaviour.scenario.ron`, the longest prefix that exists
/// (`letter.ron`).
fn workflow_of_scenario(path: &Path, stem: &str) -> PathBuf {
    let mut candidate = stem;
    loop {
        let workflow = path.with_file_name(format!("{candidate}.ron"));
        match candidate.rsplit_once('.') {
            _ if workflow.exists() => return workflow,
            Some((shorter, _)) => candidate = shorter,
            None => return path.with_file_name(format!("{stem}.ron")),
        }
    }
}
