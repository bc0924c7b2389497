//! Acknowledgments back to the sender: the 997 of real-world interchanges and
//! the 855 of their orders read back through our own reader, with the
//! envelope addressed back and the content matching what was received.

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use prodline_core::units::normalize_uom;
use prodline_core::{CanonicalLine, CanonicalOrder, Decimal, NaiveDate, ParsedDocument, ParsedOrder, PartyId};
use prodline_x12::ack::{AckError, AckParty, AckType, ack_855, ack_997};
use prodline_x12::{SegmentTable, parse};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/realworld")
}

fn read_corpus(rel: &str) -> Vec<u8> {
    let path = corpus().join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn now() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2024, 3, 5).and_then(|d| d.and_hms_opt(14, 7, 0)).unwrap()
}

/// Every segment as `ID*e1*e2...` joined with `*`, whatever the delimiters.
fn segments(bytes: &[u8]) -> Vec<String> {
    let table = SegmentTable::read(bytes);
    let out = table.iter().map(|s| {
        let mut fields = vec![s.id().to_string()];
        fields.extend(s.elements().map(|e| e.trim().to_string()));
        fields.join("*")
    });
    out.collect()
}

fn with_id<'a>(segments: &'a [String], id: &str) -> Vec<&'a str> {
    let prefix = format!("{id}*");
    segments.iter().filter(|s| s.starts_with(&prefix)).map(String::as_str).collect()
}

/// ISA element `n`, trimmed.
fn isa(bytes: &[u8], n: usize) -> String {
    let table = SegmentTable::read(bytes);
    table.get(0).map(|s| s.element(n).trim().to_string()).unwrap_or_default()
}

fn assert_reads_back_clean(doc: &ParsedDocument, kind: &str, sets: usize) {
    assert!(doc.diagnostics.is_empty(), "{:?}", doc.diagnostics);
    assert!(doc.orders.is_empty());
    let kinds: Vec<&str> = doc.skipped.iter().map(|s| s.kind.as_str()).collect();
    assert_eq!(kinds, vec![kind; sets]);
}

/// What the 997 of a corpus file must say, group by group.
struct Expect997 {
    file: &'static str,
    ak1: &'static [&'static str],
    /// AK2 and its AK5, joined by a space, in file order.
    sets: &'static [&'static str],
    ak9: &'static [&'static str],
}

const EXPECT_997: &[Expect997] = &[
    Expect997 {
        file: "x12_850/bots__850-004010-02.x12",
        ak1: &["AK1*PO*5", "AK1*PO*5"],
        sets: &[
            "AK2*850*000000001 AK5*A",
            "AK2*850*000000001 AK5*A",
            "AK2*850*000000001 AK5*A",
            "AK2*850*000000001 AK5*A",
        ],
        ak9: &["AK9*A*2*2*2", "AK9*A*2*2*2"],
    },
    Expect997 {
        file: "x12_850/bots__850-004010.15.x12",
        ak1: &["AK1*PO*100001"],
        sets: &["AK2*850*0001 AK5*A", "AK2*850*0002 AK5*A", "AK2*850*0003 AK5*A", "AK2*850*0004 AK5*A"],
        ak9: &["AK9*A*4*4*4"],
    },
    Expect997 {
        file: "x12_850/edifabric__CorruptSt.txt",
        ak1: &["AK1*IN*000000001"],
        sets: &["AK2*850*0001 AK5*R*6", "AK2*850*0001 AK5*A"],
        ak9: &["AK9*P*2*2*1"],
    },
    Expect997 {
        file: "x12_850/edinet__x12.850.issue135.edi",
        ak1: &["AK1*PO*1"],
        // The first set has a segment without its terminator.
        sets: &["AK2*850*0001 AK5*E*5", "AK2*850*0001 AK5*A"],
        ak9: &["AK9*E*2*2*2"],
    },
];

#[test]
fn ack_997_of_corpus_files_matches_the_sets_received() {
    let ours = AckParty::default();
    for expect in EXPECT_997 {
        let received = read_corpus(expect.file);
        let acks = ack_997(&received, &ours, 41, now()).unwrap();
        assert_eq!(acks.len(), 1, "{}", expect.file);
        let reply = &acks[0];
        assert_reads_back_clean(&parse(reply), "997", expect.ak1.len());
        let segs = segments(reply);
        assert_eq!(with_id(&segs, "AK1"), expect.ak1, "{}", expect.file);
        let ak2 = with_id(&segs, "AK2");
        let ak5 = with_id(&segs, "AK5");
        let sets: Vec<String> = ak2.iter().zip(&ak5).map(|(a, b)| format!("{a} {b}")).collect();
        assert_eq!(ak2.len(), ak5.len());
        assert_eq!(sets, expect.sets, "{}", expect.file);
        assert_eq!(with_id(&segs, "AK9"), expect.ak9, "{}", expect.file);
    }
}

#[test]
fn ack_997_is_addressed_back_with_the_senders_delimiters() {
    for expect in EXPECT_997 {
        let received = read_corpus(expect.file);
        let reply = &ack_997(&received, &AckParty::default(), 41, now()).unwrap()[0];
        for (ours, theirs) in [(5, 7), (6, 8), (7, 5), (8, 6)] {
            assert_eq!(isa(reply, ours), isa(&received, theirs), "{} ISA{ours:02}", expect.file);
        }
        assert_eq!(isa(reply, 13), "000000041");
        assert_eq!(isa(reply, 15), isa(&received, 15), "a test interchange gets a test ack");
        let (got, sent) = (SegmentTable::read(reply), SegmentTable::read(&received));
        let (got, sent) = (got.delimiters(1).unwrap(), sent.delimiters(1).unwrap());
        assert_eq!((got.element, got.segment), (sent.element, sent.segment), "{}", expect.file);
        let segs = segments(reply);
        let gs = with_id(&segs, "GS")[0];
        let received_gs = segments(&received).into_iter().find(|s| s.starts_with("GS*")).unwrap();
        let received_gs: Vec<&str> = received_gs.split('*').collect();
        assert!(gs.starts_with(&format!("GS*FA*{}*{}*20240305*1407*41*X*", received_gs[3], received_gs[2])));
    }
}

#[test]
fn ack_997_with_pipe_separators_keeps_them_and_no_line_breaks() {
    let received = read_corpus("x12_850/bots__850-004010.15.x12");
    let reply = &ack_997(&received, &AckParty::default(), 1, now()).unwrap()[0];
    assert!(reply.starts_with(b"ISA|00|"));
    assert!(!reply.contains(&b'\n'));
    assert!(reply.windows(12).any(|w| w == b"~AK2|850|000"));
}

#[test]
fn ack_997_gives_a_missing_isa16_a_free_component_separator() {
    let received = read_corpus("x12_850/edinet__x12.850.issue135.edi");
    let reply = &ack_997(&received, &AckParty::default(), 1, now()).unwrap()[0];
    let delimiters = SegmentTable::read(reply).delimiters(1).unwrap();
    assert_eq!(delimiters.component, b'>');
    assert!(reply.starts_with(b"ISA*") && reply.get(105..107) == Some(b"~\n".as_slice()));
}

#[test]
fn ack_997_of_every_corpus_x12_file_reads_back_clean() {
    for dir in ["x12_850", "x12_other"] {
        let Ok(entries) = std::fs::read_dir(corpus().join(dir)) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            let received = std::fs::read(&path).unwrap();
            let acks = ack_997(&received, &AckParty::default(), 7, now()).unwrap();
            for (n, reply) in acks.iter().enumerate() {
                let doc = parse(reply);
                assert!(doc.diagnostics.is_empty(), "{}: {:?}", path.display(), doc.diagnostics);
                assert!(doc.skipped.iter().all(|s| s.kind == "997"), "{}", path.display());
                assert_eq!(isa(reply, 13), format!("{:09}", 7 + n));
            }
        }
    }
}

#[test]
fn ack_997_uses_our_ids_when_given() {
    let received = read_corpus("x12_850/bots__850-004010.15.x12");
    let ours = AckParty {
        interchange_id: Some(PartyId { qualifier: Some("01".into()), value: "123456789".into() }),
        application_id: Some("SALES".into()),
    };
    let reply = &ack_997(&received, &ours, 1, now()).unwrap()[0];
    assert_eq!((isa(reply, 5), isa(reply, 6)), ("01".into(), "123456789".into()));
    assert!(with_id(&segments(reply), "GS")[0].starts_with("GS*FA*SALES*ABCCO*"));
}

#[test]
fn an_acknowledgment_is_never_acknowledged() {
    let received = read_corpus("x12_850/bots__850-004010-02.x12");
    let reply = &ack_997(&received, &AckParty::default(), 1, now()).unwrap()[0];
    assert_eq!(ack_997(reply, &AckParty::default(), 2, now()).unwrap(), Vec::<Vec<u8>>::new());
}

#[test]
fn ack_997_refuses_control_numbers_past_nine_digits() {
    let received = read_corpus("x12_850/bots__850-004010.15.x12");
    let err = ack_997(&received, &AckParty::default(), 1_000_000_000, now()).unwrap_err();
    assert_eq!(err, AckError::ControlNumberOutOfRange(1_000_000_000));
}

#[test]
fn ack_997_counts_envelope_findings() {
    let text = "ISA*00*          *00*          *ZZ*BUYER          *ZZ*SELLER         *240131*1100*^*00401*000000007*0*P*>~\
                GS*PO*BUYER*SELLER*20240131*1100*5*X*004010~ST*850*0001~BEG*00*SA*1**20240131~SE*9*0001~\
                ST*850*0002~BEG*00*SA*2**20240131~SE*3*0002~GE*3*5~IEA*1*000000007~";
    let reply = &ack_997(text.as_bytes(), &AckParty::default(), 1, now()).unwrap()[0];
    let segs = segments(reply);
    assert_eq!(with_id(&segs, "AK5"), ["AK5*E*4", "AK5*A"]);
    assert_eq!(with_id(&segs, "AK9"), ["AK9*E*3*2*2*5"]);
}

fn orders(rel: &str) -> Vec<ParsedOrder> {
    parse(&read_corpus(rel)).orders
}

/// The order as the pipeline would post it unchanged: line numbers as written, SPEC units.
fn posted_as_ordered(order: &ParsedOrder) -> CanonicalOrder {
    let line = |(i, l): (usize, &prodline_core::ParsedLine)| CanonicalLine {
        line: l.line_no.as_deref().and_then(|n| n.trim().parse().ok()).filter(|n| *n > 0).or(Some(i as u32 + 1)),
        qty: l.qty.unwrap_or_default(),
        uom: l.uom.as_deref().and_then(normalize_uom),
        unit_price: l.unit_price,
        ..CanonicalLine::default()
    };
    CanonicalOrder {
        customer_po: order.po_number.clone(),
        order_date: order.order_date,
        lines: order.lines.iter().enumerate().map(line).collect(),
        ..CanonicalOrder::default()
    }
}

fn ack_855_of(order: &ParsedOrder, posted: &CanonicalOrder, ack_type: AckType) -> (Vec<u8>, Vec<String>) {
    let bytes = ack_855(order, posted, ack_type, "SO-77", &AckParty::default(), 12, now()).unwrap();
    let segs = segments(&bytes);
    (bytes, segs)
}

/// PO1 segments of every 850 set in `received`, set by set.
fn received_po1s(received: &[u8]) -> Vec<Vec<String>> {
    let mut sets: Vec<Vec<String>> = Vec::new();
    for segment in segments(received) {
        if segment.starts_with("ST*") {
            sets.push(Vec::new());
        } else if segment.starts_with("PO1*")
            && let Some(set) = sets.last_mut()
        {
            set.push(segment.trim_end_matches('*').to_string());
        }
    }
    sets
}

#[test]
fn ack_855_echoes_the_orders_lines_and_po_number() {
    for file in ["x12_850/bots__850-004010.15.x12", "x12_850/bots__850-004010-02.x12"] {
        let received = read_corpus(file);
        let parsed = orders(file);
        assert!(!parsed.is_empty());
        for (order, po1s) in parsed.iter().zip(received_po1s(&received)) {
            let (bytes, segs) = ack_855_of(order, &posted_as_ordered(order), AckType::Accepted);
            assert_reads_back_clean(&parse(&bytes), "855", 1);
            let po = order.po_number.as_deref().unwrap();
            let date = order.order_date.unwrap().format("%Y%m%d");
            assert_eq!(with_id(&segs, "BAK"), [format!("BAK*00*AD*{po}*{date}****SO-77*20240305")]);
            assert_eq!(with_id(&segs, "PO1"), po1s, "{file} {po}");
            let acks = with_id(&segs, "ACK");
            assert_eq!(acks.len(), order.lines.len());
            assert!(acks.iter().all(|a| a.starts_with("ACK*IA*")), "{acks:?}");
            assert_eq!(with_id(&segs, "CTT"), [format!("CTT*{}", order.lines.len())]);
        }
    }
}

#[test]
fn ack_855_is_addressed_to_the_orders_sender() {
    let order = &orders("x12_850/bots__850-004010.15.x12")[0];
    let (bytes, segs) = ack_855_of(order, &posted_as_ordered(order), AckType::Accepted);
    assert_eq!((isa(&bytes, 5), isa(&bytes, 6)), ("ZZ".into(), "XYZCO".into()));
    assert_eq!((isa(&bytes, 7), isa(&bytes, 8)), ("ZZ".into(), "ABCCO".into()));
    assert_eq!(isa(&bytes, 13), "000000012");
    assert!(with_id(&segs, "GS")[0].starts_with("GS*PR*XYZCO*ABCCO*20240305*1407*12*"));
}

#[test]
fn ack_855_reports_changed_and_missing_lines() {
    let order = &orders("x12_850/bots__850-004010.15.x12")[0];
    let mut posted = posted_as_ordered(order);
    posted.lines[1].qty = Decimal::new(20, 0);
    posted.lines[2].unit_price = Some(Decimal::new(450, 2));
    posted.lines.remove(3);
    let (_, segs) = ack_855_of(order, &posted, AckType::Accepted);
    assert_eq!(with_id(&segs, "BAK")[0].split('*').nth(2), Some("AC"), "AD is never sent over a change");
    assert_eq!(with_id(&segs, "ACK"), ["ACK*IA*25*EA", "ACK*IQ*20*EA", "ACK*IP*6*EA", "ACK*IR", "ACK*IA*1*EA"]);
}

#[test]
fn ack_855_rejections() {
    let order = &orders("x12_850/bots__850-004010.15.x12")[1];
    let posted = posted_as_ordered(order);
    let (_, segs) = ack_855_of(order, &posted, AckType::RejectedWithDetail);
    assert_eq!(with_id(&segs, "BAK")[0].split('*').nth(2), Some("RD"));
    assert_eq!(with_id(&segs, "ACK"), ["ACK*IR", "ACK*IR"]);
    let (bytes, segs) = ack_855_of(order, &posted, AckType::Rejected);
    assert_eq!(with_id(&segs, "BAK")[0].split('*').nth(2), Some("RJ"));
    assert!(with_id(&segs, "PO1").is_empty() && with_id(&segs, "ACK").is_empty());
    assert_reads_back_clean(&parse(&bytes), "855", 1);
}

#[test]
fn ack_855_needs_a_po_number_and_a_sender() {
    let order = &orders("x12_850/bots__850-004010.15.x12")[0];
    let posted = posted_as_ordered(order);
    let no_po = ParsedOrder { po_number: None, ..order.clone() };
    let err = ack_855(&no_po, &posted, AckType::Accepted, "SO-1", &AckParty::default(), 1, now()).unwrap_err();
    assert!(matches!(err, AckError::MissingField(_)));
    let no_sender = ParsedOrder { sender: None, ..order.clone() };
    let err = ack_855(&no_sender, &posted, AckType::Accepted, "SO-1", &AckParty::default(), 1, now()).unwrap_err();
    assert!(matches!(err, AckError::MissingField(_)));
}

/// Cut anywhere, a received file still gets a 997 (or none) that reads back clean.
#[test]
fn ack_997_of_every_truncation_reads_back_clean() {
    for file in ["x12_850/edifabric__CorruptSt.txt", "x12_850/edinet__x12.850.issue135.edi"] {
        let received = read_corpus(file);
        for end in 0..=received.len() {
            let cut = &received[..end];
            let acks = ack_997(cut, &AckParty::default(), 1, now()).unwrap();
            for reply in &acks {
                let doc = parse(reply);
                assert!(doc.diagnostics.is_empty(), "{file} cut at {end}: {:?}", doc.diagnostics);
            }
        }
    }
}
