//! X12 data element values: numbers (R, Nn) and dates (DT).

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// An X12 'R' (decimal) value: optional sign, digits, optional point
/// (`12`, `-3.5`, `+.57`, `0008`). Exponents are not accepted.
pub fn decimal(raw: &str) -> Option<Decimal> {
    let text = raw.trim();
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let digits = unsigned.bytes().filter(u8::is_ascii_digit).count();
    let points = unsigned.bytes().filter(|&b| b == b'.').count();
    if digits == 0 || points > 1 || digits + points != unsigned.len() {
        return None;
    }
    let signless = text.strip_prefix('+').unwrap_or(text);
    Decimal::from_str(signless).ok()
}

/// An X12 'Nn' value: an integer with `implied` decimal places (`N2`: `1250` is 12.50).
/// A value written with a point is taken as written: the sender meant it.
pub fn implied_decimal(raw: &str, implied: u32) -> Option<Decimal> {
    let mut value = decimal(raw)?;
    if raw.contains('.') {
        return Some(value);
    }
    value.set_scale(value.scale() + implied).ok()?;
    Some(value)
}

/// An X12 date: CCYYMMDD, or YYMMDD of older versions (years 00-49 are 20xx).
pub fn date(raw: &str) -> Option<NaiveDate> {
    let text = raw.trim();
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| text.get(range).and_then(|s| s.parse::<u32>().ok());
    let (year, rest) = match text.len() {
        8 => (i32::try_from(number(0..4)?).ok()?, 4),
        6 => {
            let yy = i32::try_from(number(0..2)?).ok()?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, 2)
        }
        _ => return None,
    };
    NaiveDate::from_ymd_opt(year, number(rest..rest + 2)?, number(rest + 2..rest + 4)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn reads_r_values() {
        assert_eq!(decimal("0008"), Some(dec("8")));
        assert_eq!(decimal(".57"), Some(dec("0.57")));
        assert_eq!(decimal("+3"), Some(dec("3")));
        assert_eq!(decimal("-12.50"), Some(dec("-12.5")));
        assert_eq!(decimal(" 19.95 "), Some(dec("19.95")));
        for bad in ["", "-", ".", "1.2.3", "1e5", "12a", "+-1", "1 2"] {
            assert_eq!(decimal(bad), None, "{bad:?}");
        }
        assert_eq!(decimal(&"9".repeat(40)), None);
    }

    #[test]
    fn reads_implied_decimals() {
        assert_eq!(implied_decimal("1250", 2), Some(dec("12.50")));
        assert_eq!(implied_decimal("-5", 2), Some(dec("-0.05")));
        assert_eq!(implied_decimal("12.5", 2), Some(dec("12.5")));
        assert_eq!(implied_decimal(&"1".repeat(28), 2), Some(dec("11111111111111111111111111.11")));
    }

    #[test]
    fn reads_dates() {
        assert_eq!(date("20050718"), NaiveDate::from_ymd_opt(2005, 7, 18));
        assert_eq!(date("950120"), NaiveDate::from_ymd_opt(1995, 1, 20));
        assert_eq!(date("190805"), NaiveDate::from_ymd_opt(2019, 8, 5));
        for bad in ["20050732", "2005071", "2005-07-18", "", "2005071８"] {
            assert_eq!(date(bad), None, "{bad:?}");
        }
    }
}
