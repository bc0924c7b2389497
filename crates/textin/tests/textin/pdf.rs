//! PDFs through pdftotext, and pages without text through pdftoppm and
//! tesseract.

use std::fmt::Write as _;
use std::process::Command;

use prodline_core::TextSource;
use prodline_textin::{Tools, pdf_text};

use crate::{CORPUS, corpus_file, line_with, read};

#[test]
fn a_word_generated_purchase_order_keeps_its_table() {
    let text = read(pdf_text(&corpus_file("pdf/pnp__Contoso-PO-Adatum-Adel.pdf"), &Tools::default()), "Adatum PO");
    assert_eq!(text.source, Some(TextSource::Pdf));
    assert_eq!(text.pages.len(), 1);
    assert_eq!(text.ocr, None);
    let page = &text.pages[0];
    assert!(line_with(page, "PO #").contains("190122"));
    let header = line_with(page, "DESCRIPTION");
    assert!(header.contains("QTY") && header.contains("UNIT PRICE"), "{header}");
    let line = line_with(page, "MM4-4010");
    assert!(line.contains("Micro-Motor #4") && line.contains("89") && line.contains("62.00"), "{line}");
}

#[test]
fn an_odoo_sales_order() {
    let text = read(pdf_text(&corpus_file("pdf/oca__so1.pdf"), &Tools::default()), "so1");
    let page = text.joined();
    assert!(page.contains("SO004"), "{page}");
    let webcam = line_with(&page, "Webcam");
    assert!(webcam.contains("10.000") && webcam.contains("45.00"), "{webcam}");
}

/// A PDF whose first page is only a picture (a scan) and whose second has
/// a text layer: the first is read by OCR, the second as text.
#[test]
fn a_page_without_text_is_read_by_ocr() {
    let scan = jpeg_of_page(&format!("{CORPUS}/pdf/pnp__Contoso-PO-Adatum-Adel.pdf"));
    let pdf = MinimalPdf::default().image_page(&scan).text_page("Second page PO 190122 continued").finish();
    let text = read(pdf_text(&pdf, &Tools::default()), "scanned PDF");
    assert_eq!(text.pages.len(), 2);
    assert_eq!(text.source, Some(TextSource::Pdf), "one page had a text layer");
    let ocr = text.ocr.unwrap_or_else(|| panic!("OCR ran but no stats: {text:?}"));
    assert_eq!(ocr.pages, 1);
    assert!(ocr.words > 50 && ocr.mean_confidence > 70.0, "{ocr:?}");
    assert!(line_with(&text.pages[0], "PO").contains("190122"), "{}", text.pages[0]);
    let line = line_with(&text.pages[0], "MM4-4010");
    assert!(line.contains("89") && line.contains("62.00"), "{line}");
    assert!(text.pages[1].contains("Second page PO 190122 continued"));

    let only_scan = MinimalPdf::default().image_page(&scan).finish();
    let text = read(pdf_text(&only_scan, &Tools::default()), "scan-only PDF");
    assert_eq!(text.source, Some(TextSource::Ocr), "every page was read by OCR");
    assert_eq!(text.ocr.map(|ocr| ocr.pages), Some(1));
}

/// A page scanned sideways reads again with orientation detection, and
/// its lines come out upright.
#[test]
fn a_page_scanned_sideways_is_read_upright() {
    let scan = jpeg_of_page(&format!("{CORPUS}/pdf/pnp__Contoso-PO-Adatum-Adel.pdf"));
    let pdf = MinimalPdf::default().turned_image_page(&scan).finish();
    let text = read(pdf_text(&pdf, &Tools::default()), "sideways scan");
    let ocr = text.ocr.unwrap_or_else(|| panic!("no OCR stats: {text:?}"));
    assert!(ocr.mean_confidence > 70.0, "{ocr:?}");
    assert!(line_with(&text.pages[0], "PO").contains("190122"), "{}", text.pages[0]);
    let line = line_with(&text.pages[0], "MM4-4010");
    assert!(line.contains("89") && line.contains("62.00"), "{line}");
}

/// A picture of the first page of `pdf`, as a scanner would make it: a
/// JPEG at 200 dpi, made by pdftoppm.
fn jpeg_of_page(pdf: &str) -> Jpeg {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("temp dir: {error}"));
    let prefix = dir.path().join("scan");
    let status = Command::new("pdftoppm")
        .args(["-r", "200", "-jpeg", "-singlefile", "-f", "1", "-l", "1", pdf])
        .arg(&prefix)
        .status()
        .unwrap_or_else(|error| panic!("pdftoppm: {error} (run scripts/ocr.sh)"));
    assert!(status.success(), "pdftoppm failed on {pdf}");
    let bytes = std::fs::read(prefix.with_extension("jpg")).unwrap_or_else(|error| panic!("pdftoppm's JPEG: {error}"));
    Jpeg::new(bytes)
}

/// A baseline JPEG and what its frame header (SOF0) says.
struct Jpeg {
    bytes: Vec<u8>,
    width: u16,
    height: u16,
    components: u8,
}

impl Jpeg {
    fn new(bytes: Vec<u8>) -> Jpeg {
        let at = bytes.windows(2).position(|w| w == [0xff, 0xc0]).unwrap_or_else(|| panic!("no SOF0 in the JPEG"));
        let field = |i: usize| u16::from_be_bytes([bytes[at + i], bytes[at + i + 1]]);
        let (height, width, components) = (field(5), field(7), bytes[at + 9]);
        Jpeg { bytes, width, height, components }
    }
}

/// A PDF written by hand: US Letter pages, each a full-page JPEG (DCTDecode)
/// or a line of Helvetica text.
#[derive(Default)]
struct MinimalPdf {
    /// Objects 3 and up; 1 is the catalog, 2 the page tree.
    objects: Vec<Vec<u8>>,
    pages: Vec<usize>,
}

impl MinimalPdf {
    fn add(&mut self, object: Vec<u8>) -> usize {
        self.objects.push(object);
        self.objects.len() + 2
    }

    fn page(&mut self, resources: &str, content: &str) {
        self.sized_page("[0 0 612 792]", resources, content);
    }

    fn sized_page(&mut self, media_box: &str, resources: &str, content: &str) {
        let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
        stream.extend_from_slice(content.as_bytes());
        stream.extend_from_slice(b"\nendstream");
        let contents = self.add(stream);
        let page = format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox {media_box} /Resources {resources} /Contents {contents} 0 R >>"
        );
        let page = self.add(page.into_bytes());
        self.pages.push(page);
    }

    fn image_page(self, jpeg: &Jpeg) -> Self {
        self.placed_image("[0 0 612 792]", "612 0 0 792 0 0", jpeg)
    }

    /// The image turned a quarter counter-clockwise on a landscape page, as
    /// a sheet fed sideways into a scanner: its text runs up the page.
    fn turned_image_page(self, jpeg: &Jpeg) -> Self {
        self.placed_image("[0 0 792 612]", "0 612 -792 0 792 0", jpeg)
    }

    fn placed_image(mut self, media_box: &str, matrix: &str, jpeg: &Jpeg) -> Self {
        let color = if jpeg.components == 1 { "DeviceGray" } else { "DeviceRGB" };
        let mut image = format!(
            "<< /Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /{color} /BitsPerComponent 8 \
             /Filter /DCTDecode /Length {} >>\nstream\n",
            jpeg.width,
            jpeg.height,
            jpeg.bytes.len()
        )
        .into_bytes();
        image.extend_from_slice(&jpeg.bytes);
        image.extend_from_slice(b"\nendstream");
        let image = self.add(image);
        self.sized_page(
            media_box,
            &format!("<< /XObject << /Im0 {image} 0 R >> >>"),
            &format!("q {matrix} cm /Im0 Do Q"),
        );
        self
    }

    fn text_page(mut self, text: &str) -> Self {
        let font = self.add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec());
        self.page(&format!("<< /Font << /F1 {font} 0 R >> >>"), &format!("BT /F1 12 Tf 72 720 Td ({text}) Tj ET"));
        self
    }

    fn finish(self) -> Vec<u8> {
        let kids: String = self.pages.iter().map(|page| format!("{page} 0 R ")).collect();
        let mut objects = vec![
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            format!("<< /Type /Pages /Kids [{kids}] /Count {} >>", self.pages.len()).into_bytes(),
        ];
        objects.extend(self.objects);
        let mut pdf = b"%PDF-1.4\n".to_vec();
        let mut offsets = Vec::new();
        for (index, object) in objects.iter().enumerate() {
            offsets.push(pdf.len());
            pdf.extend_from_slice(format!("{} 0 obj\n", index + 1).as_bytes());
            pdf.extend_from_slice(object);
            pdf.extend_from_slice(b"\nendobj\n");
        }
        let xref = pdf.len();
        let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
        for offset in offsets {
            let _ = writeln!(table, "{offset:010} 00000 n ");
        }
        let _ = write!(table, "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1);
        pdf.extend_from_slice(table.as_bytes());
        pdf
    }
}
