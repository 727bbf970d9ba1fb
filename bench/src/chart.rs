//! The chart, like the original workshop's: req/s against connections, one
//! line per implementation, each Little's-law bound dashed, each CPU ceiling
//! dotted (part 4's bound: its line should hug it). SVG only: plotters' SVG
//! backend writes `<text>` elements itself, so no font library is needed.

use std::fmt::Display;
use std::fs;
use std::path::Path;

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::BenchError;
use crate::littles_law::Bound;
use crate::report::Report;

const SIZE: (u32, u32) = (960, 600);

/// One colour per implementation (matplotlib's first four, as in most
/// charts learners have seen).
const COLOURS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
];

/// The legend's entries for the line styles, which every colour shares.
pub const BOUND_LEGEND: &str = "dashed: Little's law bound, workers ÷ round trip";
pub const CEILING_LEGEND: &str = "dotted: CPU ceiling (zero latency)";

fn chart_error(err: impl Display) -> BenchError {
    BenchError::Chart(err.to_string())
}

/// Draws the chart of `report` into `path`.
pub fn write_svg(report: &Report, path: &Path) -> Result<(), BenchError> {
    let svg = render(report)?;
    fs::write(path, svg).map_err(|source| BenchError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// The chart as SVG text.
pub fn render(report: &Report) -> Result<String, BenchError> {
    let implementations = &report.implementations;
    let mut connections: Vec<usize> = implementations
        .iter()
        .flat_map(|implementation| implementation.points.iter().map(|point| point.connections))
        .collect();
    connections.sort_unstable();
    connections.dedup();
    let (Some(&first), Some(&last)) = (connections.first(), connections.last()) else {
        return Err(BenchError::Chart("no points to draw".into()));
    };

    // x is log2(connections): 32…1024 evenly spaced, as the original had them.
    let x = |connections: usize| (connections.max(1) as f64).log2();
    let x_range = (x(first) - 0.3)..(x(last) + 0.3);
    // The top leaves room for the legend, above a CPU-bound line that runs
    // high from the first count; bounds far above every figure (async at
    // 1024 connections) are cut at the top.
    let highest = implementations
        .iter()
        .flat_map(|implementation| {
            let ceiling = implementation.ceiling.requests_per_s;
            implementation.points.iter().map(move |point| {
                point
                    .measurement
                    .requests_per_s
                    .max(point.bound_rps.min(ceiling))
                    .max(ceiling)
            })
        })
        .fold(1.0_f64, f64::max);
    let y_max = highest * 1.45;

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let caption = format!(
            "req/s against connections · round trip {:.1} ms · {} ({} cores) · {}",
            report.round_trip.measured_ms,
            report.machine.cpu,
            report.machine.cores,
            report.date.get(..10).unwrap_or(&report.date),
        );
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 18))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(x_range, 0.0..y_max)
            .map_err(chart_error)?;
        // plotters would label the x axis at round log2 values; the labels
        // belong at the connection counts measured, so they are drawn here.
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .light_line_style(WHITE)
            .y_label_formatter(&|y| format!("{y:.0}"))
            .x_desc("connections (log scale)")
            .y_desc("requests per second")
            .draw()
            .map_err(chart_error)?;
        let label_style =
            TextStyle::from(("sans-serif", 13)).pos(Pos::new(HPos::Center, VPos::Top));
        for &n in &connections {
            chart
                .draw_series([PathElement::new(
                    [(x(n), 0.0), (x(n), y_max)],
                    BLACK.mix(0.12),
                )])
                .map_err(chart_error)?;
            let (px, py) = chart.backend_coord(&(x(n), 0.0));
            root.draw(&Text::new(n.to_string(), (px, py + 6), label_style.clone()))
                .map_err(chart_error)?;
        }

        for (implementation, colour) in implementations.iter().zip(COLOURS.iter().cycle()) {
            let bound_is_cpu = implementation.bound == Bound::Cpu;
            let label = if bound_is_cpu {
                format!(
                    "{} {} · bound: CPU",
                    implementation.part, implementation.name
                )
            } else {
                format!("{} {}", implementation.part, implementation.name)
            };
            let measured: Vec<(f64, f64)> = implementation
                .points
                .iter()
                .map(|point| (x(point.connections), point.measurement.requests_per_s))
                .collect();
            chart
                .draw_series(LineSeries::new(measured, colour.stroke_width(2)).point_size(4))
                .map_err(chart_error)?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 24, y)], colour.stroke_width(2))
                });

            // A CPU-bound implementation's bound is its ceiling, drawn below.
            if !bound_is_cpu {
                let bound: Vec<(f64, f64)> = implementation
                    .points
                    .iter()
                    .map(|point| (x(point.connections), point.bound_rps))
                    .collect();
                chart
                    .draw_series(DashedLineSeries::new(
                        clip_at(&bound, y_max),
                        8,
                        5,
                        colour.stroke_width(1),
                    ))
                    .map_err(chart_error)?;
            }

            // Through the ceiling each point was judged against: flat, but
            // where it was measured again at a point's own count (at every
            // count for a CPU-bound implementation).
            let ceilings: Vec<(f64, f64)> = implementation
                .points
                .iter()
                .map(|point| (x(point.connections), point.ceiling_rps))
                .collect();
            let level = |end: Option<&(f64, f64)>| {
                end.map_or(implementation.ceiling.requests_per_s, |&(_, y)| y)
            };
            let (left, right) = (x(first) - 0.3, x(last) + 0.3);
            let line = std::iter::once((left, level(ceilings.first())))
                .chain(ceilings.iter().copied())
                .chain(std::iter::once((right, level(ceilings.last()))));
            chart
                .draw_series(DashedLineSeries::new(
                    line,
                    2,
                    4,
                    colour.mix(0.7).stroke_width(1),
                ))
                .map_err(chart_error)?;
        }
        // One legend entry for each line style, in grey: with four
        // implementations, one a line would make a legend of twelve.
        let grey = BLACK.mix(0.6);
        let cpu_bound: Vec<&str> = implementations
            .iter()
            .filter(|implementation| implementation.bound == Bound::Cpu)
            .map(|implementation| implementation.part.as_str())
            .collect();
        let ceiling_legend = if cpu_bound.is_empty() {
            CEILING_LEGEND.to_string()
        } else {
            format!("{CEILING_LEGEND}, the bound of {}", cpu_bound.join(", "))
        };
        chart
            .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())
            .map_err(chart_error)?
            .label(BOUND_LEGEND)
            .legend(move |(x, y)| {
                DashedPathElement::new([(x, y), (x + 24, y)], 8, 5, grey.stroke_width(1))
            });
        chart
            .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())
            .map_err(chart_error)?
            .label(ceiling_legend)
            .legend(move |(x, y)| {
                DashedPathElement::new([(x, y), (x + 24, y)], 2, 4, grey.stroke_width(1))
            });
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .label_font(("sans-serif", 13))
            .draw()
            .map_err(chart_error)?;
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// The line through `points`, cut where it rises above `top` (plotters does
/// not clip lines to the plotting area).
fn clip_at(points: &[(f64, f64)], top: f64) -> Vec<(f64, f64)> {
    let mut clipped = Vec::with_capacity(points.len());
    for (n, &(x, y)) in points.iter().enumerate() {
        if y <= top {
            clipped.push((x, y));
            continue;
        }
        if let Some(&(x0, y0)) = n.checked_sub(1).and_then(|previous| points.get(previous)) {
            if y0 <= top {
                clipped.push((x0 + (x - x0) * (top - y0) / (y - y0), top));
            }
        }
        // Bounds never fall as connections grow: nothing further is below.
        break;
    }
    clipped
}

#[cfg(test)]
mod tests {
    use super::clip_at;

    #[test]
    fn a_bound_above_the_top_is_cut_where_it_crosses_it() {
        let points = [(5.0, 100.0), (6.0, 200.0), (7.0, 400.0)];
        assert_eq!(clip_at(&points, 1000.0), points.to_vec());
        assert_eq!(
            clip_at(&points, 300.0),
            vec![(5.0, 100.0), (6.0, 200.0), (6.5, 300.0)]
        );
        assert!(clip_at(&points, 50.0).is_empty());
    }
}
