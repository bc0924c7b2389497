//! X12 850 purchase orders (and the 810/997 that arrive by mistake), written
//! with each sender's own delimiters, line breaks and envelopes.

use chrono::NaiveDate;

use crate::catalog::Item;
use crate::customers::{Customer, X12Style};
use crate::draft::PoDraft;

/// Our id in the receiver fields of ISA and GS.
pub(crate) const RECEIVER_ID: &str = "NWFLOWCOMP";

/// One interchange's envelope values.
#[derive(Debug, Clone)]
pub(crate) struct Envelope {
    pub(crate) qualifier: &'static str,
    pub(crate) sender: String,
    pub(crate) control: u32,
    pub(crate) date: NaiveDate,
    pub(crate) hhmm: String,
}

type Segment = Vec<String>;

fn seg(parts: &[&str]) -> Segment {
    parts.iter().map(|p| (*p).to_string()).collect()
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

/// The 106-byte ISA segment: every field padded to its fixed width.
fn isa(env: &Envelope, style: &X12Style) -> Segment {
    let component = char::from(style.component).to_string();
    vec![
        "ISA".into(),
        "00".into(),
        " ".repeat(10),
        "00".into(),
        " ".repeat(10),
        env.qualifier.into(),
        format!("{:<15}", truncate(&env.sender, 15)),
        "ZZ".into(),
        format!("{RECEIVER_ID:<15}"),
        env.date.format("%y%m%d").to_string(),
        env.hhmm.clone(),
        "U".into(),
        "00401".into(),
        format!("{:09}", env.control % 1_000_000_000),
        "0".into(),
        "P".into(),
        component,
    ]
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Serialize segments with the sender's delimiters; `wrap80` breaks the
/// stream every 80 bytes, inside segments, as old mainframe gateways do.
fn serialize(segments: &[Segment], style: &X12Style) -> Vec<u8> {
    let mut out = Vec::new();
    for s in segments {
        for (i, element) in s.iter().enumerate() {
            if i > 0 {
                out.push(style.element);
            }
            out.extend_from_slice(element.as_bytes());
        }
        out.push(style.segment);
        if !style.wrap80 {
            out.extend_from_slice(style.newline.as_bytes());
        }
    }
    if style.wrap80 {
        return wrap(&out, 80, style.newline.as_bytes());
    }
    out
}

fn wrap(bytes: &[u8], width: usize, newline: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / width * 2 + 2);
    for chunk in bytes.chunks(width) {
        out.extend_from_slice(chunk);
        out.extend_from_slice(newline);
    }
    out
}

/// A whole interchange around transaction sets of one functional group.
pub(crate) fn interchange(env: &Envelope, functional_id: &str, sets: Vec<Vec<Segment>>, style: &X12Style) -> Vec<u8> {
    let group = env.control % 100_000;
    let mut segments = vec![isa(env, style)];
    segments.push(vec![
        "GS".into(),
        functional_id.into(),
        env.sender.clone(),
        RECEIVER_ID.into(),
        ymd(env.date),
        env.hhmm.clone(),
        group.to_string(),
        "X".into(),
        "004010".into(),
    ]);
    let count = sets.len();
    for set in sets {
        segments.extend(set);
    }
    segments.push(seg(&["GE", &count.to_string(), &group.to_string()]));
    segments.push(seg(&["IEA", "1", &format!("{:09}", env.control % 1_000_000_000)]));
    serialize(&segments, style)
}

/// Close a transaction set: ST first, SE with the segment count last.
fn close_set(kind: &str, number: usize, body: Vec<Segment>) -> Vec<Segment> {
    let control = format!("{:04}", number);
    let mut set = vec![seg(&["ST", kind, &control])];
    set.extend(body);
    let count = set.len() + 1;
    set.push(seg(&["SE", &count.to_string(), &control]));
    set
}

/// One 850 transaction set for a purchase order.
pub(crate) fn po_set(draft: &PoDraft, number: usize, customer: &Customer, items: &[Item]) -> Vec<Segment> {
    let purpose = if draft.revision { "05" } else { "00" };
    let mut body = vec![seg(&["BEG", purpose, "SA", &draft.po, "", &ymd(draft.order_date)])];
    if let Some(currency) = draft.currency_stated {
        body.push(seg(&["CUR", "BY", currency]));
    }
    if let Some(requested) = draft.requested {
        body.push(seg(&["DTM", "002", &ymd(requested)]));
    }
    let buyer_code = customer.edi_ids.first().cloned().unwrap_or_default();
    body.push(seg(&["N1", "BY", &customer.name.to_uppercase(), "92", &buyer_code]));
    if let Some(ship) = draft.ship_to.and_then(|k| customer.ship_tos.get(k)) {
        let code = ship.edi_code.clone().unwrap_or_default();
        body.push(seg(&["N1", "ST", &ship.name.to_uppercase(), "92", &code]));
        body.push(seg(&["N3", &ship.street.to_uppercase()]));
        body.push(seg(&["N4", &ship.city.to_uppercase(), &ship.region, &ship.postal, ship.country]));
    }
    let mut hash = rust_decimal::Decimal::ZERO;
    for line in &draft.lines {
        body.push(po1(line, items));
        if let Some(desc) = &line.description {
            body.push(seg(&["PID", "F", "", "", "", desc]));
        }
        hash += line.qty;
    }
    body.push(seg(&["CTT", &draft.lines.len().to_string(), &hash.normalize().to_string()]));
    close_set("850", number, body)
}

fn po1(line: &crate::draft::DraftLine, items: &[Item]) -> Segment {
    let price = line.price.map(|p| p.normalize().to_string()).unwrap_or_default();
    let basis = if line.price.is_some() { "PE" } else { "" };
    let mut s = vec![
        "PO1".to_string(),
        line.line_no.to_string(),
        line.qty.normalize().to_string(),
        line.uom.clone().unwrap_or_default(),
        price,
        basis.to_string(),
    ];
    let item = items.get(line.item);
    if line.gtin {
        s.extend(["UP".to_string(), item.map(|i| i.upc.clone()).unwrap_or_default()]);
        if let Some(part) = &line.part {
            s.extend(["IN".to_string(), part.clone()]);
        }
    } else if let Some(part) = &line.part {
        s.extend(["BP".to_string(), part.clone()]);
    }
    if let Some(sku) = &line.sku {
        s.extend(["VP".to_string(), sku.clone()]);
    }
    s
}

/// An 810 invoice: it lands in the order mailbox now and then.
pub(crate) fn invoice_set(draft: &PoDraft, invoice_no: &str, items: &[Item]) -> Vec<Segment> {
    let mut body = vec![seg(&["BIG", &ymd(draft.order_date), invoice_no, &ymd(draft.order_date), &draft.po])];
    let mut total = rust_decimal::Decimal::ZERO;
    for line in &draft.lines {
        let price = line.price.unwrap_or_else(|| items.get(line.item).map(|i| i.list_price).unwrap_or_default());
        total += price * line.qty;
        let sku = items.get(line.item).map(|i| i.sku.clone()).unwrap_or_default();
        body.push(vec![
            "IT1".into(),
            line.line_no.to_string(),
            line.qty.normalize().to_string(),
            line.uom.clone().unwrap_or_else(|| "EA".into()),
            price.normalize().to_string(),
            String::new(),
            "VP".into(),
            sku,
        ]);
    }
    let cents = (total.round_dp(2) * rust_decimal::Decimal::from(100)).normalize().to_string();
    body.push(seg(&["TDS", &cents]));
    body.push(seg(&["CTT", &draft.lines.len().to_string()]));
    close_set("810", 1, body)
}

/// A 997 functional acknowledgment of one of our own documents.
pub(crate) fn ack_set(group_control: u32) -> Vec<Segment> {
    let body = vec![
        seg(&["AK1", "IN", &group_control.to_string()]),
        seg(&["AK2", "810", "0001"]),
        seg(&["AK5", "A"]),
        seg(&["AK9", "A", "1", "1", "1"]),
    ];
    close_set("997", 1, body)
}
