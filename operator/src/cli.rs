//! The `augur-operator` command line.

use clap::{Parser, Subcommand};

/// Augur's Kubernetes operator.
#[derive(Parser, Debug)]
#[command(name = "augur-operator", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print every Augur CustomResourceDefinition as YAML, e.g. `augur-operator crds | kubectl apply --server-side -f -`.
    Crds,
}

/// Runs a parsed command line, writing results to `out`.
pub fn run(cli: Cli, out: &mut impl std::io::Write) -> anyhow::Result<()> {
    match cli.command {
        Command::Crds => {
            for (_, crd) in augur_crds::crd::all() {
                writeln!(out, "---")?;
                out.write_all(augur_crds::crd::to_yaml(&crd)?.as_bytes())?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crds_prints_every_kind_as_separate_documents() {
        let mut out = Vec::new();
        run(Cli { command: Command::Crds }, &mut out).unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8_lossy(&out);
        assert_eq!(text.matches("\n---\n").count() + usize::from(text.starts_with("---\n")), 4);
        for plural in ["anomalydetectors", "forecasters", "logclusterers", "autoscalepolicies"] {
            assert!(text.contains(&format!("name: {plural}.augur.dev")), "{plural} missing");
        }
    }
}
