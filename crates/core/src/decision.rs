//! Decisions and the one table of review reasons (SPEC §5).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Post without a person looking.
    Auto,
    /// A person looks first.
    Review,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Auto => "auto",
            Decision::Review => "review",
        }
    }
}

macro_rules! reason_codes {
    ($($variant:ident => $code:literal, $what:literal;)*) => {
        /// Why a document goes to review. The snake_case code is stable: it is
        /// used in predictions, metrics labels and API errors alike.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ReasonCode { $($variant,)* }

        impl ReasonCode {
            pub const ALL: &'static [ReasonCode] = &[$(ReasonCode::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(ReasonCode::$variant => $code,)* }
            }

            /// What the code means, for people and for the reason table in docs.
            pub fn meaning(self) -> &'static str {
                match self { $(ReasonCode::$variant => $what,)* }
            }
        }
    };
}

reason_codes! {
    ParseError => "parse_error", "the document could not be read completely";
    UnsupportedFormat => "unsupported_format", "no reader for this format yet";
    NotAnOrder => "not_an_order", "the document holds no order";
    EnvelopeError => "envelope_error", "EDI envelope counts or control numbers disagree";
    UnknownCustomer => "unknown_customer", "no customer in the master data matches";
    AmbiguousCustomer => "ambiguous_customer", "several customers match";
    UnknownShipTo => "unknown_ship_to", "the ship-to address matches no known ship-to";
    UnknownItem => "unknown_item", "a line's item matches nothing in the master data";
    AmbiguousItem => "ambiguous_item", "a line's item matches several SKUs";
    FuzzyItemMatch => "fuzzy_item_match", "a line's item was matched only by its description";
    UnknownUnit => "unknown_unit", "a line's unit is not one the item is sold in";
    PriceMismatch => "price_mismatch", "a stated price differs from the contract price";
    QtyOutlier => "qty_outlier", "a quantity is far outside the customer's history";
    Duplicate => "duplicate", "the same customer and PO number was already received";
    MissingField => "missing_field", "a required field is missing";
    Cancellation => "cancellation", "the document cancels an order";
    LowConfidence => "low_confidence", "confidence is below the auto-approve threshold";
    LowOcrConfidence => "low_ocr_confidence", "OCR confidence is low";
    AmbiguousDate => "ambiguous_date", "a date could mean several days and was left empty";
    ExtractorFailed => "extractor_failed", "the extractor or a tool it needs failed on this document";
    ExtractorsDisagree => "extractors_disagree", "two extractors read the document differently";
}

impl std::fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One reason with a message a reviewer can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub code: ReasonCode,
    pub message: String,
}

impl Reason {
    pub fn new(code: ReasonCode, message: impl Into<String>) -> Reason {
        Reason { code, message: message.into() }
    }
}
