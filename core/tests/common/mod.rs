//! Helpers shared by the core's integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use idwallet_core::platform::KdfParams;
use idwallet_core::{KeyStore, OpenOptions, SoftwareKeyStore, Wallet};

/// A cheap KDF so tests spend their time on the behaviour under test; the cost
/// parameters are read back from the file, so this exercises the real open path.
pub const TEST_KDF: KdfParams = KdfParams { memory_kib: 1024, iterations: 1, parallelism: 1 };

pub fn key_store(dir: &Path, name: &str) -> Arc<dyn KeyStore> {
    Arc::new(SoftwareKeyStore::create(dir.join(name), b"correct horse", TEST_KDF).unwrap())
}

pub fn new_wallet(dir: &Path) -> (Wallet, Arc<dyn KeyStore>, PathBuf) {
    let ks = key_store(dir, "keys");
    let path = dir.join("wallet.db");
    let wallet = Wallet::open(&path, ks.clone(), OpenOptions::default()).unwrap();
    (wallet, ks, path)
}

pub fn reopen(path: &Path, ks: &Arc<dyn KeyStore>) -> Wallet {
    Wallet::open(path, ks.clone(), OpenOptions { create_if_missing: false }).unwrap()
}

/// Run SQL on the raw file, as an attacker with the file (but not the key) could.
pub fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}
