//! Cases that once went wrong, each named after what it pins, bytes inline.

use prodline_edifact::parse;

/// Found by the round-trip property: a UNB without UNA wrapped right after
/// the syntax identifier made the line break look like the component separator.
#[test]
fn wrapped_unb_without_una_keeps_default_delimiters() {
    let doc = parse(b"UNB+UNOW\r\n:4+++260\r\n101:0000\r\n+1'UNH++\r\nORDERS:D\r\n:96A:UN:\r\nEAN008'B\r\nGM'UNS+S\r\n'UNT+4'U\r\nNZ+1+1'");
    assert!(doc.diagnostics.is_empty(), "{:?}", doc.diagnostics);
    assert_eq!(doc.orders.len(), 1);
}

/// A UNA cut short at the end of the file is not a service string advice.
#[test]
fn truncated_una_is_not_read_as_delimiters() {
    let doc = parse(b"UNA:+.");
    assert!(doc.orders.is_empty());
    assert!(doc.has_errors() || !doc.diagnostics.is_empty());
}

/// A release character as the very last byte escapes nothing.
#[test]
fn release_character_at_end_of_input() {
    let doc = parse(b"UNH+1+ORDERS'BGM+220+PO?");
    assert_eq!(doc.orders.first().and_then(|o| o.po_number.as_deref()), Some("PO"));
}

/// A price basis of zero would divide by zero: warned, no price.
#[test]
fn zero_price_basis_is_a_bad_number_not_a_division() {
    let doc = parse(b"UNH+1+ORDERS'BGM+220+1'LIN+1'PRI+AAA:10:::0:PCE'UNT+5+1'");
    let order = &doc.orders[0];
    assert_eq!(order.lines[0].unit_price, None);
    assert_eq!(order.diagnostics[0].code, "bad_number");
}

/// Multi-byte UTF-8 inside a UNOA interchange and a stray Latin-1 byte in the same value.
#[test]
fn mixed_encodings_in_an_ascii_interchange_do_not_fail() {
    let doc = parse(b"UNB+UNOA:1+A+B+1'UNH+1+ORDERS'BGM+220+\xc3\xa9\xff'UNT+3+1'UNZ+1+1'");
    assert_eq!(doc.orders[0].po_number.as_deref(), Some("\u{c3}\u{a9}\u{ff}"));
}

/// Messages before a UNB, a UNZ without UNB, and a second UNB without UNZ.
#[test]
fn envelope_out_of_order_is_warned_not_fatal() {
    let doc =
        parse(b"UNH+1+ORDERS'BGM+220+A'UNT+3+1'UNZ+1+1'UNB+UNOA:1+S+R+9'UNH+2+ORDERS'BGM+220+B'UNB+UNOA:1+S+R+10'");
    let pos: Vec<_> = doc.orders.iter().map(|o| o.po_number.as_deref()).collect();
    assert_eq!(pos, [Some("A"), Some("B")]);
    let codes: Vec<_> = doc.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["segment_outside_message", "missing_trailer", "missing_trailer", "missing_trailer"]);
}
