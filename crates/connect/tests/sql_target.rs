//! The SQL target's story, run against real SQLite, MariaDB and PostgreSQL.
//! MariaDB and PostgreSQL must be running: `scripts/services.sh` starts them.

use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use prodline_connect::{Delivery, DeliveryError, Dialect, SqlTarget, SqlTargetConfig, idempotency_key};
use prodline_core::{CanonicalLine, CanonicalOrder, Decimal, NaiveDate};
use serde_json::json;
use sqlx::{MySqlPool, PgPool, Row, SqlitePool};

const MARIADB_URL: &str = "mysql://root@127.0.0.1:3306/test";
const POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A test-side connection, for DDL and reading rows back as text.
enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
    MySql(MySqlPool),
}

macro_rules! each_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            Db::Sqlite($pool) => $body,
            Db::Postgres($pool) => $body,
            Db::MySql($pool) => $body,
        }
    };
}

impl Db {
    async fn exec(&self, sql: &str) {
        each_pool!(self, pool => {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(pool).await.map(|_| ())
        })
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
    }

    async fn texts(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        each_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                .fetch_all(pool)
                .await
                .unwrap_or_else(|error| panic!("{sql}: {error}"));
            rows.iter()
                .map(|row| (0..row.len()).map(|i| row.try_get::<Option<String>, usize>(i).expect("text column")).collect())
                .collect()
        })
    }

    async fn count(&self, sql: &str) -> usize {
        let rows = self.texts(sql).await;
        let value = rows.first().and_then(|row| row.first()).cloned().flatten().unwrap_or_default();
        value.parse().unwrap_or_else(|_| panic!("{sql}: not a count: {value:?}"))
    }
}

/// Names of one run's tables, as the test's own SQL spells them.
struct Names {
    dialect: Dialect,
    /// `schema.` prefix for PostgreSQL, empty elsewhere.
    prefix: String,
    schema: Option<String>,
    header: String,
    lines: String,
    deliveries: String,
}

impl Names {
    fn table(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn text(&self, column: &str) -> String {
        format!("CAST({column} AS {})", self.dialect.text_type())
    }
}

fn run_id() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{}_{nanos}", std::process::id())
}

fn unreachable(what: &str, error: sqlx::Error) -> ! {
    panic!("{what} is not reachable ({error}); start it with scripts/services.sh")
}

fn config(url: &str, names: &Names, extra_header: Option<(&str, &str)>) -> SqlTargetConfig {
    let mut header = json!({
        "cust_po_2": "customer_po",
        "cust_no": "customer_id",
        "ord_dt": { "field": "order_date", "format": "%Y%m%d" },
        "req_dt": { "field": "requested_date", "format": "%Y%m%d" },
        "ship_cd": "ship_to",
        "src_cd": { "const": "WEB" },
    });
    if let (Some((column, field)), Some(map)) = (extra_header, header.as_object_mut()) {
        map.insert(column.to_owned(), json!(field));
    }
    let value = json!({
        "url": url,
        "schema": names.schema,
        "header_table": names.header,
        "lines_table": names.lines,
        "deliveries_table": names.deliveries,
        "header_key": { "generated": "so_id" },
        "header": header,
        "lines": {
            "so_id": { "header_key": true },
            "ln_no": { "field": "line", "pad": 3 },
            "item_no": "sku",
            "qty": "qty",
            "uom_cd": { "field": "uom", "map": { "EA": "PCS", "CA": "CASE" } },
            "price": "unit_price",
        },
    });
    serde_json::from_value(value).expect("config parses")
}

fn line(line: u32, sku: Option<&str>, qty: &str, uom: &str, price: Option<&str>) -> CanonicalLine {
    CanonicalLine {
        line: Some(line),
        sku: sku.map(str::to_owned),
        qty: Decimal::from_str(qty).expect("qty"),
        uom: Some(uom.to_owned()),
        unit_price: price.map(|price| Decimal::from_str(price).expect("price")),
        ..CanonicalLine::default()
    }
}

fn order(po: &str, lines: Vec<CanonicalLine>) -> CanonicalOrder {
    CanonicalOrder {
        customer_id: Some("C0001234".to_owned()),
        customer_po: Some(po.to_owned()),
        order_date: NaiveDate::from_ymd_opt(2024, 3, 9),
        requested_date: NaiveDate::from_ymd_opt(2024, 4, 1),
        ship_to: Some("ST-9".to_owned()),
        currency: Some("EUR".to_owned()),
        lines,
    }
}

fn decimal(value: &Option<String>) -> Decimal {
    Decimal::from_str(value.as_deref().unwrap_or("")).unwrap_or_else(|_| panic!("not a decimal: {value:?}"))
}

async fn create_schema(db: &Db, names: &Names, id_column: &str) {
    let header = names.table(&names.header);
    let lines = names.table(&names.lines);
    db.exec(&format!(
        "CREATE TABLE {header} (so_id {id_column}, cust_po_2 VARCHAR(22) NOT NULL, cust_no CHAR(8), \
         ord_dt CHAR(8), req_dt CHAR(8), ship_cd VARCHAR(10), src_cd CHAR(3))"
    ))
    .await;
    db.exec(&format!(
        "CREATE TABLE {lines} (so_id INTEGER NOT NULL, ln_no CHAR(3), item_no VARCHAR(20) NOT NULL, \
         qty DECIMAL(12,3), uom_cd VARCHAR(6), price DECIMAL(12,4))"
    ))
    .await;
}

/// The one story every dialect must tell the same way.
async fn story(db: &Db, url: &str, names: &Names) {
    let header_table = names.table(&names.header);
    let lines_table = names.table(&names.lines);
    let deliveries_table = names.table(&names.deliveries);
    let target = SqlTarget::build(&config(url, names, None)).await.expect("target builds");
    target.healthcheck().await.expect("healthcheck passes");

    // A delivery writes every mapped value the legacy way.
    let first = order(
        "PO-4711",
        vec![
            line(1, Some("SKU-A"), "12.500", "EA", Some("7.2500")),
            line(2, Some("SKU-B"), "3", "CA", Some("123.4567")),
        ],
    );
    let key = idempotency_key("orders", "C0001234", "PO-4711", 0);
    let Ok(Delivery::Posted { erp_key }) = target.deliver(&first, &key).await else {
        panic!("first delivery must post");
    };
    let header_sql = format!(
        "SELECT {}, {}, {}, {}, {}, {}, {} FROM {header_table}",
        names.text("so_id"),
        names.text("cust_po_2"),
        names.text("cust_no"),
        names.text("ord_dt"),
        names.text("req_dt"),
        names.text("ship_cd"),
        names.text("src_cd"),
    );
    let expected_header: Vec<Option<String>> =
        [erp_key.as_str(), "PO-4711", "C0001234", "20240309", "20240401", "ST-9", "WEB"]
            .iter()
            .map(|value| Some((*value).to_owned()))
            .collect();
    assert_eq!(db.texts(&header_sql).await, vec![expected_header]);
    let lines_sql = format!(
        "SELECT {}, {}, {}, {}, {}, {} FROM {lines_table} ORDER BY ln_no",
        names.text("so_id"),
        names.text("ln_no"),
        names.text("item_no"),
        names.text("qty"),
        names.text("uom_cd"),
        names.text("price"),
    );
    let rows = db.texts(&lines_sql).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    let expected = [("001", "SKU-A", "12.5", "PCS", "7.25"), ("002", "SKU-B", "3", "CASE", "123.4567")];
    for (row, (ln_no, sku, qty, uom, price)) in rows.iter().zip(expected) {
        assert_eq!(row[0].as_deref(), Some(erp_key.as_str()));
        assert_eq!(row[1].as_deref(), Some(ln_no));
        assert_eq!(row[2].as_deref(), Some(sku));
        assert_eq!(decimal(&row[3]), Decimal::from_str(qty).expect("qty"));
        assert_eq!(row[4].as_deref(), Some(uom));
        assert_eq!(decimal(&row[5]), Decimal::from_str(price).expect("price"));
    }

    // The same key again posts nothing and names the first header.
    let again = target.deliver(&first, &key).await.expect("repeat is not an error");
    assert_eq!(again, Delivery::AlreadyPosted { erp_key: erp_key.clone() });
    assert_eq!(db.count(&format!("SELECT {} FROM {header_table}", names.text("COUNT(*)"))).await, 1);

    // A line the ERP refuses (item_no NOT NULL) rolls the whole order back.
    let broken = order("PO-REJ", vec![line(1, Some("SKU-A"), "1", "EA", None), line(2, None, "1", "EA", None)]);
    let rejected = target.deliver(&broken, &idempotency_key("orders", "C0001234", "PO-REJ", 0)).await;
    let Err(DeliveryError::Rejected { erp_message, .. }) = rejected else {
        panic!("NOT NULL violation must be Rejected, got {rejected:?}");
    };
    assert!(erp_message.to_lowercase().contains("item_no"), "{erp_message}");
    let rejected_headers = format!("SELECT {} FROM {header_table} WHERE cust_po_2 = 'PO-REJ'", names.text("COUNT(*)"));
    assert_eq!(db.count(&rejected_headers).await, 0, "no partial header");
    assert_eq!(db.count(&format!("SELECT {} FROM {lines_table}", names.text("COUNT(*)"))).await, 2);
    assert_eq!(db.count(&format!("SELECT {} FROM {deliveries_table}", names.text("COUNT(*)"))).await, 1);

    // Several orders in one transaction, each with its own header, lines and
    // delivery record; a key delivered before is named, not posted again.
    let count_headers = format!("SELECT {} FROM {header_table}", names.text("COUNT(*)"));
    let batch: Vec<(CanonicalOrder, String)> = ["PO-B1", "PO-B2"]
        .iter()
        .map(|po| {
            (order(po, vec![line(1, Some("SKU-A"), "2", "EA", None)]), idempotency_key("orders", "C0001234", po, 0))
        })
        .collect();
    let mut orders: Vec<(&CanonicalOrder, &str)> = batch.iter().map(|(order, key)| (order, key.as_str())).collect();
    orders.push((&first, key.as_str()));
    let posted = target.deliver_batch(&orders).await.expect("a batch posts");
    let [Delivery::Posted { .. }, Delivery::Posted { .. }, Delivery::AlreadyPosted { erp_key: repeat }] =
        posted.as_slice()
    else {
        panic!("two posted and the repeat named: {posted:?}");
    };
    assert_eq!(repeat, &erp_key);
    assert_eq!(db.count(&count_headers).await, 3);
    assert_eq!(db.count(&format!("SELECT {} FROM {deliveries_table}", names.text("COUNT(*)"))).await, 3);

    // One order the ERP refuses: nothing of the batch is kept, and the error
    // says so (the caller then posts them one by one).
    let good = order("PO-B3", vec![line(1, Some("SKU-A"), "1", "EA", None)]);
    let good_key = idempotency_key("orders", "C0001234", "PO-B3", 0);
    let rejected_key = idempotency_key("orders", "C0001234", "PO-REJ", 0);
    let refused = target.deliver_batch(&[(&good, good_key.as_str()), (&broken, rejected_key.as_str())]).await;
    assert!(matches!(refused, Err(DeliveryError::Rejected { .. })), "{refused:?}");
    assert_eq!(db.count(&count_headers).await, 3, "the good order of a refused batch is not kept");
    assert!(matches!(target.deliver(&good, &good_key).await, Ok(Delivery::Posted { .. })), "alone it posts");

    // Servers enforce VARCHAR(22); SQLite does not, so only they reject it.
    if names.dialect != Dialect::Sqlite {
        let long_po = "P".repeat(23);
        let long = order(&long_po, vec![line(1, Some("SKU-A"), "1", "EA", None)]);
        let rejected = target.deliver(&long, &idempotency_key("orders", "C0001234", &long_po, 0)).await;
        assert!(matches!(rejected, Err(DeliveryError::Rejected { .. })), "{rejected:?}");
    }

    // A unit the lookup lacks is not delivered, and names its key.
    let boxed = order("PO-BX", vec![line(1, Some("SKU-A"), "1", "BX", None)]);
    let unmappable = target.deliver(&boxed, &idempotency_key("orders", "C0001234", "PO-BX", 0)).await;
    let Err(error @ DeliveryError::Unmappable(_)) = unmappable else {
        panic!("unmapped unit must be Unmappable, got {unmappable:?}");
    };
    assert!(error.to_string().contains("target.lines.uom_cd"), "{error}");
    assert!(!error.is_transient());

    // A mapping naming a column the table lacks fails to build, naming it.
    let wrong = config(url, names, Some(("cust_po_3", "customer_po")));
    let error = SqlTarget::build(&wrong).await.expect_err("missing column must fail the build");
    let message = error.to_string();
    assert!(message.contains("target.header.cust_po_3") && message.contains("no column cust_po_3"), "{message}");

    // A column dropped after build: the healthcheck names it.
    db.exec(&format!("ALTER TABLE {header_table} DROP COLUMN ship_cd")).await;
    let unhealthy = target.healthcheck().await.expect_err("dropped column must fail the healthcheck").to_string();
    assert!(unhealthy.contains("target.header.ship_cd") && unhealthy.contains("no column ship_cd"), "{unhealthy}");
    target.close().await;
}

#[tokio::test]
async fn sqlite_story() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite:{}?mode=rwc", dir.path().join("erp.db").display());
    let pool = SqlitePool::connect(&url).await.expect("sqlite opens");
    let db = Db::Sqlite(pool);
    let names = Names {
        dialect: Dialect::Sqlite,
        prefix: String::new(),
        schema: None,
        header: "SO_HDR".to_owned(),
        lines: "SO_LIN".to_owned(),
        deliveries: "prodline_deliveries".to_owned(),
    };
    create_schema(&db, &names, "INTEGER PRIMARY KEY AUTOINCREMENT").await;
    story(&db, &url, &names).await;
}

#[tokio::test]
async fn mariadb_story() {
    let pool = MySqlPool::connect(MARIADB_URL).await.unwrap_or_else(|error| unreachable("MariaDB", error));
    let db = Db::MySql(pool);
    let id = run_id();
    let names = Names {
        dialect: Dialect::MySql,
        prefix: String::new(),
        schema: None,
        header: format!("SO_HDR_{id}"),
        lines: format!("SO_LIN_{id}"),
        deliveries: format!("prodline_deliveries_{id}"),
    };
    create_schema(&db, &names, "INT AUTO_INCREMENT PRIMARY KEY").await;
    story(&db, MARIADB_URL, &names).await;
    db.exec(&format!("DROP TABLE {}, {}, {}", names.header, names.lines, names.deliveries)).await;
}

#[tokio::test]
async fn postgres_story() {
    let pool = PgPool::connect(POSTGRES_URL).await.unwrap_or_else(|error| unreachable("PostgreSQL", error));
    let db = Db::Postgres(pool);
    let schema = format!("prodline_connect_{}", run_id());
    db.exec(&format!("CREATE SCHEMA {schema}")).await;
    // Unquoted DDL folds to so_hdr: the target must find it from "SO_HDR".
    let names = Names {
        dialect: Dialect::Postgres,
        prefix: format!("{schema}."),
        schema: Some(schema.clone()),
        header: "SO_HDR".to_owned(),
        lines: "SO_LIN".to_owned(),
        deliveries: "prodline_deliveries".to_owned(),
    };
    create_schema(&db, &names, "SERIAL PRIMARY KEY").await;
    story(&db, POSTGRES_URL, &names).await;
    db.exec(&format!("DROP SCHEMA {schema} CASCADE")).await;
}

#[test]
fn config_errors_name_their_keys() {
    let value = json!({
        "url": "oracle://x",
        "header_table": "SO HDR",
        "lines_table": "SO_LIN",
        "header_key": { "natural": "cust_po_9" },
        "header": {
            "cust_po_2": "customer_p0",
            "ord_dt": { "field": "customer_po", "format": "%Y%m%d" },
            "src_cd": { "const": "WEB", "field": "currency" },
            "x": { "field": "qty" },
            "y": { "field": "uom", "mapp": { "EA": "PCS" } },
        },
        "lines": { "so_id": { "header_key": true }, "bad name": "sku" },
    });
    let config: SqlTargetConfig = serde_json::from_value(value).expect("parses");
    let errors = config.validate().expect_err("invalid").to_string();
    let expected = [
        "target.url: expected a sqlite:, postgres:// or mysql:// URL",
        "target.header_table: \"SO HDR\" is not a plain SQL name",
        "target.header.cust_po_2: unknown field \"customer_p0\"; expected one of customer_po, customer_id, order_date",
        "target.header.ord_dt: format applies only to a date field",
        "target.header.src_cd: set exactly one of field, const",
        "target.header.x: unknown field \"qty\"",
        "target.header.y: unknown option \"mapp\"",
        "target.lines.bad name: \"bad name\" is not a plain SQL name",
        "target.header_key.natural: \"cust_po_9\" is not a column of target.header",
    ];
    for line in expected {
        assert!(errors.contains(line), "missing {line:?} in:\n{errors}");
    }
}

#[test]
fn database_password_is_redacted_in_debug() {
    let value = json!({
        "url": "postgres://erp:s3cret@db:5432/erp",
        "header_table": "H", "lines_table": "L",
        "header_key": { "generated": "id" },
        "header": { "po": "customer_po" },
    });
    let config: SqlTargetConfig = serde_json::from_value(value).expect("parses");
    let debug = format!("{config:?}");
    assert!(!debug.contains("s3cret") && debug.contains("postgres://erp:***@db:5432/erp"), "{debug}");
    assert!(config.validate().is_ok());
}
