//! Orders as people write them: UBL from procurement portals, faxes read
//! into text, notes for phone photos; and the oldest e-mails that are no
//! order (quote requests, out-of-office replies). Order e-mails: `email`.

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

use crate::catalog::Item;
use crate::customers::Customer;
use crate::draft::PoDraft;

/// Our own addresses, as the customers know them.
pub(crate) const ORDER_DESK: &str = "orders@northwindflow.example";
pub(crate) const COMPANY: &str = "Northwind Flow Components";

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn money(d: Decimal) -> String {
    d.normalize().to_string()
}

/// A UBL 2.1 Order as procurement portals send it.
pub(crate) fn ubl(draft: &PoDraft, customer: &Customer, items: &[Item]) -> Vec<u8> {
    let currency = draft.currency_stated.unwrap_or(customer.currency);
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x += "<Order xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Order-2\"\n";
    x += "       xmlns:cac=\"urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2\"\n";
    x += "       xmlns:cbc=\"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2\">\n";
    x += "  <cbc:UBLVersionID>2.1</cbc:UBLVersionID>\n";
    x += "  <cbc:CustomizationID>urn:fdc:peppol.eu:poacc:trns:order:3</cbc:CustomizationID>\n";
    x += "  <cbc:ProfileID>urn:fdc:peppol.eu:poacc:bis:ordering:3</cbc:ProfileID>\n";
    x += &format!("  <cbc:ID>{}</cbc:ID>\n", xml_escape(&draft.po));
    x += &format!("  <cbc:IssueDate>{}</cbc:IssueDate>\n", draft.order_date);
    if draft.revision {
        x += "  <cbc:OrderTypeCode>105</cbc:OrderTypeCode>\n";
    }
    x += &format!("  <cbc:DocumentCurrencyCode>{currency}</cbc:DocumentCurrencyCode>\n");
    x += &party(
        "BuyerCustomerParty",
        &customer.name,
        customer.edi_ids.first().map(String::as_str),
        customer.ship_tos.first().map(|s| s.address()),
    );
    x += &party("SellerSupplierParty", COMPANY, Some("0614141000005"), None);
    if let Some(ship) = draft.ship_to.and_then(|k| customer.ship_tos.get(k)) {
        x += "  <cac:Delivery>\n    <cac:DeliveryLocation>\n";
        if let Some(code) = &ship.edi_code {
            x += &format!("      <cbc:ID schemeID=\"0088\">{}</cbc:ID>\n", xml_escape(code));
        }
        x += &format!("      <cbc:Name>{}</cbc:Name>\n", xml_escape(&ship.name));
        x += "      <cac:Address>\n";
        x += &format!("        <cbc:StreetName>{}</cbc:StreetName>\n", xml_escape(&ship.street));
        x += &format!("        <cbc:CityName>{}</cbc:CityName>\n", xml_escape(&ship.city));
        x += &format!("        <cbc:PostalZone>{}</cbc:PostalZone>\n", xml_escape(&ship.postal));
        x += &format!(
            "        <cac:Country><cbc:IdentificationCode>{}</cbc:IdentificationCode></cac:Country>\n",
            ship.country
        );
        x += "      </cac:Address>\n    </cac:DeliveryLocation>\n";
        if let Some(req) = draft.requested {
            x += &format!(
                "    <cac:RequestedDeliveryPeriod><cbc:StartDate>{req}</cbc:StartDate></cac:RequestedDeliveryPeriod>\n"
            );
        }
        x += "  </cac:Delivery>\n";
    } else if let Some(req) = draft.requested {
        x += &format!(
            "  <cac:Delivery>\n    <cac:RequestedDeliveryPeriod><cbc:StartDate>{req}</cbc:StartDate></cac:RequestedDeliveryPeriod>\n  </cac:Delivery>\n"
        );
    }
    for l in &draft.lines {
        x += &ubl_line(l, currency, items);
    }
    x += "</Order>\n";
    x.into_bytes()
}

fn party(role: &str, name: &str, endpoint: Option<&str>, address: Option<String>) -> String {
    let mut x = format!("  <cac:{role}>\n    <cac:Party>\n");
    if let Some(id) = endpoint {
        x += &format!("      <cbc:EndpointID schemeID=\"0088\">{}</cbc:EndpointID>\n", xml_escape(id));
    }
    x += &format!("      <cac:PartyName><cbc:Name>{}</cbc:Name></cac:PartyName>\n", xml_escape(name));
    if let Some(a) = address {
        x += &format!(
            "      <cac:PostalAddress><cbc:StreetName>{}</cbc:StreetName></cac:PostalAddress>\n",
            xml_escape(&a)
        );
    }
    x += &format!("    </cac:Party>\n  </cac:{role}>\n");
    x
}

fn ubl_line(l: &crate::draft::DraftLine, currency: &str, items: &[Item]) -> String {
    let unit = l.uom.clone().unwrap_or_else(|| "C62".into());
    let mut x = String::from("  <cac:OrderLine>\n    <cac:LineItem>\n");
    x += &format!("      <cbc:ID>{}</cbc:ID>\n", l.line_no);
    x += &format!("      <cbc:Quantity unitCode=\"{}\">{}</cbc:Quantity>\n", xml_escape(&unit), money(l.qty));
    if let Some(p) = l.price {
        x += &format!(
            "      <cbc:LineExtensionAmount currencyID=\"{currency}\">{}</cbc:LineExtensionAmount>\n",
            money((p * l.qty).round_dp(2))
        );
        x += &format!(
            "      <cac:Price><cbc:PriceAmount currencyID=\"{currency}\">{}</cbc:PriceAmount></cac:Price>\n",
            money(p)
        );
    }
    x += "      <cac:Item>\n";
    if let Some(d) = &l.description {
        x += &format!("        <cbc:Name>{}</cbc:Name>\n", xml_escape(d));
    }
    if let Some(part) = &l.part {
        x += &format!(
            "        <cac:BuyersItemIdentification><cbc:ID>{}</cbc:ID></cac:BuyersItemIdentification>\n",
            xml_escape(part)
        );
    }
    if let Some(sku) = &l.sku {
        x += &format!(
            "        <cac:SellersItemIdentification><cbc:ID>{}</cbc:ID></cac:SellersItemIdentification>\n",
            xml_escape(sku)
        );
    }
    if let Some(item) = items.get(l.item).filter(|_| l.gtin) {
        x += &format!(
            "        <cac:StandardItemIdentification><cbc:ID schemeID=\"0160\">{}</cbc:ID></cac:StandardItemIdentification>\n",
            item.gtin13()
        );
    }
    x += "      </cac:Item>\n    </cac:LineItem>\n  </cac:OrderLine>\n";
    x
}

/// RFC 5322 headers of a plain-text e-mail.
pub(crate) fn eml_headers(from_name: &str, from: &str, subject: &str, at: NaiveDateTime, id: &str) -> String {
    format!(
        "From: \"{from_name}\" <{from}>\r\nTo: {ORDER_DESK}\r\nSubject: {subject}\r\nDate: {}\r\nMessage-ID: <{id}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
        at.format("%a, %d %b %Y %H:%M:%S +0000")
    )
}

fn human_date(d: NaiveDate) -> String {
    d.format("%b %-d").to_string()
}

/// A fax read into text: fixed columns, upper case.
pub(crate) fn fax_text(draft: &PoDraft, customer: &Customer) -> Vec<u8> {
    let mut t = format!("{}\n", customer.name.to_uppercase());
    if let Some(site) = customer.ship_tos.first() {
        t += &format!("{}\n", site.address().to_uppercase());
    }
    t += "\n                 PURCHASE ORDER\n\n";
    t += &format!("TO: {}                FAX\n", COMPANY.to_uppercase());
    t += &format!("PO NO: {}        DATE: {}\n", draft.po, draft.order_date.format("%m/%d/%Y"));
    if let Some(req) = draft.requested {
        t += &format!("REQUIRED BY: {}\n", req.format("%m/%d/%Y"));
    }
    if let Some(ship) = draft.ship_to.and_then(|k| customer.ship_tos.get(k)) {
        t += &format!("SHIP TO: {}\n", ship.address().to_uppercase());
    }
    t += "\nQTY     UNIT   ITEM            DESCRIPTION                          PRICE\n";
    t += "------  -----  --------------  -----------------------------------  --------\n";
    for l in &draft.lines {
        let price = l.price.map(money).unwrap_or_default();
        t += &format!(
            "{:<6}  {:<5}  {:<14}  {:<35}  {:>8}\n",
            money(l.qty),
            l.uom.clone().unwrap_or_default().to_uppercase(),
            l.sku.clone().unwrap_or_default(),
            l.description.clone().unwrap_or_default(),
            price
        );
    }
    t += "\nAUTHORIZED BY: ______________________\n";
    t.into_bytes()
}

/// An e-mail that asks for a quote: a question, not an order.
pub(crate) fn quote_request(
    customer: &Customer,
    buyer: (&str, &str),
    from: &str,
    at: NaiveDateTime,
    items: &[Item],
    item: usize,
) -> Vec<u8> {
    let sku = items.get(item).map(|i| format!("{} ({})", i.sku, i.description)).unwrap_or_default();
    let id = format!("rfq.{}@{}", at.format("%Y%m%d%H%M%S"), customer.domain());
    let mut body = eml_headers(buyer.0, from, "Request for quote", at, &id);
    body += &format!(
        "Hello,\r\n\r\nCould you please quote 500 pcs of {sku} and let me know your lead time?\r\nThis is not an order yet.\r\n\r\nRegards,\r\n{}\r\n{}\r\n",
        buyer.0, customer.name
    );
    body.into_bytes()
}

/// An automatic out-of-office reply to one of our confirmations.
pub(crate) fn out_of_office(buyer: (&str, &str), from: &str, at: NaiveDateTime) -> Vec<u8> {
    let id = format!("ooo.{}@{}", at.format("%Y%m%d%H%M%S"), from.rsplit('@').next().unwrap_or("mail.example"));
    let mut body = eml_headers(buyer.0, from, "Automatic reply: Order confirmation", at, &id);
    body += &format!(
        "I am out of the office until {} with limited access to e-mail.\r\nFor urgent matters please call the front desk.\r\n",
        human_date(at.date() + chrono::Days::new(7))
    );
    body.into_bytes()
}

/// A short order typed (or neatly printed) on a note and photographed with a phone.
pub(crate) fn photo_note(draft: &PoDraft, customer: &Customer, buyer: (&str, &str)) -> String {
    let mut t = format!(
        "{}\n\nORDER FOR NORTHWIND FLOW\n\nPO {}    {}\n\n",
        customer.name,
        draft.po,
        draft.order_date.format("%m/%d/%Y")
    );
    for l in &draft.lines {
        let what = match (&l.sku, &l.description) {
            (Some(sku), Some(d)) => format!("{sku}  {d}"),
            (Some(sku), None) => sku.clone(),
            (None, d) => d.clone().unwrap_or_default(),
        };
        let unit = l.uom.clone().unwrap_or_default();
        let price = l.price.map(|p| format!("  @ {}", money(p))).unwrap_or_default();
        t += &format!("  {} {unit}  {what}{price}\n", money(l.qty));
    }
    if let Some(req) = draft.requested {
        t += &format!("\nNEED BY {}\n", req.format("%m/%d/%Y"));
    }
    t += &format!("\nThanks - {}\n", buyer.0);
    t
}
