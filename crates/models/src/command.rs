//! `command`: an external program reads the document and answers orders.
//!
//! The program is run as `program args... PATH`, where PATH is the document
//! written to a temporary file with its original extension; its stdin gets
//! `{"path", "file_name", "text", "context"}` as JSON; its stdout must be
//! `{"orders": [ORDER...], "usage": {"prompt_tokens", "completion_tokens",
//! "cost"}}` (usage optional). It runs under a time-out and is killed when it
//! takes longer; a non-zero exit or an answer that is not that JSON is a
//! [`ModelError`] naming the program and showing the end of its stderr.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use prodline_core::Usage;
use prodline_extract::{Model, ModelError, ModelInput, ModelOutput};
use serde_json::json;

use crate::{model_error, parse_answer};

/// How much of stderr an error shows (its end: where programs say why).
const STDERR_TAIL: usize = 600;

#[derive(Debug, Clone)]
pub struct CommandModel {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub timeout: Duration,
}

impl CommandModel {
    pub fn new(program: impl Into<PathBuf>, args: Vec<String>, timeout: Duration) -> CommandModel {
        CommandModel { program: program.into(), args, timeout }
    }

    fn usage(&self, started: Instant) -> Usage {
        Usage {
            extractor: self.name(),
            calls: 1,
            millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            ..Usage::default()
        }
    }
}

impl Model for CommandModel {
    fn name(&self) -> String {
        let program = self.program.file_name().map(|n| n.to_string_lossy().into_owned());
        format!("command:{}", program.unwrap_or_else(|| self.program.display().to_string()))
    }

    fn extract(&self, input: &ModelInput<'_>) -> Result<ModelOutput, ModelError> {
        let started = Instant::now();
        let fail = |message: String| model_error(&self.name(), message, self.usage(started));
        let program = self.program.display().to_string();
        let folder = tempfile::tempdir().map_err(|e| fail(format!("cannot create a temporary folder: {e}")))?;
        let path = folder.path().join(document_name(input.file_name));
        std::fs::write(&path, input.bytes).map_err(|e| fail(format!("cannot write {}: {e}", path.display())))?;
        let stdin = json!({
            "path": path.display().to_string(),
            "file_name": input.file_name,
            "text": input.text.joined(),
            "context": input.context,
        });
        let run = run(&self.program, &self.args, &path, stdin.to_string().into_bytes(), self.timeout)
            .map_err(|e| fail(format!("{program}: {e}")))?;
        if !run.status_ok {
            return Err(fail(format!("{program} exited with {}; stderr: {}", run.status, tail(&run.stderr))));
        }
        let stdout = String::from_utf8_lossy(&run.stdout);
        let answer =
            parse_answer(&stdout).map_err(|e| fail(format!("{program}: {e}; stderr: {}", tail(&run.stderr))))?;
        let mut usage = self.usage(started);
        if let Some(reported) = answer.usage {
            usage.prompt_tokens = reported.prompt_tokens;
            usage.completion_tokens = reported.completion_tokens;
            usage.cost = reported.cost.unwrap_or_default();
        }
        Ok(ModelOutput { orders: answer.orders, usage })
    }
}

/// The document's own name (its extension tells the program the format),
/// reduced to its last path component.
fn document_name(file_name: Option<&str>) -> String {
    let name = file_name.and_then(|n| Path::new(n).file_name()).map(|n| n.to_string_lossy().into_owned());
    name.filter(|n| !n.trim().is_empty() && n != "." && n != "..").unwrap_or_else(|| "document".to_owned())
}

/// The last bytes of stderr, as text.
fn tail(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let text = text.trim();
    let skip = text.chars().count().saturating_sub(STDERR_TAIL);
    let tail: String = text.chars().skip(skip).collect();
    if tail.is_empty() { "(empty)".to_owned() } else { tail }
}

struct Finished {
    status_ok: bool,
    status: String,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Runs the program with `stdin` written and stdout/stderr read on their own
/// threads (a program that writes much before reading cannot block us), and
/// kills it when it outlives `timeout`.
fn run(program: &Path, args: &[String], path: &Path, stdin: Vec<u8>, timeout: Duration) -> Result<Finished, String> {
    let mut child = Command::new(program)
        .args(args)
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start it: {e}"))?;
    let writer = child.stdin.take().map(|mut pipe| {
        std::thread::spawn(move || {
            // A program that does not read its stdin closes the pipe: not an error.
            let _ = pipe.write_all(&stdin);
        })
    });
    let stdout = child.stdout.take().map(reader);
    let stderr = child.stderr.take().map(reader);
    // On a time-out the reader threads are left to end on their own: a
    // grandchild may still hold the pipes open.
    let status = wait(&mut child, timeout)?;
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    let stdout = collect(stdout);
    let stderr = collect(stderr);
    Ok(Finished { status_ok: status.success(), status: status.to_string(), stdout, stderr })
}

fn reader(mut pipe: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

fn collect(handle: Option<JoinHandle<Vec<u8>>>) -> Vec<u8> {
    handle.and_then(|h| h.join().ok()).unwrap_or_default()
}

fn wait(child: &mut Child, timeout: Duration) -> Result<std::process::ExitStatus, String> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("took longer than {} s and was killed", timeout.as_secs_f64()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("cannot wait for it: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_names_keep_their_extension_and_lose_their_folders() {
        assert_eq!(document_name(Some("docs/2026/po 4711.pdf")), "po 4711.pdf");
        assert_eq!(document_name(Some("..")), "document");
        assert_eq!(document_name(None), "document");
    }

    #[test]
    fn stderr_shows_its_end() {
        let long = format!("{}THE END", "x".repeat(2000));
        assert!(tail(long.as_bytes()).ends_with("THE END"));
        assert_eq!(tail(b"  "), "(empty)");
    }
}
