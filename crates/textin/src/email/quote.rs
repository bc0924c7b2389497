//! The newest message of an e-mail, set apart from what it quotes or
//! forwards, from its signature and from legal disclaimers.
//!
//! Mail clients mark history in a handful of ways, all in the text: `>`
//! before each quoted line; an attribution ("On Mon, 3 Mar 2025, Ann
//! wrote:"); a separator ("-----Original Message-----", "----------
//! Forwarded message ---------", "Begin forwarded message:"); or Outlook's
//! header block ("From: ... Sent: ... To: ... Subject: ..."). Everything
//! from the first attribution, separator or header block on is history,
//! and so are `>` lines before it (an interleaved reply keeps its own lines).

/// How many lines after a `From:` line an Outlook header block may run.
const HEADER_BLOCK_LINES: usize = 6;

/// An e-mail body split in two.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Split {
    /// What the sender wrote: no quotes, signature or disclaimers.
    pub newest: String,
    /// The older messages it quotes or forwards, `>` marks removed,
    /// disclaimers dropped.
    pub quoted: String,
}

pub(crate) fn split(body: &str) -> Split {
    let lines: Vec<&str> = body.lines().collect();
    let cut = (0..lines.len()).find(|&i| history_starts(&lines, i)).unwrap_or(lines.len());
    let cut = if cut > 0 && is_rule(lines[cut - 1]) { cut - 1 } else { cut };
    let mut newest: Vec<&str> = Vec::new();
    let mut quoted: Vec<&str> = Vec::new();
    for line in &lines[..cut] {
        match unquoted(line) {
            Some(inner) => quoted.push(inner),
            None => newest.push(line),
        }
    }
    quoted.extend(lines[cut..].iter().map(|line| unquoted(line).unwrap_or(line)));
    let newest = drop_disclaimers(&drop_signature(&newest));
    let quoted = drop_disclaimers(&quoted);
    Split { newest: joined(&newest), quoted: joined(&quoted) }
}

/// Does an older message start at line `i`?
fn history_starts(lines: &[&str], i: usize) -> bool {
    let line = lines[i].trim();
    is_separator(line) || is_attribution(line, lines.get(i + 1).map(|l| l.trim())) || is_header_block(lines, i)
}

/// "-----Original Message-----", "---------- Forwarded message ---------",
/// "Begin forwarded message:" and their cousins in other clients and
/// languages.
fn is_separator(line: &str) -> bool {
    const SEPARATORS: [&str; 9] = [
        "original message",
        "forwarded message",
        "begin forwarded message",
        "ursprüngliche nachricht",
        "weitergeleitete nachricht",
        "original-nachricht",
        "message d'origine",
        "message transféré",
        "mensaje original",
    ];
    let core = line.trim_matches(|c: char| c == '-' || c == '_' || c == '=' || c == ' ' || c == ':').to_lowercase();
    SEPARATORS.contains(&core.as_str())
}

/// "On <date>, <name> wrote:" on one line or two (clients wrap the address),
/// and the same in a few other languages.
fn is_attribution(line: &str, next: Option<&str>) -> bool {
    const FORMS: [(&str, &str); 6] = [
        ("on ", "wrote:"),
        ("am ", "schrieb"),
        ("le ", "a écrit"),
        ("el ", "escribió"),
        ("il ", "ha scritto"),
        ("op ", "schreef"),
    ];
    let lower = line.to_lowercase();
    let joined = next.map(|next| format!("{lower} {}", next.to_lowercase()));
    FORMS.iter().any(|(start, end)| {
        let ends = |text: &str| text.trim_end_matches(':').trim_end().ends_with(end.trim_end_matches(':'));
        lower.starts_with(start) && (ends(&lower) || joined.as_deref().is_some_and(|j| line.len() < 200 && ends(j)))
    })
}

/// Outlook's quoted header: a `From:` line followed closely by a `Sent:` or
/// `Date:` line and a `To:` or `Subject:` line.
fn is_header_block(lines: &[&str], i: usize) -> bool {
    let starts = |line: &str, names: &[&str]| {
        let lower = line.trim_start_matches(['*', ' ']).to_lowercase();
        names.iter().any(|name| lower.starts_with(name))
    };
    if !starts(lines[i], &["from:", "von:", "de:", "van:"]) {
        return false;
    }
    let block = &lines[i + 1..lines.len().min(i + 1 + HEADER_BLOCK_LINES)];
    block.iter().any(|l| starts(l, &["sent:", "date:", "gesendet:", "datum:", "envoyé:", "enviado:", "verzonden:"]))
        && block.iter().any(|l| {
            starts(l, &["to:", "subject:", "an:", "betreff:", "à:", "objet:", "para:", "asunto:", "aan:", "onderwerp:"])
        })
}

/// The rule Outlook draws above a quoted header block.
fn is_rule(line: &str) -> bool {
    let line = line.trim();
    line.len() >= 10 && line.chars().all(|c| c == '_' || c == '-')
}

/// A quoted line without its `>` marks (all levels), or `None`.
fn unquoted(line: &str) -> Option<&str> {
    let mut rest = line.trim_start().strip_prefix('>')?;
    loop {
        rest = rest.strip_prefix(' ').unwrap_or(rest);
        match rest.strip_prefix('>') {
            Some(inner) => rest = inner,
            None => return Some(rest),
        }
    }
}

/// The lines before the signature: the standard "-- " delimiter, and
/// the one-line mobile signatures.
fn drop_signature<'a>(lines: &[&'a str]) -> Vec<&'a str> {
    let end = lines.iter().position(|line| line.trim_end() == "--").unwrap_or(lines.len());
    lines[..end].iter().copied().filter(|line| !is_mobile_signature(line)).collect()
}

fn is_mobile_signature(line: &str) -> bool {
    let lower = line.trim().to_lowercase();
    [
        "sent from my ",
        "get outlook for ",
        "sent from outlook",
        "sent from mail for windows",
        "von meinem iphone gesendet",
    ]
    .iter()
    .any(|start| lower.starts_with(start))
        && lower.len() < 60
}

/// Lines without the paragraphs (up to a blank line) that start like a
/// legal disclaimer or an environmental plea.
fn drop_disclaimers<'a>(lines: &[&'a str]) -> Vec<&'a str> {
    let mut kept = Vec::with_capacity(lines.len());
    let mut dropping = false;
    let mut paragraph_start = true;
    for line in lines {
        let blank = line.trim().is_empty();
        if paragraph_start && !blank {
            dropping = is_disclaimer(line);
        }
        if !dropping || blank {
            kept.push(*line);
        }
        paragraph_start = blank;
    }
    kept
}

fn is_disclaimer(line: &str) -> bool {
    const STARTS: [&str; 14] = [
        "confidential",
        "disclaimer",
        "this e-mail and any attachment",
        "this email and any attachment",
        "this message and any attachment",
        "this e-mail is confidential",
        "this email is confidential",
        "this message is confidential",
        "this message (including any attachments)",
        "the information contained in this",
        "the information in this e-mail",
        "the information in this email",
        "please consider the environment",
        "think before you print",
    ];
    let lower = line.trim().trim_start_matches(['*', '_', ' ']).to_lowercase();
    STARTS.iter().any(|start| lower.starts_with(start))
}

/// Lines joined, without blank lines at either end nor two in a row,
/// ending in a new line when not empty.
fn joined(lines: &[&str]) -> String {
    let mut text = String::new();
    let mut blank_before = false;
    for line in lines.iter().map(|l| l.trim_end()) {
        if line.trim().is_empty() {
            blank_before = !text.is_empty();
            continue;
        }
        if blank_before {
            text.push('\n');
            blank_before = false;
        }
        text.push_str(line);
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(body: &str, newest: &str, quoted: &str) {
        assert_eq!(split(body), Split { newest: newest.to_owned(), quoted: quoted.to_owned() });
    }

    #[test]
    fn a_gmail_reply() {
        check(
            "Please ship 20 more.\n\nOn Mon, Mar 3, 2025 at 10:00 AM Ann Lee <\nann@acme.com> wrote:\n> PO 4711\n>> older\n",
            "Please ship 20 more.\n",
            "On Mon, Mar 3, 2025 at 10:00 AM Ann Lee <\nann@acme.com> wrote:\nPO 4711\nolder\n",
        );
    }

    #[test]
    fn an_interleaved_reply_keeps_its_own_lines() {
        check("> Which size?\nThe 3/4 inch.\n> Quantity?\n200\n", "The 3/4 inch.\n200\n", "Which size?\nQuantity?\n");
    }

    #[test]
    fn an_outlook_reply_with_its_rule() {
        check(
            "Confirmed.\n\n________________________________\nFrom: Ann Lee <ann@acme.com>\nSent: Monday, March 3, 2025 10:00 AM\nTo: Orders\nSubject: PO 4711\n\nOld text\n",
            "Confirmed.\n",
            "________________________________\nFrom: Ann Lee <ann@acme.com>\nSent: Monday, March 3, 2025 10:00 AM\nTo: Orders\nSubject: PO 4711\n\nOld text\n",
        );
    }

    #[test]
    fn separators() {
        for separator in [
            "-----Original Message-----",
            "----- Original Message -----",
            "---------- Forwarded message ---------",
            "Begin forwarded message:",
            "-------- Ursprüngliche Nachricht --------",
        ] {
            check(&format!("See below.\n{separator}\nPO 9\n"), "See below.\n", &format!("{separator}\nPO 9\n"));
        }
    }

    #[test]
    fn signature_and_disclaimer_are_dropped() {
        check(
            "PO 4711: 10 x A-100\n\nCONFIDENTIALITY NOTICE: this message\nis for you only.\n\nShip Friday.\nSent from my iPhone\n-- \nAnn Lee\nBuyer\n",
            "PO 4711: 10 x A-100\n\nShip Friday.\n",
            "",
        );
    }

    #[test]
    fn a_from_line_alone_is_not_a_header_block() {
        check("From: our plant in Ohio\nShip 5 units.\n", "From: our plant in Ohio\nShip 5 units.\n", "");
        check("On Monday we need 5 units.\n", "On Monday we need 5 units.\n", "");
    }
}
