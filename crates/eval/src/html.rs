//! The HTML report: one self-contained file (no script, no external asset),
//! every text escaped, two plots drawn as inline SVG on the server.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use prodline_core::ReasonCode;
use prodline_core::stats::Proportion;

use crate::cost::{CostFigures, CostReport};
use crate::gap::CuratedGap;
use crate::report::{CalibrationBin, Figures, Report};
use crate::shadow::Agreement;

/// Render the report as one HTML page.
pub fn render_html(report: &Report) -> String {
    let mut page = String::with_capacity(32 * 1024);
    page.push_str(HEAD);
    section_title(&mut page, report);
    section_garbage(&mut page, report);
    section_headline(&mut page, &report.overall);
    section_challenger(&mut page, report);
    section_gap(&mut page, report.gap.as_ref());
    section_fields(&mut page, &report.overall);
    let _ = write!(page, "<h2>Order accuracy by segment</h2>{}", segment_plot(report));
    for (title, segments) in [
        ("By group", &report.by_group),
        ("By channel", &report.by_channel),
        ("By format", &report.by_format),
        ("By customer", &report.by_customer),
    ] {
        section_segments(&mut page, title, segments);
    }
    section_cost(&mut page, &report.cost);
    section_reasons(&mut page, report);
    section_calibration(&mut page, report);
    section_auto_wrong(&mut page, report);
    page.push_str("</body></html>\n");
    page
}

const HEAD: &str = r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>prodline eval report</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:.5em 0 1.5em}
th,td{border-bottom:1px solid #ddd;padding:.25em .6em;text-align:right}
th:first-child,td:first-child{text-align:left}
small{color:#666}
.alarm{background:#fde8e8;border:2px solid #c0392b;padding:.6em 1em;font-weight:bold}
.ok{background:#e8f6ec;border:1px solid #2e7d32;padding:.6em 1em}
code{font-size:.95em}
</style></head><body>
"#;

/// Escape text for HTML element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn percent(p: &Proportion) -> String {
    p.rate.map(|r| format!("{:.1} %", r * 100.0)).unwrap_or_else(|| "n/a".into())
}

/// `87.5 % [80.4–92.3] 105/120` for a table cell.
fn cell(p: &Proportion) -> String {
    format!("{} <small>[{:.1}–{:.1}] {}/{}</small>", percent(p), p.low * 100.0, p.high * 100.0, p.successes, p.trials)
}

fn section_title(page: &mut String, report: &Report) {
    page.push_str("<h1>prodline eval</h1>\n<p>");
    match &report.run {
        Some(run) => {
            let _ =
                write!(page, "Dataset <code>{}</code>: {} documents evaluated", escape(&run.dataset), report.documents);
            if let Some(n) = run.sample {
                let seed = run.seed.unwrap_or_default();
                let _ = write!(page, " (random sample of {n} from {}, seed {seed})", run.documents_available);
            }
            if !run.extractor.is_empty() {
                let _ = write!(page, "; extractor <code>{}</code>", escape(&run.extractor));
            }
            let mode = if run.replay { "replay (learning after each decision)" } else { "no learning" };
            let _ = write!(page, "; {mode}; auto-approve threshold {:.2}.", run.auto_threshold);
            if run.documents_without_truth > 0 {
                let _ = write!(page, " {} documents without truth were skipped.", run.documents_without_truth);
            }
        }
        None => {
            let _ = write!(page, "{} documents evaluated.", report.documents);
        }
    }
    page.push_str(" Every figure has its 95&nbsp;% Wilson interval.</p>\n");
}

fn section_garbage(page: &mut String, report: &Report) {
    let g = &report.garbage;
    if g.auto_approved_docs.is_empty() {
        let _ = writeln!(
            page,
            "<p class=\"ok\">0 of {} documents with no order to enter ({} duplicates) were auto-approved.</p>",
            g.documents, g.duplicates
        );
        return;
    }
    let _ = write!(
        page,
        "<div class=\"alarm\"><p>{} of {} documents with no order to enter were AUTO-APPROVED: \
         each is an order posted that nobody placed.</p><ul>",
        g.auto_approved.successes, g.documents
    );
    for doc in &g.auto_approved_docs {
        let _ = write!(page, "<li><code>{}</code></li>", escape(doc));
    }
    page.push_str("</ul></div>\n");
}

fn section_headline(page: &mut String, f: &Figures) {
    page.push_str(
        "<h2>Headline</h2><table><tr><th>figure</th><th>rate</th><th>count</th><th>95 % interval</th></tr>\n",
    );
    for (name, what, p) in [
        ("order accuracy", "matched truth orders / truth orders", &f.order_accuracy),
        ("auto precision", "matched auto-approved orders / auto-approved orders", &f.auto_precision),
        ("straight-through rate", "matched auto-approved orders / truth orders", &f.stp_rate),
        ("document accuracy", "correct documents / documents", &f.document_accuracy),
        ("auto rate", "auto-approved documents / documents", &f.auto_rate),
    ] {
        let _ = writeln!(
            page,
            "<tr><td>{name}<br><small>{what}</small></td><td>{}</td><td>{}/{}</td><td>{:.1}–{:.1} %</td></tr>",
            percent(p),
            p.successes,
            p.trials,
            p.low * 100.0,
            p.high * 100.0
        );
    }
    page.push_str("</table>\n");
    let p = &f.auto_precision;
    if p.rate.is_some() {
        let _ = writeln!(
            page,
            "<p>Auto-approve precision {} (95&nbsp;% Wilson {:.1}–{:.1}&nbsp;%, <strong>lower bound {:.1}&nbsp;%</strong>).</p>",
            percent(p),
            p.low * 100.0,
            p.high * 100.0,
            p.low * 100.0
        );
    }
}

fn section_fields(page: &mut String, f: &Figures) {
    page.push_str("<h2>Field accuracy</h2><table><tr><th>field</th><th>accuracy</th></tr>\n");
    for (name, p) in f.field_accuracy.entries() {
        let _ = writeln!(page, "<tr><td>{name}</td><td>{}</td></tr>", cell(&p));
    }
    page.push_str("</table>\n");
}

fn section_segments(page: &mut String, title: &str, segments: &BTreeMap<String, Figures>) {
    let _ = writeln!(
        page,
        "<h2>{title}</h2><table><tr><th>segment</th><th>documents</th><th>order accuracy</th>\
         <th>auto precision</th><th>straight-through</th><th>document accuracy</th><th>auto rate</th></tr>"
    );
    for (name, f) in segments {
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(name),
            f.documents,
            cell(&f.order_accuracy),
            cell(&f.auto_precision),
            cell(&f.stp_rate),
            cell(&f.document_accuracy),
            cell(&f.auto_rate)
        );
    }
    page.push_str("</table>\n");
}

fn section_reasons(page: &mut String, report: &Report) {
    let _ = writeln!(
        page,
        "<h2>Decisions and reasons</h2><p>{} auto-approved, {} to review.</p>\
         <table><tr><th>reason</th><th>meaning</th><th>documents</th></tr>",
        report.decisions.auto, report.decisions.review
    );
    for (code, count) in &report.reasons {
        let meaning = ReasonCode::ALL.iter().find(|c| c.as_str() == code).map(|c| c.meaning()).unwrap_or("");
        let _ = writeln!(page, "<tr><td><code>{}</code></td><td>{}</td><td>{count}</td></tr>", escape(code), meaning);
    }
    page.push_str("</table>\n");
}

fn section_calibration(page: &mut String, report: &Report) {
    page.push_str("<h2>Confidence against correctness</h2>\n");
    if let Some(ece) = report.expected_calibration_error {
        let _ = writeln!(page, "<p>Expected calibration error {:.3}.</p>", ece);
    }
    page.push_str(&calibration_plot(&report.calibration));
    page.push_str("<table><tr><th>confidence</th><th>documents</th><th>mean confidence</th><th>correct</th></tr>\n");
    for bin in report.calibration.iter().filter(|b| b.documents > 0) {
        let mean = bin.mean_confidence.map(|m| format!("{m:.3}")).unwrap_or_default();
        let _ = writeln!(
            page,
            "<tr><td>{:.1}–{:.1}</td><td>{}</td><td>{mean}</td><td>{}</td></tr>",
            bin.low,
            bin.high,
            bin.documents,
            cell(&bin.correct)
        );
    }
    page.push_str("</table>\n");
}

fn section_auto_wrong(page: &mut String, report: &Report) {
    const SHOWN: usize = 100;
    let wrong = &report.auto_wrong_docs;
    let _ = write!(page, "<h2>Auto-approved but wrong</h2><p>{} documents.</p>", wrong.len());
    if wrong.is_empty() {
        return;
    }
    page.push_str("<ul>");
    for doc in wrong.iter().take(SHOWN) {
        let _ = write!(page, "<li><code>{}</code></li>", escape(doc));
    }
    if wrong.len() > SHOWN {
        let _ = write!(page, "<li>and {} more (see the report JSON)</li>", wrong.len() - SHOWN);
    }
    page.push_str("</ul>\n");
}

fn money(amount: Option<prodline_core::Decimal>) -> String {
    amount.map(crate::summary::money).unwrap_or_else(|| "n/a".into())
}

fn section_cost(page: &mut String, cost: &CostReport) {
    page.push_str("<h2>Cost</h2>\n");
    if cost.overall.documents_with_usage == 0 {
        page.push_str("<p>No extractor reported usage.</p>\n");
        return;
    }
    page.push_str(
        "<table><tr><th>segment</th><th>documents</th><th>with usage</th><th>total</th><th>per document</th>\
         <th>per auto-posted order</th><th>calls</th><th>tokens (prompt + completion)</th><th>model time</th></tr>\n",
    );
    cost_row(page, "overall", &cost.overall);
    for (prefix, segments) in [("extractor", &cost.by_extractor), ("group", &cost.by_group)] {
        for (name, f) in segments {
            cost_row(page, &format!("{prefix} {name}"), f);
        }
    }
    page.push_str("</table>\n");
}

fn cost_row(page: &mut String, label: &str, f: &CostFigures) {
    let _ = writeln!(
        page,
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} + {}</td><td>{:.1} s</td></tr>",
        escape(label),
        f.documents,
        f.documents_with_usage,
        money(Some(f.total)),
        money(f.per_document),
        money(f.per_auto_posted_order),
        f.calls,
        f.prompt_tokens,
        f.completion_tokens,
        f.millis as f64 / 1000.0
    );
}

fn section_gap(page: &mut String, gap: Option<&CuratedGap>) {
    let Some(gap) = gap else { return };
    let _ = writeln!(
        page,
        "<h2>Curated versus live</h2><p>The {} documents marked curated against a random sample of as many \
         documents of everything received (seed {}, {} drawn from the curated ones), from one run in received order.</p>\
         <table><tr><th>figure</th><th>curated</th><th>live sample</th><th>gap (points)</th></tr>",
        gap.curated.documents, gap.seed, gap.overlap
    );
    let d = &gap.difference_points;
    for (name, curated, live, points) in [
        ("order accuracy", &gap.curated.order_accuracy, &gap.live.order_accuracy, d.order_accuracy),
        ("auto precision", &gap.curated.auto_precision, &gap.live.auto_precision, d.auto_precision),
        ("straight-through rate", &gap.curated.stp_rate, &gap.live.stp_rate, d.stp_rate),
    ] {
        let points = points.map(|p| format!("{p:+.1}")).unwrap_or_else(|| "n/a".into());
        let _ = writeln!(
            page,
            "<tr><td>{name}</td><td>{}</td><td>{}</td><td>{points}</td></tr>",
            cell(curated),
            cell(live)
        );
    }
    page.push_str("</table>\n");
}

fn section_challenger(page: &mut String, report: &Report) {
    let (Some(challenger), Some(agreement)) = (&report.challenger, &report.agreement) else { return };
    let Agreement { champion: ours, challenger: theirs, .. } = agreement;
    let _ = writeln!(
        page,
        "<h2>Champion and challenger</h2><p>The challenger <code>{}</code> ran in shadow beside the champion \
         <code>{}</code> on the same documents, with its own memory; only the champion decided.</p>\
         <table><tr><th>figure</th><th>{}</th><th>{}</th></tr>",
        escape(theirs),
        escape(ours),
        escape(ours),
        escape(theirs)
    );
    let (a, b) = (&report.overall, &challenger.overall);
    for (name, x, y) in [
        ("order accuracy", &a.order_accuracy, &b.order_accuracy),
        ("auto precision", &a.auto_precision, &b.auto_precision),
        ("straight-through rate", &a.stp_rate, &b.stp_rate),
        ("auto rate", &a.auto_rate, &b.auto_rate),
    ] {
        let _ = writeln!(page, "<tr><td>{name}</td><td>{}</td><td>{}</td></tr>", cell(x), cell(y));
    }
    let _ = writeln!(
        page,
        "<tr><td>cost per document</td><td>{}</td><td>{}</td></tr></table>\
         <p>Same orders on {} of documents; same decision on {}.</p>",
        money(report.cost.overall.per_document),
        money(challenger.cost.overall.per_document),
        cell(&agreement.orders),
        cell(&agreement.decisions)
    );
    if !agreement.disagreeing_docs.is_empty() {
        page.push_str("<p>Documents where they disagree:</p><ul>");
        for doc in agreement.disagreeing_docs.iter().take(50) {
            let _ = write!(page, "<li><code>{}</code></li>", escape(doc));
        }
        page.push_str("</ul>\n");
    }
}

/// Dots with 95 % whiskers: order accuracy overall, by group, channel and format.
fn segment_plot(report: &Report) -> String {
    const LABEL: f64 = 200.0;
    const PLOT: f64 = 440.0;
    const ROW: f64 = 22.0;
    const TOP: f64 = 28.0;
    let mut rows: Vec<(String, &Proportion)> = vec![("overall".into(), &report.overall.order_accuracy)];
    rows.extend(report.by_group.iter().map(|(k, f)| (format!("group {k}"), &f.order_accuracy)));
    rows.extend(report.by_channel.iter().map(|(k, f)| (format!("channel {k}"), &f.order_accuracy)));
    rows.extend(report.by_format.iter().map(|(k, f)| (format!("format {k}"), &f.order_accuracy)));
    let height = TOP + ROW * rows.len() as f64 + 10.0;
    let width = LABEL + PLOT + 110.0;
    let x = |v: f64| LABEL + PLOT * v.clamp(0.0, 1.0);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\" font-size=\"12\" role=\"img\">\
         <title>Order accuracy by segment with 95 % intervals</title>"
    );
    for tick in 0..=5 {
        let v = f64::from(tick) / 5.0;
        let _ = write!(
            svg,
            "<line x1=\"{0:.1}\" y1=\"{1:.1}\" x2=\"{0:.1}\" y2=\"{2:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{0:.1}\" y=\"14\" text-anchor=\"middle\" fill=\"#666\">{3}%</text>",
            x(v),
            TOP - 6.0,
            height - 6.0,
            tick * 20
        );
    }
    for (i, (label, p)) in rows.iter().enumerate() {
        let y = TOP + ROW * i as f64 + ROW / 2.0;
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LABEL - 8.0,
            y + 4.0,
            escape(label)
        );
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#666\">{}/{}</text>",
            LABEL + PLOT + 10.0,
            y + 4.0,
            p.successes,
            p.trials
        );
        let Some(rate) = p.rate else { continue };
        let _ = write!(
            svg,
            "<line x1=\"{0:.1}\" y1=\"{2:.1}\" x2=\"{1:.1}\" y2=\"{2:.1}\" stroke=\"#1f5f99\" stroke-width=\"2\"/>\
             <line x1=\"{0:.1}\" y1=\"{3:.1}\" x2=\"{0:.1}\" y2=\"{4:.1}\" stroke=\"#1f5f99\"/>\
             <line x1=\"{1:.1}\" y1=\"{3:.1}\" x2=\"{1:.1}\" y2=\"{4:.1}\" stroke=\"#1f5f99\"/>\
             <circle cx=\"{5:.1}\" cy=\"{2:.1}\" r=\"4.5\" fill=\"#1f5f99\"/>",
            x(p.low),
            x(p.high),
            y,
            y - 5.0,
            y + 5.0,
            x(rate)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// Reliability plot: per confidence bin, the share of correct documents
/// (with its 95 % whisker) at the bin's mean confidence; the diagonal is
/// perfect calibration; dot area grows with the bin's documents.
fn calibration_plot(bins: &[CalibrationBin]) -> String {
    const SIZE: f64 = 320.0;
    const LEFT: f64 = 50.0;
    const TOP: f64 = 15.0;
    let x = |v: f64| LEFT + SIZE * v.clamp(0.0, 1.0);
    let y = |v: f64| TOP + SIZE * (1.0 - v.clamp(0.0, 1.0));
    let (width, height) = (LEFT + SIZE + 20.0, TOP + SIZE + 45.0);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\" font-size=\"12\" role=\"img\">\
         <title>Confidence against share of correct documents</title>\
         <rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{SIZE}\" height=\"{SIZE}\" fill=\"none\" stroke=\"#999\"/>\
         <line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#999\" stroke-dasharray=\"4 4\"/>",
        x(0.0),
        y(0.0),
        x(1.0),
        y(1.0)
    );
    for tick in 0..=5 {
        let v = f64::from(tick) / 5.0;
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#666\">{v:.1}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#666\">{v:.1}</text>",
            x(v),
            TOP + SIZE + 15.0,
            LEFT - 6.0,
            y(v) + 4.0
        );
    }
    let _ = write!(
        svg,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">confidence</text>\
         <text x=\"12\" y=\"{:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 12 {:.1})\">share correct</text>",
        LEFT + SIZE / 2.0,
        TOP + SIZE + 35.0,
        TOP + SIZE / 2.0,
        TOP + SIZE / 2.0
    );
    let largest = bins.iter().map(|b| b.documents).max().unwrap_or(0).max(1) as f64;
    for bin in bins {
        let (Some(mean), Some(rate)) = (bin.mean_confidence, bin.correct.rate) else { continue };
        let radius = 3.0 + 6.0 * (bin.documents as f64 / largest).sqrt();
        let _ = write!(
            svg,
            "<line x1=\"{0:.1}\" y1=\"{1:.1}\" x2=\"{0:.1}\" y2=\"{2:.1}\" stroke=\"#1f5f99\"/>\
             <circle cx=\"{0:.1}\" cy=\"{3:.1}\" r=\"{4:.1}\" fill=\"#1f5f99\" fill-opacity=\"0.7\">\
             <title>{5} documents, confidence {6:.2}, {7:.1} % correct</title></circle>",
            x(mean),
            y(bin.correct.low),
            y(bin.correct.high),
            y(rate),
            radius,
            bin.documents,
            mean,
            rate * 100.0
        );
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(escape(r#"<a href="x">&'"#), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }
}
