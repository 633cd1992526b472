//! Graph algorithms over dense indices, on petgraph.

use petgraph::algo::tarjan_scc;
use petgraph::graph::DiGraph;
use petgraph::visit::{Bfs, EdgeRef};
use std::collections::VecDeque;

fn build(nodes: usize, edges: &[(usize, usize)]) -> DiGraph<(), ()> {
    let mut graph = DiGraph::with_capacity(nodes, edges.len());
    for _ in 0..nodes {
        graph.add_node(());
    }
    for &(a, b) in edges {
        graph.add_edge((a as u32).into(), (b as u32).into(), ());
    }
    graph
}

/// Every cycle, one per strongly connected component, each as the node path of a
/// shortest cycle through the component's smallest node, ordered by that node.
pub(crate) fn find_cycles(nodes: usize, edges: &[(usize, usize)]) -> Vec<Vec<usize>> {
    let graph = build(nodes, edges);
    // Looked up once per component: scanning `edges` each time would be quadratic.
    let self_loops: std::collections::HashSet<usize> = edges
        .iter()
        .filter(|(a, b)| a == b)
        .map(|(a, _)| *a)
        .collect();
    let mut cycles: Vec<Vec<usize>> = tarjan_scc(&graph)
        .into_iter()
        .filter_map(|component| {
            let start = component.iter().map(|n| n.index()).min()?;
            let self_loop = self_loops.contains(&start);
            if component.len() == 1 && !self_loop {
                return None;
            }
            if self_loop {
                return Some(vec![start]);
            }
            let members: Vec<usize> = component.iter().map(|n| n.index()).collect();
            shortest_cycle(&graph, start, &members)
        })
        .collect();
    cycles.sort();
    cycles
}

/// Breadth-first search from `start` back to itself inside one component.
fn shortest_cycle(graph: &DiGraph<(), ()>, start: usize, members: &[usize]) -> Option<Vec<usize>> {
    let mut previous = vec![usize::MAX; graph.node_count()];
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        let mut next: Vec<usize> = graph
            .edges((node as u32).into())
            .map(|e| e.target().index())
            .filter(|t| members.contains(t))
            .collect();
        next.sort_unstable();
        for target in next {
            if target == start {
                let mut path = vec![node];
                let mut at = node;
                while at != start {
                    at = previous[at];
                    path.push(at);
                }
                path.reverse();
                return Some(path);
            }
            if previous[target] == usize::MAX {
                previous[target] = node;
                queue.push_back(target);
            }
        }
    }
    None
}

/// Which nodes are reachable from `start`.
pub(crate) fn reachable(nodes: usize, edges: &[(usize, usize)], start: usize) -> Vec<bool> {
    let graph = build(nodes, edges);
    let mut seen = vec![false; nodes];
    if start >= nodes {
        return seen;
    }
    let mut bfs = Bfs::new(&graph, (start as u32).into());
    while let Some(node) = bfs.next(&graph) {
        seen[node.index()] = true;
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_whole_cycle_from_its_smallest_node() {
        let cycles = find_cycles(4, &[(2, 1), (1, 3), (3, 2), (0, 1)]);
        assert_eq!(cycles, vec![vec![1, 3, 2]]);
    }

    #[test]
    fn self_loop_is_a_cycle() {
        assert_eq!(find_cycles(2, &[(1, 1)]), vec![vec![1]]);
    }

    #[test]
    fn acyclic_graph_has_none() {
        assert!(find_cycles(3, &[(0, 1), (1, 2), (0, 2)]).is_empty());
    }

    #[test]
    fn reachability() {
        assert_eq!(
            reachable(4, &[(0, 1), (1, 2)], 0),
            vec![true, true, true, false]
        );
    }
}
