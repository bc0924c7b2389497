//! Character sets named by the UNB syntax identifier (S001 0001).

/// How element values are decoded from bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Charset {
    /// UNOA/UNOB: ASCII subsets. Read leniently: UTF-8 when the bytes are
    /// valid UTF-8, else ISO 8859-1, because senders do not keep to the level.
    #[default]
    Ascii,
    /// UNOC: ISO 8859-1, one byte per code point U+0000..U+00FF.
    Latin1,
    /// UNOD: ISO 8859-2.
    Latin2,
    /// UNOE: ISO 8859-5 (Cyrillic).
    Cyrillic,
    /// UNOF: ISO 8859-7 (Greek).
    Greek,
    /// UNOW/UNOY: UTF-8.
    Utf8,
}

impl Charset {
    /// The character set of a syntax identifier; unknown identifiers read as [`Charset::Ascii`].
    pub fn from_syntax_id(id: &str) -> Charset {
        match id.trim().to_ascii_uppercase().as_str() {
            "UNOC" => Charset::Latin1,
            "UNOD" => Charset::Latin2,
            "UNOE" => Charset::Cyrillic,
            "UNOF" => Charset::Greek,
            "UNOW" | "UNOY" => Charset::Utf8,
            _ => Charset::Ascii,
        }
    }

    /// Decode one value. Never fails: bytes that do not decode become U+FFFD.
    pub fn decode(self, bytes: &[u8]) -> String {
        let mut text = String::with_capacity(bytes.len());
        self.decode_into(bytes, &mut text);
        text
    }

    /// Append the decoding of one value to `out`, as [`Charset::decode`] does.
    pub fn decode_into(self, bytes: &[u8], out: &mut String) {
        match (self, std::str::from_utf8(bytes)) {
            // UTF-8 decodes to itself at the ASCII levels (read leniently) and in UTF-8.
            (Charset::Ascii | Charset::Utf8, Ok(text)) => out.push_str(text),
            // Every supported set is an ASCII superset.
            (_, Ok(text)) if text.is_ascii() => out.push_str(text),
            (Charset::Ascii | Charset::Latin1, _) => push_latin1(bytes, out),
            (Charset::Latin2, _) => out.push_str(&encoding_rs::ISO_8859_2.decode_without_bom_handling(bytes).0),
            (Charset::Cyrillic, _) => out.push_str(&encoding_rs::ISO_8859_5.decode_without_bom_handling(bytes).0),
            (Charset::Greek, _) => out.push_str(&encoding_rs::ISO_8859_7.decode_without_bom_handling(bytes).0),
            (Charset::Utf8, Err(_)) => out.push_str(&String::from_utf8_lossy(bytes)),
        }
    }

    /// Encode one value for writing; characters the set cannot carry become `?`.
    pub fn encode(self, text: &str) -> Vec<u8> {
        match self {
            Charset::Latin1 => text.chars().map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')).collect(),
            Charset::Latin2 => encode_with(encoding_rs::ISO_8859_2, text),
            Charset::Cyrillic => encode_with(encoding_rs::ISO_8859_5, text),
            Charset::Greek => encode_with(encoding_rs::ISO_8859_7, text),
            Charset::Ascii | Charset::Utf8 => text.as_bytes().to_vec(),
        }
    }
}

fn push_latin1(bytes: &[u8], out: &mut String) {
    out.extend(bytes.iter().map(|&b| char::from(b)));
}

fn encode_with(encoding: &'static encoding_rs::Encoding, text: &str) -> Vec<u8> {
    // encoding_rs writes unmappable characters as HTML numeric references; we want `?`.
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        let mut buf = [0u8; 4];
        let (bytes, _, unmappable) = encoding.encode(c.encode_utf8(&mut buf));
        if unmappable { out.push(b'?') } else { out.extend_from_slice(&bytes) }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_maps_bytes_to_code_points() {
        assert_eq!(Charset::from_syntax_id("UNOC").decode(b"M\xfcller"), "Müller");
    }

    #[test]
    fn latin2_and_cyrillic_go_through_their_tables() {
        assert_eq!(Charset::from_syntax_id("UNOD").decode(b"\xb3\xf3d\xbc"), "łódź");
        assert_eq!(Charset::from_syntax_id("UNOE").decode(b"\xbc\xde\xe1\xda\xd2\xd0"), "Москва");
    }

    #[test]
    fn ascii_level_accepts_utf8_and_falls_back_to_latin1() {
        assert_eq!(Charset::from_syntax_id("UNOA").decode("Straße".as_bytes()), "Straße");
        assert_eq!(Charset::from_syntax_id("UNOB").decode(b"Stra\xdfe"), "Straße");
    }

    #[test]
    fn utf8_is_lossy_not_failing() {
        assert_eq!(Charset::from_syntax_id("UNOW").decode(b"a\xffb"), "a\u{fffd}b");
    }

    #[test]
    fn encode_round_trips_and_replaces_the_unmappable() {
        for set in [Charset::Latin1, Charset::Latin2, Charset::Cyrillic, Charset::Utf8] {
            assert_eq!(set.decode(&set.encode("abc")), "abc");
        }
        assert_eq!(Charset::Latin1.encode("a€"), b"a?");
        assert_eq!(Charset::Latin2.decode(&Charset::Latin2.encode("łódź")), "łódź");
    }
}
