//! Words of a line with their byte spans, numbers as people and OCR write
//! them, and quantities in words.

use std::str::FromStr;

use prodline_core::Decimal;
use prodline_formats::value::{NumberStyle, parse_number_text};

/// A word of a line: what it says and where (byte offsets into the line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word<'a> {
    pub text: &'a str,
    pub start: usize,
    pub end: usize,
}

impl Word<'_> {
    /// The word lower-cased, without the punctuation around it.
    pub fn bare(&self) -> String {
        self.text.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase()
    }
}

/// Characters that end a word besides white space: a code keeps its dashes,
/// slashes and dots, but not the brackets or commas around it.
fn is_break(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '[' | ']' | '{' | '}' | '<' | '>' | '"' | '|' | '!' | '?')
}

/// The words of a line, trailing `.` and `:` dropped from each.
pub(crate) fn words(line: &str) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let chars: Vec<(usize, char)> = line.char_indices().chain(std::iter::once((line.len(), ' '))).collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        // `1,200` and `11,85` are one number.
        let digit_at = |j: Option<usize>| j.and_then(|j| chars.get(j)).is_some_and(|(_, c)| c.is_ascii_digit());
        let in_number = c == ',' && digit_at(k.checked_sub(1)) && digit_at(Some(k + 1));
        if is_break(c) && !in_number {
            if let Some(s) = start.take() {
                push_word(line, s, i, &mut out);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    out
}

fn push_word<'a>(line: &'a str, start: usize, end: usize, out: &mut Vec<Word<'a>>) {
    let Some(raw) = line.get(start..end) else { return };
    let trimmed = raw.trim_end_matches(['.', ':', '\'']);
    let trimmed = if trimmed.is_empty() { raw } else { trimmed };
    out.push(Word { text: trimmed, start, end: start + trimmed.len() });
}

/// Cells of a layout line: runs of text separated by two or more spaces,
/// a tab or a box rule (pdftotext `-layout` and tesseract keep columns
/// that way), with spans.
pub(crate) fn cells(line: &str) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut spaces = 0usize;
    let mut last_end = 0usize;
    for (i, c) in line.char_indices() {
        // A tab or a box rule (`|`, `│`) ends a cell like two spaces.
        let rule = matches!(c, '\t' | '|' | '│' | '┃');
        if c == ' ' || c == '\u{a0}' || rule {
            spaces += if rule { 2 } else { 1 };
            if spaces >= 2
                && let Some(s) = start.take()
                && let Some(text) = line.get(s..last_end)
            {
                out.push(Word { text, start: s, end: last_end });
            }
            continue;
        }
        spaces = 0;
        if start.is_none() {
            start = Some(i);
        }
        last_end = i + c.len_utf8();
    }
    if let Some(s) = start
        && let Some(text) = line.get(s..last_end)
    {
        out.push(Word { text, start: s, end: last_end });
    }
    out
}

/// Letters OCR reads for digits, in a word that is otherwise a number.
fn ocr_digit(c: char) -> Option<char> {
    match c {
        'O' | 'o' | 'D' | 'Q' => Some('0'),
        'l' | 'I' | 'i' | '|' | '!' => Some('1'),
        'S' | 's' => Some('5'),
        'B' => Some('8'),
        'Z' | 'z' => Some('2'),
        'G' => Some('6'),
        _ => None,
    }
}

/// A number as written: `1,200`, `11.85`, `11,85`, `$11.85`, `12x`. With
/// `ocr`, letters OCR mistakes for digits are read as digits when the word
/// is mostly digits (`2O` → 20, `l2` → 12); the flag says a repair happened.
pub(crate) fn number(raw: &str, ocr: bool) -> Option<(Decimal, bool)> {
    let text = raw.trim().trim_end_matches(['x', 'X', '×']).trim_start_matches(['x', 'X', '×', '#']);
    if text.is_empty() || !text.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    if let Some(value) = plain_number(text) {
        return Some((value, false));
    }
    if !ocr {
        return None;
    }
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let repairable = text.chars().filter(|c| ocr_digit(*c).is_some()).count();
    if digits < repairable || digits + repairable < text.chars().filter(|c| c.is_alphanumeric()).count() {
        return None;
    }
    let repaired: String = text.chars().map(|c| ocr_digit(c).unwrap_or(c)).collect();
    plain_number(&repaired).map(|v| (v, true))
}

/// Digits with separators and maybe a currency: nothing else.
fn plain_number(text: &str) -> Option<Decimal> {
    let parsed = parse_number_text(text, NumberStyle::default())?;
    if parsed.suffix.is_some() {
        return None;
    }
    Some(parsed.value)
}

/// The currency a word names (`$`, `€`, `EUR`, `US$`, `$11.85`).
pub(crate) fn currency_of(raw: &str) -> Option<String> {
    let t = raw.trim();
    if let Some(code) = prodline_formats::value::currency_code(t) {
        return Some(code);
    }
    parse_number_text(t, NumberStyle::default()).and_then(|n| n.currency)
}

const SMALL: &[&str] = &[
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: &[&str] = &["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

fn small_number(word: &str) -> Option<u32> {
    if let Some(i) = SMALL.iter().position(|w| *w == word) {
        return u32::try_from(i).ok();
    }
    if let Some(i) = TENS.iter().position(|w| !w.is_empty() && *w == word) {
        return u32::try_from(i * 10).ok();
    }
    // `twenty-five`
    let (tens, ones) = word.split_once('-')?;
    let t = TENS.iter().position(|w| !w.is_empty() && *w == tens)?;
    let o = SMALL.iter().position(|w| *w == ones).filter(|o| (1..10).contains(o))?;
    u32::try_from(t * 10 + o).ok()
}

/// A quantity written in words starting at `words[at]`: `twenty`, `two
/// hundred fifty`, `a hundred`. Returns the value and how many words it
/// took. `dozen` is left to the caller (it is a unit: "two dozen" is 2 DZ).
pub(crate) fn number_words(words: &[Word<'_>], at: usize) -> Option<(Decimal, usize)> {
    let mut total: u32 = 0;
    let mut current: u32 = 0;
    let mut used = 0usize;
    let mut any = false;
    for word in words.iter().skip(at) {
        let bare = word.bare();
        if let Some(n) = small_number(&bare) {
            current += n;
        } else if (bare == "a" || bare == "an") && used == 0 {
            let next = words.get(at + 1).map(Word::bare);
            if !matches!(next.as_deref(), Some("hundred" | "thousand")) {
                return None;
            }
            current = 1;
        } else if bare == "hundred" && any {
            current = current.max(1) * 100;
        } else if bare == "thousand" && any {
            total += current.max(1) * 1000;
            current = 0;
        } else if bare == "and" && any && current >= 100 {
            // `two hundred and fifty`
        } else {
            break;
        }
        any = true;
        used += 1;
    }
    if !any || used == 0 {
        return None;
    }
    let value = total + current;
    if value == 0 {
        return None;
    }
    Some((Decimal::from(value), used))
}

/// Words that are units of measure (SPEC §1 spellings, plurals and the
/// words people use in e-mails), lower-case.
pub(crate) fn is_unit_word(word: &str) -> bool {
    let folded = prodline_formats::value::fold_label(word);
    let word = folded.as_str();
    const EXTRA: &[&str] = &[
        "ea", "each", "pc", "pcs", "piece", "pieces", "unit", "units", "box", "boxes", "bx", "case", "cases", "cs",
        "ca", "carton", "cartons", "ctn", "ctns", "pack", "packs", "pk", "pkg", "pkgs", "dozen", "dozens", "dz",
        "pair", "pairs", "pr", "set", "sets", "roll", "rolls", "rl", "pallet", "pallets", "plt", "ft", "foot", "feet",
        "yd", "yard", "yards", "m", "meter", "meters", "metre", "metres", "lb", "lbs", "pound", "pounds", "kg", "kgs",
        "gal", "gallon", "gallons", "l", "liter", "liters", "litre", "litres", "stk", "stück", "stueck", "pce", "pces",
        "bag", "bags", "bottle", "bottles", "drum", "drums", "reel", "reels", "tube", "tubes", "piece", "pieces",
        "boite", "boites", "paquet", "paquets", "rouleau", "rouleaux", "karton", "kartons", "rolle", "rollen", "caja",
        "cajas", "unidad", "unidades", "pezzi", "scatola", "stuck",
    ];
    EXTRA.contains(&word)
}

/// A unit word as written, or its English spelling where the SPEC §1 table
/// knows only that (`boîtes` → `boxes`, `Stück` → `pcs`).
pub(crate) fn unit_as_written(word: &str) -> String {
    let bare = word.trim_matches(|c: char| !c.is_alphanumeric());
    let english = match prodline_formats::value::fold_label(bare).as_str() {
        "piece" | "pieces" | "stuck" | "stueck" | "stk" | "unidad" | "unidades" | "pezzi" => "pcs",
        "boite" | "boites" | "caja" | "cajas" | "scatola" => "boxes",
        "paquet" | "paquets" => "packs",
        "rouleau" | "rouleaux" | "rolle" | "rollen" => "rolls",
        "karton" | "kartons" => "cartons",
        _ => return bare.to_string(),
    };
    english.to_string()
}

/// `16th`, `2nd`: a day with an ordinal suffix.
pub(crate) fn ordinal_day(word: &str) -> Option<u32> {
    let digits: String = word.chars().take_while(char::is_ascii_digit).collect();
    let rest = word.get(digits.len()..)?.to_ascii_lowercase();
    if digits.is_empty() || !matches!(rest.as_str(), "st" | "nd" | "rd" | "th") {
        return None;
    }
    u32::from_str(&digits).ok().filter(|d| (1..=31).contains(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    #[test]
    fn words_keep_codes_and_drop_brackets() {
        let w: Vec<&str> =
            words("200 EA x HV-075-BR (3/4in brass ball valve) @ $11.85.").iter().map(|w| w.text).collect();
        assert_eq!(w, ["200", "EA", "x", "HV-075-BR", "3/4in", "brass", "ball", "valve", "@", "$11.85"]);
    }

    #[test]
    fn cells_split_at_two_spaces() {
        let c: Vec<(&str, usize)> =
            cells("MM4-4010             Micro-Motor #4      89").iter().map(|c| (c.text, c.start)).collect();
        assert_eq!(c, [("MM4-4010", 0), ("Micro-Motor #4", 21), ("89", 41)]);
    }

    #[test]
    fn numbers_as_written_and_as_ocr_misreads_them() {
        assert_eq!(number("1,200", false), Some((d("1200"), false)));
        assert_eq!(number("11.85", false), Some((d("11.85"), false)));
        assert_eq!(number("12x", false), Some((d("12"), false)));
        assert_eq!(number("2O", false), None);
        assert_eq!(number("2O", true), Some((d("20"), true)));
        assert_eq!(number("l2", true), Some((d("12"), true)));
        assert_eq!(number("HV-100", true), None);
    }

    #[test]
    fn quantities_in_words() {
        let w = words("twenty valves");
        assert_eq!(number_words(&w, 0), Some((d("20"), 1)));
        let w = words("two hundred and fifty");
        assert_eq!(number_words(&w, 0), Some((d("250"), 4)));
        let w = words("a hundred");
        assert_eq!(number_words(&w, 0), Some((d("100"), 2)));
        let w = words("a dozen");
        assert_eq!(number_words(&w, 0), None);
        let w = words("twenty-five");
        assert_eq!(number_words(&w, 0), Some((d("25"), 1)));
    }
}
