//! The facade an app holds: opens the store and wires the rooms together.
//!
//! For now the wallet keeps app-defined sealed items (small secrets and settings an app
//! wants encrypted beside the eID); documents, face templates and reports join as their
//! rooms land.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::platform::KeyStore;
use crate::store::{ActivityEntry, ActivityKind, Record, Store, StoreError, SCHEMA_VERSION};

/// How to open a wallet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOptions {
    /// Create the wallet if no file exists at the path.
    pub create_if_missing: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self { create_if_missing: true }
    }
}

/// An app-defined value kept sealed in the wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub key: String,
    #[serde(with = "serde_bytes")]
    pub value: Vec<u8>,
    /// Seconds since the Unix epoch.
    pub updated_at: i64,
}

impl Record for Item {
    const KIND: &'static str = "item";
    fn id(&self) -> &str {
        &self.key
    }
}

/// What is in a wallet, without any of its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletInfo {
    pub schema_version: u32,
    pub created_at: i64,
    pub records: Vec<crate::store::KindCount>,
    pub activity_entries: u64,
    pub file_bytes: u64,
}

/// An open wallet.
#[derive(Debug)]
pub struct Wallet {
    store: Store,
}

impl Wallet {
    /// Open (or create, per `options`) the wallet file at `path`, unlocking it with
    /// `key_store`. Runs migrations; checks integrity; fails with a typed error for a
    /// wrong key store, a damaged file or a file that is not a wallet.
    pub fn open(
        path: impl AsRef<Path>,
        key_store: Arc<dyn KeyStore>,
        options: OpenOptions,
    ) -> Result<Self, StoreError> {
        let _span = tracing::info_span!(target: "idwallet::wallet", "open").entered();
        Ok(Self { store: Store::open(path.as_ref(), key_store, options.create_if_missing)? })
    }

    pub fn path(&self) -> PathBuf {
        self.store.path().to_path_buf()
    }

    /// Close the wallet, folding its write-ahead log into the file.
    pub fn close(self) -> Result<(), StoreError> {
        self.store.close()
    }

    pub fn info(&self) -> Result<WalletInfo, StoreError> {
        let (records, activity_entries) = self.store.counts()?;
        let file_bytes = ["", "-wal"]
            .iter()
            .filter_map(|suffix| {
                let mut p = self.store.path().as_os_str().to_owned();
                p.push(suffix);
                std::fs::metadata(p).ok().map(|m| m.len())
            })
            .sum();
        Ok(WalletInfo {
            schema_version: SCHEMA_VERSION,
            created_at: self.store.created_at()?,
            records,
            activity_entries,
            file_bytes,
        })
    }

    /// The newest `limit` activity entries, newest first.
    pub fn activity(&self, limit: u32) -> Result<Vec<ActivityEntry>, StoreError> {
        self.store.activity(limit)
    }

    /// Store `value` under `key`, replacing any earlier value.
    pub fn put_item(&self, key: &str, value: &[u8]) -> Result<Item, StoreError> {
        let item = Item { key: key.to_owned(), value: value.to_vec(), updated_at: crate::now_unix() };
        self.store.put(&item, Some(ActivityEntry::now(ActivityKind::RecordStored).detail(Item::KIND)))?;
        tracing::debug!(target: "idwallet::wallet", bytes = value.len(), "item stored");
        Ok(item)
    }

    /// The item under `key`, or `NotFound`.
    pub fn item(&self, key: &str) -> Result<Item, StoreError> {
        self.store.get(key)
    }

    /// All items, sorted by key.
    pub fn items(&self) -> Result<Vec<Item>, StoreError> {
        let mut items: Vec<Item> = self.store.list()?;
        items.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(items)
    }

    /// Delete the item under `key`; false if there was none.
    pub fn delete_item(&self, key: &str) -> Result<bool, StoreError> {
        self.store.delete::<Item>(key, Some(ActivityEntry::now(ActivityKind::RecordDeleted).detail(Item::KIND)))
    }

    /// The underlying store, for the rooms that keep their own records.
    pub fn store(&self) -> &Store {
        &self.store
    }
}
