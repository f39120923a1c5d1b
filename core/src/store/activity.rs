//! The activity log: what happened to the user's data, to whom, when, with what result.
//! Entries are sealed like records; only the sequence number and time are in the clear.

use serde::{Deserialize, Serialize};

/// What happened. Later rooms add unlocks and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActivityKind {
    WalletCreated,
    RecordStored,
    RecordDeleted,
    /// An issuer credential was stored (detail: the document kind).
    DocumentStored,
    /// A QR presentation was made (counterparty: the audience).
    Presented,
    /// A presentation was verified here as staff (counterparty: the audience).
    Verified,
    /// The device registered with a service (counterparty: its host).
    Registered,
    /// Data about the holder was fetched from a service (counterparty: its host; detail: what).
    Fetched,
    FaceEnrolled,
    FaceRemoved,
    /// An attempt to unlock the eID with the holder's face.
    Unlock,
    /// A visa report was requested (counterparty: the service; detail: provider, destination).
    ReportRequested,
}

/// How it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Success,
    Failure { reason: String },
}

/// One line of the activity log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityEntry {
    /// Seconds since the Unix epoch.
    pub at: i64,
    pub kind: ActivityKind,
    /// Who the data went to or came from (an audience, a server), if anyone.
    pub counterparty: Option<String>,
    pub outcome: Outcome,
    /// A short description for the user, e.g. the kind of record touched.
    pub detail: Option<String>,
}

impl ActivityEntry {
    /// An entry for something that happened `at` (Unix seconds).
    pub fn new(at: i64, kind: ActivityKind) -> Self {
        Self { at, kind, counterparty: None, outcome: Outcome::Success, detail: None }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn counterparty(mut self, who: impl Into<String>) -> Self {
        self.counterparty = Some(who.into());
        self
    }

    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }
}
