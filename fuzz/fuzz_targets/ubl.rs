#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = prodline_formats::ubl::parse(data);
});
