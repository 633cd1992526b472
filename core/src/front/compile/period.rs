//! Periods in force: a task's `in_force`, its times and length parsed and checked against
//! each other, the task's own `due` and its machine (which must let the lead report at the
//! end).

use super::{parse_span_at, parse_time_at};
use crate::front::reporter::Reporter;
use crate::model::diagnostic::Code;
use crate::model::spec::{InForceSpec, TaskSpec};
use crate::model::time::{Span, Timestamp};
use crate::model::workflow::{InForce, InForceEnd, Machine, Start};
use std::ops::Range;
use time::UtcOffset;

/// A task's `in_force`, checked; `None` without one, or when it does not compile (every
/// problem reported).
pub(super) fn compile_period(
    r: &mut Reporter<'_>,
    task: &TaskSpec,
    span: &Option<Range<usize>>,
    (offset, start): (UtcOffset, Start),
    machine: &Machine,
) -> Option<InForce> {
    let period = task.in_force.as_ref()?;
    let field = r.field_at(span, "in_force");
    if task.due.is_some() {
        r.error_hint(
            Code::PeriodWithDue,
            r.field_at(span, "due"),
            format!("task `{}` has both `due` and `in_force`", task.id),
            Some("a measure in force is due at its end: remove `due` and give `in_force` a `report_within`".to_owned()),
        );
    }
    if !machine.transitions.iter().any(|t| t.reports) {
        r.error_hint(
            Code::PeriodWithoutReport,
            field.clone(),
            format!(
                "task `{}` is in force for a period, but its machine `{}` has no transition that `reports`",
                task.id, machine.id
            ),
            Some("the lead reports once the period ends: use the `default` machine, or mark the report transition `reports: true`".to_owned()),
        );
    }
    let time =
        |r: &mut Reporter<'_>, text: &String| parse_time_at(r, text, offset, r.at(span, text));
    let from = match &period.from {
        Some(text) => Some(time(r, text)?),
        None => None,
    };
    let report_within = report_within(r, period, span)?;
    let end = match (&period.length, &period.until) {
        (Some(_), Some(_)) | (None, None) => {
            r.error_hint(
                Code::InvalidPeriod,
                field,
                format!(
                    "the period of task `{}` needs exactly one of `length` and `until`",
                    task.id
                ),
                Some("write how long it lasts, `length: \"15d\"`, or when it ends, `until: \"2021-05-21 00:00\"`".to_owned()),
            );
            return None;
        }
        (Some(text), None) => {
            let at = r.at(span, text);
            let length = parse_span_at(r, text, at.clone())?;
            if length.as_seconds() <= 0 {
                r.error_hint(
                    Code::InvalidPeriod,
                    at,
                    format!("a period of {length} is never in force"),
                    Some("give a positive length such as `\"15d\"`".to_owned()),
                );
                return None;
            }
            InForceEnd::Length(length)
        }
        (None, Some(text)) => {
            let until = time(r, text)?;
            // The start it must follow: `from`, else a fixed task start.
            let begins = from.or(match start {
                Start::At(t) => Some(t),
                Start::AtIssue | Start::AfterDependencies => None,
            });
            if let Some(begins) = begins.filter(|&b| until <= b) {
                ends_before_start(r, task, r.at(span, text), (begins, until), offset);
                return None;
            }
            InForceEnd::Until(until)
        }
    };
    Some(InForce {
        from,
        end,
        report_within,
    })
}

fn report_within(
    r: &mut Reporter<'_>,
    period: &InForceSpec,
    span: &Option<Range<usize>>,
) -> Option<Span> {
    let text = &period.report_within;
    let at = r.at(span, text);
    let within = parse_span_at(r, text, at.clone())?;
    if within.as_seconds() <= 0 {
        r.error_hint(
            Code::InvalidPeriod,
            at,
            format!("a final report due {within} after the period ends is due before the lead can make it"),
            Some("give the lead time to report, such as `report_within: \"1d\"`".to_owned()),
        );
        return None;
    }
    Some(within)
}

/// `until` at or before the time the period begins.
fn ends_before_start(
    r: &mut Reporter<'_>,
    task: &TaskSpec,
    at: Option<Range<usize>>,
    (begins, until): (Timestamp, Timestamp),
    offset: UtcOffset,
) {
    r.error_hint(
        Code::PeriodEndsBeforeStart,
        at,
        format!(
            "the period of task `{}` ends at {}, not after it comes into force at {}",
            task.id,
            until.to_rfc3339(offset),
            begins.to_rfc3339(offset)
        ),
        Some("check the dates; to give its length instead, write `length: \"15d\"`".to_owned()),
    );
}
