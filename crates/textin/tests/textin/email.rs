//! E-mails written by hand in the shapes buyers send them.

use chrono::{TimeZone, Utc};
use prodline_core::{Severity, TextSource};
use prodline_textin::email::{Email, read_email};

fn read(eml: &str) -> Email {
    read_email(eml.replace('\n', "\r\n").as_bytes())
}

fn body(email: &Email) -> String {
    email.body.joined()
}

fn quoted(email: &Email) -> String {
    email.quoted.as_ref().map(|q| q.joined()).unwrap_or_default()
}

const WITH_PDF: &str = r#"From: "Ann Lee" <Ann.Lee@ACME-Corp.com>
To: orders@prodline.example
Subject: PO 4711
Date: Mon, 3 Mar 2025 10:00:00 -0500
Message-ID: <1@acme-corp.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/related; boundary="related"

--related
Content-Type: text/plain; charset=utf-8

Hello, please find our PO 4711 attached.

Thanks,
Ann
--related
Content-Type: image/gif
Content-ID: <logo@acme>
Content-Disposition: inline; filename="logo.gif"
Content-Transfer-Encoding: base64

R0lGODlhAQABAAAAADs=
--related--

--outer
Content-Type: application/pdf; name="PO-4711.pdf"
Content-Disposition: attachment; filename="PO-4711.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKJSBub3QgYSByZWFsIG9yZGVyLCBhbiBhdHRhY2htZW50Cg==
--outer--
"#;

#[test]
fn a_message_with_a_pdf_attachment() {
    let email = read(WITH_PDF);
    assert_eq!(email.from.as_deref(), Some("ann.lee@acme-corp.com"));
    assert_eq!(email.subject.as_deref(), Some("PO 4711"));
    assert_eq!(email.date, Utc.with_ymd_and_hms(2025, 3, 3, 15, 0, 0).single());
    assert_eq!(body(&email), "Hello, please find our PO 4711 attached.\n\nThanks,\nAnn\n");
    assert_eq!(email.body.source, Some(TextSource::Email));
    assert_eq!(email.body.subject.as_deref(), Some("PO 4711"));
    assert_eq!(email.quoted, None);
    assert_eq!(email.attachments.len(), 1, "the logo is not an attachment: {:?}", email.attachments);
    let pdf = &email.attachments[0];
    assert_eq!(pdf.name.as_deref(), Some("PO-4711.pdf"));
    assert_eq!(pdf.content_type, "application/pdf");
    assert_eq!(pdf.bytes, b"%PDF-1.4\n% not a real order, an attachment\n");
    assert!(email.diagnostics.is_empty(), "{:?}", email.diagnostics);
}

#[test]
fn an_html_only_message_keeps_its_table() {
    let email = read(
        r#"From: buyer@fabrikam.example
Subject: Order
Content-Type: text/html; charset=utf-8

<html><head><style>td {padding: 4px}</style></head><body>
<p>Hi,<br>please ship:</p>
<table border=1>
  <tr><th>Part</th><th>Description</th><th>Qty</th><th>Price</th></tr>
  <tr><td>88-1200</td><td>3/4&quot; brass ball valve</td><td>200</td><td>&euro;4.10</td></tr>
  <tr><td>88-1300</td><td>1&quot; valve</td><td>50</td><td>&euro;6.00</td></tr>
</table>
<p>Regards &amp; thanks</p>
</body></html>
"#,
    );
    assert_eq!(
        body(&email),
        "Hi,\nplease ship:\n\
         Part     Description            Qty  Price\n\
         88-1200  3/4\" brass ball valve  200  €4.10\n\
         88-1300  1\" valve               50   €6.00\n\
         Regards & thanks\n"
    );
    assert!(email.attachments.is_empty(), "the HTML body is not an attachment");
}

#[test]
fn quoted_printable_in_latin_1() {
    let email = read(
        "From: einkauf@mueller.example\nSubject: =?iso-8859-1?Q?Bestellung_M=FCller?=\n\
         Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n\
         Bitte liefern: 20 St=FCck Kugelh=E4hne =E0 12,50 EUR, eine sehr lange Zeile die weich umbrochen w=\nird.\n",
    );
    assert_eq!(email.subject.as_deref(), Some("Bestellung Müller"));
    assert_eq!(
        body(&email),
        "Bitte liefern: 20 Stück Kugelhähne à 12,50 EUR, eine sehr lange Zeile die weich umbrochen wird.\n"
    );
}

#[test]
fn a_reply_is_only_its_newest_message() {
    let email = read(
        "From: ann@acme.example\nSubject: Re: PO 4711\nContent-Type: text/plain\n\n\
         Please change the quantity of A-100 to 30.\n\n\
         On Mon, Mar 3, 2025 at 10:00 AM Orders <orders@prodline.example> wrote:\n\
         > We confirm PO 4711:\n> A-100  20 pcs\n>\n>> Ann wrote:\n>> please ship 20 A-100\n",
    );
    assert_eq!(body(&email), "Please change the quantity of A-100 to 30.\n");
    let quoted = quoted(&email);
    assert!(quoted.contains("A-100  20 pcs\n") && quoted.contains("please ship 20 A-100"), "{quoted}");
    assert!(quoted.lines().all(|line| !line.starts_with('>')), "the quote marks are removed: {quoted}");
}

#[test]
fn an_outlook_forward() {
    let email = read(
        "From: Bob <bob@acme.example>\nSubject: FW: PO 5512\nContent-Type: text/plain\n\n\
         Can you enter this one? Thx\n\n\
         ________________________________\n\
         From: Carol Diaz <carol@acme.example>\nSent: Friday, February 28, 2025 4:12 PM\n\
         To: Bob <bob@acme.example>\nSubject: PO 5512\n\n\
         PO 5512\nB-200   12 ea\n",
    );
    assert_eq!(body(&email), "Can you enter this one? Thx\n");
    let quoted = quoted(&email);
    assert!(quoted.contains("From: Carol Diaz") && quoted.contains("B-200   12 ea"), "{quoted}");
}

#[test]
fn a_forwarded_message_is_an_eml_attachment() {
    let email = read(
        r#"From: bob@acme.example
Subject: Fwd: order
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain

See the order below.
--b1
Content-Type: message/rfc822

From: Carol <Carol@Supplier.example>
Subject: Order 77
Content-Type: multipart/mixed; boundary="b2"

--b2
Content-Type: text/plain

Order 77: 5 x C-300
--b2
Content-Type: text/csv; name="order77.csv"
Content-Disposition: attachment; filename="order77.csv"

sku,qty
C-300,5
--b2--

--b1--
"#,
    );
    assert_eq!(body(&email), "See the order below.\n");
    assert_eq!(email.attachments.len(), 1, "{:?}", email.attachments);
    let forwarded = &email.attachments[0];
    assert_eq!(forwarded.name.as_deref(), Some("Order 77.eml"));
    assert_eq!(forwarded.content_type, "message/rfc822");
    let text = String::from_utf8_lossy(&forwarded.bytes);
    assert!(!text.contains("Fwd: order") && !text.contains("See the order below"), "only the inner message: {text}");
    let inner = read_email(&forwarded.bytes);
    assert_eq!(inner.from.as_deref(), Some("carol@supplier.example"));
    assert_eq!(body(&inner), "Order 77: 5 x C-300\n");
    assert_eq!(inner.attachments.len(), 1);
    assert_eq!(inner.attachments[0].name.as_deref(), Some("order77.csv"));
    assert_eq!(inner.attachments[0].bytes, b"sku,qty\r\nC-300,5");
}

#[test]
fn signature_and_disclaimer_are_dropped() {
    let email = read(
        "From: ann@acme.example\nSubject: PO 4712\nContent-Type: text/plain\n\n\
         PO 4712\nA-100 x 10\n\n\
         This e-mail and any attachments are confidential and may be privileged.\nIf you are not the intended recipient, delete it.\n\n\
         Please consider the environment before printing this e-mail.\n\
         -- \nAnn Lee | Buyer | ACME Corp\n+1 555 0100\n",
    );
    assert_eq!(body(&email), "PO 4712\nA-100 x 10\n");
}

#[test]
fn an_undecodable_part_is_a_diagnostic() {
    let email = read(
        "From: ann@acme.example\nSubject: broken\nContent-Type: multipart/mixed; boundary=\"x\"\n\n\
         --x\nContent-Type: text/plain\n\nSee attached.\n\
         --x\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n!!!!\n--x--\n",
    );
    assert_eq!(body(&email), "See attached.\n");
    let diagnostic = email.diagnostics.iter().find(|d| d.code == "attachment_unreadable");
    let diagnostic = diagnostic.unwrap_or_else(|| panic!("no diagnostic: {email:?}"));
    assert_eq!(diagnostic.severity, Severity::Warning);
    assert_eq!(diagnostic.position.segment, Some(2), "{diagnostic}");
    assert!(email.attachments.is_empty(), "{:?}", email.attachments);
}

#[test]
fn an_html_reply_is_only_its_newest_message() {
    let email = read(
        r#"From: ann@acme.example
Subject: Re: PO 4711
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain

--alt
Content-Type: text/html; charset=utf-8

<div dir="ltr">Make it 30 of A-100, please.</div><br>
<div class="gmail_quote"><div class="gmail_attr">On Mon, Mar 3, 2025 Orders &lt;orders@prodline.example&gt; wrote:<br></div>
<blockquote class="gmail_quote"><table><tr><td>A-100</td><td>20</td></tr></table></blockquote></div>
--alt--
"#,
    );
    assert_eq!(body(&email), "Make it 30 of A-100, please.\n");
    assert!(quoted(&email).contains("A-100  20"), "{}", quoted(&email));
    assert!(email.attachments.is_empty(), "{:?}", email.attachments);
}

#[test]
fn a_message_that_is_only_an_attachment() {
    let email = read(
        "From: edi@acme.example\nSubject: orders\nContent-Type: application/pdf; name=\"po.pdf\"\n\
         Content-Disposition: attachment; filename=\"po.pdf\"\nContent-Transfer-Encoding: base64\n\n\
         JVBERi0xLjQKJSBub3QgYSByZWFsIG9yZGVyLCBhbiBhdHRhY2htZW50Cg==\n",
    );
    assert!(email.body.is_blank());
    assert_eq!(email.attachments.len(), 1);
    assert_eq!(email.attachments[0].name.as_deref(), Some("po.pdf"));
    assert!(email.attachments[0].bytes.starts_with(b"%PDF-1.4"));
}

#[test]
fn nothing_panics_on_broken_input() {
    let samples = [WITH_PDF.as_bytes().to_vec(), b"\0\xff\xfe garbage".to_vec(), Vec::new()];
    for sample in &samples {
        for end in 0..=sample.len() {
            let _ = read_email(&sample[..end]);
        }
    }
    // Deterministic noise: an LCG, with MIME-looking bytes mixed in.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..300 {
        let mut bytes = b"Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n".to_vec();
        for _ in 0..(state % 600) {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let byte = (state >> 33) as u8;
            bytes.push(if byte.is_multiple_of(7) { b"-a\r\n<>&;=?"[usize::from(byte) % 10] } else { byte });
        }
        let _ = read_email(&bytes);
    }
}

/// Found by `fuzz/fuzz_targets/email.rs`: a multipart nesting on which
/// mail-parser reaches a `debug_assert!`. Test builds have debug assertions
/// on, so this runs the panicking path: the message comes back unreadable or
/// read, never a panic.
#[test]
fn a_multipart_nesting_that_trips_mail_parser_is_not_a_panic() {
    let bytes = include_bytes!("fixtures/fuzz-multipart-nesting.eml");
    let email = prodline_textin::email::read_email(bytes);
    assert!(
        email.from.is_some() || email.diagnostics.iter().any(|d| d.code == "email_unreadable"),
        "either read or reported unreadable: {:?}",
        email.diagnostics
    );
}
