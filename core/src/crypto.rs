//! The one AEAD helper every room seals with: AES-256-GCM (ring), random 96-bit nonces,
//! output `nonce ‖ ciphertext ‖ tag`. Random nonces are safe here: a wallet seals far
//! fewer than the 2^32 messages per key where collisions start to matter.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

pub(crate) const KEY_LEN: usize = 32;

pub(crate) struct SealingKey(LessSafeKey);

/// Sealed data could not be opened: wrong key, altered bytes or a different AAD.
#[derive(Debug)]
pub(crate) struct OpenFailed;

impl SealingKey {
    pub(crate) fn new(key: &[u8]) -> Option<Self> {
        UnboundKey::new(&AES_256_GCM, key).ok().map(|k| Self(LessSafeKey::new(k)))
    }

    pub(crate) fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let nonce = random_array::<NONCE_LEN>();
        let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + 16);
        out.extend_from_slice(&nonce);
        let mut body = plaintext.to_vec();
        self.0
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut body)
            .expect("AES-GCM sealing only fails for inputs over 64 GiB");
        out.extend_from_slice(&body);
        out
    }

    pub(crate) fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenFailed> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err(OpenFailed);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| OpenFailed)?;
        let mut buf = Zeroizing::new(body.to_vec());
        let len = self.0.open_in_place(nonce, Aad::from(aad), &mut buf).map_err(|_| OpenFailed)?.len();
        buf.truncate(len);
        Ok(buf)
    }
}

pub(crate) fn random_array<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    SystemRandom::new().fill(&mut out).expect("the OS random source failed");
    out
}

/// HKDF-SHA256 expansion of `secret` into a 32-byte key for one purpose.
pub(crate) fn derive_key(secret: &[u8], purpose: &[u8]) -> Zeroizing<[u8; KEY_LEN]> {
    hkdf_sha256(secret, b"idwallet", purpose)
}

/// HKDF-SHA256 (RFC 5869) of `ikm` with `salt` and `info`, 32 bytes.
pub(crate) fn hkdf_sha256(ikm: &[u8], salt: &[u8], info: &[u8]) -> Zeroizing<[u8; KEY_LEN]> {
    struct Len;
    impl ring::hkdf::KeyType for Len {
        fn len(&self) -> usize {
            KEY_LEN
        }
    }
    let prk = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, salt).extract(ikm);
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    prk.expand(&[info], Len)
        .and_then(|okm| okm.fill(out.as_mut()))
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    out
}

pub(crate) fn sha256(data: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, data).as_ref().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_data_opens_only_with_the_same_key_and_aad() {
        let key = SealingKey::new(&[7u8; 32]).unwrap();
        let sealed = key.seal(b"aad", b"secret");
        assert_eq!(key.open(b"aad", &sealed).unwrap().as_slice(), b"secret");
        assert!(key.open(b"other", &sealed).is_err());
        assert!(SealingKey::new(&[8u8; 32]).unwrap().open(b"aad", &sealed).is_err());
        assert!(key.open(b"aad", &sealed[..10]).is_err());
    }

    #[test]
    fn two_seals_of_the_same_plaintext_differ() {
        let key = SealingKey::new(&[7u8; 32]).unwrap();
        assert_ne!(key.seal(b"a", b"x"), key.seal(b"a", b"x"));
    }
}
