//! The project's own fixtures: CSV in every usual dialect, XLSX workbooks
//! written here with rust_xlsxwriter, UBL with other prefixes; and a property
//! test that no input panics the CSV reader.

use std::path::PathBuf;
use std::str::FromStr;

use prodline_core::{Decimal, Diagnostic, ItemIdKind, NaiveDate, ParsedDocument, PartyRole, Severity};
use proptest::prelude::*;
use rust_xlsxwriter::{ExcelDateTime, Format as CellFormat, FormatAlign, Workbook};

fn fixture(path: &str) -> Vec<u8> {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn csv(path: &str) -> ParsedDocument {
    prodline_formats::csv::parse(&fixture(&format!("csv/{path}")))
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

fn find<'a>(doc: &'a ParsedDocument, code: &str) -> Option<&'a Diagnostic> {
    doc.diagnostics.iter().chain(doc.orders.iter().flat_map(|o| &o.diagnostics)).find(|d| d.code == code)
}

#[test]
fn german_semicolon_csv_in_windows_1252_with_decimal_commas() {
    let doc = csv("german_semicolon_cp1252.csv");
    let [order] = doc.orders.as_slice() else { panic!("{doc:?}") };
    assert_eq!(order.po_number.as_deref(), Some("4500012345"), "from the preamble line");
    assert_eq!(order.order_date, date(2026, 3, 2));
    assert_eq!(order.requested_date, date(2026, 3, 16));
    assert_eq!(order.currency.as_deref(), Some("EUR"), "from the € beside a price");
    let lines: Vec<_> = order
        .lines
        .iter()
        .map(|l| (l.id(ItemIdKind::Sku).unwrap_or("-"), l.qty, l.uom.as_deref(), l.unit_price))
        .collect();
    assert_eq!(
        lines,
        [
            ("HV-075-BR", Some(dec("200")), Some("Stück"), Some(dec("11.85"))),
            ("FT-050-SS", Some(dec("1250")), Some("Stk"), Some(dec("0.95"))),
            ("GK-100", Some(dec("12.5")), Some("kg"), Some(dec("1234.50"))),
        ]
    );
    let descriptions: Vec<_> = order.lines.iter().filter_map(|l| l.description.as_deref()).collect();
    assert_eq!(descriptions.last(), Some(&"Dichtung Größe 100"), "Windows-1252 decoded");
    assert_eq!(order.lines.first().map(|l| l.position.line), Some(Some(5)));
    assert!(!doc.has_errors(), "{:?}", doc.diagnostics);
}

#[test]
fn two_purchase_orders_in_one_csv_are_grouped_by_po() {
    let doc = csv("two_purchase_orders.csv");
    let summary: Vec<_> =
        doc.orders.iter().map(|o| (o.po_number.as_deref().unwrap_or("-"), o.lines.len(), o.requested_date)).collect();
    assert_eq!(summary, [("4711", 2, date(2026, 3, 20)), ("4712", 1, date(2026, 4, 1))]);
    let second = doc.orders.get(1).and_then(|o| o.lines.first());
    assert_eq!(second.and_then(|l| l.qty), Some(dec("1000")), "1,000 is a thousand in a dot-decimal file");
    let first = doc.orders.first();
    assert_eq!(first.and_then(|o| o.lines.first()).and_then(|l| l.unit_price), Some(dec("11.85")));
    assert_eq!(first.and_then(|o| o.lines.first()).and_then(|l| l.description.as_deref()), Some("Ball valve, 3/4\""));
    let ship_to = first.and_then(|o| o.party(PartyRole::ShipTo)).and_then(|p| p.id.as_ref()).map(|i| i.value.as_str());
    assert_eq!(ship_to, Some("ST-01"));
    assert_eq!(first.and_then(|o| o.party(PartyRole::Buyer)).and_then(|p| p.name.as_deref()), Some("Acme Corp"));
    assert_eq!(first.and_then(|o| o.order_date), date(2026, 3, 16));
    assert_eq!(first.and_then(|o| o.currency.as_deref()), Some("USD"));
    assert!(doc.diagnostics.is_empty(), "{:?}", doc.diagnostics);
}

#[test]
fn a_cell_listing_several_items_becomes_several_lines() {
    let doc = csv("listed_items_in_one_cell.csv");
    let lines = |i: usize| -> Vec<(String, Decimal, Option<String>)> {
        doc.orders
            .get(i)
            .map(|o| {
                o.lines
                    .iter()
                    .map(|l| {
                        (l.id(ItemIdKind::Sku).unwrap_or("-").to_string(), l.qty.unwrap_or_default(), l.uom.clone())
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        lines(0),
        [
            ("HV-075-BR".to_string(), dec("2"), None),
            ("FT-050-SS".to_string(), dec("5"), None),
            ("GK-100".to_string(), dec("10"), Some("EA".to_string())),
        ]
    );
    assert_eq!(lines(1), [("HV-075-BR".to_string(), dec("3"), None), ("GK-100".to_string(), dec("1"), None)]);
    assert_eq!(doc.orders.get(1).and_then(|o| o.po_number.as_deref()), Some("PO-89"));
}

#[test]
fn day_first_and_month_first_dates_are_told_by_the_whole_file() {
    let day_first = csv("day_first_dates.csv");
    let requested: Vec<_> =
        day_first.orders.iter().flat_map(|o| &o.lines).flat_map(|l| &l.dates).map(|d| d.date).collect();
    assert_eq!(requested, [date(2026, 4, 3), date(2026, 4, 25)].map(Option::unwrap_or_default));
    assert!(find(&day_first, "ambiguous_date_order").is_none());

    let month_first = csv("month_first_dates.csv");
    assert_eq!(month_first.orders.first().and_then(|o| o.requested_date), date(2026, 3, 4));
    assert!(find(&month_first, "ambiguous_date_order").is_none());

    let ambiguous = csv("ambiguous_dates.csv");
    assert_eq!(ambiguous.orders.first().and_then(|o| o.requested_date), date(2026, 3, 4));
    let warning = find(&ambiguous, "ambiguous_date_order").map(|d| d.severity);
    assert_eq!(warning, Some(Severity::Warning));

    let european = prodline_formats::csv::parse(b"PO;Item;Qty;Delivery date\nC1;X-1;1;03/04/2026\n");
    assert_eq!(european.orders.first().and_then(|o| o.requested_date), date(2026, 4, 3), "a ; file is European");
    assert!(find(&european, "ambiguous_date_order").is_some());
}

#[test]
fn a_quantity_that_is_not_a_number_is_an_error_naming_the_cell() {
    let doc = csv("bad_quantity.csv");
    let error = find(&doc, "bad_quantity").unwrap_or_else(|| panic!("{doc:?}"));
    assert_eq!(error.severity, Severity::Error);
    assert_eq!((error.position.line, error.position.column), (Some(2), Some(3)));
    assert!(error.message.contains("ten"), "{}", error.message);
    assert_eq!(doc.orders.first().map(|o| o.lines.len()), Some(2), "the other line is still read");
}

#[test]
fn a_file_without_an_order_table_says_so() {
    let doc = csv("not_an_order.csv");
    assert!(doc.orders.is_empty());
    assert_eq!(find(&doc, "no_order_table").map(|d| d.severity), Some(Severity::Error));
    let empty = prodline_formats::csv::parse(b"");
    assert!(find(&empty, "no_order_table").is_some());
}

#[test]
fn utf16_tab_separated_file() {
    let doc = csv("tab_separated_utf16.csv");
    let lines: Vec<_> = doc.orders.iter().flat_map(|o| &o.lines).map(|l| (l.id(ItemIdKind::Sku), l.qty)).collect();
    assert_eq!(lines, [(Some("A-100"), Some(dec("3"))), (Some("B-200"), Some(dec("4")))]);
}

/// A workbook with a cover sheet and an order sheet whose header has two
/// merged rows; a UPC stored as a number that lost its leading zero, a
/// quantity stored as text, a part number stored as a number, a date cell.
fn order_workbook() -> Vec<u8> {
    let mut workbook = Workbook::new();
    let build = |workbook: &mut Workbook| -> Result<(), rust_xlsxwriter::XlsxError> {
        let cover = workbook.add_worksheet().set_name("Cover")?;
        cover.write_string(0, 0, "Purchase order from Acme Corp")?;
        cover.write_string(2, 0, "Please confirm within 48 hours.")?;
        let sheet = workbook.add_worksheet().set_name("Order")?;
        let merged = CellFormat::new().set_align(FormatAlign::Center);
        let date_format = CellFormat::new().set_num_format("yyyy-mm-dd");
        sheet.merge_range(0, 0, 1, 0, "PO Number", &merged)?;
        sheet.merge_range(0, 1, 0, 2, "Ship To", &merged)?;
        sheet.merge_range(0, 3, 0, 4, "Customer", &merged)?;
        sheet.merge_range(0, 5, 0, 6, "Item", &merged)?;
        sheet.merge_range(0, 7, 1, 7, "Qty", &merged)?;
        sheet.merge_range(0, 8, 1, 8, "Order Date", &merged)?;
        for (col, label) in [(1, "Name"), (2, "Code"), (3, "Part"), (4, "Name"), (5, "UPC"), (6, "Description")] {
            sheet.write_string(1, col, label)?;
        }
        let order_date = ExcelDateTime::from_ymd(2026, 3, 2)?;
        let rows: [(&str, f64, f64, &str); 2] =
            [("88-1200", 12345678905.0, 0.0, "Brass valve"), ("", 36000291452.0, 2.5, "Copper pipe")];
        for (i, (part, upc, qty, description)) in rows.into_iter().enumerate() {
            let row = 2 + i as u32;
            sheet.write_string(row, 0, "PO-1")?;
            sheet.write_string(row, 1, "Main Plant")?;
            sheet.write_string(row, 2, "ST-9")?;
            if part.is_empty() {
                sheet.write_number(row, 3, 12345678901.0)?;
            } else {
                sheet.write_string(row, 3, part)?;
            }
            sheet.write_string(row, 4, "Acme Corp")?;
            sheet.write_number(row, 5, upc)?;
            sheet.write_string(row, 6, description)?;
            if i == 0 {
                sheet.write_string(row, 7, "10")?;
            } else {
                sheet.write_number(row, 7, qty)?;
            }
            sheet.write_datetime_with_format(row, 8, &order_date, &date_format)?;
        }
        Ok(())
    };
    build(&mut workbook).unwrap_or_else(|e| panic!("building the workbook: {e}"));
    workbook.save_to_buffer().unwrap_or_else(|e| panic!("saving the workbook: {e}"))
}

#[test]
fn xlsx_with_cover_sheet_and_two_row_merged_header() {
    let bytes = order_workbook();
    assert_eq!(prodline_formats::detect(&bytes, None), prodline_core::Format::Xlsx);
    let doc = prodline_formats::parse(&bytes, Some("order.xlsx"));
    assert!(!doc.has_errors(), "{:?}", doc.diagnostics);
    let [order] = doc.orders.as_slice() else { panic!("{doc:?}") };
    assert_eq!(order.po_number.as_deref(), Some("PO-1"));
    assert_eq!(order.order_date, date(2026, 3, 2), "an Excel date cell");
    let ship_to = order.party(PartyRole::ShipTo).unwrap_or_else(|| panic!("{:?}", order.parties));
    assert_eq!(
        (ship_to.name.as_deref(), ship_to.id.as_ref().map(|i| i.value.as_str())),
        (Some("Main Plant"), Some("ST-9"))
    );
    assert_eq!(order.party(PartyRole::Buyer).and_then(|p| p.name.as_deref()), Some("Acme Corp"));
    let lines: Vec<_> = order
        .lines
        .iter()
        .map(|l| (l.id(ItemIdKind::Gtin), l.id(ItemIdKind::BuyerPart), l.qty, l.description.as_deref()))
        .collect();
    assert_eq!(
        lines,
        [
            (Some("12345678905"), Some("88-1200"), Some(dec("10")), Some("Brass valve")),
            (Some("36000291452"), Some("12345678901"), Some(dec("2.5")), Some("Copper pipe")),
        ]
    );
    let first = order.lines.first().map(|l| (l.position.sheet.as_deref(), l.position.line));
    assert_eq!(first, Some((Some("Order"), Some(3))));
}

#[test]
fn xlsx_without_any_order_table_is_an_error() {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "Just a cover letter").unwrap_or_else(|e| panic!("{e}"));
    let bytes = workbook.save_to_buffer().unwrap_or_else(|e| panic!("{e}"));
    let doc = prodline_formats::xlsx::parse(&bytes);
    assert!(doc.orders.is_empty());
    assert_eq!(find(&doc, "no_order_table").map(|d| d.severity), Some(Severity::Error));
    let broken = prodline_formats::xlsx::parse(b"PK\x03\x04 definitely not a zip");
    assert!(find(&broken, "xlsx_unreadable").is_some(), "{broken:?}");
}

#[test]
fn ubl_with_other_prefixes_and_a_price_per_hundred() {
    let doc = prodline_formats::ubl::parse(&fixture("ubl/prefixed_order_price_per_100.xml"));
    let [order] = doc.orders.as_slice() else { panic!("{doc:?}") };
    assert_eq!(order.po_number.as_deref(), Some("PO-2026-0042"));
    assert_eq!(order.requested_date, date(2026, 3, 16), "EndDate when there is no StartDate");
    let buyer = order.party(PartyRole::Buyer).unwrap_or_else(|| panic!("{:?}", order.parties));
    assert_eq!(buyer.name.as_deref(), Some("Müller & Söhne GmbH"));
    assert_eq!(
        buyer.id.as_ref().map(|i| (i.qualifier.as_deref(), i.value.as_str())),
        Some((Some("0088"), "4012345000009"))
    );
    let ship_to = order.party(PartyRole::ShipTo).and_then(|p| p.id.as_ref()).map(|i| i.value.as_str());
    assert_eq!(ship_to, Some("4012345000016"));
    let [line] = order.lines.as_slice() else { panic!("{:?}", order.lines) };
    assert_eq!(line.unit_price, Some(dec("0.125")), "12.50 per 100");
    assert_eq!((line.qty, line.uom.as_deref()), (Some(dec("2500")), Some("H87")));
    assert_eq!(line.id(ItemIdKind::BuyerPart), Some("88-1200"));
    assert_eq!(line.id(ItemIdKind::VendorPart), Some("SCR-M8-40"));
}

#[test]
fn malformed_ubl_is_an_error_with_its_byte_offset() {
    let bytes = fixture("ubl/malformed_mismatched_tag.xml");
    let doc = prodline_formats::ubl::parse(&bytes);
    let error = find(&doc, "malformed_xml").unwrap_or_else(|| panic!("{doc:?}"));
    let offset = error.position.byte_offset.unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let mismatched = text.find("</Item>").unwrap_or_default();
    assert!(offset >= mismatched && offset <= mismatched + "</Item>".len(), "offset {offset}, tag at {mismatched}");
    assert!(doc.orders.is_empty());
}

/// A French export with a BOM: `N° de commande` is the PO number, the
/// ship-to address and the wished delivery date are read.
#[test]
fn french_csv_headers_with_articles_between_words() {
    let doc = csv("french_headers_with_bom.csv");
    let [order] = doc.orders.as_slice() else { panic!("{doc:?}") };
    assert_eq!(order.po_number.as_deref(), Some("CF-2026-118"));
    assert_eq!((order.order_date, order.requested_date), (date(2026, 1, 7), date(2026, 1, 25)));
    let ship_to = order.party(PartyRole::ShipTo).map(|p| p.address.clone());
    assert_eq!(ship_to, Some(vec!["12 rue des Forges, 69007 Lyon".to_string()]));
    let lines: Vec<_> =
        order.lines.iter().map(|l| (l.id(ItemIdKind::Sku), l.qty, l.uom.as_deref(), l.unit_price)).collect();
    assert_eq!(
        lines,
        [
            (Some("FS-M8-080-SS"), Some(dec("3")), Some("BX"), Some(dec("42.42"))),
            (Some("GV-038-SS"), Some(dec("12")), Some("PCE"), Some(dec("24.14"))),
        ]
    );
    assert!(doc.diagnostics.is_empty(), "{:?}", doc.diagnostics);
}

/// A line total column settles the unit price: missing, or a "price" that
/// is the line total of several units.
#[test]
fn line_totals_beside_prices_give_the_unit_price() {
    let doc = csv("line_totals_beside_prices.csv");
    let prices: Vec<_> =
        doc.orders.iter().flat_map(|o| &o.lines).map(|l| (l.id(ItemIdKind::Sku), l.unit_price)).collect();
    assert_eq!(
        prices,
        [
            (Some("A-100"), Some(dec("5"))),
            (Some("B-200"), Some(dec("10.5"))),
            (Some("C-300"), Some(dec("7.25"))),
            (Some("D-400"), Some(dec("9.99"))),
        ]
    );
    let warning = find(&doc, "price_is_line_total").map(|d| (d.severity, d.position.line, d.position.column));
    assert_eq!(warning, Some((Severity::Warning, Some(2), Some(5))));
}

/// The order sheet of a buyer's workbook: `label | value` pairs above a
/// two-row merged header whose groups (`Item`, `Quantity`) sit over their
/// columns (`<buyer> P/N` and `UPC`, `Qty` and `UoM`); quantities stored as
/// text, dates as M/D/Y text.
fn buyer_layout_workbook(required: Option<&str>) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let build = |workbook: &mut Workbook| -> Result<(), rust_xlsxwriter::XlsxError> {
        let cover = workbook.add_worksheet().set_name("Cover")?;
        cover.write_string(0, 0, "Cascade Machine Works - Purchase Order")?;
        cover.write_string(4, 0, "Buyer: Holly Brandt")?;
        let sheet = workbook.add_worksheet().set_name("PO")?;
        let merged = CellFormat::new().set_align(FormatAlign::Center);
        sheet.merge_range(0, 0, 0, 6, "PURCHASE ORDER", &merged)?;
        let preamble = [("PO No.", Some("CMW-26-00261")), ("Order Date", Some("01/04/2026")), ("Required", required)];
        for (row, (label, value)) in (1u32..).zip(preamble) {
            sheet.write_string(row, 0, label)?;
            if let Some(value) = value {
                sheet.write_string(row, 1, value)?;
            }
        }
        sheet.write_string(4, 0, "Ship To")?;
        sheet.write_string(4, 1, "3400 NW Yeon Ave, Portland OR 97210")?;
        sheet.merge_range(6, 0, 7, 0, "Line", &merged)?;
        sheet.merge_range(6, 1, 6, 2, "Item", &merged)?;
        sheet.merge_range(6, 3, 7, 3, "Description", &merged)?;
        sheet.merge_range(6, 4, 6, 5, "Quantity", &merged)?;
        sheet.merge_range(6, 6, 7, 6, "Unit Price", &merged)?;
        for (col, label) in [(1, "Cascade P/N"), (2, "UPC"), (4, "Qty"), (5, "UoM")] {
            sheet.write_string(7, col, label)?;
        }
        let rows = [
            ("CMW-077590", 41952336298.0, "1in brass coupling", "1", "BX", 156.0),
            ("CMW-261817", 860013331184.0, "", "20", "EA", 12.04),
        ];
        for (i, (part, upc, description, qty, uom, price)) in rows.into_iter().enumerate() {
            let row = 8 + i as u32;
            sheet.write_number(row, 0, i as f64 + 1.0)?;
            sheet.write_string(row, 1, part)?;
            sheet.write_number(row, 2, upc)?;
            if !description.is_empty() {
                sheet.write_string(row, 3, description)?;
            }
            sheet.write_string(row, 4, qty)?;
            sheet.write_string(row, 5, uom)?;
            sheet.write_number(row, 6, price)?;
        }
        Ok(())
    };
    build(&mut workbook).unwrap_or_else(|e| panic!("building the workbook: {e}"));
    workbook.save_to_buffer().unwrap_or_else(|e| panic!("saving the workbook: {e}"))
}

#[test]
fn xlsx_grouped_header_reads_unit_upc_and_the_required_date() {
    let doc = prodline_formats::xlsx::parse(&buyer_layout_workbook(Some("01/25/2026")));
    let [order] = doc.orders.as_slice() else { panic!("{doc:?}") };
    assert_eq!(order.po_number.as_deref(), Some("CMW-26-00261"));
    assert_eq!(order.order_date, date(2026, 1, 4), "month first: the required date settles it");
    assert_eq!(order.requested_date, date(2026, 1, 25), "`Required` above the table");
    let lines: Vec<_> = order
        .lines
        .iter()
        .map(|l| (l.id(ItemIdKind::Sku), l.id(ItemIdKind::Gtin), l.qty, l.uom.as_deref(), l.unit_price))
        .collect();
    assert_eq!(
        lines,
        [
            (Some("CMW-077590"), Some("41952336298"), Some(dec("1")), Some("BX"), Some(dec("156"))),
            (Some("CMW-261817"), Some("860013331184"), Some(dec("20")), Some("EA"), Some(dec("12.04"))),
        ]
    );
    assert!(doc.diagnostics.is_empty(), "{:?}", doc.diagnostics);
}

#[test]
fn xlsx_required_label_without_a_value_leaves_the_date_unset() {
    let doc = prodline_formats::xlsx::parse(&buyer_layout_workbook(None));
    let [order] = doc.orders.as_slice() else { panic!("{doc:?}") };
    assert_eq!(order.requested_date, None);
    assert_eq!(order.lines.first().and_then(|l| l.uom.as_deref()), Some("BX"));
}

/// DeliveryParty is the carrier here; the ship-to is the DeliveryLocation.
#[test]
fn ubl_ship_to_is_the_delivery_location_not_the_carrier() {
    let doc = prodline_formats::ubl::parse(&fixture("ubl/carrier_delivery_party_and_location.xml"));
    let [order] = doc.orders.as_slice() else { panic!("{doc:?}") };
    let ship_to = order.party(PartyRole::ShipTo).unwrap_or_else(|| panic!("{:?}", order.parties));
    assert_eq!(
        ship_to.id.as_ref().map(|i| (i.qualifier.as_deref(), i.value.as_str())),
        Some((Some("0088"), "7300005001500"))
    );
    assert_eq!(ship_to.name, None, "the carrier's name is not the ship-to's");
    assert_eq!(ship_to.address, ["Havnegata 14"]);
    assert_eq!((ship_to.city.as_deref(), ship_to.postal_code.as_deref()), (Some("Stavanger"), Some("4006")));
    assert_eq!(order.requested_date, date(2026, 2, 20), "LatestDeliveryDate without a requested period");
}

#[test]
fn ubl_empty_delivery_location_falls_back_to_the_delivery_party() {
    let xml = br#"<Order><ID>P-1</ID>
        <Delivery><DeliveryLocation/><DeliveryParty><PartyName><Name>Plant 2</Name></PartyName></DeliveryParty></Delivery>
        <OrderLine><LineItem><ID>1</ID><Quantity unitCode="EA">2</Quantity><Item><Name>x</Name></Item></LineItem></OrderLine>
        </Order>"#;
    let doc = prodline_formats::ubl::parse(xml);
    let ship_to = doc.orders.first().and_then(|o| o.party(PartyRole::ShipTo)).and_then(|p| p.name.as_deref());
    assert_eq!(ship_to, Some("Plant 2"));
}

/// A random order table: header row, rows of code/qty/price, any delimiter.
fn random_table() -> impl Strategy<Value = (u8, Vec<(String, u32, u32)>)> {
    let delimiter = prop::sample::select(vec![b',', b';', b'\t', b'|']);
    let row = ("[A-Z]{1,3}-[0-9]{1,4}", 1u32..10_000, 0u32..100_000);
    (delimiter, prop::collection::vec(row, 1..20))
}

proptest! {
    #[test]
    fn csv_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = prodline_formats::csv::parse(&bytes);
        let _ = prodline_formats::parse(&bytes, Some("x.csv"));
    }

    #[test]
    fn csv_never_panics_on_arbitrary_text(text in "[a-zA-Z0-9,;|\t\"\n\r .:/€-]{0,400}") {
        let _ = prodline_formats::csv::parse(text.as_bytes());
    }

    #[test]
    fn random_tables_read_back_line_for_line((delimiter, rows) in random_table()) {
        let d = char::from(delimiter);
        let mut text = format!("Item{d}Qty{d}Unit Price\n");
        for (code, qty, cents) in &rows {
            text.push_str(&format!("{code}{d}{qty}{d}{}.{:02}\n", cents / 100, cents % 100));
        }
        let doc = prodline_formats::csv::parse(text.as_bytes());
        let lines: Vec<_> = doc.orders.iter().flat_map(|o| &o.lines).collect();
        prop_assert_eq!(lines.len(), rows.len());
        for (line, (code, qty, cents)) in lines.iter().zip(&rows) {
            prop_assert_eq!(line.id(ItemIdKind::Sku), Some(code.as_str()));
            prop_assert_eq!(line.qty, Some(Decimal::from(*qty)));
            prop_assert_eq!(line.unit_price, Some(Decimal::new(i64::from(*cents), 2)));
        }
    }
}
