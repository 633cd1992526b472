//! Lifecycle machines: the built-ins, then the file's, each checked (states, transitions,
//! timed transitions, reachability) and compiled with the actions interned.

use super::agencies::Names;
use super::{check_interval, parse_span_at};
use crate::front::builtin;
use crate::front::reporter::{Reporter, spans_of};
use crate::model::diagnostic::{Code, suggestion};
use crate::model::spec::{MachineSpec, RoleSpec, StateKind, TransitionSpec, WorkflowSpec};
use crate::model::time::Span;
use crate::model::workflow::{ActionId, Machine, MachineId, Role, State, StateId, Transition};
use std::collections::{HashMap, HashSet};
use std::ops::Range;

/// The compiled machines, their ids, and the actions of all of them.
pub(super) struct Machines {
    pub(super) machines: Vec<Machine>,
    pub(super) index: HashMap<String, MachineId>,
    pub(super) actions: Vec<String>,
}

/// The `machines` section, after the built-in machines.
pub(super) fn compile(r: &mut Reporter<'_>, spec: &WorkflowSpec, names: &Names) -> Machines {
    let builtins = builtin::machines();
    let machine_spans = spans_of(r, "machines", "id", &spec.machines, |m| &m.id);
    let all_machines: Vec<(&MachineSpec, Option<Range<usize>>, bool)> = builtins
        .iter()
        .map(|m| (m, None, true))
        .chain(
            spec.machines
                .iter()
                .zip(machine_spans.iter().cloned())
                .map(|(m, s)| (m, s, false)),
        )
        .collect();
    let mut seen = HashSet::new();
    for (machine, span, builtin) in &all_machines {
        if !seen.insert(machine.id.as_str()) && !builtin {
            r.error_hint(
                Code::DuplicateId,
                r.at(span, &machine.id),
                format!("duplicate machine id `{}`", machine.id),
                Some(
                    if machine.id == builtin::DEFAULT || machine.id == builtin::RECURRING {
                        "`default` and `recurring` are built in; give your machine another id"
                            .to_owned()
                    } else {
                        "ids must be unique; rename one of them".to_owned()
                    },
                ),
            );
        }
    }
    let mut index = HashMap::new();
    for (i, (machine, _, _)) in all_machines.iter().enumerate() {
        index
            .entry(machine.id.clone())
            .or_insert(MachineId(i as u32));
    }
    let mut actions = Actions::default();
    let machines = all_machines
        .iter()
        .map(|(machine, span, _)| compile_machine(r, machine, span, names, &mut actions))
        .collect();
    Machines {
        machines,
        index,
        actions: actions.names,
    }
}

/// Action ids, shared by every machine, in order of first use.
#[derive(Default)]
struct Actions {
    names: Vec<String>,
    index: HashMap<String, ActionId>,
}

impl Actions {
    fn intern(&mut self, name: &str) -> ActionId {
        *self.index.entry(name.to_owned()).or_insert_with(|| {
            self.names.push(name.to_owned());
            ActionId(self.names.len() as u32 - 1)
        })
    }
}

/// What compiling a machine's parts needs: its spec, where it is, its states by id, and
/// the agencies its roles may name.
struct MachineCx<'m> {
    spec: &'m MachineSpec,
    span: &'m Option<Range<usize>>,
    states: HashMap<&'m str, StateId>,
    names: &'m Names,
}

impl MachineCx<'_> {
    /// The `nth` state declared with this id.
    fn span(&self, r: &Reporter<'_>, id: &str, nth: usize) -> Option<Range<usize>> {
        match self.span {
            Some(s) => r
                .locator
                .keyed("id", id, s.start, nth)
                .or_else(|| r.at(self.span, id)),
            None => None,
        }
    }

    /// The state `id`, reported at `span` when the machine has none.
    fn resolve(
        &self,
        r: &mut Reporter<'_>,
        id: &str,
        span: &Option<Range<usize>>,
    ) -> Option<StateId> {
        let found = self.states.get(id).copied();
        if found.is_none() {
            let hint = suggestion(id, self.states.keys().copied());
            let at = r.at(span, id);
            r.error_hint(
                Code::UnknownState,
                at,
                format!("machine `{}` has no state `{id}`", self.spec.id),
                hint,
            );
        }
        found
    }
}

fn compile_machine(
    r: &mut Reporter<'_>,
    spec: &MachineSpec,
    span: &Option<Range<usize>>,
    names: &Names,
    actions: &mut Actions,
) -> Machine {
    let mut cx = MachineCx {
        spec,
        span,
        states: HashMap::new(),
        names,
    };
    // Set when a state is declared twice or a transition names an unknown state: the
    // reachability checks would then only repeat those errors.
    let mut broken = false;
    for (i, state) in spec.states.iter().enumerate() {
        if cx.states.contains_key(state.id.as_str()) {
            broken = true;
            let nth = spec.states[..i].iter().filter(|s| s.id == state.id).count();
            let at = cx.span(r, &state.id, nth);
            r.error(
                Code::DuplicateId,
                at,
                format!("machine `{}` has duplicate state `{}`", spec.id, state.id),
            );
        } else {
            cx.states.insert(&state.id, StateId(i as u32));
        }
    }
    // Transition `i` runs from its `on` value to the next transition's.
    let transition_spans: Vec<Option<Range<usize>>> = r
        .spans_within(span, "on", spec.transitions.iter().map(|t| t.on.as_str()))
        .into_iter()
        .map(|found| found.or_else(|| span.clone()))
        .collect();
    let initials: Vec<usize> = spec
        .states
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind == StateKind::Initial)
        .map(|(i, _)| i)
        .collect();
    if initials.len() != 1 {
        r.error_hint(
            Code::InitialState,
            r.at(span, &spec.id),
            format!(
                "machine `{}` has {} initial states; it needs exactly one",
                spec.id,
                initials.len()
            ),
            Some("mark one state `kind: Initial`".to_owned()),
        );
    }
    let initial = StateId(initials.first().copied().unwrap_or(0) as u32);
    let mut transitions = Vec::new();
    let mut edges = Vec::new();
    for (transition, span) in spec.transitions.iter().zip(&transition_spans) {
        let action = actions.intern(&transition.on);
        broken |= compile_transition(
            r,
            &cx,
            transition,
            span,
            action,
            &mut transitions,
            &mut edges,
        );
    }
    if initials.len() == 1 && !broken {
        check_reachable(r, &cx, initial, &edges);
    }
    Machine {
        id: spec.id.clone(),
        states: spec
            .states
            .iter()
            .map(|s| State {
                id: s.id.clone(),
                kind: s.kind,
                submitted: s.submitted,
            })
            .collect(),
        initial,
        transitions,
    }
}

/// Compiles one transition into `transitions` (one per source state when it stays) and
/// its edges into `edges`; returns whether it names an unknown state.
fn compile_transition(
    r: &mut Reporter<'_>,
    cx: &MachineCx<'_>,
    transition: &TransitionSpec,
    span: &Option<Range<usize>>,
    action: ActionId,
    transitions: &mut Vec<Transition>,
    edges: &mut Vec<(usize, usize)>,
) -> bool {
    let spec = cx.spec;
    let from: Vec<StateId> = transition
        .from
        .iter()
        .filter_map(|s| cx.resolve(r, s, span))
        .collect();
    let to = transition.to.as_ref().map(|to| cx.resolve(r, to, span));
    let broken = to.is_some_and(|to| to.is_none()) || from.len() != transition.from.len();
    let by = roles(r, spec, transition, span, cx.names);
    let after = timing(r, spec, transition, span, by.contains(&Role::System));
    for &f in &from {
        if spec
            .states
            .get(f.index())
            .is_some_and(|s| matches!(s.kind, StateKind::Done | StateKind::Cancelled))
        {
            let at = r.at(span, &transition.on);
            r.error(
                Code::TransitionFromTerminal,
                at,
                format!(
                    "transition `{}` of machine `{}` leaves terminal state `{}`",
                    transition.on,
                    spec.id,
                    spec.states[f.index()].id
                ),
            );
        }
        if let Some(Some(to)) = to {
            edges.push((f.index(), to.index()));
        }
    }
    let compiled = |from: Vec<StateId>, to: StateId, stays: bool| Transition {
        action,
        from,
        to,
        by: by.clone(),
        guards: transition.guards.clone(),
        reports: transition.reports,
        returns_report: transition.returns_report,
        extension: transition.extension,
        stays,
        after,
    };
    match to {
        Some(Some(to)) => transitions.push(compiled(from, to, false)),
        Some(None) => {}
        // Staying is one transition per source state, so each knows where it stays.
        None => transitions.extend(from.iter().map(|&f| compiled(vec![f], f, true))),
    }
    broken
}

/// The roles that may fire a transition; an unknown agency is reported and left out.
fn roles(
    r: &mut Reporter<'_>,
    spec: &MachineSpec,
    transition: &TransitionSpec,
    span: &Option<Range<usize>>,
    names: &Names,
) -> Vec<Role> {
    let mut by = Vec::new();
    for role in &transition.by {
        by.push(match role {
            RoleSpec::Lead => Role::Lead,
            RoleSpec::Support => Role::Support,
            RoleSpec::Supervisor => Role::Supervisor,
            RoleSpec::Issuer => Role::Issuer,
            RoleSpec::System => Role::System,
            RoleSpec::Agency(id) => match names.agencies.get(id) {
                Some(&a) => Role::Agency(a),
                None => {
                    let at = r.at(span, id);
                    names.unknown(
                        r,
                        at,
                        id,
                        false,
                        format!(
                            "transition `{}` of machine `{}` names unknown agency `{id}`",
                            transition.on, spec.id
                        ),
                    );
                    continue;
                }
            },
        });
    }
    by
}

/// A transition's `after`, checked: a timed transition is fired by System and waits a
/// positive time.
fn timing(
    r: &mut Reporter<'_>,
    spec: &MachineSpec,
    transition: &TransitionSpec,
    span: &Option<Range<usize>>,
    system: bool,
) -> Option<Span> {
    let after = transition.after.as_ref().and_then(|a| {
        let at = r.at(span, a);
        parse_span_at(r, a, at)
    });
    if after.is_some() != system {
        let at = r.at(span, &transition.on);
        r.error_hint(
            Code::TimedTransition,
            at,
            format!(
                "transition `{}` of machine `{}` {}",
                transition.on,
                spec.id,
                if system {
                    "is fired by System but has no `after`"
                } else {
                    "has `after` but is not fired by System"
                }
            ),
            Some("a timed transition has both `after: \"...\"` and `by: [System]`".to_owned()),
        );
    }
    if let Some(after) = after {
        let at = r.at(span, &transition.on);
        check_interval(
            r,
            after,
            at,
            format!(
                "timed transition `{}` of machine `{}` fires",
                transition.on, spec.id
            ),
        );
    }
    if let Some(after) = after
        && after.as_seconds() <= 0
    {
        let at = r.at(span, &transition.on);
        r.error(
            Code::ZeroInterval,
            at,
            format!(
                "timed transition `{}` of machine `{}` must wait a positive time",
                transition.on, spec.id
            ),
        );
    }
    after
}

/// Every state is reachable from the initial one, and some `Done` state is.
fn check_reachable(
    r: &mut Reporter<'_>,
    cx: &MachineCx<'_>,
    initial: StateId,
    edges: &[(usize, usize)],
) {
    let spec = cx.spec;
    let reachable = crate::front::graph::reachable(spec.states.len(), edges, initial.index());
    for (i, state) in spec.states.iter().enumerate() {
        if !reachable[i] {
            let at = cx.span(r, &state.id, 0);
            r.error_hint(
                Code::UnreachableState,
                at,
                format!(
                    "state `{}` of machine `{}` cannot be reached from `{}`",
                    state.id,
                    spec.id,
                    spec.states[initial.index()].id
                ),
                Some("add a transition into it, or remove it".to_owned()),
            );
        }
    }
    let terminal_reachable = spec
        .states
        .iter()
        .enumerate()
        .any(|(i, s)| reachable[i] && s.kind == StateKind::Done);
    if !terminal_reachable {
        r.error_hint(
            Code::NoTerminalState,
            r.at(cx.span, &spec.id),
            format!("machine `{}` can never reach a `Done` state", spec.id),
            Some("add a state with `kind: Done` and a path of transitions to it".to_owned()),
        );
    }
}
