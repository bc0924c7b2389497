//! The X12 writer: ISA/GS around many 850 sets (004010), `*` elements, `>`
//! components, `~` + LF terminators, as most VANs deliver them.

use super::GeneratedFile;
use super::model::{Date, PartyRole, SampleLine, SampleOrder, SampleParty, cents, tenths};
use crate::BenchFormat;
use crate::rng::Rng;

const TERMINATOR: &[u8] = b"~\n";
/// GE + IEA with nine-digit numbers: what closing the interchange adds.
const TRAILER_BYTES: usize = 40;

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
        write_850(&mut out, &order, orders);
    }
    interchange.write_trailer(&mut out, orders);
    GeneratedFile { format: BenchFormat::X12, bytes: out, orders, lines }
}

/// Writes segments and counts them, for SE01.
struct Segments<'a> {
    out: &'a mut Vec<u8>,
    count: usize,
}

impl Segments<'_> {
    /// One segment; trailing empty elements are the caller's to leave out.
    fn put(&mut self, tag: &str, elements: &[&str]) {
        self.out.extend_from_slice(tag.as_bytes());
        for element in elements {
            self.out.push(b'*');
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
    control: u64,
}

impl Envelope {
    fn random(rng: &mut Rng) -> Envelope {
        Envelope {
            sender: format!("{:09}", rng.range(100_000_000, 999_999_999)),
            receiver: format!("VENDOR{:04}", rng.range(0, 9999)),
            date: Date { year: 2024, month: rng.range(1, 12), day: rng.range(1, 28) },
            time: format!("{:02}{:02}", rng.range(0, 23), rng.range(0, 59)),
            control: rng.range(1, 999_999_999),
        }
    }

    fn write_header(&self, out: &mut Vec<u8>) {
        let isa = format!(
            "ISA*00*{:10}*00*{:10}*ZZ*{:15}*ZZ*{:15}*{}*{}*U*00401*{:09}*0*P*>",
            "",
            "",
            self.sender,
            self.receiver,
            self.date.yymmdd(),
            self.time,
            self.control
        );
        out.extend_from_slice(isa.as_bytes());
        out.extend_from_slice(TERMINATOR);
        let date = self.date.ccyymmdd();
        let group = self.control.to_string();
        let mut segments = Segments { out, count: 0 };
        segments.put("GS", &["PO", &self.sender, &self.receiver, &date, &self.time, &group, "X", "004010"]);
    }

    fn write_trailer(&self, out: &mut Vec<u8>, sets: usize) {
        let mut segments = Segments { out, count: 0 };
        segments.put("GE", &[&sets.to_string(), &self.control.to_string()]);
        segments.put("IEA", &["1", &format!("{:09}", self.control)]);
    }
}

fn write_850(out: &mut Vec<u8>, order: &SampleOrder, sequence: usize) {
    let control = format!("{sequence:04}");
    let mut segments = Segments { out, count: 0 };
    segments.put("ST", &["850", &control]);
    write_header(&mut segments, order);
    for party in &order.parties {
        write_party(&mut segments, party);
    }
    for (index, line) in order.lines.iter().enumerate() {
        write_line(&mut segments, line, index + 1);
    }
    segments.put("CTT", &[&order.lines.len().to_string()]);
    let count = segments.count + 1;
    segments.put("SE", &[&count.to_string(), &control]);
}

fn write_header(segments: &mut Segments<'_>, order: &SampleOrder) {
    segments.put("BEG", &["00", "SA", &order.po_number, "", &order.order_date.ccyymmdd()]);
    segments.put("CUR", &["BY", order.currency]);
    segments.put("REF", &["DP", &order.department]);
    if let Some(contract) = &order.contract {
        segments.put("REF", &["CT", contract]);
    }
    if let Some((name, phone)) = &order.buyer_contact {
        segments.put("PER", &["BD", name, "TE", phone]);
    }
    segments.put("ITD", &["14", "3", "2", "", "30", "", "60"]);
    segments.put("DTM", &["002", &order.delivery_date.ccyymmdd()]);
    if let Some(ship) = order.ship_date {
        segments.put("DTM", &["010", &ship.ccyymmdd()]);
    }
    if let Some(note) = &order.note {
        // Free text lives in an N9 loop in the 850.
        segments.put("N9", &["L1", "NOTES"]);
        segments.put("MSG", &[note]);
    }
}

fn write_party(segments: &mut Segments<'_>, party: &SampleParty) {
    let code = match party.role {
        PartyRole::Buyer => "BY",
        PartyRole::ShipTo => "ST",
        PartyRole::BillTo => "BT",
        PartyRole::Supplier => "SU",
    };
    // GLN qualifier UL; the buyer is usually known by a DUNS-like number (92 = assigned by buyer).
    let (qualifier, id) = match party.role {
        PartyRole::Buyer | PartyRole::Supplier => ("92", party.gln.get(..9).unwrap_or(&party.gln)),
        PartyRole::ShipTo | PartyRole::BillTo => ("UL", party.gln.as_str()),
    };
    segments.put("N1", &[code, &party.name, qualifier, id]);
    if party.role == PartyRole::Supplier {
        return;
    }
    segments.put("N3", &[&party.street]);
    segments.put("N4", &[party.city, party.region, &party.postal_code, party.country]);
}

fn write_line(segments: &mut Segments<'_>, line: &SampleLine, number: usize) {
    segments.put(
        "PO1",
        &[
            &number.to_string(),
            &tenths(line.qty_tenths),
            line.unit.x12,
            &cents(line.price_cents),
            "PE",
            "BP",
            &line.buyer_part,
            "VP",
            &line.vendor_part,
            "UP",
            &line.upc,
        ],
    );
    segments.put("PID", &["F", "", "", "", &line.description]);
    if let Some(pack) = line.pack_size {
        segments.put("PO4", &[&pack.to_string()]);
    }
    if let Some(amount) = line.allowance_cents {
        // SAC05 is an amount with two implied decimals.
        segments.put("SAC", &["A", "C310", "", "", &amount.to_string()]);
    }
    if let Some(date) = line.delivery_date {
        segments.put("DTM", &["002", &date.ccyymmdd()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments(bytes: &[u8]) -> Vec<String> {
        String::from_utf8_lossy(bytes).split("~\n").filter(|s| !s.is_empty()).map(str::to_string).collect()
    }

    #[test]
    fn isa_is_106_bytes_with_its_delimiters() {
        let file = generate(10_000, 5);
        let isa = file.bytes.get(..106).unwrap_or_default();
        assert_eq!(isa.get(103), Some(&b'*'));
        assert_eq!(isa.get(104), Some(&b'>'));
        assert_eq!(file.bytes.get(105), Some(&b'~'));
    }

    #[test]
    fn envelope_counts_agree_with_the_content() {
        let file = generate(200_000, 11);
        let segs = segments(&file.bytes);
        let sts = segs.iter().filter(|s| s.starts_with("ST*")).count();
        let po1s = segs.iter().filter(|s| s.starts_with("PO1*")).count();
        assert_eq!(sts, file.orders);
        assert_eq!(po1s, file.lines);
        let ge = segs.iter().find(|s| s.starts_with("GE*")).cloned().unwrap_or_default();
        assert_eq!(ge.split('*').nth(1), Some(file.orders.to_string().as_str()));
        // Every SE01 equals the number of segments from ST to SE.
        let mut in_set = 0usize;
        for seg in &segs {
            if seg.starts_with("ST*") {
                in_set = 0;
            }
            in_set += 1;
            if seg.starts_with("SE*") {
                assert_eq!(seg.split('*').nth(1), Some(in_set.to_string().as_str()), "{seg}");
            }
            if let Some(ctt) = seg.strip_prefix("CTT*") {
                assert!(ctt.parse::<usize>().is_ok_and(|n| (5..=40).contains(&n)), "{seg}");
            }
        }
    }
}
