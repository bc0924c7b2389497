//! Master data found in text: SKUs, the customer's part numbers, UPCs,
//! item aliases and exact descriptions. These anchors weigh most: a
//! sentence without one is not an order line.

use std::collections::{BTreeSet, HashSet};

use prodline_core::{ItemId, ItemIdKind};

use super::words::{Word, words};
use crate::normalize::{code_key, description_tokens, gtin_key, text_key};
use crate::{MasterData, Memory};

/// An item found in a line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Anchor {
    /// Byte span in the line.
    pub start: usize,
    pub end: usize,
    /// The id as written (after an OCR repair, as repaired), with its kind;
    /// `None` when the anchor is a description or alias phrase.
    pub id: Option<ItemId>,
    /// The phrase, when the anchor is a description or alias.
    pub phrase: Option<String>,
    /// The SKUs it points to (several: the alias is shared; resolution
    /// decides and says so).
    pub skus: BTreeSet<String>,
    /// Found only after reading OCR look-alikes (`O`/`0`, `l`/`1`...) again.
    pub repaired: bool,
}

/// Finds anchors for one document: the sender's customer first, any
/// customer's parts second.
pub(crate) struct Anchors<'m> {
    master: &'m MasterData,
    memory: &'m Memory,
    customer: Option<String>,
    any_part: HashSet<String>,
    ocr: bool,
}

/// The longest description phrase tried, in words.
const MAX_PHRASE_WORDS: usize = 8;

impl<'m> Anchors<'m> {
    pub fn new(master: &'m MasterData, memory: &'m Memory, customer: Option<String>, ocr: bool) -> Anchors<'m> {
        let any_part = master.customer_items.iter().map(|ci| code_key(&ci.customer_part)).collect();
        Anchors { master, memory, customer, any_part, ocr }
    }

    /// Every anchor in a line, left to right, codes before phrases where
    /// they overlap.
    pub fn find(&self, line: &str) -> Vec<Anchor> {
        let words = words(line);
        let mut found: Vec<Anchor> =
            words.iter().filter_map(|w| self.code_anchor(w).or_else(|| self.bracketed_code(line, w))).collect();
        for phrase in self.phrase_anchors(line, &words) {
            if !found.iter().any(|a| a.start < phrase.end && phrase.start < a.end) {
                found.push(phrase);
            }
        }
        found.sort_by_key(|a| a.start);
        found
    }

    fn code_anchor(&self, word: &Word<'_>) -> Option<Anchor> {
        let token = word.text.trim_matches(|c: char| !c.is_alphanumeric());
        if let Some((kind, skus)) = self.lookup_code(token) {
            return Some(self.code(word, token, kind, skus, false));
        }
        if let Some((alias, sku)) = self.compact_alias(token) {
            return Some(self.code(word, &alias, ItemIdKind::Other, skus([sku]), false));
        }
        if !self.ocr {
            return None;
        }
        ocr_variants(token).into_iter().find_map(|variant| {
            let (kind, skus) = self.lookup_code(&variant)?;
            Some(self.code(word, &variant, kind, skus, true))
        })
    }

    /// An alias written with other separators (`6307-ZZ` for the alias
    /// `6307ZZ`): the alias as master data spells it, when exactly one
    /// item has it and the code has digits and letters (never a number).
    fn compact_alias(&self, token: &str) -> Option<(String, &'m str)> {
        let key = crate::normalize::compact_key(token);
        let mixed = key.chars().any(|c| c.is_ascii_digit()) && key.chars().any(char::is_alphabetic);
        if key.len() < 5 || !mixed {
            return None;
        }
        let mut found = self.master.items.iter().flat_map(|item| {
            item.aliases
                .iter()
                .filter(|a| crate::normalize::compact_key(a) == key)
                .map(move |a| (a.clone(), item.sku.as_str()))
        });
        let first = found.next()?;
        found.all(|(_, sku)| sku == first.1).then_some(first)
    }

    /// A code in brackets before a description (`[ADPT] USB Adapter`, as
    /// Odoo prints its internal references): the brackets say it is a
    /// code, so a short SKU without digits is taken when it is exactly one
    /// of ours, which a bare word never is.
    fn bracketed_code(&self, line: &str, word: &Word<'_>) -> Option<Anchor> {
        let before = line.get(..word.start)?;
        let after = line.get(word.end..)?;
        if !before.ends_with('[') || !after.starts_with(']') || word.text.len() < 2 {
            return None;
        }
        let item = self.master.item(word.text)?;
        Some(self.code(word, word.text, ItemIdKind::Sku, skus([item.sku.as_str()]), false))
    }

    fn code(&self, word: &Word<'_>, value: &str, kind: ItemIdKind, skus: BTreeSet<String>, repaired: bool) -> Anchor {
        Anchor {
            start: word.start,
            end: word.end,
            id: Some(ItemId { kind, qualifier: None, value: value.to_string() }),
            phrase: None,
            skus,
            repaired,
        }
    }

    /// What a code means: the customer's part, our SKU, another customer's
    /// part, a GTIN, an alias. Short bare numbers are never codes unless the
    /// sender's customer uses them (they are quantities, prices, dates).
    fn lookup_code(&self, token: &str) -> Option<(ItemIdKind, BTreeSet<String>)> {
        if token.len() < 3 || token.len() > 40 {
            return None;
        }
        if !token.chars().any(|c| c.is_ascii_digit()) {
            // A SKU without digits (`OR-KIT-EP`): only as written, whole.
            let exact = token.len() >= 5 && token.contains('-') && token.chars().all(|c| !c.is_lowercase());
            return exact.then(|| self.master.item(token)).flatten().map(|i| (ItemIdKind::Sku, skus([i.sku.as_str()])));
        }
        let all_digits = token.chars().all(|c| c.is_ascii_digit());
        if let Some(customer) = self.customer.as_deref() {
            let own = skus(self.master.cross_ref(customer, token).into_iter().map(|i| i.sku.as_str()));
            if !own.is_empty() && (!all_digits || token.len() >= 4) {
                return Some((ItemIdKind::BuyerPart, own));
            }
            if let Some(sku) = self.memory.learned_cross_ref(customer, token) {
                return Some((ItemIdKind::BuyerPart, skus([sku])));
            }
        }
        if all_digits {
            let gtin = gtin_key(token).map(|_| self.master.items_by_gtin(token)).unwrap_or_default();
            return (token.len() >= 8 && !gtin.is_empty())
                .then(|| (ItemIdKind::Gtin, skus(gtin.into_iter().map(|i| i.sku.as_str()))));
        }
        if let Some(item) = self.master.item(token) {
            return Some((ItemIdKind::Sku, skus([item.sku.as_str()])));
        }
        if self.any_part.contains(&code_key(token)) {
            let parts = self.master.customer_items.iter().filter(|ci| code_key(&ci.customer_part) == code_key(token));
            return Some((ItemIdKind::BuyerPart, skus(parts.map(|ci| ci.sku.as_str()))));
        }
        let aliases = self.master.items_by_alias(token);
        if !aliases.is_empty() {
            return Some((ItemIdKind::Other, skus(aliases.into_iter().map(|i| i.sku.as_str()))));
        }
        None
    }

    /// Runs of words that are an item's exact description or alias
    /// (`3/4in brass ball valve`, a plural `valves` allowed), longest first.
    fn phrase_anchors(&self, line: &str, words: &[Word<'_>]) -> Vec<Anchor> {
        let mut found: Vec<Anchor> = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let mut matched = None;
            for len in (2..=MAX_PHRASE_WORDS.min(words.len() - i)).rev() {
                let (Some(first), Some(last)) = (words.get(i), words.get(i + len - 1)) else { continue };
                let Some(text) = line.get(first.start..last.end) else { continue };
                if let Some((skus, key)) = self.phrase_skus(text) {
                    matched = Some((
                        len,
                        Anchor {
                            start: first.start,
                            end: last.end,
                            id: None,
                            phrase: Some(key),
                            skus,
                            repaired: false,
                        },
                    ));
                    break;
                }
            }
            match matched {
                Some((len, anchor)) => {
                    found.push(anchor);
                    i += len;
                }
                None => i += 1,
            }
        }
        found
    }

    /// The SKUs a phrase names and the phrase as master data writes it
    /// (singular), so resolution finds the same alias again.
    fn phrase_skus(&self, text: &str) -> Option<(BTreeSet<String>, String)> {
        let tokens = description_tokens(text);
        if tokens.len() < 2 {
            return None;
        }
        let mut keys = vec![text_key(text)];
        if let Some(last) = tokens.last().and_then(|t| t.strip_suffix('s')) {
            let mut singular = tokens.clone();
            if let Some(slot) = singular.last_mut() {
                *slot = last.to_string();
            }
            keys.push(singular.join(" "));
        }
        keys.into_iter().find_map(|k| {
            let items = self.master.items_by_alias(&k);
            let found = skus(items.into_iter().map(|i| i.sku.as_str()));
            let key = if k == text_key(text) { text.to_string() } else { k };
            (!found.is_empty()).then_some((found, key))
        })
    }
}

fn skus<'a>(found: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    found.into_iter().map(str::to_string).collect()
}

fn letter_for(c: char) -> Option<char> {
    match c {
        '0' => Some('O'),
        '1' => Some('I'),
        '5' => Some('S'),
        '8' => Some('B'),
        '2' => Some('Z'),
        _ => None,
    }
}

fn digit_for(c: char) -> Option<char> {
    match c {
        'O' | 'o' | 'D' | 'Q' => Some('0'),
        'l' | 'I' | 'i' | '|' => Some('1'),
        'S' | 's' => Some('5'),
        'B' => Some('8'),
        'Z' => Some('2'),
        _ => None,
    }
}

/// A code as OCR may have misread it, read again: in each dash-separated
/// part that is mostly digits, look-alike letters become digits; in each
/// part that is mostly letters, look-alike digits become letters.
fn ocr_variants(token: &str) -> Vec<String> {
    let parts: Vec<&str> = token.split('-').collect();
    let mut options: Vec<Vec<String>> = Vec::new();
    for part in &parts {
        let digits = part.chars().filter(char::is_ascii_digit).count();
        let letters = part.chars().filter(|c| c.is_alphabetic()).count();
        let mut choices = vec![part.to_string()];
        let as_digits: String = part.chars().map(|c| digit_for(c).unwrap_or(c)).collect();
        let as_letters: String = part.chars().map(|c| letter_for(c).unwrap_or(c)).collect();
        if digits >= letters && as_digits != *part {
            choices.push(as_digits);
        }
        if letters >= digits && as_letters != *part {
            choices.push(as_letters);
        }
        options.push(choices);
    }
    let mut variants = vec![String::new()];
    for (i, choices) in options.iter().enumerate() {
        let mut next = Vec::new();
        for prefix in &variants {
            for choice in choices {
                let sep = if i == 0 { "" } else { "-" };
                next.push(format!("{prefix}{sep}{choice}"));
            }
        }
        variants = next;
        if variants.len() > 32 {
            break;
        }
    }
    variants.retain(|v| v != token);
    variants
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ocr_variants_repair_look_alikes_per_part() {
        let v = ocr_variants("HV-O75-BR");
        assert!(v.contains(&"HV-075-BR".to_string()), "{v:?}");
        let v = ocr_variants("HV-075-8R");
        assert!(v.contains(&"HV-075-BR".to_string()), "{v:?}");
        assert!(ocr_variants("HV-075-BR").iter().all(|v| v != "HV-075-BR"));
    }
}
