//! RFC 9421 HTTP Message Signatures: the signature base, signing and verification.
//!
//! idwallet signs requests with `ecdsa-p256-sha256` through the [`KeyStore`] and checks
//! responses that bind the request's signature (`"signature";req`). Ed25519, HMAC-SHA256 and
//! RSA-PSS-SHA512 verification exist for the RFC's test vectors and other peers.
//! Component parameters other than `req` and `name` (`sf`, `key`, `bs`, `tr`) are refused
//! rather than half-supported.
//!
//! [`KeyStore`]: crate::platform::KeyStore

use base64::Engine;
use ring::signature::{self, UnparsedPublicKey};
use sfv::{BareItem, Dictionary, FieldType, InnerList, Item, ListEntry, Parameters, Parser};

use super::NetError;

/// An HTTP message as the signature sees it. A request has `method` and `target_uri` (absolute);
/// a response has `status`. Header names are matched case-insensitively.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    pub method: Option<&'a str>,
    pub target_uri: Option<&'a str>,
    pub status: Option<u16>,
    pub headers: &'a [(String, String)],
}

/// A key to verify with. The algorithm comes from the key we hold, never from the message.
#[derive(Debug, Clone, Copy)]
pub enum VerifyKey<'a> {
    /// Uncompressed SEC1 P-256 point.
    EcdsaP256Sha256(&'a [u8]),
    Ed25519(&'a [u8]),
    HmacSha256(&'a [u8]),
    /// RSA public key as big-endian modulus and exponent.
    RsaPssSha512 {
        n: &'a [u8],
        e: &'a [u8],
    },
}

impl VerifyKey<'_> {
    fn alg_name(&self) -> &'static str {
        match self {
            Self::EcdsaP256Sha256(_) => "ecdsa-p256-sha256",
            Self::Ed25519(_) => "ed25519",
            Self::HmacSha256(_) => "hmac-sha256",
            Self::RsaPssSha512 { .. } => "rsa-pss-sha512",
        }
    }

    fn verify(&self, base: &[u8], sig: &[u8]) -> bool {
        match self {
            Self::EcdsaP256Sha256(k) => {
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, k).verify(base, sig).is_ok()
            }
            Self::Ed25519(k) => UnparsedPublicKey::new(&signature::ED25519, k).verify(base, sig).is_ok(),
            Self::HmacSha256(k) => {
                ring::hmac::verify(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, k), base, sig).is_ok()
            }
            Self::RsaPssSha512 { n, e } => signature::RsaPublicKeyComponents { n, e }
                .verify(&signature::RSA_PSS_2048_8192_SHA512, base, sig)
                .is_ok(),
        }
    }
}

/// What a signature declared about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureParams {
    pub created: Option<i64>,
    pub expires: Option<i64>,
    pub nonce: Option<String>,
    pub keyid: Option<String>,
    pub tag: Option<String>,
    /// Covered component identifiers, serialised (e.g. `"@method"`, `"signature";req`).
    pub components: Vec<String>,
}

fn bad(field: &'static str) -> NetError {
    NetError::BadHeader { field }
}

fn member<'a>(dict: &'a Dictionary, label: &str) -> Result<&'a ListEntry, NetError> {
    dict.iter()
        .find(|(k, _)| k.as_str() == label)
        .map(|(_, v)| v)
        .ok_or_else(|| NetError::NoSignature { label: label.into() })
}

fn serialize_item(item: &Item) -> String {
    item.serialize()
}

fn serialize_inner_list(list: &InnerList) -> String {
    vec![ListEntry::InnerList(list.clone())].serialize().unwrap_or_else(|| "()".into())
}

fn header_values(msg: &Message<'_>, name: &str) -> Option<String> {
    let values: Vec<&str> =
        msg.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim()).collect();
    (!values.is_empty()).then(|| values.join(", "))
}

fn component_value(msg: &Message<'_>, request: Option<&Message<'_>>, item: &Item) -> Result<String, NetError> {
    let BareItem::String(name) = &item.bare_item else { return Err(bad("Signature-Input")) };
    let name = name.as_str();
    let missing = || NetError::MissingComponent { component: name.to_owned() };
    let mut source = msg;
    let mut query_name = None;
    for (key, value) in &item.params {
        match (key.as_str(), value) {
            ("req", BareItem::Boolean(true)) => source = request.ok_or_else(missing)?,
            ("name", BareItem::String(n)) if name == "@query-param" => query_name = Some(n.as_str().to_owned()),
            (other, _) => return Err(NetError::Unsupported { what: format!("{name};{other}") }),
        }
    }
    if !name.starts_with('@') {
        if name.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(bad("Signature-Input")); // field names must be lower-case
        }
        return header_values(source, name).ok_or_else(missing);
    }
    if name == "@status" {
        return source.status.map(|s| s.to_string()).ok_or_else(missing);
    }
    if name == "@method" {
        return source.method.map(str::to_owned).ok_or_else(missing);
    }
    let uri = url::Url::parse(source.target_uri.ok_or_else(missing)?).map_err(|_| missing())?;
    let query = uri.query().unwrap_or("");
    Ok(match name {
        "@target-uri" => source.target_uri.unwrap_or_default().to_owned(),
        "@scheme" => uri.scheme().to_owned(),
        "@authority" => {
            let host = uri.host_str().ok_or_else(missing)?.to_ascii_lowercase();
            match uri.port() {
                Some(p) => format!("{host}:{p}"),
                None => host,
            }
        }
        "@path" => uri.path().to_owned(),
        "@query" => format!("?{query}"),
        "@request-target" => format!("{}{}", uri.path(), uri.query().map(|q| format!("?{q}")).unwrap_or_default()),
        "@query-param" => {
            let wanted =
                query_name.ok_or_else(|| NetError::Unsupported { what: "@query-param without name".into() })?;
            let value =
                uri.query_pairs().find(|(k, _)| *k == wanted).map(|(_, v)| v.into_owned()).ok_or_else(missing)?;
            url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
        }
        other => return Err(NetError::Unsupported { what: other.to_owned() }),
    })
}

fn base_of(msg: &Message<'_>, request: Option<&Message<'_>>, input: &InnerList) -> Result<String, NetError> {
    let mut base = String::new();
    for item in &input.items {
        let id = serialize_item(item);
        if base.contains(&format!("{id}: ")) {
            return Err(bad("Signature-Input")); // a component may be covered once
        }
        let value = component_value(msg, request, item)?;
        if value.contains('\n') {
            return Err(bad("header value"));
        }
        base.push_str(&format!("{id}: {value}\n"));
    }
    base.push_str(&format!("\"@signature-params\": {}", serialize_inner_list(input)));
    Ok(base)
}

/// The signature base for the signature `label` declared in `signature_input` (the
/// `Signature-Input` header value). `request` resolves `;req` components of a response.
pub fn signature_base(
    msg: &Message<'_>,
    request: Option<&Message<'_>>,
    signature_input: &str,
    label: &str,
) -> Result<String, NetError> {
    let dict: Dictionary = Parser::new(signature_input).parse().map_err(|_| bad("Signature-Input"))?;
    let ListEntry::InnerList(input) = member(&dict, label)? else { return Err(bad("Signature-Input")) };
    base_of(msg, request, input)
}

fn params_of(input: &InnerList) -> SignatureParams {
    let get_int = |k: &str| {
        input.params.iter().find(|(key, _)| key.as_str() == k).and_then(|(_, v)| v.as_integer()).map(i64::from)
    };
    let get_str = |k: &str| {
        input
            .params
            .iter()
            .find(|(key, _)| key.as_str() == k)
            .and_then(|(_, v)| v.as_string())
            .map(|s| s.as_str().to_owned())
    };
    SignatureParams {
        created: get_int("created"),
        expires: get_int("expires"),
        nonce: get_str("nonce"),
        keyid: get_str("keyid"),
        tag: get_str("tag"),
        components: input.items.iter().map(serialize_item).collect(),
    }
}

/// The label of the signature whose `tag` parameter is `tag` (RFC 9421 §7.2.2: choose a
/// signature by what it is for, not by its label, which the signer picks freely). The
/// first such signature if several carry it.
pub fn label_tagged(signature_input: &str, tag: &str) -> Result<String, NetError> {
    let dict: Dictionary = Parser::new(signature_input).parse().map_err(|_| bad("Signature-Input"))?;
    dict.iter()
        .find(|(_, entry)| {
            let ListEntry::InnerList(input) = entry else { return false };
            input.params.iter().any(|(k, v)| k.as_str() == "tag" && v.as_string().is_some_and(|t| t.as_str() == tag))
        })
        .map(|(label, _)| label.as_str().to_owned())
        .ok_or_else(|| NetError::NoSignature { label: format!("tag={tag}") })
}

/// All field lines named `name`, combined as RFC 9421 §2.1 asks (values joined by ", ").
pub fn field(msg: &Message<'_>, name: &str) -> Option<String> {
    header_values(msg, name)
}

/// What the signature `label` *declares*, unverified — only to choose the key to verify
/// with (e.g. by `keyid`); trust nothing in it before [`verify`] succeeds.
pub fn declared(signature_input: &str, label: &str) -> Result<SignatureParams, NetError> {
    let dict: Dictionary = Parser::new(signature_input).parse().map_err(|_| bad("Signature-Input"))?;
    let ListEntry::InnerList(input) = member(&dict, label)? else { return Err(bad("Signature-Input")) };
    Ok(params_of(input))
}

/// Verify the signature `label` of `msg` with `key`; returns what the signature declared so
/// the caller can check `created`, `nonce`, `keyid`, `tag` and the covered components.
pub fn verify(
    msg: &Message<'_>,
    request: Option<&Message<'_>>,
    signature_input: &str,
    signature: &str,
    label: &str,
    key: VerifyKey<'_>,
) -> Result<SignatureParams, NetError> {
    let inputs: Dictionary = Parser::new(signature_input).parse().map_err(|_| bad("Signature-Input"))?;
    let sigs: Dictionary = Parser::new(signature).parse().map_err(|_| bad("Signature"))?;
    let ListEntry::InnerList(input) = member(&inputs, label)? else { return Err(bad("Signature-Input")) };
    let ListEntry::Item(Item { bare_item: BareItem::ByteSequence(sig), .. }) = member(&sigs, label)? else {
        return Err(bad("Signature"));
    };
    let alg = input.params.iter().find(|(k, _)| k.as_str() == "alg").and_then(|(_, v)| v.as_string());
    if alg.is_some_and(|a| a.as_str() != key.alg_name()) {
        return Err(NetError::UnsupportedAlgorithm);
    }
    let base = base_of(msg, request, input)?;
    if !key.verify(base.as_bytes(), sig) {
        return Err(NetError::BadSignature);
    }
    Ok(params_of(input))
}

/// What to put in a new signature's parameters.
#[derive(Debug, Clone, Default)]
pub struct NewSignature<'a> {
    /// Component identifiers as they appear in Signature-Input, e.g. `"@method"`,
    /// `"content-digest"`, `"signature";req`.
    pub components: &'a [&'a str],
    pub created: i64,
    /// When the signature stops being valid (verifiers refuse it after).
    pub expires: Option<i64>,
    pub nonce: Option<&'a str>,
    pub keyid: &'a str,
    pub tag: Option<&'a str>,
    /// Include `alg` (RFC 9421 makes it optional; the verifier's key decides anyway).
    pub alg: Option<&'a str>,
}

/// Sign `msg`: returns the `Signature-Input` and `Signature` header values for `label`.
/// `sign` gets the signature base bytes (e.g. a key store's ECDSA P-256 `r ‖ s`).
pub fn sign(
    msg: &Message<'_>,
    request: Option<&Message<'_>>,
    label: &str,
    new: &NewSignature<'_>,
    sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, NetError>,
) -> Result<(String, String), NetError> {
    // Parse the component list with sfv so identifiers serialise canonically.
    let list: sfv::List = Parser::new(&new.components.join(", ")).parse().map_err(|_| bad("components"))?;
    let items: Vec<Item> = list
        .into_iter()
        .map(|e| match e {
            ListEntry::Item(i) => Ok(i),
            ListEntry::InnerList(_) => Err(bad("components")),
        })
        .collect::<Result<_, _>>()?;
    let key = |k: &str| sfv::Key::from_string(k.to_owned()).expect("static parameter names are valid keys");
    let text = |s: &str| sfv::String::from_string(s.to_owned()).map_err(|_| bad("signature parameter"));
    let mut params = Parameters::new();
    params.insert(key("created"), BareItem::Integer(sfv::Integer::try_from(new.created).map_err(|_| bad("created"))?));
    if let Some(expires) = new.expires {
        params.insert(key("expires"), BareItem::Integer(sfv::Integer::try_from(expires).map_err(|_| bad("expires"))?));
    }
    if let Some(nonce) = new.nonce {
        params.insert(key("nonce"), BareItem::String(text(nonce)?));
    }
    if let Some(alg) = new.alg {
        params.insert(key("alg"), BareItem::String(text(alg)?));
    }
    params.insert(key("keyid"), BareItem::String(text(new.keyid)?));
    if let Some(tag) = new.tag {
        params.insert(key("tag"), BareItem::String(text(tag)?));
    }
    let input = InnerList { items, params };
    let base = base_of(msg, request, &input)?;
    let sig = sign(base.as_bytes())?;
    let input_value = format!("{label}={}", serialize_inner_list(&input));
    let sig_value = format!("{label}=:{}:", base64::engine::general_purpose::STANDARD.encode(sig));
    Ok((input_value, sig_value))
}
