//! Images through tesseract.

use prodline_core::TextSource;
use prodline_textin::{Tools, ocr_image};

use crate::{corpus_file, line_with, read};

#[test]
fn a_purchase_order_form_reads_with_its_columns() {
    // A PNG despite its name.
    let text = read(ocr_image(&corpus_file("po_images/msai102__Form_1.jpg"), &Tools::default()), "Form_1");
    assert_eq!(text.source, Some(TextSource::Ocr));
    let ocr = text.ocr.unwrap_or_else(|| panic!("no OCR stats: {text:?}"));
    assert_eq!(ocr.pages, 1);
    assert!(ocr.mean_confidence > 70.0 && ocr.words > 100, "{ocr:?}");
    let page = text.joined();
    assert!(line_with(&page, "Purchase Order #").contains("948284"), "{page}");
    let header = line_with(&page, "Details");
    assert!(header.contains("Quantity") && header.contains("Unit Price") && header.contains("Total"), "{header}");
    let row = line_with(&page, "Bindings");
    let cells: Vec<&str> = row.split("  ").map(str::trim).filter(|cell| !cell.is_empty()).collect();
    assert_eq!(cells, ["Bindings", "20", "1.00", "20.00"], "{row}");

    // The same bytes again (the demo reads each document twice): from the cache.
    let started = std::time::Instant::now();
    let again = read(ocr_image(&corpus_file("po_images/msai102__Form_1.jpg"), &Tools::default()), "Form_1 again");
    assert!(started.elapsed() < std::time::Duration::from_millis(200), "{:?}", started.elapsed());
    assert_eq!(again, text);
}

#[test]
fn every_corpus_form_has_its_po_number() {
    for (file, po) in [("msai102__Form_2.jpg", "942448"), ("msai102__Form_3.jpg", "9328424")] {
        let text = read(ocr_image(&corpus_file(&format!("po_images/{file}")), &Tools::default()), file);
        assert!(line_with(&text.joined(), "Purchase Order #").contains(po), "{file}");
    }
}
