//! The signed client's wire rules (DESIGN §4): RFC 9530 `Content-Digest` and RFC 9421 HTTP
//! Message Signatures, idwallet's signing policy on top, and the signed API [`client`].

pub mod client;
pub mod digest;
pub mod httpsig;
pub mod policy;

/// Why a message's digest or signature was refused. Carries no message content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    #[error("the {field} header is not a valid structured field")]
    BadHeader { field: &'static str },
    #[error("Content-Digest uses no algorithm we accept (sha-256, sha-512)")]
    DigestUnsupported,
    #[error("the body does not match its Content-Digest")]
    DigestMismatch,
    #[error("no signature labelled '{label}'")]
    NoSignature { label: String },
    #[error("the signature covers '{component}', which the message does not have")]
    MissingComponent { component: String },
    #[error("unsupported signature component or parameter '{what}'")]
    Unsupported { what: String },
    #[error("unsupported signature algorithm")]
    UnsupportedAlgorithm,
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the key store could not sign: {0}")]
    KeyStore(#[from] crate::platform::KeyStoreError),
}
