//! The house's shape, as a test: which module may import which, read from the source itself.
//!
//! Every `crate::…` path (in `use` lines, braces included, and inline) and every `super::…` path
//! is resolved to the module it names. From those edges: no cycle between the top-level modules
//! of `src/`, none between the files of `src/store/`, each top-level module imports only modules
//! of a lower layer (the table below, which is the house as README "Inside" draws it), no edge
//! imports another edge, and no source file is over 600 lines. A small reader rather than a tool
//! such as cargo-modules: nothing to install in CI, it runs in milliseconds, and the layering is
//! a rule of this project that no general tool knows.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Each top-level module's layer: a module may import only modules of a lower layer. The edges
/// share a layer, so none may import another.
const LAYERS: &[(&str, u8)] = &[
    // the floor: plain types and rules
    ("domain", 0),
    // what a file goes through (checks, previews): pure, over bytes and the domain's file types
    ("files", 1),
    // infrastructure: settings, signing, metrics, the blob store, request budgets
    ("config", 1),
    ("process", 1),
    ("signing", 1),
    ("metrics", 1),
    ("blobs", 2),
    // the evidence packet: one PDF built from the files (pure, over bytes)
    ("packet", 2),
    ("rate_limit", 2),
    // clamd, which scans what comes in
    ("scan", 2),
    // what the edges share of HTTP, and serving it (hyper's connections)
    ("http", 3),
    ("serve", 3),
    // rows
    ("store", 3),
    ("sweep", 4),
    // every use case, once; what a file goes through
    ("core", 5),
    // what each dialect says (words, objects, error object, keys): for the edges that speak
    // or show it
    ("wire", 6),
    // loading fixtures and delivering events: through the core, for the edges and the app
    ("seed", 7),
    ("webhooks", 7),
    // the edges: one folder per way in
    ("omise", 8),
    ("mangopay", 8),
    ("ops", 8),
    ("web", 8),
    // composition
    ("openapi", 9),
    ("app", 10),
];

const EDGES: &[&str] = &["omise", "mangopay", "ops", "web"];

const MAX_LINES: usize = 600;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, with its module path (`["store", "disputes"]`; a `mod.rs` is its
/// folder's module).
fn sources(dir: &Path, module: &[String], out: &mut Vec<(PathBuf, Vec<String>)>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            let mut inner = module.to_vec();
            inner.push(name);
            sources(&path, &inner, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let mut this = module.to_vec();
            if name != "mod" && !(module.is_empty() && (name == "lib" || name == "main")) {
                this.push(name);
            }
            out.push((path, this));
        }
    }
}

/// The code of a file without its comments (line comments, doc comments and block comments), so
/// a comment that names a module is not an import.
fn code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let (mut i, mut in_string) = (0, false);
    while i < bytes.len() {
        let c = bytes[i];
        if in_string {
            if c == b'\\' {
                i += 2;
                continue;
            }
            if c == b'"' {
                in_string = false;
            }
            out.push(c as char);
            i += 1;
        } else if bytes[i..].starts_with(b"//") {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if bytes[i..].starts_with(b"/*") {
            let end = bytes[i + 2..]
                .windows(2)
                .position(|w| w == b"*/")
                .map_or(bytes.len(), |e| i + 2 + e + 2);
            i = end;
        } else {
            if c == b'"' && !(i > 0 && bytes[i - 1] == b'\'') {
                in_string = true;
            }
            out.push(c as char);
            i += 1;
        }
    }
    out
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The first segment of each path in a `{…}` group starting at `s` (just after the `{`).
fn group_heads(s: &str) -> Vec<String> {
    let (mut depth, mut heads, mut expecting) = (1, Vec::new(), true);
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => expecting = true,
            c if expecting && depth == 1 && (c.is_ascii_alphabetic() || c == '_') => {
                let id = ident_at(&s[i..]);
                heads.push(id.to_string());
                expecting = false;
                for _ in 1..id.len() {
                    chars.next();
                }
            }
            _ => {}
        }
    }
    heads
}

/// The module paths a file's code names, each resolved from the crate's root: `crate::a::…` and
/// `crate::{a, b}` give `[a, …]`, and `super::x` in module `m::n` gives `[m, x]`.
fn imports(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    for (at, prefix) in ["crate::", "super::"]
        .iter()
        .flat_map(|p| code.match_indices(p).map(move |(i, _)| (i, *p)))
    {
        if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || matches!(bytes[at - 1], b'_' | b':'))
        {
            continue;
        }
        let mut rest = &code[at + prefix.len()..];
        let base: Vec<String> = if prefix == "crate::" {
            Vec::new()
        } else {
            // `super` is the parent of the file's module (a `mod.rs` is its folder's module)
            let mut up = 1;
            while let Some(more) = rest.strip_prefix("super::") {
                rest = more;
                up += 1;
            }
            module[..module.len().saturating_sub(up)].to_vec()
        };
        let heads = if let Some(group) = rest.strip_prefix('{') {
            group_heads(group)
        } else {
            vec![ident_at(rest).to_string()]
        };
        for head in heads.into_iter().filter(|h| !h.is_empty() && h != "self") {
            let mut path = base.clone();
            path.push(head.clone());
            // the second segments, for paths into a folder (`crate::store::{disputes, db}::…`)
            let after = rest.get(head.len()..).unwrap_or("");
            let seconds = match after.strip_prefix("::") {
                Some(next) if prefix == "crate::" && next.starts_with('{') => {
                    group_heads(&next[1..])
                }
                Some(next) if prefix == "crate::" => vec![ident_at(next).to_string()],
                _ => Vec::new(),
            };
            let seconds: Vec<String> = seconds.into_iter().filter(|s| !s.is_empty()).collect();
            if seconds.is_empty() || rest.starts_with('{') {
                found.push(path);
            } else {
                for second in seconds {
                    let mut deeper = path.clone();
                    deeper.push(second);
                    found.push(deeper);
                }
            }
        }
    }
    found
}

struct House {
    /// top-level module -> (imported top-level module -> a file that imports it)
    top: BTreeMap<String, BTreeMap<String, String>>,
    /// file of store/ -> (file of store/ it imports -> the file)
    store: BTreeMap<String, BTreeSet<String>>,
    long_files: Vec<String>,
}

fn read_house() -> House {
    let mut files = Vec::new();
    sources(&src(), &[], &mut files);
    let top_names: BTreeSet<String> = files
        .iter()
        .filter_map(|(_, m)| m.first().cloned())
        .collect();
    let store_files: BTreeSet<String> = files
        .iter()
        .filter(|(_, m)| m.len() == 2 && m[0] == "store")
        .map(|(_, m)| m[1].clone())
        .collect();
    let mut house = House {
        top: BTreeMap::new(),
        store: BTreeMap::new(),
        long_files: Vec::new(),
    };
    for (path, module) in &files {
        let text = fs::read_to_string(path).unwrap();
        let shown = path.strip_prefix(src()).unwrap().display().to_string();
        if text.lines().count() > MAX_LINES {
            house
                .long_files
                .push(format!("{shown} ({} lines)", text.lines().count()));
        }
        let Some(own) = module.first() else { continue };
        for import in imports(&code(&text), module) {
            let target = &import[0];
            if target != own && top_names.contains(target) {
                house
                    .top
                    .entry(own.clone())
                    .or_default()
                    .entry(target.clone())
                    .or_insert_with(|| shown.clone());
            }
            if own == "store" && module.len() == 2 && target == "store" {
                if let Some(file) = import.get(1).filter(|f| store_files.contains(*f)) {
                    if file != &module[1] {
                        house
                            .store
                            .entry(module[1].clone())
                            .or_default()
                            .insert(file.clone());
                    }
                }
            }
        }
    }
    house
}

/// A cycle in a graph, if there is one, as the list of its nodes.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_cycle_between_the_top_level_modules() {
    let house = read_house();
    let graph = house
        .top
        .iter()
        .map(|(m, to)| (m.clone(), to.keys().cloned().collect()))
        .collect();
    assert_eq!(cycle(&graph), None, "a cycle between top-level modules");
}

#[test]
fn no_cycle_between_the_files_of_the_store() {
    let house = read_house();
    assert_eq!(
        cycle(&house.store),
        None,
        "a cycle between the files of store/"
    );
}

#[test]
fn every_top_level_module_imports_only_the_layers_below_it() {
    let layers: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let house = read_house();
    let mut wrong = Vec::new();
    for (module, imported) in &house.top {
        let Some(&own) = layers.get(module.as_str()) else {
            wrong.push(format!("{module} has no layer in tests/architecture.rs"));
            continue;
        };
        for (target, file) in imported {
            let theirs = layers.get(target.as_str()).copied().unwrap_or(u8::MAX);
            if theirs >= own {
                wrong.push(format!("{module} -> {target} (in {file})"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_edge_imports_another_edge() {
    let house = read_house();
    let wrong: Vec<String> = house
        .top
        .iter()
        .filter(|(m, _)| EDGES.contains(&m.as_str()))
        .flat_map(|(m, to)| {
            to.iter()
                .filter(|(t, _)| EDGES.contains(&t.as_str()))
                .map(move |(t, file)| format!("{m} -> {t} (in {file})"))
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "edges importing edges:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_source_file_is_over_600_lines() {
    let house = read_house();
    assert!(
        house.long_files.is_empty(),
        "too long: {:?}",
        house.long_files
    );
}

#[test]
fn the_reader_sees_grouped_inline_and_super_imports() {
    let text = "use crate::{store::{a, b}, domain::Id};\nfn f() { let _ = '…'; crate::core::x(); }\n// crate::web\nuse super::db::Sql;";
    let found = imports(&code(text), &["store".into(), "events".into()]);
    let heads: Vec<&str> = found.iter().map(|p| p[0].as_str()).collect();
    assert_eq!(heads, ["store", "domain", "core", "store"]);
    assert_eq!(found[3], ["store", "db"]);
    let graph = BTreeMap::from([
        ("a".to_string(), BTreeSet::from(["b".to_string()])),
        ("b".to_string(), BTreeSet::from(["a".to_string()])),
    ]);
    assert!(cycle(&graph).is_some());
}
