//! The facade an app holds: opens the store and wires the rooms together.
//!
//! For now the wallet keeps app-defined sealed items (small secrets and settings an app
//! wants encrypted beside the eID); documents, face templates and reports join as their
//! rooms land.

mod face;
mod mdl;
mod online;
mod report;
#[cfg(feature = "testing")]
mod synthetic;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

pub use face::{FaceAttempt, FacePurpose, FaceStep, Unlocked};
pub use online::{Service, TrustSnapshot};

use crate::credential::{
    self, CredentialError, IssuerCredential, Presentation, Profile, VerifiedPresentation, Verifier,
};
use crate::documents::{Claims, DocumentKind};
use crate::net::client::{Client, ClientError, ClientOptions};
use crate::platform::KeyStore;
use crate::score::ScoreError;
use crate::store::{ActivityEntry, ActivityKind, Outcome, Record, Store, StoreError, SCHEMA_VERSION};

/// How to open a wallet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOptions {
    /// Create the wallet if no file exists at the path.
    pub create_if_missing: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self { create_if_missing: true }
    }
}

/// An app-defined value kept sealed in the wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub key: String,
    #[serde(with = "serde_bytes")]
    pub value: Vec<u8>,
    /// Seconds since the Unix epoch.
    pub updated_at: i64,
}

impl Record for Item {
    const KIND: &'static str = "item";
    fn id(&self) -> &str {
        &self.key
    }
}

/// What is in a wallet, without any of its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletInfo {
    pub schema_version: u32,
    pub created_at: i64,
    pub records: Vec<crate::store::KindCount>,
    pub activity_entries: u64,
    pub file_bytes: u64,
}

/// A document the holder keeps: its claims and the issuer's credential over them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeldDocument {
    pub kind: DocumentKind,
    pub claims: Claims,
    pub credential: IssuerCredential,
    /// Seconds since the Unix epoch.
    pub stored_at: i64,
    /// The same document as an ISO 18013-5 mdoc (IssuerSigned), verified when stored:
    /// the driving licence, for any standard reader ([`crate::mdl`]).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "serde_bytes")]
    pub mdoc: Option<Vec<u8>>,
}

impl Record for HeldDocument {
    const KIND: &'static str = "document";
    fn id(&self) -> &str {
        self.kind.code()
    }
}

/// Why a wallet operation that spans rooms failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WalletError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Credential(#[from] CredentialError),
    #[error(transparent)]
    Net(#[from] ClientError),
    #[error(transparent)]
    Score(#[from] ScoreError),
    #[error("this wallet is not registered with a service yet")]
    NotRegistered,
    #[error("the service key must be an uncompressed P-256 point")]
    BadServerKey,
    #[error(transparent)]
    Face(#[from] crate::face::FaceError),
    #[error("no face is enrolled")]
    NotEnrolled,
    #[error("too many failed attempts: try again in {retry_after_secs} s")]
    LockedOut { retry_after_secs: i64 },
    #[error("the face does not match the holder (similarity {similarity:.2})")]
    FaceMismatch { similarity: f32, retry_after_secs: Option<i64> },
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
    #[error(transparent)]
    Mdl(#[from] crate::mdl::MdlError),
    /// The platform's integrity service gave no verdict (`Wallet::set_platform_integrity`).
    #[error("the platform's integrity verdict could not be had: {0}")]
    Integrity(#[from] crate::platform::IntegrityError),
    #[error("the liveness check failed: {failure}")]
    LivenessFailed { failure: crate::face::liveness::LivenessFailure, retry_after_secs: Option<i64> },
    /// The eID is locked: unlock it with the face (recently enough for this use) first.
    #[error("the eID is locked: unlock it with your face first")]
    FaceCheckRequired,
    #[error("the policy asks for the platform's user authentication, which this key store does not enforce")]
    UserAuthenticationUnavailable,
    #[error("a disclosure window must be between 1 s and 1 h")]
    InvalidPolicy,
    #[error("the issuer has not delivered a reference portrait to match the face against (refresh the documents)")]
    NoReferencePortrait,
    #[error("the reference portrait is not the one the issuer signed")]
    ReferencePortraitMismatch,
    /// A [`FaceAttempt`] fed after it ended (passed, failed or cancelled).
    #[error("this face session has ended: start a new one")]
    SessionEnded,
    /// The wallet a [`FaceAttempt`] belongs to was closed.
    #[error("the wallet was closed")]
    Closed,
}

impl From<crate::KeyStoreError> for WalletError {
    fn from(e: crate::KeyStoreError) -> Self {
        Self::Store(e.into())
    }
}

/// An open wallet.
pub struct Wallet {
    store: Store,
    key_store: Arc<dyn KeyStore>,
    client_options: ClientOptions,
    /// Built on first use from the stored [`Service`].
    client: Mutex<Option<Arc<Client>>>,
    lockout: crate::face::gate::LockoutPolicy,
    disclosure: Mutex<crate::face::gate::DisclosurePolicy>,
    /// The last face unlock; never stored, so a restart locks the eID.
    unlock: Mutex<Option<face::FaceCheck>>,
    /// The platform's integrity service, if the app has one (`set_platform_integrity`).
    integrity: Mutex<Option<Arc<dyn crate::platform::PlatformIntegrity>>>,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet").finish_non_exhaustive()
    }
}

impl Wallet {
    /// Open (or create, per `options`) the wallet file at `path`, unlocking it with
    /// `key_store`. Runs migrations; checks integrity; fails with a typed error for a
    /// wrong key store, a damaged file or a file that is not a wallet.
    pub fn open(
        path: impl AsRef<Path>,
        key_store: Arc<dyn KeyStore>,
        options: OpenOptions,
    ) -> Result<Self, StoreError> {
        Self::open_with_clock(path, key_store, options, Arc::new(crate::platform::SystemClock))
    }

    /// [`Wallet::open`] with `clock` for every timestamp, expiry and window the wallet
    /// checks that its caller does not pass as `now` (the system clock by default).
    pub fn open_with_clock(
        path: impl AsRef<Path>,
        key_store: Arc<dyn KeyStore>,
        options: OpenOptions,
        clock: Arc<dyn crate::platform::Clock>,
    ) -> Result<Self, StoreError> {
        let _span = tracing::info_span!(target: "idwallet::wallet", "open").entered();
        crate::fault::arm_from_env();
        Ok(Self {
            store: Store::open_with_clock(path.as_ref(), key_store.clone(), options.create_if_missing, clock)?,
            key_store,
            client_options: ClientOptions::default(),
            client: Mutex::new(None),
            lockout: crate::face::gate::LockoutPolicy::default(),
            disclosure: Mutex::new(crate::face::gate::DisclosurePolicy::default()),
            unlock: Mutex::new(None),
            integrity: Mutex::new(None),
        })
    }

    /// Ask `integrity` (Play Integrity, Key Attestation, App Attest) for a verdict bound to
    /// each report's liveness attestation, from now on; `None` stops. A verdict the platform
    /// cannot give fails the request (`WalletError::Integrity`): the service decides what a
    /// report needs, the wallet does not quietly leave the verdict out.
    pub fn set_platform_integrity(&self, integrity: Option<Arc<dyn crate::platform::PlatformIntegrity>>) {
        *self.integrity.lock().unwrap_or_else(|p| p.into_inner()) = integrity;
    }

    /// Use `policy` for how fresh a face unlock each disclosure needs (not stored: the app
    /// sets it at each start). A window outside 1 s…1 h is refused: no policy switches the
    /// face gate off.
    pub fn set_disclosure_policy(&self, policy: crate::face::gate::DisclosurePolicy) -> Result<(), WalletError> {
        if !policy.is_valid() {
            return Err(WalletError::InvalidPolicy);
        }
        *self.disclosure.lock().unwrap_or_else(|p| p.into_inner()) = policy;
        Ok(())
    }

    /// The time by the wallet's clock (Unix seconds).
    pub fn now(&self) -> i64 {
        self.store.now()
    }

    pub fn disclosure_policy(&self) -> crate::face::gate::DisclosurePolicy {
        self.disclosure.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Use these timeouts and retries for calls to the service.
    pub fn with_client_options(mut self, options: ClientOptions) -> Self {
        self.client_options = options;
        *self.client.get_mut().unwrap_or_else(|p| p.into_inner()) = None;
        self
    }

    pub fn path(&self) -> PathBuf {
        self.store.path().to_path_buf()
    }

    /// Close the wallet, folding its write-ahead log into the file.
    pub fn close(self) -> Result<(), StoreError> {
        self.store.close()
    }

    pub fn info(&self) -> Result<WalletInfo, StoreError> {
        let (records, activity_entries) = self.store.counts()?;
        let file_bytes = ["", "-wal"]
            .iter()
            .filter_map(|suffix| {
                let mut p = self.store.path().as_os_str().to_owned();
                p.push(suffix);
                std::fs::metadata(p).ok().map(|m| m.len())
            })
            .sum();
        Ok(WalletInfo {
            schema_version: SCHEMA_VERSION,
            created_at: self.store.created_at()?,
            records,
            activity_entries,
            file_bytes,
        })
    }

    /// The newest `limit` activity entries, newest first.
    pub fn activity(&self, limit: u32) -> Result<Vec<ActivityEntry>, StoreError> {
        self.store.activity(limit)
    }

    /// Store `value` under `key`, replacing any earlier value.
    pub fn put_item(&self, key: &str, value: &[u8]) -> Result<Item, StoreError> {
        let item = Item { key: key.to_owned(), value: value.to_vec(), updated_at: self.store.now() };
        self.store
            .put(&item, Some(ActivityEntry::new(self.store.now(), ActivityKind::RecordStored).detail(Item::KIND)))?;
        tracing::debug!(target: "idwallet::wallet", bytes = value.len(), "item stored");
        Ok(item)
    }

    /// The item under `key`, or `NotFound`.
    pub fn item(&self, key: &str) -> Result<Item, StoreError> {
        self.store.get(key)
    }

    /// All items, sorted by key.
    pub fn items(&self) -> Result<Vec<Item>, StoreError> {
        let mut items: Vec<Item> = self.store.list()?;
        items.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(items)
    }

    /// All items, sorted by key, each read on its own: a damaged record is an `Err` (listed
    /// after the readable ones) and does not hide the others.
    pub fn items_each(&self) -> Result<Vec<Result<Item, StoreError>>, StoreError> {
        let (mut good, bad): (Vec<_>, Vec<_>) = self.store.list_each::<Item>()?.into_iter().partition(Result::is_ok);
        good.sort_by(|a, b| match (a, b) {
            (Ok(a), Ok(b)) => a.key.cmp(&b.key),
            _ => std::cmp::Ordering::Equal,
        });
        good.extend(bad);
        Ok(good)
    }

    /// Delete the item under `key`; false if there was none.
    pub fn delete_item(&self, key: &str) -> Result<bool, StoreError> {
        self.store.delete::<Item>(
            key,
            Some(ActivityEntry::new(self.store.now(), ActivityKind::RecordDeleted).detail(Item::KIND)),
        )
    }

    /// The device key this wallet's credentials are bound to (SEC1 P-256).
    pub fn device_public_key(&self) -> Result<Vec<u8>, StoreError> {
        Ok(self.key_store.device_public_key()?)
    }

    /// Keep a document and its issuer credential (replacing the one of the same kind).
    pub fn store_document(&self, claims: Claims, credential: IssuerCredential) -> Result<HeldDocument, WalletError> {
        claims.validate().map_err(CredentialError::from)?;
        let doc = HeldDocument { kind: claims.kind(), claims, credential, stored_at: self.store.now(), mdoc: None };
        let entry = ActivityEntry::new(self.store.now(), ActivityKind::DocumentStored).detail(doc.kind.code());
        self.store.put(&doc, Some(entry))?;
        Ok(doc)
    }

    /// All held documents, in the order of [`DocumentKind::ALL`].
    pub fn documents(&self) -> Result<Vec<HeldDocument>, StoreError> {
        fail::fail_point!("wallet::documents");
        let mut docs: Vec<HeldDocument> = self.store.list()?;
        docs.sort_by_key(|d| d.kind);
        Ok(docs)
    }

    pub fn document(&self, kind: DocumentKind) -> Result<HeldDocument, StoreError> {
        self.store.get(kind.code())
    }

    /// Make a QR presentation of the `kind` document for `profile`'s audience, at `now`.
    /// Needs a face unlock within the disclosure policy's window for that audience
    /// ([`WalletError::FaceCheckRequired`], [`WalletError::LockedOut`]); every attempt,
    /// refused or not, is logged.
    pub fn present(&self, kind: DocumentKind, profile: &Profile, now: i64) -> Result<Presentation, WalletError> {
        let _span = tracing::info_span!(target: "idwallet::wallet", "present", audience = %profile.audience).entered();
        let result = self.require_unlock(&profile.audience, now).and_then(|_| {
            let doc = self.document(kind)?;
            fail::fail_point!("wallet::present");
            Ok(credential::present(&doc.credential, kind, profile, self.key_store.as_ref(), now)?)
        });
        self.log_presented(&profile.audience, kind, &result)?;
        result
    }

    /// Log a disclosure attempt (a QR code, an mDL answer, an export), refused or not.
    fn log_presented<T>(
        &self,
        to: &str,
        kind: DocumentKind,
        result: &Result<T, WalletError>,
    ) -> Result<(), StoreError> {
        let outcome = match result {
            Ok(_) => Outcome::Success,
            Err(e) => Outcome::Failure { reason: e.to_string() },
        };
        let entry = ActivityEntry::new(self.store.now(), ActivityKind::Presented)
            .counterparty(to)
            .detail(kind.code())
            .outcome(outcome);
        self.store.write(|w| w.log(&entry))
    }

    /// Verify a presentation as staff with `verifier`, and log the result here.
    pub fn verify(&self, verifier: &Verifier, text: &str, now: i64) -> Result<VerifiedPresentation, WalletError> {
        let result = verifier.verify_text(text, now);
        self.record_verification(&verifier.profile.audience, &result)?;
        Ok(result?)
    }

    /// Log a verification made here as staff (by text, image or camera frame).
    pub fn record_verification(
        &self,
        audience: &str,
        result: &Result<VerifiedPresentation, CredentialError>,
    ) -> Result<(), StoreError> {
        let (outcome, detail) = match result {
            Ok(v) => (Outcome::Success, Some(v.kind.code())),
            Err(e) => (Outcome::Failure { reason: e.to_string() }, None),
        };
        let mut entry =
            ActivityEntry::new(self.store.now(), ActivityKind::Verified).counterparty(audience).outcome(outcome);
        entry.detail = detail.map(str::to_owned);
        self.store.write(|w| w.log(&entry))
    }

    /// The underlying store, for the rooms that keep their own records.
    pub fn store(&self) -> &Store {
        &self.store
    }
}
