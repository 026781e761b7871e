//! `augur-bench`: Augur's benchmarks. See `augur-bench --help`.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = augur_bench::Cli::parse();
    match augur_bench::run(cli, &mut std::io::stdout().lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("augur-bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}
