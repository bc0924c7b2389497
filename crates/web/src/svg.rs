//! Charts drawn as inline SVG on the server, by hand.
//!
//! Two kinds are enough for the dashboard, so no chart crate (plotters needs
//! a font backend for its text layout, and every chart would carry its
//! build): [`interval_chart`], proportions over equal time steps with their
//! 95 % interval as a band and whiskers and a target line (accuracy, the
//! straight-through rate), and [`line_chart`], a few series over the days of
//! a month (the error budget used against allowed). Colours are attributes,
//! never `style`: the pages' CSP allows no inline styles; the text's font
//! comes from the stylesheet. Every element is closed explicitly, so a chart
//! is well-formed XML as well as HTML.

use maud::{Markup, html};

/// The drawing's size in user units; the stylesheet scales it to its card.
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 240.0;
/// Room for the axis labels (left, bottom) and the target's label (right).
const LEFT: f64 = 44.0;
const RIGHT: f64 = 66.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 30.0;
/// At most this many labels on the time axis; the others are left out.
const MAX_X_LABELS: usize = 9;

/// Colours of the series, in order; the interval band is the first, lighter.
const COLOURS: [&str; 4] = ["#1f5fbf", "#b3261e", "#1f7a3d", "#a15c00"];
const BAND: &str = "#cfe0f7";
const TARGET: &str = "#a15c00";
const GRID: &str = "#e3e7ed";

/// One time step of an interval chart: its label, and the proportion with
/// its interval when there is one (a week without labels has none).
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalPoint {
    /// The axis label (`11-16` for the week starting then).
    pub label: String,
    /// `(rate, low, high)`, all in [0, 1].
    pub value: Option<(f64, f64, f64)>,
    /// What the tooltip says (`45/48 = 93.8 % [83.2–97.9 %]`).
    pub note: String,
}

/// Proportions over equal time steps with their intervals and a target.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalChart<'a> {
    /// The element id (tests and links find the chart by it).
    pub id: &'a str,
    /// What it shows, for screen readers and the tooltip of the whole chart.
    pub title: &'a str,
    pub points: &'a [IntervalPoint],
    /// The promised level, drawn as a dashed line.
    pub target: Option<f64>,
}

/// A proportion chart: the interval as a band between consecutive points
/// and as a whisker on each point, the rate as a dot, the target as a
/// dashed line. The vertical axis starts at the nearest 10 % below the
/// lowest interval bound or the target, so that 92 % and 97 % do not look
/// alike, and ends at 100 %.
pub fn interval_chart(chart: &IntervalChart) -> Markup {
    let lowest = chart.points.iter().filter_map(|point| point.value.map(|(_, low, _)| low)).chain(chart.target);
    let floor = lowest.fold(1.0_f64, f64::min);
    let y_min = ((floor * 10.0).floor() / 10.0).clamp(0.0, 0.9);
    let scale = Scale::new(chart.points.len(), y_min, 1.0);
    html! {
        svg.chart id=(chart.id) xmlns="http://www.w3.org/2000/svg" viewBox=(view_box()) role="img" aria-label=(chart.title) {
            title { (chart.title) }
            (grid(&scale, percent_label))
            (x_labels(&scale, chart.points.iter().map(|point| point.label.as_str())))
            @for run in runs(chart.points) {
                polygon.band points=(band_points(&scale, chart.points, &run)) fill=(BAND) stroke="none" {}
            }
            @if let Some(target) = chart.target {
                (target_line(&scale, target))
            }
            polyline points=(rate_points(&scale, chart.points)) fill="none" stroke=(COLOURS[0]) stroke-width="1.5" {}
            @for (index, point) in chart.points.iter().enumerate() {
                @if let Some((rate, low, high)) = point.value {
                    g.point {
                        title { (point.label) ": " (point.note) }
                        line x1=(num(scale.x(index))) x2=(num(scale.x(index))) y1=(num(scale.y(low))) y2=(num(scale.y(high)))
                            stroke=(COLOURS[0]) stroke-width="1" {}
                        circle cx=(num(scale.x(index))) cy=(num(scale.y(rate))) r="3.5" fill=(COLOURS[0]) {}
                    }
                }
            }
        }
    }
}

/// One named series of a line chart: a value per step, `None` where unknown.
#[derive(Debug, Clone, PartialEq)]
pub struct Series<'a> {
    pub name: &'a str,
    pub values: &'a [Option<f64>],
}

/// A few series over the same steps (the days of a month).
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart<'a> {
    pub id: &'a str,
    pub title: &'a str,
    /// One label per step.
    pub labels: &'a [String],
    pub series: &'a [Series<'a>],
    /// The unit after each axis value (`""` for counts).
    pub unit: &'a str,
}

/// Lines from zero up to a little above the largest value, each series in
/// its colour with its name in a legend; each step of each series a dot
/// with a tooltip.
pub fn line_chart(chart: &LineChart) -> Markup {
    let values = chart.series.iter().flat_map(|series| series.values.iter().flatten());
    let largest = values.fold(0.0_f64, |max, value| max.max(*value));
    let scale = Scale::new(chart.labels.len(), 0.0, nice_ceiling(largest));
    let unit = chart.unit;
    html! {
        svg.chart id=(chart.id) xmlns="http://www.w3.org/2000/svg" viewBox=(view_box()) role="img" aria-label=(chart.title) {
            title { (chart.title) }
            (grid(&scale, |value| format!("{}{unit}", count_label(value))))
            (x_labels(&scale, chart.labels.iter().map(String::as_str)))
            @for (index, series) in chart.series.iter().enumerate() {
                @let colour = COLOURS[index % COLOURS.len()];
                g.series data-series=(series.name) {
                    polyline points=(series_points(&scale, series.values)) fill="none" stroke=(colour) stroke-width="1.8" {}
                    @for (step, value) in series.values.iter().enumerate() {
                        @if let Some(value) = value {
                            circle cx=(num(scale.x(step))) cy=(num(scale.y(*value))) r="2.5" fill=(colour) {
                                title { (label_at(chart.labels, step)) " · " (series.name) ": " (count_label(*value)) (unit) }
                            }
                        }
                    }
                    @let legend_y = TOP + 12.0 + 16.0 * index as f64;
                    rect x=(num(WIDTH - RIGHT + 8.0)) y=(num(legend_y - 8.0)) width="10" height="10" fill=(colour) {}
                    text x=(num(WIDTH - RIGHT + 22.0)) y=(num(legend_y + 1.0)) { (series.name) }
                }
            }
        }
    }
}

/// Maps steps and values to the drawing's coordinates.
struct Scale {
    steps: usize,
    y_min: f64,
    y_max: f64,
}

impl Scale {
    fn new(steps: usize, y_min: f64, y_max: f64) -> Scale {
        let y_max = if y_max > y_min { y_max } else { y_min + 1.0 };
        Scale { steps, y_min, y_max }
    }

    /// The centre of step `index`: steps share the width equally.
    fn x(&self, index: usize) -> f64 {
        let width = WIDTH - LEFT - RIGHT;
        let step = width / self.steps.max(1) as f64;
        LEFT + step * (index as f64 + 0.5)
    }

    fn y(&self, value: f64) -> f64 {
        let share = (value.clamp(self.y_min, self.y_max) - self.y_min) / (self.y_max - self.y_min);
        HEIGHT - BOTTOM - share * (HEIGHT - TOP - BOTTOM)
    }

    /// Five to ten round values between the ends of the axis.
    fn ticks(&self) -> Vec<f64> {
        let range = self.y_max - self.y_min;
        let step = [0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0]
            .into_iter()
            .map(|unit| unit * magnitude(range))
            .find(|step| range / step <= 6.0)
            .unwrap_or(range);
        // Tolerances: 0.5 / 0.1 is not exactly 5 in binary floating point.
        let first = (self.y_min / step - 1e-9).ceil() as i64;
        let last = (self.y_max / step + 1e-9).floor() as i64;
        (first..=last).map(|k| (k as f64 * step * 1e9).round() / 1e9).collect()
    }
}

/// The power of ten at or below `value` (1 for anything not positive).
fn magnitude(value: f64) -> f64 {
    if value > 0.0 { 10f64.powf(value.log10().floor()) } else { 1.0 }
}

/// A round number at or above `value`, with room: 7 → 8, 23 → 25, 0 → 1.
fn nice_ceiling(value: f64) -> f64 {
    if value <= 0.0 {
        return 1.0;
    }
    let unit = magnitude(value);
    [1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .into_iter()
        .map(|factor| factor * unit)
        .find(|ceiling| *ceiling >= value * 1.05)
        .unwrap_or(10.0 * unit)
}

fn view_box() -> String {
    format!("0 0 {WIDTH} {HEIGHT}")
}

/// A coordinate with one decimal: shorter pages, no visible difference.
fn num(value: f64) -> String {
    format!("{value:.1}")
}

fn percent_label(value: f64) -> String {
    format!("{:.0} %", value * 100.0)
}

/// `3`, `2.5`, `0.25`: no trailing zeros.
fn count_label(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn label_at(labels: &[String], step: usize) -> &str {
    labels.get(step).map_or("", String::as_str)
}

/// Horizontal grid lines with their values on the left, and the axes.
fn grid(scale: &Scale, label: impl Fn(f64) -> String) -> Markup {
    let right = WIDTH - RIGHT;
    html! {
        g.grid {
            @for tick in scale.ticks() {
                line x1=(num(LEFT)) x2=(num(right)) y1=(num(scale.y(tick))) y2=(num(scale.y(tick))) stroke=(GRID) stroke-width="1" {}
                text x=(num(LEFT - 6.0)) y=(num(scale.y(tick) + 4.0)) text-anchor="end" { (label(tick)) }
            }
            line x1=(num(LEFT)) x2=(num(right)) y1=(num(HEIGHT - BOTTOM)) y2=(num(HEIGHT - BOTTOM)) stroke="#9aa4b3" stroke-width="1" {}
        }
    }
}

/// The labels of the steps along the bottom, thinned to [`MAX_X_LABELS`].
fn x_labels<'a>(scale: &Scale, labels: impl Iterator<Item = &'a str>) -> Markup {
    let every = scale.steps.div_ceil(MAX_X_LABELS).max(1);
    let last = scale.steps.saturating_sub(1);
    html! {
        g.x-labels {
            @for (index, label) in labels.enumerate() {
                // The last step's label too, unless it would crowd the one before.
                @if index % every == 0 || (index == last && 3 * (last % every) >= 2 * every) {
                    text x=(num(scale.x(index))) y=(num(HEIGHT - BOTTOM + 16.0)) text-anchor="middle" { (label) }
                }
            }
        }
    }
}

fn target_line(scale: &Scale, target: f64) -> Markup {
    let y = scale.y(target);
    html! {
        g.target {
            line x1=(num(LEFT)) x2=(num(WIDTH - RIGHT)) y1=(num(y)) y2=(num(y)) stroke=(TARGET) stroke-width="1.5" stroke-dasharray="6 4" {}
            text x=(num(WIDTH - RIGHT + 4.0)) y=(num(y + 4.0)) fill=(TARGET) { "target" }
            text x=(num(WIDTH - RIGHT + 4.0)) y=(num(y + 16.0)) fill=(TARGET) { (percent_label(target)) }
        }
    }
}

/// Index ranges of consecutive points that have a value: a band is drawn
/// over each run, never across a step without figures.
fn runs(points: &[IntervalPoint]) -> Vec<std::ops::Range<usize>> {
    let mut runs = Vec::new();
    let mut start = None;
    for (index, point) in points.iter().enumerate() {
        match (point.value.is_some(), start) {
            (true, None) => start = Some(index),
            (false, Some(first)) => {
                runs.push(first..index);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(first) = start {
        runs.push(first..points.len());
    }
    runs
}

/// The band of one run: along the upper bounds, back along the lower ones.
/// A run of one point gets a narrow box so that it still shows.
fn band_points(scale: &Scale, points: &[IntervalPoint], run: &std::ops::Range<usize>) -> String {
    let bounds: Vec<(usize, f64, f64)> =
        run.clone().filter_map(|index| points[index].value.map(|(_, low, high)| (index, low, high))).collect();
    let half = if bounds.len() == 1 { 4.0 } else { 0.0 };
    let upper = bounds.iter().flat_map(|&(index, _, high)| {
        let x = scale.x(index);
        [(x - half, scale.y(high)), (x + half, scale.y(high))]
    });
    let lower = bounds.iter().rev().flat_map(|&(index, low, _)| {
        let x = scale.x(index);
        [(x + half, scale.y(low)), (x - half, scale.y(low))]
    });
    upper.chain(lower).map(|(x, y)| format!("{},{}", num(x), num(y))).collect::<Vec<_>>().join(" ")
}

/// The rates joined by a line, over the steps that have one.
fn rate_points(scale: &Scale, points: &[IntervalPoint]) -> String {
    let values: Vec<Option<f64>> = points.iter().map(|point| point.value.map(|(rate, _, _)| rate)).collect();
    series_points(scale, &values)
}

fn series_points(scale: &Scale, values: &[Option<f64>]) -> String {
    values
        .iter()
        .enumerate()
        .filter_map(|(index, value)| value.map(|value| format!("{},{}", num(scale.x(index)), num(scale.y(value)))))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(label: &str, value: Option<(f64, f64, f64)>) -> IntervalPoint {
        IntervalPoint { label: label.to_owned(), value, note: String::new() }
    }

    #[test]
    fn an_interval_chart_has_one_dot_and_whisker_per_step_with_figures() {
        let points = [
            point("11-02", Some((0.95, 0.85, 0.99))),
            point("11-09", None),
            point("11-16", Some((0.9, 0.8, 0.96))),
            point("11-23", Some((1.0, 0.72, 1.0))),
        ];
        let chart = IntervalChart { id: "accuracy", title: "accuracy", points: &points, target: Some(0.92) };
        let svg = interval_chart(&chart).into_string();
        assert_eq!(svg.matches("<circle").count(), 3);
        assert_eq!(svg.matches("<g class=\"point\">").count(), 3);
        // Two runs of figures: the band does not cross the week without any.
        assert_eq!(svg.matches("<polygon").count(), 2);
        assert!(svg.contains(">target</text>") && svg.contains(">92 %</text>"));
        assert_eq!(svg.matches("<circle").count(), svg.matches("</circle>").count());
    }

    #[test]
    fn the_accuracy_axis_starts_at_the_tenth_below_the_lowest_bound() {
        let points = [point("a", Some((0.9, 0.72, 0.97)))];
        let chart = IntervalChart { id: "a", title: "a", points: &points, target: Some(0.92) };
        let svg = interval_chart(&chart).into_string();
        assert!(svg.contains(">70 %<"), "{svg}");
        assert!(svg.contains(">100 %<"));
        assert!(!svg.contains(">60 %<"));
    }

    #[test]
    fn scales_put_the_axis_ends_at_the_plot_edges() {
        let scale = Scale::new(4, 0.5, 1.0);
        assert_eq!(scale.y(1.0), TOP);
        assert_eq!(scale.y(0.5), HEIGHT - BOTTOM);
        assert_eq!(scale.y(0.2), HEIGHT - BOTTOM, "values below the axis are drawn on it");
        let step = (WIDTH - LEFT - RIGHT) / 4.0;
        assert_eq!(scale.x(0), LEFT + step / 2.0);
        assert_eq!(scale.ticks(), vec![0.5, 0.6, 0.7, 0.8, 0.9, 1.0]);
    }

    #[test]
    fn round_ceilings_leave_room_above_the_largest_value() {
        assert_eq!(nice_ceiling(7.0), 8.0);
        assert_eq!(nice_ceiling(23.0), 25.0);
        assert_eq!(nice_ceiling(100.0), 150.0);
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(count_label(2.5), "2.5");
        assert_eq!(count_label(3.0), "3");
        assert_eq!(count_label(0.25), "0.25");
    }

    #[test]
    fn a_line_chart_draws_each_series_with_its_legend() {
        let labels: Vec<String> = (1..=3).map(|day| day.to_string()).collect();
        let used = [Some(0.0), Some(1.0), None];
        let allowed = [Some(2.0), Some(3.0), Some(5.0)];
        let series = [Series { name: "used", values: &used }, Series { name: "allowed", values: &allowed }];
        let chart = LineChart { id: "burn", title: "burn", labels: &labels, series: &series, unit: "" };
        let svg = line_chart(&chart).into_string();
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 5);
        assert!(svg.contains("data-series=\"allowed\""));
        assert!(svg.contains(">used</text>"));
    }
}
