//! The issuing side of the mDL (feature `issuer`, never in the app library): an IACA root,
//! the document signers it certifies (X.509 per 18013-5 Annex B, made with `rcgen`), and
//! the driving licence as an mdoc of doctype `org.iso.18013.5.1.mDL` — IssuerSignedItems
//! with 16 random bytes each, an MSO of their SHA-256 digests bound to the device key, and
//! issuerAuth (COSE_Sign1, ES256) carrying the DS certificate in `x5chain`.

use ciborium::Value;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
};

use super::{cose_key, encode, tagged, text_map, MdlError, CN_NAMESPACE, MDL_DOCTYPE, MDL_NAMESPACE};
use crate::credential::{cose, IssuerKey};
use crate::documents::{DrivingLicence, ResidentIdCard, Sex};

/// `x5chain` (RFC 9360).
const X5CHAIN: i64 = 33;
/// The mdlDS extended key usage's arcs (1.0.18013.5.1.2).
const MDL_DS_ARCS: [u64; 6] = [1, 0, 18013, 5, 1, 2];

fn signing(e: rcgen::Error) -> MdlError {
    tracing::warn!(target: "idwallet::mdl", error = %e, "certificate generation failed");
    MdlError::Signing { reason: "certificate generation failed".into() }
}

fn at(unix: i64) -> Result<time::OffsetDateTime, MdlError> {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .map_err(|_| MdlError::Signing { reason: "time out of range".into() })
}

fn name(country: &str, common_name: &str) -> Result<DistinguishedName, MdlError> {
    let mut dn = DistinguishedName::new();
    // X.520: a country is a PrintableString of two letters.
    let country = rcgen::string::PrintableString::try_from(country).map_err(signing)?;
    dn.push(DnType::CountryName, rcgen::DnValue::PrintableString(country));
    dn.push(DnType::CommonName, common_name);
    Ok(dn)
}

/// An issuing authority's root (IACA): it certifies document signers, then can be put
/// away (a real IACA key lives offline; the reference server keeps only its certificate).
pub struct Iaca {
    params: CertificateParams,
    key: KeyPair,
    certificate: Vec<u8>,
}

impl Iaca {
    /// A new self-signed IACA root for `country` (ISO 3166-1 alpha-2), valid `[not_before, not_after]`.
    pub fn generate(country: &str, common_name: &str, not_before: i64, not_after: i64) -> Result<Self, MdlError> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(signing)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = name(country, common_name)?;
        params.not_before = at(not_before)?;
        params.not_after = at(not_after)?;
        params.serial_number = Some(crate::crypto::random_array::<16>().to_vec().into());
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let certificate = params.self_signed(&key).map_err(signing)?.der().to_vec();
        Ok(Self { params, key, certificate })
    }

    /// The root certificate (DER), as readers install it (`iaca.der`).
    pub fn certificate(&self) -> &[u8] {
        &self.certificate
    }

    /// A document signer certified by this root, valid `[not_before, not_after]` (18013-5
    /// caps a DS certificate at 457 days).
    pub fn issue_signer(&self, common_name: &str, not_before: i64, not_after: i64) -> Result<DocumentSigner, MdlError> {
        let key = IssuerKey::generate(common_name, not_before, not_after);
        let ds_key = KeyPair::try_from(key.pkcs8()).map_err(signing)?;
        let country = self
            .params
            .distinguished_name
            .get(&DnType::CountryName)
            .and_then(|c| match c {
                rcgen::DnValue::PrintableString(s) => Some(s.as_str().to_owned()),
                rcgen::DnValue::Utf8String(s) => Some(s.clone()),
                _ => None,
            })
            .unwrap_or_default();
        let mut params = CertificateParams::default();
        params.distinguished_name = name(&country, common_name)?;
        params.not_before = at(not_before)?;
        params.not_after = at(not_after)?;
        params.serial_number = Some(crate::crypto::random_array::<16>().to_vec().into());
        // No basicConstraints (Annex B lists none for a DS); rcgen's explicit `cA FALSE` is
        // not DER (a DEFAULT value encoded), which strict readers refuse.
        params.is_ca = IsCa::NoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::Other(MDL_DS_ARCS.to_vec())];
        params.use_authority_key_identifier_extension = true;
        let issuer = rcgen::Issuer::from_params(&self.params, &self.key);
        let certificate = params.signed_by(&ds_key, &issuer).map_err(signing)?.der().to_vec();
        Ok(DocumentSigner { key, certificate })
    }
}

/// A document signer: its key and the certificate its IACA gave it.
pub struct DocumentSigner {
    key: IssuerKey,
    certificate: Vec<u8>,
}

impl std::fmt::Debug for DocumentSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentSigner").finish_non_exhaustive()
    }
}

impl DocumentSigner {
    /// A signer kept between runs: its PKCS#8 key and certificate (DER).
    pub fn from_parts(pkcs8: &[u8], certificate: Vec<u8>) -> Result<Self, MdlError> {
        let cert = super::iaca::Cert::parse(&certificate)?;
        let (not_before, not_after) = cert.validity();
        let key = IssuerKey::from_pkcs8("document signer", pkcs8, not_before, not_after)
            .map_err(|_| MdlError::Signing { reason: "not a P-256 PKCS#8 key".into() })?;
        if cert.public_key()?.0 != key.public_key() {
            return Err(MdlError::Signing { reason: "the key is not the certificate's".into() });
        }
        Ok(Self { key, certificate })
    }

    pub fn pkcs8(&self) -> &[u8] {
        self.key.pkcs8()
    }

    pub fn certificate(&self) -> &[u8] {
        &self.certificate
    }
}

/// What the licence's mdoc is made from.
#[derive(Debug, Clone, Copy)]
pub struct LicenceData<'a> {
    pub licence: &'a DrivingLicence,
    /// The holder's resident ID card, for the birth date and sex the licence does not hold.
    pub id_card: Option<&'a ResidentIdCard>,
    /// The portrait as a JPEG.
    pub portrait_jpeg: &'a [u8],
    /// ISO 3166-1 alpha-2.
    pub issuing_country: &'a str,
    pub issuing_authority: &'a str,
}

/// The elements of `data`: `(namespace, identifier, value)`.
fn elements(data: &LicenceData<'_>, signed_at: i64) -> Vec<(&'static str, &'static str, Value)> {
    let l = data.licence;
    let text = |s: &str| Value::Text(s.into());
    // Latin1 names (18013-5 Table 5) in passport pinyin; the characters as issued beside them.
    let latin = crate::report::pinyin_name(&l.name);
    let (family, given) = latin.split_once(' ').unwrap_or((latin.as_str(), ""));
    let mut chars = l.name.chars();
    let family_national: String = chars.next().into_iter().collect();
    let given_national: String = chars.collect();
    let mut out = vec![
        (MDL_NAMESPACE, "family_name", text(family)),
        (MDL_NAMESPACE, "given_name", text(given)),
        (MDL_NAMESPACE, "family_name_national_character", text(&family_national)),
        (MDL_NAMESPACE, "given_name_national_character", text(&given_national)),
        (MDL_NAMESPACE, "issue_date", full_date(&l.valid_from.to_string())),
        (MDL_NAMESPACE, "expiry_date", full_date(&l.valid_until.to_string())),
        (MDL_NAMESPACE, "issuing_country", text(data.issuing_country)),
        (MDL_NAMESPACE, "issuing_authority", text(data.issuing_authority)),
        (MDL_NAMESPACE, "document_number", text(&l.licence_number)),
        (MDL_NAMESPACE, "portrait", Value::Bytes(data.portrait_jpeg.to_vec())),
        (
            MDL_NAMESPACE,
            "driving_privileges",
            // The classes as China issues them (C1, A2…), each since the first issue.
            Value::Array(
                l.classes
                    .iter()
                    .map(|c| {
                        text_map(vec![
                            ("vehicle_category_code", text(c)),
                            ("issue_date", full_date(&l.first_issue.to_string())),
                        ])
                    })
                    .collect(),
            ),
        ),
        // China registers no distinguishing sign with the UN; CHN is the one in use.
        (MDL_NAMESPACE, "un_distinguishing_sign", text("CHN")),
        (CN_NAMESPACE, "first_issue", full_date(&l.first_issue.to_string())),
        (CN_NAMESPACE, "points", Value::from(l.points)),
        (
            CN_NAMESPACE,
            "licence_status",
            text(match l.status {
                crate::documents::LicenceStatus::Normal => "normal",
                crate::documents::LicenceStatus::Suspended => "suspended",
                crate::documents::LicenceStatus::Revoked => "revoked",
            }),
        ),
    ];
    if let Some(card) = data.id_card {
        out.push((MDL_NAMESPACE, "birth_date", full_date(&card.birth_date.to_string())));
        // ISO/IEC 5218.
        out.push((MDL_NAMESPACE, "sex", Value::from(if card.sex == Sex::Male { 1 } else { 2 })));
        let adult = card.birth_date.years_at(signed_at).is_some_and(|age| age >= 18);
        out.push((MDL_NAMESPACE, "age_over_18", Value::Bool(adult)));
    }
    out
}

/// The licence as an mdoc's IssuerSigned (CBOR), bound to `device_key` (SEC1 P-256),
/// signed at `signed_at` and valid until `valid_until`.
pub fn issue_mdl(
    signer: &DocumentSigner,
    data: &LicenceData<'_>,
    device_key: &[u8],
    signed_at: i64,
    valid_until: i64,
) -> Result<Vec<u8>, MdlError> {
    let device_key = cose_key(device_key)?;
    let mut name_spaces: Vec<(&str, Vec<Value>)> = Vec::new();
    let mut digests: Vec<(&str, Vec<(Value, Value)>)> = Vec::new();
    for (id, (namespace, element, value)) in elements(data, signed_at).into_iter().enumerate() {
        let item = tagged(&text_map(vec![
            ("digestID", Value::from(id as u64)),
            ("random", Value::Bytes(crate::crypto::random_array::<16>().to_vec())),
            ("elementIdentifier", Value::Text(element.into())),
            ("elementValue", value),
        ]));
        let digest = Value::Bytes(crate::crypto::sha256(&encode(&item)));
        match name_spaces.iter_mut().zip(digests.iter_mut()).find(|((n, _), _)| *n == namespace) {
            Some(((_, items), (_, ds))) => {
                items.push(item);
                ds.push((Value::from(id as u64), digest));
            }
            None => {
                name_spaces.push((namespace, vec![item]));
                digests.push((namespace, vec![(Value::from(id as u64), digest)]));
            }
        }
    }
    let mso = text_map(vec![
        ("version", Value::Text("1.0".into())),
        ("digestAlgorithm", Value::Text("SHA-256".into())),
        (
            "valueDigests",
            text_map(digests.into_iter().map(|(n, d)| (n, crate::credential::cbor::canonical_map(d))).collect()),
        ),
        ("deviceKeyInfo", text_map(vec![("deviceKey", device_key)])),
        ("docType", Value::Text(MDL_DOCTYPE.into())),
        (
            "validityInfo",
            text_map(vec![
                ("signed", tdate_value(signed_at)),
                ("validFrom", tdate_value(signed_at)),
                ("validUntil", tdate_value(valid_until)),
            ]),
        ),
    ]);
    let payload = encode(&tagged(&mso));
    let mut sign1 = cose::sign_es256(None, vec![], payload, &[], |data| signer.key.sign(data))
        .map_err(|_| MdlError::Signing { reason: "the document signer could not sign".into() })?;
    sign1.unprotected.rest.push((coset::Label::Int(X5CHAIN), Value::Bytes(signer.certificate.clone())));
    use coset::AsCborValue;
    let issuer_auth = sign1.to_cbor_value().map_err(|_| MdlError::Signing { reason: "COSE encoding".into() })?;
    let issuer_signed = text_map(vec![
        ("nameSpaces", text_map(name_spaces.into_iter().map(|(n, items)| (n, Value::Array(items))).collect())),
        ("issuerAuth", issuer_auth),
    ]);
    tracing::info!(target: "idwallet::mdl", "mDL issued");
    Ok(encode(&issuer_signed))
}

/// A full-date (`#6.1004(tstr)`, RFC 8943), as 18013-5 writes birth and expiry dates.
fn full_date(date: &str) -> Value {
    Value::Tag(1004, Box::new(Value::Text(date.into())))
}

/// A `tdate` (`#6.0(tstr)`, RFC 3339 in UTC, whole seconds).
fn tdate_value(unix: i64) -> Value {
    let t = time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    Value::Tag(0, Box::new(Value::Text(t.format(&format).unwrap_or_default())))
}
