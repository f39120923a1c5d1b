//! The five document kinds and their typed, validated claims.
//!
//! A document's claims flatten to *elements* (element id → CBOR value): the unit of
//! selective disclosure in the QR credential (DESIGN §3). Validation happens when a
//! document is built, so nothing malformed is ever issued, stored or shown.

pub mod portrait;
pub mod reference;
#[cfg(feature = "testing")]
pub mod synthetic;
mod validate;

use ciborium::Value;
use serde::{Deserialize, Serialize};

#[cfg(feature = "issuer")]
pub(crate) use validate::portrait as validate_portrait;
pub use validate::{id_number_check_digit, vin_check_digit};

/// Why a document's data was refused. Names the field, never its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("{field}: {problem}")]
    Invalid { field: &'static str, problem: &'static str },
    #[error("unknown document kind")]
    UnknownKind,
    #[error("the document's elements are malformed")]
    Malformed,
}

pub(crate) fn invalid(field: &'static str, problem: &'static str) -> DocumentError {
    DocumentError::Invalid { field, problem }
}

/// The kinds of document the wallet holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    ResidentIdCard,
    DrivingLicence,
    VehicleRegistration,
    ResidencePermit,
    HouseholdRegister,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 5] = [
        Self::ResidentIdCard,
        Self::DrivingLicence,
        Self::VehicleRegistration,
        Self::ResidencePermit,
        Self::HouseholdRegister,
    ];

    /// The wire name, used in credentials and as the stored document id.
    pub fn code(self) -> &'static str {
        match self {
            Self::ResidentIdCard => "resident_id_card",
            Self::DrivingLicence => "driving_licence",
            Self::VehicleRegistration => "vehicle_registration",
            Self::ResidencePermit => "residence_permit",
            Self::HouseholdRegister => "household_register",
        }
    }

    /// The compact wire number (position in [`DocumentKind::ALL`]).
    pub fn number(self) -> u8 {
        Self::ALL.iter().position(|k| *k == self).expect("every kind is in ALL") as u8
    }

    pub fn from_number(n: u64) -> Result<Self, DocumentError> {
        usize::try_from(n).ok().and_then(|n| Self::ALL.get(n).copied()).ok_or(DocumentError::UnknownKind)
    }

    pub fn from_code(code: &str) -> Result<Self, DocumentError> {
        Self::ALL.into_iter().find(|k| k.code() == code).ok_or(DocumentError::UnknownKind)
    }

    /// Documents that identify a person by face carry a portrait.
    pub fn has_portrait(self) -> bool {
        matches!(self, Self::ResidentIdCard | Self::DrivingLicence | Self::ResidencePermit)
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::ResidentIdCard => "Resident identity card",
            Self::DrivingLicence => "Driving licence",
            Self::VehicleRegistration => "Vehicle registration",
            Self::ResidencePermit => "Residence permit",
            Self::HouseholdRegister => "Household register",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
}

impl Sex {
    /// As serialised and printed: `female`, `male`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Female => "female",
            Self::Male => "male",
        }
    }
}

/// A calendar date, `YYYY-MM-DD`, checked to exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(time::Date);

impl Date {
    pub fn parse(field: &'static str, text: &str) -> Result<Self, DocumentError> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(text, &format).map(Self).map_err(|_| invalid(field, "not a valid YYYY-MM-DD date"))
    }

    pub fn ymd(year: i32, month: u8, day: u8) -> Result<Self, DocumentError> {
        let month = time::Month::try_from(month).map_err(|_| invalid("date", "month out of range"))?;
        time::Date::from_calendar_date(year, month, day).map(Self).map_err(|_| invalid("date", "day out of range"))
    }

    /// Seconds since the epoch at 00:00 UTC of the day after (validity ends at day's end).
    pub fn end_of_day_unix(self) -> i64 {
        self.0.midnight().assume_utc().unix_timestamp() + 86_400
    }

    pub fn start_unix(self) -> i64 {
        self.0.midnight().assume_utc().unix_timestamp()
    }

    /// Whole years from this date to the day (UTC) of `unix`: an age. `None` before it.
    pub fn years_at(self, unix: i64) -> Option<i32> {
        let today = time::OffsetDateTime::from_unix_timestamp(unix).ok()?.date();
        let before_anniversary = (today.month() as u8, today.day()) < (self.0.month() as u8, self.0.day());
        let years = today.year() - self.0.year() - i32::from(before_anniversary);
        (years >= 0).then_some(years)
    }

    #[cfg(feature = "testing")]
    pub(crate) fn inner(self) -> time::Date {
        self.0
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.0.year(), self.0.month() as u8, self.0.day())
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Date::parse("date", &text).map_err(serde::de::Error::custom)
    }
}

/// Resident identity card (居民身份证).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidentIdCard {
    pub name: String,
    pub sex: Sex,
    pub ethnicity: String,
    pub birth_date: Date,
    pub address: String,
    /// 18 characters; the last is the ISO 7064 MOD 11-2 check character.
    pub id_number: String,
    pub issuing_authority: String,
    pub valid_from: Date,
    /// `None`: valid long-term (长期), as for holders over 46.
    pub valid_until: Option<Date>,
}

/// Motor vehicle driving licence (机动车驾驶证).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrivingLicence {
    pub name: String,
    pub licence_number: String,
    pub classes: Vec<String>,
    pub first_issue: Date,
    pub valid_from: Date,
    pub valid_until: Date,
    /// Penalty points in the current 12-month cycle (0–12; 12 suspends the licence).
    pub points: u8,
    pub status: LicenceStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LicenceStatus {
    Normal,
    Suspended,
    Revoked,
}

/// Motor vehicle registration certificate (机动车行驶证).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VehicleRegistration {
    pub plate: String,
    /// 17 characters; position 9 is the check digit (GB 16735 / ISO 3779).
    pub vin: String,
    pub owner: String,
    pub vehicle_type: String,
    pub registration_date: Date,
}

/// Residence permit (居住证).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidencePermit {
    pub name: String,
    pub permit_number: String,
    pub region: String,
    pub permit_type: String,
    pub valid_from: Date,
    pub valid_until: Date,
}

/// Household register entry (户口簿), one member's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdRegister {
    pub household_number: String,
    pub head_of_household: String,
    pub name: String,
    pub relation_to_head: String,
    pub address: String,
}

/// The claims of one document, by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Claims {
    ResidentIdCard(ResidentIdCard),
    DrivingLicence(DrivingLicence),
    VehicleRegistration(VehicleRegistration),
    ResidencePermit(ResidencePermit),
    HouseholdRegister(HouseholdRegister),
}

impl Claims {
    pub fn kind(&self) -> DocumentKind {
        match self {
            Self::ResidentIdCard(_) => DocumentKind::ResidentIdCard,
            Self::DrivingLicence(_) => DocumentKind::DrivingLicence,
            Self::VehicleRegistration(_) => DocumentKind::VehicleRegistration,
            Self::ResidencePermit(_) => DocumentKind::ResidencePermit,
            Self::HouseholdRegister(_) => DocumentKind::HouseholdRegister,
        }
    }

    /// Check every field; the first problem found is returned.
    pub fn validate(&self) -> Result<(), DocumentError> {
        validate::claims(self)
    }

    /// When the document stops being valid, if it says (seconds since the epoch).
    pub fn valid_until(&self) -> Option<i64> {
        match self {
            Self::ResidentIdCard(c) => c.valid_until.map(Date::end_of_day_unix),
            Self::DrivingLicence(c) => Some(c.valid_until.end_of_day_unix()),
            Self::ResidencePermit(c) => Some(c.valid_until.end_of_day_unix()),
            Self::VehicleRegistration(_) | Self::HouseholdRegister(_) => None,
        }
    }

    /// The holder's name as the document gives it (owner for a vehicle).
    pub fn holder_name(&self) -> &str {
        match self {
            Self::ResidentIdCard(c) => &c.name,
            Self::DrivingLicence(c) => &c.name,
            Self::VehicleRegistration(c) => &c.owner,
            Self::ResidencePermit(c) => &c.name,
            Self::HouseholdRegister(c) => &c.name,
        }
    }

    /// The claims as disclosure elements (element id → value), in field order.
    pub fn elements(&self) -> Vec<(String, Value)> {
        let value = match self {
            Self::ResidentIdCard(c) => Value::serialized(c),
            Self::DrivingLicence(c) => Value::serialized(c),
            Self::VehicleRegistration(c) => Value::serialized(c),
            Self::ResidencePermit(c) => Value::serialized(c),
            Self::HouseholdRegister(c) => Value::serialized(c),
        };
        match value {
            Ok(Value::Map(entries)) => entries
                .into_iter()
                .filter(|(_, v)| !v.is_null())
                .filter_map(|(k, v)| k.into_text().ok().map(|k| (k, v)))
                .collect(),
            _ => unreachable!("claims structs always serialise to a map"),
        }
    }

    /// Rebuild and validate claims of `kind` from elements (all of them).
    pub fn from_elements(kind: DocumentKind, elements: &[(String, Value)]) -> Result<Self, DocumentError> {
        let map = Value::Map(elements.iter().map(|(k, v)| (Value::Text(k.clone()), v.clone())).collect());
        let claims = match kind {
            DocumentKind::ResidentIdCard => map.deserialized().map(Self::ResidentIdCard),
            DocumentKind::DrivingLicence => map.deserialized().map(Self::DrivingLicence),
            DocumentKind::VehicleRegistration => map.deserialized().map(Self::VehicleRegistration),
            DocumentKind::ResidencePermit => map.deserialized().map(Self::ResidencePermit),
            DocumentKind::HouseholdRegister => map.deserialized().map(Self::HouseholdRegister),
        }
        .map_err(|_| DocumentError::Malformed)?;
        claims.validate()?;
        Ok(claims)
    }

    /// The element's compact wire number: its position in [`Claims::element_ids`].
    pub fn element_number(kind: DocumentKind, id: &str) -> Option<u8> {
        Self::element_ids(kind).iter().position(|e| *e == id).map(|n| n as u8)
    }

    /// Every element id this kind can carry (portrait included where it applies).
    pub fn element_ids(kind: DocumentKind) -> &'static [&'static str] {
        match kind {
            DocumentKind::ResidentIdCard => &[
                "name",
                "sex",
                "ethnicity",
                "birth_date",
                "address",
                "id_number",
                "issuing_authority",
                "valid_from",
                "valid_until",
                PORTRAIT,
                REFERENCE_PORTRAIT,
            ],
            DocumentKind::DrivingLicence => &[
                "name",
                "licence_number",
                "classes",
                "first_issue",
                "valid_from",
                "valid_until",
                "points",
                "status",
                PORTRAIT,
                REFERENCE_PORTRAIT,
            ],
            DocumentKind::VehicleRegistration => &["plate", "vin", "owner", "vehicle_type", "registration_date"],
            DocumentKind::ResidencePermit => &[
                "name",
                "permit_number",
                "region",
                "permit_type",
                "valid_from",
                "valid_until",
                PORTRAIT,
                REFERENCE_PORTRAIT,
            ],
            DocumentKind::HouseholdRegister => {
                &["household_number", "head_of_household", "name", "relation_to_head", "address"]
            }
        }
    }
}

/// Element id of the portrait: a 48×64 greyscale JPEG in compact form ([`portrait`]).
pub const PORTRAIT: &str = "portrait";

/// Element id of the SHA-256 of the issuer's reference portrait ([`reference`]): the
/// issuer signs the digest like any claim, so the wallet can tell the portrait it matches
/// a live face against is the one issued for this holder. Never disclosed to a verifier.
pub const REFERENCE_PORTRAIT: &str = "reference_portrait";

/// Elements that belong to the holder's device only, never to any audience.
pub fn is_holder_only(element: &str) -> bool {
    element == REFERENCE_PORTRAIT
}

/// Largest (compact) portrait accepted, to keep the hotel QR within its byte budget.
pub const MAX_PORTRAIT_BYTES: usize = 305;

#[cfg(test)]
mod tests;
