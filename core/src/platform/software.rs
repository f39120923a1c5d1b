//! A real key store for desktop and tests: secrets live in one file, sealed with
//! AES-256-GCM under a key derived from the user's passphrase by Argon2id.
//!
//! File (CBOR): magic, format, KDF parameters and salt, and the sealed secrets (the device
//! P-256 key as PKCS#8 and a 256-bit wrapping key). Both keys are made when the store is
//! created and the file is never rewritten, so two handles on one file cannot diverge. The KDF parameters are part of the AAD,
//! so an attacker cannot downgrade them without the open failing.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::{KeyStore, KeyStoreError};
use crate::crypto::{random_array, SealingKey, KEY_LEN};

const MAGIC: &str = "idwallet-keystore";
const FORMAT: u32 = 1;
const WRAP_VERSION: u8 = 1;
const WRAP_AAD: &[u8] = b"idwallet wrapped data key v1";

/// Argon2id cost. The default follows OWASP's password-storage guidance
/// (19 MiB, 2 passes, 1 lane): ~50 ms on a phone-class core, costly for an attacker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for KdfParams {
    fn default() -> Self {
        Self { memory_kib: 19 * 1024, iterations: 2, parallelism: 1 }
    }
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    magic: String,
    format: u32,
    kdf: KdfParams,
    #[serde(with = "serde_bytes")]
    salt: Vec<u8>,
    #[serde(with = "serde_bytes")]
    sealed: Vec<u8>,
}

impl KeyFile {
    fn aad(&self) -> Vec<u8> {
        let k = &self.kdf;
        let mut aad =
            format!("{MAGIC}|{}|{}|{}|{}|", self.format, k.memory_kib, k.iterations, k.parallelism).into_bytes();
        aad.extend_from_slice(&self.salt);
        aad
    }
}

#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
struct Secrets {
    #[serde(with = "serde_bytes")]
    wrapping_key: Vec<u8>,
    #[serde(with = "serde_bytes")]
    device_key_pkcs8: Vec<u8>,
}

/// Passphrase-sealed software key store. Thread-safe; cheap to share behind an `Arc`.
pub struct SoftwareKeyStore {
    path: PathBuf,
    wrapping: SealingKey,
    device_key: EcdsaKeyPair,
}

impl std::fmt::Debug for SoftwareKeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftwareKeyStore").field("path", &self.path).finish_non_exhaustive()
    }
}

impl SoftwareKeyStore {
    /// Create a new key store file. Fails with `AlreadyExists` rather than overwrite one:
    /// replacing a key store would make every wallet it protects unreadable.
    pub fn create(path: impl AsRef<Path>, passphrase: &[u8], kdf: KdfParams) -> Result<Self, KeyStoreError> {
        let path = path.as_ref().to_path_buf();
        if path.exists() {
            return Err(KeyStoreError::AlreadyExists);
        }
        let salt = random_array::<16>().to_vec();
        let file_key = derive_file_key(passphrase, &salt, kdf)?;
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .map_err(|_| KeyStoreError::Unavailable { reason: "key generation failed".into() })?;
        let secrets =
            Secrets { wrapping_key: random_array::<KEY_LEN>().to_vec(), device_key_pkcs8: pkcs8.as_ref().to_vec() };
        write_file(&path, file_key.as_ref(), kdf, salt, &secrets)?;
        tracing::info!(target: "idwallet::keystore", "software key store created");
        Self::unlocked(path, &secrets)
    }

    /// Open an existing key store. A wrong passphrase is `WrongPassphrase`; a damaged file
    /// is `Corrupt`.
    pub fn open(path: impl AsRef<Path>, passphrase: &[u8]) -> Result<Self, KeyStoreError> {
        let path = path.as_ref().to_path_buf();
        let bytes = fs::read(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => KeyStoreError::NotFound,
            _ => unavailable(&e),
        })?;
        let file: KeyFile = ciborium::from_reader(bytes.as_slice()).map_err(|_| KeyStoreError::Corrupt)?;
        if file.magic != MAGIC || file.format != FORMAT || file.salt.len() < 16 {
            return Err(KeyStoreError::Corrupt);
        }
        // Refuse absurd parameters before spending memory on them (a hostile file could
        // otherwise ask for terabytes).
        let k = file.kdf;
        if k.memory_kib > 4 * 1024 * 1024 || k.iterations > 64 || k.parallelism > 16 {
            return Err(KeyStoreError::Corrupt);
        }
        let file_key = derive_file_key(passphrase, &file.salt, file.kdf)?;
        let sealing = SealingKey::new(file_key.as_ref()).ok_or(KeyStoreError::Corrupt)?;
        let plain = sealing.open(&file.aad(), &file.sealed).map_err(|_| KeyStoreError::WrongPassphrase)?;
        let secrets: Secrets = ciborium::from_reader(plain.as_slice()).map_err(|_| KeyStoreError::Corrupt)?;
        if secrets.wrapping_key.len() != KEY_LEN {
            return Err(KeyStoreError::Corrupt);
        }
        tracing::debug!(target: "idwallet::keystore", "software key store opened");
        Self::unlocked(path, &secrets)
    }

    fn unlocked(path: PathBuf, secrets: &Secrets) -> Result<Self, KeyStoreError> {
        Ok(Self {
            path,
            wrapping: SealingKey::new(&secrets.wrapping_key).ok_or(KeyStoreError::Corrupt)?,
            device_key: EcdsaKeyPair::from_pkcs8(
                &ECDSA_P256_SHA256_FIXED_SIGNING,
                &secrets.device_key_pkcs8,
                &SystemRandom::new(),
            )
            .map_err(|_| KeyStoreError::Corrupt)?,
        })
    }

    /// Open the key store at `path`, creating it with default KDF cost if none exists.
    pub fn open_or_create(path: impl AsRef<Path>, passphrase: &[u8]) -> Result<Self, KeyStoreError> {
        match Self::open(&path, passphrase) {
            Err(KeyStoreError::NotFound) => Self::create(path, passphrase, KdfParams::default()),
            other => other,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl KeyStore for SoftwareKeyStore {
    fn device_public_key(&self) -> Result<Vec<u8>, KeyStoreError> {
        Ok(self.device_key.public_key().as_ref().to_vec())
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        self.device_key
            .sign(&SystemRandom::new(), message)
            .map(|sig| sig.as_ref().to_vec())
            .map_err(|_| KeyStoreError::Unavailable { reason: "signing failed".into() })
    }

    fn wrap_key(&self, key: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        let mut out = vec![WRAP_VERSION];
        out.extend(self.wrapping.seal(WRAP_AAD, key));
        Ok(out)
    }

    fn unwrap_key(&self, wrapped: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        match wrapped.split_first() {
            Some((&WRAP_VERSION, sealed)) => {
                self.wrapping.open(WRAP_AAD, sealed).map(|k| k.to_vec()).map_err(|_| KeyStoreError::UnwrapFailed)
            }
            _ => Err(KeyStoreError::UnwrapFailed),
        }
    }

    fn requires_user_authentication(&self) -> bool {
        // The passphrase was checked when the store was opened; no per-use prompt.
        false
    }
}

fn derive_file_key(passphrase: &[u8], salt: &[u8], kdf: KdfParams) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyStoreError> {
    let params = argon2::Params::new(kdf.memory_kib, kdf.iterations, kdf.parallelism, Some(KEY_LEN))
        .map_err(|_| KeyStoreError::Corrupt)?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    argon
        .hash_password_into(passphrase, salt, out.as_mut())
        .map_err(|_| KeyStoreError::Unavailable { reason: "key derivation failed".into() })?;
    Ok(out)
}

/// Seal the secrets and publish the file atomically: write a temp file, fsync, then
/// hard-link it into place, which fails rather than replace a key store created meanwhile.
/// A crash leaves no key store or a whole one, never half of one.
fn write_file(
    path: &Path,
    file_key: &[u8],
    kdf: KdfParams,
    salt: Vec<u8>,
    secrets: &Secrets,
) -> Result<(), KeyStoreError> {
    let mut plain = Zeroizing::new(Vec::new());
    ciborium::into_writer(secrets, &mut *plain).map_err(|_| KeyStoreError::Corrupt)?;
    let mut file = KeyFile { magic: MAGIC.into(), format: FORMAT, kdf, salt, sealed: Vec::new() };
    let sealing = SealingKey::new(file_key).ok_or(KeyStoreError::Corrupt)?;
    file.sealed = sealing.seal(&file.aad(), &plain);
    let mut bytes = Vec::new();
    ciborium::into_writer(&file, &mut bytes).map_err(|_| KeyStoreError::Corrupt)?;

    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let result = (|| {
        // Owner-only: the sealed secrets are useless without the passphrase, but other
        // users of the machine have no business with them.
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options.open(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        fs::hard_link(&tmp, path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::File::open(dir)?.sync_all()?;
        }
        Ok::<_, std::io::Error>(())
    })();
    let _ = fs::remove_file(&tmp);
    result.map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => KeyStoreError::AlreadyExists,
        _ => unavailable(&e),
    })
}

fn unavailable(e: &std::io::Error) -> KeyStoreError {
    // The io::Error's kind only: its message could include the path, which may name the user.
    KeyStoreError::Unavailable { reason: format!("file error ({:?})", e.kind()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::verify_device_signature;

    fn fast() -> KdfParams {
        KdfParams { memory_kib: 1024, iterations: 1, parallelism: 1 }
    }

    #[test]
    fn reopening_with_the_passphrase_keeps_the_device_key_and_wrapped_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        let ks = SoftwareKeyStore::create(&path, b"pw", fast()).unwrap();
        let public = ks.device_public_key().unwrap();
        assert_eq!(public.len(), 65);
        let wrapped = ks.wrap_key(&[9u8; 32]).unwrap();
        drop(ks);

        let ks = SoftwareKeyStore::open(&path, b"pw").unwrap();
        assert_eq!(ks.device_public_key().unwrap(), public);
        assert_eq!(ks.unwrap_key(&wrapped).unwrap(), vec![9u8; 32]);
        let sig = ks.sign(b"hello").unwrap();
        assert!(verify_device_signature(&public, b"hello", &sig));
        assert!(!verify_device_signature(&public, b"hellO", &sig));
    }

    #[test]
    fn wrong_passphrase_is_a_typed_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        SoftwareKeyStore::create(&path, b"right", fast()).unwrap();
        assert_eq!(SoftwareKeyStore::open(&path, b"wrong").unwrap_err(), KeyStoreError::WrongPassphrase);
    }

    #[test]
    fn create_refuses_to_overwrite_and_open_reports_missing_or_damaged_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        assert_eq!(SoftwareKeyStore::open(&path, b"pw").unwrap_err(), KeyStoreError::NotFound);
        SoftwareKeyStore::create(&path, b"pw", fast()).unwrap();
        assert_eq!(SoftwareKeyStore::create(&path, b"pw", fast()).unwrap_err(), KeyStoreError::AlreadyExists);
        fs::write(&path, b"not cbor at all").unwrap();
        assert_eq!(SoftwareKeyStore::open(&path, b"pw").unwrap_err(), KeyStoreError::Corrupt);
    }

    #[test]
    fn a_downgraded_kdf_parameter_fails_to_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        SoftwareKeyStore::create(&path, b"pw", KdfParams { memory_kib: 2048, ..fast() }).unwrap();
        let mut file: KeyFile = ciborium::from_reader(fs::read(&path).unwrap().as_slice()).unwrap();
        file.kdf.memory_kib = 1024;
        let mut bytes = Vec::new();
        ciborium::into_writer(&file, &mut bytes).unwrap();
        fs::write(&path, bytes).unwrap();
        assert_eq!(SoftwareKeyStore::open(&path, b"pw").unwrap_err(), KeyStoreError::WrongPassphrase);
    }

    #[test]
    fn a_key_wrapped_by_another_store_or_altered_does_not_unwrap() {
        let dir = tempfile::tempdir().unwrap();
        let a = SoftwareKeyStore::create(dir.path().join("a"), b"pw", fast()).unwrap();
        let b = SoftwareKeyStore::create(dir.path().join("b"), b"pw", fast()).unwrap();
        let mut wrapped = a.wrap_key(&[1u8; 32]).unwrap();
        assert_eq!(b.unwrap_key(&wrapped).unwrap_err(), KeyStoreError::UnwrapFailed);
        let last = wrapped.len() - 1;
        wrapped[last] ^= 1;
        assert_eq!(a.unwrap_key(&wrapped).unwrap_err(), KeyStoreError::UnwrapFailed);
        assert_eq!(a.unwrap_key(&[]).unwrap_err(), KeyStoreError::UnwrapFailed);
    }
}
