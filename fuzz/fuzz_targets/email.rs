#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = prodline_textin::email::read_email(data);
});
