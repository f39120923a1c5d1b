//! `idwallet register | documents | score`: the wallet talking to the service, signed.

use anyhow::{Context, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use clap::{Args as ClapArgs, Subcommand, ValueEnum};
use idwallet_core::score::{Freshness, ScoreView};
use idwallet_core::Wallet;

use crate::wallet_cmd::{utc, Target};

#[derive(ClapArgs)]
pub struct RegisterArgs {
    #[command(flatten)]
    target: Target,
    /// The service's base URL, e.g. http://127.0.0.1:8420.
    #[arg(long)]
    server: String,
    /// The service's response key to pin (base64url, as `idwallet-server` prints it).
    #[arg(long)]
    server_key: String,
    /// The one-time activation code from enrolment.
    #[arg(long)]
    code: String,
}

#[derive(Subcommand)]
pub enum DocumentsCommand {
    /// Download fresh credentials for every document (verified before storing).
    #[command(after_help = "Example:\n  idwallet documents refresh --path me.db")]
    Refresh(Target),
    /// List the documents held, with their validity.
    #[command(after_help = "Example:\n  idwallet documents list --path me.db")]
    List(Target),
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ProviderArg {
    Sesame,
    Paypoint,
}

impl ProviderArg {
    fn id(self) -> &'static str {
        match self {
            Self::Sesame => "sesame",
            Self::Paypoint => "paypoint",
        }
    }
}

#[derive(ClapArgs)]
pub struct ScoreArgs {
    #[command(flatten)]
    target: Target,
    #[arg(long, value_enum, default_value = "sesame")]
    provider: ProviderArg,
    /// Show the cached score without going online.
    #[arg(long)]
    offline: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// A runtime for one command's network calls.
pub fn block_on<F: std::future::Future>(f: F) -> Result<F::Output> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    Ok(rt.block_on(f))
}

pub fn register(args: RegisterArgs) -> Result<()> {
    let key = URL_SAFE_NO_PAD.decode(args.server_key.trim()).context("the server key is not base64url")?;
    let wallet = args.target.open()?;
    let service = block_on(wallet.register(&args.server, &key, args.code.trim()))??;
    println!("Registered with   {}", service.base_url);
    println!("Device id         {}", service.device_id);
    println!("Next: idwallet documents refresh --path {}", args.target.path().display());
    wallet.close()?;
    Ok(())
}

pub fn documents(cmd: DocumentsCommand) -> Result<()> {
    match cmd {
        DocumentsCommand::Refresh(target) => {
            let wallet = target.open()?;
            block_on(wallet.refresh_documents())??;
            print_documents(&wallet)?;
            wallet.close()?;
        }
        DocumentsCommand::List(target) => print_documents(&target.open()?)?,
    }
    Ok(())
}

pub fn print_documents(wallet: &Wallet) -> Result<()> {
    let docs = wallet.documents()?;
    if docs.is_empty() {
        println!("(no documents: run `idwallet documents refresh`)");
    }
    for d in docs {
        println!(
            "{:<22} issued {}  valid until {}",
            d.kind.title(),
            utc(d.credential.issued_at),
            utc(d.credential.expires_at)
        );
    }
    Ok(())
}

pub fn score(args: ScoreArgs) -> Result<()> {
    let wallet = args.target.open()?;
    let provider = args.provider.id();
    let view = if args.offline {
        wallet.cached_score(provider)?.context("no cached score: run without --offline first")?
    } else {
        block_on(wallet.fetch_score(provider))??
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&score_json(&view))?);
    } else {
        print_score(&view);
    }
    Ok(())
}

fn score_json(v: &ScoreView) -> serde_json::Value {
    let s = &v.snapshot.score;
    serde_json::json!({
        "provider": s.provider,
        "value": s.value,
        "factors": s.factors,
        "computed_at": s.computed_at,
        "expires_at": s.expires_at,
        "history": v.snapshot.history,
        "benefits": v.benefits.iter().map(|b| b.id).collect::<Vec<_>>(),
        "next_benefit": v.next_benefit.as_ref().map(|(b, gap)| serde_json::json!({"id": b.id, "points_needed": gap})),
        "from_cache": v.from_cache,
        "stale_for_secs": match v.freshness { Freshness::Current => None, Freshness::Stale { age_secs } => Some(age_secs) },
    })
}

/// The score, its factors as bars, what it unlocks, and a one-line history.
pub fn print_score(v: &ScoreView) {
    let s = &v.snapshot.score;
    let Ok(p) = idwallet_core::score::provider(&s.provider) else { return };
    let origin = match (v.from_cache, v.freshness) {
        (false, _) => "verified just now".to_owned(),
        (true, Freshness::Current) => format!("cached, verified {} (offline)", utc(v.snapshot.fetched_at)),
        (true, Freshness::Stale { age_secs }) => format!("cached and STALE by {} h (offline)", age_secs / 3600),
    };
    println!("{} ({}–{}): {}   [{origin}]", p.name, p.min, p.max, s.value);
    for f in &s.factors {
        let bar = "█".repeat((f.contribution.unsigned_abs() / 5) as usize);
        let (neg, pos) = if f.contribution < 0 { (bar.as_str(), "") } else { ("", bar.as_str()) };
        println!("  {:<24} {:>+4}  {neg:>12}|{pos}", f.id.replace('_', " "), f.contribution);
    }
    for b in p.benefits {
        let mark = if s.value >= b.min_score { "✓" } else { "·" };
        println!("  {mark} {:>3}+  {}", b.min_score, b.title);
    }
    if let Some((b, gap)) = &v.next_benefit {
        println!("  {gap} points to go for: {}", b.title);
    }
    const SPARK: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let spark: String = v
        .snapshot
        .history
        .iter()
        .map(|h| SPARK[(((h.value - p.min) * 7) / (p.max - p.min).max(1)).clamp(0, 7) as usize])
        .collect();
    println!("  last {} months: {spark}", v.snapshot.history.len());
}
