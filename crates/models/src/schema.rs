//! The JSON schema of the answer a model gives: SPEC §1 orders, in the
//! subset "strict" structured outputs accept (every property required,
//! optional ones nullable, no additional properties).

use serde_json::{Value, json};

/// `{"orders": [ORDER...]}` with ORDER as in SPEC §1.
pub fn orders_schema() -> Value {
    let text = || json!({"type": ["string", "null"]});
    let date = || json!({"type": ["string", "null"], "description": "ISO date YYYY-MM-DD"});
    let line = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["line", "sku", "customer_part", "description", "qty", "uom", "unit_price"],
        "properties": {
            "line": {"type": ["integer", "null"]},
            "sku": {"type": ["string", "null"], "description": "our SKU from the item list, never invented"},
            "customer_part": {"type": ["string", "null"], "description": "the customer's part number as written"},
            "description": text(),
            "qty": {"type": "number"},
            "uom": {"type": ["string", "null"], "description": "EA, BX, CA, CT, PK, DZ, PR, ST, RL, PL, FT, YD, M, LB, KG, GA, L"},
            "unit_price": {"type": ["number", "null"], "description": "the price stated on the document, null when none"}
        }
    });
    let order = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["customer_id", "customer_po", "order_date", "requested_date", "ship_to", "currency", "lines"],
        "properties": {
            "customer_id": {"type": ["string", "null"], "description": "a customer id from the master data"},
            "customer_po": text(),
            "order_date": date(),
            "requested_date": date(),
            "ship_to": {"type": ["string", "null"], "description": "a ship-to id from the master data"},
            "currency": text(),
            "lines": {"type": "array", "items": line}
        }
    });
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["orders"],
        "properties": {"orders": {"type": "array", "items": order}}
    })
}
