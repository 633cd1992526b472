//! Resource limits: how big a workflow may be and how much one call may do, so that a
//! hostile or mistaken input is a typed error, never an out-of-memory or a stack overflow.

use crate::model::workflow::Workflow;
use serde::Serialize;

/// Resource limits, with defaults a host may raise (or lower).
///
/// Loading checks the first five ([`crate::LoadOptions::with_limits`]); exceeding one is a
/// located `limit-exceeded` diagnostic naming the limit, the value found and how to
/// raise it. The loaded [`Workflow`] keeps them: [`crate::Instance::advance`] refuses to
/// fire more than `timers_per_advance` timers in one call ([`crate::ActError::TooManyTimers`]),
/// and a simulation run ([`crate::simulate`], each Monte Carlo run) fails with
/// [`crate::SimulateError::TooManyEffects`] once it has produced more than
/// `effects_per_run` effects, so a far horizon costs bounded time and memory.
///
/// Replaying a journal or restoring a snapshot runs under the workflow's limits: load it
/// with the limits the instance ran under.
///
/// The defaults leave ample room for the national cascade (`directrix generate cascade
/// --provinces 63 --districts 700 --communes 10000`: 1.3 MB, 10,769 agencies, 21,528
/// task instances, strings up to 112 bytes, nesting depth 6; its behaviour scenario's run
/// produces about 244,000 effects).
///
/// | name | default | bounds |
/// |---|---|---|
/// | `input-bytes` | 16 MiB | the text's size, checked before parsing |
/// | `agencies` | 100,000 | agencies in the file, with the units of its registries |
/// | `instances` | 1,000,000 | task instances after `for_each` fan-out, checked before allocating them |
/// | `depth` | 64 | nesting of `(`, `[`, `{` (the RON parser's recursion limit) |
/// | `string-bytes` | 65,536 | one string literal (an id, a name, a gloss) |
/// | `timers-per-advance` | 1,000,000 | timers one [`crate::Instance::advance`] may fire |
/// | `effects-per-run` | 1,000,000 | effects (timeline lines) one simulation run may produce |
///
/// ```
/// use directrix_core::{Limits, LoadOptions};
/// let mut limits = Limits::default();
/// limits.set("instances", 5_000_000)?;
/// assert_eq!(limits.instances, 5_000_000);
/// let options = LoadOptions::default().with_limits(limits);
/// # let _ = options;
/// assert!(limits.set("instance", 1).unwrap_err().to_string().contains("did you mean `instances`?"));
/// # Ok::<(), directrix_core::limits::UnknownLimit>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Limits {
    /// Bytes of workflow (or scenario) text.
    pub input_bytes: u64,
    /// Agencies in a workflow, the units of its registries included.
    pub agencies: u64,
    /// Task instances after fan-out.
    pub instances: u64,
    /// Nesting depth of the RON text.
    pub depth: u64,
    /// Bytes of one string literal.
    pub string_bytes: u64,
    /// Timers fired by one `advance`.
    pub timers_per_advance: u64,
    /// Effects (timeline entries) produced by one simulation run.
    pub effects_per_run: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            input_bytes: 16 * 1024 * 1024,
            agencies: 100_000,
            instances: 1_000_000,
            depth: 64,
            string_bytes: 64 * 1024,
            timers_per_advance: 1_000_000,
            effects_per_run: 1_000_000,
        }
    }
}

/// A limit name that [`Limits::set`] does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown limit `{name}` ({})", hint(.name))]
pub struct UnknownLimit {
    /// The name given.
    pub name: String,
}

fn hint(name: &str) -> String {
    match crate::model::diagnostic::suggestion(name, Limits::NAMES) {
        Some(s) => s,
        None => format!("known limits: {}", Limits::NAMES.join(", ")),
    }
}

impl Limits {
    /// The limits' names, as `set`, `get` and the CLI's `--limit NAME=VALUE` spell them.
    pub const NAMES: [&'static str; 7] = [
        "input-bytes",
        "agencies",
        "instances",
        "depth",
        "string-bytes",
        "timers-per-advance",
        "effects-per-run",
    ];

    fn slot(&mut self, name: &str) -> Option<&mut u64> {
        Some(match name {
            "input-bytes" => &mut self.input_bytes,
            "agencies" => &mut self.agencies,
            "instances" => &mut self.instances,
            "depth" => &mut self.depth,
            "string-bytes" => &mut self.string_bytes,
            "timers-per-advance" => &mut self.timers_per_advance,
            "effects-per-run" => &mut self.effects_per_run,
            _ => return None,
        })
    }

    /// Sets the limit called `name` (one of [`Limits::NAMES`]).
    ///
    /// # Errors
    /// [`UnknownLimit`], with a suggestion, for any other name.
    pub fn set(&mut self, name: &str, value: u64) -> Result<(), UnknownLimit> {
        let slot = self.slot(name).ok_or_else(|| UnknownLimit {
            name: name.to_owned(),
        })?;
        *slot = value;
        Ok(())
    }

    /// The limit called `name`, if there is one.
    ///
    /// ```
    /// assert_eq!(directrix_core::Limits::default().get("depth"), Some(64));
    /// ```
    pub fn get(&self, name: &str) -> Option<u64> {
        let mut copy = *self;
        copy.slot(name).copied()
    }
}

/// The words of a `limit-exceeded` diagnostic's hint: how to raise `name` to `needed`.
pub(crate) fn raise_hint(name: &str, needed: u64) -> String {
    format!(
        "raise the `{name}` limit if this is intended (CLI: `--limit {name}={needed}`; library: `LoadOptions::with_limits`)"
    )
}

/// What bounds the number of timers one `advance` can fire, computed when loading, so
/// that `advance` can tell in O(1) whether a call could possibly exceed the limit.
///
/// Per task instance, one `advance` over a window of `w` seconds fires at most
/// `1 + k * (1 + t) * (1 + w / r)` timers: one start; at most `k` timers armed each time
/// it begins or a timed transition fires (a due time, one per escalation level, one per
/// timed transition); at most `t = 1 + w / p` timed transitions (each waits at least
/// `p`), and each armed escalation repeats at most `w / r` times (every `r` or more).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TimerBound {
    instances: u64,
    armed: u64,
    /// Shortest `after` of a timed transition, in seconds, if any.
    timed: Option<u64>,
    /// Shortest escalation `repeat`, in seconds, if any.
    repeat: Option<u64>,
}

impl TimerBound {
    pub(crate) fn of(workflow: &Workflow) -> Self {
        let seconds = |s: crate::Span| s.as_seconds().max(1) as u64;
        let mut bound = Self {
            instances: workflow.slots.len() as u64,
            armed: 0,
            timed: None,
            repeat: None,
        };
        for task in &workflow.tasks {
            let machine = &workflow.machines[task.machine.index()];
            let levels = task
                .policy
                .map_or(&[][..], |p| &workflow.policies[p].levels[..]);
            let timed = machine.transitions.iter().filter_map(|t| t.after);
            bound.armed = bound
                .armed
                .max(1 + levels.len() as u64 + timed.clone().count() as u64);
            for after in timed {
                bound.timed = Some(
                    bound
                        .timed
                        .map_or(seconds(after), |t| t.min(seconds(after))),
                );
            }
            for repeat in levels.iter().filter_map(|l| l.repeat) {
                bound.repeat = Some(
                    bound
                        .repeat
                        .map_or(seconds(repeat), |r| r.min(seconds(repeat))),
                );
            }
        }
        bound
    }

    /// An upper bound on the timers an `advance` over `window` seconds fires.
    pub(crate) fn timers(&self, window: u64) -> u64 {
        let timed = self.timed.map_or(0, |p| 1u64.saturating_add(window / p));
        let repeats = self.repeat.map_or(1, |r| 1u64.saturating_add(window / r));
        let per_instance = 1u64.saturating_add(
            self.armed
                .saturating_mul(1u64.saturating_add(timed))
                .saturating_mul(repeats),
        );
        self.instances.saturating_mul(per_instance)
    }
}
