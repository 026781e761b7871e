//! Augur's streaming runtime: the engine behind the `augur` binary.
//!
//! - [`cli`]: the `augur` command line (`render` today; `run`, `try` and `bench` as the engine lands).
//! - [`manifest`]: reading a resource manifest from a file, validated exactly as the API server would.

pub mod cli;
pub mod manifest;
