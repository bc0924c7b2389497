//! Orders exactly as a reader found them, before master data: party ids and
//! item ids with their qualifiers, raw units, stated prices and dates.
//! This is what `prodline parse --json` prints.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{Diagnostic, Format, Position};

/// Everything one document yielded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParsedDocument {
    pub format: Option<Format>,
    pub orders: Vec<ParsedOrder>,
    /// Transaction sets / messages that are not orders (810, 997, INVOIC...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedSet>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<Diagnostic>,
    /// Set when the document (or part of it) was read by OCR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocr: Option<crate::OcrStats>,
}

impl ParsedDocument {
    pub fn new(format: Format) -> Self {
        ParsedDocument { format: Some(format), ..Default::default() }
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.severity == crate::Severity::Error)
    }

    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }
}

/// A transaction set or message that was recognised and skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedSet {
    /// `810`, `997`, `INVOIC`...
    pub kind: String,
    pub position: Position,
}

/// Role of a party on an order, normalised across formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyRole {
    /// X12 BY, EDIFACT BY.
    Buyer,
    /// X12 ST, EDIFACT DP/ST.
    ShipTo,
    /// X12 BT, EDIFACT IV.
    BillTo,
    /// X12 SU/SE/VN, EDIFACT SU.
    Supplier,
    /// X12 SF.
    ShipFrom,
    Other,
}

impl PartyRole {
    /// Normalise an X12 N101 or EDIFACT NAD 3035 code.
    pub fn from_code(code: &str) -> PartyRole {
        match code.trim().to_ascii_uppercase().as_str() {
            "BY" | "OB" => PartyRole::Buyer,
            "ST" | "DP" | "SN" | "DA" => PartyRole::ShipTo,
            "BT" | "IV" | "BS" => PartyRole::BillTo,
            "SU" | "SE" | "VN" | "SO" => PartyRole::Supplier,
            "SF" | "SH" => PartyRole::ShipFrom,
            _ => PartyRole::Other,
        }
    }
}

/// An identifier with the qualifier that says whose code it is
/// (X12 N103/N104, EDIFACT NAD C082, ISA05/ISA06...).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PartyId {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<String>,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub role: PartyRole,
    /// The code as written (BY, ST, DP, IV...).
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<PartyId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub address: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
}

impl Party {
    pub fn new(code: &str) -> Party {
        Party {
            role: PartyRole::from_code(code),
            code: code.trim().to_string(),
            id: None,
            name: None,
            address: Vec::new(),
            city: None,
            region: None,
            postal_code: None,
            country: None,
            references: Vec::new(),
        }
    }
}

/// A qualified reference (X12 REF, EDIFACT RFF): `{"qualifier": "DP", "value": "042"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    pub qualifier: String,
    pub value: String,
}

/// A dated event with its qualifier (X12 DTM01, EDIFACT 2005).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualifiedDate {
    pub qualifier: String,
    pub date: NaiveDate,
}

/// Whose code an item identifier is, normalised across formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemIdKind {
    /// The buyer's own part number (X12 BP/IN/CB/PI, EDIFACT IN/BP): resolved
    /// through the customer's cross-reference.
    BuyerPart,
    /// Our (the vendor's) part number (X12 VP/VN/VA/MG, EDIFACT SA/VN/MF).
    VendorPart,
    /// UPC, EAN or GTIN (X12 UP/UK/UI/EN/EA/UA, EDIFACT EN/SRV/UP).
    Gtin,
    /// A SKU or other catalogue number whose owner is not stated.
    Sku,
    Other,
}

impl ItemIdKind {
    /// Normalise an X12 product/service id qualifier (PO106, PO108...).
    pub fn from_x12(qualifier: &str) -> ItemIdKind {
        let mut key = [0u8; 4];
        match upper_code(qualifier, &mut key) {
            b"BP" | b"IN" | b"CB" | b"PI" | b"PD" | b"BL" => ItemIdKind::BuyerPart,
            b"VP" | b"VN" | b"VA" | b"MG" | b"MF" | b"VC" | b"SV" => ItemIdKind::VendorPart,
            b"UP" | b"UK" | b"UI" | b"UN" | b"UA" | b"EN" | b"EA" | b"EO" | b"UD" => ItemIdKind::Gtin,
            b"SK" | b"ST" => ItemIdKind::Sku,
            _ => ItemIdKind::Other,
        }
    }

    /// Normalise an EDIFACT item type code (LIN C212 7143, PIA 7143).
    pub fn from_edifact(code: &str) -> ItemIdKind {
        let mut key = [0u8; 4];
        match upper_code(code, &mut key) {
            b"IN" | b"BP" | b"BC" => ItemIdKind::BuyerPart,
            b"SA" | b"VN" | b"MF" | b"MP" | b"SN" => ItemIdKind::VendorPart,
            b"EN" | b"SRV" | b"UP" | b"EAN" | b"GTIN" | b"SRS" => ItemIdKind::Gtin,
            b"SK" => ItemIdKind::Sku,
            _ => ItemIdKind::Other,
        }
    }
}

/// `code` trimmed and in ASCII upper case, written into `key`: readers classify
/// every item id, so this must not allocate. A code longer than `key` gives
/// `b""`, which no table holds.
fn upper_code<'k>(code: &str, key: &'k mut [u8; 4]) -> &'k [u8] {
    let code = code.trim().as_bytes();
    let Some(slot) = key.get_mut(..code.len()) else { return b"" };
    for (k, b) in slot.iter_mut().zip(code) {
        *k = b.to_ascii_uppercase();
    }
    slot
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ItemId {
    pub kind: ItemIdKind,
    /// The qualifier as written (BP, VP, UP, EN, SA, IN...), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<String>,
    pub value: String,
}

/// One order line exactly as read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParsedLine {
    /// The line number as written (PO101, LIN 1082, a CSV column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_no: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub item_ids: Vec<ItemId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(with = "crate::decimal_json::option", default, skip_serializing_if = "Option::is_none")]
    pub qty: Option<Decimal>,
    /// The unit as written (EA, PCE, CS, KGM...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uom: Option<String>,
    #[serde(with = "crate::decimal_json::option", default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Decimal>,
    /// Price basis as written (X12 PO105, EDIFACT PRI 5387).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_basis: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<QualifiedDate>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    /// Pack: inner units per outer unit (X12 PO401, EDIFACT PAC), if stated.
    #[serde(with = "crate::decimal_json::option", default, skip_serializing_if = "Option::is_none")]
    pub pack_size: Option<Decimal>,
    /// Allowances and charges on the line (SAC, ALC/MOA), as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub charges: Vec<Charge>,
    /// Store or location distribution (X12 SDQ): location, quantity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub distribution: Vec<Distribution>,
    #[serde(default, skip_serializing_if = "Position::is_empty")]
    pub position: Position,
}

impl ParsedLine {
    /// The first id of a kind, if any.
    pub fn id(&self, kind: ItemIdKind) -> Option<&str> {
        self.item_ids.iter().find(|i| i.kind == kind).map(|i| i.value.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    /// A = allowance, C = charge (X12 SAC01; EDIFACT ALC 5463).
    pub indicator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(with = "crate::decimal_json::option", default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Decimal>,
    #[serde(with = "crate::decimal_json::option", default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Distribution {
    pub location: String,
    #[serde(with = "crate::decimal_json")]
    pub qty: Decimal,
}

/// One order (X12 850 transaction set, EDIFACT ORDERS message, a PO group in
/// a spreadsheet, a UBL Order) exactly as read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParsedOrder {
    /// Interchange sender (ISA06, GS02 or UNB 0004), with its qualifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<PartyId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver: Option<PartyId>,
    /// Application sender (GS02) where it differs from ISA06.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_sender: Option<String>,
    /// Transaction set / message control number (ST02, UNH 0062).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_number: Option<String>,
    /// BEG01 / BGM 1225: 00 original, 01 cancel, 05 replace; 9, 5, 1...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// BEG02 / BGM 1001: SA, NE, DS; 220, 105...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub po_number: Option<String>,
    /// BEG04 release number or a revision marker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_date: Option<NaiveDate>,
    /// Requested delivery or ship date (X12 DTM 002/010/037..., EDIFACT DTM 2/64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<QualifiedDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parties: Vec<Party>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub charges: Vec<Charge>,
    pub lines: Vec<ParsedLine>,
    /// CTT01 / CNT: number of lines the sender says it sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared_line_count: Option<u32>,
    /// Free text notes (MSG, FTX, a spreadsheet comment column).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Where the order starts in the file.
    #[serde(default, skip_serializing_if = "Position::is_empty")]
    pub position: Position,
    /// Findings about this order (envelope counts, bad dates...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<Diagnostic>,
}

impl ParsedOrder {
    pub fn party(&self, role: PartyRole) -> Option<&Party> {
        self.parties.iter().find(|p| p.role == role)
    }

    /// A replacement or change of an earlier order is not a duplicate of it.
    pub fn is_revision(&self) -> bool {
        let purpose = self.purpose.as_deref().map(str::trim).unwrap_or("");
        // X12 BEG01 05 replace, 04 change; EDIFACT BGM 1225 5 replace, 4 change.
        matches!(purpose, "05" | "04" | "5" | "4") || self.revision.as_deref().is_some_and(|r| !r.trim().is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_id_qualifiers_are_trimmed_and_case_blind() {
        assert_eq!(ItemIdKind::from_x12(" bp "), ItemIdKind::BuyerPart);
        assert_eq!(ItemIdKind::from_x12("Vp"), ItemIdKind::VendorPart);
        assert_eq!(ItemIdKind::from_x12("UP"), ItemIdKind::Gtin);
        assert_eq!(ItemIdKind::from_x12("st"), ItemIdKind::Sku);
        for other in ["", "B", "BPX", "GTIN", "ZZZZZ", "ＢＰ"] {
            assert_eq!(ItemIdKind::from_x12(other), ItemIdKind::Other, "{other:?}");
        }
        assert_eq!(ItemIdKind::from_edifact("gtin"), ItemIdKind::Gtin);
        assert_eq!(ItemIdKind::from_edifact(" SRV"), ItemIdKind::Gtin);
        assert_eq!(ItemIdKind::from_edifact("SA"), ItemIdKind::VendorPart);
        assert_eq!(ItemIdKind::from_edifact("GTINS"), ItemIdKind::Other);
    }
}
