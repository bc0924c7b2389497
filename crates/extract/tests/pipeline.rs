//! The pipeline against a small master data fixture (tests/fixtures/master):
//! every resolution step, every validation rule, the decision invariant,
//! memory (duplicates, outliers, learning) and master-data load errors.
//! Most documents are built by hand; `end_to_end` runs real bytes.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::NaiveDate;
use prodline_core::{
    CanonicalOrder, Decimal, Decision, Diagnostic, Format, ItemId, ItemIdKind, ParsedDocument, ParsedLine, ParsedOrder,
    Party, PartyId, Position, ReasonCode, SkippedSet,
};
use prodline_extract::memory::LearnedKind;
use prodline_extract::resolve::{CustomerMethod, ItemMethod, ShipToMethod};
use prodline_extract::{Context, DecisionConfig, MasterData, Memory, Outcome, process, resolve_document};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/master")
}

fn master() -> MasterData {
    MasterData::load_dir(&fixture_dir()).unwrap_or_else(|e| panic!("fixture master data: {e}"))
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn party(code: &str, id: Option<&str>, name: Option<&str>) -> Party {
    let mut p = Party::new(code);
    p.id = id.map(|v| PartyId { qualifier: Some("92".into()), value: v.into() });
    p.name = name.map(str::to_string);
    p
}

fn id(kind: ItemIdKind, value: &str) -> ItemId {
    ItemId { kind, qualifier: None, value: value.to_string() }
}

fn line(ids: Vec<ItemId>, qty: &str, uom: Option<&str>, price: Option<&str>) -> ParsedLine {
    ParsedLine {
        item_ids: ids,
        qty: Some(dec(qty)),
        uom: uom.map(str::to_string),
        unit_price: price.map(dec),
        ..Default::default()
    }
}

fn bp(value: &str, qty: &str) -> ParsedLine {
    line(vec![id(ItemIdKind::BuyerPart, value)], qty, Some("EA"), None)
}

/// An order from Acme (sender id) unless the parties say otherwise.
fn order(po: &str, parties: Vec<Party>, lines: Vec<ParsedLine>) -> ParsedOrder {
    ParsedOrder {
        po_number: Some(po.to_string()),
        order_date: NaiveDate::from_ymd_opt(2026, 3, 2),
        parties,
        lines,
        ..Default::default()
    }
}

fn acme(po: &str, lines: Vec<ParsedLine>) -> ParsedOrder {
    let mut o = order(po, vec![], lines);
    o.sender = Some(PartyId { qualifier: Some("ZZ".into()), value: "ACMEEDI01       ".into() });
    o
}

fn doc(orders: Vec<ParsedOrder>) -> ParsedDocument {
    ParsedDocument { orders, ..ParsedDocument::new(Format::X12) }
}

fn ctx(name: &str) -> Context {
    Context { file_name: Some(name.to_string()), ..Default::default() }
}

struct Harness {
    master: MasterData,
    memory: Memory,
    config: DecisionConfig,
}

impl Harness {
    fn new() -> Harness {
        Harness { master: master(), memory: Memory::default(), config: DecisionConfig::default() }
    }

    /// Resolve and check the decision invariant on every outcome any test makes.
    fn run(&self, parsed: &ParsedDocument, ctx: &Context) -> Outcome {
        let outcome = resolve_document(parsed, ctx, &self.master, &self.memory, &self.config);
        assert_decision_invariant(&outcome, &self.config);
        outcome
    }

    fn run_and_observe(&mut self, parsed: &ParsedDocument, ctx: &Context) -> Outcome {
        let outcome = self.run(parsed, ctx);
        self.memory.observe(&outcome, ctx);
        outcome
    }
}

/// Nothing is auto-approved without a confidence and a passed validation;
/// nothing goes to review without a reason.
fn assert_decision_invariant(outcome: &Outcome, config: &DecisionConfig) {
    assert!((0.0..=1.0).contains(&outcome.confidence), "confidence {}", outcome.confidence);
    match outcome.decision {
        Decision::Auto => {
            assert!(outcome.reasons.is_empty(), "auto with reasons {:?}", outcome.reasons);
            assert!(outcome.confidence >= config.auto_threshold, "auto at {}", outcome.confidence);
            assert!(!outcome.orders.is_empty());
            for o in &outcome.orders {
                assert!(o.reasons.is_empty() && o.confidence >= config.auto_threshold);
                assert!(o.order.customer_id.is_some() && o.order.lines.iter().all(|l| l.sku.is_some()));
            }
        }
        Decision::Review => assert!(!outcome.reasons.is_empty(), "review without a reason"),
    }
}

fn codes(outcome: &Outcome) -> Vec<ReasonCode> {
    outcome.reasons.iter().map(|r| r.code).collect()
}

fn only_order(outcome: &Outcome) -> &prodline_extract::ResolvedOrder {
    assert_eq!(outcome.orders.len(), 1, "{:?}", outcome.orders);
    &outcome.orders[0]
}

// ---------------------------------------------------------------- customers

#[test]
fn customer_by_interchange_sender_id() {
    let h = Harness::new();
    let out = h.run(&doc(vec![acme("PO-1", vec![bp("88-1200", "10")])]), &ctx("a"));
    let o = only_order(&out);
    assert_eq!(o.order.customer_id.as_deref(), Some("C0001"));
    assert_eq!(o.customer.method, CustomerMethod::SenderId);
    assert_eq!(out.decision, Decision::Auto, "{:?}", out.reasons);
}

#[test]
fn customer_by_group_sender_when_isa_sender_is_a_van() {
    let h = Harness::new();
    let mut o = order("PO-2", vec![], vec![bp("BH-4711", "10")]);
    o.sender = Some(PartyId { qualifier: Some("01".into()), value: "VANHUB".into() });
    o.group_sender = Some("BERGMANNHYD".into());
    let out = h.run(&doc(vec![o]), &ctx("a"));
    assert_eq!(only_order(&out).order.customer_id.as_deref(), Some("C0002"));
    assert_eq!(only_order(&out).order.currency.as_deref(), Some("EUR"), "customer's currency by default");
}

#[test]
fn customer_by_buyer_party_id_and_by_account_number() {
    let h = Harness::new();
    let by_duns = order("PO-3", vec![party("BY", Some("0123456789"), None)], vec![bp("88-1200", "1")]);
    let by_account = order("PO-4", vec![party("BY", Some("c0003"), None)], vec![bp("CV-9", "1")]);
    let out = h.run(&doc(vec![by_duns, by_account]), &ctx("a"));
    let found: Vec<_> = out.orders.iter().map(|o| (o.order.customer_id.clone(), o.customer.method)).collect();
    assert_eq!(
        found,
        vec![
            (Some("C0001".to_string()), CustomerMethod::PartyId),
            (Some("C0003".to_string()), CustomerMethod::PartyId)
        ]
    );
}

#[test]
fn customer_by_other_party_id_when_buyer_has_none() {
    let h = Harness::new();
    let o = order("PO-5", vec![party("BY", None, None), party("BT", Some("DELTAFP"), None)], vec![bp("X", "1")]);
    let out = h.run(&doc(vec![o]), &ctx("a"));
    assert_eq!(only_order(&out).order.customer_id.as_deref(), Some("C0004"));
}

#[test]
fn customer_by_email_domain_including_sub_domains() {
    let h = Harness::new();
    let c = Context { from: Some("Hans <hans@Mail.Bergmann.example>".into()), ..ctx("mail.csv") };
    let out = h.run(&doc(vec![order("PO-6", vec![], vec![bp("BH-4711", "3")])]), &c);
    let o = only_order(&out);
    assert_eq!(o.order.customer_id.as_deref(), Some("C0002"));
    assert_eq!(o.customer.method, CustomerMethod::EmailDomain);
}

#[test]
fn customer_by_name_or_alias_after_normalisation() {
    let h = Harness::new();
    let by_alias = order("PO-7", vec![party("BY", None, Some("ACME SUPPLY CO."))], vec![bp("88-1200", "1")]);
    let by_name = order("PO-8", vec![party("BY", None, Some("bergmann hydraulik"))], vec![bp("BH-4711", "1")]);
    let out = h.run(&doc(vec![by_alias, by_name]), &ctx("a"));
    let found: Vec<_> = out.orders.iter().map(|o| (o.order.customer_id.clone(), o.customer.method)).collect();
    assert_eq!(
        found,
        vec![(Some("C0001".to_string()), CustomerMethod::Name), (Some("C0002".to_string()), CustomerMethod::Name)]
    );
}

#[test]
fn fuzzy_customer_name_only_suggests_and_never_auto_approves() {
    let h = Harness::new();
    let o = order("PO-9", vec![party("BY", None, Some("Cascade Valve Distributers"))], vec![bp("CV-9", "1")]);
    let out = h.run(&doc(vec![o]), &ctx("a"));
    let o = only_order(&out);
    assert_eq!(o.order.customer_id.as_deref(), Some("C0003"));
    assert_eq!(o.customer.method, CustomerMethod::Fuzzy);
    assert!(o.confidence <= 0.6);
    assert_eq!(out.decision, Decision::Review);
    assert_eq!(codes(&out), vec![ReasonCode::AmbiguousCustomer]);
}

#[test]
fn customer_and_ship_to_by_an_address_written_as_the_ship_to_name() {
    let h = Harness::new();
    let st = party("ST", None, Some("55 Harbor Rd., Toledo, OH 43604"));
    let out = h.run(&doc(vec![order("PO-SA", vec![st], vec![bp("88-1200", "1")])]), &ctx("upload.csv"));
    let o = only_order(&out);
    assert_eq!(o.order.customer_id.as_deref(), Some("C0001"));
    assert_eq!(o.customer.method, CustomerMethod::ShipToAddress);
    assert_eq!(o.order.ship_to.as_deref(), Some("ST-0001-02"));
    assert_eq!(o.ship_to.method, ShipToMethod::Address);
}

#[test]
fn unknown_and_ambiguous_customers_go_to_review() {
    let h = Harness::new();
    let unknown = order("PO-10", vec![party("BY", Some("999"), Some("Zenith Pumps"))], vec![bp("X", "1")]);
    let ambiguous = order("PO-11", vec![party("BY", None, Some("Pacific Group"))], vec![bp("X", "1")]);
    let out = h.run(&doc(vec![unknown, ambiguous]), &ctx("a"));
    assert_eq!(out.decision, Decision::Review);
    let first = &out.orders[0];
    assert_eq!(first.order.customer_id, None);
    assert!(first.reasons.iter().any(|r| r.code == ReasonCode::UnknownCustomer && r.message.contains("Zenith Pumps")));
    let second = &out.orders[1];
    assert_eq!(second.order.customer_id, None);
    assert!(second.reasons.iter().any(|r| r.code == ReasonCode::AmbiguousCustomer && r.message.contains("C0003")));
}

// ---------------------------------------------------------------- ship-tos

#[test]
fn ship_to_by_code_address_fuzzy_unknown_and_absent() {
    let h = Harness::new();
    let with_ship_to = |po: &str, st: Party| {
        let mut o = acme(po, vec![bp("88-1200", "1")]);
        o.parties.push(st);
        o
    };
    let by_code = with_ship_to("S1", party("ST", Some("0043"), Some("Toledo")));
    let mut by_address = party("ST", None, Some("Receiving"));
    by_address.address = vec!["1200 Industrial Pkwy".into()];
    by_address.city = Some("Dayton".into());
    by_address.region = Some("OH".into());
    by_address.postal_code = Some("45402".into());
    let by_address = with_ship_to("S2", by_address);
    let mut fuzzy = party("ST", None, Some("Acme Toledo Plant"));
    fuzzy.address = vec!["55 Harbour Road".into()];
    fuzzy.city = Some("Toledo OH 43604".into());
    let fuzzy = with_ship_to("S3", fuzzy);
    let unknown = with_ship_to("S4", party("ST", Some("9999"), Some("Somewhere Else")));
    let absent = acme("S5", vec![bp("88-1200", "1")]);
    let out = h.run(&doc(vec![by_code, by_address, fuzzy, unknown, absent]), &ctx("a"));
    let got: Vec<_> = out.orders.iter().map(|o| (o.order.ship_to.clone(), o.ship_to.method)).collect();
    assert_eq!(
        got,
        vec![
            (Some("ST-0001-02".to_string()), ShipToMethod::Code),
            (Some("ST-0001-01".to_string()), ShipToMethod::Address),
            (Some("ST-0001-02".to_string()), ShipToMethod::Address),
            (None, ShipToMethod::Unresolved),
            (None, ShipToMethod::NotStated),
        ]
    );
    assert!(out.orders[3].reasons.iter().any(|r| r.code == ReasonCode::UnknownShipTo && r.message.contains("9999")));
    assert!(out.orders[4].reasons.is_empty());
}

#[test]
fn ship_to_similar_address_is_accepted_with_lower_confidence() {
    let h = Harness::new();
    let mut st = party("ST", None, Some("Bergmann Werk Hamburg"));
    st.address = vec!["Hafenstr 12".into()];
    st.city = Some("Hamburg".into());
    let mut o = order("S6", vec![party("BY", Some("BERGMANNHYD"), None), st], vec![bp("BH-4711", "1")]);
    o.parties[1].name = Some("Bergman Werk Hamburg".into());
    let out = h.run(&doc(vec![o]), &ctx("a"));
    let o = only_order(&out);
    assert_eq!(o.order.ship_to.as_deref(), Some("ST-0002-01"), "{:?}", o.ship_to);
    assert_eq!(o.ship_to.method, ShipToMethod::FuzzyAddress);
    assert!(o.ship_to.confidence < 0.97);
}

// ---------------------------------------------------------------- items

fn resolved_item(h: &Harness, l: ParsedLine) -> (Option<String>, ItemMethod, Vec<ReasonCode>) {
    let out = h.run(&doc(vec![acme("PO-I", vec![l])]), &ctx("a"));
    let o = only_order(&out);
    (o.order.lines[0].sku.clone(), o.items[0].method, o.reasons.iter().map(|r| r.code).collect())
}

#[test]
fn item_by_each_exact_step() {
    let h = Harness::new();
    let cases = [
        (vec![id(ItemIdKind::BuyerPart, "88-1300")], "HV-100-BR", ItemMethod::CrossReference),
        (vec![id(ItemIdKind::BuyerPart, "88 1300")], "HV-100-BR", ItemMethod::CrossReference),
        (vec![id(ItemIdKind::VendorPart, " hv-075-br ")], "HV-075-BR", ItemMethod::Sku),
        (vec![id(ItemIdKind::Sku, "HV075BR")], "HV-075-BR", ItemMethod::Sku),
        (vec![id(ItemIdKind::Gtin, "012345678905")], "HV-075-BR", ItemMethod::Gtin),
        (vec![id(ItemIdKind::Gtin, "12345678905")], "HV-075-BR", ItemMethod::Gtin),
        (vec![id(ItemIdKind::Gtin, "0012345678905")], "HV-075-BR", ItemMethod::Gtin),
        (vec![id(ItemIdKind::Other, "12345678912")], "HV-100-BR", ItemMethod::Gtin),
        (vec![id(ItemIdKind::Other, "bv-3/4-br")], "HV-075-BR", ItemMethod::Alias),
        (vec![id(ItemIdKind::BuyerPart, "HEXBOLT10")], "FB-M10-ZN", ItemMethod::Alias),
    ];
    for (ids, sku, method) in cases {
        let label = format!("{ids:?}");
        let (got, got_method, reasons) = resolved_item(&h, line(ids, "5", Some("EA"), None));
        assert_eq!((got.as_deref(), got_method), (Some(sku), method), "{label}");
        assert!(reasons.is_empty(), "{label}: {reasons:?}");
    }
}

#[test]
fn cross_reference_belongs_to_its_customer() {
    let h = Harness::new();
    let mut o = order("PO-X", vec![party("BY", Some("BERGMANNHYD"), None)], vec![bp("88-1200", "1")]);
    o.lines[0].description = None;
    let out = h.run(&doc(vec![o]), &ctx("a"));
    assert_eq!(only_order(&out).order.lines[0].sku, None);
    assert_eq!(codes(&out), vec![ReasonCode::UnknownItem]);
    assert!(out.reasons[0].message.contains("88-1200") && out.reasons[0].message.contains("line 1"));
}

#[test]
fn exact_description_counts_as_an_alias() {
    let h = Harness::new();
    let mut l = line(vec![], "2", Some("EA"), None);
    l.description = Some("2in Cast-Iron Gate Valve".into());
    let (sku, method, reasons) = resolved_item(&h, l);
    assert_eq!((sku.as_deref(), method), (Some("GV-200-CI"), ItemMethod::Alias));
    assert!(reasons.is_empty());
}

#[test]
fn fuzzy_description_suggests_but_never_auto_approves() {
    let h = Harness::new();
    let mut l = line(vec![id(ItemIdKind::BuyerPart, "NEW-77")], "2", Some("EA"), None);
    l.description = Some("brass ball valve 3/4in lead free".into());
    let out = h.run(&doc(vec![acme("PO-F", vec![l])]), &ctx("a"));
    let o = only_order(&out);
    assert_eq!(o.order.lines[0].sku.as_deref(), Some("HV-075-BR"));
    assert_eq!(o.items[0].method, ItemMethod::Fuzzy);
    assert_eq!(codes(&out), vec![ReasonCode::FuzzyItemMatch]);
    assert_eq!(out.decision, Decision::Review);
    assert_eq!(o.order.lines[0].customer_part.as_deref(), Some("NEW-77"));
}

#[test]
fn ambiguous_item_names_the_candidates() {
    let h = Harness::new();
    let (sku, method, reasons) =
        resolved_item(&h, line(vec![id(ItemIdKind::Other, "CHECKVALVE-1/2")], "1", None, None));
    assert_eq!((sku, method), (None, ItemMethod::Ambiguous));
    assert_eq!(reasons, vec![ReasonCode::AmbiguousItem]);
    let h2 = Harness::new();
    let out = h2.run(
        &doc(vec![acme("PO-A", vec![line(vec![id(ItemIdKind::Other, "checkvalve-1/2")], "1", None, None)])]),
        &ctx("a"),
    );
    assert!(out.reasons[0].message.contains("CV-050-BR, CV-050-SS"), "{}", out.reasons[0].message);
}

// ---------------------------------------------------------------- units and prices

#[test]
fn unit_defaults_to_the_items_and_unknown_units_are_flagged() {
    let h = Harness::new();
    let no_unit = line(vec![id(ItemIdKind::BuyerPart, "88-1200")], "4", None, None);
    let kilos = line(vec![id(ItemIdKind::BuyerPart, "88-1200")], "4", Some("KGM"), None);
    let mut pallet = line(vec![id(ItemIdKind::BuyerPart, "88-1200")], "1", Some("PLT"), None);
    pallet.pack_size = Some(dec("500"));
    let out = h.run(&doc(vec![acme("PO-U", vec![no_unit, kilos, pallet])]), &ctx("a"));
    let o = only_order(&out);
    let uoms: Vec<_> = o.order.lines.iter().map(|l| l.uom.clone()).collect();
    assert_eq!(uoms, vec![Some("EA".into()), Some("KG".into()), Some("PL".into())]);
    assert_eq!(codes(&out), vec![ReasonCode::UnknownUnit]);
    assert!(out.reasons[0].message.contains("line 2") && out.reasons[0].message.contains("KG"));
    assert_eq!(o.base_quantities[2], Some(dec("500")), "a stated pack size converts");
}

#[test]
fn price_against_contract_with_and_without_pack_conversion() {
    let h = Harness::new();
    let priced = |uom: &str, price: &str| line(vec![id(ItemIdKind::BuyerPart, "88-1200")], "5", Some(uom), Some(price));
    let cases = [
        ("EA", "11.85", vec![]),
        ("EA", "12.05", vec![]), // within 2 % of 11.85
        ("EA", "12.50", vec![ReasonCode::PriceMismatch]),
        ("CS", "142.20", vec![]), // 11.85 × 12
        ("CA", "11.85", vec![ReasonCode::PriceMismatch]),
        ("BOX", "592.50", vec![]), // 11.85 × 50
    ];
    for (uom, price, expected) in cases {
        let out = h.run(&doc(vec![acme("PO-P", vec![priced(uom, price)])]), &ctx("a"));
        assert_eq!(codes(&out), expected, "{uom} {price}: {:?}", out.reasons);
        if expected.is_empty() {
            assert_eq!(out.decision, Decision::Auto, "{uom} {price}");
        }
    }
    let out = h.run(&doc(vec![acme("PO-P", vec![priced("CA", "11.85")])]), &ctx("a"));
    let message = &out.reasons[0].message;
    assert!(message.contains("11.85 per EA × 12 = 142.2 per CA"), "{message}");
    assert_eq!(only_order(&out).order.lines[0].unit_price, Some(dec("11.85")), "the stated price is kept");
}

#[test]
fn price_falls_back_to_the_list_price() {
    let h = Harness::new();
    let o = |price: &str| {
        let l = line(vec![id(ItemIdKind::VendorPart, "HV-075-BR")], "1", Some("EA"), Some(price));
        order("PO-L", vec![party("BY", Some("C0003"), None)], vec![l])
    };
    assert!(codes(&h.run(&doc(vec![o("12.10")]), &ctx("a"))).is_empty());
    let out = h.run(&doc(vec![o("11.85")]), &ctx("a"));
    assert_eq!(codes(&out), vec![ReasonCode::PriceMismatch]);
    assert!(out.reasons[0].message.contains("list price 12.1"), "{}", out.reasons[0].message);
}

#[test]
fn list_prices_are_no_reference_in_another_currency() {
    let h = Harness::new();
    assert_eq!(h.master.list_price_currency(), Some("USD"));
    // Bergmann buys in EUR and has no contract for this valve.
    let l = line(vec![id(ItemIdKind::VendorPart, "HV-075-BR")], "1", Some("EA"), Some("11.13"));
    let out =
        h.run(&doc(vec![order("EUR-1", vec![party("BY", Some("BERGMANNHYD"), None)], vec![l.clone()])]), &ctx("a"));
    assert!(codes(&out).is_empty(), "{:?}", out.reasons);
    let mut usd = order("EUR-2", vec![party("BY", Some("BERGMANNHYD"), None)], vec![l]);
    usd.currency = Some("USD".into());
    assert_eq!(codes(&h.run(&doc(vec![usd]), &ctx("a"))), vec![ReasonCode::PriceMismatch]);
}

#[test]
fn confirmed_price_raises_confidence_over_no_price() {
    let h = Harness::new();
    let with = h.run(
        &doc(vec![acme("P", vec![line(vec![id(ItemIdKind::BuyerPart, "88-1200")], "1", None, Some("11.85"))])]),
        &ctx("a"),
    );
    let without = h.run(&doc(vec![acme("P", vec![bp("88-1200", "1")])]), &ctx("a"));
    assert!(with.confidence > without.confidence, "{} vs {}", with.confidence, without.confidence);
}

// ---------------------------------------------------------------- memory

#[test]
fn qty_outlier_only_after_enough_history() {
    let mut h = Harness::new();
    for (i, qty) in ["10", "12", "8", "10", "9"].iter().enumerate() {
        let first = h.run(&doc(vec![acme(&format!("H{i}"), vec![bp("88-1200", "500")])]), &ctx("probe"));
        assert!(!codes(&first).contains(&ReasonCode::QtyOutlier), "no history yet");
        h.run_and_observe(&doc(vec![acme(&format!("H{i}"), vec![bp("88-1200", qty)])]), &ctx(&format!("h{i}")));
    }
    let big = h.run(&doc(vec![acme("H9", vec![bp("88-1200", "500")])]), &ctx("n"));
    assert_eq!(codes(&big), vec![ReasonCode::QtyOutlier]);
    assert!(big.reasons[0].message.contains("largest earlier quantity 12 EA"), "{}", big.reasons[0].message);
    let tiny = h.run(&doc(vec![acme("H9", vec![bp("88-1200", "0.5")])]), &ctx("n"));
    assert_eq!(codes(&tiny), vec![ReasonCode::QtyOutlier]);
    // 5 cases are 60 each: 5× the largest, within the factor of 10.
    let cases = h.run(
        &doc(vec![acme("H9", vec![line(vec![id(ItemIdKind::BuyerPart, "88-1200")], "5", Some("CA"), None)])]),
        &ctx("n"),
    );
    assert!(codes(&cases).is_empty(), "{:?}", cases.reasons);
}

#[test]
fn duplicate_versus_revision() {
    let mut h = Harness::new();
    let original = doc(vec![acme("4500012345", vec![bp("88-1200", "10")])]);
    let first = h.run_and_observe(&original, &ctx("docs/a.x12"));
    assert_eq!(first.decision, Decision::Auto);

    let again = h.run(&original, &ctx("docs/a.x12"));
    assert!(!codes(&again).contains(&ReasonCode::Duplicate), "the same document is not its own duplicate");

    let resent = h.run_and_observe(&doc(vec![acme(" 4500012345 ", vec![bp("88-1200", "10")])]), &ctx("docs/b.x12"));
    assert_eq!(codes(&resent), vec![ReasonCode::Duplicate]);
    assert!(resent.reasons[0].message.contains("docs/a.x12"));
    assert!(resent.predicted_orders().is_empty());
    assert_eq!(resent.decision, Decision::Review);

    let mut revised = acme("4500012345", vec![bp("88-1200", "15")]);
    revised.purpose = Some("05".into());
    let revised = doc(vec![revised]);
    let rev = h.run_and_observe(&revised, &ctx("docs/c.x12"));
    assert!(codes(&rev).is_empty(), "{:?}", rev.reasons);
    assert_eq!(rev.predicted_orders().len(), 1);

    let rev_resent = h.run(&revised, &ctx("docs/d.x12"));
    assert_eq!(codes(&rev_resent), vec![ReasonCode::Duplicate]);
    assert!(rev_resent.reasons[0].message.contains("revision"));

    let other_customer = h.run(
        &doc(vec![order("4500012345", vec![party("BY", Some("C0002"), None)], vec![bp("BH-4711", "1")])]),
        &ctx("e"),
    );
    assert!(!codes(&other_customer).contains(&ReasonCode::Duplicate));
}

#[test]
fn an_exact_repeat_inside_one_document_is_a_duplicate() {
    let h = Harness::new();
    let a = acme("77", vec![bp("88-1200", "1")]);
    let split = acme("77", vec![bp("88-1300", "1")]);
    let out = h.run(&doc(vec![a.clone(), split, a]), &ctx("x"));
    let dup: Vec<bool> = out.orders.iter().map(|o| o.has_reason(ReasonCode::Duplicate)).collect();
    assert_eq!(dup, vec![false, false, true]);
    assert_eq!(out.predicted_orders().len(), 2);
}

#[test]
fn a_lesson_never_maps_one_of_our_own_skus_to_another_item() {
    let mut h = Harness::new();
    let c = Context { received_at: "2026-03-02T09:15:00Z".parse().ok(), ..ctx("docs/misread.x12") };
    // The customer wrote our SKU HV-075-BR where its own part number goes; a
    // truth paired with the wrong line would teach HV-075-BR → HV-100-BR.
    let first = h.run_and_observe(&doc(vec![acme("M1", vec![bp("HV-075-BR", "4")])]), &c);
    let mut truth = first.predicted_orders();
    truth[0].lines[0].sku = Some("HV-100-BR".into());
    truth[0].lines[0].customer_part = Some("HV-075-BR".into());
    h.memory.learn(&first, &truth);

    let later = h.run(&doc(vec![acme("M2", vec![bp("HV-075-BR", "4")])]), &ctx("docs/later.x12"));
    let o = only_order(&later);
    assert_ne!(o.items[0].method, ItemMethod::LearnedCrossReference, "{:?}", o.items[0]);
    assert_ne!(o.order.lines[0].sku.as_deref(), Some("HV-100-BR"));
}

#[test]
fn learning_a_cross_reference_and_an_alias_resolves_later_documents() {
    let mut h = Harness::new();
    let c = Context { received_at: "2026-03-02T09:15:00Z".parse().ok(), ..ctx("docs/new.x12") };
    let unknown_part = doc(vec![acme("L1", vec![bp("88-9999", "4")])]);
    let first = h.run_and_observe(&unknown_part, &c);
    assert_eq!(codes(&first), vec![ReasonCode::UnknownItem]);
    let mut truth = first.predicted_orders();
    truth[0].lines[0].sku = Some("HV-100-BR".into());
    h.memory.learn(&first, &truth);

    let learned = h.memory.learned();
    assert_eq!(learned.len(), 1, "{learned:?}");
    assert_eq!(learned[0].kind, LearnedKind::CrossReference);
    assert_eq!((learned[0].key.as_str(), learned[0].value.as_str()), ("88-9999", "HV-100-BR"));
    assert_eq!(learned[0].customer_id.as_deref(), Some("C0001"));
    assert_eq!(learned[0].from_doc.as_deref(), Some("docs/new.x12"));
    assert!(learned[0].learned_at.is_some());

    let later = h.run(&doc(vec![acme("L2", vec![bp("88-9999", "4")])]), &ctx("docs/later.x12"));
    let o = only_order(&later);
    assert_eq!(o.order.lines[0].sku.as_deref(), Some("HV-100-BR"));
    assert_eq!(o.items[0].method, ItemMethod::LearnedCrossReference);
    assert_eq!(later.decision, Decision::Auto, "{:?}", later.reasons);

    // A buyer name nobody knew.
    let stranger =
        doc(vec![order("L3", vec![party("BY", None, Some("Dayton Valve Buyers"))], vec![bp("88-1200", "1")])]);
    let first = h.run(&stranger, &ctx("docs/s.csv"));
    assert!(codes(&first).contains(&ReasonCode::UnknownCustomer));
    let truth = vec![CanonicalOrder {
        customer_id: Some("C0001".into()),
        customer_po: Some("L3".into()),
        lines: first.predicted_orders()[0]
            .lines
            .iter()
            .map(|l| prodline_core::CanonicalLine { sku: Some("HV-075-BR".into()), ..l.clone() })
            .collect(),
        ..Default::default()
    }];
    h.memory.learn(&first, &truth);
    assert!(h.memory.learned().iter().any(|l| l.kind == LearnedKind::CustomerName && l.value == "C0001"));
    let again = h.run(&stranger, &ctx("docs/s2.csv"));
    let o = only_order(&again);
    assert_eq!(o.order.customer_id.as_deref(), Some("C0001"));
    assert_eq!(o.customer.method, CustomerMethod::Learned);
    assert_eq!(o.order.lines[0].sku.as_deref(), Some("HV-075-BR"), "the master cross-reference applies now");
}

#[test]
fn learning_from_a_correct_outcome_learns_nothing() {
    let mut h = Harness::new();
    let out = h.run(&doc(vec![acme("OK", vec![bp("88-1200", "1")])]), &ctx("a"));
    let truth = out.predicted_orders();
    h.memory.learn(&out, &truth);
    assert!(h.memory.learned().is_empty());
}

#[test]
fn memory_survives_a_serde_round_trip() {
    let mut h = Harness::new();
    let out = h.run_and_observe(&doc(vec![acme("R1", vec![bp("88-5555", "3")])]), &ctx("r1"));
    let mut truth = out.predicted_orders();
    truth[0].lines[0].sku = Some("GK-200-NB".into());
    h.memory.learn(&out, &truth);
    let json = serde_json::to_string(&h.memory).unwrap_or_else(|e| panic!("{e}"));
    let back: Memory = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back.learned(), h.memory.learned());
    assert_eq!(back.received("C0001", "r1").len(), 1);
    assert_eq!(back.learned_cross_ref("C0001", "88 5555"), Some("GK-200-NB"));
}

// ---------------------------------------------------------------- document-level rules

#[test]
fn cancellation_is_reviewed_and_enters_nothing() {
    let h = Harness::new();
    let mut o = acme("C1", vec![bp("88-1200", "1")]);
    o.purpose = Some("01".into());
    let out = h.run(&doc(vec![o]), &ctx("a"));
    assert_eq!(codes(&out), vec![ReasonCode::Cancellation]);
    assert!(out.predicted_orders().is_empty());
}

#[test]
fn missing_po_number_lines_or_quantity() {
    let h = Harness::new();
    let mut no_po = acme("", vec![bp("88-1200", "1")]);
    no_po.po_number = None;
    let no_lines = acme("M2", vec![]);
    let mut no_qty = bp("88-1200", "1");
    no_qty.qty = None;
    let out = h.run(&doc(vec![no_po, no_lines, acme("M3", vec![no_qty])]), &ctx("a"));
    let per_order: Vec<Vec<ReasonCode>> =
        out.orders.iter().map(|o| o.reasons.iter().map(|r| r.code).collect()).collect();
    assert_eq!(per_order, vec![vec![ReasonCode::MissingField]; 3]);
    assert!(out.orders[0].reasons[0].message.contains("no PO number"));
    assert!(out.orders[2].reasons[0].message.contains("PO M3 line 1: no quantity"));
}

#[test]
fn envelope_warnings_send_the_order_to_review() {
    let h = Harness::new();
    let mut o = acme("E1", vec![bp("88-1200", "1")]);
    let position = Position { segment: Some(9), segment_id: Some("SE".into()), ..Default::default() };
    o.diagnostics.push(Diagnostic::warning("se_count_mismatch", "SE01 says 8, counted 9", position));
    let out = h.run(&doc(vec![o]), &ctx("a"));
    assert_eq!(codes(&out), vec![ReasonCode::EnvelopeError]);
    assert!(out.reasons[0].message.contains("segment 9 (SE)"));
}

#[test]
fn unsupported_unreadable_and_non_orders_enter_nothing() {
    let h = Harness::new();
    // Every format has a reader now; a reader that says so still wins.
    let mut unsupported = ParsedDocument::new(Format::Unknown);
    unsupported.diagnostics.push(Diagnostic::error("unsupported_format", "no reader", Position::default()));
    let out = h.run(&unsupported, &ctx("a.bin"));
    assert_eq!(codes(&out), vec![ReasonCode::UnsupportedFormat]);
    assert!(out.predicted_orders().is_empty());

    let pdf = ParsedDocument::new(Format::Pdf);
    let out = h.run(&pdf, &ctx("a.pdf"));
    assert_eq!(codes(&out), vec![ReasonCode::NotAnOrder]);
    assert!(out.predicted_orders().is_empty());

    let mut invoice = ParsedDocument::new(Format::X12);
    invoice.skipped.push(SkippedSet { kind: "810".into(), position: Position::default() });
    let out = h.run(&invoice, &ctx("inv.x12"));
    assert_eq!(codes(&out), vec![ReasonCode::NotAnOrder]);
    assert!(out.reasons[0].message.contains("810"));

    let mut broken = ParsedDocument::new(Format::X12);
    broken.diagnostics.push(Diagnostic::error(
        "bad_isa",
        "no ISA",
        Position { byte_offset: Some(3), ..Default::default() },
    ));
    let out = h.run(&broken, &ctx("b.x12"));
    assert_eq!(codes(&out), vec![ReasonCode::ParseError]);
    assert!(out.reasons[0].message.contains("byte 3"));
    assert_eq!(out.confidence, 0.0);
}

#[test]
fn a_clean_order_below_the_threshold_gets_low_confidence() {
    let mut h = Harness::new();
    let clean = doc(vec![order("N1", vec![party("BY", None, Some("Acme"))], vec![bp("88-1200", "1")])]);
    let out = h.run(&clean, &ctx("a"));
    assert_eq!(out.decision, Decision::Auto, "by name with a cross-reference clears 0.9: {}", out.confidence);
    h.config.auto_threshold = 0.99;
    let out = h.run(&clean, &ctx("a"));
    assert_eq!(codes(&out), vec![ReasonCode::LowConfidence]);
    assert!(out.reasons[0].message.contains("below the auto-approve threshold 0.99"), "{}", out.reasons[0].message);
}

#[test]
fn canonical_order_follows_the_contract() {
    let h = Harness::new();
    let mut l = line(
        vec![id(ItemIdKind::VendorPart, "HV-075-BR"), id(ItemIdKind::BuyerPart, "88-1200")],
        "200",
        Some("each"),
        Some("11.85"),
    );
    l.line_no = Some("001".into());
    l.description = Some(" 3/4in brass ball valve ".into());
    let mut o = acme(" 4500012345 ", vec![l]);
    o.requested_date = NaiveDate::from_ymd_opt(2026, 3, 16);
    o.currency = Some("usd".into());
    let out = h.run(&doc(vec![o]), &ctx("a"));
    let json = serde_json::to_value(&out.predicted_orders()[0]).unwrap_or_else(|e| panic!("{e}"));
    let expected = serde_json::json!({
        "customer_id": "C0001", "customer_po": "4500012345", "order_date": "2026-03-02",
        "requested_date": "2026-03-16", "ship_to": null, "currency": "USD",
        "lines": [{"line": 1, "sku": "HV-075-BR", "customer_part": "88-1200",
                   "description": "3/4in brass ball valve", "qty": 200, "uom": "EA", "unit_price": 11.85}]
    });
    assert_eq!(json, expected);
}

// ---------------------------------------------------------------- master data loading

/// Copy the fixture into a tempdir, replace one file, load.
fn load_with(file: &str, contents: &str) -> String {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for entry in std::fs::read_dir(fixture_dir()).unwrap_or_else(|e| panic!("{e}")).flatten() {
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(dir.path().join(file), contents).unwrap_or_else(|e| panic!("{e}"));
    match MasterData::load_dir(dir.path()) {
        Ok(_) => panic!("{file} should not load"),
        Err(e) => e.to_string().replace(&format!("{}/", dir.path().display()), ""),
    }
}

#[test]
fn master_data_errors_name_file_line_and_column() {
    let customers = "customer_id,name,aliases,edi_ids,email_domains,currency\n";
    let cases = [
        (
            "customers.csv",
            "customer_id,aliases\nC1,x\n".to_string(),
            "customers.csv:1:3: missing required column `name` (header has: customer_id, aliases)",
        ),
        ("customers.csv", format!("{customers}C1,A,,,,\n,B,,,,\n"), "customers.csv:3:1: empty customer_id"),
        (
            "customers.csv",
            format!("{customers}C1,A,,,,\nc1,B,,,,\n"),
            "customers.csv:3:1: duplicate customer_id \"C1\" (first on line 2)",
        ),
        (
            "items.csv",
            "sku,description,uom,list_price\nA,x,EA,\"12,5\"\n".to_string(),
            "items.csv:2:4: list_price \"12,5\" is not a decimal number",
        ),
        (
            "items.csv",
            "sku,description,uom,list_price\nA,x,EA,1.2.3\n".to_string(),
            "items.csv:2:4: list_price \"1.2.3\" is not a decimal number",
        ),
        (
            "customer_items.csv",
            "customer_id,customer_part,sku\nC0009,P1,HV-075-BR\n".to_string(),
            "customer_items.csv:2:1: customer_id \"C0009\" is not in customers.csv",
        ),
        (
            "prices.csv",
            "customer_id,sku,unit_price\nC0001,NOPE,1\n".to_string(),
            "prices.csv:2:2: sku \"NOPE\" is not in items.csv",
        ),
        (
            "ship_tos.csv",
            "ship_to_id,customer_id,name,address,edi_code\nS1,C0042,n,a,\n".to_string(),
            "ship_tos.csv:2:2: customer_id \"C0042\" is not in customers.csv",
        ),
    ];
    for (file, contents, expected) in cases {
        assert_eq!(load_with(file, &contents), expected, "{file}");
    }
}

#[test]
fn a_missing_required_file_is_named() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let err = MasterData::load_dir(dir.path()).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("customers.csv"), "{err}");
}

#[test]
fn fixture_loads_with_packs_and_indexes() {
    let m = master();
    assert_eq!(m.customers.len(), 4);
    assert_eq!(m.items.len(), 10);
    let valve = m.item("hv-075-br").unwrap_or_else(|| panic!("HV-075-BR"));
    assert_eq!(valve.units_per("CA"), Some(dec("12")));
    assert_eq!(m.customers_by_edi_id(" acmeedi01 ").len(), 1);
    assert_eq!(m.ship_tos_of("C0001").len(), 2);
}

// ---------------------------------------------------------------- end to end

const X12_850: &str = "ISA*00*          *00*          *ZZ*ACMEEDI01      *ZZ*NORTHWIND      *260302*0915*U*00401*000000101*0*P*>~\n\
GS*PO*ACMEEDI01*NORTHWIND*20260302*0915*101*X*004010~\n\
ST*850*0001~\n\
BEG*00*SA*4500012345**20260302~\n\
DTM*002*20260316~\n\
N1*BY*ACME INDUSTRIAL SUPPLY*92*0123456789~\n\
N1*ST*ACME DAYTON*92*0042~\n\
PO1*1*200*EA*11.85*PE*BP*88-1200*VP*HV-075-BR~\n\
PID*F****3/4IN BRASS BALL VALVE~\n\
PO1*2*5*CA*154*PE*BP*88-1300*UP*012345678912~\n\
CTT*2~\n\
SE*10*0001~\n\
GE*1*101~\n\
IEA*1*000000101~\n";

#[test]
fn end_to_end_x12_850() {
    let h = Harness::new();
    let out = process(X12_850.as_bytes(), &ctx("docs/edi/po.x12"), &h.master, &h.memory, &h.config);
    assert_decision_invariant(&out, &h.config);
    assert_eq!(out.format, Format::X12);
    let orders = out.predicted_orders();
    assert_eq!(orders.len(), 1, "reasons: {:?}", out.reasons);
    let o = &orders[0];
    assert_eq!(o.customer_id.as_deref(), Some("C0001"));
    assert_eq!(o.customer_po.as_deref(), Some("4500012345"));
    assert_eq!(o.requested_date, NaiveDate::from_ymd_opt(2026, 3, 16));
    assert_eq!(o.ship_to.as_deref(), Some("ST-0001-01"));
    let lines: Vec<_> = o.lines.iter().map(|l| (l.sku.clone(), l.qty, l.uom.clone())).collect();
    assert_eq!(
        lines,
        vec![
            (Some("HV-075-BR".into()), dec("200"), Some("EA".into())),
            (Some("HV-100-BR".into()), dec("5"), Some("CA".into()))
        ]
    );
    assert_eq!(out.decision, Decision::Auto, "{:?}", out.reasons);
}

#[test]
fn end_to_end_csv() {
    let h = Harness::new();
    let csv = "PO Number,Line,Customer Part,Description,Qty,UOM,Unit Price\n\
               PO-77,1,BH-4711,1/2in elbow,10,EA,3.90\n\
               PO-77,2,,1/2in stainless steel elbow fitting,2,BX,390\n";
    let c = Context { from: Some("einkauf@bergmann.example".into()), ..ctx("docs/mail/po-77.csv") };
    let out = process(csv.as_bytes(), &c, &h.master, &h.memory, &h.config);
    assert_decision_invariant(&out, &h.config);
    assert_eq!(out.format, Format::Csv);
    let orders = out.predicted_orders();
    assert_eq!(orders.len(), 1, "reasons: {:?}", out.reasons);
    let o = &orders[0];
    assert_eq!((o.customer_id.as_deref(), o.customer_po.as_deref()), (Some("C0002"), Some("PO-77")));
    let skus: Vec<_> = o.lines.iter().map(|l| l.sku.clone()).collect();
    assert_eq!(skus, vec![Some("FT-050-SS".into()), Some("FT-050-SS".into())]);
    assert_eq!(o.currency.as_deref(), Some("EUR"));
}

/// Every real-world corpus file goes through the whole pipeline without a
/// panic, and the decision invariant holds for each.
#[test]
fn corpus_documents_never_panic_and_keep_the_invariant() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/realworld");
    let h = Harness::new();
    let mut stack = vec![root.clone()];
    let mut seen = 0;
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let name = path.strip_prefix(&root).unwrap_or(&path).display().to_string();
            let out = process(&bytes, &ctx(&name), &h.master, &h.memory, &h.config);
            assert_decision_invariant(&out, &h.config);
            seen += 1;
        }
    }
    assert!(seen > 50, "only {seen} corpus files found under {}", root.display());
}
