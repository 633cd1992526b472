//! Located, coded problems found while loading a workflow or scenario.

use serde::Serialize;
use std::fmt;
use std::ops::Range;

/// How bad a diagnostic is.
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The file cannot be used.
    Error,
    /// Legal but suspicious.
    Warning,
}

/// Stable diagnostic codes. The string forms (`Code::as_str`) are a contract: tools may
/// match on them; new codes may be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "&'static str")]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum Code {
    Syntax,
    UnsupportedFormat,
    DuplicateId,
    UnknownAgency,
    UnknownGroup,
    UnknownTask,
    UnknownMachine,
    UnknownPolicy,
    UnknownState,
    UnknownAction,
    UnknownDocument,
    DependencyCycle,
    AgencyCycle,
    DocumentCycle,
    InitialState,
    UnreachableState,
    NoTerminalState,
    TransitionFromTerminal,
    TimedTransition,
    EscalationOrder,
    InvalidTime,
    InvalidDate,
    InvalidDuration,
    InvalidOffset,
    InvalidClockTime,
    ZeroInterval,
    NoWorkingDays,
    MissingLead,
    LeadWithForEach,
    EmptyGroup,
    StartsBeforeIssue,
    DueBeforeDependency,
    DueBeforeStart,
    InvalidEffort,
    DeadlineUnreachable,
    LevelNeverFires,
    TargetOutsideReportingLine,
    AddresseeWithoutTask,
    EmptyScenario,
    EventBeforeStart,
    InvalidProbability,
    InvalidDistribution,
    UnknownCalendar,
    DateOutsideYear,
    UnknownTemplate,
    TemplateCycle,
    CascadeTooDeep,
    CascadeTooLarge,
    CascadeLead,
    BadPlaceholder,
    NoParentDue,
    EmptyCascade,
    LimitExceeded,
    ShortInterval,
    FurtherToMismatch,
    TaskFinished,
    DueBeforeFollowUp,
    NoCancelledState,
    FollowUpBeforeIssue,
    IncompleteEvent,
    UnknownFollowUp,
    FollowUpWithBehaviours,
    OutOfRange,
    EventAfterEnd,
    IssuerMismatch,
    DependencyListedTwice,
    RedundantDependsOnAll,
    RedundantLeadMode,
    MemberChangeUnsupported,
    InvalidPeriod,
    PeriodEndsBeforeStart,
    PeriodWithDue,
    PeriodWithoutReport,
    NoPeriod,
    UnknownRegistry,
    NotInForce,
    GroupInUse,
    ImplementsMismatch,
    UnknownParent,
    ChildBeforeParent,
}

impl Code {
    /// The stable kebab-case form, e.g. `unknown-agency`.
    ///
    /// ```
    /// assert_eq!(directrix_core::Code::DependencyCycle.as_str(), "dependency-cycle");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Syntax => "syntax",
            Code::UnsupportedFormat => "unsupported-format",
            Code::DuplicateId => "duplicate-id",
            Code::UnknownAgency => "unknown-agency",
            Code::UnknownGroup => "unknown-group",
            Code::UnknownTask => "unknown-task",
            Code::UnknownMachine => "unknown-machine",
            Code::UnknownPolicy => "unknown-policy",
            Code::UnknownState => "unknown-state",
            Code::UnknownAction => "unknown-action",
            Code::UnknownDocument => "unknown-document",
            Code::DependencyCycle => "dependency-cycle",
            Code::AgencyCycle => "agency-cycle",
            Code::DocumentCycle => "document-cycle",
            Code::InitialState => "initial-state",
            Code::UnreachableState => "unreachable-state",
            Code::NoTerminalState => "no-terminal-state",
            Code::TransitionFromTerminal => "transition-from-terminal",
            Code::TimedTransition => "timed-transition",
            Code::EscalationOrder => "escalation-order",
            Code::InvalidTime => "invalid-time",
            Code::InvalidDate => "invalid-date",
            Code::InvalidDuration => "invalid-duration",
            Code::InvalidOffset => "invalid-offset",
            Code::InvalidClockTime => "invalid-clock-time",
            Code::ZeroInterval => "zero-interval",
            Code::NoWorkingDays => "no-working-days",
            Code::MissingLead => "missing-lead",
            Code::LeadWithForEach => "lead-with-for-each",
            Code::EmptyGroup => "empty-group",
            Code::StartsBeforeIssue => "starts-before-issue",
            Code::DueBeforeDependency => "due-before-dependency",
            Code::DueBeforeStart => "due-before-start",
            Code::InvalidEffort => "invalid-effort",
            Code::DeadlineUnreachable => "deadline-unreachable",
            Code::LevelNeverFires => "level-never-fires",
            Code::TargetOutsideReportingLine => "target-outside-reporting-line",
            Code::AddresseeWithoutTask => "addressee-without-task",
            Code::EmptyScenario => "empty-scenario",
            Code::EventBeforeStart => "event-before-start",
            Code::InvalidProbability => "invalid-probability",
            Code::InvalidDistribution => "invalid-distribution",
            Code::UnknownCalendar => "unknown-calendar",
            Code::DateOutsideYear => "date-outside-year",
            Code::UnknownTemplate => "unknown-template",
            Code::TemplateCycle => "template-cycle",
            Code::CascadeTooDeep => "cascade-too-deep",
            Code::CascadeTooLarge => "cascade-too-large",
            Code::CascadeLead => "cascade-lead",
            Code::BadPlaceholder => "bad-placeholder",
            Code::NoParentDue => "no-parent-due",
            Code::EmptyCascade => "empty-cascade",
            Code::LimitExceeded => "limit-exceeded",
            Code::ShortInterval => "short-interval",
            Code::FurtherToMismatch => "further-to-mismatch",
            Code::TaskFinished => "task-finished",
            Code::DueBeforeFollowUp => "due-before-follow-up",
            Code::NoCancelledState => "no-cancelled-state",
            Code::FollowUpBeforeIssue => "follow-up-before-issue",
            Code::IncompleteEvent => "incomplete-event",
            Code::UnknownFollowUp => "unknown-follow-up",
            Code::FollowUpWithBehaviours => "follow-up-with-behaviours",
            Code::OutOfRange => "out-of-range",
            Code::EventAfterEnd => "event-after-end",
            Code::IssuerMismatch => "issuer-mismatch",
            Code::DependencyListedTwice => "dependency-listed-twice",
            Code::RedundantDependsOnAll => "redundant-depends-on-all",
            Code::RedundantLeadMode => "redundant-lead-mode",
            Code::MemberChangeUnsupported => "member-change-unsupported",
            Code::InvalidPeriod => "invalid-period",
            Code::PeriodEndsBeforeStart => "period-ends-before-start",
            Code::PeriodWithDue => "period-with-due",
            Code::PeriodWithoutReport => "period-without-report",
            Code::NoPeriod => "no-period",
            Code::UnknownRegistry => "unknown-registry",
            Code::NotInForce => "not-in-force",
            Code::GroupInUse => "group-in-use",
            Code::ImplementsMismatch => "implements-mismatch",
            Code::UnknownParent => "unknown-parent",
            Code::ChildBeforeParent => "child-before-parent",
        }
    }
}

impl From<Code> for &'static str {
    fn from(code: Code) -> Self {
        code.as_str()
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A 1-based line and column (columns count characters, not bytes).
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One problem, with where it is and what to do.
///
/// ```
/// let diagnostics = directrix_core::check("(format: 1,");
/// let first = &diagnostics[0];
/// assert_eq!(first.code.as_str(), "syntax");
/// assert_eq!(first.location.unwrap().line, 1);
/// ```
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Stable code.
    #[cfg_attr(feature = "typescript", tsify(type = "string"))]
    pub code: Code,
    /// What is wrong, as a fact.
    pub message: String,
    /// Byte range in the source, when known.
    #[cfg_attr(
        feature = "typescript",
        tsify(type = "{ start: number; end: number } | undefined")
    )]
    pub span: Option<Range<usize>>,
    /// Line and column of the span's start, when known.
    pub location: Option<Location>,
    /// What to do about it, when there is a suggestion.
    pub hint: Option<String>,
    /// The shared text that `span` and `location` point into: a named calendar's
    /// (`calendar: (use: [NAME])`) as `NAME`, a named agency registry's
    /// (`agencies: (use: [NAME], ...)`) as `registries/NAME`; absent for the text being
    /// loaded itself. A `Box<str>` keeps a
    /// diagnostic small enough to return by value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<Box<str>>,
}

impl Diagnostic {
    /// Whether this is an error (not a warning).
    ///
    /// ```
    /// let d = &directrix_core::check("")[0];
    /// assert!(d.is_error());
    /// ```
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match (&self.origin, self.location) {
            (Some(origin), Some(location)) => write!(f, "calendar `{origin}` {location}: ")?,
            (Some(origin), None) => write!(f, "calendar `{origin}`: ")?,
            (None, Some(location)) => write!(f, "{location}: ")?,
            (None, None) => {}
        }
        write!(f, "{severity}[{}]: {}", self.code, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

/// Converts a byte offset of `source` to line:column (the engine locates its follow-up
/// checks with it too, so it lives here rather than in the front end's locator).
pub(crate) fn location_of(source: &str, offset: usize) -> Location {
    let offset = floor_char_boundary(source, offset);
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    Location { line, column }
}

pub(crate) fn floor_char_boundary(source: &str, offset: usize) -> usize {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// How many bytes of user text a message quotes before [`excerpt`] cuts it.
pub const EXCERPT_BYTES: usize = 64;

/// User text as a message quotes it: whole when short, otherwise its first
/// [`EXCERPT_BYTES`] (cut on a character boundary), an ellipsis and its length, so a
/// 1 MB name makes a short message. Every message that echoes input goes through this.
///
/// ```
/// use directrix_core::diagnostic::excerpt;
/// assert_eq!(excerpt("health"), "health");
/// let long = "x".repeat(1_000_000);
/// assert_eq!(excerpt(&long), format!("{}… (1000000 bytes)", "x".repeat(64)));
/// ```
pub fn excerpt(text: &str) -> std::borrow::Cow<'_, str> {
    if text.len() <= EXCERPT_BYTES {
        return std::borrow::Cow::Borrowed(text);
    }
    let cut = floor_char_boundary(text, EXCERPT_BYTES);
    std::borrow::Cow::Owned(format!("{}… ({} bytes)", &text[..cut], text.len()))
}

/// The longest message (or hint) a diagnostic or error keeps, in bytes.
pub(crate) const MESSAGE_BYTES: usize = 1024;

/// A message with every backquoted part longer than [`EXCERPT_BYTES`] cut by
/// [`excerpt`], and the whole cut at 1024 bytes: the one place that bounds what
/// a diagnostic or an error echoes, whatever built its text.
///
/// ```
/// let message = format!("unknown agency `{}` in `lead`", "a".repeat(5000));
/// let capped = directrix_core::diagnostic::cap_message(&message);
/// assert!(capped.len() < 200 && capped.ends_with("(5000 bytes)` in `lead`"));
/// // Capping twice changes nothing.
/// assert_eq!(directrix_core::diagnostic::cap_message(&capped), capped);
/// ```
pub fn cap_message(message: &str) -> std::borrow::Cow<'_, str> {
    let too_long = |part: &str| part.len() > EXCERPT_BYTES && !is_excerpt(part);
    let quoted_long = message
        .split('`')
        .enumerate()
        .any(|(i, part)| i % 2 == 1 && too_long(part));
    if !quoted_long && message.len() <= MESSAGE_BYTES {
        return std::borrow::Cow::Borrowed(message);
    }
    let mut out = String::new();
    for (i, part) in message.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        if i % 2 == 1 && too_long(part) {
            out.push_str(&excerpt(part));
        } else {
            out.push_str(part);
        }
    }
    if out.len() > MESSAGE_BYTES {
        let cut = floor_char_boundary(&out, MESSAGE_BYTES);
        let total = out.len();
        out.truncate(cut);
        out.push_str(&format!("… ({total} bytes)"));
    }
    std::borrow::Cow::Owned(out)
}

/// Whether `part` is already what [`excerpt`] makes of a long text, so capping a message
/// twice changes nothing.
fn is_excerpt(part: &str) -> bool {
    part.rsplit_once("… (").is_some_and(|(head, tail)| {
        head.len() <= EXCERPT_BYTES
            && tail
                .strip_suffix(" bytes)")
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// The hint for a misspelt name: "did you mean `x`?" naming the closest candidate, if one
/// is close enough. The one wording of that suggestion; it never names the text itself
/// (names are compared in NFC, so a candidate that looks identical *is* identical), and a
/// name far longer than any id gets none.
///
/// ```
/// let hint = directrix_core::diagnostic::suggestion("heath", ["health", "police"]);
/// assert_eq!(hint.as_deref(), Some("did you mean `health`?"));
/// assert_eq!(directrix_core::diagnostic::suggestion("health", ["health"]), None);
/// ```
pub fn suggestion<'a>(
    wrong: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    if wrong.len() > 4 * EXCERPT_BYTES {
        return None;
    }
    did_you_mean(wrong, candidates.into_iter().filter(|c| *c != wrong))
        .map(|s| format!("did you mean `{}`?", excerpt(&s)))
}

/// Suggests the closest candidate to a misspelt id, if one is close enough.
///
/// ```
/// let hint = directrix_core::diagnostic::did_you_mean("heath", ["health", "police"]);
/// assert_eq!(hint.as_deref(), Some("health"));
/// ```
pub fn did_you_mean<'a>(
    wrong: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(wrong, candidate), candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, candidate)| candidate.to_owned())
}

/// An error message for a list of diagnostics: the first error, and how many more.
pub(crate) fn summary(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    match diagnostics.iter().find(|d| d.is_error()) {
        Some(first) if errors == 1 => first.to_string(),
        Some(first) if errors == 2 => format!("{first} (and 1 more error)"),
        Some(first) => format!("{first} (and {} more errors)", errors - 1),
        None => "invalid workflow".to_owned(),
    }
}
