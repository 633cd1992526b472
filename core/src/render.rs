//! Text renderers of the workflow's graphs: Graphviz DOT and Mermaid. Text out, no IO.

use crate::workflow::Workflow;
use std::fmt::Write;

/// Which graph to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphView {
    /// Tasks and their dependencies (an edge points from a dependency to its dependant),
    /// the critical path in bold.
    Tasks,
    /// The agency reporting forest (an edge points from parent to child).
    Agencies,
    /// The chain of documents (an edge points from a document to the one implementing it).
    Documents,
}

/// Output syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphFormat {
    /// Graphviz DOT.
    Dot,
    /// Mermaid flowchart.
    Mermaid,
}

struct Graph {
    nodes: Vec<(String, String, bool)>,
    edges: Vec<(String, String, bool)>,
}

fn tasks(workflow: &Workflow) -> Graph {
    let critical = workflow.critical_path();
    let on_path = |i: usize| critical.iter().any(|t| t.index() == i);
    let nodes = workflow
        .tasks()
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let leads = if let Some(group) = t.for_each {
                format!("each of {}", workflow.groups()[group.index()].name)
            } else {
                t.leads
                    .iter()
                    .map(|a| workflow.agency(*a).name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            (format!("t{i}"), format!("{}\n{}", t.id, leads), on_path(i))
        })
        .collect();
    let mut edges = Vec::new();
    for (i, task) in workflow.tasks().iter().enumerate() {
        for dep in &task.depends_on {
            let critical_edge = on_path(i) && on_path(dep.index());
            edges.push((format!("t{}", dep.index()), format!("t{i}"), critical_edge));
        }
    }
    Graph { nodes, edges }
}

fn agencies(workflow: &Workflow) -> Graph {
    let issuer = workflow.directive().issuer.index();
    let nodes = workflow
        .agencies()
        .iter()
        .enumerate()
        .map(|(i, a)| (format!("a{i}"), a.name.clone(), i == issuer))
        .collect();
    let edges = workflow
        .agencies()
        .iter()
        .enumerate()
        .filter_map(|(i, a)| {
            a.parent
                .map(|p| (format!("a{}", p.index()), format!("a{i}"), false))
        })
        .collect();
    Graph { nodes, edges }
}

fn documents(workflow: &Workflow) -> Graph {
    let directive = workflow.directive();
    let mut nodes: Vec<(String, String, bool)> = workflow
        .documents()
        .iter()
        .enumerate()
        .map(|(i, d)| {
            (
                format!("d{i}"),
                format!("{} {}\n{}", d.kind, d.number, d.issuer),
                false,
            )
        })
        .collect();
    nodes.push((
        "d_this".to_owned(),
        format!(
            "{} {}\n{}",
            directive.kind,
            directive.number,
            workflow.agency(directive.issuer).name
        ),
        true,
    ));
    let index_of = |number: &str| {
        workflow
            .documents()
            .iter()
            .position(|d| d.number == number)
            .map(|i| format!("d{i}"))
    };
    let mut edges = Vec::new();
    for (i, d) in workflow.documents().iter().enumerate() {
        for parent in &d.implements {
            if let Some(p) = index_of(parent) {
                edges.push((p, format!("d{i}"), false));
            }
        }
    }
    for parent in &directive.implements {
        if let Some(p) = index_of(parent) {
            edges.push((p, "d_this".to_owned(), true));
        }
    }
    Graph { nodes, edges }
}

fn dot_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn mermaid_escape(text: &str) -> String {
    text.replace('"', "#quot;").replace('\n', "<br/>")
}

/// Renders one view of the workflow as DOT or Mermaid text.
///
/// ```
/// use directrix_core::{render_graph, GraphFormat, GraphView};
/// # let workflow = directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
/// let dot = render_graph(&workflow, GraphView::Documents, GraphFormat::Dot);
/// assert!(dot.starts_with("digraph") && dot.contains("15/CT-TTg"));
/// let mermaid = render_graph(&workflow, GraphView::Agencies, GraphFormat::Mermaid);
/// assert!(mermaid.starts_with("flowchart") && mermaid.contains("Công an huyện"));
/// ```
pub fn render_graph(workflow: &Workflow, view: GraphView, format: GraphFormat) -> String {
    let graph = match view {
        GraphView::Tasks => tasks(workflow),
        GraphView::Agencies => agencies(workflow),
        GraphView::Documents => documents(workflow),
    };
    let mut out = String::new();
    match format {
        GraphFormat::Dot => {
            let rankdir = if view == GraphView::Tasks { "LR" } else { "TB" };
            let _ = writeln!(
                out,
                "digraph \"{}\" {{",
                dot_escape(&workflow.directive().number)
            );
            let _ = writeln!(out, "  rankdir={rankdir};");
            let _ = writeln!(
                out,
                "  node [shape=box, style=rounded, fontname=\"Helvetica\"];"
            );
            for (id, label, highlight) in &graph.nodes {
                let style = if *highlight {
                    ", penwidth=2.5, color=\"#b71c1c\""
                } else {
                    ""
                };
                let _ = writeln!(out, "  {id} [label=\"{}\"{style}];", dot_escape(label));
            }
            for (from, to, highlight) in &graph.edges {
                let style = if *highlight {
                    " [penwidth=2.5, color=\"#b71c1c\"]"
                } else {
                    ""
                };
                let _ = writeln!(out, "  {from} -> {to}{style};");
            }
            out.push_str("}\n");
        }
        GraphFormat::Mermaid => {
            let direction = if view == GraphView::Tasks { "LR" } else { "TD" };
            let _ = writeln!(out, "flowchart {direction}");
            for (id, label, _) in &graph.nodes {
                let _ = writeln!(out, "  {id}[\"{}\"]", mermaid_escape(label));
            }
            for (from, to, highlight) in &graph.edges {
                let arrow = if *highlight { "==>" } else { "-->" };
                let _ = writeln!(out, "  {from} {arrow} {to}");
            }
            let highlighted: Vec<&str> = graph
                .nodes
                .iter()
                .filter(|n| n.2)
                .map(|n| n.0.as_str())
                .collect();
            if !highlighted.is_empty() {
                let _ = writeln!(out, "  classDef key stroke:#b71c1c,stroke-width:3px");
                let _ = writeln!(out, "  class {} key", highlighted.join(","));
            }
        }
    }
    out
}
