//! Credit scores from several providers and what they unlock (DESIGN §4).
//!
//! Providers, their ranges, factors and benefit thresholds are data (a table per
//! provider), so adding a provider or moving a threshold is a table change, not code.
//! Scores arrive from the signed client; this room checks them against their provider's
//! rules, says how stale a cached score is, and lists the benefits it unlocks.

use serde::{Deserialize, Serialize};

use crate::store::Record;

/// Why a score was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScoreError {
    #[error("unknown score provider '{id}'")]
    UnknownProvider { id: String },
    #[error("score {value} is outside the provider's range {min}–{max}")]
    OutOfRange { value: i32, min: i32, max: i32 },
    #[error("the score's factors do not match the provider's ({expected} expected)")]
    BadFactors { expected: usize },
    #[error("the score's dates are inconsistent")]
    BadDates,
}

/// A benefit a score can unlock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Benefit {
    pub id: &'static str,
    pub title: &'static str,
    pub min_score: i32,
}

/// A provider's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub id: &'static str,
    pub name: &'static str,
    pub min: i32,
    pub max: i32,
    /// Factor ids, in the order the provider reports them.
    pub factors: &'static [&'static str],
    /// Benefits by threshold, lowest first.
    pub benefits: &'static [Benefit],
}

/// The benefit whose threshold lets a provider's score back a visa report.
pub const VISA_REPORT: &str = "visa_report";

impl Provider {
    /// The score this provider's visa report needs, or `None` if it issues none.
    pub fn report_threshold(&self) -> Option<i32> {
        self.benefits.iter().find(|b| b.id == VISA_REPORT).map(|b| b.min_score)
    }
}

/// The providers idwallet knows.
pub const PROVIDERS: &[Provider] = &[
    Provider {
        id: "sesame",
        name: "Sesame-like credit",
        min: 350,
        max: 950,
        factors: &[
            "credit_history",
            "behavioural_preference",
            "fulfilment_capability",
            "personal_attributes",
            "social_network",
        ],
        benefits: &[
            Benefit { id: "deposit_free_power_bank", title: "Deposit-free power bank rental", min_score: 550 },
            Benefit { id: "deposit_free_bike", title: "Deposit-free bike sharing", min_score: 650 },
            Benefit { id: VISA_REPORT, title: "Visa report without bank statements", min_score: 750 },
        ],
    },
    Provider {
        id: "paypoint",
        name: "Pay-Point-like score",
        min: 300,
        max: 850,
        factors: &["identity", "payment_history", "assets", "trust_behaviour", "social_connections"],
        benefits: &[
            Benefit { id: "deposit_free_power_bank", title: "Deposit-free power bank rental", min_score: 550 },
            Benefit { id: "pay_later", title: "Pay later for rides and meals", min_score: 600 },
        ],
    },
];

pub fn provider(id: &str) -> Result<&'static Provider, ScoreError> {
    PROVIDERS.iter().find(|p| p.id == id).ok_or_else(|| ScoreError::UnknownProvider { id: id.into() })
}

/// One factor's contribution (points above or below the provider's midpoint).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Factor {
    pub id: String,
    pub contribution: i32,
}

/// A score as a provider reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    pub provider: String,
    pub value: i32,
    pub factors: Vec<Factor>,
    /// Seconds since the Unix epoch.
    pub computed_at: i64,
    pub expires_at: i64,
}

/// One past score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScorePoint {
    pub at: i64,
    pub value: i32,
}

/// The last verified answer from a provider, kept sealed so the app can show it offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreSnapshot {
    pub score: Score,
    /// Earlier scores, oldest first.
    pub history: Vec<ScorePoint>,
    /// When the phone received and verified it.
    pub fetched_at: i64,
}

impl Record for ScoreSnapshot {
    const KIND: &'static str = "score";
    fn id(&self) -> &str {
        &self.score.provider
    }
}

/// What the app shows for one provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreView {
    pub snapshot: ScoreSnapshot,
    pub benefits: Vec<Benefit>,
    /// The next benefit and the points it still needs.
    pub next_benefit: Option<(Benefit, i32)>,
    pub freshness: Freshness,
    /// True when the service could not be reached and this is the cached answer.
    pub from_cache: bool,
}

impl ScoreView {
    pub fn new(snapshot: ScoreSnapshot, now: i64, from_cache: bool) -> Result<Self, ScoreError> {
        Ok(Self {
            benefits: snapshot.score.benefits()?,
            next_benefit: snapshot.score.next_benefit()?,
            freshness: snapshot.score.freshness(now),
            snapshot,
            from_cache,
        })
    }
}

/// How current a (cached) score is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    Current,
    /// Past `expires_at` by `age_secs`: show it, but say so.
    Stale {
        age_secs: i64,
    },
}

impl Score {
    /// Check the score against its provider's range and factor list.
    pub fn validate(&self) -> Result<&'static Provider, ScoreError> {
        let p = provider(&self.provider)?;
        if !(p.min..=p.max).contains(&self.value) {
            return Err(ScoreError::OutOfRange { value: self.value, min: p.min, max: p.max });
        }
        let ids: Vec<&str> = self.factors.iter().map(|f| f.id.as_str()).collect();
        if ids != p.factors {
            return Err(ScoreError::BadFactors { expected: p.factors.len() });
        }
        if self.expires_at <= self.computed_at {
            return Err(ScoreError::BadDates);
        }
        Ok(p)
    }

    /// The benefits this score unlocks, lowest threshold first.
    pub fn benefits(&self) -> Result<Vec<Benefit>, ScoreError> {
        let p = self.validate()?;
        Ok(p.benefits.iter().filter(|b| self.value >= b.min_score).cloned().collect())
    }

    /// The next benefit and how many points it needs, if any is left.
    pub fn next_benefit(&self) -> Result<Option<(Benefit, i32)>, ScoreError> {
        let p = self.validate()?;
        Ok(p.benefits.iter().find(|b| self.value < b.min_score).map(|b| (b.clone(), b.min_score - self.value)))
    }

    /// This score as a point of history.
    pub fn point(&self) -> ScorePoint {
        ScorePoint { at: self.computed_at, value: self.value }
    }

    pub fn freshness(&self, now: i64) -> Freshness {
        if now <= self.expires_at {
            Freshness::Current
        } else {
            Freshness::Stale { age_secs: now - self.expires_at }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sesame(value: i32) -> Score {
        Score {
            provider: "sesame".into(),
            value,
            factors: provider("sesame")
                .unwrap()
                .factors
                .iter()
                .map(|f| Factor { id: (*f).into(), contribution: 10 })
                .collect(),
            computed_at: 1_000,
            expires_at: 2_000,
        }
    }

    #[test]
    fn thresholds_unlock_benefits_at_exactly_their_score() {
        let ids = |s: Score| s.benefits().unwrap().into_iter().map(|b| b.id).collect::<Vec<_>>();
        assert!(ids(sesame(549)).is_empty());
        assert_eq!(ids(sesame(550)), ["deposit_free_power_bank"]);
        assert_eq!(ids(sesame(650)), ["deposit_free_power_bank", "deposit_free_bike"]);
        assert_eq!(ids(sesame(749)).len(), 2);
        assert_eq!(ids(sesame(750)), ["deposit_free_power_bank", "deposit_free_bike", "visa_report"]);
        assert_eq!(sesame(700).next_benefit().unwrap().map(|(b, gap)| (b.id, gap)), Some(("visa_report", 50)));
        assert_eq!(sesame(950).next_benefit().unwrap(), None);
        assert_eq!(provider("sesame").unwrap().report_threshold(), Some(750));
        assert_eq!(provider("paypoint").unwrap().report_threshold(), None);
    }

    #[test]
    fn scores_outside_their_providers_rules_are_refused() {
        assert_eq!(sesame(349).validate(), Err(ScoreError::OutOfRange { value: 349, min: 350, max: 950 }));
        assert_eq!(sesame(951).benefits(), Err(ScoreError::OutOfRange { value: 951, min: 350, max: 950 }));
        let mut s = sesame(700);
        s.factors.pop();
        assert_eq!(s.validate(), Err(ScoreError::BadFactors { expected: 5 }));
        let mut s = sesame(700);
        s.factors.swap(0, 1);
        assert!(s.validate().is_err());
        let mut s = sesame(700);
        s.provider = "unknown".into();
        assert_eq!(s.validate(), Err(ScoreError::UnknownProvider { id: "unknown".into() }));
        let mut s = sesame(700);
        s.expires_at = s.computed_at;
        assert_eq!(s.validate(), Err(ScoreError::BadDates));
    }

    #[test]
    fn a_cached_score_says_how_stale_it_is() {
        assert_eq!(sesame(700).freshness(1_500), Freshness::Current);
        assert_eq!(sesame(700).freshness(2_600), Freshness::Stale { age_secs: 600 });
    }

    #[test]
    fn every_provider_table_is_well_formed() {
        for p in PROVIDERS {
            assert!(p.min < p.max && p.factors.len() == 5, "{}", p.id);
            assert!(p.benefits.windows(2).all(|w| w[0].min_score <= w[1].min_score), "{}", p.id);
            assert!(p.benefits.iter().all(|b| (p.min..=p.max).contains(&b.min_score)), "{}", p.id);
        }
    }
}
