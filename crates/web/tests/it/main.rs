//! The web UI's one integration-test binary: HTTP-level tests over a real
//! deployment (`fixture`), and browser tests driving Debian's chromium
//! through chromedriver (`browser`).

mod browser;
mod browser_dashboard;
mod dashboard;
mod desk;
mod fixture;
mod metrics;
mod search;
mod security;
