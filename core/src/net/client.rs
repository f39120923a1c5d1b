//! The signed API client (DESIGN §4): every request signed with the device key through the
//! [`KeyStore`], every response checked against the pinned server key and bound to its
//! request before a byte of it is trusted. Timeouts, bounded retries with backoff for
//! idempotent calls; dropping the future cancels the call.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Serialize;
use url::Url;

use super::httpsig::Message;
use super::policy::{self, PolicyError};
use super::NetError;
use crate::platform::KeyStore;
use crate::wire::{self, ErrorBody};

/// Why a call to the service failed. Messages carry no request or response content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    #[error("the service cannot be reached (offline?)")]
    Offline,
    #[error("the service did not answer in time")]
    Timeout,
    #[error("the connection broke before the response was complete")]
    Interrupted,
    #[error("the service refused the request ({status} {code}): {message}")]
    Rejected { status: u16, code: wire::ErrorCode, message: String },
    #[error("the service failed ({status})")]
    Server { status: u16 },
    #[error("the response is not signed by the service we trust: {0}")]
    BadResponse(PolicyError),
    #[error("the response is malformed: {what}")]
    Malformed { what: &'static str },
    #[error("invalid service URL")]
    BadUrl,
    #[error("could not sign the request: {0}")]
    Sign(NetError),
}

impl ClientError {
    /// Failures worth retrying for an idempotent call, and after which a cached answer may
    /// be shown (flagged stale).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Offline | Self::Timeout | Self::Interrupted | Self::Server { .. })
    }
}

/// Timeouts and retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientOptions {
    pub connect_timeout: Duration,
    /// For the whole exchange, body included.
    pub request_timeout: Duration,
    /// Extra attempts for idempotent calls after a transient failure.
    pub retries: u32,
    /// Wait before the first retry; doubles each time.
    pub backoff: Duration,
    /// Larger responses are refused rather than buffered.
    pub max_response_bytes: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(15),
            retries: 2,
            backoff: Duration::from_millis(250),
            max_response_bytes: 4 << 20,
        }
    }
}

/// A client for one service, signing as this device.
pub struct Client {
    http: reqwest::Client,
    base: Url,
    server_key: Vec<u8>,
    key_store: Arc<dyn KeyStore>,
    keyid: String,
    options: ClientOptions,
    /// Signatures' `created`, and the instant responses' `expires` are checked at.
    clock: Arc<dyn crate::platform::Clock>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("base", &self.base.as_str()).finish_non_exhaustive()
    }
}

/// A request as it was signed: what the response must be bound to.
struct Signed {
    url: Url,
    method: reqwest::Method,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Client {
    /// `server_key` is the service's pinned response-signing key (SEC1 P-256).
    pub fn new(
        base_url: &str,
        server_key: Vec<u8>,
        key_store: Arc<dyn KeyStore>,
        options: ClientOptions,
    ) -> Result<Self, ClientError> {
        let base = Url::parse(base_url).map_err(|_| ClientError::BadUrl)?;
        if !matches!(base.scheme(), "http" | "https") || base.host().is_none() {
            return Err(ClientError::BadUrl);
        }
        let keyid = wire::device_id(&key_store.device_public_key().map_err(|e| ClientError::Sign(e.into()))?);
        let http = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| ClientError::BadUrl)?;
        Ok(Self { http, base, server_key, key_store, keyid, options, clock: Arc::new(crate::platform::SystemClock) })
    }

    /// Sign and check by `clock` instead of the system's.
    pub fn with_clock(mut self, clock: Arc<dyn crate::platform::Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// The key id requests are signed under (derived from the device key).
    pub fn device_id(&self) -> &str {
        &self.keyid
    }

    /// `GET path`, retried on transient failures, with a verified JSON answer.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let mut wait = self.options.backoff;
        let mut attempt = 0;
        loop {
            match self.exchange(reqwest::Method::GET, path, None).await {
                Err(e) if e.is_transient() && attempt < self.options.retries => {
                    tracing::debug!(target: "idwallet::net", attempt, error = %e, "retrying");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                    attempt += 1;
                }
                other => return other.and_then(|body| parse(&body)),
            }
        }
    }

    /// `POST path` with a JSON body; not retried (not idempotent).
    pub async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, ClientError> {
        let bytes = serde_json::to_vec(body).map_err(|_| ClientError::Malformed { what: "request body" })?;
        parse(&self.exchange(reqwest::Method::POST, path, Some(bytes)).await?)
    }

    /// The signed request; the key store signs on the blocking pool (it may be a foreign one).
    async fn sign(&self, method: reqwest::Method, path: &str, body: Option<Vec<u8>>) -> Result<Signed, ClientError> {
        let url = self.base.join(path.trim_start_matches('/')).map_err(|_| ClientError::BadUrl)?;
        let nonce = URL_SAFE_NO_PAD.encode(crate::crypto::random_array::<16>());
        let (key_store, keyid) = (self.key_store.clone(), self.keyid.clone());
        let (m, u, b) = (method.clone(), url.clone(), body.clone());
        let created = self.clock.now();
        let headers = crate::platform::off_runtime(move || {
            let sign = |base: &[u8]| Ok(key_store.sign(base)?);
            policy::sign_request(m.as_str(), u.as_str(), b.as_deref(), &keyid, &nonce, created, sign)
        })
        .await
        .ok_or(ClientError::Interrupted)?
        .map_err(ClientError::Sign)?;
        Ok(Signed { url, method, headers, body: body.unwrap_or_default() })
    }

    /// One signed exchange: the verified body of a 2xx answer, or a typed failure.
    async fn exchange(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, ClientError> {
        let req = self.sign(method, path, body).await?;
        let mut builder = self.http.request(req.method.clone(), req.url.clone());
        for (name, value) in &req.headers {
            builder = builder.header(name, value);
        }
        let mut response = builder.body(req.body.clone()).send().await.map_err(transport)?;
        let status = response.status().as_u16();
        tracing::debug!(target: "idwallet::net", path, status, "response");
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_owned(), v.to_owned())))
            .collect();
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if bytes.len() + chunk.len() > self.options.max_response_bytes {
                return Err(ClientError::Malformed { what: "response too large" });
            }
            bytes.extend_from_slice(&chunk);
        }

        // Nothing from the response is believed — not even its status — before this check.
        let request = Message {
            method: Some(req.method.as_str()),
            target_uri: Some(req.url.as_str()),
            status: None,
            headers: &req.headers,
        };
        let response = Message { method: None, target_uri: None, status: Some(status), headers: &headers };
        policy::check_response(&response, &bytes, &request, &self.server_key, self.clock.now())
            .map_err(ClientError::BadResponse)?;
        match status {
            200..=299 => Ok(bytes),
            400..=499 => {
                let err: ErrorBody = parse(&bytes)?;
                Err(ClientError::Rejected { status, code: err.code, message: err.message })
            }
            _ => Err(ClientError::Server { status }),
        }
    }
}

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ClientError> {
    serde_json::from_slice(bytes).map_err(|_| ClientError::Malformed { what: "JSON body" })
}

fn transport(e: reqwest::Error) -> ClientError {
    if e.is_timeout() {
        ClientError::Timeout
    } else if e.is_connect() {
        ClientError::Offline
    } else if e.is_body() || e.is_decode() || e.is_request() {
        ClientError::Interrupted
    } else {
        ClientError::Offline
    }
}
