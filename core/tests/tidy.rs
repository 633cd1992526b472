//! Tidy: the core's layers import only in the allowed directions (in the style of
//! rust-analyzer's `tidy.rs`: a test that reads the sources).
//!
//! The layers are folders of `core/src`: `model/`, `front/`, `engine/`, `sim/`. Allowed:
//! `front` → `model`; `engine` → `model`; `sim` → `engine`, `model` (and `front` to load
//! scenarios and behaviours, so `sim` forbids nothing: it is the top layer). So a file of
//! `model` (`model.rs` or under `model/`) names none of `front`, `engine`, `sim`; a file
//! of `front` neither `engine` nor `sim`; a file of `engine` neither `front` nor `sim`;
//! whatever form the path takes: `crate::front::…`, `crate::{front::…}`,
//! `super::super::front::…`, or a crate-root re-export of a forbidden layer's item
//! (`crate::load`, found by reading `lib.rs`). Comments, strings and `#[cfg(test)]`
//! modules are not dependencies and are skipped (a unit test may build its fixture with
//! the front end).
//!
//! Outside the layers, `core/src` holds only `lib.rs` (module declarations and the public
//! re-exports, no code) and `glue.rs`, the one module that names several layers: the
//! public entry points whose work spans them (follow-ups: the front end builds the
//! amendment, the engine applies it).
//!
//! There is no allowlist: a violation is fixed, not recorded.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const LAYERS: [&str; 4] = ["model", "front", "engine", "sim"];

/// The files of `core/src` outside the layers: the crate root and the glue.
const OUTSIDE_LAYERS: [&str; 2] = ["lib.rs", "glue.rs"];

/// The layers a layer must not name.
fn forbidden(layer: &str) -> &'static [&'static str] {
    match layer {
        "model" => &["front", "engine", "sim"],
        "front" => &["engine", "sim"],
        "engine" => &["front", "sim"],
        // The top layer: it drives the engine and loads its scenario text with the front end.
        "sim" => &[],
        _ => unreachable!("not a layer: {layer}"),
    }
}

#[test]
fn layers_import_only_allowed_directions() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let root = root_reexports(&lib);
    let mut found = BTreeSet::new();
    for layer in LAYERS {
        let mut files = vec![src.join(format!("{layer}.rs"))];
        collect(&src.join(layer), &mut files);
        for file in files {
            let relative = file
                .strip_prefix(&src)
                .unwrap()
                .to_str()
                .unwrap()
                .replace('\\', "/");
            // `model.rs` is one module below the root, `model/x.rs` two, …
            let depth = relative.matches('/').count() + 1;
            let text = without_tests(&strip(&std::fs::read_to_string(&file).unwrap()));
            for path in paths(&text) {
                if let Some(target) = resolve(&path, depth, &root)
                    && forbidden(layer).contains(&target)
                {
                    found.insert((relative.clone(), path));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "forbidden layer imports (model imports none of front/engine/sim; front none of \
         engine/sim; engine none of front/sim; see ARCHITECTURE.md):\n{found:#?}"
    );
}

/// Everything in `core/src` is a layer, the crate root or the glue, and the crate root
/// holds no code: so `glue.rs` is the one place outside the layers that names several.
#[test]
fn only_the_glue_joins_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut others: Vec<String> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_str().unwrap().to_owned())
        .filter(|name| {
            !LAYERS
                .iter()
                .any(|l| *name == *l || *name == format!("{l}.rs"))
                && !OUTSIDE_LAYERS.contains(&name.as_str())
        })
        .collect();
    others.sort();
    assert!(
        others.is_empty(),
        "core/src holds only the layers, lib.rs and glue.rs (put code that spans layers in \
         glue.rs): {others:?}"
    );
    // The crate root declares modules and re-exports; `fn`, `impl` or `struct` there
    // would be code outside the layers.
    let lib = strip(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    let words: BTreeSet<&str> = lib
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .collect();
    for keyword in [
        "fn",
        "impl",
        "struct",
        "enum",
        "trait",
        "const",
        "static",
        "macro_rules",
    ] {
        assert!(
            !words.contains(keyword),
            "lib.rs holds `{keyword}`: code belongs in a layer, or in glue.rs if it spans layers"
        );
    }
}

/// The layer a path names, if it leaves its own module for another layer.
fn resolve(
    path: &str,
    depth: usize,
    root: &BTreeMap<String, &'static str>,
) -> Option<&'static str> {
    let segments: Vec<&str> = path.split("::").collect();
    let rest = if segments[0] == "crate" {
        &segments[1..]
    } else {
        let supers = segments.iter().take_while(|s| **s == "super").count();
        if supers != depth {
            return None;
        }
        &segments[supers..]
    };
    let first = *rest.first()?;
    LAYERS
        .iter()
        .copied()
        .find(|l| *l == first)
        .or_else(|| root.get(first).copied())
        .or_else(|| {
            // A name in one of the root's public modules (`crate::instance::Effect`).
            let second = rest.get(1)?;
            root.get(&format!("{first}::{second}"))
                .or_else(|| root.get(&format!("{first}::*")))
                .copied()
        })
}

/// Names the crate root re-exports from a layer, and those of its public modules: `pub
/// use front::load::{load, …}` maps `load` to `front`; `pub mod instance { pub use
/// crate::engine::{Effect, …}; }` maps `instance::Effect` to `engine` (a glob maps
/// `module::*`).
fn root_reexports(lib: &str) -> BTreeMap<String, &'static str> {
    let lib = strip(lib);
    let mut names = BTreeMap::new();
    let mut top = lib.clone();
    let mut blocks = Vec::new();
    while let Some(at) = top.find("pub mod ") {
        let name_end = at + top[at..].find(['{', ';']).unwrap();
        let name = top[at + "pub mod ".len()..name_end].trim().to_owned();
        if top.as_bytes()[name_end] == b';' {
            top.replace_range(at..=name_end, "");
            continue;
        }
        let close = name_end + top[name_end..].find("\n}").unwrap() + 2;
        blocks.push((format!("{name}::"), top[name_end + 1..close - 1].to_owned()));
        top.replace_range(at..close, "");
    }
    blocks.push((String::new(), top));
    for (module, text) in blocks {
        for statement in use_statements(&text) {
            for path in expand(&statement) {
                let path = path.trim_start_matches("crate::");
                let segments: Vec<&str> = path.split("::").collect();
                if let Some(layer) = LAYERS.iter().copied().find(|l| *l == segments[0])
                    && let Some(&last) = segments.last()
                    && (last != "*" || !module.is_empty())
                {
                    names.insert(format!("{module}{last}"), layer);
                }
            }
        }
    }
    names
}

/// Every path a source names through `crate` or `super`: the flattened trees of its `use`
/// items and the paths written in code.
fn paths(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for statement in use_statements(text) {
        out.extend(
            expand(&statement)
                .into_iter()
                .filter(|p| p.starts_with("crate::") || p.starts_with("super::")),
        );
    }
    // Paths in code: `crate::a::b`, `super::super::a` (whitespace around `::` allowed).
    let squeezed: String = squeeze(text);
    let bytes = squeezed.as_bytes();
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(at) = squeezed[from..].find(start) {
            let at = from + at;
            from = at + start.len();
            if at > 0
                && (bytes[at - 1].is_ascii_alphanumeric()
                    || bytes[at - 1] == b'_'
                    || bytes[at - 1] == b':')
            {
                continue;
            }
            let end = squeezed[at..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .map_or(squeezed.len(), |e| at + e);
            // A path ending in `::` opens a use tree, flattened above.
            let path = &squeezed[at..end];
            if path.split("::").count() > 1 && !path.ends_with(':') {
                out.insert(path.to_owned());
            }
        }
    }
    out
}

/// `text` with the whitespace around `::` removed.
fn squeeze(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("::") {
        out.push_str(rest[..at].trim_end());
        out.push_str("::");
        rest = rest[at + 2..].trim_start();
    }
    out.push_str(rest);
    out
}

/// The `use` items of a source, whitespace removed (`as` written `@`), without `use`
/// and `;`.
fn use_statements(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find("use") {
        let at = from + at;
        from = at + 3;
        let before = text[..at].chars().next_back();
        let after = text[at + 3..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        if !boundary(before) || !after.is_some_and(char::is_whitespace) {
            continue;
        }
        if let Some(end) = text[at..].find(';') {
            // `a as b` becomes `a@b` before the whitespace goes.
            let body = text[at + 3..at + end]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let body: String = body
                .replace(" as ", "@")
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            out.push(body.trim_start_matches("::").to_owned());
            from = at + end;
        }
    }
    out
}

/// Flattens a use tree: `crate::{a::{b,c},d}` gives `crate::a::b`, `crate::a::c`,
/// `crate::d` (`self` keeps its prefix; `as` renames are dropped).
fn expand(tree: &str) -> Vec<String> {
    fn go(prefix: &str, tree: &str, out: &mut Vec<String>) {
        let join = |p: &str, s: &str| {
            if p.is_empty() {
                s.to_owned()
            } else {
                format!("{p}::{s}")
            }
        };
        if let Some(open) = tree.find('{') {
            let head = tree[..open].trim_end_matches("::");
            let prefix = join(prefix, head);
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        go(&prefix, &inner[start..i], out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            go(&prefix, &inner[start..], out);
        } else if !tree.is_empty() {
            let tree = tree.split('@').next().unwrap_or(tree);
            out.push(if tree == "self" {
                prefix.to_owned()
            } else {
                join(prefix, tree)
            });
        }
    }
    let mut out = Vec::new();
    go("", tree, &mut out);
    out
}

/// The source with comments and the contents of string and character literals blanked.
fn strip(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_'))
        {
            let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
            if chars.get(i + 1 + hashes) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            i += 2 + hashes;
            while i < chars.len() {
                if chars[i] == '"'
                    && chars[i + 1..]
                        .iter()
                        .take(hashes)
                        .filter(|&&c| c == '#')
                        .count()
                        == hashes
                {
                    i += 1 + hashes;
                    break;
                }
                i += 1;
            }
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && next == Some('\\') {
            i += 2;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            i += 3;
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The (stripped) source without its `#[cfg(test)]` items: a unit test's fixtures are not
/// a dependency of the layer.
fn without_tests(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at..];
        // The item ends at its first `;` outside braces or at its closing brace.
        let mut depth = 0;
        let mut end = item.len();
        for (i, c) in item.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = i + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// The checker itself: each path form is seen, and comments, strings and tests are not.
#[test]
fn tidy_sees_every_path_form() {
    let root = root_reexports(
        "mod engine;\npub use front::load::{load, Loaded};\n\
         /// Docs.\npub mod instance {\n    pub use crate::engine::{Effect, Input};\n}\n\
         pub mod workflow {\n    pub use crate::model::workflow::*;\n}\n",
    );
    let source = r#"
        use crate::front::load::Reporter;
        use crate::front::cascade::{expand, Context};
        use crate::{model::time::Timestamp, front::{nfc, load::parse_ron as p}};
        use super::super::sim::simulate::Scenario;
        fn f() { crate :: engine::Instance::start(); let _ = crate::load(""); }
        fn g(_: crate::instance::Effect, _: crate::workflow::Task) {}
        // use crate::front::commented;
        const S: &str = "crate::front::quoted";
        #[cfg(test)]
        mod tests { use crate::front::in_test; }
    "#;
    let text = without_tests(&strip(source));
    let layers: BTreeSet<(String, &str)> = paths(&text)
        .into_iter()
        .filter_map(|p| resolve(&p, 2, &root).map(|l| (p, l)))
        .collect();
    let expected: BTreeSet<(String, &str)> = [
        ("crate::front::load::Reporter", "front"),
        ("crate::front::cascade::expand", "front"),
        ("crate::front::cascade::Context", "front"),
        ("crate::model::time::Timestamp", "model"),
        ("crate::front::nfc", "front"),
        ("crate::front::load::parse_ron", "front"),
        ("super::super::sim::simulate::Scenario", "sim"),
        ("crate::engine::Instance::start", "engine"),
        ("crate::load", "front"),
        ("crate::instance::Effect", "engine"),
        ("crate::workflow::Task", "model"),
    ]
    .into_iter()
    .map(|(p, l)| (p.to_owned(), l))
    .collect();
    assert_eq!(layers, expected);
}
