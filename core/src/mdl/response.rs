//! The reader's check of a DeviceResponse (ISO 18013-5 §8.3.2.1.2, §9.1.2–9.1.3): for each
//! document, issuerAuth (COSE_Sign1, ES256) under the document signer certificate it
//! carries (`x5chain`), that certificate's and the MSO's validity now, the document type the
//! MSO signs, every disclosed element against its digest in the MSO, and the device's MAC
//! (or signature) over `DeviceAuthentication(SessionTranscript, DocType, DeviceNameSpacesBytes)`
//! by the device key the MSO names. Chaining the document signer to a trusted IACA root is
//! not done here yet (issue #21): a caller must pin the document signer it trusts.

use ciborium::Value;
use coset::{AsCborValue, CoseMac0, CoseSign1};
use der::Decode;

use super::session::{cose_key_to_sec1, ecdh, hkdf_sha256};
use super::{decode, encode, field, malformed, sha256, tagged_bytes, MdlError};

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

/// Verify every document of `response` at `now` (Unix seconds).
pub fn verify_device_response(
    response: &[u8],
    session: &Session<'_>,
    now: i64,
) -> Result<Vec<VerifiedDocument>, MdlError> {
    let response = decode(response, "DeviceResponse")?;
    if field(&response, "version").and_then(Value::as_text) != Some("1.0") {
        return Err(MdlError::Unsupported { what: "a DeviceResponse version other than 1.0" });
    }
    let status = field(&response, "status").and_then(Value::as_integer).ok_or(malformed("status"))?;
    if status != 0.into() {
        return Err(MdlError::Unsupported { what: "a DeviceResponse with an error status" });
    }
    let documents = field(&response, "documents").and_then(Value::as_array).ok_or(malformed("documents"))?;
    documents.iter().map(|d| verify_document(d, session, now)).collect()
}

fn verify_document(doc: &Value, session: &Session<'_>, now: i64) -> Result<VerifiedDocument, MdlError> {
    let doc_type = field(doc, "docType").and_then(Value::as_text).ok_or(malformed("docType"))?;
    let issuer_signed = field(doc, "issuerSigned").ok_or(malformed("issuerSigned"))?;
    let issuer_auth = field(issuer_signed, "issuerAuth").ok_or(malformed("issuerAuth"))?;
    let sign1 = CoseSign1::from_cbor_value(issuer_auth.clone()).map_err(|_| malformed("issuerAuth"))?;

    // The document signer and its signature, before anything it signed is read.
    let certificate = document_signer(&sign1)?;
    let (public_key, not_before, not_after) = certificate_key(&certificate)?;
    if !(not_before..=not_after).contains(&now) {
        return Err(MdlError::CertificateNotValid);
    }
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
    if field(&mso, "docType").and_then(Value::as_text) != Some(doc_type) {
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
    let mut elements = Vec::new();
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
                if expected.map(Vec::as_slice) != Some(sha256(&encode(item)).as_slice()) {
                    return Err(MdlError::DigestMismatch { namespace: namespace.into(), element: element.into() });
                }
                elements.push((namespace.to_owned(), element.to_owned(), value.clone()));
            }
        }
    }

    verify_device_auth(doc, doc_type, &device_key, session)?;
    Ok(VerifiedDocument { doc_type: doc_type.into(), elements, document_signer: certificate, device_key })
}

/// The device's MAC or signature over `DeviceAuthenticationBytes`, bound to this session.
fn verify_device_auth(doc: &Value, doc_type: &str, device_key: &[u8], session: &Session<'_>) -> Result<(), MdlError> {
    let device_signed = field(doc, "deviceSigned").ok_or(malformed("deviceSigned"))?;
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

/// A certificate's P-256 public key (SEC1) and validity (Unix seconds).
fn certificate_key(der: &[u8]) -> Result<(Vec<u8>, i64, i64), MdlError> {
    let cert = x509_cert::Certificate::from_der(der).map_err(|_| MdlError::BadCertificate)?;
    let tbs = &cert.tbs_certificate;
    let spki = &tbs.subject_public_key_info;
    const EC_PUBLIC_KEY: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
    if spki.algorithm.oid != EC_PUBLIC_KEY {
        return Err(MdlError::Unsupported { what: "a document signer key other than EC" });
    }
    let key = spki.subject_public_key.raw_bytes().to_vec();
    let unix = |t: &x509_cert::time::Time| i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
    Ok((key, unix(&tbs.validity.not_before), unix(&tbs.validity.not_after)))
}

/// A `tdate` (`#6.0(text)`, RFC 3339) as Unix seconds.
fn tdate(value: Option<&Value>) -> Result<i64, MdlError> {
    let text = match value {
        Some(Value::Tag(0, inner)) => inner.as_text(),
        _ => None,
    }
    .ok_or(malformed("tdate"))?;
    let t = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|_| malformed("tdate"))?;
    Ok(t.unix_timestamp())
}
