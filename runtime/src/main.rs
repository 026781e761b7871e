//! `augur`: the runtime binary. See `augur --help`.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = augur_runtime::cli::Cli::parse();
    match augur_runtime::cli::run(cli, &mut std::io::stdout()) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`augur ... | head`) is the reader's choice, not a failure.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("augur: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}
