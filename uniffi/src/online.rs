//! The wallet's online side across the FFI: registration, document refresh, trust sync and
//! scores, as async functions (Kotlin `suspend`, Swift `async`) run on the idwallet runtime.
//! Cancelling the caller's coroutine or task cancels the request.

use std::sync::Arc;

use idwallet_core::score::{Benefit, Factor, Freshness, ScorePoint, ScoreView as CoreScoreView};
use idwallet_core::wallet::Service;
use idwallet_core::{self as core, HeldDocument};

use idwallet_core::documents::DocumentKind;

use crate::credential::Verifier;
use crate::errors::{CredentialError, WalletError};
use crate::runtime::run_async;
use crate::wallet::Wallet;

/// The service a wallet is registered with.
#[uniffi::remote(Record)]
pub struct Service {
    pub base_url: String,
    /// The service's response-signing key (SEC1 P-256), pinned at registration.
    pub server_key: Vec<u8>,
    /// The key id this device signs requests under.
    pub device_id: String,
    pub registered_at: i64,
}

/// A held document, without its contents.
#[derive(uniffi::Record)]
pub struct DocumentSummary {
    pub kind: DocumentKind,
    pub issued_at: i64,
    /// The credential's expiry: refresh before it.
    pub expires_at: i64,
    pub stored_at: i64,
}

impl From<&HeldDocument> for DocumentSummary {
    fn from(d: &HeldDocument) -> Self {
        Self {
            kind: d.kind,
            issued_at: d.credential.issued_at,
            expires_at: d.credential.expires_at,
            stored_at: d.stored_at,
        }
    }
}

/// A score factor and its contribution in points (above or below the provider's midpoint).
#[uniffi::remote(Record)]
pub struct Factor {
    pub id: String,
    pub contribution: i32,
}

/// One point of a score's history: the score `value` at time `at` (Unix seconds).
#[uniffi::remote(Record)]
pub struct ScorePoint {
    pub at: i64,
    pub value: i32,
}

/// Something a score unlocks at `min_score`.
#[derive(uniffi::Record)]
pub struct BenefitInfo {
    pub id: String,
    pub title: String,
    pub min_score: i32,
}

impl From<Benefit> for BenefitInfo {
    fn from(b: Benefit) -> Self {
        Self { id: b.id.into(), title: b.title.into(), min_score: b.min_score }
    }
}

/// A provider's score as the app shows it.
#[derive(uniffi::Record)]
pub struct ScoreReport {
    pub provider: String,
    pub value: i32,
    pub min: i32,
    pub max: i32,
    pub factors: Vec<Factor>,
    pub computed_at: i64,
    pub expires_at: i64,
    /// Earlier scores, oldest first.
    pub history: Vec<ScorePoint>,
    pub benefits: Vec<BenefitInfo>,
    /// The next benefit up, and the points it still needs.
    pub next_benefit: Option<BenefitInfo>,
    pub points_to_next: Option<i32>,
    /// When the phone verified this answer.
    pub fetched_at: i64,
    /// True when the service was unreachable and this is the cached answer.
    pub from_cache: bool,
    /// Seconds past `expires_at`, if the score is stale (show it, but say so).
    pub stale_for_secs: Option<i64>,
}

impl From<CoreScoreView> for ScoreReport {
    fn from(v: CoreScoreView) -> Self {
        let s = v.snapshot.score;
        let (min, max) = core::score::provider(&s.provider).map(|p| (p.min, p.max)).unwrap_or_default();
        let (next_benefit, points_to_next) = match v.next_benefit {
            Some((b, gap)) => (Some(b.into()), Some(gap)),
            None => (None, None),
        };
        Self {
            provider: s.provider,
            value: s.value,
            min,
            max,
            factors: s.factors,
            computed_at: s.computed_at,
            expires_at: s.expires_at,
            history: v.snapshot.history,
            benefits: v.benefits.into_iter().map(Into::into).collect(),
            next_benefit,
            points_to_next,
            fetched_at: v.snapshot.fetched_at,
            from_cache: v.from_cache,
            stale_for_secs: match v.freshness {
                Freshness::Current => None,
                Freshness::Stale { age_secs } => Some(age_secs),
            },
        }
    }
}

#[uniffi::export]
impl Wallet {
    /// Register this device with the service at `server_url`, pinning its response key
    /// `server_key` (SEC1 P-256, from the app's configuration), with the citizen's
    /// one-time `activation_code`.
    pub async fn register(
        &self,
        server_url: String,
        server_key: Vec<u8>,
        activation_code: String,
    ) -> Result<Service, WalletError> {
        let wallet = self.shared()?;
        Ok(run_async(async move { wallet.register(&server_url, &server_key, &activation_code).await }).await?)
    }

    /// The service this wallet is registered with, if any.
    pub async fn service(&self) -> Result<Option<Service>, WalletError> {
        self.with_blocking(|w| w.service()).await
    }

    /// Refresh the trust list and status lists, then download fresh credentials for every
    /// document; each is verified before any is stored.
    pub async fn refresh_documents(&self) -> Result<Vec<DocumentSummary>, WalletError> {
        let wallet = self.shared()?;
        let docs = run_async(async move { wallet.refresh_documents().await }).await?;
        Ok(docs.iter().map(Into::into).collect())
    }

    /// Held documents, without their contents.
    pub async fn documents(&self) -> Result<Vec<DocumentSummary>, WalletError> {
        self.with_blocking(|w| w.documents().map(|d| d.iter().map(Into::into).collect::<Vec<_>>())).await
    }

    /// Refresh the trust list and status lists a staff verifier uses offline.
    pub async fn sync_trust(&self) -> Result<(), WalletError> {
        let wallet = self.shared()?;
        run_async(async move { wallet.sync_trust().await.map(|_| ()) }).await.map_err(Into::into)
    }

    /// `provider`'s current score ("sesame", "paypoint"); offline, the last verified one
    /// with `from_cache` set.
    pub async fn fetch_score(&self, provider: String) -> Result<ScoreReport, WalletError> {
        let wallet = self.shared()?;
        Ok(run_async(async move { wallet.fetch_score(&provider).await }).await?.into())
    }

    /// The last verified score from `provider`, without going online.
    pub async fn cached_score(&self, provider: String) -> Result<Option<ScoreReport>, WalletError> {
        self.with_blocking(move |w| w.cached_score(&provider).map(|v| v.map(Into::into))).await
    }

    /// What `provider`'s score unlocks (from a current cached score, or fetched).
    pub async fn benefits(&self, provider: String) -> Result<Vec<BenefitInfo>, WalletError> {
        let wallet = self.shared()?;
        let benefits = run_async(async move { wallet.benefits(&provider).await }).await?;
        Ok(benefits.into_iter().map(Into::into).collect())
    }
}

#[uniffi::export]
impl Verifier {
    /// A staff verifier for `audience` from the trust list and status lists `wallet`
    /// synced last (see `syncTrust`); it logs each verification in that wallet.
    #[uniffi::constructor]
    pub async fn from_wallet(wallet: Arc<Wallet>, audience: String) -> Result<Arc<Self>, CredentialError> {
        let profile = core::credential::Profile::named(&audience)
            .ok_or_else(|| CredentialError::InvalidInput(format!("unknown audience '{audience}'")))?;
        let inner = wallet
            .with_blocking(move |w| w.verifier(profile))
            .await
            .map_err(|e| CredentialError::InvalidInput(e.to_string()))?;
        Ok(Arc::new(Verifier::with(inner, Some(wallet))))
    }
}
