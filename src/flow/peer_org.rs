//! TODO

use super::{Builder, Parts};

impl Builder<'_> {
    pub(super) fn peer_org_parts(&self) -> anyhow::Result<Parts> {
        anyhow::bail!("fabchart flow peer-org is not implemented yet")
    }
}
