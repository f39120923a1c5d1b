//! The ISO 18013-5 mDL over the FFI: a holder session on the wallet (engagement QR, the
//! reader's request for consent, the face-gated answer) and a police reader for any
//! wallet's mDL. The radio is the app's: it carries the byte messages these return.

use std::sync::{Arc, Mutex};

use idwallet_core::mdl::holder::{self, HolderSession, ReaderPolicy};
use idwallet_core::mdl::iaca::Anchors;
use idwallet_core::mdl::reader::{self, ReaderSession};
use idwallet_core::mdl::{engagement::RetrievalMethod, response};

use crate::errors::{MdlError, WalletError};
use crate::runtime::run_blocking;
use crate::wallet::Wallet;

/// Who reads the licence: what they may be given (`ReaderPolicy` in core).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum MdlAudience {
    /// A police road check: every element of the licence.
    Police,
    /// An age check: over 18, and the portrait.
    AgeCheck,
}

impl MdlAudience {
    fn policy(self) -> ReaderPolicy {
        match self {
            Self::Police => ReaderPolicy::police(),
            Self::AgeCheck => ReaderPolicy::age_check(),
        }
    }
}

/// An element by name: `org.iso.18013.5.1` / `family_name`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MdlElementId {
    pub namespace: String,
    pub element: String,
}

/// One element the reader asked for, as the holder is shown it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MdlRequestedElement {
    pub id: MdlElementId,
    /// The reader says it will keep the value.
    pub intent_to_retain: bool,
    /// This audience may have it; only allowed elements can be approved.
    pub allowed: bool,
}

/// The reader's request, for the holder's consent.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MdlConsentRequest {
    pub doc_type: String,
    pub elements: Vec<MdlRequestedElement>,
}

/// A disclosed value.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum MdlValue {
    Text {
        value: String,
    },
    /// A full-date, `YYYY-MM-DD`.
    Date {
        value: String,
    },
    Integer {
        value: i64,
    },
    Boolean {
        value: bool,
    },
    /// Bytes (the portrait is a JPEG).
    Bytes {
        value: Vec<u8>,
    },
    /// Anything structured (driving_privileges), as its CBOR.
    Cbor {
        value: Vec<u8>,
    },
}

impl From<&idwallet_core::mdl::Value> for MdlValue {
    fn from(v: &idwallet_core::mdl::Value) -> Self {
        use idwallet_core::mdl::Value as V;
        match v {
            V::Text(t) => Self::Text { value: t.clone() },
            V::Tag(1004, inner) if inner.is_text() => Self::Date { value: inner.as_text().unwrap_or_default().into() },
            V::Integer(i) if i64::try_from(*i).is_ok() => {
                Self::Integer { value: i64::try_from(*i).unwrap_or_default() }
            }
            V::Bool(b) => Self::Boolean { value: *b },
            V::Bytes(b) => Self::Bytes { value: b.clone() },
            other => Self::Cbor { value: idwallet_core::mdl::to_cbor(other) },
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MdlElement {
    pub id: MdlElementId,
    pub value: MdlValue,
}

/// One verified document.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MdlDocument {
    pub doc_type: String,
    pub elements: Vec<MdlElement>,
    /// The document signer certificate (DER) that chains to a trusted IACA root.
    pub document_signer: Vec<u8>,
}

/// The reader's verdict: verified documents, and what the holder did not return.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MdlVerdict {
    pub documents: Vec<MdlDocument>,
    pub not_returned: Vec<MdlElementId>,
    /// The DeviceResponse as received and verified (CBOR), for a reader that must keep
    /// evidence where the law allows — personal data: keep only what the request said.
    pub device_response: Vec<u8>,
}

fn id((namespace, element): (String, String)) -> MdlElementId {
    MdlElementId { namespace, element }
}

impl MdlVerdict {
    fn new(v: response::VerifiedResponse, device_response: Vec<u8>) -> Self {
        Self {
            device_response,
            documents: v
                .documents
                .into_iter()
                .map(|d| MdlDocument {
                    doc_type: d.doc_type,
                    elements: d
                        .elements
                        .iter()
                        .map(|(n, e, value)| MdlElement { id: id((n.clone(), e.clone())), value: value.into() })
                        .collect(),
                    document_signer: d.document_signer,
                })
                .collect(),
            not_returned: v.not_returned.into_iter().map(id).collect(),
        }
    }
}

/// One engagement of the holder's phone with one reader. Show [`Self::engagement_uri`] as a
/// QR code, hand the reader's first message to [`Self::receive_request`], ask the holder,
/// then send what [`Self::approve`] or [`Self::decline`] returns.
#[derive(uniffi::Object)]
pub struct MdlHolderSession {
    wallet: Arc<Wallet>,
    session: Arc<Mutex<HolderSession>>,
    uri: String,
}

#[uniffi::export]
impl MdlHolderSession {
    /// A new session for a reader of `audience`, reachable over BLE (peripheral server
    /// mode, a fresh service UUID) as the engagement says.
    #[uniffi::constructor]
    pub fn new(wallet: Arc<Wallet>, audience: MdlAudience) -> Result<Arc<Self>, MdlError> {
        let session = HolderSession::new(audience.policy(), vec![RetrievalMethod::ble_peripheral()])?;
        let uri = session.engagement().to_uri();
        Ok(Arc::new(Self { wallet, session: Arc::new(Mutex::new(session)), uri }))
    }

    /// The device engagement's QR text (`mdoc:…`).
    pub fn engagement_uri(&self) -> String {
        self.uri.clone()
    }

    /// The engagement as a QR code PNG (ECC M, 6 px modules), to show full screen.
    pub fn engagement_qr_png(&self) -> Result<Vec<u8>, MdlError> {
        idwallet_core::credential::qr::to_png(&self.uri, 6).map_err(|e| MdlError::Unsupported(e.to_string()))
    }

    /// The BLE service UUID the engagement announces (16 bytes), for the app's radio.
    pub fn ble_service_uuid(&self) -> Option<Vec<u8>> {
        let session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        session.engagement().methods.iter().find_map(|m| match m {
            RetrievalMethod::Ble { peripheral_server: Some(uuid), .. } => Some(uuid.to_vec()),
            _ => None,
        })
    }

    /// Read the reader's SessionEstablishment: what it asks for, each element marked allowed or not.
    pub async fn receive_request(&self, message: Vec<u8>) -> Result<MdlConsentRequest, MdlError> {
        let session = self.session.clone();
        let request =
            run_blocking(move || session.lock().unwrap_or_else(|p| p.into_inner()).receive_request(&message)).await?;
        Ok(consent(request))
    }

    /// Answer with `approved` (allowed elements the reader asked for): needs a recent face
    /// unlock, like a QR code. Returns the SessionData to send.
    pub async fn approve(&self, approved: Vec<MdlElementId>) -> Result<Vec<u8>, WalletError> {
        let session = self.session.clone();
        let approved: Vec<(String, String)> = approved.into_iter().map(|e| (e.namespace, e.element)).collect();
        self.wallet
            .with_blocking(move |w| {
                let mut session = session.lock().unwrap_or_else(|p| p.into_inner());
                w.mdl_respond(&mut session, &approved, w.now())
            })
            .await
    }

    /// Decline: the session-termination message to send; nothing is disclosed.
    pub fn decline(&self) -> Vec<u8> {
        self.session.lock().unwrap_or_else(|p| p.into_inner()).decline()
    }
}

fn consent(request: holder::ConsentRequest) -> MdlConsentRequest {
    MdlConsentRequest {
        doc_type: request.doc_type,
        elements: request
            .elements
            .into_iter()
            .map(|e| MdlRequestedElement {
                id: id((e.namespace, e.element)),
                intent_to_retain: e.intent_to_retain,
                allowed: e.allowed,
            })
            .collect(),
    }
}

/// What a reader asks for.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MdlWanted {
    pub id: MdlElementId,
    pub intent_to_retain: bool,
}

/// The IACA root certificates (DER) a trust list (CBOR) carries, for an [`MdlReader`].
#[uniffi::export]
pub fn mdl_iaca_roots(trust_list: Vec<u8>) -> Result<Vec<Vec<u8>>, crate::errors::CredentialError> {
    Ok(idwallet_core::credential::TrustList::from_cbor(&trust_list)?.iaca)
}

/// What a police road check asks for (names, dates, portrait, number, privileges, points), none retained.
#[uniffi::export]
pub fn mdl_road_check() -> Vec<MdlWanted> {
    reader::road_check_request()
        .into_iter()
        .map(|(namespace, element, intent_to_retain)| MdlWanted {
            id: MdlElementId { namespace, element },
            intent_to_retain,
        })
        .collect()
}

/// A police reader for any wallet's mDL: from the scanned engagement, one request, one
/// verified answer, against the IACA roots it trusts (`SyntheticIssuer.trustList`'s or an
/// issuing authority's `iaca.der`).
#[derive(uniffi::Object)]
pub struct MdlReader {
    session: Arc<Mutex<ReaderSession>>,
    roots: Vec<Vec<u8>>,
}

#[uniffi::export]
impl MdlReader {
    #[uniffi::constructor]
    pub fn new(engagement_uri: String, iaca_roots: Vec<Vec<u8>>) -> Result<Arc<Self>, MdlError> {
        let session = ReaderSession::from_uri(&engagement_uri)?;
        // Roots are read now (DER or PEM), so a bad one fails here, not at the road check.
        let roots = iaca_roots.iter().map(|r| idwallet_core::mdl::iaca::read_root(r)).collect::<Result<_, _>>()?;
        Ok(Arc::new(Self { session: Arc::new(Mutex::new(session)), roots }))
    }

    /// The first message to send: SessionEstablishment with a DeviceRequest for `wanted`.
    pub fn request(&self, wanted: Vec<MdlWanted>) -> Result<Vec<u8>, MdlError> {
        let wanted: Vec<reader::Wanted> =
            wanted.into_iter().map(|w| (w.id.namespace, w.id.element, w.intent_to_retain)).collect();
        Ok(self.session.lock().unwrap_or_else(|p| p.into_inner()).request(&wanted)?)
    }

    /// Decrypt and verify the holder's answer at `at` (Unix seconds; now if absent).
    pub async fn receive(&self, message: Vec<u8>, at: Option<i64>) -> Result<MdlVerdict, MdlError> {
        let session = self.session.clone();
        let roots = self.roots.clone();
        let now = at.unwrap_or_else(idwallet_core::now_unix);
        run_blocking(move || {
            let mut session = session.lock().unwrap_or_else(|p| p.into_inner());
            let response = session.open(&message)?;
            let verified = session.verify(&response, Anchors::Iaca(&roots), now)?;
            Ok(MdlVerdict::new(verified, response))
        })
        .await
        .map_err(|e: idwallet_core::mdl::MdlError| e.into())
    }

    /// SessionTranscriptBytes: what the device signature in the answer is bound to.
    pub fn session_transcript(&self) -> Vec<u8> {
        self.session.lock().unwrap_or_else(|p| p.into_inner()).transcript().to_vec()
    }
}

#[uniffi::export]
impl Wallet {
    /// The held licence's mdoc (IssuerSigned CBOR), every element as issued: needs a recent
    /// face unlock, and is logged, like any disclosure.
    pub async fn export_mdoc(&self) -> Result<Vec<u8>, WalletError> {
        self.with_blocking(|w| w.export_mdoc(w.now())).await
    }
}
