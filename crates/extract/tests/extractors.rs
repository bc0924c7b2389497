//! `process_with`: every format read end to end, and a model beside the
//! built-in extractor (a scripted `Model` in this file: no paid API).

use std::path::Path;
use std::sync::{Arc, Mutex};

use prodline_core::{CanonicalOrder, Decimal, Decision, Format, ReasonCode, Usage};
use prodline_extract::{
    Context, DecisionConfig, Extractors, MasterData, Memory, Model, ModelError, ModelInput, ModelOutput, Outcome,
    process, process_with,
};

fn master() -> MasterData {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/master");
    MasterData::load_dir(&dir).unwrap_or_else(|e| panic!("fixture master data: {e}"))
}

/// A model that answers what the test scripted, and remembers what it was given.
#[derive(Debug, Default)]
struct ScriptedModel {
    answer: Option<Vec<CanonicalOrder>>,
    seen: Mutex<Vec<String>>,
}

impl Model for ScriptedModel {
    fn name(&self) -> String {
        "scripted".to_owned()
    }

    fn extract(&self, input: &ModelInput<'_>) -> Result<ModelOutput, ModelError> {
        self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(input.text.joined());
        let usage = Usage { extractor: self.name(), calls: 1, cost: Decimal::new(3, 3), ..Usage::default() };
        match &self.answer {
            Some(orders) => Ok(ModelOutput { orders: orders.clone(), usage }),
            None => Err(ModelError { extractor: self.name(), message: "scripted failure: HTTP 503".into(), usage }),
        }
    }
}

fn with_model(model: ScriptedModel) -> (Extractors, Arc<ScriptedModel>) {
    let model = Arc::new(model);
    let champion: Arc<dyn Model> = model.clone();
    (Extractors { champion: Some(champion), ..Extractors::default() }, model)
}

const ORDER_TEXT: &str = "Hello,\n\nplease ship our PO 4500012345:\n\n200 x HV-075-BR  3/4in brass ball valve\n\nThanks,\nBob Miller\nAcme Industrial Supply\n";

fn acme() -> Context {
    Context { file_name: Some("po.txt".into()), from: Some("bob@acme.example".into()), received_at: None }
}

fn run(bytes: &[u8], ctx: &Context, extractors: &Extractors) -> Outcome {
    process_with(bytes, ctx, &master(), &Memory::default(), &DecisionConfig::default(), extractors)
}

/// The built-in's orders for the order text: what a model that agrees answers.
fn builtin_orders() -> Vec<CanonicalOrder> {
    let outcome = process(ORDER_TEXT.as_bytes(), &acme(), &master(), &Memory::default(), &DecisionConfig::default());
    let orders = outcome.predicted_orders();
    assert!(!orders.is_empty(), "the built-in reads the plain order text: {:?}", outcome.reasons);
    orders
}

#[test]
fn a_model_that_agrees_with_the_builtin_keeps_the_decision_and_records_its_cost() {
    let orders = builtin_orders();
    let (extractors, model) = with_model(ScriptedModel { answer: Some(orders.clone()), ..Default::default() });
    let outcome = run(ORDER_TEXT.as_bytes(), &acme(), &extractors);
    assert!(!outcome.has_reason(ReasonCode::ExtractorsDisagree), "{:?}", outcome.reasons);
    assert_eq!(outcome.predicted_orders(), orders);
    let usage = outcome.usage.as_ref().expect("usage recorded");
    assert_eq!((usage.extractor.as_str(), usage.cost), ("scripted", Decimal::new(3, 3)));
    let seen = model.seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert!(seen.first().is_some_and(|t| t.contains("200 x HV-075-BR")), "the model got the text: {seen:?}");
    assert_eq!(outcome.text.as_ref().map(|t| t.joined().contains("PO 4500012345")), Some(true));
}

#[test]
fn a_model_that_disagrees_sends_the_document_to_review_naming_the_difference() {
    let mut orders = builtin_orders();
    if let Some(line) = orders.first_mut().and_then(|o| o.lines.first_mut()) {
        line.qty = Decimal::new(2000, 0);
    }
    let (extractors, _) = with_model(ScriptedModel { answer: Some(orders), ..Default::default() });
    let outcome = run(ORDER_TEXT.as_bytes(), &acme(), &extractors);
    assert_eq!(outcome.decision, Decision::Review);
    let reason = outcome.reasons.iter().find(|r| r.code == ReasonCode::ExtractorsDisagree);
    let message = reason.map(|r| r.message.clone()).unwrap_or_default();
    assert!(message.contains("line 1: model 2000 EA HV-075-BR, built-in 200 EA HV-075-BR"), "{:?}", outcome.reasons);
}

#[test]
fn a_model_that_invents_an_order_in_a_non_order_disagrees() {
    let invented = builtin_orders();
    let (extractors, _) = with_model(ScriptedModel { answer: Some(invented), ..Default::default() });
    let text = "Hi Bob, I am out of the office until Monday. Kind regards, Jane";
    let outcome = run(text.as_bytes(), &acme(), &extractors);
    assert_eq!(outcome.decision, Decision::Review);
    assert!(outcome.has_reason(ReasonCode::ExtractorsDisagree), "{:?}", outcome.reasons);
}

#[test]
fn a_failing_model_is_extractor_failed_and_the_builtin_reading_is_kept_for_the_reviewer() {
    let orders = builtin_orders();
    let (extractors, _) = with_model(ScriptedModel::default());
    let outcome = run(ORDER_TEXT.as_bytes(), &acme(), &extractors);
    assert_eq!(outcome.decision, Decision::Review);
    let reason = outcome.reasons.iter().find(|r| r.code == ReasonCode::ExtractorFailed);
    assert!(reason.is_some_and(|r| r.message.contains("scripted failure: HTTP 503")), "{:?}", outcome.reasons);
    assert_eq!(outcome.predicted_orders(), orders);
    assert_eq!(outcome.usage.map(|u| u.calls), Some(1), "the failed call is still counted");
}

#[test]
fn a_customer_id_from_a_model_never_outranks_the_senders_domain() {
    let mut orders = builtin_orders();
    if let Some(order) = orders.first_mut() {
        order.customer_id = Some("C0002".into());
    }
    let (extractors, _) = with_model(ScriptedModel { answer: Some(orders), ..Default::default() });
    let outcome = run(ORDER_TEXT.as_bytes(), &acme(), &extractors);
    let customers: Vec<Option<&str>> = outcome.orders.iter().map(|o| o.order.customer_id.as_deref()).collect();
    assert_eq!(customers, vec![Some("C0001")], "acme.example is C0001's domain");
}

#[test]
fn a_model_customer_id_not_in_the_master_data_is_not_taken() {
    let mut orders = builtin_orders();
    if let Some(order) = orders.first_mut() {
        order.customer_id = Some("C9999".into());
    }
    let (extractors, _) = with_model(ScriptedModel { answer: Some(orders), ..Default::default() });
    let ctx = Context { from: None, ..acme() };
    let outcome = run(ORDER_TEXT.as_bytes(), &ctx, &extractors);
    let customers: Vec<Option<&str>> = outcome.orders.iter().map(|o| o.order.customer_id.as_deref()).collect();
    assert!(!customers.contains(&Some("C9999")), "{customers:?}");
    assert_eq!(outcome.decision, Decision::Review);
}

fn email_with_csv() -> Vec<u8> {
    let csv = "PO,Item,Qty,UOM\r\n4500077777,HV-075-BR,24,EA\r\n4500077777,HV-100-BR,10,EA\r\n";
    format!(
        "From: Bob Miller <Bob@Acme.example>\r\nTo: orders@valves.example\r\nSubject: PO 4500077777\r\n\
         Date: Mon, 2 Mar 2026 09:15:00 +0000\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHi, see attached PO.\r\nBob\r\n\
         --b1\r\nContent-Type: text/csv; name=\"po-4500077777.csv\"\r\n\
         Content-Disposition: attachment; filename=\"po-4500077777.csv\"\r\n\r\n{csv}\
         --b1--\r\n"
    )
    .into_bytes()
}

#[test]
fn an_email_with_a_csv_attachment_gives_the_attachments_orders_and_its_sender_names_the_customer() {
    let ctx = Context {
        file_name: Some("inbox/msg-1.eml".into()),
        from: Some("upload@portal.example".into()),
        received_at: None,
    };
    let outcome = run(&email_with_csv(), &ctx, &Extractors::default());
    assert_eq!(outcome.format, Format::Email);
    assert_eq!(outcome.from.as_deref(), Some("bob@acme.example"), "the e-mail's own From is used");
    let orders = outcome.predicted_orders();
    let read: Vec<(Option<&str>, Option<&str>, usize)> =
        orders.iter().map(|o| (o.customer_id.as_deref(), o.customer_po.as_deref(), o.lines.len())).collect();
    assert_eq!(read, vec![(Some("C0001"), Some("4500077777"), 2)], "{:?}", outcome.reasons);
    assert!(!outcome.has_reason(ReasonCode::UnsupportedFormat));
}

#[test]
fn an_email_that_says_see_attached_without_an_attachment_is_not_an_order() {
    let eml = "From: bob@acme.example\r\nTo: orders@valves.example\r\nSubject: PO\r\n\r\nHi, please see attached PO.\r\nBob\r\n";
    let outcome = run(eml.as_bytes(), &acme(), &Extractors::default());
    assert_eq!(outcome.decision, Decision::Review);
    assert!(outcome.predicted_orders().is_empty());
    let reason = outcome.reasons.iter().find(|r| r.code == ReasonCode::NotAnOrder);
    assert!(reason.is_some(), "{:?}", outcome.reasons);
}

#[test]
fn unreadable_binary_is_a_parse_error_never_unsupported_format() {
    let bytes = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0, 0, 0, 0x3E, 0, 3, 0];
    let ctx = Context { file_name: Some("order.doc".into()), ..acme() };
    let outcome = run(&bytes, &ctx, &Extractors::default());
    assert_eq!(outcome.decision, Decision::Review);
    assert!(!outcome.has_reason(ReasonCode::UnsupportedFormat), "{:?}", outcome.reasons);
    let reason = outcome.reasons.iter().find(|r| r.code == ReasonCode::ParseError);
    assert!(reason.is_some_and(|r| r.message.contains("unreadable binary document")), "{:?}", outcome.reasons);
}

#[test]
fn structured_formats_are_read_by_their_readers_even_with_a_model() {
    let csv = b"PO,Item,Qty,UOM\n4500077777,HV-075-BR,24,EA\n";
    let (extractors, model) = with_model(ScriptedModel::default());
    let ctx = Context { file_name: Some("po.csv".into()), ..acme() };
    let outcome = run(csv, &ctx, &extractors);
    assert_eq!(outcome.format, Format::Csv);
    assert!(!outcome.has_reason(ReasonCode::ExtractorFailed), "{:?}", outcome.reasons);
    assert!(model.seen.lock().map(|s| s.is_empty()).unwrap_or(false), "the model is not asked");
    assert_eq!(outcome.predicted_orders().len(), 1);
}

fn read_file(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// OCR through tesseract (scripts/ocr.sh installs it): a missing tool shows
/// as `extractor_failed` naming the script, and fails here loudly.
fn ocr_outcome(path: &Path) -> Outcome {
    let ctx = Context { file_name: path.file_name().map(|n| n.to_string_lossy().into_owned()), ..acme() };
    let outcome = run(&read_file(path), &ctx, &Extractors::default());
    assert!(!outcome.has_reason(ReasonCode::ExtractorFailed), "OCR did not run: {:?}", outcome.reasons);
    outcome
}

#[test]
fn ocr_below_the_minimum_confidence_goes_to_review_and_a_clean_scan_does_not_say_so() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // A fax scan tesseract reads at a mean confidence near 57.
    let fax = ocr_outcome(&repo.join("fixtures/messy/docs/scan/s02_fax_tricounty.png"));
    assert_eq!(fax.decision, Decision::Review);
    assert_eq!(fax.format, Format::Image);
    let reason = fax.reasons.iter().find(|r| r.code == ReasonCode::LowOcrConfidence);
    assert!(reason.is_some_and(|r| r.message.contains("below 80.0")), "{:?}", fax.reasons);
    assert!(fax.parsed.ocr.is_some_and(|o| o.mean_confidence < 80.0));

    // A clean form from the public corpus, read near 95.
    let form = ocr_outcome(&repo.join("../shared/corpus/realworld/po_images/msai102__Form_1.jpg"));
    assert!(!form.has_reason(ReasonCode::LowOcrConfidence), "{:?}", form.reasons);
    assert!(form.parsed.ocr.is_some_and(|o| o.mean_confidence >= 80.0 && o.words > 50));
    assert!(form.text.as_ref().is_some_and(|t| !t.is_blank()));
}

#[test]
fn scans_need_the_stricter_scan_threshold() {
    use prodline_core::{ItemId, ItemIdKind, OcrStats, ParsedDocument, ParsedLine, ParsedOrder, Party};
    use prodline_extract::resolve_document;
    // Acme by name (0.93) and its cross-referenced part: clears 0.9, not 0.95.
    let mut buyer = Party::new("BY");
    buyer.name = Some("Acme".into());
    let line = ParsedLine {
        item_ids: vec![ItemId { kind: ItemIdKind::BuyerPart, qualifier: None, value: "88-1200".into() }],
        qty: Some(Decimal::ONE),
        uom: Some("EA".into()),
        ..ParsedLine::default()
    };
    let order =
        ParsedOrder { po_number: Some("S1".into()), parties: vec![buyer], lines: vec![line], ..ParsedOrder::default() };
    let mut parsed = ParsedDocument::new(Format::Text);
    parsed.orders.push(order);
    let ctx = Context { from: None, ..acme() };
    let config = DecisionConfig::default();
    let text = resolve_document(&parsed, &ctx, &master(), &Memory::default(), &config);
    assert_eq!(text.decision, Decision::Auto, "{} {:?}", text.confidence, text.reasons);
    assert!(text.confidence < config.scan_auto_threshold);

    parsed.format = Some(Format::Image);
    parsed.ocr = Some(OcrStats { pages: 1, words: 40, mean_confidence: 93.0, low_confidence_words: 0 });
    let scan = resolve_document(&parsed, &ctx, &master(), &Memory::default(), &config);
    assert_eq!(scan.decision, Decision::Review);
    let reason = scan.reasons.iter().find(|r| r.code == ReasonCode::LowConfidence);
    assert!(reason.is_some_and(|r| r.message.contains("threshold 0.95")), "{:?}", scan.reasons);
}

#[test]
fn a_forward_that_says_see_below_is_read_from_the_quoted_order() {
    let eml = "From: Anna Lee <anna@acme.example>\r\nTo: orders@valves.example\r\nSubject: FW: PO 4500012345\r\n\r\n\
               Please process the order below.\r\nAnna\r\n\r\n\
               -----Original Message-----\r\nFrom: Bob Miller <bob@acme.example>\r\nSent: Monday, March 2, 2026 9:00 AM\r\n\
               Subject: PO 4500012345\r\n\r\n\
               please ship our PO 4500012345:\r\n\r\n200 x HV-075-BR  3/4in brass ball valve\r\n\r\nThanks,\r\nBob Miller\r\n";
    let ctx = Context { file_name: Some("fw.eml".into()), from: None, received_at: None };
    let outcome = run(eml.as_bytes(), &ctx, &Extractors::default());
    let orders = outcome.predicted_orders();
    let read: Vec<(Option<&str>, Option<&str>)> =
        orders.iter().map(|o| (o.customer_id.as_deref(), o.customer_po.as_deref())).collect();
    assert_eq!(read, vec![(Some("C0001"), Some("4500012345"))], "{:?}", outcome.reasons);
    assert!(!outcome.has_reason(ReasonCode::NotAnOrder), "{:?}", outcome.reasons);
}

#[test]
fn a_forwarded_email_attached_as_a_message_is_read_recursively() {
    let inner = "From: Bob Miller <bob@acme.example>\r\nTo: anna@acme.example\r\nSubject: PO 4500012345\r\n\r\n\
                 please ship our PO 4500012345:\r\n\r\n200 x HV-075-BR  3/4in brass ball valve\r\n\r\nThanks,\r\nBob\r\n";
    let eml = format!(
        "From: Anna Lee <anna@acme.example>\r\nTo: orders@valves.example\r\nSubject: Fwd: PO 4500012345\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b2\"\r\n\r\n\
         --b2\r\nContent-Type: text/plain\r\n\r\nForwarding Bob's order.\r\n\
         --b2\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"po.eml\"\r\n\r\n{inner}\
         --b2--\r\n"
    );
    let ctx = Context { file_name: Some("fwd.eml".into()), from: None, received_at: None };
    let outcome = run(eml.as_bytes(), &ctx, &Extractors::default());
    let read: Vec<(Option<String>, Option<String>)> =
        outcome.predicted_orders().into_iter().map(|o| (o.customer_id, o.customer_po)).collect();
    assert_eq!(read, vec![(Some("C0001".into()), Some("4500012345".into()))], "{:?}", outcome.reasons);
}

#[test]
fn a_pdf_is_read_through_its_text_layer() {
    let pdf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/realworld/pdf/oca__so1.pdf");
    let ctx = Context { file_name: Some("oca__so1.pdf".into()), from: None, received_at: None };
    let outcome = run(&read_file(&pdf), &ctx, &Extractors::default());
    assert_eq!(outcome.format, Format::Pdf);
    assert!(!outcome.has_reason(ReasonCode::ExtractorFailed), "pdftotext ran (scripts/ocr.sh): {:?}", outcome.reasons);
    assert!(!outcome.has_reason(ReasonCode::UnsupportedFormat));
    assert!(outcome.text.as_ref().is_some_and(|t| !t.is_blank()), "the text layer is kept for the reviewer");
    assert_eq!(outcome.usage.as_ref().map(|u| u.extractor.as_str()), Some("builtin"));
}

/// fixtures/messy e06: the newest message gives the PO number and says
/// "the order below"; the forwarded message holds the lines (one `4x`
/// written without a space). Both are read as one order.
#[test]
fn a_forward_with_the_po_above_and_the_lines_below_is_one_order() {
    let eml = "From: Bob Miller <bob@acme.example>\r\nTo: orders@valves.example\r\nSubject: Fwd: valves\r\n\
               Date: Mon, 2 Mar 2026 09:15:00 +0000\r\n\r\n\
               Hi, please enter the order below. PO number is 4500012399.\r\n\r\nThanks,\r\nBob\r\n\r\n\
               ---------- Forwarded message ---------\r\nFrom: Tom <tom@acme.example>\r\n\
               Date: Fri, 27 Feb 2026 at 10:04 AM\r\nSubject: valves\r\n\r\n\
               Bob, can you get these ordered:\r\n\r\n200 x HV-075-BR\r\n4x 1in brass ball valve\r\n\r\nTom\r\n";
    let outcome = run(eml.as_bytes(), &acme(), &Extractors::default());
    let orders = outcome.predicted_orders();
    assert_eq!(orders.len(), 1, "{:?}", outcome.reasons);
    let order = orders.first().cloned().unwrap_or_default();
    assert_eq!(order.customer_po.as_deref(), Some("4500012399"), "{:?}", outcome.reasons);
    let lines: Vec<(Option<&str>, Decimal)> = order.lines.iter().map(|l| (l.sku.as_deref(), l.qty)).collect();
    assert_eq!(lines, vec![(Some("HV-075-BR"), Decimal::new(200, 0)), (Some("HV-100-BR"), Decimal::new(4, 0))]);
}
