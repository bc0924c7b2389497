//! Text out of documents that have no structure of their own.
//!
//! - [`email::read_email`]: MIME through `mail-parser`: the newest message's
//!   text (quoted replies, signatures and disclaimers set apart), the
//!   attachments (a forwarded message is an attachment too, read again by
//!   the caller);
//! - [`pdf_text`]: poppler's `pdftotext -layout`; pages without a text layer
//!   are rendered by `pdftoppm` and read by OCR;
//! - [`ocr_image`]: tesseract with per-word confidence (TSV), lines rebuilt
//!   with their columns;
//! - [`plain_text`]: a text file in whatever encoding it came.
//!
//! PDF and OCR reads are cached for the life of the process by the SHA-256
//! of the bytes (256 documents): a document read twice is read once.
//!
//! Architecture Invariant: this crate and `prodline-models` are the only
//! places where reading a document starts another program; the tools are
//! found on `PATH` (or where [`Tools`] says), run under a time-out, and a
//! missing tool is an error that names `scripts/ocr.sh`, which installs it.

mod cache;
pub mod email;
mod ocr;
mod pdf;
mod run;

use std::path::PathBuf;
use std::time::Duration;

use prodline_core::{DocumentText, TextSource};

/// The script that installs poppler and tesseract.
pub const INSTALL_SCRIPT: &str = "scripts/ocr.sh";

/// Where the external tools are and how long each may take.
#[derive(Debug, Clone)]
pub struct Tools {
    pub pdftotext: PathBuf,
    pub pdftoppm: PathBuf,
    pub tesseract: PathBuf,
    /// Tesseract's language(s), `eng` by default.
    pub language: String,
    /// Per tool run.
    pub timeout: Duration,
}

impl Default for Tools {
    fn default() -> Self {
        Tools {
            pdftotext: PathBuf::from("pdftotext"),
            pdftoppm: PathBuf::from("pdftoppm"),
            tesseract: PathBuf::from("tesseract"),
            language: "eng".to_owned(),
            timeout: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("{tool} is not installed (run {INSTALL_SCRIPT})")]
    Missing { tool: String },
    #[error("{tool} failed ({status}): {stderr}")]
    Failed { tool: String, status: String, stderr: String },
    #[error("{tool} took longer than {seconds} s")]
    Timeout { tool: String, seconds: u64 },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The text layer of a PDF, page by page, with its layout; pages without
/// one are read by OCR (and [`DocumentText::ocr`] is set; the source is
/// [`TextSource::Ocr`] when every page was). A PDF `pdftotext` refuses
/// (broken, encrypted) is [`ToolError::Failed`] with its stderr. Reads of
/// the same bytes are cached for the life of the process.
pub fn pdf_text(bytes: &[u8], tools: &Tools) -> Result<DocumentText, ToolError> {
    cache::cached(cache::Key::new("pdf", &tools.language, bytes), || pdf::read_pdf(bytes, tools))
}

/// OCR of an image (PNG, JPEG, TIFF...), lines with their columns, and the
/// word confidences. A page that reads poorly is read again with
/// tesseract's orientation detection, so a page turned by 90° or 180° reads
/// too. Bytes that are no image format tesseract knows are
/// [`ToolError::Failed`] without running it (tesseract would take them for
/// a list of file names). Reads of the same bytes are cached.
pub fn ocr_image(bytes: &[u8], tools: &Tools) -> Result<DocumentText, ToolError> {
    let Some(extension) = image_extension(bytes) else {
        return Err(ToolError::Failed {
            tool: tools.tesseract.display().to_string(),
            status: "not run".to_owned(),
            stderr: "not an image (PNG, JPEG, TIFF, BMP, GIF, WebP, PNM or JPEG 2000)".to_owned(),
        });
    };
    cache::cached(cache::Key::new("ocr", &tools.language, bytes), || {
        let dir = tempfile::Builder::new().prefix("prodline-ocr-").tempdir()?;
        let path = dir.path().join(format!("image.{extension}"));
        std::fs::write(&path, bytes)?;
        let read = ocr::read_image_file(&path, tools)?;
        let mut text = DocumentText::new(TextSource::Ocr, read.pages);
        text.ocr = Some(read.tally.stats());
        Ok(text)
    })
}

/// The file extension of an image format leptonica (tesseract's image
/// library) reads, from the first bytes.
fn image_extension(bytes: &[u8]) -> Option<&'static str> {
    const SIGNATURES: [(&[u8], &str); 8] = [
        (b"\x89PNG\r\n\x1a\n", "png"),
        (b"\xff\xd8\xff", "jpg"),
        (b"II*\0", "tif"),
        (b"MM\0*", "tif"),
        (b"GIF8", "gif"),
        (b"BM", "bmp"),
        (b"\0\0\0\x0cjP  ", "jp2"),
        (b"\xff\x4f\xff\x51", "j2k"),
    ];
    if let Some((_, extension)) = SIGNATURES.iter().find(|(magic, _)| bytes.starts_with(magic)) {
        return Some(extension);
    }
    if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && bytes[8..12] == *b"WEBP" {
        return Some("webp");
    }
    match bytes {
        [b'P', b'1'..=b'6', space, ..] if space.is_ascii_whitespace() => Some("pnm"),
        _ => None,
    }
}

/// A text file, decoded: by its byte-order mark (UTF-8, UTF-16LE/BE), else
/// as UTF-8 when it is valid, else as Windows-1252 (which decodes any byte:
/// the usual encoding of a text file that is not UTF-8). Line ends are `\n`.
pub fn plain_text(bytes: &[u8]) -> DocumentText {
    let text = match encoding_rs::Encoding::for_bom(bytes) {
        Some((encoding, bom)) => encoding.decode_without_bom_handling(&bytes[bom..]).0,
        None => match std::str::from_utf8(bytes) {
            Ok(text) => text.into(),
            Err(_) => encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0,
        },
    };
    DocumentText::new(TextSource::Plain, vec![text.replace("\r\n", "\n")])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(bytes: &[u8]) -> String {
        plain_text(bytes).joined()
    }

    #[test]
    fn plain_text_reads_every_usual_encoding() {
        assert_eq!(plain("Qty 2 \u{e0} 5,00 \u{20ac}\r\n".as_bytes()), "Qty 2 \u{e0} 5,00 \u{20ac}\n");
        assert_eq!(plain(b"\xef\xbb\xbfPO 12"), "PO 12");
        assert_eq!(plain(b"\xff\xfeP\0O\0 \0\xe9\0"), "PO \u{e9}");
        assert_eq!(plain(b"\xfe\xff\0P\0O\0 \0\xe9"), "PO \u{e9}");
        assert_eq!(plain(b"Men\xfc 5 \x80"), "Men\u{fc} 5 \u{20ac}");
        assert_eq!(plain_text(b"x").source, Some(TextSource::Plain));
    }

    #[test]
    fn images_are_known_by_their_first_bytes() {
        assert_eq!(image_extension(b"\x89PNG\r\n\x1a\n...."), Some("png"));
        assert_eq!(image_extension(b"\xff\xd8\xff\xe0"), Some("jpg"));
        assert_eq!(image_extension(b"II*\0...."), Some("tif"));
        assert_eq!(image_extension(b"RIFF\0\0\0\0WEBPVP8 "), Some("webp"));
        assert_eq!(image_extension(b"P6\n10 10\n255\n"), Some("pnm"));
        assert_eq!(image_extension(b"/etc/passwd\n"), None);
        assert_eq!(image_extension(b"%PDF-1.4"), None);
        assert_eq!(image_extension(b""), None);
    }
}
