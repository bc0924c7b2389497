//! Running one external tool under a time-out.
//!
//! `std::process` has no wait-with-deadline, so the child is polled with
//! `try_wait` while two threads drain its pipes (a child that fills a pipe
//! nobody reads would never exit). On time-out the child is killed and its
//! reader threads are left to finish on their own: a grandchild still holding
//! a pipe must not make us wait for it.

use std::ffi::OsStr;
use std::io::{self, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::ToolError;

/// How often a running child is polled. Tools run for tens of milliseconds
/// (pdftotext) to seconds (tesseract): 5 ms costs nothing and adds little.
const POLL: Duration = Duration::from_millis(5);

/// At most this much of a tool's stderr goes into an error message.
const STDERR_LIMIT: usize = 2_000;

/// Runs `tool args...` with no stdin and returns its stdout when it exits
/// with status 0 within `timeout`.
pub(crate) fn run_tool<S: AsRef<OsStr>>(tool: &Path, args: &[S], timeout: Duration) -> Result<Vec<u8>, ToolError> {
    let name = tool.display().to_string();
    let mut child = Command::new(tool)
        .args(args)
        // Tesseract's OpenMP threads fight over the cores with every other
        // document being read at the same time; one thread each is faster.
        .env("OMP_THREAD_LIMIT", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| spawn_error(&name, error))?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let status = match wait_until(&mut child, Instant::now() + timeout)? {
        Some(status) => status,
        None => {
            // Killing a child that has just exited fails harmlessly.
            let _ = child.kill();
            let _ = child.wait();
            return Err(ToolError::Timeout { tool: name, seconds: timeout.as_secs() });
        }
    };
    let stdout = joined(stdout)?;
    let stderr = joined(stderr)?;
    if !status.success() {
        return Err(ToolError::Failed { tool: name, status: status.to_string(), stderr: stderr_text(&stderr) });
    }
    Ok(stdout)
}

fn spawn_error(tool: &str, error: io::Error) -> ToolError {
    match error.kind() {
        io::ErrorKind::NotFound => ToolError::Missing { tool: tool.to_owned() },
        _ => ToolError::Io(io::Error::new(error.kind(), format!("starting {tool}: {error}"))),
    }
}

/// The child's exit status, or `None` when it is still running at `deadline`.
fn wait_until(child: &mut Child, deadline: Instant) -> Result<Option<ExitStatus>, ToolError> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        thread::sleep(POLL.min(deadline - now));
    }
}

fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> Option<JoinHandle<io::Result<Vec<u8>>>> {
    let mut pipe = pipe?;
    Some(thread::spawn(move || {
        let mut bytes = Vec::new();
        pipe.read_to_end(&mut bytes)?;
        Ok(bytes)
    }))
}

fn joined(reader: Option<JoinHandle<io::Result<Vec<u8>>>>) -> Result<Vec<u8>, ToolError> {
    let Some(reader) = reader else { return Ok(Vec::new()) };
    match reader.join() {
        Ok(bytes) => Ok(bytes?),
        Err(_) => Err(ToolError::Io(io::Error::other("the thread reading a tool's output panicked"))),
    }
}

/// The end of stderr (where the reason usually is), trimmed, as text.
fn stderr_text(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let text = text.trim();
    let start = text.len().saturating_sub(STDERR_LIMIT);
    let start = (start..=text.len()).find(|&i| text.is_char_boundary(i)).unwrap_or(text.len());
    text[start..].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stderr_is_cut_at_a_char_boundary() {
        let long = "é".repeat(STDERR_LIMIT);
        let cut = stderr_text(long.as_bytes());
        assert!(cut.len() <= STDERR_LIMIT);
        assert!(cut.chars().all(|c| c == 'é'));
    }

    #[test]
    fn a_missing_program_is_missing() {
        let result = run_tool(Path::new("/nonexistent/prodline-tool"), &["x"], Duration::from_secs(1));
        assert!(matches!(result, Err(ToolError::Missing { tool }) if tool.contains("prodline-tool")));
    }
}
