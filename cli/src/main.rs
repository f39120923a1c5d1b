//! `idwallet`: the desktop CLI over idwallet-core.

mod demo;
mod face_cmd;
mod online;
mod output;
mod report_cmd;
mod staff;
mod wallet_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "idwallet", version, about = "An offline, privacy-respecting identity wallet — desktop tools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log at this level or filter (`info`, `trace`, `idwallet=debug`); logs never hold
    /// names, ID numbers or faces.
    #[arg(long, global = true, env = "IDWALLET_LOG", value_name = "FILTER")]
    log: Option<String>,
    /// Write the log to this file instead of stderr.
    #[arg(long, global = true, env = "IDWALLET_LOG_FILE", value_name = "FILE", requires = "log")]
    log_file: Option<std::path::PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Walk through the wallet end to end in a fresh directory (the project's main job).
    Demo(demo::Args),
    /// Create and use an encrypted wallet file.
    #[command(subcommand)]
    Wallet(wallet_cmd::WalletCommand),
    /// Staff desk: verify a holder's QR code offline (text or image).
    Verify(staff::VerifyArgs),
    /// Print the text of every QR code in a photo or screenshot.
    Scan {
        /// PNG or JPEG file.
        image: std::path::PathBuf,
    },
    /// Holder: write a fresh QR code for a stored document.
    Present(staff::PresentArgs),
    /// Register this wallet's device key with a service (signed; pins the service key).
    Register(online::RegisterArgs),
    /// Refresh or list the documents the service issued to this device.
    #[command(subcommand)]
    Documents(online::DocumentsCommand),
    /// Fetch a credit score and what it unlocks (the cached one when offline).
    Score(online::ScoreArgs),
    /// Consulate desk: verify a visa report offline (its PDF, a scan of its QR, or the text).
    VerifyReport(report_cmd::VerifyReportArgs),
    /// On-device face: compare two photos.
    #[command(subcommand)]
    Face(face_cmd::FaceCommand),
}

fn main() -> ExitCode {
    restore_default_sigpipe();
    let cli = Cli::parse();
    if let Some(filter) = &cli.log {
        if let Err(e) = init_logging(filter, cli.log_file.as_deref()) {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    }
    let result = match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Wallet(cmd) => wallet_cmd::run(cmd),
        Command::Verify(args) => staff::verify(args),
        Command::Scan { image } => staff::scan(image),
        Command::Present(args) => staff::present(args),
        Command::Register(args) => online::register(args),
        Command::Documents(cmd) => online::documents(cmd),
        Command::Score(args) => online::score(args),
        Command::Face(cmd) => face_cmd::run(cmd),
        Command::VerifyReport(args) => report_cmd::verify_report(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(filter: &str, file: Option<&std::path::Path>) -> anyhow::Result<()> {
    use anyhow::Context;
    let filter = tracing_subscriber::EnvFilter::try_new(filter).context("--log is not a valid filter")?;
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(false);
    match file {
        Some(path) => {
            let file = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            logs.with_writer(std::sync::Mutex::new(file)).init();
        }
        None => logs.with_writer(std::io::stderr).init(),
    }
    Ok(())
}

/// Rust ignores SIGPIPE, so printing to a closed pipe (`idwallet … | head`) panics in
/// `println!`. A command-line tool should end quietly instead, as other Unix tools do.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL is a valid action.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
