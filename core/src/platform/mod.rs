//! Services the host platform provides: the device key store, the log sink, the
//! integrity verdict and the clock.
//!
//! On phones these are implemented in Kotlin/Swift over Android Keystore and the Secure
//! Enclave and reach Rust through foreign traits; [`SoftwareKeyStore`] is the real,
//! passphrase-sealed implementation for desktop and tests.

mod clock;
pub mod integrity;
mod log;
mod software;

pub use clock::{Clock, ManualClock, SystemClock};
pub use integrity::{IntegrityError, IntegrityKind, IntegrityToken, PlatformIntegrity};
pub use log::{set_log_sink, LogLevel, LogSink};
pub use software::{KdfParams, SoftwareKeyStore};

/// Run a call into the platform — a foreign key store (a StrongBox signature takes ~100 ms)
/// or integrity service (a network round trip) — on the runtime's blocking pool, so the
/// async workers keep serving meanwhile. A panic in it resumes here; `None` if the runtime
/// shut down first.
pub(crate) async fn off_runtime<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(value) => Some(value),
        Err(e) => match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(_) => None,
        },
    }
}

/// Why a key store operation failed. Carries no key material and no user data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyStoreError {
    /// The passphrase (or user authentication) that unlocks the key store was wrong.
    #[error("the key store passphrase is wrong")]
    WrongPassphrase,
    /// A wrapped key was not made by this key store, or was altered.
    #[error("the wrapped key does not belong to this key store or was altered")]
    UnwrapFailed,
    /// The key store file does not exist.
    #[error("no key store exists at this location")]
    NotFound,
    /// A key store already exists where a new one was to be created.
    #[error("a key store already exists at this location")]
    AlreadyExists,
    /// The key store's own file is damaged or not a key store.
    #[error("the key store file is damaged or not a key store")]
    Corrupt,
    /// The key is bound to the platform's user authentication (fingerprint or device
    /// credential) and the user has not authenticated for this use.
    #[error("the platform's user authentication (fingerprint or device credential) is needed")]
    AuthenticationRequired,
    /// The platform refused or could not perform the operation (I/O, keystore daemon,
    /// user cancelled authentication…). `reason` is a short, data-free explanation.
    #[error("the key store is unavailable: {reason}")]
    Unavailable { reason: String },
}

/// The device's key store: the one place private keys live.
///
/// The device signing key is a P-256 key that never leaves the store; Rust asks the store
/// to sign. Data keys (e.g. the wallet's record key) are wrapped by the store so that the
/// wallet file alone is useless without the device.
pub trait KeyStore: Send + Sync {
    /// The device signing key's public half as an uncompressed SEC1 point (65 bytes),
    /// creating the key on first use.
    fn device_public_key(&self) -> Result<Vec<u8>, KeyStoreError>;
    /// Sign `message` with the device key: ECDSA P-256 over SHA-256, returned as the
    /// 64-byte fixed-size `r ‖ s` form (IEEE P1363, as COSE and RFC 9421 expect).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyStoreError>;
    /// Encrypt a data key so only this store can recover it.
    fn wrap_key(&self, key: &[u8]) -> Result<Vec<u8>, KeyStoreError>;
    /// Recover a data key wrapped by [`KeyStore::wrap_key`].
    fn unwrap_key(&self, wrapped: &[u8]) -> Result<Vec<u8>, KeyStoreError>;
    /// Whether using the keys requires the user to authenticate (biometrics, PIN).
    fn requires_user_authentication(&self) -> bool;
}

/// Verify a device-key signature made by [`KeyStore::sign`] (for tests and verifiers).
pub fn verify_device_signature(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, public_key)
        .verify(message, signature)
        .is_ok()
}
