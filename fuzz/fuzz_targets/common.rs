//! The fuzz world, fixed so that mutants of valid inputs get past the issuer's signature and
//! reach what the holder controls (disclosures, digests, the device signature, freshness,
//! audience, status): one trusted issuer key and one device key, committed (they sign
//! nothing but the seeds and the fuzzers' own reassemblies), verifiers for the hotel and the
//! police, and a cached status list in which the seeds' `REVOKED` and `SUSPENDED` indices
//! are set. The seeds in `fuzz/corpus` are made in this
//! world by `core/tests/fuzz_seeds.rs`, which CI runs to check that they still verify.
#![allow(dead_code)] // each target uses part of this world

use ciborium::Value;
use idwallet_core::credential::{cose, device_aad, qr};
use idwallet_core::credential::{status, IssuerKey, Profile, StatusList, TrustList, Verifier};
use idwallet_core::{KeyStore, KeyStoreError};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};

pub const NOW: i64 = 1_795_000_000;
pub const STATUS_URI: &str = "https://fuzz.idwallet.test/status/1";
pub const VALID: u64 = 1;
pub const REVOKED: u64 = 5;
pub const SUSPENDED: u64 = 6;

/// PKCS#8 of the fuzz issuer's P-256 key (`openssl genpkey … | openssl pkcs8 -topk8`).
const ISSUER_PKCS8_HEX: &str = "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420d69465ae1a12d289fd430b0f12762f8c6371853690abfcf629bf25f9023fcac6a14403420004899194f4438ad32d0b23682db1783453741f70984f5aa19bad21b772649cf85aeae0b85e322289223b22382c571c7a0dce59e48e5f8eaaf032e6d363028650b7";

/// PKCS#8 of the fuzz holder's device key (the same way).
const DEVICE_PKCS8_HEX: &str = "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420f96d484f1c4a1e4d14d4c5978ac3a3b224d21c81c7fd60319f6815bd94047030a14403420004be5aeb9c684bce8aaf71660fad671f5b19c9d8807e496891ca0e907267e0cb32da003be1b2465d0874ee35e4c9c73d87713838257b6639da96603676fd59bea6";

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex")).collect()
}

pub fn issuer() -> IssuerKey {
    IssuerKey::from_pkcs8(
        "Fuzz Public Security Bureau",
        &unhex(ISSUER_PKCS8_HEX),
        NOW - 86_400 * 365,
        NOW + 86_400 * 365,
    )
    .expect("the fuzz issuer key")
}

/// The holder's device with a fixed key: seeds are issued to it, and a harness re-signs
/// what a holder-turned-attacker reassembles, as the holder can.
pub struct Device(EcdsaKeyPair);

pub fn device() -> Device {
    let rng = SystemRandom::new();
    Device(
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &unhex(DEVICE_PKCS8_HEX), &rng).expect("device key"),
    )
}

impl KeyStore for Device {
    fn device_public_key(&self) -> Result<Vec<u8>, KeyStoreError> {
        Ok(self.0.public_key().as_ref().to_vec())
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        let sig = self.0.sign(&SystemRandom::new(), message);
        sig.map(|s| s.as_ref().to_vec()).map_err(|_| KeyStoreError::Unavailable { reason: "signing failed".into() })
    }

    fn wrap_key(&self, _: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        Err(KeyStoreError::Unavailable { reason: "the fuzz device wraps nothing".into() })
    }

    fn unwrap_key(&self, _: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        Err(KeyStoreError::Unavailable { reason: "the fuzz device wraps nothing".into() })
    }

    fn requires_user_authentication(&self) -> bool {
        false
    }
}

pub fn trust() -> TrustList {
    TrustList::new(vec![issuer().trusted()])
}

/// A hotel desk and a police officer, both with the status list cached.
pub fn verifiers() -> [Verifier; 2] {
    [Profile::hotel(), Profile::police()].map(|profile| verifier(profile, trust()))
}

pub fn verifier(profile: Profile, trust: TrustList) -> Verifier {
    let mut list = StatusList::new(2, 64).expect("a status list");
    list.set(REVOKED, status::INVALID).expect("in range");
    list.set(SUSPENDED, status::SUSPENDED).expect("in range");
    let token = status::sign_token(&issuer(), STATUS_URI, &list, NOW - 600, NOW + 86_400, 3600).expect("signed");
    let mut v = Verifier::new(profile, trust);
    // Inserted with the fixed trust list: a fuzzed one may not hold the key that signed it.
    v.status.insert(&token, &self::trust(), NOW - 60).expect("a valid status token");
    v
}

/// What a holder controls in a presentation: `holder_parts`' input, CBOR
/// `[disclosures, audience, created, kind]`, `kind` choosing the issuer credential
/// (`fuzz/fixtures/<n>.cose`, issued to [`device`]) the parts go with.
pub struct HolderParts {
    pub disclosures: Vec<Value>,
    pub audience: Value,
    pub created: Value,
    pub kind: usize,
}

impl HolderParts {
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        let Ok(Value::Array(parts)) = ciborium::from_reader::<Value, _>(bytes) else { return None };
        let [Value::Array(disclosures), audience, created, rest @ ..] = parts.as_slice() else { return None };
        let kind = rest.first().and_then(Value::as_integer).and_then(|k| usize::try_from(k).ok()).unwrap_or(0);
        Some(Self { disclosures: disclosures.clone(), audience: audience.clone(), created: created.clone(), kind })
    }

    pub fn to_cbor(&self) -> Vec<u8> {
        let kind = Value::from(self.kind as u64);
        let parts = Value::Array(vec![
            Value::Array(self.disclosures.clone()),
            self.audience.clone(),
            self.created.clone(),
            kind,
        ]);
        let mut out = Vec::new();
        ciborium::into_writer(&parts, &mut out).expect("CBOR to memory");
        out
    }

    /// The presentation text the holder makes of these parts beside `issuer_cose`, the
    /// device part signed by `device` over the disclosed ids, as the holder can.
    pub fn reassemble(&self, issuer_cose: &[u8], device: &Device) -> Option<String> {
        let ids: Vec<String> =
            self.disclosures.iter().filter_map(|d| d.as_array()?.get(1)?.as_text().map(str::to_owned)).collect();
        let mut payload = Vec::new();
        ciborium::into_writer(&Value::Array(vec![self.audience.clone(), self.created.clone()]), &mut payload).ok()?;
        let aad = device_aad(issuer_cose, &ids);
        let signed = cose::sign_es256(None, vec![], payload, &aad, |tbs| device.sign(tbs)).ok()?;
        let presentation = Value::Array(vec![
            Value::from(1),
            Value::Bytes(issuer_cose.to_vec()),
            Value::Array(self.disclosures.clone()),
            Value::Bytes(cose::to_bytes(signed)),
        ]);
        let mut cbor = Vec::new();
        ciborium::into_writer(&presentation, &mut cbor).ok()?;
        Some(qr::to_text(&cbor))
    }
}
