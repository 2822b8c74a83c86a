//! TODO

use super::{Builder, Parts};

impl Builder<'_> {
    pub(super) fn channel_update_parts(&self) -> anyhow::Result<Parts> {
        anyhow::bail!("fabchart flow channel-update is not implemented yet")
    }
}
