//! CSV order files: encoding and delimiter detection, then the shared table
//! interpreter.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, WINDOWS_1252};
use prodline_core::{Diagnostic, Format, ParsedDocument, Position};

use crate::interpret::interpret;
use crate::table::{Cell, SourceHints, Table};

/// How many records decide the delimiter.
const SNIFF_RECORDS: usize = 30;

/// Read a CSV (or TSV, or `;`/`|`-separated) order file.
pub fn parse(bytes: &[u8]) -> ParsedDocument {
    let mut doc = ParsedDocument::new(Format::Csv);
    let text = decode(bytes);
    let table = match read_table(&text) {
        Ok(table) => table,
        Err(diagnostic) => {
            doc.diagnostics.push(*diagnostic);
            return doc;
        }
    };
    let result = interpret(&table);
    doc.orders = result.orders;
    doc.diagnostics.extend(result.diagnostics);
    if doc.orders.is_empty() {
        doc.diagnostics.push(Diagnostic::error(
            "no_order_table",
            "no table of order lines (item and quantity columns) was found",
            Position::default(),
        ));
    }
    doc
}

/// Bytes to text: a BOM says the encoding; else UTF-8 if it is valid, else
/// UTF-16 if every other byte is zero, else Windows-1252 (what Excel writes
/// on Western European Windows).
pub fn decode(bytes: &[u8]) -> Cow<'_, str> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let body = bytes.get(bom_len..).unwrap_or_default();
        return Cow::Owned(encoding.decode_without_bom_handling(body).0.into_owned());
    }
    if let Some(encoding) = guess_utf16(bytes) {
        return Cow::Owned(encoding.decode_without_bom_handling(bytes).0.into_owned());
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned()),
    }
}

fn guess_utf16(bytes: &[u8]) -> Option<&'static Encoding> {
    let sample = bytes.get(..bytes.len().min(512))?;
    if sample.len() < 4 {
        return None;
    }
    let zeros_at = |parity: usize| sample.iter().skip(parity).step_by(2).filter(|b| **b == 0).count();
    let half = sample.len() / 2;
    if zeros_at(1) * 10 > half * 6 {
        Some(UTF_16LE)
    } else if zeros_at(0) * 10 > half * 6 {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// Parse the text into a table with the best delimiter. An Excel `sep=;`
/// first line names it.
fn read_table(text: &str) -> Result<Table, Box<Diagnostic>> {
    let (delimiter, body, skipped_lines) = match excel_separator_line(text) {
        Some((delimiter, rest)) => (delimiter, rest, 1),
        None => (sniff_delimiter(text), text, 0),
    };
    let mut reader =
        ::csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(body.as_bytes());
    let mut table = Table {
        first_column: 1,
        hints: SourceHints { semicolon_delimited: delimiter == b';', typed: false },
        ..Table::default()
    };
    let newlines: Vec<usize> = body.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i).collect();
    // The line of a byte offset, counted by hand: the csv crate's own line
    // count drifts on CRLF files.
    // Its record positions may also point at the line break before a record.
    let bytes = body.as_bytes();
    let line_of = |mut byte: usize| {
        while bytes.get(byte).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            byte += 1;
        }
        newlines.partition_point(|&nl| nl < byte) + 1 + skipped_lines
    };
    for record in reader.records() {
        let record = record.map_err(|e| Box::new(csv_error(&e, skipped_lines)))?;
        let line = record.position().map_or(table.rows.len() + 1, |p| line_of(p.byte() as usize));
        table.rows.push(record.iter().map(Cell::text).collect());
        table.row_numbers.push(line);
    }
    Ok(table)
}

fn csv_error(error: &::csv::Error, skipped_lines: usize) -> Diagnostic {
    let position = Position {
        line: error.position().map(|p| p.line() as usize + skipped_lines),
        byte_offset: error.position().map(|p| p.byte() as usize),
        ..Position::default()
    };
    Diagnostic::error("csv_unreadable", format!("the CSV could not be read: {error}"), position)
}

/// `sep=;` on the first line (Excel's hint).
fn excel_separator_line(text: &str) -> Option<(u8, &str)> {
    let first_line = text.lines().next()?;
    let sep = first_line.trim().strip_prefix("sep=")?;
    let [delimiter] = sep.as_bytes() else { return None };
    let rest = text.get(first_line.len()..)?.trim_start_matches(['\r', '\n']);
    Some((*delimiter, rest))
}

/// The delimiter among `,` `;` tab `|` that splits the first records into
/// the most consistent number of fields (quotes respected).
pub fn sniff_delimiter(text: &str) -> u8 {
    let mut best = (b',', 0usize, 0usize);
    for delimiter in [b',', b';', b'\t', b'|'] {
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(text.as_bytes());
        let counts: Vec<usize> = reader.records().take(SNIFF_RECORDS).map_while(Result::ok).map(|r| r.len()).collect();
        let (mode, agreeing) = mode(&counts);
        if mode < 2 {
            continue;
        }
        // Records that agree on a field count matter most, then more fields.
        if (agreeing, mode) > (best.2, best.1) {
            best = (delimiter, mode, agreeing);
        }
    }
    best.0
}

/// The most common value and how often it occurs.
fn mode(counts: &[usize]) -> (usize, usize) {
    let mut best = (0, 0);
    for &c in counts {
        let n = counts.iter().filter(|&&x| x == c).count();
        if n > best.1 || (n == best.1 && c > best.0) {
            best = (c, n);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_are_sniffed() {
        assert_eq!(sniff_delimiter("a;b;c\n1;2;3\n"), b';');
        assert_eq!(sniff_delimiter("a,b,c\n1,2,3\n"), b',');
        assert_eq!(sniff_delimiter("a\tb\n1\t2\n"), b'\t');
        assert_eq!(sniff_delimiter("a|b\n1|2\n"), b'|');
        assert_eq!(sniff_delimiter("\"a;x\",b,c\n\"1;2\",2,3\n"), b',');
        assert_eq!(sniff_delimiter("a;b\n1,5;2,5\n3,5;4\n"), b';');
    }

    #[test]
    fn encodings_are_detected() {
        assert_eq!(decode(b"\xEF\xBB\xBFa,b"), "a,b");
        assert_eq!(decode(b"Gr\xF6\xDFe"), "Größe");
        assert_eq!(decode(b"\xFF\xFEa\0,\0b\0"), "a,b");
        assert_eq!(decode(b"\xFE\xFF\0a\0,\0b"), "a,b");
        assert_eq!(decode(b"a\0,\0b\0;\0c\0"), "a,b;c");
    }
}
