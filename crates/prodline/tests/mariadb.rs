//! `prodline check` and `prodline run` into a legacy ERP on the real MariaDB
//! at 127.0.0.1:3306 (started by scripts/services.sh): the example
//! deployment of `prodline init`, its SQL target pointed at MariaDB tables of
//! the same shape, the URL read from an environment variable.

mod support;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use prodline_testkit::orders::{UNKNOWN_PART, VALVE_1_CASES, VALVE_3_4, x12_850};
use sqlx::{AssertSqlSafe, Connection, MySqlConnection, Row};
use support::init_deployment;

const MARIADB_URL: &str = "mysql://root@127.0.0.1:3306/test";
const URL_ENV: &str = "PRODLINE_TEST_ERP_URL";

async fn mariadb() -> MySqlConnection {
    MySqlConnection::connect(MARIADB_URL)
        .await
        .unwrap_or_else(|error| panic!("MariaDB at {MARIADB_URL} (scripts/services.sh starts it): {error}"))
}

/// Table names no other test (or earlier run) uses.
fn unique_suffix() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!("{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

async fn execute(db: &mut MySqlConnection, sql: String) {
    sqlx::query(AssertSqlSafe(sql.clone())).execute(db).await.unwrap_or_else(|error| panic!("{sql}: {error}"));
}

fn prodline(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_prodline"))
        .args(args)
        .args(["-c", config.to_str().expect("utf-8 path")])
        .env(URL_ENV, MARIADB_URL)
        .output()
        .expect("run prodline")
}

#[tokio::test]
async fn run_posts_into_a_mariadb_erp_once() {
    let mut db = mariadb().await;
    let suffix = unique_suffix();
    let (header, lines, deliveries) =
        (format!("SO_HDR_{suffix}"), format!("SO_LIN_{suffix}"), format!("prodline_deliveries_{suffix}"));
    execute(
        &mut db,
        format!(
            "CREATE TABLE {header} (so_id INTEGER PRIMARY KEY AUTO_INCREMENT, cust_po_2 VARCHAR(22) NOT NULL, \
             cust_no CHAR(8), ord_dt CHAR(8), req_dt CHAR(8), ship_cd VARCHAR(10), src_cd CHAR(3))"
        ),
    )
    .await;
    execute(
        &mut db,
        format!(
            "CREATE TABLE {lines} (so_id INTEGER NOT NULL, ln_no CHAR(3), item_no VARCHAR(20) NOT NULL, \
             qty DECIMAL(12,3), uom_cd VARCHAR(6), price DECIMAL(12,4))"
        ),
    )
    .await;

    let dir = tempfile::tempdir().expect("temp dir");
    let config = init_deployment(dir.path(), None);
    let text = std::fs::read_to_string(&config).expect("read config");
    let text = text
        .replacen(
            "url = \"sqlite:erp.sqlite\"",
            &format!("url_env = \"{URL_ENV}\"\ndeliveries_table = \"{deliveries}\""),
            1,
        )
        .replacen("header_table = \"SO_HDR\"", &format!("header_table = \"{header}\""), 1)
        .replacen("lines_table = \"SO_LIN\"", &format!("lines_table = \"{lines}\""), 1);
    std::fs::write(&config, text).expect("write config");
    let inbox = dir.path().join("inbox");
    std::fs::write(inbox.join("po-1.x12"), x12_850("4500007001", 1, &[VALVE_3_4, VALVE_1_CASES])).expect("inbox");
    std::fs::write(inbox.join("po-2.x12"), x12_850("4500007002", 2, &[VALVE_3_4, UNKNOWN_PART])).expect("inbox");

    let check = prodline(&config, &["check"]);
    let said = String::from_utf8_lossy(&check.stdout).into_owned() + &String::from_utf8_lossy(&check.stderr);
    assert!(check.status.success(), "check: {said}");
    let run = prodline(&config, &["run", "--once"]);
    let said = String::from_utf8_lossy(&run.stdout).into_owned() + &String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "run: {said}");
    assert!(said.contains("posted 1"), "{said}");
    let again = prodline(&config, &["run", "--once"]);
    assert!(again.status.success());

    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT h.cust_po_2, h.cust_no, l.ln_no, l.item_no, CAST(l.qty AS CHAR), l.uom_cd \
         FROM {header} h JOIN {lines} l ON l.so_id = h.so_id ORDER BY l.ln_no"
    )))
    .fetch_all(&mut db)
    .await
    .expect("read the ERP");
    let rows: Vec<(String, String, String, String, String, String)> =
        rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5))).collect();
    let row = |ln: &str, item: &str, qty: &str, uom: &str| {
        ("4500007001".to_owned(), "C0001".to_owned(), ln.to_owned(), item.to_owned(), qty.to_owned(), uom.to_owned())
    };
    assert_eq!(rows, [row("001", "HV-075-BR", "200.000", "PCS"), row("002", "HV-100-BR", "5.000", "CASE")]);
    let keys: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) FROM {deliveries}")))
        .fetch_one(&mut db)
        .await
        .expect("deliveries table");
    assert_eq!(keys, 1, "one idempotency key, in the ERP's own database");

    for table in [lines, header, deliveries] {
        execute(&mut db, format!("DROP TABLE {table}")).await;
    }
}
