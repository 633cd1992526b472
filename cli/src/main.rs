//! `directrix`: validate, inspect, draw and simulate directive workflows.
//!
//! Exit codes: 0 success, 1 invalid input (unreadable file, syntax or model errors), 2
//! usage errors (from clap).

/// Prints a line to stdout; a closed pipe (`directrix ... | head`) ends output quietly
/// instead of panicking like `println!`.
macro_rules! outln {
    () => { $crate::write_stdout("\n") };
    ($($arg:tt)*) => { $crate::write_stdout(&format!("{}\n", format_args!($($arg)*))) };
}

mod diagnostics;
mod html;
mod inspect;
mod migrate;
mod montecarlo;
mod serve;
mod simulate;

use clap::{Parser, Subcommand, ValueEnum};
use directrix_core::{
    Code, Diagnostic, Limits, LoadOptions, Severity, Workflow, diagnostic::Location, render::Graph,
    render::GraphFormat,
};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Workflow engine for official directives: validate, inspect, draw and simulate them.
#[derive(Debug, Parser)]
#[command(
    name = "directrix",
    version,
    about,
    long_about = None,
    after_help = "Calendars: a workflow at DIR/x.ron that writes `calendar: (use: [\"NAME\"], ...)` \
                  gets the holidays of DIR/calendars/NAME.ron; every command reads them from there.\n\
                  Registries: one that writes `agencies: (use: [\"NAME\"], ...)` gets the agencies \
                  of DIR/registries/NAME.ron in force on its issue date."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check workflow (and scenario) files and report every problem with its location.
    ///
    /// A file named `NAME.scenario.ron` is checked as a scenario against `NAME.ron` beside
    /// it, `NAME.<label>.followup.ron` as a follow-up document of `NAME.ron` and
    /// `NAME.<label>.child.ron` as a child document implementing it, issued later by
    /// another agency (a scenario's `follow_up:` and `attach:` events name the
    /// `*.followup.ron` and `*.child.ron` files beside it); a file
    /// in a directory named `calendars` is checked as a shared calendar, one in
    /// `registries` as a shared agency registry. A workflow's named calendars
    /// (`calendar: (use: ["NAME"])`) are read from `calendars/NAME.ron` in its directory,
    /// its registries (`agencies: (use: ["NAME"], ...)`) from `registries/NAME.ron`. Exits
    /// 0 when every file is valid (warnings allowed), 1 otherwise.
    #[command(after_help = "Example:\n  directrix validate workflows/*.ron")]
    Validate {
        /// Files to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output format of the diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Show a workflow: directive metadata, agency tree, tasks with their planned due
    /// times (in the workflow's UTC offset) and the critical path.
    #[command(
        after_help = "Example:\n  directrix inspect workflows/kien-xuong-114-cv-hu.ron --format json"
    )]
    Inspect {
        /// The workflow file.
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Draw a graph of a workflow as Graphviz DOT or Mermaid text.
    ///
    /// With `--follow-up` or `--child`, the workflow as amended by those follow-up
    /// documents and with those child documents attached, in the order given (follow-ups
    /// first): their tasks join the task graph, and each joins the documents chain.
    #[command(
        after_help = "Examples:\n  directrix graph workflows/kien-xuong-114-cv-hu.ron --format dot --view tasks | dot -Tsvg > tasks.svg\n  directrix graph workflows/kien-xuong-114-cv-hu.ron --view documents --follow-up workflows/kien-xuong-114-cv-hu.120.followup.ron\n  directrix graph workflows/ct-16-ttg-2020.ron --view documents --child workflows/ct-16-ttg-2020.moh.child.ron"
    )]
    Graph {
        /// The workflow file.
        file: PathBuf,
        /// Output syntax.
        #[arg(long, value_enum, default_value_t = GraphFormatArg::Mermaid)]
        format: GraphFormatArg,
        /// Which graph.
        #[arg(long, value_enum, default_value_t = ViewArg::Tasks)]
        view: ViewArg,
        /// A follow-up document (`NAME.LABEL.followup.ron`) amending the workflow; repeat
        /// it for several, oldest first.
        #[arg(long = "follow-up", value_name = "FILE")]
        follow_ups: Vec<PathBuf>,
        /// A child document (`NAME.LABEL.child.ron`, a directive implementing the
        /// workflow's) attached to it; repeat it for several, oldest first.
        #[arg(long = "child", value_name = "FILE")]
        children: Vec<PathBuf>,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Run a scenario through virtual time and print the timeline of effects, or, with
    /// `--runs`, run it many times and print distributions (Monte Carlo).
    ///
    /// Without `--scenario` nobody acts: the run shows which deadlines pass and how
    /// escalation unfolds when every agency stays silent. Monte Carlo needs a scenario
    /// with `behaviours`; its output is the same for a seed whatever `--threads` is.
    #[command(
        after_help = "Examples:\n  directrix simulate workflows/kien-xuong-114-cv-hu.ron \\\n      --scenario workflows/kien-xuong-114-cv-hu.scenario.ron --seed 1 --format json\n  directrix simulate workflows/kien-xuong-114-cv-hu.ron \\\n      --scenario workflows/kien-xuong-114-cv-hu.behaviour.scenario.ron --runs 10000 --seed 1 --report report.html"
    )]
    Simulate(simulate::Args),
    /// Combine the shards of a Monte Carlo study (`simulate --runs N --shard I/K`, run on
    /// any number of machines) and print the study as `simulate --runs N` does: the same
    /// bytes, table or JSON, and the same HTML report. Refuses shards of another workflow,
    /// scenario, horizon, seed or study, a shard given twice or missing, and damaged ones.
    #[command(
        after_help = "Example (shards 0 to 3 of 10,000 runs, on four machines or one):\n  for i in 0 1 2 3; do\n    directrix simulate workflows/kien-xuong-114-cv-hu.ron \\\n        --scenario workflows/kien-xuong-114-cv-hu.behaviour.scenario.ron \\\n        --runs 10000 --seed 1 --shard $i/4 > shard-$i.json\n  done\n  directrix merge workflows/kien-xuong-114-cv-hu.ron \\\n      --scenario workflows/kien-xuong-114-cv-hu.behaviour.scenario.ron shard-*.json"
    )]
    Merge(montecarlo::MergeArgs),
    /// Print the tracking grid at an instant: per lead agency and in total, tasks done on
    /// time, done late, open within the deadline, open and overdue, and due within 3 days.
    #[command(
        after_help = "Example:\n  directrix report workflows/kien-xuong-114-cv-hu.ron \\\n      --scenario workflows/kien-xuong-114-cv-hu.scenario.ron --at \"2021-05-14 12:00\""
    )]
    Report(simulate::ReportArgs),
    /// Move a snapshot to another version of its workflow: task instances, states and
    /// agencies are mapped by id. Prints what was added, removed and changed; exits 1,
    /// changing nothing, when a task is in a state the new version no longer has.
    #[command(
        after_help = "Example:\n  directrix simulate old.ron --until \"2021-05-10 12:00\" --snapshot-out run.json\n  directrix migrate --from old.ron --to new.ron run.json --out run-new.json"
    )]
    Migrate(migrate::Args),
    /// Compile a workflow for the WebAssembly runtime: check it as `validate` does, then
    /// write the validated model as bytes (`.dxw`), which the runtime module loads
    /// without the RON parser and validator. Same content hash as the RON file, so
    /// snapshots move between the two.
    #[command(
        after_help = "Example:\n  directrix compile workflows/kien-xuong-114-cv-hu.ron --out seed.dxw"
    )]
    Compile {
        /// The workflow file.
        file: PathBuf,
        /// Where to write the compiled bytes [default: the workflow's path with `.dxw`].
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Generate synthetic workflows for scale tests.
    #[command(subcommand)]
    Generate(Generate),
    /// Run the durable host: workflows, instances and timers in `DIR/directrix.db`, an
    /// HTTP API under `/v1` with bearer tokens (`serve token`), and a check that
    /// replays every journal (`serve check`).
    #[command(
        after_help = "Example:\n  directrix serve token --data dx --admin\n  directrix serve --data dx --load workflows/kien-xuong-114-cv-hu.ron \\\n      --clock 2021-05-07T08:00:00+07:00 --speed 3600"
    )]
    Serve(serve::Args),
}

#[derive(Debug, Subcommand)]
enum Generate {
    /// A national directive cascading to every province, district and commune, with
    /// plans, actions and weekly reports at each level.
    #[command(
        after_help = "Example:\n  directrix generate cascade --provinces 63 --districts 700 --communes 10000 --seed 1 \\\n      --out national.ron --scenario national.behaviour.scenario.ron"
    )]
    Cascade {
        /// Provinces.
        #[arg(long, default_value_t = 63)]
        provinces: u32,
        /// Districts, spread evenly over the provinces.
        #[arg(long, default_value_t = 700)]
        districts: u32,
        /// Communes, spread evenly over the districts.
        #[arg(long, default_value_t = 10_000)]
        communes: u32,
        /// Seed for names and behaviour variety.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Write the workflow here instead of to stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also write a matching behaviour scenario here.
        #[arg(long)]
        scenario: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GraphFormatArg {
    Dot,
    Mermaid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ViewArg {
    Tasks,
    Agencies,
    Documents,
}

/// `--limit NAME=VALUE`, on every command that loads a workflow.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct LimitArgs {
    #[arg(
        long = "limit",
        value_name = "NAME=VALUE",
        value_parser = parse_limit,
        help = "Raise (or lower) a resource limit, e.g. `--limit instances=5000000`; repeatable",
        long_help = limit_help()
    )]
    limits: Vec<(String, u64)>,
}

impl LimitArgs {
    /// The load options these flags ask for.
    pub(crate) fn options(&self) -> LoadOptions {
        let mut limits = Limits::default();
        for (name, value) in &self.limits {
            // `parse_limit` accepted only known names.
            let _ = limits.set(name, *value);
        }
        LoadOptions::default().with_limits(limits)
    }
}

fn limit_help() -> String {
    let defaults = Limits::default();
    let mut help = "Raise (or lower) a resource limit; repeatable. Exceeding one is a \
        `limit-exceeded` error, or in a simulation run `too_many_timers` / `too_many_effects` \
        (exit 1), never a crash.\n\
        Limits and their defaults:"
        .to_owned();
    for name in Limits::NAMES {
        let value = defaults.get(name).unwrap_or_default();
        help.push_str(&format!("\n  {name}={value}"));
    }
    help.push_str("\nExample: --limit instances=5000000 --limit input-bytes=67108864");
    help
}

fn parse_limit(text: &str) -> Result<(String, u64), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=VALUE, e.g. instances=5000000 (got `{text}`)"))?;
    let value: u64 = value
        .trim()
        .replace('_', "")
        .parse()
        .map_err(|e| format!("the value of `{name}` must be a whole number ({e})"))?;
    Limits::default()
        .set(name.trim(), value)
        .map_err(|e| e.to_string())?;
    Ok((name.trim().to_owned(), value))
}

/// A failure already reported to the user; the process exits 1.
pub(crate) struct Reported;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate {
            files,
            format,
            limits,
        } => diagnostics::validate(&files, format, &limits.options()),
        Command::Inspect {
            file,
            format,
            limits,
        } => load_workflow(&file, &limits.options())
            .and_then(|workflow| inspect::inspect(&workflow, format)),
        Command::Graph {
            file,
            format,
            view,
            follow_ups,
            children,
            limits,
        } => load_workflow(&file, &limits.options())
            .and_then(|workflow| amend_with(workflow, &follow_ups))
            .and_then(|workflow| amend_with(workflow, &children))
            .map(|workflow| {
                let format = match format {
                    GraphFormatArg::Dot => GraphFormat::Dot,
                    GraphFormatArg::Mermaid => GraphFormat::Mermaid,
                };
                let view = match view {
                    ViewArg::Tasks => Graph::Tasks,
                    ViewArg::Agencies => Graph::Agencies,
                    ViewArg::Documents => Graph::Documents,
                };
                write_stdout(&directrix_core::render::render_graph(
                    &workflow, view, format,
                ));
            }),
        Command::Simulate(args) => simulate::run(&args),
        Command::Merge(args) => montecarlo::merge(&args),
        Command::Report(args) => simulate::report(&args),
        Command::Migrate(args) => migrate::run(&args),
        Command::Compile { file, out, limits } => {
            load_workflow(&file, &limits.options()).and_then(|workflow| {
                let out = out.unwrap_or_else(|| file.with_extension("dxw"));
                let bytes = workflow.to_compiled();
                write_file(&out, &bytes)?;
                eprintln!(
                    "compiled {} to {} ({} bytes, content hash {})",
                    file.display(),
                    out.display(),
                    bytes.len(),
                    workflow.content_hash()
                );
                Ok(())
            })
        }
        Command::Serve(args) => serve::run(args),
        Command::Generate(Generate::Cascade {
            provinces,
            districts,
            communes,
            seed,
            out,
            scenario,
        }) => {
            let generated =
                directrix_generate::generate_cascade(directrix_generate::CascadeParams {
                    provinces,
                    districts,
                    communes,
                    seed,
                });
            write_or_print(out.as_deref(), &generated.workflow).and_then(|()| match &scenario {
                Some(path) => write_file(path, &generated.scenario),
                None => Ok(()),
            })
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Reported) => ExitCode::from(1),
    }
}

/// Why a file could not be read as text.
enum ReadError {
    /// The file could not be read at all (missing, a directory, no permission).
    Io(std::io::Error),
    /// The file is not UTF-8; the diagnostic locates the first bad byte.
    NotUtf8(Diagnostic),
}

impl ReadError {
    /// Prints the error to stderr in the `path:line:column: error[code]: ...` form.
    fn report(&self, path: &Path) {
        match self {
            ReadError::Io(error) => eprintln!("error: cannot read `{}`: {error}", path.display()),
            ReadError::NotUtf8(diagnostic) => eprintln!("{}:{diagnostic}", path.display()),
        }
    }
}

/// Reads a text file; a non-UTF-8 file becomes a located `syntax` diagnostic.
fn read_source(path: &Path) -> Result<String, ReadError> {
    let bytes = std::fs::read(path).map_err(ReadError::Io)?;
    String::from_utf8(bytes).map_err(|error| {
        let valid_up_to = error.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(&error.as_bytes()[..valid_up_to]);
        let line = text.matches('\n').count() + 1;
        let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        ReadError::NotUtf8(Diagnostic {
            severity: Severity::Error,
            code: Code::Syntax,
            message: "the file is not UTF-8 text".to_owned(),
            span: Some(valid_up_to..valid_up_to),
            location: Some(Location { line, column }),
            hint: Some("a workflow is a RON text file; is this the right file?".to_owned()),
            origin: None,
        })
    })
}

/// Reads a text file, reporting unreadable and non-UTF-8 files with a location.
pub(crate) fn read_text(path: &Path) -> Result<String, Reported> {
    read_source(path).map_err(|error| {
        error.report(path);
        Reported
    })
}

/// The follow-up and child documents beside a scenario (`DIR/*.followup.ron`,
/// `DIR/*.child.ron`), by file name: the names a scenario's `follow_up:` and `attach:`
/// events use. Unreadable ones are reported and left out
/// (an event naming one is then an `unknown-follow-up`).
pub(crate) fn follow_up_texts(scenario: &Path) -> std::collections::BTreeMap<String, String> {
    let dir = scenario.parent().unwrap_or(Path::new(""));
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let mut texts = std::collections::BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return texts;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        if name.ends_with(".followup.ron") || name.ends_with(".child.ron") {
            match read_source(&path) {
                Ok(text) => {
                    texts.insert(name, text);
                }
                Err(error) => error.report(&path),
            }
        }
    }
    texts
}

/// A shared file beside a workflow: a calendar `DIR/calendars/NAME.ron` or an agency
/// registry `DIR/registries/NAME.ron`.
pub(crate) struct SharedFile {
    name: String,
    path: PathBuf,
    text: String,
}

/// Every `DIR/SUBDIR/NAME.ron` beside the workflow at `path`, in name order (all of them,
/// so an unknown name gets a suggestion).
fn shared_files(path: &Path, subdir: &str) -> Result<Vec<SharedFile>, Unreadable> {
    let dir = path.parent().unwrap_or(Path::new("")).join(subdir);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "ron") && p.is_file())
                .collect()
        })
        .unwrap_or_default();
    // Directory order is the file system's; names are read in one order everywhere.
    paths.sort();
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        let Some(name) = path.file_stem().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        let text = read_source(&path).map_err(|e| Unreadable::new(&path, e))?;
        files.push(SharedFile { name, path, text });
    }
    Ok(files)
}

/// A file of a workflow (itself or a calendar) that could not be read.
pub(crate) struct Unreadable {
    pub(crate) path: PathBuf,
    pub(crate) error: Box<ReadError>,
}

impl Unreadable {
    fn new(path: &Path, error: ReadError) -> Self {
        Self {
            path: path.to_owned(),
            error: Box::new(error),
        }
    }

    /// Prints the error to stderr, as [`ReadError::report`].
    pub(crate) fn report(&self) {
        self.error.report(&self.path);
    }
}

/// A workflow text with the shared calendars and registries it may name. Every command
/// that loads a workflow goes through [`WorkflowFile::read`] and [`WorkflowFile::load`].
pub(crate) struct WorkflowFile {
    path: PathBuf,
    source: String,
    calendars: Vec<SharedFile>,
    registries: Vec<SharedFile>,
}

impl WorkflowFile {
    /// Reads the workflow at `DIR/x.ron`, every `DIR/calendars/NAME.ron` and every
    /// `DIR/registries/NAME.ron`. On failure, the path that failed and why.
    pub(crate) fn read(path: &Path) -> Result<Self, Unreadable> {
        let source = read_source(path).map_err(|e| Unreadable::new(path, e))?;
        Ok(Self {
            path: path.to_owned(),
            source,
            calendars: shared_files(path, "calendars")?,
            registries: shared_files(path, "registries")?,
        })
    }

    /// `base` (the limits asked for) with this workflow's calendars and registries.
    fn options(&self, base: &LoadOptions) -> LoadOptions {
        let options = self.calendars.iter().fold(base.clone(), |options, c| {
            options.with_calendar(c.name.as_str(), c.text.as_str())
        });
        self.registries.iter().fold(options, |options, r| {
            options.with_registry(r.name.as_str(), r.text.as_str())
        })
    }

    /// The text and its calendars and registries, as `directrix serve` stores them.
    pub(crate) fn into_upload(self) -> (String, directrix_host::shared::SharedTexts) {
        let by_name =
            |files: Vec<SharedFile>| files.into_iter().map(|f| (f.name, f.text)).collect();
        let shared = directrix_host::shared::SharedTexts {
            calendars: by_name(self.calendars),
            registries: by_name(self.registries),
        };
        (self.source, shared)
    }

    /// Parses and validates the workflow with its calendars.
    pub(crate) fn load(
        &self,
        base: &LoadOptions,
    ) -> Result<directrix_core::Loaded, directrix_core::LoadError> {
        directrix_core::load_with(&self.source, &self.options(base))
    }

    /// Every diagnostic, errors and warnings.
    pub(crate) fn check(&self, base: &LoadOptions) -> Vec<Diagnostic> {
        directrix_core::check_with(&self.source, &self.options(base))
    }

    /// Prints diagnostics, each against the text it points into (the workflow's, a
    /// calendar's or a registry's: `origin` is `NAME` or `registries/NAME`).
    pub(crate) fn print(&self, diagnostics: &[Diagnostic]) {
        for diagnostic in diagnostics {
            let shared = diagnostic.origin.as_deref().and_then(|origin| {
                match origin.strip_prefix("registries/") {
                    Some(name) => self.registries.iter().find(|r| r.name == name),
                    None => self.calendars.iter().find(|c| c.name == origin),
                }
            });
            match shared {
                Some(c) => diagnostics::print(&c.path, &c.text, std::slice::from_ref(diagnostic)),
                None => {
                    diagnostics::print(&self.path, &self.source, std::slice::from_ref(diagnostic))
                }
            }
        }
    }
}

/// Reads, parses and validates a workflow (with the calendars beside it), printing errors
/// in full and warnings as a count (`validate` shows them).
/// `workflow` amended by each follow-up (or child) document in turn; a refused one is
/// reported against its own file.
fn amend_with(mut workflow: Workflow, follow_ups: &[PathBuf]) -> Result<Workflow, Reported> {
    for path in follow_ups {
        let text = read_text(path)?;
        match workflow.amend(&text) {
            Ok(amended) => {
                diagnostics::print(path, &text, &amended.warnings);
                workflow = amended.workflow;
            }
            Err(error) => {
                diagnostics::print(path, &text, error.diagnostics());
                if error.diagnostics().is_empty() {
                    eprintln!("error: {}: {error}", path.display());
                }
                return Err(Reported);
            }
        }
    }
    Ok(workflow)
}

fn load_workflow(path: &Path, options: &LoadOptions) -> Result<Workflow, Reported> {
    let file = WorkflowFile::read(path).map_err(|unreadable| {
        unreadable.report();
        Reported
    })?;
    match file.load(options) {
        Ok(loaded) => {
            if let n @ 1.. = loaded.warnings.len() {
                eprintln!(
                    "note: {} has {n} warning{} (see `directrix validate {}`)",
                    path.display(),
                    if n == 1 { "" } else { "s" },
                    path.display()
                );
            }
            Ok(loaded.workflow)
        }
        Err(error) => {
            file.print(&error.diagnostics);
            Err(Reported)
        }
    }
}

/// Writes to stdout, ignoring errors: the only realistic one is a reader that went away.
fn write_stdout(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn write_file(path: &Path, text: impl AsRef<[u8]>) -> Result<(), Reported> {
    std::fs::write(path, text).map_err(|error| {
        eprintln!("error: cannot write `{}`: {error}", path.display());
        Reported
    })
}

fn write_or_print(path: Option<&Path>, text: &str) -> Result<(), Reported> {
    match path {
        Some(path) => write_file(path, text),
        None => {
            write_stdout(text);
            Ok(())
        }
    }
}
