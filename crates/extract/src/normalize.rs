//! Keys that make two spellings of the same thing equal: codes, GTINs,
//! company names, addresses and item descriptions. Every index in
//! [`crate::MasterData`] and every look-up goes through these, so master
//! data and documents are normalised the same way.

/// A code as a key: trimmed and upper-cased (`" hv-075-br "` → `"HV-075-BR"`).
pub fn code_key(raw: &str) -> String {
    raw.trim().to_uppercase()
}

/// A code without its separators (`"HV 075-BR"` → `"HV075BR"`), for a
/// second, looser look-up after the exact one failed.
pub fn compact_key(raw: &str) -> String {
    raw.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_uppercase).collect()
}

/// A GTIN/UPC/EAN as a key: digits only, leading zeros stripped, so that a
/// UPC-A `012345678905`, the same code with its zero lost in a spreadsheet
/// `12345678905` and the GTIN-13 `0012345678905` meet. `None` for anything
/// that is not all digits (spaces and dashes allowed) or too short to be a
/// trade item number.
pub fn gtin_key(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() || !trimmed.chars().all(|c| c.is_ascii_digit() || c == ' ' || c == '-') {
        return None;
    }
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 6 || digits.len() > 14 {
        return None;
    }
    let stripped = digits.trim_start_matches('0');
    if stripped.is_empty() { None } else { Some(stripped.to_string()) }
}

/// Legal forms that say nothing about which company it is.
const LEGAL_SUFFIXES: &[&str] = &[
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "company",
    "gmbh",
    "mbh",
    "ltd",
    "limited",
    "llc",
    "llp",
    "lp",
    "plc",
    "sa",
    "sas",
    "sarl",
    "srl",
    "spa",
    "ag",
    "kg",
    "bv",
    "nv",
    "ab",
    "as",
    "oy",
    "pty",
    "ulc",
    "the",
];

/// A company name as a key: lower-case, `&` read as `and`, dots inside
/// abbreviations dropped (`S.A.` → `sa`), other punctuation a space, legal
/// forms removed (`"ACME Industrial Supply, Inc."` → `"acme industrial supply"`).
/// A name made only of legal forms keeps them, so it still has a key.
pub fn company_key(raw: &str) -> String {
    let words = words(raw);
    let kept: Vec<&str> = words.iter().map(String::as_str).filter(|w| !LEGAL_SUFFIXES.contains(w)).collect();
    if kept.is_empty() { words.join(" ") } else { kept.join(" ") }
}

/// Street words and their usual abbreviations, so that `"1200 Industrial
/// Parkway, Suite 4"` and `"1200 Industrial Pkwy Ste 4"` meet.
const ADDRESS_WORDS: &[(&str, &str)] = &[
    ("street", "st"),
    ("avenue", "ave"),
    ("av", "ave"),
    ("road", "rd"),
    ("boulevard", "blvd"),
    ("drive", "dr"),
    ("parkway", "pkwy"),
    ("suite", "ste"),
    ("highway", "hwy"),
    ("lane", "ln"),
    ("court", "ct"),
    ("place", "pl"),
    ("building", "bldg"),
    ("north", "n"),
    ("south", "s"),
    ("east", "e"),
    ("west", "w"),
    ("strasse", "str"),
    ("straße", "str"),
];

/// An address or a ship-to name as a key: words lower-cased, street words
/// abbreviated, punctuation dropped.
pub fn address_key(raw: &str) -> String {
    words(raw)
        .into_iter()
        .map(|w| ADDRESS_WORDS.iter().find(|(long, _)| *long == w).map_or(w, |(_, short)| (*short).to_string()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// An item description's tokens: lower-case words and numbers, with
/// fractions and decimals kept whole (`3/4in` → `3/4in`, `1.5` → `1.5`).
pub fn description_tokens(raw: &str) -> Vec<String> {
    raw.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '/' || c == '.'))
        .map(|t| t.trim_matches(|c| c == '.' || c == '/'))
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// A free text (alias, description) as an exact key: its tokens joined.
pub fn text_key(raw: &str) -> String {
    description_tokens(raw).join(" ")
}

/// Similarity of two descriptions in [0, 1]: the Dice coefficient over
/// tokens, where two tokens count as equal when their Jaro-Winkler
/// similarity is at least 0.92 (typos, plural forms).
pub fn description_similarity(a: &[String], b: &[String]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let mut used = vec![false; b.len()];
    let mut matched = 0usize;
    for token in a {
        let best = b
            .iter()
            .enumerate()
            .filter(|(i, _)| !used.get(*i).copied().unwrap_or(true))
            .map(|(i, other)| (i, strsim::jaro_winkler(token, other)))
            .filter(|(_, s)| *s >= 0.92)
            .max_by(|x, y| x.1.total_cmp(&y.1));
        if let Some((i, _)) = best {
            if let Some(slot) = used.get_mut(i) {
                *slot = true;
            }
            matched += 1;
        }
    }
    (2 * matched) as f64 / (a.len() + b.len()) as f64
}

/// The domain of an e-mail address (`"Ann <ann@Mail.Acme.example>"` →
/// `"mail.acme.example"`).
pub fn email_domain(address: &str) -> Option<String> {
    let address = email_address(address)?;
    let (_, domain) = address.rsplit_once('@')?;
    if domain.is_empty() { None } else { Some(domain.to_string()) }
}

/// An e-mail address without display name or angle brackets, lower-cased.
pub fn email_address(raw: &str) -> Option<String> {
    let inner = match (raw.rfind('<'), raw.rfind('>')) {
        (Some(open), Some(close)) if open < close => raw.get(open + 1..close).unwrap_or(raw),
        _ => raw,
    };
    let address = inner.trim().trim_matches(|c: char| c == '"' || c == '\'').to_lowercase();
    if address.contains('@') { Some(address) } else { None }
}

/// Lower-case words, with `&` as `and` and dots inside abbreviations removed.
fn words(raw: &str) -> Vec<String> {
    let lowered = raw.to_lowercase().replace('&', " and ").replace('.', "");
    lowered.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gtin_keys_meet_without_leading_zeros() {
        assert_eq!(gtin_key("012345678905"), Some("12345678905".to_string()));
        assert_eq!(gtin_key("12345678905"), gtin_key("0012345678905"));
        assert_eq!(gtin_key("0-12345-67890-5"), gtin_key("012345678905"));
        assert_eq!(gtin_key("HV-075"), None);
        assert_eq!(gtin_key("123"), None);
        assert_eq!(gtin_key("000000000"), None);
    }

    #[test]
    fn company_keys_drop_legal_forms_and_punctuation() {
        assert_eq!(company_key("ACME Industrial Supply, Inc."), "acme industrial supply");
        assert_eq!(company_key("Acme Industrial Supply"), "acme industrial supply");
        assert_eq!(company_key("Müller & Söhne GmbH"), "müller and söhne");
        assert_eq!(company_key("Hydro S.A."), "hydro");
        assert_eq!(company_key("Inc."), "inc");
    }

    #[test]
    fn address_keys_abbreviate_street_words() {
        assert_eq!(address_key("1200 Industrial Parkway, Suite 4"), address_key("1200 industrial pkwy ste. 4"));
    }

    #[test]
    fn description_similarity_tolerates_typos_and_order() {
        let a = description_tokens("Brass ball valve 3/4in");
        let b = description_tokens("3/4in brass bal valve");
        assert!(description_similarity(&a, &b) > 0.99, "{}", description_similarity(&a, &b));
        let c = description_tokens("stainless hex bolt");
        assert!(description_similarity(&a, &c) < 0.3);
        assert_eq!(description_similarity(&a, &[]), 0.0);
    }

    #[test]
    fn email_domains_come_from_any_address_form() {
        assert_eq!(email_domain("Ann Buyer <Ann@Mail.Acme.example>").as_deref(), Some("mail.acme.example"));
        assert_eq!(email_domain("ann@acme.example").as_deref(), Some("acme.example"));
        assert_eq!(email_domain("no address"), None);
        assert_eq!(email_domain("<>"), None);
    }

    #[test]
    fn compact_keys_ignore_separators() {
        assert_eq!(compact_key(" hv 075-br "), "HV075BR");
        assert_eq!(code_key(" hv-075-br "), "HV-075-BR");
    }
}
