//! The owner's commands: `prodline audit` (the teardown: a workflow scored
//! against the five ways pilots die), `prodline plan` (candidate workflows
//! ranked) and `prodline release` (lift a hold the monitor put on a feed or
//! group). Glue: the facts come from the config, `check` and the store; the
//! scoring is `prodline_eval::teardown`'s.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use chrono::Utc;
use clap::Args;
use prodline_eval::teardown::{EvalFacts, audit_html, audit_markdown, load_candidates, plan, plan_markdown};
use prodline_runtime::watch::{HoldReason, Ledger, assess};
use prodline_store::{EventKind, Store};
use serde_json::json;

use crate::commands::{block_on, load_config, open_store};

#[derive(Args)]
pub struct AuditArgs {
    #[arg(short = 'c', long = "config")]
    config: PathBuf,
    /// An eval report (`prodline eval --report`) measured on this workflow's documents.
    #[arg(long = "eval", value_name = "REPORT.json")]
    eval: Option<PathBuf>,
    /// Only this workflow (default: every workflow of the config).
    #[arg(long)]
    workflow: Option<String>,
    /// Print JSON instead of Markdown.
    #[arg(long)]
    json: bool,
    /// Also write the audit as an HTML page (for `[server] reports`: the web UI lists it).
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
}

#[derive(Args)]
pub struct PlanArgs {
    /// The candidate workflows (`[[candidate]]` tables; see examples/plan/candidates.toml).
    candidates: PathBuf,
    /// Print JSON instead of Markdown.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ReleaseArgs {
    #[arg(short = 'c', long = "config")]
    config: PathBuf,
    /// The hold, as `prodline status` names it: `drift/<workflow>/<feed>` or
    /// `slo_breach/<workflow>/<group>`.
    hold: String,
    /// Who releases it (recorded in the audit trail).
    #[arg(long)]
    actor: String,
}

pub fn audit_command(args: &AuditArgs) -> anyhow::Result<ExitCode> {
    let Some(config) = load_config(&args.config) else { return Ok(ExitCode::FAILURE) };
    let eval = match &args.eval {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            let report: prodline_eval::Report =
                serde_json::from_str(&text).with_context(|| format!("{}: not an eval report", path.display()))?;
            Some(EvalFacts::from_report(&report))
        }
        None => None,
    };
    let (check, statuses) = block_on(async {
        let check = prodline_config::check(&config).await;
        // Run cost per order comes from what the store recorded; an
        // unreachable store leaves it unknown (check reports why).
        let statuses = match open_store(&config.store).await {
            Ok(store) => {
                let read = Ledger::read(&store).await;
                store.close().await;
                // Judged as of the last decision: a plant's month with
                // documents, not an empty month since (a replayed history).
                read.ok().map(|ledger| {
                    let decided = ledger.documents.values().filter_map(|entry| entry.watch.as_ref());
                    let last = decided.map(|watch| watch.decided_at).max();
                    assess(&config, &ledger, last.unwrap_or_else(Utc::now).min(Utc::now()))
                })
            }
            Err(_) => None,
        };
        (check, statuses.unwrap_or_default())
    })?;
    let reports = prodline_web::audit_reports(&config, &check, &statuses, eval.as_ref(), args.workflow.as_deref());
    if reports.is_empty() {
        bail!("{}: no workflow named {:?}", args.config.display(), args.workflow.as_deref().unwrap_or_default());
    }
    if let Some(path) = &args.html {
        std::fs::write(path, audit_html(&reports)).with_context(|| format!("writing {}", path.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        for report in &reports {
            println!("{}", audit_markdown(report));
        }
    }
    let ready = reports.iter().all(|report| report.blockers == 0);
    Ok(if ready { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

pub fn plan_command(args: &PlanArgs) -> anyhow::Result<ExitCode> {
    let candidates = load_candidates(&args.candidates)?;
    let report = plan(&candidates);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("{}", plan_markdown(&report));
    }
    Ok(ExitCode::SUCCESS)
}

/// Records that the owner lifted a hold; the monitor's next judgement routes
/// the feed's or group's documents by their decision again (a drifting
/// feed's reference window starts after the release: its new layout is
/// accepted).
pub fn release_command(args: &ReleaseArgs) -> anyhow::Result<ExitCode> {
    let Some(config) = load_config(&args.config) else { return Ok(ExitCode::FAILURE) };
    let actor = args.actor.trim();
    if actor.is_empty() {
        bail!("--actor is empty: name the person releasing the hold");
    }
    let workflow = args.hold.split('/').nth(1).unwrap_or_default();
    let known = [HoldReason::Drift, HoldReason::SloBreach]
        .iter()
        .any(|reason| args.hold.starts_with(&format!("{}/", reason.as_str())));
    if !known || !config.workflow.iter().any(|w| w.name == workflow) {
        bail!(
            "{:?} is not a hold of this config: expected drift/<workflow>/<feed> or slo_breach/<workflow>/<group>, as prodline status shows",
            args.hold
        );
    }
    block_on(async {
        let store = open_store(&config.store).await?;
        let details = json!({ "hold": args.hold, "workflow": workflow, "as_of": Utc::now() });
        let recorded = store.record_event(None, EventKind::HoldReleased, actor, details).await;
        store.close().await;
        recorded.map(|_| ()).context("recording the release")
    })??;
    println!("hold {} released by {actor}", args.hold);
    Ok(ExitCode::SUCCESS)
}
