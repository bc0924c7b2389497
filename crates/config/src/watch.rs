//! The monitoring sections of a workflow: `[workflow.slo]` and
//! `[workflow.drift]` (feed liveness, budget, KPI and alert channels are
//! decoded into the types of `prodline-monitor` and `prodline-alerts`).

use std::collections::BTreeMap;

use prodline_monitor::drift::DriftConfig;
use prodline_monitor::liveness::FeedCadenceConfig;
use serde::{Deserialize, Serialize};

/// `[workflow.liveness]`: when each feed is expected to deliver. A feed
/// (`customer/group`, as `prodline status` names it) not listed has its
/// cadence learned from its arrivals; `[workflow.liveness.feed."C0001/edi"]
/// expected_every_hours = 24` sets one (business hours of `[calendar]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LivenessSettings {
    /// Learn the cadence of feeds not listed (on by default).
    #[serde(default = "default_learn")]
    pub learn: bool,
    #[serde(default)]
    pub feed: BTreeMap<String, FeedCadenceConfig>,
}

impl Default for LivenessSettings {
    fn default() -> Self {
        LivenessSettings { learn: default_learn(), feed: BTreeMap::new() }
    }
}

fn default_learn() -> bool {
    true
}

/// `[workflow.slo]`: the accuracy the owner signs up to, and how a breach is
/// told from bad luck.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SloSettings {
    /// Auto-approve accuracy the workflow promises (0 to 1), e.g. 0.92.
    #[serde(default = "default_target")]
    pub target: f64,
    /// The window rule people write: alert when accuracy over the last
    /// `window` labelled documents is below `below`. Its false-alarm
    /// probability at `target` is reported next to it.
    #[serde(default = "default_window")]
    pub window: u32,
    #[serde(default = "default_below")]
    pub below: f64,
    /// The sequential test (Wald's SPRT) alarms when accuracy has fallen by
    /// `drop` below the target, with false-alarm rate `false_alarm` and miss
    /// rate `miss`.
    #[serde(default = "default_drop")]
    pub drop: f64,
    #[serde(default = "default_false_alarm")]
    pub false_alarm: f64,
    #[serde(default = "default_miss")]
    pub miss: f64,
    /// What a breach does besides alerting the owner.
    #[serde(default)]
    pub on_breach: BreachPolicy,
}

impl Default for SloSettings {
    fn default() -> Self {
        SloSettings {
            target: default_target(),
            window: default_window(),
            below: default_below(),
            drop: default_drop(),
            false_alarm: default_false_alarm(),
            miss: default_miss(),
            on_breach: BreachPolicy::default(),
        }
    }
}

/// What an SLO breach does to the source group that breached.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreachPolicy {
    /// Alert the owner; nothing else changes.
    #[default]
    Alert,
    /// Alert, and send every document of that group to review until the
    /// owner releases the hold (`prodline monitor release`).
    ReviewAll,
}

/// What drift does to the drifting feed besides alerting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftPolicy {
    /// The feed's documents go to review while it drifts (reason `drift`).
    #[default]
    Review,
    /// Alert only.
    Alert,
}

/// `[workflow.drift]`: each feed's recent documents against the ones before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftSettings {
    /// The feed's last `recent` documents are compared with the `reference`
    /// documents before them. Counts rather than days: a feed sending three
    /// orders a week and one sending three hundred a day both get a check
    /// that reacts within a few documents.
    #[serde(default = "default_recent")]
    pub recent: u64,
    #[serde(default = "default_reference")]
    pub reference: u64,
    /// Jensen–Shannon divergence of the layout mix that counts as drift.
    #[serde(default = "default_fingerprint_js")]
    pub fingerprint_js: f64,
    /// Largest change of a field's presence rate that counts as drift.
    #[serde(default = "default_presence_change")]
    pub presence_change: f64,
    /// Fall of the exact-match rate of lines that counts as drift.
    #[serde(default = "default_match_rate_drop")]
    pub match_rate_drop: f64,
    /// Population stability index of the confidence that counts as drift.
    #[serde(default = "default_confidence_psi")]
    pub confidence_psi: f64,
    /// Documents each window needs before anything is judged.
    #[serde(default = "default_min_documents")]
    pub min_documents: u64,
    #[serde(default)]
    pub on_drift: DriftPolicy,
}

impl Default for DriftSettings {
    fn default() -> Self {
        DriftSettings {
            recent: default_recent(),
            reference: default_reference(),
            fingerprint_js: default_fingerprint_js(),
            presence_change: default_presence_change(),
            match_rate_drop: default_match_rate_drop(),
            confidence_psi: default_confidence_psi(),
            min_documents: default_min_documents(),
            on_drift: DriftPolicy::default(),
        }
    }
}

impl DriftSettings {
    /// The thresholds as the drift check takes them.
    pub fn check(&self) -> DriftConfig {
        DriftConfig {
            fingerprint_js: self.fingerprint_js,
            presence_change: self.presence_change,
            match_rate_drop: self.match_rate_drop,
            confidence_psi: self.confidence_psi,
            min_documents: self.min_documents,
        }
    }
}

/// Problems of the two sections, each with the key under `prefix`.
pub(crate) fn slo_problems(slo: &SloSettings) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    let share = |key: &'static str, value: f64, problems: &mut Vec<(&'static str, String)>| {
        if !(value > 0.0 && value < 1.0) {
            problems.push((key, format!("{value} is not a share; expected between 0 and 1")));
        }
    };
    share("target", slo.target, &mut problems);
    share("below", slo.below, &mut problems);
    share("false_alarm", slo.false_alarm, &mut problems);
    share("miss", slo.miss, &mut problems);
    if !(slo.drop > 0.0 && slo.drop < slo.target) {
        problems.push(("drop", format!("{} is not a fall of accuracy below the target {}", slo.drop, slo.target)));
    }
    if slo.window == 0 {
        problems.push(("window", "0 documents; expected a window of labelled documents, e.g. 100".to_owned()));
    }
    problems
}

pub(crate) fn drift_problems(drift: &DriftSettings) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    if drift.recent == 0 || drift.reference == 0 {
        problems.push(("recent", "windows of 0 documents; expected e.g. recent = 10, reference = 60".to_owned()));
    }
    if drift.min_documents > drift.recent {
        problems.push((
            "min_documents",
            format!(
                "{} is more than the recent window of {}: nothing would be judged",
                drift.min_documents, drift.recent
            ),
        ));
    }
    for (key, value) in [
        ("fingerprint_js", drift.fingerprint_js),
        ("presence_change", drift.presence_change),
        ("match_rate_drop", drift.match_rate_drop),
        ("confidence_psi", drift.confidence_psi),
    ] {
        if !(value > 0.0 && value.is_finite()) {
            problems.push((key, format!("{value} is not a threshold; expected a positive number")));
        }
    }
    problems
}

fn default_target() -> f64 {
    0.92
}
fn default_window() -> u32 {
    100
}
fn default_below() -> f64 {
    0.90
}
fn default_drop() -> f64 {
    0.05
}
fn default_false_alarm() -> f64 {
    0.01
}
fn default_miss() -> f64 {
    0.05
}
fn default_recent() -> u64 {
    10
}
fn default_reference() -> u64 {
    60
}
fn default_fingerprint_js() -> f64 {
    0.1
}
fn default_presence_change() -> f64 {
    0.2
}
fn default_match_rate_drop() -> f64 {
    0.1
}
fn default_confidence_psi() -> f64 {
    0.2
}
fn default_min_documents() -> u64 {
    10
}
