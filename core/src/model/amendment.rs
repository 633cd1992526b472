//! A follow-up document's amendment of a workflow, as data: the front end builds it from
//! the document's text (`front/followup.rs`), the engine applies it to a running instance
//! (`engine/followup.rs`). Neither layer names the other; `glue.rs` joins them.

use crate::model::diagnostic::Diagnostic;
use crate::model::spec::FollowUpSpec;
use crate::model::time::Timestamp;
use crate::model::workflow::Workflow;
use std::ops::Range;

/// A workflow amended by a follow-up document ([`Workflow::amend`]).
#[derive(Debug, Clone)]
pub struct Amended {
    /// The amended workflow: another version of the same directive, whose documents end
    /// with the follow-up.
    pub workflow: Workflow,
    /// The document as parsed.
    pub spec: FollowUpSpec,
    /// Warnings about what the document adds, located in its text.
    pub warnings: Vec<Diagnostic>,
}

/// A checked follow-up document and where, in its text, the engine's own checks point:
/// those depend on the running instance (a task already finished, a new due time already
/// passed, a document applied before its issue time), so they are made when it is applied.
#[derive(Debug, Clone)]
pub(crate) struct Amendment {
    /// The amended workflow and the document.
    pub(crate) amended: Amended,
    /// When the document was issued (the directive's issue time if it gives none that
    /// parses).
    pub(crate) issued_at: Timestamp,
    /// The span of the `issued_at` value.
    pub(crate) issued_at_span: Option<Range<usize>>,
    /// For each `change_due` item, in order: the span of the task it names.
    pub(crate) change_due_spans: Vec<Option<Range<usize>>>,
    /// For each `cancel` item, in order: the span of the task it names.
    pub(crate) cancel_spans: Vec<Option<Range<usize>>>,
    /// For each `extend_period` item, then each `end_period` and `supersede` item: the
    /// span of the task it names.
    pub(crate) period_spans: Vec<Option<Range<usize>>>,
}
