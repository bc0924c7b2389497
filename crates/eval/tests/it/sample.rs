//! `--sample N --seed S`: deterministic for a seed, different across seeds,
//! and processed in replay order.

use std::path::PathBuf;

use prodline_eval::{Dataset, DatasetDocument};
use prodline_extract::MasterData;

fn dataset(n: usize) -> Dataset {
    let documents = (0..n)
        .map(|i| DatasetDocument {
            doc: format!("docs/{i:03}.x12"),
            path: PathBuf::from(format!("/nowhere/{i:03}.x12")),
            truth: vec![],
            duplicate_of: None,
            received_at: None,
            channel: None,
            from: None,
            curated: false,
        })
        .collect();
    Dataset { root: PathBuf::from("/nowhere"), master: MasterData::default(), documents, without_truth: vec![] }
}

fn names(dataset: &Dataset) -> Vec<String> {
    dataset.documents.iter().map(|d| d.doc.clone()).collect()
}

#[test]
fn same_seed_same_sample() {
    let a = names(&dataset(100).sample(10, 7));
    let b = names(&dataset(100).sample(10, 7));
    assert_eq!(a.len(), 10);
    assert_eq!(a, b);
}

#[test]
fn other_seed_other_sample() {
    let a = names(&dataset(100).sample(10, 7));
    let b = names(&dataset(100).sample(10, 8));
    assert_ne!(a, b);
}

#[test]
fn sample_keeps_replay_order() {
    let picked = names(&dataset(100).sample(25, 3));
    let mut sorted = picked.clone();
    sorted.sort();
    assert_eq!(picked, sorted);
    let all = names(&dataset(100));
    assert!(picked.iter().all(|p| all.contains(p)));
}

#[test]
fn sample_larger_than_the_dataset_takes_everything() {
    assert_eq!(names(&dataset(5).sample(50, 1)), names(&dataset(5)));
    assert!(dataset(5).sample(0, 1).documents.is_empty());
}
