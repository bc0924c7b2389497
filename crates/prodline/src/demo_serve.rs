//! The end of `prodline demo`: the plant's review desk and dashboard served
//! on the demo's data, with the runtime delivering what a person approves.
//! The plant's clock goes on from where the replay stopped, at the wall
//! clock's pace, so the SLO month and the queue's ages stay the demo's.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use chrono::{DateTime, TimeDelta, Utc};
use prodline_config::Config;
use prodline_runtime::Clock;
use prodline_store::{AnyStore, Role, SqliteStore, Store, StoreClock, User};

/// The people the demo lets in; their passwords are made up each run.
const PEOPLE: [(&str, Role, &str); 2] = [
    ("owner", Role::Admin, "the dashboard, the pause switches, people and tokens"),
    ("reviewer", Role::Reviewer, "the review desk"),
];

/// The replayed clock, continued: `from` plus the wall time since the start.
struct Continued {
    from: DateTime<Utc>,
    started: Instant,
}

impl Clock for Continued {
    fn now(&self) -> DateTime<Utc> {
        self.from + TimeDelta::from_std(self.started.elapsed()).unwrap_or_default()
    }
}

/// Serves the plant in `plant` on `listen` until Ctrl-C or SIGTERM, the
/// plant's clock continuing from `as_of`.
pub async fn serve(plant: &Path, as_of: DateTime<Utc>, listen: &str) -> anyhow::Result<()> {
    let config_path = plant.join(prodline_config::CONFIG_FILE);
    let config = Arc::new(Config::load(&config_path).map_err(|errors| anyhow::anyhow!("{errors}"))?);
    let clock = Arc::new(Continued { from: as_of, started: Instant::now() });
    let store_clock: StoreClock = {
        let clock = Arc::clone(&clock);
        Arc::new(move || clock.now())
    };
    let store: AnyStore = SqliteStore::open(&plant.join("prodline.sqlite"))
        .await
        .with_context(|| format!("opening the store in {}", plant.display()))?
        .with_clock(Arc::clone(&store_clock))
        .into();
    let listener = crate::web::bind(listen).await.context("choose another address with --listen")?;
    let address = listener.local_addr().context("the web UI's address")?;
    let logins = add_people(&store).await?;
    let (waiting, audits) = waiting(&store).await?;

    println!("\nThe review desk and the dashboard, on this plant: http://{address}/");
    for (name, password, what) in &logins {
        println!("  log in as {name:<9} password {password}   ({what})");
    }
    println!("  {waiting} documents wait in the review queue ({audits} of them audit samples, which feed the SLO);");
    println!("  what you approve is delivered into the plant's ERP by the runtime running beside it.");
    println!("  (These logins are made up for this run of the demo.) Ctrl-C stops it.");

    let (stop, stopped) = tokio::sync::watch::channel(());
    let mut web_stopped = stopped.clone();
    let web = crate::web::serve_on(listener, store.clone(), Arc::clone(&config), Some(store_clock), async move {
        let _ = web_stopped.changed().await;
    });
    let web = tokio::spawn(web);
    let ran = prodline_runtime::run(&config, &store, clock.as_ref(), crate::commands::shutdown_signal()).await;
    drop(stop);
    let served = web.await.context("the web UI stopped abnormally")?;
    store.close().await;
    ran.context("the plant's runtime")?;
    served
}

/// The demo's people, each with a fresh random password: (name, password, what they do).
async fn add_people(store: &AnyStore) -> anyhow::Result<Vec<(String, String, String)>> {
    let mut logins = Vec::new();
    for (name, role, what) in PEOPLE {
        let password = prodline_web::new_token()[..16].to_owned();
        let password_hash = prodline_web::hash_password(&password).map_err(anyhow::Error::msg)?;
        let person = User { name: name.to_owned(), role, password_hash, created_at: Utc::now() };
        match store.add_user(&person, "prodline demo").await {
            Ok(()) => {}
            // A demo served before on this plant: the person gets a new password.
            Err(prodline_store::StoreError::UserExists(_)) => {
                store.set_password(name, &person.password_hash, "prodline demo").await?;
            }
            Err(error) => return Err(error).context("adding the demo's people"),
        }
        logins.push((name.to_owned(), password, format!("{}: {what}", role.as_str())));
    }
    Ok(logins)
}

/// Documents in review, and how many of them are audit samples.
async fn waiting(store: &AnyStore) -> anyhow::Result<(usize, usize)> {
    let queue = prodline_runtime::review::list(store, u32::MAX).await.context("reading the review queue")?;
    let audits = queue.iter().filter(|item| item.reason.as_deref() == Some("audit")).count();
    Ok((queue.len(), audits))
}
