//! `prodline review` and `prodline outbox`: the review queue and the outbox
//! from a terminal. Glue over `prodline_runtime::{review, outbox}`; readable
//! tables, or JSON with `--json`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use prodline_core::CanonicalOrder;
use prodline_runtime::{outbox, review};
use prodline_store::{Delivery, DeliveryFilter, DeliveryId, DeliveryStatus, DocumentId};
use serde::Serialize;

use crate::commands::{block_on, load_config, open_store};

/// Options every review and outbox command takes.
#[derive(Args)]
pub struct Common {
    #[arg(short = 'c', long = "config")]
    config: PathBuf,
    /// Who acts, as the audit trail records it (default: $USER, else "cli").
    #[arg(long)]
    actor: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

impl Common {
    fn actor(&self) -> String {
        self.actor
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .filter(|a| !a.trim().is_empty())
            .unwrap_or_else(|| "cli".to_owned())
    }
}

#[derive(Subcommand)]
pub enum ReviewCommand {
    /// The documents waiting for a person, oldest first, with why.
    List {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// One document: decision, reasons, planned orders, events, deliveries.
    Show {
        id: i64,
        #[command(flatten)]
        common: Common,
    },
    /// Approve the planned orders as they are: they go to the outbox.
    Approve {
        id: i64,
        #[command(flatten)]
        common: Common,
    },
    /// Replace the planned orders by corrected ones (SPEC canonical order JSON), teach the memory, approve.
    Correct {
        id: i64,
        /// A JSON file holding one canonical order or an array of them; repeat for more files.
        #[arg(long = "order", required = true)]
        orders: Vec<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// Reject the document: nothing is entered.
    Reject {
        id: i64,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Subcommand)]
pub enum OutboxCommand {
    /// Deliveries, oldest first, filtered by status, target or document.
    List {
        /// pending, delivered or dead_lettered.
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        target: Option<String>,
        #[arg(long)]
        document: Option<i64>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
        #[command(flatten)]
        common: Common,
    },
    /// Make a pending delivery due now.
    Retry {
        id: i64,
        #[command(flatten)]
        common: Common,
    },
    /// Send a dead-lettered delivery back to pending (and its document back to approved), once the cause is fixed.
    Replay {
        id: i64,
        #[command(flatten)]
        common: Common,
    },
}

/// `prodline review ...`: exits non-zero with the reason when the action is refused.
pub fn review(command: ReviewCommand) -> anyhow::Result<ExitCode> {
    match command {
        ReviewCommand::List { common, limit } => with_store(&common, async |store, _| {
            let items = review::list(store, limit).await?;
            print(&common, &items, print_queue)
        }),
        ReviewCommand::Show { id, common } => with_store(&common, async |store, _| {
            let view = review::show(store, DocumentId(id)).await?;
            print(&common, &view, print_document)
        }),
        ReviewCommand::Approve { id, common } => with_store(&common, async |store, config| {
            let approval = review::approve(store, config, DocumentId(id), &common.actor()).await?;
            print(&common, &approval, |a| print_approval(a, "approved"))
        }),
        ReviewCommand::Correct { id, orders, common } => {
            let orders = read_orders(&orders)?;
            with_store(&common, async |store, config| {
                let correction = review::correct(store, config, DocumentId(id), &common.actor(), orders).await?;
                print(&common, &correction, |c| {
                    print_approval(&c.approval, "corrected and approved");
                    for learned in &c.learned {
                        println!("  learned {:?}: {} → {}", learned.kind, learned.key, learned.value);
                    }
                })
            })
        }
        ReviewCommand::Reject { id, reason, common } => with_store(&common, async |store, _| {
            let rejection = review::reject(store, DocumentId(id), &common.actor(), &reason).await?;
            print(&common, &rejection, |r| println!("document {} rejected by {}: {}", r.id, r.actor, r.reason))
        }),
    }
}

/// `prodline outbox ...`: exits non-zero with the reason when the action is refused.
pub fn outbox(command: OutboxCommand) -> anyhow::Result<ExitCode> {
    match command {
        OutboxCommand::List { status, target, document, limit, common } => {
            let status = status.as_deref().map(parse_status).transpose()?;
            let filter = DeliveryFilter { target, status, document_id: document.map(DocumentId) };
            with_store(&common, async |store, _| {
                let deliveries = outbox::list(store, &filter, limit).await?;
                print(&common, &deliveries, |d| print_deliveries(d))
            })
        }
        OutboxCommand::Retry { id, common } => with_store(&common, async |store, _| {
            let delivery = outbox::retry(store, DeliveryId(id), chrono::Utc::now(), &common.actor()).await?;
            print(&common, &delivery, |d| println!("delivery {} is due now (document {})", d.id, d.document_id))
        }),
        OutboxCommand::Replay { id, common } => with_store(&common, async |store, _| {
            let delivery = outbox::replay(store, DeliveryId(id), &common.actor()).await?;
            print(&common, &delivery, |d| {
                println!("delivery {} is pending again; document {} is approved", d.id, d.document_id)
            })
        }),
    }
}

/// Loads the configuration, opens its store, runs `action`, closes the store.
fn with_store(
    common: &Common,
    action: impl AsyncFnOnce(&prodline_store::AnyStore, &prodline_config::Config) -> anyhow::Result<()>,
) -> anyhow::Result<ExitCode> {
    let Some(config) = load_config(&common.config) else { return Ok(ExitCode::FAILURE) };
    block_on(async {
        let store = open_store(&config.store).await?;
        let result = action(&store, &config).await;
        store.close().await;
        result
    })??;
    Ok(ExitCode::SUCCESS)
}

fn print<T: Serialize>(common: &Common, value: &T, table: impl FnOnce(&T)) -> anyhow::Result<()> {
    if common.json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        table(value);
    }
    Ok(())
}

fn parse_status(text: &str) -> anyhow::Result<DeliveryStatus> {
    DeliveryStatus::parse(text)
        .with_context(|| format!("--status {text:?}: expected pending, delivered or dead_lettered"))
}

/// Each file holds one canonical order or an array of them.
fn read_orders(files: &[PathBuf]) -> anyhow::Result<Vec<CanonicalOrder>> {
    let mut orders = Vec::new();
    for file in files {
        orders.extend(read_order_file(file)?);
    }
    Ok(orders)
}

fn read_order_file(file: &Path) -> anyhow::Result<Vec<CanonicalOrder>> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", file.display()))?;
    let orders = match value {
        serde_json::Value::Array(items) => items,
        serde_json::Value::Object(_) => vec![value],
        _ => bail!("{}: expected a canonical order (object) or an array of them", file.display()),
    };
    orders
        .into_iter()
        .enumerate()
        .map(|(index, order)| {
            serde_json::from_value(order)
                .with_context(|| format!("{}: order {index} is not a canonical order (SPEC §1)", file.display()))
        })
        .collect()
}

fn print_queue(items: &Vec<review::QueueItem>) {
    if items.is_empty() {
        println!("the review queue is empty");
        return;
    }
    println!("{:>6}  {:<16}  {:<28}  {:<16}  {:>5}  {:>6}  reasons", "id", "workflow", "file", "why", "conf", "orders");
    for item in items {
        println!(
            "{:>6}  {:<16}  {:<28}  {:<16}  {:>5}  {:>6}  {}",
            item.id.0,
            item.workflow.as_deref().unwrap_or("-"),
            item.file_name,
            item.reason.as_deref().unwrap_or("-"),
            item.confidence.map_or_else(|| "-".to_owned(), |c| format!("{c:.2}")),
            item.orders,
            item.reasons.join(", ")
        );
    }
}

fn print_document(view: &review::DocumentView) {
    println!("document {}  {}  {}  ({})", view.id, view.state, view.file_name, view.source);
    println!("  workflow {}  from {}", view.workflow.as_deref().unwrap_or("-"), view.from.as_deref().unwrap_or("-"));
    println!("  received {}  sha256 {}", view.received_at, view.sha256);
    if let Some(decision) = &view.decision {
        println!("decision {} (confidence {:.2})", decision.decision, decision.confidence);
        for reason in &decision.reasons {
            println!("  reason {}: {}", reason.code.as_str(), reason.message);
        }
        for planned in &decision.orders {
            let order = &planned.order;
            println!(
                "  order PO {}  customer {}  ship-to {}{}",
                order.customer_po.as_deref().unwrap_or("-"),
                order.customer_id.as_deref().unwrap_or("-"),
                order.ship_to.as_deref().unwrap_or("-"),
                if planned.revision { "  (revision)" } else { "" }
            );
            for line in &order.lines {
                println!(
                    "    {:>4} {:<14} part {:<12} {:>10} {:<4} {:>10}",
                    line.line.map(|n| n.to_string()).unwrap_or_default(),
                    line.sku.as_deref().unwrap_or("?"),
                    line.customer_part.as_deref().unwrap_or("-"),
                    line.qty,
                    line.uom.as_deref().unwrap_or(""),
                    line.unit_price.map(|p| p.to_string()).unwrap_or_default()
                );
            }
        }
    }
    println!("events");
    for event in &view.events {
        let (id, kind) = (event.id.0, event.kind.as_str());
        println!("  {id:>6}  {}  {kind:<22} {:<12} {}", event.at, event.actor, shortened(&event.details.to_string()));
    }
    if !view.deliveries.is_empty() {
        println!("deliveries");
        print_deliveries(&view.deliveries);
    }
}

fn print_approval(approval: &review::Approval, what: &str) {
    println!(
        "document {} {what} by {}: {} order(s) to {}",
        approval.id,
        approval.actor,
        approval.idempotency_keys.len(),
        approval.target
    );
}

fn print_deliveries(deliveries: &[Delivery]) {
    if deliveries.is_empty() {
        println!("no deliveries");
        return;
    }
    println!(
        "{:>6}  {:>8}  {:<16}  {:<13}  {:>8}  {:<25}  last error",
        "id", "document", "target", "status", "attempts", "next attempt"
    );
    for delivery in deliveries {
        println!(
            "{:>6}  {:>8}  {:<16}  {:<13}  {:>8}  {:<25}  {}",
            delivery.id.0,
            delivery.document_id.0,
            delivery.target,
            delivery.status.as_str(),
            delivery.attempts,
            delivery.next_attempt_at.to_rfc3339(),
            delivery.last_error.as_deref().unwrap_or("")
        );
    }
}

/// Event details in a table: the first characters (`show --json` has them whole).
fn shortened(text: &str) -> String {
    const WIDTH: usize = 120;
    match text.char_indices().nth(WIDTH) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}
