//! idwallet's signing profile (DESIGN §4) on top of RFC 9421: what a request must cover and
//! declare, clock skew, nonce replay, and responses bound to their request. Both directions
//! are made here ([`sign_request`], [`sign_response`]) and checked here: the server applies
//! [`check_request`], the client [`check_response`].

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use super::digest::{content_digest, verify_content_digest};
use super::httpsig::{self, Message, NewSignature, SignatureParams, VerifyKey};
use super::NetError;

/// The label and tag idwallet signs under.
pub const LABEL: &str = "idw";
pub const TAG: &str = "idwallet";
/// Components every request covers (plus `content-digest` and `content-type` with a body).
pub const REQUEST_COMPONENTS: &[&str] = &["\"@method\"", "\"@target-uri\""];
pub const BODY_COMPONENTS: &[&str] = &["\"content-digest\"", "\"content-type\""];
/// Components every response covers: bound to the request's signature and its parameters.
pub const RESPONSE_COMPONENTS: &[&str] =
    &["\"@status\"", "\"content-digest\"", "\"signature\";req", "\"signature-input\";req"];

/// The headers of a request signed under idwallet's profile, in order: `content-digest`
/// and `content-type` when there is a body (an empty one included), then `signature-input`
/// and `signature` over the method, the target URI and those two.
pub fn sign_request(
    method: &str,
    target_uri: &str,
    body: Option<&[u8]>,
    keyid: &str,
    nonce: &str,
    created: i64,
    sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, NetError>,
) -> Result<Vec<(String, String)>, NetError> {
    let mut headers = Vec::new();
    let mut components = REQUEST_COMPONENTS.to_vec();
    if let Some(body) = body {
        headers.push(("content-digest".to_owned(), content_digest(body)));
        headers.push(("content-type".to_owned(), crate::wire::CONTENT_TYPE.to_owned()));
        components.extend(BODY_COMPONENTS);
    }
    let msg = Message { method: Some(method), target_uri: Some(target_uri), status: None, headers: &headers };
    let new = NewSignature {
        components: &components,
        created,
        expires: None,
        nonce: Some(nonce),
        keyid,
        tag: Some(TAG),
        alg: None,
    };
    let (input, signature) = httpsig::sign(&msg, None, LABEL, &new, sign)?;
    headers.push(("signature-input".to_owned(), input));
    headers.push(("signature".to_owned(), signature));
    Ok(headers)
}

/// The headers of a response with `status` and `body`, signed under idwallet's profile and
/// bound to `request`'s signature when it carries one (so it cannot answer another
/// request). The `content-digest` and `content-type` headers come whatever happens; the
/// error says why the signature could not be added (a request whose signature headers do
/// not even parse gets an unsigned refusal).
pub fn sign_response(
    status: u16,
    body: &[u8],
    request: &Message<'_>,
    keyid: &str,
    created: i64,
    sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, NetError>,
) -> (Vec<(String, String)>, Result<(), NetError>) {
    let mut headers = vec![
        ("content-digest".to_owned(), content_digest(body)),
        ("content-type".to_owned(), crate::wire::CONTENT_TYPE.to_owned()),
    ];
    let bound = request.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("signature"));
    let components: &[&str] = if bound { RESPONSE_COMPONENTS } else { &RESPONSE_COMPONENTS[..2] };
    let response = Message { method: None, target_uri: None, status: Some(status), headers: &headers };
    let new = NewSignature { components, created, expires: None, nonce: None, keyid, tag: Some(TAG), alg: None };
    let signed = httpsig::sign(&response, bound.then_some(request), LABEL, &new, sign);
    let result = signed.map(|(input, signature)| {
        headers.push(("signature-input".to_owned(), input));
        headers.push(("signature".to_owned(), signature));
    });
    (headers, result)
}

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
    #[error("the signature expired at {at}")]
    Expired { at: i64 },
    #[error("the request was signed before the service (re)started, so its nonce cannot be checked: sign it again")]
    BeforeRestart,
}

/// Remembers nonces for as long as a signature with them could still be accepted.
pub trait NonceStore: Send + Sync {
    /// Record `nonce` for `keyid`; false if it was already seen (a replay).
    fn check_and_insert(&self, keyid: &str, nonce: &str, now: i64, ttl_secs: i64) -> bool;
    /// Signatures created before this instant may carry nonces this store never saw
    /// (e.g. seen by a server process before a restart): they are refused.
    fn remembers_since(&self) -> i64 {
        i64::MIN
    }
}

/// An in-memory nonce store with expiry (for the reference server and tests). Expired
/// nonces are dropped in insertion order, so each check costs O(1) amortised however many
/// requests are in the window.
#[derive(Debug)]
pub struct MemoryNonceStore {
    nonces: Mutex<Nonces>,
    since: i64,
}

impl Default for MemoryNonceStore {
    /// A store that remembers every nonce it could ever be asked about (tests).
    fn default() -> Self {
        Self::since(i64::MIN)
    }
}

impl MemoryNonceStore {
    /// A store that came to life at `since` (a server process's start): a signature made
    /// before then could have been used with the previous process, whose memory is gone,
    /// so it is refused — a replay across a restart fails without a write per request.
    pub fn since(since: i64) -> Self {
        Self { nonces: Mutex::default(), since }
    }
}

#[derive(Debug, Default)]
struct Nonces {
    seen: HashSet<(String, String)>,
    /// (expiry, key) in insertion order; expiries only grow as `now` does.
    queue: VecDeque<(i64, (String, String))>,
}

impl NonceStore for MemoryNonceStore {
    fn remembers_since(&self) -> i64 {
        self.since
    }

    fn check_and_insert(&self, keyid: &str, nonce: &str, now: i64, ttl_secs: i64) -> bool {
        let mut n = self.nonces.lock().unwrap_or_else(|p| p.into_inner());
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

/// The signature fields (every line of each, combined) and the label of idwallet's
/// signature among them, chosen by its tag.
fn signature_headers(msg: &Message<'_>) -> Result<(String, String, String), PolicyError> {
    match (httpsig::field(msg, "signature-input"), httpsig::field(msg, "signature")) {
        (Some(i), Some(s)) => {
            let label = httpsig::label_tagged(&i, TAG)?;
            Ok((i, s, label))
        }
        _ => Err(NetError::NoSignature { label: LABEL.into() }.into()),
    }
}

/// A covered or present `Content-Digest` is checked against the content received — an
/// empty body too (RFC 9530 §2, RFC 9421 §7.2.8): a digest of other content never passes.
fn check_digest(msg: &Message<'_>, params: &SignatureParams, body: &[u8]) -> Result<(), PolicyError> {
    let covered = params.components.iter().any(|c| c == "\"content-digest\"");
    match httpsig::field(msg, "content-digest") {
        Some(digest) => Ok(verify_content_digest(&digest, body)?),
        None if covered => Err(NetError::MissingComponent { component: "content-digest".into() }.into()),
        None => Ok(()),
    }
}

fn check_expiry(params: &SignatureParams, now: i64) -> Result<(), PolicyError> {
    match params.expires {
        Some(at) if now > at => Err(PolicyError::Expired { at }),
        _ => Ok(()),
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
    let (input, signature, label) = signature_headers(msg)?;
    // The declared keyid only picks the key; the verified signature then covers it.
    let keyid = httpsig::declared(&input, &label)?.keyid.ok_or(PolicyError::BadParameter { param: "keyid" })?;
    let key = key_for(&keyid).ok_or(PolicyError::UnknownKey)?;
    let params = httpsig::verify(msg, None, &input, &signature, &label, VerifyKey::EcdsaP256Sha256(&key))?;
    if params.keyid.as_deref() != Some(keyid.as_str()) {
        return Err(PolicyError::BadParameter { param: "keyid" });
    }
    if params.tag.as_deref() != Some(TAG) {
        return Err(PolicyError::BadParameter { param: "tag" });
    }
    require(&params, REQUEST_COMPONENTS)?;
    if !body.is_empty() {
        require(&params, BODY_COMPONENTS)?;
    }
    check_digest(msg, &params, body)?;
    check_expiry(&params, now)?;
    let created = params.created.ok_or(PolicyError::BadParameter { param: "created" })?;
    if (now - created).abs() > window_secs {
        return Err(PolicyError::ClockSkew { skew_secs: now - created, window_secs });
    }
    if created < nonces.remembers_since() {
        return Err(PolicyError::BeforeRestart);
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
    let (input, signature, label) = signature_headers(response)?;
    let params =
        httpsig::verify(response, Some(request), &input, &signature, &label, VerifyKey::EcdsaP256Sha256(server_key))?;
    if params.tag.as_deref() != Some(TAG) {
        return Err(PolicyError::BadParameter { param: "tag" });
    }
    require(&params, RESPONSE_COMPONENTS)?;
    check_digest(response, &params, body)?;
    check_expiry(&params, crate::now_unix())?;
    Ok(params)
}
