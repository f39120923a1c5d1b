//! The encrypted wallet file (DESIGN §2): one SQLite database per wallet.
//!
//! Every value is sealed with AES-256-GCM under a data key that the [`KeyStore`] wraps;
//! the AAD binds each ciphertext to its table, row key and the schema version that sealed
//! it, so rows cannot be altered or swapped undetected. Row keys are HMACs, so record ids
//! never appear in the file. Other rooms store typed [`Record`]s and never write SQL.

mod activity;
mod schema;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension, Transaction};
use serde::de::DeserializeOwned;
use serde::Serialize;
use zeroize::Zeroizing;

pub use activity::{ActivityEntry, ActivityKind, Outcome};
pub use schema::SCHEMA_VERSION;

use crate::crypto::{derive_key, random_array, SealingKey, KEY_LEN};
use crate::platform::{Clock, KeyStore, KeyStoreError, SystemClock};

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
const KEY_CHECK: &[u8] = b"idwallet key check";

/// Why a store operation failed. Never carries a record id, a value or a path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("no wallet exists at this location")]
    NoWallet,
    #[error("the file is not an idwallet wallet")]
    NotAWallet,
    #[error("the wallet file is damaged")]
    Corrupt,
    #[error("the wallet was written by a newer version (schema {found}, this build supports {supported})")]
    TooNew { found: u32, supported: u32 },
    #[error("this key store cannot open the wallet (it belongs to another device or key store)")]
    WrongKey,
    #[error(transparent)]
    KeyStore(#[from] KeyStoreError),
    #[error("no {kind} record with that id")]
    NotFound { kind: String },
    #[error("a stored {table} value failed authentication: it was altered or moved")]
    Tampered { table: String },
    #[error("the wallet is busy in another process")]
    Busy,
    #[error("the wallet file or its folder is read-only: check their permissions")]
    ReadOnly,
    #[error("storage failure: {reason}")]
    Io { reason: String },
}

/// A typed value that lives sealed in the wallet.
pub trait Record: Serialize + DeserializeOwned {
    /// The record family, stored in the clear (e.g. "document"): never personal data.
    const KIND: &'static str;
    /// Unique within its kind. Personal ids are fine: only an HMAC of it is stored.
    fn id(&self) -> &str;
}

/// A record count per kind, for [`Store::counts`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindCount {
    pub kind: String,
    pub count: u64,
}

struct Keys {
    seal: SealingKey,
    row_id: ring::hmac::Key,
}

impl Keys {
    fn derive(data_key: &[u8]) -> Option<Self> {
        let seal = SealingKey::new(derive_key(data_key, b"record seal v1").as_ref())?;
        let row_id = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, derive_key(data_key, b"row id v1").as_ref());
        Some(Self { seal, row_id })
    }

    fn row_key(&self, kind: &str, id: &str) -> Vec<u8> {
        let mut ctx = ring::hmac::Context::with_key(&self.row_id);
        ctx.update(kind.as_bytes());
        ctx.update(&[0]);
        ctx.update(id.as_bytes());
        ctx.sign().as_ref().to_vec()
    }
}

fn record_aad(version: u32, kind: &str, row_key: &[u8]) -> Vec<u8> {
    let mut aad = format!("idwallet|records|v{version}|{kind}|").into_bytes();
    aad.extend_from_slice(row_key);
    aad
}

fn activity_aad(version: u32, seq: i64, at: i64) -> Vec<u8> {
    format!("idwallet|activity|v{version}|{seq}|{at}").into_bytes()
}

fn meta_aad(name: &str) -> Vec<u8> {
    format!("idwallet|meta|{name}").into_bytes()
}

/// An open wallet file. Thread-safe: one connection behind a mutex (a wallet sees little
/// concurrency, and SQLite serialises writers anyway).
pub struct Store {
    conn: Mutex<Connection>,
    keys: Keys,
    path: PathBuf,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Open the wallet at `path`; with `create_if_missing`, create it first if absent.
    ///
    /// A new wallet is built under a temporary name and renamed into place, so a crash
    /// during creation never leaves a half-made file where a wallet should be.
    pub fn open(path: &Path, key_store: Arc<dyn KeyStore>, create_if_missing: bool) -> Result<Self, StoreError> {
        Self::open_with_clock(path, key_store, create_if_missing, Arc::new(SystemClock))
    }

    /// [`Store::open`] with the clock that stamps records and the activity log.
    pub fn open_with_clock(
        path: &Path,
        key_store: Arc<dyn KeyStore>,
        create_if_missing: bool,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StoreError> {
        if !path.exists() {
            if !create_if_missing {
                return Err(StoreError::NoWallet);
            }
            create(path, key_store.as_ref(), clock.now())?;
        }
        check_header(path)?;
        let conn = connect(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        let found: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(map_sql)?;
        let app_id: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0)).map_err(map_sql)?;
        if app_id != schema::APPLICATION_ID {
            return Err(StoreError::NotAWallet);
        }
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew { found, supported: SCHEMA_VERSION });
        }
        let check: String = conn.pragma_query_value(None, "quick_check", |r| r.get(0)).map_err(map_sql)?;
        if check != "ok" {
            tracing::error!(target: "idwallet::store", "wallet failed its integrity check");
            return Err(StoreError::Corrupt);
        }
        let mut conn = conn;
        if found < SCHEMA_VERSION {
            let tx = conn.transaction().map_err(map_sql)?;
            schema::upgrade(&tx, found).map_err(map_sql)?;
            tx.commit().map_err(map_sql)?;
        }
        let keys = unlock(&conn, key_store.as_ref())?;
        tracing::info!(target: "idwallet::store", schema = SCHEMA_VERSION, "wallet opened");
        Ok(Self { conn: Mutex::new(conn), keys, path: path.to_path_buf(), clock })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The time by this store's clock.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic mid-transaction rolls the transaction back when it is dropped, so the
        // connection behind a poisoned lock is still consistent.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Run `f` in one write transaction: all of its writes land, or none do.
    pub fn write<T>(&self, f: impl FnOnce(&Writer<'_>) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(map_sql)?;
        let writer = Writer { tx, keys: &self.keys, now: self.clock.now() };
        let out = f(&writer)?;
        writer.tx.commit().map_err(map_sql)?;
        Ok(out)
    }

    /// Store `record`, replacing the one with the same id, and log `activity` with it.
    pub fn put<R: Record>(&self, record: &R, activity: Option<ActivityEntry>) -> Result<(), StoreError> {
        self.write(|w| {
            w.put(record)?;
            activity.map(|a| w.log(&a)).transpose().map(|_| ())
        })
    }

    /// The record of type `R` with `id`, or `NotFound`.
    pub fn get<R: Record>(&self, id: &str) -> Result<R, StoreError> {
        self.find(id)?.ok_or_else(|| StoreError::NotFound { kind: R::KIND.into() })
    }

    pub fn find<R: Record>(&self, id: &str) -> Result<Option<R>, StoreError> {
        let row_key = self.keys.row_key(R::KIND, id);
        let row: Option<(u32, Vec<u8>)> = self
            .conn()
            .prepare_cached("SELECT sealed_version, sealed FROM records WHERE row_key = ?1 AND kind = ?2")
            .and_then(|mut stmt| stmt.query_row(params![row_key, R::KIND], |r| Ok((r.get(0)?, r.get(1)?))))
            .optional()
            .map_err(map_sql)?;
        let Some((version, sealed)) = row else { return Ok(None) };
        let (stored_id, record): (String, R) = open_record(&self.keys, R::KIND, &row_key, version, &sealed)?;
        if stored_id != id {
            return Err(StoreError::Tampered { table: "records".into() });
        }
        Ok(Some(record))
    }

    /// Every record of type `R`, in no particular order.
    pub fn list<R: Record>(&self) -> Result<Vec<R>, StoreError> {
        self.list_each().and_then(|all| all.into_iter().collect())
    }

    /// Every record of type `R`, each opened on its own: one damaged or altered record is
    /// its own `Err` (in file order) and the others still come back — for listings a user
    /// reads, where one bad row must not hide the rest.
    pub fn list_each<R: Record>(&self) -> Result<Vec<Result<R, StoreError>>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT row_key, sealed_version, sealed FROM records WHERE kind = ?1")
            .map_err(map_sql)?;
        let rows = stmt
            .query_map([R::KIND], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, u32>(1)?, r.get::<_, Vec<u8>>(2)?)))
            .map_err(map_sql)?;
        let mut out = Vec::new();
        for row in rows {
            let (row_key, version, sealed) = row.map_err(map_sql)?;
            let opened = open_record::<R>(&self.keys, R::KIND, &row_key, version, &sealed).and_then(|(id, record)| {
                // The row key must be the HMAC of the id inside: catches a row moved to another key.
                if self.keys.row_key(R::KIND, &id) != row_key {
                    return Err(StoreError::Tampered { table: "records".into() });
                }
                Ok(record)
            });
            out.push(opened);
        }
        Ok(out)
    }

    /// Delete the record of type `R` with `id`; true if it existed.
    pub fn delete<R: Record>(&self, id: &str, activity: Option<ActivityEntry>) -> Result<bool, StoreError> {
        self.write(|w| {
            let existed = w.delete::<R>(id)?;
            if let Some(a) = activity.filter(|_| existed) {
                w.log(&a)?;
            }
            Ok(existed)
        })
    }

    /// The newest `limit` activity entries, newest first.
    pub fn activity(&self, limit: u32) -> Result<Vec<ActivityEntry>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT seq, at, sealed_version, sealed FROM activity ORDER BY seq DESC LIMIT ?1")
            .map_err(map_sql)?;
        let rows = stmt
            .query_map([limit], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, u32>(2)?, r.get::<_, Vec<u8>>(3)?))
            })
            .map_err(map_sql)?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, at, version, sealed) = row.map_err(map_sql)?;
            let plain = self
                .keys
                .seal
                .open(&activity_aad(version, seq, at), &sealed)
                .map_err(|_| StoreError::Tampered { table: "activity".into() })?;
            out.push(ciborium::from_reader(plain.as_slice()).map_err(|_| StoreError::Corrupt)?);
        }
        Ok(out)
    }

    /// Number of records per kind, and of activity entries.
    pub fn counts(&self) -> Result<(Vec<KindCount>, u64), StoreError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT kind, COUNT(*) FROM records GROUP BY kind ORDER BY kind").map_err(map_sql)?;
        let kinds = stmt
            .query_map([], |r| Ok(KindCount { kind: r.get(0)?, count: r.get::<_, i64>(1)? as u64 }))
            .map_err(map_sql)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(map_sql)?;
        let activity: i64 = conn.query_row("SELECT COUNT(*) FROM activity", [], |r| r.get(0)).map_err(map_sql)?;
        Ok((kinds, activity as u64))
    }

    /// When the wallet was created (seconds since the Unix epoch).
    pub fn created_at(&self) -> Result<i64, StoreError> {
        let bytes: Vec<u8> = self
            .conn()
            .query_row("SELECT value FROM meta WHERE name = 'created_at'", [], |r| r.get(0))
            .map_err(map_sql)?;
        bytes.try_into().map(i64::from_be_bytes).map_err(|_| StoreError::Corrupt)
    }

    /// Flush the write-ahead log into the main file and close.
    pub fn close(self) -> Result<(), StoreError> {
        let conn = self.conn.into_inner().unwrap_or_else(|p| p.into_inner());
        conn.close().map_err(|(_, e)| map_sql(e))
    }
}

/// Writes inside one transaction of [`Store::write`].
pub struct Writer<'a> {
    tx: Transaction<'a>,
    keys: &'a Keys,
    /// When the transaction began, by the store's clock: every row it writes says so.
    now: i64,
}

impl Writer<'_> {
    pub fn put<R: Record>(&self, record: &R) -> Result<(), StoreError> {
        let id = record.id();
        let row_key = self.keys.row_key(R::KIND, id);
        let mut plain = Zeroizing::new(Vec::new());
        ciborium::into_writer(&(id, record), &mut *plain)
            .map_err(|_| StoreError::Io { reason: "encoding failed".into() })?;
        let sealed = self.keys.seal.seal(&record_aad(SCHEMA_VERSION, R::KIND, &row_key), &plain);
        self.tx
            .prepare_cached(
                "INSERT INTO records (row_key, kind, sealed_version, sealed, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(row_key) DO UPDATE SET sealed_version = ?3, sealed = ?4, updated_at = ?5",
            )
            .and_then(|mut stmt| stmt.execute(params![row_key, R::KIND, SCHEMA_VERSION, sealed, self.now]))
            .map_err(map_sql)?;
        Ok(())
    }

    pub fn delete<R: Record>(&self, id: &str) -> Result<bool, StoreError> {
        let row_key = self.keys.row_key(R::KIND, id);
        let n = self
            .tx
            .execute("DELETE FROM records WHERE row_key = ?1 AND kind = ?2", params![row_key, R::KIND])
            .map_err(map_sql)?;
        Ok(n > 0)
    }

    pub fn log(&self, entry: &ActivityEntry) -> Result<(), StoreError> {
        let seq: i64 =
            self.tx.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM activity", [], |r| r.get(0)).map_err(map_sql)?;
        let mut plain = Vec::new();
        ciborium::into_writer(entry, &mut plain).map_err(|_| StoreError::Io { reason: "encoding failed".into() })?;
        let sealed = self.keys.seal.seal(&activity_aad(SCHEMA_VERSION, seq, entry.at), &plain);
        self.tx
            .execute(
                "INSERT INTO activity (seq, at, sealed_version, sealed) VALUES (?1, ?2, ?3, ?4)",
                params![seq, entry.at, SCHEMA_VERSION, sealed],
            )
            .map_err(map_sql)?;
        Ok(())
    }
}

fn open_record<R: DeserializeOwned>(
    keys: &Keys,
    kind: &str,
    row_key: &[u8],
    version: u32,
    sealed: &[u8],
) -> Result<(String, R), StoreError> {
    let plain = keys
        .seal
        .open(&record_aad(version, kind, row_key), sealed)
        .map_err(|_| StoreError::Tampered { table: "records".into() })?;
    // Authentic but undecodable means our own bug or format drift, not an attacker.
    ciborium::from_reader(plain.as_slice()).map_err(|_| StoreError::Corrupt)
}

fn connect(path: &Path, flags: OpenFlags) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX).map_err(map_sql)?;
    conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(map_sql)?;
    // WAL: readers never block the writer and a killed process leaves the last committed
    // state. synchronous=FULL: a commit that returned survives power loss too.
    // temp_store=MEMORY: Android has no writable temp dir for SQLite.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA secure_delete = ON;
         PRAGMA temp_store = MEMORY;",
    )
    .map_err(map_sql)?;
    Ok(conn)
}

/// Build a new wallet at a temporary path and rename it into place.
fn create(path: &Path, key_store: &dyn KeyStore, now: i64) -> Result<(), StoreError> {
    let mut tmp_name = path.file_name().ok_or(StoreError::Io { reason: "invalid wallet path".into() })?.to_owned();
    tmp_name.push(".creating");
    let tmp = path.with_file_name(tmp_name);
    for suffix in ["", "-wal", "-shm"] {
        let mut p = tmp.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
    let data_key = Zeroizing::new(random_array::<KEY_LEN>());
    let wrapped = key_store.wrap_key(data_key.as_ref())?;
    let keys = Keys::derive(data_key.as_ref()).ok_or(StoreError::Corrupt)?;
    let mut conn = connect(&tmp, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE)?;
    let tx = conn.transaction().map_err(map_sql)?;
    schema::upgrade(&tx, 0).map_err(map_sql)?;
    let insert = "INSERT INTO meta (name, value) VALUES (?1, ?2)";
    tx.execute(insert, params!["wrapped_data_key", wrapped]).map_err(map_sql)?;
    tx.execute(insert, params!["key_check", keys.seal.seal(&meta_aad("key_check"), KEY_CHECK)]).map_err(map_sql)?;
    tx.execute(insert, params!["created_at", now.to_be_bytes().to_vec()]).map_err(map_sql)?;
    Writer { tx, keys: &keys, now }.log_and_commit(&ActivityEntry::new(now, ActivityKind::WalletCreated))?;
    // Closing checkpoints the WAL into the file, so the rename moves one complete file.
    conn.close().map_err(|(_, e)| map_sql(e))?;
    // Owner-only (SQLite creates files 0644): nothing in it is plain, but it is the user's.
    #[cfg(unix)]
    std::fs::set_permissions(&tmp, std::os::unix::fs::PermissionsExt::from_mode(0o600)).map_err(|e| io_error(&e))?;
    std::fs::rename(&tmp, path).map_err(|e| io_error(&e))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io_error(&e))?;
    }
    tracing::info!(target: "idwallet::store", "wallet created");
    Ok(())
}

impl Writer<'_> {
    fn log_and_commit(self, entry: &ActivityEntry) -> Result<(), StoreError> {
        self.log(entry)?;
        self.tx.commit().map_err(map_sql)
    }
}

/// Unwrap the data key through the key store and prove it is the right one.
fn unlock(conn: &Connection, key_store: &dyn KeyStore) -> Result<Keys, StoreError> {
    let meta = |name: &str| -> Result<Vec<u8>, StoreError> {
        conn.query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| r.get(0))
            .optional()
            .map_err(map_sql)?
            .ok_or(StoreError::Corrupt)
    };
    let data_key = Zeroizing::new(key_store.unwrap_key(&meta("wrapped_data_key")?).map_err(|e| match e {
        KeyStoreError::UnwrapFailed => StoreError::WrongKey,
        other => StoreError::KeyStore(other),
    })?);
    let keys = Keys::derive(&data_key).ok_or(StoreError::WrongKey)?;
    keys.seal.open(&meta_aad("key_check"), &meta("key_check")?).map_err(|_| StoreError::WrongKey)?;
    Ok(keys)
}

/// Refuse files that are not SQLite before SQLite sees them, and empty files that a
/// wallet should never be (creation is atomic), rather than silently re-initialising.
fn check_header(path: &Path) -> Result<(), StoreError> {
    use std::io::Read;
    let mut header = [0u8; 16];
    let mut file = std::fs::File::open(path).map_err(|e| io_error(&e))?;
    match file.read_exact(&mut header) {
        Ok(()) if &header == SQLITE_MAGIC => Ok(()),
        Ok(()) => Err(StoreError::NotAWallet),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err(StoreError::Corrupt),
        Err(e) => Err(io_error(&e)),
    }
}

fn io_error(e: &std::io::Error) -> StoreError {
    // The kind only: the message may contain a path that names the user.
    StoreError::Io { reason: format!("{:?}", e.kind()) }
}

/// rusqlite errors can quote SQL and values; keep only the SQLite error code.
fn map_sql(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => StoreError::Corrupt,
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy,
        Some(ErrorCode::ReadOnly) => StoreError::ReadOnly,
        Some(code) => StoreError::Io { reason: format!("sqlite: {code:?}") },
        None => StoreError::Io { reason: "sqlite interface error".into() },
    }
}
