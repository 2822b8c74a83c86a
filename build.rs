//! Embeds every file under chart-templates/ and workflow-templates/ into the
//! binary, so adding a template file needs no Rust change.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let mut out = String::new();
    for dir in ["chart-templates", "workflow-templates"] {
        println!("cargo:rerun-if-changed={dir}");
        let mut files = Vec::new();
        collect(Path::new(dir), Path::new(dir), &mut files);
        files.sort();
        let constant = dir.to_uppercase().replace('-', "_");
        writeln!(out, "pub const {constant}: &[(&str, &str)] = &[").unwrap();
        for rel in files {
            let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).join(&rel);
            writeln!(
                out,
                "    ({rel:?}, include_str!({:?})),",
                full.display().to_string()
            )
            .unwrap();
        }
        writeln!(out, "];").unwrap();
    }
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("embedded_templates.rs");
    std::fs::write(dest, out).unwrap();
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        println!("cargo:rerun-if-changed={}", path.display());
        if path.is_dir() {
            collect(root, &path, files);
        } else {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            files.push(rel);
        }
    }
}
