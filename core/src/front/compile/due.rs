//! Due rules: a task's `due`, one rule per kind, with the times, spans and intervals in
//! it parsed and checked.

use super::{check_interval, parse_span_at, parse_time_at};
use crate::front::reporter::Reporter;
use crate::model::diagnostic::Code;
use crate::model::spec;
use crate::model::time::{parse_clock, parse_date};
use crate::model::workflow::Due;
use std::ops::Range;
use time::UtcOffset;

/// A due rule, checked; `None` when it does not compile (reported), or is a template's
/// `BeforeParent`, which `cascade::expand` resolves.
pub(crate) fn compile_due(
    r: &mut Reporter<'_>,
    due: &spec::DueSpec,
    span: &Option<Range<usize>>,
    offset: UtcOffset,
) -> Option<Due> {
    use spec::DueSpec as D;
    Some(match due {
        D::At(text) => Due::At(parse_time_at(r, text, offset, r.at(span, text))?),
        D::After(text) => Due::After(parse_span_at(r, text, r.at(span, text))?),
        D::Days(n) => Due::Days(*n),
        D::WorkingDays(n) => Due::WorkingDays(*n),
        // Resolved by `cascade::expand` in templates, and an error elsewhere.
        D::BeforeParent(_) => return None,
        D::ClockTime { at, days } => match parse_clock(at) {
            Ok(at) => Due::ClockTime { at, days: *days },
            Err(e) => {
                r.error(Code::InvalidClockTime, r.at(span, at), e.to_string());
                return None;
            }
        },
        D::Every { every, at, until } => {
            let every_span = r.at(span, every);
            let interval = parse_span_at(r, every, every_span.clone());
            let clock = at.as_ref().and_then(|a| match parse_clock(a) {
                Ok(c) => Some(Some(c)),
                Err(e) => {
                    r.error(Code::InvalidClockTime, r.at(span, a), e.to_string());
                    None
                }
            });
            let until = parse_time_at(r, until, offset, r.at(span, until));
            let interval = interval?;
            check_interval(
                r,
                interval,
                every_span.clone(),
                "a recurring due time falls".to_owned(),
            );
            if interval.as_seconds() <= 0 {
                r.error_hint(
                    Code::ZeroInterval,
                    every_span,
                    format!("a recurring due time every {interval} never advances"),
                    Some("use a positive interval such as `1d`".to_owned()),
                );
                return None;
            }
            Due::Every {
                every: interval,
                at: match (at, clock) {
                    (None, _) => None,
                    (Some(_), Some(c)) => c,
                    (Some(_), None) => return None,
                },
                until: until?,
            }
        }
        D::Periodic {
            period,
            cutoff_day,
            submit_within,
            until,
        } => {
            let until_at = r.at(span, until);
            let until = match parse_date(until) {
                Ok(date) => Some(date),
                Err(e) => {
                    r.error(Code::InvalidDate, until_at, e.to_string());
                    None
                }
            };
            if !(1..=31).contains(cutoff_day) {
                r.error_hint(
                    Code::InvalidDate,
                    r.field_at(span, "cutoff_day"),
                    format!("the cut-off day {cutoff_day} is not a day of the month"),
                    Some("write 1 to 31 (Decree 09/2019/NĐ-CP cuts off on the 14th); a day beyond a month's length means its last day".to_owned()),
                );
                return None;
            }
            Due::Periodic {
                period: *period,
                cutoff_day: *cutoff_day,
                within: *submit_within,
                until: until?,
            }
        }
    })
}
