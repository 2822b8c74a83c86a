use std::process::ExitCode;

use clap::Parser;
use fabchart::cli::{Cli, Command};
use fabchart::{cmd, Outcome};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version go to stdout with 0; usage errors exit 2.
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match &cli.command {
        Command::Compile(args) => cmd::compile::run(args),
        Command::Flow(args) => cmd::flow::run(args),
        Command::Bundle(args) => cmd::bundle::run(args),
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Stale) => ExitCode::from(1),
        Err(error) => {
            use std::io::Write;
            let mut stderr = std::io::stderr().lock();
            let _ = match error.downcast_ref::<fabchart::load::Diagnostics>() {
                Some(diagnostics) => writeln!(stderr, "{diagnostics}"),
                None => writeln!(stderr, "error: {error:#}"),
            };
            ExitCode::from(2)
        }
    }
}
