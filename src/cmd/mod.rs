//! One module per subcommand.

pub mod bundle;
pub mod compile;
pub mod flow;
