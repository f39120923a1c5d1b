//! The reader's side (police mode, §9.1.1, §8.3.2.1.2): from a scanned `mdoc:` engagement,
//! a fresh ephemeral key and the session keys; a DeviceRequest for the elements needed,
//! sent in the SessionEstablishment; then the wallet's DeviceResponse decrypted and verified
//! ([`super::response`]) against the IACA roots the reader trusts. Works with any 18013-5
//! wallet's mDL, not only ours. Sans I/O.

use ciborium::Value;
use zeroize::Zeroizing;

use super::engagement::DeviceEngagement;
use super::iaca::Anchors;
use super::response::{verify_device_response, Session, VerifiedResponse};
use super::session::{Sender, SessionKeys};
use super::{
    cose_key, decode, encode, ephemeral_key, field, malformed, session_transcript_bytes, tagged, text_map, MdlError,
    MDL_DOCTYPE,
};

/// What a reader asks for: `(namespace, element, intent to retain)`.
pub type Wanted = (String, String, bool);

/// The elements a police road check asks for (none retained).
pub fn road_check_request() -> Vec<Wanted> {
    [
        "family_name",
        "given_name",
        "birth_date",
        "portrait",
        "document_number",
        "issue_date",
        "expiry_date",
        "driving_privileges",
    ]
    .iter()
    .map(|e| (super::MDL_NAMESPACE.to_owned(), (*e).to_owned(), false))
    .chain(["points", "licence_status"].iter().map(|e| (super::CN_NAMESPACE.to_owned(), (*e).to_owned(), false)))
    .collect()
}

enum State {
    Engaged,
    Requested,
    Ended,
}

/// One session with one holder's phone.
pub struct ReaderSession {
    e_reader_private: Zeroizing<[u8; 32]>,
    transcript: Vec<u8>,
    keys: SessionKeys,
    e_reader_key_bytes: Value,
    state: State,
    /// What was asked, to tell the reader what did not come back.
    requested: Vec<(String, String)>,
}

impl std::fmt::Debug for ReaderSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReaderSession").finish_non_exhaustive()
    }
}

impl ReaderSession {
    /// Start from a scanned engagement (`mdoc:` URI).
    pub fn from_uri(uri: &str) -> Result<Self, MdlError> {
        Self::new(&DeviceEngagement::from_uri(uri)?)
    }

    pub fn new(engagement: &DeviceEngagement) -> Result<Self, MdlError> {
        let (e_reader_private, e_reader_public) = ephemeral_key();
        let transcript = session_transcript_bytes(engagement.bytes(), &e_reader_public)?;
        let keys = SessionKeys::derive(e_reader_private.as_ref(), &engagement.e_device_key, &transcript)?;
        let e_reader_key_bytes = tagged(&cose_key(&e_reader_public)?);
        Ok(Self { e_reader_private, transcript, keys, e_reader_key_bytes, state: State::Engaged, requested: vec![] })
    }

    /// SessionTranscriptBytes: what the device's signature is bound to (`mdl verify --transcript`).
    pub fn transcript(&self) -> &[u8] {
        &self.transcript
    }

    /// The SessionEstablishment carrying a DeviceRequest for `wanted` of the mDL.
    pub fn request(&mut self, wanted: &[Wanted]) -> Result<Vec<u8>, MdlError> {
        if !matches!(self.state, State::Engaged) {
            return Err(MdlError::OutOfOrder);
        }
        let mut name_spaces: Vec<(&str, Vec<(Value, Value)>)> = Vec::new();
        for (namespace, element, retain) in wanted {
            let entry = (Value::Text(element.clone()), Value::Bool(*retain));
            match name_spaces.iter_mut().find(|(n, _)| n == namespace) {
                Some((_, list)) => list.push(entry),
                None => name_spaces.push((namespace, vec![entry])),
            }
        }
        let items = text_map(vec![
            ("docType", Value::Text(MDL_DOCTYPE.into())),
            (
                "nameSpaces",
                text_map(
                    name_spaces.into_iter().map(|(n, l)| (n, crate::credential::cbor::canonical_map(l))).collect(),
                ),
            ),
        ]);
        let request = text_map(vec![
            ("version", Value::Text("1.0".into())),
            ("docRequests", Value::Array(vec![text_map(vec![("itemsRequest", tagged(&items))])])),
        ]);
        let data = self.keys.encrypt(Sender::Reader, 1, &encode(&request));
        self.state = State::Requested;
        self.requested = wanted.iter().map(|(n, e, _)| (n.clone(), e.clone())).collect();
        Ok(encode(&text_map(vec![("eReaderKey", self.e_reader_key_bytes.clone()), ("data", Value::Bytes(data))])))
    }

    /// Decrypt and verify the wallet's answer at `now`: its documents under `anchors`, bound
    /// to this session. A termination (the holder declined) is [`MdlError::Terminated`].
    pub fn receive(
        &mut self,
        session_data: &[u8],
        anchors: Anchors<'_>,
        now: i64,
    ) -> Result<VerifiedResponse, MdlError> {
        let response = self.open(session_data)?;
        self.verify(&response, anchors, now)
    }

    /// The DeviceResponse inside the wallet's SessionData, decrypted but not yet verified.
    pub fn open(&mut self, session_data: &[u8]) -> Result<Vec<u8>, MdlError> {
        if !matches!(self.state, State::Requested) {
            return Err(MdlError::OutOfOrder);
        }
        self.state = State::Ended;
        let message = decode(session_data, "SessionData")?;
        let Some(data) = field(&message, "data") else {
            let status = field(&message, "status").and_then(Value::as_integer).ok_or(malformed("SessionData"))?;
            return Err(MdlError::Terminated { status: u64::try_from(status).unwrap_or(u64::MAX) });
        };
        self.keys.decrypt(Sender::Device, 1, data.as_bytes().ok_or(malformed("SessionData data"))?)
    }

    /// Verify a DeviceResponse of this session. `not_returned` lists every requested
    /// element that did not come back verified, whether or not the holder said so.
    pub fn verify(&self, response: &[u8], anchors: Anchors<'_>, now: i64) -> Result<VerifiedResponse, MdlError> {
        let session = Session { transcript_bytes: &self.transcript, e_reader_private: self.e_reader_private.as_ref() };
        let mut verified = verify_device_response(response, &session, anchors, now)?;
        let returned = |(n, e): &(String, String)| {
            verified.documents.iter().any(|d| d.doc_type == MDL_DOCTYPE && d.element(n, e).is_some())
        };
        let missing: Vec<(String, String)> = self.requested.iter().filter(|w| !returned(w)).cloned().collect();
        verified.not_returned.retain(|r| !missing.contains(r));
        verified.not_returned.extend(missing);
        Ok(verified)
    }
}
