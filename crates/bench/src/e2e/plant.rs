//! The deployment a run measures: `prodline init`'s example (its master
//! data and SQLite "legacy ERP") with policy `auto`, and the `prodline run`
//! worker processes of the PostgreSQL runs.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use prodline_config::Config;

use super::E2eError;

/// The example's workflow (and outbox target) name.
pub(crate) const WORKFLOW: &str = "example_orders";
/// The environment variable the workers read the store URL from.
pub(crate) const URL_ENV: &str = "PRODLINE_BENCH_STORE_URL";

/// A scaffolded deployment.
#[derive(Debug, Clone)]
pub(crate) struct Plant {
    pub dir: PathBuf,
    pub config_path: PathBuf,
    pub config: Config,
}

impl Plant {
    /// `prodline init` in `dir`, then: policy `auto`, files taken at once, a
    /// 1-second poll interval, and
    /// with `postgres_store` the `[store]` section pointing at [`URL_ENV`].
    pub async fn create(dir: &Path, postgres_store: bool) -> Result<Plant, E2eError> {
        prodline_config::init(dir).await.map_err(|error| E2eError::Setup(format!("{}: {error}", dir.display())))?;
        let config_path = dir.join(prodline_config::CONFIG_FILE);
        let mut text = read(&config_path)?;
        // An idle worker looks again after the poll interval: 1 s, the shortest the config allows.
        let mut edits = vec![
            ("policy = \"shadow\"", "policy = \"auto\"".to_owned()),
            ("stable_seconds = 2", "stable_seconds = 0".to_owned()),
            ("poll_interval_seconds = 5", "poll_interval_seconds = 1".to_owned()),
        ];
        if postgres_store {
            edits.push((
                "type = \"sqlite\"              # \"sqlite\" (path = file) or \"postgres\" (url_env = variable holding the URL)\npath = \"prodline.sqlite\"",
                format!("type = \"postgres\"\nurl_env = \"{URL_ENV}\""),
            ));
        }
        for (from, to) in edits {
            if !text.contains(from) {
                return Err(E2eError::Setup(format!("{}: the example no longer says {from:?}", config_path.display())));
            }
            text = text.replacen(from, &to, 1);
        }
        std::fs::write(&config_path, &text).map_err(|source| E2eError::Io { path: config_path.clone(), source })?;
        // Loading checks the store's `url_env` by name only: the workers read it.
        let config = Config::load(&config_path).map_err(|errors| E2eError::Setup(errors.to_string()))?;
        Ok(Plant { dir: dir.to_path_buf(), config_path, config })
    }

    pub fn master(&self) -> PathBuf {
        self.dir.join("master")
    }

    pub fn erp(&self) -> PathBuf {
        self.dir.join("erp.sqlite")
    }

    pub fn store(&self) -> PathBuf {
        self.dir.join("prodline.sqlite")
    }

    /// The example's header table (`SO_HDR`).
    pub fn header_table(&self) -> String {
        match self.config.workflow.first().map(|workflow| &workflow.target) {
            Some(prodline_config::TargetConfig::Sql(target)) => target.header_table.clone(),
            _ => "SO_HDR".to_owned(),
        }
    }
}

fn read(path: &Path) -> Result<String, E2eError> {
    std::fs::read_to_string(path).map_err(|source| E2eError::Io { path: path.to_path_buf(), source })
}

/// One `prodline run -c CONFIG` child process.
pub(crate) struct Worker {
    pub child: Child,
    pub log: PathBuf,
}

impl Worker {
    pub fn spawn(exe: &Path, plant: &Plant, store_url: &str, index: usize) -> Result<Worker, E2eError> {
        let log = plant.dir.join(format!("worker-{index}.log"));
        let io = |source| E2eError::Io { path: log.clone(), source };
        let out = std::fs::File::create(&log).map_err(io)?;
        let err = out.try_clone().map_err(io)?;
        let child = Command::new(exe)
            .args(["run", "-c"])
            .arg(&plant.config_path)
            .env(URL_ENV, store_url)
            .stdout(out)
            .stderr(Stdio::from(err))
            .spawn()
            .map_err(|source| E2eError::Io { path: exe.to_path_buf(), source })?;
        Ok(Worker { child, log })
    }

    /// The worker's output so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM (the worker finishes its pass and exits), then waits.
    pub fn stop(&mut self) -> Result<(), E2eError> {
        let exited = self.child.try_wait().map_err(|source| E2eError::Io { path: self.log.clone(), source })?;
        if exited.is_some() {
            return Ok(());
        }
        let pid = self.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status();
        if !killed.is_ok_and(|status| status.success()) {
            let _ = self.child.kill();
        }
        self.child.wait().map_err(|source| E2eError::Io { path: self.log.clone(), source })?;
        Ok(())
    }
}
