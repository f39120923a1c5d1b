//! Schema and step-wise migrations (after application-services' `ConnectionInitializer`):
//! `MIGRATIONS[i]` upgrades version `i` to `i + 1`, all steps of one open run in a single
//! transaction, and `user_version` records where the file stands. A new file is built by
//! the same steps from version 0, so the upgrade path is exercised on every creation.

use rusqlite::Transaction;

/// `PRAGMA application_id`: "IDW1". Tells our files from any other SQLite file.
pub(crate) const APPLICATION_ID: i32 = 0x4944_5731;

type Migration = fn(&Transaction<'_>) -> rusqlite::Result<()>;

const MIGRATIONS: &[Migration] = &[v0_to_v1];

/// The version this build writes; files newer than this are refused, not guessed at.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Apply the migrations from `from` to [`SCHEMA_VERSION`] inside `tx`.
pub(crate) fn upgrade(tx: &Transaction<'_>, from: u32) -> rusqlite::Result<()> {
    for (version, step) in MIGRATIONS.iter().enumerate().skip(from as usize) {
        tracing::info!(target: "idwallet::store", from = version, to = version + 1, "migrating wallet schema");
        step(tx)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.pragma_update(None, "application_id", APPLICATION_ID)
}

fn v0_to_v1(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    // Row keys are HMACs of (kind, id): ids such as a document number never appear in the
    // file. `sealed_version` is the schema version whose AAD sealed the row, so rows need
    // not be re-sealed by later migrations.
    tx.execute_batch(
        "CREATE TABLE meta (
             name  TEXT PRIMARY KEY,
             value BLOB NOT NULL
         ) STRICT;
         CREATE TABLE records (
             row_key        BLOB PRIMARY KEY,
             kind           TEXT NOT NULL,
             sealed_version INTEGER NOT NULL,
             sealed         BLOB NOT NULL,
             updated_at     INTEGER NOT NULL
         ) STRICT, WITHOUT ROWID;
         CREATE INDEX records_by_kind ON records(kind);
         CREATE TABLE activity (
             seq            INTEGER PRIMARY KEY,
             at             INTEGER NOT NULL,
             sealed_version INTEGER NOT NULL,
             sealed         BLOB NOT NULL
         ) STRICT;",
    )
}
