//! The platform's integrity verdict (#23, item 4). Frames that never came from a camera — a
//! virtual camera on a rooted phone, frames injected into the app — are beyond image
//! analysis: only the platform can vouch that this is the genuine app on a genuine, unmodified
//! device (Android Play Integrity or Key Attestation, iOS App Attest). The core binds such a
//! verdict to what it attests and carries it to the service; it cannot judge it (only the
//! platform vendor's servers or root keys can), so the service does (`docs/integrity.md`).

use serde::{Deserialize, Serialize};

/// Which platform mechanism vouches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntegrityKind {
    /// Android Play Integrity: a token the service decodes with Google's API.
    PlayIntegrity,
    /// Android Key Attestation: a certificate chain to Google's attestation roots.
    AndroidKeyAttestation,
    /// iOS App Attest: an assertion by a key Apple attested.
    AppAttest,
}

/// Why the platform gave no verdict. Carries no user data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntegrityError {
    #[error("the platform's integrity service is unavailable: {reason}")]
    Unavailable { reason: String },
}

/// The app's bridge to the platform's integrity service (a foreign trait on phones).
pub trait PlatformIntegrity: Send + Sync {
    fn kind(&self) -> IntegrityKind;
    /// A verdict over `nonce` (32 bytes): Play Integrity's `requestHash`, App Attest's
    /// `clientDataHash`, or the Key Attestation challenge.
    fn token(&self, nonce: &[u8]) -> Result<Vec<u8>, IntegrityError>;
}

/// A platform verdict as carried in a signed attestation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrityToken {
    pub kind: IntegrityKind,
    #[serde(with = "serde_bytes")]
    pub token: Vec<u8>,
}

/// Tokens longer than this are refused (a Play Integrity token is ~1–2 kB, an App Attest
/// assertion a few hundred bytes, a Key Attestation chain a few kB).
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The nonce a verdict for a report's liveness attestation is made over: SHA-256 of a label,
/// the service's single-use challenge, the device and when the face check passed — fresh,
/// and bound to this device and this face check.
pub fn report_nonce(challenge: &[u8], device_id: &str, verified_at: i64) -> [u8; 32] {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(b"idwallet integrity v1\0");
    for part in [challenge, device_id.as_bytes()] {
        ctx.update(&(part.len() as u64).to_be_bytes());
        ctx.update(part);
    }
    ctx.update(&verified_at.to_be_bytes());
    let mut out = [0; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_nonce_binds_the_challenge_the_device_and_the_face_check() {
        let n = report_nonce(b"challenge", "dev-a", 1_800_000_000);
        assert_eq!(n, report_nonce(b"challenge", "dev-a", 1_800_000_000));
        assert_ne!(n, report_nonce(b"challengf", "dev-a", 1_800_000_000));
        assert_ne!(n, report_nonce(b"challenge", "dev-b", 1_800_000_000));
        assert_ne!(n, report_nonce(b"challenge", "dev-a", 1_800_000_001));
        // Length-prefixed: moving bytes from the challenge to the device id changes it.
        assert_ne!(report_nonce(b"ab", "c", 0), report_nonce(b"a", "bc", 0));
    }
}
