//! Field rules for each document kind. Errors name the field and the rule, never the value.

use super::{invalid, Claims, DocumentError, Sex};

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

/// ISO 7064 MOD 11-2 check character of the first 17 digits of a resident ID number.
pub fn id_number_check_digit(first17: &str) -> Option<char> {
    let digits: Vec<u32> = first17.chars().map(|c| c.to_digit(10)).collect::<Option<_>>()?;
    if digits.len() != 17 {
        return None;
    }
    let sum: u32 = digits.iter().zip(ID_WEIGHTS).map(|(d, w)| d * w).sum();
    Some(ID_CHECK[(sum % 11) as usize] as char)
}

/// The check digit (position 9) of a 17-character VIN (ISO 3779 / GB 16735 weights).
pub fn vin_check_digit(vin: &str) -> Option<char> {
    const WEIGHTS: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
    let value = |c: char| -> Option<u32> {
        Some(match c {
            '0'..='9' => c.to_digit(10)?,
            'A' | 'J' => 1,
            'B' | 'K' | 'S' => 2,
            'C' | 'L' | 'T' => 3,
            'D' | 'M' | 'U' => 4,
            'E' | 'N' | 'V' => 5,
            'F' | 'W' => 6,
            'G' | 'P' | 'X' => 7,
            'H' | 'Y' => 8,
            'R' | 'Z' => 9,
            _ => return None, // I, O, Q and anything else are not VIN characters
        })
    };
    let chars: Vec<char> = vin.chars().collect();
    if chars.len() != 17 {
        return None;
    }
    let sum: u32 = chars.iter().zip(WEIGHTS).map(|(c, w)| value(*c).map(|v| v * w)).sum::<Option<u32>>()?;
    Some(match sum % 11 {
        10 => 'X',
        n => char::from_digit(n, 10)?,
    })
}

fn text(field: &'static str, value: &str, max_chars: usize) -> Result<(), DocumentError> {
    if value.trim().is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if value.chars().count() > max_chars {
        return Err(invalid(field, "too long"));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(field, "contains control characters"));
    }
    Ok(())
}

fn alnum(field: &'static str, value: &str, min: usize, max: usize) -> Result<(), DocumentError> {
    if value.len() < min || value.len() > max || !value.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()) {
        return Err(invalid(field, "must be upper-case letters and digits of the right length"));
    }
    Ok(())
}

fn id_number(field: &'static str, value: &str) -> Result<(), DocumentError> {
    if value.len() != 18 || !value.is_ascii() {
        return Err(invalid(field, "must be 18 characters"));
    }
    let (first17, check) = value.split_at(17);
    match id_number_check_digit(first17) {
        None => Err(invalid(field, "the first 17 characters must be digits")),
        Some(expected) if check.starts_with(expected) => Ok(()),
        Some(_) => Err(invalid(field, "check character does not match (ISO 7064 MOD 11-2)")),
    }
}

fn ordered<T: PartialOrd>(field: &'static str, earlier: T, later: T) -> Result<(), DocumentError> {
    if earlier < later {
        Ok(())
    } else {
        Err(invalid(field, "must come after the date it follows"))
    }
}

const PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";
const LICENCE_CLASSES: [&str; 16] =
    ["A1", "A2", "A3", "B1", "B2", "C1", "C2", "C3", "C4", "C5", "D", "E", "F", "M", "N", "P"];

pub(super) fn claims(claims: &Claims) -> Result<(), DocumentError> {
    match claims {
        Claims::ResidentIdCard(c) => {
            text("name", &c.name, 64)?;
            text("ethnicity", &c.ethnicity, 16)?;
            text("address", &c.address, 128)?;
            text("issuing_authority", &c.issuing_authority, 64)?;
            id_number("id_number", &c.id_number)?;
            // The number embeds the birth date (digits 7–14) and sex (digit 17: odd = male).
            if c.id_number[6..14] != c.birth_date.to_string().replace('-', "") {
                return Err(invalid("id_number", "birth date digits do not match birth_date"));
            }
            let male = c.id_number.as_bytes()[16] % 2 == 1;
            if male != (c.sex == Sex::Male) {
                return Err(invalid("id_number", "sex digit does not match sex"));
            }
            ordered("valid_from", c.birth_date, c.valid_from)?;
            if let Some(until) = c.valid_until {
                ordered("valid_until", c.valid_from, until)?;
            }
        }
        Claims::DrivingLicence(c) => {
            text("name", &c.name, 64)?;
            // In China the licence number is the holder's resident ID number.
            id_number("licence_number", &c.licence_number)?;
            if c.classes.is_empty() || c.classes.iter().any(|k| !LICENCE_CLASSES.contains(&k.as_str())) {
                return Err(invalid("classes", "must be one or more of A1–A3, B1, B2, C1–C5, D, E, F, M, N, P"));
            }
            if c.points > 12 {
                return Err(invalid("points", "must be 0–12"));
            }
            if c.first_issue > c.valid_from {
                return Err(invalid("first_issue", "must not be after valid_from"));
            }
            ordered("valid_until", c.valid_from, c.valid_until)?;
        }
        Claims::VehicleRegistration(c) => {
            let mut chars = c.plate.chars();
            let province_ok = chars.next().is_some_and(|p| PROVINCES.contains(p));
            let rest: String = chars.collect();
            let letter_ok = rest.chars().next().is_some_and(|l| l.is_ascii_uppercase() && l != 'I' && l != 'O');
            if !province_ok || !letter_ok || !(6..=7).contains(&rest.len()) {
                return Err(invalid("plate", "must be a province character, a letter and 5–6 letters or digits"));
            }
            alnum("plate", &rest, 6, 7)?;
            alnum("vin", &c.vin, 17, 17)?;
            match vin_check_digit(&c.vin) {
                Some(check) if c.vin.as_bytes()[8] as char == check => {}
                Some(_) => return Err(invalid("vin", "check digit does not match")),
                None => return Err(invalid("vin", "contains characters a VIN cannot have")),
            }
            text("owner", &c.owner, 64)?;
            text("vehicle_type", &c.vehicle_type, 32)?;
        }
        Claims::ResidencePermit(c) => {
            text("name", &c.name, 64)?;
            alnum("permit_number", &c.permit_number, 6, 20)?;
            text("region", &c.region, 64)?;
            text("permit_type", &c.permit_type, 32)?;
            ordered("valid_until", c.valid_from, c.valid_until)?;
        }
        Claims::HouseholdRegister(c) => {
            alnum("household_number", &c.household_number, 6, 20)?;
            text("head_of_household", &c.head_of_household, 64)?;
            text("name", &c.name, 64)?;
            text("relation_to_head", &c.relation_to_head, 16)?;
            text("address", &c.address, 128)?;
        }
    }
    Ok(())
}

#[cfg(feature = "issuer")]
/// A portrait must be a compact JPEG (see [`super::portrait`]) within the byte budget.
pub(crate) fn portrait(bytes: &[u8]) -> Result<(), DocumentError> {
    if bytes.len() > super::MAX_PORTRAIT_BYTES {
        return Err(invalid("portrait", "too large for a QR credential"));
    }
    match bytes {
        [q, 0xff, 0xd8, ..] if (1..=100).contains(q) => Ok(()),
        _ => Err(invalid("portrait", "must be a compact JPEG portrait")),
    }
}
