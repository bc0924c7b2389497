//! Order-level fields read from labels: the PO number, the currency, the
//! ship-to and the buyer.

use prodline_core::{Party, PartyRole};
use prodline_formats::value::fold_label;

use super::TextLine;
use super::dates::find_dates;
use super::words::{cells, currency_of, words};
use crate::MasterData;

/// Labels that precede a PO number, folded to lower case, longest first
/// within a family so `purchase order no` wins over `purchase order`.
const PO_LABELS: &[&str] = &[
    "purchase order number",
    "purchase order no",
    "purchase order nr",
    "purchase order #",
    "purchase order",
    "p.o. number",
    "p.o. no",
    "p.o. #",
    "p.o.",
    "po number",
    "po no",
    "po nr",
    "po #",
    "po#",
    "po",
    "customer po",
    "order number",
    "order no",
    "order nr",
    "order #",
    "order n°",
    "order n",
    "order ref",
    "order",
    "our order",
    "our ref",
    "our reference",
    "bestellnummer",
    "bestell-nr",
    "bestellung nr",
    "bestellung",
    "commande n°",
    "n° de commande",
    "n° commande",
    "numero de commande",
    "bon de commande",
    "pedido",
    "numero de pedido",
    "ordine",
    "n°",
    "nº",
];

/// Labels that name a PO number only at the start of a cell, when no
/// usual label did (`Nummer: 4500091377` beside `BESTELLUNG`).
const WEAK_PO_LABELS: &[&str] = &["nummer", "number", "no", "nr", "belegnummer", "auftrag", "reference", "ref"];

/// Words after a label that belong to it, not to the value.
const LABEL_TAIL: &[&str] = &["number", "no", "nr", "num", "n°", "n", "#", "ref", "reference", "id", "is", "nummer"];

/// Words after a label that mean it is not a PO number label at all.
const NOT_A_PO: &[&str] = &[
    "box",
    "total",
    "date",
    "confirmation",
    "status",
    "line",
    "lines",
    "qty",
    "quantity",
    "value",
    "amount",
    "desk",
    "form",
    "entry",
    "of",
    "for",
    "from",
    "to",
    "the",
    "and",
    "will",
    "was",
    "has",
    "is",
    "below",
    "attached",
];

/// A PO number and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PoNumber {
    pub value: String,
    /// The label as written (`PO #`, `Our ref`).
    pub label: String,
    /// 1-based line of the text, `None` for the e-mail subject.
    pub line: Option<usize>,
}

/// The PO number: after a learned label of this sender first, then after a
/// usual label in the text, then in the subject.
pub(crate) fn po_number(lines: &[TextLine<'_>], subject: Option<&str>, learned: Option<&str>) -> Vec<PoNumber> {
    let mut found = Vec::new();
    if let Some(label) = learned {
        found.extend(
            lines
                .iter()
                .filter_map(|l| after_labels(l.text, &[label]).map(|(v, lab)| (l, v, lab)))
                .map(|(l, value, label)| PoNumber { value, label, line: Some(l.number) }),
        );
    }
    for (i, line) in lines.iter().enumerate() {
        if let Some((value, label)) = after_labels(line.text, PO_LABELS) {
            found.push(PoNumber { value, label, line: Some(line.number) });
        } else if let Some((value, label)) = below_label(lines, line) {
            found.push(PoNumber { value, label, line: Some(line.number + 1) });
        } else if let Some(next) = lines
            .get(i + 1)
            .filter(|n| !n.text.trim().is_empty() && cells(n.text).len() == 1 && cells(line.text).len() == 1)
        {
            // `PO number is` / `PB-1042.`: a sentence wrapped after the label.
            let joined = format!("{} {}", line.text.trim_end(), next.text.trim_start());
            if let Some((value, label)) = after_labels(&joined, PO_LABELS) {
                found.push(PoNumber { value, label, line: Some(line.number) });
            }
        }
    }
    if found.is_empty() {
        for line in lines {
            let weak = cells(line.text).into_iter().find_map(|c| {
                let folded = fold_label(c.text);
                let label = WEAK_PO_LABELS.iter().find(|l| folded.starts_with(*l))?;
                after_labels(c.text, &[label])
            });
            if let Some((value, label)) = weak {
                found.push(PoNumber { value, label, line: Some(line.number) });
            }
        }
    }
    if let Some(subject) = subject
        && let Some((value, label)) = after_labels(subject, PO_LABELS)
    {
        found.push(PoNumber { value, label, line: None });
    }
    found
}

/// The first value after any of the labels on a line.
fn after_labels(line: &str, labels: &[&str]) -> Option<(String, String)> {
    let (folded, map) = fold_with_map(line);
    labels.iter().find_map(|label| value_after(line, &folded, &map, label))
}

/// The line folded (lower case, accents off) and, for each folded byte,
/// the byte of the line it came from: labels are matched folded, values
/// read as written.
pub(crate) fn fold_with_map(line: &str) -> (String, Vec<usize>) {
    let mut folded = String::with_capacity(line.len());
    let mut map = Vec::with_capacity(line.len() + 1);
    for (i, c) in line.char_indices() {
        let mut buf = [0u8; 4];
        let f = fold_label(c.encode_utf8(&mut buf));
        for _ in 0..f.len() {
            map.push(i);
        }
        folded.push_str(&f);
    }
    map.push(line.len());
    (folded, map)
}

fn value_after(line: &str, folded: &str, map: &[usize], label: &str) -> Option<(String, String)> {
    let label = fold_label(label);
    let mut from = 0;
    while let Some(pos) = folded.get(from..).and_then(|t| t.find(&label)) {
        let at = from + pos;
        from = at + label.len().max(1);
        let before = folded.get(..at).and_then(|t| t.chars().next_back());
        let after_label = folded.get(at + label.len()..).and_then(|t| t.chars().next());
        // A label is a word of its own: `po` inside `LF-PO-0715` is none.
        let starts_word = before.is_none_or(|c| c.is_whitespace() || matches!(c, '(' | '[' | '|' | ',' | ';' | ':'));
        let ends_word = label.ends_with(|c: char| !c.is_alphanumeric())
            || after_label.is_none_or(|c| c.is_whitespace() || matches!(c, ':' | '#' | '.' | '=' | ')' | ','));
        if !starts_word || !ends_word {
            continue;
        }
        let (Some(&start), Some(&end)) = (map.get(at), map.get(at + label.len())) else { continue };
        let rest = line.get(end..).unwrap_or("");
        if let Some(value) = value_in(rest) {
            let written = line.get(start..end).unwrap_or(&label).trim().to_string();
            return Some((value, written));
        }
    }
    None
}

/// The value right after a label: separators and label tails skipped, then
/// one code with a digit in it that is no date, no amount and no phone.
fn value_in(rest: &str) -> Option<String> {
    let words = words(rest);
    for word in words.iter().take(4) {
        let bare = word.text.trim_matches(|c: char| matches!(c, ':' | '#' | '.' | '-' | '=' | '*' | '\'' | '"'));
        let lower = bare.to_lowercase();
        if bare.is_empty() || LABEL_TAIL.contains(&lower.as_str()) || lower == "n°" {
            continue;
        }
        if NOT_A_PO.contains(&lower.as_str()) {
            return None;
        }
        let value = bare.trim_start_matches('#');
        return is_po_value(value).then(|| value.to_string());
    }
    None
}

fn is_po_value(value: &str) -> bool {
    let len = value.chars().count();
    (3..=30).contains(&len)
        && value.chars().any(|c| c.is_ascii_digit())
        && value.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '/' | '.'))
        && find_dates(value).is_empty()
        && !looks_like_amount(value)
}

/// `1,234.00`, `11.85`: money, not an order number.
fn looks_like_amount(value: &str) -> bool {
    let digits_and_seps = value.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | ','));
    digits_and_seps && (value.contains('.') || value.contains(','))
}

/// A label alone in its cell with the value on the next line, in the same
/// column (forms: `PO NUMBER` over `4500012345`).
fn below_label(lines: &[TextLine<'_>], line: &TextLine<'_>) -> Option<(String, String)> {
    // The next line with text, a blank line or two between allowed.
    let next = lines
        .iter()
        .filter(|l| l.number > line.number && l.number <= line.number + 3)
        .find(|l| !l.text.trim().is_empty())?;
    for cell in cells(line.text) {
        let folded = fold_label(cell.text.trim_end_matches([':', ' ']));
        let is_label = PO_LABELS.iter().any(|l| folded == *l || folded == format!("{l}:"));
        if !is_label || folded == "order" {
            continue;
        }
        let below = cells(next.text).into_iter().find(|c| c.start < cell.end + 4 && cell.start < c.end + 4)?;
        let value = below.text.split_whitespace().next()?;
        if is_po_value(value) {
            return Some((value.to_string(), cell.text.trim().to_string()));
        }
    }
    None
}

/// The currency the text states: an ISO code or a sign other than `$`
/// (which several currencies write), the most frequent one.
pub(crate) fn currency(lines: &[TextLine<'_>]) -> Option<String> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for line in lines {
        for word in words(line.text) {
            let Some(code) = currency_of(word.text) else { continue };
            let dollar_only = word.text.contains('$') && !word.text.contains("US");
            if dollar_only {
                continue;
            }
            match counts.iter_mut().find(|(c, _)| *c == code) {
                Some((_, n)) => *n += 1,
                None => counts.push((code, 1)),
            }
        }
    }
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    let (best, n) = counts.first()?;
    let tie = counts.get(1).is_some_and(|(_, m)| m == n);
    (!tie).then(|| best.clone())
}

/// Document titles, never a letterhead.
const TITLES: &[&str] = &[
    "purchase order",
    "order",
    "bestellung",
    "commande",
    "bon de commande",
    "pedido",
    "fax",
    "phone order",
    "from",
    "to",
    "hello",
    "hi",
    "dear",
];

/// Labels of a ship-to block.
const SHIP_TO_LABELS: &[&str] = &[
    "ship to",
    "ship-to",
    "shipto",
    "shipped to",
    "deliver to",
    "delivery address",
    "delivery to",
    // Odoo's sale order: one block both invoiced and shipped to.
    "invoice and shipping address",
    "send to",
    "lieferadresse",
    "lieferanschrift",
    "adresse de livraison",
    "livrer a",
    "enviar a",
];

/// The ship-to as written: `Ship to: 55 Harbor Road, Toledo` on one line,
/// or a block under a `SHIP TO` heading, in its column.
pub(crate) fn ship_to(lines: &[TextLine<'_>]) -> Option<Party> {
    for (i, line) in lines.iter().enumerate() {
        for cell in cells(line.text) {
            let folded = fold_label(cell.text);
            if let Some(label) = SHIP_TO_LABELS.iter().find(|l| folded.starts_with(*l)) {
                let rest = cell.text.get(label.len()..).unwrap_or("").trim_start_matches([':', ' ', '-']).trim();
                let right = cells(line.text).into_iter().find(|c| c.start > cell.end);
                let block = match (rest.is_empty(), right) {
                    (false, _) => vec![rest.to_string()],
                    (true, Some(value)) if !is_heading(value.text) => {
                        // The value's column may go on below (`Ship to:   Agrolait`
                        // over `69 rue de Namur`): the block, not its first line.
                        let mut block = vec![value.text.trim().to_string()];
                        block.extend(column_below(lines, i, value.start));
                        block
                    }
                    _ => block_below(lines, i, cell.start),
                };
                return party_of(block, "ST");
            }
            if let Some(sentence) = ship_to_in_sentence(lines, i, cell.text) {
                return party_of(vec![sentence], "ST");
            }
        }
    }
    None
}

/// `Please ship to our Springfield location, 910 E High St, Springfield OH
/// 45505.`: the words after the label to the end of the sentence (which
/// may wrap onto the next lines), without `our` and `location`.
fn ship_to_in_sentence(lines: &[TextLine<'_>], index: usize, cell: &str) -> Option<String> {
    let (folded, map) = fold_with_map(cell);
    let (at, label) = SHIP_TO_LABELS.iter().find_map(|l| super::dates::find_word(&folded, l).map(|at| (at, *l)))?;
    let end = *map.get(at + label.len())?;
    let mut rest = cell.get(end..)?.trim().to_string();
    for next in lines.iter().skip(index + 1).take(2) {
        if rest.ends_with('.') || next.text.trim().is_empty() {
            break;
        }
        rest.push(' ');
        rest.push_str(next.text.trim());
    }
    let sentence = match rest.find(". ") {
        Some(i) => rest.get(..i).unwrap_or(&rest).to_string(),
        None => rest.trim_end_matches('.').to_string(),
    };
    let mut text = sentence.trim().trim_start_matches(':').trim();
    for lead in ["our ", "the ", "us at ", "us "] {
        if text.to_lowercase().starts_with(lead) {
            text = text.get(lead.len()..).unwrap_or(text);
        }
    }
    let text = text.replace(" location,", ",").replace(" site,", ",");
    (text.chars().any(char::is_alphanumeric) && text.len() <= 160).then_some(text)
}

/// Headings that stand beside `SHIP TO` in a form, never its value.
fn is_heading(text: &str) -> bool {
    const HEADINGS: &[&str] = &[
        "vendor",
        "supplier",
        "bill to",
        "sold to",
        "invoice to",
        "ship from",
        "remit to",
        "buyer",
        "from",
        "lieferant",
        "fournisseur",
        "rechnungsadresse",
        "facturation",
    ];
    let folded = fold_label(text.trim().trim_end_matches(':'));
    HEADINGS.contains(&folded.as_str()) || SHIP_TO_LABELS.iter().any(|l| folded.starts_with(l))
}

/// Up to four lines straight under a value at this column: the first line
/// without a cell there (a blank line, another field) ends them.
fn column_below(lines: &[TextLine<'_>], row: usize, column: usize) -> Vec<String> {
    lines
        .iter()
        .skip(row + 1)
        .take(4)
        .map_while(|line| {
            let cell = cells(line.text).into_iter().find(|c| c.start + 2 >= column && c.start <= column + 2)?;
            (!is_phone(cell.text) && !cell.text.contains(':')).then(|| cell.text.trim().to_string())
        })
        .collect()
}

/// Up to five lines under a heading at this column, until a blank line.
fn block_below(lines: &[TextLine<'_>], heading: usize, column: usize) -> Vec<String> {
    let mut block = Vec::new();
    for line in lines.iter().skip(heading + 1).take(6) {
        if line.text.trim().is_empty() {
            if block.is_empty() {
                continue;
            }
            break;
        }
        let cell = cells(line.text).into_iter().find(|c| c.end > column.saturating_sub(2) && c.start + 12 >= column);
        match cell {
            Some(c) if !is_phone(c.text) => block.push(c.text.trim().to_string()),
            Some(_) => {}
            None if block.is_empty() => continue,
            None => break,
        }
        if block.len() >= 5 {
            break;
        }
    }
    block
}

fn is_phone(text: &str) -> bool {
    let folded = fold_label(text);
    let digits = text.chars().filter(char::is_ascii_digit).count();
    folded.starts_with("phone")
        || folded.starts_with("tel")
        || folded.starts_with("fax")
        || (digits >= 7 && text.contains('(') && text.contains(')'))
}

/// A one-line ship-to is its address; a block is a name over its address.
fn party_of(block: Vec<String>, code: &str) -> Option<Party> {
    let mut party = Party::new(code);
    if let Some((name, address)) = labelled_block(&block) {
        party.name = name;
        party.address = address;
        return Some(party);
    }
    match block.as_slice() {
        [] => return None,
        [one] => one_line_ship_to(one, &mut party),
        lines => {
            // A block: its first line is the name (a site, a person), the
            // street on is the address; lines between (a company, a gate)
            // would keep the address from matching.
            let street =
                lines.iter().position(|l| l.trim().starts_with(|c: char| c.is_ascii_digit())).unwrap_or(1).max(1);
            party.name = lines.first().cloned();
            party.address = lines.get(street..).unwrap_or(&[]).to_vec();
        }
    }
    Some(party)
}

/// Field labels of a form's address block; they are never part of a name.
const COMPANY_LABELS: &[&str] = &["company name", "company", "firma", "societe", "raison sociale"];
const PERSON_LABELS: &[&str] =
    &["vendor name", "name", "contact", "contact name", "attn", "attention", "customer name"];
const ADDRESS_LABELS: &[&str] = &["address", "street", "street address", "adresse", "anschrift"];

/// A form's block of labelled fields (`Vendor Name: Balozi Khamisi`,
/// `Company Name: Higgly Wiggly Books`, `Address: 938 NE Burner Road`,
/// `Boulder City, CO 92848 Phone: ...`): the company is the name (a
/// person only without one), the address runs from its label on, and
/// labels and phone numbers are left out. None when no line is labelled.
fn labelled_block(block: &[String]) -> Option<(Option<String>, Vec<String>)> {
    let field = |line: &str| {
        let (label, value) = line.split_once(':')?;
        let label = fold_label(label.trim());
        let value = value.trim().to_string();
        let kind = if COMPANY_LABELS.contains(&label.as_str()) {
            0
        } else if PERSON_LABELS.contains(&label.as_str()) {
            1
        } else if ADDRESS_LABELS.contains(&label.as_str()) {
            2
        } else {
            return None;
        };
        Some((kind, value))
    };
    if !block.iter().any(|l| field(l).is_some()) {
        return None;
    }
    let (mut company, mut person, mut address) = (None, None, Vec::new());
    for line in block {
        let line = without_phone(line);
        match field(line) {
            Some((0, value)) => company = company.or(Some(value)),
            Some((1, value)) => person = person.or(Some(value)),
            Some((_, value)) => address.push(value),
            None if !address.is_empty() && !line.contains(':') => address.push(line.trim().to_string()),
            None => {}
        }
    }
    address.retain(|l| !l.is_empty());
    Some((company.or(person).filter(|n| !n.is_empty()), address))
}

/// A line without the phone number printed after it (`Boulder City, CO
/// 92848 Phone: 938-294-2949`).
fn without_phone(line: &str) -> &str {
    let folded = line.to_lowercase();
    ["phone", "tel:", "tel.", "fax"]
        .iter()
        .filter_map(|m| folded.find(m))
        .min()
        .filter(|at| *at > 0)
        .and_then(|at| line.get(..at))
        .map_or(line, str::trim_end)
}

/// A ship-to on one line: `Duluth Yard (200 Harbor Dr, Duluth, MN 55802)`
/// is a name and an address; words without a number are a name
/// (`Halvorsen Minneapolis`); anything else an address.
fn one_line_ship_to(text: &str, party: &mut Party) {
    let text = text.trim().trim_end_matches(['.', ',']);
    if let Some((name, rest)) = text.split_once('(')
        && let Some(address) = rest.strip_suffix(')')
        && address.chars().any(|c| c.is_ascii_digit())
    {
        party.name = Some(name.trim().to_string());
        party.address = vec![address.trim().to_string()];
        return;
    }
    if !text.chars().any(|c| c.is_ascii_digit()) {
        party.name = Some(text.to_string());
        return;
    }
    // `Pump Station 7, 18 Canal Street, West Sacramento`: the parts before
    // the first that starts with a street number are the name.
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    if let Some(street) = parts.iter().position(|p| p.starts_with(|c: char| c.is_ascii_digit())).filter(|&i| i > 0) {
        party.name = Some(parts.get(..street).unwrap_or_default().join(", "));
        party.address = vec![parts.get(street..).unwrap_or_default().join(", ")];
        return;
    }
    // `Plant name, 7600 Scenic Hwy, ...` or `PLANT NAME 6120 E JENSEN AVE ...`:
    // the name before the street number.
    let street = text
        .match_indices(|c: char| c.is_ascii_digit())
        .map(|(i, _)| i)
        .find(|&i| i == 0 || text.get(..i).is_some_and(|b| b.ends_with(' ') || b.ends_with(',')));
    match street.filter(|&i| i > 0) {
        Some(i) => {
            let name = text.get(..i).unwrap_or("").trim().trim_end_matches([',', '-', '–']).trim();
            party.name = (!name.is_empty()).then(|| name.to_string());
            party.address = vec![text.get(i..).unwrap_or("").trim().to_string()];
        }
        None => party.address = vec![text.to_string()],
    }
}

/// The customer as the text names it: a line that is a customer's name or
/// alias in the master data (a signature, a letterhead, `Bill to`), else
/// the letterhead of a printed document (its first cell).
pub(crate) fn buyer(lines: &[TextLine<'_>], master: &MasterData, printed: bool) -> Option<Party> {
    // Cells, and their parts between commas, dashes and brackets: a
    // customer's name may stand inside a sentence or a signature line.
    let named = lines
        .iter()
        .flat_map(|l| cells(l.text))
        .flat_map(|c| {
            let mut parts = vec![c.text.trim()];
            parts.extend(c.text.split([',', ';', '(', ')', '|', '—', '–']).map(str::trim));
            parts.extend(c.text.split(" - ").map(str::trim));
            // A form's field (`Company Name: Higgly Wiggly Books`).
            parts.extend(c.text.split_once(':').map(|(_, value)| value.trim()));
            parts
        })
        .find(|text| {
            let text = text.trim_start_matches(|c: char| !c.is_alphanumeric());
            text.len() >= 3 && text.len() <= 80 && !master.customers_by_name(text).is_empty()
        });
    let letterhead = || {
        let cell = lines.iter().take(6).flat_map(|l| cells(l.text).into_iter().take(1)).find(|c| {
            let folded = fold_label(c.text);
            let title = TITLES.iter().any(|t| folded.starts_with(t));
            let letters = c.text.chars().filter(|ch| ch.is_alphabetic()).count();
            !title && letters >= 3 && !c.text.chars().any(|ch| ch.is_ascii_digit()) && !c.text.contains(':')
        })?;
        Some(cell.text.trim().to_string())
    };
    let name = named.map(str::to_string).or_else(|| if printed { letterhead() } else { None })?;
    let mut party = Party::new("BY");
    party.name = Some(name);
    (party.role == PartyRole::Buyer).then_some(party)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tl(text: &str, number: usize) -> TextLine<'_> {
        TextLine { page: 1, number, text }
    }

    fn po(text: &str) -> Option<String> {
        let lines: Vec<TextLine<'_>> = text.lines().enumerate().map(|(i, t)| tl(t, i + 1)).collect();
        po_number(&lines, None, None).into_iter().next().map(|p| p.value)
    }

    #[test]
    fn po_numbers_after_their_labels() {
        assert_eq!(po("Please enter the following on our PO 4500012345:").as_deref(), Some("4500012345"));
        assert_eq!(po("                      PO #    190122").as_deref(), Some("190122"));
        assert_eq!(po("Order N° SO004").as_deref(), Some("SO004"));
        assert_eq!(po("Purchase Order No.: A-778").as_deref(), Some("A-778"));
        assert_eq!(po("Bestellnummer: 4711-22").as_deref(), Some("4711-22"));
        assert_eq!(po("Commande n° FR2231").as_deref(), Some("FR2231"));
        assert_eq!(po("PO Box 1234, Dayton").as_deref(), None);
        assert_eq!(po("Order total: 1,234.00").as_deref(), None);
        assert_eq!(po("PO date 03/02/2026").as_deref(), None);
        assert_eq!(po("Purchase Order #: 948284").as_deref(), Some("948284"));
    }

    #[test]
    fn currency_is_stated_or_left_to_the_customer() {
        let lines = [tl("Total 2240.00 €", 1), tl("Tax 0.00 €", 2)];
        assert_eq!(currency(&lines).as_deref(), Some("EUR"));
        let lines = [tl("TOTAL $6,547.55", 1)];
        assert_eq!(currency(&lines), None);
    }
}
