//! Writes a synthetic project (fabchart::synthetic) for measurements:
//!
//!     cargo run --example synthetic -- DIR PEER_ORGS PEERS CHANNELS
//!
//! with 3 orderer orgs of 3 Raft nodes and 10 chaincodes, TLS on (the shape of
//! `Shape::REFERENCE` with the given counts).

use fabchart::synthetic::{self, Shape};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, peer_orgs, peers, channels] = args.as_slice() else {
        anyhow::bail!("usage: synthetic DIR PEER_ORGS PEERS CHANNELS");
    };
    let shape = Shape {
        peer_orgs: peer_orgs.parse()?,
        peers: peers.parse()?,
        channels: channels.parse()?,
        ..Shape::REFERENCE
    };
    synthetic::write(std::path::Path::new(dir), shape)?;
    eprintln!("wrote {dir}: {shape:?}");
    Ok(())
}
