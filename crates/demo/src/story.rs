//! Three months of inbound documents: who sends what when, the orders in
//! them, and the mess production adds (garbage, re-sends, revisions, a
//! drifting sender, a feed that dies).

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use prodline_core::{CanonicalOrder, Format};

use crate::catalog::Item;
use crate::customers::{CsvStyle, Customer, DEAD_FEED_CUSTOMER, DRIFT_CUSTOMER, DRIFT_NEW_SENDER, Profile};
use crate::dice::Dice;
use crate::draft::{PoDraft, doc_plan, draw_lines, po_number};
use crate::render::email::{self, EmailShape, NotAnOrder, Sender};
use crate::render::pdf::{self, PdfLayout};
use crate::render::scan::{self, ScanLook};
use crate::render::{edifact, table, text, x12};
use crate::{DemoConfig, DemoError};

/// A document as it lands in the dataset.
pub(crate) struct Doc {
    pub(crate) path: String,
    pub(crate) bytes: Vec<u8>,
    pub(crate) at: NaiveDateTime,
    pub(crate) channel: &'static str,
    pub(crate) from: Option<String>,
    pub(crate) format: Format,
    pub(crate) orders: Vec<CanonicalOrder>,
    pub(crate) duplicate_of: Option<String>,
    pub(crate) kind: DocKind,
    /// Well formed, in the customer's usual layout, no chain, no noise.
    pub(crate) clean: bool,
    /// One of the clean samples a pilot would have shown (meta `curated`).
    pub(crate) curated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DocKind {
    Order,
    Revision,
    Duplicate,
    Garbage,
}

/// The calendar of the two named stories.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Calendar {
    pub(crate) start: NaiveDate,
    pub(crate) end: NaiveDate,
    pub(crate) feed_last: NaiveDate,
    pub(crate) feed_resumes: NaiveDate,
    pub(crate) drift_from: NaiveDate,
}

impl Calendar {
    pub(crate) fn new(config: &DemoConfig) -> Calendar {
        let start = config.start;
        let end = start + Days::new(u64::from(config.days.max(1)) - 1);
        let mut feed_last = last_of_month(start);
        if (feed_last - start).num_days() < 7 {
            feed_last = last_of_month(feed_last + Days::new(1));
        }
        let feed_resumes = feed_last + Days::new(10);
        // The drifting customer changes its system in the last quarter of the
        // period: its history before is long enough to be a reference.
        let drift_from = end - Days::new(u64::from(config.days.max(4)) / 4);
        Calendar { start, end, feed_last, feed_resumes, drift_from }
    }

    fn in_feed_gap(&self, d: NaiveDate) -> bool {
        d > self.feed_last && d < self.feed_resumes
    }

    fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.start.iter_days().take_while(|d| *d <= self.end)
    }
}

fn last_of_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 { (d.year() + 1, 1) } else { (d.year(), d.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).and_then(|f| f.pred_opt()).unwrap_or(d)
}

enum Plan {
    Order { customer: usize, pos: usize, two_interchanges: bool },
    Revision { of: usize },
    Duplicate { of: usize, reenvelope: bool },
    Garbage(Garbage),
}

#[derive(Debug, Clone, Copy)]
enum Garbage {
    Empty,
    RandomBytes,
    TruncatedX12,
    Invoice810,
    Ack997,
    Invoic,
    PriceList,
    QuoteRequest,
    OutOfOffice,
    Mail(NotAnOrder),
}

struct Planned {
    key: usize,
    at: NaiveDateTime,
    plan: Plan,
}

/// What the renderer kept of a document for later re-sends and revisions.
struct Sent {
    path: String,
    bytes: Vec<u8>,
    customer: usize,
    drafts: Vec<PoDraft>,
    channel: &'static str,
    from: Option<String>,
    format: Format,
    clean: bool,
}

/// What a renderer made of one document.
struct Rendered {
    bytes: Vec<u8>,
    channel: &'static str,
    format: Format,
    ext: &'static str,
    from: Option<String>,
    clean: bool,
}

impl Rendered {
    fn new(bytes: Vec<u8>, channel: &'static str, format: Format, ext: &'static str, from: Option<String>) -> Rendered {
        Rendered { bytes, channel, format, ext, from, clean: true }
    }
}

pub(crate) struct Story<'a> {
    customers: &'a [Customer],
    items: &'a [Item],
    calendar: Calendar,
    dice: Dice,
    po_seq: Vec<u32>,
    control: Vec<u32>,
    sent: BTreeMap<usize, Sent>,
    seq: usize,
    /// Scans still to render: each costs a poppler run and pixel work.
    scans_left: usize,
}

impl<'a> Story<'a> {
    pub(crate) fn new(customers: &'a [Customer], items: &'a [Item], calendar: Calendar, dice: Dice) -> Story<'a> {
        let n = customers.len();
        Story {
            customers,
            items,
            calendar,
            dice,
            po_seq: vec![0; n],
            control: vec![0; n],
            sent: BTreeMap::new(),
            seq: 0,
            scans_left: 0,
        }
    }

    /// Plan and render every document, in received order.
    pub(crate) fn tell(mut self, documents: usize) -> Result<Vec<Doc>, DemoError> {
        for (i, c) in self.customers.iter().enumerate() {
            self.control[i] = self.dice.between(100, 5000) as u32;
            self.po_seq[i] = self.dice.between(1, 400) as u32 + c.weight;
        }
        self.scans_left = (documents * 7 / 400).max(1);
        let mut planned = self.plan(documents);
        planned.sort_by(|a, b| a.at.cmp(&b.at).then(a.key.cmp(&b.key)));
        let mut docs = Vec::with_capacity(planned.len());
        for p in planned {
            docs.push(self.render(p)?);
        }
        self.mark_curated(&mut docs);
        Ok(docs)
    }

    /// About a tenth of each format's documents, drawn from its clean orders.
    fn mark_curated(&mut self, docs: &mut [Doc]) {
        let mut by_format: BTreeMap<&'static str, (usize, Vec<usize>)> = BTreeMap::new();
        for (i, d) in docs.iter().enumerate() {
            let entry = by_format.entry(d.format.as_str()).or_default();
            entry.0 += 1;
            if d.kind == DocKind::Order && d.clean {
                entry.1.push(i);
            }
        }
        for (total, mut candidates) in by_format.into_values() {
            self.dice.shuffle(&mut candidates);
            for i in candidates.into_iter().take(total.div_ceil(10)) {
                if let Some(d) = docs.get_mut(i) {
                    d.curated = true;
                }
            }
        }
    }

    fn plan(&mut self, documents: usize) -> Vec<Planned> {
        let garbage = documents * 8 / 100;
        let duplicates = documents * 3 / 100;
        let revisions = documents * 2 / 100;
        let orders = documents.saturating_sub(garbage + duplicates + revisions).max(1);
        let mut planned = self.plan_orders(orders);
        planned.sort_by(|a, b| a.at.cmp(&b.at).then(a.key.cmp(&b.key)));
        let revised = self.plan_revisions(&mut planned, revisions);
        self.plan_duplicates(&mut planned, duplicates, &revised);
        self.plan_garbage(&mut planned, garbage);
        planned
    }

    fn plan_orders(&mut self, orders: usize) -> Vec<Planned> {
        let mut planned = Vec::new();
        let feed_days: Vec<NaiveDate> = self.calendar.days().filter(|d| !self.calendar.in_feed_gap(*d)).collect();
        let feed_total = (orders * 12 / 100).max(1);
        let step = feed_days.len().div_ceil(feed_total).max(1);
        let per_day = (feed_total / feed_days.len().max(1)).max(1);
        for d in feed_days.iter().step_by(step) {
            let count = per_day + usize::from(self.dice.chance(500));
            for _ in 0..count {
                let at = self.edi_time(*d);
                planned.push(Planned { key: planned.len(), at, plan: self.order_plan(DEAD_FEED_CUSTOMER) });
            }
        }
        let weights: Vec<u32> = self.customers.iter().map(|c| c.weight).collect();
        while planned.len() < orders {
            let customer = self.dice.weighted(&weights);
            let at = self.time_for(customer);
            planned.push(Planned { key: planned.len(), at, plan: self.order_plan(customer) });
        }
        planned
    }

    fn order_plan(&mut self, customer: usize) -> Plan {
        let Some(c) = self.customers.get(customer) else {
            return Plan::Order { customer, pos: 1, two_interchanges: false };
        };
        let (pos, two_interchanges) = match &c.profile {
            Profile::X12(s) if s.multi_set && self.dice.chance(350) => (2 + self.dice.below(2), false),
            Profile::X12(s) if s.multi_interchange && self.dice.chance(120) => (2, true),
            Profile::Edifact(s) if s.una && self.dice.chance(100) => (2, false),
            Profile::Csv(CsvStyle::MultiPo) => (2 + self.dice.below(3), false),
            Profile::Csv(CsvStyle::WebShop) => (1 + self.dice.below(3), false),
            _ => (1, false),
        };
        Plan::Order { customer, pos, two_interchanges }
    }

    fn is_edi(&self, customer: usize) -> bool {
        matches!(self.customers.get(customer).map(|c| &c.profile), Some(Profile::X12(_) | Profile::Edifact(_)))
    }

    /// EDI arrives around the clock, every day; people send on weekdays in office hours.
    fn time_for(&mut self, customer: usize) -> NaiveDateTime {
        let span = (self.calendar.end - self.calendar.start).num_days();
        loop {
            let d = self.calendar.start + Days::new(self.dice.between(0, span) as u64);
            if self.is_edi(customer) {
                return self.edi_time(d);
            }
            let weekend = matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
            if !weekend || self.dice.chance(30) {
                return self.office_time(d);
            }
        }
    }

    fn edi_time(&mut self, d: NaiveDate) -> NaiveDateTime {
        let secs = self.dice.between(0, 86_399) as u32;
        d.and_time(NaiveTime::from_num_seconds_from_midnight_opt(secs, 0).unwrap_or(NaiveTime::MIN))
    }

    fn office_time(&mut self, d: NaiveDate) -> NaiveDateTime {
        let hours = if self.dice.chance(50) { (18, 22) } else { (8, 17) };
        let secs = self.dice.between(hours.0 * 3600, hours.1 * 3600 + 3599) as u32;
        d.and_time(NaiveTime::from_num_seconds_from_midnight_opt(secs, 0).unwrap_or(NaiveTime::MIN))
    }

    /// A later moment for a re-send or a revision, never inside the dead feed's gap.
    fn later(
        &mut self,
        at: NaiveDateTime,
        customer: usize,
        min_minutes: i64,
        max_minutes: i64,
    ) -> Option<NaiveDateTime> {
        let t = at + chrono::Duration::minutes(self.dice.between(min_minutes, max_minutes));
        let dead = customer == DEAD_FEED_CUSTOMER && self.calendar.in_feed_gap(t.date());
        (t.date() <= self.calendar.end && !dead).then_some(t)
    }

    /// Revisions of single-PO EDI and e-mail orders; returns the revised keys.
    fn plan_revisions(&mut self, planned: &mut Vec<Planned>, count: usize) -> Vec<usize> {
        let candidates: Vec<(usize, NaiveDateTime, usize)> = planned
            .iter()
            .filter_map(|p| match p.plan {
                Plan::Order { customer, pos: 1, .. } if self.revisable(customer) => Some((p.key, p.at, customer)),
                _ => None,
            })
            .collect();
        let mut revised = Vec::new();
        for _ in 0..count * 4 {
            if revised.len() >= count {
                break;
            }
            let Some(&(key, at, customer)) = self.dice.pick(&candidates) else { break };
            if revised.contains(&key) {
                continue;
            }
            let Some(t) = self.later(at, customer, 600, 5 * 1440) else { continue };
            revised.push(key);
            planned.push(Planned { key: planned.len(), at: t, plan: Plan::Revision { of: key } });
        }
        revised
    }

    fn revisable(&self, customer: usize) -> bool {
        matches!(
            self.customers.get(customer).map(|c| &c.profile),
            Some(Profile::X12(_) | Profile::Edifact(_) | Profile::Email)
        )
    }

    fn plan_duplicates(&mut self, planned: &mut Vec<Planned>, count: usize, revised: &[usize]) {
        let candidates: Vec<(usize, NaiveDateTime, usize)> = planned
            .iter()
            .filter_map(|p| match p.plan {
                Plan::Order { customer, .. } if !revised.contains(&p.key) => Some((p.key, p.at, customer)),
                _ => None,
            })
            .collect();
        let mut done = 0;
        for _ in 0..count * 4 {
            if done >= count {
                break;
            }
            let Some(&(key, at, customer)) = self.dice.pick(&candidates) else { break };
            let Some(t) = self.later(at, customer, 30, 3 * 1440) else { continue };
            let reenvelope = self.dice.chance(500);
            planned.push(Planned { key: planned.len(), at: t, plan: Plan::Duplicate { of: key, reenvelope } });
            done += 1;
        }
    }

    fn plan_garbage(&mut self, planned: &mut Vec<Planned>, count: usize) {
        const KINDS: [Garbage; 14] = [
            Garbage::Empty,
            Garbage::RandomBytes,
            Garbage::TruncatedX12,
            Garbage::Invoice810,
            Garbage::Ack997,
            Garbage::Invoic,
            Garbage::PriceList,
            Garbage::QuoteRequest,
            Garbage::OutOfOffice,
            Garbage::Mail(NotAnOrder::StockQuestion),
            Garbage::Mail(NotAnOrder::Newsletter),
            Garbage::Mail(NotAnOrder::Invoice),
            Garbage::Mail(NotAnOrder::SeeAttachedMissing),
            Garbage::Mail(NotAnOrder::StatusQuery),
        ];
        for n in 0..count {
            let kind = KINDS[n % KINDS.len()];
            let d = self.calendar.start
                + Days::new(self.dice.between(0, (self.calendar.end - self.calendar.start).num_days()) as u64);
            let at = self.office_time(d);
            planned.push(Planned { key: planned.len(), at, plan: Plan::Garbage(kind) });
        }
    }

    fn next_path(&mut self, at: NaiveDateTime, channel: &str, ext: &str) -> String {
        self.seq += 1;
        format!("docs/{}/{channel}/{:05}.{ext}", at.format("%Y-%m"), self.seq)
    }

    fn render(&mut self, p: Planned) -> Result<Doc, DemoError> {
        match p.plan {
            Plan::Order { customer, pos, two_interchanges } => {
                self.render_order(p.key, p.at, customer, pos, two_interchanges)
            }
            Plan::Revision { of } => self.render_revision(p.key, p.at, of),
            Plan::Duplicate { of, reenvelope } => self.render_duplicate(p.at, of, reenvelope),
            Plan::Garbage(kind) => self.render_garbage(p.at, kind),
        }
    }

    fn new_draft(&mut self, customer: usize, at: NaiveDateTime) -> Option<PoDraft> {
        let c = self.customers.get(customer)?;
        let drifted = customer == DRIFT_CUSTOMER && at.date() >= self.calendar.drift_from;
        let plan = doc_plan(c, drifted);
        let seq = self.po_seq.get_mut(customer)?;
        *seq += 1 + u32::from(self.dice.chance(200));
        let po = po_number(c.po_scheme, customer, *seq, at.date());
        let back = if self.is_edi(customer) { 0 } else { self.dice.between(0, 2) };
        let order_date = at.date() - Days::new(back as u64);
        let requested =
            self.dice.chance(plan.requested_pm).then(|| order_date + Days::new(self.dice.between(5, 30) as u64));
        let ship_to =
            (!c.ship_tos.is_empty() && self.dice.chance(plan.ship_to_pm)).then(|| self.dice.below(c.ship_tos.len()));
        let currency_stated = self.dice.chance(plan.currency_pm).then_some(c.currency);
        let mut lines = draw_lines(c, self.items, &plan, &mut self.dice);
        if lines.is_empty() {
            lines = draw_lines(c, self.items, &plan, &mut self.dice);
        }
        Some(PoDraft { customer, po, order_date, requested, ship_to, currency_stated, revision: false, lines })
    }

    fn render_order(
        &mut self,
        key: usize,
        at: NaiveDateTime,
        customer: usize,
        pos: usize,
        two: bool,
    ) -> Result<Doc, DemoError> {
        let drafts: Vec<PoDraft> = (0..pos).filter_map(|_| self.new_draft(customer, at)).collect();
        let sent = self.render_drafts(customer, drafts, at, two, None)?;
        Ok(self.finish(key, sent, at, DocKind::Order, None))
    }

    /// Render drafts in the customer's format, as of `at`.
    fn render_drafts(
        &mut self,
        customer: usize,
        mut drafts: Vec<PoDraft>,
        at: NaiveDateTime,
        two: bool,
        path: Option<String>,
    ) -> Result<Sent, DemoError> {
        let customers = self.customers;
        let items = self.items;
        let c = customers.get(customer).ok_or(DemoError::Internal("customer out of range"))?;
        let buyer = self.dice.pick(&c.buyers).copied().unwrap_or(("Purchasing", "purchasing"));
        let address = format!("{}@{}", buyer.1, c.domain());
        let from = Some(address.clone());
        let drifted = customer == DRIFT_CUSTOMER && at.date() >= self.calendar.drift_from;
        let r = match &c.profile {
            Profile::X12(style) => {
                let mut style = style.clone();
                let refs: Vec<&PoDraft> = drafts.iter().collect();
                if drifted {
                    style.sender_id = DRIFT_NEW_SENDER.to_string();
                    style.renumbered_sites = true;
                }
                let bytes = self.x12_file(&style, &refs, customer, at, two);
                let ext = if style.multi_set { "edi" } else { "x12" };
                Rendered { clean: !drifted, ..Rendered::new(bytes, "edi", Format::X12, ext, None) }
            }
            Profile::Edifact(style) => {
                let env = edifact::Envelope {
                    reference: self.next_control(customer).to_string(),
                    date: at.date(),
                    hhmm: at.format("%H%M").to_string(),
                };
                let refs: Vec<&PoDraft> = drafts.iter().collect();
                Rendered::new(
                    edifact::orders_interchange(&env, &refs, c, items, style),
                    "edi",
                    Format::Edifact,
                    "edi",
                    None,
                )
            }
            Profile::Csv(style) => {
                let refs: Vec<&PoDraft> = drafts.iter().collect();
                let channel = match style {
                    CsvStyle::MultiPo => "upload",
                    CsvStyle::WebShop => "portal",
                    _ => "email",
                };
                let from = if channel == "upload" { None } else { from };
                Rendered::new(table::csv(&refs, c, *style), channel, Format::Csv, "csv", from)
            }
            Profile::Xlsx(style) => {
                let draft = drafts.first().ok_or(DemoError::Internal("no draft"))?;
                let bytes = table::xlsx(draft, c, items, *style)
                    .map_err(|e| DemoError::Xlsx { po: draft.po.clone(), message: e.to_string() })?;
                Rendered::new(bytes, "email", Format::Xlsx, "xlsx", from)
            }
            Profile::Ubl => {
                let draft = drafts.first().ok_or(DemoError::Internal("no draft"))?;
                Rendered::new(text::ubl(draft, c, items), "portal", Format::Ubl, "xml", from)
            }
            Profile::Email => {
                let draft = drafts.first_mut().ok_or(DemoError::Internal("no draft"))?;
                self.email_order(draft, c, buyer, address, at)?
            }
            Profile::Pdf(layout) => {
                let draft = drafts.first().ok_or(DemoError::Internal("no draft"))?;
                let bytes = pdf::purchase_order(draft, c, items, *layout);
                // Some print their POs into the supplier portal instead of mailing them.
                let upload = *layout == PdfLayout::TwoColumn && self.dice.chance(400);
                let (channel, from) = if upload { ("upload", None) } else { ("email", from) };
                Rendered::new(bytes, channel, Format::Pdf, "pdf", from)
            }
            Profile::Photo => {
                let draft = drafts.first().ok_or(DemoError::Internal("no draft"))?;
                self.photo_order(draft, c, buyer, from)?
            }
            Profile::Fax => {
                let draft = drafts.first().ok_or(DemoError::Internal("no draft"))?;
                self.fax_order(draft, c)?
            }
        };
        let path = match path {
            Some(p) => p,
            None => self.next_path(at, r.channel, r.ext),
        };
        Ok(Sent {
            path,
            bytes: r.bytes,
            customer,
            drafts,
            channel: r.channel,
            from: r.from,
            format: r.format,
            clean: r.clean,
        })
    }

    /// An e-mail order in one of the shapes buyers write; some lines in dozens.
    fn email_order(
        &mut self,
        draft: &mut PoDraft,
        c: &Customer,
        buyer: (&str, &str),
        address: String,
        at: NaiveDateTime,
    ) -> Result<Rendered, DemoError> {
        email::humanize_lines(draft, self.items, &mut self.dice);
        let shape = EmailShape::draw(&mut self.dice);
        if matches!(shape, EmailShape::Attached(email::AttachedAs::Csv)) {
            // The attached CSV's columns (CsvStyle::UsAlternate) carry neither a
            // requested date nor a ship-to: the truth may not hold what it does not say.
            draft.requested = None;
            draft.ship_to = None;
        }
        // Now and then from a private address the master data does not know.
        let private = self.dice.chance(100);
        let address = if private { format!("{}.{}@mailbox.example", buyer.1, c.id.to_lowercase()) } else { address };
        let sender = Sender { name: buyer.0.to_string(), address };
        let (bytes, from) = email::order_email(draft, c, &sender, at, self.items, shape, &mut self.dice)
            .map_err(|e| DemoError::Xlsx { po: draft.po.clone(), message: e.to_string() })?;
        let clean = shape.is_plain() && !private && !draft.revision;
        Ok(Rendered { clean, ..Rendered::new(bytes, "email", Format::Email, "eml", Some(from)) })
    }

    /// A phone photo of a note while the scan budget lasts, then a letter PDF.
    fn photo_order(
        &mut self,
        draft: &PoDraft,
        c: &Customer,
        buyer: (&str, &str),
        from: Option<String>,
    ) -> Result<Rendered, DemoError> {
        if self.scans_left == 0 {
            let bytes = pdf::purchase_order(draft, c, self.items, PdfLayout::Letter);
            return Ok(Rendered::new(bytes, "email", Format::Pdf, "pdf", from));
        }
        self.scans_left -= 1;
        let look = if self.dice.chance(150) { ScanLook::Unreadable } else { ScanLook::Photo };
        let page = pdf::typed_page(&text::photo_note(draft, c, buyer));
        let bytes = scan::scan(&page, look, &mut self.dice)?;
        Ok(Rendered { clean: false, ..Rendered::new(bytes, "email", Format::Image, "png", from) })
    }

    /// A fax: as an image while the scan budget lasts (most of them), else read into text.
    fn fax_order(&mut self, draft: &PoDraft, c: &Customer) -> Result<Rendered, DemoError> {
        let text = text::fax_text(draft, c);
        if self.scans_left == 0 || !self.dice.chance(800) {
            return Ok(Rendered::new(text, "fax", Format::Text, "txt", None));
        }
        self.scans_left -= 1;
        let look = if self.dice.chance(120) { ScanLook::Unreadable } else { ScanLook::Fax };
        let page = pdf::typed_page(&String::from_utf8_lossy(&text));
        let bytes = scan::scan(&page, look, &mut self.dice)?;
        Ok(Rendered { clean: look == ScanLook::Fax, ..Rendered::new(bytes, "fax", Format::Image, "png", None) })
    }

    fn next_control(&mut self, customer: usize) -> u32 {
        match self.control.get_mut(customer) {
            Some(c) => {
                *c += 1;
                *c
            }
            None => 1,
        }
    }

    fn x12_file(
        &mut self,
        style: &crate::customers::X12Style,
        drafts: &[&PoDraft],
        customer: usize,
        at: NaiveDateTime,
        two: bool,
    ) -> Vec<u8> {
        let Some(c) = self.customers.get(customer) else { return Vec::new() };
        let renumbered;
        let c = if style.renumbered_sites {
            renumbered = renumber_sites(c);
            &renumbered
        } else {
            c
        };
        let envelope = |control: u32| x12::Envelope {
            qualifier: style.sender_qualifier,
            sender: style.sender_id.clone(),
            control,
            date: at.date(),
            hhmm: at.format("%H%M").to_string(),
        };
        if two {
            let mut out = Vec::new();
            for d in drafts {
                let env = envelope(self.next_control(customer));
                out.extend(x12::interchange(&env, "PO", vec![x12::po_set(d, 1, c, self.items)], style));
            }
            return out;
        }
        let env = envelope(self.next_control(customer));
        let sets = drafts.iter().enumerate().map(|(n, d)| x12::po_set(d, n + 1, c, self.items)).collect();
        x12::interchange(&env, "PO", sets, style)
    }

    fn finish(
        &mut self,
        key: usize,
        sent: Sent,
        at: NaiveDateTime,
        kind: DocKind,
        duplicate_of: Option<String>,
    ) -> Doc {
        let orders = if kind == DocKind::Duplicate {
            Vec::new()
        } else {
            sent.drafts.iter().map(|d| d.canonical(self.customers, self.items)).collect()
        };
        let doc = Doc {
            path: sent.path.clone(),
            bytes: sent.bytes.clone(),
            at,
            channel: sent.channel,
            from: sent.from.clone(),
            format: sent.format,
            orders,
            duplicate_of,
            kind,
            clean: sent.clean,
            curated: false,
        };
        if kind != DocKind::Duplicate {
            self.sent.insert(key, sent);
        }
        doc
    }

    /// The same PO again with changed lines, flagged as a replacement.
    fn render_revision(&mut self, key: usize, at: NaiveDateTime, of: usize) -> Result<Doc, DemoError> {
        let Some(original) = self.sent.get(&of) else { return Err(DemoError::Internal("revision before its order")) };
        let customer = original.customer;
        let Some(mut draft) = original.drafts.first().cloned() else {
            return Err(DemoError::Internal("revision of an empty order"));
        };
        draft.revision = true;
        self.revise_lines(&mut draft);
        let sent = self.render_drafts(customer, vec![draft], at, false, None)?;
        Ok(self.finish(key, sent, at, DocKind::Revision, None))
    }

    fn revise_lines(&mut self, draft: &mut PoDraft) {
        let n = draft.lines.len();
        if n > 1 && self.dice.chance(300) {
            let drop = self.dice.below(n);
            draft.lines.remove(drop);
        }
        if let Some(line) = draft.lines.get_mut(self.dice.below(n.max(1)).min(n.saturating_sub(1))) {
            let factor = rust_decimal::Decimal::from(self.dice.between(2, 4));
            line.qty = (line.qty * factor).normalize();
        }
        if self.dice.chance(400)
            && let Some(c) = self.customers.get(draft.customer)
        {
            let plan = doc_plan(c, false);
            let mut extra = draw_lines(c, self.items, &plan, &mut self.dice);
            extra.retain(|l| !draft.lines.iter().any(|d| d.item == l.item));
            extra.truncate(1);
            draft.lines.extend(extra);
        }
        for (i, line) in draft.lines.iter_mut().enumerate() {
            line.line_no = i as u32 + 1;
        }
    }

    fn render_duplicate(&mut self, at: NaiveDateTime, of: usize, reenvelope: bool) -> Result<Doc, DemoError> {
        let Some(original) = self.sent.get(&of) else { return Err(DemoError::Internal("duplicate before its order")) };
        let first = original.path.clone();
        let customer = original.customer;
        let (channel, from, format, drafts) =
            (original.channel, original.from.clone(), original.format, original.drafts.clone());
        let identical = original.bytes.clone();
        let ext = first.rsplit('.').next().unwrap_or("dat").to_string();
        let rerender =
            matches!(format, Format::Email) || (reenvelope && matches!(format, Format::X12 | Format::Edifact));
        let sent = if rerender {
            let two =
                format == Format::X12 && identical.windows(4).filter(|w| w == b"ISA*" || w == b"ISA|").count() > 1;
            let mut sent = self.render_drafts(customer, drafts, at, two, None)?;
            // A re-sent e-mail is a new message: its meta says the From it really carries.
            if format != Format::Email {
                sent.from = from.or(sent.from);
            }
            sent
        } else {
            let path = self.next_path(at, channel, &ext);
            Sent { path, bytes: identical, customer, drafts, channel, from, format, clean: false }
        };
        Ok(self.finish(usize::MAX, sent, at, DocKind::Duplicate, Some(first)))
    }

    fn render_garbage(&mut self, at: NaiveDateTime, kind: Garbage) -> Result<Doc, DemoError> {
        let (bytes, channel, format, ext, from) = self.garbage_bytes(at, kind)?;
        let path = self.next_path(at, channel, ext);
        Ok(Doc {
            path,
            bytes,
            at,
            channel,
            from,
            format,
            orders: Vec::new(),
            duplicate_of: None,
            kind: DocKind::Garbage,
            clean: false,
            curated: false,
        })
    }

    /// A random customer other than the dead feed, with the given profile test.
    fn someone(&mut self, test: fn(&Profile) -> bool) -> usize {
        let pool: Vec<usize> = (0..self.customers.len())
            .filter(|&i| i != DEAD_FEED_CUSTOMER && self.customers.get(i).is_some_and(|c| test(&c.profile)))
            .collect();
        self.dice.pick(&pool).copied().unwrap_or(1)
    }

    #[allow(clippy::type_complexity)]
    fn garbage_bytes(
        &mut self,
        at: NaiveDateTime,
        kind: Garbage,
    ) -> Result<(Vec<u8>, &'static str, Format, &'static str, Option<String>), DemoError> {
        let customers = self.customers;
        let items = self.items;
        Ok(match kind {
            Garbage::Empty => {
                (Vec::new(), "upload", Format::Unknown, if self.dice.chance(500) { "csv" } else { "edi" }, None)
            }
            Garbage::RandomBytes => {
                let n = self.dice.between(200, 4000) as usize;
                (
                    self.dice.bytes(n),
                    "upload",
                    Format::Unknown,
                    if self.dice.chance(500) { "xlsx" } else { "dat" },
                    None,
                )
            }
            Garbage::TruncatedX12 | Garbage::Invoice810 | Garbage::Ack997 => {
                let who = self.someone(|p| matches!(p, Profile::X12(_)));
                let c = customers.get(who).ok_or(DemoError::Internal("no X12 customer"))?;
                let Profile::X12(style) = &c.profile else { return Err(DemoError::Internal("not an X12 customer")) };
                let env = x12::Envelope {
                    qualifier: style.sender_qualifier,
                    sender: style.sender_id.clone(),
                    control: self.next_control(who),
                    date: at.date(),
                    hhmm: at.format("%H%M").to_string(),
                };
                let draft = self.new_draft(who, at).ok_or(DemoError::Internal("no draft"))?;
                let bytes = match kind {
                    Garbage::TruncatedX12 => {
                        let full = x12::interchange(&env, "PO", vec![x12::po_set(&draft, 1, c, items)], style);
                        let cut = full.len() * self.dice.between(25, 75) as usize / 100;
                        full.get(..cut).unwrap_or_default().to_vec()
                    }
                    Garbage::Invoice810 => x12::interchange(
                        &env,
                        "IN",
                        vec![x12::invoice_set(&draft, &format!("INV{}", draft.po), items)],
                        style,
                    ),
                    _ => x12::interchange(&env, "FA", vec![x12::ack_set(env.control % 100_000)], style),
                };
                (bytes, "edi", Format::X12, "edi", None)
            }
            Garbage::Invoic => {
                let who = self.someone(|p| matches!(p, Profile::Edifact(_)));
                let c = customers.get(who).ok_or(DemoError::Internal("no EDIFACT customer"))?;
                let Profile::Edifact(style) = &c.profile else {
                    return Err(DemoError::Internal("not an EDIFACT customer"));
                };
                let env = edifact::Envelope {
                    reference: self.next_control(who).to_string(),
                    date: at.date(),
                    hhmm: at.format("%H%M").to_string(),
                };
                let draft = self.new_draft(who, at).ok_or(DemoError::Internal("no draft"))?;
                (edifact::invoic_interchange(&env, &draft, items, style), "edi", Format::Edifact, "edi", None)
            }
            Garbage::PriceList => {
                let who = self.someone(|p| matches!(p, Profile::Csv(_) | Profile::Xlsx(_) | Profile::Email));
                let c = customers.get(who).ok_or(DemoError::Internal("no customer"))?;
                let from = c.buyers.first().map(|b| format!("{}@{}", b.1, c.domain()));
                (price_list(c, items), "email", Format::Csv, "csv", from)
            }
            Garbage::QuoteRequest | Garbage::OutOfOffice => {
                let who = self.someone(|p| !matches!(p, Profile::X12(_) | Profile::Edifact(_)));
                let c = customers.get(who).ok_or(DemoError::Internal("no customer"))?;
                let buyer = self.dice.pick(&c.buyers).copied().unwrap_or(("Purchasing", "purchasing"));
                let from = format!("{}@{}", buyer.1, c.domain());
                let item = self.dice.pick(&c.assortment).copied().unwrap_or(0);
                let bytes = match kind {
                    Garbage::QuoteRequest => text::quote_request(c, buyer, &from, at, items, item),
                    _ => text::out_of_office(buyer, &from, at),
                };
                (bytes, "email", Format::Email, "eml", Some(from))
            }
            Garbage::Mail(kind) => {
                let who = self.someone(|p| {
                    matches!(p, Profile::Email | Profile::Pdf(_) | Profile::Photo | Profile::Csv(_) | Profile::Xlsx(_))
                });
                let c = customers.get(who).ok_or(DemoError::Internal("no customer"))?;
                let buyer = self.dice.pick(&c.buyers).copied().unwrap_or(("Purchasing", "purchasing"));
                let sender = Sender { name: buyer.0.to_string(), address: format!("{}@{}", buyer.1, c.domain()) };
                let earlier = at - chrono::Duration::days(self.dice.between(7, 20));
                let example = self.new_draft(who, earlier).ok_or(DemoError::Internal("no draft"))?;
                let (bytes, from) = email::not_an_order(kind, c, &sender, at, items, &example, &mut self.dice);
                (bytes, "email", Format::Email, "eml", Some(from))
            }
        })
    }
}

/// A customer's own price list, mailed to the order desk: a CSV, but no order.
fn price_list(c: &Customer, items: &[Item]) -> Vec<u8> {
    let mut out = String::from("SKU,Description,List Price,Your Price\n");
    for index in c.assortment.iter().take(30) {
        let Some(item) = items.get(*index) else { continue };
        let yours = c.contract.get(index).copied().unwrap_or(item.list_price);
        out += &table::record(
            &[item.sku.clone(), item.description.clone(), item.list_price.to_string(), yours.to_string()],
            ',',
        );
        out.push('\n');
    }
    out.into_bytes()
}

/// The customer as its renumbered system writes it: Plant 1 now carries
/// the code Plant 2 had, and Plant 2 a code of its own nobody told us about.
/// An order for Plant 1 arrives with a code we know — Plant 2's — and is
/// entered for the wrong site unless someone notices.
fn renumber_sites(customer: &crate::customers::Customer) -> crate::customers::Customer {
    let mut renumbered = customer.clone();
    if let [first, second, ..] = renumbered.ship_tos.as_mut_slice() {
        let fresh = second.edi_code.as_ref().map(|code| format!("{code}N"));
        first.edi_code = std::mem::replace(&mut second.edi_code, fresh);
    }
    renumbered
}
