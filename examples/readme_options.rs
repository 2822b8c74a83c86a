//! Writes README.md's option lists (between `<!-- options: <flow>... -->`
//! and `<!-- /options -->`) from the flows' option structs: `make docs`.

use std::path::Path;

use anyhow::Context;

fn main() -> anyhow::Result<()> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let updated = fabchart::render::workflow::options::update_readme(&readme)?;
    if updated == readme {
        eprintln!("{}: option lists up to date", path.display());
        return Ok(());
    }
    std::fs::write(&path, updated).with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!("{}: option lists written", path.display());
    Ok(())
}
