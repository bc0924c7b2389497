//! The real-world corpus (../shared/corpus/realworld) through the built-in
//! agent with the real tools: a PDF with a text layer is in the `pdf` group,
//! a photographed form is a `scan`, and OCR having read it is what says so.

use std::path::{Path, PathBuf};

use prodline_core::Group;
use prodline_eval::{Agent, BuiltinAgent, Verdict};
use prodline_extract::{Context, DecisionConfig, MasterData};

fn corpus(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/realworld").join(file)
}

/// The tools the readers call; missing ones fail loudly.
fn require_tools() {
    for tool in ["pdftotext", "tesseract"] {
        let found = std::process::Command::new(tool).arg("-v").output().is_ok();
        assert!(found, "{tool} is not installed: run scripts/ocr.sh (poppler-utils, tesseract-ocr)");
    }
}

fn decide(file: &str) -> Verdict {
    let path = corpus(file);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut agent = BuiltinAgent::new(MasterData::default(), DecisionConfig::default());
    let ctx = Context { file_name: Some(file.rsplit('/').next().unwrap_or(file).to_string()), ..Context::default() };
    agent.decide(&bytes, &ctx).0
}

#[test]
fn a_pdf_with_text_is_pdf_and_a_photo_is_a_scan_read_by_ocr() {
    require_tools();
    let pdf = decide("pdf/pnp__Contoso-PO-Adatum-Adel.pdf");
    assert_eq!((pdf.group(), pdf.scanned), (Group::Pdf, false), "{pdf:?}");
    let photo = decide("po_images/msai102__Form_1.jpg");
    assert_eq!(photo.group(), Group::Scan, "{photo:?}");
    assert!(photo.scanned, "OCR read the photo, so the verdict says scanned: {photo:?}");
}
