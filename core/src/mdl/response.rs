//! The reader's check of a DeviceResponse (ISO 18013-5 §8.3.2.1.2, §9.1.2–9.1.3): for each
//! document, issuerAuth (COSE_Sign1, ES256) under the document signer certificate it
//! carries (`x5chain`), that certificate's and the MSO's validity now, the document type the
//! MSO signs, every disclosed element against its digest in the MSO, and the device's MAC
//! (or signature) over `DeviceAuthentication(SessionTranscript, DocType, DeviceNameSpacesBytes)`
//! by the device key the MSO names. The document signer must chain to a trusted IACA root
//! ([`super::iaca`]) or be the one pinned.

use ciborium::Value;
use coset::{AsCborValue, CoseMac0, CoseSign1};

use super::iaca::{check_document_signer, Anchors};
use super::session::{cose_key_to_sec1, ecdh, hkdf_sha256};
use super::{decode, encode, field, malformed, sha256, tagged_bytes, tdate, MdlError};

/// `x5chain` (RFC 9360): the certificate(s) in issuerAuth's unprotected header.
const X5CHAIN: i64 = 33;

/// One verified document of a DeviceResponse.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedDocument {
    pub doc_type: String,
    /// `(namespace, element identifier, value)`, as disclosed and verified.
    pub elements: Vec<(String, String, Value)>,
    /// The document signer certificate (DER) that signed it.
    pub document_signer: Vec<u8>,
    /// The device key the MSO binds (SEC1).
    pub device_key: Vec<u8>,
}

impl VerifiedDocument {
    /// The value of `element` in `namespace`, if disclosed.
    pub fn element(&self, namespace: &str, element: &str) -> Option<&Value> {
        self.elements.iter().find(|(n, e, _)| n == namespace && e == element).map(|(_, _, v)| v)
    }
}

/// How the device authenticates the session: the reader's ephemeral private key (for a
/// MAC, which needs ECDH with the device key), and the SessionTranscriptBytes.
pub struct Session<'a> {
    pub transcript_bytes: &'a [u8],
    pub e_reader_private: &'a [u8],
}

/// A verified DeviceResponse: its documents, and the elements the holder did not return
/// (`errors`: declined, or not held).
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedResponse {
    pub documents: Vec<VerifiedDocument>,
    pub not_returned: Vec<(String, String)>,
}

/// Verify every document of `response` at `now` (Unix seconds), its signer under `anchors`.
pub fn verify_device_response(
    response: &[u8],
    session: &Session<'_>,
    anchors: Anchors<'_>,
    now: i64,
) -> Result<VerifiedResponse, MdlError> {
    let response = decode(response, "DeviceResponse")?;
    if field(&response, "version").and_then(Value::as_text) != Some("1.0") {
        return Err(MdlError::Unsupported { what: "a DeviceResponse version other than 1.0" });
    }
    let status = field(&response, "status").and_then(Value::as_integer).ok_or(malformed("status"))?;
    if status != 0.into() {
        return Err(MdlError::Unsupported { what: "a DeviceResponse with an error status" });
    }
    let mut documents = Vec::new();
    let mut not_returned = Vec::new();
    for doc in field(&response, "documents").and_then(Value::as_array).ok_or(malformed("documents"))? {
        only_keys(doc, &["docType", "issuerSigned", "deviceSigned", "errors"], "Document")?;
        let doc_type = field(doc, "docType").and_then(Value::as_text).ok_or(malformed("docType"))?;
        let issuer_signed = field(doc, "issuerSigned").ok_or(malformed("issuerSigned"))?;
        let verified = verify_issuer_signed_value(issuer_signed, Some(doc_type), anchors, now)?;
        verify_device_auth(doc, doc_type, &verified.device_key, session)?;
        if let Some(errors) = field(doc, "errors") {
            for (namespace, elements) in errors.as_map().ok_or(malformed("errors"))? {
                let namespace = namespace.as_text().ok_or(malformed("errors"))?;
                for (element, _code) in elements.as_map().ok_or(malformed("errors"))? {
                    let element = element.as_text().ok_or(malformed("errors"))?;
                    not_returned.push((namespace.to_owned(), element.to_owned()));
                }
            }
        }
        documents.push(verified);
    }
    Ok(VerifiedResponse { documents, not_returned })
}

/// Whether `bytes` is a DeviceResponse (it has `documents`) rather than an IssuerSigned.
pub fn is_device_response(bytes: &[u8]) -> bool {
    decode(bytes, "DeviceResponse").is_ok_and(|v| field(&v, "documents").is_some())
}

/// Verify an IssuerSigned alone (an exported mdoc, no session): issuerAuth under `anchors`
/// at `now`, the MSO's validity and every element's digest.
pub fn verify_issuer_signed(bytes: &[u8], anchors: Anchors<'_>, now: i64) -> Result<VerifiedDocument, MdlError> {
    verify_issuer_signed_value(&decode(bytes, "IssuerSigned")?, None, anchors, now)
}

fn verify_issuer_signed_value(
    issuer_signed: &Value,
    doc_type: Option<&str>,
    anchors: Anchors<'_>,
    now: i64,
) -> Result<VerifiedDocument, MdlError> {
    // Closed maps (18013-5's CDDL): a misspelt or extra key is not quietly passed over — a
    // "nameSpaces" altered in flight would otherwise read as nothing disclosed.
    only_keys(issuer_signed, &["nameSpaces", "issuerAuth"], "IssuerSigned")?;
    let issuer_auth = field(issuer_signed, "issuerAuth").ok_or(malformed("issuerAuth"))?;
    let sign1 = CoseSign1::from_cbor_value(issuer_auth.clone()).map_err(|_| malformed("issuerAuth"))?;

    // The document signer, its trust and its signature, before anything it signed is read.
    let certificate = document_signer(&sign1)?;
    let signer = check_document_signer(&certificate, anchors, now)?;
    let public_key = match signer.public_key()? {
        (key, super::iaca::Curve::P256) => key.to_vec(),
        _ => return Err(MdlError::Unsupported { what: "a document signer key other than P-256" }),
    };
    if sign1.protected.header.alg != Some(coset::RegisteredLabelWithPrivate::Assigned(coset::iana::Algorithm::ES256)) {
        return Err(MdlError::Unsupported { what: "an issuerAuth algorithm other than ES256" });
    }
    // (coset builds the signed structure from the payload, which must be there.)
    let payload = sign1.payload.as_deref().ok_or(malformed("issuerAuth payload"))?;
    let key = ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, &public_key);
    sign1
        .verify_signature(b"", |signature, data| key.verify(data, signature))
        .map_err(|_| MdlError::BadIssuerSignature)?;

    // The MSO it signed.
    let mso = decode(tagged_bytes(&decode(payload, "MSO")?, "MSO")?, "MSO")?;
    if field(&mso, "digestAlgorithm").and_then(Value::as_text) != Some("SHA-256") {
        return Err(MdlError::Unsupported { what: "a digest algorithm other than SHA-256" });
    }
    let signed_doc_type = field(&mso, "docType").and_then(Value::as_text).ok_or(malformed("MSO docType"))?;
    if doc_type.is_some_and(|d| d != signed_doc_type) {
        return Err(MdlError::DocTypeMismatch);
    }
    let validity = field(&mso, "validityInfo").ok_or(malformed("validityInfo"))?;
    let valid_from = tdate(field(validity, "validFrom"))?;
    let valid_until = tdate(field(validity, "validUntil"))?;
    if !(valid_from..=valid_until).contains(&now) {
        return Err(MdlError::NotValidNow);
    }
    let digests = field(&mso, "valueDigests").ok_or(malformed("valueDigests"))?;
    let device_key_info = field(&mso, "deviceKeyInfo").ok_or(malformed("deviceKeyInfo"))?;
    let device_key = cose_key_to_sec1(field(device_key_info, "deviceKey").ok_or(malformed("deviceKey"))?)?;

    // Every disclosed element against its digest: SHA-256 over the whole #6.24 item.
    let mut elements: Vec<(String, String, Value)> = Vec::new();
    let mut seen_ids = std::collections::BTreeSet::new();
    if let Some(name_spaces) = field(issuer_signed, "nameSpaces") {
        for (namespace, items) in name_spaces.as_map().ok_or(malformed("nameSpaces"))? {
            let namespace = namespace.as_text().ok_or(malformed("namespace"))?;
            let signed = field(digests, namespace).and_then(Value::as_map);
            for item in items.as_array().ok_or(malformed("namespace items"))? {
                let decoded = decode(tagged_bytes(item, "IssuerSignedItem")?, "IssuerSignedItem")?;
                let id = field(&decoded, "digestID").and_then(Value::as_integer).ok_or(malformed("digestID"))?;
                let element =
                    field(&decoded, "elementIdentifier").and_then(Value::as_text).ok_or(malformed("element"))?;
                let value = field(&decoded, "elementValue").ok_or(malformed("elementValue"))?;
                let expected = signed
                    .and_then(|m| m.iter().find(|(k, _)| k.as_integer() == Some(id)))
                    .and_then(|(_, v)| v.as_bytes());
                // SHA-256 over `#6.24(bstr)`: the item's bytes exactly as the issuer signed them
                // (a re-encoding inside fails; the byte string's own length form is not signed).
                if expected.map(Vec::as_slice) != Some(sha256(&encode(item)).as_slice()) {
                    return Err(MdlError::DigestMismatch { namespace: namespace.into(), element: element.into() });
                }
                // One signed item shown twice, or two values for one element: refused.
                let repeated = elements.iter().any(|(n, e, _)| n == namespace && e == element);
                if !seen_ids.insert((namespace.to_owned(), id)) || repeated {
                    return Err(MdlError::DuplicateKey);
                }
                elements.push((namespace.to_owned(), element.to_owned(), value.clone()));
            }
        }
    }

    Ok(VerifiedDocument { doc_type: signed_doc_type.into(), elements, document_signer: certificate, device_key })
}

/// The device's MAC or signature over `DeviceAuthenticationBytes`, bound to this session.
fn verify_device_auth(doc: &Value, doc_type: &str, device_key: &[u8], session: &Session<'_>) -> Result<(), MdlError> {
    let device_signed = field(doc, "deviceSigned").ok_or(malformed("deviceSigned"))?;
    only_keys(device_signed, &["nameSpaces", "deviceAuth"], "DeviceSigned")?;
    let name_spaces = field(device_signed, "nameSpaces").ok_or(malformed("DeviceNameSpacesBytes"))?;
    tagged_bytes(name_spaces, "DeviceNameSpacesBytes")?;
    let transcript = decode(
        tagged_bytes(&decode(session.transcript_bytes, "SessionTranscript")?, "SessionTranscript")?,
        "SessionTranscript",
    )?;
    let authentication = Value::Array(vec![
        Value::Text("DeviceAuthentication".into()),
        transcript,
        Value::Text(doc_type.into()),
        name_spaces.clone(),
    ]);
    let authentication_bytes = encode(&Value::Tag(24, Box::new(Value::Bytes(encode(&authentication)))));
    let device_auth = field(device_signed, "deviceAuth").ok_or(malformed("deviceAuth"))?;
    if let Some(mac) = field(device_auth, "deviceMac") {
        let mut mac0 = CoseMac0::from_cbor_value(mac.clone()).map_err(|_| malformed("deviceMac"))?;
        // The payload is detached: it is this session's DeviceAuthenticationBytes.
        if mac0.protected.header.alg
            != Some(coset::RegisteredLabelWithPrivate::Assigned(coset::iana::Algorithm::HMAC_256_256))
        {
            return Err(MdlError::Unsupported { what: "a device MAC other than HMAC 256/256" });
        }
        if session.e_reader_private.is_empty() {
            return Err(MdlError::Unsupported { what: "checking a device MAC without the reader's session key" });
        }
        let shared = ecdh(session.e_reader_private, device_key)?;
        let e_mac_key = hkdf_sha256(shared.as_ref(), &sha256(session.transcript_bytes), b"EMacKey");
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, e_mac_key.as_ref());
        mac0.payload = Some(authentication_bytes);
        return mac0.verify_payload_tag(
            b"",
            || MdlError::BadDeviceAuth,
            |tag, data| ring::hmac::verify(&key, data, tag).map_err(|_| MdlError::BadDeviceAuth),
        );
    }
    if let Some(signature) = field(device_auth, "deviceSignature") {
        // Detached: the payload slot is nil (ciborium reads CBOR `undefined` as nil too; the
        // slot is not signed either way), never a payload to be confused with ours.
        if signature.as_array().and_then(|a| a.get(2)) != Some(&Value::Null) {
            return Err(malformed("deviceSignature payload"));
        }
        let sign1 = CoseSign1::from_cbor_value(signature.clone()).map_err(|_| malformed("deviceSignature"))?;
        if sign1.protected.header.alg
            != Some(coset::RegisteredLabelWithPrivate::Assigned(coset::iana::Algorithm::ES256))
        {
            return Err(MdlError::Unsupported { what: "a device signature other than ES256" });
        }
        let key = ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, device_key);
        return sign1
            .verify_detached_signature(&authentication_bytes, b"", |s, data| key.verify(data, s))
            .map_err(|_| MdlError::BadDeviceAuth);
    }
    Err(malformed("deviceAuth"))
}

/// The first certificate of issuerAuth's `x5chain` (a bstr, or an array of them).
fn document_signer(sign1: &CoseSign1) -> Result<Vec<u8>, MdlError> {
    let chain = sign1
        .unprotected
        .rest
        .iter()
        .chain(&sign1.protected.header.rest)
        .find(|(label, _)| *label == coset::Label::Int(X5CHAIN))
        .map(|(_, v)| v)
        .ok_or(malformed("x5chain"))?;
    match chain {
        Value::Bytes(der) => Ok(der.clone()),
        Value::Array(certs) => certs.first().and_then(Value::as_bytes).cloned().ok_or(malformed("x5chain")),
        _ => Err(malformed("x5chain")),
    }
}

/// Refuse a map with any key outside `allowed`.
fn only_keys(map: &Value, allowed: &[&str], what: &'static str) -> Result<(), MdlError> {
    let entries = map.as_map().ok_or(malformed(what))?;
    if entries.iter().all(|(k, _)| k.as_text().is_some_and(|k| allowed.contains(&k))) {
        Ok(())
    } else {
        Err(malformed(what))
    }
}
