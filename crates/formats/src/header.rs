//! Column headers in English, German, French, Spanish, Italian and Dutch, to
//! the field each column holds.

use prodline_core::ItemIdKind;

use crate::value::{fold_label, normalize_label};

/// What a spreadsheet column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    PoNumber,
    LineNo,
    /// Our item number (the seller's catalogue), owner not stated.
    Sku,
    CustomerPart,
    VendorPart,
    Gtin,
    Description,
    Qty,
    Uom,
    UnitPrice,
    /// A line total; recognised so it is not mistaken for the unit price.
    Amount,
    Currency,
    OrderDate,
    RequestedDate,
    CustomerName,
    CustomerId,
    Address,
    City,
    Region,
    PostalCode,
    Country,
    ShipToName,
    ShipToCode,
    ShipToAddress,
    ShipToCity,
    ShipToRegion,
    ShipToPostal,
    ShipToCountry,
    Notes,
}

impl Field {
    /// The item id kind of an item column.
    pub fn item_kind(self) -> Option<ItemIdKind> {
        match self {
            Field::Sku => Some(ItemIdKind::Sku),
            Field::CustomerPart => Some(ItemIdKind::BuyerPart),
            Field::VendorPart => Some(ItemIdKind::VendorPart),
            Field::Gtin => Some(ItemIdKind::Gtin),
            _ => None,
        }
    }

    /// Fields that describe one order line (as opposed to the whole order).
    pub fn is_line_field(self) -> bool {
        matches!(
            self,
            Field::Sku | Field::CustomerPart | Field::VendorPart | Field::Gtin | Field::Description | Field::Qty
        )
    }

    /// Fields that may be spread over several columns (`Address 1`, `Address 2`).
    pub fn allows_many_columns(self) -> bool {
        matches!(self, Field::Address | Field::ShipToAddress | Field::RequestedDate | Field::Notes)
    }
}

/// Synonyms, normalised (see [`normalize_label`]). A leading `=` means the
/// word is too generic to match inside a longer label: it must be the whole
/// label (`Code` is an item column, `Tax code` is not).
const SYNONYMS: &[(Field, &[&str])] = &[
    (
        Field::PoNumber,
        &[
            "po",
            "po number",
            "po no",
            "po nr",
            "po num",
            "po id",
            "po ref",
            "purchase order",
            "purchase order number",
            "purchase order no",
            "purchase order nr",
            "order no",
            "order number",
            "order nr",
            "order num",
            "order id",
            "order ref",
            "order reference",
            "customer po",
            "customer po number",
            "customer po no",
            "cust po",
            "your order",
            "your order no",
            "your order number",
            "your reference",
            "=order",
            "bestellnummer",
            "bestell nr",
            "bestellnr",
            "bestell nummer",
            "=bestellung",
            "auftragsnummer",
            "ihre bestellung",
            "ihre bestellnummer",
            "=commande",
            "commande n",
            "commande no",
            "commande nr",
            "commande numero",
            "n commande",
            "no commande",
            "num commande",
            "numero de commande",
            "numero commande",
            "bon de commande",
            "ref commande",
            "reference commande",
            "=pedido",
            "numero de pedido",
            "n pedido",
            "no pedido",
            "num pedido",
            "numero pedido",
            "orden de compra",
            "=ordine",
            "numero ordine",
            "n ordine",
            "ordine n",
            "ordine di acquisto",
            "numero ordine di acquisto",
            "bestelnummer",
            "=bestelling",
            "ordernummer",
            "inkoopordernummer",
            "inkooporder",
        ],
    ),
    (
        Field::LineNo,
        &[
            "=line",
            "line no",
            "line number",
            "line nr",
            "line num",
            "line id",
            "=ln",
            "=pos",
            "position",
            "pos nr",
            "posnr",
            "pos no",
            "item no",
            "=zeile",
            "=ligne",
            "no ligne",
            "n ligne",
            "=linea",
            "=riga",
            "=regel",
            "regelnummer",
            "=positie",
            "order line",
            "lfd nr",
            "=nr",
            "=no",
            "=n",
            "=num",
            "=lp",
        ],
    ),
    (
        Field::Sku,
        &[
            "sku",
            "=item",
            "item number",
            "item code",
            "item id",
            "item nr",
            "=part",
            "part number",
            "part no",
            "part nr",
            "part num",
            "p n",
            "=pn",
            "part id",
            "=product",
            "product code",
            "product number",
            "product id",
            "product no",
            "product sku",
            "article",
            "article number",
            "article no",
            "article code",
            "artikel",
            "artikelnummer",
            "artikel nr",
            "artikelnr",
            "art nr",
            "artnr",
            "materialnummer",
            "=material",
            "material number",
            "material no",
            "reference",
            "=ref",
            "=code",
            "code article",
            "reference article",
            "ref article",
            "codigo",
            "codigo articulo",
            "codigo producto",
            "referencia",
            "articulo",
            "codice",
            "codice articolo",
            "codice prodotto",
            "articolo",
            "artikelcode",
            "catalog number",
            "catalogue number",
            "cat no",
            "=model",
            "model number",
            "our part",
            "our part number",
            "our item",
            "stock code",
            "=items",
            "=products",
            "=articles",
            "=parts",
            "order lines",
        ],
    ),
    (
        Field::CustomerPart,
        &[
            "customer part",
            "customer part number",
            "customer part no",
            "customer part nr",
            "customer p n",
            "cust p n",
            "buyer p n",
            "cust part",
            "cust part no",
            "cust part number",
            "customer item",
            "customer item number",
            "customer item no",
            "customer sku",
            "customer material",
            "your part",
            "your part number",
            "your part no",
            "your item",
            "buyer part",
            "buyer part number",
            "buyer item",
            "buyer item number",
            "kundenartikel",
            "kundenartikelnummer",
            "kunden artikelnummer",
            "kunden artikel nr",
            "kundenmaterial",
            "kundenmaterialnummer",
            "reference client",
            "ref client",
            "code article client",
            "referencia cliente",
            "codigo cliente articulo",
            "codice articolo cliente",
            "klant artikelnummer",
            "klantartikel",
            "klantartikelnummer",
        ],
    ),
    (
        Field::VendorPart,
        &[
            "vendor part",
            "vendor part number",
            "vendor part no",
            "vendor p n",
            "supplier p n",
            "mfr p n",
            "mfg p n",
            "manufacturer p n",
            "vendor item",
            "vendor item number",
            "vendor sku",
            "vendor code",
            "supplier part",
            "supplier part number",
            "supplier part no",
            "supplier item",
            "supplier item number",
            "supplier sku",
            "supplier code",
            "supplier article",
            "mfr part",
            "mfr part number",
            "mfr part no",
            "mfg part",
            "mfg part number",
            "manufacturer part",
            "manufacturer part number",
            "mpn",
            "lieferantenartikel",
            "lieferantenartikelnummer",
            "lieferanten artikelnummer",
            "herstellernummer",
            "herstellerartikelnummer",
            "reference fournisseur",
            "ref fournisseur",
            "referencia proveedor",
            "codigo proveedor",
            "codice fornitore",
            "leveranciers artikelnummer",
            "leveranciersartikelnummer",
        ],
    ),
    (
        Field::Gtin,
        &[
            "upc",
            "upc number",
            "upc code",
            "upc no",
            "ean",
            "ean code",
            "ean13",
            "ean 13",
            "ean number",
            "ean nr",
            "ean nummer",
            "gtin",
            "gtin number",
            "barcode",
            "bar code",
            "upc ean",
            "ean upc",
            "code ean",
            "codigo ean",
            "codice ean",
            "streepjescode",
        ],
    ),
    (
        Field::Description,
        &[
            "description",
            "desc",
            "item description",
            "product description",
            "product name",
            "item name",
            "article name",
            "article description",
            "part description",
            "bezeichnung",
            "beschreibung",
            "artikelbezeichnung",
            "artikelbeschreibung",
            "artikelname",
            "=text",
            "designation",
            "libelle",
            "description article",
            "descripcion",
            "descrizione",
            "denominazione",
            "omschrijving",
            "=details",
            "=name",
        ],
    ),
    (
        Field::Qty,
        &[
            "qty",
            "quantity",
            "qty ordered",
            "order qty",
            "ordered qty",
            "quantity ordered",
            "order quantity",
            "menge",
            "anzahl",
            "bestellmenge",
            "stuckzahl",
            "=stk",
            "qte",
            "quantite",
            "quantite commandee",
            "cantidad",
            "=cant",
            "quantita",
            "=qta",
            "aantal",
            "hoeveelheid",
            "=pcs",
            "=pieces",
        ],
    ),
    (
        Field::Uom,
        &[
            "uom",
            "=u m",
            "=um",
            "=unit",
            "unit of measure",
            "unit of measurement",
            "=measure",
            "einheit",
            "mengeneinheit",
            "=me",
            "unite",
            "unite de mesure",
            "unidad",
            "unidad de medida",
            "=ud",
            "unita",
            "unita di misura",
            "eenheid",
            "=uom code",
        ],
    ),
    (
        Field::UnitPrice,
        &[
            "price",
            "unit price",
            "unit cost",
            "=cost",
            "price each",
            "price per unit",
            "net price",
            "preis",
            "einzelpreis",
            "stuckpreis",
            "nettopreis",
            "netto preis",
            "ek preis",
            "prix",
            "prix unitaire",
            "=pu",
            "prix net",
            "precio",
            "precio unitario",
            "prezzo",
            "prezzo unitario",
            "prijs",
            "stukprijs",
            "eenheidsprijs",
            "=rate",
        ],
    ),
    (
        Field::Amount,
        &[
            "=amount",
            "=total",
            "line total",
            "line amount",
            "extended price",
            "ext price",
            "=extended",
            "total price",
            "net amount",
            "total amount",
            "betrag",
            "gesamtpreis",
            "=gesamt",
            "=summe",
            "gesamtbetrag",
            "=montant",
            "montant total",
            "total ht",
            "=importe",
            "=importo",
            "=totaal",
            "=bedrag",
            "=value",
        ],
    ),
    (Field::Currency, &["currency", "=curr", "=ccy", "currency code", "wahrung", "devise", "moneda", "valuta"]),
    (
        Field::OrderDate,
        &[
            "order date",
            "po date",
            "=date",
            "issue date",
            "document date",
            "purchase order date",
            "bestelldatum",
            "=datum",
            "auftragsdatum",
            "date commande",
            "date de commande",
            "=fecha",
            "fecha pedido",
            "fecha de pedido",
            "data ordine",
            "=data",
            "besteldatum",
            "orderdatum",
        ],
    ),
    (
        Field::RequestedDate,
        &[
            "delivery date",
            "requested date",
            "request date",
            "requested delivery date",
            "req date",
            "need by",
            "need by date",
            "needed by",
            "due date",
            "ship date",
            "required date",
            "date required",
            "required by",
            "=required",
            "=requested",
            "=needed",
            "date needed",
            "requested delivery",
            "requested ship date",
            "delivery",
            "liefertermin",
            "lieferdatum",
            "wunschtermin",
            "wunschlieferdatum",
            "wunschdatum",
            "date de livraison",
            "date livraison",
            "delai",
            "fecha de entrega",
            "fecha entrega",
            "data di consegna",
            "data consegna",
            "leverdatum",
            "gewenste leverdatum",
            "=eta",
        ],
    ),
    (
        Field::CustomerName,
        &[
            "=customer",
            "customer name",
            "=buyer",
            "buyer name",
            "sold to",
            "sold to name",
            "bill to",
            "bill to name",
            "=company",
            "company name",
            "=kunde",
            "kundenname",
            "=client",
            "nom client",
            "nom du client",
            "=cliente",
            "nombre cliente",
            "nome cliente",
            "=klant",
            "klantnaam",
            "besteller",
            "auftraggeber",
        ],
    ),
    (
        Field::CustomerId,
        &[
            "customer id",
            "customer number",
            "customer no",
            "customer nr",
            "customer code",
            "customer account",
            "=account",
            "account number",
            "account no",
            "account id",
            "cust no",
            "cust id",
            "cust number",
            "sold to id",
            "sold to number",
            "sold to no",
            "kundennummer",
            "kunden nr",
            "kundennr",
            "numero client",
            "code client",
            "n client",
            "no client",
            "numero de cliente",
            "codigo cliente",
            "codice cliente",
            "klantnummer",
            "debitor",
            "debitorennummer",
        ],
    ),
    (
        Field::Address,
        &[
            "address",
            "street",
            "address 1",
            "address 2",
            "address line",
            "strasse",
            "adresse",
            "direccion",
            "indirizzo",
            "adres",
        ],
    ),
    (Field::City, &["city", "town", "ort", "stadt", "ville", "ciudad", "citta", "plaats"]),
    (Field::Region, &["state", "region", "province", "county", "bundesland"]),
    (
        Field::PostalCode,
        &["zip", "zip code", "postal code", "postcode", "post code", "plz", "code postal", "=cp", "=cap", "postcode"],
    ),
    (Field::Country, &["country", "land", "pays", "pais", "paese"]),
    (
        Field::ShipToCode,
        &[
            "=store",
            "store number",
            "store no",
            "store id",
            "filiale",
            "filialnummer",
            "=location",
            "location code",
            "=dc",
        ],
    ),
    (
        Field::Notes,
        &[
            "notes",
            "note",
            "comment",
            "comments",
            "remarks",
            "remark",
            "bemerkung",
            "bemerkungen",
            "hinweis",
            "kommentar",
            "remarque",
            "remarques",
            "commentaire",
            "commentaires",
            "observaciones",
            "comentarios",
            "osservazioni",
            "opmerking",
            "opmerkingen",
            "memo",
            "instructions",
            "special instructions",
        ],
    ),
];

/// Words that open a ship-to column label; the rest of the label says which
/// part of the ship-to it is (`Ship to city`, `Lieferadresse PLZ`).
const SHIP_TO_PREFIXES: &[&str] = &[
    "ship to",
    "shipto",
    "deliver to",
    "delivery address",
    "delivery location",
    "delivery point",
    "consignee",
    "lieferadresse",
    "lieferanschrift",
    "warenempfanger",
    "empfanger",
    "adresse de livraison",
    "livrer a",
    "lieu de livraison",
    "enviar a",
    "direccion de entrega",
    "indirizzo di consegna",
    "luogo di consegna",
    "afleveradres",
    "leveradres",
];

/// The field a header cell names, if any.
pub fn field_for_label(raw: &str) -> Option<Field> {
    let trimmed = raw.trim();
    if trimmed == "#" || trimmed == "№" {
        return Some(Field::LineNo);
    }
    let stripped = strip_parenthetical(trimmed);
    let split = normalize_label(&stripped);
    // Splitting at case changes reads `unitPrice` right but `UoM` as `uo m`:
    // a label that names nothing split is tried again as written.
    field_for_normalized(&split).or_else(|| {
        let plain = fold_words(&stripped);
        if plain == split { None } else { field_for_normalized(&plain) }
    })
}

fn field_for_normalized(label: &str) -> Option<Field> {
    if label.is_empty() || label.len() > 60 {
        return None;
    }
    if let Some(field) = ship_to_field(label) {
        return Some(field);
    }
    best_synonym(label).or_else(|| compound_suffix(label))
}

/// Lower-case, accents folded, words split at anything but letters and digits.
fn fold_words(raw: &str) -> String {
    let folded = fold_label(raw);
    folded.split(|c: char| !c.is_ascii_alphanumeric()).filter(|t| !t.is_empty()).collect::<Vec<_>>().join(" ")
}

/// Articles and prepositions that labels put between their words
/// (`N° de commande`, `Unit of measure`): ignored on both sides of a match.
const FILLER_WORDS: &[&str] = &[
    "de", "du", "des", "d", "la", "le", "les", "l", "di", "del", "della", "da", "of", "the", "van", "het", "der", "von",
];

fn is_filler(token: &str) -> bool {
    FILLER_WORDS.contains(&token)
}

/// `Quantity (EA)` → `Quantity`; `Unit price [EUR]` → `Unit price`.
fn strip_parenthetical(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut depth = 0usize;
    for c in raw.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    if out.trim().is_empty() { raw.to_string() } else { out }
}

fn ship_to_field(label: &str) -> Option<Field> {
    let rest = SHIP_TO_PREFIXES.iter().find_map(|p| {
        let rest = label.strip_prefix(p)?;
        (rest.is_empty() || rest.starts_with(' ')).then(|| rest.trim())
    })?;
    if rest.is_empty() {
        return Some(if label.contains("adres") || label.contains("anschrift") {
            Field::ShipToAddress
        } else {
            Field::ShipToName
        });
    }
    let part = match rest {
        "name" | "company" | "firma" | "nom" | "nombre" | "nome" | "naam" => Field::ShipToName,
        "code" | "id" | "no" | "nr" | "number" | "gln" | "location" | "store" | "account" => Field::ShipToCode,
        _ => match best_synonym(rest)? {
            Field::Address => Field::ShipToAddress,
            Field::City => Field::ShipToCity,
            Field::Region => Field::ShipToRegion,
            Field::PostalCode => Field::ShipToPostal,
            Field::Country => Field::ShipToCountry,
            Field::CustomerName => Field::ShipToName,
            Field::CustomerId | Field::ShipToCode => Field::ShipToCode,
            _ => return None,
        },
    };
    Some(part)
}

/// A synonym split into words, and whether it must be the whole label.
struct Synonym {
    field: Field,
    exact_only: bool,
    tokens: Vec<&'static str>,
}

/// The synonym table split into words once, not per cell.
fn synonyms() -> &'static [Synonym] {
    static TABLE: std::sync::OnceLock<Vec<Synonym>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        SYNONYMS
            .iter()
            .flat_map(|(field, list)| {
                list.iter().map(move |synonym| {
                    let (exact_only, text) = match synonym.strip_prefix('=') {
                        Some(s) => (true, s),
                        None => (false, *synonym),
                    };
                    let tokens = text.split(' ').filter(|t| !is_filler(t)).collect();
                    Synonym { field: *field, exact_only, tokens }
                })
            })
            .collect()
    })
}

/// The synonym covering most words of the label; ties go to the one ending
/// last, since the head noun comes last in English (`item description`).
fn best_synonym(label: &str) -> Option<Field> {
    let tokens: Vec<&str> = label.split(' ').filter(|t| !is_filler(t)).collect();
    if tokens.is_empty() || tokens.len() > 12 {
        return None;
    }
    let mut best: Option<(usize, usize, Field)> = None;
    for synonym in synonyms() {
        if synonym.exact_only && synonym.tokens.len() != tokens.len() {
            continue;
        }
        let Some(end) = find_tokens(&tokens, &synonym.tokens) else { continue };
        let score = (synonym.tokens.len(), end);
        if best.is_none_or(|(len, at, _)| score > (len, at)) {
            best = Some((score.0, score.1, synonym.field));
        }
    }
    best.map(|(_, _, field)| field)
}

/// End index (exclusive) of the last occurrence of `needle` in `haystack`.
fn find_tokens(haystack: &[&str], needle: &[&str]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    (0..=haystack.len() - needle.len())
        .rev()
        .find(|&i| haystack.get(i..i + needle.len()) == Some(needle))
        .map(|i| i + needle.len())
}

/// German compounds: `Bestellmenge`, `Nettoeinzelpreis`, `Artikelbezeichnung`.
fn compound_suffix(label: &str) -> Option<Field> {
    const SUFFIXES: &[(&str, Field)] = &[
        ("menge", Field::Qty),
        ("anzahl", Field::Qty),
        ("preis", Field::UnitPrice),
        ("bezeichnung", Field::Description),
        ("termin", Field::RequestedDate),
        ("artikelnummer", Field::Sku),
    ];
    let last = label.rsplit(' ').next()?;
    SUFFIXES.iter().find(|(suffix, _)| last.ends_with(suffix) && last.len() > suffix.len()).map(|(_, f)| *f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_in_six_languages() {
        let cases = [
            ("PO Number", Field::PoNumber),
            ("Customer PO #", Field::PoNumber),
            ("Bestell-Nr.", Field::PoNumber),
            ("N° Commande", Field::PoNumber),
            ("Pedido", Field::PoNumber),
            ("LINE_NUMBER", Field::LineNo),
            ("Pos.", Field::LineNo),
            ("Item No", Field::LineNo),
            ("SKU", Field::Sku),
            ("Artikelnummer", Field::Sku),
            ("Référence", Field::Sku),
            ("Código", Field::Sku),
            ("Customer Part #", Field::CustomerPart),
            ("Kundenartikel", Field::CustomerPart),
            ("Mfr Part No.", Field::VendorPart),
            ("UPC_NUMBER", Field::Gtin),
            ("EAN", Field::Gtin),
            ("Item Description", Field::Description),
            ("Désignation", Field::Description),
            ("Omschrijving", Field::Description),
            ("QUANTITY", Field::Qty),
            ("Qté", Field::Qty),
            ("Quantità", Field::Qty),
            ("Bestellmenge", Field::Qty),
            ("Aantal", Field::Qty),
            ("Order Qty", Field::Qty),
            ("Quantity (EA)", Field::Qty),
            ("UOM", Field::Uom),
            ("ME", Field::Uom),
            ("Unit Price", Field::UnitPrice),
            ("Einzelpreis", Field::UnitPrice),
            ("Prix unitaire", Field::UnitPrice),
            ("Gesamtpreis", Field::Amount),
            ("Line Total", Field::Amount),
            ("PO_DATE", Field::OrderDate),
            ("Liefertermin", Field::RequestedDate),
            ("Need by", Field::RequestedDate),
            ("Date de livraison", Field::RequestedDate),
            ("CUSTOMER_NAME", Field::CustomerName),
            ("CUSTOMER_NUMBER", Field::CustomerId),
            ("Ship To Name", Field::ShipToName),
            ("Ship-to Code", Field::ShipToCode),
            ("Lieferadresse", Field::ShipToAddress),
            ("Ship to City", Field::ShipToCity),
            ("POSTAL_CODE", Field::PostalCode),
            ("Währung", Field::Currency),
            ("Bemerkung", Field::Notes),
        ];
        for (label, field) in cases {
            assert_eq!(field_for_label(label), Some(field), "{label}");
        }
    }

    /// The column headers the demo's customers send, and labels of the
    /// same kinds: mixed-case abbreviations, `P/N`, articles between words.
    #[test]
    fn labels_with_case_changes_slashes_and_articles() {
        let cases = [
            ("UoM", Field::Uom),
            ("U/M", Field::Uom),
            ("Unit of Measure", Field::Uom),
            ("Cascade P/N", Field::Sku),
            ("Item Cascade P/N", Field::Sku),
            ("Customer P/N", Field::CustomerPart),
            ("Mfr P/N", Field::VendorPart),
            ("Required", Field::RequestedDate),
            ("N° de commande", Field::PoNumber),
            ("Numéro de la commande", Field::PoNumber),
            ("Date de commande", Field::OrderDate),
            ("Adresse de livraison", Field::ShipToAddress),
            ("Date de livraison souhaitée", Field::RequestedDate),
            ("Unité de mesure", Field::Uom),
            ("Número de pedido", Field::PoNumber),
            ("Numero ordine di acquisto", Field::PoNumber),
            ("Bestellnummer", Field::PoNumber),
            ("Einheit", Field::Uom),
            ("Customer PO", Field::PoNumber),
            ("Item #", Field::Sku),
            ("Ordered Qty", Field::Qty),
            ("po_number", Field::PoNumber),
            ("customer_item", Field::CustomerPart),
            ("delivery_date", Field::RequestedDate),
            ("unitPrice", Field::UnitPrice),
        ];
        for (label, field) in cases {
            assert_eq!(field_for_label(label), Some(field), "{label}");
        }
        assert_eq!(field_for_label("De"), None, "a filler word alone names nothing");
    }

    #[test]
    fn generic_words_only_match_whole_labels() {
        assert_eq!(field_for_label("Code"), Some(Field::Sku));
        assert_eq!(field_for_label("Tax code"), None);
        assert_eq!(field_for_label("Unit"), Some(Field::Uom));
        assert_eq!(field_for_label("Ship via"), None);
        assert_eq!(field_for_label(""), None);
    }
}
