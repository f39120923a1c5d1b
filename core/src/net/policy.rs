//! idwallet's signing profile (DESIGN §4) on top of RFC 9421: what a request must cover and
//! declare, clock skew, nonce replay, and responses bound to their request. Both directions
//! are made here ([`sign_request`], [`sign_response`]) and checked here: the server applies
//! [`check_request`], the client [`check_response`].

use super::digest::{content_digest, verify_content_digest};
use super::httpsig::{self, Message, NewSignature, SignatureParams, VerifyKey};
use super::NetError;

#[cfg(feature = "issuer")]
mod service;
#[cfg(feature = "issuer")]
pub use service::{check_request, sign_response, MemoryNonceStore, NonceStore};

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

/// Client side: verify a response against the pinned server key, bound to `request`
/// (which must carry our signature headers) and to `body`.
pub fn check_response(
    response: &Message<'_>,
    body: &[u8],
    request: &Message<'_>,
    server_key: &[u8],
    now: i64,
) -> Result<SignatureParams, PolicyError> {
    let (input, signature, label) = signature_headers(response)?;
    let params =
        httpsig::verify(response, Some(request), &input, &signature, &label, VerifyKey::EcdsaP256Sha256(server_key))?;
    if params.tag.as_deref() != Some(TAG) {
        return Err(PolicyError::BadParameter { param: "tag" });
    }
    require(&params, RESPONSE_COMPONENTS)?;
    check_digest(response, &params, body)?;
    check_expiry(&params, now)?;
    Ok(params)
}
