#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = prodline_edifact::parse(data);
});
