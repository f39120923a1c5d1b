//! The fuzz world, fixed so that mutants of valid inputs get past the issuer's signature and
//! reach what the holder controls (disclosures, digests, the device signature, freshness,
//! audience, status): one trusted issuer key, committed (it signs nothing but the seeds),
//! verifiers for the hotel and the police, and a cached status list in which the seeds'
//! `REVOKED` and `SUSPENDED` indices are set. The seeds in `fuzz/corpus` are made in this
//! world by `core/tests/fuzz_seeds.rs`, which CI runs to check that they still verify.
#![allow(dead_code)] // each target uses part of this world

use idwallet_core::credential::{status, IssuerKey, Profile, StatusList, TrustList, Verifier};

pub const NOW: i64 = 1_795_000_000;
pub const STATUS_URI: &str = "https://fuzz.idwallet.test/status/1";
pub const VALID: u64 = 1;
pub const REVOKED: u64 = 5;
pub const SUSPENDED: u64 = 6;

/// PKCS#8 of the fuzz issuer's P-256 key (`openssl genpkey … | openssl pkcs8 -topk8`).
const ISSUER_PKCS8_HEX: &str = "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420d69465ae1a12d289fd430b0f12762f8c6371853690abfcf629bf25f9023fcac6a14403420004899194f4438ad32d0b23682db1783453741f70984f5aa19bad21b772649cf85aeae0b85e322289223b22382c571c7a0dce59e48e5f8eaaf032e6d363028650b7";

pub fn issuer() -> IssuerKey {
    let pkcs8: Vec<u8> = (0..ISSUER_PKCS8_HEX.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&ISSUER_PKCS8_HEX[i..i + 2], 16).expect("hex"))
        .collect();
    IssuerKey::from_pkcs8("Fuzz Public Security Bureau", &pkcs8, NOW - 86_400 * 365, NOW + 86_400 * 365)
        .expect("the fuzz issuer key")
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
