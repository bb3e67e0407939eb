//! The runtime's modules import only from the layers below them, in the
//! order `src/lib.rs` states. This reads the sources and checks every
//! `crate::module` path against that order.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// The layers of `src/lib.rs`, lowest first; modules on one line share a
/// layer and do not import each other.
const LAYERS: &[&[&str]] = &[
    &["state", "error"],
    &["output", "step"],
    &["chain"],
    &["protocol"],
    &["delegate", "calls"],
    &["slot"],
    &["yielder"],
    &["handoff"],
    &["generator"],
    &["stream"],
    &["boxed", "aclosing", "expansion"],
    &["closable"],
    &["hooks"],
    &["registry"],
    &["finalize"],
];

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

#[test]
fn every_module_imports_only_from_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut checked = BTreeMap::new();
    let mut violations = Vec::new();
    for entry in fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let module = path.file_stem().unwrap().to_str().unwrap().to_owned();
        if module == "lib" {
            continue;
        }
        let own = rank(&module).unwrap_or_else(|| panic!("`{module}` is not in LAYERS: add it"));
        let text = fs::read_to_string(&path).unwrap();
        let mut imports = Vec::new();
        for (at, _) in text.match_indices("crate::") {
            let rest = &text[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let Some(other) = rank(&name) else { continue };
            if name != module {
                imports.push(name.clone());
                if other >= own {
                    violations.push(format!(
                        "{module} (layer {own}) uses crate::{name} (layer {other})"
                    ));
                }
            }
        }
        imports.sort();
        imports.dedup();
        checked.insert(module, imports);
    }
    assert!(checked.len() >= 15, "read too few modules: {checked:?}");
    assert!(
        violations.is_empty(),
        "imports against the layer order:\n{}",
        violations.join("\n")
    );
}
