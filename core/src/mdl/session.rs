//! Session establishment and SessionData (ISO 18013-5 §9.1.1): both sides derive
//! `SK = HKDF-SHA256(ECDH(own ephemeral, peer ephemeral), salt = SHA-256(SessionTranscriptBytes),
//! info = "SKDevice" | "SKReader", 32 bytes)`; each message is AES-256-GCM under the sender's
//! key with the IV `identifier (8 bytes: reader 0, device 1) ‖ counter (4 bytes, from 1)`.

use ciborium::Value;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use zeroize::Zeroizing;

use super::{sha256, MdlError};
pub(super) use crate::crypto::hkdf_sha256;

/// Who sent a SessionData message: it picks the key and the IV's identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    Reader,
    Device,
}

/// The two session keys.
pub struct SessionKeys {
    pub sk_device: Zeroizing<[u8; 32]>,
    pub sk_reader: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKeys(..)")
    }
}

impl SessionKeys {
    /// Both keys, from our ephemeral private scalar `own_private` (32 bytes), the peer's
    /// ephemeral public key (SEC1) and the SessionTranscriptBytes (`#6.24(bstr)`) as sent.
    pub fn derive(own_private: &[u8], peer_public: &[u8], transcript_bytes: &[u8]) -> Result<Self, MdlError> {
        let shared = ecdh(own_private, peer_public)?;
        let salt = sha256(transcript_bytes);
        Ok(Self {
            sk_device: hkdf_sha256(shared.as_ref(), &salt, b"SKDevice"),
            sk_reader: hkdf_sha256(shared.as_ref(), &salt, b"SKReader"),
        })
    }

    fn key(&self, sender: Sender) -> &[u8; 32] {
        match sender {
            Sender::Reader => &self.sk_reader,
            Sender::Device => &self.sk_device,
        }
    }

    /// Encrypt `sender`'s message number `counter` (from 1).
    pub fn encrypt(&self, sender: Sender, counter: u32, plaintext: &[u8]) -> Vec<u8> {
        let mut data = plaintext.to_vec();
        aead(self.key(sender))
            .seal_in_place_append_tag(nonce(sender, counter), Aad::empty(), &mut data)
            .expect("AES-GCM seals any message shorter than 64 GiB");
        data
    }

    /// Decrypt `sender`'s message number `counter`.
    pub fn decrypt(&self, sender: Sender, counter: u32, ciphertext: &[u8]) -> Result<Vec<u8>, MdlError> {
        let mut data = ciphertext.to_vec();
        let plain = aead(self.key(sender))
            .open_in_place(nonce(sender, counter), Aad::empty(), &mut data)
            .map_err(|_| MdlError::Decrypt)?;
        Ok(plain.to_vec())
    }
}

/// The raw ECDH shared secret (the x coordinate) of a P-256 private scalar and a public key.
pub fn ecdh(own_private: &[u8], peer_public: &[u8]) -> Result<Zeroizing<[u8; 32]>, MdlError> {
    let secret = p256::SecretKey::from_slice(own_private).map_err(|_| MdlError::BadKey)?;
    let public = p256::PublicKey::from_sec1_bytes(peer_public).map_err(|_| MdlError::BadKey)?;
    let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), public.as_affine());
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(shared.raw_secret_bytes());
    Ok(out)
}

fn aead(key: &[u8; 32]) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).expect("a 32-byte AES-256 key"))
}

fn nonce(sender: Sender, counter: u32) -> Nonce {
    let mut iv = [0u8; 12];
    iv[7] = u8::from(sender == Sender::Device);
    iv[8..].copy_from_slice(&counter.to_be_bytes());
    Nonce::assume_unique_for_key(iv)
}

/// A COSE_Key (EC2, P-256) as a SEC1 uncompressed point.
pub fn cose_key_to_sec1(key: &Value) -> Result<Vec<u8>, MdlError> {
    let entries = key.as_map().ok_or(MdlError::BadKey)?;
    let get = |label: i64| entries.iter().find(|(k, _)| k.as_integer() == Some(label.into())).map(|(_, v)| v);
    let int = |label| get(label).and_then(Value::as_integer).and_then(|i| i64::try_from(i).ok());
    if int(1) != Some(2) || int(-1) != Some(1) {
        return Err(MdlError::Unsupported { what: "a device key other than EC2 P-256" });
    }
    let coordinate = |label| get(label).and_then(Value::as_bytes).filter(|b| b.len() == 32).ok_or(MdlError::BadKey);
    let mut point = vec![4];
    point.extend_from_slice(coordinate(-2)?);
    point.extend_from_slice(coordinate(-3)?);
    Ok(point)
}
