//! The `Wallet` object and the records it returns (remote mirrors of core types, so
//! nothing is converted by hand).

use std::sync::{Arc, RwLock};

use idwallet_core::store::KindCount;
use idwallet_core::{self as core, ActivityEntry, ActivityKind, Item, OpenOptions, Outcome, WalletInfo};

use crate::errors::WalletError;
use crate::platform::{HostKeyStore, KeyStore};
use crate::runtime::run_blocking;

/// How to open a wallet.
#[uniffi::remote(Record)]
pub struct OpenOptions {
    /// Create the wallet file if none exists at the path.
    #[uniffi(default = true)]
    pub create_if_missing: bool,
}

/// An app-defined value kept sealed in the wallet.
#[uniffi::remote(Record)]
pub struct Item {
    pub key: String,
    pub value: Vec<u8>,
    /// Seconds since the Unix epoch.
    pub updated_at: i64,
}

/// Number of records of one kind.
#[uniffi::remote(Record)]
pub struct KindCount {
    pub kind: String,
    pub count: u64,
}

/// What a wallet holds, without its contents.
#[uniffi::remote(Record)]
pub struct WalletInfo {
    pub schema_version: u32,
    /// Seconds since the Unix epoch.
    pub created_at: i64,
    pub records: Vec<KindCount>,
    pub activity_entries: u64,
    /// Size of the wallet file and its write-ahead log.
    pub file_bytes: u64,
}

/// What happened to the user's data.
#[uniffi::remote(Enum)]
pub enum ActivityKind {
    WalletCreated,
    RecordStored,
    RecordDeleted,
    DocumentStored,
    Presented,
    Verified,
    Registered,
    Fetched,
    FaceEnrolled,
    FaceRemoved,
    Unlock,
    ReportRequested,
}

/// How an activity ended.
#[uniffi::remote(Enum)]
pub enum Outcome {
    Success,
    Failure { reason: String },
}

/// One line of the activity log: what, to whom, when, with what result.
#[uniffi::remote(Record)]
pub struct ActivityEntry {
    /// Seconds since the Unix epoch.
    pub at: i64,
    pub kind: ActivityKind,
    pub counterparty: Option<String>,
    pub outcome: Outcome,
    pub detail: Option<String>,
}

/// An encrypted wallet file on the device.
#[derive(uniffi::Object)]
pub struct Wallet {
    /// Shared with work in flight (network calls hold a clone while they await).
    pub(crate) inner: Arc<RwLock<Option<Arc<core::Wallet>>>>,
}

impl Wallet {
    pub(crate) fn with<T, E: Into<WalletError>>(
        &self,
        f: impl FnOnce(&core::Wallet) -> Result<T, E>,
    ) -> Result<T, WalletError> {
        let guard = self.inner.read().unwrap_or_else(|p| p.into_inner());
        let wallet = guard.as_ref().ok_or(WalletError::Closed)?;
        f(wallet).map_err(Into::into)
    }

    /// The open wallet, to use across an await.
    pub(crate) fn shared(&self) -> Result<Arc<core::Wallet>, WalletError> {
        self.inner.read().unwrap_or_else(|p| p.into_inner()).clone().ok_or(WalletError::Closed)
    }

    /// Run `f` on the wallet off the caller's thread.
    pub(crate) async fn with_blocking<T: Send + 'static, E: Into<WalletError> + 'static>(
        &self,
        f: impl FnOnce(&core::Wallet) -> Result<T, E> + Send + 'static,
    ) -> Result<T, WalletError> {
        let inner = self.inner.clone();
        run_blocking(move || {
            let guard = inner.read().unwrap_or_else(|p| p.into_inner());
            let wallet = guard.as_ref().ok_or(WalletError::Closed)?;
            f(wallet).map_err(Into::into)
        })
        .await
    }
}

#[uniffi::export]
impl Wallet {
    /// Open the wallet at `path` with `key_store`, creating it if `options` allow.
    /// Key derivation, migrations and the integrity check run off the caller's thread.
    #[uniffi::constructor]
    pub async fn open(
        path: String,
        key_store: Arc<dyn KeyStore>,
        options: OpenOptions,
    ) -> Result<Arc<Self>, WalletError> {
        let wallet = run_blocking(move || core::Wallet::open(path, Arc::new(HostKeyStore(key_store)), options)).await?;
        Ok(Arc::new(Self { inner: Arc::new(RwLock::new(Some(Arc::new(wallet)))) }))
    }

    /// Flush and close the wallet file, reporting any error; later calls fail with
    /// `Closed`, and closing twice is harmless. (Releasing the object — Kotlin `close()`,
    /// Swift `deinit` — also closes the file, but silently.)
    /// The checkpoint of the write-ahead log into the file runs off the caller's thread.
    pub async fn close_wallet(&self) -> Result<(), WalletError> {
        let wallet = {
            let mut slot = self.inner.write().unwrap_or_else(|p| p.into_inner());
            let Some(wallet) = slot.take() else { return Ok(()) };
            match Arc::try_unwrap(wallet) {
                Ok(wallet) => wallet,
                Err(in_use) => {
                    *slot = Some(in_use);
                    return Err(WalletError::Busy);
                }
            }
        };
        run_blocking(move || Ok(wallet.close()?)).await
    }

    /// Counts and sizes, never contents.
    pub async fn info(&self) -> Result<WalletInfo, WalletError> {
        self.with_blocking(|w| w.info()).await
    }

    /// The newest `limit` activity entries, newest first.
    pub async fn activity(&self, limit: u32) -> Result<Vec<ActivityEntry>, WalletError> {
        self.with_blocking(move |w| w.activity(limit)).await
    }

    /// Store `value` sealed under `key`, replacing any earlier value (durable when it
    /// returns: the commit is synced to disk, off the caller's thread).
    pub async fn put_item(&self, key: String, value: Vec<u8>) -> Result<Item, WalletError> {
        self.with_blocking(move |w| w.put_item(&key, &value)).await
    }

    /// The item under `key`; `NotFound` if there is none.
    pub async fn item(&self, key: String) -> Result<Item, WalletError> {
        self.with_blocking(move |w| w.item(&key)).await
    }

    /// All items, sorted by key.
    pub async fn items(&self) -> Result<Vec<Item>, WalletError> {
        self.with_blocking(|w| w.items()).await
    }

    /// Delete the item under `key`; false if there was none.
    pub async fn delete_item(&self, key: String) -> Result<bool, WalletError> {
        self.with_blocking(move |w| w.delete_item(&key)).await
    }
}
