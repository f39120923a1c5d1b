//! Visa reports across the FFI: request (async, needs a fresh face unlock), the kept
//! reports, their PDF, and the consulate's offline check. Thin: the flow is core's.

use idwallet_core::report::{self, Education, IncomeBand, Seal, Supplementary};

use std::sync::Arc;

use crate::errors::{ReportError, WalletError};
use crate::platform::{HostIntegrity, PlatformIntegrity};
use crate::runtime::run_async;
use crate::wallet::Wallet;

/// The highest education the holder declares (an app's picker lists `Education.entries`).
#[uniffi::remote(Enum)]
pub enum Education {
    Secondary,
    Vocational,
    Bachelor,
    Master,
    Doctorate,
}

/// Annual income in CNY: below 100k, 100k–300k, 300k–600k, 600k–1m, above 1m.
#[uniffi::remote(Enum)]
pub enum IncomeBand {
    Below100k,
    From100kTo300k,
    From300kTo600k,
    From600kTo1m,
    Above1m,
}

/// What the holder declares for a report. Free text in Latin script, as on the passport.
#[uniffi::remote(Record)]
pub struct Supplementary {
    pub education: Education,
    pub employer: String,
    pub occupation: String,
    pub income_band: IncomeBand,
    pub assets: Vec<String>,
    pub phone: String,
    pub email: String,
    /// ISO 3166-1 alpha-2 code, e.g. "FR".
    pub destination: String,
}

/// A visa report as the holder's app shows it.
#[derive(uniffi::Record)]
pub struct VisaReportSummary {
    pub id: String,
    pub provider: String,
    pub score: i32,
    pub destination: String,
    pub issued_at: i64,
    pub valid_until: i64,
    /// The seal's QR text (the code printed on the PDF).
    pub seal: String,
}

impl From<&report::SignedReport> for VisaReportSummary {
    fn from(r: &report::SignedReport) -> Self {
        let v = &r.report;
        Self {
            id: v.id.clone(),
            provider: v.score.provider.clone(),
            score: v.score.value,
            destination: v.supplementary.destination.clone(),
            issued_at: v.issued_at,
            valid_until: v.valid_until,
            seal: r.seal.clone(),
        }
    }
}

/// What a consulate reads from a verified seal: compare it with the printed page.
#[uniffi::remote(Record)]
pub struct Seal {
    pub id: String,
    pub digest: Vec<u8>,
    pub name_latin: String,
    pub id_number_masked: String,
    pub destination: String,
    pub provider: String,
    pub score: i32,
    pub issued_at: i64,
    pub valid_until: i64,
}

#[uniffi::export]
impl Wallet {
    /// Request a visa report on `provider`'s score. Needs a report face check
    /// (`startReportFaceCheck`, with the screen colours) or an enrolment in the last five
    /// minutes (else `FaceCheckRequired`); `ScoreTooLow` below the provider's threshold.
    /// With a `PlatformIntegrity` set, its verdict is bound to the request's attestation
    /// (`IntegrityUnavailable` if it gives none).
    pub async fn request_visa_report(
        &self,
        provider: String,
        supplementary: Supplementary,
    ) -> Result<VisaReportSummary, WalletError> {
        let wallet = self.shared()?;
        let r = run_async(async move { wallet.request_visa_report(&provider, &supplementary).await }).await?;
        Ok((&r).into())
    }

    /// Bind `integrity`'s verdict (Play Integrity, Key Attestation, App Attest) to every
    /// report request from now on; `null` stops (`docs/integrity.md`).
    pub fn set_platform_integrity(&self, integrity: Option<Arc<dyn PlatformIntegrity>>) -> Result<(), WalletError> {
        let host = integrity.map(|i| Arc::new(HostIntegrity(i)) as Arc<dyn idwallet_core::platform::PlatformIntegrity>);
        self.shared()?.set_platform_integrity(host);
        Ok(())
    }

    /// The reports kept on this device, newest first (offline).
    pub async fn visa_reports(&self) -> Result<Vec<VisaReportSummary>, WalletError> {
        self.with_blocking(|w| w.visa_reports().map(|v| v.iter().map(Into::into).collect())).await
    }

    /// A kept report as a printable A4 PDF.
    pub async fn export_visa_report_pdf(&self, id: String) -> Result<Vec<u8>, WalletError> {
        self.with_blocking(move |w| w.export_visa_report_pdf(&id)).await
    }
}

/// The consulate's check, offline: a report PDF (its QR seal, and the embedded report when
/// present), a photo or scan of its QR seal (PNG/JPEG), or the seal's QR text, against the
/// issuers' `trust_list` (CBOR).
#[uniffi::export]
pub async fn verify_visa_report(pdf_or_qr_text: Vec<u8>, trust_list: Vec<u8>) -> Result<Seal, ReportError> {
    let trust = idwallet_core::credential::TrustList::from_cbor(&trust_list)
        .map_err(|_| ReportError::BadTrustList("the trust list is not the issuer's CBOR file".into()))?;
    // Parsing a PDF or decoding a photo: off the caller's thread.
    let seal =
        crate::runtime::run_blocking(move || report::verify_any(&pdf_or_qr_text, &trust, idwallet_core::now_unix()))
            .await?;
    Ok(seal.0)
}
