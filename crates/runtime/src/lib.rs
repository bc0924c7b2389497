//! `prodline run`: folder in, ERP out, through the store and the outbox.
//!
//! One pass ([`Runner::run_once`]) does, for every workflow:
//! 1. intake: each stable file of a folder source is stored (`Store::receive`)
//!    and only then moved to `processed/` (unreadable files to `failed/`);
//! 2. processing: `received` documents are read, resolved and decided, the
//!    outcome and decision stored, and the document moved to `decided`;
//! 3. routing: `decided` documents become `approved` (one outbox delivery per
//!    order) or go to the review queue (`in_review`), with the reason;
//! 4. delivery: due outbox rows are posted to the target (SQL, Tryton or a
//!    file drop); transient failures are retried with back-off, refusals
//!    dead-lettered; a circuit breaker per target stops attempts (and the
//!    counting of attempts) while the target is down;
//! 5. acknowledgements (when configured): an X12 997 per interchange when a
//!    document is processed, an X12 855 per order once posted.
//!
//! IMAP and HTTP sources are served elsewhere (the mailbox intake, the
//! binary's upload endpoint); the run loop skips them.
//!
//! Architecture Invariant: each step reads only what the previous one
//! stored, so a crash anywhere is followed, on restart, by a pass that picks
//! up where the store says; idempotency keys make the ERP see each order once.
//! The runtime is the only crate here that touches the clock and the disk.

mod ack;
mod backoff;
mod breaker;
mod deliver;
mod intake;
pub mod learned;
mod mailbox;
mod memory;
pub mod outbox;
pub mod pause;
mod process;
pub mod review;
mod target;
pub mod watch;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use prodline_config::{Config, ExtractorConfig, SourceConfig, WorkflowConfig};
use prodline_extract::Model;
use prodline_extract::{Extractors, MasterData, MasterDataError, Memory};
use prodline_models::{CommandModel, OpenAiModel, OpenAiSettings};
use prodline_store::{Store, StoreError};

pub use ack::{control_855, control_997, our_order_number};
pub use backoff::{MAX_ATTEMPTS, retry_delay};
pub use breaker::{Breaker, BreakerSettings, CircuitState, Permit, Transition};
pub use target::{DELIVERY_TIMEOUT, TRYTON_CALLS_PER_DELIVERY, TargetBuildError};

/// How often the monitor judges when nothing new is decided.
const WATCH_EVERY: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// Poll interval of `run` when no folder source states one.
const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(30);

/// Where the runtime reads the time: the system clock in production, a fixed
/// one in tests that step through back-off.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Why a run could not start or a pass stopped.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("workflow {workflow}: master data: {source}")]
    MasterData { workflow: String, source: MasterDataError },
    #[error("workflow {workflow}: target: {source}")]
    Target { workflow: String, source: TargetBuildError },
    #[error("workflow {workflow}: extractor: {message}")]
    Extractor { workflow: String, message: String },
    #[error("{}: {source}", .path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

/// What one pass (or a whole run) did, in documents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// New documents stored (a repeat of the same bytes is not counted).
    pub received: u64,
    pub decided: u64,
    /// Documents approved for delivery.
    pub auto: u64,
    /// Documents sent to the review queue.
    pub review: u64,
    pub posted: u64,
    pub dead_lettered: u64,
    pub quarantined: u64,
    /// Due deliveries not attempted because their target's circuit was open.
    pub deferred: u64,
    /// Targets whose circuit is not closed at the end of the pass.
    pub circuits: Vec<CircuitReport>,
    /// Problems that did not stop the pass (a file that could not be moved), each naming its path.
    pub problems: Vec<String>,
    /// Alerts that started or stopped firing (each also an event).
    pub alerts: Vec<watch::AlertChange>,
}

impl RunSummary {
    /// Whether the pass moved any document (waiting deliveries do not count).
    pub fn moved(&self) -> bool {
        [self.received, self.decided, self.auto, self.review, self.posted, self.dead_lettered, self.quarantined]
            .iter()
            .any(|count| *count > 0)
    }

    fn add(&mut self, other: RunSummary) {
        self.received += other.received;
        self.decided += other.decided;
        self.auto += other.auto;
        self.review += other.review;
        self.posted += other.posted;
        self.dead_lettered += other.dead_lettered;
        self.quarantined += other.quarantined;
        self.deferred += other.deferred;
        // The latest pass knows the circuits' current state.
        self.circuits = other.circuits;
        self.problems.extend(other.problems);
        self.alerts.extend(other.alerts);
    }
}

impl fmt::Display for RunSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "received {}, decided {} (auto {}, review {}), posted {}, dead-lettered {}, quarantined {}",
            self.received, self.decided, self.auto, self.review, self.posted, self.dead_lettered, self.quarantined
        )?;
        if self.deferred > 0 {
            write!(f, ", deferred {}", self.deferred)?;
        }
        for circuit in &self.circuits {
            match circuit.state {
                CircuitState::Open { until } => write!(f, "\n  circuit {}: open until {until}", circuit.target)?,
                CircuitState::HalfOpen => write!(f, "\n  circuit {}: half-open", circuit.target)?,
                CircuitState::Closed => write!(f, "\n  circuit {}: closed", circuit.target)?,
            }
        }
        for problem in &self.problems {
            write!(f, "\n  problem: {problem}")?;
        }
        for alert in &self.alerts {
            let state = if alert.fired { "FIRING" } else { "resolved" };
            write!(f, "\n  alert {state} {}: {}", alert.key, alert.summary)?;
        }
        Ok(())
    }
}

/// A target's circuit that is not closed, as a pass ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CircuitReport {
    /// The outbox target name (the workflow's name).
    pub target: String,
    pub state: CircuitState,
}

/// One workflow ready to run: its master data, its learning memory and its target.
struct Workflow {
    config: WorkflowConfig,
    master: MasterData,
    /// The built-in extractor, or a model with the built-in beside it.
    extractors: Extractors,
    /// Persisted per workflow with compare-and-set (`memory.rs`): refreshed
    /// before each processing step, saved after it.
    memory: Memory,
    /// The stored version `memory` was loaded from or saved as (0: none yet); see `memory.rs`.
    memory_version: i64,
    target: target::Target,
    /// Stops deliveries to the target while it is down.
    breaker: Breaker,
    /// Last look at each inbox file, for the stability check.
    looks: HashMap<PathBuf, intake::Look>,
}

impl Workflow {
    /// The outbox target name of this workflow's deliveries.
    fn target_name(&self) -> &str {
        &self.config.name
    }
}

/// The long-lived state of `prodline run`: built once, then one pass after another.
pub struct Runner {
    workflows: Vec<Workflow>,
    worker: String,
    config: Config,
    /// The monitor's reading of the audit trail, kept between passes.
    ledger: watch::Ledger,
    /// Feeds and groups the monitor holds in review.
    holds: watch::Holds,
    /// When the monitor last judged.
    watched_at: Option<DateTime<Utc>>,
}

impl Runner {
    /// Loads master data, connects every target (one that cannot be reached
    /// yet is connected by a later pass) and creates the acknowledgements'
    /// outbound folders. IMAP and HTTP sources are not run
    /// here (see the crate comment).
    pub async fn new(config: &Config) -> Result<Runner, RuntimeError> {
        let mut workflows = Vec::with_capacity(config.workflow.len());
        for workflow in &config.workflow {
            workflows.push(build_workflow(workflow).await?);
        }
        Ok(Runner {
            workflows,
            worker: format!("prodline-{}", std::process::id()),
            config: config.clone(),
            ledger: watch::Ledger::new(),
            holds: watch::Holds::default(),
            watched_at: None,
        })
    }

    /// One pass: intake, processing, routing, delivery, for every workflow.
    pub async fn run_once<S: Store>(&mut self, store: &S, clock: &dyn Clock) -> Result<RunSummary, RuntimeError> {
        let mut summary = RunSummary::default();
        for workflow in &mut self.workflows {
            intake::intake(workflow, store, clock, &mut summary).await?;
            mailbox::intake_mailboxes(workflow, store, clock, &mut summary).await?;
        }
        process::process_received(&mut self.workflows, store, clock, &self.worker, &mut summary).await?;
        self.watch(store, clock, &mut summary).await?;
        process::route_decided(&self.workflows, &self.holds, store, clock, &self.worker, &mut summary).await?;
        for workflow in &mut self.workflows {
            deliver::deliver_due(workflow, store, clock, &mut summary).await?;
        }
        Ok(summary)
    }

    /// The monitor's step, before routing so that its holds apply to what
    /// was just decided: after a pass that decided documents, else at most
    /// once per [`WATCH_EVERY`] (a silent feed is noticed without traffic).
    async fn watch<S: Store>(
        &mut self,
        store: &S,
        clock: &dyn Clock,
        summary: &mut RunSummary,
    ) -> Result<(), RuntimeError> {
        let now = clock.now();
        let due = self.watched_at.is_none_or(|at| now - at >= WATCH_EVERY);
        if summary.decided == 0 && !due {
            return Ok(());
        }
        let (statuses, changes) = watch::watch_step(&self.config, &mut self.ledger, store, now).await?;
        self.holds = watch::Holds::of(&statuses);
        self.watched_at = Some(now);
        summary.problems.extend(watch::notify(&self.config, &changes).await);
        summary.alerts.extend(changes);
        Ok(())
    }

    /// The shortest poll interval of the folder and mailbox sources.
    pub fn poll_interval(&self) -> Duration {
        self.workflows
            .iter()
            .flat_map(|workflow| &workflow.config.sources)
            .filter_map(|source| match source {
                SourceConfig::Folder { poll_interval_seconds, .. }
                | SourceConfig::Imap { poll_interval_seconds, .. } => Some(Duration::from_secs(*poll_interval_seconds)),
                _ => None,
            })
            .min()
            .unwrap_or(DEFAULT_POLL_INTERVAL)
    }

    /// Closes the target connections.
    pub async fn close(&self) {
        for workflow in &self.workflows {
            workflow.target.close().await;
        }
    }
}

async fn build_workflow(config: &WorkflowConfig) -> Result<Workflow, RuntimeError> {
    let workflow = || config.name.clone();
    let master = MasterData::load_dir(&config.master)
        .map_err(|source| RuntimeError::MasterData { workflow: workflow(), source })?;
    let extractors = build_extractors(&config.extractor)
        .map_err(|message| RuntimeError::Extractor { workflow: workflow(), message })?;
    let target = target::Target::build_or_wait(&config.target)
        .await
        .map_err(|source| RuntimeError::Target { workflow: workflow(), source })?;
    if let Some(acknowledgements) = &config.acknowledgements {
        let outbound = &acknowledgements.outbound;
        tokio::fs::create_dir_all(outbound)
            .await
            .map_err(|source| RuntimeError::Io { path: outbound.clone(), source })?;
    }
    Ok(Workflow {
        config: config.clone(),
        master,
        extractors,
        memory: Memory::default(),
        memory_version: 0,
        target,
        breaker: Breaker::new(BreakerSettings::default()),
        looks: HashMap::new(),
    })
}

/// The extractors a workflow's `[workflow.extractor]` asks for: the
/// built-in alone, an external command, or an OpenAI-compatible endpoint
/// (its API key read from `api_key_env` now). `Err` says what is missing.
pub fn build_extractors(config: &ExtractorConfig) -> Result<Extractors, String> {
    let champion: Arc<dyn Model> = match config {
        ExtractorConfig::Builtin => return Ok(Extractors::default()),
        ExtractorConfig::Command { program, args, timeout_seconds } => {
            Arc::new(CommandModel::new(program.clone(), args.clone(), Duration::from_secs(*timeout_seconds)))
        }
        ExtractorConfig::Openai {
            base_url,
            model,
            api_key_env,
            timeout_seconds,
            retries,
            prompt_price_per_million,
            completion_price_per_million,
        } => {
            let api_key = match api_key_env.as_deref().filter(|name| !name.is_empty()) {
                Some(name) => Some(std::env::var(name).map_err(|_| {
                    format!("environment variable {name} (api_key_env) is not set; export the API key in it")
                })?),
                None => None,
            };
            Arc::new(OpenAiModel::new(OpenAiSettings {
                base_url: base_url.clone(),
                model: model.clone(),
                api_key,
                timeout: Duration::from_secs(*timeout_seconds),
                retries: *retries,
                backoff: MODEL_BACKOFF,
                prompt_price_per_million: *prompt_price_per_million,
                completion_price_per_million: *completion_price_per_million,
            }))
        }
    };
    Ok(Extractors { champion: Some(champion), ..Extractors::default() })
}

/// The first back-off of a model endpoint's retries (doubled per retry).
const MODEL_BACKOFF: Duration = Duration::from_millis(500);

/// `prodline run --once`: build, one pass, close.
pub async fn run_once<S: Store>(config: &Config, store: &S, clock: &dyn Clock) -> Result<RunSummary, RuntimeError> {
    let mut runner = Runner::new(config).await?;
    let summary = runner.run_once(store, clock).await;
    runner.close().await;
    summary
}

/// `prodline run`: passes until `shutdown` completes, the next one at once
/// after a pass that moved documents, else after the poll interval; returns
/// the totals. A pass in progress is finished before shutdown is
/// noticed, so a pass never stops half way by choice.
pub async fn run<S: Store>(
    config: &Config,
    store: &S,
    clock: &dyn Clock,
    shutdown: impl Future<Output = ()>,
) -> Result<RunSummary, RuntimeError> {
    let mut runner = Runner::new(config).await?;
    let interval = runner.poll_interval();
    let mut shutdown = std::pin::pin!(shutdown);
    let mut total = RunSummary::default();
    let outcome = loop {
        let wait = match runner.run_once(store, clock).await {
            // Work moved: more is likely waiting (a backlog, the next step of
            // what this pass decided), so the next pass starts at once.
            Ok(summary) if summary.moved() => {
                total.add(summary);
                Duration::ZERO
            }
            Ok(summary) => {
                total.add(summary);
                interval
            }
            Err(error) => break Err(error),
        };
        // A zero timeout still looks at `shutdown` once before it expires.
        if tokio::time::timeout(wait, &mut shutdown).await.is_ok() {
            break Ok(total);
        }
    };
    runner.close().await;
    outcome
}
