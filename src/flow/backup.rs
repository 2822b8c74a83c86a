//! TODO

use super::{Builder, Parts};

impl Builder<'_> {
    pub(super) fn backup_parts(&self) -> anyhow::Result<Parts> {
        anyhow::bail!("fabchart flow backup is not implemented yet")
    }
    pub(super) fn restore_parts(&self) -> anyhow::Result<Parts> {
        anyhow::bail!("fabchart flow restore is not implemented yet")
    }
}
