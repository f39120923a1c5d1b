//! idwallet-core: the whole wallet in pure Rust.
//!
//! Rooms (see DESIGN §1): [`platform`] holds the traits the host implements (key store,
//! log sink) with software implementations for desktop and tests; [`store`] owns the
//! encrypted SQLite file; [`documents`] the five document kinds; [`credential`] issuing,
//! presenting and verifying QR credentials; [`net`] the signed-message rules (RFC 9421/9530);
//! [`score`] providers and benefits; [`wire`] the JSON shared with the reference server;
//! [`wallet`] is the facade an app holds. Nothing here
//! knows which platform it runs on or that an FFI exists.

pub mod credential;
mod crypto;
pub mod documents;
pub mod face;
mod fault;
pub mod mdl;
pub mod net;
pub mod platform;
pub mod report;
pub mod score;
pub mod store;
pub mod wallet;
pub mod wire;

pub use platform::{KeyStore, KeyStoreError, LogLevel, LogSink, SoftwareKeyStore};
pub use store::{ActivityEntry, ActivityKind, Outcome, Record, StoreError};
pub use wallet::{HeldDocument, Item, OpenOptions, Wallet, WalletError, WalletInfo};

/// Seconds since the Unix epoch by the system clock, for the layers outside the rooms (FFI,
/// CLI, server). Inside core, time comes from the [`platform::Clock`] a wallet was given.
pub fn now_unix() -> i64 {
    platform::Clock::now(&platform::SystemClock)
}
