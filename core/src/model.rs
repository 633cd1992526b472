//! The model layer: the validated [`Workflow`](workflow::Workflow) and everything that is
//! plain data or a pure function of it (time, calendars, the plan, the analysis, the content
//! hash, the compiled form, limits, the RON schema, diagnostics, and the read-only
//! presentations: inspection, descriptions, graph rendering).
//!
//! Architecture invariant: this layer imports none of the others (`front`, `engine`, `sim`);
//! `core/tests/tidy.rs` checks it.

pub(crate) mod amendment;
pub(crate) mod analysis;
pub(crate) mod calendar;
pub(crate) mod compiled;
pub(crate) mod describe;
pub(crate) mod diagnostic;
pub(crate) mod hash;
pub(crate) mod ident;
pub(crate) mod inspect;
pub(crate) mod limits;
pub(crate) mod options;
pub(crate) mod plan;
pub(crate) mod render;
pub(crate) mod spec;
pub(crate) mod time;
pub(crate) mod workflow;
