//! What the monitor keeps of one decided document: written with the
//! decision (so it is in the store's audit trail, `DecisionRecorded`), read
//! back by the ledger. Small on purpose: the monitor reads every decision
//! of its windows, never the stored outcome with its text.

use chrono::{DateTime, Utc};
use prodline_core::{Group, Usage};
use prodline_extract::Outcome;
use prodline_extract::resolve::ItemMethod;
use prodline_monitor::drift::Observation;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One document as the monitor sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Watch {
    pub workflow: String,
    /// When the pipeline decided: the "decision date" figures are shown by.
    pub decided_at: DateTime<Utc>,
    /// When the document arrived: what feed liveness watches.
    pub received_at: DateTime<Utc>,
    pub group: Group,
    /// The feed the document belongs to, `customer/group`: its customer as
    /// resolved, else its sender, else its source. Drift and liveness are
    /// watched per feed ("C0005/edi"), since one customer's EDI and its
    /// e-mails change, and fall silent, on their own.
    pub feed: String,
    pub observation: Observation,
    /// Orders the pipeline would enter.
    pub orders: u32,
    /// Model money spent on it (already in the budget's currency).
    #[serde(with = "prodline_core::decimal_json")]
    pub model_cost: Decimal,
    pub ocr_pages: u32,
}

impl Watch {
    /// The watch record of `outcome`, decided at `decided_at`.
    pub fn of(
        workflow: &str,
        outcome: &Outcome,
        source: &str,
        received_at: DateTime<Utc>,
        decided_at: DateTime<Utc>,
    ) -> Watch {
        let group = Group::of(outcome.format, outcome.parsed.ocr.is_some());
        let customer = outcome.orders.iter().find_map(|resolved| resolved.order.customer_id.clone());
        let sender = customer.or_else(|| outcome.from.as_deref().map(sender_of)).unwrap_or_else(|| source.to_owned());
        let matched: u64 =
            outcome.orders.iter().flat_map(|resolved| &resolved.items).filter(|item| exact(item.method)).count() as u64;
        let resolved_any = !outcome.orders.is_empty();
        let observation = Observation::of(
            &outcome.parsed,
            outcome.format,
            &sender,
            resolved_any.then_some(matched),
            Some(outcome.confidence),
        );
        Watch {
            workflow: workflow.to_owned(),
            decided_at,
            received_at,
            group,
            feed: format!("{sender}/{}", group.as_str()),
            observation,
            orders: outcome.predicted_orders().len() as u32,
            model_cost: outcome.usage.as_ref().map_or(Decimal::ZERO, |usage: &Usage| usage.cost),
            ocr_pages: outcome.parsed.ocr.as_ref().map_or(0, |ocr| ocr.pages),
        }
    }
}

/// Resolved to exactly one item by a rule, not by a guess.
fn exact(method: ItemMethod) -> bool {
    matches!(
        method,
        ItemMethod::CrossReference
            | ItemMethod::LearnedCrossReference
            | ItemMethod::Sku
            | ItemMethod::Gtin
            | ItemMethod::Alias
    )
}

/// A sender address without its display name, lower case: `"Buyer"
/// <po@acme.example>` and `PO@ACME.EXAMPLE` are one sender.
fn sender_of(from: &str) -> String {
    let address = match (from.rfind('<'), from.rfind('>')) {
        (Some(start), Some(end)) if start < end => from.get(start + 1..end).unwrap_or(from),
        _ => from,
    };
    address.trim().to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sender_is_its_address_in_lower_case() {
        assert_eq!(sender_of("\"Buyer\" <PO@Acme.Example>"), "po@acme.example");
        assert_eq!(sender_of(" po@acme.example "), "po@acme.example");
    }
}
