//! The EDIFACT writer: UNA + UNB around many ORDERS D.96A messages, standard
//! separators (`:+.? '`), one segment per line; free text is escaped with `?`.

use std::borrow::Cow;

use super::GeneratedFile;
use super::model::{Date, PartyRole, SampleLine, SampleOrder, SampleParty, cents, tenths};
use crate::BenchFormat;
use crate::rng::Rng;

const UNA: &[u8] = b"UNA:+.? '\n";
const TERMINATOR: &[u8] = b"'\n";
/// UNZ with a 14-character reference: what closing the interchange adds.
const TRAILER_BYTES: usize = 32;

pub(super) fn generate(target_bytes: usize, seed: u64) -> GeneratedFile {
    let mut rng = Rng::new(seed);
    let interchange = Envelope::random(&mut rng);
    let mut out = Vec::with_capacity(target_bytes.saturating_add(8 * 1024));
    interchange.write_header(&mut out);
    let (mut orders, mut lines) = (0usize, 0usize);
    while orders == 0 || out.len() + TRAILER_BYTES < target_bytes {
        orders += 1;
        let order = SampleOrder::random(&mut rng, orders);
        lines += order.lines.len();
        write_orders(&mut out, &order, orders);
    }
    let mut segments = Segments { out: &mut out, count: 0 };
    segments.put("UNZ", &[&orders.to_string(), &interchange.reference]);
    GeneratedFile { format: BenchFormat::Edifact, bytes: out, orders, lines }
}

/// Release characters before the separators and the release character itself.
fn escape(text: &str) -> Cow<'_, str> {
    if !text.contains(['?', ':', '+', '\'']) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        if matches!(c, '?' | ':' | '+' | '\'') {
            escaped.push('?');
        }
        escaped.push(c);
    }
    Cow::Owned(escaped)
}

/// Writes segments and counts them, for UNT 0074. Elements are written as
/// given: composites arrive joined with `:` and free text already escaped.
struct Segments<'a> {
    out: &'a mut Vec<u8>,
    count: usize,
}

impl Segments<'_> {
    fn put(&mut self, tag: &str, elements: &[&str]) {
        self.out.extend_from_slice(tag.as_bytes());
        for element in elements {
            self.out.push(b'+');
            self.out.extend_from_slice(element.as_bytes());
        }
        self.out.extend_from_slice(TERMINATOR);
        self.count += 1;
    }
}

struct Envelope {
    sender: String,
    receiver: String,
    date: Date,
    time: String,
    reference: String,
}

impl Envelope {
    fn random(rng: &mut Rng) -> Envelope {
        Envelope {
            sender: format!("54{:011}", rng.range(0, 99_999_999_999)),
            receiver: format!("40{:011}", rng.range(0, 99_999_999_999)),
            date: Date { year: 2024, month: rng.range(1, 12), day: rng.range(1, 28) },
            time: format!("{:02}{:02}", rng.range(0, 23), rng.range(0, 59)),
            reference: format!("{}", rng.range(1, 99_999_999)),
        }
    }

    fn write_header(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(UNA);
        let mut segments = Segments { out, count: 0 };
        segments.put(
            "UNB",
            &[
                "UNOC:3",
                &format!("{}:14", self.sender),
                &format!("{}:14", self.receiver),
                &format!("{}:{}", self.date.yymmdd(), self.time),
                &self.reference,
            ],
        );
    }
}

fn write_orders(out: &mut Vec<u8>, order: &SampleOrder, sequence: usize) {
    let reference = sequence.to_string();
    let mut segments = Segments { out, count: 0 };
    segments.put("UNH", &[&reference, "ORDERS:D:96A:UN"]);
    write_header(&mut segments, order);
    for party in &order.parties {
        write_party(&mut segments, party);
    }
    segments.put("CUX", &[&format!("2:{}:9", order.currency)]);
    for (index, line) in order.lines.iter().enumerate() {
        write_line(&mut segments, line, index + 1);
    }
    segments.put("UNS", &["S"]);
    segments.put("CNT", &[&format!("2:{}", order.lines.len())]);
    let count = segments.count + 1;
    segments.put("UNT", &[&count.to_string(), &reference]);
}

fn write_header(segments: &mut Segments<'_>, order: &SampleOrder) {
    segments.put("BGM", &["220", &order.po_number, "9"]);
    segments.put("DTM", &[&format!("137:{}:102", order.order_date.ccyymmdd())]);
    segments.put("DTM", &[&format!("2:{}:102", order.delivery_date.ccyymmdd())]);
    if let Some(note) = &order.note {
        segments.put("FTX", &["DEL", "", "", &escape(note)]);
    }
    segments.put("RFF", &[&format!("DP:{}", order.department)]);
    if let Some(contract) = &order.contract {
        segments.put("RFF", &[&format!("CT:{contract}")]);
    }
}

fn write_party(segments: &mut Segments<'_>, party: &SampleParty) {
    let code = match party.role {
        PartyRole::Buyer => "BY",
        PartyRole::ShipTo => "DP",
        PartyRole::BillTo => "IV",
        PartyRole::Supplier => "SU",
    };
    let id = format!("{}::9", party.gln);
    if party.role == PartyRole::Supplier {
        segments.put("NAD", &[code, &id]);
        return;
    }
    segments.put(
        "NAD",
        &[
            code,
            &id,
            "",
            &escape(&party.name),
            &escape(&party.street),
            party.city,
            party.region,
            &party.postal_code,
            party.country,
        ],
    );
    if party.role == PartyRole::BillTo {
        segments.put("RFF", &[&format!("VA:{}{}", party.country, party.postal_code)]);
    }
}

fn write_line(segments: &mut Segments<'_>, line: &SampleLine, number: usize) {
    segments.put("LIN", &[&number.to_string(), "", &format!("0{}:EN", line.upc)]);
    segments
        .put("PIA", &["1", &format!("{}:IN", escape(&line.buyer_part)), &format!("{}:SA", escape(&line.vendor_part))]);
    segments.put("IMD", &["F", "", &format!(":::{}", escape(&line.description))]);
    segments.put("QTY", &[&format!("21:{}:{}", tenths(line.qty_tenths), line.unit.edifact)]);
    if let Some(date) = line.delivery_date {
        segments.put("DTM", &[&format!("2:{}:102", date.ccyymmdd())]);
    }
    segments.put("PRI", &[&format!("AAA:{}", cents(line.price_cents))]);
    if let Some(pack) = line.pack_size {
        segments.put("PAC", &[&pack.to_string()]);
    }
    if let Some(amount) = line.allowance_cents {
        segments.put("ALC", &["A", "", "", "", "DI"]);
        segments.put("MOA", &[&format!("204:{}", cents(amount))]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Split on unescaped `'`, the way a reader must.
    fn segments(bytes: &[u8]) -> Vec<String> {
        let text = String::from_utf8_lossy(bytes);
        let mut segs = Vec::new();
        let mut current = String::new();
        let mut released = false;
        for c in text.chars() {
            if released {
                current.push(c);
                released = false;
            } else if c == '?' {
                current.push(c);
                released = true;
            } else if c == '\'' {
                segs.push(current.trim().to_string());
                current.clear();
            } else {
                current.push(c);
            }
        }
        segs
    }

    #[test]
    fn free_text_is_released() {
        assert_eq!(escape("O'BRIEN + SONS: 5?"), "O?'BRIEN ?+ SONS?: 5??");
        assert!(matches!(escape("PLAIN"), Cow::Borrowed(_)));
    }

    #[test]
    fn envelope_counts_agree_with_the_content() {
        let file = generate(200_000, 11);
        let segs = segments(&file.bytes);
        assert_eq!(segs.first().map(String::as_str), Some("UNA:+.?"));
        assert!(segs.get(1).is_some_and(|s| s.starts_with("UNB+UNOC:3+")), "{:?}", segs.get(1));
        let unh = segs.iter().filter(|s| s.starts_with("UNH+")).count();
        let lin = segs.iter().filter(|s| s.starts_with("LIN+")).count();
        assert_eq!(unh, file.orders);
        assert_eq!(lin, file.lines);
        let unz = segs.iter().find(|s| s.starts_with("UNZ+")).cloned().unwrap_or_default();
        assert_eq!(unz.split('+').nth(1), Some(file.orders.to_string().as_str()));
        let mut in_message = 0usize;
        for seg in &segs {
            if seg.starts_with("UNH+") {
                in_message = 0;
            }
            in_message += 1;
            if seg.starts_with("UNT+") {
                assert_eq!(seg.split('+').nth(1), Some(in_message.to_string().as_str()), "{seg}");
            }
        }
    }
}
