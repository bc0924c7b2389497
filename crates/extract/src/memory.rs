//! What the pipeline remembers between documents: orders received (for
//! duplicate detection), quantities per customer and item (for outliers),
//! and cross-references and customer aliases learned from reviewed outcomes.
//!
//! Two doors, kept apart on purpose: [`Memory::observe`] records what
//! production knows without labels; [`Memory::learn`] takes a reviewer's
//! correction. Replay calls `learn` only after the decision it teaches.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use prodline_core::{CanonicalLine, CanonicalOrder, Decimal, PartyRole, ReasonCode};
use serde::{Deserialize, Serialize};

use crate::normalize::{code_key, compact_key, company_key, email_address, email_domain};
use crate::pipeline::{Context, Outcome, ResolvedOrder};
use crate::resolve::{CustomerMethod, ItemMethod};

/// Quantities kept per customer and item: enough for a stable median,
/// bounded so memory stays flat over a long history.
const QTY_HISTORY_CAP: usize = 100;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Memory {
    /// customer id → PO key (trimmed, upper-case) → orders received.
    received: BTreeMap<String, BTreeMap<String, Vec<ReceivedOrder>>>,
    /// customer id → SKU → recent quantities in the item's own unit, oldest first.
    quantities: BTreeMap<String, BTreeMap<String, Vec<Decimal>>>,
    learned: Vec<Learned>,
}

/// One order already received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedOrder {
    /// The document it came in (its file name), when known.
    pub doc: Option<String>,
    pub received_at: Option<DateTime<Utc>>,
    /// Whether it was a replacement or change (BEG01 05/04, BGM 5/4, a revision number).
    pub revision: bool,
    /// Its lines, as a comparable string: a re-sent revision is a duplicate
    /// when its lines are the same.
    pub lines_fingerprint: String,
}

/// What a reviewer's correction taught.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LearnedKind {
    /// (customer, customer part as written, or the description when a line
    /// has no id) → SKU.
    CrossReference,
    /// An interchange sender id or party id → customer.
    CustomerId,
    /// A buyer name → customer.
    CustomerName,
    /// An e-mail sender address → customer.
    CustomerEmail,
    /// A sender's layout: the label before its PO number (`Our ref:`).
    /// Key: the sender (e-mail domain, else customer id); value: the label.
    PoLabel,
    /// A sender's layout: the header of its line table and what each
    /// column holds (`Art.=customer_part | Menge=qty | ...`).
    TableHeader,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Learned {
    pub kind: LearnedKind,
    /// The customer a cross-reference belongs to; `None` for customer keys.
    pub customer_id: Option<String>,
    /// The key as written on the document.
    pub key: String,
    /// The SKU or customer id it means.
    pub value: String,
    pub learned_at: Option<DateTime<Utc>>,
    pub from_doc: Option<String>,
    /// The key normalised for look-ups.
    match_key: String,
}

/// How a learned key is compared: ids without separators, names as company
/// names, addresses lower-cased.
fn match_key(kind: LearnedKind, raw: &str) -> String {
    match kind {
        LearnedKind::CrossReference | LearnedKind::CustomerId => compact_key(raw),
        LearnedKind::CustomerName => company_key(raw),
        LearnedKind::CustomerEmail => email_address(raw).unwrap_or_else(|| raw.trim().to_lowercase()),
        LearnedKind::PoLabel | LearnedKind::TableHeader => raw.trim().to_lowercase(),
    }
}

/// A PO number as a duplicate key (SPEC §4: trimmed, upper-cased).
pub fn po_key(po: &str) -> String {
    code_key(po)
}

/// The lines of an order as one comparable string, order-independent.
pub fn lines_fingerprint(lines: &[CanonicalLine]) -> String {
    let mut parts: Vec<String> = lines
        .iter()
        .map(|l| {
            format!(
                "{}|{}|{}|{}|{}",
                l.sku.as_deref().unwrap_or(""),
                l.customer_part.as_deref().unwrap_or(""),
                l.qty.normalize(),
                l.uom.as_deref().unwrap_or(""),
                l.unit_price.map(|p| p.normalize().to_string()).unwrap_or_default()
            )
        })
        .collect();
    parts.sort();
    parts.join(";")
}

impl Memory {
    /// Orders with this customer and PO number received before.
    pub fn received(&self, customer_id: &str, po: &str) -> &[ReceivedOrder] {
        self.received.get(customer_id).and_then(|m| m.get(&po_key(po))).map_or(&[], Vec::as_slice)
    }

    /// Earlier quantities of this item for this customer, in the item's own unit.
    pub fn quantities(&self, customer_id: &str, sku: &str) -> &[Decimal] {
        self.quantities.get(customer_id).and_then(|m| m.get(sku)).map_or(&[], Vec::as_slice)
    }

    /// Everything learned so far, in the order it was learned.
    pub fn learned(&self) -> Vec<Learned> {
        self.learned.clone()
    }

    /// The customer a learned sender id, name or address means.
    pub fn learned_customer(&self, kind: LearnedKind, key: &str) -> Option<&str> {
        let wanted = match_key(kind, key);
        if wanted.is_empty() {
            return None;
        }
        self.learned.iter().find(|l| l.kind == kind && l.match_key == wanted).map(|l| l.value.as_str())
    }

    /// The label a sender puts before its PO number, learned from a
    /// reviewed document; `senders` are tried in order (e-mail domain,
    /// customer id).
    pub fn learned_po_label(&self, senders: &[String]) -> Option<&str> {
        senders.iter().find_map(|sender| {
            let wanted = match_key(LearnedKind::PoLabel, sender);
            self.learned
                .iter()
                .find(|l| l.kind == LearnedKind::PoLabel && l.match_key == wanted)
                .map(|l| l.value.as_str())
        })
    }

    /// The line-table header a sender uses, learned from a reviewed document.
    pub fn learned_table_header(&self, senders: &[String]) -> Option<&str> {
        senders.iter().find_map(|sender| {
            let wanted = match_key(LearnedKind::TableHeader, sender);
            self.learned
                .iter()
                .find(|l| l.kind == LearnedKind::TableHeader && l.match_key == wanted)
                .map(|l| l.value.as_str())
        })
    }

    /// Take back a learned item (`prodline learned forget`): the one with
    /// this kind, customer and key. Whether it was there.
    pub fn forget(&mut self, item: &Learned) -> bool {
        let before = self.learned.len();
        self.learned
            .retain(|l| !(l.kind == item.kind && l.customer_id == item.customer_id && l.match_key == item.match_key));
        self.learned.len() != before
    }

    /// Take back the learned item at this position of [`Memory::learned`]
    /// (0-based).
    pub fn forget_at(&mut self, index: usize) -> Option<Learned> {
        (index < self.learned.len()).then(|| self.learned.remove(index))
    }

    /// Take back every learned item with this key (as written or
    /// normalised); how many there were.
    pub fn forget_key(&mut self, key: &str) -> usize {
        let before = self.learned.len();
        let wanted = key.trim().to_lowercase();
        self.learned.retain(|l| l.key.to_lowercase() != wanted && l.match_key != match_key(l.kind, key));
        before - self.learned.len()
    }

    /// The SKU a learned cross-reference maps this customer's part to.
    pub fn learned_cross_ref(&self, customer_id: &str, part: &str) -> Option<&str> {
        let wanted = match_key(LearnedKind::CrossReference, part);
        if wanted.is_empty() {
            return None;
        }
        self.learned
            .iter()
            .find(|l| {
                l.kind == LearnedKind::CrossReference
                    && l.match_key == wanted
                    && l.customer_id.as_deref() == Some(customer_id)
            })
            .map(|l| l.value.as_str())
    }

    /// Record what production knows after a decision, without labels: the
    /// orders received and their quantities. Duplicates and cancellations
    /// add no quantities (they order nothing new).
    pub fn observe(&mut self, outcome: &Outcome, ctx: &Context) {
        for resolved in &outcome.orders {
            let Some(customer) = resolved.order.customer_id.clone() else { continue };
            if resolved.has_reason(ReasonCode::Cancellation) {
                continue;
            }
            if let Some(po) = resolved.order.customer_po.as_deref().filter(|p| !p.trim().is_empty()) {
                self.received.entry(customer.clone()).or_default().entry(po_key(po)).or_default().push(ReceivedOrder {
                    doc: ctx.file_name.clone(),
                    received_at: ctx.received_at,
                    revision: resolved.revision,
                    lines_fingerprint: lines_fingerprint(&resolved.order.lines),
                });
            }
            if !resolved.has_reason(ReasonCode::Duplicate) {
                self.observe_quantities(&customer, resolved);
            }
        }
    }

    fn observe_quantities(&mut self, customer: &str, resolved: &ResolvedOrder) {
        let lines = resolved.order.lines.iter().zip(&resolved.base_quantities).enumerate();
        for (i, (line, base_qty)) in lines {
            // An unconfirmed outlier would widen the range it fell outside of.
            let (Some(sku), Some(qty), false) = (line.sku.as_deref(), base_qty, resolved.qty_outliers.contains(&i))
            else {
                continue;
            };
            let history = self.quantities.entry(customer.to_string()).or_default().entry(sku.to_string()).or_default();
            history.push(*qty);
            if history.len() > QTY_HISTORY_CAP {
                history.remove(0);
            }
        }
    }

    /// Take a reviewer's correction of `outcome`: learn the customer's
    /// sender id, name or e-mail address when the customer was not resolved
    /// exactly (or wrongly), and the customer's part numbers whose SKU was
    /// not resolved exactly (or wrongly). Predicted and truth orders pair by
    /// PO number (else by position); lines by line number and quantity, then
    /// position and quantity, then customer part, then a unique quantity.
    pub fn learn(&mut self, outcome: &Outcome, truth: &[CanonicalOrder]) {
        self.learn_layout(outcome, truth);
        for (resolved, truth_order) in pair_orders(&outcome.orders, truth) {
            let Some(customer) = truth_order.customer_id.as_deref() else { continue };
            if needs_customer_lesson(resolved, customer) {
                self.learn_customer(outcome, resolved, customer);
            }
            for (i, truth_line) in pair_lines(&resolved.order.lines, &truth_order.lines) {
                self.learn_line(outcome, resolved, i, customer, truth_line);
            }
        }
    }

    /// [`Memory::learn`], keeping only the lessons `keep` accepts: a
    /// reviewer chooses what a correction teaches (a one-off substitution is
    /// no cross-reference). A lesson not kept leaves what was there before.
    pub fn learn_only(&mut self, outcome: &Outcome, truth: &[CanonicalOrder], keep: impl Fn(&Learned) -> bool) {
        // Learning reads and writes only `learned`: the rest need not be copied.
        let mut taught = Memory { learned: self.learned.clone(), ..Memory::default() };
        taught.learn(outcome, truth);
        let kept: Vec<Learned> =
            taught.learned.into_iter().filter(|item| !self.learned.contains(item) && keep(item)).collect();
        for item in kept {
            let same = |l: &&mut Learned| {
                l.kind == item.kind && l.customer_id == item.customer_id && l.match_key == item.match_key
            };
            match self.learned.iter_mut().find(same) {
                Some(old) => *old = item,
                None => self.learned.push(item),
            }
        }
    }

    /// A sender's layout from a text document the extractor misread: the
    /// words before the true PO number when it missed that, and the header
    /// of the line table when it missed the lines.
    fn learn_layout(&mut self, outcome: &Outcome, truth: &[CanonicalOrder]) {
        let Some(text) = outcome.text.as_ref() else { return };
        for order in truth {
            let Some(po) = order.customer_po.as_deref().filter(|p| !p.trim().is_empty()) else { continue };
            let read_right =
                outcome.orders.iter().any(|o| o.order.customer_po.as_deref().map(po_key) == Some(po_key(po)));
            if read_right {
                continue;
            }
            let sender = outcome.from.as_deref().and_then(email_domain).or_else(|| order.customer_id.clone());
            let (Some(sender), Some(label)) = (sender, crate::text::label_before(text, po)) else { continue };
            self.remember(outcome, LearnedKind::PoLabel, None, &sender, &label);
        }
        for order in truth {
            // The lines were read when every truth SKU was predicted.
            let predicted: Vec<&str> =
                outcome.orders.iter().flat_map(|o| o.order.lines.iter().filter_map(|l| l.sku.as_deref())).collect();
            let read_right = order.lines.iter().all(|l| l.sku.as_deref().is_some_and(|s| predicted.contains(&s)));
            if read_right || order.lines.is_empty() {
                continue;
            }
            let sender = outcome.from.as_deref().and_then(email_domain).or_else(|| order.customer_id.clone());
            let (Some(sender), Some(header)) = (sender, crate::text::learn_table_header(text, order)) else { continue };
            self.remember(outcome, LearnedKind::TableHeader, None, &sender, &header);
        }
    }

    fn learn_customer(&mut self, outcome: &Outcome, resolved: &ResolvedOrder, customer: &str) {
        let Some(parsed) = outcome.parsed.orders.get(resolved.source) else { return };
        let mut keys: Vec<(LearnedKind, String)> = Vec::new();
        keys.extend(parsed.sender.iter().map(|s| (LearnedKind::CustomerId, s.value.clone())));
        keys.extend(parsed.group_sender.iter().map(|s| (LearnedKind::CustomerId, s.clone())));
        for party in parsed.parties.iter().filter(|p| matches!(p.role, PartyRole::Buyer | PartyRole::BillTo)) {
            keys.extend(party.id.iter().map(|id| (LearnedKind::CustomerId, id.value.clone())));
            keys.extend(party.name.iter().map(|n| (LearnedKind::CustomerName, n.clone())));
        }
        keys.extend(outcome.from.iter().map(|f| (LearnedKind::CustomerEmail, f.clone())));
        for (kind, key) in keys {
            self.remember(outcome, kind, None, &key, customer);
        }
    }

    fn learn_line(
        &mut self,
        outcome: &Outcome,
        resolved: &ResolvedOrder,
        index: usize,
        customer: &str,
        truth: &CanonicalLine,
    ) {
        let Some(truth_sku) = truth.sku.as_deref() else { return };
        let (Some(line), Some(found)) = (resolved.order.lines.get(index), resolved.items.get(index)) else { return };
        let exact = !matches!(found.method, ItemMethod::Fuzzy | ItemMethod::Ambiguous | ItemMethod::Unresolved);
        if exact && line.sku.as_deref() == Some(truth_sku) && resolved.order.customer_id.as_deref() == Some(customer) {
            return;
        }
        let key = line.customer_part.as_deref().or(line.description.as_deref());
        if let Some(key) = key {
            self.remember(outcome, LearnedKind::CrossReference, Some(customer), key, truth_sku);
        }
    }

    /// Add or update one learned item; an unchanged one is left as it was.
    fn remember(&mut self, outcome: &Outcome, kind: LearnedKind, customer: Option<&str>, key: &str, value: &str) {
        let match_key = match_key(kind, key);
        if match_key.is_empty() {
            return;
        }
        let customer_id = customer.map(str::to_string);
        let existing = self
            .learned
            .iter_mut()
            .find(|l| l.kind == kind && l.match_key == match_key && l.customer_id == customer_id);
        let entry = Learned {
            kind,
            customer_id: customer_id.clone(),
            key: key.trim().to_string(),
            value: value.to_string(),
            learned_at: outcome.received_at,
            from_doc: outcome.file_name.clone(),
            match_key,
        };
        match existing {
            Some(old) if old.value == value => {}
            Some(old) => *old = entry,
            None => self.learned.push(entry),
        }
    }
}

/// Whether the customer of this order was found by a guess or not at all,
/// or found wrongly: then its ids and names are worth learning.
fn needs_customer_lesson(resolved: &ResolvedOrder, truth_customer: &str) -> bool {
    let method = resolved.customer.method;
    let weak = matches!(method, CustomerMethod::Fuzzy | CustomerMethod::Ambiguous | CustomerMethod::Unresolved);
    weak || resolved.order.customer_id.as_deref() != Some(truth_customer)
}

/// Predicted orders paired with truth orders: by PO number, else by position.
fn pair_orders<'a>(
    predicted: &'a [ResolvedOrder],
    truth: &'a [CanonicalOrder],
) -> Vec<(&'a ResolvedOrder, &'a CanonicalOrder)> {
    let mut used = vec![false; truth.len()];
    let mut pairs = Vec::new();
    for (i, resolved) in predicted.iter().enumerate() {
        let key = resolved.order.customer_po.as_deref().map(po_key);
        let by_po = truth.iter().enumerate().position(|(j, t)| {
            !used.get(j).copied().unwrap_or(true) && key.is_some() && t.customer_po.as_deref().map(po_key) == key
        });
        let by_position = (predicted.len() == truth.len() && !used.get(i).copied().unwrap_or(true)).then_some(i);
        if let Some(j) = by_po.or(by_position)
            && let (Some(t), Some(slot)) = (truth.get(j), used.get_mut(j))
        {
            *slot = true;
            pairs.push((resolved, t));
        }
    }
    pairs
}

/// Predicted line positions paired with truth lines.
fn pair_lines<'a>(predicted: &[CanonicalLine], truth: &'a [CanonicalLine]) -> Vec<(usize, &'a CanonicalLine)> {
    let mut used = vec![false; truth.len()];
    let mut pairs = Vec::new();
    let free = |used: &[bool], j: usize| !used.get(j).copied().unwrap_or(true);
    for (i, line) in predicted.iter().enumerate() {
        let same_part = |t: &CanonicalLine| {
            line.customer_part.is_some()
                && t.customer_part.as_deref().map(code_key) == line.customer_part.as_deref().map(code_key)
        };
        let by_number = truth
            .iter()
            .enumerate()
            .position(|(j, t)| free(&used, j) && line.line.is_some() && t.line == line.line && t.qty == line.qty);
        let by_position = truth.get(i).filter(|t| free(&used, i) && t.qty == line.qty).map(|_| i);
        let by_part = truth.iter().enumerate().position(|(j, t)| free(&used, j) && same_part(t));
        let same_qty: Vec<usize> =
            truth.iter().enumerate().filter(|(j, t)| free(&used, *j) && t.qty == line.qty).map(|(j, _)| j).collect();
        let by_qty = if let [j] = same_qty.as_slice() { Some(*j) } else { None };
        if let Some(j) = by_number.or(by_position).or(by_part).or(by_qty)
            && let (Some(t), Some(slot)) = (truth.get(j), used.get_mut(j))
        {
            *slot = true;
            pairs.push((i, t));
        }
    }
    pairs
}
