//! A tiny retry storm end to end: part 6's server built (dev profile, so
//! CI does not wait for a release build), 2 s of load with the rates
//! service down for half a second in the middle, for each of the three
//! clients; then the JSON's shape, one clear inequality, and the chart.

use std::fs;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use workshop_bench::retries::{self, NAIVE, NONE, PART6, RetriesConfig};
use workshop_bench::{BenchConfig, Profile};

#[test]
fn a_tiny_outage_gives_three_runs_and_the_naive_client_asks_most() {
    let crate_dir = std::env::current_dir().expect("a current folder");
    let root = crate_dir.parent().expect("the workspace root");
    let mut config = BenchConfig::new(root);
    config.out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-retries");
    config.profile = Profile::Dev;
    config.progress = false;
    let settings = RetriesConfig {
        run_for: Duration::from_secs(2),
        outage_at: Duration::from_millis(500),
        outage_for: Duration::from_millis(500),
        ..RetriesConfig::default()
    };

    let outcome = retries::run(&config, &settings).expect("the bench runs");
    println!("{}", retries::table(&outcome.report));

    // The JSON on disk, read as any reader would: the shape.
    let text = fs::read_to_string(&outcome.json).expect("the JSON was written");
    assert_eq!(
        outcome.json.file_name().and_then(|name| name.to_str()),
        Some("retries.json")
    );
    let json: Value = serde_json::from_str(&text).expect("valid JSON");
    let capacity = json["capacity"].as_f64().expect("capacity");
    assert!(capacity > 0.0, "{capacity}");
    assert_eq!(json["outage_s"].as_f64(), Some(0.5));
    let runs = json["runs"].as_array().expect("runs");
    let clients: Vec<&str> = runs
        .iter()
        .map(|run| run["client"].as_str().expect("a client"))
        .collect();
    assert_eq!(clients, [NONE, NAIVE, PART6]);
    let amplification = |run: &Value| run["amplification"].as_f64().expect("amplification");
    for run in runs {
        let offered = run["offered"].as_f64().expect("offered");
        assert!((offered - 0.8 * capacity).abs() < 1e-6, "{run}");
        assert!(amplification(run) >= 0.9, "{run}");
        assert!(
            run["recovery_s"].is_null() || run["recovery_s"].as_f64().is_some(),
            "{run}"
        );
        for series in ["goodput_by_second", "upstream_by_second"] {
            let counts = run[series].as_array().expect(series);
            assert_eq!(counts.len(), 2, "{series}: {run}");
            assert!(counts.iter().all(Value::is_u64), "{series}: {run}");
        }
        // Before the outage, conversions were served.
        assert!(run["goodput_by_second"][0].as_u64() > Some(0), "{run}");
    }
    // Three tries at once against one try, or a budget's few retries.
    assert!(amplification(&runs[1]) > amplification(&runs[2]), "{text}");
    assert!(amplification(&runs[1]) > amplification(&runs[0]), "{text}");

    // The chart is SVG, and names what it shows.
    let svg = fs::read_to_string(&outcome.svg).expect("the chart was written");
    let document = roxmltree::Document::parse(&svg).expect("the chart is valid XML");
    let texts: Vec<&str> = document
        .descendants()
        .filter_map(|node| node.text())
        .collect();
    for expected in ["the outage", "naive: 3 tries at once", "part 6: backoff"] {
        assert!(
            texts.iter().any(|text| text.contains(expected)),
            "no {expected:?} in {texts:?}"
        );
    }
}
