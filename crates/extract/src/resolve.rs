//! Resolution: which customer, ship-to and item a document means, by ids
//! first and names last, with the evidence kept so that confidence, review
//! messages and learning can use it.
//!
//! Every step collects the candidates of all ids it looks at: exactly one
//! candidate resolves, several stop the search as ambiguous, none passes to
//! the next step. Fuzzy steps only suggest: their result always carries a
//! reason, so it never reaches auto-approval.

use prodline_core::{ItemIdKind, ParsedLine, ParsedOrder, Party, PartyRole, Reason, ReasonCode};
use serde::{Deserialize, Serialize};

use crate::master::{Customer, Item, MasterData, ShipTo};
use crate::memory::{LearnedKind, Memory};
use crate::normalize::{address_key, company_key, description_similarity, description_tokens, email_address};

/// How a customer was found, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerMethod {
    /// Interchange sender id (ISA06, GS02, UNB) in `edi_ids`.
    SenderId,
    /// A party's id (N104, NAD C082) in `edi_ids` or equal to the customer id.
    PartyId,
    /// The e-mail sender's domain in `email_domains`.
    EmailDomain,
    /// A party's name equals the customer's name or an alias.
    Name,
    /// The ship-to address is a known ship-to of this customer only.
    ShipToAddress,
    /// An id, address or name a reviewer taught ([`Memory::learn`]).
    Learned,
    /// A party's name resembles the customer's name: a suggestion only.
    Fuzzy,
    /// Several customers match at one step.
    Ambiguous,
    Unresolved,
}

impl CustomerMethod {
    pub fn confidence(self) -> f64 {
        match self {
            CustomerMethod::SenderId => 1.0,
            CustomerMethod::PartyId => 0.99,
            CustomerMethod::Learned => 0.97,
            CustomerMethod::EmailDomain => 0.97,
            CustomerMethod::Name => 0.93,
            CustomerMethod::ShipToAddress => 0.92,
            CustomerMethod::Fuzzy => 0.6,
            CustomerMethod::Ambiguous | CustomerMethod::Unresolved => 0.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerMatch {
    pub customer_id: Option<String>,
    pub method: CustomerMethod,
    pub confidence: f64,
    /// What matched, for people: `sender id "ACME01"`.
    pub evidence: String,
    /// Set when the match needs a person (fuzzy, ambiguous, unknown).
    pub reason: Option<Reason>,
}

/// How a line's item was found, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemMethod {
    /// The customer's cross-reference (customer_items.csv).
    CrossReference,
    /// A cross-reference a reviewer taught.
    LearnedCrossReference,
    /// Our SKU.
    Sku,
    /// UPC/EAN/GTIN, leading zeros ignored.
    Gtin,
    /// An item alias or the exact description.
    Alias,
    /// Description similarity: a suggestion only.
    Fuzzy,
    Ambiguous,
    Unresolved,
}

impl ItemMethod {
    pub fn confidence(self) -> f64 {
        match self {
            ItemMethod::CrossReference => 0.995,
            ItemMethod::Sku | ItemMethod::Gtin => 0.99,
            ItemMethod::LearnedCrossReference => 0.98,
            ItemMethod::Alias => 0.95,
            ItemMethod::Fuzzy => 0.6,
            ItemMethod::Ambiguous | ItemMethod::Unresolved => 0.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemMatch {
    pub sku: Option<String>,
    pub method: ItemMethod,
    pub confidence: f64,
    pub evidence: String,
    pub reason: Option<Reason>,
}

/// How a ship-to was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShipToMethod {
    /// The document names no ship-to: `ship_to` stays empty, rightly.
    NotStated,
    /// The ShipTo party's id equals the ship-to's `edi_code` or id.
    Code,
    /// Name or address equal after normalisation.
    Address,
    /// Address similar above the acceptance threshold.
    FuzzyAddress,
    Ambiguous,
    Unresolved,
}

impl ShipToMethod {
    pub fn confidence(self) -> f64 {
        match self {
            ShipToMethod::NotStated | ShipToMethod::Code => 1.0,
            ShipToMethod::Address => 0.97,
            ShipToMethod::FuzzyAddress => 0.9,
            ShipToMethod::Ambiguous | ShipToMethod::Unresolved => 0.5,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShipToMatch {
    pub ship_to: Option<String>,
    pub method: ShipToMethod,
    pub confidence: f64,
    pub evidence: String,
    pub reason: Option<Reason>,
}

/// A customer name must be at least this similar (Jaro-Winkler on
/// normalised names) to be suggested at all.
const FUZZY_CUSTOMER_MIN: f64 = 0.88;
/// A description must be at least this similar (token Dice) to suggest an item.
const FUZZY_ITEM_MIN: f64 = 0.5;
/// Two fuzzy candidates closer than this are a tie: ambiguous.
const FUZZY_TIE: f64 = 0.02;
/// A ship-to address similar at least this much is accepted (lower confidence).
const FUZZY_SHIP_TO_MIN: f64 = 0.9;

/// A customer step that found something: how, which customer ids, and what matched.
type CustomerFound = (CustomerMethod, Vec<String>, String);

/// An item step that found something: the SKUs and what matched.
type ItemFound = (Vec<String>, String);

/// One step's outcome over customers: ids of the customers found.
fn customer_ids<'a>(found: impl IntoIterator<Item = &'a Customer>) -> Vec<String> {
    let mut ids: Vec<String> = found.into_iter().map(|c| c.customer_id.clone()).collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Parties that may name the customer, buyer first; never our own side
/// (supplier, ship-from).
fn customer_parties(order: &ParsedOrder) -> Vec<&Party> {
    let rank = |role: PartyRole| match role {
        PartyRole::Buyer => Some(0),
        PartyRole::BillTo => Some(1),
        PartyRole::ShipTo => Some(2),
        PartyRole::Other => Some(3),
        PartyRole::Supplier | PartyRole::ShipFrom => None,
    };
    let mut parties: Vec<(u8, &Party)> = order.parties.iter().filter_map(|p| rank(p.role).map(|r| (r, p))).collect();
    parties.sort_by_key(|(r, _)| *r);
    parties.into_iter().map(|(_, p)| p).collect()
}

/// The qualifier of a party id a model gave (`customer_id`, `ship_to`):
/// ids as the model believes them, accepted only where the master data has
/// them.
pub const MODEL_QUALIFIER: &str = "model";

/// Resolve the customer of an order: sender id, party ids, e-mail sender,
/// names, and only then a fuzzy name suggestion. A customer id a model gave
/// never outranks the sender's e-mail domain: the e-mail is asked first.
pub fn resolve_customer(
    order: &ParsedOrder,
    from: Option<&str>,
    master: &MasterData,
    memory: &Memory,
) -> CustomerMatch {
    let from_model = order.parties.iter().any(|p| {
        p.role == PartyRole::Buyer && p.id.as_ref().and_then(|i| i.qualifier.as_deref()) == Some(MODEL_QUALIFIER)
    });
    let by_party: &dyn Fn() -> Option<CustomerFound> = &|| by_party_id(order, master, memory);
    let by_sender: &dyn Fn() -> Option<CustomerFound> = &|| by_email(from, master, memory);
    let (second, third) = if from_model { (by_sender, by_party) } else { (by_party, by_sender) };
    let steps: [&dyn Fn() -> Option<CustomerFound>; 5] =
        [&|| by_sender_id(order, master, memory), second, third, &|| by_name(order, master, memory), &|| {
            by_ship_to_address(order, master)
        }];
    for step in steps {
        if let Some((method, ids, evidence)) = step() {
            return customer_step_result(method, ids, evidence);
        }
    }
    fuzzy_customer(order, master)
}

fn customer_step_result(method: CustomerMethod, ids: Vec<String>, evidence: String) -> CustomerMatch {
    if let [id] = ids.as_slice() {
        return CustomerMatch {
            customer_id: Some(id.clone()),
            method,
            confidence: method.confidence(),
            evidence,
            reason: None,
        };
    }
    let message = format!("{evidence} matches several customers: {}", ids.join(", "));
    CustomerMatch {
        customer_id: None,
        method: CustomerMethod::Ambiguous,
        confidence: 0.0,
        evidence,
        reason: Some(Reason::new(ReasonCode::AmbiguousCustomer, message)),
    }
}

/// A learned key, or the master-data candidates for it.
fn learned_or<'a>(
    memory: &Memory,
    kind: LearnedKind,
    key: &str,
    master: &'a MasterData,
    lookup: impl Fn(&str) -> Vec<&'a Customer>,
) -> Option<(CustomerMethod, Vec<String>)> {
    if let Some(id) = memory.learned_customer(kind, key).filter(|id| master.customer(id).is_some()) {
        return Some((CustomerMethod::Learned, vec![id.to_string()]));
    }
    let ids = customer_ids(lookup(key));
    if ids.is_empty() { None } else { Some((CustomerMethod::PartyId, ids)) }
}

fn by_sender_id(order: &ParsedOrder, master: &MasterData, memory: &Memory) -> Option<CustomerFound> {
    let senders = order.sender.iter().map(|s| s.value.as_str()).chain(order.group_sender.as_deref());
    for sender in senders.filter(|s| !s.trim().is_empty()) {
        let found = learned_or(memory, LearnedKind::CustomerId, sender, master, |k| master.customers_by_edi_id(k));
        if let Some((method, ids)) = found {
            let method = if method == CustomerMethod::Learned { method } else { CustomerMethod::SenderId };
            return Some((method, ids, format!("sender id {:?}", sender.trim())));
        }
    }
    None
}

fn by_party_id(order: &ParsedOrder, master: &MasterData, memory: &Memory) -> Option<CustomerFound> {
    for party in customer_parties(order) {
        let Some(id) = party.id.as_ref().map(|i| i.value.as_str()).filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        let is_buyer = party.role == PartyRole::Buyer;
        let found = learned_or(memory, LearnedKind::CustomerId, id, master, |k| {
            let mut found = master.customers_by_edi_id(k);
            // A buyer often quotes the account number we gave it.
            if is_buyer && let Some(c) = master.customer(k) {
                found.push(c);
            }
            found
        });
        if let Some((method, ids)) = found {
            return Some((method, ids, format!("{} party id {:?}", party.code, id.trim())));
        }
    }
    None
}

fn by_email(from: Option<&str>, master: &MasterData, memory: &Memory) -> Option<CustomerFound> {
    let address = email_address(from?)?;
    if let Some(id) =
        memory.learned_customer(LearnedKind::CustomerEmail, &address).filter(|id| master.customer(id).is_some())
    {
        return Some((CustomerMethod::Learned, vec![id.to_string()], format!("sender address {address:?}")));
    }
    let (_, domain) = address.rsplit_once('@')?;
    let ids = customer_ids(master.customers_by_domain(domain));
    if ids.is_empty() { None } else { Some((CustomerMethod::EmailDomain, ids, format!("e-mail domain {domain:?}"))) }
}

fn by_name(order: &ParsedOrder, master: &MasterData, memory: &Memory) -> Option<CustomerFound> {
    for party in customer_parties(order) {
        let Some(name) = party.name.as_deref().filter(|n| !company_key(n).is_empty()) else { continue };
        if let Some(id) =
            memory.learned_customer(LearnedKind::CustomerName, name).filter(|id| master.customer(id).is_some())
        {
            return Some((CustomerMethod::Learned, vec![id.to_string()], format!("{} name {name:?}", party.code)));
        }
        let ids = customer_ids(master.customers_by_name(name));
        if !ids.is_empty() {
            return Some((CustomerMethod::Name, ids, format!("{} name {name:?}", party.code)));
        }
    }
    None
}

/// A ship-to address known for exactly one customer names that customer
/// (an upload that carries nothing else). Addresses only: ship-to codes are
/// the customers' own and collide between them.
fn by_ship_to_address(order: &ParsedOrder, master: &MasterData) -> Option<CustomerFound> {
    let party = order.party(PartyRole::ShipTo)?;
    let mut keys: Vec<String> = party.name.iter().map(|n| address_key(n)).collect();
    keys.push(party_address_key(party));
    keys.retain(|k| !k.is_empty());
    let ids = customer_ids(
        master
            .ship_tos
            .iter()
            .filter(|s| keys.iter().any(|k| *k == address_key(&s.address)))
            .filter_map(|s| master.customer(&s.customer_id)),
    );
    if ids.is_empty() {
        return None;
    }
    Some((CustomerMethod::ShipToAddress, ids, format!("ship-to address {:?}", keys.join(" / "))))
}

fn fuzzy_customer(order: &ParsedOrder, master: &MasterData) -> CustomerMatch {
    let names: Vec<(&str, &str)> = customer_parties(order)
        .into_iter()
        .filter_map(|p| p.name.as_deref().map(|n| (p.code.as_str(), n)))
        .filter(|(_, n)| !company_key(n).is_empty())
        .collect();
    for (code, name) in &names {
        let (score, found) = master.closest_customers(name);
        if score < FUZZY_CUSTOMER_MIN || found.is_empty() {
            continue;
        }
        let ids = customer_ids(found);
        let evidence = format!("{code} name {name:?} resembles (similarity {score:.2})");
        if let [id] = ids.as_slice() {
            let message = format!("customer guessed as {id}: {evidence} but matches no name or alias exactly; confirm");
            return CustomerMatch {
                customer_id: Some(id.clone()),
                method: CustomerMethod::Fuzzy,
                confidence: (score * CustomerMethod::Fuzzy.confidence()).min(CustomerMethod::Fuzzy.confidence()),
                evidence,
                reason: Some(Reason::new(ReasonCode::AmbiguousCustomer, message)),
            };
        }
        return customer_step_result(CustomerMethod::Fuzzy, ids, evidence);
    }
    let said = if names.is_empty() {
        "the document names no buyer".to_string()
    } else {
        names.iter().map(|(code, n)| format!("{code} {n:?}")).collect::<Vec<_>>().join(", ")
    };
    let ids = sender_summary(order);
    CustomerMatch {
        customer_id: None,
        method: CustomerMethod::Unresolved,
        confidence: 0.0,
        evidence: String::new(),
        reason: Some(Reason::new(
            ReasonCode::UnknownCustomer,
            format!("no customer matches ({said}{ids}); add the id or name to customers.csv"),
        )),
    }
}

/// `, sender "X", party ids ...` for the unknown-customer message.
fn sender_summary(order: &ParsedOrder) -> String {
    let mut parts = Vec::new();
    if let Some(s) = &order.sender {
        parts.push(format!("sender {:?}", s.value.trim()));
    }
    for p in customer_parties(order) {
        if let Some(id) = &p.id {
            parts.push(format!("{} id {:?}", p.code, id.value.trim()));
        }
    }
    if parts.is_empty() { String::new() } else { format!("; {}", parts.join(", ")) }
}

/// Ids of a line in the order the cross-reference is consulted: the buyer's
/// own part numbers first, GTINs never (they are global, not the customer's).
fn cross_ref_ids(line: &ParsedLine) -> Vec<&str> {
    let order = [ItemIdKind::BuyerPart, ItemIdKind::Sku, ItemIdKind::Other, ItemIdKind::VendorPart];
    order
        .iter()
        .flat_map(|kind| line.item_ids.iter().filter(move |i| i.kind == *kind))
        .map(|i| i.value.as_str())
        .filter(|v| !v.trim().is_empty())
        .collect()
}

fn ids_of<'a>(line: &'a ParsedLine, kinds: &[ItemIdKind]) -> Vec<&'a str> {
    line.item_ids
        .iter()
        .filter(|i| kinds.contains(&i.kind))
        .map(|i| i.value.as_str())
        .filter(|v| !v.trim().is_empty())
        .collect()
}

fn skus<'a>(found: impl IntoIterator<Item = &'a Item>) -> Vec<String> {
    let mut skus: Vec<String> = found.into_iter().map(|i| i.sku.clone()).collect();
    skus.sort();
    skus.dedup();
    skus
}

/// One item step over several keys: the union of what each key finds.
fn item_step<'a>(keys: &[&str], lookup: impl Fn(&str) -> Vec<&'a Item>) -> Option<ItemFound> {
    let mut found = Vec::new();
    let mut matched = Vec::new();
    for key in keys {
        let items = lookup(key);
        if !items.is_empty() {
            matched.push(format!("{:?}", key.trim()));
            found.extend(items);
        }
    }
    let skus = skus(found);
    if skus.is_empty() { None } else { Some((skus, matched.join(", "))) }
}

/// Resolve a line's item. `label` names the line in messages (`line 2`).
pub fn resolve_item(
    line: &ParsedLine,
    label: &str,
    customer_id: Option<&str>,
    master: &MasterData,
    memory: &Memory,
) -> ItemMatch {
    let description = line.description.as_deref().map(str::trim).filter(|d| !d.is_empty());
    let xref_ids = cross_ref_ids(line);
    let mut steps: Vec<(ItemMethod, Option<ItemFound>)> = Vec::new();
    if let Some(customer) = customer_id {
        let mut learned_keys = xref_ids.clone();
        learned_keys.extend(description);
        // A code that is one of our own SKUs names that item: a lesson
        // mapping it to another item (learned from a misread line) never wins.
        let learned = item_step(&learned_keys, |k| {
            let learned = memory.learned_cross_ref(customer, k).and_then(|sku| master.item(sku));
            let own = master.item(k);
            learned.filter(|item| own.is_none_or(|own| own.sku == item.sku)).into_iter().collect()
        });
        steps.push((ItemMethod::LearnedCrossReference, learned));
        steps.push((ItemMethod::CrossReference, item_step(&xref_ids, |k| master.cross_ref(customer, k))));
    }
    let own = ids_of(line, &[ItemIdKind::VendorPart, ItemIdKind::Sku, ItemIdKind::Other]);
    steps.push((ItemMethod::Sku, item_step(&own, |k| master.items_by_sku(k))));
    let all_ids: Vec<&str> = ids_of(
        line,
        &[ItemIdKind::Gtin, ItemIdKind::BuyerPart, ItemIdKind::VendorPart, ItemIdKind::Sku, ItemIdKind::Other],
    );
    steps.push((ItemMethod::Gtin, item_step(&all_ids, |k| master.items_by_gtin(k))));
    let mut alias_keys = all_ids.clone();
    alias_keys.extend(description);
    steps.push((ItemMethod::Alias, item_step(&alias_keys, |k| master.items_by_alias(k))));
    for (method, result) in steps {
        if let Some((skus, evidence)) = result {
            return item_step_result(label, method, skus, evidence);
        }
    }
    fuzzy_item(line, label, description, master)
}

fn item_step_result(label: &str, method: ItemMethod, skus: Vec<String>, evidence: String) -> ItemMatch {
    let evidence = format!("{} {evidence}", method_label(method));
    if let [sku] = skus.as_slice() {
        return ItemMatch { sku: Some(sku.clone()), method, confidence: method.confidence(), evidence, reason: None };
    }
    let message = format!("{label}: {evidence} matches several items: {}; pick one", skus.join(", "));
    ItemMatch {
        sku: None,
        method: ItemMethod::Ambiguous,
        confidence: 0.0,
        evidence,
        reason: Some(Reason::new(ReasonCode::AmbiguousItem, message)),
    }
}

fn method_label(method: ItemMethod) -> &'static str {
    match method {
        ItemMethod::CrossReference => "customer part",
        ItemMethod::LearnedCrossReference => "learned customer part",
        ItemMethod::Sku => "SKU",
        ItemMethod::Gtin => "GTIN",
        ItemMethod::Alias => "alias",
        ItemMethod::Fuzzy => "description",
        ItemMethod::Ambiguous | ItemMethod::Unresolved => "item",
    }
}

fn fuzzy_item(line: &ParsedLine, label: &str, description: Option<&str>, master: &MasterData) -> ItemMatch {
    let unresolved = |message: String| ItemMatch {
        sku: None,
        method: ItemMethod::Unresolved,
        confidence: 0.0,
        evidence: String::new(),
        reason: Some(Reason::new(ReasonCode::UnknownItem, message)),
    };
    let ids: Vec<String> = line.item_ids.iter().map(|i| format!("{:?}", i.value.trim())).collect();
    let said = match (ids.is_empty(), description) {
        (true, None) => "no item id or description".to_string(),
        (false, None) => format!("ids {}", ids.join(", ")),
        (true, Some(d)) => format!("description {d:?}"),
        (false, Some(d)) => format!("ids {}, description {d:?}", ids.join(", ")),
    };
    let Some(text) = description else {
        return unresolved(format!("{label}: {said} match no item; add a cross-reference or alias"));
    };
    let scored = master.fuzzy_items(text);
    let Some((best, score)) = scored.first().filter(|(_, s)| *s >= FUZZY_ITEM_MIN) else {
        return unresolved(format!("{label}: {said} match no item; add a cross-reference or alias"));
    };
    let evidence = format!("description {text:?} resembles {:?} (similarity {score:.2})", best.description);
    let ties: Vec<String> =
        scored.iter().take_while(|(_, s)| score - s < FUZZY_TIE).map(|(i, _)| i.sku.clone()).collect();
    if ties.len() > 1 {
        return item_step_result(label, ItemMethod::Fuzzy, ties, evidence);
    }
    let message = format!("{label}: item guessed as {} only from its {evidence}; confirm", best.sku);
    ItemMatch {
        sku: Some(best.sku.clone()),
        method: ItemMethod::Fuzzy,
        confidence: score * ItemMethod::Fuzzy.confidence(),
        evidence,
        reason: Some(Reason::new(ReasonCode::FuzzyItemMatch, message)),
    }
}

/// Everything a ShipTo party says about where to deliver, as one key.
fn party_address_key(party: &Party) -> String {
    let mut parts: Vec<&str> = party.address.iter().map(String::as_str).collect();
    parts.extend(party.city.as_deref());
    parts.extend(party.region.as_deref());
    parts.extend(party.postal_code.as_deref());
    address_key(&parts.join(" "))
}

/// Resolve the ship-to among the customer's ship-tos. No ShipTo party means
/// no ship-to, which is not a problem.
pub fn resolve_ship_to(order: &ParsedOrder, customer_id: Option<&str>, master: &MasterData) -> ShipToMatch {
    let not_stated = ShipToMatch {
        ship_to: None,
        method: ShipToMethod::NotStated,
        confidence: 1.0,
        evidence: String::new(),
        reason: None,
    };
    let Some(party) = order.party(PartyRole::ShipTo) else { return not_stated };
    let id = party.id.as_ref().map(|i| i.value.trim()).filter(|v| !v.is_empty());
    let name = party.name.as_deref().map(str::trim).filter(|v| !v.is_empty());
    let address = party_address_key(party);
    if id.is_none() && name.is_none() && address.is_empty() {
        return not_stated;
    }
    // Without a customer there is nothing to pick from; the unknown customer
    // already sends the order to review.
    let Some(customer) = customer_id else {
        return ShipToMatch { method: ShipToMethod::Unresolved, confidence: 0.5, ..not_stated };
    };
    let candidates = master.ship_tos_of(customer);
    let described = describe_ship_to(id, name, party);
    if let Some(found) = ship_to_by_code(id, &candidates) {
        return found;
    }
    if let Some(found) = ship_to_by_address(name, &address, &candidates, &described) {
        return found;
    }
    ShipToMatch {
        ship_to: None,
        method: ShipToMethod::Unresolved,
        confidence: ShipToMethod::Unresolved.confidence(),
        evidence: described.clone(),
        reason: Some(Reason::new(
            ReasonCode::UnknownShipTo,
            format!(
                "ship-to {described} matches none of {customer}'s {} ship-tos; add it to ship_tos.csv",
                candidates.len()
            ),
        )),
    }
}

fn describe_ship_to(id: Option<&str>, name: Option<&str>, party: &Party) -> String {
    let mut parts = Vec::new();
    if let Some(id) = id {
        parts.push(format!("id {id:?}"));
    }
    if let Some(name) = name {
        parts.push(format!("name {name:?}"));
    }
    let lines: Vec<&str> = party.address.iter().map(String::as_str).chain(party.city.as_deref()).collect();
    if !lines.is_empty() {
        parts.push(format!("address {:?}", lines.join(", ")));
    }
    parts.join(", ")
}

fn accepted(ship_to: &ShipTo, method: ShipToMethod, evidence: String) -> ShipToMatch {
    ShipToMatch {
        ship_to: Some(ship_to.ship_to_id.clone()),
        method,
        confidence: method.confidence(),
        evidence,
        reason: None,
    }
}

fn ship_to_by_code(id: Option<&str>, candidates: &[&ShipTo]) -> Option<ShipToMatch> {
    let id = crate::normalize::code_key(id?);
    let found: Vec<&&ShipTo> = candidates
        .iter()
        .filter(|s| {
            s.edi_code.as_deref().is_some_and(|c| crate::normalize::code_key(c) == id)
                || crate::normalize::code_key(&s.ship_to_id) == id
        })
        .collect();
    match found.as_slice() {
        [one] => Some(accepted(one, ShipToMethod::Code, format!("ship-to code {id:?}"))),
        _ => None,
    }
}

fn ship_to_by_address(
    name: Option<&str>,
    address: &str,
    candidates: &[&ShipTo],
    described: &str,
) -> Option<ShipToMatch> {
    if !address.is_empty() {
        let exact: Vec<&&ShipTo> = candidates.iter().filter(|s| address_key(&s.address) == address).collect();
        if let [one] = exact.as_slice() {
            return Some(accepted(one, ShipToMethod::Address, format!("ship-to {described}")));
        }
    }
    if let Some(name) = name {
        // Spreadsheets often carry the whole address in one "ship to" cell.
        let key = address_key(name);
        let exact: Vec<&&ShipTo> =
            candidates.iter().filter(|s| address_key(&s.name) == key || address_key(&s.address) == key).collect();
        if let [one] = exact.as_slice() {
            return Some(accepted(one, ShipToMethod::Address, format!("ship-to {described}")));
        }
    }
    fuzzy_ship_to(name, address, candidates, described)
}

/// Accept a similar address only when it is clearly the best one.
fn fuzzy_ship_to(name: Option<&str>, address: &str, candidates: &[&ShipTo], described: &str) -> Option<ShipToMatch> {
    let doc_tokens = description_tokens(&format!("{} {address}", name.map(address_key).unwrap_or_default()));
    let mut scored: Vec<(f64, &&ShipTo)> = candidates
        .iter()
        .map(|s| {
            let full = description_tokens(&format!("{} {}", address_key(&s.name), address_key(&s.address)));
            let address = description_tokens(&address_key(&s.address));
            let score = description_similarity(&doc_tokens, &full).max(description_similarity(&doc_tokens, &address));
            (score, s)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (best, ship_to) = scored.first()?;
    let runner_up = scored.get(1).map_or(0.0, |s| s.0);
    if *best >= FUZZY_SHIP_TO_MIN && best - runner_up >= FUZZY_TIE {
        return Some(ShipToMatch {
            evidence: format!("ship-to {described} resembles {} (similarity {best:.2})", ship_to.ship_to_id),
            ..accepted(ship_to, ShipToMethod::FuzzyAddress, String::new())
        });
    }
    None
}
