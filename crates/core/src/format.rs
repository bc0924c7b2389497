//! Document formats, told by content first and extension second (SPEC §3).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    X12,
    Edifact,
    Csv,
    Xlsx,
    Ubl,
    Email,
    Pdf,
    Image,
    Text,
    Unknown,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::X12 => "x12",
            Format::Edifact => "edifact",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Ubl => "ubl",
            Format::Email => "email",
            Format::Pdf => "pdf",
            Format::Image => "image",
            Format::Text => "text",
            Format::Unknown => "unknown",
        }
    }

    /// Formats whose reader lands in a later issue: documents in them are
    /// reported `unsupported_format` and sent to review.
    pub fn is_structured(self) -> bool {
        matches!(self, Format::X12 | Format::Edifact | Format::Csv | Format::Xlsx | Format::Ubl)
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
