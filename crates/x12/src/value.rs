//! X12 data element values: numbers (R, Nn) and dates (DT).

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// An X12 'R' (decimal) value: optional sign, digits, optional point
/// (`12`, `-3.5`, `+.57`, `0008`). Exponents are not accepted.
pub fn decimal(raw: &str) -> Option<Decimal> {
    let text = trim(raw);
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mut digits, mut points) = (0, 0);
    for b in unsigned.bytes() {
        match b {
            b'0'..=b'9' => digits += 1,
            b'.' => points += 1,
            _ => return None,
        }
    }
    if digits == 0 || points > 1 {
        return None;
    }
    let signless = text.strip_prefix('+').unwrap_or(text);
    small_decimal(signless).or_else(|| Decimal::from_str(signless).ok())
}

/// The usual R value (at most 18 digits, a digit after any point), read
/// without `Decimal::from_str`, which costs more than the rest of reading a
/// line. `None` for anything else, which `Decimal::from_str` then reads.
/// `signless` is validated: digits, at most one point, an optional '-'.
fn small_decimal(signless: &str) -> Option<Decimal> {
    const MAX_DIGITS: u32 = 18;
    let (negative, digits) = match signless.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, signless),
    };
    let (mut mantissa, mut count, mut scale, mut after_point) = (0i64, 0u32, 0u32, false);
    for b in digits.bytes() {
        if b == b'.' {
            after_point = true;
            continue;
        }
        count += 1;
        if count > MAX_DIGITS {
            return None;
        }
        mantissa = mantissa * 10 + i64::from(b.wrapping_sub(b'0'));
        scale += u32::from(after_point);
    }
    // "5." and "-0" (a negative zero) are left to from_str, which decides their scale and sign.
    if (after_point && scale == 0) || (negative && mantissa == 0) {
        return None;
    }
    Decimal::try_new(if negative { -mantissa } else { mantissa }, scale).ok()
}

/// `str::trim`, with a shortcut for the usual value that starts and ends with
/// a visible ASCII character: the Unicode-aware trim costs more than looking
/// the value up.
pub fn trim(text: &str) -> &str {
    let bytes = text.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        _ => text.trim(),
    }
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
    fn the_short_path_reads_like_from_str() {
        let cases =
            ["0", "00", "7", "0008", "12.50", ".57", "-.5", "-12.50", "999999999999999999", "0.00000000000000001"];
        let longer = ["1234567890123456789", "0.000000000000000001", "-0", "-0.00", "5.", "0.1234567890123456789"];
        for case in cases.iter().chain(&longer) {
            let expected = Decimal::from_str(case).ok();
            assert_eq!(decimal(case).map(|d| d.to_string()), expected.map(|d| d.to_string()), "{case:?}");
        }
        for case in cases {
            assert!(small_decimal(case).is_some(), "{case:?} takes the short path");
        }
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
