//! A purchase order as the customer wrote it (before any format), and its
//! truth: the canonical order a careful order-entry clerk would key in.

use chrono::{Datelike, NaiveDate};
use prodline_core::units::normalize_uom;
use prodline_core::{CanonicalLine, CanonicalOrder};
use rust_decimal::Decimal;

use crate::catalog::Item;
use crate::customers::{
    CsvStyle, Customer, EdifactStyle, Language, PoScheme, Profile, X12Ident, XlsxStyle, in_currency,
};
use crate::dice::Dice;
use crate::render::pdf::PdfLayout;

#[derive(Debug, Clone)]
pub(crate) struct PoDraft {
    pub(crate) customer: usize,
    pub(crate) po: String,
    pub(crate) order_date: NaiveDate,
    pub(crate) requested: Option<NaiveDate>,
    /// Index into the customer's ship-tos, when the document names one.
    pub(crate) ship_to: Option<usize>,
    /// Currency code written on the document, if any.
    pub(crate) currency_stated: Option<&'static str>,
    pub(crate) revision: bool,
    pub(crate) lines: Vec<DraftLine>,
}

#[derive(Debug, Clone)]
pub(crate) struct DraftLine {
    pub(crate) line_no: u32,
    pub(crate) item: usize,
    /// Their part number, as written.
    pub(crate) part: Option<String>,
    /// Our SKU as written (sometimes an old alias or without dashes).
    pub(crate) sku: Option<String>,
    /// The line carries the item's UPC/GTIN.
    pub(crate) gtin: bool,
    pub(crate) description: Option<String>,
    pub(crate) qty: Decimal,
    /// The unit as written; `None` when the document states none.
    pub(crate) uom: Option<String>,
    pub(crate) price: Option<Decimal>,
}

impl PoDraft {
    /// The SPEC §1 truth for this order.
    pub(crate) fn canonical(&self, customers: &[Customer], items: &[Item]) -> CanonicalOrder {
        let customer = customers.get(self.customer);
        CanonicalOrder {
            customer_id: customer.map(|c| c.id.clone()),
            customer_po: Some(self.po.clone()),
            order_date: Some(self.order_date),
            requested_date: self.requested,
            ship_to: customer.and_then(|c| self.ship_to.and_then(|k| c.ship_tos.get(k))).map(|s| s.id.clone()),
            currency: self.currency_stated.or(customer.map(|c| c.currency)).map(str::to_string),
            lines: self.lines.iter().map(|l| l.canonical(items)).collect(),
        }
    }
}

impl DraftLine {
    fn canonical(&self, items: &[Item]) -> CanonicalLine {
        let item = items.get(self.item);
        CanonicalLine {
            line: Some(self.line_no),
            sku: item.map(|i| i.sku.clone()),
            customer_part: self.part.clone(),
            description: self.description.clone(),
            qty: self.qty,
            uom: self.uom.as_deref().and_then(normalize_uom).or_else(|| item.map(|i| i.uom.to_string())),
            unit_price: self.price,
        }
    }
}

/// How a unit is spelled by a kind of sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UomDialect {
    None,
    Codes,
    Edifact,
    Ubl,
    German,
    French,
    English,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SkuWriting {
    None,
    Plain,
    /// Without dashes: the drifting customer's new scheme.
    Compact,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DescWriting {
    None,
    English,
    Upper,
    German,
    French,
}

/// What a sender writes on each line and in the header.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DocPlan {
    pub(crate) part: bool,
    pub(crate) sku: SkuWriting,
    pub(crate) gtin: bool,
    pub(crate) description: DescWriting,
    pub(crate) uom: UomDialect,
    /// Per mille of lines with a price.
    pub(crate) price_pm: u32,
    /// Per mille of lines known only by their description (no part, no SKU).
    pub(crate) description_only_pm: u32,
    pub(crate) requested_pm: u32,
    pub(crate) ship_to_pm: u32,
    pub(crate) currency_pm: u32,
    pub(crate) max_lines: usize,
}

const BASE: DocPlan = DocPlan {
    part: false,
    sku: SkuWriting::Plain,
    gtin: false,
    description: DescWriting::None,
    uom: UomDialect::Codes,
    price_pm: 1000,
    description_only_pm: 0,
    requested_pm: 800,
    ship_to_pm: 1000,
    currency_pm: 0,
    max_lines: 12,
};

/// The plan for a customer's documents; `drifted` after its format change.
pub(crate) fn doc_plan(customer: &Customer, drifted: bool) -> DocPlan {
    match &customer.profile {
        Profile::X12(s) => x12_plan(s.ident, drifted),
        Profile::Edifact(s) => edifact_plan(s),
        Profile::Csv(style) => csv_plan(*style),
        Profile::Xlsx(XlsxStyle::Oem) => {
            DocPlan { part: true, sku: SkuWriting::None, gtin: true, description: DescWriting::English, ..BASE }
        }
        Profile::Xlsx(XlsxStyle::Simple) => {
            DocPlan { description: DescWriting::English, requested_pm: 600, ship_to_pm: 500, ..BASE }
        }
        Profile::Ubl => DocPlan {
            part: customer.uses_parts(),
            gtin: true,
            description: DescWriting::English,
            uom: UomDialect::Ubl,
            requested_pm: 900,
            currency_pm: 1000,
            ..BASE
        },
        Profile::Email => DocPlan {
            part: customer.uses_parts(),
            description: DescWriting::English,
            uom: UomDialect::English,
            price_pm: 400,
            description_only_pm: 80,
            requested_pm: 500,
            ship_to_pm: 500,
            max_lines: 5,
            ..BASE
        },
        Profile::Pdf(layout) => pdf_plan(customer, *layout),
        Profile::Photo => DocPlan {
            description: DescWriting::English,
            uom: UomDialect::English,
            price_pm: 200,
            description_only_pm: 150,
            requested_pm: 600,
            ship_to_pm: 0,
            max_lines: 6,
            ..BASE
        },
        Profile::Fax => DocPlan {
            description: DescWriting::Upper,
            uom: UomDialect::English,
            price_pm: 900,
            description_only_pm: 50,
            requested_pm: 700,
            max_lines: 8,
            ..BASE
        },
    }
}

/// ERP printouts carry every field; letters are short, tables may run to pages.
fn pdf_plan(customer: &Customer, layout: PdfLayout) -> DocPlan {
    match layout {
        PdfLayout::Boxed => DocPlan {
            part: customer.uses_parts(),
            description: DescWriting::English,
            requested_pm: 900,
            currency_pm: 1000,
            max_lines: 40,
            ..BASE
        },
        PdfLayout::TwoColumn => {
            DocPlan { description: DescWriting::Upper, uom: UomDialect::English, max_lines: 40, ..BASE }
        }
        PdfLayout::Letter => DocPlan {
            description: DescWriting::English,
            uom: UomDialect::English,
            price_pm: 600,
            description_only_pm: 100,
            max_lines: 8,
            ..BASE
        },
    }
}

fn x12_plan(ident: X12Ident, drifted: bool) -> DocPlan {
    let x12 = DocPlan { currency_pm: 300, ..BASE };
    match ident {
        X12Ident::BuyerAndVendor if drifted => DocPlan { sku: SkuWriting::Compact, ..x12 },
        X12Ident::BuyerAndVendor => DocPlan { part: true, description: DescWriting::Upper, ..x12 },
        X12Ident::UpcAndBuyerItem => DocPlan {
            part: true,
            sku: SkuWriting::None,
            gtin: true,
            description: DescWriting::Upper,
            max_lines: 20,
            ..x12
        },
        X12Ident::VendorOnly => x12,
        X12Ident::BuyerOnly => DocPlan { part: true, sku: SkuWriting::None, ..x12 },
    }
}

fn edifact_plan(s: &EdifactStyle) -> DocPlan {
    let description = match s.language {
        Language::German => DescWriting::German,
        Language::French => DescWriting::French,
        Language::English => DescWriting::English,
    };
    DocPlan {
        part: s.buyer_part,
        sku: if s.supplier_part { SkuWriting::Plain } else { SkuWriting::None },
        gtin: s.gtin,
        description,
        uom: UomDialect::Edifact,
        requested_pm: 900,
        currency_pm: 900,
        ..BASE
    }
}

fn csv_plan(style: CsvStyle) -> DocPlan {
    match style {
        CsvStyle::UsDistributor => DocPlan {
            part: true,
            sku: SkuWriting::None,
            description: DescWriting::English,
            uom: UomDialect::English,
            ship_to_pm: 600,
            ..BASE
        },
        CsvStyle::UsAlternate => DocPlan { description: DescWriting::Upper, requested_pm: 0, ship_to_pm: 0, ..BASE },
        CsvStyle::German => DocPlan {
            part: true,
            sku: SkuWriting::None,
            description: DescWriting::German,
            uom: UomDialect::German,
            ..BASE
        },
        CsvStyle::French => {
            DocPlan { description: DescWriting::French, uom: UomDialect::French, ship_to_pm: 0, ..BASE }
        }
        CsvStyle::MultiPo => {
            DocPlan { part: true, sku: SkuWriting::None, description: DescWriting::English, price_pm: 700, ..BASE }
        }
        CsvStyle::WebShop => DocPlan { uom: UomDialect::None, price_pm: 0, requested_pm: 0, max_lines: 4, ..BASE },
    }
}

/// The unit as a sender of this dialect writes it.
pub(crate) fn spell_uom(code: &str, dialect: UomDialect) -> Option<String> {
    let spelled = match (dialect, code) {
        (UomDialect::None, _) => return None,
        (UomDialect::Edifact, "EA") => "PCE",
        (UomDialect::Ubl, "EA") => "C62",
        (UomDialect::Edifact | UomDialect::Ubl, "FT") => "FOT",
        (UomDialect::Edifact | UomDialect::Ubl, "KG") => "KGM",
        (UomDialect::Edifact | UomDialect::Ubl, "M") => "MTR",
        (UomDialect::Edifact | UomDialect::Ubl, "L") => "LTR",
        (UomDialect::Edifact | UomDialect::Ubl, "GA") => "GLL",
        (UomDialect::Edifact | UomDialect::Ubl, "CA") => "CS",
        (UomDialect::Edifact | UomDialect::Ubl, "ST") => "SET",
        (UomDialect::German, "EA") => "Stk",
        (UomDialect::German, "KG") => "kg",
        (UomDialect::German, "M") => "m",
        (UomDialect::German, "L") => "l",
        (UomDialect::French, "EA") => "pièce",
        (UomDialect::French, "KG") => "kg",
        (UomDialect::French, "M") => "m",
        (UomDialect::English, "EA") => "pcs",
        (UomDialect::English, "FT") => "ft",
        (UomDialect::English, "BX") => "boxes",
        (UomDialect::English, "CA") => "cases",
        (UomDialect::English, "RL") => "rolls",
        (UomDialect::English, "KG") => "kg",
        (UomDialect::English, "GA") => "gal",
        (UomDialect::English, "ST") => "set",
        (_, other) => other,
    };
    Some(spelled.to_string())
}

/// Where the next order of a customer comes from: its counter per scheme.
pub(crate) fn po_number(scheme: PoScheme, customer: usize, seq: u32, date: NaiveDate) -> String {
    let base = 1000 + (customer as u32 * 7919) % 8000;
    match scheme {
        PoScheme::Sap => format!("45000{:05}", (base * 3 + seq) % 100_000),
        PoScheme::PrefixYear(p) => format!("{p}-{:02}-{:05}", date.year() % 100, seq + 100),
        PoScheme::Counter => format!("{}", base + seq),
        PoScheme::Prefixed(p) => format!("{p}{:06}", 100_000 + base * 11 + seq),
    }
}

/// Draw the lines of one order.
pub(crate) fn draw_lines(customer: &Customer, items: &[Item], plan: &DocPlan, dice: &mut Dice) -> Vec<DraftLine> {
    let count = line_count(plan.max_lines, dice);
    let mut chosen: Vec<usize> = Vec::with_capacity(count);
    for _ in 0..count * 3 {
        if chosen.len() == count {
            break;
        }
        let Some(&item) = dice.pick(&customer.assortment) else { break };
        if !chosen.contains(&item) {
            chosen.push(item);
        }
    }
    chosen
        .into_iter()
        .enumerate()
        .filter_map(|(n, item)| draw_line(customer, items, plan, item, n as u32 + 1, dice))
        .collect()
}

/// Mostly short orders, a few long ones.
fn line_count(max: usize, dice: &mut Dice) -> usize {
    let n = match dice.below(10) {
        0..=3 => 1 + dice.below(2),
        4..=7 => 2 + dice.below(4),
        _ => 4 + dice.below(max.max(4)),
    };
    n.clamp(1, max.max(1))
}

fn draw_line(
    customer: &Customer,
    items: &[Item],
    plan: &DocPlan,
    index: usize,
    line_no: u32,
    dice: &mut Dice,
) -> Option<DraftLine> {
    let item = items.get(index)?;
    let description_only = dice.chance(plan.description_only_pm);
    let (qty, unit_code) = draw_quantity(item, dice);
    let part = if plan.part && !description_only { customer.parts.get(&index).cloned() } else { None };
    let sku = if description_only { None } else { write_sku(item, plan.sku, dice) };
    let description = if description_only && plan.description == DescWriting::None {
        Some(item.description.clone())
    } else if description_only || !dice.chance(150) {
        describe(item, plan.description)
    } else {
        None
    };
    let price = dice.chance(plan.price_pm).then(|| stated_price(customer, item, index, &unit_code, dice));
    Some(DraftLine {
        line_no,
        item: index,
        part,
        sku,
        gtin: plan.gtin && !description_only,
        description,
        qty,
        uom: spell_uom(&unit_code, plan.uom),
        price,
    })
}

fn write_sku(item: &Item, writing: SkuWriting, dice: &mut Dice) -> Option<String> {
    match writing {
        SkuWriting::None => None,
        SkuWriting::Compact => Some(item.compact_sku()),
        // Now and then an old spelling from the aliases column.
        SkuWriting::Plain if dice.chance(40) => Some(item.aliases.first().cloned().unwrap_or_else(|| item.sku.clone())),
        SkuWriting::Plain => Some(item.sku.clone()),
    }
}

pub(crate) fn describe(item: &Item, writing: DescWriting) -> Option<String> {
    match writing {
        DescWriting::None => None,
        DescWriting::English => Some(item.description.clone()),
        DescWriting::Upper => Some(item.description.to_uppercase()),
        DescWriting::German => Some(item.description_de.clone()),
        DescWriting::French => Some(item.description_fr.clone()),
    }
}

/// A quantity in the item's unit or, now and then, in one of its packs; a
/// rare outlier is a hundred times the usual.
fn draw_quantity(item: &Item, dice: &mut Dice) -> (Decimal, String) {
    if let Some((pack, _)) = dice.pick(&item.packs).copied().filter(|_| dice.chance(200)) {
        return (Decimal::from(dice.between(1, 12)), pack.to_string());
    }
    let qty = match item.uom {
        "FT" => Decimal::from(25 * dice.between(1, 20)),
        "M" | "KG" | "L" => {
            Decimal::new(5 * dice.between(1, 40), 0) + if dice.chance(200) { Decimal::new(5, 1) } else { Decimal::ZERO }
        }
        "BX" | "RL" | "ST" | "GA" => Decimal::from(dice.between(1, 20)),
        _ => Decimal::from([1, 2, 4, 5, 6, 10, 12, 20, 24, 25, 50, 100, 200][dice.below(13)]),
    };
    let qty = if dice.chance(4) { qty * Decimal::from(100) } else { qty };
    (qty, item.uom.to_string())
}

/// The price the customer states: its contract price, else list, in its
/// currency, per pack when ordered in packs; a few lines are off contract.
fn stated_price(customer: &Customer, item: &Item, index: usize, unit: &str, dice: &mut Dice) -> Decimal {
    let each =
        customer.contract.get(&index).copied().unwrap_or_else(|| in_currency(item.list_price, customer.currency));
    let per_unit = match item.packs.iter().find(|(p, _)| *p == unit) {
        Some((_, content)) => each * Decimal::from(*content),
        None => each,
    };
    let price = if dice.chance(40) { per_unit * Decimal::new(100 + dice.between(-8, 8), 2) } else { per_unit };
    price.round_dp(2).normalize()
}
