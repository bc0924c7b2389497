//! Measuring our readers, then the peer on the same bytes.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::peer::{self, PeerConfig};
use crate::report::{BenchReport, FormatRun, InputSource, Targets};
use crate::{BenchError, BenchFormat, generate};

/// What `run_parse` measures and how. Build it from [`crate::ParseBenchArgs`]
/// or by hand; [`ParseBenchConfig::default`] is what `prodline bench parse` runs.
#[derive(Debug, Clone, Serialize)]
pub struct ParseBenchConfig {
    pub formats: Vec<BenchFormat>,
    /// Size of each generated file, in bytes.
    pub size_bytes: usize,
    pub seed: u64,
    /// Untimed parses before measuring (page cache, allocator, branch predictors).
    pub warmup_runs: usize,
    /// Timed parses; the median is reported.
    pub timed_runs: usize,
    /// Files to measure instead of generated ones.
    pub x12_file: Option<PathBuf>,
    pub edifact_file: Option<PathBuf>,
    /// Where to write (and keep) the files handed to the peer; a temporary
    /// directory, removed afterwards, when `None`.
    pub keep_files_in: Option<PathBuf>,
    /// `None` measures our readers only.
    pub peer: Option<PeerConfig>,
    /// Say on stderr what is running: a peer run on a large file takes minutes.
    pub progress: bool,
}

impl Default for ParseBenchConfig {
    fn default() -> Self {
        ParseBenchConfig {
            formats: BenchFormat::ALL.to_vec(),
            size_bytes: 10_000_000,
            seed: 1,
            warmup_runs: 1,
            timed_runs: 5,
            x12_file: None,
            edifact_file: None,
            keep_files_in: None,
            peer: Some(PeerConfig::default()),
            progress: true,
        }
    }
}

impl ParseBenchConfig {
    fn input_file(&self, format: BenchFormat) -> Option<&Path> {
        match format {
            BenchFormat::X12 => self.x12_file.as_deref(),
            BenchFormat::Edifact => self.edifact_file.as_deref(),
        }
    }

    fn say(&self, message: &str) {
        if self.progress {
            eprintln!("bench parse: {message}");
        }
    }
}

/// One input ready to measure.
struct Input {
    format: BenchFormat,
    source: InputSource,
    bytes: Vec<u8>,
    /// Orders the generator wrote; unknown for a given file.
    orders_written: Option<usize>,
}

/// Parse each format's file with our reader (single-threaded, median of
/// `timed_runs`), then the same bytes through the peer, and report both.
pub fn run_parse(config: &ParseBenchConfig) -> Result<BenchReport, BenchError> {
    if config.formats.is_empty() {
        return Err(BenchError::NothingToMeasure("no format selected"));
    }
    if config.timed_runs == 0 {
        return Err(BenchError::NothingToMeasure("timed runs must be at least 1"));
    }
    let scratch = ScratchDir::new(config)?;
    let script = scratch.install_script(config)?;
    let mut runs = Vec::with_capacity(config.formats.len());
    for &format in &config.formats {
        let input = load_input(config, format)?;
        let mut run = measure_ours(config, &input);
        let written = scratch.write(&input)?;
        if let (Some(peer_config), Some(script), Some(path)) = (&config.peer, &script, written) {
            config.say(&format!("{format}: running the Python peer {}x on {}", peer_config.repeat, path.display()));
            run.peer = peer::run(peer_config, script, format, &path);
        }
        run.finish();
        runs.push(run);
    }
    Ok(BenchReport {
        runs,
        targets: Targets::DESIGN,
        peer_python: config.peer.as_ref().map(|p| p.python.display().to_string()),
    })
}

fn load_input(config: &ParseBenchConfig, format: BenchFormat) -> Result<Input, BenchError> {
    if let Some(path) = config.input_file(format) {
        let bytes =
            std::fs::read(path).map_err(|source| BenchError::ReadInput { format, path: path.to_path_buf(), source })?;
        return Ok(Input { format, source: InputSource::File(path.to_path_buf()), bytes, orders_written: None });
    }
    config.say(&format!("{format}: generating {:.1} MB (seed {})", megabytes(config.size_bytes), config.seed));
    let file = generate(format, config.size_bytes, config.seed);
    Ok(Input {
        format,
        source: InputSource::Generated { seed: config.seed, size_bytes: config.size_bytes },
        bytes: file.bytes,
        orders_written: Some(file.orders),
    })
}

fn measure_ours(config: &ParseBenchConfig, input: &Input) -> FormatRun {
    let format = input.format;
    config.say(&format!("{format}: {} warm-up + {} timed parses", config.warmup_runs, config.timed_runs));
    for _ in 0..config.warmup_runs {
        black_box(format.read(black_box(&input.bytes)));
    }
    let mut times = Vec::with_capacity(config.timed_runs);
    let mut last = None;
    for _ in 0..config.timed_runs {
        let start = Instant::now();
        let doc = format.read(black_box(&input.bytes));
        times.push(start.elapsed());
        // Dropping the document is not part of parsing; the peer's tree is not freed in its timing either.
        last = Some(black_box(doc));
    }
    let doc = last.unwrap_or_default();
    FormatRun::new(format, input.source.clone(), input.bytes.len(), input.orders_written, &doc, &times)
}

/// The median of `times` (mean of the middle two for an even count).
pub(crate) fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    let mid = sorted.len() / 2;
    match (sorted.len() % 2, sorted.get(mid), mid.checked_sub(1).and_then(|i| sorted.get(i))) {
        (1, Some(&m), _) => m,
        (_, Some(&upper), Some(&lower)) => (lower + upper) / 2,
        _ => Duration::ZERO,
    }
}

pub(crate) fn megabytes(bytes: usize) -> f64 {
    bytes as f64 / 1e6
}

/// Where peer inputs are written: a kept directory or a temporary one.
enum ScratchDir {
    Kept(PathBuf),
    Temporary(tempfile::TempDir),
    Unused,
}

impl ScratchDir {
    fn new(config: &ParseBenchConfig) -> Result<ScratchDir, BenchError> {
        if let Some(dir) = &config.keep_files_in {
            std::fs::create_dir_all(dir).map_err(|source| BenchError::WriteFile { path: dir.clone(), source })?;
            return Ok(ScratchDir::Kept(dir.clone()));
        }
        if config.peer.is_none() {
            return Ok(ScratchDir::Unused);
        }
        let dir = tempfile::Builder::new().prefix("prodline-bench-").tempdir().map_err(BenchError::TempDir)?;
        Ok(ScratchDir::Temporary(dir))
    }

    fn dir(&self) -> Option<&Path> {
        match self {
            ScratchDir::Kept(dir) => Some(dir),
            ScratchDir::Temporary(dir) => Some(dir.path()),
            ScratchDir::Unused => None,
        }
    }

    /// The peer script, written beside its inputs; `None` when the peer does not run.
    fn install_script(&self, config: &ParseBenchConfig) -> Result<Option<PathBuf>, BenchError> {
        let (Some(_), Some(dir)) = (&config.peer, self.dir()) else {
            return Ok(None);
        };
        let script = peer::install_script(dir)
            .map_err(|source| BenchError::WriteFile { path: dir.join(peer::PEER_SCRIPT_NAME), source })?;
        Ok(Some(script))
    }

    /// The file the peer reads: the given file itself, or the generated bytes
    /// written out; `None` when nothing needs a file.
    fn write(&self, input: &Input) -> Result<Option<PathBuf>, BenchError> {
        if let InputSource::File(path) = &input.source {
            return Ok(Some(path.clone()));
        }
        let Some(dir) = self.dir() else {
            return Ok(None);
        };
        let path = dir.join(format!("orders-{}.{}", input.format, input.format.extension()));
        std::fs::write(&path, &input.bytes).map_err(|source| BenchError::WriteFile { path: path.clone(), source })?;
        Ok(Some(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn median_of_odd_even_and_empty_lists() {
        assert_eq!(median(&[ms(5), ms(1), ms(3)]), ms(3));
        assert_eq!(median(&[ms(4), ms(1), ms(2), ms(10)]), ms(3));
        assert_eq!(median(&[ms(7)]), ms(7));
        assert_eq!(median(&[]), Duration::ZERO);
    }

    #[test]
    fn zero_timed_runs_or_no_format_is_refused() {
        let config = ParseBenchConfig { timed_runs: 0, peer: None, progress: false, ..Default::default() };
        assert!(matches!(run_parse(&config), Err(BenchError::NothingToMeasure(_))));
        let config = ParseBenchConfig { formats: vec![], peer: None, progress: false, ..Default::default() };
        assert!(matches!(run_parse(&config), Err(BenchError::NothingToMeasure(_))));
    }

    #[test]
    fn a_missing_input_file_names_the_path() {
        let config = ParseBenchConfig {
            formats: vec![BenchFormat::X12],
            x12_file: Some(PathBuf::from("/nonexistent/po.x12")),
            peer: None,
            progress: false,
            ..Default::default()
        };
        let err = run_parse(&config).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("/nonexistent/po.x12"), "{err}");
    }
}
