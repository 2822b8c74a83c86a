use std::process::ExitCode;

use clap::Parser;
use fabchart::cli::{Cli, Command};
use fabchart::{cmd, Outcome};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Compile(args) => cmd::compile::run(args),
        Command::Flow(args) => cmd::flow::run(args),
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Stale) => ExitCode::from(1),
        Err(error) => {
            match error.downcast_ref::<fabchart::load::Diagnostics>() {
                Some(diagnostics) => eprintln!("{diagnostics}"),
                None => eprintln!("error: {error:#}"),
            }
            ExitCode::from(1)
        }
    }
}
