//! Test helpers for app developers' tests and demos (the `testing` feature, never in an
//! app build): a `SyntheticIssuer` that issues the core's fictitious citizens with the
//! reference server's issuing code, and a `SyntheticCamera` that plays a photo as a live head.

use std::sync::{Arc, Mutex};

use idwallet_core::credential::{self as core, status};
use idwallet_core::documents::{synthetic, DocumentKind};
use idwallet_core::face::liveness as live;
use idwallet_core::face::Frame;
use idwallet_core::now_unix as now;

use crate::errors::{CredentialError, FaceError, WalletError};
use crate::face::{CameraFrame, Challenge, FaceModels, UnlockProgress};
use crate::runtime::run_blocking;
use crate::wallet::Wallet;

/// How many citizens a [`SyntheticIssuer`]'s status list has room for (numbers 1…1024).
const CITIZENS: u32 = 1024;

/// Issues the core's synthetic, clearly fictitious citizens' documents — for demos and
/// tests of apps before they reach a real issuer. Real keys, real signatures, and the
/// reference server's issuer (`credential::Issuer`: the same status-list scheme).
#[derive(uniffi::Object)]
pub struct SyntheticIssuer {
    issuer: Arc<core::Issuer>,
    status: Mutex<core::StatusList>,
}

#[uniffi::export]
impl SyntheticIssuer {
    /// A new issuer with a fresh P-256 key named `name`, valid from a day ago for five years.
    #[uniffi::constructor]
    pub fn new(name: String) -> Arc<Self> {
        let now = now();
        let key = core::IssuerKey::generate(&name, now - 86_400, now + 5 * 365 * 86_400);
        // Its licences also come as ISO 18013-5 mdocs, under an IACA root of its own.
        let day = 86_400;
        let iaca =
            idwallet_core::mdl::issue::Iaca::generate("CN", &format!("{name} IACA"), now - day, now + 3650 * day)
                .expect("generating a certificate for fixed, valid names");
        let signer = iaca.issue_signer(&format!("{name} DS"), now - day, now + 450 * day).expect("as above");
        let issuer = core::Issuer::new(key, "https://issuer.idwallet.example/status/1")
            .with_mdl(signer, iaca.certificate().to_vec());
        let status = issuer.new_status_list(CITIZENS).expect("a list of a fixed, small size");
        Arc::new(Self { issuer: Arc::new(issuer), status: Mutex::new(status) })
    }

    /// Issue all five documents of synthetic citizen `citizen` (1…1024) to `wallet`'s
    /// device key, valid for `valid_secs` (negative: already expired, for tests). With
    /// `id_photo` (JPEG/PNG of a real face) the citizen gets that face: the QR thumbnail
    /// and the reference portrait the holder's live face must match to enrol, which is
    /// delivered to the wallet too. Without it the thumbnail is drawn and no face can be
    /// enrolled.
    #[uniffi::method(default(id_photo = None))]
    pub async fn issue_citizen(
        &self,
        wallet: Arc<Wallet>,
        citizen: u32,
        valid_secs: i64,
        id_photo: Option<Vec<u8>>,
    ) -> Result<(), WalletError> {
        if !(1..=CITIZENS).contains(&citizen) {
            return Err(WalletError::InvalidInput { reason: "synthetic citizens are numbered 1…1024".into() });
        }
        let issuer = self.issuer.clone();
        wallet
            .with_blocking(move |w| {
                let mut person = synthetic::citizen(citizen);
                if let Some(photo) = id_photo {
                    person = person.with_photo(&photo, None).map_err(core::CredentialError::from)?;
                }
                let now = now();
                let (iat, exp) =
                    if valid_secs < 0 { (now + valid_secs * 2, now + valid_secs) } else { (now, now + valid_secs) };
                let of = core::Person {
                    number: citizen,
                    documents: &person.documents,
                    thumbnail: &person.portrait,
                    reference_portrait: person.reference_portrait.as_deref(),
                };
                let roots = issuer.trust_list().iaca;
                for issued in issuer.issue_documents(&of, &w.device_public_key()?, iat, exp)? {
                    w.store_document(issued.claims, issued.credential)?;
                    if let Some(mdoc) = issued.mdoc.filter(|_| valid_secs >= 0) {
                        w.store_mdoc(mdoc, &roots)?;
                    }
                }
                if let Some(reference) = &person.reference_portrait {
                    w.store_reference_portrait(reference)?;
                }
                Ok::<_, idwallet_core::WalletError>(())
            })
            .await
    }

    /// The trust list (CBOR) verifiers need for this issuer.
    pub fn trust_list(&self) -> Vec<u8> {
        self.issuer.trust_list().to_cbor()
    }

    /// Revoke the `kind` document of `citizen`.
    pub fn revoke(&self, citizen: u32, kind: DocumentKind) -> Result<(), CredentialError> {
        let mut list = self.status.lock().unwrap_or_else(|p| p.into_inner());
        Ok(self.issuer.set_status(&mut list, citizen, kind, status::INVALID)?)
    }

    /// A signed status list token reflecting revocations so far (ttl 1 hour).
    pub fn status_list(&self) -> Result<Vec<u8>, CredentialError> {
        let list = self.status.lock().unwrap_or_else(|p| p.into_inner());
        Ok(self.issuer.status_token(&list, now())?)
    }
}

/// The registry photos that play synthetic citizen `citizen`'s face (fetched by
/// `models/fetch.sh` as `photos/NAME.jpg`): `id_photo` for the issuer, `live_photo` for
/// the holder in front of a [`SyntheticCamera`].
#[derive(uniffi::Record)]
pub struct SyntheticFace {
    pub id_photo: String,
    pub live_photo: String,
}

/// The face synthetic citizen `citizen` has (the registry's three people in turn).
#[uniffi::export]
pub fn synthetic_face(citizen: u32) -> SyntheticFace {
    let face = synthetic::real_face(citizen);
    SyntheticFace { id_photo: face.id_photo.into(), live_photo: face.live_photo.into() }
}

/// How a [`SyntheticCamera`]'s subject behaves.
#[derive(uniffi::Enum, Clone, Copy)]
pub enum SyntheticAct {
    /// A live holder: makes the movements asked for.
    Genuine,
    /// A print held still in front of the camera.
    StillPrint,
    /// The same frame again and again (a frozen or injected feed).
    Frozen,
}

/// A camera for tests and demos that have none: SYNTHETIC frames of the person in a photo,
/// re-rendered as a head that turns and blinks as the session asks. It can pass a liveness
/// session, which is why it must never stand in for a real camera in an app.
#[derive(uniffi::Object)]
pub struct SyntheticCamera {
    subject: Mutex<idwallet_core::face::synthetic::Subject>,
}

#[uniffi::export]
impl SyntheticCamera {
    /// A camera in front of the person in `photo` (JPEG/PNG), acting as `act`.
    #[uniffi::constructor]
    pub async fn create(models: Arc<FaceModels>, photo: Vec<u8>, act: SyntheticAct) -> Result<Arc<Self>, FaceError> {
        use idwallet_core::face::synthetic::{Act, Subject};
        let act = match act {
            SyntheticAct::Genuine => Act::Genuine,
            SyntheticAct::StillPrint => Act::StillPrint,
            SyntheticAct::Frozen => Act::Frozen,
        };
        let m = models.inner.clone();
        let subject = run_blocking(move || Subject::new(&m, Frame::Encoded(photo), act)).await?;
        Ok(Arc::new(Self { subject: Mutex::new(subject) }))
    }

    /// The next frame, answering what the session said last (`null` before the first).
    pub fn next_frame(&self, last: Option<UnlockProgress>) -> CameraFrame {
        let progress = match last {
            Some(UnlockProgress::Moving { index, count, challenge, done }) => live::Progress::Moving {
                index: index as usize,
                count: count as usize,
                challenge: challenge.into(),
                done,
            },
            Some(UnlockProgress::Returning { index, count }) => {
                live::Progress::Returning { index: index as usize, count: count as usize }
            }
            Some(UnlockProgress::ShowColour { red, green, blue, until_ms }) => {
                live::Progress::ShowColour { rgb: [red, green, blue], until_ms }
            }
            _ => live::Progress::Searching { hint: live::Hint::NoFace },
        };
        match self.subject.lock().unwrap_or_else(|p| p.into_inner()).next_frame(&progress) {
            Frame::Encoded(bytes) => CameraFrame::Encoded { bytes },
            Frame::Raw { format, width, height, stride, rotation, data } => {
                CameraFrame::Raw { format: format.into(), width, height, stride, rotation, data }
            }
        }
    }
}

impl From<Challenge> for live::Challenge {
    fn from(c: Challenge) -> Self {
        match c {
            Challenge::TurnLeft => Self::TurnLeft,
            Challenge::TurnRight => Self::TurnRight,
            Challenge::LookUp => Self::LookUp,
            Challenge::Blink => Self::Blink,
        }
    }
}
