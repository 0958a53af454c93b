//! Writing what a run measured: the Markdown results table (with the machine it ran on) and the
//! PNG plot of cost vs estate size (plotters' bitmap backend; text through ab_glyph with
//! DejaVu Sans from Debian's fonts-dejavu-core, or no text at all when that font is missing).

use std::path::Path;

use plotters::prelude::*;

use crate::measure::fmt_duration;
use crate::suites::{Results, ScalePoint, size_label};

/// One curve of a plot: legend, colour, and the value it draws for a point.
type Curve<'a> = (&'static str, RGBColor, Box<dyn Fn(&ScalePoint) -> f64 + 'a>);

const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// The machine, as the docs table shows it.
pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, m)| m.trim().to_string()))
        .unwrap_or_else(|| "unknown CPU".into());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or_else(|| "unknown memory".into(), |kb| format!("{:.0} GiB RAM", kb as f64 / (1 << 20) as f64));
    format!("{cores} cores (`nproc`), {model} (/proc/cpuinfo), {memory}")
}

/// The results as Markdown.
pub fn markdown(results: &Results, command: &str) -> String {
    let mut out = String::from("# plumbline benchmark results\n\n");
    out.push_str(&format!("- Machine: {}\n", machine()));
    out.push_str(&format!("- Produced by: `{command}`\n\n"));
    out.push_str("| benchmark | measured | target | met |\n|---|---|---|---|\n");
    for row in &results.rows {
        let met = match row.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "—",
        };
        out.push_str(&format!("| {} | {} | {} | {met} |\n", row.benchmark, row.measured, row.target));
    }
    for (title, table) in &results.details {
        out.push_str(&format!("\n## {title}\n\n{table}"));
    }
    if !results.notes.is_empty() {
        out.push_str("\n## Notes\n\n");
        for note in &results.notes {
            out.push_str(&format!("- {note}\n"));
        }
    }
    out
}

/// Registers DejaVu Sans for plot text; false when the font file is not there.
fn load_font() -> bool {
    let Ok(bytes) = std::fs::read(FONT) else {
        return false;
    };
    // plotters keeps fonts for the life of the process.
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok()
}

/// Draws time (parse, checks, whole audit) and peak RSS vs file size against estate size, on
/// log-log axes, into a PNG at `path`.
pub fn plot(points: &[ScalePoint], path: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(points.len() >= 2, "the plot needs at least two estate sizes");
    let text = load_font();
    let root = BitMapBackend::new(path, (1200, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (left, right) = root.split_horizontally(620);

    let secs = |d: std::time::Duration| d.as_secs_f64().max(1e-4);
    let time: [Curve<'_>; 3] = [
        ("plumbline audit (whole process)", RED, Box::new(|p| secs(p.audit))),
        ("snapshot load (parse) alone", BLUE, Box::new(|p| secs(p.parse))),
        ("8 checks in-process", GREEN, Box::new(|p| secs(p.checks))),
    ];
    let seconds = |y: &f64| fmt_duration(std::time::Duration::from_secs_f64(*y));
    panel(&left, points, text, ("Time vs estate size (log-log)", "seconds"), &seconds, &time)?;

    let mb = |b: u64| (b as f64 / 1e6).max(0.1);
    let memory: [Curve<'_>; 2] = [
        ("peak RSS of plumbline audit", RED, Box::new(|p| mb(p.peak_rss))),
        ("snapshot file size", BLUE, Box::new(|p| mb(p.file_bytes))),
    ];
    let megabytes = |y: &f64| format!("{y:.0}");
    panel(&right, points, text, ("Memory vs estate size (log-log)", "MB"), &megabytes, &memory)?;
    root.present().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

/// One log-log chart of `curves` against estate size in `area`: axes spanning every curve with
/// a factor of two of room, a line and dots per curve, and (with a font) caption, axis labels
/// and legend.
fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    points: &[ScalePoint],
    text: bool,
    (caption, unit): (&str, &str),
    y_label: &dyn Fn(&f64) -> String,
    curves: &[Curve<'_>],
) -> anyhow::Result<()> {
    let x_range = (points[0].resources as f64 * 0.8)..(points[points.len() - 1].resources as f64 * 1.25);
    let values = || points.iter().flat_map(|p| curves.iter().map(move |(_, _, value)| value(p)));
    let y_max = values().fold(0.0, f64::max) * 2.0;
    let y_min = values().fold(f64::MAX, f64::min) / 2.0;
    let mut chart = ChartBuilder::on(area);
    chart.margin(16).x_label_area_size(if text { 40 } else { 8 }).y_label_area_size(if text { 60 } else { 8 });
    if text {
        chart.caption(caption, ("sans-serif", 20));
    }
    let mut chart = chart
        .build_cartesian_2d(x_range.log_scale(), (y_min..y_max).log_scale())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut mesh = chart.configure_mesh();
    if text {
        mesh.x_desc("resources")
            .y_desc(unit)
            .x_label_formatter(&|x| size_label(round_size(*x)))
            .y_label_formatter(y_label);
    } else {
        mesh.x_labels(0).y_labels(0);
    }
    mesh.draw().map_err(|e| anyhow::anyhow!("{e}"))?;
    for (label, color, value) in curves {
        let data: Vec<(f64, f64)> = points.iter().map(|p| (p.resources as f64, value(p))).collect();
        let drawn = chart
            .draw_series(LineSeries::new(data.clone(), color.stroke_width(2)))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if text {
            let color = *color;
            drawn
                .label(*label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
        }
        chart
            .draw_series(data.iter().map(|&(x, y)| Circle::new((x, y), 3, color.filled())))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    if text {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(())
}

/// A log-axis tick as a round estate size (1000, 10000, ...).
fn round_size(x: f64) -> usize {
    let magnitude = 10f64.powf(x.log10().floor());
    ((x / magnitude).round() * magnitude) as usize
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_plot_is_a_png_and_the_table_lists_every_row() {
        let points: Vec<ScalePoint> = [1_000usize, 10_000, 100_000]
            .iter()
            .map(|&n| ScalePoint {
                resources: n,
                file_bytes: n as u64 * 300,
                parse: Duration::from_micros(n as u64),
                checks: Duration::from_micros(n as u64 / 2),
                audit: Duration::from_micros(n as u64 * 2),
                peak_rss: n as u64 * 500,
                findings: n / 20,
                errors: 0,
            })
            .collect();
        let dir = std::env::temp_dir().join(format!("plumbline-bench-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("scale.png");
        plot(&points, &path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
        std::fs::remove_dir_all(&dir).unwrap();

        let mut results = Results::default();
        results.row("Start-up, warm", "12.0 ms", "≤ 25 ms", Some(true));
        results.row("Audit vs parse, 1M resources", "2.50×", "≤ 2×", Some(false));
        let table = markdown(&results, "just bench");
        assert!(table.contains("| Start-up, warm | 12.0 ms | ≤ 25 ms | yes |"), "{table}");
        assert!(table.contains("| Audit vs parse, 1M resources | 2.50× | ≤ 2× | **no** |"), "{table}");
        assert!(table.contains("cores (`nproc`)"), "{table}");
    }
}
