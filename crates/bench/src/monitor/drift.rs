//! The drift half of the measured computation: for every source, its
//! reference window against its recent window, through [`DriftCheck`] as the
//! product runs it (fingerprint mix by Jensen–Shannon with its significance
//! test, confidence by PSI over the ten fixed bins).

use prodline_monitor::drift::{ConfidenceBins, DriftCheck, SignalKind, Window};
use serde::Serialize;

use super::dataset::{MonitorData, Transaction};

/// One source's drift figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceDrift {
    pub source: String,
    pub reference_documents: u64,
    pub recent_documents: u64,
    /// Jensen–Shannon divergence (base 2) of the fingerprint mix.
    pub fingerprint_js: Option<f64>,
    pub fingerprint_fired: bool,
    /// Population stability index of the confidence bins.
    pub confidence_psi: Option<f64>,
    pub confidence_fired: bool,
    pub drifting: bool,
}

/// Per source and window while counting: documents, fingerprint counts by
/// index (a source uses a handful, so a list beats a map), confidence bins.
#[derive(Debug, Clone, Default)]
struct Tally {
    documents: u64,
    fingerprints: Vec<(u16, u64)>,
    confidence: ConfidenceBins,
}

impl Tally {
    fn add(&mut self, t: &Transaction) {
        self.documents += 1;
        match self.fingerprints.iter_mut().find(|(f, _)| *f == t.fingerprint) {
            Some((_, n)) => *n += 1,
            None => self.fingerprints.push((t.fingerprint, 1)),
        }
        self.confidence.add(t.confidence);
    }

    /// The product's [`Window`] with the same counts.
    fn window(&self, names: &[String]) -> Window {
        let mut window = Window { documents: self.documents, confidence: self.confidence, ..Window::default() };
        for &(f, n) in &self.fingerprints {
            window.fingerprints.add_count(names.get(usize::from(f)).map_or("", String::as_str), n);
        }
        window
    }
}

/// Drift of every source of `data` over `transactions` (all of them, or
/// the ones of a subset of sources).
pub fn measure_drift(data: &MonitorData, transactions: &[Transaction], check: &DriftCheck) -> Vec<SourceDrift> {
    let recent_from = data.recent_from();
    let mut tallies = vec![[Tally::default(), Tally::default()]; data.sources.len()];
    for t in transactions {
        if let Some(pair) = tallies.get_mut(usize::from(t.source)) {
            pair[usize::from(t.decided_at >= recent_from)].add(t);
        }
    }
    tallies
        .iter()
        .zip(&data.sources)
        .filter(|([reference, recent], _)| reference.documents + recent.documents > 0)
        .map(|([reference, recent], source)| {
            let report = check.run(&reference.window(&data.fingerprints), &recent.window(&data.fingerprints));
            let fingerprint = report.signal(SignalKind::FingerprintMix);
            let confidence = report.signal(SignalKind::Confidence);
            SourceDrift {
                source: source.name.clone(),
                reference_documents: reference.documents,
                recent_documents: recent.documents,
                fingerprint_js: fingerprint.map(|s| s.value),
                fingerprint_fired: fingerprint.is_some_and(|s| s.fired),
                confidence_psi: confidence.map(|s| s.value),
                confidence_fired: confidence.is_some_and(|s| s.fired),
                drifting: report.drifting,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::monitor::dataset::{MonitorDataConfig, generate_monitor_data};

    /// A data set of one source with hand-made transactions.
    fn one_source(transactions: Vec<Transaction>) -> MonitorData {
        let mut data = generate_monitor_data(MonitorDataConfig { transactions: 0, sources: 1, seed: 1 });
        data.fingerprints = vec!["a".into(), "b".into()];
        data.transactions = transactions;
        data
    }

    fn doc(data_as_of: chrono::DateTime<chrono::Utc>, days_ago: i64, fingerprint: u16, confidence: f64) -> Transaction {
        Transaction {
            source: 0,
            decided_at: data_as_of - Duration::days(days_ago),
            labelled_at: None,
            correct: true,
            fingerprint,
            confidence,
        }
    }

    #[test]
    fn one_small_drift_figure_by_hand() {
        let as_of = one_source(vec![]).as_of;
        // Reference (20 days ago): 50 documents, all layout a, confidence 0.95 (bin 9).
        // Recent (2 days ago): 25 a at 0.95, 25 b at 0.55 (bin 5). 50 a side:
        // the fewest the confidence PSI is judged on.
        let mut docs: Vec<Transaction> = (0..50).map(|_| doc(as_of, 20, 0, 0.95)).collect();
        docs.extend((0..25).map(|_| doc(as_of, 2, 0, 0.95)));
        docs.extend((0..25).map(|_| doc(as_of, 2, 1, 0.55)));
        let data = one_source(docs);
        let drift = measure_drift(&data, &data.transactions, &DriftCheck::default());
        assert_eq!(drift.len(), 1);
        let d = &drift[0];
        assert_eq!((d.reference_documents, d.recent_documents), (50, 50));
        // P = (1, 0), Q = (½, ½), M = (¾, ¼):
        // JS = ½·1·log₂(1/¾) + ½·(½·log₂(½/¾) + ½·log₂(½/¼))
        //    = ½·0.415037 + ½·(−0.292481 + 0.5) = 0.311278.
        let js = d.fingerprint_js.unwrap_or(f64::NAN);
        assert!((js - 0.311_278).abs() < 1e-6, "{js}");
        // Bins 9 and 5: P = (0, 1) → (1e-4, 1), Q = (½, ½):
        // PSI = (½ − 1e-4)·ln(½/1e-4) + (½ − 1)·ln(½/1)
        //     = 0.4999·8.517193 + 0.346574 = 4.604319.
        let psi = d.confidence_psi.unwrap_or(f64::NAN);
        assert!((psi - 4.604_319).abs() < 1e-5, "{psi}");
        // Layout b went from 0/50 to 25/50: pooled ¼, standard error
        // √(¼·¾·(1/50 + 1/50)) = 0.0866, z = ½ / 0.0866 = 5.77 ≥ 4: beyond chance.
        assert!(d.fingerprint_fired && d.confidence_fired && d.drifting);
    }

    #[test]
    fn too_few_documents_never_fire() {
        let as_of = one_source(vec![]).as_of;
        let mut docs: Vec<Transaction> = (0..19).map(|_| doc(as_of, 20, 0, 0.95)).collect();
        docs.extend((0..19).map(|_| doc(as_of, 2, 1, 0.15)));
        let data = one_source(docs);
        let drift = measure_drift(&data, &data.transactions, &DriftCheck::default());
        assert!(drift[0].fingerprint_js.is_some_and(|js| (js - 1.0).abs() < 1e-12));
        assert!(!drift[0].drifting, "19 documents per window is under the minimum of 20");
    }
}
