//! Purchase orders for the example deployment `prodline init` scaffolds, for
//! the customers and items of its master data: X12 850s and CSV sheets from
//! Acme (C0001), EDIFACT ORDERS from Bergmann (C0002). Generated
//! deterministically from an index, so a test knows exactly which documents
//! the pipeline approves and which go to review.

/// 200 × 3/4in brass valve (customer part 88-1200) at the contract price.
pub const VALVE_3_4: &str = "200*EA*11.85*PE*BP*88-1200*VP*HV-075-BR";
/// 5 cases of 1in brass valves, by UPC.
pub const VALVE_1_CASES: &str = "5*CA*154*PE*BP*88-1300*UP*012345678912";
/// A part Acme's master data does not know: the document goes to review.
pub const UNKNOWN_PART: &str = "7*EA*3.10*PE*BP*99-9999";

/// An X12 850 from Acme with PO number `po`, interchange control number
/// `control`, one PO1 per item (each `qty*unit*price*PE*BP*part...`).
pub fn x12_850(po: &str, control: u32, items: &[&str]) -> String {
    x12_850_segments(po, control, items).iter().map(|segment| format!("{segment}~\n")).collect()
}

/// The segments of [`x12_850`], without terminators: for tests that join
/// several interchanges or break one on purpose.
pub fn x12_850_segments(po: &str, control: u32, items: &[&str]) -> Vec<String> {
    let mut segments = vec![
        format!(
            "ISA*00*          *00*          *ZZ*ACMEEDI01      *ZZ*NORTHWIND      *260302*0915*U*00401*{control:09}*0*P*>"
        ),
        format!("GS*PO*ACMEEDI01*NORTHWIND*20260302*0915*{control}*X*004010"),
        "ST*850*0001".to_owned(),
        format!("BEG*00*SA*{po}**20260302"),
        "DTM*002*20260316".to_owned(),
        "N1*BY*ACME INDUSTRIAL SUPPLY*92*0123456789".to_owned(),
        "N1*ST*ACME DAYTON*92*0042".to_owned(),
    ];
    for (index, item) in items.iter().enumerate() {
        segments.push(format!("PO1*{}*{item}", index + 1));
    }
    segments.push(format!("CTT*{}", items.len()));
    let count = segments.len() - 2 + 1;
    segments.push(format!("SE*{count}*0001"));
    segments.push(format!("GE*1*{control}"));
    segments.push(format!("IEA*1*{control:09}"));
    segments
}

/// An EDIFACT ORDERS from Bergmann (UNB sender BERGMANNHYD, delivery point
/// 4001): `quantity` pieces of its part BHG-4711 at the contract price.
pub fn edifact_orders(po: &str, control: u32, quantity: u32) -> String {
    let segments = [
        "UNA:+.? ".to_owned(),
        format!("UNB+UNOC:3+BERGMANNHYD:ZZ+NORTHWIND:ZZ+260302:0915+{control}"),
        "UNH+1+ORDERS:D:96A:UN".to_owned(),
        format!("BGM+220+{po}+9"),
        "DTM+137:20260302:102".to_owned(),
        "DTM+2:20260316:102".to_owned(),
        "NAD+BY+BERGMANNHYD::92".to_owned(),
        "NAD+DP+4001::92".to_owned(),
        "CUX+2:EUR:9".to_owned(),
        "LIN+1++BHG-4711:IN".to_owned(),
        format!("QTY+21:{quantity}:PCE"),
        "PRI+AAA:3.90".to_owned(),
        "UNS+S".to_owned(),
        "CNT+2:1".to_owned(),
        "UNT+13+1".to_owned(),
        format!("UNZ+1+{control}"),
    ];
    // UNA's six characters end with the segment terminator it declares.
    let mut text = String::new();
    for segment in &segments {
        text.push_str(segment);
        text.push_str("'\n");
    }
    text
}

/// A CSV sheet from Acme naming its customer number: one row per line,
/// `quantity` valves, and with `cases` five cases of the 1in valve too.
pub fn acme_csv(po: &str, quantity: u32, cases: bool) -> String {
    let mut text = "PO Number,Customer Number,Ship To,Order Date,Part Number,Quantity,UOM,Unit Price\n".to_owned();
    text.push_str(&format!("{po},C0001,Acme Dayton Warehouse,2026-03-02,88-1200,{quantity},EA,11.85\n"));
    if cases {
        text.push_str(&format!("{po},C0001,Acme Dayton Warehouse,2026-03-02,88-1300,5,CA,154\n"));
    }
    text
}

/// What the example deployment, with policy `auto`, does with a generated document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// Approved and posted: one order with this customer PO.
    Posted { po: String },
    /// Sent to the review queue (an unknown part, or no order at all).
    InReview,
}

/// One generated inbox file.
#[derive(Debug, Clone)]
pub struct Document {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub expected: Expected,
}

/// Document `index` of a deterministic batch: orders the pipeline approves
/// (X12, every 10th from index 4 a CSV sheet, every 10th from index 7 an
/// EDIFACT message; one or two lines, quantities within the customer's usual
/// range), except every 10th from index 9, an X12 850 with a part the master
/// data lacks, or (every 50th) not an order at all: those go to review.
pub fn document(index: u32) -> Document {
    let control = index + 1;
    let quantity = 150 + (index * 37) % 100;
    let two_lines = index.is_multiple_of(3);
    match index % 10 {
        9 if index % 50 == 49 => {
            let bytes = format!("not an order #{index}\n\u{0}\u{1}garbage").into_bytes();
            Document { file_name: format!("note-{index:05}.bin"), bytes, expected: Expected::InReview }
        }
        4 => {
            let po = format!("CSV-{index:06}");
            let bytes = acme_csv(&po, quantity, two_lines).into_bytes();
            Document { file_name: format!("sheet-{index:05}.csv"), bytes, expected: Expected::Posted { po } }
        }
        7 => {
            let po = format!("BHG-{index:06}");
            let bytes = edifact_orders(&po, control, 200 + (index * 13) % 100).into_bytes();
            Document { file_name: format!("orders-{index:05}.edi"), bytes, expected: Expected::Posted { po } }
        }
        last => {
            let po = format!("45{index:08}");
            let valve = format!("{quantity}*EA*11.85*PE*BP*88-1200*VP*HV-075-BR");
            let (items, expected) = match (last, two_lines) {
                (9, _) => (vec![valve.as_str(), UNKNOWN_PART], Expected::InReview),
                (_, true) => (vec![valve.as_str(), VALVE_1_CASES], Expected::Posted { po: po.clone() }),
                (_, false) => (vec![valve.as_str()], Expected::Posted { po: po.clone() }),
            };
            let bytes = x12_850(&po, control, &items).into_bytes();
            Document { file_name: format!("po-{index:05}.x12"), bytes, expected }
        }
    }
}

/// Documents `0..count` (see [`document`]).
pub fn documents(count: u32) -> Vec<Document> {
    (0..count).map(document).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_is_deterministic_with_distinct_bytes_and_pos() {
        let batch = documents(200);
        assert_eq!(batch.len(), 200);
        let hashes: std::collections::HashSet<&[u8]> = batch.iter().map(|d| d.bytes.as_slice()).collect();
        assert_eq!(hashes.len(), 200, "every document has its own bytes");
        let posted = batch.iter().filter(|d| matches!(d.expected, Expected::Posted { .. })).count();
        assert_eq!(posted, 180, "every 10th document goes to review, every 50th of them as garbage");
        assert_eq!(document(7).bytes, documents(8)[7].bytes);
        let csv = batch.iter().filter(|d| d.file_name.ends_with(".csv")).count();
        let edifact = batch.iter().filter(|d| d.file_name.ends_with(".edi")).count();
        assert_eq!((csv, edifact), (20, 20));
    }
}
