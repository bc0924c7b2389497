//! RFC 5322 messages with MIME bodies, written by hand: a plain-text body,
//! optionally an HTML alternative, optionally attachments in base64, with
//! the encodings mail clients really use (quoted-printable text, RFC 2047
//! encoded words for names and subjects that are not ASCII). CRLF throughout.

use chrono::NaiveDateTime;

use crate::render::text::ORDER_DESK;

/// The MIME type of an e-mail attached whole (a forward as attachment).
pub(crate) const RFC822: &str = "message/rfc822";

/// A file attached to a message.
pub(crate) struct Attachment {
    pub(crate) name: String,
    pub(crate) mime: &'static str,
    pub(crate) bytes: Vec<u8>,
}

/// One e-mail message as its sender's client writes it.
pub(crate) struct Mail {
    pub(crate) from_name: String,
    pub(crate) from: String,
    pub(crate) subject: String,
    pub(crate) at: NaiveDateTime,
    /// The Message-ID without angle brackets; also seeds the MIME boundaries.
    pub(crate) id: String,
    pub(crate) in_reply_to: Option<String>,
    pub(crate) text: String,
    pub(crate) html: Option<String>,
    pub(crate) attachments: Vec<Attachment>,
}

impl Mail {
    /// The message's bytes: headers, then the body tree.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::new();
        out += &format!("From: {} <{}>\r\n", display_name(&self.from_name), self.from);
        out += &format!("To: Northwind Order Desk <{ORDER_DESK}>\r\n");
        out += &format!("Subject: {}\r\n", encoded_word(&self.subject));
        out += &format!("Date: {}\r\n", self.at.format("%a, %d %b %Y %H:%M:%S +0000"));
        out += &format!("Message-ID: <{}>\r\n", self.id);
        if let Some(parent) = &self.in_reply_to {
            out += &format!("In-Reply-To: <{parent}>\r\nReferences: <{parent}>\r\n");
        }
        out += "MIME-Version: 1.0\r\n";
        let boundary = |tag: &str| format!("=_{tag}_{}", self.id.replace(['@', '.'], "_"));
        let body = self.body_part(&boundary("alt"));
        if self.attachments.is_empty() {
            out += &body;
            return out.into_bytes();
        }
        let mixed = boundary("mix");
        out += &format!("Content-Type: multipart/mixed; boundary=\"{mixed}\"\r\n\r\n");
        out += "This is a multi-part message in MIME format.\r\n";
        out += &format!("--{mixed}\r\n{body}\r\n");
        for a in &self.attachments {
            out += &format!("--{mixed}\r\n");
            out += &format!("Content-Type: {}; name=\"{}\"\r\n", a.mime, a.name);
            out += &format!("Content-Disposition: attachment; filename=\"{}\"\r\n", a.name);
            if a.mime == RFC822 {
                // RFC 2046 §5.2.1: a message/rfc822 part is never base64; ours is 7bit text.
                out += "Content-Transfer-Encoding: 7bit\r\n\r\n";
                out += &String::from_utf8_lossy(&a.bytes);
                out += "\r\n";
            } else {
                out += "Content-Transfer-Encoding: base64\r\n\r\n";
                out += &base64_lines(&a.bytes);
            }
        }
        out += &format!("--{mixed}--\r\n");
        out.into_bytes()
    }

    /// The text part, or text and HTML as alternatives: headers and content.
    fn body_part(&self, boundary: &str) -> String {
        let text = text_part("text/plain", &self.text);
        let Some(html) = &self.html else { return text };
        let mut out = format!("Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n");
        out += &format!("--{boundary}\r\n{text}\r\n");
        out += &format!("--{boundary}\r\n{}\r\n", text_part("text/html", html));
        out += &format!("--{boundary}--\r\n");
        out
    }
}

/// A text part: 7bit when it is plain ASCII with short lines, else quoted-printable.
fn text_part(mime: &str, text: &str) -> String {
    let text = crlf(text);
    let simple = text.is_ascii() && text.split("\r\n").all(|l| l.len() <= 76);
    if simple {
        format!("Content-Type: {mime}; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n{text}")
    } else {
        format!(
            "Content-Type: {mime}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{}",
            quoted_printable(&text)
        )
    }
}

fn crlf(text: &str) -> String {
    let unix = text.replace("\r\n", "\n");
    let mut out = unix.replace('\n', "\r\n");
    if !out.ends_with("\r\n") {
        out += "\r\n";
    }
    out
}

/// RFC 2045 quoted-printable of CRLF text: soft breaks keep lines under 76.
pub(crate) fn quoted_printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for line in text.split("\r\n") {
        let mut width = 0;
        let bytes = line.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            let last = i + 1 == bytes.len();
            let plain = (b == b' ' || b == b'\t') && !last || (33..=126).contains(&b) && b != b'=';
            let piece = if plain { (b as char).to_string() } else { format!("={b:02X}") };
            if width + piece.len() > 75 {
                out += "=\r\n";
                width = 0;
            }
            width += piece.len();
            out += &piece;
        }
        out += "\r\n";
    }
    // `split` yields one more (empty) piece after the final CRLF.
    out.truncate(out.len().saturating_sub(2));
    out
}

/// A display name, quoted, or as an encoded word when it is not ASCII.
fn display_name(name: &str) -> String {
    if name.is_ascii() { format!("\"{}\"", name.replace('"', "'")) } else { encoded_word(name) }
}

/// RFC 2047 `=?utf-8?B?...?=` for non-ASCII header text; ASCII as is.
fn encoded_word(text: &str) -> String {
    if text.is_ascii() { text.to_string() } else { format!("=?utf-8?B?{}?=", base64(text.as_bytes())) }
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(crate) fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let b = [group[0], group.get(1).copied().unwrap_or(0), group.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= group.len() {
                out.push(BASE64[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Base64 in 76-character lines, each ending in CRLF.
fn base64_lines(bytes: &[u8]) -> String {
    let text = base64(bytes);
    let mut out = String::with_capacity(text.len() + text.len() / 38 + 2);
    for line in text.as_bytes().chunks(76) {
        out += std::str::from_utf8(line).unwrap_or_default();
        out += "\r\n";
    }
    out
}

/// Minimal HTML of a plain-text body: paragraphs, line breaks, escaped text,
/// quoted lines in a blockquote, as mail clients write their HTML alternative.
pub(crate) fn html_of(text: &str) -> String {
    let mut out =
        String::from("<html><head><meta charset=\"utf-8\"></head><body style=\"font-family:Calibri,sans-serif\">\r\n");
    for paragraph in text.split("\n\n") {
        let lines: Vec<String> = paragraph.lines().map(escape).collect();
        if lines.is_empty() {
            continue;
        }
        let quoted = paragraph.lines().all(|l| l.starts_with('>'));
        let inner = lines.join("<br>\r\n");
        if quoted {
            out +=
                &format!("<blockquote style=\"border-left:2px solid #ccc;padding-left:6px\">{inner}</blockquote>\r\n");
        } else {
            out += &format!("<p>{inner}</p>\r\n");
        }
    }
    out += "</body></html>\r\n";
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_pads_like_the_rfc_examples() {
        let cases = [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foobar", "Zm9vYmFy")];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain}");
        }
    }

    #[test]
    fn quoted_printable_escapes_equals_non_ascii_and_trailing_space() {
        assert_eq!(quoted_printable("a=b \r\nJürgen"), "a=3Db=20\r\nJ=C3=BCrgen");
        let long = "x".repeat(100);
        let encoded = quoted_printable(&long);
        assert!(encoded.split("\r\n").all(|l| l.len() <= 76), "{encoded}");
        assert_eq!(encoded.replace("=\r\n", ""), long);
    }
}
