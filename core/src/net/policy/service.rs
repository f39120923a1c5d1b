//! The service's side of the profile (behind the `issuer` feature, not in the app
//! library): checking a device's request — skew, nonce replay, coverage — and signing the
//! response bound to it.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

// The profile's constants and private checks are the parent's.
use super::*;

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
