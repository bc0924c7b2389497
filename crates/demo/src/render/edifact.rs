//! EDIFACT ORDERS D96A (and a stray INVOIC), with UNA or without, release
//! characters where names need them, and Latin-1 bytes for UNOC.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::catalog::Item;
use crate::customers::{Customer, EdifactStyle};
use crate::draft::{DraftLine, PoDraft};

/// Our GLN in the UNB recipient field.
pub(crate) const RECEIVER_GLN: &str = "0614141000005";

/// One interchange's envelope values.
#[derive(Debug, Clone)]
pub(crate) struct Envelope {
    pub(crate) reference: String,
    pub(crate) date: NaiveDate,
    pub(crate) hhmm: String,
}

/// A segment is a tag and its elements, each element a list of components.
struct Segment(Vec<Vec<String>>);

fn s(elements: &[&[&str]]) -> Segment {
    Segment(elements.iter().map(|e| e.iter().map(|c| (*c).to_string()).collect()).collect())
}

/// Escape the service characters with the release character '?'.
fn release(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '?' | '+' | ':' | '\'') {
            out.push('?');
        }
        out.push(c);
    }
    out
}

fn number(d: Decimal, style: &EdifactStyle) -> String {
    let text = d.normalize().to_string();
    if style.decimal_comma { text.replace('.', ",") } else { text }
}

fn serialize(segments: &[Segment], style: &EdifactStyle) -> String {
    let mut out = String::new();
    if style.una {
        let decimal = if style.decimal_comma { ',' } else { '.' };
        out.push_str(&format!("UNA:+{decimal}? '"));
        out.push_str(style.newline);
    }
    for Segment(elements) in segments {
        let text: Vec<String> =
            elements.iter().map(|comps| comps.iter().map(|c| release(c)).collect::<Vec<_>>().join(":")).collect();
        out.push_str(&text.join("+"));
        out.push('\'');
        out.push_str(style.newline);
    }
    out
}

/// UNOC is ISO 8859-1: senders write Latin-1 bytes, not UTF-8.
fn encode(text: &str, style: &EdifactStyle) -> Vec<u8> {
    if style.syntax == "UNOC" {
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(text);
        return bytes.into_owned();
    }
    text.as_bytes().to_vec()
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

fn unb(env: &Envelope, style: &EdifactStyle) -> Segment {
    let date = env.date.format("%y%m%d").to_string();
    s(&[
        &["UNB"],
        &[style.syntax, "3"],
        &[&style.sender_id, "14"],
        &[RECEIVER_GLN, "14"],
        &[&date, &env.hhmm],
        &[&env.reference],
    ])
}

/// An interchange with one ORDERS message per draft.
pub(crate) fn orders_interchange(
    env: &Envelope,
    drafts: &[&PoDraft],
    customer: &Customer,
    items: &[Item],
    style: &EdifactStyle,
) -> Vec<u8> {
    let mut segments = vec![unb(env, style)];
    for (n, draft) in drafts.iter().enumerate() {
        segments.extend(orders_message(draft, n + 1, customer, items, style));
    }
    segments.push(s(&[&["UNZ"], &[&drafts.len().to_string()], &[&env.reference]]));
    encode(&serialize(&segments, style), style)
}

fn name_of(text: &str, style: &EdifactStyle) -> String {
    if style.syntax == "UNOA" { text.to_uppercase() } else { text.to_string() }
}

fn orders_message(
    draft: &PoDraft,
    number: usize,
    customer: &Customer,
    items: &[Item],
    style: &EdifactStyle,
) -> Vec<Segment> {
    let reference = number.to_string();
    let function = if draft.revision { "5" } else { "9" };
    let mut body = vec![
        s(&[&["UNH"], &[&reference], &["ORDERS", "D", "96A", "UN", "EAN008"]]),
        s(&[&["BGM"], &["220"], &[&draft.po], &[function]]),
        s(&[&["DTM"], &["137", &ymd(draft.order_date), "102"]]),
    ];
    if let Some(requested) = draft.requested {
        body.push(s(&[&["DTM"], &["2", &ymd(requested), "102"]]));
    }
    if let Some(currency) = draft.currency_stated {
        body.push(s(&[&["CUX"], &["2", currency, "9"]]));
    }
    let site = customer.ship_tos.first();
    let name = name_of(&customer.name, style);
    let street = site.map(|x| name_of(&x.street, style)).unwrap_or_default();
    let city = site.map(|x| name_of(&x.city, style)).unwrap_or_default();
    let postal = site.map(|x| x.postal.clone()).unwrap_or_default();
    body.push(s(&[
        &["NAD"],
        &["BY"],
        &[&style.sender_id, "", "9"],
        &[],
        &[&name],
        &[&street],
        &[&city],
        &[],
        &[&postal],
        &[customer.country],
    ]));
    if let Some(ship) = draft.ship_to.and_then(|k| customer.ship_tos.get(k)) {
        let code = ship.edi_code.clone().unwrap_or_default();
        let ship_name = name_of(&ship.name, style);
        let ship_street = name_of(&ship.street, style);
        let ship_city = name_of(&ship.city, style);
        body.push(s(&[
            &["NAD"],
            &["DP"],
            &[&code, "", "9"],
            &[],
            &[&ship_name],
            &[&ship_street],
            &[&ship_city],
            &[],
            &[&ship.postal],
            &[ship.country],
        ]));
    }
    for line in &draft.lines {
        body.extend(lin_group(line, items, style));
    }
    body.push(s(&[&["UNS"], &["S"]]));
    body.push(s(&[&["CNT"], &["2", &draft.lines.len().to_string()]]));
    let count = body.len() + 1;
    body.push(s(&[&["UNT"], &[&count.to_string()], &[&reference]]));
    body
}

fn lin_group(line: &DraftLine, items: &[Item], style: &EdifactStyle) -> Vec<Segment> {
    let item = items.get(line.item);
    let no = line.line_no.to_string();
    let gtin = item.map(|i| i.gtin13()).unwrap_or_default();
    let mut out =
        if line.gtin { vec![s(&[&["LIN"], &[&no], &[], &[&gtin, "EN"]])] } else { vec![s(&[&["LIN"], &[&no]])] };
    let mut pia: Vec<Vec<String>> = vec![vec!["PIA".into()], vec!["5".into()]];
    if let Some(sku) = &line.sku {
        pia.push(vec![sku.clone(), "SA".into()]);
    }
    if let Some(part) = &line.part {
        pia.push(vec![part.clone(), "IN".into()]);
    }
    if pia.len() > 2 {
        out.push(Segment(pia));
    }
    if let Some(desc) = &line.description {
        out.push(s(&[&["IMD"], &["F"], &[], &["", "", "", desc]]));
    }
    let qty = number(line.qty, style);
    let unit = line.uom.clone().unwrap_or_default();
    out.push(s(&[&["QTY"], &["21", &qty, &unit]]));
    if let Some(price) = line.price {
        out.push(s(&[&["PRI"], &["AAA", &number(price, style)]]));
    }
    out
}

/// An INVOIC for an order: sent to the order channel by mistake.
pub(crate) fn invoic_interchange(env: &Envelope, draft: &PoDraft, items: &[Item], style: &EdifactStyle) -> Vec<u8> {
    let mut segments = vec![unb(env, style)];
    let mut body = vec![
        s(&[&["UNH"], &["1"], &["INVOIC", "D", "96A", "UN"]]),
        s(&[&["BGM"], &["380"], &[&format!("INV{}", draft.po)], &["9"]]),
        s(&[&["DTM"], &["137", &ymd(draft.order_date), "102"]]),
        s(&[&["RFF"], &["ON", &draft.po]]),
    ];
    for line in &draft.lines {
        let sku = items.get(line.item).map(|i| i.sku.clone()).unwrap_or_default();
        body.push(s(&[&["LIN"], &[&line.line_no.to_string()], &[], &[&sku, "SA"]]));
        body.push(s(&[&["QTY"], &["47", &number(line.qty, style)]]));
    }
    body.push(s(&[&["UNS"], &["S"]]));
    let count = body.len() + 1;
    body.push(s(&[&["UNT"], &[&count.to_string()], &["1"]]));
    segments.extend(body);
    segments.push(s(&[&["UNZ"], &["1"], &[&env.reference]]));
    encode(&serialize(&segments, style), style)
}
