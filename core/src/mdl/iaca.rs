//! Trust in an mdoc's issuer (ISO 18013-5 §9.3.3, Annex B): the document signer (DS)
//! certificate in issuerAuth's `x5chain` must be issued by an IACA root the reader trusts,
//! both valid now, with the profile's key usages — IACA: CA, keyCertSign; DS: digitalSignature
//! and the extended key usage mdlDS (1.0.18013.5.1.2). Checked with `x509-cert` (RustCrypto)
//! on the exact bytes signed, and ring for the signatures.

use der::{Decode, Encode, Reader};
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage};
use x509_cert::Certificate;

use super::MdlError;

const EC_PUBLIC_KEY: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const P256: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("1.3.132.0.34");
const ECDSA_SHA256: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
/// id-mdl-kp-mdlDS: a document signer's extended key usage.
pub const MDL_DS_EKU: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("1.0.18013.5.1.2");

/// Which document signers a reader accepts.
#[derive(Debug, Clone, Copy)]
pub enum Anchors<'a> {
    /// Any DS certificate issued by one of these IACA root certificates (DER) — the normal case.
    Iaca(&'a [Vec<u8>]),
    /// Exactly this DS certificate (DER): for a signer whose root is not published, such
    /// as ISO 18013-5 Annex D's.
    DocumentSigner(&'a [u8]),
}

/// A root certificate as a reader installs it (DER, or PEM as authorities often publish
/// it), checked to be one: its DER.
pub fn read_root(bytes: &[u8]) -> Result<Vec<u8>, MdlError> {
    let der = match std::str::from_utf8(bytes).ok().map(str::trim) {
        Some(text) if text.starts_with("-----BEGIN CERTIFICATE-----") => {
            use base64::Engine;
            let body: String = text
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
                .collect();
            base64::engine::general_purpose::STANDARD.decode(body).map_err(|_| MdlError::BadRoot)?
        }
        _ => bytes.to_vec(),
    };
    Cert::parse(&der).map_err(|_| MdlError::BadRoot)?;
    Ok(der)
}

/// A certificate, read.
pub(crate) struct Cert {
    pub der: Vec<u8>,
    cert: Certificate,
}

impl Cert {
    pub fn parse(der: &[u8]) -> Result<Self, MdlError> {
        let cert = Certificate::from_der(der).map_err(|_| MdlError::BadCertificate)?;
        Ok(Self { der: der.to_vec(), cert })
    }

    /// The subject's public key (SEC1) and its curve.
    pub fn public_key(&self) -> Result<(&[u8], Curve), MdlError> {
        let spki = &self.cert.tbs_certificate.subject_public_key_info;
        if spki.algorithm.oid != EC_PUBLIC_KEY {
            return Err(MdlError::Unsupported { what: "a certificate key other than EC" });
        }
        let curve = spki.algorithm.parameters.as_ref().and_then(|p| p.decode_as::<der::asn1::ObjectIdentifier>().ok());
        let curve = match curve {
            Some(c) if c == P256 => Curve::P256,
            Some(c) if c == P384 => Curve::P384,
            _ => return Err(MdlError::Unsupported { what: "a certificate curve other than P-256 or P-384" }),
        };
        Ok((spki.subject_public_key.raw_bytes(), curve))
    }

    /// `[not_before, not_after]`, Unix seconds.
    pub fn validity(&self) -> (i64, i64) {
        let v = &self.cert.tbs_certificate.validity;
        let unix = |t: &x509_cert::time::Time| i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
        (unix(&v.not_before), unix(&v.not_after))
    }

    fn valid_at(&self, now: i64) -> bool {
        let (from, until) = self.validity();
        (from..=until).contains(&now)
    }

    fn extension<T: for<'a> Decode<'a> + der::oid::AssociatedOid>(&self) -> Result<Option<T>, MdlError> {
        let Some(ext) = self.cert.tbs_certificate.extensions.iter().flatten().find(|e| e.extn_id == T::OID) else {
            return Ok(None);
        };
        T::from_der(ext.extn_value.as_bytes()).map(Some).map_err(|_| MdlError::BadCertificate)
    }

    /// Whether `issuer`'s key signed this certificate's exact to-be-signed bytes.
    fn signed_by(&self, issuer: &Cert) -> Result<bool, MdlError> {
        let (key, curve) = issuer.public_key()?;
        let algorithm: &dyn ring::signature::VerificationAlgorithm = match (curve, &self.cert.signature_algorithm.oid) {
            (Curve::P256, oid) if *oid == ECDSA_SHA256 => &ring::signature::ECDSA_P256_SHA256_ASN1,
            (Curve::P256, oid) if *oid == ECDSA_SHA384 => &ring::signature::ECDSA_P256_SHA384_ASN1,
            (Curve::P384, oid) if *oid == ECDSA_SHA256 => &ring::signature::ECDSA_P384_SHA256_ASN1,
            (Curve::P384, oid) if *oid == ECDSA_SHA384 => &ring::signature::ECDSA_P384_SHA384_ASN1,
            _ => return Err(MdlError::Unsupported { what: "a certificate signature other than ECDSA" }),
        };
        let tbs = tbs_bytes(&self.der)?;
        let signature = self.cert.signature.as_bytes().ok_or(MdlError::BadCertificate)?;
        Ok(ring::signature::UnparsedPublicKey::new(algorithm, key).verify(tbs, signature).is_ok())
    }

    fn issuer_is_subject_of(&self, issuer: &Cert) -> Result<bool, MdlError> {
        let der = |n: &x509_cert::name::Name| n.to_der().map_err(|_| MdlError::BadCertificate);
        Ok(der(&self.cert.tbs_certificate.issuer)? == der(&issuer.cert.tbs_certificate.subject)?)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
}

/// The TBSCertificate's bytes exactly as they were signed (not re-encoded).
fn tbs_bytes(der: &[u8]) -> Result<&[u8], MdlError> {
    let mut reader = der::SliceReader::new(der).map_err(|_| MdlError::BadCertificate)?;
    // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
    der::Header::decode(&mut reader).map_err(|_| MdlError::BadCertificate)?;
    reader.tlv_bytes().map_err(|_| MdlError::BadCertificate)
}

/// Check the document signer `ds` (DER) against `anchors` at `now`; returns it read.
pub(crate) fn check_document_signer(ds: &[u8], anchors: Anchors<'_>, now: i64) -> Result<Cert, MdlError> {
    let signer = Cert::parse(ds)?;
    match anchors {
        Anchors::DocumentSigner(pinned) => {
            if pinned != ds {
                return Err(MdlError::UntrustedSigner);
            }
        }
        Anchors::Iaca(roots) => {
            // The root whose subject issued it and whose key signed it.
            let mut root = None;
            for der in roots {
                let candidate = Cert::parse(der).map_err(|_| MdlError::BadRoot)?;
                if signer.issuer_is_subject_of(&candidate)? && signer.signed_by(&candidate)? {
                    root = Some(candidate);
                    break;
                }
            }
            let root = root.ok_or(MdlError::UntrustedSigner)?;
            if !root.valid_at(now) {
                return Err(MdlError::RootNotValid);
            }
            check_root_profile(&root)?;
            check_signer_profile(&signer)?;
        }
    }
    if !signer.valid_at(now) {
        return Err(MdlError::CertificateNotValid);
    }
    Ok(signer)
}

fn check_root_profile(root: &Cert) -> Result<(), MdlError> {
    let profile = |what| MdlError::CertificateProfile { what };
    if !root.extension::<BasicConstraints>()?.is_some_and(|b| b.ca) {
        return Err(profile("the IACA root is not a CA"));
    }
    if !root.extension::<KeyUsage>()?.is_some_and(|k| k.key_cert_sign()) {
        return Err(profile("the IACA root may not sign certificates"));
    }
    Ok(())
}

fn check_signer_profile(signer: &Cert) -> Result<(), MdlError> {
    let profile = |what| MdlError::CertificateProfile { what };
    if signer.extension::<BasicConstraints>()?.is_some_and(|b| b.ca) {
        return Err(profile("the document signer is a CA"));
    }
    if !signer.extension::<KeyUsage>()?.is_some_and(|k| k.digital_signature()) {
        return Err(profile("the document signer's key may not sign"));
    }
    if !signer.extension::<ExtendedKeyUsage>()?.is_some_and(|e| e.0.contains(&MDL_DS_EKU)) {
        return Err(profile("the document signer lacks the mdlDS extended key usage"));
    }
    Ok(())
}
