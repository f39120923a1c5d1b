//! idwallet's signing profile (DESIGN §4) on top of RFC 9421: what a request must cover and
//! declare, clock skew, nonce replay, and responses bound to their request. The server
//! applies [`check_request`], the client [`check_response`].

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use super::digest::verify_content_digest;
use super::httpsig::{self, Message, SignatureParams, VerifyKey};
use super::NetError;

/// The label and tag idwallet signs under.
pub const LABEL: &str = "idw";
pub const TAG: &str = "idwallet";
/// Components every request covers (plus `content-digest` and `content-type` with a body).
pub const REQUEST_COMPONENTS: &[&str] = &["\"@method\"", "\"@target-uri\""];
pub const BODY_COMPONENTS: &[&str] = &["\"content-digest\"", "\"content-type\""];
/// Components every response covers.
pub const RESPONSE_COMPONENTS: &[&str] = &["\"@status\"", "\"content-digest\"", "\"signature\";req"];

/// Why a signed message was refused by policy (its signature may be fine).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error(transparent)]
    Signature(#[from] NetError),
    #[error("the signature does not cover '{component}'")]
    NotCovered { component: String },
    #[error("the signature lacks '{param}' or has the wrong value")]
    BadParameter { param: &'static str },
    #[error("the signature was made {skew_secs} s from our clock (window {window_secs} s)")]
    ClockSkew { skew_secs: i64, window_secs: i64 },
    #[error("the nonce was already used")]
    Replayed,
    #[error("unknown key id")]
    UnknownKey,
}

/// Remembers nonces for as long as a signature with them could still be accepted.
pub trait NonceStore: Send + Sync {
    /// Record `nonce` for `keyid`; false if it was already seen (a replay).
    fn check_and_insert(&self, keyid: &str, nonce: &str, now: i64, ttl_secs: i64) -> bool;
}

/// An in-memory nonce store with expiry (for the reference server and tests). Expired
/// nonces are dropped in insertion order, so each check costs O(1) amortised however many
/// requests are in the window.
#[derive(Debug, Default)]
pub struct MemoryNonceStore(Mutex<Nonces>);

#[derive(Debug, Default)]
struct Nonces {
    seen: HashSet<(String, String)>,
    /// (expiry, key) in insertion order; expiries only grow as `now` does.
    queue: VecDeque<(i64, (String, String))>,
}

impl NonceStore for MemoryNonceStore {
    fn check_and_insert(&self, keyid: &str, nonce: &str, now: i64, ttl_secs: i64) -> bool {
        let mut n = self.0.lock().unwrap_or_else(|p| p.into_inner());
        while n.queue.front().is_some_and(|(expires, _)| *expires <= now) {
            if let Some((_, key)) = n.queue.pop_front() {
                n.seen.remove(&key);
            }
        }
        let key = (keyid.to_owned(), nonce.to_owned());
        if !n.seen.insert(key.clone()) {
            return false;
        }
        // A clock stepping back only delays pruning; a nonce is never forgotten early.
        let expires = (now + ttl_secs).max(n.queue.back().map_or(i64::MIN, |(e, _)| *e));
        n.queue.push_back((expires, key));
        true
    }
}

fn require(params: &SignatureParams, wanted: &[&str]) -> Result<(), PolicyError> {
    match wanted.iter().find(|w| !params.components.iter().any(|c| c == *w)) {
        Some(missing) => Err(PolicyError::NotCovered { component: missing.to_string() }),
        None => Ok(()),
    }
}

fn header<'a>(msg: &Message<'a>, name: &str) -> Option<&'a str> {
    msg.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

fn signature_headers<'a>(msg: &Message<'a>) -> Result<(&'a str, &'a str), PolicyError> {
    match (header(msg, "signature-input"), header(msg, "signature")) {
        (Some(i), Some(s)) => Ok((i, s)),
        _ => Err(NetError::NoSignature { label: LABEL.into() }.into()),
    }
}

/// Server side: verify a device's request. `key_for` maps the keyid to the registered
/// device key (SEC1 P-256). Returns the keyid.
pub fn check_request(
    msg: &Message<'_>,
    body: &[u8],
    key_for: impl Fn(&str) -> Option<Vec<u8>>,
    nonces: &dyn NonceStore,
    now: i64,
    window_secs: i64,
) -> Result<String, PolicyError> {
    let (input, signature) = signature_headers(msg)?;
    // The declared keyid only picks the key; the verified signature then covers it.
    let keyid = httpsig::declared(input, LABEL)?.keyid.ok_or(PolicyError::BadParameter { param: "keyid" })?;
    let key = key_for(&keyid).ok_or(PolicyError::UnknownKey)?;
    let params = httpsig::verify(msg, None, input, signature, LABEL, VerifyKey::EcdsaP256Sha256(&key))?;
    if params.keyid.as_deref() != Some(keyid.as_str()) {
        return Err(PolicyError::BadParameter { param: "keyid" });
    }
    if params.tag.as_deref() != Some(TAG) {
        return Err(PolicyError::BadParameter { param: "tag" });
    }
    require(&params, REQUEST_COMPONENTS)?;
    if !body.is_empty() {
        require(&params, BODY_COMPONENTS)?;
        verify_content_digest(header(msg, "content-digest").unwrap_or_default(), body)?;
    }
    let created = params.created.ok_or(PolicyError::BadParameter { param: "created" })?;
    if (now - created).abs() > window_secs {
        return Err(PolicyError::ClockSkew { skew_secs: now - created, window_secs });
    }
    let nonce = params.nonce.as_deref().filter(|n| (8..=64).contains(&n.len()));
    let nonce = nonce.ok_or(PolicyError::BadParameter { param: "nonce" })?;
    if !nonces.check_and_insert(&keyid, nonce, now, 2 * window_secs) {
        return Err(PolicyError::Replayed);
    }
    Ok(keyid)
}

/// Client side: verify a response against the pinned server key, bound to `request`
/// (which must carry our signature headers) and to `body`.
pub fn check_response(
    response: &Message<'_>,
    body: &[u8],
    request: &Message<'_>,
    server_key: &[u8],
) -> Result<SignatureParams, PolicyError> {
    let (input, signature) = signature_headers(response)?;
    let params =
        httpsig::verify(response, Some(request), input, signature, LABEL, VerifyKey::EcdsaP256Sha256(server_key))?;
    if params.tag.as_deref() != Some(TAG) {
        return Err(PolicyError::BadParameter { param: "tag" });
    }
    require(&params, RESPONSE_COMPONENTS)?;
    verify_content_digest(header(response, "content-digest").unwrap_or_default(), body)?;
    Ok(params)
}
