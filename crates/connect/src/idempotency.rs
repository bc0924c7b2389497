//! The idempotency key a delivery is recorded under.

use sha2::{Digest, Sha256};

/// Stable key for one revision of one customer PO in one workflow:
/// `pl1-` followed by the lower-case hex SHA-256 of the four parts, each
/// length-prefixed (`<byte length>:<bytes>`) so no choice of separators can
/// make two different inputs collide. 68 ASCII characters, so it fits any
/// key column; the `pl1` prefix versions the scheme. A new revision of the
/// same PO (a change order) gets a new key and is delivered again.
pub fn idempotency_key(workflow: &str, customer_id: &str, customer_po: &str, revision: u32) -> String {
    let mut hasher = Sha256::new();
    let revision = revision.to_string();
    for part in [workflow, customer_id, customer_po, revision.as_str()] {
        hasher.update(part.len().to_string().as_bytes());
        hasher.update(b":");
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    let mut key = String::with_capacity(68);
    key.push_str("pl1-");
    for byte in digest {
        key.push(char::from(HEX[usize::from(byte >> 4)]));
        key.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    key
}

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    /// Computed independently: sha256("6:orders" "4:C100" "4:PO-1" "1:0").
    const PINNED_KEY: &str = "pl1-ba9df3e3e7d5a70e6fb0e25dd101dcc0140d812233f49dd061e6286f13638b5a";

    #[test]
    fn key_is_stable_and_separates_its_parts() {
        let key = idempotency_key("orders", "C100", "PO-1", 0);
        assert_eq!(key, idempotency_key("orders", "C100", "PO-1", 0));
        assert_eq!(key.len(), 68);
        // Pinned: a change here re-delivers every order already posted.
        assert_eq!(key, PINNED_KEY);
        assert!(key.starts_with("pl1-"));
        assert_ne!(key, idempotency_key("orders", "C100", "PO-1", 1));
        assert_ne!(idempotency_key("a", "bc", "d", 0), idempotency_key("ab", "c", "d", 0));
    }
}
