//! Orders `prodline init`'s example master data approves without a person:
//! X12 850s and CSV sheets from Acme (C0001), EDIFACT ORDERS from Bergmann
//! (C0002), each with its own PO number, at contract prices and usual
//! quantities.
//!
//! `prodline-testkit` has a generator of the same shape, but it is a
//! dev-dependency by design (never in the binary); this one is part of the
//! `prodline bench e2e` command, so it lives here.

/// One generated order document.
#[derive(Debug, Clone)]
pub(crate) struct BenchDocument {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub format: &'static str,
}

/// Document `index`: every 10th from index 4 a CSV sheet, every 10th from
/// index 7 an EDIFACT message, the rest X12 850s; one or two lines each.
pub(crate) fn document(index: u32) -> BenchDocument {
    let control = index + 1;
    let quantity = 150 + (index * 37) % 100;
    let two_lines = index.is_multiple_of(3);
    match index % 10 {
        4 => {
            let po = format!("BCSV-{index:07}");
            let bytes = acme_csv(&po, quantity, two_lines).into_bytes();
            BenchDocument { file_name: format!("sheet-{index:07}.csv"), bytes, format: "csv" }
        }
        7 => {
            let po = format!("BBHG-{index:07}");
            let bytes = edifact_orders(&po, control, 200 + (index * 13) % 100).into_bytes();
            BenchDocument { file_name: format!("orders-{index:07}.edi"), bytes, format: "edifact" }
        }
        _ => {
            let po = format!("46{index:08}");
            let valve = format!("{quantity}*EA*11.85*PE*BP*88-1200*VP*HV-075-BR");
            let cases = "5*CA*154*PE*BP*88-1300*UP*012345678912";
            let items: Vec<&str> = if two_lines { vec![&valve, cases] } else { vec![&valve] };
            BenchDocument {
                file_name: format!("po-{index:07}.x12"),
                bytes: x12_850(&po, control, &items).into_bytes(),
                format: "x12",
            }
        }
    }
}

/// An X12 850 from Acme: one PO1 per item (`qty*unit*price*PE*BP*part...`).
fn x12_850(po: &str, control: u32, items: &[&str]) -> String {
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
    // ST through SE: everything after ISA and GS, plus SE itself.
    let count = segments.len() - 2 + 1;
    segments.push(format!("SE*{count}*0001"));
    segments.push(format!("GE*1*{control}"));
    segments.push(format!("IEA*1*{control:09}"));
    segments.iter().map(|segment| format!("{segment}~\n")).collect()
}

/// An EDIFACT ORDERS from Bergmann: `quantity` pieces of BHG-4711 at the contract price.
fn edifact_orders(po: &str, control: u32, quantity: u32) -> String {
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
    segments.iter().map(|segment| format!("{segment}'\n")).collect()
}

/// A CSV sheet from Acme naming its customer number, one row per line.
fn acme_csv(po: &str, quantity: u32, cases: bool) -> String {
    let mut text = "PO Number,Customer Number,Ship To,Order Date,Part Number,Quantity,UOM,Unit Price\n".to_owned();
    text.push_str(&format!("{po},C0001,Acme Dayton Warehouse,2026-03-02,88-1200,{quantity},EA,11.85\n"));
    if cases {
        text.push_str(&format!("{po},C0001,Acme Dayton Warehouse,2026-03-02,88-1300,5,CA,154\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_have_distinct_bytes_and_the_three_formats() {
        let documents: Vec<BenchDocument> = (0..100).map(document).collect();
        let distinct: std::collections::HashSet<&[u8]> = documents.iter().map(|d| d.bytes.as_slice()).collect();
        assert_eq!(distinct.len(), 100);
        let count = |format: &str| documents.iter().filter(|d| d.format == format).count();
        assert_eq!((count("x12"), count("csv"), count("edifact")), (80, 10, 10));
    }
}
