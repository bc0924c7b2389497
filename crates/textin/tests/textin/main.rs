//! prodline-textin's integration tests: real tools (poppler, tesseract,
//! installed by `scripts/ocr.sh`) on the real corpus
//! (`../shared/corpus/realworld`), and hand-written e-mails.

mod email;
mod ocr;
mod pdf;
mod tools;

use std::path::PathBuf;

use prodline_core::DocumentText;
use prodline_textin::ToolError;

/// The shared conformance corpus, next to the repository.
pub const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/realworld");

pub fn corpus_file(relative: &str) -> Vec<u8> {
    let path = PathBuf::from(CORPUS).join(relative);
    std::fs::read(&path).unwrap_or_else(|error| {
        panic!("{}: {error} (the corpus is set up by scripts/setup.sh next to the repository)", path.display())
    })
}

/// The text, or a failure that says what to install: a missing tool's
/// error names `scripts/ocr.sh`.
pub fn read(result: Result<DocumentText, ToolError>, what: &str) -> DocumentText {
    result.unwrap_or_else(|error| panic!("{what}: {error}"))
}

/// The line of `text` that holds `needle`, or a failure that shows the text.
pub fn line_with<'a>(text: &'a str, needle: &str) -> &'a str {
    text.lines().find(|line| line.contains(needle)).unwrap_or_else(|| panic!("no line with {needle:?} in:\n{text}"))
}
