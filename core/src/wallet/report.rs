//! Visa reports, the holder's side (DESIGN §4): ask the service for a challenge, attest a
//! fresh face unlock over it with the device key, submit it with the supplementary
//! information, verify the signed report against the cached trust list, keep it sealed
//! for offline use, and print it.

use super::online::host_of;
use super::{Wallet, WalletError};
use crate::net::client::ClientError;
use crate::platform::integrity::{self, IntegrityError, IntegrityToken};
use crate::platform::off_runtime;
use crate::report::{self, LivenessAttestation, ReportError, SignedReport, Supplementary};
use crate::store::{ActivityEntry, ActivityKind, Outcome};
use crate::wire::{self, path, B64};

impl Wallet {
    /// Request a visa report on `provider`'s score. Needs a face unlock in the last
    /// [`report::FRESH_FACE_SECS`] (else [`ReportError::FaceCheckRequired`]: run a liveness
    /// unlock, then call again).
    pub async fn request_visa_report(
        &self,
        provider: &str,
        supplementary: &Supplementary,
    ) -> Result<SignedReport, WalletError> {
        supplementary.validate()?;
        crate::score::provider(provider)?;
        let now = self.store.now();
        self.gate_state(now)?;
        let check = self
            .face_check(now)
            .filter(|c| now - c.at <= report::FRESH_FACE_SECS)
            .ok_or(ReportError::FaceCheckRequired)?;
        if !matches!(check.colour, crate::face::colour::ColourOutcome::Checked(_)) {
            return Err(ReportError::ColourCheckRequired.into());
        }
        let client = self.client()?;
        let integrity = self.integrity.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let entry = ActivityEntry::new(self.store.now(), ActivityKind::ReportRequested)
            .counterparty(host_of(client.base_url()))
            .detail(format!("{provider} → {}", supplementary.destination));
        let result = async {
            let challenge: wire::ChallengeResponse = client.post(path::REPORT_CHALLENGES, &()).await?;
            // The platform's verdict over this challenge, this device and this face check.
            let integrity = match integrity {
                Some(platform) => {
                    let nonce = integrity::report_nonce(&challenge.nonce.0, client.device_id(), check.at);
                    let kind = platform.kind();
                    let token = off_runtime(move || platform.token(&nonce))
                        .await
                        .ok_or(IntegrityError::Unavailable { reason: "the runtime shut down".into() })??;
                    if token.is_empty() || token.len() > integrity::MAX_TOKEN_BYTES {
                        return Err(
                            IntegrityError::Unavailable { reason: "the token is empty or too long".into() }.into()
                        );
                    }
                    Some(IntegrityToken { kind, token })
                }
                None => None,
            };
            let attestation = LivenessAttestation {
                nonce: challenge.nonce.0,
                device_id: client.device_id().to_owned(),
                verified_at: check.at,
                similarity: check.similarity,
                challenges: check.challenges.clone(),
                reference_portrait: check.reference_digest.clone(),
                reference_similarity: check.reference_similarity,
                screen_colour: true,
                integrity,
            };
            let key_store = self.key_store.clone();
            let signed = off_runtime(move || attestation.sign(|data| key_store.sign(data)))
                .await
                .ok_or(crate::KeyStoreError::Unavailable { reason: "the runtime shut down".into() })??;
            let request = wire::ReportRequest {
                provider: provider.to_owned(),
                attestation: B64(signed),
                supplementary: supplementary.clone(),
            };
            let response: wire::ReportResponse = client.post(path::REPORTS, &request).await?;
            self.accept_report(&response, provider)
        }
        .await;
        match result {
            Ok(report) => {
                self.store.put(&report, Some(entry))?;
                tracing::info!(target: "idwallet::wallet", "visa report stored");
                Ok(report)
            }
            Err(e) => {
                self.store.write(|w| w.log(&entry.outcome(Outcome::Failure { reason: e.to_string() })))?;
                Err(match e {
                    WalletError::Net(ClientError::Rejected { code: crate::wire::ErrorCode::ScoreTooLow, .. }) => {
                        ReportError::ScoreTooLow.into()
                    }
                    e => e,
                })
            }
        }
    }

    /// Fetch a report this device was issued again (e.g. on a new install of the same key).
    pub async fn fetch_visa_report(&self, id: &str) -> Result<SignedReport, WalletError> {
        let client = self.client()?;
        let response: wire::ReportResponse = client.get(&format!("{}/{id}", path::REPORTS)).await?;
        let report = self.accept_report(&response, "")?;
        if report.report.id != id {
            return Err(ReportError::Malformed { what: "report for another id" }.into());
        }
        self.store.put(&report, None)?;
        Ok(report)
    }

    /// Verify a report from the service before anything trusts it: issuer signatures
    /// against the cached trust list, its seal, its validity, and that it is this device's.
    fn accept_report(&self, response: &wire::ReportResponse, provider: &str) -> Result<SignedReport, WalletError> {
        let trust = self.cached_trust_list()?;
        let report = SignedReport::verify(&response.report.0, &response.seal, &trust, self.store.now())?;
        if report.report.device_id != self.client()?.device_id() {
            return Err(ReportError::Malformed { what: "report for another device" }.into());
        }
        if !provider.is_empty() && report.report.score.provider != provider {
            return Err(ReportError::Malformed { what: "report on another provider's score" }.into());
        }
        Ok(report)
    }

    /// The reports kept on this device, newest first (offline).
    pub fn visa_reports(&self) -> Result<Vec<SignedReport>, WalletError> {
        let mut reports = self.store.list::<SignedReport>()?;
        reports.sort_by_key(|r| std::cmp::Reverse(r.report.issued_at));
        Ok(reports)
    }

    /// One kept report, re-verified against the cached trust list (offline).
    pub fn visa_report(&self, id: &str) -> Result<SignedReport, WalletError> {
        let stored: SignedReport = self.store.get(id)?;
        Ok(SignedReport::verify(&stored.signed, &stored.seal, &self.cached_trust_list()?, self.store.now())?)
    }

    /// A kept report as a printable PDF.
    pub fn export_visa_report_pdf(&self, id: &str) -> Result<Vec<u8>, WalletError> {
        Ok(report::export_pdf(&self.visa_report(id)?)?)
    }
}
