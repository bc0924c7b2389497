//! The teardown: `audit` rules on hand-made facts, `plan` figures computed
//! by hand, CANDIDATES.toml errors by file, candidate and key.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use prodline_core::Decimal;
use prodline_core::stats::Proportion;
use prodline_eval::teardown::{
    AccuracyFacts, Area, AuditFacts, Candidate, CandidatesError, DataAtHand, EvalFacts, IntegrationFacts,
    OperatingFacts, Owner, Risk, Status, ValueFacts, audit, audit_markdown, load_candidates, parse_candidates, plan,
    plan_markdown,
};
use prodline_eval::{RunInfo, score};

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap_or_else(|e| panic!("bad decimal {text:?} in a test: {e}"))
}

fn example_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/plan/candidates.toml")
}

fn example() -> Vec<Candidate> {
    load_candidates(&example_path()).unwrap()
}

fn candidate(name: &str, volume: u64, minutes: &str) -> Candidate {
    Candidate {
        name: name.into(),
        process: format!("{name} by hand"),
        volume_per_month: volume,
        minutes_per_transaction: dec(minutes),
        kpi: "hours per month".into(),
        kpi_owner: Some("Head of Customer Service".into()),
        target_system: "Tryton ERP".into(),
        target_has_api: true,
        data_at_hand: DataAtHand::History,
        risk: None,
        notes: None,
    }
}

// ---- plan: figures by hand ----

#[test]
fn hours_fte_and_score_match_the_hand_computation() {
    // Order entry: 2400 × 6 min = 14,400 min = 240 h; 240 / 160 = 1.5 FTE;
    // api 1.0 × history 1.0 × owner 1.0 × medium (not given) 0.8 = 0.8;
    // score 240 × 0.8 = 192.
    let order_entry = candidate("Order entry", 2400, "6");
    // Certificates: 600 × 8 = 4,800 min = 80 h; 80 / 160 = 0.5 FTE;
    // no api 0.6 × samples 0.6 × no owner 0.5 × high 0.5 = 0.09; 80 × 0.09 = 7.2.
    let certificates = Candidate {
        kpi_owner: None,
        target_has_api: false,
        data_at_hand: DataAtHand::Samples,
        risk: Some(Risk::High),
        ..candidate("Certificates", 600, "8")
    };
    // Freight: 350 × 10 = 3,500 min = 58.333… h → 58.3; 58.333… / 160 =
    // 0.3645… → 0.36; no api 0.6 × none 0.3 × owner 1 × low 1.0 = 0.18;
    // 58.333… × 0.18 = 10.5.
    let freight = Candidate {
        target_has_api: false,
        data_at_hand: DataAtHand::None,
        risk: Some(Risk::Low),
        ..candidate("Freight", 350, "10")
    };
    let report = plan(&[certificates, freight, order_entry]);
    let all: Vec<_> = report.proposed.iter().collect();
    assert_eq!(all.len(), 3);
    let first = all[0];
    assert_eq!((first.name.as_str(), first.rank), ("Order entry", 1));
    assert_eq!((first.hours_per_month, first.fte, first.score), (dec("240"), dec("1.5"), dec("192")));
    assert_eq!(first.feasibility.product, dec("0.8"));
    let second = all[1];
    assert_eq!(second.name, "Freight");
    assert_eq!((second.hours_per_month, second.fte, second.score), (dec("58.3"), dec("0.36"), dec("10.5")));
    let third = all[2];
    assert_eq!(third.name, "Certificates");
    assert_eq!((third.hours_per_month, third.fte, third.score), (dec("80"), dec("0.5"), dec("7.2")));
    assert_eq!(third.feasibility.product, dec("0.09"));
    // 240 + 58.333… + 80 = 378.333… h → 378.3; / 160 = 2.3645… → 2.36 FTE.
    assert_eq!((report.total_hours_per_month, report.total_fte), (dec("378.3"), dec("2.36")));
    assert!(report.later.is_empty());
}

#[test]
fn the_example_ranks_by_hours_times_feasibility() {
    // By hand, hours × api × data × owner × risk:
    // order entry 240 × 0.8 = 192; confirmations 100 × 1 = 100; invoices
    // 150 × 0.5 = 75; delivery dates 75 × 0.6 = 45; RMA 30 × 0.6 × 0.8 =
    // 14.4; freight 58.33 × 0.6 × 0.3 × 0.8 = 8.4; price lists 30 × 0.5 ×
    // 0.5 = 7.5; certificates 80 × 0.6 × 0.6 × 0.5 × 0.5 = 7.2.
    let report = plan(&example());
    let names: Vec<&str> = report.proposed.iter().chain(&report.later).map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Order entry from customer POs",
            "Supplier order confirmations",
            "Invoice matching",
            "Delivery-date requests by e-mail",
            "RMA intake",
            "Freight bookings",
            "Price-list updates",
            "Quality certificates",
        ]
    );
    let scores: Vec<Decimal> = report.proposed.iter().chain(&report.later).map(|c| c.score).collect();
    let expected: Vec<Decimal> = ["192", "100", "75", "45", "14.4", "8.4", "7.5", "7.2"].map(dec).to_vec();
    assert_eq!(scores, expected);
    assert_eq!(report.proposed.len(), 5);
    assert_eq!(report.later.len(), 3);
    let ranks: Vec<usize> = report.later.iter().map(|c| c.rank).collect();
    assert_eq!(ranks, [6, 7, 8]);
    // error_cost = "high" is read as the risk.
    assert_eq!(report.proposed[2].feasibility.risk, dec("0.5"));
}

#[test]
fn ties_go_to_more_hours_then_to_the_name() {
    // 100 h × 0.6 (samples) = 60 and 60 h × 1.0 = 60: the same score.
    let sampled = Candidate { data_at_hand: DataAtHand::Samples, risk: Some(Risk::Low), ..candidate("B", 1000, "6") };
    let history = Candidate { risk: Some(Risk::Low), ..candidate("A", 600, "6") };
    let twin = Candidate { risk: Some(Risk::Low), ..candidate("C", 600, "6") };
    let report = plan(&[twin, history, sampled]);
    let names: Vec<&str> = report.proposed.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["B", "A", "C"]);
}

#[test]
fn a_candidate_without_an_owner_gets_the_blocker_and_it_comes_first() {
    let report = plan(&example());
    let price_lists = report.later.iter().find(|c| c.name == "Price-list updates").unwrap();
    assert!(price_lists.blockers[0].starts_with("no KPI owner"), "{:?}", price_lists.blockers);
    assert!(price_lists.first_step.contains("[workflow.kpi] owner"), "{}", price_lists.first_step);
    let why_not = price_lists.why_not_now.as_deref().unwrap();
    assert!(why_not.contains("below the fifth proposed (14.4)") && why_not.contains("no KPI owner"), "{why_not}");
    let owned = &report.proposed[0];
    assert!(owned.blockers.iter().all(|b| !b.contains("KPI owner")), "{:?}", owned.blockers);
    assert!(owned.why_not_now.is_none());
}

#[test]
fn plan_markdown_states_the_formula_and_each_step() {
    let report = plan(&example());
    let markdown = plan_markdown(&report);
    assert!(markdown.contains("api: 1.0 with an API, 0.6 without"), "{markdown}");
    for c in &report.proposed {
        assert!(markdown.contains(&format!("### {}. {} (score {})", c.rank, c.name, c.score)), "{markdown}");
        assert!(markdown.contains(&c.first_step), "{markdown}");
    }
    assert!(markdown.contains("## Not now"));
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["proposed"][0]["name"], "Order entry from customer POs");
    assert_eq!(json["later"][2]["kpi_owner"], serde_json::Value::Null);
}

// ---- CANDIDATES.toml errors ----

const GOOD: &str = r#"
[[candidate]]
name = "Order entry"
process = "POs keyed in"
volume_per_month = 2400
minutes_per_transaction = 6
kpi = "hours"
kpi_owner = "Head of Customer Service"
target_system = "ERP"
target_has_api = true
data_at_hand = "history"
"#;

fn problems(text: &str) -> (String, Vec<prodline_eval::teardown::CandidateProblem>) {
    match parse_candidates(text, Path::new("plans/candidates.toml")) {
        Err(error @ CandidatesError::Invalid { .. }) => {
            let message = error.to_string();
            let CandidatesError::Invalid { problems, .. } = error else { unreachable!() };
            (message, problems)
        }
        other => panic!("expected invalid candidates, got {other:?}"),
    }
}

#[test]
fn a_good_file_parses_with_decimal_minutes_and_optional_keys() {
    let text = GOOD.replace("minutes_per_transaction = 6", "minutes_per_transaction = 4.5");
    let text = format!("{text}risk = \"low\"\nnotes = \"two years in the mailbox\"\n");
    let parsed = parse_candidates(&text, Path::new("c.toml")).unwrap();
    assert_eq!(parsed.len(), 1);
    assert_eq!(parsed[0].minutes_per_transaction, dec("4.5"));
    assert_eq!(parsed[0].risk, Some(Risk::Low));
    assert_eq!(parsed[0].notes.as_deref(), Some("two years in the mailbox"));
}

#[test]
fn a_bad_value_names_file_candidate_key_and_position() {
    let second = GOOD.replace("\"Order entry\"", "\"RMA intake\"").replace("= 2400", "= \"lots\"");
    let text = format!("{GOOD}{second}");
    let (message, problems) = problems(&text);
    assert_eq!(problems.len(), 1, "{message}");
    let problem = &problems[0];
    assert_eq!(
        (problem.index, problem.name.as_deref(), problem.key.as_str()),
        (2, Some("RMA intake"), "volume_per_month")
    );
    // GOOD is 11 lines (an empty one, then ten keys and the header); the
    // second copy's volume is its line 5, so line 16, and the value starts
    // after `volume_per_month = ` (19 characters): column 20.
    assert_eq!((problem.line, problem.column), (16, 20));
    assert_eq!(
        message,
        "plans/candidates.toml:16:20: candidate 2 (\"RMA intake\"): volume_per_month: \
         expected a whole number (transactions a month), found a string"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = GOOD
        .replace("kpi = \"hours\"\n", "")
        .replace(
            "data_at_hand = \"history\"",
            "data_at_hand = \"lots\"\nerror_cost = \"high\"\nrisk = \"low\"\ncolour = 1",
        )
        .replace("minutes_per_transaction = 6", "minutes_per_transaction = 0");
    let (message, problems) = problems(&text);
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["colour", "minutes_per_transaction", "kpi", "data_at_hand", "error_cost"], "{message}");
    assert!(message.contains("kpi: missing"), "{message}");
    assert!(message.contains("data_at_hand: expected \"none\", \"samples\" or \"history\", found \"lots\""));
    assert!(message.contains("error_cost: give either risk or error_cost, not both"));
    assert!(message.contains("colour: unknown key"));
    assert!(message.lines().all(|line| line.starts_with("plans/candidates.toml:")), "{message}");
}

#[test]
fn duplicate_names_and_blank_names_are_problems() {
    let blank = GOOD.replace("name = \"Order entry\"", "name = \" \"");
    let text = format!("{GOOD}{GOOD}{blank}");
    let (message, problems) = problems(&text);
    let found: Vec<(usize, &str, &str)> =
        problems.iter().map(|p| (p.index, p.key.as_str(), p.message.as_str())).collect();
    assert_eq!(found, [(3, "name", "empty"), (2, "name", "the same name as candidate 1")], "{message}");
}

#[test]
fn a_toml_syntax_error_names_file_line_and_column() {
    let text = GOOD.replace("target_has_api = true", "target_has_api = yes");
    match parse_candidates(&text, Path::new("plans/candidates.toml")) {
        Err(CandidatesError::Toml { path, line, column, message }) => {
            assert_eq!(path, Path::new("plans/candidates.toml"));
            assert_eq!((line, column), (10, 18), "{message}");
        }
        other => panic!("expected a TOML error, got {other:?}"),
    }
}

#[test]
fn a_misspelt_table_and_an_empty_file_are_errors() {
    let text = GOOD.replace("[[candidate]]", "[[candidates]]");
    let error = parse_candidates(&text, Path::new("c.toml")).unwrap_err();
    assert!(matches!(error, CandidatesError::Toml { line: 2, .. }), "{error:?}");
    assert!(error.to_string().contains("candidates"), "{error}");
    let error = parse_candidates("# nothing yet\n", Path::new("c.toml")).unwrap_err();
    assert_eq!(error.to_string(), "c.toml: no [[candidate]] tables");
    let error = load_candidates(Path::new("/nonexistent/candidates.toml")).unwrap_err();
    assert!(error.to_string().starts_with("/nonexistent/candidates.toml: cannot read"), "{error}");
}

// ---- audit ----

fn eval_facts() -> EvalFacts {
    EvalFacts {
        documents: 300,
        dataset: Some("exports/2026-q3".into()),
        random_sample: true,
        sample: Some(300),
        documents_available: Some(2140),
        curated_share: None,
        gap: None,
        // 588/590: Wilson lower bound ≈ 98.8 %.
        auto_precision: Proportion::new(588, 590),
        auto_precision_lower_bound: Some(Proportion::new(588, 590).low),
        order_accuracy: Proportion::new(290, 310),
        stp_rate: Proportion::new(250, 310),
        garbage_auto_approved: Proportion::new(0, 12),
    }
}

fn complete() -> AuditFacts {
    AuditFacts {
        workflow: "customer_orders".into(),
        owner: Some(Owner { name: "Order Desk".into(), email: "orders@example.com".into() }),
        eval: Some(eval_facts()),
        integration: IntegrationFacts {
            target_kind: Some("tryton".into()),
            checked: true,
            reachable: Some(true),
            mapping_ok: Some(true),
            problems: vec![],
            has_api: true,
        },
        accuracy: AccuracyFacts {
            slo_target: Some(0.92),
            window_rule: Some("below 90 % over the last 100 labelled".into()),
            sequential_test: false,
            audit_rate: 0.05,
            alert_channels: 1,
            owner_named: true,
            drift_watch: true,
            liveness_watch: true,
        },
        operating: OperatingFacts {
            owner_named: true,
            budget_monthly: Some(dec("400")),
            rates_known: true,
            cost_per_order: Some(dec("0.04")),
            currency: Some("EUR".into()),
        },
        value: ValueFacts {
            kpi_name: Some("order entry hours per month".into()),
            kpi_owner: Some("Head of Customer Service".into()),
            minutes_per_manual_order: Some(dec("6")),
        },
    }
}

#[test]
fn complete_facts_pass_every_area() {
    let report = audit(&complete());
    for area in &report.areas {
        assert_eq!(area.status, Status::Pass, "{:?}", area);
        assert!(area.findings.iter().all(|f| f.fix.is_none()));
    }
    assert_eq!((report.score, report.passed_areas, report.blockers, report.warnings), (100, 5, 0, 0));
    assert_eq!(report.verdict, "ready");
    assert_eq!(report.areas.map(|a| a.area), Area::ALL);
}

#[test]
fn empty_facts_fail_all_five_areas_each_with_a_fix() {
    let report = audit(&AuditFacts::default());
    for area in &report.areas {
        assert_eq!(area.status, Status::Fail, "{:?}", area);
        let blockers: Vec<_> = area.findings.iter().filter(|f| f.is_blocker()).collect();
        assert!(!blockers.is_empty());
        assert!(blockers.iter().all(|f| f.fix.as_deref().is_some_and(|fix| !fix.is_empty())));
    }
    // data 1 (no eval), integration 1 (no target), accuracy 5 (SLO, alarm,
    // audit rate, channel, owner), operating 2 (owner, budget), value 2.
    assert_eq!((report.blockers, report.score, report.passed_areas), (11, 0, 0));
    assert_eq!(report.verdict, "blocked: 11 blockers");
    let fixes: Vec<&str> = report.areas.iter().flat_map(|a| &a.findings).filter_map(|f| f.fix.as_deref()).collect();
    for expected in [
        "prodline eval --dataset DATASET --sample 300",
        "prodline check -c prodline.toml",
        "[workflow.slo] target = 0.92",
        "set audit_rate = 0.05 under [workflow.decision]",
        "[[workflow.alert]]",
        "[workflow.budget] monthly",
        "[workflow.kpi] name",
        "[workflow.kpi] owner",
    ] {
        assert!(fixes.iter().any(|fix| fix.contains(expected)), "no fix names {expected}: {fixes:#?}");
    }
    let accuracy = &report.areas[2].findings;
    let audit_rate = accuracy.iter().find(|f| f.what.contains("unbiased")).unwrap();
    assert_eq!(
        format!("{}: {}", audit_rate.what, audit_rate.fix.as_deref().unwrap()),
        "no unbiased view of auto-approve accuracy: set audit_rate = 0.05 under [workflow.decision]"
    );
}

#[test]
fn data_rules_fail_on_curated_runs_and_garbage_and_warn_on_weak_figures() {
    let mut facts = complete();
    facts.eval = Some(EvalFacts {
        random_sample: false,
        sample: None,
        documents: 120,
        // 96/100: Wilson lower bound ≈ 90.2 %, under the 97 % gate.
        auto_precision: Proportion::new(96, 100),
        auto_precision_lower_bound: Some(Proportion::new(96, 100).low),
        garbage_auto_approved: Proportion::new(1, 12),
        ..eval_facts()
    });
    let report = audit(&facts);
    let data = &report.areas[0];
    let statuses: Vec<Status> = data.findings.iter().map(|f| f.status).collect();
    // sampled, documents, garbage, lower bound
    assert_eq!(statuses, [Status::Fail, Status::Warn, Status::Fail, Status::Warn]);
    assert_eq!(data.status, Status::Fail);
    assert_eq!((report.blockers, report.warnings, report.score), (2, 2, 80));
    assert!(data.findings[3].what.contains("lower bound 90.2 %"), "{}", data.findings[3].what);
}

#[test]
fn a_curated_gap_over_five_points_warns() {
    let mut facts = complete();
    let mut eval = eval_facts();
    eval.gap = Some(prodline_eval::GapPoints { order_accuracy: Some(7.5), auto_precision: Some(1.0), stp_rate: None });
    facts.eval = Some(eval);
    let report = audit(&facts);
    assert_eq!(report.areas[0].status, Status::Warn);
    assert_eq!(report.verdict, "ready");
    assert_eq!(report.score, 90);
}

#[test]
fn integration_probe_problems_are_each_a_blocker() {
    let mut facts = complete();
    facts.integration.reachable = Some(false);
    facts.integration.has_api = false;
    facts.integration.problems = vec!["table sale_sale: column ref missing".into()];
    let report = audit(&facts);
    let integration = &report.areas[1];
    let statuses: Vec<Status> = integration.findings.iter().map(|f| f.status).collect();
    assert_eq!(statuses, [Status::Fail, Status::Pass, Status::Fail, Status::Warn]);
    assert_eq!(report.verdict, "blocked: 2 blockers");
    facts.integration.checked = false;
    let unchecked = audit(&facts);
    assert_eq!(unchecked.areas[1].findings.len(), 1);
    assert!(unchecked.areas[1].findings[0].fix.as_deref().unwrap().contains("prodline check -c prodline.toml"));
}

#[test]
fn audit_markdown_carries_every_blockers_fix() {
    let report = audit(&AuditFacts { workflow: "customer_orders".into(), ..AuditFacts::default() });
    let markdown = audit_markdown(&report);
    assert!(markdown.contains("**Verdict: blocked: 11 blockers**"), "{markdown}");
    for area in &report.areas {
        assert!(markdown.contains(&format!("## {} — FAIL", area.area.title())), "{markdown}");
        for finding in &area.findings {
            assert!(markdown.contains(&finding.what), "{markdown}");
            assert!(markdown.contains(&format!("fix: {}", finding.fix.as_deref().unwrap())), "{markdown}");
        }
    }
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["areas"][2]["area"], "accuracy_ownership");
    assert_eq!(json["areas"][2]["status"], "fail");
    assert_eq!(json["verdict"], "blocked: 11 blockers");
}

#[test]
fn eval_facts_come_from_the_report() {
    let mut report = score(&[]);
    assert!(!EvalFacts::from_report(&report).random_sample, "a report without run info is no random sample");
    report.documents = 300;
    report.overall.auto_precision = Proportion::new(200, 201);
    report.garbage.auto_approved = Proportion::new(0, 9);
    report.run = Some(RunInfo {
        dataset: "exports/q3".into(),
        documents_available: 2140,
        documents_without_truth: 0,
        sample: Some(300),
        seed: Some(1),
        replay: true,
        auto_threshold: 0.9,
        extractor: "builtin".into(),
        challenger: None,
        curated: false,
    });
    let facts = EvalFacts::from_report(&report);
    assert!(facts.random_sample);
    assert_eq!((facts.documents, facts.sample, facts.documents_available), (300, Some(300), Some(2140)));
    // No explicit lower bound in the report: the interval's low end.
    assert_eq!(facts.auto_precision_lower_bound, Some(Proportion::new(200, 201).low));
    assert_eq!(facts.garbage_auto_approved.trials, 9);
    assert_eq!(facts.dataset.as_deref(), Some("exports/q3"));
}
