//! PDF: poppler's `pdftotext -layout`, and OCR for pages without text.

use std::io::Write;
use std::path::Path;

use prodline_core::{DocumentText, TextSource};

use crate::ocr::{Tally, read_image_file};
use crate::run::run_tool;
use crate::{ToolError, Tools};

/// Rendering resolution for OCR: tesseract reads print best at 300 dpi.
const OCR_DPI: &str = "300";

/// A page with fewer visible characters than this has no text layer worth
/// the name (a stray page number or scanner stamp): it is read by OCR.
const TEXT_LAYER_MIN_CHARS: usize = 3;

pub(crate) fn read_pdf(bytes: &[u8], tools: &Tools) -> Result<DocumentText, ToolError> {
    let dir = tempfile::Builder::new().prefix("prodline-pdf-").tempdir()?;
    let pdf = dir.path().join("document.pdf");
    std::fs::File::create(&pdf)?.write_all(bytes)?;
    let layout = run_tool(
        &tools.pdftotext,
        &[pdf.as_os_str(), "-layout".as_ref(), "-enc".as_ref(), "UTF-8".as_ref(), "-".as_ref()],
        tools.timeout,
    )?;
    let mut pages = split_pages(&String::from_utf8_lossy(&layout));
    let mut tally = Tally::default();
    for (index, page) in pages.iter_mut().enumerate() {
        if has_text(page) {
            continue;
        }
        let read = ocr_page(&pdf, index + 1, dir.path(), tools)?;
        tally.add(&read.tally);
        *page = read.pages.join("\n");
    }
    Ok(document_text(pages, tally))
}

/// `pdftotext` ends every page with a form feed; the text after the last
/// one is not a page. No output at all is no page.
fn split_pages(text: &str) -> Vec<String> {
    if text.is_empty() {
        return Vec::new();
    }
    let mut pages: Vec<String> = text.split('\x0c').map(str::to_owned).collect();
    if pages.len() > 1 && pages.last().is_some_and(|last| last.trim().is_empty()) {
        pages.pop();
    }
    pages
}

fn has_text(page: &str) -> bool {
    page.chars().filter(|c| c.is_alphanumeric()).nth(TEXT_LAYER_MIN_CHARS - 1).is_some()
}

/// Renders page `number` (1-based) to a grey PNG and reads it by OCR.
fn ocr_page(pdf: &Path, number: usize, dir: &Path, tools: &Tools) -> Result<crate::ocr::OcrRead, ToolError> {
    let prefix = dir.join(format!("page-{number}"));
    let number = number.to_string();
    let args = [
        "-r".as_ref(),
        OCR_DPI.as_ref(),
        "-gray".as_ref(),
        "-png".as_ref(),
        "-f".as_ref(),
        number.as_ref(),
        "-l".as_ref(),
        number.as_ref(),
        "-singlefile".as_ref(),
        pdf.as_os_str(),
        prefix.as_os_str(),
    ];
    run_tool(&tools.pdftoppm, &args, tools.timeout)?;
    let image = prefix.with_extension("png");
    let read = read_image_file(&image, tools);
    // The page image is large (a few MB at 300 dpi); the directory goes
    // when the read is done, but a long PDF should not hold every page.
    let _ = std::fs::remove_file(&image);
    read
}

/// The pages, marked as OCR where every page came from OCR.
fn document_text(pages: Vec<String>, tally: Tally) -> DocumentText {
    let source = if tally.pages > 0 && u32::try_from(pages.len()).is_ok_and(|n| n == tally.pages) {
        TextSource::Ocr
    } else {
        TextSource::Pdf
    };
    let mut text = DocumentText::new(source, pages);
    text.ocr = (tally.pages > 0).then(|| tally.stats());
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_feed_after_the_last_page_is_not_a_page() {
        assert_eq!(split_pages("one\n\x0ctwo\n\x0c"), ["one\n", "two\n"]);
        assert_eq!(split_pages("one\n\x0c\x0c"), ["one\n", ""]);
        assert_eq!(split_pages("\x0c"), [""]);
        assert!(split_pages("").is_empty());
    }

    #[test]
    fn a_stray_mark_is_not_a_text_layer() {
        assert!(!has_text("  \n 1 \n"));
        assert!(!has_text("- 12 -"));
        assert!(has_text("PO 1"));
    }
}
