//! The report as a short plain-text summary for the terminal and the demo.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use prodline_core::Decimal;
use prodline_core::stats::Proportion;

use crate::cost::{CostFigures, CostReport};
use crate::gap::CuratedGap;
use crate::report::{Figures, Report};
use crate::shadow::Agreement;

/// `87.5 % (105/120, 95 % CI 80.4–92.3 %)`, or `n/a (0/0)`.
pub fn format_proportion(p: &Proportion) -> String {
    match p.rate {
        Some(rate) => format!(
            "{:.1} % ({}/{}, 95 % CI {:.1}–{:.1} %)",
            rate * 100.0,
            p.successes,
            p.trials,
            p.low * 100.0,
            p.high * 100.0
        ),
        None => format!("n/a ({}/{})", p.successes, p.trials),
    }
}

/// `98.2 % (540/550, 95 % Wilson 96.7–99.0 %, lower bound 96.7 %)`: the
/// lower bound spelled out, since a gate is set on it.
pub fn format_wilson(p: &Proportion) -> String {
    match p.rate {
        Some(rate) => format!(
            "{:.1} % ({}/{}, 95 % Wilson {:.1}–{:.1} %, lower bound {:.1} %)",
            rate * 100.0,
            p.successes,
            p.trials,
            p.low * 100.0,
            p.high * 100.0,
            p.low * 100.0
        ),
        None => format!("n/a ({}/{}, nothing auto-approved)", p.successes, p.trials),
    }
}

/// `87.5 % (105/120)`, or `n/a`.
fn short_rate(p: &Proportion) -> String {
    match p.rate {
        Some(rate) => format!("{:.1} % ({}/{})", rate * 100.0, p.successes, p.trials),
        None => "n/a".into(),
    }
}

/// `87.5 % (105/120) [80.4–92.3]`, or `n/a (0/0)`: a table cell.
fn rate_with_interval(p: &Proportion) -> String {
    match p.rate {
        Some(_) => format!("{} [{:.1}–{:.1}]", short_rate(p), p.low * 100.0, p.high * 100.0),
        None => format!("n/a ({}/{})", p.successes, p.trials),
    }
}

/// Money to four places, rounded half away from zero (a `{:.4}` format of
/// a `Decimal` truncates): costs per document are fractions of a cent.
pub(crate) fn money(amount: Decimal) -> String {
    let rounded = amount.round_dp_with_strategy(4, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    format!("{rounded:.4}")
}

fn money_or_na(amount: Option<Decimal>) -> String {
    amount.map(money).unwrap_or_else(|| "n/a".into())
}

/// `+15.0 points`, `-2.5 points` or `n/a`.
fn signed_points(points: Option<f64>) -> String {
    points.map(|p| format!("{p:+.1} points")).unwrap_or_else(|| "n/a".into())
}

impl Report {
    /// A short plain-text summary: the garbage warning first, then the
    /// headline figures with intervals (auto precision with its Wilson
    /// lower bound), decisions, the top reasons, order accuracy by channel
    /// and format, the by-group table, cost, and the curated gap and the
    /// challenger when the run has them.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}", self.title());
        self.garbage_warning(&mut out);
        let o = &self.overall;
        let _ = writeln!(out, "  order accuracy     {}", format_proportion(&o.order_accuracy));
        let _ = writeln!(out, "  auto precision     {}", format_wilson(&o.auto_precision));
        for (name, p) in [
            ("straight-through ", &o.stp_rate),
            ("document accuracy", &o.document_accuracy),
            ("auto rate        ", &o.auto_rate),
        ] {
            let _ = writeln!(out, "  {name}  {}", format_proportion(p));
        }
        let _ = writeln!(out, "  decisions: {} auto, {} review", self.decisions.auto, self.decisions.review);
        let _ = writeln!(out, "  {}", self.top_reasons(5));
        for (label, segments) in [("by channel", &self.by_channel), ("by format", &self.by_format)] {
            let parts: Vec<String> =
                segments.iter().map(|(name, f)| format!("{name} {}", short_rate(&f.order_accuracy))).collect();
            let _ = writeln!(out, "  order accuracy {label}: {}", parts.join(" · "));
        }
        group_table(&mut out, &self.by_group);
        cost_lines(&mut out, &self.cost);
        if let Some(gap) = &self.gap {
            gap_table(&mut out, gap);
        }
        if let (Some(challenger), Some(agreement)) = (&self.challenger, &self.agreement) {
            side_by_side(&mut out, self, challenger, agreement);
        }
        out
    }

    fn garbage_warning(&self, out: &mut String) {
        if self.garbage.auto_approved_docs.is_empty() {
            return;
        }
        let docs = self.garbage.auto_approved_docs.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
        let more = self.garbage.auto_approved_docs.len().saturating_sub(5);
        let more = if more > 0 { format!(" and {more} more") } else { String::new() };
        let _ = writeln!(
            out,
            "WARNING: {} of {} documents with no order to enter were AUTO-APPROVED: {docs}{more}",
            self.garbage.auto_approved.successes, self.garbage.documents
        );
    }

    fn title(&self) -> String {
        let Some(run) = &self.run else {
            return format!("prodline eval: {} documents", self.documents);
        };
        let mut title = format!("prodline eval of {}: {} documents", run.dataset, self.documents);
        if let Some(n) = run.sample {
            let seed = run.seed.unwrap_or_default();
            let _ = write!(title, " (sample of {n} from {}, seed {seed})", run.documents_available);
        }
        if run.replay {
            title.push_str(", replay");
        }
        if !run.extractor.is_empty() && run.extractor != "builtin" {
            let _ = write!(title, ", extractor {}", run.extractor);
        }
        if run.documents_without_truth > 0 {
            let _ = write!(title, "; {} documents without truth skipped", run.documents_without_truth);
        }
        title
    }

    fn top_reasons(&self, n: usize) -> String {
        if self.reasons.is_empty() {
            return "reasons: none".into();
        }
        let mut reasons: Vec<(&String, &u64)> = self.reasons.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let parts: Vec<String> = reasons.iter().take(n).map(|(code, count)| format!("{code} {count}")).collect();
        format!("reasons (documents): {}", parts.join(", "))
    }
}

/// Order accuracy, auto precision with its Wilson interval, straight-through
/// rate and documents, one row per group.
fn group_table(out: &mut String, groups: &BTreeMap<String, Figures>) {
    if groups.is_empty() {
        return;
    }
    let _ = writeln!(out, "  by group:");
    let _ = writeln!(
        out,
        "    {:<12} {:>6}  {:<28} {:<36} straight-through",
        "group", "docs", "order accuracy", "auto precision [95 % Wilson]"
    );
    for (name, f) in groups {
        let _ = writeln!(
            out,
            "    {:<12} {:>6}  {:<28} {:<36} {}",
            name,
            f.documents,
            short_rate(&f.order_accuracy),
            rate_with_interval(&f.auto_precision),
            short_rate(&f.stp_rate)
        );
    }
}

fn cost_lines(out: &mut String, cost: &CostReport) {
    let c = &cost.overall;
    if c.documents_with_usage == 0 {
        let _ = writeln!(out, "  cost: no extractor reported usage");
        return;
    }
    let _ = writeln!(
        out,
        "  cost: {} total, {} per document, {} per auto-posted order; {} extractor calls, {} prompt + {} completion tokens, {:.1} s in extractors",
        money(c.total),
        money_or_na(c.per_document),
        money_or_na(c.per_auto_posted_order),
        c.calls,
        c.prompt_tokens,
        c.completion_tokens,
        c.millis as f64 / 1000.0
    );
    for (label, segments) in [("by extractor", &cost.by_extractor), ("by group", &cost.by_group)] {
        let parts: Vec<String> = segments.iter().map(|(name, f)| cost_part(name, f)).collect();
        let _ = writeln!(out, "    cost {label}: {}", parts.join(" · "));
    }
}

fn cost_part(name: &str, f: &CostFigures) -> String {
    format!("{name} {} ({} documents, {} per document)", money(f.total), f.documents, money_or_na(f.per_document))
}

fn gap_table(out: &mut String, gap: &CuratedGap) {
    let _ = writeln!(
        out,
        "  curated vs live (live: random sample of all, seed {}; {} documents each, {} in both):",
        gap.seed, gap.curated.documents, gap.overlap
    );
    let d = &gap.difference_points;
    for (name, curated, live, points) in [
        ("order accuracy  ", &gap.curated.order_accuracy, &gap.live.order_accuracy, d.order_accuracy),
        ("auto precision  ", &gap.curated.auto_precision, &gap.live.auto_precision, d.auto_precision),
        ("straight-through", &gap.curated.stp_rate, &gap.live.stp_rate, d.stp_rate),
    ] {
        let _ = writeln!(
            out,
            "    {name}  curated {:<30} live {:<30} gap {}",
            rate_with_interval(curated),
            rate_with_interval(live),
            signed_points(points)
        );
    }
}

fn side_by_side(out: &mut String, champion: &Report, challenger: &Report, agreement: &Agreement) {
    let _ = writeln!(out, "  champion {} vs challenger {} (shadow):", agreement.champion, agreement.challenger);
    let _ = writeln!(out, "    {:<16}  {:<34} {}", "", agreement.champion, agreement.challenger);
    let (a, b) = (&champion.overall, &challenger.overall);
    for (name, ours, theirs) in [
        ("order accuracy  ", &a.order_accuracy, &b.order_accuracy),
        ("auto precision  ", &a.auto_precision, &b.auto_precision),
        ("straight-through", &a.stp_rate, &b.stp_rate),
        ("auto rate       ", &a.auto_rate, &b.auto_rate),
    ] {
        let _ = writeln!(out, "    {name}  {:<34} {}", rate_with_interval(ours), rate_with_interval(theirs));
    }
    let _ = writeln!(
        out,
        "    cost/document     {:<34} {}",
        money_or_na(champion.cost.overall.per_document),
        money_or_na(challenger.cost.overall.per_document)
    );
    let _ = writeln!(
        out,
        "    agreement: same orders on {}; same decision on {}",
        format_proportion(&agreement.orders),
        short_rate(&agreement.decisions)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_states_the_lower_bound() {
        let text = format_wilson(&Proportion::new(98, 100));
        assert!(text.starts_with("98.0 % (98/100, 95 % Wilson 93.0–99.4 %, lower bound 93.0 %)"), "{text}");
        assert_eq!(format_wilson(&Proportion::new(0, 0)), "n/a (0/0, nothing auto-approved)");
    }

    #[test]
    fn money_has_four_places_and_points_a_sign() {
        assert_eq!(money(Decimal::new(12345, 6)), "0.0123");
        assert_eq!(money(Decimal::ZERO), "0.0000");
        assert_eq!(money(Decimal::new(455, 6)), "0.0005", "rounded, not truncated");
        assert_eq!(money(Decimal::new(-455, 6)), "-0.0005");
        assert_eq!(signed_points(Some(15.0)), "+15.0 points");
        assert_eq!(signed_points(Some(-2.5)), "-2.5 points");
        assert_eq!(signed_points(None), "n/a");
    }
}
