//! The file-drop target's story on a real folder: deliver, repeat, read back,
//! and never expose a partial file to a reader.

use std::fs;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use prodline_connect::file_drop::{
    CSV_COLUMNS, FileDropBuildError, FileDropConfig, FileDropFormat, FileDropHealthcheckError, FileDropTarget,
};
use prodline_connect::{Delivery, DeliveryError, idempotency_key};
use prodline_core::{CanonicalLine, CanonicalOrder, Decimal, NaiveDate};

fn decimal(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap_or_else(|error| panic!("{text}: {error}"))
}

fn order(po: &str) -> CanonicalOrder {
    CanonicalOrder {
        customer_id: Some("C0042".to_owned()),
        customer_po: Some(po.to_owned()),
        order_date: NaiveDate::from_ymd_opt(2026, 3, 2),
        requested_date: NaiveDate::from_ymd_opt(2026, 3, 16),
        ship_to: Some("ST-0042-01".to_owned()),
        currency: Some("USD".to_owned()),
        lines: vec![
            CanonicalLine {
                line: Some(1),
                sku: Some("HV-075-BR".to_owned()),
                customer_part: Some("88-1200".to_owned()),
                description: Some("3/4in brass ball valve, \"lead-free\"; 600 WOG".to_owned()),
                qty: decimal("200"),
                uom: Some("EA".to_owned()),
                unit_price: Some(decimal("11.850")),
            },
            CanonicalLine {
                line: Some(2),
                sku: Some("CU-PIPE-12".to_owned()),
                customer_part: None,
                description: Some("copper pipe\nsecond line of text".to_owned()),
                qty: decimal("12.5"),
                uom: Some("FT".to_owned()),
                unit_price: None,
            },
        ],
    }
}

fn target(folder: &Path, format: FileDropFormat) -> FileDropTarget {
    let config = FileDropConfig { path: folder.to_path_buf(), format };
    FileDropTarget::build(&config).unwrap_or_else(|error| panic!("build: {error}"))
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|error| panic!("tempdir: {error}"))
}

fn file_names(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(folder)
        .unwrap_or_else(|error| panic!("{}: {error}", folder.display()))
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

fn posted_name(delivery: Delivery) -> String {
    match delivery {
        Delivery::Posted { erp_key } => erp_key,
        other => panic!("expected Posted, got {other:?}"),
    }
}

#[test]
fn json_delivery_writes_the_canonical_order_and_its_key() {
    let folder = temp_dir();
    let target = target(folder.path(), FileDropFormat::Json);
    let order = order("4500012345");
    let key = idempotency_key("orders", "C0042", "4500012345", 0);
    let name = posted_name(target.deliver(&order, &key).unwrap_or_else(|error| panic!("deliver: {error}")));
    assert!(name.starts_with("C0042_4500012345_") && name.ends_with(".json"), "{name}");
    assert_eq!(file_names(folder.path()), vec![name.clone()]);

    let text = fs::read_to_string(folder.path().join(&name)).unwrap_or_else(|error| panic!("read: {error}"));
    let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|error| panic!("json: {error}"));
    assert_eq!(value["idempotency_key"], serde_json::json!(key));
    assert_eq!(value["lines"][0]["unit_price"], serde_json::json!(11.85));
    assert_eq!(value["order_date"], serde_json::json!("2026-03-02"));
    let read_back: CanonicalOrder = serde_json::from_value(value).unwrap_or_else(|error| panic!("order: {error}"));
    assert_eq!(read_back, order);
}

#[test]
fn csv_delivery_writes_one_row_per_line_with_exact_decimals() {
    let folder = temp_dir();
    let target = target(folder.path(), FileDropFormat::Csv);
    let order = order("PO/77 rev.2");
    let name = posted_name(target.deliver(&order, "key-1").unwrap_or_else(|error| panic!("deliver: {error}")));
    assert!(name.starts_with("C0042_PO-77-rev-2_") && name.ends_with(".csv"), "{name}");

    let mut reader = csv::Reader::from_path(folder.path().join(&name)).unwrap_or_else(|error| panic!("csv: {error}"));
    let header = reader.headers().unwrap_or_else(|error| panic!("header: {error}")).clone();
    assert_eq!(header.iter().collect::<Vec<_>>(), CSV_COLUMNS);
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|record| record.unwrap_or_else(|error| panic!("row: {error}")).iter().map(str::to_owned).collect())
        .collect();
    let expected = [
        [
            "C0042",
            "PO/77 rev.2",
            "2026-03-02",
            "2026-03-16",
            "ST-0042-01",
            "USD",
            "1",
            "HV-075-BR",
            "88-1200",
            "3/4in brass ball valve, \"lead-free\"; 600 WOG",
            "200",
            "EA",
            "11.850",
        ],
        [
            "C0042",
            "PO/77 rev.2",
            "2026-03-02",
            "2026-03-16",
            "ST-0042-01",
            "USD",
            "2",
            "CU-PIPE-12",
            "",
            "copper pipe\nsecond line of text",
            "12.5",
            "FT",
            "",
        ],
    ];
    assert_eq!(rows, expected.map(|row| row.map(str::to_owned).to_vec()).to_vec());
    for (row, line) in rows.iter().zip(&order.lines) {
        assert_eq!(row.get(10).map(|qty| decimal(qty)), Some(line.qty));
    }
}

#[test]
fn repeat_delivery_is_already_posted_and_leaves_one_file() {
    let folder = temp_dir();
    let target = target(folder.path(), FileDropFormat::Json);
    let order = order("4500012345");
    let first = posted_name(target.deliver(&order, "pl1-repeat").unwrap_or_else(|error| panic!("first: {error}")));
    let written = fs::read(folder.path().join(&first)).unwrap_or_else(|error| panic!("read: {error}"));

    let again = target.deliver(&order, "pl1-repeat").unwrap_or_else(|error| panic!("again: {error}"));
    assert_eq!(again, Delivery::AlreadyPosted { erp_key: first.clone() });
    assert_eq!(file_names(folder.path()), vec![first.clone()]);
    assert_eq!(fs::read(folder.path().join(&first)).ok(), Some(written));

    // A rebuilt target (a restart) finds the same file.
    let restarted = self::target(folder.path(), FileDropFormat::Json);
    let after_restart = restarted.deliver(&order, "pl1-repeat").unwrap_or_else(|error| panic!("restart: {error}"));
    assert_eq!(after_restart, Delivery::AlreadyPosted { erp_key: first });

    // Another key is another order: a second file.
    posted_name(target.deliver(&order, "pl1-other").unwrap_or_else(|error| panic!("other: {error}")));
    assert_eq!(file_names(folder.path()).len(), 2);
}

#[test]
fn hostile_key_and_po_stay_inside_the_folder() {
    let folder = temp_dir();
    let target = target(folder.path(), FileDropFormat::Json);
    let mut order = order("../../etc/passwd");
    order.customer_id = None;
    let name = posted_name(target.deliver(&order, "../../x/..\\y").unwrap_or_else(|error| panic!("deliver: {error}")));
    assert!(name.starts_with("none_------etc-passwd_"), "{name}");
    assert_eq!(file_names(folder.path()), vec![name]);
}

#[test]
fn readers_only_ever_see_complete_files() {
    let folder = temp_dir();
    let target = target(folder.path(), FileDropFormat::Json);
    let mut big = order("BIG");
    let template = big.lines.first().cloned().unwrap_or_default();
    big.lines = (1..=400)
        .map(|number| CanonicalLine { line: Some(number), description: Some("x".repeat(200)), ..template.clone() })
        .collect();
    let orders = 40;
    let done = AtomicBool::new(false);
    let complete_reads = thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut complete_reads = 0_usize;
            while !done.load(Ordering::Acquire) {
                for name in file_names(folder.path()).iter().filter(|name| name.ends_with(".json")) {
                    // The file is renamed into place whole, so a name matching the pattern parses fully.
                    let Ok(text) = fs::read_to_string(folder.path().join(name)) else { continue };
                    let parsed: Result<CanonicalOrder, _> = serde_json::from_str(&text);
                    let parsed = parsed.unwrap_or_else(|error| panic!("{name} read partial: {error}"));
                    assert_eq!(parsed.lines.len(), 400, "{name}");
                    complete_reads += 1;
                }
            }
            complete_reads
        });
        for index in 0..orders {
            let key = format!("pl1-{index}");
            posted_name(target.deliver(&big, &key).unwrap_or_else(|error| panic!("{key}: {error}")));
        }
        done.store(true, Ordering::Release);
        reader.join().unwrap_or_else(|_| panic!("reader panicked"))
    });
    assert!(complete_reads > 0, "the reader never saw a file");
    let names = file_names(folder.path());
    assert_eq!(names.len(), orders);
    assert!(names.iter().all(|name| name.ends_with(".json") && !name.starts_with('.')), "{names:?}");
}

#[test]
fn failed_deliveries_leave_no_file_behind() {
    let folder = temp_dir();
    let json = target(folder.path(), FileDropFormat::Json);
    assert_eq!(json.deliver(&order("A"), ""), Err(DeliveryError::InvalidKey { length: 0 }));
    let long_key = "k".repeat(192);
    assert_eq!(json.deliver(&order("A"), &long_key), Err(DeliveryError::InvalidKey { length: 192 }));

    let csv = target(folder.path(), FileDropFormat::Csv);
    let empty = CanonicalOrder { lines: Vec::new(), ..order("EMPTY") };
    let refused = csv.deliver(&empty, "pl1-empty");
    assert!(matches!(refused, Err(DeliveryError::Rejected { duplicate_delivery: false, .. })), "{refused:?}");
    assert_eq!(file_names(folder.path()), Vec::<String>::new());
}

#[test]
fn build_creates_a_missing_folder() {
    let root = temp_dir();
    let nested = root.path().join("drop").join("orders");
    let target = target(&nested, FileDropFormat::Csv);
    assert!(nested.is_dir());
    assert_eq!(target.folder(), nested.as_path());
    assert_eq!(target.healthcheck(), Ok(()));
    assert_eq!(file_names(&nested), Vec::<String>::new(), "the probe file was removed");
}

#[test]
fn healthcheck_and_delivery_on_a_vanished_folder_name_the_path() {
    let root = temp_dir();
    let folder = root.path().join("drop");
    let target = target(&folder, FileDropFormat::Json);
    fs::remove_dir(&folder).unwrap_or_else(|error| panic!("remove: {error}"));

    let error = target.healthcheck().err();
    assert_eq!(error, Some(FileDropHealthcheckError::Missing { path: folder.clone() }));
    let shown = error.map(|error| error.to_string()).unwrap_or_default();
    assert!(shown.contains(&folder.display().to_string()), "{shown}");

    // The operator may recreate it: retry later rather than dead-letter.
    match target.deliver(&order("A"), "pl1-a") {
        Err(DeliveryError::Transient { message }) => {
            assert!(message.contains(&folder.display().to_string()), "{message}");
        }
        other => panic!("expected Transient, got {other:?}"),
    }
}

#[test]
fn healthcheck_on_a_file_says_it_is_not_a_folder() {
    let root = temp_dir();
    let target = target(root.path(), FileDropFormat::Json);
    let file = root.path().join("not-a-folder");
    fs::write(&file, b"x").unwrap_or_else(|error| panic!("write: {error}"));
    let built = FileDropTarget::build(&FileDropConfig { path: file.clone(), format: FileDropFormat::Json });
    match built {
        Err(FileDropBuildError::CreateFolder { path, .. }) => assert_eq!(path, file),
        other => panic!("expected CreateFolder, got {other:?}"),
    }
    assert_eq!(target.healthcheck(), Ok(()));
}

/// A folder this process cannot create files in. Root ignores mode bits, so
/// there (CI containers) sysfs stands in: it refuses new files even to root.
#[cfg(unix)]
fn unwritable_folder(root: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let folder = root.join("readonly");
    fs::create_dir(&folder).unwrap_or_else(|error| panic!("mkdir: {error}"));
    fs::set_permissions(&folder, fs::Permissions::from_mode(0o555)).unwrap_or_else(|error| panic!("chmod: {error}"));
    let probe = folder.join("probe");
    if fs::write(&probe, b"x").is_ok() {
        let _ = fs::remove_file(&probe);
        return PathBuf::from("/sys");
    }
    folder
}

#[cfg(unix)]
#[test]
fn build_on_a_readonly_folder_fails_naming_it() {
    let root = temp_dir();
    let folder = unwritable_folder(root.path());
    let built = FileDropTarget::build(&FileDropConfig { path: folder.clone(), format: FileDropFormat::Csv });
    match built {
        Err(FileDropBuildError::Folder(FileDropHealthcheckError::NotWritable { path, message })) => {
            assert_eq!(path, folder);
            assert!(!message.is_empty());
        }
        other => panic!("expected NotWritable, got {other:?}"),
    }
}

#[test]
fn config_reads_format_as_lowercase_and_rejects_unknown_ones() {
    let config: FileDropConfig = serde_json::from_str(r#"{"path": "/srv/drop", "format": "csv"}"#)
        .unwrap_or_else(|error| panic!("config: {error}"));
    assert_eq!(config, FileDropConfig { path: PathBuf::from("/srv/drop"), format: FileDropFormat::Csv });
    assert!(serde_json::from_str::<FileDropConfig>(r#"{"path": "/srv/drop", "format": "xml"}"#).is_err());
    assert!(serde_json::from_str::<FileDropConfig>(r#"{"path": "/d", "format": "json", "paht": 1}"#).is_err());

    let empty = FileDropConfig { path: PathBuf::new(), format: FileDropFormat::Json };
    let errors = empty.validate().err().unwrap_or_default();
    assert_eq!(errors.iter().map(|error| error.key).collect::<Vec<_>>(), ["path"]);
}
