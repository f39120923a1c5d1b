//! What the CLI's integration tests share: running the binary as a user would.

use std::process::{Command, Output};

/// Run `idwallet ARGS` with `passphrase` (or none) and the fetched face models.
pub fn idwallet(args: &[&str], passphrase: Option<&str>) -> Output {
    idwallet_with(args, passphrase, &[])
}

/// …with extra environment variables.
pub fn idwallet_with(args: &[&str], passphrase: Option<&str>, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_idwallet"));
    cmd.args(args).env_remove("IDWALLET_PASSPHRASE").env_remove("IDWALLET_LOG").env("IDWALLET_MODELS", models_dir());
    if let Some(p) = passphrase {
        cmd.env("IDWALLET_PASSPHRASE", p);
    }
    cmd.envs(env.iter().copied());
    cmd.output().unwrap()
}

/// Where `models/fetch.sh` put the face models and photos.
pub fn models_dir() -> String {
    std::env::var("IDWALLET_MODELS").unwrap_or_else(|_| {
        let tools = std::env::var("IDWALLET_TOOLS")
            .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../.tools").into());
        format!("{tools}/models")
    })
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
