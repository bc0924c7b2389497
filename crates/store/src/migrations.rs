//! Schema migrations, embedded at compile time with `include_str!`.
//!
//! Built by hand rather than with `sqlx::migrate!`: that macro lives behind
//! sqlx's `macros` feature, which compiles sqlx-macros-core (and a second
//! bundled SQLite for the host) only to read these files.

use std::borrow::Cow;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

/// (version, description, SQL) of each SQLite migration, in order.
const SQLITE: &[(i64, &str, &str)] = &[
    (1, "initial", include_str!("../migrations/sqlite/0001_initial.sql")),
    (2, "memory", include_str!("../migrations/sqlite/0002_memory.sql")),
    (3, "access", include_str!("../migrations/sqlite/0003_access.sql")),
];

/// (version, description, SQL) of each PostgreSQL migration, in order.
const POSTGRES: &[(i64, &str, &str)] = &[
    (1, "initial", include_str!("../migrations/postgres/0001_initial.sql")),
    (2, "memory", include_str!("../migrations/postgres/0002_memory.sql")),
    (3, "access", include_str!("../migrations/postgres/0003_access.sql")),
];

pub(crate) fn sqlite() -> Migrator {
    migrator(SQLITE)
}

pub(crate) fn postgres() -> Migrator {
    migrator(POSTGRES)
}

fn migrator(steps: &'static [(i64, &'static str, &'static str)]) -> Migrator {
    let migrations = steps
        .iter()
        .map(|&(version, description, sql)| {
            Migration::new(version, Cow::Borrowed(description), MigrationType::Simple, sql.into_sql_str(), false)
        })
        .collect();
    Migrator::with_migrations(migrations)
}
