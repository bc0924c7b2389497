//! What extraction cost: money, model calls, tokens and time, from the
//! [`Usage`] each extractor reports, overall, by group and by extractor.
//!
//! A document without usage (read by a structured reader, or by an
//! extractor that reports nothing) costs nothing and still counts in the
//! per-document mean: the mean is what a document of the mix costs.

use std::collections::BTreeMap;

use prodline_core::{Decimal, Decision, Usage};
use serde::{Deserialize, Serialize};

use crate::score::ScoredDocument;

/// The key of documents without usage in [`CostReport::by_extractor`].
pub const NO_EXTRACTOR: &str = "none";

/// Cost overall, by group and by extractor.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CostReport {
    pub overall: CostFigures,
    /// By [`prodline_core::Group`] name.
    pub by_group: BTreeMap<String, CostFigures>,
    /// By `Usage::extractor` (`builtin`, `command`, `openai:MODEL`); documents
    /// without usage under [`NO_EXTRACTOR`].
    pub by_extractor: BTreeMap<String, CostFigures>,
}

/// The cost of one segment of documents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CostFigures {
    pub documents: u64,
    /// Documents whose extractor reported usage.
    pub documents_with_usage: u64,
    pub calls: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Wall time spent in models, milliseconds.
    pub millis: u64,
    /// Money, in the currency the models are priced in.
    #[serde(with = "prodline_core::decimal_json")]
    pub total: Decimal,
    /// `total / documents`; `None` with no documents.
    #[serde(with = "prodline_core::decimal_json::option")]
    pub per_document: Option<Decimal>,
    /// Orders of auto-approved documents: posted with nobody looking.
    pub auto_posted_orders: u64,
    /// `total / auto_posted_orders`: what one order entered without a person
    /// cost, review traffic included; `None` when none was auto-posted.
    #[serde(with = "prodline_core::decimal_json::option")]
    pub per_auto_posted_order: Option<Decimal>,
}

/// Running sums of one segment.
#[derive(Default)]
struct CostTally {
    documents: u64,
    usage_documents: u64,
    usage: Usage,
    auto_orders: u64,
}

impl CostTally {
    fn add(&mut self, record: &ScoredDocument) {
        self.documents += 1;
        if record.decision == Decision::Auto {
            self.auto_orders += record.predicted.len() as u64;
        }
        let Some(usage) = &record.usage else { return };
        self.usage_documents += 1;
        // Not `Usage::add`: a model may report an absurd cost, and a sum
        // that overflows must not bring the evaluation down.
        self.usage.calls = self.usage.calls.saturating_add(usage.calls);
        self.usage.prompt_tokens = self.usage.prompt_tokens.saturating_add(usage.prompt_tokens);
        self.usage.completion_tokens = self.usage.completion_tokens.saturating_add(usage.completion_tokens);
        self.usage.millis = self.usage.millis.saturating_add(usage.millis);
        self.usage.cost = self.usage.cost.saturating_add(usage.cost);
    }

    fn figures(&self) -> CostFigures {
        let total = self.usage.cost;
        CostFigures {
            documents: self.documents,
            documents_with_usage: self.usage_documents,
            calls: u64::from(self.usage.calls),
            prompt_tokens: self.usage.prompt_tokens,
            completion_tokens: self.usage.completion_tokens,
            millis: self.usage.millis,
            total,
            per_document: per(total, self.documents),
            auto_posted_orders: self.auto_orders,
            per_auto_posted_order: per(total, self.auto_orders),
        }
    }
}

/// `total / n`, `None` when `n` is 0; rounded to 6 places (a millionth of
/// a currency unit is below any price a model is sold at per token batch).
fn per(total: Decimal, n: u64) -> Option<Decimal> {
    if n == 0 {
        return None;
    }
    total.checked_div(Decimal::from(n)).map(|d| d.round_dp(6).normalize())
}

/// Sum the usage of the evaluated documents.
pub fn cost_report(records: &[ScoredDocument]) -> CostReport {
    let mut overall = CostTally::default();
    let mut by_group: BTreeMap<String, CostTally> = BTreeMap::new();
    let mut by_extractor: BTreeMap<String, CostTally> = BTreeMap::new();
    for record in records {
        overall.add(record);
        by_group.entry(record.group.as_str().to_string()).or_default().add(record);
        let extractor = record.usage.as_ref().map(|u| u.extractor.trim()).filter(|e| !e.is_empty());
        by_extractor.entry(extractor.unwrap_or(NO_EXTRACTOR).to_string()).or_default().add(record);
    }
    let figures = |map: BTreeMap<String, CostTally>| map.into_iter().map(|(k, t)| (k, t.figures())).collect();
    CostReport { overall: overall.figures(), by_group: figures(by_group), by_extractor: figures(by_extractor) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_is_none_for_nothing_and_rounded_otherwise() {
        assert_eq!(per(Decimal::ONE, 0), None);
        assert_eq!(per(Decimal::ONE, 3), Some(Decimal::new(333_333, 6)));
        assert_eq!(per(Decimal::new(30, 1), 2), Some(Decimal::new(15, 1)));
    }
}
