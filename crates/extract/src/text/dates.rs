//! Dates in text: absolute ones in any usual format, relative ones
//! ("next Tuesday", "by the 16th") against the time the document arrived,
//! and which of them is the order date and which the requested date.

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use prodline_formats::value::{DateOrder, fold_label, parse_date};

use super::words::{Word, ordinal_day, words};

/// What a date on the document is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateRole {
    Order,
    Requested,
}

/// A date as found: where, and what it reads as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FoundDate {
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub value: DateValue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateValue {
    /// Needs no day/month order: ISO, a named month, dots (always day-first).
    Certain(NaiveDate),
    /// `a/b/year`: day-first or month-first, to be decided for the document.
    Numeric { a: u32, b: u32, year: i32 },
    /// A named month without a year (`Mar 16`).
    NoYear { month: u32, day: u32 },
}

impl DateValue {
    /// The date in this document's day/month order, or `None` when the
    /// order matters and is not known.
    pub fn resolve(self, order: Option<DateOrder>, reference: Option<NaiveDate>) -> Option<NaiveDate> {
        match self {
            DateValue::Certain(d) => Some(d),
            DateValue::Numeric { a, b, year } if a == b => NaiveDate::from_ymd_opt(year, a, b),
            DateValue::Numeric { a, b, year } if a > 12 => NaiveDate::from_ymd_opt(year, b, a),
            DateValue::Numeric { a, b, year } if b > 12 => NaiveDate::from_ymd_opt(year, a, b),
            DateValue::Numeric { a, b, year } => match order? {
                DateOrder::DayFirst => NaiveDate::from_ymd_opt(year, b, a),
                DateOrder::MonthFirst => NaiveDate::from_ymd_opt(year, a, b),
            },
            DateValue::NoYear { month, day } => {
                // The next such day on or after a month before the reference.
                let reference = reference?;
                let this = NaiveDate::from_ymd_opt(reference.year(), month, day)?;
                let earliest = reference.checked_sub_months(Months::new(1))?;
                if this >= earliest { Some(this) } else { NaiveDate::from_ymd_opt(reference.year() + 1, month, day) }
            }
        }
    }

    /// Whether the day/month order decides this date.
    pub fn order_matters(self) -> bool {
        matches!(self, DateValue::Numeric { a, b, .. } if a != b && a <= 12 && b <= 12)
    }
}

/// Every absolute date in a line.
pub(crate) fn find_dates(line: &str) -> Vec<FoundDate> {
    let words = words(line);
    let mut found = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if let Some((value, used)) = date_at(&words, i) {
            let (Some(first), Some(last)) = (words.get(i), words.get(i + used - 1)) else { break };
            let text = line.get(first.start..last.end).unwrap_or("").to_string();
            found.push(FoundDate { start: first.start, end: last.end, text, value });
            i += used;
        } else {
            i += 1;
        }
    }
    found
}

fn date_at(words: &[Word<'_>], i: usize) -> Option<(DateValue, usize)> {
    let word = words.get(i)?;
    if let Some(value) = numeric_date(word.text) {
        return Some((value, 1));
    }
    named_date(words, i)
}

/// `2026-03-02`, `2026/3/2`, `3/2/2026`, `02.03.2026`, `3-2-26`.
fn numeric_date(text: &str) -> Option<DateValue> {
    let sep = text.chars().find(|c| matches!(c, '/' | '.' | '-'))?;
    let parts: Vec<&str> = text.split(sep).collect();
    let [x, y, z] = parts.as_slice() else { return None };
    if ![x, y, z].iter().all(|p| !p.is_empty() && p.len() <= 4 && p.chars().all(|c| c.is_ascii_digit())) {
        return None;
    }
    if x.len() == 4 {
        let date = NaiveDate::from_ymd_opt(x.parse().ok()?, y.parse().ok()?, z.parse().ok()?)?;
        return Some(DateValue::Certain(date));
    }
    if x.len() > 2 || y.len() > 2 || !(z.len() == 2 || z.len() == 4) {
        return None;
    }
    let year: i32 = z.parse().ok()?;
    let year = if z.len() == 2 { 2000 + year } else { year };
    let (a, b): (u32, u32) = (x.parse().ok()?, y.parse().ok()?);
    if sep == '.' {
        return NaiveDate::from_ymd_opt(year, b, a).map(DateValue::Certain);
    }
    let valid = NaiveDate::from_ymd_opt(year, a, b).is_some() || NaiveDate::from_ymd_opt(year, b, a).is_some();
    valid.then_some(DateValue::Numeric { a, b, year })
}

/// `2 March 2026`, `March 2, 2026`, `Mar 2nd, 2026`, `16. März 2026`,
/// `Tuesday, 3 March 2026`, `Mar 16` (no year).
fn named_date(words: &[Word<'_>], i: usize) -> Option<(DateValue, usize)> {
    let window: Vec<&Word<'_>> = words.iter().skip(i).take(4).collect();
    let month_at = window.iter().position(|w| month_number(&fold_label(&w.bare())).is_some())?;
    let month = month_number(&fold_label(&window.get(month_at)?.bare()))?;
    // The window must start with the day or the month.
    let day_of = |w: &Word<'_>| day_number(w.text);
    let year_of = |w: &Word<'_>| {
        let t = w.text.trim_end_matches(['.', ',']);
        (t.len() == 4 && t.chars().all(|c| c.is_ascii_digit())).then(|| t.parse::<i32>().ok()).flatten()
    };
    let (day, used_before) = match month_at {
        0 => (None, 0),
        1 => (Some(day_of(window.first()?)?), 1),
        _ => return None,
    };
    let after: Vec<&&Word<'_>> = window.iter().skip(month_at + 1).collect();
    let (day, year, used_after) = match (day, after.first(), after.get(1)) {
        (Some(d), Some(y), _) if year_of(y).is_some() => (d, year_of(y), 1),
        (Some(d), _, _) => (d, None, 0),
        (None, Some(d), Some(y)) if day_of(d).is_some() && year_of(y).is_some() => (day_of(d)?, year_of(y), 2),
        (None, Some(d), _) if day_of(d).is_some() => (day_of(d)?, None, 1),
        _ => return None,
    };
    let used = used_before + 1 + used_after;
    match year {
        Some(y) => NaiveDate::from_ymd_opt(y, month, day).map(|d| (DateValue::Certain(d), used)),
        None if day <= 31 => Some((DateValue::NoYear { month, day }, used)),
        None => None,
    }
}

fn day_number(text: &str) -> Option<u32> {
    let t = text.trim_end_matches(['.', ',']);
    if let Some(d) = ordinal_day(t) {
        return Some(d);
    }
    (t.len() <= 2 && t.chars().all(|c| c.is_ascii_digit()))
        .then(|| t.parse().ok())
        .flatten()
        .filter(|d| (1..=31).contains(d))
}

fn month_number(name: &str) -> Option<u32> {
    // prodline_formats' table, through a date it parses.
    if name.len() < 3 || name.chars().any(|c| !c.is_alphabetic()) {
        return None;
    }
    parse_date(&format!("1 {name} 2000"), DateOrder::DayFirst).map(|d| d.month())
}

/// The day/month order a document's own dates settle, if they do: a part
/// above 12 tells. `None` when nothing tells or the dates disagree.
pub(crate) fn document_order(dates: &[DateValue]) -> Option<DateOrder> {
    let day_first = dates.iter().any(|d| matches!(d, DateValue::Numeric { a, b, .. } if *a > 12 && *b <= 12));
    let month_first = dates.iter().any(|d| matches!(d, DateValue::Numeric { a, b, .. } if *b > 12 && *a <= 12));
    match (day_first, month_first) {
        (true, false) => Some(DateOrder::DayFirst),
        (false, true) => Some(DateOrder::MonthFirst),
        _ => None,
    }
}

/// US state codes: a `ST 12345` ZIP line says the document is American,
/// and writes month-first.
const US_STATES: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME",
    "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA",
    "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC",
];

/// Words that place a document outside the US.
const EUROPE_WORDS: &[&str] = &[
    "EUR",
    "GmbH",
    "AG",
    "SAS",
    "SARL",
    "S.A.",
    "SA",
    "B.V.",
    "BV",
    "Ltd",
    "plc",
    "France",
    "Deutschland",
    "Germany",
    "UK",
    "Belgium",
    "Belgique",
    "Italia",
    "España",
    "Nederland",
    "Österreich",
    "Schweiz",
    "Suisse",
];

/// The day/month order a document's place says, when its dates do not: a
/// US address (`WA 98052`) and nothing European (euros, a legal form, a
/// country, a dotted date) is month-first. Anything else: `None`, and an
/// undecided date is left empty.
pub(crate) fn locale_order<'a>(lines: impl Iterator<Item = &'a str>) -> Option<DateOrder> {
    let (mut us, mut europe) = (false, false);
    for line in lines {
        let words = words(line);
        for pair in words.windows(2) {
            let [state, zip] = pair else { continue };
            let zip = zip.text.split('-').next().unwrap_or("");
            if US_STATES.contains(&state.text) && zip.len() == 5 && zip.chars().all(|c| c.is_ascii_digit()) {
                us = true;
            }
        }
        europe |= line.contains('€')
            || words.iter().any(|w| EUROPE_WORDS.contains(&w.text.trim_end_matches(',')))
            || find_dates(line).iter().any(|d| d.text.contains('.'));
    }
    (us && !europe).then_some(DateOrder::MonthFirst)
}

/// Words before a date that say it is the requested date.
const REQUESTED_WORDS: &[&str] = &[
    "requested",
    "request date",
    "required",
    "require",
    "need",
    "needed",
    "deliver",
    "delivery",
    "due",
    "ship by",
    "ship date",
    "arrive",
    "no later than",
    "latest",
    "lieferdatum",
    "liefertermin",
    "wunschtermin",
    "liefern",
    "livraison",
    "livrer",
    "entrega",
    "consegna",
    "req date",
    "req. date",
    "eta",
    "by",
];

/// Labels that name the order date outright (they win over `required`).
const ORDER_LABELS: &[&str] =
    &["order date", "po date", "date ordered", "dated", "bestelldatum", "date de commande", "issued", "issue date"];

/// Generic date labels: the order date when nothing says requested.
const DATE_WORDS: &[&str] = &["date", "datum", "fecha", "data"];

/// What the words before a date (on its line, after any earlier date) say
/// it is.
pub(crate) fn role_from_label(before: &str) -> Option<DateRole> {
    let folded = fold_label(before);
    let tail: String = folded.chars().rev().take(48).collect::<Vec<_>>().into_iter().rev().collect();
    let any = |list: &[&str]| list.iter().any(|w| find_word(&tail, w).is_some());
    if any(ORDER_LABELS) {
        Some(DateRole::Order)
    } else if any(REQUESTED_WORDS) {
        Some(DateRole::Requested)
    } else if any(DATE_WORDS) {
        Some(DateRole::Order)
    } else {
        None
    }
}

/// A line that says when to deliver and names a day in some form (a
/// date, `the 27th`, a weekday).
pub(crate) fn mentions_delivery(line: &str) -> bool {
    if role_from_label(line) != Some(DateRole::Requested) && !line.to_lowercase().contains("deliver") {
        return false;
    }
    let folded = fold_label(line);
    let time_words = ["today", "tomorrow", "week", "weeks", "month", "days"];
    let said_day = words(&folded).iter().any(|w| {
        let b = w.bare();
        ordinal_day(&b).is_some() || weekday(&b).is_some() || time_words.contains(&b.as_str())
    });
    said_day || !find_dates(line).is_empty()
}

/// The byte offset of the last whole-word occurrence of `word` in `text`.
pub(crate) fn find_word(text: &str, word: &str) -> Option<usize> {
    let mut best = None;
    let mut from = 0;
    while let Some(pos) = text.get(from..).and_then(|t| t.find(word)) {
        let at = from + pos;
        let before = text.get(..at).and_then(|t| t.chars().next_back());
        let after = text.get(at + word.len()..).and_then(|t| t.chars().next());
        if !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric) {
            best = Some(at);
        }
        from = at + word.len().max(1);
    }
    best
}

/// A relative delivery date in a sentence: (date, the words that said it).
/// "ASAP" and the like name no date.
pub(crate) fn relative_date(sentence: &str, received: NaiveDate) -> Option<(NaiveDate, String)> {
    let lower = fold_label(sentence);
    let words: Vec<String> = words(&lower).iter().map(Word::bare).collect();
    let w = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
    for i in 0..words.len() {
        let found = match (w(i), w(i + 1), w(i + 2)) {
            ("tomorrow", _, _) => received.checked_add_days(Days::new(1)).map(|d| (d, "tomorrow".to_string())),
            ("next", day, _) if weekday(day).is_some() => {
                weekday(day).map(|wd| (next_weekday(received, wd), format!("next {day}")))
            }
            ("by" | "on" | "until" | "need" | "needs" | "needed", day, _) if weekday(day).is_some() => {
                weekday(day).map(|wd| (next_weekday(received, wd), format!("{} {day}", w(i))))
            }
            ("need" | "needs" | "needed", "it" | "them" | "this", day) if weekday(day).is_some() => {
                weekday(day).map(|wd| (next_weekday(received, wd), format!("{} {} {day}", w(i), w(i + 1))))
            }
            ("deliver" | "delivery" | "ship", "on" | "by", day) if weekday(day).is_some() => {
                weekday(day).map(|wd| (next_weekday(received, wd), format!("{} {day}", w(i))))
            }
            ("by" | "on", "the", day) if ordinal_day(day).is_some() => {
                ordinal_day(day).and_then(|d| next_day_of_month(received, d)).map(|date| (date, format!("the {day}")))
            }
            ("within" | "in", n, unit) if n.parse::<u64>().is_ok() || small(n).is_some() => {
                let n = n.parse::<u64>().ok().or_else(|| small(n)).unwrap_or(0);
                let days = match unit {
                    "day" | "days" => Some(n),
                    "week" | "weeks" => Some(n * 7),
                    _ => None,
                };
                days.and_then(|d| received.checked_add_days(Days::new(d)))
                    .map(|date| (date, format!("{} {n} {unit}", w(i))))
            }
            ("a" | "one", "week", "from") if w(i + 3) == "today" => {
                received.checked_add_days(Days::new(7)).map(|d| (d, "a week from today".to_string()))
            }
            ("in" | "within", "a", "week") => {
                received.checked_add_days(Days::new(7)).map(|d| (d, format!("{} a week", w(i))))
            }
            (n, "weeks" | "days", "from")
                if w(i + 3) == "today" && (n.parse::<u64>().is_ok() || small(n).is_some()) =>
            {
                let n = n.parse::<u64>().ok().or_else(|| small(n)).unwrap_or(0);
                let days = if w(i + 1) == "weeks" { n * 7 } else { n };
                received.checked_add_days(Days::new(days)).map(|d| (d, format!("{n} {} from today", w(i + 1))))
            }
            ("end", "of", "the" | "this") if w(i + 3) == "month" => {
                end_of_month(received).map(|d| (d, "end of the month".to_string()))
            }
            ("end", "of", "month") => end_of_month(received).map(|d| (d, "end of month".to_string())),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

fn small(word: &str) -> Option<u64> {
    ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
        .iter()
        .position(|w| *w == word)
        .map(|i| i as u64 + 1)
}

fn weekday(word: &str) -> Option<Weekday> {
    match word {
        "monday" | "mon" => Some(Weekday::Mon),
        "tuesday" | "tue" | "tues" => Some(Weekday::Tue),
        "wednesday" | "wed" => Some(Weekday::Wed),
        "thursday" | "thu" | "thurs" => Some(Weekday::Thu),
        "friday" | "fri" => Some(Weekday::Fri),
        "saturday" | "sat" => Some(Weekday::Sat),
        "sunday" | "sun" => Some(Weekday::Sun),
        _ => None,
    }
}

/// The first such weekday after `from` (never `from` itself).
fn next_weekday(from: NaiveDate, day: Weekday) -> NaiveDate {
    let ahead = (7 + day.num_days_from_monday() as i64 - from.weekday().num_days_from_monday() as i64) % 7;
    let ahead = if ahead == 0 { 7 } else { ahead };
    from.checked_add_days(Days::new(ahead as u64)).unwrap_or(from)
}

/// The next date with this day of the month, this month or the next.
fn next_day_of_month(from: NaiveDate, day: u32) -> Option<NaiveDate> {
    if day >= from.day()
        && let Some(d) = NaiveDate::from_ymd_opt(from.year(), from.month(), day)
    {
        return Some(d);
    }
    let next = from.checked_add_months(Months::new(1))?;
    NaiveDate::from_ymd_opt(next.year(), next.month(), day)
}

fn end_of_month(from: NaiveDate) -> Option<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(from.year(), from.month(), 1)?;
    first.checked_add_months(Months::new(1))?.pred_opt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    fn first(line: &str) -> Option<DateValue> {
        find_dates(line).first().map(|d| d.value)
    }

    #[test]
    fn absolute_dates_in_usual_formats() {
        assert_eq!(first("on 2026-03-02"), Some(DateValue::Certain(ymd(2026, 3, 2))));
        assert_eq!(first("Datum: 02.03.2026"), Some(DateValue::Certain(ymd(2026, 3, 2))));
        assert_eq!(first("2 March 2026"), Some(DateValue::Certain(ymd(2026, 3, 2))));
        assert_eq!(first("by Mar 2nd, 2026 please"), Some(DateValue::Certain(ymd(2026, 3, 2))));
        assert_eq!(first("March 16, 2026"), Some(DateValue::Certain(ymd(2026, 3, 16))));
        assert_eq!(first("DATE 7/27/2019"), Some(DateValue::Numeric { a: 7, b: 27, year: 2019 }));
        assert_eq!(first("by Mar 16."), Some(DateValue::NoYear { month: 3, day: 16 }));
        assert_eq!(first("200 of the 3/4 valves"), None);
    }

    #[test]
    fn relative_dates_against_received() {
        let monday = ymd(2026, 3, 2);
        assert_eq!(relative_date("need them next Tuesday", monday).map(|d| d.0), Some(ymd(2026, 3, 3)));
        assert_eq!(relative_date("by the 16th please", monday).map(|d| d.0), Some(ymd(2026, 3, 16)));
        assert_eq!(relative_date("by the 1st please", monday).map(|d| d.0), Some(ymd(2026, 4, 1)));
        assert_eq!(relative_date("ship tomorrow", monday).map(|d| d.0), Some(ymd(2026, 3, 3)));
        assert_eq!(relative_date("within 2 weeks", monday).map(|d| d.0), Some(ymd(2026, 3, 16)));
        assert_eq!(relative_date("by end of the month", monday).map(|d| d.0), Some(ymd(2026, 3, 31)));
        assert_eq!(relative_date("ASAP please", monday), None);
    }

    #[test]
    fn labels_say_which_date() {
        assert_eq!(role_from_label("Order date: "), Some(DateRole::Order));
        assert_eq!(role_from_label("We need it by "), Some(DateRole::Requested));
        assert_eq!(role_from_label("REQUIRED BY: "), Some(DateRole::Requested));
        assert_eq!(role_from_label("PO NO: 4711        DATE: "), Some(DateRole::Order));
        assert_eq!(role_from_label("Thanks "), None);
    }
}
