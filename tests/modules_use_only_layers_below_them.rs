//! The crate's layer order, held against its code: `src/lib.rs` lists the modules from
//! the bottom (`engine`) to the top (`cli`) and says each uses only those listed above
//! it. This test reads that list and every `crate::…` path in `src/` (comments left
//! out), and fails naming the file and line of any path that points up or sideways.

use std::fs;
use std::path::{Path, PathBuf};

/// Uses the order allows beyond "only modules listed above" (said in `lib.rs`): the
/// engine's distributions borrow `stats::special`'s functions, and `scenario` returns
/// the crate's error.
const ALLOWED_EXCEPTIONS: &[(&str, &str)] = &[("engine", "stats::special"), ("scenario", "error")];

/// Peers listed one after the other that must not use each other either: the live
/// driver measures through `metrics`, never through the simulator's rehearsal.
const FORBIDDEN_PEERS: &[(&str, &str)] = &[("live", "rehearsal"), ("rehearsal", "live")];

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The modules in the order `lib.rs`'s `//! - [`name`]` lines give them.
fn layer_order() -> Vec<String> {
    let lib = fs::read_to_string(src_dir().join("lib.rs")).expect("src/lib.rs");
    lib.lines()
        .filter_map(|line| line.strip_prefix("//! - [`"))
        .filter_map(|rest| rest.split('`').next())
        .map(str::to_string)
        .collect()
}

/// `lib.rs`'s re-exports (`pub use error::Error;` gives `Error` → `error::Error`), so
/// a path through a re-export counts as a use of the module it comes from.
fn re_exports() -> Vec<(String, String)> {
    let lib = fs::read_to_string(src_dir().join("lib.rs")).expect("src/lib.rs");
    lib.lines()
        .filter_map(|line| line.trim().strip_prefix("pub use "))
        .filter_map(|rest| rest.strip_suffix(';'))
        .filter_map(|path| {
            let name = path.rsplit("::").next()?;
            Some((name.to_string(), path.to_string()))
        })
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("readable src dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a line without its `//` comment (doc links are not dependencies).
fn code_of(line: &str) -> &str {
    match line.find("//") {
        Some(at) => &line[..at],
        None => line,
    }
}

/// Every `crate::a::b…` path in `code` with the byte offset where it starts, as the
/// text after `crate::`, also for grouped imports over several lines
/// (`use crate::{a::x, b};` gives `a::x` and `b`).
fn crate_paths_at(code: &str) -> Vec<(usize, String)> {
    let mut paths = Vec::new();
    let mut from = 0;
    while let Some(found) = code[from..].find("crate::") {
        let at = from + found;
        let after = &code[at + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            paths.extend(
                group[..end]
                    .split(',')
                    .map(|p| p.split_whitespace().collect::<String>())
                    .filter(|p| !p.is_empty())
                    .map(|p| (at, p)),
            );
        } else {
            let end = after
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(after.len());
            paths.push((at, after[..end].to_string()));
        }
        from = at + "crate::".len();
    }
    paths
}

fn crate_paths(code: &str) -> Vec<String> {
    crate_paths_at(code).into_iter().map(|(_, p)| p).collect()
}

#[test]
fn modules_use_only_the_layers_listed_below_them_in_lib_rs() {
    let order = layer_order();
    assert!(
        order.len() >= 10 && order.first().map(String::as_str) == Some("engine"),
        "src/lib.rs no longer lists the layers as `//! - [`name`]` lines from engine up: {order:?}"
    );
    let rank = |module: &str| order.iter().position(|m| m == module);
    let re_exports = re_exports();
    assert!(
        !re_exports.is_empty(),
        "lib.rs re-exports at least the crate's Error"
    );
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    files.sort();
    let mut violations = Vec::new();
    let mut checked_paths = 0;
    for file in &files {
        let relative = file.strip_prefix(src_dir()).expect("under src");
        let Some(module) = relative
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .map(|name| name.trim_end_matches(".rs").to_string())
        else {
            continue;
        };
        let Some(own_rank) = rank(&module) else {
            continue; // lib.rs, main.rs: the crate's roots, not a layer
        };
        let text = fs::read_to_string(file).expect("readable source");
        let code: String = text.lines().map(|l| format!("{}\n", code_of(l))).collect();
        for (at, path) in crate_paths_at(&code) {
            let number = code[..at].matches('\n').count();
            {
                let path = match re_exports
                    .iter()
                    .find(|(name, _)| path == *name || path.starts_with(&format!("{name}::")))
                {
                    Some((name, full)) => path.replacen(name.as_str(), full, 1),
                    None => path,
                };
                checked_paths += 1;
                let target = path.split("::").next().unwrap_or("").to_string();
                if target == module || target.is_empty() {
                    continue;
                }
                let Some(target_rank) = rank(&target) else {
                    continue; // an item of lib.rs itself
                };
                let excepted = ALLOWED_EXCEPTIONS
                    .iter()
                    .any(|(from, to)| *from == module && path.starts_with(to));
                let forbidden_peer = FORBIDDEN_PEERS
                    .iter()
                    .any(|(from, to)| *from == module && *to == target);
                if (target_rank > own_rank && !excepted) || forbidden_peer {
                    violations.push(format!(
                        "src/{}:{}: `{module}` uses `crate::{path}`, a layer {}",
                        relative.display(),
                        number + 1,
                        if forbidden_peer {
                            "beside it that it must not use"
                        } else {
                            "above it"
                        }
                    ));
                }
            }
        }
    }
    assert!(
        checked_paths > 100,
        "found only {checked_paths} crate:: paths"
    );
    assert!(
        violations.is_empty(),
        "modules use layers above them (order in src/lib.rs: {}):\n{}",
        order.join(" → "),
        violations.join("\n")
    );
}

#[test]
fn the_scan_finds_grouped_and_nested_paths() {
    assert_eq!(
        crate_paths("use crate::{model::World, rollout};"),
        ["model::World", "rollout"]
    );
    assert_eq!(
        crate_paths("let x = crate::plan::run(crate::stats::mean(y));"),
        ["plan::run", "stats::mean"]
    );
    assert_eq!(
        crate_paths("use crate::{\n    engine::time::SimTime,\n    model,\n};"),
        ["engine::time::SimTime", "model"]
    );
    assert!(crate_paths(code_of("a(); // see [`crate::cli`]")).is_empty());
}
