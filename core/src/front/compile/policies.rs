//! Escalation policies: levels in firing order, their targets and repeats.

use super::agencies::Names;
use super::{check_interval, parse_span_at};
use crate::front::reporter::{Reporter, section};
use crate::model::diagnostic::Code;
use crate::model::spec::{self, Anchor, WorkflowSpec};
use crate::model::time::Span;
use crate::model::workflow::{Level, Policy, Target};
use std::collections::HashMap;
use std::ops::Range;

/// The compiled policies, where they and their levels are, and their ids.
pub(super) struct Policies<'s> {
    pub(super) policies: Vec<Policy>,
    pub(super) spans: Vec<Option<Range<usize>>>,
    pub(super) index: HashMap<&'s str, usize>,
    pub(super) level_spans: Vec<Vec<Option<Range<usize>>>>,
}

/// The `policies` section.
pub(super) fn compile<'s>(
    r: &mut Reporter<'_>,
    spec: &'s WorkflowSpec,
    names: &Names,
) -> Policies<'s> {
    let (spans, index) = section(r, "policy", "policies", "id", &spec.policies, |p| &p.id);
    let mut policies = Vec::new();
    let mut level_spans = Vec::new();
    for (policy, span) in spec.policies.iter().zip(&spans) {
        let (policy, spans) = compile_policy(r, policy, span, names);
        policies.push(policy);
        level_spans.push(spans);
    }
    Policies {
        policies,
        spans,
        index,
        level_spans,
    }
}

/// One policy, and the span of each of its levels.
fn compile_policy(
    r: &mut Reporter<'_>,
    spec: &spec::PolicySpec,
    span: &Option<Range<usize>>,
    names: &Names,
) -> (Policy, Vec<Option<Range<usize>>>) {
    let mut levels = Vec::new();
    // Last offset per anchor: levels must not go back in time within one anchor.
    let mut last: HashMap<Option<&str>, (Span, usize)> = HashMap::new();
    let level_spans: Vec<Option<Range<usize>>> = {
        let mut from = span.as_ref().map_or(0, |s| s.start);
        spec.levels
            .iter()
            .map(|level| {
                let found = r
                    .locator
                    .keyed("after", &level.after, from, 0)
                    .filter(|s| span.as_ref().is_none_or(|p| s.start < p.end));
                if let Some(found) = &found {
                    from = found.end;
                }
                found.or_else(|| span.clone())
            })
            .collect()
    };
    for (n, (level, level_span)) in spec.levels.iter().zip(&level_spans).enumerate() {
        let after =
            parse_span_at(r, &level.after, level_span.clone()).unwrap_or(Span::from_seconds(0));
        let anchor = match &level.from {
            Anchor::Due => None,
            Anchor::Entered(state) => Some(state.as_str()),
        };
        if let Some((previous, previous_level)) = last.get(&anchor)
            && after < *previous
        {
            r.error_hint(
                Code::EscalationOrder,
                level_span.clone(),
                format!(
                    "level {} of policy `{}` fires at {after}, before level {previous_level} at {previous}",
                    n + 1,
                    spec.id
                ),
                Some("list levels in the order they fire".to_owned()),
            );
        }
        last.insert(anchor, (after, n + 1));
        let repeat = level.repeat.as_ref().and_then(|text| {
            let at = level_span
                .as_ref()
                .and_then(|l| r.locator.keyed("repeat", text, l.start, 0))
                .or_else(|| r.at(span, text));
            let repeat = parse_span_at(r, text, at.clone())?;
            check_interval(
                r,
                repeat,
                at.clone(),
                format!("level {} of policy `{}` repeats", n + 1, spec.id),
            );
            if repeat.as_seconds() <= 0 {
                r.error(
                    Code::ZeroInterval,
                    at,
                    format!("level {} of policy `{}` repeats every {repeat}; the interval must be positive", n + 1, spec.id),
                );
                return None;
            }
            Some(repeat)
        });
        let target = match &level.target {
            spec::TargetSpec::Lead => Target::Lead,
            spec::TargetSpec::Parent => Target::Parent,
            spec::TargetSpec::Supervisor => Target::Supervisor,
            spec::TargetSpec::SupervisorParent => Target::SupervisorParent,
            spec::TargetSpec::Issuer => Target::Issuer,
            spec::TargetSpec::ParentIssuer => Target::ParentIssuer,
            spec::TargetSpec::Agency(id) => match names.agencies.get(id) {
                Some(&a) => Target::Agency(a),
                None => {
                    let at = r.at(span, id);
                    names.unknown(
                        r,
                        at,
                        id,
                        false,
                        format!(
                            "level {} of policy `{}` targets unknown agency `{id}`",
                            n + 1,
                            spec.id
                        ),
                    );
                    Target::Issuer
                }
            },
        };
        levels.push(Level {
            after,
            entered: anchor.map(str::to_owned),
            action: level.action,
            target,
            repeat,
        });
    }
    (
        Policy {
            id: spec.id.clone(),
            levels,
        },
        level_spans,
    )
}
