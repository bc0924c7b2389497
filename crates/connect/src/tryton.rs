//! The Tryton target: a canonical order becomes a Tryton `sale.sale`, created,
//! quoted and confirmed over Tryton's JSON-RPC, then checked to reach `processing`.
//!
//! Architecture Invariant: the sale's `reference` holds the customer PO, and a
//! sale of the same party with that reference (not cancelled) is how an order
//! already posted is recognised: a repeat delivery yields
//! `Delivery::AlreadyPosted` instead of a second sale. The idempotency key is
//! written into the sale's comment for tracing only.
//!
//! Architecture Invariant: no Tryton id is configured or hard-coded: the
//! company, party, products, units and currency are found by code or name.
//!
//! Tryton speaks JSON-RPC on `POST {url}/{database}/rpc/`; decimals travel as
//! `{"__class__": "Decimal", "decimal": "…"}` and dates as
//! `{"__class__": "date", …}`. Business errors come back with HTTP 200 and an
//! `error` member; bad sessions and unknown routes as HTML with 401/403/422.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{Datelike, NaiveDate};
use prodline_core::{CanonicalLine, CanonicalOrder};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{Delivery, DeliveryError};

/// Models the healthcheck proves reachable: everything `deliver` reads or writes.
const MODELS: [&str; 3] = ["sale.sale", "party.party", "product.product"];

/// Longest ERP message kept in an error: Tryton appends whole field definitions.
const MAX_MESSAGE_CHARS: usize = 500;

/// Configuration of a Tryton target. Holds no password: `password_env` names where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrytonTargetConfig {
    /// Base URL of the server, e.g. `http://127.0.0.1:8765` (plain http only).
    pub url: String,
    pub database: String,
    pub user: String,
    /// Name of an environment variable holding the password, or (when it
    /// contains a `/`) the path of a file whose first line is the password.
    pub password_env: String,
    /// Code or name of the company party the sales belong to.
    pub company: String,
    /// Code of the `stock.location` warehouse to ship from; Tryton's default when absent.
    #[serde(default)]
    pub warehouse: Option<String>,
    /// Tryton invoice method of new sales; `manual` needs no accounting set up.
    #[serde(default = "default_invoice_method")]
    pub invoice_method: String,
    #[serde(default = "default_timeout_seconds")]
    pub timeout_seconds: u64,
    /// SPEC §1 unit code → Tryton `product.uom` symbol, over the defaults of [`default_unit_symbol`].
    #[serde(default)]
    pub units: BTreeMap<String, String>,
}

fn default_invoice_method() -> String {
    "manual".to_owned()
}

fn default_timeout_seconds() -> u64 {
    30
}

/// The Tryton unit symbol of a SPEC §1 unit code, for the units Tryton ships.
pub fn default_unit_symbol(code: &str) -> Option<&'static str> {
    Some(match code {
        "EA" => "u",
        "DZ" => "dz",
        "KG" => "kg",
        "LB" => "lb",
        "M" => "m",
        "FT" => "ft",
        "YD" => "yd",
        "L" => "l",
        "GA" => "gal",
        _ => return None,
    })
}

/// One invalid config option: the key and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrytonConfigError {
    pub key: &'static str,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TrytonBuildError {
    /// Every invalid option at once, one per line.
    #[error("tryton_config_invalid: {}", join_config_errors(.0))]
    Config(Vec<TrytonConfigError>),
    #[error("tryton_client_failed: {message}")]
    Client { message: String },
}

fn join_config_errors(errors: &[TrytonConfigError]) -> String {
    errors.iter().map(|error| format!("{}: {}", error.key, error.message)).collect::<Vec<_>>().join("; ")
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrytonHealthcheckError {
    #[error("tryton_unreachable: {message}")]
    Unreachable { message: String },
    #[error("tryton_login_failed: user {user:?} cannot log in to database {database:?} (wrong password or user)")]
    LoginFailed { user: String, database: String },
    #[error("tryton_company_not_found: no company.company whose party has code or name {company:?}")]
    CompanyNotFound { company: String },
    #[error("tryton_model_unreachable: {model}: {message}")]
    ModelUnreachable { model: String, message: String },
    #[error("tryton_unexpected_response: {message}")]
    Unexpected { message: String },
}

/// The password, never printed.
struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[derive(Debug, Clone)]
struct Session {
    uid: i64,
    authorization: String,
}

#[derive(Debug, Clone, Copy)]
struct Company {
    id: i64,
    currency: i64,
}

/// A built Tryton target: an HTTP client, the password, and a session made on first use.
#[derive(Debug)]
pub struct TrytonTarget {
    config: TrytonTargetConfig,
    endpoint: String,
    password: Password,
    client: reqwest::Client,
    session: Mutex<Option<Session>>,
    company: Mutex<Option<Company>>,
}

/// Why one JSON-RPC call failed, before it is sorted into retry or reject.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RpcError {
    /// No HTTP answer: connection refused or lost, timeout.
    Transport(String),
    /// A non-200 answer (HTML from Tryton): 401 bad session, 403/422 refused, 5xx.
    Status { status: u16, method: String },
    /// A JSON `error`: Tryton's exception name and its message.
    Fault { kind: String, message: String },
    /// A 200 answer that is not the JSON-RPC we expect.
    Decode(String),
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RpcError::Transport(message) => write!(f, "tryton: no answer: {message}"),
            RpcError::Status { status, method } => write!(f, "tryton: HTTP {status} on {method}"),
            RpcError::Fault { kind, message } => write!(f, "tryton {kind}: {message}"),
            RpcError::Decode(message) => write!(f, "tryton: unexpected response: {message}"),
        }
    }
}

impl From<RpcError> for DeliveryError {
    fn from(error: RpcError) -> DeliveryError {
        if is_transient(&error) {
            DeliveryError::Transient { message: error.to_string() }
        } else {
            DeliveryError::Rejected { erp_message: error.to_string(), duplicate_delivery: false }
        }
    }
}

/// Whether trying the same call later can succeed.
fn is_transient(error: &RpcError) -> bool {
    match error {
        RpcError::Transport(_) | RpcError::Decode(_) => true,
        RpcError::Status { status, .. } => *status >= 500 || *status == 429 || *status == 408,
        RpcError::Fault { kind, message } => {
            matches!(kind.as_str(), "ConcurrencyException" | "RateLimitException" | "TimeOutException")
                || message.contains("database is locked")
                || message.contains("could not serialize access")
        }
    }
}

fn rejected(message: impl Into<String>) -> DeliveryError {
    DeliveryError::Rejected { erp_message: message.into(), duplicate_delivery: false }
}

impl TrytonTargetConfig {
    /// Lists every invalid option at once.
    pub fn validate(&self) -> Result<(), Vec<TrytonConfigError>> {
        let mut errors = Vec::new();
        let mut check = |ok: bool, key: &'static str, message: &str| {
            if !ok {
                errors.push(TrytonConfigError { key, message: message.to_owned() });
            }
        };
        check(self.url.starts_with("http://"), "url", "must start with http:// (this build has no TLS)");
        check(!self.database.trim().is_empty(), "database", "must not be empty");
        check(!self.user.trim().is_empty(), "user", "must not be empty");
        check(!self.password_env.trim().is_empty(), "password_env", "must name an env var or a file");
        check(!self.company.trim().is_empty(), "company", "must not be empty");
        check(!self.invoice_method.trim().is_empty(), "invoice_method", "must not be empty");
        check(self.timeout_seconds > 0, "timeout_seconds", "must be at least 1");
        let bad_database = self.database.contains('/') || self.database.contains('?');
        check(!bad_database, "database", "must not contain / or ?");
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    /// The password from the env var or file `password_env` names; errors never contain it.
    fn read_password(&self) -> Result<Password, TrytonConfigError> {
        let source = self.password_env.trim();
        let error = |message: String| TrytonConfigError { key: "password_env", message };
        if source.contains('/') {
            let text = std::fs::read_to_string(source).map_err(|e| error(format!("cannot read {source}: {e}")))?;
            let line = text.lines().next().unwrap_or_default().trim_end_matches('\r');
            if line.is_empty() {
                return Err(error(format!("{source} is empty")));
            }
            return Ok(Password(line.to_owned()));
        }
        match std::env::var(source) {
            Ok(value) if !value.is_empty() => Ok(Password(value)),
            _ => Err(error(format!("environment variable {source} is unset or empty"))),
        }
    }
}

impl TrytonTarget {
    /// Validates the config and reads the password; does not connect (see `healthcheck`).
    pub fn build(config: &TrytonTargetConfig) -> Result<TrytonTarget, TrytonBuildError> {
        config.validate().map_err(TrytonBuildError::Config)?;
        let password = config.read_password().map_err(|error| TrytonBuildError::Config(vec![error]))?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_seconds))
            .build()
            .map_err(|error| TrytonBuildError::Client { message: error.to_string() })?;
        let endpoint = format!("{}/{}/rpc/", config.url.trim_end_matches('/'), config.database);
        Ok(TrytonTarget {
            config: config.clone(),
            endpoint,
            password,
            client,
            session: Mutex::new(None),
            company: Mutex::new(None),
        })
    }

    /// Imitates a delivery without writing: logs in afresh, finds the company,
    /// and reads one record of each model `deliver` uses.
    pub async fn healthcheck(&self) -> Result<(), TrytonHealthcheckError> {
        let session = self.login().await.map_err(|error| self.login_error(error))?;
        self.store_session(session);
        let company = self.company().await.map_err(|error| match error {
            CompanyError::NotFound => TrytonHealthcheckError::CompanyNotFound { company: self.config.company.clone() },
            CompanyError::Rpc(error) => TrytonHealthcheckError::Unexpected { message: error.to_string() },
        })?;
        for model in MODELS {
            let params = json!([[], 0, 1, null, context(company)]);
            self.call(&format!("model.{model}.search"), params).await.map_err(|error| {
                TrytonHealthcheckError::ModelUnreachable { model: model.to_owned(), message: error.to_string() }
            })?;
        }
        Ok(())
    }

    fn login_error(&self, error: RpcError) -> TrytonHealthcheckError {
        match error {
            RpcError::Status { status: 401 | 403, .. } | RpcError::Fault { .. } => {
                TrytonHealthcheckError::LoginFailed {
                    user: self.config.user.clone(),
                    database: self.config.database.clone(),
                }
            }
            RpcError::Transport(message) => TrytonHealthcheckError::Unreachable { message },
            other => TrytonHealthcheckError::Unexpected { message: other.to_string() },
        }
    }

    /// Posts `order` as a Tryton sale, or recognises it as posted before by
    /// its party and customer PO (the sale's `reference`).
    pub async fn deliver(&self, order: &CanonicalOrder, idempotency_key: &str) -> Result<Delivery, DeliveryError> {
        let request = SaleRequest::from_order(order)?;
        let company = self.company().await.map_err(|error| match error {
            CompanyError::NotFound => rejected(format!("tryton: company {:?} not found", self.config.company)),
            CompanyError::Rpc(error) => error.into(),
        })?;
        let party = self.find_party(company, request.customer_id).await?;
        if let Some(existing) = self.find_sale(company, party.id, request.customer_po).await? {
            return self.finish_existing(company, existing).await;
        }
        let values = self.sale_values(company, &party, &request, idempotency_key).await?;
        let created = self.call("model.sale.sale.create", json!([[values], context(company)])).await?;
        let sale_id = first_id(&created).ok_or_else(|| rejected("tryton: sale.sale.create returned no id"))?;
        let erp_key = self.advance(company, sale_id, "draft").await?;
        Ok(Delivery::Posted { erp_key })
    }

    /// A sale of this PO exists: done if it is processing or done, else push it on
    /// (an earlier delivery stopped between create and confirm).
    async fn finish_existing(&self, company: Company, existing: SaleState) -> Result<Delivery, DeliveryError> {
        if is_posted(&existing.state) {
            return Ok(Delivery::AlreadyPosted { erp_key: existing.erp_key });
        }
        let erp_key = self.advance(company, existing.id, &existing.state).await?;
        Ok(Delivery::Posted { erp_key })
    }

    /// Quotes, confirms and (if needed) processes the sale from `state`, then
    /// checks it reached `processing`: Tryton's `confirm` succeeds even when
    /// processing fails, leaving the reason in `ir.error`.
    async fn advance(&self, company: Company, sale_id: i64, state: &str) -> Result<String, DeliveryError> {
        let steps: &[&str] = match state {
            "draft" => &["quote", "confirm"],
            "quotation" => &["confirm"],
            "confirmed" => &["process"],
            other => return Err(rejected(format!("tryton: sale {sale_id} is in state {other}, cannot post it"))),
        };
        for step in steps {
            self.call(&format!("model.sale.sale.{step}"), json!([[sale_id], context(company)])).await?;
        }
        let sale = self.read_sale(company, sale_id).await?;
        if is_posted(&sale.state) {
            return Ok(sale.erp_key);
        }
        let reason = self.processing_error(company, sale_id).await;
        Err(rejected(format!("tryton: sale {} stayed in state {}: {reason}", sale.erp_key, sale.state)))
    }

    /// The latest `ir.error` message about this sale, best effort.
    async fn processing_error(&self, company: Company, sale_id: i64) -> String {
        let domain = json!([["origin", "=", format!("sale.sale,{sale_id}")]]);
        let params = json!([domain, 0, 1, [["id", "DESC"]], ["message"], context(company)]);
        let found = self.call("model.ir.error.search_read", params).await;
        let message = found.ok().and_then(|value| {
            value.get(0).and_then(|record| record.get("message")).and_then(Value::as_str).map(truncate)
        });
        message.unwrap_or_else(|| "no ir.error recorded".to_owned())
    }

    async fn read_sale(&self, company: Company, sale_id: i64) -> Result<SaleState, DeliveryError> {
        let params = json!([[sale_id], ["state", "number"], context(company)]);
        let records = self.call("model.sale.sale.read", params).await?;
        records
            .get(0)
            .and_then(SaleState::from_record)
            .ok_or_else(|| rejected(format!("tryton: sale {sale_id} vanished")))
    }

    async fn find_sale(&self, company: Company, party: i64, po: &str) -> Result<Option<SaleState>, DeliveryError> {
        let domain = json!([["reference", "=", po], ["party", "=", party], ["state", "!=", "cancelled"]]);
        let params = json!([domain, 0, 1, [["id", "ASC"]], ["state", "number"], context(company)]);
        let records = self.call("model.sale.sale.search_read", params).await?;
        Ok(records.get(0).and_then(SaleState::from_record))
    }

    async fn find_party(&self, company: Company, code: &str) -> Result<Party, DeliveryError> {
        let params = json!([[["code", "=", code]], 0, 1, null, ["addresses"], context(company)]);
        let records = self.call("model.party.party.search_read", params).await?;
        let record = records.get(0).ok_or_else(|| rejected(format!("tryton: no party.party with code {code:?}")))?;
        let id = record_id(record).ok_or_else(|| rejected("tryton: party without id"))?;
        let address = record.get("addresses").and_then(first_id);
        let address = address.ok_or_else(|| rejected(format!("tryton: party {code:?} has no address")))?;
        Ok(Party { id, address })
    }

    /// The `sale.sale` values of a new sale, every id found by code.
    async fn sale_values(
        &self,
        company: Company,
        party: &Party,
        request: &SaleRequest<'_>,
        idempotency_key: &str,
    ) -> Result<Value, DeliveryError> {
        let lines = self.line_values(company, request.lines).await?;
        let mut values = json!({
            "party": party.id,
            "reference": request.customer_po,
            "company": company.id,
            "currency": self.currency(company, request.currency).await?,
            "invoice_address": party.address,
            "shipment_address": party.address,
            "invoice_method": self.config.invoice_method,
            "comment": format!("prodline delivery {idempotency_key}"),
            "lines": [["create", lines]],
        });
        if let Some(date) = request.order_date {
            values["sale_date"] = date_value(date);
        }
        if let Some(date) = request.requested_date {
            values["shipping_date"] = date_value(date);
        }
        if let Some(code) = &self.config.warehouse {
            values["warehouse"] = json!(self.find_warehouse(company, code).await?);
        }
        Ok(values)
    }

    async fn line_values(&self, company: Company, lines: &[CanonicalLine]) -> Result<Vec<Value>, DeliveryError> {
        let mut values = Vec::with_capacity(lines.len());
        for (index, line) in lines.iter().enumerate() {
            let number = line.line.map_or(index + 1, |n| n as usize);
            let at = |message: String| rejected(format!("tryton: line {number}: {message}"));
            let sku = line.sku.as_deref().filter(|sku| !sku.trim().is_empty());
            let sku = sku.ok_or_else(|| at("no sku".to_owned()))?;
            let product = self
                .find_product(company, sku)
                .await?
                .ok_or_else(|| at(format!("no product.product with code {sku:?}")))?;
            let unit = match line.uom.as_deref() {
                Some(code) => self.find_unit(company, code).await?.map_err(at)?,
                None => product.default_uom,
            };
            let price = line.unit_price.or(product.list_price);
            let price = price.ok_or_else(|| at(format!("no unit price on the order nor a list price for {sku:?}")))?;
            let quantity = wire_quantity(line.qty).map_err(at)?;
            values.push(json!({
                "type": "line",
                "product": product.id,
                "quantity": quantity,
                "unit": unit,
                "unit_price": decimal_value(price),
            }));
        }
        Ok(values)
    }

    async fn find_product(&self, company: Company, sku: &str) -> Result<Option<Product>, DeliveryError> {
        let params = json!([[["code", "=", sku]], 0, 1, null, ["default_uom", "list_price"], context(company)]);
        let records = self.call("model.product.product.search_read", params).await?;
        Ok(records.get(0).and_then(Product::from_record))
    }

    /// The `product.uom` id of a SPEC §1 unit code; `Err` says why there is none.
    async fn find_unit(&self, company: Company, code: &str) -> Result<Result<i64, String>, DeliveryError> {
        let code = code.trim().to_uppercase();
        let symbol = match self.config.units.get(&code) {
            Some(symbol) => symbol.as_str(),
            None => match default_unit_symbol(&code) {
                Some(symbol) => symbol,
                None => return Ok(Err(format!("unit {code} has no Tryton unit (map it under units)"))),
            },
        };
        let params = json!([[["symbol", "=", symbol]], 0, 1, null, ["id"], context(company)]);
        let records = self.call("model.product.uom.search_read", params).await?;
        Ok(records
            .get(0)
            .and_then(record_id)
            .ok_or_else(|| format!("no product.uom with symbol {symbol:?} (unit {code})")))
    }

    /// The currency of the order by ISO code, else the company's.
    async fn currency(&self, company: Company, code: Option<&str>) -> Result<i64, DeliveryError> {
        let Some(code) = code else {
            return Ok(company.currency);
        };
        let params = json!([[["code", "=", code]], 0, 1, null, ["id"], context(company)]);
        let records = self.call("model.currency.currency.search_read", params).await?;
        records
            .get(0)
            .and_then(record_id)
            .ok_or_else(|| rejected(format!("tryton: no currency.currency with code {code:?}")))
    }

    async fn find_warehouse(&self, company: Company, code: &str) -> Result<i64, DeliveryError> {
        let domain = json!([["code", "=", code], ["type", "=", "warehouse"]]);
        let params = json!([domain, 0, 1, null, ["id"], context(company)]);
        let records = self.call("model.stock.location.search_read", params).await?;
        records.get(0).and_then(record_id).ok_or_else(|| rejected(format!("tryton: no warehouse with code {code:?}")))
    }

    /// The configured company, found by its party's code or name once, then cached.
    async fn company(&self) -> Result<Company, CompanyError> {
        let cached = *lock(&self.company);
        if let Some(company) = cached {
            return Ok(company);
        }
        let name = &self.config.company;
        let domain = json!(["OR", [["party.code", "=", name]], [["party.name", "=", name]]]);
        let params = json!([domain, 0, 1, null, ["currency"], {}]);
        let records = self.call("model.company.company.search_read", params).await.map_err(CompanyError::Rpc)?;
        let record = records.get(0).ok_or(CompanyError::NotFound)?;
        let id = record_id(record).ok_or(CompanyError::NotFound)?;
        let currency = record.get("currency").and_then(Value::as_i64).ok_or(CompanyError::NotFound)?;
        let company = Company { id, currency };
        *lock(&self.company) = Some(company);
        Ok(company)
    }

    /// One authenticated call; a rejected session (expired, server restarted) is renewed once.
    async fn call(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        // Bound first: a guard in the match scrutinee would live through
        // `renew_session` and deadlock on the same lock.
        let cached = lock(&self.session).clone();
        let session = match cached {
            Some(session) => session,
            None => self.renew_session().await?,
        };
        match self.post(method, &params, Some(&session.authorization)).await {
            Err(RpcError::Status { status: 401, .. }) => {
                let session = self.renew_session().await?;
                self.post(method, &params, Some(&session.authorization)).await
            }
            other => other,
        }
    }

    async fn renew_session(&self) -> Result<Session, RpcError> {
        let session = self.login().await?;
        self.store_session(session.clone());
        Ok(session)
    }

    fn store_session(&self, session: Session) {
        *lock(&self.session) = Some(session);
    }

    /// `common.db.login` answers `[uid, token, …]`; later calls send
    /// `Authorization: Session base64(login:uid:token)`.
    async fn login(&self) -> Result<Session, RpcError> {
        let params = json!([self.config.user, {"password": self.password.0}, "en"]);
        let result = self.post("common.db.login", &params, None).await?;
        let uid = result.get(0).and_then(Value::as_i64);
        let token = result.get(1).and_then(Value::as_str);
        let (Some(uid), Some(token)) = (uid, token) else {
            return Err(RpcError::Decode("common.db.login did not return [uid, token]".to_owned()));
        };
        let credentials = format!("{}:{uid}:{token}", self.config.user);
        Ok(Session { uid, authorization: format!("Session {}", base64(credentials.as_bytes())) })
    }

    async fn post(&self, method: &str, params: &Value, authorization: Option<&str>) -> Result<Value, RpcError> {
        let body = json!({"id": 0, "method": method, "params": params});
        let mut request = self.client.post(&self.endpoint).json(&body);
        if let Some(authorization) = authorization {
            request = request.header(reqwest::header::AUTHORIZATION, authorization);
        }
        let response = request.send().await.map_err(|error| RpcError::Transport(error.to_string()))?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(RpcError::Status { status, method: method.to_owned() });
        }
        let answer: Value = response.json().await.map_err(|error| RpcError::Decode(format!("{method}: {error}")))?;
        rpc_result(method, answer)
    }

    /// The uid of the current session, if logged in (for diagnostics).
    pub fn session_uid(&self) -> Option<i64> {
        lock(&self.session).as_ref().map(|session| session.uid)
    }
}

enum CompanyError {
    NotFound,
    Rpc(RpcError),
}

/// A poisoned lock only means another task panicked mid-assignment of a plain value: use it.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Splits a JSON-RPC answer into its result or Tryton's error.
fn rpc_result(method: &str, mut answer: Value) -> Result<Value, RpcError> {
    if let Some(error) = answer.get("error").filter(|error| !error.is_null()) {
        return Err(fault(error));
    }
    match answer.get_mut("result") {
        Some(result) => Ok(result.take()),
        None => Err(RpcError::Decode(format!("{method}: neither result nor error"))),
    }
}

/// Tryton's error is `[exception name, args]`, args' first item the message.
fn fault(error: &Value) -> RpcError {
    let kind = error.get(0).and_then(Value::as_str).unwrap_or("error").to_owned();
    let args = error.get(1);
    let message = args.and_then(|args| args.get(0)).and_then(Value::as_str).or_else(|| args.and_then(Value::as_str));
    let message = message.filter(|message| !message.is_empty()).map_or_else(|| truncate(&kind), truncate);
    RpcError::Fault { kind: truncate(&kind), message }
}

fn truncate(text: &str) -> String {
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// What `deliver` needs from the order, checked before any call.
struct SaleRequest<'a> {
    customer_id: &'a str,
    customer_po: &'a str,
    order_date: Option<NaiveDate>,
    requested_date: Option<NaiveDate>,
    currency: Option<&'a str>,
    lines: &'a [CanonicalLine],
}

impl<'a> SaleRequest<'a> {
    fn from_order(order: &'a CanonicalOrder) -> Result<SaleRequest<'a>, DeliveryError> {
        let present = |value: &'a Option<String>| value.as_deref().map(str::trim).filter(|value| !value.is_empty());
        let customer_id =
            present(&order.customer_id).ok_or_else(|| rejected("tryton: the order has no customer_id"))?;
        // Without a PO a repeat could not be recognised: refuse rather than risk a duplicate sale.
        let customer_po =
            present(&order.customer_po).ok_or_else(|| rejected("tryton: the order has no customer_po"))?;
        if order.lines.is_empty() {
            return Err(rejected("tryton: the order has no lines"));
        }
        Ok(SaleRequest {
            customer_id,
            customer_po,
            order_date: order.order_date,
            requested_date: order.requested_date,
            currency: present(&order.currency),
            lines: &order.lines,
        })
    }
}

struct Party {
    id: i64,
    address: i64,
}

struct Product {
    id: i64,
    default_uom: i64,
    list_price: Option<Decimal>,
}

impl Product {
    fn from_record(record: &Value) -> Option<Product> {
        Some(Product {
            id: record_id(record)?,
            default_uom: record.get("default_uom").and_then(Value::as_i64)?,
            list_price: record.get("list_price").and_then(decimal_from_value),
        })
    }
}

struct SaleState {
    id: i64,
    state: String,
    /// The sale's number, or its id before Tryton numbers it.
    erp_key: String,
}

impl SaleState {
    fn from_record(record: &Value) -> Option<SaleState> {
        let id = record_id(record)?;
        let state = record.get("state").and_then(Value::as_str)?.to_owned();
        let number = record.get("number").and_then(Value::as_str).filter(|number| !number.is_empty());
        Some(SaleState { id, state, erp_key: number.map_or_else(|| id.to_string(), str::to_owned) })
    }
}

fn is_posted(state: &str) -> bool {
    matches!(state, "processing" | "done")
}

fn context(company: Company) -> Value {
    json!({"company": company.id})
}

fn record_id(record: &Value) -> Option<i64> {
    record.get("id").and_then(Value::as_i64)
}

/// The first id of `[id, …]` (create's answer, a one2many's value).
fn first_id(ids: &Value) -> Option<i64> {
    ids.get(0).and_then(Value::as_i64)
}

fn date_value(date: NaiveDate) -> Value {
    json!({"__class__": "date", "year": date.year(), "month": date.month(), "day": date.day()})
}

fn decimal_value(value: Decimal) -> Value {
    json!({"__class__": "Decimal", "decimal": value.normalize().to_string()})
}

/// Reads Tryton's `{"__class__": "Decimal", "decimal": "…"}` (or a plain number).
pub fn decimal_from_value(value: &Value) -> Option<Decimal> {
    match value {
        Value::Object(object) => object.get("decimal").and_then(Value::as_str).and_then(|s| Decimal::from_str(s).ok()),
        Value::Number(number) => Decimal::from_str(&number.to_string()).ok(),
        _ => None,
    }
}

/// Tryton stores sale line quantities as floats: send one only when it reads
/// back as exactly the ordered decimal, so no quantity is silently rounded.
fn wire_quantity(qty: Decimal) -> Result<f64, String> {
    let text = qty.normalize().to_string();
    let float = f64::from_str(&text).map_err(|_| format!("quantity {text} is not a number"))?;
    let back = Decimal::from_str(&float.to_string()).ok();
    if !float.is_finite() || back != Some(qty.normalize()) {
        return Err(format!("quantity {text} cannot be sent as a Tryton float exactly"));
    }
    if float <= 0.0 {
        return Err(format!("quantity {text} must be positive"));
    }
    Ok(float)
}

/// Standard base64 with padding, for the `Session` authorization header.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> TrytonTargetConfig {
        TrytonTargetConfig {
            url: "http://127.0.0.1:1".to_owned(),
            database: "prodline".to_owned(),
            user: "admin".to_owned(),
            password_env: "PRODLINE_TRYTON_TEST_UNSET_VARIABLE".to_owned(),
            company: "Prodline Test Co".to_owned(),
            warehouse: None,
            invoice_method: default_invoice_method(),
            timeout_seconds: 5,
            units: BTreeMap::new(),
        }
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let cases = [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foobar", "Zm9vYmFy")];
        for (input, expected) in cases {
            assert_eq!(base64(input.as_bytes()), expected, "{input}");
        }
    }

    #[test]
    fn validate_lists_every_invalid_option() {
        let bad = TrytonTargetConfig {
            url: "https://erp".to_owned(),
            database: String::new(),
            timeout_seconds: 0,
            ..config()
        };
        let keys: Vec<_> = bad.validate().unwrap_err().into_iter().map(|error| error.key).collect();
        assert_eq!(keys, ["url", "database", "timeout_seconds"]);
    }

    #[test]
    fn build_names_the_missing_password_variable_but_not_a_password() {
        let error = TrytonTarget::build(&config()).unwrap_err().to_string();
        assert!(error.contains("PRODLINE_TRYTON_TEST_UNSET_VARIABLE"), "{error}");
    }

    #[test]
    fn target_debug_redacts_the_password() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("password");
        std::fs::write(&path, "s3cret-value\n").unwrap();
        let target = TrytonTarget::build(&TrytonTargetConfig { password_env: path.display().to_string(), ..config() });
        let debug = format!("{:?}", target.unwrap());
        assert!(!debug.contains("s3cret-value") && debug.contains("<redacted>"), "{debug}");
    }

    #[test]
    fn faults_keep_trytons_message_and_classify() {
        let answer =
            json!({"id": 0, "error": ["UserError", ["The value \"9\" for field \"Product\" is not valid.", "", []]]});
        let error = rpc_result("model.sale.sale.create", answer).unwrap_err();
        assert_eq!(error.to_string(), "tryton UserError: The value \"9\" for field \"Product\" is not valid.");
        assert!(!is_transient(&error));
        let locked = RpcError::Fault { kind: "OperationalError".into(), message: "database is locked".into() };
        assert!(is_transient(&locked));
        assert!(is_transient(&RpcError::Status { status: 503, method: "m".into() }));
        assert!(!is_transient(&RpcError::Status { status: 403, method: "m".into() }));
    }

    #[test]
    fn long_messages_are_cut_at_a_char_boundary() {
        let text = "é".repeat(MAX_MESSAGE_CHARS + 10);
        assert_eq!(truncate(&text).chars().count(), MAX_MESSAGE_CHARS + 1);
    }

    #[test]
    fn quantities_go_out_only_when_exact() {
        assert_eq!(wire_quantity(Decimal::from(200)), Ok(200.0));
        assert_eq!(wire_quantity(Decimal::from_str("2.50").unwrap()), Ok(2.5));
        assert!(wire_quantity(Decimal::from_str("12345678901234567.1").unwrap()).is_err());
        assert!(wire_quantity(Decimal::ZERO).is_err());
    }

    #[test]
    fn decimals_round_trip_the_wire_form() {
        let value = decimal_value(Decimal::from_str("11.850").unwrap());
        assert_eq!(value, json!({"__class__": "Decimal", "decimal": "11.85"}));
        assert_eq!(decimal_from_value(&value), Some(Decimal::from_str("11.85").unwrap()));
    }

    #[test]
    fn orders_without_po_are_refused_before_any_call() {
        let order = CanonicalOrder { customer_id: Some("C0042".into()), ..CanonicalOrder::default() };
        let error = SaleRequest::from_order(&order).err().unwrap();
        assert!(error.to_string().contains("no customer_po"), "{error}");
    }
}
