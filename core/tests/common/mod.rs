//! Helpers shared by the core's integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use idwallet_core::platform::KdfParams;
use idwallet_core::{KeyStore, OpenOptions, SoftwareKeyStore, Wallet};

/// A cheap KDF so tests spend their time on the behaviour under test; the cost
/// parameters are read back from the file, so this exercises the real open path.
pub const TEST_KDF: KdfParams = KdfParams { memory_kib: 1024, iterations: 1, parallelism: 1 };

pub fn key_store(dir: &Path, name: &str) -> Arc<dyn KeyStore> {
    Arc::new(SoftwareKeyStore::create(dir.join(name), b"correct horse", TEST_KDF).unwrap())
}

pub fn new_wallet(dir: &Path) -> (Wallet, Arc<dyn KeyStore>, PathBuf) {
    let ks = key_store(dir, "keys");
    let path = dir.join("wallet.db");
    let wallet = Wallet::open(&path, ks.clone(), OpenOptions::default()).unwrap();
    (wallet, ks, path)
}

pub fn reopen(path: &Path, ks: &Arc<dyn KeyStore>) -> Wallet {
    Wallet::open(path, ks.clone(), OpenOptions { create_if_missing: false }).unwrap()
}

/// Run SQL on the raw file, as an attacker with the file (but not the key) could.
pub fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

/// Where `models/fetch.sh` put the face models and photos.
pub fn models_dir() -> PathBuf {
    std::env::var_os("IDWALLET_MODELS").map(PathBuf::from).unwrap_or_else(|| {
        std::env::var_os("IDWALLET_TOOLS")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools"))
            .join("models")
    })
}

/// The face models, loaded once per test binary.
pub fn face_models() -> &'static idwallet_core::face::FaceModels {
    use idwallet_core::face::{FaceModels, IRIS_FILE};
    static MODELS: std::sync::OnceLock<FaceModels> = std::sync::OnceLock::new();
    MODELS.get_or_init(|| {
        let mut models = face_models_without_iris();
        models.load_iris(&read_model(IRIS_FILE)).unwrap();
        models
    })
}

/// YuNet and SFace only: sessions cannot ask for a blink.
pub fn face_models_without_iris() -> idwallet_core::face::FaceModels {
    use idwallet_core::face::{FaceModels, DETECTOR_FILE, EMBEDDER_FILE};
    FaceModels::load(&read_model(DETECTOR_FILE), &read_model(EMBEDDER_FILE)).unwrap()
}

fn read_model(file: &str) -> Vec<u8> {
    std::fs::read(models_dir().join(file)).unwrap_or_else(|_| panic!("{file}: run models/fetch.sh"))
}

/// A fetched test photo (`models/fetch.sh`), by name without `.jpg`.
pub fn photo(name: &str) -> idwallet_core::face::Frame {
    idwallet_core::face::Frame::Encoded(std::fs::read(models_dir().join(format!("photos/{name}.jpg"))).unwrap())
}

/// Citizen `n` with their real face (`synthetic::real_face`), its five documents issued by
/// `issuer` to `wallet`'s device key valid `[now - 10, now + 1 day]`, and the issuer's
/// reference portrait stored: a holder ready to enrol.
pub fn issue_citizen(
    wallet: &Wallet,
    issuer: &idwallet_core::credential::IssuerKey,
    n: u32,
    now: i64,
) -> idwallet_core::documents::synthetic::Citizen {
    use idwallet_core::credential::{issue, Portraits};
    use idwallet_core::documents::{reference, synthetic};
    let face = synthetic::real_face(n);
    let id_photo = std::fs::read(models_dir().join(format!("photos/{}.jpg", face.id_photo))).unwrap();
    let person = synthetic::citizen(n).with_photo(&id_photo, Some(face.id_face)).unwrap();
    let reference = person.reference_portrait.clone().unwrap();
    let digest = reference::digest(&reference);
    let device = wallet.device_public_key().unwrap();
    for claims in &person.documents {
        let portraits = Portraits { thumbnail: &person.portrait, reference_digest: Some(&digest) };
        let cred = issue(issuer, claims, Some(portraits), &device, None, now - 10, now + 86_400).unwrap();
        wallet.store_document(claims.clone(), cred).unwrap();
    }
    wallet.store_reference_portrait(&reference).unwrap();
    person
}

/// The live holder's photo for citizen `n` (another photo of the person in their ID photo).
pub fn live_photo(n: u32) -> idwallet_core::face::Frame {
    photo(idwallet_core::documents::synthetic::real_face(n).live_photo)
}
