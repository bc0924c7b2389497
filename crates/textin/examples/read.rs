//! Prints what prodline-textin reads from each file given: PDF, image,
//! e-mail (`.eml`) or plain text, chosen by extension.
//!
//! `cargo run -p prodline-textin --example read -- FILE...`

use std::process::ExitCode;
use std::time::Instant;

use prodline_core::DocumentText;
use prodline_textin::{Tools, email, ocr_image, pdf_text, plain_text};

fn main() -> ExitCode {
    let tools = Tools::default();
    let mut status = ExitCode::SUCCESS;
    for path in std::env::args().skip(1) {
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) => {
                eprintln!("{path}: {error}");
                status = ExitCode::FAILURE;
                continue;
            }
        };
        let started = Instant::now();
        let extension = path.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
        let read = match extension.as_str() {
            "pdf" => pdf_text(&bytes, &tools),
            "png" | "jpg" | "jpeg" | "tif" | "tiff" | "gif" | "bmp" | "webp" => ocr_image(&bytes, &tools),
            "eml" => Ok(print_email(&email::read_email(&bytes))),
            _ => Ok(plain_text(&bytes)),
        };
        match read {
            Ok(text) => print_text(&path, &text, started),
            Err(error) => {
                eprintln!("{path}: {error}");
                status = ExitCode::FAILURE;
            }
        }
    }
    status
}

fn print_email(email: &email::Email) -> DocumentText {
    println!("from: {:?}\nsubject: {:?}\ndate: {:?}", email.from, email.subject, email.date);
    for attachment in &email.attachments {
        println!("attachment: {:?} {} ({} bytes)", attachment.name, attachment.content_type, attachment.bytes.len());
    }
    for diagnostic in &email.diagnostics {
        println!("{diagnostic}");
    }
    if let Some(quoted) = &email.quoted {
        println!("--- quoted ---\n{}", quoted.joined());
    }
    email.body.clone()
}

fn print_text(path: &str, text: &DocumentText, started: Instant) {
    println!("=== {path} ({:?}, {} page(s), {} ms)", text.source, text.pages.len(), started.elapsed().as_millis());
    if let Some(ocr) = text.ocr {
        println!("ocr: {ocr:?}");
    }
    for (number, page) in text.pages.iter().enumerate() {
        println!("--- page {} ---\n{page}", number + 1);
    }
}
