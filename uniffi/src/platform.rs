//! Platform services as foreign traits: the app implements `KeyStore` over Android
//! Keystore or the Secure Enclave and `LogSink` over Logcat or os_log. `SoftwareKeyStore`
//! is the core's passphrase-sealed store, for desktop, tests and apps without hardware keys.

use std::sync::Arc;

use idwallet_core::platform::{self as core, IntegrityKind, LogLevel};

use crate::errors::KeyStoreError;
use crate::runtime::run_blocking;

/// The device's key store. Private keys never leave it: idwallet asks it to sign and to
/// wrap or unwrap data keys.
#[uniffi::export(with_foreign)]
pub trait KeyStore: Send + Sync {
    /// The device signing key's public half (uncompressed SEC1 P-256 point, 65 bytes),
    /// created on first use.
    fn device_public_key(&self) -> Result<Vec<u8>, KeyStoreError>;
    /// ECDSA P-256 / SHA-256 signature of `message` by the device key, as 64 bytes `r ‖ s`.
    fn sign(&self, message: Vec<u8>) -> Result<Vec<u8>, KeyStoreError>;
    /// Encrypt a data key so that only this key store can recover it.
    fn wrap_key(&self, key: Vec<u8>) -> Result<Vec<u8>, KeyStoreError>;
    /// Recover a key made by `wrap_key`; `UnwrapFailed` if it is not this store's.
    fn unwrap_key(&self, wrapped: Vec<u8>) -> Result<Vec<u8>, KeyStoreError>;
    /// Whether using the keys needs user authentication (biometrics or device PIN).
    fn requires_user_authentication(&self) -> bool;
}

/// Lets the core use a key store implemented across the FFI.
pub(crate) struct HostKeyStore(pub(crate) Arc<dyn KeyStore>);

impl core::KeyStore for HostKeyStore {
    fn device_public_key(&self) -> Result<Vec<u8>, core::KeyStoreError> {
        Ok(self.0.device_public_key()?)
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, core::KeyStoreError> {
        Ok(self.0.sign(message.to_vec())?)
    }
    fn wrap_key(&self, key: &[u8]) -> Result<Vec<u8>, core::KeyStoreError> {
        Ok(self.0.wrap_key(key.to_vec())?)
    }
    fn unwrap_key(&self, wrapped: &[u8]) -> Result<Vec<u8>, core::KeyStoreError> {
        Ok(self.0.unwrap_key(wrapped.to_vec())?)
    }
    fn requires_user_authentication(&self) -> bool {
        self.0.requires_user_authentication()
    }
}

/// A key store kept in a file, sealed under a key derived from a passphrase (Argon2id).
/// For desktop and tests; phone apps should implement `KeyStore` over hardware.
#[derive(uniffi::Object)]
pub struct SoftwareKeyStore(core::SoftwareKeyStore);

#[uniffi::export]
impl SoftwareKeyStore {
    /// Create a new key store file at `path`; fails with `AlreadyExists` if one is there.
    /// Runs the key derivation off the caller's thread.
    #[uniffi::constructor]
    pub async fn create(path: String, passphrase: String) -> Result<Arc<Self>, KeyStoreError> {
        run_blocking(move || {
            core::SoftwareKeyStore::create(path, passphrase.as_bytes(), core::KdfParams::default())
                .map(|k| Arc::new(Self(k)))
                .map_err(Into::into)
        })
        .await
    }

    /// Open the key store file at `path`: `WrongPassphrase`, `NotFound` or `Corrupt` if
    /// it cannot.
    #[uniffi::constructor]
    pub async fn open(path: String, passphrase: String) -> Result<Arc<Self>, KeyStoreError> {
        run_blocking(move || {
            core::SoftwareKeyStore::open(path, passphrase.as_bytes()).map(|k| Arc::new(Self(k))).map_err(Into::into)
        })
        .await
    }
}

#[uniffi::export]
impl KeyStore for SoftwareKeyStore {
    fn device_public_key(&self) -> Result<Vec<u8>, KeyStoreError> {
        Ok(core::KeyStore::device_public_key(&self.0)?)
    }
    fn sign(&self, message: Vec<u8>) -> Result<Vec<u8>, KeyStoreError> {
        Ok(core::KeyStore::sign(&self.0, &message)?)
    }
    fn wrap_key(&self, key: Vec<u8>) -> Result<Vec<u8>, KeyStoreError> {
        Ok(core::KeyStore::wrap_key(&self.0, &key)?)
    }
    fn unwrap_key(&self, wrapped: Vec<u8>) -> Result<Vec<u8>, KeyStoreError> {
        Ok(core::KeyStore::unwrap_key(&self.0, &wrapped)?)
    }
    fn requires_user_authentication(&self) -> bool {
        core::KeyStore::requires_user_authentication(&self.0)
    }
}

/// Log levels, most severe first.
#[uniffi::remote(Enum)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

/// Which platform mechanism vouches for the app and the device.
#[uniffi::remote(Enum)]
pub enum IntegrityKind {
    PlayIntegrity,
    AndroidKeyAttestation,
    AppAttest,
}

/// Why the platform's integrity service gave no verdict (no personal data in `reason`).
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum IntegrityError {
    #[error("the platform's integrity service is unavailable: {reason}")]
    Unavailable { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for IntegrityError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        tracing::warn!(target: "idwallet::ffi", "a host integrity service threw an undeclared exception");
        drop(e);
        Self::Unavailable { reason: "the host integrity service threw an unexpected exception".into() }
    }
}

/// The app's bridge to Play Integrity, Key Attestation or App Attest
/// (`Wallet.setPlatformIntegrity`; `docs/integrity.md`).
#[uniffi::export(with_foreign)]
pub trait PlatformIntegrity: Send + Sync {
    fn kind(&self) -> IntegrityKind;
    /// A verdict over `nonce` (32 bytes): Play Integrity's `requestHash`, App Attest's
    /// `clientDataHash`, the Key Attestation challenge.
    fn token(&self, nonce: Vec<u8>) -> Result<Vec<u8>, IntegrityError>;
}

/// Lets the core ask an integrity service implemented across the FFI.
pub(crate) struct HostIntegrity(pub(crate) Arc<dyn PlatformIntegrity>);

impl core::PlatformIntegrity for HostIntegrity {
    fn kind(&self) -> core::IntegrityKind {
        self.0.kind()
    }
    fn token(&self, nonce: &[u8]) -> Result<Vec<u8>, core::IntegrityError> {
        self.0
            .token(nonce.to_vec())
            .map_err(|IntegrityError::Unavailable { reason }| core::IntegrityError::Unavailable { reason })
    }
}

/// Receives idwallet's log lines (never personal data), e.g. to forward them to Logcat.
#[uniffi::export(with_foreign)]
pub trait LogSink: Send + Sync {
    fn log(&self, level: LogLevel, target: String, message: String);
}

struct HostLogSink(Arc<dyn LogSink>);

impl core::LogSink for HostLogSink {
    fn log(&self, level: LogLevel, target: &str, message: &str) {
        self.0.log(level, target.to_owned(), message.to_owned());
    }
}

/// Send idwallet's logs at `max_level` and above to `sink`; `None` stops logging.
/// Returns false if the process already had another `tracing` subscriber.
#[uniffi::export]
pub fn set_log_sink(sink: Option<Arc<dyn LogSink>>, max_level: LogLevel) -> bool {
    core::set_log_sink(sink.map(|s| Arc::new(HostLogSink(s)) as Arc<dyn core::LogSink>), max_level)
}
