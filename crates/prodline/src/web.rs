//! `prodline serve`, `prodline user ...` and `prodline token ...`: the web
//! UI's server and its people and machines. Glue over `prodline_web`.

use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use chrono::Utc;
use clap::{Args, Subcommand};
use prodline_config::Config;
use prodline_store::{AnyStore, Role, Store, User};
use tokio::net::TcpListener;

use crate::commands::{block_on, load_config, open_store};

#[derive(Args)]
pub struct ServeArgs {
    #[arg(short = 'c', long = "config")]
    config: PathBuf,
    /// Listen here instead of `[server] listen` (e.g. 127.0.0.1:8080, 0.0.0.0:443 behind TLS).
    #[arg(long)]
    listen: Option<String>,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a person who may log in; the password is read from the terminal (or one line of stdin).
    Add {
        #[arg(short = 'c', long = "config")]
        config: PathBuf,
        name: String,
        /// reviewer (the review queue), owner (also the dashboard's switches) or admin (also people and tokens).
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// Set a person's password again (ends their sessions).
    Passwd {
        #[arg(short = 'c', long = "config")]
        config: PathBuf,
        name: String,
    },
    /// List the people who may log in.
    List {
        #[arg(short = 'c', long = "config")]
        config: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Issue an API token for a machine; it is printed once and only its hash is kept.
    Add {
        #[arg(short = 'c', long = "config")]
        config: PathBuf,
        /// What the machine is, e.g. edi-gateway: its actions are recorded as token:<name>.
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// List the API tokens (names, roles, state; never the tokens).
    List {
        #[arg(short = 'c', long = "config")]
        config: PathBuf,
    },
    /// Revoke a machine's token.
    Revoke {
        #[arg(short = 'c', long = "config")]
        config: PathBuf,
        name: String,
    },
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| format!("{text:?} is not a role: reviewer, owner or admin"))
}

/// Who the CLI records as acting: the login name of the terminal's user.
fn cli_actor() -> String {
    let name = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".to_owned());
    format!("cli:{name}")
}

pub fn serve(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let Some(config) = load_config(&args.config) else { return Ok(ExitCode::FAILURE) };
    let listen = args.listen.clone().unwrap_or_else(|| config.server.listen.clone());
    block_on(async {
        let store = open_store(&config.store).await?;
        let listener = bind(&listen).await?;
        warn_if_nobody_can_log_in(&store).await?;
        let served =
            serve_on(listener, store.clone(), Arc::new(config), None, crate::commands::shutdown_signal()).await;
        store.close().await;
        served
    })??;
    Ok(ExitCode::SUCCESS)
}

/// Binds the web UI's address; the error names it.
pub(crate) async fn bind(listen: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(listen).await.with_context(|| format!("web UI: cannot listen on {listen}"))
}

/// Serves the web UI on `listener` until `shutdown`; prints its address.
/// Cookies are `Secure` unless the address is a loopback one (plain http
/// that never leaves the machine); anywhere else, put TLS in front.
pub(crate) async fn serve_on(
    listener: TcpListener,
    store: AnyStore,
    config: Arc<Config>,
    clock: Option<prodline_store::StoreClock>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let address: SocketAddr = listener.local_addr().context("web UI: the bound address")?;
    let loopback = address.ip().is_loopback();
    let mut state = prodline_web::WebState::new(store, config).with_secure_cookies(!loopback);
    if let Some(clock) = clock {
        state = state.with_clock(clock);
    }
    eprintln!("web UI on http://{address}/");
    if !loopback {
        eprintln!("  cookies are Secure: serve it behind HTTPS (a reverse proxy with TLS)");
    }
    prodline_web::serve_on(listener, state, shutdown).await.with_context(|| format!("web UI on {address}"))
}

async fn warn_if_nobody_can_log_in(store: &AnyStore) -> anyhow::Result<()> {
    if store.users().await.context("reading the users")?.is_empty() {
        eprintln!("nobody can log in yet: add someone with `prodline user add -c FILE NAME --role admin`");
    }
    Ok(())
}

pub fn user(command: UserCommand) -> anyhow::Result<ExitCode> {
    match command {
        UserCommand::Add { config, name, role } => {
            let Some(config) = load_config(&config) else { return Ok(ExitCode::FAILURE) };
            let password = read_password(&format!("password for {name}: "))?;
            prodline_web::admin::check_new_user(&name, &password).map_err(anyhow::Error::msg)?;
            let password_hash = prodline_web::hash_password(&password).map_err(anyhow::Error::msg)?;
            let user = User { name: name.clone(), role, password_hash, created_at: Utc::now() };
            with_store(&config, |store| async move { store.add_user(&user, &cli_actor()).await })?;
            println!("added {name} ({role})");
        }
        UserCommand::Passwd { config, name } => {
            let Some(config) = load_config(&config) else { return Ok(ExitCode::FAILURE) };
            let password = read_password(&format!("new password for {name}: "))?;
            prodline_web::admin::check_new_user(&name, &password).map_err(anyhow::Error::msg)?;
            let hash = prodline_web::hash_password(&password).map_err(anyhow::Error::msg)?;
            let who = name.clone();
            with_store(&config, |store| async move { store.set_password(&who, &hash, &cli_actor()).await })?;
            println!("password of {name} set; their sessions are ended");
        }
        UserCommand::List { config } => {
            let Some(config) = load_config(&config) else { return Ok(ExitCode::FAILURE) };
            let users = with_store(&config, |store| async move { store.users().await })?;
            for user in users {
                println!("{:<24} {:<9} since {}", user.name, user.role.as_str(), user.created_at.format("%Y-%m-%d"));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn token(command: TokenCommand) -> anyhow::Result<ExitCode> {
    match command {
        TokenCommand::Add { config, name, role } => {
            let Some(config) = load_config(&config) else { return Ok(ExitCode::FAILURE) };
            prodline_web::admin::check_token_name(&name).map_err(anyhow::Error::msg)?;
            let token = prodline_web::new_token();
            let hash = prodline_web::token_hash(&token);
            let machine = name.clone();
            with_store(&config, |store| async move { store.add_api_token(&machine, role, &hash, &cli_actor()).await })?;
            eprintln!("token for {name} ({role}); it is shown only now:");
            println!("{token}");
        }
        TokenCommand::List { config } => {
            let Some(config) = load_config(&config) else { return Ok(ExitCode::FAILURE) };
            let tokens = with_store(&config, |store| async move { store.api_tokens().await })?;
            for token in tokens {
                let state =
                    token.revoked_at.map_or("active".to_owned(), |at| format!("revoked {}", at.format("%Y-%m-%d")));
                println!(
                    "{:<24} {:<9} issued {}  {state}",
                    token.name,
                    token.role.as_str(),
                    token.created_at.format("%Y-%m-%d")
                );
            }
        }
        TokenCommand::Revoke { config, name } => {
            let Some(config) = load_config(&config) else { return Ok(ExitCode::FAILURE) };
            let machine = name.clone();
            let revoked =
                with_store(&config, |store| async move { store.revoke_api_token(&machine, &cli_actor()).await })?;
            if !revoked {
                bail!("no active token named {name:?}");
            }
            println!("revoked the token of {name}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Opens the configured store, runs `action` on it, closes it.
fn with_store<T, F, Fut>(config: &Config, action: F) -> anyhow::Result<T>
where
    F: FnOnce(AnyStore) -> Fut,
    Fut: std::future::Future<Output = Result<T, prodline_store::StoreError>>,
{
    block_on(async {
        let store = open_store(&config.store).await?;
        let result = action(store.clone()).await;
        store.close().await;
        anyhow::Ok(result?)
    })?
}

/// A password from the terminal without echo, or one line of stdin when it is not a terminal (scripts).
fn read_password(prompt: &str) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(prompt).context("reading the password");
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the password from stdin")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password on stdin");
    }
    Ok(password)
}
