//! Browser tests: Debian's chromium driven through chromedriver with
//! fantoccini, over the fixture's real deployment.
//!
//! The harness ([`Browser`]) starts `/usr/bin/chromedriver` on a free port
//! (its process group is killed on drop, chromium with it), opens a
//! headless 1400×1000 window, and saves a numbered PNG screenshot after
//! each step under `$CARGO_TARGET_DIR/browser-artifacts/<test>/` (or
//! `target/browser-artifacts/<test>/`), printing the folder. Missing
//! chromium or chromedriver fails the test and names `scripts/browser.sh`.
//!
//! Other browser tests (the dashboard's, `browser_dashboard.rs`) use the
//! same harness: [`Browser::start`], [`Browser::login`],
//! [`Browser::screenshot`], [`Browser::press`], [`Browser::finish`].

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use prodline_store::{DocumentState, EventKind};
use serde_json::json;

use crate::fixture::{Fixture, PASSWORD, REVIEWER};

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// How long a page may take to appear after a click or a key.
const NAVIGATION: Duration = Duration::from_secs(20);

/// A headless chromium behind its own chromedriver, for one test.
pub struct Browser {
    pub client: Client,
    driver: Child,
    base: String,
    artifacts: PathBuf,
    steps: AtomicU32,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The driver leads its own process group: chromium and its helpers end with it.
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    /// Starts chromedriver and a browser for `test`, whose pages live at `base`.
    pub async fn start(test: &str, base: &str) -> Browser {
        for (program, package) in [(CHROMEDRIVER, "chromium-driver"), (CHROMIUM, "chromium")] {
            assert!(
                Path::new(program).exists(),
                "{program} is missing: run scripts/browser.sh (Debian {package}) to run the browser tests"
            );
        }
        let port = free_port();
        let artifacts = artifacts_dir(test);
        let log = std::fs::File::create(artifacts.join("chromedriver.log")).expect("chromedriver log file");
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(log)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|error| panic!("{CHROMEDRIVER} did not start ({error}): run scripts/browser.sh"));
        let client = connect(port).await;
        println!("browser screenshots of {test}: {}", artifacts.display());
        Browser { client, driver, base: base.to_owned(), artifacts, steps: AtomicU32::new(0) }
    }

    /// Opens a path of the site.
    pub async fn goto(&self, path: &str) {
        self.client.goto(&format!("{}{path}", self.base)).await.unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    /// The current path with its query (`/review/3?done=approved&doc=2`).
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Logs `name` in through the login form and lands on `next`.
    pub async fn login(&mut self, name: &str, next: &str) {
        self.goto(&format!("/login?next={next}")).await;
        self.find("#name").await.send_keys(name).await.expect("type the name");
        self.find("#password").await.send_keys(PASSWORD).await.expect("type the password");
        self.screenshot("login").await;
        self.find("#login").await.click().await.expect("log in");
        self.wait_for("#who").await;
        let landed = self.path().await;
        assert!(landed.starts_with(next), "{name} landed on {landed}, not {next}");
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element,
            Err(error) => panic!("no {css} on {}: {error}", self.path().await),
        }
    }

    /// Waits until `css` is on the page (after a navigation).
    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        match self.client.wait().at_most(NAVIGATION).for_element(Locator::Css(css)).await {
            Ok(element) => element,
            Err(error) => {
                let shot = self.shot("failure").await;
                let heading = match self.client.find(Locator::Css("h1")).await {
                    Ok(h1) => h1.text().await.unwrap_or_default(),
                    Err(_) => String::new(),
                };
                let path = self.path().await;
                panic!("{css} did not appear on {path}, which says {heading:?} ({}): {error}", shot.display())
            }
        }
    }

    /// Waits until the page is another than `from`, and for its `css`.
    pub async fn wait_to_leave(&self, from: &str, css: &str) -> String {
        let started = Instant::now();
        loop {
            let path = self.path().await;
            if path != from {
                self.wait_for(css).await;
                return path;
            }
            assert!(started.elapsed() < NAVIGATION, "still on {from} after {NAVIGATION:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Presses `key` on the page, as a person does (the page's shortcuts listen to it).
    pub async fn press(&self, key: char) {
        let keys = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
        self.client.perform_actions(keys).await.unwrap_or_else(|e| panic!("press {key:?}: {e}"));
    }

    /// Saves the window as `NN-step.png` in the test's artefact folder,
    /// once the images in view have loaded (PDF pages take a moment).
    pub async fn screenshot(&mut self, step: &str) -> PathBuf {
        self.shot(step).await
    }

    /// [`Browser::screenshot`] where only a shared borrow is at hand (a failure report).
    async fn shot(&self, step: &str) -> PathBuf {
        self.images_loaded().await;
        let number = self.steps.fetch_add(1, Ordering::Relaxed) + 1;
        let png = self.client.screenshot().await.unwrap_or_else(|e| panic!("screenshot {step}: {e}"));
        let path = self.artifacts.join(format!("{number:02}-{step}.png"));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        path
    }

    /// Ends the browser session (chromedriver goes with the drop).
    pub async fn finish(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Browser {
    /// Waits (up to a few seconds) until every image in the window is loaded or broken.
    async fn images_loaded(&self) {
        const SCRIPT: &str = "return Array.from(document.images)\
            .filter(i => i.getBoundingClientRect().top < window.innerHeight)\
            .every(i => i.complete);";
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(5) {
            if let Ok(serde_json::Value::Bool(true)) = self.client.execute(SCRIPT, Vec::new()).await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// `$CARGO_TARGET_DIR/browser-artifacts/<test>`, emptied.
fn artifacts_dir(test: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("browser-artifacts").join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    dir
}

/// A session with headless chromium, once chromedriver listens.
async fn connect(port: u16) -> Client {
    let capabilities = json!({
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000"]
        }
    });
    let serde_json::Value::Object(capabilities) = capabilities else { unreachable!("an object") };
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    loop {
        let attempt = ClientBuilder::new(HttpConnector::new()).capabilities(capabilities.clone()).connect(&url).await;
        match attempt {
            Ok(client) => return client,
            Err(error) if started.elapsed() < Duration::from_secs(20) => {
                let _ = error;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("chromedriver on port {port} gave no browser session: {error} (scripts/browser.sh)"),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reviewer_logs_in_corrects_an_order_and_approves_another() {
    let fixture = Fixture::start().await;
    let queue = fixture.queue().await;
    let corrected = fixture.docs.unknown_part;
    assert_eq!(queue.first(), Some(&corrected), "the oldest in review is the unknown part's order");
    let mut browser = Browser::start("a_reviewer_logs_in_corrects_an_order_and_approves_another", &fixture.base).await;

    browser.login(REVIEWER, "/review").await;
    browser.wait_for("#queue tr.selected").await;
    browser.screenshot("queue").await;

    // Enter opens the selected (first) document.
    browser.press('\u{E007}').await;
    let desk = browser.wait_to_leave("/review", "#viewer").await;
    assert_eq!(desk, format!("/review/{corrected}"));
    browser.screenshot("desk").await;

    // c opens the correction and focuses its first field; the unknown part gets a SKU.
    browser.press('c').await;
    let focused = browser.client.active_element().await.expect("focus");
    assert_eq!(focused.attr("name").await.expect("name").as_deref(), Some("orders[0].customer_id"));
    let sku = browser.find("input[name=\"orders[0].lines[1].sku\"]").await;
    sku.clear().await.expect("clear");
    sku.send_keys("FT-050-SS").await.expect("type the SKU");
    let remember = browser.find("input[name=\"orders[0].lines[1].remember\"]").await;
    assert!(remember.is_displayed().await.expect("visible?"), "remember is offered once the SKU differs");
    browser.screenshot("correction").await;
    browser.find("#save-correction").await.click().await.expect("save");
    let next = browser.wait_to_leave(&desk, ".flash").await;
    let approved = queue.get(1).copied().expect("a second document in review");
    assert!(next.starts_with(&format!("/review/{approved}?done=corrected&doc={corrected}")), "{next}");
    browser.screenshot("next-document").await;

    // a approves the document shown.
    browser.press('a').await;
    let after = browser.wait_to_leave(&next, ".flash").await;
    assert!(after.contains(&format!("done=approved&doc={approved}")), "{after}");
    browser.screenshot("approved").await;
    browser.finish().await;

    // The store has both decisions, by the person.
    for (id, kind) in [(corrected, EventKind::ReviewEdited), (corrected, EventKind::ReviewApproved)] {
        let actors: Vec<String> = fixture.events(id, kind).await.into_iter().map(|e| e.actor).collect();
        assert_eq!(actors, [REVIEWER], "{kind:?} of {id}");
    }
    let approvals: Vec<String> =
        fixture.events(approved, EventKind::ReviewApproved).await.into_iter().map(|e| e.actor).collect();
    assert_eq!(approvals, [REVIEWER]);
    assert_eq!(fixture.state(corrected).await, DocumentState::Approved);
    assert_eq!(fixture.state(approved).await, DocumentState::Approved);
    let edited = fixture.events(corrected, EventKind::ReviewEdited).await;
    assert_eq!(edited[0].details["orders"][0]["lines"][1]["sku"], "FT-050-SS");
}
