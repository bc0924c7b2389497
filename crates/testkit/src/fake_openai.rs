//! `FakeOpenAi`: a stand-in for a paid hosted chat-completions API, so the
//! `openai` extractor is tested end to end over real HTTP without one.
//!
//! It SAYS it is a fake: every answer's `model` is `prodline-fake-<name>`
//! and its `system_fingerprint` is `prodline-fake`. A real HTTP/1.1 server
//! on 127.0.0.1 (an ephemeral port), on threads of its own (std only), so it
//! answers whatever runtime the test's client runs on. It answers POST
//! `/chat/completions` with the orders a closure computes from the request
//! (the prompt), usage counted from the prompt's length (4 characters a
//! token); it can be told to fail the next N requests with a status
//! (500, 429) or to stall them (time-out tests), and it records every
//! request body.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{Value, json};

/// Computes the answer's `{"orders": [...]}` from the request body.
pub type Answerer = dyn Fn(&Value) -> Value + Send + Sync;

/// What the next requests get instead of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer this HTTP status (500, 429...).
    Status(u16),
    /// Say nothing for this long, then close.
    Stall(Duration),
}

struct Shared {
    answer: Box<Answerer>,
    faults: Mutex<Vec<Fault>>,
    requests: Mutex<Vec<Value>>,
    model: String,
}

pub struct FakeOpenAi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeOpenAi {
    /// Starts the server; `answer` gets each request body and returns the
    /// `{"orders": [...]}` the model "read".
    pub fn start(answer: impl Fn(&Value) -> Value + Send + Sync + 'static) -> std::io::Result<FakeOpenAi> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        listener.set_nonblocking(true)?;
        let shared = Arc::new(Shared {
            answer: Box::new(answer),
            faults: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
            model: "prodline-fake-orders".to_owned(),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (shared, stop) = (Arc::clone(&shared), Arc::clone(&stop));
            std::thread::spawn(move || accept(&listener, &shared, &stop))
        };
        Ok(FakeOpenAi { addr, shared, stop, thread: Some(thread) })
    }

    /// `http://127.0.0.1:PORT/v1`, the `base_url` to configure.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The model name it answers as (`prodline-fake-...`).
    pub fn model(&self) -> &str {
        &self.shared.model
    }

    /// The next `times` requests get `fault`, in order after faults already queued.
    pub fn fail_next(&self, times: usize, fault: Fault) {
        let mut faults = self.shared.faults.lock().unwrap_or_else(PoisonError::into_inner);
        faults.extend(std::iter::repeat_n(fault, times));
    }

    /// Every request body received so far (faulted ones included).
    pub fn requests(&self) -> Vec<Value> {
        self.shared.requests.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl Drop for FakeOpenAi {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn accept(listener: &TcpListener, shared: &Arc<Shared>, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let shared = Arc::clone(shared);
                std::thread::spawn(move || {
                    let _ = serve(stream, &shared);
                });
            }
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// One connection: requests until the client closes it.
fn serve(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    loop {
        let Some((path, body)) = read_request(&mut reader)? else { return Ok(()) };
        let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        shared.requests.lock().unwrap_or_else(PoisonError::into_inner).push(request.clone());
        let fault = {
            let mut faults = shared.faults.lock().unwrap_or_else(PoisonError::into_inner);
            if faults.is_empty() { None } else { Some(faults.remove(0)) }
        };
        match fault {
            Some(Fault::Stall(pause)) => {
                std::thread::sleep(pause);
                return Ok(());
            }
            Some(Fault::Status(status)) => {
                let error = json!({"error": {"message": "prodline-fake: failing as told", "type": "fake"}});
                respond(&mut writer, status, &error)?;
            }
            None if path.ends_with("/chat/completions") => respond(&mut writer, 200, &completion(shared, &request))?,
            None => respond(&mut writer, 404, &json!({"error": {"message": format!("prodline-fake: no {path}")}}))?,
        }
    }
}

/// The request line's path and the body (by Content-Length); `None` at EOF.
fn read_request(reader: &mut impl BufRead) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let path = line.split_whitespace().nth(1).unwrap_or_default().to_owned();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Some((path, body)))
}

fn respond(writer: &mut impl Write, status: u16, body: &Value) -> std::io::Result<()> {
    let body = body.to_string();
    let head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        if status == 200 { "OK" } else { "Fake" },
        body.len()
    );
    writer.write_all(head.as_bytes())?;
    writer.write_all(body.as_bytes())?;
    writer.flush()
}

/// A chat completion whose content is the closure's orders, as JSON text.
fn completion(shared: &Shared, request: &Value) -> Value {
    let prompt: usize = request
        .get("messages")
        .and_then(Value::as_array)
        .map(|messages| messages.iter().filter_map(|m| m.get("content").and_then(Value::as_str)).map(str::len).sum())
        .unwrap_or(0);
    let content = (shared.answer)(request).to_string();
    let (prompt_tokens, completion_tokens) = (prompt.div_ceil(4), content.len().div_ceil(4));
    json!({
        "id": "chatcmpl-prodline-fake",
        "object": "chat.completion",
        "created": 0,
        "model": shared.model,
        "system_fingerprint": "prodline-fake",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "finish_reason": "stop",
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    })
}

/// The user message of a request: the document text and context the
/// extractor sent.
pub fn user_prompt(request: &Value) -> String {
    let messages = request.get("messages").and_then(Value::as_array);
    let user = messages.and_then(|m| m.iter().find(|m| m.get("role").and_then(Value::as_str) == Some("user")));
    user.and_then(|m| m.get("content")).and_then(Value::as_str).unwrap_or_default().to_owned()
}
