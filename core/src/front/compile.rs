//! Validation and compilation: a parsed [`WorkflowSpec`] to a [`Workflow`], names resolved
//! to indices and every problem reported. [`compile`] runs one function per section of
//! the file, in the order the sections depend on each other (which is also the order
//! their diagnostics are found in): calendar, agencies and groups, the directive and its
//! documents, machines, policies, tasks; then the limits on the whole, assembly, and the
//! analysis findings, located in the text.

mod agencies;
mod calendar;
mod directive;
mod due;
mod machines;
mod period;
mod policies;
mod registry;
mod tasks;

pub(crate) use agencies::Names;
pub(crate) use calendar::calendar_file;
pub(crate) use due::compile_due;
pub(crate) use registry::check_registry;

use crate::front::cascade;
use crate::front::graph::find_cycles;
use crate::front::load::{LoadError, Loaded};
use crate::front::reporter::Reporter;
use crate::model::diagnostic::{Code, Severity, suggestion};
use crate::model::limits::{Limits, raise_hint};
use crate::model::options::LoadOptions;
use crate::model::spec::{self, WorkflowSpec};
use crate::model::time::{Span, TimeError, Timestamp};
use crate::model::workflow::{Group, Parts, Task, Workflow};
use std::ops::Range;
use time::UtcOffset;

/// Validates and compiles a parsed workflow: the workflow and its warnings, or every
/// diagnostic found.
pub(crate) fn compile(
    spec: &WorkflowSpec,
    source: &str,
    options: &LoadOptions,
) -> Result<Loaded, LoadError> {
    let limits = &options.limits;
    let mut r = Reporter::new(source);
    // Size limits first: past them, the rest of validation is not worth its cost.
    check_shape_limits(&mut r, spec, limits);
    if r.has_errors() {
        return Err(LoadError {
            diagnostics: r.finish(),
        });
    }
    check_format(&mut r, spec.format);

    let calendar = calendar::compile_calendar(&mut r, &spec.calendar, options);
    let agencies_section = r.key("agencies").map(|s| s.start..usize::MAX);
    let registries = registry::resolve(
        &mut r,
        &spec.agencies.uses,
        &agencies_section,
        options,
        // The issue date picks the units in force; a time that does not parse is
        // reported with the directive.
        Timestamp::parse(&spec.directive.issued_at, calendar.offset())
            .ok()
            .and_then(|t| t.local(calendar.offset()))
            .map(|(date, _)| date),
    );
    // The `agencies` limit counts the registries' units too.
    let agencies = (registries.agencies.len() + spec.agencies.list.len()) as u64;
    if agencies > limits.agencies {
        r.error_hint(
            Code::LimitExceeded,
            agencies_section.map(|s| s.start..s.start + "agencies".len()),
            format!(
                "with its registries the workflow has {agencies} agencies, more than the `agencies` limit of {}",
                limits.agencies
            ),
            Some(raise_hint("agencies", agencies)),
        );
        return Err(LoadError {
            diagnostics: r.finish(),
        });
    }
    let parties = agencies::compile(&mut r, spec, registries);
    let directive_span = r.key("directive").map(|s| s.start..source.len());
    let header = directive::compile(
        &mut r,
        &spec.directive,
        &directive_span,
        &parties,
        calendar.offset(),
    );
    let mut documents = directive::documents(&mut r, spec, &directive_span);
    let machines = machines::compile(&mut r, spec, &parties.names);
    let policies = policies::compile(&mut r, spec, &parties.names);
    let tasks = tasks::compile(
        &mut r,
        spec,
        &cascade::Context {
            names: &parties.names,
            agencies: &parties.agencies,
            groups: &parties.groups,
            calendar: &calendar,
            offset: calendar.offset(),
            issued_at: header.issued_at,
            issuer: header.issuer,
            number: &spec.directive.number,
        },
        &machines,
        &policies,
    );
    check_fan_out(&mut r, &tasks.tasks, &tasks.spans, &parties.groups, limits);
    if r.has_errors() {
        return Err(LoadError {
            diagnostics: r.finish(),
        });
    }

    documents.extend(tasks.documents);
    let mut workflow = Workflow::assemble(
        Parts {
            directive: header.into_directive(&spec.directive),
            documents,
            calendar,
            agencies: parties.agencies,
            groups: parties.groups,
            machines: machines.machines,
            actions: machines.actions,
            policies: policies.policies,
            tasks: tasks.tasks,
        },
        String::new(),
        limits,
    );
    workflow.content_hash = crate::model::hash::content_hash(&workflow);

    // The analysis walks the dependency graph, which has no cycle past the check above.
    debug_assert!(!tasks.cyclic);
    report_findings(
        &mut r,
        &workflow,
        &Places {
            directive: &directive_span,
            addressees: &spec.directive.addressees,
            names: &parties.names,
            task_spans: &tasks.spans,
            first_of_key: &tasks.first_of_key,
            level_spans: &policies.level_spans,
        },
    );
    if r.has_errors() {
        return Err(LoadError {
            diagnostics: r.finish(),
        });
    }
    Ok(Loaded {
        workflow,
        warnings: r.finish(),
    })
}

/// The hint of an unknown shared text (a calendar or an agency registry) named by a
/// workflow: the closest name supplied, or what was supplied, and where such texts come
/// from. `kind` is the plural (`calendars`), `option` the `LoadOptions` method.
pub(crate) fn unknown_shared_hint<'a>(
    name: &str,
    supplied: impl Iterator<Item = &'a str>,
    kind: &str,
    option: &str,
) -> String {
    let supplied: Vec<&str> = supplied.collect();
    let how = format!(
        "the directrix CLI reads `{kind}/NAME.ron` in the workflow's directory; \
         other hosts supply {kind} with `LoadOptions::{option}`"
    );
    match suggestion(name, supplied.iter().copied()) {
        Some(s) => format!("{s} ({how})"),
        None => {
            let names: Vec<String> = supplied.iter().map(|n| format!("`{n}`")).collect();
            if names.is_empty() {
                format!("no {kind} were supplied; {how}")
            } else {
                format!("the {kind} supplied are {}; {how}", names.join(", "))
            }
        }
    }
}

fn check_format(r: &mut Reporter<'_>, format: u32) {
    if format != spec::FORMAT_VERSION {
        r.error_hint(
            Code::UnsupportedFormat,
            r.key("format"),
            format!("format version {format} is not supported"),
            Some(format!(
                "this directrix reads format {}",
                spec::FORMAT_VERSION
            )),
        );
    }
}

/// Counts the task instances before allocating them: a `for_each` over a large group,
/// repeated over many tasks, must fail here, not in the allocator.
fn check_fan_out(
    r: &mut Reporter<'_>,
    tasks: &[Task],
    task_spans: &[Option<Range<usize>>],
    groups: &[Group],
    limits: &Limits,
) {
    let fan_out = |task: &Task| task.fan_out(groups) as u64;
    let instances: u64 = tasks.iter().map(fan_out).sum();
    if instances > limits.instances {
        let widest = (0..tasks.len()).max_by_key(|&i| (fan_out(&tasks[i]), usize::MAX - i));
        r.error_hint(
            Code::LimitExceeded,
            widest.and_then(|i| task_spans[i].clone()),
            format!(
                "the tasks fan out to {instances} task instances, more than the `instances` limit of {}",
                limits.instances
            ),
            Some(raise_hint("instances", instances)),
        );
    }
}

/// Where the parts of the compiled workflow are in the text, to locate the findings.
struct Places<'a> {
    directive: &'a Option<Range<usize>>,
    addressees: &'a [String],
    names: &'a Names,
    task_spans: &'a [Option<Range<usize>>],
    /// Per task: not a repeat of a template task already reported (see `tasks::compile`).
    first_of_key: &'a [bool],
    level_spans: &'a [Vec<Option<Range<usize>>>],
}

/// The analysis warnings (schedule, levels, reporting lines, addressees) need the
/// compiled workflow; only their locations are found here. Due rules and efforts out of
/// the representable range are errors, located the same way as the warnings.
fn report_findings(r: &mut Reporter<'_>, workflow: &Workflow, places: &Places<'_>) {
    use crate::model::analysis::{Place, analyse, findings, out_of_range};
    let analysis = analyse(workflow);
    let errors = out_of_range(workflow, &analysis);
    for finding in errors.into_iter().chain(findings(workflow, &analysis)) {
        // A task expanded from a template is reported once, at the template.
        if let Place::TaskDue(t) | Place::InTask(t, _) | Place::TaskField(t, _) = &finding.place
            && !places.first_of_key[t.index()]
        {
            continue;
        }
        let task_spans = places.task_spans;
        let at = match &finding.place {
            Place::TaskDue(t) => r.field_at(&task_spans[t.index()], "due"),
            Place::TaskField(t, field) => r.field_at(&task_spans[t.index()], field),
            Place::InTask(t, value) => r.at(&task_spans[t.index()], value),
            Place::Level { policy, level } => places.level_spans[*policy][*level].clone(),
            Place::Addressee(agency) => places
                .addressees
                .iter()
                .find(|entry| match workflow.agency_id(entry) {
                    Some(a) => a == *agency,
                    None => places
                        .names
                        .groups
                        .get(entry.as_str())
                        .is_some_and(|g| workflow.groups[g.index()].members.contains(agency)),
                })
                .and_then(|entry| r.at(places.directive, entry)),
        };
        let severity = match finding.code {
            Code::OutOfRange => Severity::Error,
            _ => Severity::Warning,
        };
        r.push(severity, finding.code, at, finding.message, finding.hint);
    }
}

/// The wording of one kind of reference cycle.
struct CycleWording {
    code: Code,
    /// What forms the cycle; the path follows it.
    message: &'static str,
    hint: &'static str,
}

/// Reports every cycle of `edges` among `count` items named by `id`, each at its first
/// item's id; returns whether there was one.
fn report_cycles<'a>(
    r: &mut Reporter<'_>,
    count: usize,
    edges: &[(usize, usize)],
    spans: &[Option<Range<usize>>],
    id: impl Fn(usize) -> &'a str,
    wording: &CycleWording,
) -> bool {
    let mut found = false;
    for cycle in find_cycles(count, edges) {
        found = true;
        let path = cycle_text(&cycle, &id);
        r.error_hint(
            wording.code,
            r.at(&spans[cycle[0]], id(cycle[0])),
            format!("{}: {path}", wording.message),
            Some(wording.hint.to_owned()),
        );
    }
    found
}

fn time_code(error: &TimeError) -> Code {
    match error {
        TimeError::Time(_) | TimeError::OutOfRange => Code::InvalidTime,
        TimeError::Date(_) => Code::InvalidDate,
        TimeError::ClockTime(_) => Code::InvalidClockTime,
        TimeError::Span(_) => Code::InvalidDuration,
        TimeError::Offset(_) => Code::InvalidOffset,
    }
}

/// The limits that the parsed text alone shows: agencies and string lengths.
fn check_shape_limits(r: &mut Reporter<'_>, spec: &WorkflowSpec, limits: &Limits) {
    let agencies = spec.agencies.list.len() as u64;
    if agencies > limits.agencies {
        r.error_hint(
            Code::LimitExceeded,
            r.key("agencies"),
            format!(
                "the file lists {agencies} agencies, more than the `agencies` limit of {}",
                limits.agencies
            ),
            Some(raise_hint("agencies", agencies)),
        );
    }
    let long: Vec<Range<usize>> = r.locator.long_strings(limits.string_bytes).collect();
    for span in long {
        // The span includes the quotes.
        let bytes = span.len().saturating_sub(2) as u64;
        r.error_hint(
            Code::LimitExceeded,
            Some(span),
            format!(
                "a string of {bytes} bytes is longer than the `string-bytes` limit of {}",
                limits.string_bytes
            ),
            Some(raise_hint("string-bytes", bytes)),
        );
    }
}

/// Warns about an interval under a minute: directives count in hours and days, and such
/// a timer fires tens of thousands of times a day.
fn check_interval(r: &mut Reporter<'_>, interval: Span, span: Option<Range<usize>>, what: String) {
    if (1..60).contains(&interval.as_seconds()) {
        r.push(
            Severity::Warning,
            Code::ShortInterval,
            span,
            format!("{what} every {interval}, more often than once a minute"),
            Some("directives count in hours and days; write e.g. `1h` or `1d`".to_owned()),
        );
    }
}

pub(crate) fn parse_time_at(
    r: &mut Reporter<'_>,
    text: &str,
    offset: UtcOffset,
    span: Option<Range<usize>>,
) -> Option<Timestamp> {
    match Timestamp::parse(text, offset) {
        Ok(t) => Some(t),
        Err(e) => {
            r.error(time_code(&e), span, e.to_string());
            None
        }
    }
}

fn parse_span_at(r: &mut Reporter<'_>, text: &str, span: Option<Range<usize>>) -> Option<Span> {
    match Span::parse(text) {
        Ok(s) => Some(s),
        Err(e) => {
            r.error(time_code(&e), span, e.to_string());
            None
        }
    }
}

pub(crate) fn cycle_text<'a>(cycle: &[usize], name: impl Fn(usize) -> &'a str) -> String {
    let mut names: Vec<&str> = cycle.iter().map(|&i| name(i)).collect();
    if let Some(&first) = names.first() {
        names.push(first);
    }
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(" → ")
}
