//! A tiny sweep end to end: the four solution servers built (dev profile, so
//! CI does not wait for a release build), two connection counts for a second
//! each, then the shape of the results and the chart checked.

use std::fs;
use std::path::Path;
use std::time::Duration;

use workshop_bench::chart::{BOUND_LEGEND, CEILING_LEGEND};
use workshop_bench::littles_law::{self, Bound, Workers};
use workshop_bench::report::{FORMAT_VERSION, Report, SPEEDUP_CONNECTIONS};
use workshop_bench::{BenchConfig, Profile};

const LATENCY: Duration = Duration::from_millis(5);
const LATENCY_MS: f64 = 5.0;

#[test]
fn a_tiny_sweep_has_one_point_per_server_and_count_and_a_valid_chart() {
    // At run time (cargo runs a test in its package's folder): a workshop
    // moved or copied benches its own servers.
    let crate_dir = std::env::current_dir().expect("a current folder");
    let root = crate_dir.parent().expect("the workspace root");
    let mut config = BenchConfig::new(root);
    config.out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-sweep");
    config.profile = Profile::Dev;
    config.connections = vec![8, 4];
    config.duration = Duration::from_secs(1);
    config.warmup = Duration::from_millis(200);
    // Short, so that on a 2-core machine the bound at 8 connections comes
    // near the ceiling and is judged against one of its own (checked below
    // either way).
    config.latency = LATENCY;
    config.wrk_check = false;
    config.progress = false;

    let outcome = workshop_bench::run(&config).expect("the sweep runs");
    let report = &outcome.report;
    println!("{}", workshop_bench::report::table(report));

    assert_eq!(report.settings.connections, [4, 8], "sorted");
    assert!(
        report.round_trip.measured_ms >= LATENCY_MS,
        "{:?}",
        report.round_trip
    );
    assert!(report.machine.cores >= 1);
    let parts: Vec<&str> = report
        .implementations
        .iter()
        .map(|i| i.part.as_str())
        .collect();
    assert_eq!(parts, ["part1", "part2", "part3", "part4"]);
    assert!(
        report.generators.is_none(),
        "no wrk check, no verdict on it"
    );
    for implementation in &report.implementations {
        let part = &implementation.part;
        assert!(
            implementation.ceiling.requests_per_s > 0.0,
            "{part}: no ceiling"
        );
        let cpu_bound = part == "part4";
        assert_eq!(
            implementation.bound,
            if cpu_bound {
                Bound::Cpu
            } else {
                Bound::LittlesLaw
            },
            "{part}"
        );
        assert!(implementation.wrk_check.is_none());
        let counts: Vec<usize> = implementation
            .points
            .iter()
            .map(|p| p.connections)
            .collect();
        assert_eq!(counts, [4, 8], "{part}");
        for point in &implementation.points {
            let m = &point.measurement;
            let n = point.connections;
            assert!(m.requests_per_s > 0.0 && m.ok > 0, "{part} at {n}: {m:?}");
            let (p50, p99) = (m.p50_ms.expect("p50"), m.p99_ms.expect("p99"));
            assert!(p50 <= p99, "{part} at {n}: p50 {p50} > p99 {p99}");
            // Every answer waits one round trip at least, but part 4's: its
            // rates are fetched once and kept.
            assert!(
                cpu_bound || p50 >= LATENCY_MS,
                "{part} at {n}: p50 {p50} ms"
            );
            assert_eq!((m.errors, m.non_200), (0, 0), "{part} at {n}: {m:?}");
            assert_eq!(m.connected, Some(n), "{part} at {n}");
            // At most 8 connections, every implementation has a worker each.
            assert_eq!(point.workers, n, "{part}");
            if cpu_bound {
                // Its bound is its own ceiling at this very count, and the
                // target holds at every point.
                let own = implementation
                    .more_ceilings
                    .iter()
                    .chain([&implementation.ceiling])
                    .find(|c| c.connections == n)
                    .unwrap_or_else(|| panic!("{part}: no ceiling at {n}"));
                assert_eq!(point.bound_rps, own.requests_per_s, "{part} at {n}");
                assert_eq!(point.ceiling_rps, point.bound_rps, "{part} at {n}");
                assert_eq!(point.ceiling_connections, n, "{part} at {n}");
                assert!(!point.below_ceiling, "{part} at {n}");
                let percent = littles_law::percent(m.requests_per_s, point.bound_rps);
                assert!((point.percent_of_bound - percent).abs() < 1e-9);
                assert_eq!(
                    point.meets_target,
                    Some(percent >= littles_law::TARGET_PERCENT),
                    "{part} at {n}"
                );
                // The best of interleaved slices, each side.
                assert_eq!(point.runs_rps.len(), point.ceiling_runs_rps.len());
                assert!(point.runs_rps.len() > 1, "{part} at {n}: {point:?}");
                let best = |runs: &[f64]| runs.iter().copied().fold(0.0, f64::max);
                assert_eq!(best(&point.runs_rps), m.requests_per_s, "{part} at {n}");
                assert_eq!(best(&point.ceiling_runs_rps), own.requests_per_s);
                continue;
            }
            let bound = n as f64 / (report.round_trip.measured_ms / 1000.0);
            assert!(
                (point.bound_rps - bound).abs() < 1e-6 * bound,
                "{part} at {n}"
            );
            assert!(point.percent_of_bound > 0.0);
            assert_eq!(point.meets_target.is_some(), point.below_ceiling);
            assert!(point.runs_rps.is_empty(), "{part}: one run a point");
            // Judged against the first ceiling, or against one measured at
            // its own count exactly where its bound comes near the first.
            let base = &implementation.ceiling;
            let own = littles_law::needs_own_ceiling(point.bound_rps, base.requests_per_s)
                && n != base.connections;
            let judged_by = if own { n } else { base.connections };
            assert_eq!(point.ceiling_connections, judged_by, "{part} at {n}");
            let more: Vec<usize> = implementation
                .more_ceilings
                .iter()
                .map(|c| c.connections)
                .collect();
            assert_eq!(more.contains(&n), own, "{part} at {n}: {more:?}");
            assert_eq!(
                point.below_ceiling,
                point.bound_rps < point.ceiling_rps,
                "{part} at {n}"
            );
        }
    }
    assert_eq!(report.implementations[0].workers, Workers::PerConnection);
    assert_eq!(report.implementations[1].workers, Workers::Threads(32));
    assert_eq!(report.implementations[3].workers, Workers::PerConnection);
    assert_eq!(
        report.implementations[3].more_ceilings.len(),
        1,
        "part 4: a ceiling at each count"
    );

    // Part 4 against part 1, at the smallest count: a figure (part 4 does
    // not wait the round trip, so more than 1×), but no verdict away from
    // the count the target is set at.
    let speedup = report.speedup.as_ref().expect("part 4 against part 1");
    assert_eq!(
        (speedup.part.as_str(), speedup.over.as_str()),
        ("part4", "part1")
    );
    assert_eq!(speedup.connections, 4);
    assert!(speedup.times > 1.0, "{speedup:?}");
    assert_eq!(speedup.meets_target, None, "not at {SPEEDUP_CONNECTIONS}");

    // The JSON on disk is the report.
    let json = fs::read_to_string(&outcome.json).expect("the JSON was written");
    let again: Report = serde_json::from_str(&json).expect("the JSON reads back");
    assert_eq!(again.format_version, FORMAT_VERSION);
    assert_eq!(again.implementations.len(), 4);
    assert_eq!(again.implementations[3].bound, Bound::Cpu);
    assert!(
        json.contains("\"bound\": \"cpu\""),
        "the JSON says which bound"
    );
    assert_eq!(again.date, report.date);

    // The chart is SVG, parses as XML, and says what it shows.
    let svg = fs::read_to_string(&outcome.svg).expect("the chart was written");
    assert!(
        svg.trim_start().starts_with("<svg"),
        "{}",
        &svg[..svg.len().min(200)]
    );
    let document = roxmltree::Document::parse(&svg).expect("the chart is valid XML");
    assert_eq!(document.root_element().tag_name().name(), "svg");
    let texts: Vec<&str> = document
        .descendants()
        .filter(|node| node.has_tag_name("text"))
        .filter_map(|node| node.text())
        .collect();
    for expected in [
        "connections (log scale)",
        "requests per second",
        "part1 async (axum + reqwest)",
        "bound: CPU",
        BOUND_LEGEND,
        CEILING_LEGEND,
    ] {
        assert!(
            texts.iter().any(|text| text.contains(expected)),
            "no {expected:?} in {texts:?}"
        );
    }
    let lines = document
        .descendants()
        .filter(|node| node.has_tag_name("polyline") || node.has_tag_name("path"))
        .count();
    assert!(lines >= 3, "{lines} lines");
}
