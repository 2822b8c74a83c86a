//! fabchart compiles a Hyperledger Fabric network definition into a Helm chart
//! and Argo workflows. The pipeline: [`load`] -> [`model`] -> [`generate`] ->
//! [`render`] -> [`write`], run by [`compile::compile`]; [`identity`] keeps
//! the record of every org's CA that compile must honour.

pub mod bundle;
pub mod cli;
pub mod cmd;
pub mod compile;
pub mod console;
pub mod credentials;
pub mod encoding;
pub mod generate;
pub mod identity;
pub mod load;
pub mod model;
pub mod policy;
pub mod render;
#[doc(hidden)]
pub mod synthetic;
pub mod tree;
pub mod units;
pub mod write;

/// How a command ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// `--check` found the committed output out of date.
    Stale,
}
