#![no_main]
//! The built-in text extractor on any text, against an empty master data.
use prodline_core::{DocumentText, Format, TextSource};
use prodline_extract::{Context, MasterData, Memory};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = DocumentText::new(TextSource::Email, vec![String::from_utf8_lossy(data).into_owned()]);
    let ctx = Context::default();
    let _ = prodline_extract::text::extract_text(&text, Format::Email, &ctx, &MasterData::default(), &Memory::default());
});
