//! Faxes and phone photos of printed orders, as PNG images.
//!
//! A page is written as a PDF by our own writer, rasterised by poppler's
//! `pdftoppm -r 150 -gray` (the reader of PDFs needs poppler anyway; CI
//! installs it through `scripts/ocr.sh`), then aged in our own code: a fax
//! loses resolution and grey, a photo is turned a little (at most 2°) and lit
//! unevenly, and both collect speckles. Every effect is integer arithmetic
//! seeded from the dice, so for one poppler version the bytes depend on the
//! seed only (poppler's anti-aliasing is deterministic, but another poppler
//! version may draw a glyph one grey level differently).

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use crate::DemoError;
use crate::dice::Dice;

/// How the paper reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScanLook {
    /// A fax: about 100 dpi, black and white, dropouts and specks.
    Fax,
    /// A phone photo: turned slightly, lit unevenly, a grey desk around the paper.
    Photo,
    /// Too small, too dark and too noisy for any OCR: it must go to review.
    Unreadable,
}

/// A grayscale raster, one byte a pixel, row after row.
struct Gray {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Gray {
    fn get(&self, x: usize, y: usize) -> u8 {
        self.pixels.get(y * self.width + x).copied().unwrap_or(255)
    }
}

/// Render the first page of `pdf` and age it into a PNG with the given look.
pub(crate) fn scan(pdf: &[u8], look: ScanLook, dice: &mut Dice) -> Result<Vec<u8>, DemoError> {
    let page = rasterize(PDFTOPPM, pdf)?;
    let mut noise = Noise::new(dice);
    let aged = match look {
        ScanLook::Fax => fax(&page, &mut noise),
        ScanLook::Photo => photo(&page, dice.between(5, 20) * if dice.chance(500) { 1 } else { -1 }, &mut noise),
        ScanLook::Unreadable => unreadable(&page, &mut noise),
    };
    Ok(png(&aged))
}

const PDFTOPPM: &str = "pdftoppm";

fn tool_error(program: &'static str, message: String) -> DemoError {
    DemoError::Tool { program, message }
}

/// `pdftoppm -r 150 -gray` from stdin to stdout: one PGM of the first page.
fn rasterize(program: &'static str, pdf: &[u8]) -> Result<Gray, DemoError> {
    let fail = |message: String| tool_error(program, message);
    let mut child = Command::new(program)
        .args(["-r", "150", "-gray", "-f", "1", "-l", "1", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("cannot run it ({e}); install poppler-utils, e.g. with scripts/ocr.sh")))?;
    let mut stdin = child.stdin.take().ok_or_else(|| fail("no stdin".into()))?;
    let mut stdout = child.stdout.take().ok_or_else(|| fail("no stdout".into()))?;
    let mut pgm = Vec::new();
    let read = std::thread::scope(|s| {
        let writer = s.spawn(move || stdin.write_all(pdf));
        let read = stdout.read_to_end(&mut pgm);
        let written = writer.join().unwrap_or_else(|_| Err(std::io::Error::other("writer thread panicked")));
        read.and(written)
    });
    let output = child.wait_with_output().map_err(|e| fail(e.to_string()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(fail(format!("{}: {}", output.status, stderr.trim())));
    }
    read.map_err(|e| fail(format!("reading its output: {e}")))?;
    parse_pgm(&pgm).ok_or_else(|| fail(format!("its output is not a binary PGM ({} bytes)", pgm.len())))
}

/// A binary PGM (P5, maxval 255): four header tokens, one white space, then the pixels.
fn parse_pgm(bytes: &[u8]) -> Option<Gray> {
    let mut pos = 0;
    let mut tokens = Vec::with_capacity(4);
    while tokens.len() < 4 {
        while bytes.get(pos)?.is_ascii_whitespace() {
            pos += 1;
        }
        if bytes.get(pos) == Some(&b'#') {
            while *bytes.get(pos)? != b'\n' {
                pos += 1;
            }
            continue;
        }
        let start = pos;
        while !bytes.get(pos)?.is_ascii_whitespace() {
            pos += 1;
        }
        tokens.push(std::str::from_utf8(bytes.get(start..pos)?).ok()?);
    }
    let (width, height): (usize, usize) = (tokens[1].parse().ok()?, tokens[2].parse().ok()?);
    if tokens[0] != "P5" || tokens[3] != "255" {
        return None;
    }
    let pixels = bytes.get(pos + 1..pos + 1 + width.checked_mul(height)?)?.to_vec();
    Some(Gray { width, height, pixels })
}

/// A fast xorshift stream seeded from the dice: millions of pixel draws per page.
struct Noise(u64);

impl Noise {
    fn new(dice: &mut Dice) -> Noise {
        let seed = dice.bytes(8).iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        Noise(seed | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// `per_100k` parts per 100,000 of `n` positions, drawn at once: far
    /// cheaper than a draw per pixel.
    fn specks(&mut self, n: usize, per_100k: usize) -> Vec<usize> {
        let count = n / 100_000 * per_100k + n % 100_000 * per_100k / 100_000;
        (0..count).map(|_| (self.next() % n.max(1) as u64) as usize).collect()
    }
}

/// Shrink by `num/den` with a box average, so thin strokes fade like on a fax.
fn shrink(page: &Gray, num: usize, den: usize) -> Gray {
    let width = page.width * num / den;
    let height = page.height * num / den;
    let mut pixels = Vec::with_capacity(width * height);
    for y in 0..height {
        let (y0, y1) = (y * den / num, ((y + 1) * den / num).max(y * den / num + 1));
        for x in 0..width {
            let (x0, x1) = (x * den / num, ((x + 1) * den / num).max(x * den / num + 1));
            let mut sum = 0u32;
            for sy in y0..y1 {
                for sx in x0..x1 {
                    sum += u32::from(page.get(sx, sy));
                }
            }
            pixels.push((sum / ((y1 - y0) * (x1 - x0)) as u32) as u8);
        }
    }
    Gray { width, height, pixels }
}

fn fax(page: &Gray, noise: &mut Noise) -> Gray {
    let mut g = shrink(page, 2, 3);
    for p in g.pixels.iter_mut() {
        *p = if *p < 150 { 0 } else { 255 };
    }
    for _ in 0..3 {
        let row = (noise.next() % g.height.max(1) as u64) as usize;
        if let Some(line) = g.pixels.get_mut(row * g.width..(row + 1) * g.width) {
            line.fill(255);
        }
    }
    for i in noise.specks(g.pixels.len(), 250) {
        if let Some(p) = g.pixels.get_mut(i) {
            *p = 0;
        }
    }
    g
}

/// Fixed-point scale of the rotation: 1.0 is 65,536.
const ONE: i64 = 1 << 16;

/// sin and cos of a small angle (tenths of a degree) in fixed point, by their
/// series: basic IEEE arithmetic only, so every machine gets the same pixels.
fn sin_cos(tenths: i64) -> (i64, i64) {
    let a = tenths as f64 * std::f64::consts::PI / 1800.0;
    let (a2, a3) = (a * a, a * a * a);
    let sin = a - a3 / 6.0 + a3 * a2 / 120.0;
    let cos = 1.0 - a2 / 2.0 + a2 * a2 / 24.0;
    ((sin * ONE as f64) as i64, (cos * ONE as f64) as i64)
}

/// Turned by `tenths` of a degree about the centre, on a desk, lit from one corner.
fn photo(page: &Gray, tenths: i64, noise: &mut Noise) -> Gray {
    let (w, h) = (page.width as i64, page.height as i64);
    let (sin, cos) = sin_cos(tenths);
    let (cx, cy) = (w / 2, h / 2);
    let light_from_left = noise.next().is_multiple_of(2);
    // Brightness falls from 100 % to 72 % across the page and down it (in 1/256).
    let column: Vec<i64> = (0..w)
        .map(|x| {
            let across = if light_from_left { x } else { w - 1 - x };
            256 - across * 46 / w.max(1)
        })
        .collect();
    let mut pixels = Vec::with_capacity(page.pixels.len());
    for y in 0..h {
        let row_shade = y * 26 / h.max(1);
        let (base_x, base_y) = (sin * (y - cy) + cx * ONE, cos * (y - cy) + cy * ONE);
        for (x, shade) in column.iter().enumerate() {
            let dx = x as i64 - cx;
            // Source position in fixed point (inverse rotation).
            let paper = bilinear(page, cos * dx + base_x, base_y - sin * dx).unwrap_or(70);
            let v = i64::from(paper) * (shade - row_shade) / 256 - 12;
            pixels.push(v.clamp(0, 255) as u8);
        }
    }
    for i in noise.specks(pixels.len(), 120) {
        if let Some(p) = pixels.get_mut(i) {
            *p = p.saturating_sub(90);
        }
    }
    Gray { width: page.width, height: page.height, pixels }
}

/// The pixel at a fixed-point position, `None` outside the page.
fn bilinear(page: &Gray, sx: i64, sy: i64) -> Option<u8> {
    let (x0, y0) = (sx >> 16, sy >> 16);
    if x0 < 0 || y0 < 0 || x0 + 1 >= page.width as i64 || y0 + 1 >= page.height as i64 {
        return None;
    }
    let (fx, fy) = (sx & (ONE - 1), sy & (ONE - 1));
    let at = y0 as usize * page.width + x0 as usize;
    let quad = page.pixels.get(at..at + 2).zip(page.pixels.get(at + page.width..at + page.width + 2))?;
    let ([a, b], [c, d]) = (quad.0, quad.1) else { return None };
    let top = i64::from(*a) * (ONE - fx) + i64::from(*b) * fx;
    let bottom = i64::from(*c) * (ONE - fx) + i64::from(*d) * fx;
    Some(((top * (ONE - fy) + bottom * fy) >> 32) as u8)
}

/// A third of the resolution, a quarter of the contrast, specks everywhere.
fn unreadable(page: &Gray, noise: &mut Noise) -> Gray {
    let mut g = shrink(page, 1, 3);
    for p in g.pixels.iter_mut() {
        let v = 60 + i64::from(*p) / 4 + (noise.next() % 90) as i64 - 45;
        *p = v.clamp(0, 255) as u8;
    }
    g
}

/// An 8-bit grayscale PNG: each row Sub-filtered, zlib-compressed, CRC'd chunks.
fn png(g: &Gray) -> Vec<u8> {
    let mut raw = Vec::with_capacity((g.width + 1) * g.height);
    for row in g.pixels.chunks(g.width.max(1)) {
        raw.push(1);
        let mut prev = 0u8;
        for &p in row {
            raw.push(p.wrapping_sub(prev));
            prev = p;
        }
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
    // Writing into a Vec cannot fail.
    let idat = z.write_all(&raw).and_then(|_| z.finish()).unwrap_or_default();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&(g.width as u32).to_be_bytes());
    ihdr.extend_from_slice(&(g.height as u32).to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pgm_header_with_a_comment_parses_and_a_short_one_does_not() {
        let mut bytes = b"P5\n# poppler\n3 2\n255\n".to_vec();
        bytes.extend_from_slice(&[0, 1, 2, 3, 4, 5]);
        let g = parse_pgm(&bytes).map(|g| (g.width, g.height, g.pixels));
        assert_eq!(g, Some((3, 2, vec![0, 1, 2, 3, 4, 5])));
        assert!(parse_pgm(&bytes[..bytes.len() - 1]).is_none());
        assert!(parse_pgm(b"P6\n1 1\n255\n\0\0\0").is_none());
    }

    #[test]
    fn a_missing_pdftoppm_is_named_with_the_script_that_installs_it() {
        let error = rasterize("pdftoppm-not-installed", b"%PDF-1.7").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.starts_with("pdftoppm-not-installed: cannot run it"), "{error}");
        assert!(error.contains("scripts/ocr.sh"), "{error}");
    }

    #[test]
    fn a_page_rasterizes_to_150_dpi_gray_with_its_text_in_black() {
        let page = crate::render::pdf::typed_page("PO 4711");
        let g = rasterize(PDFTOPPM, &page).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((g.width, g.height), (1275, 1650), "US Letter at 150 dpi");
        assert!(g.pixels.iter().filter(|p| **p < 64).count() > 100, "no ink on the page");
    }

    #[test]
    fn small_angles_have_the_right_sine_and_cosine() {
        let (sin, cos) = sin_cos(20);
        assert_eq!((sin, cos), ((0.034899497 * 65536.0) as i64, (0.99939083 * 65536.0) as i64));
        assert_eq!(sin_cos(0), (0, ONE));
    }

    #[test]
    fn a_png_has_its_signature_size_and_chunk_crcs() {
        let g = Gray { width: 4, height: 2, pixels: vec![0, 64, 128, 255, 255, 128, 64, 0] };
        let bytes = png(&g);
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x04\0\0\0\x02\x08\0"));
        assert!(bytes.ends_with(b"IEND\xae\x42\x60\x82"));
    }
}
