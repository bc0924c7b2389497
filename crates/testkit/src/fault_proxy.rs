//! A fault proxy: a TCP forwarder between the runtime and a real target that a
//! test switches between passing traffic and the ways a target goes down
//! (connection refused, a black hole that never answers, connections reset,
//! the reply to a COMMIT lost after the server committed, an HTTP 500).
//!
//! The only stand-in the outage tests use: the database or ERP behind it is
//! real. Plain threads and std sockets, so it needs no runtime features; each
//! connection is two copying threads, enough for a test's handful.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

/// How the proxy treats traffic from the moment it is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward both ways: the target is up.
    Pass,
    /// The port is closed: a connect gets "connection refused"; open connections are cut.
    Refuse,
    /// Connections are accepted and nothing ever comes back (a partition): the
    /// client must time out. Open connections go silent too.
    BlackHole,
    /// Connections are accepted and closed at once; open connections are cut.
    Reset,
    /// Forwards, but once the client has sent a COMMIT, the server's answer is
    /// dropped and the connection cut: the transaction is in, the client does
    /// not know it.
    LoseCommitReply,
    /// Answers every HTTP request `500 Internal Server Error` (an ERP's web
    /// service failing) without reaching the target.
    Http500,
}

/// Poll step of the accept loop (the listener is non-blocking so it can be closed).
const ACCEPT_POLL: Duration = Duration::from_millis(5);

struct Shared {
    fault: Mutex<Fault>,
    /// Every connection, client side and server side, so a switch can cut them.
    open: Mutex<Vec<TcpStream>>,
    stop: AtomicBool,
}

impl Shared {
    fn fault(&self) -> Fault {
        *lock(&self.fault)
    }

    fn cut_all(&self) {
        for stream in lock(&self.open).drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    fn track(&self, stream: &TcpStream) {
        if let Ok(clone) = stream.try_clone() {
            lock(&self.open).push(clone);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A fault proxy listening on 127.0.0.1, forwarding to `upstream` while in [`Fault::Pass`].
pub struct FaultProxy {
    addr: SocketAddr,
    upstream: SocketAddr,
    shared: Arc<Shared>,
    /// The accept loop of the listener while the port is open.
    listener: Mutex<Option<(Arc<AtomicBool>, thread::JoinHandle<()>)>>,
}

impl FaultProxy {
    /// Starts passing traffic to `upstream` on a free local port.
    pub fn start(upstream: SocketAddr) -> io::Result<FaultProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared =
            Arc::new(Shared { fault: Mutex::new(Fault::Pass), open: Mutex::new(Vec::new()), stop: false.into() });
        let proxy = FaultProxy { addr, upstream, shared, listener: Mutex::new(None) };
        proxy.listen(listener)?;
        Ok(proxy)
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Switches the fault; open connections are cut unless the new fault is
    /// `Pass` or `LoseCommitReply` (which act on the next exchange).
    /// Fails only when the port, closed for `Refuse`, cannot be bound again.
    pub fn set(&self, fault: Fault) -> io::Result<()> {
        let before = std::mem::replace(&mut *lock(&self.shared.fault), fault);
        if before == fault {
            return Ok(());
        }
        match fault {
            Fault::Refuse => {
                self.close_port();
                self.shared.cut_all();
            }
            Fault::Reset | Fault::Http500 => self.shared.cut_all(),
            // Silence: the copying threads stop forwarding by themselves.
            Fault::BlackHole => {}
            Fault::Pass | Fault::LoseCommitReply => {
                if before == Fault::BlackHole {
                    // Connections silenced by the black hole are dead to their clients.
                    self.shared.cut_all();
                }
            }
        }
        if fault != Fault::Refuse && lock(&self.listener).is_none() {
            // std sets SO_REUSEADDR on Unix, so the port just closed can be bound again.
            self.listen(TcpListener::bind(self.addr)?)?;
        }
        Ok(())
    }

    fn listen(&self, listener: TcpListener) -> io::Result<()> {
        listener.set_nonblocking(true)?;
        let closed = Arc::new(AtomicBool::new(false));
        let shared = Arc::clone(&self.shared);
        let upstream = self.upstream;
        let stop = Arc::clone(&closed);
        let handle = thread::spawn(move || accept_loop(&listener, upstream, &shared, &stop));
        *lock(&self.listener) = Some((closed, handle));
        Ok(())
    }

    /// Closes the listening socket, so the kernel refuses new connections.
    fn close_port(&self) {
        if let Some((closed, handle)) = lock(&self.listener).take() {
            closed.store(true, Ordering::SeqCst);
            let _ = handle.join();
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.close_port();
        self.shared.cut_all();
    }
}

fn accept_loop(listener: &TcpListener, upstream: SocketAddr, shared: &Arc<Shared>, closed: &AtomicBool) {
    while !closed.load(Ordering::SeqCst) && !shared.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((client, _)) => {
                let _ = client.set_nonblocking(false);
                let shared = Arc::clone(shared);
                thread::spawn(move || serve(client, upstream, &shared));
            }
            Err(error) if error.kind() == ErrorKind::WouldBlock => thread::sleep(ACCEPT_POLL),
            Err(_) => thread::sleep(ACCEPT_POLL),
        }
    }
}

fn serve(client: TcpStream, upstream: SocketAddr, shared: &Arc<Shared>) {
    shared.track(&client);
    match shared.fault() {
        Fault::Refuse | Fault::Reset => {
            let _ = client.shutdown(Shutdown::Both);
        }
        Fault::BlackHole => {} // Tracked and never answered; cut when the fault changes.
        Fault::Http500 => answer_500(client),
        Fault::Pass | Fault::LoseCommitReply => {
            let Ok(server) = TcpStream::connect(upstream) else {
                let _ = client.shutdown(Shutdown::Both);
                return;
            };
            shared.track(&server);
            let committed = Arc::new(AtomicBool::new(false));
            let (Ok(client_read), Ok(server_write)) = (client.try_clone(), server.try_clone()) else { return };
            let to_server = {
                let shared = Arc::clone(shared);
                let committed = Arc::clone(&committed);
                thread::spawn(move || copy(client_read, server_write, &shared, Direction::ToServer, &committed))
            };
            copy(server, client, shared, Direction::ToClient, &committed);
            let _ = to_server.join();
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    ToServer,
    ToClient,
}

/// Copies one direction until either side closes, applying the fault of the moment.
fn copy(mut from: TcpStream, mut to: TcpStream, shared: &Shared, direction: Direction, committed: &AtomicBool) {
    let mut buffer = [0u8; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        let chunk = &buffer[..read];
        match (shared.fault(), direction) {
            (Fault::BlackHole, _) => continue,
            (Fault::LoseCommitReply, Direction::ToServer) if contains(chunk, b"COMMIT") => {
                committed.store(true, Ordering::SeqCst);
            }
            (Fault::LoseCommitReply, Direction::ToClient) if committed.load(Ordering::SeqCst) => break,
            _ => {}
        }
        if to.write_all(chunk).is_err() {
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window.eq_ignore_ascii_case(needle))
}

/// Reads one request (headers and a `Content-Length` body) and answers 500.
fn answer_500(mut client: TcpStream) {
    let _ = client.set_read_timeout(Some(Duration::from_secs(5)));
    let mut request = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match client.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(read) => request.extend_from_slice(&buffer[..read]),
        }
        if let Some(end) = request.windows(4).position(|window| window == b"\r\n\r\n") {
            let headers = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
            let length = headers
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if request.len() >= end + 4 + length {
                break;
            }
        }
    }
    let body = "fault proxy: the ERP answered 500";
    let response = format!(
        "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = client.write_all(response.as_bytes());
    let _ = client.shutdown(Shutdown::Both);
}
