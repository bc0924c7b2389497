//! The built-in text extractor: a document's text (e-mail body, PDF text
//! layer, OCR) read into orders, anchored on master data.
//!
//! Orders are read exactly as written; resolution and the decision happen
//! afterwards in the pipeline. What the extractor inferred (a line read
//! from a free sentence, a relative date worked out) is a note, which costs
//! a little confidence; what it is unsure of is a warning, which sends the
//! document to review: an OCR repair, a line total that does not add up,
//! an ambiguous date, several PO numbers, and a ship-to or delivery date
//! the text names but the extractor could not read (so a document never
//! passes without a field its truth has).
//!
//! Modules: `words` (words, cells, numbers, quantities in words, units),
//! `anchor` (master data found in text, OCR look-alikes), `fields` (PO
//! number, currency, ship-to, buyer), `dates`, `table` (line tables by
//! header, learned headers), `prose` (lines from sentences), `classify`
//! (texts that are no order).

mod anchor;
mod classify;
mod dates;
mod fields;
mod prose;
mod table;
mod words;

use std::collections::HashSet;

use chrono::NaiveDate;
use prodline_core::{
    Diagnostic, DocumentText, Format, ParsedDocument, ParsedLine, ParsedOrder, Party, Position, QualifiedDate,
    Severity, TextSource,
};

use crate::normalize::email_domain;
use crate::{Context, MasterData, Memory};
use anchor::Anchors;
use classify::NonOrder;
use dates::{DateRole, DateValue};

/// One line of the text: its page, its number in the whole text (1-based,
/// what diagnostics cite) and what it says.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextLine<'a> {
    pub page: usize,
    pub number: usize,
    pub text: &'a str,
}

/// An order line as read, with what made it uncertain.
#[derive(Debug, Clone)]
pub(crate) struct ReadLine {
    pub line: ParsedLine,
    pub warnings: Vec<Diagnostic>,
}

/// Markers after which an e-mail quotes or forwards older messages.
const QUOTE_MARKERS: &[&str] =
    &["-----original message-----", "________________________________", "from: ", "von: ", "de : "];
const FORWARD_MARKERS: &[&str] =
    &["---------- forwarded message", "begin forwarded message", "-------- original message"];

/// Read the orders a text holds. A text that is no order (a question, an
/// out-of-office reply, an invoice...) comes back with no orders and a
/// `not_an_order` diagnostic saying why.
pub fn extract_text(
    text: &DocumentText,
    format: Format,
    ctx: &Context,
    master: &MasterData,
    memory: &Memory,
) -> ParsedDocument {
    let mut doc = ParsedDocument::new(format);
    doc.ocr = text.ocr;
    let mut pages = newest_message(text);
    // A fax typed into text reads like OCR (`0RDER`): treat it so.
    let ocr = text.ocr.is_some() || text.source == Some(TextSource::Ocr) || pages.iter().any(|p| looks_ocr(p));
    if ocr {
        pages = pages.iter().map(|p| ocr_letters(p)).collect();
    }
    let joined = pages.join("\n");
    let subject = text.subject.as_deref();
    if let Some(kind) = classify::strong_non_order(&joined, subject) {
        doc.diagnostics.push(not_an_order(kind));
        return doc;
    }
    let lines = text_lines(&pages);
    let printed = matches!(text.source, Some(TextSource::Pdf | TextSource::Ocr | TextSource::Plain));
    let buyer = fields::buyer(&lines, master, printed);
    let customer = sender_customer(ctx, master).or_else(|| named_customer(buyer.as_ref(), master));
    let mut senders: Vec<String> = ctx.from.as_deref().and_then(email_domain).into_iter().collect();
    senders.extend(customer.clone());
    let learned = memory.learned_po_label(&senders);
    let anchors_customer = customer.clone();
    let anchors = Anchors::new(master, memory, customer, ocr);
    let po = fields::po_number(&lines, subject, learned);
    let po_value = po.first().map(|p| p.value.clone());
    let learned_header = memory.learned_table_header(&senders);
    let tables = table::read_tables(&lines, &anchors, ocr, learned_header);
    let prose = prose::read_prose(&lines, &tables.used, &anchors, ocr, po_value.as_deref());
    let mut read: Vec<ReadLine> = tables.lines;
    read.extend(prose.lines);
    if read.is_empty() {
        let forwarded = forwarded_part(text);
        if let Some(older) = forwarded.filter(|f| !f.trim().is_empty()) {
            let older = DocumentText { pages: vec![older], subject: None, ..text.clone() };
            let mut again = extract_text(&older, format, ctx, master, memory);
            if !again.orders.is_empty() {
                again.ocr = text.ocr;
                return again;
            }
        }
        let kind = classify::weak_non_order(&joined, subject, prose.questions);
        doc.diagnostics.push(not_an_order(kind));
        return doc;
    }
    let mut order = build_order(&lines, ctx, &po, read);
    order.parties.extend(buyer);
    match fields::ship_to(&lines) {
        Some(ship_to) => order.parties.push(ship_to),
        None => match ship_to_by_name(&lines, master, anchors_customer.as_deref()) {
            Some((party, note)) => {
                order.parties.push(party);
                order.diagnostics.push(note);
            }
            None => order.diagnostics.extend(unread_ship_to(&lines, master, anchors_customer.as_deref())),
        },
    }
    doc.orders.push(order);
    doc
}

/// Words that send goods to a place named after them (`for the Lake
/// Charles terminal`, `at our Duluth yard`): a site named after one of them
/// is where the order goes; named elsewhere (a signature, a caller's
/// line) it may be only where the writer sits.
const SITE_CUES: &[&str] =
    &["ship to", "deliver", "delivery", "for the ", "for our ", "to the ", "to our ", "at the ", "at our "];

/// A customer's ship-to named in the text: each line (with the next one,
/// a sentence may wrap inside the name) that names a site, in order, and
/// whether a cue word stands before the name.
fn named_sites<'m>(
    lines: &[TextLine<'_>],
    master: &'m MasterData,
    customer: Option<&str>,
) -> Vec<(usize, &'m crate::master::ShipTo, bool)> {
    let Some(customer) = customer.and_then(|c| master.customer(c)) else { return Vec::new() };
    let own: HashSet<String> = std::iter::once(&customer.name)
        .chain(&customer.aliases)
        .flat_map(|n| crate::normalize::description_tokens(n))
        .collect();
    // Each ship-to's own words (`fresno`, `yard` of `Tri-County Fresno
    // Yard`): a line naming two of them (or the only one) names that site.
    let sites: Vec<(&crate::master::ShipTo, HashSet<String>)> = master
        .ship_tos_of(&customer.customer_id)
        .into_iter()
        .map(|s| {
            let words = crate::normalize::description_tokens(&s.name)
                .into_iter()
                .filter(|t| t.len() >= 4 && !own.contains(t) && t.chars().all(char::is_alphabetic))
                .collect();
            (s, words)
        })
        .filter(|(_, words): &(_, HashSet<String>)| !words.is_empty())
        .collect();
    let mut found = Vec::new();
    // A blank line is no place for a name to start.
    for (i, line) in lines.iter().enumerate().filter(|(_, l)| !l.text.trim().is_empty()) {
        let next = lines.get(i + 1).map_or("", |n| n.text);
        let text = format!("{} {next}", line.text).to_lowercase();
        let tokens: HashSet<String> = crate::normalize::description_tokens(&text).into_iter().collect();
        for (site, words) in &sites {
            if words.intersection(&tokens).count() < words.len().min(2) {
                continue;
            }
            let first = words.iter().filter_map(|w| text.find(w.as_str())).min().unwrap_or(0);
            let cued = SITE_CUES.iter().any(|c| text.find(c).is_some_and(|at| at < first));
            found.push((i, *site, cued));
        }
    }
    found
}

/// The ship-to a sentence sends the goods to by its name ("for the Lake
/// Charles terminal"), when the cued lines name one site only: read as
/// master data names it, with a note.
fn ship_to_by_name(lines: &[TextLine<'_>], master: &MasterData, customer: Option<&str>) -> Option<(Party, Diagnostic)> {
    let cued: Vec<(usize, &crate::master::ShipTo)> =
        named_sites(lines, master, customer).into_iter().filter(|(_, _, c)| *c).map(|(i, s, _)| (i, s)).collect();
    let (index, site) = *cued.first()?;
    if cued.iter().any(|(_, s)| s.ship_to_id != site.ship_to_id) {
        return None;
    }
    let line = lines.get(index)?;
    let mut party = Party::new("ST");
    party.name = Some(site.name.clone());
    let note = Diagnostic::note(
        "ship_to_by_name",
        format!("line {}: ship-to {} read from its name in {:?}", line.number, site.name, line.text.trim()),
        Position { line: Some(line.number), ..Default::default() },
    );
    Some((party, note))
}

/// A ship-to the text names but no label introduced ("for our Fresno
/// yard") and that was not read: the order must not pass without it.
fn unread_ship_to(lines: &[TextLine<'_>], master: &MasterData, customer: Option<&str>) -> Option<Diagnostic> {
    let (index, _, _) = named_sites(lines, master, customer).into_iter().next()?;
    let line = lines.get(index)?;
    Some(Diagnostic::warning(
        "unread_ship_to",
        format!("line {}: the text names a ship-to that was not read: {:?}", line.number, line.text.trim()),
        Position { line: Some(line.number), ..Default::default() },
    ))
}

/// The customer a buyer party names exactly, if only one.
fn named_customer(buyer: Option<&prodline_core::Party>, master: &MasterData) -> Option<String> {
    let name = buyer?.name.as_deref()?;
    match master.customers_by_name(name).as_slice() {
        [one] => Some(one.customer_id.clone()),
        _ => None,
    }
}

fn not_an_order(kind: NonOrder) -> Diagnostic {
    Diagnostic {
        severity: Severity::Warning,
        code: "not_an_order".into(),
        message: kind.message().into(),
        position: Position::default(),
    }
}

fn build_order(lines: &[TextLine<'_>], ctx: &Context, po: &[fields::PoNumber], read: Vec<ReadLine>) -> ParsedOrder {
    let mut order = ParsedOrder::default();
    if let Some(first) = po.first() {
        order.po_number = Some(first.value.clone());
        order.references.push(prodline_core::Reference { qualifier: "po_label".into(), value: first.label.clone() });
        // A reply's subject names the order it answers: only the text's own
        // PO numbers compete.
        let others: HashSet<&str> =
            po.iter().filter(|p| p.line.is_some()).map(|p| p.value.as_str()).filter(|v| *v != first.value).collect();
        if !others.is_empty() {
            let mut others: Vec<&str> = others.into_iter().collect();
            others.sort_unstable();
            order.diagnostics.push(Diagnostic::warning(
                "several_po_numbers",
                format!("PO number {} taken; the text also names {}", first.value, others.join(", ")),
                Position { line: first.line, ..Default::default() },
            ));
        }
    }
    read_dates(lines, ctx, &mut order);
    order.currency = fields::currency(lines);
    for r in read {
        order.diagnostics.extend(r.warnings);
        order.lines.push(r.line);
    }
    if order.requested_date.is_none() {
        // A delivery-date column: the order's date when every line agrees.
        let dates: HashSet<NaiveDate> = order
            .lines
            .iter()
            .flat_map(|l| l.dates.iter().filter(|d| d.qualifier == "requested").map(|d| d.date))
            .collect();
        if let (1, Some(date)) = (dates.len(), dates.iter().next()) {
            order.requested_date = Some(*date);
        }
    }
    if order.requested_date.is_none() {
        warn_unread_dates(lines, &mut order);
    }
    order
}

/// A delivery date the text states but the extractor could not read (a
/// date in a row no column names, "need it for the 27th"): the order must
/// not pass without its requested date.
fn warn_unread_dates(lines: &[TextLine<'_>], order: &mut ParsedOrder) {
    let in_rows = order.lines.iter().find(|l| l.dates.iter().any(|d| d.qualifier == "unread"));
    let in_text = lines.iter().find(|l| dates::mentions_delivery(l.text));
    let number = in_rows.and_then(|l| l.position.line).or(in_text.map(|l| l.number));
    if in_rows.is_some() || in_text.is_some() {
        order.diagnostics.push(Diagnostic::warning(
            "unread_date",
            "the text states a delivery date that was not read; enter the requested date",
            Position { line: number, ..Default::default() },
        ));
    }
}

/// Order and requested dates: labelled absolute dates (day/month order
/// settled by the document's own dates, else left empty and flagged), then
/// relative delivery dates against the time the document arrived.
fn read_dates(lines: &[TextLine<'_>], ctx: &Context, order: &mut ParsedOrder) {
    let received = ctx.received_at.map(|r| r.date_naive());
    let mut found: Vec<(DateRole, dates::FoundDate, usize)> = Vec::new();
    let mut all: Vec<DateValue> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let mut previous_end = 0;
        for date in dates::find_dates(line.text) {
            all.push(date.value);
            let before = line.text.get(previous_end..date.start).unwrap_or("");
            previous_end = date.end;
            let role = dates::role_from_label(before).or_else(|| label_above(lines, i, date.start));
            if let Some(role) = role {
                found.push((role, date, line.number));
            }
        }
    }
    let day_order = dates::document_order(&all).or_else(|| dates::locale_order(lines.iter().map(|l| l.text)));
    for role in [DateRole::Order, DateRole::Requested] {
        let Some((_, date, number)) = found.iter().find(|(r, _, _)| *r == role) else { continue };
        let value = date.value.resolve(day_order, received);
        if value.is_none() && date.value.order_matters() {
            order.diagnostics.push(Diagnostic::warning(
                "ambiguous_date",
                format!(
                    "line {number}: {:?} could be day/month or month/day and nothing else in the document tells",
                    date.text
                ),
                Position { line: Some(*number), ..Default::default() },
            ));
        }
        set_date(order, role, value);
    }
    if order.requested_date.is_none()
        && let Some(received) = received
    {
        relative_requested(lines, received, order);
    }
}

fn set_date(order: &mut ParsedOrder, role: DateRole, value: Option<NaiveDate>) {
    let Some(date) = value else { return };
    match role {
        DateRole::Order => order.order_date = Some(date),
        DateRole::Requested => {
            order.requested_date = Some(date);
            order.dates.push(QualifiedDate { qualifier: "requested".into(), date });
        }
    }
}

fn relative_requested(lines: &[TextLine<'_>], received: NaiveDate, order: &mut ParsedOrder) {
    for line in lines {
        if let Some((date, said)) = dates::relative_date(line.text, received) {
            order.requested_date = Some(date);
            order.diagnostics.push(Diagnostic::note(
                "relative_date",
                format!(
                    "line {}: requested date {date} worked out from {said:?} against the received date {received}",
                    line.number
                ),
                Position { line: Some(line.number), ..Default::default() },
            ));
            return;
        }
    }
}

/// A label in the line above, over the date's column (`Date Ordered:` over
/// `01/23/2017`).
fn label_above(lines: &[TextLine<'_>], index: usize, column: usize) -> Option<DateRole> {
    // The nearest line above with text, a blank line or two between allowed.
    let above = lines.iter().take(index).rev().take(3).find(|l| !l.text.trim().is_empty())?;
    let cell = words::cells(above.text).into_iter().find(|c| c.start <= column + 4 && column < c.end + 4)?;
    dates::role_from_label(cell.text)
}

/// The pages of the newest message: for e-mail, quoted replies and
/// forwarded history cut off (prodline-textin does that already; this is
/// for texts that arrive as they were typed).
fn newest_message(text: &DocumentText) -> Vec<String> {
    if text.source != Some(TextSource::Email) {
        return text.pages.clone();
    }
    let body = text.joined();
    let mut kept = Vec::new();
    for line in body.lines() {
        let folded = line.trim().to_lowercase();
        let quote = QUOTE_MARKERS.iter().any(|m| folded.starts_with(m))
            || FORWARD_MARKERS.iter().any(|m| folded.starts_with(m));
        let wrote = folded.starts_with("on ") && folded.ends_with("wrote:");
        if quote || wrote || folded == "--" || folded == "-- " {
            break;
        }
        if line.trim_start().starts_with('>') {
            continue;
        }
        kept.push(line);
    }
    vec![kept.join("\n")]
}

/// What an e-mail forwards, for a newest message that only says "see below".
fn forwarded_part(text: &DocumentText) -> Option<String> {
    if text.source != Some(TextSource::Email) {
        return None;
    }
    let body = text.joined();
    let mut lines = body.lines();
    lines.by_ref().find(|l| {
        let f = l.trim().to_lowercase();
        FORWARD_MARKERS.iter().any(|m| f.starts_with(m)) || f.starts_with("-----original message-----")
    })?;
    // The forwarded message's own headers are no part of its text.
    const HEADERS: &[&str] =
        &["from:", "sent:", "date:", "to:", "cc:", "subject:", "von:", "gesendet:", "an:", "betreff:"];
    let rest: Vec<&str> = lines
        .skip_while(|l| {
            let f = l.trim().to_lowercase();
            f.is_empty() || HEADERS.iter().any(|h| f.starts_with(h))
        })
        .collect();
    Some(rest.join("\n"))
}

/// OCR reads `O` as `0` in words: `PURCHASE 0RDER`, `SHIP T0`. A word of
/// letters but for its zeros gets its `O`s back, so labels are found; codes
/// keep their digits (`90deg`, `FE150CS` hold other digits); lengths do not
/// change.
fn ocr_letters(page: &str) -> String {
    let mut out = String::with_capacity(page.len());
    let mut part = String::new();
    let flush = |part: &mut String, out: &mut String| {
        if is_zero_for_o(part) {
            out.push_str(&part.replace('0', "O"));
        } else {
            out.push_str(part);
        }
        part.clear();
    };
    for c in page.chars() {
        if c.is_alphanumeric() {
            part.push(c);
        } else {
            flush(&mut part, &mut out);
            out.push(c);
        }
    }
    flush(&mut part, &mut out);
    out
}

/// A word of letters with `0` for `O` in it (`0RDER`, `F00T`): no other
/// digit, at least two letters.
fn is_zero_for_o(word: &str) -> bool {
    let letters = word.chars().filter(|c| c.is_alphabetic()).count();
    word.contains('0') && letters >= 2 && word.chars().all(|c| c == '0' || c.is_alphabetic())
}

/// Words with `0` for `O` (`0RDER`, `DESCRIPTI0N`), three or more: a fax
/// typed in or OCR'd elsewhere.
fn looks_ocr(page: &str) -> bool {
    page.split(|c: char| !c.is_alphanumeric()).filter(|w| is_zero_for_o(w)).count() >= 3
}

fn text_lines(pages: &[String]) -> Vec<TextLine<'_>> {
    let mut out = Vec::new();
    let mut number = 0;
    for (p, page) in pages.iter().enumerate() {
        for line in page.lines() {
            number += 1;
            out.push(TextLine { page: p + 1, number, text: line });
        }
    }
    out
}

/// The label before a value in a text (`Our ref:` before `4500012345`),
/// as written: the cell before it on its line, else the cell above it.
/// For learning a sender's layout from a reviewed document.
pub(crate) fn label_before(text: &DocumentText, value: &str) -> Option<String> {
    let pages = newest_message(text);
    let lines = text_lines(&pages);
    let wanted = value.trim().to_uppercase();
    for (i, line) in lines.iter().enumerate() {
        let Some(word) =
            words::words(line.text).into_iter().find(|w| w.text.trim_matches('#').to_uppercase() == wanted)
        else {
            continue;
        };
        let before = line.text.get(..word.start).unwrap_or("").trim_end();
        let label = match words::cells(before).last() {
            Some(cell) => Some(last_words(cell.text)),
            None => i.checked_sub(1).and_then(|p| lines.get(p)).and_then(|above| {
                words::cells(above.text)
                    .into_iter()
                    .find(|c| c.start <= word.start + 4 && word.start < c.end + 4)
                    .map(|c| last_words(c.text))
            }),
        };
        if let Some(label) = label.filter(|l| l.chars().any(char::is_alphabetic) && l.len() <= 40) {
            return Some(label);
        }
    }
    None
}

/// A sender's line-table header, learned from a reviewed document whose
/// lines the extractor did not read: the header over the row that holds
/// the first truth line's part number (or SKU), its columns named by what
/// that row holds (`Art.=customer_part | Menge=qty | ...`).
pub(crate) fn learn_table_header(text: &DocumentText, truth: &prodline_core::CanonicalOrder) -> Option<String> {
    let pages = newest_message(text);
    let lines = text_lines(&pages);
    truth.lines.iter().find_map(|l| {
        let part = l.customer_part.as_deref().or(l.sku.as_deref())?;
        table::learn_header(&lines, part, l.qty, l.unit_price)
    })
}

/// The last three words of a cell, without the separators after them.
fn last_words(cell: &str) -> String {
    let words: Vec<&str> = cell.split_whitespace().collect();
    let tail = words.get(words.len().saturating_sub(3)..).unwrap_or(&[]);
    tail.join(" ").trim_end_matches([':', '=', '-', ' ']).to_string()
}

fn sender_customer(ctx: &Context, master: &MasterData) -> Option<String> {
    sender_customer_of(ctx.from.as_deref()?, master)
}

/// The one customer owning the sender's e-mail domain.
fn sender_customer_of(from: &str, master: &MasterData) -> Option<String> {
    let domain = email_domain(from)?;
    match master.customers_by_domain(&domain).as_slice() {
        [one] => Some(one.customer_id.clone()),
        _ => None,
    }
}
