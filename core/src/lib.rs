//! # directrix-core
//!
//! The no-IO engine of directrix: official directives modelled as data-defined state
//! machines plus dependency graphs, with deadlines, working-day calendars and escalation.
//!
//! The crate does no IO at all: no files, no clock, no threads, no randomness of its
//! own. Time enters as an argument; effects leave as values; the host (the `directrix`
//! CLI, a browser through WebAssembly, a server) delivers them. The same inputs give the
//! same outputs on every target.
//!
//! Its roles:
//! - [`load`] parses a RON workflow ([`spec`]) and validates it, reporting every
//!   [`Diagnostic`] at once, into a [`Workflow`] whose references are dense indices;
//! - [`Instance`] runs a workflow: [`Instance::act`] and [`Instance::advance`] are the
//!   only inputs, both return [`Effect`]s, and [`Instance::next_timer`] says when to call
//!   again; snapshots and the journal persist it;
//! - [`Scenario`] and [`simulate`] drive an instance through scripted virtual time;
//! - [`render_graph`] draws the task, agency and document graphs as DOT or Mermaid.
//!
//! # Example
//! ```
//! use std::sync::Arc;
//! use directrix_core::{load, simulate, Scenario};
//!
//! let workflow = Arc::new(load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron"))?.workflow);
//! let (scenario, _warnings) = Scenario::load(
//!     include_str!("../../workflows/kien-xuong-114-cv-hu.scenario.ron"),
//!     &workflow,
//! )?;
//! let report = simulate(workflow, &scenario, 1, None)?.report();
//! assert!(report.events.iter().any(|e| e.kind == "escalated"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod engine;
mod front;
mod glue;
mod model;
mod sim;

pub use ::time::UtcOffset;
pub use engine::grid::{AgencyGrid, DUE_SOON_DAYS, Grid, GridCounts};
pub use engine::view::{
    AgencyField, EffectFields, EffectRecord, InboxRecord, NextTimerRecord, StatusRecord,
};
pub use engine::{
    ActArgs, ActError, Changed, DueChange, Effect, EffectKind, FollowUpError, FollowUpReport,
    InboxItem, Input, Instance, InstanceState, MigrateError, MigrationProblem, MigrationReport,
    NextTimer, Phase, Removed, ReplayError, RestoreError, SNAPSHOT_FORMAT, SkippedTimer, Snapshot,
    TaskState, TaskStatus, TimerPolicy, TimerReason,
};
pub use front::load::{LoadError, Loaded, check, check_calendar, check_with, load, load_with};
pub use model::amendment::Amended;
pub use model::analysis::{Analysis, TaskAnalysis};
pub use model::calendar::Calendar;
pub use model::compiled::{COMPILED_FORMAT, COMPILED_MAGIC, CompiledError};
pub use model::diagnostic::{
    Code, Diagnostic, EXCERPT_BYTES, Location, Severity, cap_message, did_you_mean, excerpt,
    suggestion,
};
pub use model::ident::normalize_id;
pub use model::inspect::{
    AgencyView, CalendarView, CopyView, DirectiveView, GroupView, Inspection, TaskView,
};
pub use model::limits::{Limits, UnknownLimit};
pub use model::options::LoadOptions;
pub use model::plan::Planned;
pub use model::render::{GraphFormat, GraphView, render_graph};
pub use model::spec;
pub use model::time::{Span, TimeError, Timestamp};
pub use model::workflow::*;
pub use sim::behaviour::{Behaviour, Behaviours, Delay};
pub use sim::montecarlo::{
    AgencyStats, MonteCarloReport, Percentiles, RunOutcome, TaskStats, aggregate, monte_carlo,
    run_outcome, run_seed,
};
pub use sim::simulate::{
    Scenario, ScriptedEvent, ScriptedFollowUp, SimulateError, Simulation, SimulationReport,
    Summary, TimelineEntry, simulate, simulate_state,
};
