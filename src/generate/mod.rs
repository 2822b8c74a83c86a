//! Generate: the material the chart carries besides its templates, i.e. the
//! crypto tree and the chaincode packages.

pub mod crypto;
pub mod package;
