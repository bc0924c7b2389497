//! Texts that are no order: auto-replies, newsletters, invoices, shipping
//! notices, quote requests, questions, trade confirmations. Only phrases
//! that an order would not carry count; a plain "?" does not.

use prodline_formats::value::fold_label;

/// What a text is when it is no order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NonOrder {
    Empty,
    AutoReply,
    Newsletter,
    Invoice,
    ShippingNotice,
    QuoteRequest,
    Question,
    SeeAttached,
    TradeConfirmation,
    NoOrderLines,
}

impl NonOrder {
    pub fn message(self) -> &'static str {
        match self {
            NonOrder::Empty => "the text is empty",
            NonOrder::AutoReply => "an automatic reply (out of office), not an order",
            NonOrder::Newsletter => "a newsletter or marketing message, not an order",
            NonOrder::Invoice => "an invoice, credit note or statement, not an order",
            NonOrder::ShippingNotice => "a shipping or status notice, not an order",
            NonOrder::QuoteRequest => "a request for a quote, not an order",
            NonOrder::Question => "a question, not an order",
            NonOrder::SeeAttached => "refers to an attachment and holds no order lines itself",
            NonOrder::TradeConfirmation => "a trade confirmation, not an order",
            NonOrder::NoOrderLines => "no order lines found in the text",
        }
    }
}

/// Phrases that say what a text is whatever else it holds.
const STRONG: &[(NonOrder, &[&str])] = &[
    (
        NonOrder::AutoReply,
        &[
            "out of the office",
            "out of office",
            "automatic reply",
            "auto-reply",
            "autoreply",
            "auto reply",
            "i am currently away",
            "on annual leave",
            "limited access to e-mail",
            "limited access to email",
            "abwesenheitsnotiz",
            "ich bin bis",
            "absent du bureau",
            "reponse automatique",
            "delivery status notification",
            "undeliverable",
            "mail delivery failed",
        ],
    ),
    (
        NonOrder::Newsletter,
        &[
            "unsubscribe",
            "newsletter",
            "view this email in your browser",
            "view in browser",
            "manage your preferences",
            "you are receiving this email because",
            "abmelden",
            "se desabonner",
        ],
    ),
    (
        NonOrder::TradeConfirmation,
        &["trade confirmation", "trade#", "trade #", "trade date", "total settlement", "cusip"],
    ),
    (
        NonOrder::QuoteRequest,
        &[
            "not an order",
            "this is not an order",
            "not placing an order",
            "no po yet",
            "not yet an order",
            "before we order",
            "before ordering",
            "request for quotation",
            "request for quote",
        ],
    ),
    (
        NonOrder::Invoice,
        &[
            "invoice number",
            "invoice no",
            "invoice #",
            "invoice date",
            "credit note",
            "credit memo",
            "statement of account",
            "remittance advice",
            "rechnungsnummer",
            "numero de facture",
            "payment reminder",
            "amount due",
            "balance due",
            "past due",
        ],
    ),
    (
        NonOrder::ShippingNotice,
        &[
            "has shipped",
            "have shipped",
            "has been shipped",
            "has been dispatched",
            "tracking number",
            "shipment notification",
            "advance ship notice",
            "out for delivery",
            "status report",
            "order status",
            "status update",
            "has been delivered",
            "shipped today",
            "shipped via",
            "was shipped",
            "tracking",
        ],
    ),
];

/// Phrases that say what a text is when it holds no order lines.
const WEAK: &[(NonOrder, &[&str])] = &[
    (
        NonOrder::QuoteRequest,
        &["quote", "quotation", "rfq", "pricing for", "price list", "angebot", "devis", "cotizacion"],
    ),
    (
        NonOrder::SeeAttached,
        &[
            "see attached",
            "please find attached",
            "attached",
            "enclosed",
            "in the attachment",
            "anbei",
            "ci-joint",
            "pj",
        ],
    ),
    (
        NonOrder::Question,
        &[
            "do you have",
            "in stock",
            "availability",
            "lead time",
            "can you",
            "could you",
            "would you",
            "is it possible",
        ],
    ),
];

/// A document title that makes a printed document an invoice.
const INVOICE_TITLES: &[&str] = &["invoice", "tax invoice", "rechnung", "facture", "factura", "fattura", "credit note"];

/// What the text is, when a strong phrase says it is no order.
pub(crate) fn strong_non_order(text: &str, subject: Option<&str>) -> Option<NonOrder> {
    let folded = fold_label(&format!("{}\n{text}", subject.unwrap_or("")));
    if text.trim().is_empty() {
        return Some(NonOrder::Empty);
    }
    for (kind, phrases) in STRONG {
        if phrases.iter().any(|p| contains_phrase(&folded, p)) {
            return Some(*kind);
        }
    }
    let title = text.lines().map(str::trim).find(|l| !l.is_empty()).map(fold_label).unwrap_or_default();
    let titled_invoice = text.lines().take(12).any(|l| {
        let cells: Vec<String> = l.split("  ").map(|c| fold_label(c.trim())).filter(|c| !c.is_empty()).collect();
        cells.iter().any(|c| INVOICE_TITLES.contains(&c.as_str()))
    });
    if titled_invoice || INVOICE_TITLES.iter().any(|t| title == *t) {
        return Some(NonOrder::Invoice);
    }
    None
}

/// What a text without order lines is.
pub(crate) fn weak_non_order(text: &str, subject: Option<&str>, questions: bool) -> NonOrder {
    let folded = fold_label(&format!("{}\n{text}", subject.unwrap_or("")));
    for (kind, phrases) in WEAK {
        if phrases.iter().any(|p| contains_phrase(&folded, p)) {
            return *kind;
        }
    }
    if questions { NonOrder::Question } else { NonOrder::NoOrderLines }
}

/// Whole-word, case-folded containment.
fn contains_phrase(folded: &str, phrase: &str) -> bool {
    super::dates::find_word(folded, phrase).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strong_phrases_win_and_orders_pass() {
        assert_eq!(strong_non_order("I am out of the office until Mar 9.", None), Some(NonOrder::AutoReply));
        assert_eq!(strong_non_order("Hi", Some("Automatic reply: Order confirmation")), Some(NonOrder::AutoReply));
        assert_eq!(strong_non_order("INVOICE\nInvoice No. 4471", None), Some(NonOrder::Invoice));
        assert_eq!(strong_non_order("Please send 5 cases of HV-075-BR", None), None);
        assert_eq!(strong_non_order("Invoice and shipping address:   Agrolait", None), None);
    }
}
