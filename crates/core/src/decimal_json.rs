//! JSON numbers for decimals.
//!
//! SPEC §1 writes quantities and prices as JSON numbers (`"qty": 200`). We
//! keep them as `Decimal` in code and write the shortest number that reads
//! back to the same decimal; on input we accept numbers and numeric strings.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serializer, de};

/// Serialize a decimal as a JSON number (falls back to a string only for
/// values an `f64` cannot carry exactly, which keeps them lossless).
pub fn serialize<S: Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    let normalized = value.normalize();
    if let (0, Ok(i)) = (normalized.scale(), i64::try_from(normalized.mantissa())) {
        return s.serialize_i64(i);
    }
    let text = normalized.to_string();
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() && Decimal::from_str(&f.to_string()).ok() == Some(normalized) => s.serialize_f64(f),
        _ => s.serialize_str(&text),
    }
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    d.deserialize_any(DecimalVisitor)
}

/// For `Option<Decimal>` fields: `null` or absent is `None`.
pub mod option {
    use super::*;

    pub fn serialize<S: Serializer>(value: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => super::serialize(v, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        #[derive(Deserialize)]
        struct Wrap(#[serde(deserialize_with = "super::deserialize")] Decimal);
        Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
    }
}

struct DecimalVisitor;

impl de::Visitor<'_> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a decimal number")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        // `f64`'s Display is the shortest text that reads back to the same
        // float, so "11.85" in the JSON becomes exactly 11.85 here.
        Decimal::from_str(&v.to_string())
            .or_else(|_| Decimal::from_scientific(&format!("{v:e}")))
            .map(|d| d.normalize())
            .map_err(|_| E::custom(format!("{v} is not a representable decimal")))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        Decimal::from_str(v.trim())
            .map(|d| d.normalize())
            .map_err(|_| E::custom(format!("{v:?} is not a decimal number")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Row {
        #[serde(with = "super")]
        qty: Decimal,
        #[serde(with = "super::option", default)]
        price: Option<Decimal>,
    }

    #[test]
    fn writes_numbers_and_reads_them_back_exactly() {
        let row = Row { qty: Decimal::from(200), price: Some(Decimal::from_str("11.85").unwrap()) };
        let json = serde_json::to_string(&row).unwrap();
        assert_eq!(json, r#"{"qty":200,"price":11.85}"#);
        assert_eq!(serde_json::from_str::<Row>(&json).unwrap(), row);
    }

    #[test]
    fn reads_strings_and_null() {
        let row: Row = serde_json::from_str(r#"{"qty":"13.000","price":null}"#).unwrap();
        assert_eq!(row.qty, Decimal::from(13));
        assert_eq!(row.price, None);
        let row: Row = serde_json::from_str(r#"{"qty":0.1}"#).unwrap();
        assert_eq!(row.qty, Decimal::from_str("0.1").unwrap());
    }
}
