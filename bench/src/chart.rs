//! The chart, like the original workshop's: req/s against connections, one
//! line per implementation, each Little's-law bound dashed, each CPU ceiling
//! dotted (part 4's bound: its line should hug it). Both axes are
//! logarithmic: part 4 serves a hundred times parts 2 and 3. SVG only: plotters' SVG
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

const SIZE: (u32, u32) = (960, 660);

/// The legend's room beneath the plot, in columns of rows.
const LEGEND_HEIGHT: u32 = 80;
const LEGEND_COLUMNS: usize = 2;
const LEGEND_LEFT: i32 = 80;
const LEGEND_COLUMN_WIDTH: i32 = 440;
const LEGEND_ROW_HEIGHT: i32 = 22;

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

/// A plotters error, as the bench says it (every chart's).
pub(crate) fn chart_error(err: impl Display) -> BenchError {
    BenchError::Chart(err.to_string())
}

/// Writes a rendered chart, `svg`, to `path` (every chart's).
pub(crate) fn write_file(svg: String, path: &Path) -> Result<(), BenchError> {
    fs::write(path, svg).map_err(|source| BenchError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// A plot's legend of its series, at `position`, on a white ground (the
/// open-loop benches' charts).
pub(crate) fn series_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), BenchError>
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.2))
        .label_font(("sans-serif", 13))
        .draw()
        .map_err(chart_error)
}

/// Draws the chart of `report` into `path`.
pub fn write_svg(report: &Report, path: &Path) -> Result<(), BenchError> {
    write_file(render(report)?, path)
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
    // y is logarithmic too: part 4 serves a hundred times what parts 2 and
    // 3 do, and on a linear axis their lines would lie flat on the floor.
    // Bounds far above every figure (async at 1024 connections) are cut at
    // the top; nothing is drawn below the lowest power of ten.
    let figures = || {
        implementations.iter().flat_map(|implementation| {
            let ceiling = implementation.ceiling.requests_per_s;
            implementation.points.iter().map(move |point| {
                (
                    point.measurement.requests_per_s,
                    point.bound_rps.min(ceiling.max(point.ceiling_rps)),
                    point.ceiling_rps.max(ceiling),
                )
            })
        })
    };
    let highest = figures()
        .map(|(measured, bound, ceiling)| measured.max(bound).max(ceiling))
        .fold(1.0_f64, f64::max);
    let lowest = figures()
        .flat_map(|(measured, bound, _)| [measured, bound])
        .filter(|&y| y > 0.0)
        .fold(highest, f64::min);
    let y_min = 10_f64.powf(lowest.log10().floor());
    let y_max = highest * 1.6;
    // A server that answered nothing stays on the chart, at its floor.
    let y = move |rps: f64| rps.max(y_min);

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let (upper, legend_area) = root.split_vertically(SIZE.1 - LEGEND_HEIGHT);
        let caption = format!(
            "req/s against connections · round trip {:.1} ms · {} ({} cores) · {}",
            report.round_trip.measured_ms,
            report.machine.cpu,
            report.machine.cores,
            report.date.get(..10).unwrap_or(&report.date),
        );
        let mut chart = ChartBuilder::on(&upper)
            .caption(caption, ("sans-serif", 18))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(x_range, (y_min..y_max).log_scale())
            .map_err(chart_error)?;
        // plotters would label the x axis at round log2 values; the labels
        // belong at the connection counts measured, so they are drawn here.
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .bold_line_style(BLACK.mix(0.15))
            .light_line_style(BLACK.mix(0.04))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .x_desc("connections (log scale)")
            .y_desc("requests per second (log scale)")
            .draw()
            .map_err(chart_error)?;
        let label_style =
            TextStyle::from(("sans-serif", 13)).pos(Pos::new(HPos::Center, VPos::Top));
        for &n in &connections {
            chart
                .draw_series([PathElement::new(
                    [(x(n), y_min), (x(n), y_max)],
                    BLACK.mix(0.12),
                )])
                .map_err(chart_error)?;
            let (px, py) = chart.backend_coord(&(x(n), y_min));
            upper
                .draw(&Text::new(n.to_string(), (px, py + 6), label_style.clone()))
                .map_err(chart_error)?;
        }

        let mut legend = Vec::new();
        for (implementation, colour) in implementations.iter().zip(COLOURS.iter().cycle()) {
            let colour = *colour;
            let bound_is_cpu = implementation.bound == Bound::Cpu;
            legend.push((
                if bound_is_cpu {
                    format!(
                        "{} {} · bound: CPU",
                        implementation.part, implementation.name
                    )
                } else {
                    format!("{} {}", implementation.part, implementation.name)
                },
                LegendLine::Solid(colour),
            ));
            let measured: Vec<(f64, f64)> = implementation
                .points
                .iter()
                .map(|point| (x(point.connections), y(point.measurement.requests_per_s)))
                .collect();
            chart
                .draw_series(LineSeries::new(measured, colour.stroke_width(2)).point_size(4))
                .map_err(chart_error)?;

            // A CPU-bound implementation's bound is its ceiling, drawn below.
            if !bound_is_cpu {
                let bound: Vec<(f64, f64)> = implementation
                    .points
                    .iter()
                    .map(|point| (x(point.connections), y(point.bound_rps)))
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
                .map(|point| (x(point.connections), y(point.ceiling_rps)))
                .collect();
            let level = |end: Option<&(f64, f64)>| {
                end.map_or(y(implementation.ceiling.requests_per_s), |&(_, y)| y)
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
        // One entry for each line style, in grey: with four implementations,
        // one a line would make a legend of twelve.
        let cpu_bound: Vec<&str> = implementations
            .iter()
            .filter(|implementation| implementation.bound == Bound::Cpu)
            .map(|implementation| implementation.part.as_str())
            .collect();
        legend.push((BOUND_LEGEND.to_string(), LegendLine::Dashed));
        legend.push((
            if cpu_bound.is_empty() {
                CEILING_LEGEND.to_string()
            } else {
                format!("{CEILING_LEGEND}, the bound of {}", cpu_bound.join(", "))
            },
            LegendLine::Dotted,
        ));
        draw_legend(&legend_area, &legend)?;
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// How a legend entry's sample is drawn.
#[derive(Clone, Copy)]
enum LegendLine {
    Solid(RGBColor),
    Dashed,
    Dotted,
}

/// The legend, beneath the plot in columns: inside it, it would hide the
/// lines that run high from the first count.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    entries: &[(String, LegendLine)],
) -> Result<(), BenchError>
where
    DB::ErrorType: 'static,
{
    let grey = BLACK.mix(0.6);
    let rows = entries.len().div_ceil(LEGEND_COLUMNS).max(1);
    let style = TextStyle::from(("sans-serif", 13)).pos(Pos::new(HPos::Left, VPos::Center));
    for (index, (label, line)) in entries.iter().enumerate() {
        let (column, row) = (index / rows, index % rows);
        let left = LEGEND_LEFT + column as i32 * LEGEND_COLUMN_WIDTH;
        let top = 8 + row as i32 * LEGEND_ROW_HEIGHT;
        let sample = [(left, top), (left + 28, top)];
        match *line {
            LegendLine::Solid(colour) => {
                area.draw(&PathElement::new(sample, colour.stroke_width(2)))
            }
            LegendLine::Dashed => {
                area.draw(&DashedPathElement::new(sample, 8, 5, grey.stroke_width(1)))
            }
            LegendLine::Dotted => {
                area.draw(&DashedPathElement::new(sample, 2, 4, grey.stroke_width(1)))
            }
        }
        .map_err(chart_error)?;
        area.draw(&Text::new(label.as_str(), (left + 36, top), style.clone()))
            .map_err(chart_error)?;
    }
    Ok(())
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
