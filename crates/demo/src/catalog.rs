//! The item master: valves, fittings, gaskets, fasteners and hydraulic hose
//! of a fictional mid-market maker, with list prices, UPCs and pack sizes.

use rust_decimal::Decimal;

use crate::dice::Dice;

#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub(crate) sku: String,
    pub(crate) description: String,
    pub(crate) description_de: String,
    pub(crate) description_fr: String,
    pub(crate) uom: &'static str,
    pub(crate) list_price: Decimal,
    pub(crate) upc: String,
    pub(crate) aliases: Vec<String>,
    /// Pack units a customer may order in, with their content in `uom`.
    pub(crate) packs: Vec<(&'static str, u32)>,
}

impl Item {
    /// The 13-digit GTIN of the UPC-A code, as EDIFACT and UBL senders write it.
    pub(crate) fn gtin13(&self) -> String {
        format!("0{}", self.upc)
    }

    /// The SKU without dashes, as some senders type it.
    pub(crate) fn compact_sku(&self) -> String {
        self.sku.replace('-', "")
    }
}

struct Material {
    code: &'static str,
    en: &'static str,
    de: &'static str,
    fr: &'static str,
    price_pct: i64,
}

const fn mat(code: &'static str, en: &'static str, de: &'static str, fr: &'static str, price_pct: i64) -> Material {
    Material { code, en, de, fr, price_pct }
}

const BRASS: Material = mat("BR", "brass", "Messing", "laiton", 100);
const STAINLESS: Material = mat("SS", "stainless", "Edelstahl", "inox", 180);
const CARBON: Material = mat("CS", "carbon steel", "Stahl", "acier", 120);
const CAST_IRON: Material = mat("CI", "cast iron", "Grauguss", "fonte", 90);
const PVC: Material = mat("PV", "PVC", "PVC", "PVC", 35);

/// Pipe sizes: (code, inch label, price factor in %).
const PIPE_SIZES: &[(&str, &str, i64)] = &[
    ("025", "1/4", 60),
    ("038", "3/8", 70),
    ("050", "1/2", 80),
    ("075", "3/4", 100),
    ("100", "1", 130),
    ("125", "1-1/4", 170),
    ("150", "1-1/2", 220),
    ("200", "2", 300),
];

struct PipeFamily {
    prefix: &'static str,
    en: &'static str,
    de: &'static str,
    fr: &'static str,
    base_cents: i64,
    materials: &'static [Material],
    packs: &'static [(&'static str, u32)],
}

const PIPE_FAMILIES: &[PipeFamily] = &[
    PipeFamily {
        prefix: "HV",
        en: "ball valve",
        de: "Kugelhahn",
        fr: "robinet à boisseau sphérique",
        base_cents: 1185,
        materials: &[BRASS, STAINLESS, CARBON],
        packs: &[],
    },
    PipeFamily {
        prefix: "GV",
        en: "gate valve",
        de: "Absperrschieber",
        fr: "vanne à opercule",
        base_cents: 2450,
        materials: &[BRASS, CAST_IRON, STAINLESS],
        packs: &[],
    },
    PipeFamily {
        prefix: "CV",
        en: "swing check valve",
        de: "Rückschlagventil",
        fr: "clapet anti-retour",
        base_cents: 1890,
        materials: &[BRASS, STAINLESS, CAST_IRON],
        packs: &[],
    },
    PipeFamily {
        prefix: "FE",
        en: "90deg elbow",
        de: "Winkel 90 Grad",
        fr: "coude 90",
        base_cents: 310,
        materials: &[BRASS, STAINLESS, CARBON, PVC],
        packs: &[("BX", 25)],
    },
    PipeFamily {
        prefix: "FT",
        en: "tee",
        de: "T-Stück",
        fr: "té égal",
        base_cents: 395,
        materials: &[BRASS, STAINLESS, CARBON, PVC],
        packs: &[("BX", 25)],
    },
    PipeFamily {
        prefix: "FC",
        en: "coupling",
        de: "Muffe",
        fr: "manchon",
        base_cents: 240,
        materials: &[BRASS, STAINLESS, CARBON, PVC],
        packs: &[("BX", 50)],
    },
    PipeFamily {
        prefix: "FU",
        en: "union",
        de: "Verschraubung",
        fr: "raccord union",
        base_cents: 720,
        materials: &[BRASS, STAINLESS, CARBON],
        packs: &[("BX", 10)],
    },
];

/// Gasket sizes (code, label, factor) and materials (code, en, de, fr, factor).
const GASKET_SIZES: &[(&str, &str, i64)] = &[
    ("050", "DN15", 60),
    ("075", "DN20", 70),
    ("100", "DN25", 80),
    ("150", "DN40", 100),
    ("200", "DN50", 120),
    ("300", "DN80", 160),
    ("400", "DN100", 210),
    ("600", "DN150", 320),
];
const GASKET_MATERIALS: &[(&str, &str, &str, &str, i64)] = &[
    ("NBR", "NBR", "NBR", "NBR", 100),
    ("EPDM", "EPDM", "EPDM", "EPDM", 110),
    ("PTFE", "PTFE", "PTFE", "PTFE", 260),
    ("GRA", "graphite", "Graphit", "graphite", 340),
];

const BOLT_SIZES: &[(&str, i64)] = &[("M6", 60), ("M8", 80), ("M10", 100), ("M12", 140), ("M16", 230)];
const BOLT_LENGTHS: &[(&str, i64)] = &[("030", 90), ("050", 100), ("080", 130)];
const BOLT_FINISHES: &[(&str, &str, &str, &str, i64)] =
    &[("ZN", "zinc plated", "verzinkt", "zinguée", 100), ("SS", "stainless A2", "Edelstahl A2", "inox A2", 260)];

/// Hose dash sizes: (code, inch label, metric DN, factor).
const HOSE_SIZES: &[(&str, &str, &str, i64)] = &[
    ("04", "1/4", "DN6", 70),
    ("06", "3/8", "DN10", 85),
    ("08", "1/2", "DN12", 100),
    ("10", "5/8", "DN16", 125),
    ("12", "3/4", "DN20", 150),
    ("16", "1", "DN25", 210),
];
const HOSE_TYPES: &[(&str, &str, &str, &str, i64)] = &[
    ("1W", "1-wire", "1-Draht", "1 tresse", 100),
    ("2W", "2-wire", "2-Draht", "2 tresses", 140),
    ("4SP", "4-spiral", "4-Spiral", "4 spirales", 260),
];
const HOSE_ENDS: &[(&str, &str, i64)] =
    &[("JIC", "JIC female swivel", 100), ("NPT", "NPT male", 85), ("ORF", "ORFS female", 130)];

/// The whole catalog, in a fixed order; UPCs and aliases depend on the seed.
pub(crate) fn build_items(dice: &mut Dice) -> Vec<Item> {
    let mut items = Vec::new();
    pipe_items(&mut items);
    gasket_items(&mut items);
    fastener_items(&mut items);
    hose_items(&mut items);
    sundry_items(&mut items);
    assign_upcs(&mut items, dice);
    assign_aliases(&mut items, dice);
    items
}

fn item(sku: String, en: String, de: String, fr: String, uom: &'static str, cents: i64) -> Item {
    Item {
        sku,
        description: en,
        description_de: de,
        description_fr: fr,
        uom,
        list_price: Decimal::new(cents.max(1), 2),
        upc: String::new(),
        aliases: Vec::new(),
        packs: Vec::new(),
    }
}

fn pipe_items(items: &mut Vec<Item>) {
    for family in PIPE_FAMILIES {
        for m in family.materials {
            for (code, inch, factor) in PIPE_SIZES {
                // PVC fittings stop at 2in and are cheap; everything else scales.
                let cents = family.base_cents * factor * m.price_pct / 10_000;
                let mut it = item(
                    format!("{}-{}-{}", family.prefix, code, m.code),
                    format!("{inch}in {} {}", m.en, family.en),
                    format!("{} {} {inch} Zoll", family.de, m.de),
                    format!("{} {} {inch} po", family.fr, m.fr),
                    "EA",
                    cents,
                );
                it.packs = family.packs.to_vec();
                items.push(it);
            }
        }
    }
}

fn gasket_items(items: &mut Vec<Item>) {
    for (mcode, en, de, fr, mfac) in GASKET_MATERIALS {
        for (code, dn, factor) in GASKET_SIZES {
            let mut it = item(
                format!("GK-{code}-{mcode}"),
                format!("{dn} {en} flange gasket"),
                format!("Flanschdichtung {dn} {de}"),
                format!("joint de bride {dn} {fr}"),
                "EA",
                260 * factor * mfac / 10_000,
            );
            it.packs = vec![("PK", 10)];
            items.push(it);
        }
    }
    for (n, (en, de, fr)) in [
        ("O-ring kit metric", "O-Ring-Sortiment metrisch", "coffret joints toriques métrique"),
        ("O-ring kit inch", "O-Ring-Sortiment zöllig", "coffret joints toriques pouce"),
        ("O-ring kit Viton", "O-Ring-Sortiment FKM", "coffret joints toriques FKM"),
        ("flange gasket kit DN15-DN50", "Dichtungssatz DN15-DN50", "kit de joints DN15-DN50"),
    ]
    .into_iter()
    .enumerate()
    {
        items.push(item(
            format!("OR-KIT-{:02}", n + 1),
            en.to_string(),
            de.to_string(),
            fr.to_string(),
            "ST",
            4990 + 1500 * n as i64,
        ));
    }
}

fn fastener_items(items: &mut Vec<Item>) {
    for (fcode, en, de, fr, ffac) in BOLT_FINISHES {
        for (size, sfac) in BOLT_SIZES {
            for (len, lfac) in BOLT_LENGTHS {
                let l = len.trim_start_matches('0');
                let mut it = item(
                    format!("FS-{size}-{len}-{fcode}"),
                    format!("hex bolt {size}x{l} {en}, box of 100"),
                    format!("Sechskantschraube {size}x{l} {de}"),
                    format!("vis tête hexagonale {size}x{l} {fr}"),
                    "BX",
                    1450 * sfac * lfac * ffac / 1_000_000,
                );
                it.packs = vec![("CA", 10)];
                items.push(it);
            }
            let mut nut = item(
                format!("FN-{size}-{fcode}"),
                format!("hex nut {size} {en}, box of 100"),
                format!("Sechskantmutter {size} {de}"),
                format!("écrou hexagonal {size} {fr}"),
                "BX",
                690 * sfac * ffac / 10_000,
            );
            nut.packs = vec![("CA", 10)];
            items.push(nut);
            items.push(item(
                format!("FW-{size}-{fcode}"),
                format!("flat washer {size} {en}, box of 100"),
                format!("Unterlegscheibe {size} {de}"),
                format!("rondelle plate {size} {fr}"),
                "BX",
                380 * sfac * ffac / 10_000,
            ));
        }
    }
    for (size, sfac) in BOLT_SIZES {
        items.push(item(
            format!("FB-{size}-ZN-KG"),
            format!("hex bolts {size} zinc plated, bulk by weight"),
            format!("Sechskantschrauben {size} verzinkt, lose nach Gewicht"),
            format!("vis hexagonales {size} zinguées, vrac au poids"),
            "KG",
            890 * sfac / 100,
        ));
    }
}

fn hose_items(items: &mut Vec<Item>) {
    for (tcode, en, de, fr, tfac) in HOSE_TYPES {
        for (code, inch, _, factor) in HOSE_SIZES {
            let mut it = item(
                format!("HH-{code}-{tcode}"),
                format!("{inch}in {en} hydraulic hose"),
                format!("Hydraulikschlauch {inch} Zoll {de}"),
                format!("flexible hydraulique {inch} po {fr}"),
                "FT",
                310 * factor * tfac / 10_000,
            );
            it.packs = vec![("RL", 100)];
            items.push(it);
        }
    }
    for (code, _, dn, factor) in HOSE_SIZES {
        items.push(item(
            format!("HM-{code}-2W"),
            format!("{dn} 2-wire hydraulic hose, metric"),
            format!("Hydraulikschlauch {dn} 2-Draht"),
            format!("flexible hydraulique {dn} 2 tresses"),
            "M",
            1020 * factor / 100,
        ));
    }
    for (ecode, en, efac) in HOSE_ENDS {
        for (code, inch, _, factor) in HOSE_SIZES {
            items.push(item(
                format!("HF-{code}-{ecode}"),
                format!("{inch}in hose fitting {en}"),
                format!("Pressarmatur {inch} Zoll {ecode}"),
                format!("raccord sertir {inch} po {ecode}"),
                "EA",
                560 * factor * efac / 10_000,
            ));
        }
    }
}

/// (sku, en, de, fr, uom, list cents, packs).
type Sundry =
    (&'static str, &'static str, &'static str, &'static str, &'static str, i64, &'static [(&'static str, u32)]);

fn sundry_items(items: &mut Vec<Item>) {
    let sundries: [Sundry; 6] = [
        ("TS-PTFE-050", "PTFE thread seal tape 1/2in", "PTFE-Gewindedichtband", "ruban PTFE", "RL", 145, &[("CA", 12)]),
        (
            "TS-PTFE-075",
            "PTFE thread seal tape 3/4in",
            "PTFE-Gewindedichtband breit",
            "ruban PTFE large",
            "RL",
            195,
            &[("CA", 12)],
        ),
        (
            "TS-PASTE-250",
            "pipe thread sealant 250ml",
            "Gewindedichtpaste 250ml",
            "pâte d'étanchéité 250ml",
            "EA",
            895,
            &[("CA", 12)],
        ),
        (
            "HO-ISO46-5G",
            "hydraulic oil ISO VG46, 5 gal pail",
            "Hydrauliköl HLP46 Eimer",
            "huile hydraulique HV46 seau",
            "GA",
            1290,
            &[],
        ),
        (
            "HO-ISO46-20L",
            "hydraulic oil ISO VG46, 20 l",
            "Hydrauliköl HLP46 20 l",
            "huile hydraulique HV46 20 l",
            "L",
            390,
            &[],
        ),
        ("GR-LITH-KG", "lithium grease, bulk", "Lithiumfett lose", "graisse au lithium vrac", "KG", 1150, &[]),
    ];
    for (sku, en, de, fr, uom, cents, packs) in sundries {
        let mut it = item(sku.to_string(), en.to_string(), de.to_string(), fr.to_string(), uom, cents);
        it.packs = packs.to_vec();
        items.push(it);
    }
}

/// UPC-A codes under two company prefixes, one with a leading zero (the one
/// spreadsheets love to strip).
fn assign_upcs(items: &mut [Item], dice: &mut Dice) {
    let base = dice.between(10_000, 40_000);
    for (n, it) in items.iter_mut().enumerate() {
        let prefix = if n % 2 == 0 { "041952" } else { "860013" };
        let reference = (base + n as i64 * 7) % 100_000;
        let body = format!("{prefix}{reference:05}");
        it.upc = format!("{body}{}", upc_check_digit(&body));
    }
}

/// The UPC-A check digit of 11 digits: odd positions weigh 3.
pub(crate) fn upc_check_digit(body: &str) -> u32 {
    let sum: u32 =
        body.chars().filter_map(|c| c.to_digit(10)).enumerate().map(|(i, d)| if i % 2 == 0 { d * 3 } else { d }).sum();
    (10 - sum % 10) % 10
}

/// Old spellings still in circulation: compact SKUs and legacy numbers.
fn assign_aliases(items: &mut [Item], dice: &mut Dice) {
    for (n, it) in items.iter_mut().enumerate() {
        if dice.chance(250) {
            it.aliases.push(it.compact_sku());
        }
        if dice.chance(120) {
            it.aliases.push(format!("NW-{}", 10_000 + n * 3));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upc_check_digit_matches_known_codes() {
        // 036000291452 is the textbook UPC-A example.
        assert_eq!(upc_check_digit("03600029145"), 2);
        assert_eq!(upc_check_digit("04210000526"), 4);
    }

    #[test]
    fn catalog_is_about_three_hundred_unique_items() {
        let items = build_items(&mut Dice::new(1));
        assert!((280..=360).contains(&items.len()), "{}", items.len());
        let mut skus: Vec<&str> = items.iter().map(|i| i.sku.as_str()).collect();
        skus.sort_unstable();
        skus.dedup();
        assert_eq!(skus.len(), items.len());
        assert!(items.iter().all(|i| i.upc.len() == 12 && i.list_price > Decimal::ZERO));
        assert!(items.iter().any(|i| i.upc.starts_with('0')));
    }
}
