//! Spreadsheet-style orders: CSV in each customer's dialect, and XLSX.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet, XlsxError};

use crate::catalog::Item;
use crate::customers::{CsvStyle, Customer, XlsxStyle};
use crate::draft::PoDraft;

/// One CSV record; quoted only where the dialect needs it.
pub(crate) fn record(fields: &[String], delimiter: char) -> String {
    let quoted: Vec<String> = fields
        .iter()
        .map(|f| {
            if f.contains(delimiter) || f.contains('"') || f.contains('\n') || f.contains('\r') {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.clone()
            }
        })
        .collect();
    quoted.join(&delimiter.to_string())
}

fn num(d: Decimal, comma: bool) -> String {
    let text = d.normalize().to_string();
    if comma { text.replace('.', ",") } else { text }
}

fn opt_date(d: Option<NaiveDate>, pattern: &str) -> String {
    d.map(|d| d.format(pattern).to_string()).unwrap_or_default()
}

fn ship_address(draft: &PoDraft, customer: &Customer) -> String {
    draft.ship_to.and_then(|k| customer.ship_tos.get(k)).map(|s| s.address()).unwrap_or_default()
}

fn ident(line: &crate::draft::DraftLine) -> String {
    line.part.clone().or_else(|| line.sku.clone()).unwrap_or_default()
}

/// A CSV file of one or more orders of one customer, encoded as it sends them.
pub(crate) fn csv(drafts: &[&PoDraft], customer: &Customer, style: CsvStyle) -> Vec<u8> {
    match style {
        CsvStyle::UsDistributor => us_distributor(drafts, customer).into_bytes(),
        CsvStyle::UsAlternate => us_alternate(drafts).into_bytes(),
        CsvStyle::German => {
            let text = european(drafts, customer, ';', "%d.%m.%Y", GERMAN_HEADER, "\r\n");
            encoding_rs::WINDOWS_1252.encode(&text).0.into_owned()
        }
        CsvStyle::French => {
            let text = european(drafts, customer, ';', "%d/%m/%Y", FRENCH_HEADER, "\n");
            let mut bytes = vec![0xEF, 0xBB, 0xBF];
            bytes.extend_from_slice(text.as_bytes());
            bytes
        }
        CsvStyle::MultiPo => multi_po(drafts, customer).into_bytes(),
        CsvStyle::WebShop => web_shop(drafts, customer).into_bytes(),
    }
}

fn us_distributor(drafts: &[&PoDraft], customer: &Customer) -> String {
    let header = [
        "PO Number",
        "PO Date",
        "Ship To",
        "Line",
        "Part Number",
        "Description",
        "Qty",
        "UOM",
        "Unit Price",
        "Need By",
    ];
    let mut out = record(&header.map(String::from), ',') + "\r\n";
    for d in drafts {
        for l in &d.lines {
            let row = [
                d.po.clone(),
                d.order_date.format("%m/%d/%Y").to_string(),
                ship_address(d, customer),
                l.line_no.to_string(),
                ident(l),
                l.description.clone().unwrap_or_default(),
                num(l.qty, false),
                l.uom.clone().unwrap_or_default(),
                l.price.map(|p| num(p, false)).unwrap_or_default(),
                opt_date(d.requested, "%m/%d/%Y"),
            ];
            out += &(record(&row, ',') + "\r\n");
        }
    }
    out
}

/// Dollar signs and thousands separators: a price column typed by hand.
fn dollars(p: Decimal) -> String {
    let text = format!("{:.2}", p.round_dp(2));
    let (int, frac) = text.split_once('.').unwrap_or((text.as_str(), "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("${grouped}.{frac}")
}

fn us_alternate(drafts: &[&PoDraft]) -> String {
    let header = ["Customer PO", "PO Date", "Item #", "Item Description", "Ordered Qty", "U/M", "Price"];
    let mut out = record(&header.map(String::from), ',') + "\n";
    for d in drafts {
        for l in &d.lines {
            let row = [
                d.po.clone(),
                d.order_date.format("%-m/%-d/%y").to_string(),
                ident(l),
                l.description.clone().unwrap_or_default(),
                num(l.qty, false),
                l.uom.clone().unwrap_or_default(),
                l.price.map(dollars).unwrap_or_default(),
            ];
            out += &(record(&row, ',') + "\n");
        }
    }
    out
}

const GERMAN_HEADER: [&str; 10] = [
    "Bestellnummer",
    "Bestelldatum",
    "Lieferadresse",
    "Pos",
    "Artikelnummer",
    "Bezeichnung",
    "Menge",
    "Einheit",
    "Einzelpreis",
    "Liefertermin",
];
const FRENCH_HEADER: [&str; 10] = [
    "N° de commande",
    "Date de commande",
    "Adresse de livraison",
    "Position",
    "Référence",
    "Désignation",
    "Quantité",
    "Unité",
    "Prix unitaire",
    "Date de livraison souhaitée",
];

fn european(
    drafts: &[&PoDraft],
    customer: &Customer,
    delimiter: char,
    date: &str,
    header: [&str; 10],
    newline: &str,
) -> String {
    let mut out = record(&header.map(String::from), delimiter) + newline;
    for d in drafts {
        for l in &d.lines {
            let row = [
                d.po.clone(),
                d.order_date.format(date).to_string(),
                ship_address(d, customer),
                l.line_no.to_string(),
                ident(l),
                l.description.clone().unwrap_or_default(),
                num(l.qty, true),
                l.uom.clone().unwrap_or_default(),
                l.price.map(|p| num(p, true)).unwrap_or_default(),
                opt_date(d.requested, date),
            ];
            out += &(record(&row, delimiter) + newline);
        }
    }
    out
}

fn multi_po(drafts: &[&PoDraft], customer: &Customer) -> String {
    let header = [
        "po_number",
        "order_date",
        "ship_to",
        "line_no",
        "customer_item",
        "description",
        "quantity",
        "unit",
        "price",
        "currency",
        "delivery_date",
    ];
    let mut out = record(&header.map(String::from), ',') + "\n";
    for d in drafts {
        for l in &d.lines {
            let row = [
                d.po.clone(),
                d.order_date.to_string(),
                ship_address(d, customer),
                l.line_no.to_string(),
                ident(l),
                l.description.clone().unwrap_or_default(),
                num(l.qty, false),
                l.uom.clone().unwrap_or_default(),
                l.price.map(|p| num(p, false)).unwrap_or_default(),
                d.currency_stated.unwrap_or_default().to_string(),
                opt_date(d.requested, "%Y-%m-%d"),
            ];
            out += &(record(&row, ',') + "\n");
        }
    }
    out
}

/// One row per order, every item in one multi-line cell ("2x HV-075-BR").
fn web_shop(drafts: &[&PoDraft], customer: &Customer) -> String {
    let header = ["Order ID", "Order Date", "Customer", "Ship To", "Items", "Notes"];
    let mut out = record(&header.map(String::from), ',') + "\r\n";
    for d in drafts {
        let items: Vec<String> = d.lines.iter().map(|l| format!("{}x {}", num(l.qty, false), ident(l))).collect();
        let row = [
            d.po.clone(),
            d.order_date.format("%Y-%m-%d 00:00").to_string(),
            customer.name.clone(),
            ship_address(d, customer),
            items.join("\n"),
            String::new(),
        ];
        out += &(record(&row, ',') + "\r\n");
    }
    out
}

/// An XLSX order; the creation time is fixed so the bytes depend on the seed only.
pub(crate) fn xlsx(
    draft: &PoDraft,
    customer: &Customer,
    items: &[Item],
    style: XlsxStyle,
) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let created = ExcelDateTime::from_ymd(year(draft.order_date), month(draft.order_date), day(draft.order_date))?;
    book.set_properties(&DocProperties::new().set_author(&customer.name).set_creation_datetime(&created));
    match style {
        XlsxStyle::Oem => oem_workbook(&mut book, draft, customer, items)?,
        XlsxStyle::Simple => simple_sheet(book.add_worksheet(), draft, customer)?,
    }
    book.save_to_buffer()
}

fn year(d: NaiveDate) -> u16 {
    u16::try_from(d.year()).unwrap_or(2026)
}
fn month(d: NaiveDate) -> u8 {
    u8::try_from(d.month()).unwrap_or(1)
}
fn day(d: NaiveDate) -> u8 {
    u8::try_from(d.day()).unwrap_or(1)
}

fn excel_date(d: NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(year(d), month(d), day(d))
}

fn to_f64(d: Decimal) -> f64 {
    d.to_f64().unwrap_or_default()
}

/// Cover sheet, then the order with a merged two-row header, the UPC as a
/// number (its leading zero gone) and quantities stored as text.
fn oem_workbook(book: &mut Workbook, draft: &PoDraft, customer: &Customer, items: &[Item]) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let center = Format::new().set_bold().set_align(FormatAlign::Center);
    let cover = book.add_worksheet();
    cover.set_name("Cover")?;
    cover.write_string_with_format(0, 0, format!("{} - Purchase Order", customer.name), &bold)?;
    cover.write_string(2, 0, "Please confirm this order within 48 hours.")?;
    cover.write_string(3, 0, "Terms: Net 30. Ship complete unless noted.")?;
    cover.write_string(4, 0, format!("Buyer: {}", customer.buyers.first().map(|b| b.0).unwrap_or("Purchasing")))?;
    let sheet = book.add_worksheet();
    sheet.set_name("PO")?;
    sheet.merge_range(0, 0, 0, 6, "PURCHASE ORDER", &center)?;
    sheet.write_string_with_format(1, 0, "PO No.", &bold)?;
    sheet.write_string(1, 1, &draft.po)?;
    sheet.write_string_with_format(2, 0, "Order Date", &bold)?;
    sheet.write_string(2, 1, draft.order_date.format("%m/%d/%Y").to_string())?;
    sheet.write_string_with_format(3, 0, "Required", &bold)?;
    sheet.write_string(3, 1, opt_date(draft.requested, "%m/%d/%Y"))?;
    sheet.write_string_with_format(4, 0, "Ship To", &bold)?;
    sheet.write_string(4, 1, ship_address(draft, customer))?;
    sheet.merge_range(6, 0, 7, 0, "Line", &center)?;
    sheet.merge_range(6, 1, 6, 2, "Item", &center)?;
    sheet.write_string_with_format(7, 1, "Cascade P/N", &bold)?;
    sheet.write_string_with_format(7, 2, "UPC", &bold)?;
    sheet.merge_range(6, 3, 7, 3, "Description", &center)?;
    sheet.merge_range(6, 4, 6, 5, "Quantity", &center)?;
    sheet.write_string_with_format(7, 4, "Qty", &bold)?;
    sheet.write_string_with_format(7, 5, "UoM", &bold)?;
    sheet.merge_range(6, 6, 7, 6, "Unit Price", &center)?;
    for (row, l) in (8..).zip(draft.lines.iter()) {
        sheet.write_number(row, 0, l.line_no)?;
        sheet.write_string(row, 1, l.part.clone().unwrap_or_default())?;
        if let Some(upc) = items.get(l.item).filter(|_| l.gtin).and_then(|i| i.upc.parse::<u64>().ok()) {
            sheet.write_number(row, 2, upc as f64)?;
        }
        sheet.write_string(row, 3, l.description.clone().unwrap_or_default())?;
        sheet.write_string(row, 4, num(l.qty, false))?;
        sheet.write_string(row, 5, l.uom.clone().unwrap_or_default())?;
        if let Some(p) = l.price {
            sheet.write_number(row, 6, to_f64(p))?;
        }
    }
    Ok(())
}

fn simple_sheet(sheet: &mut Worksheet, draft: &PoDraft, customer: &Customer) -> Result<(), XlsxError> {
    let date_format = Format::new().set_num_format("mm/dd/yyyy");
    let bold = Format::new().set_bold();
    sheet.set_name("Order")?;
    let header = ["PO#", "Date", "Ship To", "Item", "Description", "Qty", "UOM", "Price", "Delivery Date"];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (r, l) in draft.lines.iter().enumerate() {
        let row = r as u32 + 1;
        sheet.write_string(row, 0, &draft.po)?;
        sheet.write_datetime_with_format(row, 1, &excel_date(draft.order_date)?, &date_format)?;
        sheet.write_string(row, 2, ship_address(draft, customer))?;
        sheet.write_string(row, 3, ident(l))?;
        sheet.write_string(row, 4, l.description.clone().unwrap_or_default())?;
        sheet.write_number(row, 5, to_f64(l.qty))?;
        sheet.write_string(row, 6, l.uom.clone().unwrap_or_default())?;
        if let Some(p) = l.price {
            sheet.write_number(row, 7, to_f64(p))?;
        }
        if let Some(req) = draft.requested {
            sheet.write_datetime_with_format(row, 8, &excel_date(req)?, &date_format)?;
        }
    }
    Ok(())
}
