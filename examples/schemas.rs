//! Writes schemas/*.schema.json, the JSON schemas of what fabchart emits for
//! others to read (topology.json for the chart's templates, the org table
//! for the flows' steps), from the types that make them: `make docs`.

use std::path::Path;

use anyhow::Context;

fn main() -> anyhow::Result<()> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    for (name, schema) in fabchart::render::schemas() {
        let path = dir.join(name);
        let text = fabchart::render::schema_text(&schema);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
            eprintln!("{}: up to date", path.display());
            continue;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("{}: written", path.display());
    }
    Ok(())
}
