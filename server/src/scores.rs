//! The reference providers' score formula. Deterministic, documented, and computed only
//! from data the server holds, so tests and the demo can reason about it:
//!
//! `value = clamp(midpoint + Σ factor contributions, min, max)`, where the midpoint is
//! 650 for `sesame` (range 350–950) and 575 for `paypoint` (range 300–850), and:
//!
//! | factor (sesame / paypoint) | contribution |
//! |---|---|
//! | credit history / identity | 2 × (years since 18th birthday − 12), in −40…+60 |
//! | behavioural preference / payment history | monthly behaviour signal, −30…+50 |
//! | fulfilment capability / assets | +30 for a registered vehicle, +15 per extra licence class, −8 per penalty point |
//! | personal attributes / trust behaviour | 2 × years of driving − 10, in −10…+40 |
//! | social network / social connections | monthly social signal, −25…+45 |
//!
//! The monthly signals stand in for transaction data the reference server does not have:
//! they are a keyed hash of (citizen, month), so a score drifts month to month but never
//! at random between two requests.

use idwallet_core::documents::Claims;
use idwallet_core::score::{Factor, Provider, Score};

use crate::state::CitizenRecord;

const DAY: i64 = 86_400;
/// A fetched score is current for a day.
pub const VALID_SECS: i64 = DAY;

/// Midpoint per provider: where a person with no signal either way lands.
fn midpoint(p: &Provider) -> i32 {
    match p.id {
        "sesame" => 650,
        _ => (p.min + p.max) / 2,
    }
}

fn year_of(date: &impl std::fmt::Display) -> i32 {
    date.to_string().get(..4).and_then(|y| y.parse().ok()).unwrap_or(2000)
}

fn year_at(unix: i64) -> i32 {
    (1970.0 + unix as f64 / (365.2425 * DAY as f64)) as i32
}

/// A stable signal in `lo..=hi` for (citizen, what, month).
fn signal(citizen: u32, what: &str, month: i64, lo: i32, hi: i32) -> i32 {
    let d = ring::digest::digest(&ring::digest::SHA256, format!("{citizen}|{what}|{month}").as_bytes());
    let n = u32::from_be_bytes([d.as_ref()[0], d.as_ref()[1], d.as_ref()[2], d.as_ref()[3]]);
    lo + (n % (hi - lo + 1) as u32) as i32
}

/// `citizen`'s score from provider `p` at time `at`.
pub fn compute(citizen: &CitizenRecord, p: &Provider, at: i64) -> Score {
    let year = year_at(at);
    let month = at / (30 * DAY);
    let mut birth_year = year - 30;
    let (mut vehicle, mut classes, mut points, mut driving_years) = (false, 1, 0, 0);
    for doc in &citizen.documents {
        match doc {
            Claims::ResidentIdCard(c) => birth_year = year_of(&c.birth_date),
            Claims::DrivingLicence(l) => {
                classes = l.classes.len() as i32;
                points = i32::from(l.points);
                driving_years = year - year_of(&l.first_issue);
            }
            Claims::VehicleRegistration(_) => vehicle = true,
            _ => {}
        }
    }
    let contributions = [
        (2 * (year - birth_year - 18 - 12)).clamp(-40, 60),
        signal(citizen.number, &format!("{}/behaviour", p.id), month, -30, 50),
        30 * i32::from(vehicle) + 15 * (classes - 1) - 8 * points,
        (2 * driving_years - 10).clamp(-10, 40),
        signal(citizen.number, &format!("{}/social", p.id), month, -25, 45),
    ];
    let value = (midpoint(p) + contributions.iter().sum::<i32>()).clamp(p.min, p.max);
    Score {
        provider: p.id.into(),
        value,
        factors: p
            .factors
            .iter()
            .zip(contributions)
            .map(|(id, c)| Factor { id: (*id).into(), contribution: c })
            .collect(),
        computed_at: at,
        expires_at: at + VALID_SECS,
    }
}
