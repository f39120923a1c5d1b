//! `idwallet demo`: the main job. For now it walks the foundation end to end — key store,
//! encrypted wallet, items, activity log, and the typed refusals a user would meet; later
//! issues extend it with documents, QR presentation, face unlock, scores and reports.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{ensure, Context, Result};
use clap::Args as ClapArgs;
use idwallet_core::platform::{verify_device_signature, KdfParams};
use idwallet_core::{KeyStore, KeyStoreError, OpenOptions, SoftwareKeyStore, StoreError, Wallet};

use crate::wallet_cmd::{hex, print_activity, print_info};

#[derive(ClapArgs)]
pub struct Args {
    /// Directory for the demo's files (wiped and recreated).
    #[arg(long, default_value = "idwallet-demo")]
    dir: PathBuf,
}

const PASSPHRASE: &str = "demo passphrase — use your own";

pub fn run(args: Args) -> Result<()> {
    let dir = &args.dir;
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir)?;
    let wallet_path = dir.join("wallet.db");
    let keys_path = dir.join("wallet.keys");

    step(1, "Create a passphrase-sealed key store (Argon2id, OWASP cost)");
    let ks: Arc<dyn KeyStore> =
        Arc::new(SoftwareKeyStore::create(&keys_path, PASSPHRASE.as_bytes(), KdfParams::default())?);
    let device = ks.device_public_key()?;
    let signature = ks.sign(b"hello idwallet")?;
    ensure!(verify_device_signature(&device, b"hello idwallet", &signature), "device signature did not verify");
    println!("   device key P-256 {}…, test signature verifies", hex(&device[..9]));

    step(2, "Create the encrypted wallet (SQLite, AES-256-GCM per record)");
    let wallet = Wallet::open(&wallet_path, ks.clone(), OpenOptions::default())?;
    let samples: [(&str, &[u8]); 3] = [
        ("hotel-loyalty", b"GOLD-4711"),
        ("preferred-language", b"zh-CN"),
        ("emergency-contact", b"+86 138 0000 0000"),
    ];
    for (key, value) in samples {
        wallet.put_item(key, value)?;
    }
    ensure!(wallet.delete_item("preferred-language")?, "delete failed");
    println!("   stored 3 items, deleted 1");
    wallet.close()?;

    step(3, "Reopen with the passphrase and read back");
    let ks: Arc<dyn KeyStore> = Arc::new(SoftwareKeyStore::open(&keys_path, PASSPHRASE.as_bytes())?);
    let wallet = Wallet::open(&wallet_path, ks, OpenOptions { create_if_missing: false })?;
    let items = wallet.items()?;
    ensure!(items.len() == 2 && wallet.item("hotel-loyalty")?.value == b"GOLD-4711", "items did not survive reopening");
    for item in &items {
        println!("   {:<18} {} bytes", item.key, item.value.len());
    }

    step(4, "The file holds no plaintext");
    let mut scanned = 0;
    for entry in std::fs::read_dir(dir)? {
        let raw = std::fs::read(entry?.path())?;
        for (_, value) in samples {
            ensure!(!raw.windows(value.len()).any(|w| w == value), "plaintext found in a wallet file");
        }
        scanned += raw.len();
    }
    println!("   scanned {scanned} bytes of wallet and key files: none of the stored values appear");

    step(5, "Typed refusals");
    match SoftwareKeyStore::open(&keys_path, b"guess") {
        Err(KeyStoreError::WrongPassphrase) => {
            println!("   wrong passphrase      → {}", KeyStoreError::WrongPassphrase)
        }
        other => anyhow::bail!("a wrong passphrase was not refused: {:?}", other.map(|_| ())),
    }
    let stranger: Arc<dyn KeyStore> =
        Arc::new(SoftwareKeyStore::create(dir.join("stranger.keys"), b"other", KdfParams::default())?);
    match Wallet::open(&wallet_path, stranger, OpenOptions::default()) {
        Err(e @ StoreError::WrongKey) => println!("   another device's keys → {e}"),
        other => anyhow::bail!("another key store was not refused: {:?}", other.map(|_| ())),
    }
    match wallet.item("passport") {
        Err(e @ StoreError::NotFound { .. }) => println!("   missing record        → {e}"),
        other => anyhow::bail!("a missing record was not reported: {:?}", other.map(|_| ())),
    }

    step(6, "Wallet info and activity log");
    print_info(&wallet)?;
    println!();
    print_activity(&wallet.activity(20)?);
    wallet.close()?;

    println!("\nDemo complete. Files:\n   {}\n   {}", wallet_path.display(), keys_path.display());
    Ok(())
}

fn step(n: u32, title: &str) {
    println!("\n[{n}] {title}");
}
