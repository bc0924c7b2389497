//! A cell that lists several items: `2x HV-075-BR; 5x FT-050-SS; 10 EA GK-100`,
//! or one per line.

use prodline_core::units::is_known_uom;
use rust_decimal::Decimal;

use crate::value::{NumberStyle, is_code_like, parse_number};

/// One item of a list: quantity, unit if written, the code, and any words
/// after the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemSpec {
    pub qty: Decimal,
    pub uom: Option<String>,
    pub code: String,
    pub description: Option<String>,
}

/// Split a cell into items when every part of it reads as one; `None`
/// otherwise (a plain part number, a sentence).
pub fn split_item_list(text: &str, style: NumberStyle) -> Option<Vec<ItemSpec>> {
    let parts: Vec<&str> = text.split(['\n', ';', '\r']).map(clean_part).filter(|p| !p.is_empty()).collect();
    let parts = if parts.len() == 1 && text.contains(',') && !style.decimal_comma {
        text.split(',').map(clean_part).filter(|p| !p.is_empty()).collect()
    } else {
        parts
    };
    if parts.is_empty() || parts.len() > 500 {
        return None;
    }
    parts.into_iter().map(|p| parse_item_spec(p, style)).collect()
}

/// Strip bullets and white space: `- 2x A` → `2x A`.
fn clean_part(part: &str) -> &str {
    let trimmed = part.trim();
    let unbulleted = trimmed.strip_prefix(['-', '*', '•', '·']).map(str::trim_start).unwrap_or(trimmed);
    if unbulleted.len() < trimmed.len() && unbulleted.starts_with(|c: char| c.is_ascii_digit()) {
        unbulleted
    } else {
        trimmed
    }
}

const TIMES: &[&str] = &["x", "X", "×", "*"];

/// `2x CODE`, `2 x CODE`, `10 EA CODE words`, `10 CODE`, `CODE x 2`, `CODE: 2 EA`.
fn parse_item_spec(part: &str, style: NumberStyle) -> Option<ItemSpec> {
    let tokens: Vec<&str> = part.split_whitespace().collect();
    quantity_first(&tokens, style).or_else(|| code_first(&tokens, style))
}

fn quantity_first(tokens: &[&str], style: NumberStyle) -> Option<ItemSpec> {
    let (first, mut rest) = tokens.split_first()?;
    let qty = match strip_times_suffix(first).and_then(|q| parse_number(q, style)) {
        Some(qty) => qty,
        None => {
            let qty = parse_number(first, style)?;
            if let Some((times, after)) = rest.split_first()
                && TIMES.contains(times)
            {
                rest = after;
            }
            qty
        }
    };
    let mut uom = None;
    if let [unit, after @ ..] = rest
        && !after.is_empty()
        && is_known_uom(unit)
    {
        uom = Some(unit.to_string());
        rest = after;
    }
    let (code, words) = rest.split_first()?;
    if !is_item_code(code, style) {
        return None;
    }
    let description = (!words.is_empty()).then(|| words.join(" "));
    Some(ItemSpec { qty, uom, code: code.to_string(), description })
}

fn code_first(tokens: &[&str], style: NumberStyle) -> Option<ItemSpec> {
    let (first, mut rest) = tokens.split_first()?;
    let code = first.trim_end_matches(':');
    if code.len() < first.len() {
        // `CODE:` already carries its separator.
    } else if let Some((sep, after)) = rest.split_first()
        && (TIMES.contains(sep) || matches!(*sep, ":" | "=" | "-"))
    {
        rest = after;
    }
    if !is_item_code(code, style) {
        return None;
    }
    let (qty_token, after) = rest.split_first()?;
    let qty_text = qty_token.strip_prefix(['x', 'X', '×']).unwrap_or(qty_token);
    let qty = parse_number(qty_text, style)?;
    let uom = match after {
        [] => None,
        [unit] if is_known_uom(unit) => Some(unit.to_string()),
        _ => return None,
    };
    Some(ItemSpec { qty, uom, code: code.to_string(), description: None })
}

fn strip_times_suffix(token: &str) -> Option<&str> {
    token.strip_suffix(['x', 'X', '×', '*']).filter(|q| !q.is_empty())
}

/// A code is code-like, not a plain number and not a unit.
fn is_item_code(token: &str, style: NumberStyle) -> bool {
    is_code_like(token) && parse_number(token, style).is_none() && !TIMES.contains(&token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Option<Vec<(String, String, Option<String>)>> {
        split_item_list(text, NumberStyle::default())
            .map(|specs| specs.into_iter().map(|s| (s.code, s.qty.to_string(), s.uom)).collect())
    }

    #[test]
    fn splits_a_listed_cell() {
        let expected = vec![
            ("HV-075-BR".to_string(), "2".to_string(), None),
            ("FT-050-SS".to_string(), "5".to_string(), None),
            ("GK-100".to_string(), "10".to_string(), Some("EA".to_string())),
        ];
        assert_eq!(codes("2x HV-075-BR; 5x FT-050-SS; 10 EA GK-100"), Some(expected.clone()));
        assert_eq!(codes("2 x HV-075-BR\n5× FT-050-SS\n10 EA GK-100"), Some(expected));
        assert_eq!(codes("HV-075-BR x 2, GK-100: 10 EA").map(|v| v.len()), Some(2));
    }

    #[test]
    fn leaves_plain_cells_alone() {
        assert_eq!(codes("HV-075-BR"), None);
        assert_eq!(codes("Please deliver asap"), None);
        assert_eq!(codes("10 20"), None);
        assert_eq!(codes(""), None);
    }
}
