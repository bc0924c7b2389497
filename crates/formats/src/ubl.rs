//! OASIS UBL 2.0/2.1 Order documents. Elements are matched by local name:
//! namespace prefixes vary between senders.

use std::borrow::Cow;
use std::str::FromStr;

use chrono::NaiveDate;
use prodline_core::{
    Charge, Diagnostic, Format, ItemId, ItemIdKind, ParsedDocument, ParsedLine, ParsedOrder, Party, PartyId, Position,
    QualifiedDate,
};
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;
use rust_decimal::Decimal;

/// Deeper nesting than this is not a UBL order; refusing it keeps the tree
/// walks' recursion bounded.
const MAX_DEPTH: usize = 128;

/// One element: local name, attributes (local names), text, children.
#[derive(Debug, Default)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    text: String,
    children: Vec<Element>,
    /// Byte offset of the start tag.
    offset: usize,
}

impl Element {
    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The element at a path of local names below this one.
    fn at(&self, path: &[&str]) -> Option<&Element> {
        path.iter().try_fold(self, |e, name| e.child(name))
    }

    /// Trimmed text at a path, if not empty.
    fn text_at(&self, path: &[&str]) -> Option<String> {
        self.at(path).and_then(Element::value)
    }

    fn value(&self) -> Option<String> {
        let t = self.text.trim();
        (!t.is_empty()).then(|| t.to_string())
    }

    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.trim().is_empty())
    }

    fn position(&self) -> Position {
        Position { byte_offset: Some(self.offset), segment_id: Some(self.name.clone()), ..Position::default() }
    }
}

/// Read a UBL Order.
pub fn parse(bytes: &[u8]) -> ParsedDocument {
    let mut doc = ParsedDocument::new(Format::Ubl);
    let text = decode(bytes);
    let root = match read_tree(&text) {
        Ok(root) => root,
        Err(diagnostic) => {
            doc.diagnostics.push(*diagnostic);
            return doc;
        }
    };
    if root.name != "Order" {
        doc.diagnostics.push(Diagnostic::error(
            "not_a_ubl_order",
            format!("the root element is {:?}, not a UBL Order", root.name),
            root.position(),
        ));
        return doc;
    }
    let (order, diagnostics) = read_order(&root);
    doc.orders.push(order);
    doc.diagnostics.extend(diagnostics);
    doc
}

/// Text of the document: a BOM or the XML declaration names the encoding;
/// UTF-8 otherwise.
fn decode(bytes: &[u8]) -> Cow<'_, str> {
    if let Some((encoding, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let body = bytes.get(bom_len..).unwrap_or_default();
        return Cow::Owned(encoding.decode_without_bom_handling(body).0.into_owned());
    }
    let head = String::from_utf8_lossy(bytes.get(..bytes.len().min(200)).unwrap_or_default()).to_ascii_lowercase();
    let declared = head
        .split_once("encoding=")
        .and_then(|(_, rest)| rest.get(1..))
        .and_then(|rest| rest.split(['"', '\'']).next())
        .and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes()));
    match declared {
        Some(encoding) if encoding != encoding_rs::UTF_8 => encoding.decode_without_bom_handling(bytes).0,
        _ => String::from_utf8_lossy(bytes),
    }
}

/// Parse the XML into a tree. Malformed XML is an error at its byte offset.
fn read_tree(text: &str) -> Result<Element, Box<Diagnostic>> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = vec![Element::default()];
    loop {
        let offset = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = reader.read_event().map_err(|e| {
            let at = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
            Box::new(Diagnostic::error(
                "malformed_xml",
                format!("the XML is malformed: {e}"),
                Position { byte_offset: Some(at), ..Position::default() },
            ))
        })?;
        match event {
            Event::Start(start) => {
                if stack.len() > MAX_DEPTH {
                    return Err(too_deep(offset));
                }
                stack.push(element(&start, offset));
            }
            Event::Empty(start) => {
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(element(&start, offset));
                }
            }
            Event::End(_) => {
                let Some(done) = stack.pop() else { break };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return Ok(done),
                }
            }
            Event::Text(t) => push_text(&mut stack, &t.xml10_content()),
            Event::CData(t) => push_text(&mut stack, &t),
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => predefined_entity(&r.xml10_content()).to_string(),
                };
                push_text(&mut stack, &resolved);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let document = stack.into_iter().next().unwrap_or_default();
    document
        .children
        .into_iter()
        .next()
        .ok_or_else(|| Box::new(Diagnostic::error("malformed_xml", "the XML has no root element", Position::default())))
}

fn too_deep(offset: usize) -> Box<Diagnostic> {
    Box::new(Diagnostic::error(
        "malformed_xml",
        format!("elements nest deeper than {MAX_DEPTH} levels"),
        Position { byte_offset: Some(offset), ..Position::default() },
    ))
}

fn predefined_entity(name: &str) -> &'static str {
    match name {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        _ => "",
    }
}

fn push_text(stack: &mut [Element], text: &str) {
    if let Some(current) = stack.last_mut()
        && current.text.len() < 1 << 20
    {
        current.text.push_str(text);
    }
}

fn element(start: &BytesStart<'_>, offset: usize) -> Element {
    let name = start.local_name().as_ref().to_string();
    let attributes = start
        .attributes()
        .flatten()
        .map(|a| {
            let key = a.key.local_name().as_ref().to_string();
            let value = quick_xml::escape::unescape(&a.value).map(Cow::into_owned).unwrap_or_default();
            (key, value)
        })
        .collect();
    Element { name, attributes, offset, ..Element::default() }
}

fn read_order(root: &Element) -> (ParsedOrder, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut order =
        ParsedOrder { po_number: root.text_at(&["ID"]), position: root.position(), ..ParsedOrder::default() };
    order.order_date = date_at(root, &["IssueDate"], &mut diagnostics);
    order.currency = root.text_at(&["DocumentCurrencyCode"]).or_else(|| first_currency_attribute(root));
    order.requested_date = root.children("Delivery").find_map(|d| delivery_date(d, &mut diagnostics));
    if let Some(sales_order) = root.text_at(&["SalesOrderID"]) {
        order.references.push(prodline_core::Reference { qualifier: "sales_order_id".to_string(), value: sales_order });
    }
    order.notes = root.children("Note").filter_map(Element::value).collect();
    let parties = [("BuyerCustomerParty", "BY"), ("SellerSupplierParty", "SU"), ("AccountingCustomerParty", "IV")];
    for (element, code) in parties {
        if let Some(party) = root.at(&[element, "Party"]).map(|p| read_party(p, code)) {
            order.parties.push(party);
        }
    }
    order.parties.extend(ship_to(root));
    order.charges = root.children("AllowanceCharge").map(read_charge).collect();
    for order_line in root.children("OrderLine") {
        let Some(item) = order_line.child("LineItem") else { continue };
        let mut line = read_line(item, &mut diagnostics);
        line.position = order_line.position();
        order.lines.push(line);
    }
    if order.requested_date.is_none() {
        order.requested_date = order.lines.iter().flat_map(|l| &l.dates).map(|d| d.date).next();
    }
    if order.lines.is_empty() {
        diagnostics.push(Diagnostic::error("no_order_lines", "the order has no OrderLine/LineItem", root.position()));
    }
    (order, diagnostics)
}

/// RequestedDeliveryPeriod StartDate, else its EndDate, else the
/// LatestDeliveryDate (a deadline is what the buyer asks for).
fn delivery_date(delivery: &Element, diagnostics: &mut Vec<Diagnostic>) -> Option<NaiveDate> {
    date_at(delivery, &["RequestedDeliveryPeriod", "StartDate"], diagnostics)
        .or_else(|| date_at(delivery, &["RequestedDeliveryPeriod", "EndDate"], diagnostics))
        .or_else(|| date_at(delivery, &["LatestDeliveryDate"], diagnostics))
}

fn date_at(element: &Element, path: &[&str], diagnostics: &mut Vec<Diagnostic>) -> Option<NaiveDate> {
    let node = element.at(path)?;
    let text = node.value()?;
    let date = text.get(..10).and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    if date.is_none() {
        diagnostics.push(Diagnostic::warning("bad_date", format!("{text:?} is not an ISO date"), node.position()));
    }
    date
}

/// The first `currencyID` of any amount, for documents without a
/// DocumentCurrencyCode.
fn first_currency_attribute(element: &Element) -> Option<String> {
    if let Some(c) = element.attribute("currencyID") {
        return Some(c.trim().to_string());
    }
    element.children.iter().find_map(first_currency_attribute)
}

fn read_party(party: &Element, code: &str) -> Party {
    let mut result = Party::new(code);
    let id = party
        .children("PartyIdentification")
        .filter_map(|pi| pi.child("ID"))
        .chain(party.child("EndpointID"))
        .find_map(|id| id.value().map(|value| (value, id.attribute("schemeID").map(str::to_string))));
    result.id = id.map(|(value, qualifier)| PartyId { qualifier, value });
    result.name =
        party.text_at(&["PartyName", "Name"]).or_else(|| party.text_at(&["PartyLegalEntity", "RegistrationName"]));
    if let Some(address) = party.child("PostalAddress") {
        fill_address(&mut result, address);
    }
    result
}

fn fill_address(party: &mut Party, address: &Element) {
    let street = [address.text_at(&["StreetName"]), address.text_at(&["BuildingNumber"])]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    if !street.is_empty() {
        party.address.push(street);
    }
    party.address.extend(address.text_at(&["AdditionalStreetName"]));
    party.address.extend(address.children("AddressLine").filter_map(|l| l.text_at(&["Line"])));
    party.city = address.text_at(&["CityName"]);
    party.postal_code = address.text_at(&["PostalZone"]);
    party.region = address.text_at(&["CountrySubentity"]);
    party.country = address.text_at(&["Country", "IdentificationCode"]);
}

/// The ship-to of the order's Delivery blocks: a DeliveryLocation (with its
/// ID and address) wherever one is stated, else a DeliveryAddress, else the
/// DeliveryParty. The DeliveryParty is often the carrier, so it neither wins
/// over a location nor lends it its name.
fn ship_to(order: &Element) -> Option<Party> {
    let deliveries = || order.children("Delivery");
    deliveries()
        .find_map(|d| d.child("DeliveryLocation").and_then(delivery_location))
        .or_else(|| deliveries().find_map(|d| d.child("DeliveryAddress").and_then(delivery_address)))
        .or_else(|| deliveries().find_map(|d| d.child("DeliveryParty").map(delivery_party)))
}

fn delivery_location(location: &Element) -> Option<Party> {
    let mut party = Party::new("ST");
    let id = location.child("ID").or_else(|| location.at(&["Address", "ID"]));
    party.id = id.and_then(party_id);
    party.name = location.text_at(&["Name"]).or_else(|| location.text_at(&["Description"]));
    if let Some(address) = location.child("Address") {
        fill_address(&mut party, address);
    }
    stated(party)
}

fn delivery_address(address: &Element) -> Option<Party> {
    let mut party = Party::new("ST");
    party.id = address.child("ID").and_then(party_id);
    fill_address(&mut party, address);
    stated(party)
}

fn delivery_party(delivery_party: &Element) -> Party {
    let mut party = read_party(delivery_party, "ST");
    party.role = prodline_core::PartyRole::ShipTo;
    party
}

fn party_id(id: &Element) -> Option<PartyId> {
    id.value().map(|value| PartyId { qualifier: id.attribute("schemeID").map(str::to_string), value })
}

/// A party only when the document says something about it: an empty
/// `<DeliveryLocation/>` leaves the ship-to to the next source.
fn stated(party: Party) -> Option<Party> {
    let empty = party.id.is_none()
        && party.name.is_none()
        && party.address.is_empty()
        && party.city.is_none()
        && party.postal_code.is_none();
    (!empty).then_some(party)
}

fn read_charge(charge: &Element) -> Charge {
    let is_charge = charge.text_at(&["ChargeIndicator"]).is_some_and(|v| v.eq_ignore_ascii_case("true"));
    Charge {
        indicator: if is_charge { "C" } else { "A" }.to_string(),
        code: charge.text_at(&["AllowanceChargeReasonCode"]),
        amount: charge.text_at(&["Amount"]).and_then(|v| decimal(&v)),
        percent: charge.text_at(&["MultiplierFactorNumeric"]).and_then(|v| decimal(&v)),
        description: charge.text_at(&["AllowanceChargeReason"]),
    }
}

fn decimal(text: &str) -> Option<Decimal> {
    Decimal::from_str(text.trim()).ok().or_else(|| Decimal::from_scientific(text.trim()).ok())
}

fn read_line(item: &Element, diagnostics: &mut Vec<Diagnostic>) -> ParsedLine {
    let mut line = ParsedLine { line_no: item.text_at(&["ID"]), ..ParsedLine::default() };
    if let Some(quantity) = item.child("Quantity") {
        line.qty = quantity.value().and_then(|v| decimal(&v));
        if line.qty.is_none() {
            diagnostics.push(Diagnostic::error("bad_quantity", "the Quantity is not a number", quantity.position()));
        }
        line.uom = quantity.attribute("unitCode").map(|u| u.trim().to_string());
    }
    line.unit_price = unit_price(item);
    if let Some(item_element) = item.child("Item") {
        read_item(&mut line, item_element);
    }
    let requested = item.children("Delivery").find_map(|d| delivery_date(d, diagnostics));
    line.dates.extend(requested.map(|date| QualifiedDate { qualifier: "requested".to_string(), date }));
    line.charges = item.children("AllowanceCharge").map(read_charge).collect();
    line
}

/// PriceAmount per BaseQuantity: a price for 100 pieces is a hundredth per piece.
fn unit_price(item: &Element) -> Option<Decimal> {
    let price = item.child("Price")?;
    let amount = decimal(&price.text_at(&["PriceAmount"])?)?;
    let base = price.text_at(&["BaseQuantity"]).and_then(|b| decimal(&b)).filter(|b| !b.is_zero());
    match base {
        Some(base) if base != Decimal::ONE => amount.checked_div(base).map(|p| p.normalize()),
        _ => Some(amount),
    }
}

fn read_item(line: &mut ParsedLine, item: &Element) {
    let name = item.text_at(&["Name"]);
    let description = item.children("Description").filter_map(Element::value).collect::<Vec<_>>().join(" ");
    line.description = match (name, description.is_empty()) {
        (Some(name), false) if !name.contains(&description) => Some(format!("{name} - {description}")),
        (Some(name), _) => Some(name),
        (None, false) => Some(description),
        (None, true) => None,
    };
    let ids = [
        ("SellersItemIdentification", ItemIdKind::VendorPart),
        ("BuyersItemIdentification", ItemIdKind::BuyerPart),
        ("StandardItemIdentification", ItemIdKind::Gtin),
        ("ManufacturersItemIdentification", ItemIdKind::Other),
    ];
    for (element, kind) in ids {
        for identification in item.children(element) {
            let Some(id) = identification.child("ID") else { continue };
            let Some(value) = id.value() else { continue };
            line.item_ids.push(ItemId { kind, qualifier: id.attribute("schemeID").map(str::to_string), value });
        }
    }
}
