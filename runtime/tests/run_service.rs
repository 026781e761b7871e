//! `augur run` as a process, as in a pod: it serves `/readyz` and `/metrics` while its source waits for an
//! unreachable broker (logging as it retries), and on SIGTERM it drains, stops and exits cleanly.

use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

const CONFIG: &str = r#"apiVersion: runtime.augur.dev/v1
kind: RuntimeConfig
resource: {kind: AnomalyDetector, namespace: test, name: svc}
source:
  kafka:
    connection:
      bootstrapServers:
        list: ["127.0.0.1:1"]
    topic: nowhere
    consumerGroup: augur-test
    startFrom: Earliest
    format: MetricEvents
model:
  anomaly: {algorithm: Auto, scoreThreshold: 0.5, seasonality: None, warmUpPoints: 20, direction: Both}
output:
  metrics: true
  status: false
state:
  checkpointInterval: 1s
  store: none
limits: {maxSeries: 10}
"#;

fn get(address: &str, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(address).ok()?;
    stream.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

#[test]
fn augur_run_serves_probes_and_stops_cleanly_on_sigterm() {
    let directory = std::env::temp_dir().join(format!("augur-run-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap_or_else(|e| panic!("{e}"));
    let config = directory.join("runtime-config.yaml");
    std::fs::write(&config, CONFIG).unwrap_or_else(|e| panic!("{e}"));
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port());
    let address = format!("127.0.0.1:{}", port.unwrap_or_else(|e| panic!("{e}")));
    let mut child = Command::new(env!("CARGO_BIN_EXE_augur"))
        .args(["run", "--config"])
        .arg(&config)
        .args(["--http-address", &address])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));

    let deadline = Instant::now() + Duration::from_secs(30);
    while !get(&address, "/readyz").is_some_and(|r| r.starts_with("HTTP/1.1 200")) {
        assert!(Instant::now() < deadline, "never ready");
        std::thread::sleep(Duration::from_millis(50));
    }
    let metrics = get(&address, "/metrics").unwrap_or_default();
    assert!(metrics.contains("augur_runtime_records_total 0"), "{metrics}");

    let terminated = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    assert!(terminated.is_ok_and(|s| s.success()));
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap_or_else(|e| panic!("{e}")) {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("augur run did not stop within 30 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut logs = String::new();
    let _ = child.stderr.take().map(|mut stderr| stderr.read_to_string(&mut logs));
    assert!(status.success(), "{status}: {logs}");
    assert!(logs.contains("termination requested") && logs.contains("pipeline stopped"), "{logs}");
    let _ = std::fs::remove_dir_all(directory);
}
