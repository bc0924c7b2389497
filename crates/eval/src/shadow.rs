//! A challenger in shadow: a second extractor decides every document beside
//! the champion, is scored the same way, and is compared with it. Only the
//! champion's decisions count; the challenger's are measured.

use std::collections::BTreeMap;

use prodline_core::scoring::document_correct;
use prodline_core::stats::Proportion;
use serde::{Deserialize, Serialize};

use crate::report::Report;
use crate::score::{ScoredDocument, score};

/// How often champion and challenger said the same thing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    pub champion: String,
    pub challenger: String,
    /// Documents whose predicted orders pair up one to one by the scoring
    /// rule of SPEC §4, each side taken as the truth of the other (so a
    /// price one side states and the other does not is a disagreement) /
    /// documents both decided.
    pub orders: Proportion,
    /// Documents both sent the same way (auto or review) / documents.
    pub decisions: Proportion,
    /// Documents where the predicted orders differ, in evaluation order.
    pub disagreeing_docs: Vec<String>,
}

/// Compare the two runs document by document (paired by path; a document
/// only one side decided is not compared).
pub fn agreement(
    champion_name: &str,
    challenger_name: &str,
    champion: &[ScoredDocument],
    challenger: &[ScoredDocument],
) -> Agreement {
    let theirs: BTreeMap<&str, &ScoredDocument> = challenger.iter().map(|r| (r.doc.as_str(), r)).collect();
    let (mut compared, mut same_orders, mut same_decision) = (0, 0, 0);
    let mut disagreeing_docs = Vec::new();
    for ours in champion {
        let Some(other) = theirs.get(ours.doc.as_str()) else { continue };
        compared += 1;
        same_decision += u64::from(ours.decision == other.decision);
        if same_orders_both_ways(ours, other) {
            same_orders += 1;
        } else {
            disagreeing_docs.push(ours.doc.clone());
        }
    }
    Agreement {
        champion: champion_name.to_string(),
        challenger: challenger_name.to_string(),
        orders: Proportion::new(same_orders, compared),
        decisions: Proportion::new(same_decision, compared),
        disagreeing_docs,
    }
}

/// The scoring rule compares prices only where the truth states one, so
/// it is applied in both directions to make agreement symmetric.
fn same_orders_both_ways(a: &ScoredDocument, b: &ScoredDocument) -> bool {
    document_correct(&a.predicted, &b.predicted) && document_correct(&b.predicted, &a.predicted)
}

/// Score a champion and its challenger: the champion's report, carrying the
/// challenger's report and their agreement.
pub fn score_shadow(
    champion_name: &str,
    challenger_name: &str,
    champion: &[ScoredDocument],
    challenger: &[ScoredDocument],
) -> Report {
    let mut report = score(champion);
    report.agreement = Some(agreement(champion_name, challenger_name, champion, challenger));
    report.challenger = Some(Box::new(score(challenger)));
    report
}
