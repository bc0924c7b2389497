//! Orders as buyers e-mail them, and the e-mails that are no order.
//!
//! An order e-mail comes in one of five shapes: prose ("please send 200 of
//! the 3/4in brass ball valves, our part 88-1200, by next Tuesday"), a typed
//! list, a short "PO attached" note with the order as a PDF, CSV, XLSX or X12
//! file, a forward whose newest message only says "please enter the order
//! below", or a reply that quotes an older confirmation (a trap: the quoted
//! PO is not the order). Signatures and disclaimers come along.
//!
//! Relative dates appear only in the newest message, and only where every
//! reading of them gives the same day: against the e-mail's Date, which
//! equals meta `received_at`. The truth writes the calendar date they mean.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use prodline_core::units::normalize_uom;
use rust_decimal::Decimal;

use crate::catalog::Item;
use crate::customers::{Customer, X12Ident, X12Style};
use crate::dice::Dice;
use crate::draft::{DraftLine, PoDraft};
use crate::render::mime::{Attachment, Mail, RFC822, html_of};
use crate::render::pdf::{self, PdfLayout};
use crate::render::text::{COMPANY, ORDER_DESK};
use crate::render::{table, x12};

/// The shape of an order e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EmailShape {
    Prose,
    List,
    Attached(AttachedAs),
    /// Forwarded by a colleague at the customer, or by our own sales rep.
    Forwarded {
        internal: bool,
    },
    /// A colleague forwards the buyer's whole message as an attached `.eml`.
    ForwardedAsAttachment,
    Reply,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AttachedAs {
    Pdf(PdfLayout),
    Csv,
    Xlsx,
    X12,
}

impl EmailShape {
    /// Draw a shape: mostly prose and lists, a fifth attachments, some chains.
    pub(crate) fn draw(dice: &mut Dice) -> EmailShape {
        match dice.weighted(&[33, 20, 22, 12, 13, 6]) {
            0 => EmailShape::Prose,
            1 => EmailShape::List,
            2 => EmailShape::Attached(match dice.weighted(&[40, 20, 20, 20]) {
                0 => AttachedAs::Pdf(if dice.chance(500) { PdfLayout::Boxed } else { PdfLayout::TwoColumn }),
                1 => AttachedAs::Csv,
                2 => AttachedAs::Xlsx,
                _ => AttachedAs::X12,
            }),
            3 => EmailShape::Forwarded { internal: dice.chance(300) },
            4 => EmailShape::Reply,
            _ => EmailShape::ForwardedAsAttachment,
        }
    }

    /// The plain shapes a pilot would have shown: no chain, no attachment.
    pub(crate) fn is_plain(self) -> bool {
        matches!(self, EmailShape::Prose | EmailShape::List)
    }
}

/// Who writes: display name and address.
pub(crate) struct Sender {
    pub(crate) name: String,
    pub(crate) address: String,
}

/// Our sales rep who forwards a customer's order to the desk.
const SALES_REP: (&str, &str) = ("Megan Price", "mprice@northwindflow.example");

/// Rewrite some lines the way people order by e-mail: a dozen of each-items
/// becomes "two dozen" (truth 2 DZ, no pack conversion, no price stated).
pub(crate) fn humanize_lines(draft: &mut PoDraft, items: &[Item], dice: &mut Dice) {
    for l in &mut draft.lines {
        let each = items.get(l.item).is_some_and(|i| i.uom == "EA");
        let dozens = l.qty / Decimal::from(12);
        if each && dozens.fract().is_zero() && dozens <= Decimal::from(10) && dice.chance(500) {
            l.qty = dozens.normalize();
            l.uom = Some("dozen".into());
            l.price = None;
        }
    }
}

/// An order e-mail of the given shape, and the address in its From (the
/// forwarder's, for a forward).
#[allow(clippy::too_many_arguments)]
pub(crate) fn order_email(
    draft: &PoDraft,
    customer: &Customer,
    sender: &Sender,
    at: NaiveDateTime,
    items: &[Item],
    shape: EmailShape,
    dice: &mut Dice,
) -> Result<(Vec<u8>, String), rust_xlsxwriter::XlsxError> {
    let id = message_id(&draft.po, at, &sender.address);
    let mut mail = Mail {
        from_name: sender.name.clone(),
        from: sender.address.clone(),
        subject: subject(draft, dice),
        at,
        id,
        in_reply_to: None,
        text: String::new(),
        html: None,
        attachments: Vec::new(),
    };
    let first = first_name(&sender.name);
    mail.text = match shape {
        EmailShape::Prose => {
            prose_body(draft, customer, items, at.date(), true, dice) + &signature(sender, customer, dice)
        }
        EmailShape::List => list_body(draft, customer, items, dice) + &signature(sender, customer, dice),
        EmailShape::Attached(kind) => {
            mail.attachments.push(attachment(draft, customer, items, kind, at)?);
            attached_note(draft, &first, dice) + &signature(sender, customer, dice)
        }
        EmailShape::Forwarded { internal } => {
            let (text, subject, from) = forwarded(draft, customer, sender, at, items, internal, dice);
            mail.subject = subject;
            if let Some((name, address)) = from {
                mail.from_name = name;
                mail.from = address;
            }
            text
        }
        EmailShape::ForwardedAsAttachment => {
            let (original, colleague) = original_message(draft, customer, sender, at, items, dice);
            mail.attachments.push(Attachment { name: format!("PO {}.eml", draft.po), mime: RFC822, bytes: original });
            mail.subject = format!("Fwd: PO {}", draft.po);
            mail.from_name = colleague.name;
            mail.from = colleague.address;
            format!("Hi,\n\nplease enter the attached order from {}.\n\n{}\n", first, first_name(&mail.from_name))
        }
        EmailShape::Reply => {
            let (text, parent) = reply(draft, customer, sender, at, items, dice);
            mail.subject = format!("RE: Order confirmation {parent}");
            mail.in_reply_to = Some(format!("confirm.{}@northwindflow.example", parent.to_lowercase()));
            text
        }
    };
    if !matches!(shape, EmailShape::Attached(_)) && dice.chance(500) {
        mail.html = Some(html_of(&mail.text));
    }
    Ok((mail.to_bytes(), mail.from))
}

fn message_id(tag: &str, at: NaiveDateTime, address: &str) -> String {
    let tag: String = tag.chars().filter(char::is_ascii_alphanumeric).collect();
    format!(
        "{}.{}@{}",
        tag.to_lowercase(),
        at.format("%Y%m%d%H%M%S"),
        address.rsplit('@').next().unwrap_or("mail.example")
    )
}

fn first_name(name: &str) -> String {
    name.split(' ').next().unwrap_or(name).to_string()
}

fn subject(draft: &PoDraft, dice: &mut Dice) -> String {
    if draft.revision {
        return format!("REVISED PO {}", draft.po);
    }
    match dice.below(5) {
        0 => format!("PO {}", draft.po),
        1 => format!("New order - PO# {}", draft.po),
        2 => format!("Order {}", draft.po),
        3 => "Order".to_string(),
        _ => format!("Purchase order {} - please confirm", draft.po),
    }
}

fn greeting(dice: &mut Dice) -> &'static str {
    ["Hi,", "Hello,", "Hi team,", "Good morning,", "Hello Northwind team,"][dice.below(5)]
}

/// The order in sentences. `relative`: the requested date may be written
/// relative to `today` (only in the newest message of an e-mail).
fn prose_body(
    draft: &PoDraft,
    customer: &Customer,
    items: &[Item],
    today: NaiveDate,
    relative: bool,
    dice: &mut Dice,
) -> String {
    let mut t = format!("{}\n\n", greeting(dice));
    let lines: Vec<String> = draft.lines.iter().map(|l| prose_line(l, items, dice)).collect();
    let po = if draft.revision {
        format!("This replaces our earlier PO {}. Please change it to:", draft.po)
    } else {
        ["please send", "could you ship", "we'd like to order", "please enter an order for"][dice.below(4)].to_string()
    };
    if lines.len() == 1 && !draft.revision {
        let line = lines.join("");
        t += &if dice.chance(500) {
            format!("Our PO {}: {po} {line}.", draft.po)
        } else {
            format!("{} {line} on our PO {}.", capitalize(&po), draft.po)
        };
    } else if draft.revision {
        t += &format!("{po}\n\n{}", bullets(&lines));
    } else {
        t += &format!("{} the following on PO {}:\n\n{}", capitalize(&po), draft.po, bullets(&lines));
    }
    if let Some(req) = draft.requested {
        let when = if relative { say_date(today, req, dice) } else { absolute_date(req, dice) };
        t += &format!("\n\nWe need {} {when}.", if draft.lines.len() == 1 { "it" } else { "them" });
    }
    if let Some(ship) = draft.ship_to.and_then(|k| customer.ship_tos.get(k)) {
        t += &format!("\nPlease ship to our {} location, {}.", ship.name, ship.address());
    }
    t += "\n";
    t
}

fn bullets(lines: &[String]) -> String {
    lines.iter().map(|l| format!("- {l}\n")).collect()
}

fn capitalize(text: &str) -> String {
    let mut c = text.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

/// The unit a line was ordered in, as a SPEC code.
fn unit_code(l: &DraftLine, items: &[Item]) -> String {
    l.uom
        .as_deref()
        .and_then(normalize_uom)
        .or_else(|| items.get(l.item).map(|i| i.uom.to_string()))
        .unwrap_or_default()
}

/// "200 of the 3/4in brass ball valves, our part 88-1200", "2 boxes of 50 tees (FT-050-BR)".
fn prose_line(l: &DraftLine, items: &[Item], dice: &mut Dice) -> String {
    let item = items.get(l.item);
    let code = unit_code(l, items);
    let n = number(l.qty, dice);
    let pack = item.and_then(|i| i.packs.iter().find(|(p, _)| *p == code)).map(|(_, content)| *content);
    let qty = match (code.as_str(), pack) {
        ("DZ", _) if l.qty == Decimal::ONE => "a dozen".to_string(),
        ("DZ", _) => format!("{} dozen", words(l.qty).unwrap_or(n)),
        (_, Some(content)) => format!("{n} {} of {content}", unit_word(&code, l.qty)),
        ("EA", _) if dice.chance(500) => n,
        _ => format!("{n} {}", unit_word(&code, l.qty)),
    };
    let plural = (l.qty > Decimal::ONE && code == "EA") || code == "DZ" || pack.is_some();
    let what = match (&l.part, &l.sku, &l.description) {
        (Some(part), _, Some(d)) => format!("the {}, our part {part}", plural_of(d, plural)),
        (Some(part), _, None) => format!("our part # {part}"),
        (None, Some(sku), Some(d)) if dice.chance(500) => format!("the {} ({sku})", plural_of(d, plural)),
        (None, Some(sku), Some(d)) => format!("your {sku}, {d}"),
        (None, Some(sku), None) => format!("item {sku}"),
        (None, None, Some(d)) => format!("the {}", plural_of(d, plural)),
        (None, None, None) => format!("the {}", item.map(|i| i.description.clone()).unwrap_or_default()),
    };
    let price = l.price.map(|p| format!(" at ${} each", pdf::money(p))).unwrap_or_default();
    format!("{qty} of {what}{price}")
}

/// A unit as a person writes it in a sentence.
fn unit_word(code: &str, qty: Decimal) -> &'static str {
    let many = qty != Decimal::ONE;
    match code {
        "EA" if many => "pcs",
        "EA" => "pc",
        "BX" if many => "boxes",
        "BX" => "box",
        "CA" if many => "cases",
        "CA" => "case",
        "PK" if many => "packs",
        "PK" => "pack",
        "RL" if many => "rolls",
        "RL" => "roll",
        "FT" => "ft",
        "M" => "m",
        "KG" => "kg",
        "GA" => "gal",
        "L" => "litres",
        "ST" if many => "sets",
        "ST" => "set",
        "PR" => "pairs",
        _ => "units",
    }
}

/// Plural of a catalog description whose last word is a countable part.
fn plural_of(description: &str, plural: bool) -> String {
    const NOUNS: [&str; 14] = [
        "valve", "elbow", "tee", "coupling", "fitting", "gasket", "flange", "union", "nipple", "cap", "plug", "clamp",
        "washer", "bushing",
    ];
    let countable = NOUNS.iter().any(|n| description.ends_with(n));
    if plural && countable { format!("{description}s") } else { description.to_string() }
}

/// A quantity in digits or, now and then, in words.
fn number(qty: Decimal, dice: &mut Dice) -> String {
    match words(qty) {
        Some(w) if dice.chance(300) => w,
        _ => qty.normalize().to_string(),
    }
}

/// English words for whole numbers up to 999 ("two hundred fifty").
fn words(qty: Decimal) -> Option<String> {
    const ONES: [&str; 20] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const TENS: [&str; 10] = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
    if !qty.fract().is_zero() || qty < Decimal::ONE || qty > Decimal::from(999) {
        return None;
    }
    let n: usize = qty.normalize().to_string().parse().ok()?;
    let below_100 = |n: usize| -> String {
        match n {
            0..=19 => ONES[n].to_string(),
            _ if n.is_multiple_of(10) => TENS[n / 10].to_string(),
            _ => format!("{}-{}", TENS[n / 10], ONES[n % 10]),
        }
    };
    Some(match (n / 100, n % 100) {
        (0, r) => below_100(r),
        (h, 0) => format!("{} hundred", ONES[h]),
        (h, r) => format!("{} hundred {}", ONES[h], below_100(r)),
    })
}

/// A requested date as people write it relative to `today`, where every
/// reading agrees; else an absolute date.
pub(crate) fn say_date(today: NaiveDate, date: NaiveDate, dice: &mut Dice) -> String {
    let days = (date - today).num_days();
    let weekday = date.format("%A").to_string();
    let mut options: Vec<String> = Vec::new();
    if days == 1 {
        options.push("by tomorrow".into());
    }
    let (from_monday, target_from_monday) =
        (today.weekday().num_days_from_monday(), date.weekday().num_days_from_monday());
    if (2..=6).contains(&days) {
        options.push(format!("by {weekday}"));
    }
    // "this Friday" only inside the current week.
    if (2..=6).contains(&days) && target_from_monday > from_monday {
        options.push(format!("by this {weekday}"));
    }
    // "next Tuesday" said Wednesday to Friday: the coming Tuesday is also next
    // week's, and it is not so close that anyone skips it for the one after.
    if (1..=6).contains(&days) && target_from_monday < from_monday && (2..=4).contains(&from_monday) {
        options.push(format!("by next {weekday}"));
    }
    if days == 7 {
        options.push("a week from today".into());
    }
    if days == 14 {
        options.push("in two weeks".into());
    }
    if (1..=27).contains(&days) && date.day() != today.day() {
        options.push(format!("by the {}", ordinal(date.day())));
    }
    if options.is_empty() || dice.chance(350) {
        return absolute_date(date, dice);
    }
    let pick = dice.below(options.len());
    options.swap_remove(pick)
}

/// An absolute date in one of the unambiguous ways people write it.
pub(crate) fn absolute_date(date: NaiveDate, dice: &mut Dice) -> String {
    let numeric_is_safe = date.day() > 12;
    match dice.below(5) {
        0 => format!("by {}", date.format("%B %-d")),
        1 => format!("by {} {}", date.format("%b"), ordinal(date.day())),
        2 if numeric_is_safe => format!("by {}", date.format("%-m/%-d/%Y")),
        3 => format!("on {}", date.format("%-d %b %Y")),
        _ => format!("by {}", date.format("%Y-%m-%d")),
    }
}

fn ordinal(day: u32) -> String {
    let suffix = match (day % 10, day % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{day}{suffix}")
}

/// The typed list: "10 pcs x FT-038-BR (3/8in brass tee) @ $2.76".
fn list_body(draft: &PoDraft, customer: &Customer, items: &[Item], dice: &mut Dice) -> String {
    let mut t = format!("{}\n\nPlease enter the following on our PO {}:\n\n", greeting(dice), draft.po);
    for l in &draft.lines {
        t += &format!("  {}\n", list_line(l, items));
    }
    if let Some(req) = draft.requested {
        t += &format!("\nRequired date: {}\n", req.format("%b %-d, %Y"));
    }
    if let Some(ship) = draft.ship_to.and_then(|k| customer.ship_tos.get(k)) {
        t += &format!("Ship to: {}\n", ship.address());
    }
    t
}

fn list_line(l: &DraftLine, items: &[Item]) -> String {
    let qty = l.qty.normalize();
    let unit = match unit_code(l, items).as_str() {
        "DZ" => " dozen".to_string(),
        _ => l.uom.as_deref().map(|u| format!(" {u}")).unwrap_or_default(),
    };
    let what = match (&l.part, &l.sku, &l.description) {
        (Some(part), _, Some(d)) => format!("{part} ({d})"),
        (Some(part), _, None) => part.clone(),
        (None, Some(sku), Some(d)) => format!("{sku} ({d})"),
        (None, Some(sku), None) => sku.clone(),
        (None, None, d) => d.clone().unwrap_or_default(),
    };
    let price = l.price.map(|p| format!(" @ ${}", pdf::money(p))).unwrap_or_default();
    format!("{qty}{unit} x {what}{price}")
}

fn attached_note(draft: &PoDraft, first: &str, dice: &mut Dice) -> String {
    let note = match dice.below(4) {
        0 => format!("Please find attached our PO {}.", draft.po),
        1 => "PO attached.".to_string(),
        2 => "Hi, new order attached - please confirm receipt and ship date.".to_string(),
        _ => format!("See attached purchase order {}. Thanks!", draft.po),
    };
    format!("{}\n\n{note}\n\n{first}\n", greeting(dice))
}

fn attachment(
    draft: &PoDraft,
    customer: &Customer,
    items: &[Item],
    kind: AttachedAs,
    at: NaiveDateTime,
) -> Result<Attachment, rust_xlsxwriter::XlsxError> {
    let safe: String = draft.po.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    Ok(match kind {
        AttachedAs::Pdf(layout) => Attachment {
            name: format!("PO_{safe}.pdf"),
            mime: "application/pdf",
            bytes: pdf::purchase_order(draft, customer, items, layout),
        },
        AttachedAs::Csv => Attachment {
            name: format!("{safe}.csv"),
            mime: "text/csv",
            bytes: table::csv(&[draft], customer, crate::customers::CsvStyle::UsAlternate),
        },
        AttachedAs::Xlsx => Attachment {
            name: format!("PurchaseOrder_{safe}.xlsx"),
            mime: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            bytes: table::xlsx(draft, customer, items, crate::customers::XlsxStyle::Simple)?,
        },
        AttachedAs::X12 => {
            let style = attached_x12_style(customer);
            let env = x12::Envelope {
                qualifier: style.sender_qualifier,
                sender: style.sender_id.clone(),
                control: 1000 + (at.and_utc().timestamp() % 9000) as u32,
                date: at.date(),
                hhmm: at.format("%H%M").to_string(),
            };
            let bytes = x12::interchange(&env, "PO", vec![x12::po_set(draft, 1, customer, items)], &style);
            Attachment { name: format!("{safe}.x12"), mime: "application/edi-x12", bytes }
        }
    })
}

/// The X12 a small customer's ERP exports for e-mail: its sender id is unknown
/// to our master data, so the e-mail's sender identifies the customer.
fn attached_x12_style(customer: &Customer) -> X12Style {
    let sender: String = customer.name.chars().filter(char::is_ascii_alphanumeric).take(12).collect();
    X12Style {
        element: b'*',
        segment: b'~',
        component: b'>',
        newline: "\n",
        wrap80: false,
        multi_set: false,
        multi_interchange: false,
        sender_qualifier: "ZZ",
        sender_id: sender.to_uppercase(),
        ident: X12Ident::VendorOnly,
        renumbered_sites: false,
    }
}

/// A signature, now and then with a disclaimer.
fn signature(sender: &Sender, customer: &Customer, dice: &mut Dice) -> String {
    let first = first_name(&sender.name);
    let phone = format!("(555) 01{}-{:04}", dice.below(10), dice.between(0, 9999));
    let mut t = match dice.below(3) {
        0 => format!("\nThanks,\n{first}\n"),
        1 => format!("\nThanks,\n{}\nPurchasing | {}\nTel {phone}\n", sender.name, customer.name),
        _ => format!(
            "\nBest regards,\n\n--\n{}\nBuyer, {}\nOffice: {phone}  Mobile: {}\n",
            sender.name,
            customer.name,
            phone.replace("01", "02")
        ),
    };
    match dice.below(5) {
        0 => {
            t += "\nCONFIDENTIALITY NOTICE: This e-mail and any attachments are for the sole use of the intended\nrecipient(s) and may contain confidential information. If you are not the intended recipient,\nplease contact the sender and delete all copies.\n"
        }
        1 => t += "\nPlease consider the environment before printing this e-mail.\n",
        _ => {}
    }
    t
}

/// A colleague at the customer who forwards a buyer's order.
fn colleague(customer: &Customer, dice: &mut Dice) -> Sender {
    let name = ["Linda Marsh", "Tom Reyes", "Angela Ford"][dice.below(3)];
    let local = name.to_lowercase().replace(' ', ".");
    Sender { name: name.to_string(), address: format!("{local}@{}", customer.domain()) }
}

/// The buyer's own earlier message (absolute dates: it is not the newest),
/// whole, to attach to a forward; and the colleague who forwards it.
fn original_message(
    draft: &PoDraft,
    customer: &Customer,
    buyer: &Sender,
    at: NaiveDateTime,
    items: &[Item],
    dice: &mut Dice,
) -> (Vec<u8>, Sender) {
    let earlier = at - Duration::minutes(dice.between(20, 600));
    let text = prose_body(draft, customer, items, earlier.date(), false, dice) + &signature(buyer, customer, dice);
    let original = Mail {
        from_name: buyer.name.clone(),
        from: buyer.address.clone(),
        subject: format!("PO {}", draft.po),
        at: earlier,
        id: message_id(&draft.po, earlier, &buyer.address),
        in_reply_to: None,
        text,
        html: None,
        attachments: Vec::new(),
    };
    (original.to_bytes(), colleague(customer, dice))
}

/// A forward: the newest message only points at the order below it.
#[allow(clippy::type_complexity)]
fn forwarded(
    draft: &PoDraft,
    customer: &Customer,
    buyer: &Sender,
    at: NaiveDateTime,
    items: &[Item],
    internal: bool,
    dice: &mut Dice,
) -> (String, String, Option<(String, String)>) {
    let earlier = at - Duration::minutes(dice.between(20, 600));
    let original_subject = format!("PO {}", draft.po);
    let (fwd_name, fwd_address) = if internal {
        (SALES_REP.0.to_string(), SALES_REP.1.to_string())
    } else {
        let c = colleague(customer, dice);
        (c.name, c.address)
    };
    let intro = if internal {
        format!(
            "Hi team,\n\nplease enter the order below for {}. They need it confirmed today.\n\nThanks,\n{}\n",
            customer.name,
            first_name(&fwd_name)
        )
    } else {
        format!(
            "Hi,\n\nplease enter the order below - {} is out this week.\n\n{}\n",
            first_name(&buyer.name),
            first_name(&fwd_name)
        )
    };
    let mut t = intro;
    t += "\n---------- Forwarded message ---------\n";
    t += &format!("From: {} <{}>\n", buyer.name, buyer.address);
    t += &format!("Date: {}\n", earlier.format("%a, %b %-d, %Y at %-I:%M %p"));
    t += &format!("Subject: {original_subject}\n");
    t += &format!("To: {fwd_name} <{fwd_address}>\n\n");
    t += &prose_body(draft, customer, items, earlier.date(), false, dice);
    t += &format!("\nThanks,\n{}\n", first_name(&buyer.name));
    let (from_name, from_address) = (fwd_name, fwd_address);
    (t, format!("Fwd: {original_subject}"), Some((from_name, from_address)))
}

/// A reply carrying a new order above our quoted confirmation of an older one.
fn reply(
    draft: &PoDraft,
    customer: &Customer,
    sender: &Sender,
    at: NaiveDateTime,
    items: &[Item],
    dice: &mut Dice,
) -> (String, String) {
    let earlier = at - Duration::days(dice.between(1, 6));
    let parent = format!("{}-{}", draft.po.chars().rev().take(3).collect::<String>(), dice.between(100, 999));
    let mut t = prose_body(draft, customer, items, at.date(), true, dice);
    t += &signature(sender, customer, dice);
    t += &format!(
        "\nOn {}, Northwind Order Desk <{ORDER_DESK}> wrote:\n",
        earlier.format("%a, %b %-d, %Y at %-I:%M %p")
    );
    t += &format!("> Thank you for your order. {COMPANY} confirms your PO {parent}:\n>\n");
    for _ in 0..1 + dice.below(3) {
        let Some(item) = dice.pick(&customer.assortment).and_then(|i| items.get(*i)) else { continue };
        t += &format!(">   {} x {} {}\n", [2, 5, 10, 25, 50][dice.below(5)], item.sku, item.description);
    }
    t += &format!(
        ">\n> Expected ship date: {}\n> Order Desk\n",
        (earlier.date() + Duration::days(3)).format("%m/%d/%Y")
    );
    (t, parent)
}

/// E-mails that hold no order.
#[derive(Debug, Clone, Copy)]
pub(crate) enum NotAnOrder {
    StockQuestion,
    Newsletter,
    Invoice,
    SeeAttachedMissing,
    StatusQuery,
}

/// A garbage e-mail of the given kind from `sender` of `customer` (a newsletter
/// from its publisher), and its From address; the invoice carries a PDF.
pub(crate) fn not_an_order(
    kind: NotAnOrder,
    customer: &Customer,
    sender: &Sender,
    at: NaiveDateTime,
    items: &[Item],
    example: &PoDraft,
    dice: &mut Dice,
) -> (Vec<u8>, String) {
    let item = dice.pick(&customer.assortment).and_then(|i| items.get(*i));
    let (sku, desc) = item.map(|i| (i.sku.clone(), i.description.clone())).unwrap_or_default();
    let first = first_name(&sender.name);
    let (subject, text, attachments) = match kind {
        NotAnOrder::StockQuestion => (
            format!("Stock check {sku}"),
            format!(
                "Hi,\n\ndo you have {} of the {desc} ({sku}) in stock? If so, what would the lead time be to {}?\nNot ordering yet, just planning.\n\n{first}\n",
                [40, 100, 250][dice.below(3)],
                customer.ship_tos.first().map(|s| s.city.clone()).unwrap_or_default()
            ),
            Vec::new(),
        ),
        NotAnOrder::Newsletter => (
            "Flow & Fluid Weekly: spring pricing, new hose fittings".to_string(),
            format!(
                "FLOW & FLUID WEEKLY\n\nThis week: brass prices up 4%, new stainless {desc} lines, and our trade show calendar.\n\nSPECIAL: 10% off {sku} through the end of the month - order 200 or more.\n\nYou receive this newsletter because you subscribed at flowfluid.example.\nUnsubscribe: https://flowfluid.example/u/{}\n",
                dice.between(10000, 99999)
            ),
            Vec::new(),
        ),
        NotAnOrder::Invoice => {
            let number = format!("INV-{}", dice.between(20000, 89999));
            let pdf = pdf::invoice(example, customer, items, &number);
            (
                format!("Invoice {number}"),
                format!(
                    "Hello,\n\nplease find attached invoice {number} for services rendered to {COMPANY}.\nPayment terms: net 30.\n\nAccounts Receivable\n{}\n",
                    customer.name
                ),
                vec![Attachment { name: format!("{number}.pdf"), mime: "application/pdf", bytes: pdf }],
            )
        }
        NotAnOrder::SeeAttachedMissing => {
            ("PO attached".to_string(), format!("Hi,\n\nplease see attached PO.\n\nThanks,\n{first}\n"), Vec::new())
        }
        NotAnOrder::StatusQuery => (
            format!("Where is PO {}?", example.po),
            format!(
                "Hello,\n\nour PO {} was due on {}. Could you send me a status update and the tracking number?\n\n{first}\n{}\n",
                example.po,
                example.order_date.format("%m/%d/%Y"),
                customer.name
            ),
            Vec::new(),
        ),
    };
    let mail = Mail {
        from_name: if matches!(kind, NotAnOrder::Newsletter) {
            "Flow & Fluid Weekly".into()
        } else {
            sender.name.clone()
        },
        from: if matches!(kind, NotAnOrder::Newsletter) {
            "news@flowfluid.example".into()
        } else {
            sender.address.clone()
        },
        subject,
        at,
        id: message_id(&format!("{kind:?}"), at, &sender.address),
        in_reply_to: None,
        html: matches!(kind, NotAnOrder::Newsletter).then(|| html_of(&text)),
        text,
        attachments,
    };
    (mail.to_bytes(), mail.from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn numbers_read_as_people_write_them() {
        let cases = [
            (1, "one"),
            (12, "twelve"),
            (25, "twenty-five"),
            (40, "forty"),
            (200, "two hundred"),
            (250, "two hundred fifty"),
        ];
        for (n, w) in cases {
            assert_eq!(words(Decimal::from(n)).as_deref(), Some(w));
        }
        assert_eq!(words(Decimal::new(25, 1)), None);
        assert_eq!(words(Decimal::from(1000)), None);
    }

    #[test]
    fn relative_dates_mean_one_day_whoever_reads_them() {
        // Thursday 2026-03-05.
        let today = d(2026, 3, 5);
        let mut dice = Dice::new(1);
        for _ in 0..200 {
            let said = say_date(today, d(2026, 3, 10), &mut dice);
            let ok = ["by Tuesday", "by this Tuesday", "by next Tuesday", "by the 10th"].contains(&said.as_str())
                || said.contains("10")
                || said.contains("March")
                || said.contains("Mar");
            assert!(ok, "{said}");
        }
        // Monday: the coming Tuesday is tomorrow, "next Tuesday" would be ambiguous;
        // so is "next Monday" said on a Saturday, and "this Tuesday" said on a Thursday.
        for (today, date) in [(d(2026, 3, 9), d(2026, 3, 10)), (d(2026, 3, 7), d(2026, 3, 9))] {
            for _ in 0..200 {
                let said = say_date(today, date, &mut dice);
                assert!(!said.contains("next"), "{today} {said}");
            }
        }
        for _ in 0..200 {
            assert!(!say_date(today, d(2026, 3, 10), &mut dice).contains("this"));
        }
    }

    #[test]
    fn ordinals_have_their_english_suffix() {
        let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31].map(ordinal).to_vec();
        assert_eq!(got, ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "31st"]);
    }
}
