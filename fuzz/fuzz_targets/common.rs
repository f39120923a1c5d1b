// A fixed verifier for the targets: one trusted issuer, hotel profile, a cached status list.
use idwallet_core::credential::{status, IssuerKey, Profile, StatusList, TrustList, Verifier};

pub const NOW: i64 = 1_795_000_000;

pub fn verifier() -> Verifier {
    let issuer = IssuerKey::generate("fuzz", NOW - 1000, NOW + 1000);
    let trust = TrustList::new(vec![issuer.trusted()]);
    let mut v = Verifier::new(Profile::hotel(), trust.clone());
    let list = StatusList::new(1, 64).unwrap();
    let token = status::sign_token(&issuer, "https://fuzz.example/s", &list, NOW, NOW + 100, 60).unwrap();
    v.status.insert(&token, &trust, NOW).unwrap();
    v
}
