//! Reports: the HTML files the CLI wrote, and the audit judged live.
//!
//! - `GET /reports`: the `*.html` files of `[server] reports` (a folder:
//!   `prodline eval --html` and `prodline audit --html` write there), with
//!   size and time modified;
//! - `GET /reports/{file}`: one of them, byte for byte as the CLI wrote it;
//! - `GET /reports/audit`: `prodline audit` of this configuration, now.
//!
//! A report is a page of its own with inline styles, so it is served with
//! its own Content-Security-Policy, which blocks every script
//! ([`REPORT_POLICY`]). Only a plain file name that the listing holds is
//! served: no path, no `..`, no hidden file, no link out of the folder.

use std::path::{Path as FsPath, PathBuf};
use std::time::SystemTime;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use maud::html;
use prodline_config::{CheckReport, Config, TargetConfig, WorkflowConfig};
use prodline_eval::teardown::{
    AccuracyFacts, AuditFacts, AuditReport, EvalFacts, IntegrationFacts, OperatingFacts, Owner, ValueFacts, audit,
    audit_html,
};
use prodline_runtime::watch::{Ledger, WorkflowStatus, assess};
use prodline_store::{Role, Store};

use crate::auth::person;
use crate::layout::{error_page, page};
use crate::{Shared, WebState};

/// The policy a report is served under: its own inline styles and data
/// images, nothing else (no script, no request anywhere).
pub(crate) const REPORT_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

pub(crate) fn routes<S: Store + Clone + 'static>(state: Shared<S>) -> Router {
    Router::new()
        .route("/reports", get(listing::<S>))
        .route("/reports/audit", get(live_audit::<S>))
        .route("/reports/{file}", get(report::<S>))
        .with_state(state)
}

/// One report file of the folder.
#[derive(Debug, Clone, PartialEq)]
struct ReportFile {
    name: String,
    bytes: u64,
    modified: Option<DateTime<Utc>>,
}

/// The `*.html` files directly in `folder`, newest first; links and
/// anything that is not a plain file are left out. A folder that cannot
/// be read is an error that names it.
async fn report_files(folder: &FsPath) -> Result<Vec<ReportFile>, String> {
    let problem = |error: std::io::Error| format!("the reports folder {} cannot be read: {error}", folder.display());
    let mut entries = tokio::fs::read_dir(folder).await.map_err(problem)?;
    let mut files = Vec::new();
    while let Some(entry) = entries.next_entry().await.map_err(problem)? {
        let Ok(name) = entry.file_name().into_string() else { continue };
        // `symlink_metadata`: a link is not followed out of the folder.
        let Ok(meta) = tokio::fs::symlink_metadata(entry.path()).await else { continue };
        if !meta.is_file() || !plain_name(&name) || !name.ends_with(".html") {
            continue;
        }
        let modified = meta.modified().ok().map(DateTime::<Utc>::from);
        files.push(ReportFile { name, bytes: meta.len(), modified });
    }
    files.sort_by(|a, b| b.modified.cmp(&a.modified).then_with(|| a.name.cmp(&b.name)));
    Ok(files)
}

/// A file name without a path or a leading dot: what the listing may hold.
fn plain_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\\', '\0'])
}

fn folder<S>(state: &WebState<S>) -> Option<&FsPath> {
    state.config().server.reports.as_deref()
}

async fn listing<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    let who = person(&state, &headers, "/reports", Role::Reviewer).await.map_err(IntoResponse::into_response)?;
    let files = match folder(&state) {
        Some(folder) => Some(report_files(folder).await),
        None => None,
    };
    let body = html! {
        h1 { "Reports" }
        p { a #audit-link href="/reports/audit" { "The audit of this configuration, now" } " · the teardown " code { "prodline audit" } " prints, judged on the store's trail." }
        @match &files {
            None => p.muted { "No reports folder: set " code { "reports = \"reports\"" } " under " code { "[server]" } " and write reports there with " code { "prodline eval --html" } "." },
            Some(Err(problem)) => p.error role="alert" { (problem) },
            Some(Ok(files)) if files.is_empty() => p.muted { "The reports folder holds no HTML report yet." },
            Some(Ok(files)) => {
                table #reports {
                    thead { tr { th { "Report" } th.num { "Size" } th { "Modified" } } }
                    tbody {
                        @for file in files {
                            tr {
                                td { a href=(format!("/reports/{}", file.name)) { (file.name) } }
                                td.num { (size(file.bytes)) }
                                td { (file.modified.map_or("–".to_owned(), |at| at.format("%Y-%m-%d %H:%M UTC").to_string())) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page("Reports", &who, body).into_response())
}

/// `12.3 KB`.
fn size(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} B"),
        1024..1_048_576 => format!("{:.1} KB", bytes as f64 / 1024.0),
        _ => format!("{:.1} MB", bytes as f64 / 1_048_576.0),
    }
}

async fn report<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Result<Response, Response> {
    let uri = format!("/reports/{file}");
    person(&state, &headers, &uri, Role::Reviewer).await.map_err(IntoResponse::into_response)?;
    let missing = || error_page(StatusCode::NOT_FOUND, "No such report", "there is no report by that name");
    let Some(folder) = folder(&state) else { return Err(missing()) };
    let files = report_files(folder)
        .await
        .map_err(|problem| error_page(StatusCode::SERVICE_UNAVAILABLE, "Reports unavailable", &problem))?;
    // Only a name the listing holds: never a path put together from the request.
    let Some(listed) = files.iter().find(|listed| listed.name == file) else { return Err(missing()) };
    let path: PathBuf = folder.join(&listed.name);
    let bytes = tokio::fs::read(&path).await.map_err(|error| {
        let message = format!("{} cannot be read: {error}", listed.name);
        error_page(StatusCode::SERVICE_UNAVAILABLE, "Report unavailable", &message)
    })?;
    Ok(report_response(bytes))
}

/// A report page with the report's own policy.
fn report_response(body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(REPORT_POLICY));
    response
}

/// `prodline audit` of every workflow, judged now: the config probed as
/// `prodline check` does, the run cost from the trail, the data area from
/// the newest eval report (`*.json`) in the reports folder, if any.
async fn live_audit<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    person(&state, &headers, "/reports/audit", Role::Reviewer).await.map_err(IntoResponse::into_response)?;
    let config = state.config();
    let check = prodline_config::check(config).await;
    let ledger = Ledger::read(state.store()).await.map_err(|error| {
        let message = format!("the audit trail could not be read: {error}");
        error_page(StatusCode::SERVICE_UNAVAILABLE, "Store unavailable", &message)
    })?;
    let statuses = assess(config, &ledger, state.now());
    let eval = match folder(&state) {
        Some(folder) => newest_eval(folder).await,
        None => None,
    };
    let reports = audit_reports(config, &check, &statuses, eval.as_ref(), None);
    Ok(report_response(audit_html(&reports)))
}

/// The facts of the newest `*.json` in `folder` that reads as an eval report.
async fn newest_eval(folder: &FsPath) -> Option<EvalFacts> {
    let mut entries = tokio::fs::read_dir(folder).await.ok()?;
    let mut candidates: Vec<(SystemTime, PathBuf)> = Vec::new();
    while let Ok(Some(entry)) = entries.next_entry().await {
        let name = entry.file_name().into_string().unwrap_or_default();
        let Ok(meta) = tokio::fs::symlink_metadata(entry.path()).await else { continue };
        if meta.is_file() && plain_name(&name) && name.ends_with(".json") {
            candidates.push((meta.modified().unwrap_or(SystemTime::UNIX_EPOCH), entry.path()));
        }
    }
    candidates.sort_by_key(|candidate| std::cmp::Reverse(candidate.0));
    for (_, path) in candidates {
        let Ok(text) = tokio::fs::read_to_string(&path).await else { continue };
        if let Ok(report) = serde_json::from_str::<prodline_eval::Report>(&text) {
            return Some(EvalFacts::from_report(&report));
        }
    }
    None
}

/// The teardown of each workflow of `config` (or of `only`), as `prodline
/// audit` prints it and `/reports/audit` shows it: the probes of `prodline
/// check`, the monitor's statuses and, when given, an eval report's facts.
pub fn audit_reports(
    config: &Config,
    check: &CheckReport,
    statuses: &[WorkflowStatus],
    eval: Option<&EvalFacts>,
    only: Option<&str>,
) -> Vec<AuditReport> {
    config
        .workflow
        .iter()
        .enumerate()
        .filter(|(_, workflow)| only.is_none_or(|only| only == workflow.name))
        .map(|(index, workflow)| {
            let status = statuses.iter().find(|status| status.workflow == workflow.name);
            audit(&audit_facts(index, workflow, check, status, eval.cloned()))
        })
        .collect()
}

/// What the audit is told about one workflow: its owner, target probes,
/// SLO, budget, KPI.
fn audit_facts(
    index: usize,
    workflow: &WorkflowConfig,
    check: &CheckReport,
    status: Option<&WorkflowStatus>,
    eval: Option<EvalFacts>,
) -> AuditFacts {
    let owner_named = !workflow.owner.name.trim().is_empty() && workflow.owner.email.contains('@');
    let target_key = format!("workflow[{index}].target");
    let target_probes: Vec<_> = check.probes.iter().filter(|probe| probe.key.starts_with(&target_key)).collect();
    let workflow_key = format!("workflow[{index}]");
    let problems = check
        .failures()
        .filter(|probe| probe.key.starts_with(&workflow_key) || probe.key == "store")
        .map(|probe| format!("{}: {}", probe.key, probe.message))
        .collect();
    let (target_kind, has_api) = match &workflow.target {
        TargetConfig::Sql(_) => ("sql", false),
        TargetConfig::Tryton(_) => ("tryton", true),
        TargetConfig::FileDrop(_) => ("file_drop", false),
    };
    let probed = (!target_probes.is_empty()).then(|| target_probes.iter().all(|probe| probe.ok));
    let watch = &workflow.watch;
    let budget = watch.budget.as_ref();
    let kpi = watch.kpi.as_ref();
    AuditFacts {
        workflow: workflow.name.clone(),
        owner: owner_named.then(|| Owner { name: workflow.owner.name.clone(), email: workflow.owner.email.clone() }),
        eval,
        integration: IntegrationFacts {
            target_kind: Some(target_kind.to_owned()),
            checked: true,
            reachable: probed,
            mapping_ok: probed,
            problems,
            has_api,
        },
        accuracy: AccuracyFacts {
            slo_target: watch.slo.as_ref().map(|slo| slo.target),
            window_rule: watch
                .slo
                .as_ref()
                .map(|slo| format!("below {:.0} % over the last {} labelled", slo.below * 100.0, slo.window)),
            sequential_test: watch.slo.is_some(),
            audit_rate: workflow.decision.audit_rate,
            alert_channels: watch.alerts.len(),
            owner_named,
            drift_watch: true,
            liveness_watch: watch.liveness.learn || !watch.liveness.feed.is_empty(),
        },
        operating: OperatingFacts {
            owner_named,
            budget_monthly: budget.map(|budget| budget.monthly),
            rates_known: budget.is_some(),
            cost_per_order: status.and_then(|status| status.cost.as_ref()).and_then(|cost| cost.cost_per_order),
            currency: budget.map(|budget| budget.currency.clone()),
        },
        value: ValueFacts {
            kpi_name: kpi.map(|kpi| kpi.name.clone()),
            kpi_owner: kpi.map(|kpi| format!("{} <{}>", kpi.owner.name, kpi.owner.email)),
            minutes_per_manual_order: kpi.map(|kpi| kpi.minutes_per_manual_order),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_may_be_listed() {
        assert!(plain_name("eval.html"));
        assert!(!plain_name("../secret.html"));
        assert!(!plain_name("a/b.html"));
        assert!(!plain_name("a\\b.html"));
        assert!(!plain_name(".hidden.html"));
        assert!(!plain_name(""));
    }

    #[test]
    fn sizes_read_in_their_unit() {
        assert_eq!(size(512), "512 B");
        assert_eq!(size(12_595), "12.3 KB");
        assert_eq!(size(3 * 1_048_576), "3.0 MB");
    }

    #[tokio::test]
    async fn the_listing_holds_html_files_only_and_no_links() {
        let folder = tempfile::tempdir().unwrap();
        std::fs::write(folder.path().join("eval.html"), "<html></html>").unwrap();
        std::fs::write(folder.path().join("eval.json"), "{}").unwrap();
        std::fs::write(folder.path().join(".draft.html"), "x").unwrap();
        std::fs::create_dir(folder.path().join("old.html")).unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.html"), "secret").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.html"), folder.path().join("link.html")).unwrap();
        let files = report_files(folder.path()).await.unwrap();
        let names: Vec<&str> = files.iter().map(|file| file.name.as_str()).collect();
        assert_eq!(names, ["eval.html"]);
        assert_eq!(files[0].bytes, 13);
        let missing = report_files(&folder.path().join("nowhere")).await.unwrap_err();
        assert!(missing.contains("nowhere"), "{missing}");
    }
}
