//! `idwallet-load`: a bounded signed load on a running idwallet-server, from its own
//! process. Registers one device per client (each with its own key and activation code),
//! then every client fetches scores back to back — each request signed, each response
//! verified — until the time is up. Prints throughput and latency percentiles.
//! `scripts/load.sh` starts a server and runs this against it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use clap::Parser;
use idwallet_core::net::client::{Client, ClientOptions};
use idwallet_core::platform::KdfParams;
use idwallet_core::wire::{self, ScoreResponse};
use idwallet_core::{KeyStore, SoftwareKeyStore};

/// Bounded concurrent signed load on an idwallet-server.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// The server's base URL.
    #[arg(long)]
    server: String,
    /// The server key it printed (base64url).
    #[arg(long)]
    server_key: String,
    /// Its activation-codes.txt (one code per client is used up).
    #[arg(long)]
    codes: PathBuf,
    /// Concurrent clients, each a registered device.
    #[arg(long, default_value_t = 50)]
    clients: usize,
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 30)]
    duration: u64,
    #[arg(long, default_value = "sesame")]
    provider: String,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow_like::Result {
    let args = Args::parse();
    let server_key = URL_SAFE_NO_PAD.decode(args.server_key.trim()).map_err(|_| "the server key is not base64url")?;
    let codes: Vec<String> = std::fs::read_to_string(&args.codes)
        .map_err(|e| format!("cannot read the codes: {e}"))?
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_whitespace().nth(1).map(str::to_owned))
        .collect();
    if codes.len() < args.clients {
        return Err(format!(
            "{} clients need {} activation codes, the file has {}",
            args.clients,
            args.clients,
            codes.len()
        )
        .into());
    }

    let dir = std::env::temp_dir().join(format!("idwallet-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let fast = KdfParams { memory_kib: 1024, iterations: 1, parallelism: 1 };
    let mut clients = Vec::with_capacity(args.clients);
    for (i, code) in codes.iter().take(args.clients).enumerate() {
        let keys: Arc<dyn KeyStore> = Arc::new(SoftwareKeyStore::create(dir.join(format!("k{i}")), b"load", fast)?);
        let client = Client::new(
            &args.server,
            server_key.clone(),
            keys.clone(),
            ClientOptions { retries: 0, ..Default::default() },
        )?;
        let request =
            wire::RegisterRequest { public_key: wire::B64(keys.device_public_key()?), activation_code: code.clone() };
        client.post::<_, wire::RegisterResponse>(wire::path::DEVICES, &request).await?;
        clients.push(Arc::new(client));
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("registered {} devices; loading for {} s", clients.len(), args.duration);

    let path = format!("{}/{}", wire::path::SCORES, args.provider);
    let start = Instant::now();
    let deadline = start + Duration::from_secs(args.duration);
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|client| {
            let path = path.clone();
            tokio::spawn(async move {
                let mut run = Run::default();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    match client.get::<ScoreResponse>(&path).await {
                        Ok(_) => run.reads.push(t.elapsed().as_micros() as u64),
                        Err(e) => run.errors.push(e.to_string()),
                    }
                    let t = Instant::now();
                    match client.post::<_, wire::ChallengeResponse>(wire::path::REPORT_CHALLENGES, &()).await {
                        Ok(_) => run.writes.push(t.elapsed().as_micros() as u64),
                        Err(e) => run.errors.push(e.to_string()),
                    }
                }
                run
            })
        })
        .collect();
    let mut all = Run::default();
    for task in tasks {
        let run = task.await.map_err(|e| e.to_string())?;
        all.reads.extend(run.reads);
        all.writes.extend(run.writes);
        all.errors.extend(run.errors);
    }
    let elapsed = start.elapsed().as_secs_f64();
    let requests = all.reads.len() + all.writes.len();
    println!("clients {}  duration {elapsed:.1} s", args.clients);
    println!("requests {requests}  errors {}  throughput {:.0} req/s", all.errors.len(), requests as f64 / elapsed);
    let mut both: Vec<u64> = all.reads.iter().chain(&all.writes).copied().collect();
    for (name, latencies) in
        [("all", &mut both), ("reads (score)", &mut all.reads), ("writes (challenge)", &mut all.writes)]
    {
        println!("latency ms {name:<19} {}", percentiles(latencies));
    }
    // scripts/load.sh compares this with the server's database after a restart.
    println!("acknowledged writes: {}", all.writes.len());
    let errors = all.errors;
    if let Some(first) = errors.first() {
        println!("first error: {first}");
        return Err("errors under load".into());
    }
    Ok(())
}

#[derive(Default)]
struct Run {
    reads: Vec<u64>,
    writes: Vec<u64>,
    errors: Vec<String>,
}

/// p50/p90/p99/max of latencies in microseconds, printed in milliseconds.
fn percentiles(latencies: &mut [u64]) -> String {
    latencies.sort_unstable();
    let at = |p: f64| {
        let i = ((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1));
        latencies.get(i).copied().unwrap_or(0) as f64 / 1000.0
    };
    format!("p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}  (n {})", at(0.5), at(0.9), at(0.99), at(1.0), latencies.len())
}

/// `main` returns a readable message rather than a debug dump.
mod anyhow_like {
    pub type Result = std::result::Result<(), Error>;
    pub struct Error(String);
    impl std::fmt::Debug for Error {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(&self.0)
        }
    }
    impl<E: std::fmt::Display> From<E> for Error {
        fn from(e: E) -> Self {
            Self(e.to_string())
        }
    }
}
