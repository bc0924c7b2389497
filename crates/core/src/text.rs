//! Documents without a structure of their own, as text: an e-mail body, a
//! PDF's text layer, the OCR of a scan or photo, a plain-text file. What an
//! extractor reads, whatever produced it; and what running a model cost.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::Format;

/// Where a [`DocumentText`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextSource {
    /// A plain-text file.
    Plain,
    /// An e-mail's body (text, or HTML turned into text).
    Email,
    /// A PDF's text layer (`pdftotext -layout`).
    Pdf,
    /// OCR of an image, or of a PDF page without a text layer.
    Ocr,
}

/// A document's text with its layout: each page's lines as printed, columns
/// kept as runs of spaces, so a table can be read from positions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DocumentText {
    pub source: Option<TextSource>,
    /// One entry per page; one page for e-mails and plain text.
    pub pages: Vec<String>,
    /// The e-mail's subject, where there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Set when any of the text came from OCR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocr: Option<OcrStats>,
}

impl DocumentText {
    pub fn new(source: TextSource, pages: Vec<String>) -> DocumentText {
        DocumentText { source: Some(source), pages, subject: None, ocr: None }
    }

    /// All pages, one after the other.
    pub fn joined(&self) -> String {
        self.pages.join("\n")
    }

    pub fn is_blank(&self) -> bool {
        self.pages.iter().all(|p| p.trim().is_empty())
    }
}

/// How sure OCR was of what it read (tesseract's per-word confidence, 0–100).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct OcrStats {
    pub pages: u32,
    pub words: u32,
    /// Mean word confidence, 0–100.
    pub mean_confidence: f64,
    /// Words below 60.
    pub low_confidence_words: u32,
}

/// What a model's extraction cost: calls, tokens, time and money.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// The extractor's name (`builtin`, `command`, `openai:MODEL`).
    pub extractor: String,
    pub calls: u32,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Wall time spent in the model, in milliseconds.
    pub millis: u64,
    /// Money, in the currency of the workflow's budget.
    #[serde(with = "crate::decimal_json")]
    pub cost: Decimal,
}

impl Usage {
    pub fn add(&mut self, other: &Usage) {
        self.calls += other.calls;
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
        self.millis += other.millis;
        self.cost += other.cost;
    }
}

/// How documents are grouped in every report: by how they arrive and how
/// hard they are to read. Scans and photos are their own group, whatever
/// their container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// X12, EDIFACT, UBL.
    Edi,
    Email,
    /// A PDF with a text layer.
    Pdf,
    /// CSV, XLSX.
    Spreadsheet,
    /// An image, or a PDF read by OCR.
    Scan,
    /// A plain-text file.
    Text,
    Other,
}

impl Group {
    pub fn of(format: Format, scanned: bool) -> Group {
        match format {
            Format::Image => Group::Scan,
            Format::Pdf if scanned => Group::Scan,
            Format::Pdf => Group::Pdf,
            Format::X12 | Format::Edifact | Format::Ubl => Group::Edi,
            Format::Csv | Format::Xlsx => Group::Spreadsheet,
            Format::Email => Group::Email,
            Format::Text => Group::Text,
            Format::Unknown => Group::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Group::Edi => "edi",
            Group::Email => "email",
            Group::Pdf => "pdf",
            Group::Spreadsheet => "spreadsheet",
            Group::Scan => "scan",
            Group::Text => "text",
            Group::Other => "other",
        }
    }
}

impl std::fmt::Display for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
