//! `validate`, and rendering diagnostics with their source snippet.

use crate::{Format, Reported, read_text};
use ariadne::{Color, Config, IndexType, Label, Report, ReportKind, Source};
use directrix_core::{Diagnostic, Scenario, Severity};
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

#[derive(Serialize)]
struct FileReport {
    file: String,
    valid: bool,
    diagnostics: Vec<Diagnostic>,
}

/// Checks each file; `NAME.scenario.ron` against `NAME.ron`.
pub(crate) fn validate(files: &[PathBuf], format: Format) -> Result<(), Reported> {
    let mut reports = Vec::new();
    for path in files {
        let (valid, diagnostics) = validate_one(path);
        if format == Format::Table {
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            let warnings = diagnostics.len() - errors;
            match (valid, warnings) {
                (true, 0) => outln!("ok     {}", path.display()),
                (true, w) => outln!("ok     {} ({w} warning{})", path.display(), plural(w)),
                (false, _) => outln!(
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

pub(crate) fn to_json<T: Serialize>(value: &T) -> String {
    // Our report types hold only strings, numbers and maps with string keys, which
    // serde_json always serialises.
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

fn validate_one(path: &Path) -> (bool, Vec<Diagnostic>) {
    let Ok(source) = read_text(path) else {
        return (false, Vec::new());
    };
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if let Some(stem) = file_name.strip_suffix(".scenario.ron") {
        let workflow_path = path.with_file_name(format!("{stem}.ron"));
        let Ok(workflow) = read_text(&workflow_path).and_then(|source| {
            directrix_core::load(&source)
                .map(|loaded| loaded.workflow)
                .map_err(|error| {
                    print(&workflow_path, &source, &error.diagnostics);
                    Reported
                })
        }) else {
            eprintln!(
                "error: cannot check scenario `{}` without a valid workflow `{}`",
                path.display(),
                workflow_path.display()
            );
            return (false, Vec::new());
        };
        let workflow = Arc::new(workflow);
        let (valid, diagnostics) = match Scenario::load(&source, &workflow) {
            Ok((_, warnings)) => (true, warnings),
            Err(error) => (false, error.diagnostics),
        };
        print(path, &source, &diagnostics);
        return (valid, diagnostics);
    }
    let diagnostics = directrix_core::check(&source);
    print(path, &source, &diagnostics);
    (!diagnostics.iter().any(Diagnostic::is_error), diagnostics)
}
