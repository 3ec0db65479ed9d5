//! The load results as a summary per server, a Markdown table and an SVG bar chart.

use std::fmt::Write as _;

use crate::load::ServerResult;
use crate::servers::ServerKind;

/// One server's numbers over all rounds.
#[derive(Clone, Debug)]
pub struct Summary {
    /// Which server.
    pub kind: ServerKind,
    /// Median requests/s over the rounds.
    pub rps: f64,
    /// Slowest and fastest round.
    pub rps_range: (f64, f64),
    /// Median over the rounds of the median latency, in microseconds.
    pub p50_us: f64,
    /// Median over the rounds of the 99th percentile latency, in microseconds.
    pub p99_us: f64,
    /// Peak resident memory, all processes.
    pub peak_rss_bytes: u64,
    /// Median over the rounds of (this server's requests/s / the baseline's in that round).
    pub rps_vs_baseline: Option<f64>,
    /// Median over the rounds of (this server's p99 / the baseline's in that round).
    pub p99_vs_baseline: Option<f64>,
    /// Median over the rounds of (this server's requests/s / the logging baseline's).
    pub rps_vs_logging_baseline: Option<f64>,
}

/// Summarizes each server; ratios are taken round by round against the baseline.
pub fn summarize(results: &[ServerResult]) -> Vec<Summary> {
    let baseline = results.iter().find(|r| r.kind.is_baseline());
    let logging = results
        .iter()
        .find(|r| r.kind == ServerKind::BaselineLogging);
    results
        .iter()
        .map(|result| {
            let rps: Vec<f64> = result
                .samples
                .iter()
                .map(|s| s.requests_per_second())
                .collect();
            let ratio_to = |baseline: Option<&ServerResult>,
                            metric: fn(&crate::wrk::Sample) -> f64| {
                baseline.map(|baseline| {
                    median(
                        result
                            .samples
                            .iter()
                            .zip(&baseline.samples)
                            .map(|(own, base)| metric(own) / metric(base))
                            .collect(),
                    )
                })
            };
            Summary {
                kind: result.kind,
                rps: median(rps.clone()),
                rps_range: (
                    rps.iter().copied().fold(f64::INFINITY, f64::min),
                    rps.iter().copied().fold(0.0, f64::max),
                ),
                p50_us: median(result.samples.iter().map(|s| s.p50_us as f64).collect()),
                p99_us: median(result.samples.iter().map(|s| s.p99_us as f64).collect()),
                peak_rss_bytes: result.peak_rss_bytes,
                rps_vs_baseline: ratio_to(baseline, |s| s.requests_per_second()),
                p99_vs_baseline: ratio_to(baseline, |s| s.p99_us as f64),
                rps_vs_logging_baseline: ratio_to(logging, |s| s.requests_per_second()),
            }
        })
        .collect()
}

/// The median (the mean of the middle two for an even count); 0 when empty.
pub fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len().is_multiple_of(2) {
        (values[middle - 1] + values[middle]) / 2.0
    } else {
        values[middle]
    }
}

/// The Markdown table, one row per server.
pub fn markdown_table(summaries: &[Summary]) -> String {
    let mut table = String::from(
        "| Server | Requests/s (median) | Slowest–fastest round | vs baseline | vs logging baseline | p50 | p99 | p99 vs baseline | Peak RSS |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for summary in summaries {
        let name = if summary.kind.is_framework() {
            format!("**{}**", summary.kind.label())
        } else {
            summary.kind.label().to_owned()
        };
        let _ = writeln!(
            table,
            "| {name} | {} | {}–{} | {} | {} | {} | {} | {} | {} |",
            thousands(summary.rps),
            thousands(summary.rps_range.0),
            thousands(summary.rps_range.1),
            ratio(summary.rps_vs_baseline),
            ratio(summary.rps_vs_logging_baseline),
            latency(summary.p50_us),
            latency(summary.p99_us),
            ratio(summary.p99_vs_baseline),
            mebibytes(summary.peak_rss_bytes),
        );
    }
    table
}

/// The targets, each with what was measured and whether it was met.
pub fn targets(summaries: &[Summary], p99_target: f64) -> String {
    let find = |kind| summaries.iter().find(|s| s.kind == kind);
    let mut lines = String::new();
    let mut line = |text: String, met: bool| {
        let verdict = if met { "met" } else { "**missed**" };
        let _ = writeln!(lines, "- {text}: {verdict}");
    };
    if let Some(framework) = summaries.iter().find(|s| s.kind.is_framework()) {
        if let Some(rps) = framework.rps_vs_baseline {
            line(
                format!(
                    "throughput as shipped vs the hand-written baseline that logs nothing \
                     {rps:.3} (target ≥ 0.95)"
                ),
                rps >= 0.95,
            );
        }
        if let Some(rps) = framework.rps_vs_logging_baseline {
            line(
                format!(
                    "throughput as shipped vs the hand-written baseline logging as axum apps \
                     do {rps:.3} (target ≥ 1.25)"
                ),
                rps >= 1.25,
            );
        }
        if let Some(rps) = find(ServerKind::FrameworkQuiet).and_then(|quiet| quiet.rps_vs_baseline)
        {
            line(
                format!(
                    "throughput quiet (logs at warn, no metrics) vs the baseline that logs \
                     nothing {rps:.3} (target ≥ 1.00)"
                ),
                rps >= 1.0,
            );
        }
        if let Some(p99) = framework.p99_vs_baseline {
            line(
                format!("p99 latency vs the baseline {p99:.2}x (target ≤ {p99_target:.1}x)"),
                p99 <= p99_target,
            );
        }
        if let (Some(on), Some(off)) = (
            framework.rps_vs_baseline,
            find(ServerKind::FrameworkQuiet).and_then(|quiet| quiet.rps_vs_baseline),
        ) {
            line(
                format!(
                    "the access line and the metrics, on by default, cost {:.1}% of the \
                     throughput ({on:.3} of the baseline with them, {off:.3} without; target \
                     ≤ 3%)",
                    (1.0 - on / off) * 100.0
                ),
                on / off >= 0.97,
            );
        }
        for peer in summaries.iter().filter(|s| s.kind.is_peer()) {
            let times = framework.rps / peer.rps;
            line(
                format!(
                    "{times:.1}x the requests/s of {} (target ≥ 10x)",
                    peer.kind.label()
                ),
                times >= 10.0,
            );
        }
    }
    lines
}

/// A horizontal bar chart of the median requests/s, labelled with the ratio to the baseline.
pub fn svg_chart(summaries: &[Summary], subtitle: &str) -> String {
    const WIDTH: f64 = 820.0;
    const LABEL: f64 = 230.0;
    const BAR_AREA: f64 = 470.0;
    const ROW: f64 = 34.0;
    const TOP: f64 = 62.0;
    let max = summaries.iter().map(|s| s.rps).fold(1.0, f64::max);
    let height = TOP + ROW * summaries.len() as f64 + 34.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"13\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n\
         <text x=\"16\" y=\"26\" font-size=\"16\" font-weight=\"bold\">POST /order: requests per second (median of rounds, higher is better)</text>\n\
         <text x=\"16\" y=\"46\" fill=\"#555555\">{}</text>\n",
        escape(subtitle)
    );
    for (row, summary) in summaries.iter().enumerate() {
        let y = TOP + ROW * row as f64;
        let width = (summary.rps / max * BAR_AREA).max(1.0);
        let color = match summary.kind {
            ServerKind::Framework => "#e8590c",
            ServerKind::Baseline => "#1971c2",
            ServerKind::Ceiling => "#868e96",
            _ => "#adb5bd",
        };
        let ratio = summary
            .rps_vs_baseline
            .map(|r| format!(" ({r:.2}x baseline)"))
            .unwrap_or_default();
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n\
             <rect x=\"{LABEL}\" y=\"{}\" width=\"{width:.1}\" height=\"22\" fill=\"{color}\"/>\n\
             <text x=\"{:.1}\" y=\"{}\">{}{}</text>\n",
            LABEL - 10.0,
            y + 15.0,
            escape(summary.kind.label()),
            y,
            LABEL + width + 6.0,
            y + 15.0,
            thousands(summary.rps),
            escape(&ratio),
        );
    }
    svg.push_str("</svg>\n");
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `123456.7` as `123,457`.
pub fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn ratio(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |r| format!("{r:.3}"))
}

/// Microseconds, in the unit that reads best.
pub fn latency(micros: f64) -> String {
    if micros >= 1000.0 {
        format!("{:.2} ms", micros / 1000.0)
    } else {
        format!("{micros:.0} µs")
    }
}

fn mebibytes(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wrk::Sample;

    fn sample(requests: u64, p99_us: u64) -> Sample {
        Sample {
            requests,
            duration_us: 1_000_000,
            connect_errors: 0,
            read_errors: 0,
            write_errors: 0,
            timeouts: 0,
            bad_status: 0,
            p50_us: p99_us / 4,
            p90_us: p99_us / 2,
            p99_us,
            max_us: p99_us * 2,
            mean_us: p99_us as f64 / 3.0,
        }
    }

    #[test]
    fn ratios_are_taken_round_by_round() {
        // The machine slows down in round 2 for both servers: the ratio stays 0.9.
        let results = [
            ServerResult {
                kind: ServerKind::Framework,
                samples: vec![sample(900, 110), sample(450, 220), sample(900, 110)],
                peak_rss_bytes: 10 << 20,
            },
            ServerResult {
                kind: ServerKind::Baseline,
                samples: vec![sample(1000, 100), sample(500, 200), sample(1000, 100)],
                peak_rss_bytes: 8 << 20,
            },
            ServerResult {
                kind: ServerKind::BaselineLogging,
                samples: vec![sample(600, 100), sample(300, 200), sample(600, 100)],
                peak_rss_bytes: 8 << 20,
            },
        ];
        let summaries = summarize(&results);
        let framework = &summaries[0];
        assert!((framework.rps_vs_baseline.unwrap() - 0.9).abs() < 1e-9);
        assert!((framework.p99_vs_baseline.unwrap() - 1.1).abs() < 1e-9);
        assert_eq!(
            (framework.rps, framework.rps_range),
            (900.0, (450.0, 900.0))
        );
        let table = markdown_table(&summaries);
        assert!(
            table.contains(
                "| **chatlayer-rs** | 900 | 450–900 | 0.900 | 1.500 | 27 µs | 110 µs | 1.100 | 10.0 MiB |"
            ),
            "{table}"
        );
        let targets = targets(&summaries, 1.0);
        assert!(
            targets.contains(
                "throughput as shipped vs the hand-written baseline that logs nothing 0.900 \
                 (target ≥ 0.95): **missed**"
            ),
            "{targets}"
        );
        assert!(
            targets.contains(
                "throughput as shipped vs the hand-written baseline logging as axum apps do \
                 1.500 (target ≥ 1.25): met"
            ),
            "{targets}"
        );
        let svg = svg_chart(&summaries, "test & machine");
        assert!(
            svg.starts_with("<svg")
                && svg.contains("test &amp; machine")
                && svg.contains("(0.90x baseline)")
        );
    }

    #[test]
    fn formats_numbers_for_people() {
        assert_eq!(thousands(1234567.4), "1,234,567");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(latency(1520.0), "1.52 ms");
        assert_eq!(median(vec![3.0, 1.0, 2.0, 10.0]), 2.5);
    }
}
