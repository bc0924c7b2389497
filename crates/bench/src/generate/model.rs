//! The format-neutral content of one generated purchase order. Amounts are
//! kept as integers of their smallest unit (cents, tenths) so rendering them
//! is exact text, never a float.

use super::{MAX_LINES, MIN_LINES};
use crate::rng::Rng;

const COMPANIES: &[&str] = &[
    "ACME RETAIL",
    "NORTHWIND TRADERS",
    "CONTOSO MANUFACTURING",
    "BLUE RIVER HARDWARE",
    "GREAT LAKES SUPPLY",
    "SUMMIT INDUSTRIAL",
    "O'BRIEN FASTENERS",
    "MIDWEST DOOR + WINDOW",
    "PACIFIC TOOL CO",
    "HANSEN MASCHINENBAU GMBH",
];
const STREETS: &[&str] = &["MAIN ST", "INDUSTRIAL PKWY", "HARBOR RD", "MILL LANE", "COMMERCE DR", "RIVERSIDE AVE"];
const CITIES: &[(&str, &str, &str)] = &[
    ("SOLON", "OH", "US"),
    ("BUTLER", "IN", "US"),
    ("DALLAS", "TX", "US"),
    ("PORTLAND", "OR", "US"),
    ("HAMBURG", "HH", "DE"),
    ("TORONTO", "ON", "CA"),
];
const ADJECTIVES: &[&str] = &["HEX", "FLAT", "ROUND", "HEAVY DUTY", "STAINLESS", "GALVANIZED", "SMALL", "LARGE"];
const NOUNS: &[&str] = &["BOLT", "WASHER", "HINGE", "BRACKET", "WIDGET", "GASKET", "CLAMP", "DOOR HANDLE", "SEAL"];
const FINISHES: &[&str] = &["ZINC", "BLACK", "BRASS", "PLAIN", "CHROME", "M8X40", "3/8 IN"];
const CURRENCIES: &[&str] = &["USD", "USD", "USD", "EUR", "CAD"];

/// A unit as the two standards write it: X12 (355) and EDIFACT (rec. 20).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Unit {
    pub x12: &'static str,
    pub edifact: &'static str,
    /// Whether quantities in this unit may have a decimal part.
    pub fractional: bool,
}

const UNITS: &[Unit] = &[
    Unit { x12: "EA", edifact: "PCE", fractional: false },
    Unit { x12: "EA", edifact: "PCE", fractional: false },
    Unit { x12: "CA", edifact: "CT", fractional: false },
    Unit { x12: "BX", edifact: "BX", fractional: false },
    Unit { x12: "DZ", edifact: "DZN", fractional: false },
    Unit { x12: "LB", edifact: "KGM", fractional: true },
];

#[derive(Debug, Clone)]
pub(crate) struct SampleParty {
    /// X12 N101 / EDIFACT NAD 3035 as the X12 writer uses it (BY, ST, BT).
    pub role: PartyRole,
    pub name: String,
    /// A 13-digit GLN with a valid check digit.
    pub gln: String,
    pub street: String,
    pub city: &'static str,
    pub region: &'static str,
    pub postal_code: String,
    pub country: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PartyRole {
    Buyer,
    ShipTo,
    BillTo,
    Supplier,
}

#[derive(Debug, Clone)]
pub(crate) struct SampleLine {
    pub buyer_part: String,
    pub vendor_part: String,
    /// A 12-digit UPC-A with a valid check digit (its GTIN-13 is "0" + it).
    pub upc: String,
    pub description: String,
    /// Quantity in tenths of the unit.
    pub qty_tenths: u64,
    pub unit: Unit,
    pub price_cents: u64,
    pub pack_size: Option<u64>,
    /// An allowance on the line, in cents.
    pub allowance_cents: Option<u64>,
    pub delivery_date: Option<Date>,
}

/// A calendar date kept as its parts; only days 1–28 are generated, so every
/// month is valid.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Date {
    pub year: u64,
    pub month: u64,
    pub day: u64,
}

impl Date {
    fn random(rng: &mut Rng) -> Date {
        Date { year: rng.range(2023, 2026), month: rng.range(1, 12), day: rng.range(1, 28) }
    }

    fn days_later(self, days: u64) -> Date {
        let day = self.day + days;
        if day <= 28 {
            return Date { day, ..self };
        }
        let (year, month) = if self.month == 12 { (self.year + 1, 1) } else { (self.year, self.month + 1) };
        Date { year, month, day: (day - 28).min(28) }
    }

    /// CCYYMMDD, the form X12 DTM02/BEG05 and EDIFACT format 102 share.
    pub fn ccyymmdd(self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }

    /// YYMMDD, the form of ISA09 and UNB 0017.
    pub fn yymmdd(self) -> String {
        format!("{:02}{:02}{:02}", self.year % 100, self.month, self.day)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct SampleOrder {
    pub po_number: String,
    pub order_date: Date,
    pub delivery_date: Date,
    pub ship_date: Option<Date>,
    pub currency: &'static str,
    pub department: String,
    pub contract: Option<String>,
    pub buyer_contact: Option<(String, String)>,
    pub note: Option<String>,
    pub parties: Vec<SampleParty>,
    pub lines: Vec<SampleLine>,
}

impl SampleOrder {
    pub(crate) fn random(rng: &mut Rng, sequence: usize) -> SampleOrder {
        let order_date = Date::random(rng);
        let line_count = rng.range(MIN_LINES, MAX_LINES);
        SampleOrder {
            po_number: format!("{}{:06}", rng.range(40, 99), sequence % 1_000_000),
            order_date,
            delivery_date: order_date.days_later(rng.range(5, 30)),
            ship_date: rng.chance(50).then(|| order_date.days_later(rng.range(1, 4))),
            currency: rng.pick(CURRENCIES),
            department: format!("{:03}", rng.range(1, 120)),
            contract: rng.chance(40).then(|| format!("CT-{}", rng.range(1000, 9999))),
            buyer_contact: rng
                .chance(50)
                .then(|| ("JANE DOE".to_string(), format!("555{:07}", rng.range(0, 9_999_999)))),
            note: rng.chance(20).then(|| "DELIVER TO DOCK 4, CALL 24H AHEAD".to_string()),
            parties: random_parties(rng),
            lines: (0..line_count).map(|_| random_line(rng)).collect(),
        }
    }
}

fn random_parties(rng: &mut Rng) -> Vec<SampleParty> {
    let mut parties = vec![random_party(rng, PartyRole::Buyer), random_party(rng, PartyRole::ShipTo)];
    if rng.chance(40) {
        parties.push(random_party(rng, PartyRole::BillTo));
    }
    parties.push(random_party(rng, PartyRole::Supplier));
    parties
}

fn random_party(rng: &mut Rng, role: PartyRole) -> SampleParty {
    let (city, region, country) =
        CITIES.get(rng.range(0, CITIES.len() as u64 - 1) as usize).copied().unwrap_or(("SOLON", "OH", "US"));
    SampleParty {
        role,
        name: rng.pick(COMPANIES).to_string(),
        gln: with_check_digit(&digits(rng, 12)),
        street: format!("{} {}", rng.range(1, 9999), rng.pick(STREETS)),
        city,
        region,
        postal_code: format!("{:05}", rng.range(1000, 99999)),
        country,
    }
}

fn random_line(rng: &mut Rng) -> SampleLine {
    let unit = UNITS.get(rng.range(0, UNITS.len() as u64 - 1) as usize).copied().unwrap_or(Unit {
        x12: "EA",
        edifact: "PCE",
        fractional: false,
    });
    let whole = rng.range(1, 500);
    let tenths = if unit.fractional { rng.range(0, 9) } else { 0 };
    SampleLine {
        buyer_part: format!("{:06}-{:03}", rng.range(0, 999_999), rng.range(100, 999)),
        vendor_part: format!("{}{}{:04}", letter(rng), letter(rng), rng.range(0, 9999)),
        upc: with_check_digit(&digits(rng, 11)),
        description: format!("{} {} {}", rng.pick(ADJECTIVES), rng.pick(NOUNS), rng.pick(FINISHES)),
        qty_tenths: whole * 10 + tenths,
        unit,
        price_cents: rng.range(15, 250_000),
        pack_size: rng.chance(60).then(|| rng.range(1, 48)),
        allowance_cents: rng.chance(15).then(|| rng.range(100, 50_000)),
        delivery_date: rng.chance(10).then(|| Date::random(rng)),
    }
}

fn letter(rng: &mut Rng) -> char {
    char::from(b'A' + rng.range(0, 25) as u8)
}

fn digits(rng: &mut Rng, count: usize) -> String {
    (0..count).map(|_| char::from(b'0' + rng.range(0, 9) as u8)).collect()
}

/// Append the GS1 mod-10 check digit (weights 3,1,3... from the right), so
/// generated GTINs and GLNs are valid ones.
fn with_check_digit(body: &str) -> String {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b.saturating_sub(b'0')) * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    let check = (10 - sum % 10) % 10;
    format!("{body}{check}")
}

/// `1234` cents as `12.34`.
pub(crate) fn cents(amount: u64) -> String {
    format!("{}.{:02}", amount / 100, amount % 100)
}

/// `125` tenths as `12.5`, `120` as `12`.
pub(crate) fn tenths(amount: u64) -> String {
    if amount.is_multiple_of(10) { (amount / 10).to_string() } else { format!("{}.{}", amount / 10, amount % 10) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits_match_known_gtins() {
        // UPC-A 036000291452 and EAN-13 4006381333931 are published examples.
        assert_eq!(with_check_digit("03600029145"), "036000291452");
        assert_eq!(with_check_digit("400638133393"), "4006381333931");
    }

    #[test]
    fn amounts_render_exactly() {
        assert_eq!(cents(1234), "12.34");
        assert_eq!(cents(5), "0.05");
        assert_eq!(tenths(125), "12.5");
        assert_eq!(tenths(120), "12");
    }

    #[test]
    fn dates_stay_valid_across_month_and_year_ends() {
        let d = Date { year: 2024, month: 12, day: 27 }.days_later(30);
        assert_eq!(d.ccyymmdd(), "20250128");
        assert_eq!(Date { year: 2024, month: 3, day: 1 }.yymmdd(), "240301");
    }
}
