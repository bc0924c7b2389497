//! Order lines written as sentences: "200 of the 3/4 brass ball valves,
//! our part 88-1200", "Please send 5 cases of HV-075-BR", "qty 12 x HV-100",
//! "two dozen ...", "2 boxes of 50 ...", "@ $11.85". A sentence becomes a
//! line only with an anchor in the master data and a quantity.

use std::collections::HashSet;

use prodline_core::{Decimal, Diagnostic, ItemId, ParsedLine, Position};

use super::anchor::{Anchor, Anchors};
use super::dates::find_dates;
use super::words::{Word, currency_of, is_unit_word, number, number_words, unit_as_written, words};
use super::{ReadLine, TextLine};

/// What the prose of a text gave.
#[derive(Debug, Default)]
pub(crate) struct Prose {
    pub lines: Vec<ReadLine>,
    /// A sentence asked a question about an item instead of ordering it.
    pub questions: bool,
}

/// Read order lines from the lines no table took: the lines are joined
/// into units (a wrapped sentence is one), the units cut into sentences,
/// each sentence with anchors read.
pub(crate) fn read_prose(
    lines: &[TextLine<'_>],
    used: &HashSet<usize>,
    anchors: &Anchors<'_>,
    ocr: bool,
    po: Option<&str>,
) -> Prose {
    let mut prose = Prose::default();
    for unit in units(lines, used) {
        for sentence in sentences(&unit.text) {
            let found = anchors.find(sentence);
            if found.is_empty() {
                // `450 ft x 98-3210` names no item we know: still an order
                // line, which resolution reports as an unknown item.
                let line = TextLine { page: unit.page, number: unit.number, text: sentence };
                prose.lines.extend(unknown_list_line(&line, ocr));
                continue;
            }
            if sentence.trim_end().ends_with('?') {
                prose.questions = true;
                continue;
            }
            let line = TextLine { page: unit.page, number: unit.number, text: sentence };
            for (text, inside) in clauses(sentence, &found) {
                prose.lines.extend(read_clause(&line, text, &inside, ocr, po));
            }
        }
    }
    prose
}

/// A list line whose item is no anchor: quantity, maybe a unit, then `x`
/// (or `of` and a code), then the item as written.
fn unknown_list_line(line: &TextLine<'_>, ocr: bool) -> Option<ReadLine> {
    let words = words(line.text);
    let skip = usize::from(words.first().is_some_and(|w| w.bare().is_empty()));
    let first = words.get(skip)?;
    // `4x seal 1.25 carbon/ceramic`: the count and its `x` in one word.
    let glued = first.text.strip_suffix(['x', 'X', '×']).filter(|n| !n.is_empty()).and_then(|n| number(n, ocr));
    let (qty, uom, item, times) = match glued {
        Some((qty, _)) => (qty, None, words.get(skip + 1)?, true),
        None => {
            let (qty, _) = number(first.text, ocr)?;
            let mut at = skip + 1;
            let uom = words.get(at).filter(|w| is_unit_word(&w.bare())).map(|w| unit_as_written(w.text));
            if uom.is_some() {
                at += 1;
            }
            let marker = words.get(at)?;
            (qty, uom, words.get(at + 1)?, matches!(marker.text, "x" | "X" | "×"))
        }
    };
    let code_like = item.text.chars().any(|c| c.is_ascii_digit()) && item.text.contains('-');
    let of = words.iter().any(|w| w.start < item.start && w.start > first.start && w.bare() == "of");
    if !(times || (of && code_like)) || qty <= Decimal::ZERO {
        return None;
    }
    let position = Position { line: Some(line.number), ..Default::default() };
    let ids = if code_like {
        vec![ItemId { kind: prodline_core::ItemIdKind::Other, qualifier: None, value: item.text.to_string() }]
    } else {
        Vec::new()
    };
    let rest = line.text.get(item.start..).unwrap_or("").trim();
    let parsed = ParsedLine {
        item_ids: ids,
        description: Some(rest.to_string()),
        qty: Some(qty),
        uom,
        position,
        ..Default::default()
    };
    Some(ReadLine { line: parsed, warnings: Vec::new() })
}

/// Lines joined where a sentence wraps: a unit ends at a blank line, a
/// quoted line, or a line that ends a sentence; a bullet or a number opens
/// a new one (list lines are one item each).
struct Unit {
    page: usize,
    number: usize,
    text: String,
}

fn units(lines: &[TextLine<'_>], used: &HashSet<usize>) -> Vec<Unit> {
    let mut out: Vec<Unit> = Vec::new();
    let mut open = false;
    // The last line ended on a word that wants the next (`our part`):
    // a number opening the next line goes on the sentence.
    let mut wants_more = false;
    for line in lines {
        let text = line.text.trim();
        if used.contains(&line.number) || text.is_empty() || text.starts_with('>') {
            open = false;
            continue;
        }
        let bullet = text.starts_with(['-', '*', '•', '·', '–']);
        let starts_item = bullet || (text.starts_with(|c: char| c.is_ascii_digit()) && !wants_more);
        match out.last_mut() {
            Some(unit) if open && !starts_item => {
                unit.text.push(' ');
                unit.text.push_str(text);
            }
            _ => out.push(Unit { page: line.page, number: line.number, text: text.to_string() }),
        }
        let last = text.split_whitespace().last().unwrap_or("").to_lowercase();
        let dangling = matches!(
            last.as_str(),
            "x" | "of" | "the" | "and" | "part" | "our" | "your" | "qty" | "#" | "for" | "no" | "nr"
        );
        open = !text.ends_with(['.', '!', '?', ';']) && (text.chars().count() >= 25 || dangling);
        wants_more = open && dangling && last != "x";
    }
    out
}

/// Abbreviations whose dot ends no sentence.
const ABBREVIATIONS: &[&str] = &[
    "ref", "réf", "no", "nr", "mr", "mrs", "ms", "dr", "st", "approx", "ca", "art", "pos", "inc", "co", "corp", "ltd",
    "vs", "etc", "e.g", "i.e", "w/",
];

/// A unit cut at `.`, `!` and `?` followed by a space (not inside a
/// number, not after an abbreviation).
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        let next = chars.get(k + 1).map(|(_, n)| *n);
        if next.is_some_and(|n| !n.is_whitespace()) {
            continue;
        }
        let word = text.get(start..i).and_then(|t| t.split_whitespace().last()).unwrap_or("");
        if c == '.' && ABBREVIATIONS.contains(&word.to_lowercase().as_str()) {
            continue;
        }
        let end = i + c.len_utf8();
        if let Some(sentence) = text.get(start..end).filter(|s| !s.trim().is_empty()) {
            out.push(sentence);
        }
        start = end;
    }
    if let Some(rest) = text.get(start..).filter(|s| !s.trim().is_empty()) {
        out.push(rest);
    }
    out
}

/// A line with anchors to different items split into one clause per item:
/// between two items at the first `;`, else `and`/`plus`/`&`, else `,`,
/// else right after the first item.
fn clauses<'a>(line: &'a str, anchors: &[Anchor]) -> Vec<(&'a str, Vec<Anchor>)> {
    let mut groups: Vec<Vec<Anchor>> = Vec::new();
    for anchor in anchors {
        match groups.last_mut() {
            Some(group) if group.iter().any(|a| a.skus == anchor.skus) => group.push(anchor.clone()),
            _ => groups.push(vec![anchor.clone()]),
        }
    }
    if groups.len() <= 1 {
        return vec![(line, anchors.to_vec())];
    }
    let mut cuts = vec![0usize];
    for pair in groups.windows(2) {
        let (Some(left), Some(right)) = (pair.first(), pair.get(1)) else { continue };
        let from = left.iter().map(|a| a.end).max().unwrap_or(0);
        let to = right.iter().map(|a| a.start).min().unwrap_or(from);
        cuts.push(cut_between(line, from, to.max(from)));
    }
    cuts.push(line.len());
    let mut out = Vec::new();
    for (i, pair) in cuts.windows(2).enumerate() {
        let (Some(&s), Some(&e), Some(group)) = (pair.first(), pair.get(1), groups.get(i)) else { continue };
        let Some(text) = line.get(s..e) else { continue };
        let inside: Vec<Anchor> = group
            .iter()
            .map(|a| Anchor { start: a.start.saturating_sub(s), end: a.end.saturating_sub(s), ..a.clone() })
            .collect();
        out.push((text, inside));
    }
    out
}

/// Where to cut a line between two items (byte offsets `from..to`).
fn cut_between(line: &str, from: usize, to: usize) -> usize {
    let gap = line.get(from..to).unwrap_or("");
    if let Some(i) = gap.find(';') {
        return from + i + 1;
    }
    let words = words(gap);
    if let Some(w) =
        words.iter().find(|w| matches!(w.bare().as_str(), "and" | "plus" | "also" | "und" | "et") || w.text == "&")
    {
        return from + w.start;
    }
    if let Some(i) = gap.find(',') {
        return from + i + 1;
    }
    from
}

/// Words that say the next number is an id, not a quantity.
const ID_WORDS: &[&str] =
    &["part", "no", "nr", "item", "ref", "po", "order", "sku", "pn", "p/n", "art", "number", "#", "upc", "model"];
/// Words that say the next number is a price.
const PRICE_WORDS: &[&str] = &["@", "at", "for", "price", "preis", "prix", "zu", "je", "à", "a", "per", "cost"];
/// Words that say the next number is a quantity.
const QTY_WORDS: &[&str] = &["qty", "quantity", "qté", "qte", "menge", "anzahl", "cantidad", "quantité"];
/// Units of length that make a number a dimension (`1/2 in`, `10 mm`).
const DIMENSION_WORDS: &[&str] = &["in", "inch", "inches", "mm", "cm", "\"", "'", "ft.", "psi", "bar", "v", "w", "mah"];

struct Quantity {
    value: Decimal,
    uom: Option<String>,
    pack: Option<Decimal>,
    /// Index of the word the quantity starts at.
    at: usize,
    repaired: bool,
}

fn read_clause(line: &TextLine<'_>, text: &str, anchors: &[Anchor], ocr: bool, po: Option<&str>) -> Option<ReadLine> {
    if anchors.is_empty() {
        return None;
    }
    let words = words(text);
    let dates: Vec<(usize, usize)> = find_dates(text).iter().map(|d| (d.start, d.end)).collect();
    let taken = |w: &Word<'_>| {
        anchors.iter().any(|a| w.start < a.end && a.start < w.end)
            || dates.iter().any(|(s, e)| w.start < *e && *s < w.end)
    };
    let price = find_price(&words, &taken, ocr);
    let qty = find_quantity(text, &words, &taken, first_anchor_start(anchors), price.as_ref().map(|p| p.1), ocr, po)?;
    let mut ids: Vec<ItemId> = Vec::new();
    for id in anchors.iter().filter_map(|a| a.id.clone()) {
        if !ids.iter().any(|i| i.value == id.value) {
            ids.push(id);
        }
    }
    let phrase = anchors.iter().find_map(|a| a.phrase.clone());
    let description = phrase
        .or_else(|| parenthetical(text))
        .or_else(|| Some(text.trim().trim_start_matches(['-', '*', '•', ' ']).to_string()));
    let position = Position { line: Some(line.number), ..Default::default() };
    let mut warnings = Vec::new();
    let structured = is_structured(&words, &qty, anchors);
    if !structured {
        warnings.push(Diagnostic::note(
            "line_from_prose",
            format!("line {}: an order line read from a sentence: {:?}", line.number, text.trim()),
            position.clone(),
        ));
    }
    if qty.repaired || price.as_ref().is_some_and(|p| p.2) || anchors.iter().any(|a| a.repaired) {
        warnings.push(Diagnostic::warning(
            "ocr_repaired",
            format!("line {}: OCR look-alike characters were read again: {:?}", line.number, text.trim()),
            position.clone(),
        ));
    }
    let parsed = ParsedLine {
        item_ids: ids,
        description,
        qty: Some(qty.value),
        uom: qty.uom,
        unit_price: price.map(|p| p.0),
        pack_size: qty.pack,
        position,
        ..Default::default()
    };
    Some(ReadLine { line: parsed, warnings })
}

/// A list line: the quantity first (after a bullet) and only `x`, `of`, a
/// unit or punctuation between it and the item; or the item first and
/// `x`/`qty`/`:` before the quantity.
fn is_structured(words: &[Word<'_>], qty: &Quantity, anchors: &[Anchor]) -> bool {
    let Some(first_anchor) = anchors.first() else { return false };
    let anchor_word = words.iter().position(|w| w.start >= first_anchor.start).unwrap_or(words.len());
    let filler = |w: &Word<'_>| {
        let b = w.bare();
        b.is_empty() || matches!(b.as_str(), "x" | "of" | "qty" | "pcs" | "ea") || is_unit_word(&b) || w.text == "×"
    };
    let leading =
        words.iter().take(qty.at).all(|w| w.bare().is_empty() || w.text.ends_with('.') || w.text.ends_with(')'));
    if qty.at < anchor_word {
        let mut between = words.iter().skip(qty.at + 1).take(anchor_word.saturating_sub(qty.at + 1));
        // `- 1 x 3" cast iron pump (CP-300-CI)`, `- 10 boxes of 50 of item
        // FC-100-BR`: a list line (bullet, then the quantity) is one item
        // whatever the words.
        let times = words.get(qty.at + 1).is_some_and(|w| matches!(w.text, "x" | "X" | "×"));
        let bullet = qty.at == 1 && words.first().is_some_and(|w| matches!(w.text, "-" | "*" | "•" | "·" | "–"));
        return leading && qty.at <= 1 && (times || bullet || between.all(filler));
    }
    let anchor_end = words.iter().position(|w| w.start >= first_anchor.end).unwrap_or(words.len());
    anchor_word <= 1 && words.iter().skip(anchor_end).take(qty.at.saturating_sub(anchor_end)).all(filler)
}

/// The text in the first parentheses, when it is words (a description).
fn parenthetical(text: &str) -> Option<String> {
    let open = text.find('(')?;
    let close = open + text.get(open..)?.find(')')?;
    let inner = text.get(open + 1..close)?.trim();
    (inner.chars().filter(|c| c.is_alphabetic()).count() >= 3).then(|| inner.to_string())
}

/// The unit price: after `@`, `at`, `for` or with a currency; never a total.
/// Returns (price, index of its word, repaired).
fn find_price(words: &[Word<'_>], taken: &dyn Fn(&Word<'_>) -> bool, ocr: bool) -> Option<(Decimal, usize, bool)> {
    for (i, word) in words.iter().enumerate() {
        if taken(word) {
            continue;
        }
        let prev = i.checked_sub(1).and_then(|p| words.get(p)).map(|w| w.bare());
        let prev_raw = i.checked_sub(1).and_then(|p| words.get(p)).map(|w| w.text);
        let next = words.get(i + 1).map(|w| w.text);
        let total_near =
            words.iter().take(i).rev().take(3).any(|w| matches!(w.bare().as_str(), "total" | "totaling" | "sum"));
        if total_near {
            continue;
        }
        let Some((value, repaired)) = number(word.text, ocr) else { continue };
        let signed = currency_of(word.text).is_some() && word.text.chars().any(|c| c.is_ascii_digit());
        let after_marker = prev_raw == Some("@")
            || prev.as_deref().is_some_and(|p| PRICE_WORDS.contains(&p) && p != "a" && p != "per");
        let after_sign = prev_raw.is_some_and(|p| currency_of(p).is_some() && !p.chars().any(|c| c.is_ascii_digit()));
        let before_sign = next.is_some_and(|n| currency_of(n).is_some() && !n.chars().any(|c| c.is_ascii_digit()));
        if signed || after_marker || after_sign || before_sign {
            return Some((value, i, repaired));
        }
    }
    None
}

/// `1.` or `2)` opening a numbered list line.
fn is_list_marker(text: &str, words: &[Word<'_>], i: usize) -> bool {
    let Some(word) = words.get(i) else { return false };
    let after = text.get(word.end..).and_then(|t| t.chars().next());
    i == 0 && words.len() > 2 && matches!(after, Some('.' | ')')) && word.text.chars().all(|c| c.is_ascii_digit())
}

fn first_anchor_start(anchors: &[Anchor]) -> usize {
    anchors.iter().map(|a| a.start).min().unwrap_or(0)
}

/// The quantity: after `qty`, else the first number (or number in words)
/// that is no id, date, dimension, price or pack size.
fn find_quantity(
    text: &str,
    words: &[Word<'_>],
    taken: &dyn Fn(&Word<'_>) -> bool,
    item_start: usize,
    price_at: Option<usize>,
    ocr: bool,
    po: Option<&str>,
) -> Option<Quantity> {
    let candidate = |i: usize| -> Option<(Decimal, usize, bool)> {
        let word = words.get(i)?;
        if taken(word) || Some(i) == price_at || po.is_some_and(|p| word.text.trim_matches('#') == p) {
            return None;
        }
        let prev = i.checked_sub(1).and_then(|p| words.get(p)).map(Word::bare).unwrap_or_default();
        let prev_raw = i.checked_sub(1).and_then(|p| words.get(p)).map(|w| w.text).unwrap_or("");
        // `part 88`, `order 4711` are ids; `order 3 packs` is a quantity.
        let unit_next = words.get(i + 1).is_some_and(|w| is_unit_word(&w.bare()));
        if (ID_WORDS.contains(&prev.as_str()) && !unit_next) || prev_raw.ends_with('#') || word.text.starts_with('#') {
            return None;
        }
        // `price of 205.00`, `at the contracted price of $1,150.00`
        let priced = words
            .iter()
            .take(i)
            .rev()
            .take(2)
            .any(|w| matches!(w.bare().as_str(), "price" | "prix" | "preis" | "cost" | "@"));
        if priced {
            return None;
        }
        if currency_of(word.text).is_some() && !word.text.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        if let Some((value, used)) = number_words(words, i) {
            return Some((value, used, false));
        }
        let bare = word.bare();
        if (bare == "a" || bare == "an") && words.get(i + 1).is_some_and(|w| is_unit_word(&w.bare())) {
            return Some((Decimal::ONE, 1, false));
        }
        let (value, repaired) = number(word.text, ocr)?;
        let next = words.get(i + 1).map(Word::bare).unwrap_or_default();
        if DIMENSION_WORDS.contains(&next.as_str()) || value <= Decimal::ZERO {
            return None;
        }
        Some((value, 1, repaired))
    };
    let keyword = words.iter().position(|w| QTY_WORDS.contains(&w.bare().as_str()));
    let first_item = words.iter().position(|w| w.start >= item_start).unwrap_or(words.len());
    // After the item only with a marker (`HV-100 x 12`, `: 3 boxes`) or a
    // unit after it: "for Pump Station 7" is no quantity.
    let marked_after = |i: usize| {
        let prev = i.checked_sub(1).and_then(|p| words.get(p));
        let marker = prev.is_some_and(|w| {
            matches!(w.text, "x" | "X" | "×" | ":" | "-" | "=" | "*") || QTY_WORDS.contains(&w.bare().as_str())
        });
        marker || words.get(i + 1).is_some_and(|w| is_unit_word(&w.bare()))
    };
    let found = keyword
        .map(|k| k + 1)
        .and_then(|s| (s..words.len().min(s + 2)).find_map(|i| candidate(i).map(|c| (i, c))))
        .or_else(|| {
            (0..first_item).filter(|i| !is_list_marker(text, words, *i)).find_map(|i| candidate(i).map(|c| (i, c)))
        })
        .or_else(|| (first_item..words.len()).filter(|i| marked_after(*i)).find_map(|i| candidate(i).map(|c| (i, c))));
    let (at, (value, used, repaired)) = found?;
    let mut quantity = Quantity { value, uom: None, pack: None, at, repaired };
    let unit_at = at + used;
    if let Some(unit) = words.get(unit_at).filter(|w| is_unit_word(&w.bare())) {
        quantity.uom = Some(unit_as_written(unit.text));
        let of = words.get(unit_at + 1).map(Word::bare);
        if matches!(of.as_deref(), Some("of" | "de" | "à" | "a" | "zu" | "mit"))
            && let Some(pack) = words.get(unit_at + 2).filter(|w| !taken(w)).and_then(|w| number(w.text, ocr))
        {
            quantity.pack = Some(pack.0);
        }
    }
    Some(quantity)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qty(text: &str) -> Option<(Decimal, Option<String>, Option<Decimal>)> {
        let words = words(text);
        let q = find_quantity(
            text,
            &words,
            &|w: &Word<'_>| w.text.contains("HV"),
            text.find("HV").unwrap_or(text.len()),
            None,
            false,
            None,
        )?;
        Some((q.value, q.uom, q.pack))
    }

    #[test]
    fn quantities_units_and_packs() {
        let d = |n: i64| Decimal::from(n);
        assert_eq!(qty("Please send 5 cases of HV-075-BR"), Some((d(5), Some("cases".into()), None)));
        assert_eq!(qty("two dozen HV-075-BR"), Some((d(2), Some("dozen".into()), None)));
        assert_eq!(qty("a dozen HV-075-BR"), Some((d(1), Some("dozen".into()), None)));
        assert_eq!(qty("twenty HV-075-BR"), Some((d(20), None, None)));
        assert_eq!(qty("2 boxes of 50 HV-075-BR"), Some((d(2), Some("boxes".into()), Some(d(50)))));
        assert_eq!(qty("qty 12 x HV-100"), Some((d(12), None, None)));
        assert_eq!(qty("our part 88 please"), None);
    }

    #[test]
    fn prices_after_markers_and_with_currencies() {
        let w = words("200 x HV-075-BR @ $11.85");
        assert_eq!(find_price(&w, &|_| false, false).map(|p| p.0), Some(Decimal::new(1185, 2)));
        let w = words("5 HV-075-BR at 11,85 € each");
        assert_eq!(find_price(&w, &|_| false, false).map(|p| p.0), Some(Decimal::new(1185, 2)));
        let w = words("for a total of $2,370.00");
        assert_eq!(find_price(&w, &|_| false, false), None);
    }
}
