//! Writing the CLI's outputs without destroying data: a file that exists is replaced only
//! when it is an earlier output of the same kind (or with `--force`), never when it is the
//! wallet, the key store or another input of the command, and through a temporary sibling renamed into place, so an
//! interrupted write leaves the old file whole.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// What an output file is, told by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Png,
    /// An mdoc's IssuerSigned as `idwallet mdl export` writes it (a two-entry map, issuerAuth first).
    IssuerSigned,
}

impl Kind {
    fn magic(self) -> &'static [u8] {
        match self {
            Kind::Png => b"\x89PNG\r\n\x1a\n",
            Kind::IssuerSigned => b"\xa2\x6aissuerAuth",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Png => "PNG image",
            Kind::IssuerSigned => "exported mdoc",
        }
    }
}

/// Write `bytes` (a `kind` file) to `path`, if [`check`] allows.
pub fn write(path: &Path, bytes: &[u8], kind: Kind, force: bool, protected: &[PathBuf]) -> Result<()> {
    check(path, kind, force, protected)?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {} (does it exist, may you write there?)", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Whether `path` may receive a `kind` output: before a command does its work, so a bad
/// path fails first. `protected`: files never to replace (the wallet and key store this
/// command opened, with the wallet's `-wal` and `-shm`).
pub fn check(path: &Path, kind: Kind, force: bool, protected: &[PathBuf]) -> Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.is_dir() {
        bail!("cannot write {}: the folder {} does not exist", path.display(), dir.display());
    }
    // Compared as resolved paths, so a file that does not exist yet (the wallet's -wal
    // before it is opened), a symlink or a `..` detour is caught too.
    let target = resolved(path);
    if protected.iter().filter_map(|p| resolved(p)).any(|p| Some(p) == target) {
        bail!(
            "{} is an input of this command (the wallet, its key store or a photo): choose another output file",
            path.display()
        );
    }
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.is_dir() {
            bail!("{} is a directory: give a file name for the {}", path.display(), kind.name());
        }
        let mut head = vec![0u8; kind.magic().len()];
        let same_kind = std::fs::File::open(path)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
            .is_ok_and(|()| head == kind.magic());
        if !same_kind && !force {
            bail!(
                "{} exists and is not a {}: not overwritten (choose another file, or --force)",
                path.display(),
                kind.name()
            );
        }
    }
    Ok(())
}

/// `path` with symlinks and `..` resolved: the file itself if it exists, else its folder
/// resolved and its name kept.
fn resolved(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok().or_else(|| {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        Some(std::fs::canonicalize(dir).ok()?.join(path.file_name()?))
    })
}
