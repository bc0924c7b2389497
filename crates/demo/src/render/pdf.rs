//! Purchase orders as the customers' ERPs print them to PDF, in three
//! layouts: a boxed table with ruled columns, a two-column header over an
//! open table (the Contoso-style PO), and a letter with the lines as a list.
//!
//! Only the standard Type1 fonts (Helvetica, Courier) in WinAnsi encoding:
//! no font files to embed, and poppler's `pdftotext -layout` reads the text
//! back exactly. Content streams stay uncompressed; the files are small.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
use rust_decimal::Decimal;

use crate::catalog::Item;
use crate::customers::Customer;
use crate::draft::{DraftLine, PoDraft};
use crate::render::text::COMPANY;

/// US Letter, in points.
const WIDTH: f32 = 612.0;
const HEIGHT: f32 = 792.0;
const MARGIN: f32 = 48.0;
/// The two fonts every page declares.
const SANS: Name<'static> = Name(b"F1");
const MONO: Name<'static> = Name(b"F2");

/// How a customer's ERP lays out its purchase orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PdfLayout {
    /// Ruled boxes for the header fields and a ruled line table.
    Boxed,
    /// Buyer and ship-to on the left, PO fields on the right, an open table.
    TwoColumn,
    /// A typed letter listing the lines.
    Letter,
}

#[derive(Debug, Clone, Copy)]
enum Font {
    Sans,
    Mono,
}

/// One page being drawn: text runs and rules, in points from the bottom left.
struct Page {
    content: Content,
}

impl Page {
    fn new() -> Page {
        Page { content: Content::new() }
    }

    fn text(&mut self, x: f32, y: f32, font: Font, size: f32, text: &str) {
        let name = match font {
            Font::Sans => SANS,
            Font::Mono => MONO,
        };
        let encoded = win_ansi(text);
        self.content.begin_text();
        self.content.set_font(name, size);
        self.content.next_line(x, y);
        self.content.show(Str(&encoded));
        self.content.end_text();
    }

    /// Right-aligned text for number columns; Helvetica digits are 0.556 em wide.
    fn text_right(&mut self, right: f32, y: f32, size: f32, text: &str) {
        let width = text.chars().count() as f32 * size * 0.556;
        self.text(right - width, y, Font::Sans, size, text);
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32) {
        self.content.set_line_width(0.6);
        self.content.rect(x, y, w, h);
        self.content.stroke();
    }

    fn rule(&mut self, x1: f32, y1: f32, x2: f32, y2: f32) {
        self.content.set_line_width(0.6);
        self.content.move_to(x1, y1);
        self.content.line_to(x2, y2);
        self.content.stroke();
    }
}

/// Text in the font's WinAnsi encoding; a character it lacks becomes '?'.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| {
            let mut buf = [0u8; 4];
            let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(c.encode_utf8(&mut buf));
            match bytes.first() {
                Some(b) if !unmappable && bytes.len() == 1 => *b,
                _ => b'?',
            }
        })
        .collect()
}

/// Assemble the pages into one PDF file; ids are fixed, so the bytes are too.
fn assemble(pages: Vec<Page>, title: &str) -> Vec<u8> {
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let sans = Ref::new(3);
    let mono = Ref::new(4);
    let info = Ref::new(5);
    let first = 6;
    let page_ids: Vec<Ref> = (0..pages.len()).map(|i| Ref::new(first + 2 * i as i32)).collect();
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_ids.iter().copied()).count(pages.len() as i32);
    pdf.type1_font(sans).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(mono).base_font(Name(b"Courier")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.document_info(info).title(pdf_writer::TextStr(title)).producer(pdf_writer::TextStr("ERP print service"));
    for (page, id) in pages.into_iter().zip(&page_ids) {
        let content_id = Ref::new(id.get() + 1);
        let mut p = pdf.page(*id);
        p.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT));
        p.parent(tree);
        p.contents(content_id);
        let mut resources = p.resources();
        let mut fonts = resources.fonts();
        fonts.pair(SANS, sans);
        fonts.pair(MONO, mono);
        fonts.finish();
        resources.finish();
        p.finish();
        let data = page.content.finish();
        pdf.stream(content_id, data.as_slice());
    }
    pdf.finish()
}

pub(crate) fn money(d: Decimal) -> String {
    format!("{:.2}", d.round_dp(2))
}

fn qty(d: Decimal) -> String {
    d.normalize().to_string()
}

/// At most `n` characters, so proportional text stays inside its column.
fn clip(text: &str, n: usize) -> String {
    text.chars().take(n).collect()
}

fn item_code(l: &DraftLine) -> String {
    l.part.clone().or_else(|| l.sku.clone()).unwrap_or_default()
}

fn description(l: &DraftLine, items: &[Item]) -> String {
    l.description.clone().or_else(|| items.get(l.item).map(|i| i.description.clone())).unwrap_or_default()
}

fn unit(l: &DraftLine) -> String {
    l.uom.clone().unwrap_or_default().to_uppercase()
}

fn total(draft: &PoDraft) -> Option<Decimal> {
    draft.lines.iter().map(|l| l.price.map(|p| p * l.qty)).sum::<Option<Decimal>>()
}

/// The PO in the given layout, as one PDF file.
pub(crate) fn purchase_order(draft: &PoDraft, customer: &Customer, items: &[Item], layout: PdfLayout) -> Vec<u8> {
    let title = format!("Purchase Order {}", draft.po);
    let pages = match layout {
        PdfLayout::Boxed => boxed(draft, customer, items),
        PdfLayout::TwoColumn => two_column(draft, customer, items),
        PdfLayout::Letter => vec![letter(draft, customer, items, Font::Sans)],
    };
    assemble(pages, &title)
}

/// A plain typed page in Courier: what a fax machine or a phone camera sees.
pub(crate) fn typed_page(text: &str) -> Vec<u8> {
    let mut w = Typewriter { page: Page::new(), y: HEIGHT - MARGIN - 10.0, font: Font::Mono };
    for line in text.lines() {
        w.line(line, 13.0);
    }
    assemble(vec![w.page], "Scan")
}

/// A supplier's invoice in the boxed layout: a PDF that is no order.
pub(crate) fn invoice(draft: &PoDraft, customer: &Customer, items: &[Item], number: &str) -> Vec<u8> {
    let mut page = Page::new();
    let top = HEIGHT - MARGIN;
    page.text(MARGIN, top - 14.0, Font::Sans, 16.0, &customer.name);
    page.text(WIDTH - MARGIN - 110.0, top - 14.0, Font::Sans, 18.0, "INVOICE");
    page.text(MARGIN, top - 50.0, Font::Sans, 10.0, &format!("Invoice No: {number}"));
    page.text(MARGIN, top - 64.0, Font::Sans, 10.0, &format!("Invoice Date: {}", draft.order_date.format("%m/%d/%Y")));
    page.text(MARGIN, top - 78.0, Font::Sans, 10.0, &format!("Bill To: {COMPANY}"));
    page.text(MARGIN, top - 92.0, Font::Sans, 10.0, "Terms: Net 30. Please remit payment to the address above.");
    let mut y = top - 130.0;
    page.text(MARGIN, y, Font::Sans, 9.0, "Description");
    page.text_right(WIDTH - MARGIN - 120.0, y, 9.0, "Qty");
    page.text_right(WIDTH - MARGIN, y, 9.0, "Amount");
    for l in &draft.lines {
        y -= 14.0;
        let amount = l.price.map(|p| money(p * l.qty)).unwrap_or_default();
        page.text(MARGIN, y, Font::Sans, 9.0, &clip(&description(l, items), 60));
        page.text_right(WIDTH - MARGIN - 120.0, y, 9.0, &qty(l.qty));
        page.text_right(WIDTH - MARGIN, y, 9.0, &amount);
    }
    if let Some(t) = total(draft) {
        page.text_right(WIDTH - MARGIN, y - 24.0, 10.0, &format!("Amount due: {}", money(t)));
    }
    assemble(vec![page], &format!("Invoice {number}"))
}

const BOXED_FIRST_ROWS: usize = 22;
const BOXED_NEXT_ROWS: usize = 34;

fn boxed(draft: &PoDraft, customer: &Customer, items: &[Item]) -> Vec<Page> {
    let chunks = split_rows(&draft.lines, BOXED_FIRST_ROWS, BOXED_NEXT_ROWS);
    let count = chunks.len();
    let mut pages = Vec::with_capacity(count);
    for (n, rows) in chunks.into_iter().enumerate() {
        let mut page = Page::new();
        let table_top = if n == 0 { boxed_header(&mut page, draft, customer) } else { HEIGHT - MARGIN - 40.0 };
        if n > 0 {
            page.text(
                MARGIN,
                HEIGHT - MARGIN - 14.0,
                Font::Sans,
                11.0,
                &format!("Purchase Order {} (continued)", draft.po),
            );
        }
        let bottom = boxed_table(&mut page, rows, items, table_top);
        if n + 1 == count
            && let Some(t) = total(draft)
        {
            page.text_right(WIDTH - MARGIN - 6.0, bottom - 18.0, 10.0, &format!("Total {}", money(t)));
        }
        page.text(WIDTH / 2.0 - 24.0, MARGIN - 20.0, Font::Sans, 8.0, &format!("Page {} of {count}", n + 1));
        pages.push(page);
    }
    pages
}

/// The rows of each page: the first page holds fewer (the header takes room).
fn split_rows(lines: &[DraftLine], first: usize, next: usize) -> Vec<&[DraftLine]> {
    let mut out = Vec::new();
    let mut rest = lines;
    let mut room = first;
    loop {
        let (head, tail) = rest.split_at(room.min(rest.len()));
        out.push(head);
        if tail.is_empty() {
            return out;
        }
        rest = tail;
        room = next;
    }
}

/// Company block, title and the ruled field boxes; returns where the table starts.
fn boxed_header(page: &mut Page, draft: &PoDraft, customer: &Customer) -> f32 {
    let top = HEIGHT - MARGIN;
    page.text(MARGIN, top - 14.0, Font::Sans, 15.0, &customer.name);
    if let Some(site) = customer.ship_tos.first() {
        page.text(MARGIN, top - 30.0, Font::Sans, 9.0, &site.address());
    }
    page.text(WIDTH - MARGIN - 170.0, top - 14.0, Font::Sans, 18.0, "PURCHASE ORDER");
    let fields = [
        ("PO Number", draft.po.clone()),
        ("PO Date", draft.order_date.format("%m/%d/%Y").to_string()),
        ("Required Date", draft.requested.map(|d| d.format("%m/%d/%Y").to_string()).unwrap_or_default()),
        ("Currency", draft.currency_stated.unwrap_or(customer.currency).to_string()),
    ];
    let box_w = (WIDTH - 2.0 * MARGIN) / fields.len() as f32;
    let y = top - 80.0;
    for (i, (label, value)) in fields.iter().enumerate() {
        let x = MARGIN + i as f32 * box_w;
        page.rect(x, y, box_w, 32.0);
        page.text(x + 4.0, y + 21.0, Font::Sans, 7.5, label);
        page.text(x + 4.0, y + 6.0, Font::Sans, 10.0, value);
    }
    let ship_y = y - 64.0;
    page.rect(MARGIN, ship_y, 250.0, 54.0);
    page.text(MARGIN + 4.0, ship_y + 42.0, Font::Sans, 7.5, "SHIP TO");
    if let Some(ship) = draft.ship_to.and_then(|k| customer.ship_tos.get(k)) {
        page.text(MARGIN + 4.0, ship_y + 26.0, Font::Sans, 9.5, &ship.name);
        page.text(MARGIN + 4.0, ship_y + 12.0, Font::Sans, 9.5, &ship.address());
    }
    page.rect(WIDTH - MARGIN - 230.0, ship_y, 230.0, 54.0);
    page.text(WIDTH - MARGIN - 226.0, ship_y + 42.0, Font::Sans, 7.5, "VENDOR");
    page.text(WIDTH - MARGIN - 226.0, ship_y + 26.0, Font::Sans, 9.5, COMPANY);
    ship_y - 24.0
}

/// Column edges of the boxed table: Line, Item, Description, Qty, UOM, Price, Amount.
const BOXED_COLUMNS: [f32; 8] = [48.0, 78.0, 170.0, 360.0, 410.0, 450.0, 510.0, 564.0];

fn boxed_table(page: &mut Page, rows: &[DraftLine], items: &[Item], top: f32) -> f32 {
    let row_h = 16.0;
    let heads = ["Line", "Item No.", "Description", "Qty", "UOM", "Unit Price", "Amount"];
    let bottom = top - row_h * (rows.len() as f32 + 1.0);
    page.rect(MARGIN, bottom, WIDTH - 2.0 * MARGIN, top - bottom);
    page.rule(MARGIN, top - row_h, WIDTH - MARGIN, top - row_h);
    for x in &BOXED_COLUMNS[1..BOXED_COLUMNS.len() - 1] {
        page.rule(*x, bottom, *x, top);
    }
    for (i, head) in heads.iter().enumerate() {
        page.text(BOXED_COLUMNS[i] + 3.0, top - 11.0, Font::Sans, 8.0, head);
    }
    for (r, l) in rows.iter().enumerate() {
        let y = top - row_h * (r as f32 + 2.0) + 5.0;
        let price = l.price.map(money).unwrap_or_default();
        let amount = l.price.map(|p| money(p * l.qty)).unwrap_or_default();
        page.text(BOXED_COLUMNS[0] + 3.0, y, Font::Sans, 8.5, &l.line_no.to_string());
        page.text(BOXED_COLUMNS[1] + 3.0, y, Font::Sans, 8.5, &clip(&item_code(l), 16));
        page.text(BOXED_COLUMNS[2] + 3.0, y, Font::Sans, 8.5, &clip(&description(l, items), 38));
        page.text_right(BOXED_COLUMNS[4] - 3.0, y, 8.5, &qty(l.qty));
        page.text(BOXED_COLUMNS[4] + 3.0, y, Font::Sans, 8.5, &unit(l));
        page.text_right(BOXED_COLUMNS[6] - 3.0, y, 8.5, &price);
        page.text_right(BOXED_COLUMNS[7] - 3.0, y, 8.5, &amount);
    }
    bottom
}

const TWO_COLUMN_FIRST_ROWS: usize = 24;
const TWO_COLUMN_NEXT_ROWS: usize = 40;

fn two_column(draft: &PoDraft, customer: &Customer, items: &[Item]) -> Vec<Page> {
    let chunks = split_rows(&draft.lines, TWO_COLUMN_FIRST_ROWS, TWO_COLUMN_NEXT_ROWS);
    let count = chunks.len();
    let mut pages = Vec::with_capacity(count);
    for (n, rows) in chunks.into_iter().enumerate() {
        let mut page = Page::new();
        let top = if n == 0 {
            two_column_header(&mut page, draft, customer)
        } else {
            page.text(MARGIN, HEIGHT - MARGIN - 12.0, Font::Sans, 10.0, &format!("PO # {}", draft.po));
            HEIGHT - MARGIN - 40.0
        };
        let bottom = two_column_table(&mut page, rows, items, top);
        if n + 1 == count {
            two_column_footer(&mut page, draft, bottom);
        }
        page.text(WIDTH - MARGIN - 50.0, MARGIN - 20.0, Font::Sans, 8.0, &format!("Page {}/{count}", n + 1));
        pages.push(page);
    }
    pages
}

fn two_column_header(page: &mut Page, draft: &PoDraft, customer: &Customer) -> f32 {
    let top = HEIGHT - MARGIN;
    page.text(MARGIN, top - 16.0, Font::Sans, 20.0, "Purchase Order");
    page.text(MARGIN, top - 34.0, Font::Sans, 10.0, &customer.name);
    let right = WIDTH / 2.0 + 40.0;
    let fields = [
        ("PO #:", draft.po.clone()),
        ("Date:", draft.order_date.format("%d %b %Y").to_string()),
        ("Deliver by:", draft.requested.map(|d| d.format("%d %b %Y").to_string()).unwrap_or_else(|| "ASAP".into())),
        ("Vendor:", COMPANY.to_string()),
    ];
    for (i, (label, value)) in fields.iter().enumerate() {
        let y = top - 16.0 - 14.0 * i as f32;
        page.text(right, y, Font::Sans, 9.5, label);
        page.text(right + 64.0, y, Font::Sans, 9.5, value);
    }
    let y = top - 90.0;
    page.text(MARGIN, y, Font::Sans, 9.0, "Bill To:");
    page.text(MARGIN, y - 13.0, Font::Sans, 9.0, &customer.name);
    if let Some(site) = customer.ship_tos.first() {
        page.text(MARGIN, y - 26.0, Font::Sans, 9.0, &site.address());
    }
    page.text(right, y, Font::Sans, 9.0, "Ship To:");
    match draft.ship_to.and_then(|k| customer.ship_tos.get(k)) {
        Some(ship) => {
            page.text(right, y - 13.0, Font::Sans, 9.0, &ship.name);
            page.text(right, y - 26.0, Font::Sans, 9.0, &ship.address());
        }
        None => page.text(right, y - 13.0, Font::Sans, 9.0, "Same as billing"),
    }
    y - 56.0
}

/// Column starts: Qty, Unit, Item #, Description, Unit Price (right edge), Line Total (right edge).
const OPEN_COLUMNS: [f32; 6] = [48.0, 84.0, 134.0, 234.0, 480.0, 564.0];

fn two_column_table(page: &mut Page, rows: &[DraftLine], items: &[Item], top: f32) -> f32 {
    page.text(OPEN_COLUMNS[0], top, Font::Sans, 9.0, "QTY");
    page.text(OPEN_COLUMNS[1], top, Font::Sans, 9.0, "UNIT");
    page.text(OPEN_COLUMNS[2], top, Font::Sans, 9.0, "ITEM #");
    page.text(OPEN_COLUMNS[3], top, Font::Sans, 9.0, "DESCRIPTION");
    page.text_right(OPEN_COLUMNS[4], top, 9.0, "UNIT PRICE");
    page.text_right(OPEN_COLUMNS[5], top, 9.0, "LINE TOTAL");
    page.rule(MARGIN, top - 5.0, WIDTH - MARGIN, top - 5.0);
    let mut y = top - 5.0;
    for l in rows {
        y -= 14.0;
        page.text(OPEN_COLUMNS[0], y, Font::Sans, 9.0, &qty(l.qty));
        page.text(OPEN_COLUMNS[1], y, Font::Sans, 9.0, &unit(l));
        page.text(OPEN_COLUMNS[2], y, Font::Sans, 9.0, &clip(&item_code(l), 16));
        page.text(OPEN_COLUMNS[3], y, Font::Sans, 9.0, &clip(&description(l, items), 40));
        page.text_right(OPEN_COLUMNS[4], y, 9.0, &l.price.map(money).unwrap_or_default());
        page.text_right(OPEN_COLUMNS[5], y, 9.0, &l.price.map(|p| money(p * l.qty)).unwrap_or_default());
    }
    y
}

fn two_column_footer(page: &mut Page, draft: &PoDraft, bottom: f32) {
    page.rule(MARGIN, bottom - 6.0, WIDTH - MARGIN, bottom - 6.0);
    if let Some(t) = total(draft) {
        page.text_right(OPEN_COLUMNS[5], bottom - 20.0, 9.5, &format!("TOTAL {}", money(t)));
    }
    page.text(
        MARGIN,
        bottom - 44.0,
        Font::Sans,
        8.0,
        "Please confirm receipt of this order. Our PO number must appear on all",
    );
    page.text(MARGIN, bottom - 54.0, Font::Sans, 8.0, "invoices, packing slips and correspondence.");
}

/// A letter: lines as a numbered list, dates and delivery in sentences.
/// Letter customers write short orders (their plan caps the lines), so one page holds it.
fn letter(draft: &PoDraft, customer: &Customer, items: &[Item], font: Font) -> Page {
    let mut w = Typewriter { page: Page::new(), y: HEIGHT - MARGIN - 14.0, font };
    w.page.text(MARGIN + 12.0, w.y, Font::Sans, 14.0, &customer.name);
    w.y -= 16.0;
    if let Some(site) = customer.ship_tos.first() {
        w.line(&site.address(), 32.0);
    }
    w.line(&draft.order_date.format("%B %-d, %Y").to_string(), 26.0);
    w.line(COMPANY, 13.0);
    w.line("Attn: Order Desk", 26.0);
    w.line(&format!("Re: Purchase Order No. {}", draft.po), 26.0);
    w.line("Dear Sir or Madam,", 20.0);
    w.line("Please supply the following items:", 20.0);
    for l in &draft.lines {
        let price = l.price.map(|p| format!(" at {} each", money(p))).unwrap_or_default();
        let code = item_code(l);
        let code = if code.is_empty() { String::new() } else { format!("{code} - ") };
        let text =
            format!("{}. {} {} {code}{}{price}", l.line_no, qty(l.qty), unit(l), clip(&description(l, items), 44));
        w.line(&text, 14.0);
    }
    w.y -= 12.0;
    if let Some(req) = draft.requested {
        w.line(&format!("We require delivery by {}.", req.format("%B %-d, %Y")), 14.0);
    }
    if let Some(ship) = draft.ship_to.and_then(|k| customer.ship_tos.get(k)) {
        w.line(&format!("Please deliver to {}, {}.", ship.name, ship.address()), 14.0);
    }
    w.y -= 20.0;
    w.line("Yours faithfully,", 40.0);
    w.line("Purchasing Department", 13.0);
    w.page
}

/// Lines typed down a page, one after the other.
struct Typewriter {
    page: Page,
    y: f32,
    font: Font,
}

impl Typewriter {
    fn line(&mut self, text: &str, gap: f32) {
        self.page.text(MARGIN + 12.0, self.y, self.font, 10.0, text);
        self.y -= gap;
    }
}
