//! What happens when a tool is missing, hangs, or refuses its input.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use prodline_textin::{INSTALL_SCRIPT, ToolError, Tools, ocr_image, pdf_text};

#[test]
fn a_missing_tool_names_the_install_script() {
    let tools = Tools { pdftotext: PathBuf::from("/nonexistent/bin/pdftotext"), ..Tools::default() };
    let error = pdf_text(b"%PDF-1.4 a missing tool", &tools).err();
    assert!(matches!(&error, Some(ToolError::Missing { tool }) if tool.contains("pdftotext")), "{error:?}");
    let message = error.map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains(INSTALL_SCRIPT) && INSTALL_SCRIPT == "scripts/ocr.sh", "{message}");

    let tools = Tools { tesseract: PathBuf::from("/nonexistent/bin/tesseract"), ..Tools::default() };
    let png = b"\x89PNG\r\n\x1a\n a missing tesseract";
    assert!(matches!(ocr_image(png, &tools), Err(ToolError::Missing { .. })));
}

#[test]
fn a_tool_that_hangs_is_stopped_at_the_time_out() {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("temp dir: {error}"));
    let script = dir.path().join("pdftotext");
    std::fs::write(&script, "#!/bin/sh\nexec sleep 30\n").unwrap_or_else(|error| panic!("script: {error}"));
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|error| panic!("chmod: {error}"));
    let tools = Tools { pdftotext: script, timeout: Duration::from_secs(1), ..Tools::default() };
    let started = Instant::now();
    let result = pdf_text(b"%PDF-1.4 a hanging tool", &tools);
    assert!(matches!(&result, Err(ToolError::Timeout { seconds: 1, .. })), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "waited {:?}", started.elapsed());
}

#[test]
fn garbage_is_a_failure_with_the_reason() {
    let garbage: Vec<u8> = (0..4000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    match pdf_text(&garbage, &Tools::default()) {
        Err(ToolError::Failed { tool, stderr, .. }) => {
            assert!(tool.contains("pdftotext"));
            assert!(!stderr.is_empty());
        }
        other => panic!("expected pdftotext to refuse garbage: {other:?}"),
    }
    assert!(matches!(ocr_image(&garbage, &Tools::default()), Err(ToolError::Failed { .. })));
    // A PNG cut short: tesseract refuses it.
    let png = crate::corpus_file("po_images/msai102__Form_1.jpg");
    let result = ocr_image(&png[..5000], &Tools::default());
    assert!(matches!(&result, Err(ToolError::Failed { tool, .. }) if tool.contains("tesseract")), "{result:?}");
}
