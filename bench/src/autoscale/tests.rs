//! `augur-bench autoscale` on a small synthetic set.

use super::*;

fn options(data: PathBuf) -> AutoscaleOptions {
    AutoscaleOptions {
        data,
        peak_pods: 10.0,
        pod_startup: Duration::from_secs(120),
        target_utilization: 70.0,
        frontier: vec![50.0, 70.0, 90.0],
        policy: None,
        score_from: Duration::from_secs(0),
        folds: false,
        plot: None,
    }
}

#[test]
fn prints_per_trace_and_total_figures_against_the_frontier() {
    let dir = std::env::temp_dir().join(format!("augur-bench-autoscale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("series.csv");
    let mut csv = String::from("unique_id,ds,y\n");
    for step in 0..600i64 {
        let spike = if step % 50 == 0 { 8.0 } else { 1.0 };
        csv.push_str(&format!("ec2_cpu_a,{},{}\n", 1_700_000_000 + step * 300, spike));
        csv.push_str(&format!("b,{},0\n", 1_700_000_000 + step * 300));
    }
    std::fs::write(&data, csv).unwrap();
    let mut options = options(data);
    options.plot = Some(dir.join("frontier.svg"));
    let mut out = Vec::new();
    let runs = run(&options, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let svg = std::fs::read_to_string(dir.join("frontier.svg")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].family, "ec2_cpu");
    let frontier = &runs[0].frontier.points;
    assert_eq!(frontier.len(), 3);
    assert!(frontier[0].figures.pod_hours > frontier[2].figures.pod_hours, "a lower target costs more: {text}");
    assert!(frontier[2].figures.underprovisioned_pod_minutes > 0.0, "{text}");
    assert!(text.contains("trace=ec2_cpu_a family=ec2_cpu capacity_per_replica=0.800000 hpa50_under="), "{text}");
    assert!(text.contains("trace=b skipped=no_positive_load"), "{text}");
    for key in ["total_hpa90_pod_hours=", "total_augur_actions=", "total hpa_under_at_equal_cost=", "traces=1"] {
        assert!(text.contains(key), "{key} missing in {text}");
    }
    assert!(svg.starts_with("<svg") && svg.contains("Augur"));
}
