//! `idwallet-server --data DIR --listen 127.0.0.1:PORT`: run the reference service.

use std::net::SocketAddr;
use std::path::PathBuf;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use clap::Parser;
use idwallet_server::ServerConfig;

/// The idwallet reference issuer and score service.
///
/// On first start it creates its keys and seeds synthetic citizens in DATA; their one-time
/// activation codes are in DATA/activation-codes.txt. Phones pin the printed server key.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Data directory (keys, encrypted database, activation codes).
    #[arg(long, env = "IDWALLET_SERVER_DATA")]
    data: PathBuf,
    /// Address to listen on; port 0 picks a free one (printed on start).
    #[arg(long, default_value = "127.0.0.1:8420")]
    listen: SocketAddr,
    /// Synthetic citizens to seed on first start.
    #[arg(long, default_value_t = 24)]
    citizens: u32,
    /// The registry photos that give citizens real faces on first start (thumbnail and
    /// reference portrait), e.g. .tools/models/photos after models/fetch.sh. Without them
    /// no holder can enrol a face.
    #[arg(long, env = "IDWALLET_PHOTOS")]
    photos: Option<PathBuf>,
    /// The base URL clients use, if not http://<Host header> (e.g. behind a proxy).
    #[arg(long)]
    public_url: Option<String>,
    /// Accepted clock difference for signed requests, in seconds.
    #[arg(long, default_value_t = 300)]
    window: i64,
    /// Print how many records of each kind DATA holds, then exit (no server is started).
    #[arg(long)]
    stats: bool,
    /// Print a new one-time activation code for citizen N, as the issuer's counter hands
    /// out after checking the citizen again (a new phone, a face that no longer unlocks),
    /// then exit. Registering with it removes the wallet's old face.
    #[arg(long, value_name = "N")]
    new_code: Option<u32>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    if args.stats {
        return match idwallet_server::record_counts(&args.data) {
            Ok(counts) => {
                for (kind, n) in counts {
                    println!("{kind} {n}");
                }
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("idwallet-server: {e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    if let Some(n) = args.new_code {
        return match idwallet_server::State::open(&args.data, args.citizens, args.photos.as_deref())
            .and_then(|state| state.new_activation_code(n))
        {
            Ok(code) => {
                println!("{n} {code}");
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("idwallet-server: {e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let mut config = ServerConfig::new(&args.data);
    config.citizens = args.citizens;
    config.photos = args.photos;
    config.http.window_secs = args.window;
    config.http.public_base = args.public_url;
    let server = match idwallet_server::start(config, args.listen).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("idwallet-server: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // One line each, for people and for scripts that start the server on port 0.
    println!("listening: {}", server.base_url());
    println!("server-key: {}", URL_SAFE_NO_PAD.encode(server.state.server_key()));
    println!("activation-codes: {}", args.data.join("activation-codes.txt").display());
    let _ = tokio::signal::ctrl_c().await;
    eprintln!("idwallet-server: shutting down");
    match server.stop().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("idwallet-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
