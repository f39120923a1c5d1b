//! Device engagement (ISO 18013-5 §8.2.1): the holder's ephemeral key and how to reach the
//! phone, shown as a QR code `mdoc:` + base64url(DeviceEngagementBytes).
//!
//! `DeviceEngagement = {0: "1.0", 1: [1, #6.24(EDeviceKey)], ? 2: [[type, version, options]…]}`.

use base64::Engine;
use ciborium::Value;

use super::session::cose_key_to_sec1;
use super::{cose_key, decode, encode, int_field, malformed, tagged, MdlError};

const URI_PREFIX: &str = "mdoc:";
/// The one cipher suite 18013-5 defines (ECDH P-256, HKDF-SHA256, AES-256-GCM).
const CIPHER_SUITE: u64 = 1;
/// An engagement is a few hundred bytes; anything much larger is not one.
const MAX_ENGAGEMENT_BYTES: usize = 4096;

/// How the reader may reach the holder's phone (§8.2.2). The radio itself is the app's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetrievalMethod {
    /// BLE: the holder's phone as peripheral server and/or central client, with its UUIDs.
    Ble { peripheral_server: Option<[u8; 16]>, central_client: Option<[u8; 16]> },
    /// NFC, with the largest command and response data fields.
    Nfc { max_command: u64, max_response: u64 },
}

impl RetrievalMethod {
    /// BLE with the phone as peripheral server under a fresh random (v4) service UUID.
    pub fn ble_peripheral() -> Self {
        let mut uuid = crate::crypto::random_array::<16>();
        uuid[6] = (uuid[6] & 0x0f) | 0x40;
        uuid[8] = (uuid[8] & 0x3f) | 0x80;
        Self::Ble { peripheral_server: Some(uuid), central_client: None }
    }

    fn to_value(&self) -> Value {
        let int = |n: u64| Value::from(n);
        match self {
            Self::Ble { peripheral_server, central_client } => {
                let mut options = vec![
                    (int(0), Value::Bool(peripheral_server.is_some())),
                    (int(1), Value::Bool(central_client.is_some())),
                ];
                if let Some(uuid) = peripheral_server {
                    options.push((int(10), Value::Bytes(uuid.to_vec())));
                }
                if let Some(uuid) = central_client {
                    options.push((int(11), Value::Bytes(uuid.to_vec())));
                }
                Value::Array(vec![int(2), int(1), Value::Map(options)])
            }
            Self::Nfc { max_command, max_response } => Value::Array(vec![
                int(1),
                int(1),
                Value::Map(vec![(int(0), int(*max_command)), (int(1), int(*max_response))]),
            ]),
        }
    }

    /// A method we know, or `None` for one we do not (Wi-Fi Aware, future ones).
    fn from_value(value: &Value) -> Result<Option<Self>, MdlError> {
        let parts = value.as_array().ok_or(malformed("DeviceRetrievalMethod"))?;
        let [kind, _version, options] = parts.as_slice() else {
            return Err(malformed("DeviceRetrievalMethod"));
        };
        let uuid = |key| -> Result<Option<[u8; 16]>, MdlError> {
            match int_field(options, key) {
                None => Ok(None),
                Some(v) => v
                    .as_bytes()
                    .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())
                    .map(Some)
                    .ok_or(malformed("BLE UUID")),
            }
        };
        let uint = |key| int_field(options, key).and_then(Value::as_integer).and_then(|i| u64::try_from(i).ok());
        Ok(match kind.as_integer().and_then(|i| u8::try_from(i).ok()) {
            Some(2) => Some(Self::Ble { peripheral_server: uuid(10)?, central_client: uuid(11)? }),
            Some(1) => Some(Self::Nfc {
                max_command: uint(0).ok_or(malformed("NFC options"))?,
                max_response: uint(1).ok_or(malformed("NFC options"))?,
            }),
            Some(_) => None,
            None => return Err(malformed("DeviceRetrievalMethod")),
        })
    }
}

/// A device engagement: the holder's ephemeral public key and retrieval methods, with the
/// exact bytes the session transcript hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceEngagement {
    /// EDeviceKey.Pub (SEC1 P-256).
    pub e_device_key: Vec<u8>,
    pub methods: Vec<RetrievalMethod>,
    bytes: Vec<u8>,
}

impl DeviceEngagement {
    pub fn new(e_device_key: &[u8], methods: Vec<RetrievalMethod>) -> Result<Self, MdlError> {
        let security = Value::Array(vec![Value::from(CIPHER_SUITE), tagged(&cose_key(e_device_key)?)]);
        let mut map = vec![(Value::from(0), Value::Text("1.0".into())), (Value::from(1), security)];
        if !methods.is_empty() {
            map.push((Value::from(2), Value::Array(methods.iter().map(RetrievalMethod::to_value).collect())));
        }
        Ok(Self { e_device_key: e_device_key.to_vec(), methods, bytes: encode(&Value::Map(map)) })
    }

    /// DeviceEngagementBytes, as the transcript includes them.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The QR code's text.
    pub fn to_uri(&self) -> String {
        format!("{URI_PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&self.bytes))
    }

    /// Read a scanned `mdoc:` URI.
    pub fn from_uri(uri: &str) -> Result<Self, MdlError> {
        // A URI scheme is case-insensitive (RFC 3986), and a QR code's alphanumeric mode is upper case.
        let uri = uri.trim();
        let body = uri
            .get(..URI_PREFIX.len())
            .filter(|scheme| scheme.eq_ignore_ascii_case(URI_PREFIX))
            .map(|_| &uri[URI_PREFIX.len()..])
            .ok_or(malformed("not an mdoc: URI"))?;
        if body.len() > MAX_ENGAGEMENT_BYTES * 4 / 3 + 4 {
            return Err(MdlError::TooLarge { bytes: body.len() });
        }
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body.trim_end_matches('='))
            .map_err(|_| malformed("mdoc: URI is not base64url"))?;
        Self::from_bytes(&bytes)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MdlError> {
        if bytes.len() > MAX_ENGAGEMENT_BYTES {
            return Err(MdlError::TooLarge { bytes: bytes.len() });
        }
        let value = decode(bytes, "DeviceEngagement")?;
        let version = int_field(&value, 0).and_then(Value::as_text).ok_or(malformed("DeviceEngagement version"))?;
        if !version.starts_with("1.") {
            return Err(MdlError::Unsupported { what: "a DeviceEngagement version other than 1.x" });
        }
        let security = int_field(&value, 1).and_then(Value::as_array).ok_or(malformed("Security"))?;
        let [suite, key] = security.as_slice() else {
            return Err(malformed("Security"));
        };
        if suite.as_integer() != Some(CIPHER_SUITE.into()) {
            return Err(MdlError::Unsupported { what: "a cipher suite other than 1" });
        }
        let e_device_key = cose_key_to_sec1(&super::decode_tagged(key, "EDeviceKeyBytes")?)?;
        p256::PublicKey::from_sec1_bytes(&e_device_key).map_err(|_| MdlError::BadKey)?;
        let methods = match int_field(&value, 2) {
            None => vec![],
            Some(list) => list
                .as_array()
                .ok_or(malformed("DeviceRetrievalMethods"))?
                .iter()
                .filter_map(|m| RetrievalMethod::from_value(m).transpose())
                .collect::<Result<_, _>>()?,
        };
        Ok(Self { e_device_key, methods, bytes: bytes.to_vec() })
    }
}
