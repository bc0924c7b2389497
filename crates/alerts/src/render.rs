//! What a notice looks like on each channel. Plain functions of the notice, so the
//! wording is the same everywhere: one subject line and one list of facts.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{Notice, NoticeState};

/// Teams card colours: red while the alert fires, green once it resolved.
const FIRING_COLOUR: &str = "D32F2F";
const RESOLVED_COLOUR: &str = "2E7D32";
/// Slack refuses a section text over 3,000 characters.
const SLACK_TEXT_LIMIT: usize = 2_900;

impl NoticeState {
    /// The word subjects and titles start with.
    pub fn label(self) -> &'static str {
        match self {
            NoticeState::Fired => "FIRING",
            NoticeState::Resolved => "RESOLVED",
            NoticeState::Reminder => "STILL FIRING",
        }
    }
}

/// `drift order-entry/C0005`: what the alert is about.
pub fn alert_name(notice: &Notice) -> String {
    format!("{} {}/{}", notice.kind, notice.workflow, notice.key)
}

/// `FIRING drift order-entry/C0005: <summary>`, on one line.
pub fn headline(notice: &Notice) -> String {
    format!("{} {}: {}", notice.state.label(), alert_name(notice), one_line(&notice.summary))
}

/// The e-mail subject: `[prodline] FIRING drift order-entry/C0005: <summary>`.
pub fn subject(notice: &Notice) -> String {
    format!("[prodline] {}", headline(notice))
}

/// The facts every channel shows, in this order.
pub fn facts(notice: &Notice) -> Vec<(&'static str, String)> {
    let mut facts = vec![
        ("Severity", notice.severity.clone()),
        ("Workflow", notice.workflow.clone()),
        ("Owner", format!("{} <{}>", notice.owner_name, notice.owner_email)),
        ("Alert", format!("{} {}", notice.kind, notice.key)),
        ("Fired at", time(notice.fired_at)),
    ];
    match notice.state {
        NoticeState::Fired => {}
        NoticeState::Resolved => facts.push(("Resolved at", time(notice.at))),
        NoticeState::Reminder => facts.push(("Still firing at", time(notice.at))),
    }
    if let Some(link) = &notice.link {
        facts.push(("Link", link.clone()));
    }
    facts
}

/// The plain-text e-mail body: headline, facts, detail.
pub fn text_body(notice: &Notice) -> String {
    let mut body = format!("{}\n\n", headline(notice));
    let width = facts(notice).iter().map(|(name, _)| name.len()).max().unwrap_or(0) + 1;
    for (name, value) in facts(notice) {
        body.push_str(&format!("{:<width$} {value}\n", format!("{name}:")));
    }
    if !notice.detail.trim().is_empty() {
        body.push_str(&format!("\n{}\n", notice.detail.trim_end()));
    }
    body.push_str(&format!(
        "\n-- \nprodline sends this to the owner of workflow {}; a message follows when the alert resolves.\n",
        notice.workflow
    ));
    body
}

/// The `Message-ID` of the fired notice of this firing, which every later notice of it
/// answers (`In-Reply-To`, `References`): the same for the same workflow, kind, key and
/// fired time, so a repeated send is the same message and clients thread the resolve.
pub fn thread_message_id(notice: &Notice, domain: &str) -> String {
    format!("<alert.{}@{domain}>", firing_hash(notice))
}

/// This notice's own `Message-ID`: the thread's for the fired notice, one per state and
/// time for the others (still stable across repeated sends).
pub fn message_id(notice: &Notice, domain: &str) -> String {
    match notice.state {
        NoticeState::Fired => thread_message_id(notice, domain),
        NoticeState::Resolved => format!("<alert.{}.resolved.{}@{domain}>", firing_hash(notice), notice.at.timestamp()),
        NoticeState::Reminder => format!("<alert.{}.reminder.{}@{domain}>", firing_hash(notice), notice.at.timestamp()),
    }
}

/// A Slack incoming-webhook message: the headline as `text` (notifications, clients without
/// blocks) and sections with the facts and the detail.
pub fn slack(notice: &Notice) -> Value {
    let mut heading = format!("*{}* {}\n{}", notice.state.label(), slack_escape(&alert_name(notice)), {
        slack_escape(&one_line(&notice.summary))
    });
    if let Some(link) = &notice.link {
        heading.push_str(&format!("\n<{}|Open in prodline>", slack_escape(link)));
    }
    let fields: Vec<Value> = facts(notice)
        .into_iter()
        .filter(|(name, _)| *name != "Link")
        .map(|(name, value)| json!({"type": "mrkdwn", "text": format!("*{name}*\n{}", slack_escape(&value))}))
        .collect();
    let mut blocks = vec![
        json!({"type": "section", "text": {"type": "mrkdwn", "text": heading}}),
        json!({"type": "section", "fields": fields}),
    ];
    if !notice.detail.trim().is_empty() {
        let detail = truncate(&slack_escape(notice.detail.trim_end()), SLACK_TEXT_LIMIT);
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("```{detail}```")}}));
    }
    json!({"text": headline(notice), "blocks": blocks})
}

/// A Teams incoming-webhook message: an Office 365 connector `MessageCard`.
pub fn teams(notice: &Notice) -> Value {
    let colour = if notice.state == NoticeState::Resolved { RESOLVED_COLOUR } else { FIRING_COLOUR };
    let facts: Vec<Value> =
        facts(notice).into_iter().map(|(name, value)| json!({"name": name, "value": value})).collect();
    let mut card = json!({
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "themeColor": colour,
        "summary": headline(notice),
        "title": format!("{} {}", notice.state.label(), alert_name(notice)),
        "sections": [{
            "activityTitle": one_line(&notice.summary),
            "facts": facts,
            "text": notice.detail.trim_end(),
        }],
    });
    if let Some(link) = &notice.link {
        card["potentialAction"] = json!([{
            "@type": "OpenUri",
            "name": "Open in prodline",
            "targets": [{"os": "default", "uri": link}],
        }]);
    }
    card
}

/// The generic webhook body: the notice itself, plus the subject line for simple receivers.
pub fn generic(notice: &Notice) -> Value {
    json!({"notice": notice, "subject": subject(notice)})
}

fn firing_hash(notice: &Notice) -> String {
    let mut hasher = Sha256::new();
    for part in [&notice.workflow, &notice.kind, &notice.key, &notice.fired_at.to_rfc3339()] {
        hasher.update(part.as_bytes());
        // A separator that cannot occur in the parts keeps ("ab","c") and ("a","bc") apart.
        hasher.update([0]);
    }
    hasher.finalize().iter().take(12).map(|byte| format!("{byte:02x}")).collect()
}

fn time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Slack's mrkdwn reads `<`, `>` and `&` as markup.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn truncate(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn notice(state: NoticeState) -> Notice {
        let fired_at = chrono::Utc.with_ymd_and_hms(2026, 11, 20, 8, 30, 0).unwrap();
        Notice {
            workflow: "order-entry".into(),
            owner_name: "Ana Ruiz".into(),
            owner_email: "ana@example.com".into(),
            kind: "drift".into(),
            key: "C0005".into(),
            state,
            severity: "warning".into(),
            summary: "accuracy 88.0% < 95.0%\nover 50 orders".into(),
            detail: "line accuracy fell from 97.2% to 88.0%".into(),
            at: if state == NoticeState::Fired { fired_at } else { fired_at + chrono::Duration::hours(2) },
            fired_at,
            link: Some("http://prodline.local/alerts/7".into()),
        }
    }

    #[test]
    fn subject_is_one_line_with_state_kind_workflow_and_key() {
        assert_eq!(
            subject(&notice(NoticeState::Fired)),
            "[prodline] FIRING drift order-entry/C0005: accuracy 88.0% < 95.0% over 50 orders"
        );
        assert!(subject(&notice(NoticeState::Resolved)).starts_with("[prodline] RESOLVED drift order-entry/C0005: "));
    }

    #[test]
    fn fired_and_resolved_share_the_thread_but_not_the_message_id() {
        let (fired, resolved) = (notice(NoticeState::Fired), notice(NoticeState::Resolved));
        let thread = thread_message_id(&fired, "example.com");
        assert_eq!(message_id(&fired, "example.com"), thread);
        assert_eq!(thread_message_id(&resolved, "example.com"), thread);
        // 2026-11-20 10:30:00 UTC = 20_777 days * 86_400 s + 10.5 h * 3_600 s = 1_795_170_600 s.
        assert!(message_id(&resolved, "example.com").ends_with(".resolved.1795170600@example.com>"));
        let mut other = fired.clone();
        other.fired_at += chrono::Duration::seconds(1);
        assert_ne!(thread_message_id(&other, "example.com"), thread);
    }

    #[test]
    fn text_body_aligns_the_facts() {
        let body = text_body(&notice(NoticeState::Resolved));
        assert!(body.contains("\nSeverity:    warning\n"), "{body}");
        assert!(body.contains("\nResolved at: 2026-11-20 10:30:00 UTC\n"), "{body}");
        assert!(body.contains("\nline accuracy fell from 97.2% to 88.0%\n"), "{body}");
    }

    #[test]
    fn slack_escapes_markup_and_truncates_long_detail() {
        let mut long = notice(NoticeState::Fired);
        long.detail = "x".repeat(5_000);
        let message = slack(&long);
        let heading = message["blocks"][0]["text"]["text"].as_str().unwrap();
        assert!(heading.contains("accuracy 88.0% &lt; 95.0%"), "{heading}");
        let detail = message["blocks"][2]["text"]["text"].as_str().unwrap();
        // ``` + 2,900 x + … + ```
        assert_eq!(detail.chars().count(), 3 + SLACK_TEXT_LIMIT + 1 + 3);
    }
}
