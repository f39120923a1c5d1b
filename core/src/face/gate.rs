//! The unlock gate's rules: how failed attempts turn into a growing lockout. Pure: the
//! wallet keeps the state sealed, so a lockout survives restarts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::store::Record;

/// How fresh a face unlock must be for each disclosure (DESIGN §2: the face gate). Every
/// audience needs one; the windows only say how recent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosurePolicy {
    /// Seconds since the unlock within which an audience may be shown a presentation.
    pub windows: BTreeMap<String, i64>,
    /// For audiences not listed.
    pub default_secs: i64,
    /// Also require the platform's user authentication (fingerprint or device credential):
    /// the key store must gate its device key on it, so each disclosure's device signature
    /// proves it. A key store that cannot ([`crate::KeyStore::requires_user_authentication`]
    /// false, like the software one) makes every disclosure fail.
    pub require_user_authentication: bool,
}

impl Default for DisclosurePolicy {
    fn default() -> Self {
        Self {
            windows: BTreeMap::from([("police".to_owned(), 60), ("hotel".to_owned(), 300)]),
            default_secs: 120,
            require_user_authentication: false,
        }
    }
}

impl DisclosurePolicy {
    /// Longest window a policy may set: an unlock never lasts longer.
    pub const MAX_SECS: i64 = 3_600;

    /// How recent an unlock `audience` needs, in seconds.
    pub fn window(&self, audience: &str) -> i64 {
        self.windows.get(audience).copied().unwrap_or(self.default_secs)
    }

    /// Every window within 1 s…[`Self::MAX_SECS`]: no policy can switch the gate off.
    pub fn is_valid(&self) -> bool {
        self.windows.values().chain([&self.default_secs]).all(|w| (1..=Self::MAX_SECS).contains(w))
    }
}

/// Re-enrolling or removing the face needs an unlock this recent.
pub const RE_ENROL_SECS: i64 = 120;

/// How failures lock the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures allowed before the first lockout.
    pub free_attempts: u32,
    /// The first lockout; each further failure doubles it.
    pub base_secs: i64,
    pub max_secs: i64,
    /// How long a successful unlock keeps the eID open.
    pub session_secs: i64,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self { free_attempts: 3, base_secs: 30, max_secs: 3_600, session_secs: 300 }
    }
}

/// The gate's persistent state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateState {
    /// Consecutive failures since the last success.
    pub failures: u32,
    /// Unix seconds before which no attempt is accepted.
    pub locked_until: i64,
    /// A face is enrolled: the template and this state are written and removed together,
    /// so a record deleted from the file by hand shows.
    #[serde(default)]
    pub enrolled: bool,
    /// A session began and has not finished. The next one to begin counts it as a failed
    /// attempt: abandoning sessions until the random challenges (or the colour order) are
    /// the ones a puppet was pre-rendered for must cost attempts like failing them.
    #[serde(default)]
    pub pending: bool,
}

impl Record for GateState {
    const KIND: &'static str = "face_gate";
    fn id(&self) -> &str {
        "holder"
    }
}

impl GateState {
    /// Seconds until an attempt is allowed again, if locked.
    pub fn retry_after(&self, now: i64) -> Option<i64> {
        (now < self.locked_until).then(|| self.locked_until - now)
    }

    /// The state after a failed attempt at `now`.
    pub fn failed(self, policy: &LockoutPolicy, now: i64) -> Self {
        let failures = self.failures.saturating_add(1);
        let locked_until = match failures.checked_sub(policy.free_attempts) {
            Some(extra) => {
                let secs = policy.base_secs.saturating_mul(1i64 << extra.min(30)).min(policy.max_secs);
                now + secs
            }
            None => self.locked_until,
        };
        Self { failures, locked_until, pending: false, ..self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_lock_out_for_growing_times_up_to_the_cap() {
        let p = LockoutPolicy::default();
        let mut s = GateState::default();
        let mut locks = Vec::new();
        for _ in 0..12 {
            s = s.failed(&p, 1_000);
            locks.push(s.retry_after(1_000).unwrap_or(0));
        }
        assert_eq!(locks, [0, 0, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
        assert_eq!(s.retry_after(1_000 + 3_600), None);
    }
}
