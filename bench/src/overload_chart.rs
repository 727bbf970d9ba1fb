//! The overload chart: against the offered rate (log scale, as multiples of
//! the capacity), goodput above and the p99 of the 200s below, one line for
//! part 5 and one for the same server with a queue without end. The
//! capacity is dashed in the goodput panel, two round trips in the p99
//! panel: part 5's lines should hold to both, the other's should not.

use std::path::Path;

use plotters::prelude::*;

use crate::BenchError;
use crate::chart::{chart_error, series_legend, write_file};
use crate::overload_report::{OverloadReport, SHEDDING, UNBOUNDED};

const SIZE: (u32, u32) = (960, 760);

/// Part 5 blue, the queue without end orange (the comparison's first two).
const PART5: RGBColor = RGBColor(31, 119, 180);
const WITHOUT_END: RGBColor = RGBColor(255, 127, 14);

/// Draws the chart of `report` into `path`.
pub fn write_svg(report: &OverloadReport, path: &Path) -> Result<(), BenchError> {
    write_file(render(report)?, path)
}

/// The chart as SVG text.
pub fn render(report: &OverloadReport) -> Result<String, BenchError> {
    let mut multiples: Vec<f64> = report.runs.iter().map(|run| run.multiple).collect();
    multiples.sort_by(f64::total_cmp);
    multiples.dedup();
    let (Some(&first), Some(&last)) = (multiples.first(), multiples.last()) else {
        return Err(BenchError::Chart("no runs to draw".into()));
    };
    let x_range = (first * 0.7)..(last * 1.4);
    // Each offered rate named on the axis, not a log scale's own round
    // numbers (which named only 1× and 10× of 0.5×, 1×, 2×, 10×).
    let x_axis = || {
        x_range
            .clone()
            .log_scale()
            .with_key_points(multiples.clone())
    };
    let lines = [
        (
            SHEDDING,
            PART5,
            format!(
                "part 5: a queue with an end (503 past {:.0} ms)",
                report.max_wait_ms
            ),
        ),
        (
            UNBOUNDED,
            WITHOUT_END,
            "the same server, --max-wait unbounded".to_string(),
        ),
    ];
    let two_round_trips = 2.0 * report.round_trip_ms;
    let highest_p99 = report
        .runs
        .iter()
        .filter_map(|run| run.p99_ms)
        .fold(two_round_trips, f64::max);

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let (top, bottom) = root.split_vertically(SIZE.1 / 2 - 10);
        let caption = format!(
            "offered {} fetches at once ÷ {:.0} ms = {:.0}/s of capacity, {:.0} s a rate · {} ({} cores) · {}",
            report.quota,
            report.round_trip_ms,
            report.capacity,
            report.run_seconds,
            report.machine.cpu,
            report.machine.cores,
            report.date.get(..10).unwrap_or(&report.date),
        );
        // Headroom above the highest line for the legend, in the upper left:
        // at 1.25× a goodput that rises from 0.5× to 1× ran under it.
        let goodput_top = report
            .runs
            .iter()
            .map(|run| run.goodput)
            .fold(report.capacity, f64::max)
            * 1.7;
        let mut goodput = ChartBuilder::on(&top)
            .caption(caption, ("sans-serif", 15))
            .margin(14)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(x_axis(), 0.0..goodput_top)
            .map_err(chart_error)?;
        goodput
            .configure_mesh()
            .x_labels(multiples.len())
            .x_label_formatter(&|x| format!("{x}×"))
            .disable_x_mesh()
            .bold_line_style(BLACK.mix(0.15))
            .light_line_style(BLACK.mix(0.04))
            .y_desc("goodput: 200s in time, per s")
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()
            .map_err(chart_error)?;
        goodput
            .draw_series(DashedLineSeries::new(
                [
                    (x_range.start, report.capacity),
                    (x_range.end, report.capacity),
                ],
                8,
                5,
                BLACK.mix(0.5).stroke_width(1),
            ))
            .map_err(chart_error)?
            .label(format!("capacity, {:.0}/s", report.capacity))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 24, y)], BLACK.mix(0.5)));

        let mut p99 = ChartBuilder::on(&bottom)
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(
                x_axis(),
                (report.round_trip_ms / 2.0..highest_p99 * 2.0).log_scale(),
            )
            .map_err(chart_error)?;
        p99.configure_mesh()
            .x_labels(multiples.len())
            .x_label_formatter(&|x| format!("{x}×"))
            .disable_x_mesh()
            .bold_line_style(BLACK.mix(0.15))
            .light_line_style(BLACK.mix(0.04))
            .y_desc("p99 of the 200s, ms (log scale)")
            .x_desc("offered, × the capacity (log scale)")
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()
            .map_err(chart_error)?;
        p99.draw_series(DashedLineSeries::new(
            [
                (x_range.start, two_round_trips),
                (x_range.end, two_round_trips),
            ],
            8,
            5,
            BLACK.mix(0.5).stroke_width(1),
        ))
        .map_err(chart_error)?
        .label(format!("two round trips, {two_round_trips:.0} ms"))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 24, y)], BLACK.mix(0.5)));

        for (server, colour, label) in &lines {
            let runs: Vec<_> = report
                .runs
                .iter()
                .filter(|run| run.server == *server)
                .collect();
            let good: Vec<(f64, f64)> =
                runs.iter().map(|run| (run.multiple, run.goodput)).collect();
            goodput
                .draw_series(LineSeries::new(good, colour.stroke_width(2)).point_size(4))
                .map_err(chart_error)?
                .label(label.as_str())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 24, y)], colour.stroke_width(2))
                });
            let tails: Vec<(f64, f64)> = runs
                .iter()
                .filter_map(|run| run.p99_ms.map(|ms| (run.multiple, ms)))
                .collect();
            p99.draw_series(LineSeries::new(tails, colour.stroke_width(2)).point_size(4))
                .map_err(chart_error)?;
        }
        series_legend(&mut goodput, SeriesLabelPosition::UpperLeft)?;
        series_legend(&mut p99, SeriesLabelPosition::UpperLeft)?;
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::overload_report::sample;

    #[test]
    fn the_chart_is_svg_with_both_servers_and_every_rate() {
        let report = sample::report(vec![
            sample::run(SHEDDING, 1.0, 78.0, 150.0),
            sample::run(SHEDDING, 10.0, 79.0, 160.0),
            sample::run(UNBOUNDED, 1.0, 79.0, 180.0),
            sample::run(UNBOUNDED, 10.0, 10.0, 5000.0),
            sample::run(SHEDDING, 0.5, 40.0, 150.0),
            sample::run(SHEDDING, 2.0, 79.0, 150.0),
        ]);
        let svg = render(&report).expect("it renders");
        let parsed = roxmltree::Document::parse(&svg).expect("valid XML");
        let texts: Vec<&str> = parsed
            .descendants()
            .filter_map(|node| node.text())
            .collect();
        for expected in [
            "0.5×",
            "1×",
            "2×",
            "10×",
            "capacity, 80/s",
            "two round trips, 200 ms",
        ] {
            assert!(
                texts.iter().any(|text| text.contains(expected)),
                "{expected}: {texts:?}"
            );
        }
        assert!(
            !texts.contains(&"1.0"),
            "the offered rates read as multiples"
        );
    }
}
