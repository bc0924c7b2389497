//! `prodline learned list | forget`: what a workflow learned from reviewed
//! outcomes (cross-references, customer aliases, sender layouts), and taking
//! a wrong lesson back. Glue over `prodline_runtime::learned`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::{Args, Subcommand};
use prodline_extract::Learned;

use crate::commands::{block_on, load_config, open_store};

#[derive(Args)]
pub struct LearnedCommon {
    #[arg(short = 'c', long = "config")]
    config: PathBuf,
    /// The workflow (default: the only one in the config).
    #[arg(long)]
    workflow: Option<String>,
    /// Who acts, as the audit trail records it (default: $USER, else "cli").
    #[arg(long)]
    actor: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
pub enum LearnedCommand {
    /// Every learned item, numbered, with where it was learned.
    List {
        #[command(flatten)]
        common: LearnedCommon,
    },
    /// Remove item NUMBER (as `list` numbers it); recorded as `MemoryForgotten`.
    Forget {
        number: usize,
        #[command(flatten)]
        common: LearnedCommon,
    },
}

pub fn learned(command: LearnedCommand) -> anyhow::Result<ExitCode> {
    let (common, forget) = match command {
        LearnedCommand::List { common } => (common, None),
        LearnedCommand::Forget { number, common } => (common, Some(number)),
    };
    let Some(config) = load_config(&common.config) else { return Ok(ExitCode::FAILURE) };
    let workflow = match (&common.workflow, config.workflow.as_slice()) {
        (Some(name), workflows) if workflows.iter().any(|w| &w.name == name) => name.clone(),
        (Some(name), _) => bail!("no workflow {name:?} in {}", common.config.display()),
        (None, [only]) => only.name.clone(),
        (None, _) => bail!("{} has several workflows: name one with --workflow", common.config.display()),
    };
    let actor = common
        .actor
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .filter(|a| !a.trim().is_empty())
        .unwrap_or_else(|| "cli".to_owned());
    block_on(async {
        let store = open_store(&config.store).await?;
        let result = match forget {
            None => prodline_runtime::learned::list(&store, &workflow).await.map(|items| print_list(&common, &items)),
            Some(number) => {
                prodline_runtime::learned::forget(&store, &workflow, number, &actor).await.map(|item| match item {
                    Some(item) => print_forgotten(&common, number, &item),
                    None => {
                        Err(anyhow::anyhow!("workflow {workflow} has no learned item {number} (see `learned list`)"))
                    }
                })
            }
        };
        store.close().await;
        result?
    })??;
    Ok(ExitCode::SUCCESS)
}

fn print_list(common: &LearnedCommon, items: &[Learned]) -> anyhow::Result<()> {
    if common.json {
        println!("{}", serde_json::to_string_pretty(items)?);
        return Ok(());
    }
    if items.is_empty() {
        println!("nothing learned yet: lessons come from `prodline review correct`");
        return Ok(());
    }
    println!("{:>4}  {:<16} {:<10} {:<28} {:<16} learned from", "#", "kind", "customer", "key", "means");
    for (i, item) in items.iter().enumerate() {
        let kind = serde_json::to_value(item.kind)?.as_str().unwrap_or_default().to_owned();
        println!(
            "{:>4}  {:<16} {:<10} {:<28} {:<16} {}",
            i + 1,
            kind,
            item.customer_id.as_deref().unwrap_or("-"),
            item.key,
            item.value,
            item.from_doc.as_deref().unwrap_or("-"),
        );
    }
    Ok(())
}

fn print_forgotten(common: &LearnedCommon, number: usize, item: &Learned) -> anyhow::Result<()> {
    if common.json {
        println!("{}", serde_json::to_string_pretty(item)?);
    } else {
        println!("forgot #{number}: {} → {}", item.key, item.value);
    }
    Ok(())
}
