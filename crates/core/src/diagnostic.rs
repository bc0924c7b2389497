//! Diagnostics: what a reader noticed, and where.
//!
//! Readers never fail silently and never panic: they return values plus
//! diagnostics. A diagnostic's position is as precise as the format allows
//! (interchange, segment number and byte offset for EDI; line and column for
//! CSV; sheet, row and column for spreadsheets).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Read, but inferred rather than stated in so many words (a relative
    /// date worked out, a line read from a sentence): it lowers the
    /// confidence a little and is no reason for review by itself.
    Note,
    /// The document was read, but something is off (an envelope count, say).
    Warning,
    /// A part of the document could not be read.
    Error,
}

/// Where in a document something is. Every field is optional: each format
/// fills what it knows. Counts are 1-based, byte offsets 0-based.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interchange: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<usize>,
    /// Segment number within the file (EDI), 1-based.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub byte_offset: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

impl Position {
    pub fn is_empty(&self) -> bool {
        *self == Position::default()
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        if let Some(i) = self.interchange {
            parts.push(format!("interchange {i}"));
        }
        if let Some(m) = self.message {
            parts.push(format!("message {m}"));
        }
        if let Some(s) = self.segment {
            match &self.segment_id {
                Some(id) => parts.push(format!("segment {s} ({id})")),
                None => parts.push(format!("segment {s}")),
            }
        }
        if let Some(sheet) = &self.sheet {
            parts.push(format!("sheet {sheet:?}"));
        }
        if let Some(l) = self.line {
            parts.push(format!("line {l}"));
        }
        if let Some(c) = self.column {
            parts.push(format!("column {c}"));
        }
        if let Some(b) = self.byte_offset {
            parts.push(format!("byte {b}"));
        }
        if parts.is_empty() { f.write_str("start of file") } else { f.write_str(&parts.join(", ")) }
    }
}

/// One finding of a reader. `code` is a stable snake_case identifier
/// (`se_count_mismatch`, `bad_date`, ...), `message` is for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Position::is_empty", default)]
    pub position: Position,
}

impl Diagnostic {
    pub fn note(code: &str, message: impl Into<String>, position: Position) -> Self {
        Diagnostic { severity: Severity::Note, code: code.to_string(), message: message.into(), position }
    }

    pub fn warning(code: &str, message: impl Into<String>, position: Position) -> Self {
        Diagnostic { severity: Severity::Warning, code: code.to_string(), message: message.into(), position }
    }

    pub fn error(code: &str, message: impl Into<String>, position: Position) -> Self {
        Diagnostic { severity: Severity::Error, code: code.to_string(), message: message.into(), position }
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sev = match self.severity {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{sev}[{}] at {}: {}", self.code, self.position, self.message)
    }
}
