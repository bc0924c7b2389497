//! The scoring rule (SPEC §4): one definition, used by eval, SLOs and tests.

use rust_decimal::Decimal;

use crate::{CanonicalLine, CanonicalOrder};

/// Does a predicted order match a truth order?
pub fn order_matches(predicted: &CanonicalOrder, truth: &CanonicalOrder) -> bool {
    same_text(&predicted.customer_id, &truth.customer_id)
        && po_key(predicted.customer_po.as_deref()) == po_key(truth.customer_po.as_deref())
        && (truth.requested_date.is_none() || predicted.requested_date == truth.requested_date)
        && (truth.ship_to.is_none() || same_text(&predicted.ship_to, &truth.ship_to))
        && lines_match(&predicted.lines, &truth.lines)
}

/// The PO number as compared: trimmed and upper-cased.
pub fn po_key(po: Option<&str>) -> String {
    po.map(|p| p.trim().to_uppercase()).unwrap_or_default()
}

fn same_text(a: &Option<String>, b: &Option<String>) -> bool {
    a.as_deref().map(str::trim) == b.as_deref().map(str::trim)
}

/// The lines are equal as a multiset of (sku, qty, uom, unit_price).
pub fn lines_match(predicted: &[CanonicalLine], truth: &[CanonicalLine]) -> bool {
    if predicted.len() != truth.len() {
        return false;
    }
    let pairs = max_matching(truth.len(), predicted.len(), |t, p| line_matches(&predicted[p], &truth[t]));
    pairs.len() == truth.len()
}

/// One line against one truth line: sku, qty numerically, uom upper-cased,
/// and the price only where the truth states one.
pub fn line_matches(predicted: &CanonicalLine, truth: &CanonicalLine) -> bool {
    same_text(&predicted.sku, &truth.sku)
        && predicted.qty == truth.qty
        && uom_key(&predicted.uom) == uom_key(&truth.uom)
        && match truth.unit_price {
            None => true,
            Some(t) => predicted.unit_price.is_some_and(|p| price_equal(p, t)),
        }
}

fn uom_key(uom: &Option<String>) -> String {
    uom.as_deref().map(|u| u.trim().to_uppercase()).unwrap_or_default()
}

/// Equal within 0.005 or 0.1 %, whichever is larger.
pub fn price_equal(predicted: Decimal, truth: Decimal) -> bool {
    let tolerance = (truth.abs() * Decimal::new(1, 3)).max(Decimal::new(5, 3));
    (predicted - truth).abs() <= tolerance
}

/// Pair predicted orders with truth orders one to one by matching; returns
/// (truth index, predicted index) pairs of a maximum matching.
pub fn pair_orders(predicted: &[CanonicalOrder], truth: &[CanonicalOrder]) -> Vec<(usize, usize)> {
    max_matching(truth.len(), predicted.len(), |t, p| order_matches(&predicted[p], &truth[t]))
}

/// A document is correct when its predicted and truth orders pair up one to
/// one by matching.
pub fn document_correct(predicted: &[CanonicalOrder], truth: &[CanonicalOrder]) -> bool {
    predicted.len() == truth.len() && pair_orders(predicted, truth).len() == truth.len()
}

/// Maximum bipartite matching (augmenting paths; the sets are small).
/// Returns (left, right) pairs.
pub fn max_matching(left: usize, right: usize, edge: impl Fn(usize, usize) -> bool) -> Vec<(usize, usize)> {
    let adjacency: Vec<Vec<usize>> = (0..left).map(|l| (0..right).filter(|&r| edge(l, r)).collect()).collect();
    let mut owner: Vec<Option<usize>> = vec![None; right];
    for l in 0..left {
        let mut seen = vec![false; right];
        augment(l, &adjacency, &mut owner, &mut seen);
    }
    owner.iter().enumerate().filter_map(|(r, l)| l.map(|l| (l, r))).collect()
}

fn augment(l: usize, adjacency: &[Vec<usize>], owner: &mut [Option<usize>], seen: &mut [bool]) -> bool {
    for &r in &adjacency[l] {
        if seen[r] {
            continue;
        }
        seen[r] = true;
        if owner[r].is_none_or(|other| augment(other, adjacency, owner, seen)) {
            owner[r] = Some(l);
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn line(sku: &str, qty: i64, uom: &str, price: Option<&str>) -> CanonicalLine {
        CanonicalLine {
            sku: Some(sku.into()),
            qty: Decimal::from(qty),
            uom: Some(uom.into()),
            unit_price: price.map(|p| Decimal::from_str(p).unwrap()),
            ..Default::default()
        }
    }

    fn order(po: &str, lines: Vec<CanonicalLine>) -> CanonicalOrder {
        CanonicalOrder { customer_id: Some("C1".into()), customer_po: Some(po.into()), lines, ..Default::default() }
    }

    #[test]
    fn lines_compare_as_a_multiset() {
        let truth = order("po-1", vec![line("A", 2, "EA", Some("1.00")), line("B", 1, "EA", None)]);
        let pred = order(" PO-1 ", vec![line("B", 1, "ea", Some("9.99")), line("A", 2, "EA", Some("1.004"))]);
        assert!(order_matches(&pred, &truth));
        let wrong_qty = order("PO-1", vec![line("B", 2, "EA", None), line("A", 2, "EA", Some("1.00"))]);
        assert!(!order_matches(&wrong_qty, &truth));
    }

    #[test]
    fn price_tolerance_is_the_larger_of_half_a_cent_and_a_tenth_percent() {
        assert!(price_equal(Decimal::from_str("1000.9").unwrap(), Decimal::from(1000)));
        assert!(!price_equal(Decimal::from_str("1001.1").unwrap(), Decimal::from(1000)));
        assert!(price_equal(Decimal::from_str("0.105").unwrap(), Decimal::from_str("0.10").unwrap()));
        assert!(!price_equal(Decimal::from_str("0.106").unwrap(), Decimal::from_str("0.10").unwrap()));
    }

    #[test]
    fn truth_dates_and_ship_to_count_only_where_given() {
        let mut truth = order("1", vec![line("A", 1, "EA", None)]);
        let mut pred = truth.clone();
        pred.requested_date = chrono::NaiveDate::from_ymd_opt(2026, 1, 2);
        pred.ship_to = Some("S1".into());
        assert!(order_matches(&pred, &truth));
        truth.ship_to = Some("S2".into());
        assert!(!order_matches(&pred, &truth));
    }

    #[test]
    fn documents_pair_one_to_one() {
        let a = order("1", vec![line("A", 1, "EA", None)]);
        let b = order("2", vec![line("A", 1, "EA", None)]);
        assert!(document_correct(&[b.clone(), a.clone()], &[a.clone(), b.clone()]));
        assert!(!document_correct(&[a.clone(), a.clone()], &[a.clone(), b.clone()]));
        assert_eq!(pair_orders(&[a.clone(), a.clone()], &[a.clone(), b]).len(), 1);
        assert!(!document_correct(&[a], &[]));
    }
}
