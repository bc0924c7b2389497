//! OCR through tesseract's TSV output: the words with their boxes and
//! confidences, laid out again as lines whose columns survive.
//!
//! Tesseract's own text output puts each of its text lines on a line of its
//! own and a single space between words, so a table read by OCR loses its
//! columns, and two blocks side by side come out one after the other. Here
//! the words of one visual row (lines of every block that overlap
//! vertically) are joined and placed at the column their left edge falls
//! on, as `pdftotext -layout` places them: a table reads as a table.

use std::collections::BTreeMap;
use std::path::Path;

use prodline_core::OcrStats;

use crate::run::run_tool;
use crate::{ToolError, Tools};

/// Tesseract's page segmentation without orientation detection: fully
/// automatic, the best of 3, 4, 6 and 11 on the corpus forms.
const PSM_AUTO: &str = "3";
/// The same with orientation and script detection (OSD): reads a page
/// turned by 90° or 180°, at about 0.2 s a page more.
const PSM_OSD: &str = "1";
/// Below this mean confidence the page is read again with OSD, in case it
/// is turned. An upright page of print reads at 85–95.
const RETRY_WITH_OSD_BELOW: f64 = 70.0;
/// A word below this confidence counts as low (the `OcrStats` contract).
const LOW_CONFIDENCE: f64 = 60.0;
/// A gap between two words wider than this many character widths is a
/// column gap (at least two spaces); below it, one space. A word space is
/// about half a character wide, a column gap several.
const COLUMN_GAP_CHARS: f64 = 1.5;
/// A vertical gap between rows larger than this many row heights is kept as
/// one blank line (paragraphs and blocks stay apart).
const BLANK_LINE_ROWS: f64 = 1.0;

/// What OCR read: one string per page, and the word confidences.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct OcrRead {
    pub pages: Vec<String>,
    pub tally: Tally,
}

/// Word confidences summed over pages, turned into [`OcrStats`] at the end.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Tally {
    pub pages: u32,
    pub words: u32,
    /// Words with a confidence (≥ 0).
    pub scored: u32,
    pub confidence_sum: f64,
    pub low: u32,
}

impl Tally {
    pub fn add(&mut self, other: &Tally) {
        self.pages += other.pages;
        self.words += other.words;
        self.scored += other.scored;
        self.confidence_sum += other.confidence_sum;
        self.low += other.low;
    }

    pub fn mean(&self) -> f64 {
        if self.scored == 0 { 0.0 } else { self.confidence_sum / f64::from(self.scored) }
    }

    pub fn stats(&self) -> OcrStats {
        OcrStats { pages: self.pages, words: self.words, mean_confidence: self.mean(), low_confidence_words: self.low }
    }
}

/// Reads the image file at `path`: automatic segmentation first, again with
/// orientation detection when that reads poorly; the better read is kept.
/// Measured on the corpus form (1159 px wide): upright, 132 words at mean
/// confidence 95 in 0.5 s (OSD adds nothing); turned by 90°, 34 without
/// OSD and 93 with it (1.2 s for both runs); scaled to half its width, 68
/// either way (upscaling would help, but needs an image library).
pub(crate) fn read_image_file(path: &Path, tools: &Tools) -> Result<OcrRead, ToolError> {
    let first = tesseract(path, tools, PSM_AUTO)?;
    // A blank page has no words either way; a turned one reads as many
    // words of low confidence.
    if first.tally.words == 0 || first.tally.mean() >= RETRY_WITH_OSD_BELOW {
        return Ok(first);
    }
    // OSD can fail where plain segmentation did not (no `osd` data, too few
    // characters to tell the orientation): the first read stands then.
    match tesseract(path, tools, PSM_OSD) {
        Ok(second) if second.tally.mean() > first.tally.mean() => Ok(second),
        _ => Ok(first),
    }
}

fn tesseract(path: &Path, tools: &Tools, psm: &str) -> Result<OcrRead, ToolError> {
    let args = [
        path.as_os_str(),
        "stdout".as_ref(),
        "-l".as_ref(),
        tools.language.as_ref(),
        "--psm".as_ref(),
        psm.as_ref(),
        "tsv".as_ref(),
    ];
    let tsv = run_tool(&tools.tesseract, &args, tools.timeout)?;
    Ok(layout_tsv(&String::from_utf8_lossy(&tsv)))
}

/// One recognised word, its box turned upright.
#[derive(Debug, Clone, PartialEq)]
struct Word {
    page: u32,
    /// Tesseract's line: (block, paragraph, line).
    line: (u32, u32, u32),
    left: f64,
    top: f64,
    width: f64,
    height: f64,
    confidence: f64,
    text: String,
}

impl Word {
    fn right(&self) -> f64 {
        self.left + self.width
    }

    fn bottom(&self) -> f64 {
        self.top + self.height
    }
}

/// Tesseract's TSV (level 5 rows are words) laid out as text, page by page.
pub(crate) fn layout_tsv(tsv: &str) -> OcrRead {
    let mut pages: BTreeMap<u32, Vec<Word>> = BTreeMap::new();
    for word in tsv.lines().skip(1).filter_map(parse_word) {
        pages.entry(word.page).or_default().push(word);
    }
    let mut read = OcrRead::default();
    for words in pages.into_values() {
        read.tally.add(&tally(&words));
        read.pages.push(layout_page(upright(words)));
    }
    if read.pages.is_empty() {
        // A page with no word is still a page that was read.
        read.pages.push(String::new());
        read.tally.pages = 1;
    }
    read
}

/// A TSV row: level, page, block, paragraph, line, word, left, top, width,
/// height, confidence, text. Rows that are not words, or have no text (the
/// rules and boxes tesseract reports as empty words), are skipped.
fn parse_word(row: &str) -> Option<Word> {
    let fields: Vec<&str> = row.split('\t').collect();
    let [level, page, block, par, line, _word, left, top, width, height, confidence, text] = fields[..] else {
        return None;
    };
    let text = text.trim();
    if level != "5" || text.is_empty() {
        return None;
    }
    let number = |field: &str| field.trim().parse::<f64>().ok().filter(|n| n.is_finite());
    let index = |field: &str| field.trim().parse::<u32>().ok();
    Some(Word {
        page: index(page)?,
        line: (index(block)?, index(par)?, index(line)?),
        left: number(left)?,
        top: number(top)?,
        width: number(width)?.max(1.0),
        height: number(height)?.max(1.0),
        confidence: number(confidence)?,
        text: text.to_owned(),
    })
}

fn tally(words: &[Word]) -> Tally {
    let scored: Vec<f64> = words.iter().map(|w| w.confidence).filter(|c| *c >= 0.0).collect();
    Tally {
        pages: 1,
        words: count(words.len()),
        scored: count(scored.len()),
        confidence_sum: scored.iter().sum(),
        low: count(scored.iter().filter(|c| **c < LOW_CONFIDENCE).count()),
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Which way the text runs on the image, from the order of the words in
/// tesseract's lines (with OSD, boxes stay in the image's frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Right,
    Left,
    Up,
    Down,
}

/// The words with their boxes turned so that text runs to the right and
/// lines go down the page.
fn upright(mut words: Vec<Word>) -> Vec<Word> {
    let direction = reading_direction(&words);
    for word in &mut words {
        let (left, top, width, height) = (word.left, word.top, word.width, word.height);
        (word.left, word.top, word.width, word.height) = match direction {
            Direction::Right => (left, top, width, height),
            Direction::Left => (-(left + width), -(top + height), width, height),
            Direction::Up => (-(top + height), left, height, width),
            Direction::Down => (top, -(left + width), height, width),
        };
    }
    words
}

fn reading_direction(words: &[Word]) -> Direction {
    let mut votes = [0usize; 4];
    for pair in words.windows(2) {
        let [a, b] = pair else { continue };
        if a.line != b.line {
            continue;
        }
        let dx = (b.left + b.width / 2.0) - (a.left + a.width / 2.0);
        let dy = (b.top + b.height / 2.0) - (a.top + a.height / 2.0);
        let vote = if dx.abs() >= dy.abs() {
            if dx >= 0.0 { 0 } else { 1 }
        } else if dy < 0.0 {
            2
        } else {
            3
        };
        votes[vote] += 1;
    }
    let best = (0..4).max_by_key(|&i| (votes[i], i == 0)).unwrap_or(0);
    [Direction::Right, Direction::Left, Direction::Up, Direction::Down][best]
}

/// A visual row: words of one or more tesseract lines at the same height.
#[derive(Debug, Default)]
struct Row {
    top: f64,
    bottom: f64,
    words: Vec<Word>,
}

fn layout_page(words: Vec<Word>) -> String {
    if words.is_empty() {
        return String::new();
    }
    let char_width = char_width(&words);
    let margin = words.iter().map(|w| w.left).fold(f64::INFINITY, f64::min);
    let rows = rows(words);
    let row_height = median(rows.iter().map(|r| r.bottom - r.top).collect()).unwrap_or(1.0).max(1.0);
    let mut text = String::new();
    let mut previous_bottom: Option<f64> = None;
    for row in rows {
        if previous_bottom.is_some_and(|bottom| row.top - bottom > BLANK_LINE_ROWS * row_height) {
            text.push('\n');
        }
        previous_bottom = Some(row.bottom);
        text.push_str(&render_row(&row.words, margin, char_width));
        text.push('\n');
    }
    text
}

/// Groups tesseract's lines into visual rows: a line joins the row it
/// overlaps most, by at least half the height of the smaller of the two.
fn rows(words: Vec<Word>) -> Vec<Row> {
    let mut lines: Vec<Row> = Vec::new();
    for word in words {
        match lines.last_mut() {
            Some(line) if line.words.last().is_some_and(|w| w.line == word.line && w.page == word.page) => {
                line.top = line.top.min(word.top);
                line.bottom = line.bottom.max(word.bottom());
                line.words.push(word);
            }
            _ => lines.push(Row { top: word.top, bottom: word.bottom(), words: vec![word] }),
        }
    }
    lines.sort_by(|a, b| (a.top + a.bottom).total_cmp(&(b.top + b.bottom)));
    let mut rows: Vec<Row> = Vec::new();
    for line in lines {
        let best = rows
            .iter()
            .enumerate()
            .map(|(i, row)| (i, overlap(row, &line)))
            .filter(|(_, share)| *share >= 0.5)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i);
        match best.and_then(|i| rows.get_mut(i)) {
            Some(row) => {
                row.top = row.top.min(line.top);
                row.bottom = row.bottom.max(line.bottom);
                row.words.extend(line.words);
            }
            None => rows.push(line),
        }
    }
    for row in &mut rows {
        row.words.sort_by(|a, b| a.left.total_cmp(&b.left));
    }
    rows.sort_by(|a, b| a.top.total_cmp(&b.top));
    rows
}

/// The vertical overlap of two spans, as a share of the shorter one.
fn overlap(a: &Row, b: &Row) -> f64 {
    let shared = a.bottom.min(b.bottom) - a.top.max(b.top);
    let shorter = (a.bottom - a.top).min(b.bottom - b.top).max(1.0);
    shared / shorter
}

/// The median width of a character, from words of two characters or more
/// (single characters are often punctuation or noise).
fn char_width(words: &[Word]) -> f64 {
    let widths: Vec<f64> = words
        .iter()
        .filter_map(|w| {
            let chars = w.text.chars().count();
            (chars >= 2).then(|| w.width / chars as f64)
        })
        .collect();
    median(widths).or_else(|| median(words.iter().map(|w| w.width).collect())).unwrap_or(10.0).max(1.0)
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied()
}

/// One row as text: each word at the column its left edge falls on, one
/// space after a word space, at least two after a column gap. A word space
/// is measured in the characters of the words on either side of it (a
/// heading's space is wider than the page's), columns in the page's.
fn render_row(words: &[Word], margin: f64, char_width: f64) -> String {
    let mut line = String::new();
    let mut length = 0usize;
    let mut previous: Option<&Word> = None;
    for word in words {
        let column = column_of(word.left - margin, char_width);
        let spaces = match previous {
            None => column,
            Some(before) => {
                let local = ((own_char_width(before) + own_char_width(word)) / 2.0).max(char_width);
                if word.left - before.right() < COLUMN_GAP_CHARS * local {
                    1
                } else {
                    column.saturating_sub(length).max(2)
                }
            }
        };
        line.extend(std::iter::repeat_n(' ', spaces));
        line.push_str(&word.text);
        length += spaces + word.text.chars().count();
        previous = Some(word);
    }
    line
}

fn own_char_width(word: &Word) -> f64 {
    word.width / word.text.chars().count().max(1) as f64
}

fn column_of(offset: f64, char_width: f64) -> usize {
    let column = (offset / char_width).round();
    if column.is_finite() && column > 0.0 { column.min(10_000.0) as usize } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n";

    /// Block, line, left, top, width, height, confidence, text.
    type Row<'a> = (u32, u32, i32, i32, i32, i32, f64, &'a str);

    fn tsv(rows: &[Row<'_>]) -> String {
        let mut tsv = HEADER.to_owned();
        for (block, line, left, top, width, height, conf, text) in rows {
            tsv.push_str(&format!("5\t1\t{block}\t1\t{line}\t1\t{left}\t{top}\t{width}\t{height}\t{conf}\t{text}\n"));
        }
        tsv
    }

    #[test]
    fn a_table_keeps_its_columns() {
        // Two rows of a table, each cell its own block, as tesseract reports it.
        let read = layout_tsv(&tsv(&[
            (1, 1, 100, 100, 70, 14, 95.0, "Details"),
            (2, 1, 400, 100, 80, 14, 95.0, "Quantity"),
            (3, 1, 600, 100, 40, 14, 95.0, "Total"),
            (1, 2, 100, 130, 80, 14, 95.0, "Bindings"),
            (2, 2, 400, 131, 20, 14, 95.0, "20"),
            (3, 2, 600, 129, 50, 14, 95.0, "20.00"),
        ]));
        let lines: Vec<&str> = read.pages[0].lines().collect();
        assert_eq!(
            lines,
            [
                "Details                       Quantity            Total",
                "Bindings                      20                  20.00"
            ]
        );
    }

    #[test]
    fn words_of_a_phrase_take_one_space() {
        let read = layout_tsv(&tsv(&[
            (1, 1, 100, 100, 70, 14, 90.0, "Company"),
            (1, 1, 177, 100, 60, 14, 90.0, "Phone:"),
            (1, 1, 245, 100, 120, 14, 40.0, "555-248-6512"),
        ]));
        assert_eq!(read.pages[0], "Company Phone: 555-248-6512\n");
        assert_eq!(
            read.tally.stats(),
            OcrStats { pages: 1, words: 3, mean_confidence: 220.0 / 3.0, low_confidence_words: 1 }
        );
    }

    #[test]
    fn empty_words_and_other_levels_are_not_words() {
        let mut text = tsv(&[(1, 1, 100, 100, 70, 14, 95.0, "Order")]);
        text.push_str("5\t1\t2\t1\t1\t1\t77\t84\t18\t1340\t95.000000\t \n");
        text.push_str("4\t1\t1\t1\t1\t0\t100\t100\t70\t14\t-1\t\n");
        text.push_str("garbage row\n");
        let read = layout_tsv(&text);
        assert_eq!(read.pages, ["Order\n"]);
        assert_eq!(read.tally.words, 1);
    }

    #[test]
    fn a_page_turned_by_a_quarter_is_laid_out_upright() {
        // Text running up the image (a page turned counter-clockwise): the
        // words of a line go up, the next line is to the right.
        let read = layout_tsv(&tsv(&[
            (1, 1, 100, 600, 14, 70, 95.0, "Purchase"),
            (1, 1, 100, 535, 14, 60, 95.0, "Order"),
            (1, 2, 118, 650, 14, 20, 95.0, "PO"),
            (1, 2, 118, 580, 14, 60, 95.0, "948284"),
        ]));
        assert_eq!(read.pages[0], "Purchase Order\nPO 948284\n");
    }

    #[test]
    fn no_words_is_one_blank_page() {
        let read = layout_tsv(HEADER);
        assert_eq!(read.pages, [""]);
        assert_eq!(read.tally.stats(), OcrStats { pages: 1, ..OcrStats::default() });
    }
}
