//! EDI back: X12 acknowledgements written to the workflow's outbound folder
//! when `[workflow.acknowledgements]` is configured, for documents that came
//! as X12 only.
//!
//! - a 997 for every interchange received, written when the document is
//!   processed (an interchange with errors gets one too: saying so is what a
//!   997 is for), named `997-<first 16 hex digits of the document's SHA-256>.x12`
//!   (`…-<n>.x12` for the n-th of several interchanges in one file);
//! - an 855 for every order posted, written after the ERP committed it (or
//!   recognised it as posted before), named `855-<first 16 hex digits of the
//!   SHA-256 of the idempotency key>.x12`; the order as received is read again
//!   from the stored bytes and found by its PO number.
//!
//! Names depend only on what is acknowledged, so a repeat after a crash
//! overwrites the same file instead of sending a second acknowledgement.
//! Each file is written under a temporary dot-name, fsynced, then renamed,
//! so the gateway never picks up half a file.
//!
//! Control numbers (ISA13/GS06, nine digits) are derived, not counted, so a
//! repeat carries the same number: a 997 takes `(document id mod 4,999,999) ×
//! 100 + 1`, plus the interchange's index in the file (numbers 1 to
//! 499,999,999); an 855 takes `500,000,000 + (delivery id mod 499,999,999)`.
//! They are unique until the ids wrap (about five million documents, half a
//! billion deliveries), and only overlap for a file with more than 99
//! interchanges.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use prodline_config::AcknowledgementsConfig;
use prodline_core::{CanonicalOrder, Format, PartyId};
use prodline_store::{Delivery, DocumentRecord, EventKind, Sha256, Store};
use prodline_x12::ack::{AckParty, AckType, ack_855, ack_997};
use serde_json::json;

use crate::{Clock, RunSummary, RuntimeError, Workflow};

const ACTOR: &str = "acknowledgements";
/// Hex digits of a hash in a file name: 64 bits.
const NAME_HASH_DIGITS: usize = 16;
const DOCUMENT_SPACING: i64 = 100;
const DOCUMENT_SLOTS: i64 = 4_999_999;
const DELIVERY_BASE: i64 = 500_000_000;
const DELIVERY_SLOTS: i64 = 499_999_999;
/// BAK08 is AN 1/22.
const BAK08_MAX_CHARS: usize = 22;

/// Temporary names unique within this process.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// Writes the 997s of an X12 document; anything else is left alone. A failure
/// to write is a problem of the pass, not of the document.
pub(crate) async fn acknowledge_received<S: Store>(
    workflow: &Workflow,
    store: &S,
    clock: &dyn Clock,
    document: &DocumentRecord,
    bytes: &[u8],
    summary: &mut RunSummary,
) -> Result<(), RuntimeError> {
    let Some(config) = workflow.config.acknowledgements.as_ref().filter(|config| config.send_997) else {
        return Ok(());
    };
    if prodline_formats::detect(bytes, Some(&document.file_name)) != Format::X12 {
        return Ok(());
    }
    let control = control_997(document.id.0);
    let now = clock.now().naive_utc();
    let interchanges = match ack_997(bytes, &party(config), control, now) {
        Ok(interchanges) => interchanges,
        Err(error) => {
            summary.problems.push(format!("{}: no 997 written: {error}", document.file_name));
            return Ok(());
        }
    };
    let stem = format!("997-{}", hash_prefix(&document.sha256));
    let several = interchanges.len() > 1;
    let mut files = Vec::with_capacity(interchanges.len());
    for (index, interchange) in interchanges.into_iter().enumerate() {
        let name = if several { format!("{stem}-{}.x12", index + 1) } else { format!("{stem}.x12") };
        match write_atomically(&config.outbound, &name, interchange).await {
            Ok(path) => files.push(path.display().to_string()),
            Err(problem) => summary.problems.push(problem),
        }
    }
    if !files.is_empty() {
        let details = json!({ "acknowledgement": "997", "files": files });
        store.record_event(Some(document.id), EventKind::OutcomeRecorded, ACTOR, details).await?;
    }
    Ok(())
}

/// Writes the 855 of an order just posted, when its document came as X12.
pub(crate) async fn acknowledge_posted<S: Store>(
    workflow: &Workflow,
    store: &S,
    clock: &dyn Clock,
    delivery: &Delivery,
    posted: &CanonicalOrder,
    erp_key: &str,
    summary: &mut RunSummary,
) -> Result<(), RuntimeError> {
    let Some(config) = workflow.config.acknowledgements.as_ref().filter(|config| config.send_855) else {
        return Ok(());
    };
    let Some(document) = store.document(delivery.document_id).await? else {
        return Ok(());
    };
    let Some(bytes) = store.blob(&document.sha256).await? else {
        summary.problems.push(format!("{}: no 855 written: the stored bytes are missing", document.file_name));
        return Ok(());
    };
    let parsed = prodline_formats::parse(&bytes, Some(&document.file_name));
    if parsed.format != Some(Format::X12) {
        return Ok(());
    }
    let po = posted.customer_po.as_deref().map(str::trim);
    let Some(received) = parsed.orders.iter().find(|order| order.po_number.as_deref().map(str::trim) == po) else {
        let problem = format!("{}: no 855 written: no order with PO {po:?} in the stored bytes", document.file_name);
        summary.problems.push(problem);
        return Ok(());
    };
    let control = control_855(delivery.id.0);
    let now = clock.now().naive_utc();
    let our_order = our_order_number(erp_key);
    let interchange = match ack_855(received, posted, AckType::Accepted, our_order, &party(config), control, now) {
        Ok(interchange) => interchange,
        Err(error) => {
            summary.problems.push(format!("{}: no 855 written for PO {po:?}: {error}", document.file_name));
            return Ok(());
        }
    };
    let name = format!("855-{}.x12", hash_prefix(&Sha256::of(delivery.idempotency_key.as_bytes())));
    match write_atomically(&config.outbound, &name, interchange).await {
        Ok(path) => {
            let details =
                json!({ "acknowledgement": "855", "delivery_id": delivery.id, "file": path.display().to_string() });
            store.record_event(Some(document.id), EventKind::OutcomeRecorded, ACTOR, details).await?;
        }
        Err(problem) => summary.problems.push(problem),
    }
    Ok(())
}

/// BAK08, our order number: the ERP's key when it fits the element (1 to 22
/// ASCII characters); left out otherwise (a file-drop key is a file name),
/// rather than cut into something that names no order.
pub fn our_order_number(erp_key: &str) -> &str {
    let fits =
        (1..=BAK08_MAX_CHARS).contains(&erp_key.len()) && erp_key.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
    if fits { erp_key } else { "" }
}

/// Who we are on what we send.
fn party(config: &AcknowledgementsConfig) -> AckParty {
    let interchange_id = config
        .sender_id
        .as_ref()
        .map(|id| PartyId { qualifier: Some(config.sender_qualifier.clone()), value: id.clone() });
    AckParty { interchange_id, application_id: None }
}

fn hash_prefix(sha256: &Sha256) -> &str {
    sha256.as_str().get(..NAME_HASH_DIGITS).unwrap_or(sha256.as_str())
}

/// The first 997 control number of a document (see the module comment).
pub fn control_997(document_id: i64) -> u32 {
    let number = document_id.rem_euclid(DOCUMENT_SLOTS) * DOCUMENT_SPACING + 1;
    u32::try_from(number).unwrap_or(1)
}

/// The 855 control number of a delivery (see the module comment).
pub fn control_855(delivery_id: i64) -> u32 {
    let number = DELIVERY_BASE + delivery_id.rem_euclid(DELIVERY_SLOTS);
    u32::try_from(number).unwrap_or(DELIVERY_BASE as u32)
}

/// Temporary dot-name, write, fsync, rename, fsync the folder; on a blocking
/// thread. Returns the final path, or the problem naming the path.
async fn write_atomically(folder: &Path, name: &str, bytes: Vec<u8>) -> Result<PathBuf, String> {
    let target = folder.join(name);
    let temporary = {
        let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        folder.join(format!(".tmp-{name}-{}-{sequence}.part", std::process::id()))
    };
    let shown = target.display().to_string();
    let task = tokio::task::spawn_blocking(move || {
        let written = write_and_rename(&temporary, &target, &bytes);
        if written.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        written.map(|()| target.clone()).map_err(|error| format!("{}: cannot write: {error}", target.display()))
    });
    task.await.unwrap_or_else(|error| Err(format!("{shown}: the write did not finish: {error}")))
}

fn write_and_rename(temporary: &Path, target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(temporary, target)?;
    if let Some(folder) = target.parent() {
        // Makes the rename itself survive a power loss.
        std::fs::File::open(folder)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_order_number_is_the_erp_key_when_it_fits_bak08() {
        assert_eq!(our_order_number("SO-000123"), "SO-000123");
        assert_eq!(our_order_number("1234567890123456789012"), "1234567890123456789012");
        assert_eq!(our_order_number("C0001_4500000011_0123456789abcdef.json"), "");
        assert_eq!(our_order_number("line\nbreak"), "");
    }

    #[test]
    fn control_numbers_fit_nine_digits_and_do_not_meet() {
        for id in [0, 1, 2, 4_999_998, 4_999_999, i64::MAX, -3] {
            let first = control_997(id);
            assert!((1..=499_999_901).contains(&first), "997 of {id}: {first}");
            let order = control_855(id);
            assert!((500_000_000..=999_999_999).contains(&order), "855 of {id}: {order}");
        }
        assert_eq!(control_997(7), control_997(7));
        assert_ne!(control_997(7), control_997(8));
        assert_eq!(control_997(8) - control_997(7), 100);
    }
}
