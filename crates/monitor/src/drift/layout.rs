//! The layout fingerprint of one read document: what shape the sender's
//! documents have, independent of what they order.
//!
//! A fingerprint is built from what the reader kept in
//! [`ParsedDocument`] — the raw EDI segment pattern is gone by then, so it
//! uses what stands for it: the interchange sender id with its qualifier,
//! which order-level fields and qualifiers are present, and per line which
//! fields are present and which kinds of item id are written in which shape.
//! Two documents from the same sender get the same fingerprint exactly when
//! those agree, so a sender that changes its ISA id or starts writing our
//! SKUs instead of its own part numbers gets a new fingerprint on the first
//! such document, long before enough labels arrive to see accuracy fall.

use std::collections::BTreeSet;

use prodline_core::{Format, ItemIdKind, ParsedDocument, ParsedLine, ParsedOrder, PartyRole};
use serde::Serialize;

/// The layout of one document. Every set is a `BTreeSet`, so [`Layout::key`]
/// is the same string on every run and every machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Layout {
    pub format: Format,
    /// The source as the caller names it (customer id, mailbox, feed).
    pub sender: String,
    /// Interchange senders as read (`qualifier:id`, ISA05:ISA06 / UNB), if any.
    pub interchange: BTreeSet<String>,
    /// Order-level fields present on any order (see [`order_fields`]).
    pub order_fields: BTreeSet<String>,
    /// The distinct line shapes (see [`line_shape`]).
    pub line_shapes: BTreeSet<String>,
    /// Each kind of item id on the lines with its separators (see [`Layout::key`]).
    pub item_ids: BTreeSet<String>,
}

impl Layout {
    /// The layout of `doc`, read as `format`, from `sender`.
    pub fn of(doc: &ParsedDocument, format: Format, sender: &str) -> Layout {
        let mut layout = Layout {
            format,
            sender: sender.trim().to_string(),
            interchange: BTreeSet::new(),
            order_fields: BTreeSet::new(),
            line_shapes: BTreeSet::new(),
            item_ids: BTreeSet::new(),
        };
        for order in &doc.orders {
            if let Some(id) = &order.sender {
                layout.interchange.insert(format!("{}:{}", id.qualifier.as_deref().unwrap_or(""), id.value.trim()));
            }
            layout.order_fields.extend(order_fields(order));
            layout.line_shapes.extend(order.lines.iter().map(line_shape));
            for line in &order.lines {
                layout
                    .item_ids
                    .extend(line.item_ids.iter().map(|id| format!("{}:{}", kind_name(id.kind), separators(&id.value))));
            }
        }
        layout
    }

    /// The layout's stable part as one readable string:
    /// `format|sender|interchange|item ids`, the item ids being each kind of
    /// id the lines carry with the separators its values are written with
    /// (`vendor_part:-` for `FE-100-PV`, `vendor_part:` for `FE100PV`).
    ///
    /// Optional fields (a price on some lines, a requested date on most
    /// orders) and the letters and digits of ids vary from one document of a
    /// sender to the next, so they are left out of the key: they would make
    /// every document of a feed look new. Their rates are watched on their
    /// own (field presence).
    pub fn key(&self) -> String {
        let join = |set: &BTreeSet<String>, sep: &str| set.iter().map(String::as_str).collect::<Vec<_>>().join(sep);
        format!("{}|{}|{}|{}", self.format, self.sender, join(&self.interchange, ","), join(&self.item_ids, ","))
    }

    /// A short id for the key: 16 hex digits of its 64-bit FNV-1a hash.
    /// FNV rather than std's `DefaultHasher`, whose output may change
    /// between Rust releases: fingerprints are stored and compared across
    /// runs.
    pub fn id(&self) -> String {
        format!("{:016x}", fnv1a(self.key().as_bytes()))
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET, |h, &b| (h ^ u64::from(b)).wrapping_mul(PRIME))
}

/// The order-level fields present on `order`: `po`, `order_date`,
/// `requested_date`, `currency`, `declared_line_count`, `charges`, `notes`,
/// `purpose`, `order_type`, one `date:<qualifier>` and `ref:<qualifier>` per
/// qualifier, and one `party:<role>` (plus `party:<role>@<id qualifier>`)
/// per party. Qualifiers are codes from a closed list in EDI, so the set
/// stays small.
pub fn order_fields(order: &ParsedOrder) -> BTreeSet<String> {
    let flags = [
        ("po", order.po_number.is_some()),
        ("order_date", order.order_date.is_some()),
        ("requested_date", order.requested_date.is_some()),
        ("currency", order.currency.is_some()),
        ("declared_line_count", order.declared_line_count.is_some()),
        ("charges", !order.charges.is_empty()),
        ("notes", !order.notes.is_empty()),
        ("purpose", order.purpose.is_some()),
        ("order_type", order.order_type.is_some()),
    ];
    let mut fields: BTreeSet<String> = flags.iter().filter(|(_, on)| *on).map(|(name, _)| name.to_string()).collect();
    fields.extend(order.dates.iter().map(|d| format!("date:{}", d.qualifier.trim())));
    fields.extend(order.references.iter().map(|r| format!("ref:{}", r.qualifier.trim())));
    for party in &order.parties {
        let role = role_name(party.role);
        fields.insert(format!("party:{role}"));
        if let Some(q) = party.id.as_ref().and_then(|id| id.qualifier.as_deref()) {
            fields.insert(format!("party:{role}@{}", q.trim()));
        }
    }
    fields
}

/// The line-level fields present on `line`: `line_no`, `description`,
/// `qty`, `uom`, `price`, `price_basis`, `pack`, `dates`, `charges`,
/// `distribution`, and one `id:<kind>` per kind of item id.
pub fn line_fields(line: &ParsedLine) -> BTreeSet<String> {
    let flags = [
        ("line_no", line.line_no.is_some()),
        ("description", line.description.as_deref().is_some_and(|d| !d.trim().is_empty())),
        ("qty", line.qty.is_some()),
        ("uom", line.uom.is_some()),
        ("price", line.unit_price.is_some()),
        ("price_basis", line.price_basis.is_some()),
        ("pack", line.pack_size.is_some()),
        ("dates", !line.dates.is_empty()),
        ("charges", !line.charges.is_empty()),
        ("distribution", !line.distribution.is_empty()),
    ];
    let mut fields: BTreeSet<String> = flags.iter().filter(|(_, on)| *on).map(|(name, _)| name.to_string()).collect();
    fields.extend(line.item_ids.iter().map(|id| format!("id:{}", kind_name(id.kind))));
    fields
}

/// One line's shape: its fields (as [`line_fields`]), with each item id
/// written as `id:<kind>=<value shape>` (see [`value_shape`]), joined by `+`.
/// The value shape is what tells "AB-1234" from "AB1234": the same kind of
/// id written differently still fails the cross-reference.
pub fn line_shape(line: &ParsedLine) -> String {
    let mut parts: BTreeSet<String> = line_fields(line).into_iter().filter(|f| !f.starts_with("id:")).collect();
    parts.extend(line.item_ids.iter().map(|id| format!("id:{}={}", kind_name(id.kind), value_shape(&id.value))));
    parts.into_iter().collect::<Vec<_>>().join("+")
}

/// The character classes of an identifier with runs collapsed: letters
/// become `A`, digits `9`, anything else stays; `"AB-1234"` → `"A-9"`,
/// `"AB1234"` → `"A9"`, `"012345678905"` → `"9"`. Collapsing runs keeps the
/// number of shapes small while keeping separators, which is what senders
/// change.
pub fn value_shape(value: &str) -> String {
    let mut shape = String::new();
    for c in value.trim().chars() {
        let class = if c.is_alphabetic() {
            'A'
        } else if c.is_ascii_digit() {
            '9'
        } else {
            c
        };
        if !shape.ends_with(class) || !matches!(class, 'A' | '9') {
            shape.push(class);
        }
    }
    shape
}

/// The characters of an id that are neither letters nor digits, in order,
/// once each: `"FE-100-PV"` → `"-"`, `"FE100PV"` → `""`, `"12.34/5"` → `"./"`.
pub fn separators(value: &str) -> String {
    let mut seen = String::new();
    for c in value.trim().chars().filter(|c| !c.is_alphanumeric()) {
        if !seen.contains(c) {
            seen.push(c);
        }
    }
    seen
}

fn kind_name(kind: ItemIdKind) -> &'static str {
    match kind {
        ItemIdKind::BuyerPart => "buyer_part",
        ItemIdKind::VendorPart => "vendor_part",
        ItemIdKind::Gtin => "gtin",
        ItemIdKind::Sku => "sku",
        ItemIdKind::Other => "other",
    }
}

fn role_name(role: PartyRole) -> &'static str {
    match role {
        PartyRole::Buyer => "buyer",
        PartyRole::ShipTo => "ship_to",
        PartyRole::BillTo => "bill_to",
        PartyRole::Supplier => "supplier",
        PartyRole::ShipFrom => "ship_from",
        PartyRole::Other => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_shapes_collapse_runs_and_keep_separators() {
        assert_eq!(value_shape("AB-1234"), "A-9");
        assert_eq!(value_shape("AB1234"), "A9");
        assert_eq!(value_shape(" 012345678905 "), "9");
        assert_eq!(value_shape("A1B2"), "A9A9");
        assert_eq!(value_shape("X--1"), "A--9");
        assert_eq!(value_shape(""), "");
    }

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
