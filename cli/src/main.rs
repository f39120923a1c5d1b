//! `idwallet`: the desktop CLI over idwallet-core.

mod demo;
mod wallet_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "idwallet", version, about = "An offline, privacy-respecting identity wallet — desktop tools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Walk through the wallet end to end in a fresh directory (the project's main job).
    Demo(demo::Args),
    /// Create and use an encrypted wallet file.
    #[command(subcommand)]
    Wallet(wallet_cmd::WalletCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Wallet(cmd) => wallet_cmd::run(cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
