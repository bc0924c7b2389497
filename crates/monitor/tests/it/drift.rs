//! Drift statistics against hand computations, the demo's drifting customer,
//! and a seeded stable source that must not raise alarms.

use prodline_core::{Decimal, Format, ItemId, ItemIdKind, ParsedDocument, ParsedLine, ParsedOrder, Party, PartyId};
use prodline_monitor::drift::{
    DriftCheck, DriftConfig, Layout, Observation, PSI_EPSILON, SignalKind, Window, jensen_shannon, psi,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn close(actual: Option<f64>, expected: f64) {
    let Some(actual) = actual else { panic!("no value, expected {expected}") };
    assert!((actual - expected).abs() < 1e-9, "got {actual}, expected {expected}");
}

// ---- PSI and Jensen–Shannon by hand ----

#[test]
fn psi_of_two_bins_matches_the_hand_computation() {
    // p = (0.5, 0.5), q = (0.8, 0.2):
    // PSI = (0.8 − 0.5)·ln(0.8/0.5) + (0.2 − 0.5)·ln(0.2/0.5)
    //     = 0.3·ln 1.6 − 0.3·ln 0.4 = 0.3·0.470004 + 0.3·0.916291 = 0.415888
    let by_hand = 0.3 * 1.6f64.ln() + (-0.3) * 0.4f64.ln();
    close(psi(&[50, 50], &[80, 20]), by_hand);
    close(psi(&[50, 50], &[80, 20]), 0.415_888_308_335_967_2);
}

#[test]
fn psi_floors_an_empty_bin_at_the_stated_epsilon() {
    // p = (1, 0 → ε), q = (0.9, 0.1), ε = 1e-4:
    // PSI = (0.9 − 1)·ln(0.9) + (0.1 − ε)·ln(0.1/ε) = 0.010536 + 0.690085 = 0.700621
    assert_eq!(PSI_EPSILON, 1e-4);
    let by_hand = (0.9 - 1.0) * 0.9f64.ln() + (0.1 - 1e-4) * (0.1f64 / 1e-4).ln();
    close(psi(&[100, 0], &[90, 10]), by_hand);
    close(psi(&[100, 0], &[90, 10]), 0.700_620_803_936_098_2);
}

#[test]
fn jensen_shannon_of_two_bins_matches_the_hand_computation() {
    // p = (0.5, 0.5), q = (0.8, 0.2), m = (0.65, 0.35):
    // KL(p‖m) = 0.5·log2(0.5/0.65) + 0.5·log2(0.5/0.35) = 0.068031
    // KL(q‖m) = 0.8·log2(0.8/0.65) + 0.2·log2(0.2/0.35) = 0.078177
    // JS = (0.068031 + 0.078177) / 2 = 0.073104
    let kl_p = 0.5 * (0.5f64 / 0.65).log2() + 0.5 * (0.5f64 / 0.35).log2();
    let kl_q = 0.8 * (0.8f64 / 0.65).log2() + 0.2 * (0.2f64 / 0.35).log2();
    close(jensen_shannon(&[50, 50], &[80, 20]), (kl_p + kl_q) / 2.0);
    close(jensen_shannon(&[50, 50], &[80, 20]), 0.073_104_007_931_809_85);
}

#[test]
fn jensen_shannon_of_three_bins_with_half_overlap_is_one_half() {
    // p = (½, ½, 0), q = (0, ½, ½), m = (¼, ½, ¼):
    // KL(p‖m) = ½·log2(2) + ½·log2(1) = ½, KL(q‖m) = ½ by symmetry, JS = ½.
    close(jensen_shannon(&[1, 1, 0], &[0, 1, 1]), 0.5);
}

#[test]
fn disjoint_windows_have_jensen_shannon_one() {
    close(jensen_shannon(&[7, 0], &[0, 3]), 1.0);
    // A missing trailing bin counts as empty.
    close(jensen_shannon(&[4], &[0, 4]), 1.0);
}

#[test]
fn identical_shares_give_zero_whatever_the_counts() {
    for (a, b) in [(&[10u64, 20, 30][..], &[10u64, 20, 30][..]), (&[1, 2, 0], &[100, 200, 0])] {
        close(psi(a, b), 0.0);
        close(jensen_shannon(a, b), 0.0);
    }
}

#[test]
fn an_empty_window_has_no_divergence_rather_than_zero() {
    assert_eq!(psi(&[0, 0], &[1, 2]), None);
    assert_eq!(jensen_shannon(&[1, 2], &[]), None);
}

// ---- documents ----

/// An X12 850 as the demo's drifting customer writes it before the switch:
/// ISA sender ZZ:ATLASPC, PO1 with BP (their part) and VP (our SKU, dashed).
fn atlas_before(po: usize, lines: usize) -> ParsedDocument {
    x12_order("ATLASPC", po, lines, |i| {
        vec![
            id(ItemIdKind::BuyerPart, "BP", &format!("ATL{:05}", 100 + i)),
            id(ItemIdKind::VendorPart, "VP", &format!("PC-{}", 1000 + i)),
        ]
    })
}

/// After the switch: ISA sender ATLASPC2026, VP only, written without dashes.
fn atlas_after(po: usize, lines: usize) -> ParsedDocument {
    x12_order("ATLASPC2026", po, lines, |i| vec![id(ItemIdKind::VendorPart, "VP", &format!("PC{}", 1000 + i))])
}

fn id(kind: ItemIdKind, qualifier: &str, value: &str) -> ItemId {
    ItemId { kind, qualifier: Some(qualifier.to_string()), value: value.to_string() }
}

fn x12_order(isa: &str, po: usize, lines: usize, ids: impl Fn(usize) -> Vec<ItemId>) -> ParsedDocument {
    let mut ship_to = Party::new("ST");
    ship_to.id = Some(PartyId { qualifier: Some("92".to_string()), value: format!("{}", po % 7) });
    let order = ParsedOrder {
        sender: Some(PartyId { qualifier: Some("ZZ".to_string()), value: isa.to_string() }),
        po_number: Some(format!("PO{po}")),
        order_date: prodline_core::NaiveDate::from_ymd_opt(2026, 3, 1 + (po % 28) as u32),
        parties: vec![ship_to],
        declared_line_count: Some(lines as u32),
        lines: (0..lines)
            .map(|i| ParsedLine {
                line_no: Some(format!("{}", i + 1)),
                item_ids: ids(i + po),
                qty: Some(Decimal::from(1 + (po + i) % 40)),
                uom: Some("EA".to_string()),
                unit_price: Some(Decimal::new(1250 + (po as i64 % 300), 2)),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    ParsedDocument { orders: vec![order], ..ParsedDocument::new(Format::X12) }
}

fn observe(doc: &ParsedDocument) -> Observation {
    Observation::of(doc, Format::X12, "C0005", None, None)
}

#[test]
fn the_fingerprint_depends_on_the_layout_not_on_what_is_ordered() {
    let a = Layout::of(&atlas_before(1, 3), Format::X12, "C0005");
    let b = Layout::of(&atlas_before(22, 3), Format::X12, "C0005");
    let c = Layout::of(&atlas_after(1, 3), Format::X12, "C0005");
    assert_eq!(a.key(), b.key(), "same layout, other POs, quantities and items");
    assert_eq!(a.id(), b.id());
    assert_ne!(a.key(), c.key());
    assert_ne!(a.id(), c.id());
    assert_eq!(a.id().len(), 16);
    // The key keeps what a sender's system fixes (format, interchange id,
    // which ids it writes and their separators), not optional fields.
    assert_eq!(a.key(), "x12|C0005|ZZ:ATLASPC|buyer_part:,vendor_part:-");
    assert_eq!(c.key(), "x12|C0005|ZZ:ATLASPC2026|vendor_part:");
}

#[test]
fn the_drifting_customer_fires_the_fingerprint_signal_and_its_unchanged_documents_do_not() {
    let reference: Window =
        (0..60).map(|po| observe(&atlas_before(po, 1 + po % 5))).collect::<Vec<_>>().iter().collect();
    let unchanged: Window =
        (100..160).map(|po| observe(&atlas_before(po, 1 + po % 4))).collect::<Vec<_>>().iter().collect();
    // The switch date falls inside the recent window: half old, half new.
    let switched: Window = (100..160)
        .map(|po| observe(&if po < 130 { atlas_before(po, 2) } else { atlas_after(po, 2) }))
        .collect::<Vec<_>>()
        .iter()
        .collect();
    let check = DriftCheck::default();

    let calm = check.run(&reference, &unchanged);
    assert!(calm.enough_data);
    assert!(!calm.drifting, "{calm:#?}");
    let fingerprint = calm.signal(SignalKind::FingerprintMix).map(|s| s.value);
    close(fingerprint, 0.0);

    let drift = check.run(&reference, &switched);
    assert!(drift.drifting, "{drift:#?}");
    let Some(fp) = drift.signal(SignalKind::FingerprintMix) else { panic!("no fingerprint signal: {drift:#?}") };
    assert!(fp.fired);
    // p = (1, 0), q = (½, ½), m = (¾, ¼):
    // JS = ½·log2(4/3) + ½·(½·log2(⅔) + ½·log2(2)) = 0.311278
    let by_hand = 0.5 * (4.0f64 / 3.0).log2() + 0.5 * (0.5 * (2.0f64 / 3.0).log2() + 0.5);
    close(Some(fp.value), by_hand);
    assert!(fp.detail.contains("ATLASPC2026") && fp.detail.contains("from 0 % to 50 %"), "{}", fp.detail);
    // Half the lines lost their buyer part number.
    let Some(presence) = drift.signal(SignalKind::FieldPresence) else { panic!("no presence signal") };
    assert!(presence.fired);
    close(Some(presence.value), 0.5);
    assert!(presence.detail.starts_with("id:buyer_part present on 50 % (was 100 %)"), "{}", presence.detail);
}

#[test]
fn too_few_documents_fire_nothing_however_different() {
    let reference: Window = (0..5).map(|po| observe(&atlas_before(po, 2))).collect::<Vec<_>>().iter().collect();
    let recent: Window = (0..5).map(|po| observe(&atlas_after(po, 2))).collect::<Vec<_>>().iter().collect();
    let report = DriftCheck::default().run(&reference, &recent);
    assert!(!report.enough_data);
    assert!(!report.drifting);
    let value = report.signal(SignalKind::FingerprintMix).map(|s| s.value);
    close(value, 1.0);
}

// ---- a seeded stable source ----

struct Source(ChaCha8Rng);

impl Source {
    fn uniform(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// One document from a source with a stable mix of two layouts (80 %
    /// send both part numbers, 20 % our SKU only), 1–5 lines each resolved
    /// with probability `match_p`, and confidence `1 − 0.3·u²` shifted by
    /// `confidence_shift`.
    fn document(&mut self, po: usize, match_p: f64, confidence_shift: f64) -> Observation {
        let lines = 1 + (self.0.next_u64() % 5) as usize;
        let doc = if self.uniform() < 0.8 { atlas_before(po, lines) } else { atlas_after(po, lines) };
        let matched = (0..lines).filter(|_| self.uniform() < match_p).count() as u64;
        let u = self.uniform();
        let confidence = (1.0 - 0.3 * u * u - confidence_shift).clamp(0.0, 1.0);
        Observation::of(&doc, Format::X12, "C0005", Some(matched), Some(confidence))
    }

    fn window(&mut self, documents: usize, match_p: f64, confidence_shift: f64) -> Window {
        let observations: Vec<Observation> =
            (0..documents).map(|po| self.document(po, match_p, confidence_shift)).collect();
        observations.iter().collect()
    }
}

#[test]
fn a_seeded_stable_source_rarely_raises_a_false_alarm() {
    let check = DriftCheck::new(DriftConfig::default());
    let mut alarms = Vec::new();
    for seed in 0..100u64 {
        let mut source = Source(ChaCha8Rng::seed_from_u64(seed));
        let reference = source.window(500, 0.93, 0.0);
        let recent = source.window(500, 0.93, 0.0);
        let report = check.run(&reference, &recent);
        assert_eq!(report.signals.len(), 4, "every signal computable: {report:#?}");
        if report.drifting {
            alarms.push((seed, report.fired().map(|s| (s.kind, s.value)).collect::<Vec<_>>()));
        }
    }
    assert!(alarms.len() <= 1, "false alarms on a stable source: {alarms:?}");
}

#[test]
fn the_same_seeded_source_fires_when_its_match_rate_and_confidence_fall() {
    let mut source = Source(ChaCha8Rng::seed_from_u64(7));
    let reference = source.window(500, 0.93, 0.0);
    let recent = source.window(500, 0.75, 0.15);
    let report = DriftCheck::default().run(&reference, &recent);
    let fired: Vec<SignalKind> = report.fired().map(|s| s.kind).collect();
    assert_eq!(fired, vec![SignalKind::MatchRate, SignalKind::Confidence], "{report:#?}");
    let Some(rate) = report.signal(SignalKind::MatchRate) else { panic!("no match rate") };
    assert!((rate.value - 0.18).abs() < 0.05, "drop {}", rate.value);
}
