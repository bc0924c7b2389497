//! The `command` and `openai` extractors end to end: a real program (the
//! example pilot, python3) and a real HTTP server (testkit's FakeOpenAi,
//! which says it is a fake).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use prodline_core::{Decimal, DocumentText, TextSource};
use prodline_models::{CommandModel, Model, ModelInput, OpenAiModel, OpenAiSettings};
use prodline_testkit::fake_openai::{FakeOpenAi, Fault, user_prompt};
use serde_json::{Value, json};

const ORDER_TEXT: &str = "Hello,\nplease ship PO 4500012345:\n200 x HV-075-BR\n3 cases of BV-100 @ 11.85\nThanks, Bob";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn text() -> DocumentText {
    DocumentText::new(TextSource::Plain, vec![ORDER_TEXT.to_owned()])
}

fn input<'a>(text: &'a DocumentText, context: &'a Value) -> ModelInput<'a> {
    ModelInput { file_name: Some("mail/po-4711.txt"), bytes: ORDER_TEXT.as_bytes(), text, context }
}

fn python() -> PathBuf {
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join("python3"))
        .find(|path| path.is_file());
    match found {
        Some(path) => path,
        None => panic!("python3 is not installed: the command extractor's example needs it (apt-get install python3)"),
    }
}

/// A throw-away script in a temporary folder.
fn script(dir: &tempfile::TempDir, body: &str) -> PathBuf {
    let path = dir.path().join("model.py");
    std::fs::write(&path, body).expect("write script");
    path
}

/// (sku, qty, uom, unit_price) of a line.
type LineRead<'a> = (Option<&'a str>, Decimal, Option<&'a str>, Option<Decimal>);

#[test]
fn the_example_pilot_reads_po_and_lines_from_a_text_document() {
    let pilot = repo().join("examples/extractors/regex_pilot.py");
    let model = CommandModel::new(python(), vec![pilot.display().to_string()], Duration::from_secs(30));
    let (text, context) = (text(), json!({"from": "bob@acme.example"}));
    let output = model.extract(&input(&text, &context)).expect("the pilot answers");
    let order = output.orders.first().expect("one order");
    assert_eq!(order.customer_po.as_deref(), Some("4500012345"));
    let lines: Vec<LineRead<'_>> =
        order.lines.iter().map(|l| (l.sku.as_deref(), l.qty, l.uom.as_deref(), l.unit_price)).collect();
    assert_eq!(
        lines,
        vec![
            (Some("HV-075-BR"), Decimal::new(200, 0), Some("EA"), None),
            (Some("BV-100"), Decimal::new(3, 0), Some("CA"), Some(Decimal::new(1185, 2))),
        ]
    );
    assert_eq!(output.usage.extractor, "command:python3");
    assert_eq!(output.usage.calls, 1);
    assert!(output.usage.prompt_tokens > 0, "the pilot reports its tokens: {:?}", output.usage);
}

#[test]
fn a_command_gets_the_document_as_a_file_with_its_extension_and_the_request_on_stdin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let echo = script(
        &dir,
        "import json, sys\nreq = json.load(sys.stdin)\npath = sys.argv[-1]\n\
         body = open(path).read()\n\
         print(json.dumps({'orders': [{'customer_po': path.rsplit('.', 1)[-1] + '|' + req['file_name'] + '|' + \
         req['context']['from'], 'lines': [{'qty': len(body), 'sku': req['text'][:5]}]}], \
         'usage': {'cost': 0.25}}))\n",
    );
    let model = CommandModel::new(python(), vec![echo.display().to_string()], Duration::from_secs(30));
    let (text, context) = (text(), json!({"from": "bob@acme.example"}));
    let output = model.extract(&input(&text, &context)).expect("answers");
    let order = output.orders.first().expect("one order");
    assert_eq!(order.customer_po.as_deref(), Some("txt|mail/po-4711.txt|bob@acme.example"));
    let line = order.lines.first().expect("one line");
    assert_eq!(line.qty, Decimal::from(ORDER_TEXT.len()));
    assert_eq!(line.sku.as_deref(), Some("Hello"));
    assert_eq!(output.usage.cost, Decimal::new(25, 2));
}

#[test]
fn a_command_that_outlives_its_time_out_is_killed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let slow = script(&dir, "import time\ntime.sleep(30)\n");
    let model = CommandModel::new(python(), vec![slow.display().to_string()], Duration::from_millis(500));
    let (text, context) = (text(), json!({}));
    let started = Instant::now();
    let error = model.extract(&input(&text, &context)).expect_err("times out");
    assert!(started.elapsed() < Duration::from_secs(10), "killed, not waited for: {:?}", started.elapsed());
    assert!(error.message.contains("took longer than 0.5 s"), "{error}");
    assert!(error.message.contains("python3"), "names the program: {error}");
}

#[test]
fn bad_json_is_an_error_with_its_position_and_stderr() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = script(&dir, "import sys\nsys.stderr.write('pilot: model v2 loaded\\n')\nprint('{\"orders\": [}')\n");
    let model = CommandModel::new(python(), vec![bad.display().to_string()], Duration::from_secs(30));
    let (text, context) = (text(), json!({}));
    let error = model.extract(&input(&text, &context)).expect_err("bad JSON");
    assert!(error.message.contains("line 1, column"), "position: {error}");
    assert!(error.message.contains("pilot: model v2 loaded"), "stderr shown: {error}");
}

#[test]
fn a_non_zero_exit_shows_the_end_of_stderr() {
    let dir = tempfile::tempdir().expect("tempdir");
    let failing = script(&dir, "import sys\nsys.stderr.write('Traceback...\\nKeyError: customer\\n')\nsys.exit(3)\n");
    let model = CommandModel::new(python(), vec![failing.display().to_string()], Duration::from_secs(30));
    let (text, context) = (text(), json!({}));
    let error = model.extract(&input(&text, &context)).expect_err("exit 3");
    assert!(error.message.contains("exit status: 3"), "{error}");
    assert!(error.message.contains("KeyError: customer"), "{error}");
    assert_eq!(error.usage.calls, 1);
}

#[test]
fn a_program_that_does_not_exist_is_named() {
    let model = CommandModel::new("/nonexistent/pilot", Vec::new(), Duration::from_secs(5));
    let (text, context) = (text(), json!({}));
    let error = model.extract(&input(&text, &context)).expect_err("no program");
    assert!(error.message.contains("/nonexistent/pilot: cannot start it"), "{error}");
}

/// The fake's answer: one order whose PO number is the first `PO <number>` of the prompt.
fn po_from_prompt(request: &Value) -> Value {
    let prompt = user_prompt(request);
    let po = prompt.split("PO ").nth(1).and_then(|rest| rest.split(':').next()).unwrap_or("none").to_owned();
    json!({"orders": [{"customer_id": "C0042", "customer_po": po, "order_date": null, "requested_date": "2026-03-16",
        "ship_to": null, "currency": "USD",
        "lines": [{"line": 1, "sku": "HV-075-BR", "customer_part": "88-1200", "description": null, "qty": 200,
                   "uom": "EA", "unit_price": 11.85}]}]})
}

fn openai(fake: &FakeOpenAi, timeout: Duration, retries: u32) -> OpenAiModel {
    OpenAiModel::new(OpenAiSettings {
        base_url: fake.base_url(),
        model: fake.model().to_owned(),
        api_key: Some("not-a-real-key".to_owned()),
        timeout,
        retries,
        backoff: Duration::from_millis(10),
        prompt_price_per_million: Decimal::new(150, 2),
        completion_price_per_million: Decimal::new(600, 2),
    })
}

#[test]
fn openai_sends_the_schema_and_the_text_and_prices_the_tokens() {
    let fake = FakeOpenAi::start(po_from_prompt).expect("fake server");
    let model = openai(&fake, Duration::from_secs(10), 0);
    let (text, context) = (text(), json!({"from": "bob@acme.example"}));
    let output = model.extract(&input(&text, &context)).expect("answers");
    let order = output.orders.first().expect("one order");
    assert_eq!(order.customer_po.as_deref(), Some("4500012345"));
    assert_eq!(order.requested_date.map(|d| d.to_string()).as_deref(), Some("2026-03-16"));
    assert_eq!(order.lines.first().and_then(|l| l.unit_price), Some(Decimal::new(1185, 2)));

    let requests = fake.requests();
    let request = requests.first().expect("one request");
    assert_eq!(request.pointer("/response_format/type"), Some(&json!("json_schema")));
    assert_eq!(request.pointer("/response_format/json_schema/name"), Some(&json!("purchase_orders")));
    assert_eq!(request.pointer("/response_format/json_schema/strict"), Some(&json!(true)));
    let required = request.pointer("/response_format/json_schema/schema/properties/orders/items/required");
    assert!(required.and_then(Value::as_array).is_some_and(|r| r.contains(&json!("customer_po"))), "{request}");
    assert!(user_prompt(request).contains("200 x HV-075-BR"), "the text is in the prompt");
    assert!(user_prompt(request).contains("bob@acme.example"), "the context is in the prompt");

    let usage = &output.usage;
    assert_eq!(usage.extractor, "openai:prodline-fake-orders");
    assert_eq!(usage.calls, 1);
    assert!(usage.prompt_tokens > 100 && usage.completion_tokens > 10, "{usage:?}");
    let expected = (Decimal::from(usage.prompt_tokens) * Decimal::new(150, 2)
        + Decimal::from(usage.completion_tokens) * Decimal::new(600, 2))
        / Decimal::from(1_000_000);
    assert_eq!(usage.cost, expected);
    assert!(usage.cost > Decimal::ZERO);
}

#[test]
fn openai_retries_500_and_429_then_succeeds() {
    let fake = FakeOpenAi::start(po_from_prompt).expect("fake server");
    fake.fail_next(1, Fault::Status(500));
    fake.fail_next(1, Fault::Status(429));
    let model = openai(&fake, Duration::from_secs(10), 2);
    let (text, context) = (text(), json!({}));
    let output = model.extract(&input(&text, &context)).expect("third attempt answers");
    assert_eq!(output.orders.len(), 1);
    assert_eq!(output.usage.calls, 3);
    assert_eq!(fake.requests().len(), 3);
}

#[test]
fn openai_gives_up_after_its_retries_naming_the_last_error() {
    let fake = FakeOpenAi::start(po_from_prompt).expect("fake server");
    fake.fail_next(5, Fault::Status(503));
    let model = openai(&fake, Duration::from_secs(10), 1);
    let (text, context) = (text(), json!({}));
    let error = model.extract(&input(&text, &context)).expect_err("gives up");
    assert!(error.message.contains("gave up after 2 attempts"), "{error}");
    assert!(error.message.contains("503"), "{error}");
    assert_eq!(error.usage.calls, 2);
}

#[test]
fn openai_times_out_a_stalled_server_and_retries() {
    let fake = FakeOpenAi::start(po_from_prompt).expect("fake server");
    fake.fail_next(1, Fault::Stall(Duration::from_secs(3)));
    let model = openai(&fake, Duration::from_millis(400), 1);
    let (text, context) = (text(), json!({}));
    let started = Instant::now();
    let output = model.extract(&input(&text, &context)).expect("the retry answers");
    assert!(started.elapsed() < Duration::from_secs(3), "did not wait the stall out: {:?}", started.elapsed());
    assert_eq!(output.usage.calls, 2);
}

#[test]
fn openai_content_that_is_not_orders_is_an_error_with_its_position() {
    let fake = FakeOpenAi::start(|_| json!({"order": "4711"})).expect("fake server");
    let model = openai(&fake, Duration::from_secs(10), 2);
    let (text, context) = (text(), json!({}));
    let error = model.extract(&input(&text, &context)).expect_err("not orders");
    assert!(error.message.contains("missing field `orders`"), "{error}");
    assert_eq!(error.usage.calls, 1, "a wrong answer is not retried");
    assert!(error.usage.cost > Decimal::ZERO, "its tokens still cost: {:?}", error.usage);
}
