//! The teardown: why an order-entry pilot that works on a laptop dies in
//! production, and which workflow to start with.
//!
//! Pilots in mid-market manufacturing rarely fail on the model. They fail on
//! five things around it, and each is checked here by a stated rule:
//! 1. data — measured on curated samples, not a random sample of production;
//! 2. integration — nobody scoped posting into the ERP;
//! 3. accuracy ownership — nobody owns accuracy once it drifts (no SLO, no
//!    alarm rule, no audit sampling, no alert channel);
//! 4. operating ownership — no owner, no budget line, run cost unknown;
//! 5. value — it lands on nobody's KPI.
//!
//! [`audit`] scores one workflow against the five from plain [`AuditFacts`]
//! (the binary gathers them from prodline.toml, `check` and an eval report;
//! this module reads no config). [`plan`] ranks candidate workflows read by
//! [`parse_candidates`] and proposes the first five. Both reports are serde
//! structs (stable JSON field names) with a Markdown rendering
//! ([`audit_markdown`], [`plan_markdown`]); the audit also as one HTML
//! page ([`audit_html`]).
//!
//! Architecture Invariant: `teardown` does no I/O except
//! [`load_candidates`] reading the one file it is given.

mod audit;
mod html;
pub mod keys;
mod plan;
mod render;

pub use audit::{
    AccuracyFacts, Area, AreaScore, AuditFacts, AuditReport, EvalFacts, Finding, IntegrationFacts, MAX_GAP_POINTS,
    MIN_EVAL_DOCUMENTS, MIN_LOWER_BOUND, OperatingFacts, Owner, Status, ValueFacts, audit,
};
pub use html::audit_html;
pub use plan::{
    Candidate, CandidateProblem, CandidatesError, DataAtHand, FORMULA, Feasibility, HOURS_PER_FTE, PROPOSED,
    PlanReport, RankedCandidate, Risk, load_candidates, parse_candidates, plan,
};
pub use render::{audit_markdown, plan_markdown};
