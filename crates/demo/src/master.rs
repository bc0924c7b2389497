//! The SPEC §2 master data files, written from the roster and the catalog.

use crate::catalog::Item;
use crate::customers::Customer;
use crate::render::table::record;

pub(crate) const CUSTOMERS_HEADER: &str = "customer_id,name,aliases,edi_ids,email_domains,currency";
pub(crate) const SHIP_TOS_HEADER: &str = "ship_to_id,customer_id,name,address,edi_code";
pub(crate) const ITEMS_HEADER: &str = "sku,description,uom,list_price,upc,aliases,packs";
pub(crate) const CUSTOMER_ITEMS_HEADER: &str = "customer_id,customer_part,sku";
pub(crate) const PRICES_HEADER: &str = "customer_id,sku,unit_price";

fn table(header: &str, rows: Vec<Vec<String>>) -> String {
    let mut out = format!("{header}\n");
    for row in rows {
        out += &record(&row, ',');
        out.push('\n');
    }
    out
}

/// (file name, contents) of the five master files.
pub(crate) fn master_files(customers: &[Customer], items: &[Item]) -> Vec<(&'static str, String)> {
    vec![
        ("customers.csv", table(CUSTOMERS_HEADER, customers.iter().map(customer_row).collect())),
        ("ship_tos.csv", table(SHIP_TOS_HEADER, ship_to_rows(customers))),
        ("items.csv", table(ITEMS_HEADER, items.iter().map(item_row).collect())),
        ("customer_items.csv", table(CUSTOMER_ITEMS_HEADER, customer_item_rows(customers, items))),
        ("prices.csv", table(PRICES_HEADER, price_rows(customers, items))),
    ]
}

fn customer_row(c: &Customer) -> Vec<String> {
    vec![
        c.id.clone(),
        c.name.clone(),
        c.aliases.join(";"),
        c.edi_ids.join(";"),
        c.email_domains.join(";"),
        c.currency.to_string(),
    ]
}

fn ship_to_rows(customers: &[Customer]) -> Vec<Vec<String>> {
    customers
        .iter()
        .flat_map(|c| {
            c.ship_tos.iter().map(|s| {
                vec![s.id.clone(), c.id.clone(), s.name.clone(), s.address(), s.edi_code.clone().unwrap_or_default()]
            })
        })
        .collect()
}

fn item_row(i: &Item) -> Vec<String> {
    let packs: Vec<String> = i.packs.iter().map(|(unit, n)| format!("{unit}={n}")).collect();
    vec![
        i.sku.clone(),
        i.description.clone(),
        i.uom.to_string(),
        i.list_price.to_string(),
        i.upc.clone(),
        i.aliases.join(";"),
        packs.join(";"),
    ]
}

/// Known customer parts; the ones a customer started using lately are not here yet.
fn customer_item_rows(customers: &[Customer], items: &[Item]) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for c in customers {
        for (index, part) in &c.parts {
            if c.unlisted_parts.contains(index) {
                continue;
            }
            if let Some(item) = items.get(*index) {
                rows.push(vec![c.id.clone(), part.clone(), item.sku.clone()]);
            }
        }
    }
    rows
}

fn price_rows(customers: &[Customer], items: &[Item]) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for c in customers {
        for (index, price) in &c.contract {
            if let Some(item) = items.get(*index) {
                rows.push(vec![c.id.clone(), item.sku.clone(), format!("{:.2}", price)]);
            }
        }
    }
    rows
}
