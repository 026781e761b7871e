//! A broker of a test's own (`AUGUR_TANSU_BIN`, built with SQLite storage by `.ci/run`), for the tests that kill and
//! restart it: its data lives in a directory of the test's and survives a restart.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::streams::unique;

/// A broker process, killed when dropped (also when the test fails).
pub struct Broker(Child);

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Where a test's broker runs: its binary, a free port and a data directory, removed when dropped.
pub struct BrokerHome {
    binary: String,
    /// The port it listens on.
    pub port: u16,
    directory: PathBuf,
}

impl BrokerHome {
    /// A free port and a fresh data directory for the broker `binary`.
    pub fn new(binary: &str) -> Self {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port());
        let directory = std::env::temp_dir().join(unique("augur-broker"));
        std::fs::create_dir_all(&directory).unwrap_or_else(|e| panic!("{e}"));
        Self { binary: binary.to_owned(), port: port.unwrap_or_else(|e| panic!("{e}")), directory }
    }

    /// `127.0.0.1:<port>`.
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Starts the broker and waits until it listens.
    pub fn start(&self) -> Broker {
        start_broker(&self.binary, self.port, &self.directory)
    }
}

impl Drop for BrokerHome {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.directory);
    }
}

fn start_broker(binary: &str, port: u16, directory: &Path) -> Broker {
    let url = format!("tcp://127.0.0.1:{port}");
    let child = Command::new(binary)
        .args([
            "broker",
            "--listener-url",
            &url,
            "--advertised-listener-url",
            &url,
            "--storage-engine",
            "sqlite://tansu.db",
        ])
        .current_dir(directory)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the broker did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    Broker(child)
}
