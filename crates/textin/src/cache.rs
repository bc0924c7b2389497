//! A process-wide cache of what the tools read, by the SHA-256 of the bytes.
//!
//! The one piece of global state in this crate, on purpose: the demo reads
//! every document twice (the eval, then the runtime loop) and OCR costs
//! about a second a page, so the same bytes must not be read twice by the
//! same tools. Only successes are kept (a time-out may not happen again);
//! the oldest entry goes first once [`CAPACITY`] are held.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, OnceLock};

use prodline_core::DocumentText;
use sha2::{Digest, Sha256};

/// Entries kept. A page of text is a few kilobytes: 256 of them are cheap.
pub(crate) const CAPACITY: usize = 256;

/// What produced the text, and with which settings that change it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    kind: &'static str,
    /// Settings that change the result (tesseract's language).
    settings: String,
    sha256: [u8; 32],
}

impl Key {
    pub(crate) fn new(kind: &'static str, settings: &str, bytes: &[u8]) -> Key {
        Key { kind, settings: settings.to_owned(), sha256: Sha256::digest(bytes).into() }
    }
}

#[derive(Default)]
struct Cache {
    entries: HashMap<Key, DocumentText>,
    order: VecDeque<Key>,
}

fn cache() -> &'static Mutex<Cache> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

/// The cached text for `key`, else `read()`'s, kept when it succeeded. The
/// lock is not held while reading, so two threads may read the same new
/// document at once; both get the same text.
pub(crate) fn cached<E>(key: Key, read: impl FnOnce() -> Result<DocumentText, E>) -> Result<DocumentText, E> {
    if let Some(text) = get(&key) {
        return Ok(text);
    }
    let text = read()?;
    put(key, text.clone());
    Ok(text)
}

fn get(key: &Key) -> Option<DocumentText> {
    // A thread that panicked while holding the lock left a consistent map
    // (each operation is a single insert or remove), so poisoning is ignored.
    let cache = cache().lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    cache.entries.get(key).cloned()
}

fn put(key: Key, text: DocumentText) {
    let mut cache = cache().lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if cache.entries.insert(key.clone(), text).is_some() {
        return;
    }
    cache.order.push_back(key);
    while cache.order.len() > CAPACITY {
        if let Some(oldest) = cache.order.pop_front() {
            cache.entries.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use prodline_core::TextSource;

    use super::*;

    fn text(page: &str) -> DocumentText {
        DocumentText::new(TextSource::Plain, vec![page.to_owned()])
    }

    #[test]
    fn a_second_read_of_the_same_bytes_is_not_run() {
        let key = Key::new("test-second-read", "", b"same bytes");
        let first: Result<_, ()> = cached(key.clone(), || Ok(text("first")));
        let second: Result<_, ()> = cached(key, || Ok(text("second")));
        assert_eq!(first, Ok(text("first")));
        assert_eq!(second, Ok(text("first")));
    }

    #[test]
    fn errors_are_not_kept() {
        let key = Key::new("test-errors", "", b"bytes");
        let failed: Result<DocumentText, &str> = cached(key.clone(), || Err("timeout"));
        let retried: Result<_, &str> = cached(key, || Ok(text("read")));
        assert_eq!(failed, Err("timeout"));
        assert_eq!(retried, Ok(text("read")));
    }

    #[test]
    fn settings_are_part_of_the_key() {
        assert_ne!(Key::new("ocr", "eng", b"x"), Key::new("ocr", "deu", b"x"));
        assert_ne!(Key::new("ocr", "eng", b"x"), Key::new("pdf", "eng", b"x"));
    }

    #[test]
    fn the_oldest_entries_go_first() {
        for i in 0..=CAPACITY {
            let _: Result<_, ()> = cached(Key::new("test-bound", "", &i.to_le_bytes()), || Ok(text("old")));
        }
        let first: Result<_, ()> = cached(Key::new("test-bound", "", &0usize.to_le_bytes()), || Ok(text("new")));
        assert_eq!(first, Ok(text("new")));
        let cache = cache().lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        assert!(cache.entries.len() <= CAPACITY);
    }
}
