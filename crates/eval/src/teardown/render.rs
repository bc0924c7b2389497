//! Markdown for the audit and the plan: what a plant manager reads. The JSON
//! is the serde form of the same structs.

use std::fmt::Write as _;

use super::audit::{AuditReport, Finding, Status};
use super::plan::{PlanReport, RankedCandidate};

/// The audit as Markdown: verdict, one line per area, then each area's
/// findings with the fix of every one that is not a pass.
pub fn audit_markdown(report: &AuditReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Audit of workflow `{}`\n", report.workflow);
    match &report.owner {
        Some(owner) => {
            let _ = writeln!(out, "Owner: {} <{}>\n", owner.name, owner.email);
        }
        None => out.push_str("Owner: nobody named\n\n"),
    }
    let _ = writeln!(
        out,
        "**Verdict: {}** (score {}/100, {} of 5 areas pass, {})\n",
        report.verdict,
        report.score,
        report.passed_areas,
        plural(report.warnings, "warning")
    );
    out.push_str("| Area | Status | Pilots die when |\n| --- | --- | --- |\n");
    for area in &report.areas {
        let _ = writeln!(out, "| {} | {} | {} |", area.area.title(), badge(area.status), area.area.risk());
    }
    for area in &report.areas {
        let _ = writeln!(out, "\n## {} — {}\n", area.area.title(), badge(area.status));
        for finding in &area.findings {
            finding_lines(&mut out, finding);
        }
    }
    out
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

fn badge(status: Status) -> &'static str {
    match status {
        Status::Pass => "PASS",
        Status::Warn => "WARN",
        Status::Fail => "FAIL",
    }
}

fn finding_lines(out: &mut String, finding: &Finding) {
    let mark = match finding.status {
        Status::Pass => "ok",
        Status::Warn => "warn",
        Status::Fail => "BLOCKER",
    };
    let _ = writeln!(out, "- **{mark}**: {}", finding.what);
    if let Some(fix) = &finding.fix {
        let _ = writeln!(out, "  - fix: {fix}");
    }
}

/// The plan as Markdown: the formula, the ranking table, the first five
/// with why, what blocks them and what to do first, then the rest.
pub fn plan_markdown(report: &PlanReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Plan: the first {} of {} candidates\n\n{} h a month at stake in all ({} FTE).\n",
        report.proposed.len(),
        report.candidates,
        report.total_hours_per_month,
        report.total_fte
    );
    let _ = writeln!(out, "How it is scored: {}\n", report.formula);
    out.push_str("| # | Candidate | h/month | FTE | api | data | owner | risk | score |\n");
    out.push_str("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for c in report.proposed.iter().chain(&report.later) {
        let f = &c.feasibility;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            c.rank, c.name, c.hours_per_month, c.fte, f.api, f.data, f.owner, f.risk, c.score
        );
    }
    out.push_str("\n## Proposed\n");
    for c in &report.proposed {
        proposed(&mut out, c);
    }
    if !report.later.is_empty() {
        out.push_str("\n## Not now\n\n");
        for c in &report.later {
            let reason = c.why_not_now.as_deref().unwrap_or_default();
            let _ = writeln!(out, "- {}. **{}**: {reason}", c.rank, c.name);
        }
    }
    out
}

fn proposed(out: &mut String, c: &RankedCandidate) {
    let _ = writeln!(out, "\n### {}. {} (score {})\n\n{}\n", c.rank, c.name, c.score, c.process);
    let _ = writeln!(out, "- Why: {}", c.why.join("; "));
    match c.blockers.as_slice() {
        [] => out.push_str("- Blocks it: nothing known\n"),
        blockers => {
            let _ = writeln!(out, "- Blocks it: {}", blockers.join("; "));
        }
    }
    let _ = writeln!(out, "- First: {}", c.first_step);
}
