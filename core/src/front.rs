//! The front end: RON text in, a validated [`Workflow`](crate::Workflow) (or a follow-up's
//! amendment) out, with every [`Diagnostic`](crate::Diagnostic) reported at once. Parsing,
//! name resolution, the per-section compilers, cascades, the built-in machines, identifier
//! normalisation and the RON error wording live here.
//!
//! Architecture invariant: the front end depends on the model only; nothing in `model` or
//! `engine` imports it (`core/tests/tidy.rs`).

pub(crate) mod builtin;
pub(crate) mod cascade;
pub(crate) mod child;
pub(crate) mod compile;
pub(crate) mod followup;
pub(crate) mod graph;
pub(crate) mod load;
pub(crate) mod locator;
pub(crate) mod nfc;
pub(crate) mod reporter;
pub(crate) mod syntax;
