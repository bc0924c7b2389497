//! Units of measure (SPEC §1): one code per unit, every usual spelling mapped
//! to it. A unit not in the table is kept as written, upper-cased.

/// (code, spellings). Matching is case-insensitive; the code matches itself.
const UNITS: &[(&str, &[&str])] = &[
    (
        "EA",
        &[
            "EACH",
            "PC",
            "PCE",
            "PCS",
            "C62",
            "H87",
            "UNIT",
            "UNITS",
            "UN",
            "NAR",
            "NMB",
            "PIECE",
            "PIECES",
            "STK",
            "ST\u{dc}CK",
            "STUECK",
            "PIECE(S)",
            "EAS",
            "EACHES",
            "PZ",
            "PZA",
            "PI\u{c8}CE",
            "PI\u{c8}CES",
            "PIECE",
        ],
    ),
    ("BX", &["BOX", "BOXES", "BXS", "BO\u{ce}TE", "BO\u{ce}TES", "BOITE", "BOITES"]),
    ("CA", &["CASE", "CASES", "CS"]),
    ("CT", &["CARTON", "CARTONS", "CTN", "CTNS"]),
    ("PK", &["PACK", "PACKS", "PKG", "PKGS", "PACKAGE", "PA"]),
    ("DZ", &["DOZEN", "DOZENS", "DZN", "DOZ"]),
    ("PR", &["PAIR", "PAIRS"]),
    ("ST", &["SET", "SETS"]),
    ("RL", &["ROLL", "ROLLS"]),
    ("PL", &["PALLET", "PALLETS", "PLT", "PF"]),
    ("FT", &["FOOT", "FEET", "FOT"]),
    ("YD", &["YARD", "YARDS", "YRD"]),
    ("M", &["METRE", "METER", "METRES", "METERS", "MTR"]),
    ("LB", &["POUND", "POUNDS", "LBR", "LBS"]),
    ("KG", &["KILOGRAM", "KILOGRAMS", "KGM", "KGS"]),
    ("GA", &["GALLON", "GALLONS", "GAL", "GLL"]),
    ("L", &["LITRE", "LITER", "LITRES", "LITERS", "LTR"]),
];

/// The SPEC §1 code for a unit as written; unknown units come back
/// upper-cased and trimmed. Empty input gives `None`.
pub fn normalize_uom(raw: &str) -> Option<String> {
    let upper = raw.trim().trim_end_matches('.').to_uppercase();
    if upper.is_empty() {
        return None;
    }
    for (code, spellings) in UNITS {
        if upper == *code || spellings.contains(&upper.as_str()) {
            return Some((*code).to_string());
        }
    }
    Some(upper)
}

/// Whether a unit as written is one of the table's units.
pub fn is_known_uom(raw: &str) -> bool {
    let Some(code) = normalize_uom(raw) else { return false };
    UNITS.iter().any(|(c, _)| *c == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_spellings_to_codes() {
        for (raw, code) in [
            ("pcs", "EA"),
            ("PCE", "EA"),
            ("each", "EA"),
            ("C62", "EA"),
            ("Box", "BX"),
            ("CS", "CA"),
            ("ctn", "CT"),
            ("KGM", "KG"),
            ("feet", "FT"),
            ("PF", "PL"),
            ("ltr", "L"),
            ("dzn", "DZ"),
        ] {
            assert_eq!(normalize_uom(raw).as_deref(), Some(code), "{raw}");
        }
    }

    #[test]
    fn keeps_unknown_units_upper_cased() {
        assert_eq!(normalize_uom(" ki ").as_deref(), Some("KI"));
        assert_eq!(normalize_uom(""), None);
        assert!(!is_known_uom("KI"));
        assert!(is_known_uom("pieces"));
    }
}
