//! The wallet file: round trips, typed errors, tampering and plaintext leaks.

mod common;

use common::*;
use idwallet_core::store::SCHEMA_VERSION;
use idwallet_core::{ActivityKind, OpenOptions, StoreError, Wallet};
use std::sync::Arc;

#[test]
fn items_survive_close_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (wallet, ks, path) = new_wallet(dir.path());
    wallet.put_item("b", b"two").unwrap();
    wallet.put_item("a", b"one").unwrap();
    wallet.put_item("a", b"uno").unwrap();
    wallet.close().unwrap();

    let wallet = reopen(&path, &ks);
    let items = wallet.items().unwrap();
    let pairs: Vec<_> = items.iter().map(|i| (i.key.as_str(), i.value.as_slice())).collect();
    assert_eq!(pairs, vec![("a", &b"uno"[..]), ("b", &b"two"[..])]);
    assert_eq!(wallet.item("b").unwrap().value, b"two");
    assert!(wallet.delete_item("b").unwrap());
    assert!(!wallet.delete_item("b").unwrap());
    assert_eq!(wallet.item("b").unwrap_err(), StoreError::NotFound { kind: "item".into() });
}

#[test]
fn info_counts_records_and_activity_without_reading_contents() {
    let dir = tempfile::tempdir().unwrap();
    let (wallet, _, _) = new_wallet(dir.path());
    wallet.put_item("a", b"1").unwrap();
    wallet.put_item("b", b"2").unwrap();
    let info = wallet.info().unwrap();
    assert_eq!(info.schema_version, SCHEMA_VERSION);
    assert_eq!(info.records.len(), 1);
    assert_eq!((info.records[0].kind.as_str(), info.records[0].count), ("item", 2));
    assert_eq!(info.activity_entries, 3); // created + two stores
    assert!(info.file_bytes > 0);
}

#[test]
fn activity_log_lists_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let (wallet, _, _) = new_wallet(dir.path());
    wallet.put_item("a", b"1").unwrap();
    wallet.delete_item("a").unwrap();
    let kinds: Vec<_> = wallet.activity(10).unwrap().iter().map(|e| e.kind).collect();
    assert_eq!(kinds, vec![ActivityKind::RecordDeleted, ActivityKind::RecordStored, ActivityKind::WalletCreated]);
    assert_eq!(wallet.activity(1).unwrap().len(), 1);
}

#[test]
fn another_key_store_cannot_open_the_wallet() {
    let dir = tempfile::tempdir().unwrap();
    let (wallet, _, path) = new_wallet(dir.path());
    wallet.close().unwrap();
    let other = key_store(dir.path(), "other-keys");
    let err = Wallet::open(&path, other, OpenOptions::default()).unwrap_err();
    assert_eq!(err, StoreError::WrongKey);
}

#[test]
fn a_missing_wallet_is_not_created_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let ks = key_store(dir.path(), "keys");
    let err = Wallet::open(dir.path().join("none.db"), ks, OpenOptions { create_if_missing: false }).unwrap_err();
    assert_eq!(err, StoreError::NoWallet);
    assert!(!dir.path().join("none.db").exists());
}

#[test]
fn foreign_and_damaged_files_get_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let ks = key_store(dir.path(), "keys");
    let open = |p: &std::path::Path| Wallet::open(p, ks.clone(), OpenOptions::default()).unwrap_err();

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, b"just some text, long enough for a header").unwrap();
    assert_eq!(open(&text), StoreError::NotAWallet);

    let other_db = dir.path().join("other.db");
    raw(&other_db).execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);").unwrap();
    assert_eq!(open(&other_db), StoreError::NotAWallet);

    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    assert_eq!(open(&empty), StoreError::Corrupt);

    // A real wallet whose pages were overwritten on disk.
    let (wallet, _, path) = new_wallet(&dir.path().join("w").tap_mkdir());
    for i in 0..50 {
        wallet.put_item(&format!("k{i}"), &[7u8; 300]).unwrap();
    }
    wallet.close().unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let len = bytes.len();
    for b in &mut bytes[4096..len.min(4096 * 3)] {
        *b = 0x5a;
    }
    std::fs::write(&path, bytes).unwrap();
    assert_eq!(open(&path), StoreError::Corrupt);
}

#[test]
fn a_newer_schema_is_refused_not_guessed() {
    let dir = tempfile::tempdir().unwrap();
    let (wallet, ks, path) = new_wallet(dir.path());
    wallet.close().unwrap();
    raw(&path).pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
    let err = Wallet::open(&path, ks, OpenOptions::default()).unwrap_err();
    assert_eq!(err, StoreError::TooNew { found: SCHEMA_VERSION + 1, supported: SCHEMA_VERSION });
}

#[test]
fn flipping_any_byte_of_a_sealed_value_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (wallet, ks, path) = new_wallet(dir.path());
    wallet.put_item("k", b"a sealed value").unwrap();
    wallet.close().unwrap();
    let sealed: Vec<u8> = raw(&path).query_row("SELECT sealed FROM records", [], |r| r.get(0)).unwrap();
    for i in 0..sealed.len() {
        for bit in [0x01u8, 0x80] {
            let mut bad = sealed.clone();
            bad[i] ^= bit;
            raw(&path).execute("UPDATE records SET sealed = ?1", [&bad]).unwrap();
            let wallet = reopen(&path, &ks);
            assert_eq!(wallet.item("k").unwrap_err(), StoreError::Tampered { table: "records".into() }, "byte {i}");
            assert!(wallet.items().is_err());
        }
    }
    // Truncated and re-versioned rows are caught too.
    raw(&path).execute("UPDATE records SET sealed = ?1", [&sealed[..20]]).unwrap();
    assert!(matches!(reopen(&path, &ks).item("k"), Err(StoreError::Tampered { .. })));
    raw(&path).execute("UPDATE records SET sealed = ?1, sealed_version = 0", [&sealed]).unwrap();
    assert!(matches!(reopen(&path, &ks).item("k"), Err(StoreError::Tampered { .. })));
}

#[test]
fn swapping_two_rows_ciphertexts_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (wallet, ks, path) = new_wallet(dir.path());
    wallet.put_item("alice", b"value A").unwrap();
    wallet.put_item("bob", b"value B").unwrap();
    wallet.close().unwrap();
    raw(&path)
        .execute_batch(
            "CREATE TEMP TABLE s AS SELECT row_key, sealed FROM records;
             UPDATE records SET sealed = (SELECT s.sealed FROM s WHERE s.row_key != records.row_key);",
        )
        .unwrap();
    let wallet = reopen(&path, &ks);
    assert!(matches!(wallet.item("alice"), Err(StoreError::Tampered { .. })));
    assert!(matches!(wallet.item("bob"), Err(StoreError::Tampered { .. })));
    assert!(matches!(wallet.items(), Err(StoreError::Tampered { .. })));
}

#[test]
fn a_record_moved_into_the_activity_log_or_altered_log_entry_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (wallet, ks, path) = new_wallet(dir.path());
    wallet.put_item("k", b"v").unwrap();
    wallet.close().unwrap();
    raw(&path).execute("UPDATE activity SET at = at + 1 WHERE seq = 1", []).unwrap();
    assert_eq!(reopen(&path, &ks).activity(10).unwrap_err(), StoreError::Tampered { table: "activity".into() });
    raw(&path).execute("UPDATE activity SET at = at - 1 WHERE seq = 1", []).unwrap();
    raw(&path).execute("UPDATE activity SET sealed = (SELECT sealed FROM records) WHERE seq = 2", []).unwrap();
    assert_eq!(reopen(&path, &ks).activity(10).unwrap_err(), StoreError::Tampered { table: "activity".into() });
}

#[test]
fn the_wallet_files_contain_none_of_the_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let (wallet, ks, path) = new_wallet(dir.path());
    let secrets: Vec<String> = (0..20).map(|i| format!("ZHANG-WEI-110101199003077{i:03}")).collect();
    for (i, s) in secrets.iter().enumerate() {
        wallet.put_item(s, format!("value of {s}").as_bytes()).unwrap();
        if i % 3 == 0 {
            wallet.delete_item(s).unwrap();
        }
    }
    // Scan while open (WAL and shared memory present) and after close.
    let scan = || {
        let mut saw_clear_kind = false;
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            saw_clear_kind |= bytes.windows(4).any(|w| w == b"item");
            for s in &secrets {
                // Long enough probes that a random hit is impossible: the id part.
                let needle = &s.as_bytes()[10..];
                assert!(!bytes.windows(needle.len()).any(|w| w == needle), "plaintext found in the file");
            }
        }
        // Control: the scan does read the records (their kind is stored in the clear).
        assert!(saw_clear_kind);
    };
    scan();
    wallet.close().unwrap();
    scan();
    assert_eq!(reopen(&path, &ks).items().unwrap().len(), 13);
}

#[test]
fn wallets_open_concurrently_from_threads_share_one_store() {
    let dir = tempfile::tempdir().unwrap();
    let (wallet, _, _) = new_wallet(dir.path());
    let wallet = Arc::new(wallet);
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let w = wallet.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    w.put_item(&format!("t{t}-{i}"), b"x").unwrap();
                }
            })
        })
        .collect();
    handles.into_iter().for_each(|h| h.join().unwrap());
    assert_eq!(wallet.items().unwrap().len(), 100);
    assert_eq!(wallet.info().unwrap().activity_entries, 101);
}

trait TapMkdir {
    fn tap_mkdir(self) -> Self;
}
impl TapMkdir for std::path::PathBuf {
    fn tap_mkdir(self) -> Self {
        std::fs::create_dir_all(&self).unwrap();
        self
    }
}

#[cfg(unix)]
#[test]
fn wallet_and_key_store_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (wallet, _, path) = new_wallet(dir.path());
    wallet.close().unwrap();
    for file in [path, dir.path().join("keys")] {
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{} is {mode:o}", file.display());
    }
}

#[test]
fn one_damaged_record_does_not_hide_the_others_in_a_listing() {
    let dir = tempfile::tempdir().unwrap();
    let (wallet, ks, path) = new_wallet(dir.path());
    for key in ["a", "b", "c"] {
        wallet.put_item(key, key.as_bytes()).unwrap();
    }
    wallet.close().unwrap();
    // Damage one row.
    let row: Vec<u8> = raw(&path)
        .query_row("SELECT row_key FROM records WHERE kind = 'item' ORDER BY row_key LIMIT 1", [], |r| r.get(0))
        .unwrap();
    raw(&path).execute("UPDATE records SET sealed = x'00' WHERE row_key = ?1", [row]).unwrap();
    let wallet = reopen(&path, &ks);
    assert!(wallet.items().is_err(), "the strict listing still refuses");
    let each = wallet.items_each().unwrap();
    let keys: Vec<_> = each.iter().filter_map(|r| r.as_ref().ok()).map(|i| i.key.as_str()).collect();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(matches!(each.last(), Some(Err(StoreError::Tampered { .. }))));
}
