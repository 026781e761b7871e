//! `augur-operator`: the operator binary. See `augur-operator --help`.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = augur_operator::cli::Cli::parse();
    // Not `stdout().lock()`: `run` logs to stdout from every runtime thread, and a lock held here for the whole
    // command would block each of them at its first log line (the reconciles would stall with them).
    match augur_operator::cli::run(cli, &mut std::io::stdout()) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`augur ... | head`) is the reader's choice, not a failure.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("augur-operator: {}", report(&error));
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

/// The error and its causes, each cause once: libraries often repeat their cause inside their own message.
fn report(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&cause);
        }
    }
    text
}
