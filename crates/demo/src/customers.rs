//! The customer roster: who buys, how each one sends its orders, and the
//! master data that comes with them (ship-tos, customer parts, contract prices).

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use crate::catalog::Item;
use crate::dice::Dice;
use crate::render::pdf::PdfLayout;

#[derive(Debug, Clone)]
pub(crate) struct ShipTo {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) street: String,
    pub(crate) city: String,
    pub(crate) region: String,
    pub(crate) postal: String,
    pub(crate) country: &'static str,
    pub(crate) edi_code: Option<String>,
}

impl ShipTo {
    /// One-line address, as master data and most documents write it.
    pub(crate) fn address(&self) -> String {
        format!("{}, {} {} {}", self.street, self.city, self.region, self.postal).replace("  ", " ")
    }
}

/// Which of the X12 sender's habits apply.
#[derive(Debug, Clone)]
pub(crate) struct X12Style {
    pub(crate) element: u8,
    pub(crate) segment: u8,
    pub(crate) component: u8,
    pub(crate) newline: &'static str,
    pub(crate) wrap80: bool,
    /// Some files carry 2-3 POs as separate ST sets.
    pub(crate) multi_set: bool,
    /// Some files carry two interchanges.
    pub(crate) multi_interchange: bool,
    pub(crate) sender_qualifier: &'static str,
    pub(crate) sender_id: String,
    pub(crate) ident: X12Ident,
    /// The drifting customer's new system numbers its sites anew: each
    /// ship-to is sent with the code its neighbour had (the first two swap).
    pub(crate) renumbered_sites: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum X12Ident {
    /// PO1 ... BP (their part) VP (our SKU).
    BuyerAndVendor,
    /// UP (UPC) IN (their item number) and a PID description: the retailer.
    UpcAndBuyerItem,
    /// VP only: they type our SKU.
    VendorOnly,
    /// BP only: their part numbers and nothing else.
    BuyerOnly,
}

#[derive(Debug, Clone)]
pub(crate) struct EdifactStyle {
    pub(crate) una: bool,
    pub(crate) decimal_comma: bool,
    pub(crate) syntax: &'static str,
    pub(crate) sender_id: String,
    pub(crate) newline: &'static str,
    pub(crate) language: Language,
    /// PIA with their part (IN) and/or our SKU (SA); LIN always carries EN when true.
    pub(crate) gtin: bool,
    pub(crate) buyer_part: bool,
    pub(crate) supplier_part: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Language {
    English,
    German,
    French,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CsvStyle {
    /// US distributor: ',' MM/DD/YYYY, their part numbers.
    UsDistributor,
    /// Second US layout, other headers, our SKUs.
    UsAlternate,
    /// German: ';', decimal comma, DD.MM.YYYY, Windows-1252.
    German,
    /// French Canadian: ';', decimal comma, DD/MM/YYYY, UTF-8 with BOM.
    French,
    /// Several POs in one file, ISO dates.
    MultiPo,
    /// Web shop export: one row per order, items in one multi-line cell.
    WebShop,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum XlsxStyle {
    /// Cover sheet, merged two-row header, UPC as a number, qty as text.
    Oem,
    /// One sheet, one header row, real Excel dates.
    Simple,
}

#[derive(Debug, Clone)]
pub(crate) enum Profile {
    X12(X12Style),
    Edifact(EdifactStyle),
    Csv(CsvStyle),
    Xlsx(XlsxStyle),
    Ubl,
    Email,
    Fax,
    /// PDFs printed by the customer's ERP, in one layout.
    Pdf(PdfLayout),
    /// Phone photos of a typed or printed note.
    Photo,
}

#[derive(Debug, Clone)]
pub(crate) struct Customer {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) aliases: Vec<String>,
    pub(crate) edi_ids: Vec<String>,
    pub(crate) email_domains: Vec<String>,
    pub(crate) buyers: Vec<(&'static str, &'static str)>,
    pub(crate) currency: &'static str,
    pub(crate) ship_tos: Vec<ShipTo>,
    pub(crate) profile: Profile,
    /// Relative order volume.
    pub(crate) weight: u32,
    pub(crate) po_scheme: PoScheme,
    /// Items this customer buys.
    pub(crate) assortment: Vec<usize>,
    /// Their part number for an item, for customers that use their own.
    pub(crate) parts: BTreeMap<usize, String>,
    /// Parts they use that our customer_items.csv does not know yet.
    pub(crate) unlisted_parts: BTreeSet<usize>,
    pub(crate) contract: BTreeMap<usize, Decimal>,
    pub(crate) country: &'static str,
}

impl Customer {
    pub(crate) fn domain(&self) -> &str {
        self.email_domains.first().map(String::as_str).unwrap_or("customer.example")
    }

    pub(crate) fn uses_parts(&self) -> bool {
        !self.parts.is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PoScheme {
    /// SAP-like 45000xxxxx.
    Sap,
    /// Prefix-year-sequence: GL-26-00123.
    PrefixYear(&'static str),
    /// A plain counter: 7781.
    Counter,
    /// Prefix and six digits: PO123456.
    Prefixed(&'static str),
}

/// How a customer numbers its parts.
#[derive(Debug, Clone, Copy)]
enum PartScheme {
    None,
    Dashed,
    Prefixed(&'static str),
    Numeric,
}

struct Seed {
    name: &'static str,
    aliases: &'static [&'static str],
    domain: &'static str,
    buyers: &'static [(&'static str, &'static str)],
    currency: &'static str,
    country: &'static str,
    weight: u32,
    po: PoScheme,
    parts: PartScheme,
    sites: &'static [(&'static str, &'static str, &'static str, &'static str, &'static str)],
}

/// Customer ids of the two stories the summary names.
pub(crate) const DEAD_FEED_CUSTOMER: usize = 0;
pub(crate) const DRIFT_CUSTOMER: usize = 4;
/// The drifting customer's new ISA sender id from its switch date on.
pub(crate) const DRIFT_NEW_SENDER: &str = "ATLASPC2026";

fn seeds() -> Vec<(Seed, Profile)> {
    vec![
        (
            Seed {
                name: "Great Lakes Industrial Supply",
                aliases: &["GLIS", "Great Lakes Ind. Supply", "Great Lakes Industrial"],
                domain: "greatlakesind.example",
                buyers: &[("Dana Kowalski", "dkowalski"), ("Ray Stroud", "rstroud")],
                currency: "USD",
                country: "US",
                weight: 0,
                po: PoScheme::PrefixYear("GL"),
                parts: PartScheme::Dashed,
                sites: &[
                    ("GLIS Toledo DC", "1200 Industrial Pkwy", "Toledo", "OH", "43612"),
                    ("GLIS Detroit Branch", "8800 Michigan Ave", "Detroit", "MI", "48210"),
                    ("GLIS Cleveland Branch", "455 Lakeside Ave E", "Cleveland", "OH", "44114"),
                ],
            },
            x12(b'*', b'~', b':', "\n", false, false, false, "ZZ", "GLISUPPLY", X12Ident::BuyerAndVendor),
        ),
        (
            Seed {
                name: "HomeBuild Depot Inc.",
                aliases: &["HomeBuild Depot", "HBD", "Home Build Depot"],
                domain: "homebuild-depot.example",
                buyers: &[("Merch Systems", "edi-ops")],
                currency: "USD",
                country: "US",
                weight: 110,
                po: PoScheme::Prefixed("HBD"),
                parts: PartScheme::Numeric,
                sites: &[
                    ("HomeBuild DC 0412 Atlanta", "3100 Fulton Industrial Blvd SW", "Atlanta", "GA", "30336"),
                    ("HomeBuild DC 0577 Dallas", "4500 Mountain Creek Pkwy", "Dallas", "TX", "75236"),
                    ("HomeBuild DC 0630 Reno", "9000 Double Diamond Pkwy", "Reno", "NV", "89521"),
                    ("HomeBuild DC 0705 Columbus", "2700 Rohr Rd", "Groveport", "OH", "43125"),
                ],
            },
            x12(b'|', b'^', b'>', "\r\n", false, true, false, "01", "078742116", X12Ident::UpcAndBuyerItem),
        ),
        (
            Seed {
                name: "Pacific Hydraulics Distributors",
                aliases: &["Pacific Hydraulics", "PHD", "Pac Hyd Distributors"],
                domain: "pachyd.example",
                buyers: &[("Lena Ortiz", "lortiz")],
                currency: "USD",
                country: "US",
                weight: 60,
                po: PoScheme::Counter,
                parts: PartScheme::Prefixed("PH"),
                sites: &[
                    ("Pacific Hydraulics Oakland", "2201 Adeline St", "Oakland", "CA", "94607"),
                    ("Pacific Hydraulics Tacoma", "1900 Port of Tacoma Rd", "Tacoma", "WA", "98421"),
                ],
            },
            x12(0x1D, 0x1C, 0x1F, "", false, false, false, "ZZ", "PACHYD01", X12Ident::BuyerOnly),
        ),
        (
            Seed {
                name: "Midwest Fluid Power Co.",
                aliases: &["Midwest Fluid Power", "MFP Co"],
                domain: "mwfluidpower.example",
                buyers: &[("Tom Becker", "tbecker")],
                currency: "USD",
                country: "US",
                weight: 55,
                po: PoScheme::Sap,
                parts: PartScheme::None,
                sites: &[("Midwest Fluid Power", "77 Commerce Dr", "Peoria", "IL", "61602")],
            },
            x12(b'*', b'~', b'>', "\r\n", true, false, false, "ZZ", "MWFLUIDPWR", X12Ident::VendorOnly),
        ),
        (
            Seed {
                name: "Atlas Pump & Compressor",
                aliases: &["Atlas Pump and Compressor", "Atlas P&C", "Atlas Pump Co."],
                domain: "atlaspump.example",
                buyers: &[("Priya Nair", "pnair")],
                currency: "USD",
                country: "US",
                weight: 70,
                po: PoScheme::Sap,
                parts: PartScheme::Dashed,
                sites: &[
                    ("Atlas Plant 1", "500 Atlas Way", "Wichita", "KS", "67219"),
                    ("Atlas Plant 2", "12 Foundry Rd", "Enid", "OK", "73701"),
                ],
            },
            x12(b'*', b'~', b':', "\r\n", false, false, true, "ZZ", "ATLASPUMP", X12Ident::BuyerAndVendor),
        ),
        (
            Seed {
                name: "Rheintal Armaturen GmbH",
                aliases: &["Rheintal Armaturen", "RTA GmbH"],
                domain: "rheintal-armaturen.example",
                buyers: &[("Jürgen Weiß", "j.weiss")],
                currency: "EUR",
                country: "DE",
                weight: 60,
                po: PoScheme::Sap,
                parts: PartScheme::Dashed,
                sites: &[
                    ("Rheintal Armaturen Lager Süd", "Industriestraße 5", "Mannheim", "", "68159"),
                    ("Rheintal Armaturen Werk Speyer", "Am Rheinhafen 12", "Speyer", "", "67346"),
                ],
            },
            Profile::Edifact(EdifactStyle {
                una: true,
                decimal_comma: true,
                syntax: "UNOC",
                sender_id: "4012345000009".into(),
                newline: "\n",
                language: Language::German,
                gtin: true,
                buyer_part: true,
                supplier_part: false,
            }),
        ),
        (
            Seed {
                name: "Société Hydraulique du Nord SAS",
                aliases: &["Societe Hydraulique du Nord", "SHN", "Hydraulique du Nord"],
                domain: "shn-hydraulique.example",
                buyers: &[("Amélie Roux", "a.roux")],
                currency: "EUR",
                country: "FR",
                weight: 45,
                po: PoScheme::Prefixed("CDE"),
                parts: PartScheme::None,
                sites: &[("SHN Entrepôt Lille", "14 rue de l'Épinette", "Lille", "", "59000")],
            },
            Profile::Edifact(EdifactStyle {
                una: false,
                decimal_comma: false,
                syntax: "UNOC",
                sender_id: "3012345000004".into(),
                newline: "",
                language: Language::French,
                gtin: false,
                buyer_part: false,
                supplier_part: true,
            }),
        ),
        (
            Seed {
                name: "Fluid+Seal Benelux B.V.",
                aliases: &["Fluid + Seal Benelux", "Fluid and Seal BV", "FluidSeal"],
                domain: "fluidseal.example",
                buyers: &[("Pieter de Vries", "inkoop")],
                currency: "EUR",
                country: "NL",
                weight: 40,
                po: PoScheme::Prefixed("FS"),
                parts: PartScheme::None,
                sites: &[
                    ("Fluid+Seal Magazijn 's-Hertogenbosch", "De Rietvelden 30", "'s-Hertogenbosch", "", "5222 AP"),
                    ("Fluid+Seal Antwerpen", "Haven 1025", "Antwerpen", "", "2030"),
                ],
            },
            Profile::Edifact(EdifactStyle {
                una: true,
                decimal_comma: false,
                syntax: "UNOA",
                sender_id: "8712345000002".into(),
                newline: "\r\n",
                language: Language::English,
                gtin: true,
                buyer_part: false,
                supplier_part: false,
            }),
        ),
        (
            Seed {
                name: "Keystone Mechanical Supply",
                aliases: &["Keystone Mechanical", "Keystone Mech. Supply", "KMS"],
                domain: "keystonemech.example",
                buyers: &[("Beth Lang", "blang"), ("Carl Moyer", "cmoyer")],
                currency: "USD",
                country: "US",
                weight: 55,
                po: PoScheme::Counter,
                parts: PartScheme::Dashed,
                sites: &[
                    ("Keystone Harrisburg", "600 S 10th St", "Harrisburg", "PA", "17104"),
                    ("Keystone Allentown", "1415 Union Blvd", "Allentown", "PA", "18109"),
                ],
            },
            Profile::Csv(CsvStyle::UsDistributor),
        ),
        (
            Seed {
                name: "Müller Hydraulik GmbH",
                aliases: &["Mueller Hydraulik", "Müller Hydraulik", "Mueller Hydraulik GmbH"],
                domain: "mueller-hydraulik.example",
                buyers: &[("Sabine Krüger", "s.krueger")],
                currency: "EUR",
                country: "DE",
                weight: 45,
                po: PoScheme::Prefixed("B"),
                parts: PartScheme::Numeric,
                sites: &[("Müller Hydraulik Zentrallager", "Gewerbering 17", "Dortmund", "", "44147")],
            },
            Profile::Csv(CsvStyle::German),
        ),
        (
            Seed {
                name: "Distribution Hydraulique Laval inc.",
                aliases: &["DH Laval", "Distribution Hydraulique Laval"],
                domain: "dhlaval.example",
                buyers: &[("Marc Gagnon", "achats")],
                currency: "CAD",
                country: "CA",
                weight: 35,
                po: PoScheme::Counter,
                parts: PartScheme::None,
                sites: &[("DH Laval entrepôt", "2250 boul. Industriel", "Laval", "QC", "H7S 1P9")],
            },
            Profile::Csv(CsvStyle::French),
        ),
        (
            Seed {
                name: "Prairie Ag Equipment Ltd.",
                aliases: &["Prairie Ag", "Prairie Agricultural Equipment"],
                domain: "prairieag.example",
                buyers: &[("Wes Friesen", "purchasing")],
                currency: "CAD",
                country: "CA",
                weight: 40,
                po: PoScheme::Prefixed("PA"),
                parts: PartScheme::Prefixed("PAE"),
                sites: &[
                    ("Prairie Ag Regina", "1400 Fleet St", "Regina", "SK", "S4N 7N6"),
                    ("Prairie Ag Brandon", "33 Kirkcaldy Dr", "Brandon", "MB", "R7A 7K1"),
                ],
            },
            Profile::Csv(CsvStyle::MultiPo),
        ),
        (
            Seed {
                name: "ShopFloor Direct",
                aliases: &["Shop Floor Direct", "ShopFloorDirect.com"],
                domain: "shopfloordirect.example",
                buyers: &[("Order Desk", "orders")],
                currency: "USD",
                country: "US",
                weight: 35,
                po: PoScheme::Prefixed("SFD-"),
                parts: PartScheme::None,
                sites: &[("ShopFloor Direct Fulfilment", "88 Commerce Park", "Louisville", "KY", "40299")],
            },
            Profile::Csv(CsvStyle::WebShop),
        ),
        (
            Seed {
                name: "Cascade Machine Works",
                aliases: &["Cascade Machine", "CMW"],
                domain: "cascademachine.example",
                buyers: &[("Holly Brandt", "hbrandt")],
                currency: "USD",
                country: "US",
                weight: 45,
                po: PoScheme::PrefixYear("CMW"),
                parts: PartScheme::Prefixed("CMW"),
                sites: &[
                    ("Cascade Machine Works Bldg A", "3400 NW Yeon Ave", "Portland", "OR", "97210"),
                    ("Cascade Machine Works Bldg C", "3550 NW Yeon Ave", "Portland", "OR", "97210"),
                ],
            },
            Profile::Xlsx(XlsxStyle::Oem),
        ),
        (
            Seed {
                name: "Bayou Process Controls",
                aliases: &["Bayou Process", "BPC"],
                domain: "bayouprocess.example",
                buyers: &[("Andre Thibodeaux", "athibodeaux")],
                currency: "USD",
                country: "US",
                weight: 35,
                po: PoScheme::Counter,
                parts: PartScheme::None,
                sites: &[("Bayou Process Controls", "4100 Highway 90 E", "Lake Charles", "LA", "70615")],
            },
            Profile::Xlsx(XlsxStyle::Simple),
        ),
        (
            Seed {
                name: "Nordvik Maskin AS",
                aliases: &["Nordvik Maskin", "Nordvik"],
                domain: "nordvikmaskin.example",
                buyers: &[("Ingrid Solberg", "innkjop")],
                currency: "EUR",
                country: "NO",
                weight: 30,
                po: PoScheme::Prefixed("NM"),
                parts: PartScheme::Prefixed("NVM"),
                sites: &[("Nordvik Maskin Verksted", "Havnegata 14", "Stavanger", "", "4006")],
            },
            Profile::Ubl,
        ),
        (
            Seed {
                name: "Lakeside Municipal Utilities",
                aliases: &["Lakeside Utilities", "LMU"],
                domain: "lakeside-utilities.example",
                buyers: &[("Procurement", "procurement")],
                currency: "USD",
                country: "US",
                weight: 25,
                po: PoScheme::PrefixYear("LMU"),
                parts: PartScheme::None,
                sites: &[
                    ("LMU Water Treatment Plant", "1 Reservoir Rd", "Lakeside", "MN", "55901"),
                    ("LMU Service Center", "220 W 3rd St", "Lakeside", "MN", "55902"),
                ],
            },
            Profile::Ubl,
        ),
        (
            Seed {
                name: "Baker Plumbing Supply",
                aliases: &["Baker Plumbing", "Baker Supply"],
                domain: "bakerplumbing.example",
                buyers: &[("Jim Baker", "jim"), ("Sue Baker", "sue")],
                currency: "USD",
                country: "US",
                weight: 20,
                po: PoScheme::Counter,
                parts: PartScheme::None,
                sites: &[
                    ("Baker Plumbing Dayton", "45 Main St", "Dayton", "OH", "45402"),
                    ("Baker Plumbing Springfield", "910 E High St", "Springfield", "OH", "45505"),
                ],
            },
            Profile::Email,
        ),
        (
            Seed {
                name: "Ridgeway Farm & Ranch",
                aliases: &["Ridgeway Farm and Ranch", "Ridgeway F&R"],
                domain: "ridgewayfarm.example",
                buyers: &[("Cody Hale", "cody")],
                currency: "USD",
                country: "US",
                weight: 15,
                po: PoScheme::Counter,
                parts: PartScheme::None,
                sites: &[("Ridgeway Farm & Ranch", "Rural Route 2 Box 118", "Ogallala", "NE", "69153")],
            },
            Profile::Email,
        ),
        (
            Seed {
                name: "Summit Irrigation LLC",
                aliases: &["Summit Irrigation"],
                domain: "summitirrigation.example",
                buyers: &[("Kim Tran", "ktran")],
                currency: "USD",
                country: "US",
                weight: 15,
                po: PoScheme::Prefixed("SI"),
                parts: PartScheme::None,
                sites: &[("Summit Irrigation Yard", "1550 W Center St", "Provo", "UT", "84601")],
            },
            Profile::Email,
        ),
        (
            Seed {
                name: "O'Neill Boiler Service",
                aliases: &["ONeill Boiler", "O'Neill Boiler Svc"],
                domain: "oneillboiler.example",
                buyers: &[("Pat O'Neill", "pat")],
                currency: "USD",
                country: "US",
                weight: 22,
                po: PoScheme::Counter,
                parts: PartScheme::None,
                sites: &[("O'Neill Boiler Service", "19 Dorchester Ave", "Boston", "MA", "02127")],
            },
            Profile::Fax,
        ),
        (
            Seed {
                name: "Tri-County Fire Protection",
                aliases: &["Tri County Fire", "TCFP"],
                domain: "tricountyfire.example",
                buyers: &[("Gary Holt", "gholt")],
                currency: "USD",
                country: "US",
                weight: 35,
                po: PoScheme::Prefixed("TC"),
                parts: PartScheme::None,
                sites: &[("Tri-County Fire Protection", "300 Route 9", "Freehold", "NJ", "07728")],
            },
            x12(b'*', b'~', b'>', "\r\n", false, false, false, "12", "7325550100", X12Ident::VendorOnly),
        ),
        (
            Seed {
                name: "Harbor Marine Hydraulics",
                aliases: &["Harbor Marine", "HMH"],
                domain: "harbormarine.example",
                buyers: &[("Nina Rossi", "nrossi")],
                currency: "USD",
                country: "US",
                weight: 30,
                po: PoScheme::Counter,
                parts: PartScheme::None,
                sites: &[("Harbor Marine Hydraulics", "12 Pier Rd", "Norfolk", "VA", "23510")],
            },
            Profile::Csv(CsvStyle::UsAlternate),
        ),
        (
            Seed {
                name: "Granite State Valve & Fitting",
                aliases: &["Granite State Valve", "GSVF"],
                domain: "granitevalve.example",
                buyers: &[("Emily Clark", "eclark")],
                currency: "USD",
                country: "US",
                weight: 45,
                po: PoScheme::PrefixYear("GS"),
                parts: PartScheme::Dashed,
                sites: &[
                    ("Granite State Manchester", "1 Elm St", "Manchester", "NH", "03101"),
                    ("Granite State Portsmouth", "200 Market St", "Portsmouth", "NH", "03801"),
                ],
            },
            x12(b'*', b'~', b'^', "\n", false, false, true, "ZZ", "GRANITEVF", X12Ident::BuyerAndVendor),
        ),
        (
            Seed {
                name: "Coastal Industrial Supply",
                aliases: &["Coastal Industrial", "Coastal Ind. Supply"],
                domain: "coastalind.example",
                buyers: &[("Mike Dunn", "mdunn")],
                currency: "USD",
                country: "US",
                weight: 30,
                po: PoScheme::Counter,
                parts: PartScheme::None,
                sites: &[("Coastal Industrial Supply", "5100 Rivers Ave", "North Charleston", "SC", "29406")],
            },
            Profile::Xlsx(XlsxStyle::Simple),
        ),
        (
            Seed {
                name: "Keystone Mechanical Contractors",
                aliases: &["Keystone Mechanical", "KMC"],
                domain: "keystonemech.example",
                buyers: &[("Rob Ferraro", "rferraro"), ("Alicia Grant", "agrant")],
                currency: "USD",
                country: "US",
                weight: 40,
                po: PoScheme::PrefixYear("KMC"),
                parts: PartScheme::Dashed,
                sites: &[
                    ("Keystone Shop", "77 Industrial Dr", "Harrisburg", "PA", "17109"),
                    ("Keystone Jobsite Lancaster", "1200 Fruitville Pike", "Lancaster", "PA", "17601"),
                ],
            },
            Profile::Email,
        ),
        (
            Seed {
                name: "Prairie Pump & Irrigation",
                aliases: &["Prairie Pump", "Prairie Pump and Irrigation"],
                domain: "prairiepump.example",
                buyers: &[("Dwayne Olson", "dolson")],
                currency: "USD",
                country: "US",
                weight: 30,
                po: PoScheme::Counter,
                parts: PartScheme::None,
                sites: &[("Prairie Pump Yard", "4020 Hwy 281 N", "Aberdeen", "SD", "57401")],
            },
            Profile::Email,
        ),
        (
            Seed {
                name: "Midwest Valve Distributors",
                aliases: &["Midwest Valve", "MVD"],
                domain: "midwestvalve.example",
                buyers: &[("Karen Schultz", "kschultz")],
                currency: "USD",
                country: "US",
                weight: 35,
                po: PoScheme::Sap,
                parts: PartScheme::Prefixed("MVD"),
                sites: &[
                    ("Midwest Valve Des Moines DC", "2500 SE 14th St", "Des Moines", "IA", "50320"),
                    ("Midwest Valve Omaha", "8800 F St", "Omaha", "NE", "68127"),
                ],
            },
            Profile::Pdf(PdfLayout::Boxed),
        ),
        (
            Seed {
                name: "Pacific Rim Process Systems",
                aliases: &["Pacific Rim Process", "PRPS"],
                domain: "pacificrimprocess.example",
                buyers: &[("Grace Liu", "gliu")],
                currency: "USD",
                country: "US",
                weight: 35,
                po: PoScheme::Prefixed("PR"),
                parts: PartScheme::None,
                sites: &[
                    ("Pacific Rim Tacoma Plant", "1900 Port of Tacoma Rd", "Tacoma", "WA", "98421"),
                    ("Pacific Rim Portland", "5200 N Basin Ave", "Portland", "OR", "97217"),
                ],
            },
            Profile::Pdf(PdfLayout::TwoColumn),
        ),
        (
            Seed {
                name: "Hollister Mechanical",
                aliases: &["Hollister Mech"],
                domain: "hollistermech.example",
                buyers: &[("Walter Hollister", "walt")],
                currency: "USD",
                country: "US",
                weight: 20,
                po: PoScheme::Counter,
                parts: PartScheme::None,
                sites: &[("Hollister Mechanical", "8 Mill St", "Burlington", "VT", "05401")],
            },
            Profile::Pdf(PdfLayout::Letter),
        ),
        (
            Seed {
                name: "Dale's Farm & Feed",
                aliases: &["Dales Farm and Feed", "Dale's Farm"],
                domain: "dalesfarm.example",
                buyers: &[("Dale Jensen", "dale")],
                currency: "USD",
                country: "US",
                weight: 20,
                po: PoScheme::Counter,
                parts: PartScheme::None,
                sites: &[("Dale's Farm & Feed", "31 County Rd 12", "Sidney", "MT", "59270")],
            },
            Profile::Photo,
        ),
    ]
}

#[allow(clippy::too_many_arguments)]
fn x12(
    element: u8,
    segment: u8,
    component: u8,
    newline: &'static str,
    wrap80: bool,
    multi_set: bool,
    multi_interchange: bool,
    sender_qualifier: &'static str,
    sender_id: &str,
    ident: X12Ident,
) -> Profile {
    Profile::X12(X12Style {
        element,
        segment,
        component,
        newline,
        wrap80,
        multi_set,
        multi_interchange,
        sender_qualifier,
        sender_id: sender_id.to_string(),
        ident,
        renumbered_sites: false,
    })
}

/// The roster with assortments, parts and contract prices drawn from the seed.
pub(crate) fn build_customers(items: &[Item], dice: &mut Dice) -> Vec<Customer> {
    seeds().into_iter().enumerate().map(|(n, (seed, profile))| build_customer(n, seed, profile, items, dice)).collect()
}

fn build_customer(n: usize, seed: Seed, profile: Profile, items: &[Item], dice: &mut Dice) -> Customer {
    let id = format!("C{:04}", n + 1);
    let ship_tos = seed
        .sites
        .iter()
        .enumerate()
        .map(|(k, (name, street, city, region, postal))| ShipTo {
            id: format!("ST-{:04}-{:02}", n + 1, k + 1),
            name: (*name).to_string(),
            street: (*street).to_string(),
            city: (*city).to_string(),
            region: (*region).to_string(),
            postal: (*postal).to_string(),
            country: seed.country,
            edi_code: edi_code(&profile, n, k),
        })
        .collect();
    let edi_ids = match &profile {
        Profile::X12(s) => vec![s.sender_id.clone()],
        Profile::Edifact(s) => vec![s.sender_id.clone()],
        _ => Vec::new(),
    };
    let assortment = draw_assortment(items, dice, seed.country);
    let parts = draw_parts(&assortment, seed.parts, n, dice);
    let unlisted_parts = parts.keys().copied().filter(|_| dice.chance(70)).collect();
    let contract = draw_contract(&assortment, items, seed.currency, dice);
    Customer {
        id,
        name: seed.name.to_string(),
        aliases: seed.aliases.iter().map(|a| (*a).to_string()).collect(),
        edi_ids,
        email_domains: vec![seed.domain.to_string()],
        buyers: seed.buyers.to_vec(),
        currency: seed.currency,
        ship_tos,
        profile,
        weight: seed.weight,
        po_scheme: seed.po,
        assortment,
        parts,
        unlisted_parts,
        contract,
        country: seed.country,
    }
}

fn edi_code(profile: &Profile, n: usize, k: usize) -> Option<String> {
    match profile {
        Profile::X12(s) if s.ident == X12Ident::UpcAndBuyerItem => {
            Some(format!("{:04}", [412, 577, 630, 705].get(k).copied().unwrap_or(900)))
        }
        Profile::X12(_) => Some(format!("{:03}", 10 * (k + 1) + n)),
        Profile::Edifact(s) => Some(format!("{}{}", s.sender_id.chars().take(12).collect::<String>(), k + 1)),
        Profile::Ubl => Some(format!("73{:011}", 5_000_000 + n * 100 + k)),
        _ => None,
    }
}

/// 25-80 items a customer buys; metric hose only in Europe, inch hose elsewhere.
fn draw_assortment(items: &[Item], dice: &mut Dice, country: &str) -> Vec<usize> {
    let europe = matches!(country, "DE" | "FR" | "NL" | "NO");
    let wanted = dice.between(25, 80) as usize;
    let mut pool: Vec<usize> = (0..items.len())
        .filter(|&i| {
            let sku = items.get(i).map(|it| it.sku.as_str()).unwrap_or("");
            if europe { !sku.starts_with("HH-") } else { !sku.starts_with("HM-") }
        })
        .collect();
    dice.shuffle(&mut pool);
    pool.truncate(wanted);
    pool.sort_unstable();
    pool
}

fn draw_parts(assortment: &[usize], scheme: PartScheme, n: usize, dice: &mut Dice) -> BTreeMap<usize, String> {
    let mut parts = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for &item in assortment {
        let part = loop {
            let candidate = match scheme {
                PartScheme::None => return BTreeMap::new(),
                PartScheme::Dashed => format!("{}-{:04}", 10 + (n * 13 + item) % 89, dice.between(1000, 9999)),
                PartScheme::Prefixed(p) => format!("{p}-{:06}", dice.between(1000, 999_999)),
                PartScheme::Numeric => format!("{}", dice.between(100_000_000, 999_999_999)),
            };
            if seen.insert(candidate.clone()) {
                break candidate;
            }
        };
        parts.insert(item, part);
    }
    parts
}

/// Contract prices for about half the assortment, 10-30 % under list.
fn draw_contract(assortment: &[usize], items: &[Item], currency: &str, dice: &mut Dice) -> BTreeMap<usize, Decimal> {
    let mut contract = BTreeMap::new();
    let discount_pct = dice.between(10, 30);
    for &i in assortment {
        let Some(item) = items.get(i) else { continue };
        if !dice.chance(500) {
            continue;
        }
        let price = in_currency(item.list_price, currency) * Decimal::new(100 - discount_pct, 2);
        contract.insert(i, price.round_dp(2));
    }
    contract
}

/// List prices are in USD; the few EUR and CAD customers get converted lists.
pub(crate) fn in_currency(usd: Decimal, currency: &str) -> Decimal {
    let rate = match currency {
        "EUR" => Decimal::new(92, 2),
        "CAD" => Decimal::new(137, 2),
        _ => Decimal::ONE,
    };
    (usd * rate).round_dp(2)
}
