//! `idwallet wallet …`: init, put, get, list, delete, info, activity.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{Args as ClapArgs, Subcommand};
use idwallet_core::platform::KdfParams;
use idwallet_core::{ActivityEntry, KeyStore, OpenOptions, Outcome, SoftwareKeyStore, Wallet};

const PASSPHRASE_ENV: &str = "IDWALLET_PASSPHRASE";

#[derive(ClapArgs)]
pub struct Target {
    /// The wallet file.
    #[arg(long, value_name = "FILE")]
    path: PathBuf,
    /// The key store file [default: the wallet path with `.keys` appended].
    #[arg(long, value_name = "FILE")]
    keystore: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum WalletCommand {
    /// Create a key store and an empty wallet. Passphrase from $IDWALLET_PASSPHRASE or a prompt.
    #[command(
        after_help = "Example:\n  idwallet wallet init --path me.db        # passphrase from $IDWALLET_PASSPHRASE or a prompt"
    )]
    Init(Target),
    /// Store a value under a key (the value argument, or stdin with `-`).
    #[command(after_help = "Example:\n  idwallet wallet put --path me.db loyalty-card GOLD-4711")]
    Put {
        #[command(flatten)]
        target: Target,
        key: String,
        value: String,
    },
    /// Print the value stored under a key.
    #[command(after_help = "Example:\n  idwallet wallet get --path me.db loyalty-card")]
    Get {
        #[command(flatten)]
        target: Target,
        key: String,
    },
    /// List the stored keys with their sizes and dates.
    #[command(after_help = "Example:\n  idwallet wallet list --path me.db")]
    List(Target),
    /// Delete the value under a key.
    #[command(after_help = "Example:\n  idwallet wallet delete --path me.db loyalty-card")]
    Delete {
        #[command(flatten)]
        target: Target,
        key: String,
    },
    /// Show what the wallet holds (counts and sizes, never contents).
    #[command(after_help = "Example:\n  idwallet wallet info --path me.db")]
    Info(Target),
    /// Show the activity log, newest first.
    #[command(after_help = "Example:\n  idwallet wallet activity --path me.db")]
    Activity {
        #[command(flatten)]
        target: Target,
        /// How many entries to show.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
}

impl Target {
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// The files this target names, which no output may replace: the wallet (with its
    /// write-ahead log and shared memory) and the key store.
    pub fn files(&self) -> Vec<PathBuf> {
        let with = |suffix: &str| {
            let mut p = self.path.clone().into_os_string();
            p.push(suffix);
            PathBuf::from(p)
        };
        vec![self.path.clone(), with("-wal"), with("-shm"), self.keystore_path()]
    }

    fn keystore_path(&self) -> PathBuf {
        self.keystore.clone().unwrap_or_else(|| {
            let mut p = self.path.clone().into_os_string();
            p.push(".keys");
            p.into()
        })
    }

    pub fn open(&self) -> Result<Wallet> {
        use crate::exit::Unreadable;
        if !self.path.is_file() {
            let p = self.path.display();
            return Err(
                Unreadable(format!("no wallet at {p}: create one with `idwallet wallet init --path {p}`")).into()
            );
        }
        if !self.keystore_path().is_file() {
            return Err(Unreadable(format!(
                "no key store at {} (the wallet's keys: give --keystore if they are elsewhere)",
                self.keystore_path().display()
            ))
            .into());
        }
        let passphrase = passphrase(false)?;
        let ks = SoftwareKeyStore::open(self.keystore_path(), passphrase.as_bytes())
            .with_context(|| format!("cannot open the key store {}", self.keystore_path().display()))?;
        let wallet = Wallet::open(&self.path, Arc::new(ks), OpenOptions { create_if_missing: false })
            .with_context(|| format!("cannot open the wallet {}", self.path.display()))?;
        Ok(wallet)
    }
}

pub fn run(cmd: WalletCommand) -> Result<()> {
    match cmd {
        WalletCommand::Init(target) => {
            if target.path.is_dir() {
                bail!(
                    "{} is a folder: give the wallet's file name, e.g. {}",
                    target.path.display(),
                    target.path.join("wallet.db").display()
                );
            }
            if target.path.exists() {
                bail!("a wallet already exists at {} (open it, or choose another --path)", target.path.display());
            }
            let passphrase = passphrase(true)?;
            let ks: Arc<dyn KeyStore> = Arc::new(SoftwareKeyStore::create(
                target.keystore_path(),
                passphrase.as_bytes(),
                KdfParams::default(),
            )?);
            let wallet = Wallet::open(&target.path, ks.clone(), OpenOptions::default())?;
            println!("Created wallet    {}", target.path.display());
            println!("Key store         {}", target.keystore_path().display());
            println!("Device key        {}", hex(&ks.device_public_key()?[..9]) + "…");
            wallet.close()?;
        }
        WalletCommand::Put { target, key, value } => {
            let wallet = target.open()?;
            let bytes = if value == "-" {
                let mut buf = Vec::new();
                std::io::stdin().read_to_end(&mut buf)?;
                buf
            } else {
                value.into_bytes()
            };
            let item = wallet.put_item(&key, &bytes)?;
            println!("Stored {} ({} bytes, sealed)", crate::text::printable(&item.key), item.value.len());
            wallet.close()?;
        }
        WalletCommand::Get { target, key } => {
            let item = target.open()?.item(&key)?;
            let mut out = std::io::stdout().lock();
            out.write_all(&item.value)?;
            if out_is_terminal() && !item.value.ends_with(b"\n") {
                writeln!(out)?;
            }
        }
        WalletCommand::List(target) => {
            let all = target.open()?.items_each()?;
            let damaged = all.iter().filter(|r| r.is_err()).count();
            let items: Vec<_> = all.into_iter().filter_map(Result::ok).collect();
            if items.is_empty() {
                println!("(no items)");
            }
            let width = items.iter().map(|i| i.key.chars().count()).max().unwrap_or(3).max(3);
            if !items.is_empty() {
                println!("{:<width$}  {:>8}  updated", "key", "bytes");
            }
            for item in items {
                let key = crate::text::printable(&item.key);
                println!("{key:<width$}  {:>8}  {}", item.value.len(), utc(item.updated_at));
            }
            if damaged > 0 {
                bail!(
                    "{damaged} stored item(s) are damaged or were altered outside idwallet and cannot be read \
                     (the ones above are intact)"
                );
            }
        }
        WalletCommand::Delete { target, key } => {
            let wallet = target.open()?;
            if !wallet.delete_item(&key)? {
                bail!("no item under that key");
            }
            println!("Deleted {key}");
            wallet.close()?;
        }
        WalletCommand::Info(target) => print_info(&target.open()?)?,
        WalletCommand::Activity { target, limit } => print_activity(&target.open()?.activity(limit)?),
    }
    Ok(())
}

pub fn print_info(wallet: &Wallet) -> Result<()> {
    let info = wallet.info()?;
    println!("Schema version    {}", info.schema_version);
    println!("Created           {}", utc(info.created_at));
    for k in &info.records {
        println!("Records: {:<8} {}", k.kind, k.count);
    }
    println!("Activity entries  {}", info.activity_entries);
    println!("File size         {} bytes", info.file_bytes);
    Ok(())
}

pub fn print_activity(entries: &[ActivityEntry]) {
    for e in entries {
        let outcome = match &e.outcome {
            Outcome::Success => "ok".to_owned(),
            Outcome::Failure { reason } => format!("failed: {reason}"),
        };
        let detail = [e.detail.as_deref(), e.counterparty.as_deref().map(|c| c as &str)]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
        println!("{}  {:<14} {:<24} {}", utc(e.at), format!("{:?}", e.kind), detail, outcome);
    }
}

/// The passphrase from $IDWALLET_PASSPHRASE, or asked for on the terminal.
fn passphrase(confirm: bool) -> Result<String> {
    if let Ok(p) = std::env::var(PASSPHRASE_ENV) {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        bail!("no passphrase: set {PASSPHRASE_ENV} or run in a terminal");
    }
    let p = rpassword::prompt_password("Key store passphrase: ")?;
    if confirm && rpassword::prompt_password("Repeat passphrase: ")? != p {
        bail!("the passphrases differ");
    }
    if p.is_empty() {
        bail!("an empty passphrase protects nothing");
    }
    Ok(p)
}

fn out_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `YYYY-MM-DD HH:MM:SS UTC` from Unix seconds.
pub fn utc(secs: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| format!("@{secs}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_formats_known_instants() {
        assert_eq!(super::utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(super::utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(super::utc(i64::MAX), format!("@{}", i64::MAX));
    }
}
