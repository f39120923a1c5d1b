//! Strict CBOR for outside input: one item, no trailing bytes, deterministic encoding
//! (RFC 8949 §4.2.1: shortest forms, definite lengths, map keys unique and sorted by their
//! encoded bytes). Checked by re-encoding: any other encoding of the same value differs.
//! Our own encoder builds maps in that order, so what we sign is what we accept.

use ciborium::Value;

use super::{malformed, CredentialError};

/// Nesting deeper than this is refused (ours never exceeds 6).
const MAX_DEPTH: usize = 16;

pub(crate) fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).expect("writing CBOR to memory cannot fail");
    out
}

/// Decode `bytes` as exactly one deterministic CBOR item.
pub(crate) fn decode_strict(bytes: &[u8]) -> Result<Value, CredentialError> {
    let mut reader = bytes;
    let value: Value = ciborium::de::from_reader_with_recursion_limit(&mut reader, MAX_DEPTH)
        .map_err(|_| malformed("not well-formed CBOR"))?;
    if !reader.is_empty() {
        return Err(malformed("trailing bytes after the CBOR item"));
    }
    check_maps(&value)?;
    if encode(&value) != bytes {
        return Err(CredentialError::NonCanonical);
    }
    Ok(value)
}

fn check_maps(value: &Value) -> Result<(), CredentialError> {
    match value {
        Value::Map(entries) => {
            let keys: Vec<Vec<u8>> = entries.iter().map(|(k, _)| encode(k)).collect();
            for pair in keys.windows(2) {
                match pair[0].cmp(&pair[1]) {
                    std::cmp::Ordering::Less => {}
                    std::cmp::Ordering::Equal => return Err(CredentialError::DuplicateKey),
                    std::cmp::Ordering::Greater => {
                        // A duplicate further apart is still a duplicate, not just disorder.
                        return Err(if keys.iter().filter(|k| **k == pair[1]).count() > 1 {
                            CredentialError::DuplicateKey
                        } else {
                            CredentialError::NonCanonical
                        });
                    }
                }
            }
            entries.iter().try_for_each(|(k, v)| check_maps(k).and(check_maps(v)))
        }
        Value::Array(items) => items.iter().try_for_each(check_maps),
        Value::Tag(_, inner) => check_maps(inner),
        Value::Float(_) => Err(malformed("floating-point values are not used")),
        _ => Ok(()),
    }
}

/// A map with its entries in deterministic order.
pub(crate) fn canonical_map(mut entries: Vec<(Value, Value)>) -> Value {
    entries.sort_by_cached_key(|(k, _)| encode(k));
    Value::Map(entries)
}

/// Look up `key` in a decoded map.
pub(crate) fn get<'a>(map: &'a [(Value, Value)], key: &Value) -> Option<&'a Value> {
    map.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

pub(crate) fn int(v: &Value) -> Option<i64> {
    v.as_integer().and_then(|i| i64::try_from(i).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_deterministic_and_rejects_other_encodings() {
        let v = canonical_map(vec![(Value::from(10), Value::from("a")), (Value::from(1), Value::from(-1))]);
        let bytes = encode(&v);
        assert_eq!(decode_strict(&bytes).unwrap(), v);
        // 1 as a two-byte integer (0x18 0x01) instead of 0x01.
        assert_eq!(decode_strict(&[0x18, 0x01]), Err(CredentialError::NonCanonical));
        // Indefinite-length array.
        assert_eq!(decode_strict(&[0x9f, 0x01, 0xff]), Err(CredentialError::NonCanonical));
        // Unsorted map {10: 1, 1: 1}.
        assert_eq!(decode_strict(&[0xa2, 0x0a, 0x01, 0x01, 0x01]), Err(CredentialError::NonCanonical));
        // Duplicate key {1: 1, 1: 2}.
        assert_eq!(decode_strict(&[0xa2, 0x01, 0x01, 0x01, 0x02]), Err(CredentialError::DuplicateKey));
        assert_eq!(decode_strict(&[0xa3, 0x01, 0x01, 0x02, 0x01, 0x01, 0x02]), Err(CredentialError::DuplicateKey));
        // Trailing byte, truncation, and deep nesting.
        assert!(matches!(decode_strict(&[0x01, 0x01]), Err(CredentialError::Malformed { .. })));
        assert!(matches!(decode_strict(&[0x82, 0x01]), Err(CredentialError::Malformed { .. })));
        assert!(matches!(decode_strict(&[0x81; 40]), Err(CredentialError::Malformed { .. })));
    }
}
