//! The document as a person sees it: PDF pages rendered to PNG by poppler's
//! `pdftoppm`, images as they are, e-mails as headers, text and attachments
//! (never the sender's HTML), EDI one segment per line with its loops
//! indented, spreadsheets and CSV as tables, anything else as text.
//!
//! [`viewer`] is the markup the review desk and the document page embed; the
//! routes serve what it points at: `GET /documents/{id}/raw` (the original
//! bytes), `/documents/{id}/page/{n}` (a PDF page as PNG),
//! `/documents/{id}/part/{n}` (an e-mail attachment) and
//! `/documents/{id}/part/{n}/page/{p}` (a page of a PDF attachment).
//!
//! Stored bytes come from outside, so they are never served as anything a
//! browser would run: an image type only for bytes whose magic says image,
//! everything else `application/octet-stream` as an attachment (and
//! `nosniff` on every answer, see `layout::security_headers`).

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::io::Cursor;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use mail_parser::{Message, MessagePart, MimeHeaders};
use maud::{Markup, html};
use prodline_core::Format;
use prodline_store::{DocumentId, DocumentRecord, Role, Store};
use prodline_textin::email::parse_mime;
use tokio::io::AsyncWriteExt;

use crate::auth::{Denied, person};
use crate::layout::error_page;
use crate::{Shared, WebState};

/// Pages of a PDF shown at most; the rest is in the download.
const MAX_PAGES: u32 = 60;
/// Rows and columns of a spreadsheet or CSV shown at most.
const MAX_ROWS: usize = 200;
const MAX_COLUMNS: usize = 40;
/// Text shown at most (bytes); the rest is in the download.
const MAX_TEXT: usize = 256 * 1024;
/// EDI segments shown at most.
const MAX_SEGMENTS: usize = 5000;
/// `pdfinfo` answers at once; `pdftoppm` may take a few seconds on a dense page.
const INFO_TIMEOUT: Duration = Duration::from_secs(10);
const RENDER_TIMEOUT: Duration = Duration::from_secs(30);
/// Resolution pages are rendered at: readable at the desk's column width.
const RENDER_DPI: &str = "110";
/// Rendered pages kept in memory (a page is 50–400 KB).
const PAGE_CACHE_ENTRIES: usize = 48;

pub(crate) fn routes<S: Store + Clone + 'static>(state: Shared<S>) -> Router {
    Router::new()
        .route("/documents/{id}/raw", get(raw::<S>))
        .route("/documents/{id}/page/{n}", get(page::<S>))
        .route("/documents/{id}/part/{n}", get(part::<S>))
        .route("/documents/{id}/part/{n}/page/{p}", get(part_page::<S>))
        .with_state(state)
}

/// The document's viewer: what it is, a download link, and its content
/// shown the way its kind reads best.
pub(crate) async fn viewer<S: Store>(state: &WebState<S>, document: &DocumentRecord) -> Markup {
    let base = format!("/documents/{}", document.id);
    let bytes = match state.store().blob(&document.sha256).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return problem(&format!("the stored bytes {} of this document are missing", document.sha256)),
        Err(error) => return problem(&format!("the store did not answer: {error}")),
    };
    let kind = Kind::of(&bytes, &document.file_name);
    let links = Links { raw: format!("{base}/raw"), pages: base.clone(), part: Some(base) };
    let content = content(&bytes, kind, &links, document.sha256.as_str()).await;
    html! {
        section.viewer #viewer data-kind=(kind.name()) {
            div.viewer-bar {
                span.kind { (kind.label()) }
                span.muted { (document.file_name) " · " (size_text(bytes.len())) }
                a #download href=(links.raw) { "Download original" }
            }
            (content)
        }
    }
}

/// What a document is, for showing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pdf,
    /// PNG, JPEG, GIF or WebP: every browser shows it.
    Image,
    /// TIFF, BMP: a browser does not show it; download it.
    OtherImage,
    Email,
    X12,
    Edifact,
    Csv,
    Xlsx,
    Text,
    Binary,
}

impl Kind {
    /// By content first, file name second, as the pipeline tells formats.
    fn of(bytes: &[u8], file_name: &str) -> Kind {
        match prodline_formats::detect(bytes, Some(file_name)) {
            Format::Pdf => Kind::Pdf,
            Format::Image if browser_image(bytes).is_some() => Kind::Image,
            Format::Image => Kind::OtherImage,
            Format::Email => Kind::Email,
            Format::X12 => Kind::X12,
            Format::Edifact => Kind::Edifact,
            Format::Csv => Kind::Csv,
            Format::Xlsx => Kind::Xlsx,
            Format::Ubl | Format::Text => Kind::Text,
            Format::Unknown if looks_like_text(bytes) => Kind::Text,
            Format::Unknown => Kind::Binary,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Pdf => "pdf",
            Kind::Image | Kind::OtherImage => "image",
            Kind::Email => "email",
            Kind::X12 => "x12",
            Kind::Edifact => "edifact",
            Kind::Csv => "csv",
            Kind::Xlsx => "xlsx",
            Kind::Text => "text",
            Kind::Binary => "binary",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Kind::Pdf => "PDF",
            Kind::Image | Kind::OtherImage => "Image",
            Kind::Email => "E-mail",
            Kind::X12 => "EDI X12",
            Kind::Edifact => "EDIFACT",
            Kind::Csv => "CSV",
            Kind::Xlsx => "Spreadsheet",
            Kind::Text => "Text",
            Kind::Binary => "File",
        }
    }
}

/// Where the viewer's images and downloads come from: the document itself,
/// or one attachment of it.
struct Links {
    /// The original bytes.
    raw: String,
    /// `{pages}/page/{n}` is page n as PNG.
    pages: String,
    /// `{part}/part/{n}` is attachment n; `None` inside an attachment (one level only).
    part: Option<String>,
}

type Rendering<'a> = Pin<Box<dyn Future<Output = Markup> + Send + 'a>>;

/// The content of one document or attachment (boxed: an e-mail renders its attachments with it).
fn content<'a>(bytes: &'a [u8], kind: Kind, links: &'a Links, sha256: &'a str) -> Rendering<'a> {
    Box::pin(async move {
        match kind {
            Kind::Pdf => pdf_pages(bytes, links).await,
            Kind::Image => html! { img.page src=(links.raw) alt="the document as received"; },
            Kind::OtherImage => download_only("This image format is not shown by browsers.", links),
            Kind::Email => email(bytes, links, sha256).await,
            Kind::X12 => edi(bytes, x12_segments),
            Kind::Edifact => edi(bytes, edifact_segments),
            Kind::Csv => cells_table(&csv_cells(bytes)),
            Kind::Xlsx => xlsx(bytes).await,
            Kind::Text => text_block(bytes),
            Kind::Binary => download_only("This file is not text; it can only be downloaded.", links),
        }
    })
}

fn problem(message: &str) -> Markup {
    html! { p.error.viewer-problem role="alert" { (message) } }
}

fn download_only(message: &str, links: &Links) -> Markup {
    html! { p.muted { (message) " " a href=(links.raw) { "Download it" } "." } }
}

fn size_text(bytes: usize) -> String {
    match bytes {
        0..1024 => format!("{bytes} B"),
        1024..1_048_576 => format!("{:.0} KB", bytes as f64 / 1024.0),
        _ => format!("{:.1} MB", bytes as f64 / 1_048_576.0),
    }
}

// ---------------------------------------------------------------- routes

/// `GET /documents/{id}/raw`: the original bytes, never as something a browser runs.
async fn raw<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    match stored(&state, &headers, &uri, &id).await {
        Ok((document, bytes)) => safe_bytes(bytes, &document.file_name),
        Err(response) => response,
    }
}

/// `GET /documents/{id}/page/{n}`: page n of a PDF document as PNG.
async fn page<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    Path((id, n)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let (document, bytes) = match stored(&state, &headers, &uri, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    rendered_page(&bytes, document.sha256.as_str(), None, &n).await
}

/// `GET /documents/{id}/part/{n}`: attachment n of an e-mail document.
async fn part<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    Path((id, n)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let (_, bytes) = match stored(&state, &headers, &uri, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    match attachment(&bytes, &n) {
        Some((name, content)) => safe_bytes(content, &name),
        None => no_attachment(&n),
    }
}

/// `GET /documents/{id}/part/{n}/page/{p}`: page p of a PDF attached to an e-mail document.
async fn part_page<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    Path((id, n, p)): Path<(String, String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let (document, bytes) = match stored(&state, &headers, &uri, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    match attachment(&bytes, &n) {
        Some((_, content)) => rendered_page(&content, document.sha256.as_str(), Some(&n), &p).await,
        None => no_attachment(&n),
    }
}

/// The person may read documents, and the document and its bytes exist.
async fn stored<S: Store>(
    state: &WebState<S>,
    headers: &HeaderMap,
    uri: &Uri,
    id: &str,
) -> Result<(DocumentRecord, Vec<u8>), Response> {
    person(state, headers, &uri.to_string(), Role::Reviewer).await.map_err(IntoResponse::into_response)?;
    let not_found = || error_page(StatusCode::NOT_FOUND, "No such document", &format!("there is no document {id}"));
    let id = id.parse::<i64>().map(DocumentId).map_err(|_| not_found())?;
    let store = state.store();
    let document = store.document(id).await.map_err(store_down)?.ok_or_else(not_found)?;
    let bytes = store.blob(&document.sha256).await.map_err(store_down)?.ok_or_else(|| {
        let message = format!("the stored bytes {} of document {id} are missing", document.sha256);
        error_page(StatusCode::NOT_FOUND, "Bytes missing", &message)
    })?;
    Ok((document, bytes))
}

fn store_down(error: prodline_store::StoreError) -> Response {
    Denied::Store(error.to_string()).into_response()
}

/// Attachment `n` of the e-mail in `bytes`: its file name and content.
fn attachment(bytes: &[u8], n: &str) -> Option<(String, Vec<u8>)> {
    let index = n.parse::<u32>().ok()?;
    let message = parse_mime(bytes)?;
    let part = message.attachment(index)?;
    Some((attachment_name(part, index), part.contents().to_vec()))
}

fn no_attachment(n: &str) -> Response {
    error_page(StatusCode::NOT_FOUND, "No such attachment", &format!("there is no attachment {n}"))
}

/// Bytes from outside with a type no browser runs: an image type only when
/// the bytes' magic says so (shown inline), everything else a download.
fn safe_bytes(bytes: Vec<u8>, file_name: &str) -> Response {
    let name = safe_file_name(file_name);
    let (kind, disposition) = match browser_image(&bytes) {
        Some(kind) => (kind, format!("inline; filename=\"{name}\"")),
        None => ("application/octet-stream", format!("attachment; filename=\"{name}\"")),
    };
    let disposition = HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment"));
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
        (header::CONTENT_DISPOSITION, disposition),
        (header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=600")),
    ];
    (headers, bytes).into_response()
}

/// The image types every browser shows, by magic bytes.
fn browser_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        Some("image/webp")
    } else {
        None
    }
}

/// A file name safe inside a quoted header value: ASCII letters, digits, `.-_` only.
fn safe_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let safe: String = base
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
        .take(100)
        .collect();
    if safe.trim_matches(['.', '_']).is_empty() { "document".to_owned() } else { safe }
}

// ---------------------------------------------------------------- PDF pages

/// Why poppler gave no answer.
#[derive(Debug)]
enum ToolProblem {
    /// The program is not installed.
    Missing(&'static str),
    Failed(String),
}

impl ToolProblem {
    fn message(&self) -> String {
        match self {
            ToolProblem::Missing(program) => {
                format!("{program} is not installed: run scripts/ocr.sh (Debian poppler-utils) to show PDF pages")
            }
            ToolProblem::Failed(problem) => problem.clone(),
        }
    }
}

/// Runs `program` with `input` on stdin; its stdout, or why not. It is
/// killed when the time is up (and when the request is dropped).
async fn run_tool(
    program: &'static str,
    args: &[&str],
    input: &[u8],
    timeout: Duration,
) -> Result<Vec<u8>, ToolProblem> {
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => ToolProblem::Missing(program),
            _ => ToolProblem::Failed(format!("{program} could not start: {error}")),
        })?;
    let mut stdin = child.stdin.take().ok_or_else(|| ToolProblem::Failed(format!("{program}: no stdin")))?;
    let input = input.to_vec();
    // Written beside the read: a tool that answers before it has read all its input must not block us.
    let writer = tokio::spawn(async move {
        let _ = stdin.write_all(&input).await;
    });
    let output = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .map_err(|_| ToolProblem::Failed(format!("{program} took longer than {} s", timeout.as_secs())))?
        .map_err(|error| ToolProblem::Failed(format!("{program} failed: {error}")))?;
    writer.abort();
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let problem = stderr.lines().next().unwrap_or("no message");
        return Err(ToolProblem::Failed(format!("{program} failed ({}): {problem}", output.status)));
    }
    Ok(output.stdout)
}

/// The number of pages, from `pdfinfo`.
async fn page_count(pdf: &[u8]) -> Result<u32, ToolProblem> {
    let info = run_tool("pdfinfo", &["-"], pdf, INFO_TIMEOUT).await?;
    let text = String::from_utf8_lossy(&info);
    text.lines()
        .find_map(|line| line.strip_prefix("Pages:"))
        .and_then(|pages| pages.trim().parse().ok())
        .ok_or_else(|| ToolProblem::Failed("pdfinfo names no page count: the PDF may be damaged".to_owned()))
}

/// One `<img>` per page, each rendered when the browser scrolls to it.
async fn pdf_pages(pdf: &[u8], links: &Links) -> Markup {
    let pages = match page_count(pdf).await {
        Ok(pages) => pages,
        Err(problem) => return html! { (self::problem(&problem.message())) (download_only("The PDF itself:", links)) },
    };
    let shown = pages.min(MAX_PAGES);
    html! {
        div.pages {
            @for n in 1..=shown {
                img.page src={ (links.pages) "/page/" (n) } alt={ "page " (n) " of " (pages) } loading="lazy";
            }
            @if pages > shown { p.muted { (pages - shown) " more pages: download the original to see them." } }
            @if pages == 0 { p.muted { "The PDF has no pages." } }
        }
    }
}

/// A page as PNG (cached by the bytes' hash, the part and the page).
async fn rendered_page(pdf: &[u8], sha256: &str, part: Option<&str>, n: &str) -> Response {
    let missing = || error_page(StatusCode::NOT_FOUND, "No such page", &format!("there is no page {n}"));
    let Ok(number) = n.parse::<u32>() else { return missing() };
    if number == 0 || !pdf.windows(4).take(1024).any(|w| w == b"%PDF") {
        return missing();
    }
    let key = format!("{sha256}/{}/{number}", part.unwrap_or("-"));
    let png = match cached_page(&key) {
        Some(png) => png,
        None => {
            let page = number.to_string();
            let args = ["-r", RENDER_DPI, "-png", "-f", &page, "-l", &page, "-singlefile", "-"];
            match run_tool("pdftoppm", &args, pdf, RENDER_TIMEOUT).await {
                Ok(png) if png.starts_with(b"\x89PNG") => {
                    remember_page(key, png.clone());
                    png
                }
                Ok(_) => return missing(),
                // A page past the end is the viewer's 404, not poppler's failure.
                Err(_) if page_count(pdf).await.is_ok_and(|pages| number > pages) => return missing(),
                Err(problem) => {
                    return error_page(StatusCode::SERVICE_UNAVAILABLE, "Page not rendered", &problem.message());
                }
            }
        }
    };
    let headers = [(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "private, max-age=600")];
    (headers, png).into_response()
}

/// Rendered pages, newest last. The crate's one global state: a page takes
/// pdftoppm a few hundred milliseconds, and a reviewer opens the same
/// document several times (desk, document page, back again).
static PAGES: LazyLock<Mutex<PageCache>> = LazyLock::new(Mutex::default);

#[derive(Default)]
struct PageCache {
    pages: HashMap<String, Vec<u8>>,
    order: VecDeque<String>,
}

fn cached_page(key: &str) -> Option<Vec<u8>> {
    PAGES.lock().ok()?.pages.get(key).cloned()
}

fn remember_page(key: String, png: Vec<u8>) {
    let Ok(mut cache) = PAGES.lock() else { return };
    if cache.pages.insert(key.clone(), png).is_none() {
        cache.order.push_back(key);
    }
    while cache.order.len() > PAGE_CACHE_ENTRIES {
        if let Some(oldest) = cache.order.pop_front() {
            cache.pages.remove(&oldest);
        }
    }
}

// ---------------------------------------------------------------- e-mail

/// One attachment as listed.
struct Attached {
    index: u32,
    name: String,
    content_type: String,
    bytes: Vec<u8>,
}

/// Headers, the text (an HTML body as text: the sender's HTML is never
/// rendered), then each attachment listed and shown.
async fn email(bytes: &[u8], links: &Links, sha256: &str) -> Markup {
    let Some(message) = parse_mime(bytes) else {
        return html! { (problem("No e-mail header could be read; the raw text follows.")) (text_block(bytes)) };
    };
    let header = email_header(&message);
    let body = message.body_text(0).map(|text| text.replace("\r\n", "\n")).unwrap_or_default();
    let attached: Vec<Attached> = message
        .attachments()
        .zip(0u32..)
        .map(|(part, index)| Attached {
            index,
            name: attachment_name(part, index),
            content_type: content_type(part),
            bytes: part.contents().to_vec(),
        })
        .collect();
    drop(message);
    let mut shown = Vec::new();
    for attachment in &attached {
        shown.push(attachment_view(attachment, links, sha256).await);
    }
    html! {
        (header)
        pre.email-body { (clip(&body)) }
        @if !attached.is_empty() {
            h3 { "Attachments" }
            ul.attachments {
                @for attachment in &attached {
                    li { a href={ "#part-" (attachment.index) } { (attachment.name) } " · " span.muted { (attachment.content_type) " · " (size_text(attachment.bytes.len())) } }
                }
            }
            @for view in shown { (view) }
        }
    }
}

fn email_header(message: &Message<'_>) -> Markup {
    let addresses = |address: Option<&mail_parser::Address<'_>>| -> String {
        address
            .map(|list| {
                list.iter()
                    .map(|addr| match (addr.name(), addr.address()) {
                        (Some(name), Some(address)) => format!("{name} <{address}>"),
                        (None, Some(address)) => address.to_owned(),
                        (Some(name), None) => name.to_owned(),
                        (None, None) => String::new(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };
    let date = message.date().map(|date| date.to_rfc3339()).unwrap_or_default();
    html! {
        table.email-header {
            tr { th { "From" } td #email-from { (addresses(message.from())) } }
            tr { th { "To" } td { (addresses(message.to())) } }
            tr { th { "Subject" } td #email-subject { (message.subject().unwrap_or_default()) } }
            tr { th { "Date" } td { (date) } }
        }
    }
}

/// One attachment: PDFs as pages, images inline, EDI, tables and text as
/// the viewer shows them; anything else as a download.
async fn attachment_view(attachment: &Attached, links: &Links, sha256: &str) -> Markup {
    let Some(parts) = &links.part else {
        return html! { p.muted { (attachment.name) } };
    };
    let url = format!("{parts}/part/{}", attachment.index);
    let inner = Links { raw: url.clone(), pages: url.clone(), part: None };
    let kind = Kind::of(&attachment.bytes, &attachment.name);
    let content = content(&attachment.bytes, kind, &inner, sha256).await;
    html! {
        section.attachment id={ "part-" (attachment.index) } {
            h4 { (attachment.name) " " a.muted href=(url) { "download" } }
            (content)
        }
    }
}

fn content_type(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub).to_lowercase(),
            None => ct.ctype().to_lowercase(),
        },
        None if part.is_message() => "message/rfc822".to_owned(),
        None => "text/plain".to_owned(),
    }
}

fn attachment_name(part: &MessagePart<'_>, index: u32) -> String {
    part.attachment_name()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| if part.is_message() { format!("message-{index}.eml") } else { format!("part-{index}") })
}

// ---------------------------------------------------------------- text

/// No NUL byte and hardly any control characters in the first 4 KB
/// (text in any 8-bit encoding passes; its decoding is the viewer's job).
fn looks_like_text(bytes: &[u8]) -> bool {
    let head = bytes.get(..bytes.len().min(4096)).unwrap_or_default();
    let control = head.iter().filter(|b| **b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C)).count();
    !head.contains(&0) && control * 100 <= head.len()
}

fn clip(text: &str) -> &str {
    if text.len() <= MAX_TEXT {
        return text;
    }
    let mut end = MAX_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default()
}

fn text_block(bytes: &[u8]) -> Markup {
    let text = prodline_formats::csv::decode(bytes);
    let clipped = clip(&text);
    html! {
        pre.document-text { (clipped) }
        @if clipped.len() < text.len() { p.muted { "The text goes on: download the original to see it all." } }
    }
}

// ---------------------------------------------------------------- tables

/// A grid of cells as text, the first row shown as the header.
#[derive(Debug, Default, PartialEq, Eq)]
struct Cells {
    rows: Vec<Vec<String>>,
    /// Rows or columns were left out.
    clipped: bool,
    problem: Option<String>,
}

fn cells_table(cells: &Cells) -> Markup {
    let width = cells.rows.iter().map(Vec::len).max().unwrap_or(0);
    html! {
        @if let Some(problem) = &cells.problem { (self::problem(problem)) }
        @if let Some((header, rows)) = cells.rows.split_first() {
            div.sheet {
                table.cells {
                    thead { tr { th.rownum { "1" } @for col in 0..width { th { (header.get(col).map(String::as_str).unwrap_or_default()) } } } }
                    tbody {
                        @for (index, row) in rows.iter().enumerate() {
                            tr { td.rownum { (index + 2) } @for col in 0..width { td { (row.get(col).map(String::as_str).unwrap_or_default()) } } }
                        }
                    }
                }
            }
        }
        @if cells.clipped { p.muted { "Only the first " (MAX_ROWS) " rows and " (MAX_COLUMNS) " columns are shown." } }
    }
}

fn csv_cells(bytes: &[u8]) -> Cells {
    let text = prodline_formats::csv::decode(bytes);
    let delimiter = prodline_formats::csv::sniff_delimiter(&text);
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut cells = Cells::default();
    for record in reader.records() {
        if cells.rows.len() == MAX_ROWS {
            cells.clipped = true;
            break;
        }
        match record {
            Ok(record) => {
                cells.clipped |= record.len() > MAX_COLUMNS;
                cells.rows.push(record.iter().take(MAX_COLUMNS).map(str::to_owned).collect());
            }
            Err(error) => {
                cells.problem = Some(format!("the CSV could not be read past row {}: {error}", cells.rows.len()));
                break;
            }
        }
    }
    cells
}

/// The first sheet, read off the async threads: calamine is synchronous
/// and its panics end up a message here, not a dropped connection.
async fn xlsx(bytes: &[u8]) -> Markup {
    let bytes = bytes.to_vec();
    let cells = tokio::task::spawn_blocking(move || xlsx_cells(&bytes)).await.unwrap_or_else(|error| Cells {
        problem: Some(format!("the workbook could not be read: {error}")),
        ..Cells::default()
    });
    cells_table(&cells)
}

fn xlsx_cells(bytes: &[u8]) -> Cells {
    let failed = |problem: String| Cells { problem: Some(problem), ..Cells::default() };
    // The formats reader checks cell references first: calamine allocates a
    // sheet's whole used range, so one cell at XFD1048576 would take gigabytes.
    let checked = prodline_formats::xlsx::parse(bytes);
    let refused = ["xlsx_bad_cell_reference", "sheet_too_large"];
    if let Some(diagnostic) = checked.diagnostics.iter().find(|d| refused.contains(&d.code.as_str())) {
        return failed(format!("the workbook is not shown: {}", diagnostic.message));
    }
    let mut workbook: Xlsx<_> = match open_workbook_from_rs(Cursor::new(bytes)) {
        Ok(workbook) => workbook,
        Err(error) => return failed(format!("the workbook could not be opened: {error}")),
    };
    let Some(name) = workbook.sheet_names().first().cloned() else { return failed("the workbook has no sheet".into()) };
    let range = match workbook.worksheet_range(&name) {
        Ok(range) => range,
        Err(error) => return failed(format!("sheet {name:?} could not be read: {error}")),
    };
    let mut cells = Cells::default();
    for row in range.rows() {
        if cells.rows.len() == MAX_ROWS {
            cells.clipped = true;
            break;
        }
        cells.clipped |= row.len() > MAX_COLUMNS;
        cells.rows.push(row.iter().take(MAX_COLUMNS).map(cell_text).collect());
    }
    cells
}

fn cell_text(data: &Data) -> String {
    match data {
        Data::Empty | Data::Error(_) => String::new(),
        Data::DateTime(date) if !date.is_duration() => {
            let (year, month, day, ..) = date.to_ymd_hms_milli();
            format!("{year:04}-{month:02}-{day:02}")
        }
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------- EDI

/// One EDI segment: its tag, then its elements, each a list of components.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Segment {
    tag: String,
    elements: Vec<Vec<String>>,
    /// Indentation: envelopes outermost, loop members under their header.
    level: usize,
}

/// Segments of an interchange with the separators it declares.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Interchange {
    segments: Vec<Segment>,
    element: char,
    component: char,
    /// Segments left out past [`MAX_SEGMENTS`].
    more: usize,
}

fn edi(bytes: &[u8], read: fn(&[u8]) -> Option<Interchange>) -> Markup {
    let Some(interchange) = read(bytes) else {
        return html! { p.muted { "The segments could not be told apart; the raw text follows." } (text_block(bytes)) };
    };
    let (element, component) = (interchange.element.to_string(), interchange.component.to_string());
    html! {
        ol.edi {
            @for segment in &interchange.segments {
                li class={ "lvl" (segment.level.min(5)) } {
                    b.tag { (segment.tag) }
                    @for value in &segment.elements {
                        span.sep { (element) }
                        @for (index, part) in value.iter().enumerate() {
                            @if index > 0 { span.sep.comp { (component) } }
                            span.el { (part) }
                        }
                    }
                }
            }
        }
        @if interchange.more > 0 { p.muted { (interchange.more) " more segments: download the original to see them." } }
    }
}

/// X12, split by the X12 reader's own segment table (delimiters from each
/// ISA, as the pipeline reads them); components split at ISA16. Loops: N1
/// with its N2–N4, PER and REF; PO1 with everything up to the next PO1, CTT or SE.
fn x12_segments(bytes: &[u8]) -> Option<Interchange> {
    let table = prodline_x12::SegmentTable::read(bytes);
    let delimiters = table.delimiters(1)?;
    let (element, component) = (char::from(delimiters.element), char::from(delimiters.component));
    let mut loops = X12Loop::None;
    let segments = table.iter().map(|segment| {
        let split = |value: &str| -> Vec<String> {
            // ISA16 *is* the component separator: shown as written.
            if segment.id() == "ISA" {
                vec![value.to_owned()]
            } else {
                value.split(component).map(str::to_owned).collect()
            }
        };
        std::iter::once(vec![segment.id().to_owned()]).chain(segment.elements().map(split)).collect()
    });
    interchange(segments, element, component, |tag| loops.level(tag))
}

#[derive(Clone, Copy)]
enum X12Loop {
    None,
    Party,
    Line,
}

impl X12Loop {
    fn level(&mut self, tag: &str) -> usize {
        match tag {
            "ISA" | "IEA" => 0,
            "GS" | "GE" => 1,
            "ST" | "SE" => {
                *self = X12Loop::None;
                2
            }
            "PO1" => {
                *self = X12Loop::Line;
                3
            }
            "CTT" => {
                *self = X12Loop::None;
                3
            }
            _ if matches!(self, X12Loop::Line) => 4,
            "N1" => {
                *self = X12Loop::Party;
                3
            }
            "N2" | "N3" | "N4" | "PER" | "REF" if matches!(self, X12Loop::Party) => 4,
            _ => {
                *self = X12Loop::None;
                3
            }
        }
    }
}

/// EDIFACT, split by the EDIFACT reader (UNA or the UNB's delimiters, release
/// characters undone, the interchange's character set decoded, as the
/// pipeline reads them). Groups: NAD with its RFF, CTA, COM, LOC; LIN with
/// everything up to the next LIN or UNS.
fn edifact_segments(bytes: &[u8]) -> Option<Interchange> {
    let mut reader = prodline_edifact::Segments::new(bytes);
    let segments: Vec<Vec<Vec<String>>> =
        reader.by_ref().map(|segment| std::iter::once(vec![segment.tag]).chain(segment.elements).collect()).collect();
    let delimiters = reader.delimiters();
    let (element, component) = (char::from(delimiters.element), char::from(delimiters.component));
    let mut groups = EdifactGroup::None;
    interchange(segments.into_iter(), element, component, |tag| groups.level(tag))
}

#[derive(Clone, Copy)]
enum EdifactGroup {
    None,
    Party,
    Line,
}

impl EdifactGroup {
    fn level(&mut self, tag: &str) -> usize {
        match tag {
            "UNA" | "UNB" | "UNZ" => 0,
            "UNG" | "UNE" => 1,
            "UNH" | "UNT" => {
                *self = EdifactGroup::None;
                1
            }
            "LIN" => {
                *self = EdifactGroup::Line;
                2
            }
            "UNS" => {
                *self = EdifactGroup::None;
                2
            }
            _ if matches!(self, EdifactGroup::Line) => 3,
            "NAD" => {
                *self = EdifactGroup::Party;
                2
            }
            "RFF" | "CTA" | "COM" | "LOC" | "FII" if matches!(self, EdifactGroup::Party) => 3,
            _ => {
                *self = EdifactGroup::None;
                2
            }
        }
    }
}

/// Segments (each a list of elements of components, the tag first) to an
/// interchange; `None` when fewer than two look like segments.
fn interchange(
    pieces: impl Iterator<Item = Vec<Vec<String>>>,
    element: char,
    component: char,
    mut level: impl FnMut(&str) -> usize,
) -> Option<Interchange> {
    let mut segments = Vec::new();
    let mut more = 0;
    for mut elements in pieces {
        if elements.is_empty() {
            continue;
        }
        let tag = elements.remove(0).join("");
        if segments.len() == MAX_SEGMENTS {
            more += 1;
            continue;
        }
        let level = level(&tag);
        segments.push(Segment { tag, elements, level });
    }
    let tagged = segments.iter().filter(|s| is_tag(&s.tag)).count();
    (tagged >= 2 && tagged * 2 >= segments.len()).then_some(Interchange { segments, element, component, more })
}

fn is_tag(tag: &str) -> bool {
    (2..=3).contains(&tag.len()) && tag.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outline(interchange: &Interchange) -> Vec<String> {
        interchange.segments.iter().map(|s| format!("{}{}", "  ".repeat(s.level), s.tag)).collect()
    }

    const X12: &str = "ISA*00*          *00*          *ZZ*ACMEEDI01      *ZZ*NORTHWIND      *260302*0915*U*00401*000000101*0*P*>~\n\
        GS*PO*ACMEEDI01*NORTHWIND*20260302*0915*101*X*004010~ST*850*0001~BEG*00*SA*4500000001**20260302~\
        N1*BY*ACME*92*0123~N3*1 Main St~N4*Dayton*OH~N1*ST*ACME DAYTON*92*0042~DTM*002*20260316~\
        PO1*1*200*EA*11.85*PE*BP*88-1200~PID*F****Valve~PO1*2*5*CA*154*PE*BP*88-1300~CTT*2~SE*12*0001~GE*1*101~IEA*1*000000101~";

    #[test]
    fn x12_is_one_segment_per_line_with_parties_and_lines_indented_under_their_header() {
        let interchange = x12_segments(X12.as_bytes()).unwrap();
        assert_eq!((interchange.element, interchange.component), ('*', '>'));
        assert_eq!(
            outline(&interchange),
            [
                "ISA",
                "  GS",
                "    ST",
                "      BEG",
                "      N1",
                "        N3",
                "        N4",
                "      N1",
                "      DTM",
                "      PO1",
                "        PID",
                "      PO1",
                "      CTT",
                "    SE",
                "  GE",
                "IEA"
            ]
        );
        let po1 = &interchange.segments[9];
        assert_eq!(po1.elements[1], ["200"]);
        assert_eq!(po1.elements.len(), 7);
    }

    #[test]
    fn edifact_respects_una_and_the_release_character() {
        let text = "UNA:+.? 'UNB+UNOC:3+BERGMANNHYD:ZZ+NORTHWIND:ZZ+260302:0915+7'\nUNH+1+ORDERS:D:96A:UN'\
            BGM+220+PO?+1+9'NAD+BY+BERGMANNHYD::92'RFF+VA:DE1'NAD+DP+4001::92'CUX+2:EUR:9'LIN+1++BHG-4711:IN'\
            QTY+21:200:PCE'PRI+AAA:3.90'UNS+S'CNT+2:1'UNT+13+1'UNZ+1+7'";
        let interchange = edifact_segments(text.as_bytes()).unwrap();
        assert_eq!(
            outline(&interchange),
            [
                "UNB",
                "  UNH",
                "    BGM",
                "    NAD",
                "      RFF",
                "    NAD",
                "    CUX",
                "    LIN",
                "      QTY",
                "      PRI",
                "    UNS",
                "    CNT",
                "  UNT",
                "UNZ"
            ]
        );
        assert_eq!(interchange.segments[2].elements[1], ["PO+1"], "a released + is part of the value");
        assert_eq!(interchange.segments[8].elements[0], ["21", "200", "PCE"]);
    }

    #[test]
    fn text_that_is_not_edi_is_refused_and_never_panics() {
        assert_eq!(x12_segments(b"hello world"), None);
        assert_eq!(edifact_segments(b"UNA:+"), None);
        assert_eq!(edifact_segments(b"just some text"), None);
        for cut in 0..X12.len() {
            let _ = x12_segments(&X12.as_bytes()[..cut]);
            let _ = edifact_segments(&X12.as_bytes()[..cut]);
        }
    }

    #[test]
    fn only_image_magic_is_served_as_an_image_and_everything_else_downloads() {
        assert_eq!(browser_image(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(browser_image(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(browser_image(b"<html><script>alert(1)</script>"), None);
        assert_eq!(browser_image(b"II*\0tiff"), None);
        let response = safe_bytes(b"<html>".to_vec(), "../../evil\".html");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/octet-stream");
        let disposition = response.headers()[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert_eq!(disposition, "attachment; filename=\"evil_.html\"");
    }

    #[test]
    fn csv_becomes_a_grid_with_its_own_delimiter_and_quotes() {
        let cells = csv_cells(b"PO;Part;Qty\n4500;\"88;1200\";12\n");
        assert_eq!(cells.rows, [vec!["PO", "Part", "Qty"], vec!["4500", "88;1200", "12"]]);
        assert!(!cells.clipped);
        let many: String = (0..250).map(|i| format!("{i},x\n")).collect();
        let cells = csv_cells(many.as_bytes());
        assert_eq!((cells.rows.len(), cells.clipped), (MAX_ROWS, true));
    }

    #[test]
    fn text_is_clipped_on_a_character_boundary() {
        let text = "é".repeat(MAX_TEXT);
        let clipped = clip(&text);
        assert!(clipped.len() <= MAX_TEXT && clipped.len() > MAX_TEXT - 4);
        assert!(looks_like_text("plain words".as_bytes()));
        assert!(!looks_like_text(&[0x00, 0x13, 0x37]));
    }
}
