//! Reading the values people type into spreadsheets: numbers with decimal
//! commas, thousands separators and currency signs; dates in every order and
//! language; header labels in six languages.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// How a file writes its decimals: `1,234.56` or `1.234,56`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NumberStyle {
    pub decimal_comma: bool,
}

/// A number cell split into its parts: `€ 1.234,50` or `10 EA`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberText {
    pub value: Decimal,
    /// ISO code of a currency sign or code written around the number.
    pub currency: Option<String>,
    /// Other text after the number (a unit, usually), trimmed.
    pub suffix: Option<String>,
}

/// Parse a whole cell as a number; any text around it but a currency makes it
/// not a number.
pub fn parse_number(raw: &str, style: NumberStyle) -> Option<Decimal> {
    let parsed = parse_number_text(raw, style)?;
    if parsed.suffix.is_some() {
        return None;
    }
    Some(parsed.value)
}

/// Parse a cell that holds a number, maybe with a currency or a unit.
pub fn parse_number_text(raw: &str, style: NumberStyle) -> Option<NumberText> {
    let text = raw.trim();
    if text.is_empty() || text.len() > 64 {
        return None;
    }
    let (negative, text) = strip_sign(text);
    let start = text.find(|c: char| c.is_ascii_digit() || c == '.' || c == ',')?;
    let core_len = text[start..]
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | ',' | '\'' | ' ' | '\u{a0}' | '\u{202f}')))
        .unwrap_or(text.len() - start);
    let prefix = text[..start].trim();
    let core = text[start..start + core_len].trim_end();
    let suffix = text[start + core.len()..].trim();
    let (negative, prefix) = match strip_sign(prefix) {
        (true, rest) => (!negative, rest),
        (false, rest) => (negative, rest),
    };
    let mut currency = None;
    if !prefix.is_empty() {
        currency = Some(currency_code(prefix)?);
    }
    let mut suffix_text = None;
    if !suffix.is_empty() {
        match currency_code(suffix) {
            Some(code) if currency.is_none() => currency = Some(code),
            _ => suffix_text = Some(suffix.to_string()),
        }
    }
    let mut value = decimal_from_core(core, style)?;
    if negative {
        value = -value;
    }
    Some(NumberText { value, currency, suffix: suffix_text })
}

fn strip_sign(text: &str) -> (bool, &str) {
    if let Some(rest) = text.strip_prefix('-').or_else(|| text.strip_prefix('\u{2212}')) {
        return (true, rest.trim_start());
    }
    if let Some(rest) = text.strip_suffix('-') {
        return (true, rest.trim_end());
    }
    if let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        return (true, inner.trim());
    }
    (false, text)
}

/// ISO 4217 code for a currency sign or code; `None` for other text.
pub fn currency_code(text: &str) -> Option<String> {
    let t = text.trim().trim_end_matches('.');
    let code = match t {
        "€" => "EUR",
        "$" | "US$" => "USD",
        "£" => "GBP",
        "¥" => "JPY",
        "kr" => "SEK",
        "Fr" | "SFr" => "CHF",
        "zł" => "PLN",
        _ => {
            let upper = t.to_ascii_uppercase();
            let is_code = upper.len() == 3 && upper.chars().all(|c| c.is_ascii_uppercase());
            return (is_code && KNOWN_CURRENCIES.contains(&upper.as_str())).then_some(upper);
        }
    };
    Some(code.to_string())
}

const KNOWN_CURRENCIES: &[&str] = &[
    "EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "JPY", "CNY", "CAD", "AUD", "NZD", "MXN",
    "BRL", "INR", "ZAR", "RON", "BGN", "TRY",
];

/// Digits with `.`, `,`, spaces and apostrophes between them, to a decimal.
fn decimal_from_core(core: &str, style: NumberStyle) -> Option<Decimal> {
    let compact: String = core.chars().filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\'')).collect();
    if !compact.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let dots = compact.matches('.').count();
    let commas = compact.matches(',').count();
    let decimal_sep = match (dots, commas) {
        (0, 0) => None,
        (_, 0) if dots > 1 => None,
        (0, _) if commas > 1 => None,
        (1, 0) => (!looks_like_grouping(&compact, '.') || !style.decimal_comma).then_some('.'),
        (0, 1) => (style.decimal_comma || !looks_like_grouping(&compact, ',')).then_some(','),
        _ => {
            let last_dot = compact.rfind('.').unwrap_or(0);
            let last_comma = compact.rfind(',').unwrap_or(0);
            if last_dot > last_comma { Some('.') } else { Some(',') }
        }
    };
    let mut plain = String::with_capacity(compact.len());
    for c in compact.chars() {
        if Some(c) == decimal_sep {
            plain.push('.');
        } else if c.is_ascii_digit() {
            plain.push(c);
        }
    }
    if plain == "." || plain.len() > 40 {
        return None;
    }
    Decimal::from_str(&plain).ok().map(|d| d.normalize())
}

/// `1.234` or `12,345`: one separator followed by exactly three digits and
/// preceded by one to three.
fn looks_like_grouping(text: &str, sep: char) -> bool {
    match text.split_once(sep) {
        Some((head, tail)) => {
            (1..=3).contains(&head.len())
                && tail.len() == 3
                && head.chars().all(|c| c.is_ascii_digit())
                && tail.chars().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

/// Guess a file's decimal style from its number-like cells. `european_hint`
/// (a `;` delimiter, say) decides when the cells don't.
pub fn infer_number_style<'a>(values: impl Iterator<Item = &'a str>, european_hint: bool) -> NumberStyle {
    let (mut comma, mut dot) = (0usize, 0usize);
    for value in values {
        let v = value.trim();
        if v.len() > 32 || !v.chars().next().is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '€' | '$' | '£'))
        {
            continue;
        }
        let digits_after =
            |sep: char| v.rsplit_once(sep).map(|(_, t)| t.chars().take_while(char::is_ascii_digit).count());
        let has_both = v.contains('.') && v.contains(',');
        if has_both {
            if v.rfind(',') > v.rfind('.') {
                comma += 1;
            } else {
                dot += 1;
            }
            continue;
        }
        match (digits_after(','), digits_after('.')) {
            (Some(n), None) if n != 3 && n > 0 => comma += 1,
            (None, Some(n)) if n != 3 && n > 0 => dot += 1,
            _ => {}
        }
    }
    NumberStyle { decimal_comma: comma > dot || (comma == dot && european_hint) }
}

/// Whether a numeric date is day-first (`31/12/2026`) or month-first (`12/31/2026`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DateOrder {
    DayFirst,
    #[default]
    MonthFirst,
}

/// What a file's dates say about their order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateOrderGuess {
    pub order: DateOrder,
    /// No date settled it and at least one date reads differently either way.
    pub ambiguous: bool,
}

/// Infer D/M/Y against M/D/Y from every date-like value of a file: a first
/// part above 12 means day-first, a second part above 12 month-first; when
/// nothing decides, `european_hint` does and the guess is marked ambiguous.
pub fn infer_date_order<'a>(values: impl Iterator<Item = &'a str>, european_hint: bool) -> DateOrderGuess {
    let (mut day_first, mut month_first, mut undecided) = (0usize, 0usize, 0usize);
    for value in values {
        let Some((a, b, _, sep)) = numeric_date_parts(value.trim()) else { continue };
        // Dot-separated dates are day-first wherever they are written.
        if sep == '.' || (a > 12 && b <= 12) {
            day_first += 1;
        } else if b > 12 && a <= 12 {
            month_first += 1;
        } else if a != b && a <= 12 && b <= 12 {
            undecided += 1;
        }
    }
    let fallback = if european_hint { DateOrder::DayFirst } else { DateOrder::MonthFirst };
    match (day_first, month_first) {
        (0, 0) => DateOrderGuess { order: fallback, ambiguous: undecided > 0 },
        (d, m) if d >= m && m == 0 => DateOrderGuess { order: DateOrder::DayFirst, ambiguous: false },
        (0, _) => DateOrderGuess { order: DateOrder::MonthFirst, ambiguous: false },
        (d, m) => {
            DateOrderGuess { order: if d >= m { DateOrder::DayFirst } else { DateOrder::MonthFirst }, ambiguous: true }
        }
    }
}

/// `dd?sep dd?sep yy(yy)` with the first part not a year: (first, second, year, separator).
fn numeric_date_parts(text: &str) -> Option<(u32, u32, i32, char)> {
    let sep = text.chars().find(|c| matches!(c, '/' | '.' | '-'))?;
    let date_part = text.split_whitespace().next()?;
    let mut parts = date_part.split(sep);
    let (a, b, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || a.len() > 2 || b.len() > 2 || !(y.len() == 2 || y.len() == 4) {
        return None;
    }
    let year = parse_year(y)?;
    Some((a.parse().ok()?, b.parse().ok()?, year, sep))
}

fn parse_year(text: &str) -> Option<i32> {
    if !text.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let y: i32 = text.parse().ok()?;
    match text.len() {
        2 if y < 70 => Some(2000 + y),
        2 => Some(1900 + y),
        4 => Some(y),
        _ => None,
    }
}

/// Parse a date as people write it. Numeric D/M/Y or M/D/Y follows `order`
/// (dot-separated dates are always day-first); ISO and `YYYYMMDD` need none.
pub fn parse_date(raw: &str, order: DateOrder) -> Option<NaiveDate> {
    let text = raw.trim();
    if text.is_empty() || text.len() > 48 {
        return None;
    }
    if let Some(date) = parse_compact(text) {
        return Some(date);
    }
    let first = text.split(|c: char| c.is_whitespace() || c == 'T').next().unwrap_or(text);
    if let Some(date) = parse_iso(first) {
        return Some(date);
    }
    if let Some((a, b, year, sep)) = numeric_date_parts(text) {
        let (day, month) = if sep == '.' || order == DateOrder::DayFirst { (a, b) } else { (b, a) };
        return NaiveDate::from_ymd_opt(year, month, day);
    }
    parse_named_month(text)
}

/// `20260316` or `202603161200` (a date-time, EDIFACT 203 style).
fn parse_compact(text: &str) -> Option<NaiveDate> {
    if !(text.len() == 8 || text.len() == 12) || !text.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let year: i32 = text.get(0..4)?.parse().ok()?;
    let month: u32 = text.get(4..6)?.parse().ok()?;
    let day: u32 = text.get(6..8)?.parse().ok()?;
    if !(1900..=2100).contains(&year) {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

/// `2026-03-16`, `2026/03/16`, `2026.3.16`.
fn parse_iso(text: &str) -> Option<NaiveDate> {
    let sep = text.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
    let mut parts = text.split(sep);
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.is_empty() || m.len() > 2 || d.is_empty() || d.len() > 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// `16 Mar 2026`, `March 16, 2026`, `16. März 2026`, `16-mars-26`.
fn parse_named_month(text: &str) -> Option<NaiveDate> {
    let mut month = None;
    let mut numbers: Vec<&str> = Vec::new();
    for token in text.split(|c: char| c.is_whitespace() || matches!(c, '-' | '/' | '.' | ',')) {
        if token.is_empty() {
            continue;
        }
        if token.chars().all(|c| c.is_ascii_digit()) {
            numbers.push(token);
            continue;
        }
        let digits: String = token.chars().take_while(char::is_ascii_digit).collect();
        if !digits.is_empty() && is_ordinal_suffix(&token[digits.len()..]) {
            numbers.push(&token[..digits.len()]);
            continue;
        }
        let folded = fold_label(token);
        if let Some(m) = month_number(&folded) {
            if month.replace(m).is_some() {
                return None;
            }
        } else if !is_weekday(&folded) {
            return None;
        }
    }
    let month = month?;
    let [first, second] = numbers.as_slice() else { return None };
    let (day, year) = if first.len() == 4 { (second, first) } else { (first, second) };
    if day.len() > 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(parse_year(year)?, month, day.parse().ok()?)
}

fn is_ordinal_suffix(text: &str) -> bool {
    matches!(text.to_ascii_lowercase().as_str(), "st" | "nd" | "rd" | "th" | "er" | "e")
}

fn month_number(name: &str) -> Option<u32> {
    const MONTHS: [&[&str]; 12] = [
        &["jan", "january", "januar", "janvier", "janv", "jaenner", "janner", "enero", "gennaio", "januari"],
        &["feb", "february", "februar", "fevrier", "fevr", "fev", "febrero", "febbraio", "februari"],
        &["mar", "march", "marz", "maerz", "mrz", "mars", "marzo", "maart"],
        &["apr", "april", "avril", "avr", "abril", "aprile"],
        &["may", "mai", "mayo", "maggio", "mei"],
        &["jun", "june", "juni", "juin", "junio", "giugno"],
        &["jul", "july", "juli", "juillet", "juil", "julio", "luglio"],
        &["aug", "august", "aout", "agosto", "augustus"],
        &["sep", "sept", "september", "septembre", "septiembre", "settembre"],
        &["oct", "okt", "october", "oktober", "octobre", "octubre", "ottobre"],
        &["nov", "november", "novembre", "noviembre"],
        &["dec", "dez", "december", "dezember", "decembre", "diciembre", "dicembre"],
    ];
    MONTHS.iter().position(|names| names.contains(&name)).map(|i| i as u32 + 1)
}

fn is_weekday(name: &str) -> bool {
    const DAYS: &[&str] = &[
        "mon",
        "monday",
        "tue",
        "tues",
        "tuesday",
        "wed",
        "wednesday",
        "thu",
        "thur",
        "thursday",
        "fri",
        "friday",
        "sat",
        "saturday",
        "sun",
        "sunday",
        "mo",
        "di",
        "mi",
        "do",
        "fr",
        "sa",
        "so",
        "montag",
        "dienstag",
        "mittwoch",
        "donnerstag",
        "freitag",
        "samstag",
        "sonntag",
        "lundi",
        "mardi",
        "mercredi",
        "jeudi",
        "vendredi",
        "samedi",
        "dimanche",
        "le",
        "der",
        "den",
        "the",
        "of",
    ];
    DAYS.contains(&name)
}

/// Lower-case, accents folded, punctuation to spaces, camelCase split:
/// `"N° Commande"` → `"n commande"`, `"PONumber"` → `"po number"`.
pub fn normalize_label(raw: &str) -> String {
    let mut spaced = String::with_capacity(raw.len() + 4);
    let chars: Vec<char> = raw.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
        let next = chars.get(i + 1).copied();
        // `unitPrice` → `unit Price`; `PONumber` → `PO Number`.
        let lower_to_upper = prev.is_some_and(char::is_lowercase);
        let acronym_end = prev.is_some_and(char::is_uppercase) && next.is_some_and(char::is_lowercase);
        if c.is_uppercase() && (lower_to_upper || acronym_end) {
            spaced.push(' ');
        }
        spaced.push(c);
    }
    let folded = fold_label(&spaced);
    folded.split(|c: char| !c.is_ascii_alphanumeric()).filter(|t| !t.is_empty()).collect::<Vec<_>>().join(" ")
}

/// Lower-case with Latin accents folded (`ä` → `a`, `ß` → `ss`).
pub fn fold_label(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => out.push('a'),
            'æ' => out.push_str("ae"),
            'ç' => out.push('c'),
            'è' | 'é' | 'ê' | 'ë' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' => out.push('i'),
            'ñ' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => out.push('o'),
            'ù' | 'ú' | 'û' | 'ü' => out.push('u'),
            'ý' | 'ÿ' => out.push('y'),
            'ß' => out.push_str("ss"),
            'œ' => out.push_str("oe"),
            other => out.push(other),
        }
    }
    out
}

/// A token that reads as a part number or other code: no spaces, at least
/// one letter or digit, not absurdly long.
pub fn is_code_like(text: &str) -> bool {
    let t = text.trim();
    !t.is_empty()
        && t.chars().count() <= 40
        && !t.chars().any(char::is_whitespace)
        && t.chars().any(|c| c.is_alphanumeric())
        && t.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '#' | '+' | ':'))
}

/// All digits, of a GTIN length (8, 12, 13 or 14).
pub fn is_gtin_like(text: &str) -> bool {
    let t = text.trim();
    matches!(t.len(), 8 | 12 | 13 | 14) && t.chars().all(|c| c.is_ascii_digit())
}

/// A decimal as a plain string: no exponent, no trailing zeros, no `.0`.
pub fn decimal_text(value: Decimal) -> String {
    value.normalize().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    #[test]
    fn numbers_in_both_styles() {
        let us = NumberStyle::default();
        let eu = NumberStyle { decimal_comma: true };
        assert_eq!(parse_number("1,234.56", us), Some(d("1234.56")));
        assert_eq!(parse_number("1.234,56", us), Some(d("1234.56")));
        assert_eq!(parse_number("12,5", us), Some(d("12.5")));
        assert_eq!(parse_number("1,234", us), Some(d("1234")));
        assert_eq!(parse_number("1,234", eu), Some(d("1.234")));
        assert_eq!(parse_number("1.234", eu), Some(d("1234")));
        assert_eq!(parse_number("1.000", us), Some(d("1")));
        assert_eq!(parse_number("€ 1.234,50", eu), Some(d("1234.5")));
        assert_eq!(parse_number("$11.85", us), Some(d("11.85")));
        assert_eq!(parse_number("1'234.50 CHF", us), Some(d("1234.5")));
        assert_eq!(parse_number("(5.00)", us), Some(d("-5")));
        assert_eq!(parse_number("1 234,5", eu), Some(d("1234.5")));
        assert_eq!(parse_number("abc", us), None);
        assert_eq!(parse_number("10 EA", us), None);
        assert_eq!(parse_number("1.2.3,4,5", us), None);
    }

    #[test]
    fn number_with_unit_keeps_the_unit() {
        let parsed = parse_number_text("10 EA", NumberStyle::default());
        assert_eq!(parsed.map(|p| (p.value, p.suffix)), Some((d("10"), Some("EA".to_string()))));
        let priced = parse_number_text("12,50 €", NumberStyle { decimal_comma: true });
        assert_eq!(priced.and_then(|p| p.currency), Some("EUR".to_string()));
    }

    #[test]
    fn style_inferred_from_values() {
        assert!(infer_number_style(["12,5", "3,75", "100"].into_iter(), false).decimal_comma);
        assert!(!infer_number_style(["12.5", "3.75", "100"].into_iter(), true).decimal_comma);
        assert!(infer_number_style(["100", "2"].into_iter(), true).decimal_comma);
    }

    #[test]
    fn dates_in_many_spellings() {
        let ymd = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd);
        let mf = DateOrder::MonthFirst;
        let df = DateOrder::DayFirst;
        assert_eq!(parse_date("2026-03-16", mf), ymd(2026, 3, 16));
        assert_eq!(parse_date("2026-03-16T10:00:00", mf), ymd(2026, 3, 16));
        assert_eq!(parse_date("20260316", mf), ymd(2026, 3, 16));
        assert_eq!(parse_date("199708301200", mf), ymd(1997, 8, 30));
        assert_eq!(parse_date("03/04/2026", mf), ymd(2026, 3, 4));
        assert_eq!(parse_date("03/04/2026", df), ymd(2026, 4, 3));
        assert_eq!(parse_date("16.03.26", mf), ymd(2026, 3, 16));
        assert_eq!(parse_date("16 Mar 2026", mf), ymd(2026, 3, 16));
        assert_eq!(parse_date("March 16, 2026", mf), ymd(2026, 3, 16));
        assert_eq!(parse_date("16. März 2026", mf), ymd(2026, 3, 16));
        assert_eq!(parse_date("16 février 2026", mf), ymd(2026, 2, 16));
        assert_eq!(parse_date("Mon, 2nd March 2026", mf), ymd(2026, 3, 2));
        assert_eq!(parse_date("31/02/2026", df), None);
        assert_eq!(parse_date("hello", df), None);
        assert_eq!(parse_date("12 PO 2026", df), None);
    }

    #[test]
    fn date_order_from_the_whole_file() {
        let guess = infer_date_order(["01/02/2026", "25/02/2026"].into_iter(), false);
        assert_eq!(guess, DateOrderGuess { order: DateOrder::DayFirst, ambiguous: false });
        let guess = infer_date_order(["01/02/2026", "02/25/2026"].into_iter(), true);
        assert_eq!(guess, DateOrderGuess { order: DateOrder::MonthFirst, ambiguous: false });
        let guess = infer_date_order(["01/02/2026"].into_iter(), true);
        assert_eq!(guess, DateOrderGuess { order: DateOrder::DayFirst, ambiguous: true });
        let guess = infer_date_order(["2026-01-02", "05/05/2026"].into_iter(), false);
        assert!(!guess.ambiguous);
    }

    #[test]
    fn labels_normalised() {
        assert_eq!(normalize_label("N° Commande"), "n commande");
        assert_eq!(normalize_label("PO_NUMBER"), "po number");
        assert_eq!(normalize_label("PONumber"), "po number");
        assert_eq!(normalize_label("unitPrice"), "unit price");
        assert_eq!(normalize_label("Qté"), "qte");
        assert_eq!(normalize_label("Stückzahl"), "stuckzahl");
    }
}
