//! Wallet storage benchmarks: cold open, and the cost of sealing — put/get of one record
//! through the store vs. the same row through plain rusqlite: same schema (32-byte row
//! key, kind index), same pragmas, same durability (synchronous=FULL), no encryption.
//! `scripts/bench.sh` runs this and prints the ratios.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use idwallet_core::platform::KdfParams;
use idwallet_core::{Item, KeyStore, OpenOptions, SoftwareKeyStore, Wallet};
use rusqlite::{params, Connection};

const VALUE: [u8; 256] = [0x42; 256];

fn item(i: u64) -> Item {
    Item { key: format!("key-{}", i % 1000), value: VALUE.to_vec(), updated_at: 0 }
}

fn plain_db(path: &std::path::Path) -> Connection {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA secure_delete = ON; PRAGMA temp_store = MEMORY;
         CREATE TABLE IF NOT EXISTS records (row_key BLOB PRIMARY KEY, kind TEXT NOT NULL, value BLOB NOT NULL,
                                             updated_at INTEGER NOT NULL) STRICT, WITHOUT ROWID;
         CREATE INDEX IF NOT EXISTS records_by_kind ON records(kind);",
    )
    .unwrap();
    conn
}

/// A 32-byte key, like the store's HMAC row keys.
fn plain_key(i: u64) -> Vec<u8> {
    let mut k = format!("key-{}", i % 1000).into_bytes();
    k.resize(32, b'.');
    k
}

/// Each put writes a different value, as sealing does (fresh nonce): SQLite skips writing a
/// cell whose content is unchanged, which would make an unencrypted baseline do no I/O.
fn plain_put(conn: &Connection, i: u64) {
    let mut value = VALUE;
    value[..8].copy_from_slice(&i.to_le_bytes());
    let tx = conn.unchecked_transaction().unwrap();
    tx.prepare_cached(
        "INSERT INTO records (row_key, kind, value, updated_at) VALUES (?1, 'item', ?2, 0)
         ON CONFLICT(row_key) DO UPDATE SET value = ?2",
    )
    .unwrap()
    .execute(params![plain_key(i), &value[..]])
    .unwrap();
    tx.commit().unwrap();
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let keys_path = dir.path().join("keys");
    let ks: Arc<dyn KeyStore> = Arc::new(SoftwareKeyStore::create(&keys_path, b"bench", KdfParams::default()).unwrap());
    let wallet_path = dir.path().join("wallet.db");
    let wallet = Wallet::open(&wallet_path, ks.clone(), OpenOptions::default()).unwrap();
    let plain = plain_db(&dir.path().join("plain.db"));
    for i in 0..1000 {
        wallet.store().put(&item(i), None).unwrap();
        plain_put(&plain, i);
    }

    let mut open = c.benchmark_group("open");
    open.sample_size(20);
    open.bench_function("unlock key store (Argon2id 19 MiB, t=2)", |b| {
        b.iter(|| black_box(SoftwareKeyStore::open(&keys_path, b"bench").unwrap()))
    });
    open.bench_function("open wallet (1000 records)", |b| {
        b.iter(|| Wallet::open(&wallet_path, ks.clone(), OpenOptions::default()).unwrap())
    });
    open.finish();

    let mut put = c.benchmark_group("put 256 B");
    let mut i = 0u64;
    put.bench_function("sealed", |b| {
        b.iter(|| {
            i += 1;
            wallet.store().put(&item(i), None).unwrap()
        })
    });
    put.bench_function("plain rusqlite", |b| {
        b.iter(|| {
            i += 1;
            plain_put(&plain, i)
        })
    });
    put.finish();

    let mut get = c.benchmark_group("get 256 B");
    get.bench_function("sealed", |b| {
        b.iter_batched(
            || format!("key-{}", fastrand(&mut i)),
            |k| black_box(wallet.item(&k).unwrap()),
            BatchSize::SmallInput,
        )
    });
    get.bench_function("plain rusqlite", |b| {
        b.iter_batched(
            || plain_key(fastrand(&mut i)),
            |k| {
                let v: Vec<u8> = plain
                    .prepare_cached("SELECT value FROM records WHERE row_key = ?1")
                    .unwrap()
                    .query_row([k], |r| r.get(0))
                    .unwrap();
                black_box(v)
            },
            BatchSize::SmallInput,
        )
    });
    get.finish();
}

fn fastrand(state: &mut u64) -> u64 {
    *state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (*state >> 33) % 1000
}

criterion_group!(store, benches);
criterion_main!(store);
