//! The audit as one HTML page (`prodline audit --html`, and the web UI's
//! `/reports/audit`): the same content as [`super::audit_markdown`], laid
//! out like the eval report: self-contained, no script, every text escaped.

use std::fmt::Write as _;

use super::audit::{AuditReport, Finding, Status};
use crate::html::escape;

const HEAD: &str = r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>prodline audit</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:.5em 0 1.5em;width:100%}
th,td{border-bottom:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}
small,.muted{color:#666}
.status{display:inline-block;min-width:3.6em;text-align:center;border-radius:.6em;padding:0 .5em;font-size:.85em;font-weight:bold}
.pass{background:#e8f6ec;color:#1f7a3d}.warn{background:#fff1c2;color:#8a5a00}.fail{background:#fde8e8;color:#b3261e}
.verdict{padding:.6em 1em;border:1px solid #ddd;border-radius:6px}
.verdict.ready{background:#e8f6ec;border-color:#2e7d32}.verdict.blocked{background:#fde8e8;border-color:#c0392b}
ul.findings{list-style:none;padding-left:0}ul.findings li{margin:.35em 0}
.fix{margin:.15em 0 0 4.4em;color:#444}
code{font-size:.95em}
section.workflow{margin-bottom:2.5em}
</style></head><body>
<h1>prodline audit</h1>
<p class="muted">Each workflow scored against the five ways order-entry pilots die in production; every finding that is not a pass names its fix.</p>
"#;

/// The audits of one or more workflows as one HTML page: per workflow the
/// verdict, one row per area, then each area's findings with their fixes.
pub fn audit_html(reports: &[AuditReport]) -> String {
    let mut page = String::with_capacity(8 * 1024);
    page.push_str(HEAD);
    if reports.is_empty() {
        page.push_str("<p>No workflow audited.</p>\n");
    }
    for report in reports {
        workflow_section(&mut page, report);
    }
    page.push_str("</body></html>\n");
    page
}

fn workflow_section(page: &mut String, report: &AuditReport) {
    let _ =
        write!(page, "<section class=\"workflow\"><h2>Workflow <code>{}</code></h2>\n<p>", escape(&report.workflow));
    match &report.owner {
        Some(owner) => {
            let _ = write!(page, "Owner: {} &lt;{}&gt;", escape(&owner.name), escape(&owner.email));
        }
        None => page.push_str("Owner: <strong>nobody named</strong>"),
    }
    let class = if report.blockers == 0 { "ready" } else { "blocked" };
    let _ = writeln!(
        page,
        "</p>\n<p class=\"verdict {class}\"><strong>Verdict: {}</strong> · score {}/100 · {} of 5 areas pass · {} blocker{}, {} warning{}</p>",
        escape(&report.verdict),
        report.score,
        report.passed_areas,
        report.blockers,
        if report.blockers == 1 { "" } else { "s" },
        report.warnings,
        if report.warnings == 1 { "" } else { "s" },
    );
    page.push_str("<table><tr><th>Area</th><th>Status</th><th>Pilots die when</th></tr>\n");
    for area in &report.areas {
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            area.area.title(),
            status_badge(area.status),
            area.area.risk()
        );
    }
    page.push_str("</table>\n");
    for area in &report.areas {
        let _ = write!(page, "<h3>{} {}</h3>\n<ul class=\"findings\">\n", area.area.title(), status_badge(area.status));
        for finding in &area.findings {
            finding_item(page, finding);
        }
        page.push_str("</ul>\n");
    }
    page.push_str("</section>\n");
}

fn status_badge(status: Status) -> String {
    let text = match status {
        Status::Pass => "PASS",
        Status::Warn => "WARN",
        Status::Fail => "FAIL",
    };
    format!("<span class=\"status {}\">{text}</span>", status.as_str())
}

fn finding_item(page: &mut String, finding: &Finding) {
    let _ = write!(page, "<li>{} {}", status_badge(finding.status), escape(&finding.what));
    if let Some(fix) = &finding.fix {
        let _ = write!(page, "<div class=\"fix\">fix: {}</div>", escape(fix));
    }
    page.push_str("</li>\n");
}

#[cfg(test)]
mod tests {
    use super::super::audit::{AuditFacts, Owner, audit};
    use super::*;

    #[test]
    fn every_area_and_every_fix_is_on_the_page() {
        let facts = AuditFacts { workflow: "orders".into(), ..AuditFacts::default() };
        let report = audit(&facts);
        let html = audit_html(std::slice::from_ref(&report));
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("Verdict: blocked"));
        for area in &report.areas {
            assert!(html.contains(&format!("<h3>{} ", area.area.title())), "{:?}", area.area);
        }
        let fixes: Vec<&String> =
            report.areas.iter().flat_map(|a| &a.findings).filter_map(|f| f.fix.as_ref()).collect();
        assert!(!fixes.is_empty());
        for fix in fixes {
            assert!(html.contains(&format!("fix: {}", escape(fix))), "missing fix {fix}");
        }
        assert_eq!(html.matches("<li>").count(), report.areas.iter().map(|a| a.findings.len()).sum::<usize>());
        assert!(!html.contains("<script"), "the page runs nothing");
    }

    #[test]
    fn text_from_the_config_is_escaped() {
        let owner = Owner { name: "<b>Ann</b>".into(), email: "ann@example.com".into() };
        let facts = AuditFacts { workflow: "<script>x</script>".into(), owner: Some(owner), ..AuditFacts::default() };
        let html = audit_html(&[audit(&facts)]);
        assert!(html.contains("&lt;script&gt;x&lt;/script&gt;"));
        assert!(html.contains("&lt;b&gt;Ann&lt;/b&gt; &lt;ann@example.com&gt;"));
        assert!(!html.contains("<script>"));
        assert!(audit_html(&[]).contains("No workflow audited."));
    }
}
