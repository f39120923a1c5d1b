//! `idwallet`: the desktop CLI over idwallet-core.

mod demo;
mod face_cmd;
mod mdl_cmd;
mod online;
mod output;
mod report_cmd;
mod staff;
mod text;
mod wallet_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

const EXIT_CODES: &str = "Exit codes:
  0  done (a code or report verified and accepted)
  1  refused (a verification said no, the eID is locked, a face did not match…)
  2  usage error (unknown option, missing argument)
  3  an input could not be read (a missing or unreadable file, no QR code in an image)

Examples:
  idwallet demo
  idwallet verify --role hotel --image qr.png --trust trust-list.cbor
  idwallet face enrol --path me.db .tools/models/photos/person_b_1.jpg";

#[derive(Parser)]
#[command(name = "idwallet", version, about = "An offline, privacy-respecting identity wallet — desktop tools")]
#[command(after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log at this level or filter (`info`, `trace`, `idwallet=debug`); logs never hold
    /// names, ID numbers or faces.
    #[arg(long, global = true, env = "IDWALLET_LOG", value_name = "FILTER")]
    log: Option<String>,
    /// Write the log to this file instead of stderr (at `info` unless --log says otherwise).
    #[arg(long, global = true, env = "IDWALLET_LOG_FILE", value_name = "FILE")]
    log_file: Option<std::path::PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Walk through the wallet end to end in a fresh directory (the project's main job).
    #[command(after_help = "Example:\n  idwallet demo --dir idwallet-demo")]
    Demo(demo::Args),
    /// Create and use an encrypted wallet file.
    #[command(subcommand)]
    Wallet(wallet_cmd::WalletCommand),
    /// Staff desk: verify a holder's QR code offline (text, an image, or camera frames).
    #[command(
        after_help = "Examples:\n  idwallet verify --role hotel --image hotel-qr.png --trust trust-list.cbor --status status-list.cwt\n  idwallet verify --role police --frames camera/ --trust trust-list.cbor"
    )]
    Verify(staff::VerifyArgs),
    /// Print the text of every QR code in a photo or screenshot.
    #[command(after_help = "Example:\n  idwallet scan hotel-qr.png")]
    Scan {
        /// PNG or JPEG file.
        image: std::path::PathBuf,
    },
    /// Holder: write a fresh QR code for a stored document.
    #[command(
        after_help = "Example:\n  idwallet present --path me.db --role hotel --out qr.png --face .tools/models/photos/person_b_1.jpg"
    )]
    Present(staff::PresentArgs),
    /// Register this wallet's device key with a service (signed; pins the service key).
    #[command(
        after_help = "Example:\n  idwallet register --path me.db --server http://127.0.0.1:8420 --server-key BPx… --code 7KQ2M9XWHT"
    )]
    Register(online::RegisterArgs),
    /// Refresh or list the documents the service issued to this device.
    #[command(subcommand)]
    Documents(online::DocumentsCommand),
    /// Fetch a credit score and what it unlocks (the cached one when offline).
    #[command(after_help = "Example:\n  idwallet score --path me.db --provider sesame")]
    Score(online::ScoreArgs),
    /// Consulate desk: verify a visa report offline (its PDF, a scan of its QR, or the text).
    #[command(after_help = "Example:\n  idwallet verify-report visa-report.pdf --trust trust-list.cbor")]
    VerifyReport(report_cmd::VerifyReportArgs),
    /// On-device face: compare two photos.
    #[command(subcommand)]
    Face(face_cmd::FaceCommand),
    /// The driving licence as an ISO 18013-5 mDL: export it, or verify one as a police reader.
    #[command(subcommand)]
    Mdl(mdl_cmd::MdlCommand),
}

fn main() -> ExitCode {
    restore_default_sigpipe();
    let cli = Cli::parse();
    let filter = cli.log.clone().or_else(|| cli.log_file.as_ref().map(|_| "info".to_owned()));
    if let Some(filter) = &filter {
        if let Err(e) = init_logging(filter, cli.log_file.as_deref()) {
            eprintln!("error: {e:#}");
            return ExitCode::from(exit::USAGE);
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
        Command::Mdl(cmd) => mdl_cmd::run(cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", text::printable(&format!("{e:#}")));
            ExitCode::from(exit::code(&e))
        }
    }
}

/// The documented exit codes ([`EXIT_CODES`]), decided from what went wrong.
mod exit {
    use idwallet_core::credential::CredentialError;
    use idwallet_core::face::FaceError;
    use idwallet_core::mdl::MdlError;
    use idwallet_core::report::ReportError;
    use idwallet_core::WalletError;

    pub const REFUSED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const UNREADABLE: u8 = 3;

    /// An input the command could not read or use (exit 3); the message names it and
    /// says what to do.
    #[derive(Debug)]
    pub struct Unreadable(pub String);

    impl std::fmt::Display for Unreadable {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(&self.0)
        }
    }

    impl std::error::Error for Unreadable {}

    pub fn code(e: &anyhow::Error) -> u8 {
        for cause in e.chain() {
            if cause.is::<std::io::Error>() || cause.is::<Unreadable>() {
                return UNREADABLE;
            }
            if let Some(c) = cause.downcast_ref::<CredentialError>() {
                return if c.is_unreadable_input() { UNREADABLE } else { REFUSED };
            }
            if let Some(r) = cause.downcast_ref::<ReportError>() {
                let unreadable = matches!(
                    r,
                    ReportError::BadPdf { .. }
                        | ReportError::NoQrCode
                        | ReportError::NotASeal
                        | ReportError::NotAReport
                );
                return if unreadable { UNREADABLE } else { REFUSED };
            }
            let face = cause.downcast_ref::<FaceError>().or(match cause.downcast_ref::<WalletError>() {
                Some(WalletError::Face(f)) => Some(f),
                _ => None,
            });
            if matches!(face, Some(FaceError::BadImage | FaceError::BadFrame)) {
                return UNREADABLE;
            }
            let mdl = cause.downcast_ref::<MdlError>().or(match cause.downcast_ref::<WalletError>() {
                Some(WalletError::Mdl(m)) => Some(m),
                _ => None,
            });
            if let Some(m) = mdl {
                let unreadable =
                    matches!(m, MdlError::Malformed { .. } | MdlError::TooLarge { .. } | MdlError::BadRoot);
                return if unreadable { UNREADABLE } else { REFUSED };
            }
            if let Some(WalletError::Credential(c)) = cause.downcast_ref::<WalletError>() {
                return if c.is_unreadable_input() { UNREADABLE } else { REFUSED };
            }
        }
        REFUSED
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
