//! The holder's side of an mDL session (ISO 18013-5 §9.1.1, §8.3.2.1): show a device
//! engagement, read the reader's SessionEstablishment, lay each requested element before the
//! holder with its intent-to-retain and whether the [`ReaderPolicy`] lets this reader have
//! it, then answer with exactly the approved elements as the issuer signed them and a device
//! signature (through the `KeyStore`) over this session's transcript. The face gate is the
//! wallet's ([`crate::Wallet::mdl_respond`]). Sans I/O: messages in, messages out.

use ciborium::Value;
use zeroize::Zeroizing;

use super::engagement::{DeviceEngagement, RetrievalMethod};
use super::session::{cose_key_to_sec1, Sender, SessionKeys};
use super::{
    decode, decode_tagged, encode, ephemeral_key, field, malformed, session_transcript_bytes, tagged, text_map,
    MdlError, CN_NAMESPACE, MDL_DOCTYPE, MDL_NAMESPACE,
};
use crate::credential::cose;
use crate::platform::KeyStore;

/// SessionData status 20: session termination (§9.1.1.4).
pub const STATUS_TERMINATION: u64 = 20;

/// What a reader of a given audience may be given. Anything else it asks for is shown to
/// the holder as not allowed, and cannot be approved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderPolicy {
    /// The audience, as the face gate's disclosure policy names it (its unlock window).
    pub audience: String,
    allowed: Vec<(String, String)>,
}

impl ReaderPolicy {
    /// A police road check: every element of the licence.
    pub fn police() -> Self {
        let all = [
            "family_name",
            "given_name",
            "family_name_national_character",
            "given_name_national_character",
            "birth_date",
            "sex",
            "issue_date",
            "expiry_date",
            "issuing_country",
            "issuing_authority",
            "document_number",
            "portrait",
            "driving_privileges",
            "un_distinguishing_sign",
            "age_over_18",
        ];
        let mut allowed: Vec<(String, String)> = all.iter().map(|e| (MDL_NAMESPACE.into(), (*e).into())).collect();
        allowed.extend(["first_issue", "points", "licence_status"].iter().map(|e| (CN_NAMESPACE.into(), (*e).into())));
        Self { audience: "police".into(), allowed }
    }

    /// An age check (a shop, a bar): that the holder is over 18, and the portrait to see it is them.
    pub fn age_check() -> Self {
        Self {
            audience: "age-check".into(),
            allowed: vec![(MDL_NAMESPACE.into(), "age_over_18".into()), (MDL_NAMESPACE.into(), "portrait".into())],
        }
    }

    /// A policy by audience name.
    pub fn named(audience: &str) -> Option<Self> {
        match audience {
            "police" => Some(Self::police()),
            "age-check" => Some(Self::age_check()),
            _ => None,
        }
    }

    pub fn allows(&self, namespace: &str, element: &str) -> bool {
        self.allowed.iter().any(|(n, e)| n == namespace && e == element)
    }
}

/// One element the reader asked for, as the holder is shown it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedElement {
    pub namespace: String,
    pub element: String,
    /// The reader says it will keep the value.
    pub intent_to_retain: bool,
    /// The policy lets this reader have it.
    pub allowed: bool,
}

/// The reader's request, for the holder's consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRequest {
    pub doc_type: String,
    pub elements: Vec<RequestedElement>,
}

impl ConsentRequest {
    /// Every element the policy allows: what a holder approves with one tap.
    pub fn allowed(&self) -> Vec<(String, String)> {
        self.elements.iter().filter(|e| e.allowed).map(|e| (e.namespace.clone(), e.element.clone())).collect()
    }
}

enum State {
    Engaged,
    Requested { keys: SessionKeys, transcript: Vec<u8>, request: ConsentRequest },
    Ended,
}

/// One engagement with one reader.
pub struct HolderSession {
    e_device_private: Zeroizing<[u8; 32]>,
    engagement: DeviceEngagement,
    policy: ReaderPolicy,
    state: State,
}

impl std::fmt::Debug for HolderSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HolderSession").field("audience", &self.policy.audience).finish_non_exhaustive()
    }
}

impl HolderSession {
    /// A new session with a fresh ephemeral key, reachable by `methods`, for a reader of `policy`.
    pub fn new(policy: ReaderPolicy, methods: Vec<RetrievalMethod>) -> Result<Self, MdlError> {
        let (e_device_private, e_device_public) = ephemeral_key();
        let engagement = DeviceEngagement::new(&e_device_public, methods)?;
        Ok(Self { e_device_private, engagement, policy, state: State::Engaged })
    }

    pub fn engagement(&self) -> &DeviceEngagement {
        &self.engagement
    }

    pub fn policy(&self) -> &ReaderPolicy {
        &self.policy
    }

    /// Read the reader's SessionEstablishment: derive the keys, decrypt the DeviceRequest,
    /// and return what it asks for, each element marked allowed or not. Only the mDL is held.
    pub fn receive_request(&mut self, establishment: &[u8]) -> Result<ConsentRequest, MdlError> {
        if !matches!(self.state, State::Engaged) {
            return Err(MdlError::OutOfOrder);
        }
        let message = decode(establishment, "SessionEstablishment")?;
        let e_reader_key_bytes = field(&message, "eReaderKey").ok_or(malformed("eReaderKey"))?;
        let e_reader_key = cose_key_to_sec1(&decode_tagged(e_reader_key_bytes, "EReaderKeyBytes")?)?;
        let data = field(&message, "data").and_then(Value::as_bytes).ok_or(malformed("SessionEstablishment data"))?;
        let transcript = session_transcript_bytes(self.engagement.bytes(), &e_reader_key)?;
        let keys = SessionKeys::derive(self.e_device_private.as_ref(), &e_reader_key, &transcript)?;
        let request = parse_device_request(&keys.decrypt(Sender::Reader, 1, data)?, &self.policy)?;
        self.state = State::Requested { keys, transcript, request: request.clone() };
        Ok(request)
    }

    /// Answer with the `approved` elements of `issuer_signed` (the held mdoc), signed by the
    /// device key: the encrypted SessionData to send. Requested elements not approved (or not
    /// held) are listed as not returned. Approving an element the policy forbids, or one the
    /// reader did not ask for, is refused. Approving nothing is declining: not even the MSO
    /// (with the device key, which would let readers link sessions) leaves the phone.
    pub fn respond(
        &mut self,
        issuer_signed: &[u8],
        approved: &[(String, String)],
        key_store: &dyn KeyStore,
    ) -> Result<Vec<u8>, MdlError> {
        let State::Requested { keys, transcript, request } = &self.state else {
            return Err(MdlError::OutOfOrder);
        };
        for (namespace, element) in approved {
            let asked = request.elements.iter().find(|e| &e.namespace == namespace && &e.element == element);
            if !asked.is_some_and(|e| e.allowed) {
                return Err(MdlError::NotAllowed { namespace: namespace.clone(), element: element.clone() });
            }
        }
        if approved.is_empty() {
            return Ok(self.decline());
        }
        let response = device_response(issuer_signed, request, approved, transcript, key_store)?;
        let message = text_map(vec![("data", Value::Bytes(keys.encrypt(Sender::Device, 1, &response)))]);
        self.state = State::Ended;
        tracing::info!(target: "idwallet::mdl", audience = %self.policy.audience, elements = approved.len(), "mDL presented");
        Ok(encode(&message))
    }

    /// Decline: end the session without disclosing anything (status 20).
    pub fn decline(&mut self) -> Vec<u8> {
        self.state = State::Ended;
        encode(&text_map(vec![("status", Value::from(STATUS_TERMINATION))]))
    }
}

/// `DeviceRequest = {"version": "1.0", "docRequests": [{"itemsRequest": #6.24(ItemsRequest), ? "readerAuth"}]}`;
/// the mDL's request, its elements in the order asked.
fn parse_device_request(bytes: &[u8], policy: &ReaderPolicy) -> Result<ConsentRequest, MdlError> {
    let request = decode(bytes, "DeviceRequest")?;
    if !field(&request, "version").and_then(Value::as_text).is_some_and(|v| v.starts_with("1.")) {
        return Err(MdlError::Unsupported { what: "a DeviceRequest version other than 1.x" });
    }
    let doc_requests = field(&request, "docRequests").and_then(Value::as_array).ok_or(malformed("docRequests"))?;
    for doc_request in doc_requests {
        let items =
            decode_tagged(field(doc_request, "itemsRequest").ok_or(malformed("itemsRequest"))?, "ItemsRequest")?;
        let doc_type = field(&items, "docType").and_then(Value::as_text).ok_or(malformed("docType"))?;
        if doc_type != MDL_DOCTYPE {
            continue;
        }
        let mut elements = Vec::new();
        for (namespace, wanted) in field(&items, "nameSpaces").and_then(Value::as_map).ok_or(malformed("nameSpaces"))? {
            let namespace = namespace.as_text().ok_or(malformed("namespace"))?;
            for (element, retain) in wanted.as_map().ok_or(malformed("DataElements"))? {
                let element = element.as_text().ok_or(malformed("element identifier"))?;
                let intent_to_retain = retain.as_bool().ok_or(malformed("IntentToRetain"))?;
                elements.push(RequestedElement {
                    namespace: namespace.into(),
                    element: element.into(),
                    intent_to_retain,
                    allowed: policy.allows(namespace, element),
                });
            }
        }
        return Ok(ConsentRequest { doc_type: doc_type.into(), elements });
    }
    Err(MdlError::NothingRequested)
}

/// The DeviceResponse: the approved IssuerSignedItems as issued (byte for byte), the rest of
/// the request under `errors` (0: data not returned), and the device signature over
/// `DeviceAuthentication(SessionTranscript, DocType, DeviceNameSpacesBytes)`.
fn device_response(
    issuer_signed: &[u8],
    request: &ConsentRequest,
    approved: &[(String, String)],
    transcript_bytes: &[u8],
    key_store: &dyn KeyStore,
) -> Result<Vec<u8>, MdlError> {
    let held = decode(issuer_signed, "IssuerSigned")?;
    let issuer_auth = field(&held, "issuerAuth").ok_or(malformed("issuerAuth"))?.clone();
    let mut name_spaces = Vec::new();
    let mut returned = Vec::new();
    for (namespace, items) in field(&held, "nameSpaces").and_then(Value::as_map).ok_or(malformed("nameSpaces"))? {
        let namespace = namespace.as_text().ok_or(malformed("namespace"))?;
        let mut chosen = Vec::new();
        for item in items.as_array().ok_or(malformed("namespace items"))? {
            let decoded = decode_tagged(item, "IssuerSignedItem")?;
            let element = field(&decoded, "elementIdentifier").and_then(Value::as_text).ok_or(malformed("element"))?;
            if approved.iter().any(|(n, e)| n == namespace && e == element) {
                chosen.push(item.clone());
                returned.push((namespace.to_owned(), element.to_owned()));
            }
        }
        if !chosen.is_empty() {
            name_spaces.push((namespace, Value::Array(chosen)));
        }
    }
    let mut errors: Vec<(&str, Vec<(Value, Value)>)> = Vec::new();
    for e in &request.elements {
        if !returned.iter().any(|(n, el)| *n == e.namespace && *el == e.element) {
            let entry = (Value::Text(e.element.clone()), Value::from(0));
            match errors.iter_mut().find(|(n, _)| *n == e.namespace) {
                Some((_, list)) => list.push(entry),
                None => errors.push((&e.namespace, vec![entry])),
            }
        }
    }

    let device_name_spaces = tagged(&text_map(vec![]));
    let transcript = decode_tagged(&decode(transcript_bytes, "SessionTranscript")?, "SessionTranscript")?;
    let authentication = Value::Array(vec![
        Value::Text("DeviceAuthentication".into()),
        transcript,
        Value::Text(MDL_DOCTYPE.into()),
        device_name_spaces.clone(),
    ]);
    let authentication_bytes = encode(&tagged(&authentication));
    let mut signature = cose::sign_es256(None, vec![], authentication_bytes, &[], |data| key_store.sign(data))
        .map_err(|e| MdlError::Signing { reason: e.to_string() })?;
    // Detached: the reader rebuilds DeviceAuthenticationBytes from its own transcript.
    signature.payload = None;
    use coset::AsCborValue;
    let signature = signature.to_cbor_value().map_err(|_| MdlError::Signing { reason: "COSE encoding".into() })?;

    let mut document = vec![
        ("docType", Value::Text(MDL_DOCTYPE.into())),
        ("issuerSigned", text_map(vec![("nameSpaces", text_map(name_spaces)), ("issuerAuth", issuer_auth)])),
        (
            "deviceSigned",
            text_map(vec![
                ("nameSpaces", device_name_spaces),
                ("deviceAuth", text_map(vec![("deviceSignature", signature)])),
            ]),
        ),
    ];
    if !errors.is_empty() {
        document.push((
            "errors",
            text_map(errors.into_iter().map(|(n, list)| (n, crate::credential::cbor::canonical_map(list))).collect()),
        ));
    }
    Ok(encode(&text_map(vec![
        ("version", Value::Text("1.0".into())),
        ("documents", Value::Array(vec![text_map(document)])),
        ("status", Value::from(0)),
    ])))
}
