//! Numbers and dates as EDIFACT writes them.

use std::borrow::Cow;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// A numeric value (data element class n): `1.00`, `1,5`, `-3`, `.5`.
/// Both `.` and `,` are decimal marks whatever UNA says (ISO 9735 §10).
pub fn parse_decimal(raw: &str) -> Option<Decimal> {
    let text = raw.trim();
    let text = if text.contains(',') { Cow::Owned(text.replace(',', ".")) } else { Cow::Borrowed(text) };
    let text = text.as_ref();
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    // Decimal::from_str accepts forms EDIFACT does not (exponents, underscores):
    // only digits and at most one mark, with at least one digit.
    let (mut marks, mut has_digit) = (0, false);
    for b in digits.bytes() {
        match b {
            b'0'..=b'9' => has_digit = true,
            b'.' => marks += 1,
            _ => return None,
        }
    }
    if !has_digit || marks > 1 {
        return None;
    }
    Decimal::from_str(text.strip_prefix('+').unwrap_or(text)).ok()
}

/// A date from DTM C507 2380 in format 2379. `None` when the value does not
/// fit the format. Formats: 102 CCYYMMDD, 203 CCYYMMDDHHMM, 204
/// CCYYMMDDHHMMSS, 101 YYMMDD, 718/719/720 ranges (the start), and no format
/// (guessed from the length).
pub fn parse_date(value: &str, format: Option<&str>) -> Result<NaiveDate, DateError> {
    let value = value.trim();
    let format = format.map(str::trim).filter(|f| !f.is_empty());
    let (digits, century) = match format {
        Some("102" | "203" | "204" | "205" | "718" | "719" | "720") => (8, true),
        Some("101" | "201" | "717") => (6, false),
        Some(other) => return Err(DateError::UnsupportedFormat(other.to_string())),
        None => match value.len() {
            6 | 10 => (6, false),
            _ => (8, true),
        },
    };
    let head = value.get(..digits).filter(|h| h.bytes().all(|b| b.is_ascii_digit())).ok_or(DateError::Malformed)?;
    // All digits from here, so every field parses; the checks are for the types.
    let number = |range: std::ops::Range<usize>| head.get(range).and_then(|d| d.parse::<u32>().ok());
    let (year, month, day) = match century {
        true => (number(0..4), number(4..6), number(6..8)),
        false => (number(0..2).map(full_year), number(2..4), number(4..6)),
    };
    let (Some(year), Some(month), Some(day)) = (year, month, day) else { return Err(DateError::Malformed) };
    let year = i32::try_from(year).map_err(|_| DateError::Malformed)?;
    NaiveDate::from_ymd_opt(year, month, day).ok_or(DateError::Malformed)
}

/// Two-digit years: 00-69 are 20YY, 70-99 are 19YY.
fn full_year(yy: u32) -> u32 {
    if yy >= 70 { 1900 + yy } else { 2000 + yy }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("date format {0} is not supported")]
    UnsupportedFormat(String),
    #[error("not a valid date for its format")]
    Malformed,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn decimals_accept_both_marks_and_reject_the_rest() {
        assert_eq!(parse_decimal("1.00"), Some(Decimal::new(100, 2)));
        assert_eq!(parse_decimal("1,5"), Some(Decimal::new(15, 1)));
        assert_eq!(parse_decimal("-.5"), Some(Decimal::new(-5, 1)));
        for bad in ["", "-", ".", "1e5", "1.2.3", "abc", "1_000", "１"] {
            assert_eq!(parse_decimal(bad), None, "{bad}");
        }
        assert_eq!(parse_decimal("99999999999999999999999999999999999"), None);
    }

    #[test]
    fn dates_in_every_supported_format() {
        assert_eq!(parse_date("20050819", Some("102")), Ok(date(2005, 8, 19)));
        assert_eq!(parse_date("199708301200", Some("203")), Ok(date(1997, 8, 30)));
        assert_eq!(parse_date("20020830101500", Some("204")), Ok(date(2002, 8, 30)));
        assert_eq!(parse_date("980106", Some("101")), Ok(date(1998, 1, 6)));
        assert_eq!(parse_date("050824", Some("101")), Ok(date(2005, 8, 24)));
        assert_eq!(parse_date("2002080120020831", Some("718")), Ok(date(2002, 8, 1)));
        assert_eq!(parse_date("20020801-20020831", Some("718")), Ok(date(2002, 8, 1)));
        assert_eq!(parse_date("20230606", None), Ok(date(2023, 6, 6)));
        assert_eq!(parse_date("700101", Some("101")), Ok(date(1970, 1, 1)));
        assert_eq!(parse_date("691231", Some("101")), Ok(date(2069, 12, 31)));
        assert_eq!(parse_date("00000101", Some("102")), Ok(date(0, 1, 1)));
    }

    #[test]
    fn bad_dates_say_why() {
        assert_eq!(parse_date("20050230", Some("102")), Err(DateError::Malformed));
        assert_eq!(parse_date("20051301", Some("102")), Err(DateError::Malformed));
        assert_eq!(parse_date("20050100", Some("102")), Err(DateError::Malformed));
        assert_eq!(parse_date("+2050101", Some("102")), Err(DateError::Malformed));
        assert_eq!(parse_date("2005", Some("102")), Err(DateError::Malformed));
        assert_eq!(parse_date("ÄÖÜ12345", Some("102")), Err(DateError::Malformed));
        assert_eq!(parse_date("W23", Some("616")), Err(DateError::UnsupportedFormat("616".into())));
    }
}
