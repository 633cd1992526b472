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
//! - [`render::render_graph`] draws the task, agency and document graphs as DOT or Mermaid.
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

// The root holds what a host needs to load a workflow, run it and simulate it; every
// other public item lives in one of the named modules below (a root name is also in its
// module, so a `use directrix_core::instance::*` sees the whole family).
pub use engine::{ActError, Effect, EffectKind, Input, Instance, Snapshot};
pub use front::load::{LoadError, Loaded, check, check_with, load, load_with};
pub use model::diagnostic::{Code, Diagnostic, Severity};
pub use model::limits::Limits;
pub use model::options::LoadOptions;
pub use model::time::{Span, Timestamp};
pub use model::workflow::Workflow;
pub use sim::simulate::{Scenario, SimulateError, Simulation, simulate};

/// The validated workflow's parts: directive, agencies, groups, machines, tasks, rules,
/// and the dense ids that index them.
pub mod workflow {
    pub use crate::model::ident::normalize_id;
    pub use crate::model::workflow::*;
}

/// The RON schema of workflows, scenarios, calendars and follow-ups, as parsed.
pub mod spec {
    pub use crate::model::spec::*;
}

/// Instants, durations and working-day calendars.
pub mod time {
    pub use crate::model::calendar::Calendar;
    pub use crate::model::time::{Span, TimeError, Timestamp};
    pub use ::time::UtcOffset;
}

/// Located, coded problems in a text, and the helpers that word them.
pub mod diagnostic {
    pub use crate::front::load::{check_calendar, check_registry};
    pub use crate::model::diagnostic::{
        Code, Diagnostic, EXCERPT_BYTES, Location, Severity, cap_message, did_you_mean, excerpt,
        suggestion,
    };
}

/// Caps on what an input may cost; every one can be raised by name.
pub mod limits {
    pub use crate::model::limits::{Limits, UnknownLimit};
}

/// A workflow as versioned binary bytes that load without the RON front end.
pub mod compiled {
    pub use crate::model::compiled::{COMPILED_FORMAT, COMPILED_MAGIC, CompiledError};
}

/// The static schedule of a workflow: planned times, critical path, slack.
pub mod analysis {
    pub use crate::model::analysis::{Analysis, TaskAnalysis};
    pub use crate::model::plan::Planned;
}

/// A running directive: its inputs, effects, state, snapshots, journal replay, migration
/// to a new version, follow-up documents and resumption after downtime.
pub mod instance {
    pub use crate::engine::{
        ActArgs, ActError, Changed, DueChange, Effect, EffectKind, Entered, FollowUpError,
        FollowUpReport, InboxItem, Input, Instance, InstanceState, MigrateError, MigrationProblem,
        MigrationReport, NextTimer, PeriodState, PeriodStatus, Phase, Removed, ReplayError,
        RestoreError, SNAPSHOT_FORMAT, SkippedTimer, Snapshot, TaskState, TaskStatus, TimerPolicy,
        TimerReason,
    };
    pub use crate::model::amendment::Amended;
}

/// Records: a running instance as serialisable rows (effects, status, inbox, next timer)
/// and the agency-by-state grid. The JSON the CLI prints and the JS API returns.
pub mod record {
    pub use crate::engine::grid::{AgencyGrid, DUE_SOON_DAYS, DocumentGrid, Grid, GridCounts};
    pub use crate::engine::record::{
        AgencyField, EffectFields, EffectRecord, InboxRecord, NextTimerRecord, StatusRecord,
    };
}

/// Inspection: what a workflow declares, as serialisable data (`directrix inspect`).
pub mod inspect {
    pub use crate::model::inspect::{
        InspectedAgency, InspectedCalendar, InspectedCopy, InspectedDirective, InspectedGroup,
        InspectedTask, Inspection,
    };
}

/// Rendering: a workflow's graphs drawn as Graphviz DOT or Mermaid text.
pub mod render {
    pub use crate::model::render::{Graph, GraphFormat, render_graph};
}

/// Scripted runs in virtual time, agency behaviours and Monte Carlo.
pub mod simulation {
    pub use crate::sim::behaviour::{Behaviour, Behaviours, Delay};
    pub use crate::sim::montecarlo::{
        AgencyStats, MonteCarloReport, Percentiles, RunOutcome, SHARD_FORMAT, Shard, ShardError,
        TaskStats, aggregate, merge, monte_carlo, run_outcome, run_seed, shard_runs,
    };
    pub use crate::sim::simulate::{
        Scenario, ScriptedEvent, ScriptedFollowUp, SimulateError, Simulation, SimulationReport,
        Summary, TimelineEntry, simulate, simulate_state,
    };
}
