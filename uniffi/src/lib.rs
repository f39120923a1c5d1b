//! idwallet-ffi: the only crate that knows uniffi.
//!
//! It holds conversions (remote records mirroring core types), the public errors and
//! their one-place mapping from core errors, the foreign traits the host implements, and
//! the runtime for async exports. Logic lives in `idwallet-core`; a branch here that
//! decides something about the user's data belongs there instead.

mod credential;
mod errors;
mod face;
mod mdl;
mod online;
mod platform;
mod report;
mod runtime;
#[cfg(feature = "testing")]
mod testing;
mod wallet;

pub use credential::Verifier;
pub use errors::{CredentialError, FaceError, KeyStoreError, MdlError, WalletError};
pub use face::{FaceModels, FaceSession};
pub use mdl::{MdlHolderSession, MdlReader};
pub use platform::{KeyStore, LogSink, SoftwareKeyStore};
#[cfg(feature = "testing")]
pub use testing::{SyntheticCamera, SyntheticIssuer};
pub use wallet::Wallet;

uniffi::setup_scaffolding!("idwallet");
