//! Connecting and logging in: plain TCP, implicit TLS or STARTTLS, with rustls
//! on the ring provider and Mozilla's roots (or only the CAs of `ca_file`).

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_imap::{Client, Session};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use crate::{ImapError, MailboxConfig, Security};

/// How long connecting, the TLS handshake, the greeting and the login may take together.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Any byte stream a session runs over: TCP, or TLS over TCP.
pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug> Stream for T {}

/// A logged-in session, whatever the transport.
pub(crate) type ImapSession = Session<Box<dyn Stream>>;

/// Connects, secures the connection as configured, reads the greeting and logs in.
pub(crate) async fn login(config: &MailboxConfig) -> Result<ImapSession, ImapError> {
    let address = config.address();
    match tokio::time::timeout(LOGIN_TIMEOUT, login_now(config)).await {
        Ok(result) => result,
        Err(_) => Err(ImapError::Timeout { address, what: "connect and login", seconds: LOGIN_TIMEOUT.as_secs() }),
    }
}

async fn login_now(config: &MailboxConfig) -> Result<ImapSession, ImapError> {
    let address = config.address();
    let tcp = TcpStream::connect((config.host.as_str(), config.port))
        .await
        .map_err(|source| ImapError::Connect { address: address.clone(), source })?;
    let greeting = |error: std::io::Error| ImapError::Greeting { address: address.clone(), message: error.to_string() };
    let client: Client<Box<dyn Stream>> = match config.security {
        Security::Plain => {
            let mut client = Client::new(Box::new(tcp) as Box<dyn Stream>);
            read_greeting(&mut client).await.map_err(greeting)?;
            client
        }
        Security::Tls => {
            let tls = handshake(config, tcp).await?;
            let mut client = Client::new(Box::new(tls) as Box<dyn Stream>);
            read_greeting(&mut client).await.map_err(greeting)?;
            client
        }
        Security::Starttls => {
            let mut client = Client::new(tcp);
            read_greeting(&mut client).await.map_err(greeting)?;
            client.run_command_and_check_ok("STARTTLS", None).await.map_err(|error| ImapError::Tls {
                address: address.clone(),
                message: format!("the server refused STARTTLS: {error}"),
            })?;
            // No greeting follows STARTTLS.
            let tls = handshake(config, client.into_inner()).await?;
            Client::new(Box::new(tls) as Box<dyn Stream>)
        }
    };
    client.login(&config.user, &config.password).await.map_err(|(error, _)| ImapError::Login {
        address,
        user: config.user.clone(),
        message: error.to_string(),
    })
}

async fn read_greeting<T: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug>(
    client: &mut Client<T>,
) -> std::io::Result<()> {
    match client.read_response().await? {
        Some(_) => Ok(()),
        None => Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the server closed before its greeting")),
    }
}

async fn handshake(
    config: &MailboxConfig,
    tcp: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, ImapError> {
    let address = config.address();
    let tls_error = |message: String| ImapError::Tls { address: address.clone(), message };
    let connector = TlsConnector::from(Arc::new(tls_config(config)?));
    let name = ServerName::try_from(config.host.clone())
        .map_err(|error| tls_error(format!("\"{}\" is not a host name for TLS: {error}", config.host)))?;
    connector.connect(name, tcp).await.map_err(|error| tls_error(format!("handshake failed: {error}")))
}

/// Trusts only the CAs of `ca_file` when set (a private CA, or a server's
/// self-signed certificate), otherwise Mozilla's roots.
fn tls_config(config: &MailboxConfig) -> Result<ClientConfig, ImapError> {
    let address = config.address();
    let mut roots = RootCertStore::empty();
    match &config.ca_file {
        Some(path) => {
            let ca_error = |message: String| ImapError::CaFile { path: path.clone(), message };
            let certificates = CertificateDer::pem_file_iter(path)
                .map_err(|error| ca_error(error.to_string()))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|error| ca_error(error.to_string()))?;
            if certificates.is_empty() {
                return Err(ca_error("no PEM certificate in it".to_owned()));
            }
            for certificate in certificates {
                roots.add(certificate).map_err(|error| ca_error(error.to_string()))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| ImapError::Tls { address, message: error.to_string() })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

/// Runs one IMAP step with a time limit, naming the step when it fails.
pub(crate) async fn step<T>(
    config: &MailboxConfig,
    uid: Option<u32>,
    what: &str,
    future: impl Future<Output = async_imap::error::Result<T>>,
) -> Result<T, ImapError> {
    const STEP_TIMEOUT: Duration = Duration::from_secs(120);
    let command = |message: String| ImapError::Command {
        address: config.address(),
        folder: config.folder.clone(),
        uid,
        what: what.to_owned(),
        message,
    };
    match tokio::time::timeout(STEP_TIMEOUT, future).await {
        Ok(result) => result.map_err(|error| command(error.to_string())),
        Err(_) => Err(command(format!("no answer within {} seconds", STEP_TIMEOUT.as_secs()))),
    }
}
