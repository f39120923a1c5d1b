//! HTTP: routes, request authentication (idwallet's RFC 9421 profile) and response signing.
//! Every request is authenticated before it can touch the database; every response — errors
//! included — is signed and bound to the request's signature.

use std::cell::RefCell;
use std::sync::Arc;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Path, Request, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use idwallet_core::net::httpsig::Message;
use idwallet_core::net::policy::{self, PolicyError};
use idwallet_core::wire::{self, path, ErrorBody, ErrorCode, B64};
use idwallet_core::KeyStore;
use serde::Serialize;

use crate::state::{ChallengeUse, DeviceRecord, State};
use crate::ServerError;

/// Largest request body accepted.
const MAX_BODY: usize = 64 * 1024;

/// Server settings that matter per request.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Accepted difference between a request's `created` and our clock.
    pub window_secs: i64,
    /// The base URL clients use (scheme://host:port); without it, `http://` + the Host header.
    pub public_base: Option<String>,
}

#[derive(Clone)]
struct App {
    state: Arc<State>,
    config: Arc<HttpConfig>,
}

pub fn router(state: Arc<State>, config: HttpConfig) -> Router {
    let app = App { state, config: Arc::new(config) };
    Router::new()
        .route(path::DEVICES, post(register))
        .route(path::DOCUMENTS, get(documents))
        .route(path::TRUST_LIST, get(trust_list))
        .route(path::STATUS_LISTS, get(status_lists))
        .route(&format!("{}/{{provider}}", path::SCORES), get(score))
        .route(path::REPORT_CHALLENGES, post(report_challenge))
        .route(path::REPORTS, post(request_report))
        .route(&format!("{}/{{id}}", path::REPORTS), get(fetch_report))
        .fallback(not_found)
        // Router refusals are signed like every other answer.
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(app)
}

/// A request as the signature sees it.
struct Incoming {
    method: String,
    target_uri: String,
    headers: Vec<(String, String)>,
    body: Bytes,
}

impl Incoming {
    /// The request, or — when its body cannot be read — the refusal with what was read
    /// (method, target, headers), so the refusal is still bound to the request.
    async fn read(app: &App, req: Request) -> Result<Self, (Self, Refusal)> {
        let (parts, body) = req.into_parts();
        let body = to_bytes(body, MAX_BODY).await;
        let base = match &app.config.public_base {
            Some(base) => base.trim_end_matches('/').to_owned(),
            None => {
                let host = parts.headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("localhost");
                format!("http://{host}")
            }
        };
        let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let mut incoming = Self {
            method: parts.method.as_str().to_owned(),
            target_uri: format!("{base}{path}"),
            headers: header_pairs(&parts.headers),
            body: Bytes::new(),
        };
        match body {
            Ok(body) => {
                incoming.body = body;
                Ok(incoming)
            }
            Err(_) => {
                let refusal =
                    Refusal::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::TooLarge, "the request body is too large");
                Err((incoming, refusal))
            }
        }
    }

    fn message(&self) -> Message<'_> {
        Message { method: Some(&self.method), target_uri: Some(&self.target_uri), status: None, headers: &self.headers }
    }
}

fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers.iter().filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_owned(), v.to_owned()))).collect()
}

/// A typed refusal, sent as a signed [`ErrorBody`].
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    code: ErrorCode,
    message: String,
}

impl Refusal {
    fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }
}

impl From<PolicyError> for Refusal {
    fn from(e: PolicyError) -> Self {
        let code = match &e {
            PolicyError::UnknownKey => ErrorCode::UnknownKey,
            PolicyError::Replayed => ErrorCode::Replayed,
            PolicyError::ClockSkew { .. } => ErrorCode::ClockSkew,
            PolicyError::Expired { .. } => ErrorCode::SignatureExpired,
            PolicyError::BeforeRestart => ErrorCode::SignedBeforeRestart,
            PolicyError::NotCovered { .. } | PolicyError::BadParameter { .. } => ErrorCode::SignaturePolicy,
            PolicyError::Signature(_) => ErrorCode::BadSignature,
        };
        Self::new(StatusCode::UNAUTHORIZED, code, e.to_string())
    }
}

impl From<ServerError> for Refusal {
    fn from(e: ServerError) -> Self {
        match e {
            ServerError::NotFound => Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such resource"),
            other => {
                tracing::error!(target: "idwallet::server", error = %other, "request failed");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal, "the service failed")
            }
        }
    }
}

impl App {
    /// Authenticate a request signed by `key_for(keyid)`; returns the keyid.
    fn authenticate(&self, req: &Incoming, key_for: impl Fn(&str) -> Option<Vec<u8>>) -> Result<String, Refusal> {
        let now = idwallet_core::now_unix();
        let keyid =
            policy::check_request(&req.message(), &req.body, key_for, &self.state.nonces, now, self.config.window_secs)
                .inspect_err(|e| tracing::info!(target: "idwallet::server", reason = %e, "request refused"))?;
        Ok(keyid)
    }

    /// Authenticate a registered device's request: one store lookup serves both the
    /// signature check and the handler, and a store failure is a 500, not `unknown_key`.
    fn device(&self, req: &Incoming) -> Result<DeviceRecord, Refusal> {
        let found: RefCell<Option<Result<DeviceRecord, ServerError>>> = RefCell::new(None);
        let key_for = |keyid: &str| {
            let lookup = self.state.device(keyid).and_then(|d| d.ok_or(ServerError::NotFound));
            let key = lookup.as_ref().ok().map(|d| d.public_key.clone());
            *found.borrow_mut() = Some(lookup);
            key
        };
        let result = self.authenticate(req, key_for);
        match (result, found.into_inner()) {
            (Ok(keyid), Some(Ok(device))) if device.device_id == keyid => Ok(device),
            (_, Some(Err(e @ (ServerError::Store(_) | ServerError::Io(_))))) => Err(e.into()),
            (Err(refusal), _) => Err(refusal),
            _ => Err(PolicyError::UnknownKey.into()),
        }
    }

    /// Sign and send `body` with `status`, bound to `req`'s signature when it has one.
    fn respond(&self, req: &Incoming, status: StatusCode, body: Vec<u8>) -> Response {
        let sign = |base: &[u8]| Ok(self.state.keys.sign(base)?);
        let (headers, signed) =
            policy::sign_response(status.as_u16(), &body, &req.message(), "server", idwallet_core::now_unix(), sign);
        if let Err(e) = signed {
            tracing::info!(target: "idwallet::server", error = %e, "response left unsigned");
        }
        let mut out = Response::new(Body::from(body));
        *out.status_mut() = status;
        for (name, value) in headers {
            if let (Ok(name), Ok(value)) = (axum::http::HeaderName::try_from(name), HeaderValue::try_from(value)) {
                out.headers_mut().insert(name, value);
            }
        }
        out
    }

    fn reply<T: Serialize>(&self, req: &Incoming, result: Result<T, Refusal>) -> Response {
        match result.and_then(|v| serde_json::to_vec(&v).map_err(|_| ServerError::Encoding.into())) {
            Ok(body) => self.respond(req, StatusCode::OK, body),
            Err(refusal) => {
                let body = ErrorBody { code: refusal.code, message: refusal.message };
                self.respond(req, refusal.status, serde_json::to_vec(&body).unwrap_or_default())
            }
        }
    }

    /// Read the request, then run `handle` on the blocking pool (SQLite, signing).
    async fn serve<T: Serialize + Send + 'static>(
        self,
        req: Request,
        handle: impl FnOnce(&App, &Incoming) -> Result<T, Refusal> + Send + 'static,
    ) -> Response {
        let incoming = match Incoming::read(&self, req).await {
            Ok(i) => i,
            Err((read, refusal)) => return self.reply::<()>(&read, Err(refusal)),
        };
        tokio::task::spawn_blocking(move || {
            let result = handle(&self, &incoming);
            self.reply(&incoming, result)
        })
        .await
        .unwrap_or_else(|_| Response::builder().status(500).body(Body::empty()).unwrap_or_default())
    }
}

fn bad_request(message: &str) -> Refusal {
    Refusal::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
}

async fn register(AxumState(app): AxumState<App>, req: Request) -> Response {
    app.serve(req, |app, req| {
        let body: wire::RegisterRequest =
            serde_json::from_slice(&req.body).map_err(|_| bad_request("the body is not a registration request"))?;
        let key = &body.public_key.0;
        if key.len() != 65 || key[0] != 4 {
            return Err(bad_request("the public key must be an uncompressed P-256 point"));
        }
        let device_id = app.authenticate(req, |keyid| (wire::device_id(key) == keyid).then(|| key.to_vec()))?;
        let now = idwallet_core::now_unix();
        let device = app.state.register(&body.activation_code, &device_id, key, now)?.ok_or_else(|| {
            Refusal::new(
                StatusCode::FORBIDDEN,
                ErrorCode::InvalidActivationCode,
                "the activation code is unknown or used",
            )
        })?;
        if device.public_key != *key {
            return Err(Refusal::new(
                StatusCode::CONFLICT,
                ErrorCode::Conflict,
                "this device id is registered to another key",
            ));
        }
        tracing::info!(target: "idwallet::server", device = %device.device_id, "device registered");
        Ok(wire::RegisterResponse { device_id: device.device_id, registered_at: device.registered_at })
    })
    .await
}

async fn documents(AxumState(app): AxumState<App>, req: Request) -> Response {
    app.serve(req, |app, req| {
        let device = app.device(req)?;
        let issued = app.state.issue_documents(&device, idwallet_core::now_unix())?;
        let documents = issued
            .into_iter()
            .map(|issued| {
                let mut cbor = Vec::new();
                ciborium::into_writer(&issued.credential, &mut cbor).map_err(|_| ServerError::Encoding)?;
                Ok(wire::IssuedDocument { claims: issued.claims, credential: B64(cbor), mdoc: issued.mdoc.map(B64) })
            })
            .collect::<Result<Vec<_>, ServerError>>()?;
        tracing::info!(target: "idwallet::server", device = %device.device_id, count = documents.len(), "documents issued");
        let reference_portrait = app.state.citizen(device.citizen)?.reference_portrait.map(B64);
        Ok(wire::DocumentsResponse { documents, reference_portrait })
    })
    .await
}

async fn trust_list(AxumState(app): AxumState<App>, req: Request) -> Response {
    app.serve(req, |app, req| {
        app.device(req)?;
        Ok(wire::TrustListResponse { trust_list: B64(app.state.trust_list().to_cbor()), max_age_secs: 86_400 })
    })
    .await
}

async fn status_lists(AxumState(app): AxumState<App>, req: Request) -> Response {
    app.serve(req, |app, req| {
        app.device(req)?;
        Ok(wire::StatusListsResponse { tokens: vec![B64(app.state.status_token(idwallet_core::now_unix())?)] })
    })
    .await
}

async fn score(AxumState(app): AxumState<App>, Path(provider): Path<String>, req: Request) -> Response {
    app.serve(req, move |app, req| {
        let device = app.device(req)?;
        let provider = idwallet_core::score::provider(&provider)
            .map_err(|_| Refusal::new(StatusCode::NOT_FOUND, ErrorCode::UnknownProvider, "no such score provider"))?;
        let (score, history) = app.state.score(device.citizen, provider, idwallet_core::now_unix())?;
        Ok(wire::ScoreResponse { score, history })
    })
    .await
}

async fn report_challenge(AxumState(app): AxumState<App>, req: Request) -> Response {
    app.serve(req, |app, req| {
        let device = app.device(req)?;
        let (nonce, expires_at) = app.state.new_challenge(&device.device_id, idwallet_core::now_unix())?;
        Ok(wire::ChallengeResponse { nonce: B64(nonce), expires_at })
    })
    .await
}

/// A visa report needs, in this order: complete supplementary information; a liveness
/// attestation by this device over a challenge it was issued, used once; a score at or
/// above the provider's report threshold.
async fn request_report(AxumState(app): AxumState<App>, req: Request) -> Response {
    use idwallet_core::report::{LivenessAttestation, ReportError};
    app.serve(req, |app, req| {
        let device = app.device(req)?;
        let body: wire::ReportRequest =
            serde_json::from_slice(&req.body).map_err(|_| bad_request("the body is not a report request"))?;
        let unprocessable = |code, e: ReportError| Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, code, e.to_string());
        body.supplementary.validate().map_err(|e| match e {
            ReportError::MissingSupplementary { .. } => unprocessable(ErrorCode::MissingSupplementary, e),
            e => unprocessable(ErrorCode::BadSupplementary, e),
        })?;
        let provider = idwallet_core::score::provider(&body.provider)
            .map_err(|_| Refusal::new(StatusCode::NOT_FOUND, ErrorCode::UnknownProvider, "no such score provider"))?;
        let threshold = provider
            .report_threshold()
            .ok_or_else(|| Refusal::new(StatusCode::NOT_FOUND, ErrorCode::NoVisaReport, "this provider issues no visa reports"))?;

        let now = idwallet_core::now_unix();
        let refused = |code, message: &str| Refusal::new(StatusCode::FORBIDDEN, code, message);
        let attestation = &body.attestation.0;
        let nonce = LivenessAttestation::claimed_nonce(attestation)
            .ok_or_else(|| refused(ErrorCode::BadAttestation, "the liveness attestation is malformed"))?;
        let verified = LivenessAttestation::verify(attestation, &device.device_id, &device.public_key, &nonce, now)
            .map_err(|e| refused(ErrorCode::BadAttestation, &e.to_string()))?;
        let issued = app.state.citizen(device.citizen)?.reference_portrait;
        if issued.is_none_or(|p| idwallet_core::documents::reference::digest(&p) != verified.reference_portrait) {
            return Err(refused(ErrorCode::PortraitMismatch, "the face was not matched against the portrait issued to this device"));
        }
        match app.state.consume_challenge(&device.device_id, &nonce, now)? {
            ChallengeUse::Consumed => {}
            ChallengeUse::Replayed => return Err(refused(ErrorCode::AttestationReplayed, "this challenge was already used")),
            ChallengeUse::Expired => return Err(refused(ErrorCode::ChallengeExpired, "the challenge expired; ask for a new one")),
            ChallengeUse::Unknown => return Err(refused(ErrorCode::BadAttestation, "the challenge was not issued to this device")),
        }

        let (score, _) = app.state.score(device.citizen, provider, now)?;
        if score.value < threshold {
            return Err(refused(ErrorCode::ScoreTooLow, &format!("a visa report needs a score of {threshold} or more")));
        }
        let report =
            app.state.issue_report(&device, score, threshold, body.supplementary, verified.verified_at, now)?;
        // A real service checks the platform's verdict with its vendor here (docs/integrity.md);
        // the reference service cannot, and only records which one came.
        let integrity = verified.integrity.as_ref().map(|t| t.kind);
        tracing::info!(target: "idwallet::server", device = %device.device_id, report = %report.report.id, ?integrity, "visa report issued");
        Ok(wire::ReportResponse { report: B64(report.signed), seal: report.seal })
    })
    .await
}

async fn fetch_report(AxumState(app): AxumState<App>, Path(id): Path<String>, req: Request) -> Response {
    app.serve(req, move |app, req| {
        let device = app.device(req)?;
        let record = app.state.report(&id, &device.device_id)?.ok_or(ServerError::NotFound)?;
        Ok(wire::ReportResponse { report: B64(record.signed), seal: record.seal })
    })
    .await
}

async fn method_not_allowed(AxumState(app): AxumState<App>, req: Request) -> Response {
    let refusal =
        Refusal::new(StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed, "this endpoint takes another method");
    app.serve::<()>(req, |_, _| Err(refusal)).await
}

async fn not_found(AxumState(app): AxumState<App>, req: Request) -> Response {
    app.serve::<()>(req, |_, _| Err(Refusal::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such endpoint"))).await
}
