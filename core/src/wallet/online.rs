//! The wallet's online side (DESIGN §4): register the device with a service, refresh the
//! documents it issues, keep its trust list and status lists, fetch scores. Everything
//! received is verified before it is stored, and stored sealed, so the wallet keeps working
//! offline from what it verified last and says how old that is.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::mdl::check_mdoc;
use super::{HeldDocument, Wallet, WalletError};
use crate::credential::{self, IssuerCredential, Profile, TrustList, Verifier};
use crate::net::client::{Client, ClientError};
use crate::score::{self, ScoreSnapshot, ScoreView};
use crate::store::{ActivityEntry, ActivityKind, Outcome, Record};
use crate::wire::{self, path, B64};

/// The service this wallet is registered with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub base_url: String,
    /// The service's response-signing key (SEC1 P-256), pinned at registration.
    #[serde(with = "serde_bytes")]
    pub server_key: Vec<u8>,
    pub device_id: String,
    pub registered_at: i64,
}

impl Record for Service {
    const KIND: &'static str = "service";
    fn id(&self) -> &str {
        "current"
    }
}

/// The last verified trust list and status lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustSnapshot {
    #[serde(with = "serde_bytes")]
    pub trust_list: Vec<u8>,
    pub status_tokens: Vec<serde_bytes::ByteBuf>,
    pub fetched_at: i64,
    pub max_age_secs: i64,
}

impl Record for TrustSnapshot {
    const KIND: &'static str = "trust";
    fn id(&self) -> &str {
        "current"
    }
}

impl TrustSnapshot {
    /// Past its max age: still used offline, but the app should say so.
    pub fn is_stale(&self, now: i64) -> bool {
        now > self.fetched_at + self.max_age_secs
    }
}

pub(super) fn host_of(url: &str) -> String {
    url::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default()
}

impl Wallet {
    /// Register this device's key with the service at `base_url`, whose response key
    /// `server_key` (SEC1 P-256) the app pins, using the citizen's one-time activation code.
    pub async fn register(
        &self,
        base_url: &str,
        server_key: &[u8],
        activation_code: &str,
    ) -> Result<Service, WalletError> {
        if server_key.len() != 65 || server_key[0] != 4 {
            return Err(WalletError::BadServerKey);
        }
        let client = Client::new(base_url, server_key.to_vec(), self.key_store.clone(), self.client_options)?
            .with_clock(self.store.clock());
        let request = wire::RegisterRequest {
            public_key: B64(self.key_store.device_public_key()?),
            activation_code: activation_code.to_owned(),
        };
        let result = client.post::<_, wire::RegisterResponse>(path::DEVICES, &request).await;
        let entry = ActivityEntry::new(self.store.now(), ActivityKind::Registered).counterparty(host_of(base_url));
        let response = match result {
            Ok(r) if r.device_id == client.device_id() => r,
            Ok(_) => return Err(ClientError::Malformed { what: "device id" }.into()),
            Err(e) => {
                self.store.write(|w| w.log(&entry.outcome(Outcome::Failure { reason: e.to_string() })))?;
                return Err(e.into());
            }
        };
        let service = Service {
            base_url: client.base_url().to_owned(),
            server_key: server_key.to_vec(),
            device_id: response.device_id,
            registered_at: response.registered_at,
        };
        let previous = self.service()?;
        self.store.put(&service, Some(entry))?;
        // A new activation code is how a holder who can no longer unlock recovers (as on a
        // new phone): the old face goes, and the next enrolment must match the issuer's
        // reference portrait again. The lockout state stays. A retried registration (the
        // same activation, answered again) changes nothing.
        if previous.is_some_and(|p| p.registered_at != service.registered_at) {
            self.lock();
            self.forget_face(Some("re-registered with a new activation code"))?;
        }
        *self.client.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(client));
        tracing::info!(target: "idwallet::wallet", "device registered");
        Ok(service)
    }

    /// The service this wallet is registered with, if any.
    pub fn service(&self) -> Result<Option<Service>, WalletError> {
        Ok(self.store.find::<Service>("current")?)
    }

    pub(super) fn client(&self) -> Result<Arc<Client>, WalletError> {
        let mut cached = self.client.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(client) = cached.as_ref() {
            return Ok(client.clone());
        }
        let service = self.service()?.ok_or(WalletError::NotRegistered)?;
        let client = Arc::new(
            Client::new(&service.base_url, service.server_key, self.key_store.clone(), self.client_options)?
                .with_clock(self.store.clock()),
        );
        *cached = Some(client.clone());
        Ok(client)
    }

    fn log_fetch(&self, client: &Client, what: &str) -> Result<(), WalletError> {
        let entry = ActivityEntry::new(self.store.now(), ActivityKind::Fetched)
            .counterparty(host_of(client.base_url()))
            .detail(what);
        Ok(self.store.write(|w| w.log(&entry))?)
    }

    /// Fetch the trust list and every status list, verify them, and keep them.
    pub async fn sync_trust(&self) -> Result<TrustSnapshot, WalletError> {
        let client = self.client()?;
        let trust: wire::TrustListResponse = client.get(path::TRUST_LIST).await?;
        let status: wire::StatusListsResponse = client.get(path::STATUS_LISTS).await?;
        let now = self.store.now();
        let list = TrustList::from_cbor(&trust.trust_list.0)?;
        for token in &status.tokens {
            credential::status::verify_token(&token.0, &list, now)?;
        }
        let snapshot = TrustSnapshot {
            trust_list: trust.trust_list.0,
            status_tokens: status.tokens.into_iter().map(|t| serde_bytes::ByteBuf::from(t.0)).collect(),
            fetched_at: now,
            max_age_secs: trust.max_age_secs.max(0),
        };
        self.store.put(&snapshot, None)?;
        self.log_fetch(&client, "trust list and status lists")?;
        Ok(snapshot)
    }

    /// The last verified trust list and status lists, if any were fetched.
    pub fn trust(&self) -> Result<Option<TrustSnapshot>, WalletError> {
        Ok(self.store.find::<TrustSnapshot>("current")?)
    }

    /// The cached trust list, parsed (offline).
    pub(super) fn cached_trust_list(&self) -> Result<TrustList, WalletError> {
        let snapshot = self.trust()?.ok_or(WalletError::NotRegistered)?;
        Ok(TrustList::from_cbor(&snapshot.trust_list)?)
    }

    /// An offline verifier for `profile` from the cached trust list and status lists —
    /// the staff side of the same app.
    pub fn verifier(&self, profile: Profile) -> Result<Verifier, WalletError> {
        let snapshot = self.trust()?.ok_or(WalletError::NotRegistered)?;
        let mut verifier = Verifier::new(profile, TrustList::from_cbor(&snapshot.trust_list)?);
        for token in &snapshot.status_tokens {
            verifier.status.insert(token, &verifier.trust.clone(), snapshot.fetched_at)?;
        }
        Ok(verifier)
    }

    /// Refresh the trust list, then download fresh credentials for every document. Each is
    /// checked (trusted issuer, bound to this device, matching its claims) before any is
    /// stored; they are stored together or not at all.
    pub async fn refresh_documents(&self) -> Result<Vec<HeldDocument>, WalletError> {
        let snapshot = self.sync_trust().await?;
        let client = self.client()?;
        let response: wire::DocumentsResponse = client.get(path::DOCUMENTS).await?;
        let trust = TrustList::from_cbor(&snapshot.trust_list)?;
        let device_key = self.key_store.device_public_key()?;
        let now = self.store.now();
        let mut docs = Vec::with_capacity(response.documents.len());
        for issued in response.documents {
            let credential: IssuerCredential = ciborium::from_reader(issued.credential.0.as_slice())
                .map_err(|_| ClientError::Malformed { what: "credential" })?;
            credential::check_issued(&credential, &issued.claims, &trust, &device_key, now)?;
            let mdoc =
                issued.mdoc.map(|B64(m)| check_mdoc(m, &issued.claims, &trust.iaca, &device_key, now)).transpose()?;
            docs.push(HeldDocument {
                kind: issued.claims.kind(),
                claims: issued.claims,
                credential,
                stored_at: now,
                mdoc,
            });
        }
        // The reference portrait is kept only if a verified credential signs its digest.
        let reference = match (response.reference_portrait, super::face::signed_reference_digest(&docs)) {
            (Some(B64(jpeg)), Some(digest)) => Some(super::face::ReferencePortrait::checked(jpeg, &digest)?),
            (Some(_), None) => return Err(WalletError::ReferencePortraitMismatch),
            (None, _) => None,
        };
        self.store.write(|w| {
            if let Some(reference) = &reference {
                w.put(reference)?;
            }
            for doc in &docs {
                w.put(doc)?;
                w.log(
                    &ActivityEntry::new(self.store.now(), ActivityKind::DocumentStored)
                        .counterparty(host_of(client.base_url()))
                        .detail(doc.kind.code()),
                )?;
            }
            Ok(())
        })?;
        tracing::info!(target: "idwallet::wallet", documents = docs.len(), "documents refreshed");
        Ok(self.documents()?)
    }

    /// Fetch `provider`'s current score. If the service cannot be reached, the last verified
    /// score is returned instead, marked `from_cache` and with its staleness.
    pub async fn fetch_score(&self, provider: &str) -> Result<ScoreView, WalletError> {
        score::provider(provider)?;
        let client = self.client()?;
        let result = client.get::<wire::ScoreResponse>(&format!("{}/{provider}", path::SCORES)).await;
        let now = self.store.now();
        match result {
            Ok(response) => {
                if response.score.provider != provider {
                    return Err(ClientError::Malformed { what: "score for another provider" }.into());
                }
                response.score.validate()?;
                let snapshot = ScoreSnapshot { score: response.score, history: response.history, fetched_at: now };
                let entry = ActivityEntry::new(self.store.now(), ActivityKind::Fetched)
                    .counterparty(host_of(client.base_url()))
                    .detail(format!("score {provider}"));
                self.store.put(&snapshot, Some(entry))?;
                Ok(ScoreView::new(snapshot, now, false)?)
            }
            Err(e) if e.is_transient() => match self.store.find::<ScoreSnapshot>(provider)? {
                Some(cached) => {
                    tracing::info!(target: "idwallet::wallet", error = %e, "serving the cached score");
                    Ok(ScoreView::new(cached, now, true)?)
                }
                None => Err(e.into()),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// What `provider`'s score unlocks: from the cached score while it is current,
    /// otherwise fetched (falling back to the cache offline).
    pub async fn benefits(&self, provider: &str) -> Result<Vec<score::Benefit>, WalletError> {
        match self.cached_score(provider)? {
            Some(view) if view.freshness == score::Freshness::Current => Ok(view.benefits),
            _ => Ok(self.fetch_score(provider).await?.benefits),
        }
    }

    /// The last verified score from `provider`, without going online.
    pub fn cached_score(&self, provider: &str) -> Result<Option<ScoreView>, WalletError> {
        score::provider(provider)?;
        let cached = self.store.find::<ScoreSnapshot>(provider)?;
        Ok(cached.map(|s| ScoreView::new(s, self.store.now(), true)).transpose()?)
    }
}
