//! The server's data: one sealed idwallet store (the same encrypted SQLite the phone uses,
//! so the server database holds no plaintext personal data either), its keys, and the
//! synthetic citizens seeded at first start.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use idwallet_core::credential::{self, Issuer, IssuerKey, StatusList, TrustList};
use idwallet_core::documents::{synthetic, Claims, DocumentKind};
use idwallet_core::mdl;
use idwallet_core::net::policy::MemoryNonceStore;
use idwallet_core::platform::KdfParams;
use idwallet_core::report::{self, SignedReport, VisaReport};
use idwallet_core::score::{Provider, Score, ScorePoint, PROVIDERS};
use idwallet_core::store::{Record, Store};
use idwallet_core::{KeyStore, SoftwareKeyStore};
use serde::{Deserialize, Serialize};

use crate::{scores, ServerError};

/// How long issued credentials are valid.
const CREDENTIAL_DAYS: i64 = 30;
/// The issuer key's validity.
const ISSUER_KEY_YEARS: i64 = 5;
const DAY: i64 = 86_400;
/// The one status list every document credential points into.
pub const STATUS_LIST: &str = "documents";

#[derive(Serialize, Deserialize)]
struct IssuerRecord {
    #[serde(with = "serde_bytes")]
    pkcs8: Vec<u8>,
    not_before: i64,
    not_after: i64,
}

impl Record for IssuerRecord {
    const KIND: &'static str = "issuer_key";
    fn id(&self) -> &str {
        "current"
    }
}

/// The mDL document signer (its key and certificate) and the IACA root that certified it.
/// The IACA's own key signs the DS once, at first start, and is not kept: a real IACA key
/// lives offline.
#[derive(Serialize, Deserialize)]
struct MdlSignerRecord {
    #[serde(with = "serde_bytes")]
    ds_pkcs8: Vec<u8>,
    #[serde(with = "serde_bytes")]
    ds_certificate: Vec<u8>,
    #[serde(with = "serde_bytes")]
    iaca_certificate: Vec<u8>,
}

impl Record for MdlSignerRecord {
    const KIND: &'static str = "mdl_signer";
    fn id(&self) -> &str {
        "current"
    }
}

/// The IACA root's and the document signer's validity (18013-5 caps a DS at 457 days).
const IACA_YEARS: i64 = 10;
const DS_DAYS: i64 = 450;

/// A citizen the issuer knows, with all five documents.
#[derive(Serialize, Deserialize)]
pub struct CitizenRecord {
    pub id: String,
    pub number: u32,
    pub documents: Vec<Claims>,
    #[serde(with = "serde_bytes")]
    pub portrait: Vec<u8>,
    /// The reference portrait ([`idwallet_core::documents::reference`]), for a citizen
    /// seeded with a real face.
    #[serde(default, with = "serde_bytes")]
    pub reference_portrait: Option<Vec<u8>>,
}

impl Record for CitizenRecord {
    const KIND: &'static str = "citizen";
    fn id(&self) -> &str {
        &self.id
    }
}

/// A one-time code handed to a citizen at enrolment, exchanged for a device registration.
#[derive(Serialize, Deserialize)]
struct ActivationRecord {
    code: String,
    citizen: u32,
}

impl Record for ActivationRecord {
    const KIND: &'static str = "activation";
    fn id(&self) -> &str {
        &self.code
    }
}

/// A registered device: its key and whose it is.
#[derive(Serialize, Deserialize)]
pub struct DeviceRecord {
    pub device_id: String,
    #[serde(with = "serde_bytes")]
    pub public_key: Vec<u8>,
    pub citizen: u32,
    /// When the last activation code was used.
    pub registered_at: i64,
    /// SHA-256 of that code, so a retried registration with it is answered again.
    #[serde(default, with = "serde_bytes")]
    pub activation: Vec<u8>,
}

impl Record for DeviceRecord {
    const KIND: &'static str = "device";
    fn id(&self) -> &str {
        &self.device_id
    }
}

#[derive(Serialize, Deserialize)]
struct StatusRecord {
    name: String,
    #[serde(with = "serde_bytes")]
    compressed: Vec<u8>,
}

impl Record for StatusRecord {
    const KIND: &'static str = "status_list";
    fn id(&self) -> &str {
        &self.name
    }
}

/// One provider's score history for one citizen.
#[derive(Serialize, Deserialize)]
pub struct HistoryRecord {
    pub id: String,
    pub points: Vec<ScorePoint>,
}

impl Record for HistoryRecord {
    const KIND: &'static str = "score_history";
    fn id(&self) -> &str {
        &self.id
    }
}

pub fn history_id(citizen: u32, provider: &str) -> String {
    format!("{citizen}/{provider}")
}

/// A one-time nonce for a liveness attestation.
#[derive(Serialize, Deserialize)]
struct ChallengeRecord {
    /// The nonce, base64url.
    id: String,
    device_id: String,
    expires_at: i64,
    used: bool,
}

impl Record for ChallengeRecord {
    const KIND: &'static str = "report_challenge";
    fn id(&self) -> &str {
        &self.id
    }
}

/// What became of a challenge when an attestation came back with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeUse {
    /// Unused and current: now used.
    Consumed,
    /// Never issued, or issued to another device.
    Unknown,
    Replayed,
    Expired,
}

/// An issued visa report, kept so its holder can fetch it again.
#[derive(Serialize, Deserialize)]
pub struct ReportRecord {
    pub id: String,
    pub device_id: String,
    #[serde(with = "serde_bytes")]
    pub signed: Vec<u8>,
    pub seal: String,
}

impl Record for ReportRecord {
    const KIND: &'static str = "visa_report";
    fn id(&self) -> &str {
        &self.id
    }
}

/// The server's state, shared by all request handlers.
pub struct State {
    pub store: Store,
    /// Signs every response; its public half is what phones pin.
    pub keys: Arc<SoftwareKeyStore>,
    pub issuer: Issuer,
    pub nonces: MemoryNonceStore,
    pub data_dir: PathBuf,
    /// Serialises challenge consumption, so one nonce cannot be used by two concurrent requests.
    challenges: std::sync::Mutex<()>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State").field("data_dir", &self.data_dir).finish_non_exhaustive()
    }
}

/// Random bytes from the OS.
pub fn random<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut out).expect("the OS random source failed");
    out
}

/// Read the master secret, or create it (owner-only) on first start. It stands in for the
/// KMS a production service would use to unlock its key store.
fn master_secret(dir: &Path) -> Result<Vec<u8>, ServerError> {
    let path = dir.join("master.key");
    if path.exists() {
        return Ok(std::fs::read(&path)?);
    }
    let secret = URL_SAFE_NO_PAD.encode(random::<32>()).into_bytes();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path)?;
    file.write_all(&secret)?;
    file.sync_all()?;
    Ok(secret)
}

/// Records per kind (and activity entries) in an existing data directory, read without
/// starting a server: `idwallet-server --stats`, and the load script's lost-write check.
pub fn record_counts(dir: &Path) -> Result<Vec<(String, u64)>, ServerError> {
    let key_path = dir.join("server.keys");
    if !key_path.exists() {
        return Err(ServerError::Io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no server data in this directory",
        )));
    }
    let keys = Arc::new(SoftwareKeyStore::open(&key_path, &master_secret(dir)?)?);
    let store = Store::open(&dir.join("server.db"), keys, false)?;
    let (kinds, activity) = store.counts()?;
    Ok(kinds.into_iter().map(|k| (k.kind, k.count)).chain([("activity".to_owned(), activity)]).collect())
}

impl State {
    /// Open the data directory, creating keys and seeding `citizens` synthetic citizens on
    /// first start.
    pub fn open(dir: &Path, citizens: u32, photos: Option<&Path>) -> Result<Arc<Self>, ServerError> {
        std::fs::create_dir_all(dir)?;
        let secret = master_secret(dir)?;
        let key_path = dir.join("server.keys");
        let keys = Arc::new(if key_path.exists() {
            SoftwareKeyStore::open(&key_path, &secret)?
        } else {
            SoftwareKeyStore::create(&key_path, &secret, KdfParams::default())?
        });
        let store = Store::open(&dir.join("server.db"), keys.clone(), true)?;
        let now = idwallet_core::now_unix();
        let issuer = match store.find::<IssuerRecord>("current")? {
            Some(r) => IssuerKey::from_pkcs8(ISSUER_NAME, &r.pkcs8, r.not_before, r.not_after)?,
            None => {
                let key = IssuerKey::generate(ISSUER_NAME, now - DAY, now + ISSUER_KEY_YEARS * 365 * DAY);
                let record =
                    IssuerRecord { pkcs8: key.pkcs8().to_vec(), not_before: key.not_before, not_after: key.not_after };
                store.put(&record, None)?;
                key
            }
        };
        let mdl = match store.find::<MdlSignerRecord>("current")? {
            Some(r) => r,
            None => {
                let iaca = mdl::issue::Iaca::generate("CN", ISSUER_IACA, now - DAY, now + IACA_YEARS * 365 * DAY)?;
                let signer = iaca.issue_signer(ISSUER_DS, now - DAY, now + DS_DAYS * DAY)?;
                let record = MdlSignerRecord {
                    ds_pkcs8: signer.pkcs8().to_vec(),
                    ds_certificate: signer.certificate().to_vec(),
                    iaca_certificate: iaca.certificate().to_vec(),
                };
                store.put(&record, None)?;
                record
            }
        };
        let signer = mdl::issue::DocumentSigner::from_parts(&mdl.ds_pkcs8, mdl.ds_certificate)?;
        let state = Arc::new(Self {
            store,
            keys,
            issuer: Issuer::new(issuer, STATUS_LIST).with_mdl(signer, mdl.iaca_certificate),
            nonces: MemoryNonceStore::since(now),
            data_dir: dir.into(),
            challenges: Default::default(),
        });
        if state.store.list::<CitizenRecord>()?.is_empty() {
            state.seed(citizens, photos, now)?;
        }
        Ok(state)
    }

    /// Seed synthetic citizens, their activation codes, the status list and a year of
    /// monthly score history — all in one transaction. With `photos` (the registry photos
    /// `models/fetch.sh` fetched), each citizen gets a real face
    /// ([`synthetic::real_face`]): its thumbnail and reference portrait.
    fn seed(&self, citizens: u32, photos: Option<&Path>, now: i64) -> Result<(), ServerError> {
        let mut codes = String::from("# citizen activation-code (one-time; for `idwallet register`)\n");
        let mut people = Vec::new();
        for n in 1..=citizens {
            let mut c = synthetic::citizen(n);
            if let Some(dir) = photos {
                let face = synthetic::real_face(n);
                let photo = std::fs::read(dir.join(format!("{}.jpg", face.id_photo)))?;
                c = c
                    .with_photo(&photo, Some(face.id_face))
                    .map_err(idwallet_core::credential::CredentialError::from)?;
            }
            people.push((n, c));
        }
        self.store.write(|w| {
            for (n, c) in people {
                let citizen = CitizenRecord {
                    id: n.to_string(),
                    number: n,
                    documents: c.documents,
                    portrait: c.portrait,
                    reference_portrait: c.reference_portrait,
                };
                let code = activation_code();
                codes.push_str(&format!("{n} {code}\n"));
                w.put(&ActivationRecord { code, citizen: n })?;
                for p in PROVIDERS {
                    let points =
                        (0..12).rev().map(|m| scores::compute(&citizen, p, now - m * 30 * DAY).point()).collect();
                    w.put(&HistoryRecord { id: history_id(n, p.id), points })?;
                }
                w.put(&citizen)?;
            }
            let list = self.issuer.new_status_list(citizens).map_err(|_| idwallet_core::StoreError::Corrupt)?;
            w.put(&StatusRecord { name: STATUS_LIST.into(), compressed: list.compressed() })
        })?;
        std::fs::write(self.data_dir.join("activation-codes.txt"), codes)?;
        tracing::info!(target: "idwallet::server", citizens, "seeded synthetic citizens");
        Ok(())
    }

    /// The key phones pin to verify responses (SEC1 P-256).
    pub fn server_key(&self) -> Vec<u8> {
        self.keys.device_public_key().expect("the software key store always has its key")
    }

    pub fn trust_list(&self) -> TrustList {
        self.issuer.trust_list()
    }

    /// An unused activation code for citizen `n`, if one is left.
    pub fn activation_code(&self, n: u32) -> Result<Option<String>, ServerError> {
        Ok(self.store.list::<ActivationRecord>()?.into_iter().find(|a| a.citizen == n).map(|a| a.code))
    }

    /// A new one-time activation code for citizen `n`, as the counter hands out after
    /// checking the citizen's identity again (a new phone, or a face that no longer unlocks).
    pub fn new_activation_code(&self, n: u32) -> Result<String, ServerError> {
        self.citizen(n)?;
        let code = activation_code();
        self.store.put(&ActivationRecord { code: code.clone(), citizen: n }, None)?;
        Ok(code)
    }

    /// Bind `public_key` to the citizen holding `code`, using the code up. `None` for an
    /// unknown or used code. A retry with the code this device last used is answered
    /// again, unchanged; a registered device re-registers only with a new code of the same
    /// citizen (the way a holder recovers a face that no longer unlocks).
    pub fn register(
        &self,
        code: &str,
        device_id: &str,
        public_key: &[u8],
        now: i64,
    ) -> Result<Option<DeviceRecord>, ServerError> {
        let hash = ring::digest::digest(&ring::digest::SHA256, code.as_bytes()).as_ref().to_vec();
        let existing = self.store.find::<DeviceRecord>(device_id)?;
        if existing.as_ref().is_some_and(|d| d.activation == hash) {
            return Ok(existing);
        }
        let Some(activation) = self.store.find::<ActivationRecord>(code)? else { return Ok(None) };
        if existing.as_ref().is_some_and(|d| d.citizen != activation.citizen) {
            return Ok(None);
        }
        let device = DeviceRecord {
            device_id: device_id.into(),
            public_key: public_key.into(),
            citizen: activation.citizen,
            registered_at: now,
            activation: hash,
        };
        self.store.write(|w| {
            w.delete::<ActivationRecord>(code)?;
            w.put(&device)
        })?;
        Ok(Some(device))
    }

    pub fn device(&self, device_id: &str) -> Result<Option<DeviceRecord>, ServerError> {
        Ok(self.store.find(device_id)?)
    }

    pub fn citizen(&self, n: u32) -> Result<CitizenRecord, ServerError> {
        Ok(self.store.get(&n.to_string())?)
    }

    /// Fresh credentials for all of `device`'s citizen's documents, bound to its key.
    pub fn issue_documents(&self, device: &DeviceRecord, now: i64) -> Result<Vec<credential::Issued>, ServerError> {
        let citizen = self.citizen(device.citizen)?;
        let person = credential::Person {
            number: device.citizen,
            documents: &citizen.documents,
            thumbnail: &citizen.portrait,
            reference_portrait: citizen.reference_portrait.as_deref(),
        };
        Ok(self.issuer.issue_documents(&person, &device.public_key, now, now + CREDENTIAL_DAYS * DAY)?)
    }

    /// Set a document's status (revoke, suspend, or reinstate).
    pub fn set_status(&self, citizen: u32, kind: DocumentKind, value: u8) -> Result<(), ServerError> {
        let mut record: StatusRecord = self.store.get(STATUS_LIST)?;
        let mut list = StatusList::from_compressed(Issuer::STATUS_BITS, &record.compressed)?;
        self.issuer.set_status(&mut list, citizen, kind, value)?;
        record.compressed = list.compressed();
        Ok(self.store.put(&record, None)?)
    }

    /// The current Status List Token, freshly signed.
    pub fn status_token(&self, now: i64) -> Result<Vec<u8>, ServerError> {
        let record: StatusRecord = self.store.get(STATUS_LIST)?;
        let list = StatusList::from_compressed(Issuer::STATUS_BITS, &record.compressed)?;
        Ok(self.issuer.status_token(&list, now)?)
    }

    /// `citizen`'s current score from `provider` and its history, appending a point to the
    /// history when the last one is a month old.
    pub fn score(&self, citizen: u32, provider: &Provider, now: i64) -> Result<(Score, Vec<ScorePoint>), ServerError> {
        let score = scores::compute(&self.citizen(citizen)?, provider, now);
        let mut record: HistoryRecord = self.store.get(&history_id(citizen, provider.id))?;
        if record.points.last().is_none_or(|p| now - p.at >= 30 * DAY) {
            record.points.push(score.point());
            self.store.put(&record, None)?;
        }
        Ok((score, record.points))
    }
}

impl State {
    /// A fresh nonce for `device_id`'s next liveness attestation (stored, so it stays
    /// one-time across restarts).
    pub fn new_challenge(&self, device_id: &str, now: i64) -> Result<(Vec<u8>, i64), ServerError> {
        let nonce = random::<16>().to_vec();
        let expires_at = now + report::CHALLENGE_SECS;
        let record = ChallengeRecord {
            id: URL_SAFE_NO_PAD.encode(&nonce),
            device_id: device_id.into(),
            expires_at,
            used: false,
        };
        self.store.put(&record, None)?;
        Ok((nonce, expires_at))
    }

    /// Use `nonce` for `device_id`, once.
    pub fn consume_challenge(&self, device_id: &str, nonce: &[u8], now: i64) -> Result<ChallengeUse, ServerError> {
        let _one_at_a_time = self.challenges.lock().unwrap_or_else(|p| p.into_inner());
        let Some(mut record) = self.store.find::<ChallengeRecord>(&URL_SAFE_NO_PAD.encode(nonce))? else {
            return Ok(ChallengeUse::Unknown);
        };
        if record.device_id != device_id {
            return Ok(ChallengeUse::Unknown);
        }
        if record.used {
            return Ok(ChallengeUse::Replayed);
        }
        if now > record.expires_at {
            return Ok(ChallengeUse::Expired);
        }
        record.used = true;
        self.store.put(&record, None)?;
        Ok(ChallengeUse::Consumed)
    }

    /// Sign and keep a visa report for `device`'s citizen.
    pub fn issue_report(
        &self,
        device: &DeviceRecord,
        score: Score,
        threshold: i32,
        supplementary: report::Supplementary,
        face_verified_at: i64,
        now: i64,
    ) -> Result<SignedReport, ServerError> {
        let citizen = self.citizen(device.citizen)?;
        let card = citizen
            .documents
            .iter()
            .find_map(|c| match c {
                Claims::ResidentIdCard(card) => Some(card),
                _ => None,
            })
            .ok_or(ServerError::NotFound)?;
        let report = VisaReport {
            id: format!("VR-{}", activation_code()),
            issuer: ISSUER_NAME.into(),
            holder: report::Holder::from_id_card(card),
            device_id: device.device_id.clone(),
            score,
            threshold,
            supplementary,
            face_verified_at,
            issued_at: now,
            valid_until: now + report::VALIDITY_SECS,
        };
        let signed = SignedReport::issue(report, self.issuer.key())?;
        let record = ReportRecord {
            id: signed.report.id.clone(),
            device_id: device.device_id.clone(),
            signed: signed.signed.clone(),
            seal: signed.seal.clone(),
        };
        self.store.put(&record, None)?;
        Ok(signed)
    }

    /// A report, if `device_id` is its holder's device.
    pub fn report(&self, id: &str, device_id: &str) -> Result<Option<ReportRecord>, ServerError> {
        Ok(self.store.find::<ReportRecord>(id)?.filter(|r| r.device_id == device_id))
    }
}

const ISSUER_NAME: &str = "idwallet reference issuer";
const ISSUER_IACA: &str = "idwallet reference IACA";
const ISSUER_DS: &str = "idwallet reference document signer";

/// Ten characters from an unambiguous alphabet (~50 bits).
fn activation_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    random::<10>().iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect()
}
