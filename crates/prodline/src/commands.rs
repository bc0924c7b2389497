//! One function per subcommand.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use chrono::{DateTime, Utc};
use prodline_core::{Format, ParsedDocument, Severity};
use prodline_extract::{Context, DecisionConfig, Extractors, MasterData, Memory};

pub fn parse(file: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let bytes = read(file)?;
    let format = prodline_formats::detect(&bytes, file_name(file));
    if matches!(format, Format::Email | Format::Pdf | Format::Image | Format::Text) {
        return parse_text(file, format, &bytes, json);
    }
    let doc = prodline_formats::parse(&bytes, file_name(file));
    if json {
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        print_parsed(file, &doc);
    }
    report_diagnostics(file, &doc);
    Ok(exit_code(&doc))
}

/// Documents without a structure of their own have no orders before master
/// data: `parse` shows the text the extractors read (an e-mail's sender,
/// subject, newest message and attachments; a PDF's text layer; OCR with its
/// confidence). `prodline extract --master` reads the orders in it.
fn parse_text(file: &Path, format: Format, bytes: &[u8], json: bool) -> anyhow::Result<ExitCode> {
    let tools = prodline_textin::Tools::default();
    let text = match format {
        Format::Email => {
            let email = prodline_textin::email::read_email(bytes);
            for d in &email.diagnostics {
                eprintln!("{}: {d}", file.display());
            }
            if !json {
                println!("{} (email): from {}", file.display(), email.from.as_deref().unwrap_or("-"));
                for a in &email.attachments {
                    println!(
                        "  attachment {} ({}, {} bytes)",
                        a.name.as_deref().unwrap_or("-"),
                        a.content_type,
                        a.bytes.len()
                    );
                }
            }
            Ok(email.body)
        }
        Format::Pdf => prodline_textin::pdf_text(bytes, &tools),
        Format::Image => prodline_textin::ocr_image(bytes, &tools),
        _ => Ok(prodline_textin::plain_text(bytes)),
    };
    let text = match text {
        Ok(text) => text,
        Err(error) => {
            eprintln!("{}: {format} document could not be read: {error}", file.display());
            return Ok(ExitCode::FAILURE);
        }
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&text)?);
        return Ok(ExitCode::SUCCESS);
    }
    if format != Format::Email {
        println!("{} ({format}): {} page(s)", file.display(), text.pages.len());
    }
    if let Some(ocr) = &text.ocr {
        println!(
            "  OCR: {} words, mean confidence {:.1}, {} below 60",
            ocr.words, ocr.mean_confidence, ocr.low_confidence_words
        );
    }
    if let Some(subject) = &text.subject {
        println!("  subject: {subject}");
    }
    for (i, page) in text.pages.iter().enumerate() {
        if text.pages.len() > 1 {
            println!("--- page {}", i + 1);
        }
        println!("{}", page.trim_end());
    }
    Ok(ExitCode::SUCCESS)
}

/// A malformed file exits non-zero; warnings alone do not.
fn exit_code(doc: &ParsedDocument) -> ExitCode {
    if doc.has_errors() { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

/// Diagnostics go to stderr, each naming the file and the position.
fn report_diagnostics(file: &Path, doc: &ParsedDocument) {
    let order_diagnostics = doc.orders.iter().flat_map(|o| o.diagnostics.iter());
    for d in doc.diagnostics.iter().chain(order_diagnostics) {
        eprintln!("{}: {d}", file.display());
    }
}

fn print_parsed(file: &Path, doc: &ParsedDocument) {
    let format = doc.format.map(|f| f.as_str()).unwrap_or("unknown");
    println!("{} ({format}): {} order(s)", file.display(), doc.orders.len());
    for order in &doc.orders {
        println!(
            "  PO {}  date {}  requested {}  {} line(s)",
            order.po_number.as_deref().unwrap_or("-"),
            order.order_date.map(|d| d.to_string()).unwrap_or_else(|| "-".into()),
            order.requested_date.map(|d| d.to_string()).unwrap_or_else(|| "-".into()),
            order.lines.len()
        );
        for party in &order.parties {
            let id = party.id.as_ref().map(|i| i.value.as_str()).unwrap_or("");
            println!("    {} {} {}", party.code, id, party.name.as_deref().unwrap_or(""));
        }
        for line in &order.lines {
            let ids: Vec<String> = line
                .item_ids
                .iter()
                .map(|i| format!("{}:{}", i.qualifier.as_deref().unwrap_or("?"), i.value))
                .collect();
            println!(
                "    {:>4} {:>10} {:<4} {:>10}  {}",
                line.line_no.as_deref().unwrap_or(""),
                line.qty.map(|q| q.to_string()).unwrap_or_default(),
                line.uom.as_deref().unwrap_or(""),
                line.unit_price.map(|p| p.to_string()).unwrap_or_default(),
                ids.join(" ")
            );
        }
    }
    for skipped in &doc.skipped {
        println!("  skipped {} at {}", skipped.kind, skipped.position);
    }
}

/// What `prodline extract` is asked to read, and with which extractor.
#[derive(clap::Args)]
pub struct ExtractArgs {
    file: PathBuf,
    /// Folder with the master-data CSV files (SPEC §2).
    #[arg(long)]
    master: PathBuf,
    /// Sender address (e-mail From), used to identify the customer.
    #[arg(long = "from")]
    from: Option<String>,
    /// When the document was received (RFC 3339), used for relative dates.
    #[arg(long)]
    received_at: Option<String>,
    /// The extractor for e-mails, PDFs, scans and text: `builtin` (default),
    /// `command:PROGRAM [ARG...]`, or `openai:MODEL@BASE_URL` (API key from $OPENAI_API_KEY when set).
    #[arg(long, default_value = "builtin")]
    extractor: String,
    #[arg(long)]
    json: bool,
}

/// `builtin`, `command:PROGRAM [ARG...]` or `openai:MODEL@BASE_URL`, built
/// exactly as the runtime builds a workflow's `[workflow.extractor]`.
pub(crate) fn extractors_from_spec(spec: &str) -> anyhow::Result<Extractors> {
    let config = if spec == "builtin" {
        prodline_config::ExtractorConfig::Builtin
    } else if let Some(command) = spec.strip_prefix("command:") {
        let mut words = command.split_whitespace().map(str::to_owned);
        let Some(program) = words.next() else { bail!("--extractor {spec:?}: name the program after command:") };
        prodline_config::ExtractorConfig::Command {
            program: PathBuf::from(program),
            args: words.collect(),
            timeout_seconds: 60,
        }
    } else if let Some(openai) = spec.strip_prefix("openai:") {
        let Some((model, base_url)) = openai.split_once('@') else {
            bail!(
                "--extractor {spec:?}: expected openai:MODEL@BASE_URL, e.g. openai:llama3.1@http://127.0.0.1:11434/v1"
            )
        };
        prodline_config::ExtractorConfig::Openai {
            base_url: base_url.to_owned(),
            model: model.to_owned(),
            api_key_env: std::env::var_os("OPENAI_API_KEY").map(|_| "OPENAI_API_KEY".to_owned()),
            timeout_seconds: 120,
            retries: 2,
            prompt_price_per_million: prodline_core::Decimal::ZERO,
            completion_price_per_million: prodline_core::Decimal::ZERO,
        }
    } else {
        bail!("--extractor {spec:?}: expected builtin, command:PROGRAM [ARG...] or openai:MODEL@BASE_URL")
    };
    prodline_runtime::build_extractors(&config).map_err(|e| anyhow::anyhow!("--extractor {spec:?}: {e}"))
}

pub fn extract(args: &ExtractArgs) -> anyhow::Result<ExitCode> {
    let file = args.file.as_path();
    let bytes = read(file)?;
    let master = MasterData::load_dir(&args.master)?;
    let received_at = args.received_at.as_deref().map(parse_time).transpose()?;
    let extractors = extractors_from_spec(&args.extractor)?;
    let ctx = Context { file_name: file_name(file).map(str::to_string), from: args.from.clone(), received_at };
    let outcome = prodline_extract::process_with(
        &bytes,
        &ctx,
        &master,
        &Memory::default(),
        &DecisionConfig::default(),
        &extractors,
    );
    let json = args.json;
    if json {
        let out = serde_json::json!({
            "doc": file.display().to_string(),
            "format": outcome.format,
            "decision": outcome.decision,
            "confidence": outcome.confidence,
            "reasons": outcome.reasons,
            "orders": outcome.predicted_orders(),
            "diagnostics": outcome.parsed.diagnostics,
            "usage": outcome.usage,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "{}: {} ({}), confidence {:.2}, {} order(s)",
            file.display(),
            outcome.decision.as_str(),
            outcome.format,
            outcome.confidence,
            outcome.predicted_orders().len()
        );
        for reason in &outcome.reasons {
            println!("  {}: {}", reason.code, reason.message);
        }
        for order in outcome.predicted_orders() {
            println!("{}", serde_json::to_string_pretty(&order)?);
        }
    }
    let errors = outcome.parsed.diagnostics.iter().filter(|d| d.severity == Severity::Error);
    for d in errors {
        eprintln!("{}: {d}", file.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_time(text: &str) -> anyhow::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .with_context(|| format!("--received-at {text:?} is not an RFC 3339 time such as 2026-03-02T09:15:00Z"))
}

#[derive(clap::Args)]
pub struct EvalArgs {
    /// Dataset folder: master/, docs/, truth.jsonl, meta.jsonl (SPEC §3).
    #[arg(long)]
    dataset: PathBuf,
    /// Evaluate a random sample of N documents (the honest number).
    #[arg(long)]
    sample: Option<usize>,
    /// Seed of the sample.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Replay in received order, handing each truth back after its decision.
    #[arg(long)]
    replay: bool,
    /// Where to write the predictions (JSONL, SPEC §5).
    #[arg(long)]
    predictions: PathBuf,
    /// Write the JSON report here.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Write the HTML report here.
    #[arg(long)]
    html: Option<PathBuf>,
    /// Also report the curated-versus-live gap: the documents meta.jsonl marks
    /// `"curated": true` against a random sample of everything of the same size.
    #[arg(long)]
    curated: bool,
    /// The extractor for e-mails, PDFs, scans and text: `builtin` (default),
    /// `command:PROGRAM [ARG...]` or `openai:MODEL@BASE_URL`.
    #[arg(long, default_value = "builtin")]
    extractor: String,
    /// A second extractor run in shadow beside the champion, reported beside it
    /// (its predictions go to PREDICTIONS.challenger.jsonl).
    #[arg(long)]
    challenger: Option<String>,
}

pub fn eval(args: &EvalArgs) -> anyhow::Result<ExitCode> {
    let opts = prodline_eval::EvalOptions {
        dataset: args.dataset.clone(),
        sample: args.sample,
        seed: args.seed,
        replay: args.replay,
        predictions: args.predictions.clone(),
        report: args.report.clone(),
        html: args.html.clone(),
        progress: std::io::stderr().is_terminal(),
        curated: args.curated,
        extractors: extractors_from_spec(&args.extractor)?,
        challenger: args.challenger.as_deref().map(extractors_from_spec).transpose()?,
        ..Default::default()
    };
    let report = prodline_eval::run(&opts)?;
    print!("{}", report.summary());
    Ok(ExitCode::SUCCESS)
}

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Where to write the demo dataset and its reports.
    #[arg(long, default_value = "prodline-demo")]
    out: PathBuf,
    /// Seed of the generator: the same seed gives the same manufacturer.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Number of documents to generate.
    #[arg(long, default_value_t = 2000)]
    documents: usize,
    /// Where the review desk and dashboard are served at the end.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// End after the report instead of serving the review desk and dashboard.
    #[arg(long)]
    no_serve: bool,
}

pub fn demo(args: &DemoArgs) -> anyhow::Result<ExitCode> {
    let is_demo = args.out.join("dataset").join("truth.jsonl").exists();
    if args.out.exists() && std::fs::read_dir(&args.out)?.next().is_some() && !is_demo {
        bail!("{} exists and is not a demo folder; choose another --out", args.out.display());
    }
    let dataset = args.out.join("dataset");
    if dataset.exists() {
        std::fs::remove_dir_all(&dataset).with_context(|| format!("clearing {}", dataset.display()))?;
    }
    let config = prodline_demo::DemoConfig { seed: args.seed, documents: args.documents, ..Default::default() };
    let summary = prodline_demo::generate(&dataset, &config)?;
    println!("Generated the demo manufacturer in {} (seed {}):", dataset.display(), args.seed);
    print_demo_summary(&summary);
    let opts = prodline_eval::EvalOptions {
        dataset: dataset.clone(),
        sample: None,
        seed: args.seed,
        replay: true,
        predictions: args.out.join("predictions.jsonl"),
        report: Some(args.out.join("report.json")),
        html: Some(args.out.join("report.html")),
        progress: std::io::stderr().is_terminal(),
        curated: true,
        ..Default::default()
    };
    let report = prodline_eval::run(&opts)?;
    println!("\nEval, replayed in received order (each correction learned after its decision):");
    print!("{}", report.summary());
    let plant = block_on(crate::demo_loop::run(&args.out, &dataset, &summary))??;
    plant.print(&args.out.join("report.html"));
    println!(
        "  {}  the eval, one line per document: decision, reasons, orders",
        args.out.join("predictions.jsonl").display()
    );
    println!("  prodline extract {}/docs/<file> --master {}/master", dataset.display(), dataset.display());
    if !args.no_serve {
        let as_of = plant.story.as_ref().map_or_else(Utc::now, |story| story.as_of);
        block_on(crate::demo_serve::serve(&plant.plant, as_of, &args.listen))??;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_demo_summary(s: &prodline_demo::DemoSummary) {
    let join = |m: &std::collections::BTreeMap<String, usize>| {
        m.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")
    };
    println!("  {} documents holding {} orders, {} customers, {} items", s.documents, s.orders, s.customers, s.items);
    println!("  by format: {}", join(&s.by_format));
    println!("  by channel: {}", join(&s.by_channel));
    println!(
        "  garbage {}, duplicates {}, revised POs {}, orders in e-mails, PDFs, scans and text {}",
        s.garbage, s.duplicates, s.revisions, s.unstructured_orders
    );
    println!("  by group: {}, curated samples {}", join(&s.by_group), s.curated);
    println!("  format change: {} {} from {}: {}", s.drift.customer_id, s.drift.name, s.drift.from, s.drift.change);
    println!(
        "  silent feed: {} {} sends nothing after {} for {} days",
        s.dead_feed.customer_id, s.dead_feed.name, s.dead_feed.last_document, s.dead_feed.gap_days
    );
}

/// `init` and `check` talk to databases and sockets: a small runtime for them.
pub(crate) fn block_on<F: std::future::Future>(future: F) -> anyhow::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    Ok(runtime.block_on(future))
}

pub fn init(dir: &Path) -> anyhow::Result<ExitCode> {
    let written = block_on(prodline_config::init(dir))??;
    println!("Scaffolded a working example in {}:", dir.display());
    for path in &written {
        println!("  {}", path.display());
    }
    println!("\nNext: prodline check -c {}", dir.join(prodline_config::CONFIG_FILE).display());
    Ok(ExitCode::SUCCESS)
}

/// The configuration, or every error in it printed by key.
pub(crate) fn load_config(config_path: &Path) -> Option<prodline_config::Config> {
    match prodline_config::Config::load(config_path) {
        Ok(config) => Some(config),
        Err(errors) => {
            eprintln!("{errors}");
            None
        }
    }
}

pub fn check(config_path: &Path) -> anyhow::Result<ExitCode> {
    let Some(config) = load_config(config_path) else { return Ok(ExitCode::FAILURE) };
    println!("{}: valid", config_path.display());
    let report = block_on(prodline_config::check(&config))?;
    println!("{report}");
    Ok(if report.is_ok() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

pub fn run(config_path: &Path, once: bool, serve: bool) -> anyhow::Result<ExitCode> {
    let Some(config) = load_config(config_path) else { return Ok(ExitCode::FAILURE) };
    let summary = block_on(async {
        let store = open_store(&config.store).await?;
        let clock = prodline_runtime::SystemClock;
        let summary = if once {
            prodline_runtime::run_once(&config, &store, &clock).await
        } else {
            run_serving_http(&config, &store, &clock, serve).await?
        };
        store.close().await;
        anyhow::Ok(summary?)
    })??;
    println!("{summary}");
    Ok(ExitCode::SUCCESS)
}

/// `prodline run` without `--once`: the run loop, plus one upload listener per
/// `http` source feeding its workflow (and the web UI with `--serve`), all
/// stopped by the same SIGTERM or Ctrl-C. Every listener is bound before the
/// loop starts, so a port in use fails the command at once; requests in
/// flight are answered before exit.
async fn run_serving_http(
    config: &prodline_config::Config,
    store: &prodline_store::AnyStore,
    clock: &prodline_runtime::SystemClock,
    serve: bool,
) -> anyhow::Result<Result<prodline_runtime::RunSummary, prodline_runtime::RuntimeError>> {
    // Dropping `stop` (on an early return too) stops every listener.
    let (stop, stopped) = tokio::sync::watch::channel(());
    let mut servers = Vec::new();
    for workflow in &config.workflow {
        for source in &workflow.sources {
            let prodline_config::SourceConfig::Http { listen } = source else { continue };
            let listener =
                prodline_api::bind(listen).await.with_context(|| format!("workflow {}: http source", workflow.name))?;
            if let Ok(address) = listener.local_addr() {
                eprintln!("workflow {}: uploads on http://{address}/api/v1/documents", workflow.name);
            }
            let state = prodline_api::ApiState::new(store.clone(), workflow.name.clone());
            let mut stopped = stopped.clone();
            let shutdown = async move {
                let _ = stopped.changed().await;
            };
            let server = prodline_api::serve_on(listener, state, shutdown);
            servers.push(tokio::spawn(async move { server.await.map_err(anyhow::Error::from) }));
        }
    }
    if serve {
        let listener = crate::web::bind(&config.server.listen).await?;
        let shared_config = Arc::new(config.clone());
        let mut stopped = stopped.clone();
        let shutdown = async move {
            let _ = stopped.changed().await;
        };
        let web = crate::web::serve_on(listener, store.clone(), shared_config, None, shutdown);
        servers.push(tokio::spawn(web));
    }
    let summary = prodline_runtime::run(config, store, clock, shutdown_signal()).await;
    drop(stop);
    for server in servers {
        server.await.context("a listener stopped abnormally")??;
    }
    Ok(summary)
}

pub(crate) async fn open_store(config: &prodline_config::StoreConfig) -> anyhow::Result<prodline_store::AnyStore> {
    use prodline_config::StoreConfig;
    Ok(match config {
        StoreConfig::Sqlite { path } => prodline_store::SqliteStore::open(path)
            .await
            .with_context(|| format!("opening the store {}", path.display()))?
            .into(),
        StoreConfig::Postgres { url_env } => {
            let url = std::env::var(url_env).with_context(|| format!("store.url_env: {url_env} is not set"))?;
            prodline_store::PostgresStore::connect(&url)
                .await
                .with_context(|| format!("connecting to the store at {}", prodline_store::redact_url(&url)))?
                .into()
        }
    })
}

/// Resolves on SIGTERM or Ctrl-C: the runtime finishes the pass it is in and stops.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

fn read(file: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(file).with_context(|| format!("reading {}", file.display()))
}

fn file_name(file: &Path) -> Option<&str> {
    file.file_name().and_then(|n| n.to_str())
}
