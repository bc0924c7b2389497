//! Builders for hand-made orders and documents.

use std::str::FromStr;

use prodline_core::{CanonicalLine, CanonicalOrder, Decimal, Decision, Format, Group, NaiveDate, Reason, ReasonCode};
use prodline_eval::{ScoredDocument, document_customer};

pub fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap_or_else(|e| panic!("bad decimal {text:?} in a test: {e}"))
}

pub fn line(sku: &str, qty: &str, uom: &str, price: Option<&str>) -> CanonicalLine {
    CanonicalLine {
        sku: Some(sku.into()),
        qty: dec(qty),
        uom: Some(uom.into()),
        unit_price: price.map(dec),
        ..Default::default()
    }
}

/// A truth-style order: customer, PO, order date 2026-03-02 and USD.
pub fn order(customer: &str, po: &str, lines: Vec<CanonicalLine>) -> CanonicalOrder {
    CanonicalOrder {
        customer_id: Some(customer.into()),
        customer_po: Some(po.into()),
        order_date: NaiveDate::from_ymd_opt(2026, 3, 2),
        currency: Some("USD".into()),
        lines,
        ..Default::default()
    }
}

pub fn reason(code: ReasonCode) -> Reason {
    Reason::new(code, code.meaning())
}

pub struct Doc {
    pub doc: &'static str,
    pub channel: &'static str,
    pub format: Format,
    pub decision: Decision,
    pub confidence: f64,
    pub reasons: Vec<Reason>,
    pub predicted: Vec<CanonicalOrder>,
    pub truth: Vec<CanonicalOrder>,
    pub duplicate_of: Option<&'static str>,
}

impl Doc {
    pub fn scored(self) -> ScoredDocument {
        ScoredDocument {
            doc: self.doc.into(),
            channel: self.channel.into(),
            format: self.format,
            group: Group::of(self.format, false),
            curated: false,
            usage: None,
            customer: document_customer(&self.truth, &self.predicted),
            decision: self.decision,
            confidence: self.confidence,
            reasons: self.reasons,
            predicted: self.predicted,
            truth: self.truth,
            duplicate_of: self.duplicate_of.map(String::from),
        }
    }
}

/// An X12 850 interchange from `sender` with the given segments between BEG
/// and CTT (each without its terminator).
pub fn x12_850(sender: &str, control: u32, po: &str, date: &str, body: &[&str]) -> String {
    let po1_count = body.iter().filter(|s| s.starts_with("PO1*")).count();
    let mut segments = vec![format!("ST*850*0001"), format!("BEG*00*SA*{po}**{date}")];
    segments.extend(body.iter().map(|s| s.to_string()));
    segments.push(format!("CTT*{po1_count}"));
    segments.push(format!("SE*{}*0001", segments.len() + 1));
    let isa = format!(
        "ISA*00*{:10}*00*{:10}*ZZ*{:<15}*ZZ*{:<15}*260302*0915*U*00401*{:09}*0*P*>",
        "", "", sender, "PRODLINE", control
    );
    let gs = format!("GS*PO*{sender}*PRODLINE*20260302*0915*{control}*X*004010");
    let mut all = vec![isa, gs];
    all.extend(segments);
    all.push(format!("GE*1*{control}"));
    all.push(format!("IEA*1*{control:09}"));
    all.iter().map(|s| format!("{s}~\n")).collect()
}

/// Master data (SPEC §2) for two customers and three items.
pub fn write_master(dir: &std::path::Path) {
    let files = [
        (
            "customers.csv",
            "customer_id,name,aliases,edi_ids,email_domains,currency\n\
             C0042,Acme Valves Inc,ACME,ACMEBUY,acme.example,USD\n\
             C0077,Beta Pumps Ltd,BETA,BETAPUMPS,beta.example,USD\n",
        ),
        (
            "ship_tos.csv",
            "ship_to_id,customer_id,name,address,edi_code\nST-0042-01,C0042,Acme Plant 1,1 Main St Springfield,0001\n",
        ),
        (
            "items.csv",
            "sku,description,uom,list_price,upc,aliases\n\
             HV-075-BR,3/4in brass ball valve,EA,12.50,,\n\
             HV-100-BR,1in brass ball valve,EA,15.00,,\n\
             PG-200,Pressure gauge 200 psi,EA,20.00,,\n",
        ),
        (
            "customer_items.csv",
            "customer_id,customer_part,sku\nC0042,88-1200,HV-075-BR\nC0042,88-1300,HV-100-BR\nC0077,G-200,PG-200\n",
        ),
        (
            "prices.csv",
            "customer_id,sku,unit_price\nC0042,HV-075-BR,11.85\nC0042,HV-100-BR,14.20\nC0077,PG-200,19.00\n",
        ),
    ];
    write_files(dir, &files);
}

pub fn write_files(dir: &std::path::Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{}: {e}", parent.display()));
        }
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}
