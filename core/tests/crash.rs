//! Crash test: a child process writes records in a loop and is SIGKILLed at random
//! instants. After every kill the wallet must open, pass `PRAGMA integrity_check`, and
//! hold every record whose commit had returned (the child acknowledges each on stdout).
//!
//! `IDWALLET_CRASH_ROUNDS` (default 500) and `IDWALLET_CRASH_SEED` make runs repeatable.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use idwallet_core::{KeyStore, OpenOptions, SoftwareKeyStore, Wallet};

const CHILD_ENV: &str = "IDWALLET_CRASH_CHILD";

fn value_for(key: &str, len: usize) -> Vec<u8> {
    key.bytes().cycle().take(len).collect()
}

/// The writer: open the wallet and put records until killed, acknowledging each commit.
fn child(dir: &str) {
    let dir = std::path::Path::new(dir);
    let ks: Arc<dyn KeyStore> = Arc::new(SoftwareKeyStore::open(dir.join("keys"), b"correct horse").unwrap());
    let wallet = Wallet::open(dir.join("wallet.db"), ks, OpenOptions { create_if_missing: false }).unwrap();
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready").unwrap();
    out.flush().unwrap();
    let pid = std::process::id();
    for i in 0u64.. {
        let key = format!("{pid}-{i}");
        let len = 64 + (i as usize * 997) % 1500;
        wallet.put_item(&key, &value_for(&key, len)).unwrap();
        writeln!(out, "{key} {len}").unwrap();
        out.flush().unwrap();
    }
}

struct XorShift(u64);
impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn parent() -> Result<(), String> {
    let rounds: u32 = std::env::var("IDWALLET_CRASH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(500);
    let seed: u64 = std::env::var("IDWALLET_CRASH_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    });
    println!("crash test: {rounds} rounds, seed {seed}");
    let mut rng = XorShift(seed | 1);

    let dir = tempfile::tempdir().unwrap();
    let (wallet, ks, path) = new_wallet(dir.path());
    wallet.close().unwrap();

    let mut acknowledged: BTreeMap<String, usize> = BTreeMap::new();
    let mut kills_mid_write = 0;
    let started = Instant::now();
    for round in 0..rounds {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // One round in five kills anywhere in the first 30 ms (often while opening); the
        // others wait for the wallet to be open and kill 0-20 ms into the write loop, so
        // the share of kills during writes does not depend on how fast this machine is.
        if round % 5 == 0 {
            std::thread::sleep(Duration::from_micros(rng.below(30_000)));
        } else {
            match rx.recv_timeout(Duration::from_secs(10)) {
                Ok(line) if line == "ready" => {}
                other => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("round {round}: the writer did not start: {other:?}"));
                }
            }
            std::thread::sleep(Duration::from_micros(rng.below(20_000)));
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        reader.join().unwrap();
        let lines: Vec<String> = rx.try_iter().filter(|l| l.as_str() != "ready").collect();
        if !lines.is_empty() {
            kills_mid_write += 1;
        }
        for line in lines {
            let (key, len) = line.split_once(' ').ok_or_else(|| format!("malformed acknowledgement {line:?}"))?;
            acknowledged.insert(key.to_owned(), len.parse().unwrap());
        }

        let check: String = raw(&path).query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        if check != "ok" {
            return Err(format!("round {round}: integrity_check says {check}"));
        }
        let wallet = Wallet::open(&path, ks.clone(), OpenOptions { create_if_missing: false })
            .map_err(|e| format!("round {round}: reopen failed: {e}"))?;
        let stored: BTreeMap<String, Vec<u8>> =
            wallet.items().map_err(|e| format!("round {round}: {e}"))?.into_iter().map(|i| (i.key, i.value)).collect();
        for (key, len) in &acknowledged {
            match stored.get(key) {
                Some(v) if *v == value_for(key, *len) => {}
                Some(_) => return Err(format!("round {round}: record {key} has the wrong value")),
                None => return Err(format!("round {round}: acknowledged record {key} is missing")),
            }
        }
        wallet.close().unwrap();
    }
    println!(
        "crash test: {rounds} kills ({kills_mid_write} during the write loop), {} acknowledged records all present and intact, {:.1} s",
        acknowledged.len(),
        started.elapsed().as_secs_f64()
    );
    if kills_mid_write < rounds / 2 {
        return Err(format!("only {kills_mid_write} of {rounds} kills landed during writes: the test did not test"));
    }
    Ok(())
}

fn main() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        child(&dir);
        return;
    }
    // Accept and ignore libtest's flags (cargo passes e.g. --nocapture or a filter).
    match parent() {
        Ok(()) => println!("crash: 1 passed, 0 failed"),
        Err(e) => {
            println!("crash: 0 passed, 1 failed\n{e}");
            std::process::exit(1);
        }
    }
}
