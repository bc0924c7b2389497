//! Orders `prodline init`'s example master data approves without a person:
//! X12 850s and CSV sheets from Acme (C0001), EDIFACT ORDERS from Bergmann
//! (C0002), each with its own PO number, at contract prices and usual
//! quantities.
//! The documents themselves come from `prodline-testkit`'s generators, the
//! ones the tests use.

use prodline_testkit::orders::{acme_csv, edifact_orders, x12_850};

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
