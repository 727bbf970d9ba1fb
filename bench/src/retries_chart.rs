//! The retry storm's chart: second by second of the run, goodput above
//! (200s in time, by the second they were due) and the requests for rates
//! the rates service saw below, one line for each client, the outage
//! shaded in both. The offered rate is dashed in both panels: goodput
//! should sit on it outside the outage, and the load upstream should not
//! climb far above it inside.

use std::path::Path;

use plotters::prelude::*;

use crate::BenchError;
use crate::chart::{chart_error, series_legend, write_file};
use crate::retries_report::{NAIVE, NONE, PART6, RetriesReport};

const SIZE: (u32, u32) = (960, 760);

/// No retries grey, naive orange, part 6 blue (part 5's colour: the same
/// server, a part later).
const NO_RETRIES: RGBColor = RGBColor(127, 127, 127);
const NAIVE_RETRIES: RGBColor = RGBColor(255, 127, 14);
const PART6_RETRIES: RGBColor = RGBColor(31, 119, 180);

/// Draws the chart of `report` into `path`.
pub fn write_svg(report: &RetriesReport, path: &Path) -> Result<(), BenchError> {
    write_file(render(report)?, path)
}

/// A count a second as steps: level across each second, as it was counted.
fn steps(counts: &[u64]) -> Vec<(f64, f64)> {
    counts
        .iter()
        .enumerate()
        .flat_map(|(second, &count)| {
            let at = second as f64;
            [(at, count as f64), (at + 1.0, count as f64)]
        })
        .collect()
}

/// The chart as SVG text.
pub fn render(report: &RetriesReport) -> Result<String, BenchError> {
    if report.runs.is_empty() {
        return Err(BenchError::Chart("no runs to draw".into()));
    }
    let offered = report.capacity * report.multiple;
    let seconds = report
        .runs
        .iter()
        .map(|run| {
            run.goodput_by_second
                .len()
                .max(run.upstream_by_second.len())
        })
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let x_range = 0.0..seconds;
    let most = |counts: &dyn Fn(&crate::retries_report::RetriesRun) -> &Vec<u64>| {
        report
            .runs
            .iter()
            .flat_map(|run| counts(run).iter().copied())
            .max()
            .unwrap_or(0) as f64
    };
    // Headroom above the highest line for the legend, in the upper right
    // (it spans most of the width, the outage too).
    let goodput_top = most(&|run| &run.goodput_by_second).max(offered) * 1.9;
    let upstream_top = most(&|run| &run.upstream_by_second).max(offered) * 1.7;
    // Widest first: where the three lines are the same (goodput outside
    // the outage, whatever the retries), each still shows beneath the next.
    let lines = [
        (NONE, NO_RETRIES, 6, "none: one try (--retries off)"),
        (
            NAIVE,
            NAIVE_RETRIES,
            4,
            "naive: 3 tries at once (--retries naive)",
        ),
        (
            PART6,
            PART6_RETRIES,
            2,
            "part 6: backoff, jitter, a retry budget (--retries full)",
        ),
    ];

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let (top, bottom) = root.split_vertically(SIZE.1 / 2 - 10);
        let caption = format!(
            "{:.0}/s offered ({}× of {} ÷ {:.0} ms), the rates service down {:.0}–{:.0} s ({}) · {} ({} cores) · {}",
            offered,
            report.multiple,
            report.quota,
            report.round_trip_ms,
            report.outage_from_s,
            report.outage_until_s,
            report.outage_answer,
            report.machine.cpu,
            report.machine.cores,
            report.date.get(..10).unwrap_or(&report.date),
        );
        let mut goodput = ChartBuilder::on(&top)
            .caption(caption, ("sans-serif", 15))
            .margin(14)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(x_range.clone(), 0.0..goodput_top)
            .map_err(chart_error)?;
        goodput
            .configure_mesh()
            .disable_x_mesh()
            .bold_line_style(BLACK.mix(0.15))
            .light_line_style(BLACK.mix(0.04))
            .y_desc("goodput: 200s in time, per s")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()
            .map_err(chart_error)?;
        let mut upstream = ChartBuilder::on(&bottom)
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(x_range.clone(), 0.0..upstream_top)
            .map_err(chart_error)?;
        upstream
            .configure_mesh()
            .disable_x_mesh()
            .bold_line_style(BLACK.mix(0.15))
            .light_line_style(BLACK.mix(0.04))
            .y_desc("requests for rates, per s")
            .x_desc("seconds of the run (goodput by when a request was due, upstream by arrival)")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()
            .map_err(chart_error)?;

        let shade = BLACK.mix(0.08).filled();
        let outage = (report.outage_from_s, report.outage_until_s);
        goodput
            .draw_series([Rectangle::new(
                [(outage.0, 0.0), (outage.1, goodput_top)],
                shade,
            )])
            .map_err(chart_error)?
            .label(format!("the outage, {:.0} s", report.outage_s))
            .legend(|(x, y)| {
                Rectangle::new([(x, y - 5), (x + 24, y + 5)], BLACK.mix(0.08).filled())
            });
        upstream
            .draw_series([Rectangle::new(
                [(outage.0, 0.0), (outage.1, upstream_top)],
                shade,
            )])
            .map_err(chart_error)?;
        for chart in [&mut goodput, &mut upstream] {
            chart
                .draw_series(DashedLineSeries::new(
                    [(x_range.start, offered), (x_range.end, offered)],
                    8,
                    5,
                    BLACK.mix(0.5).stroke_width(1),
                ))
                .map_err(chart_error)?
                .label(format!("offered, {offered:.0}/s"))
                .legend(|(x, y)| PathElement::new([(x, y), (x + 24, y)], BLACK.mix(0.5)));
        }

        for (client, colour, width, label) in lines {
            let Some(run) = report.runs.iter().find(|run| run.client == client) else {
                continue;
            };
            let label = format!("{label}: {:.2}× in the outage", run.amplification);
            goodput
                .draw_series(LineSeries::new(
                    steps(&run.goodput_by_second),
                    colour.stroke_width(width),
                ))
                .map_err(chart_error)?
                .label(label.clone())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 24, y)], colour.stroke_width(width))
                });
            upstream
                .draw_series(LineSeries::new(
                    steps(&run.upstream_by_second),
                    colour.stroke_width(width),
                ))
                .map_err(chart_error)?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 24, y)], colour.stroke_width(width))
                });
        }
        series_legend(&mut goodput, SeriesLabelPosition::UpperRight)?;
        series_legend(&mut upstream, SeriesLabelPosition::UpperRight)?;
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retries_report::sample;

    #[test]
    fn counts_a_second_are_drawn_as_steps() {
        assert_eq!(
            steps(&[3, 5]),
            [(0.0, 3.0), (1.0, 3.0), (1.0, 5.0), (2.0, 5.0)]
        );
        assert!(steps(&[]).is_empty());
    }

    #[test]
    fn the_chart_is_svg_with_the_three_clients_and_the_outage() {
        let storm = [80, 80, 80, 240, 240, 240, 80, 80, 80, 80];
        let report = sample::report(vec![
            sample::run(
                NONE,
                1.0,
                vec![80, 80, 80, 0, 0, 0, 80, 80, 80, 80],
                vec![80; 10],
            ),
            sample::run(
                NAIVE,
                3.0,
                vec![80, 80, 80, 0, 0, 0, 80, 80, 80, 80],
                storm.to_vec(),
            ),
            sample::run(
                PART6,
                1.12,
                vec![80, 80, 80, 2, 1, 1, 80, 80, 80, 80],
                vec![80; 10],
            ),
        ]);
        let svg = render(&report).expect("it renders");
        let parsed = roxmltree::Document::parse(&svg).expect("valid XML");
        let texts: Vec<&str> = parsed
            .descendants()
            .filter_map(|node| node.text())
            .collect();
        for expected in [
            "the outage, 3 s",
            "offered, 80/s",
            "naive: 3 tries at once (--retries naive): 3.00× in the outage",
            "part 6: backoff, jitter, a retry budget (--retries full): 1.12× in the outage",
            "none: one try (--retries off)",
            "requests for rates, per s",
        ] {
            assert!(
                texts.iter().any(|text| text.contains(expected)),
                "{expected}: {texts:?}"
            );
        }
    }
}
