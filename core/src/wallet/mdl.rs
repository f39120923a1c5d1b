//! The wallet's mDL room: the licence's mdoc is checked before it is kept (trusted IACA,
//! bound to this device, the licence the claims show), and given to a reader only through
//! the face gate, every attempt logged.

use super::{Wallet, WalletError};
use crate::documents::{Claims, DocumentKind};
use crate::mdl::holder::HolderSession;
use crate::mdl::iaca::Anchors;
use crate::mdl::{MdlError, MDL_DOCTYPE, MDL_NAMESPACE};
use crate::store::{ActivityEntry, ActivityKind};

/// Check an mdoc delivered with `claims` before keeping it: issued under a trusted IACA,
/// valid now, an mDL, bound to `device_key`, and the same licence as `claims`.
pub(super) fn check_mdoc(
    mdoc: Vec<u8>,
    claims: &Claims,
    roots: &[Vec<u8>],
    device_key: &[u8],
    now: i64,
) -> Result<Vec<u8>, WalletError> {
    let Claims::DrivingLicence(licence) = claims else {
        return Err(MdlError::Unsupported { what: "an mdoc for a document other than the driving licence" }.into());
    };
    let verified = crate::mdl::response::verify_issuer_signed(&mdoc, Anchors::Iaca(roots), now)?;
    if verified.doc_type != MDL_DOCTYPE {
        return Err(MdlError::DocTypeMismatch.into());
    }
    if verified.device_key != device_key {
        return Err(MdlError::OtherDevice.into());
    }
    let number = verified.element(MDL_NAMESPACE, "document_number").and_then(|v| v.as_text());
    if number != Some(licence.licence_number.as_str()) {
        return Err(
            MdlError::DigestMismatch { namespace: MDL_NAMESPACE.into(), element: "document_number".into() }.into()
        );
    }
    Ok(mdoc)
}

impl Wallet {
    /// Keep `mdoc` with the held licence after the checks a refresh makes, under the IACA
    /// `roots` — for an issuer that delivers it outside [`Wallet::refresh_documents`].
    pub fn store_mdoc(&self, mdoc: Vec<u8>, roots: &[Vec<u8>]) -> Result<(), WalletError> {
        let mut doc = self.document(DocumentKind::DrivingLicence)?;
        doc.mdoc = Some(check_mdoc(mdoc, &doc.claims, roots, &self.device_public_key()?, self.store.now())?);
        let entry = ActivityEntry::new(self.store.now(), ActivityKind::DocumentStored).detail("mdl");
        Ok(self.store.put(&doc, Some(entry))?)
    }

    /// Answer `session`'s request with the `approved` elements of the held licence mdoc.
    /// Needs a face unlock within the disclosure policy's window for the session's
    /// audience, like a QR code; every attempt, refused or not, is logged.
    pub fn mdl_respond(
        &self,
        session: &mut HolderSession,
        approved: &[(String, String)],
        now: i64,
    ) -> Result<Vec<u8>, WalletError> {
        let audience = session.policy().audience.clone();
        let result = self.require_unlock(&audience, now).and_then(|_| {
            let doc = self.document(DocumentKind::DrivingLicence)?;
            let mdoc = doc.mdoc.ok_or(MdlError::NoMdoc)?;
            Ok(session.respond(&mdoc, approved, self.key_store.as_ref())?)
        });
        self.log_presented(&format!("mdl reader ({audience})"), DocumentKind::DrivingLicence, &result)?;
        result
    }

    /// The held licence's mdoc (IssuerSigned CBOR), as `idwallet mdl export` writes it:
    /// every element, so it needs a face unlock like any disclosure (audience `export`),
    /// and the export is logged.
    pub fn export_mdoc(&self, now: i64) -> Result<Vec<u8>, WalletError> {
        const AUDIENCE: &str = "export";
        let result = self
            .require_unlock(AUDIENCE, now)
            .and_then(|_| Ok(self.document(DocumentKind::DrivingLicence)?.mdoc.ok_or(MdlError::NoMdoc)?));
        self.log_presented("mdoc export", DocumentKind::DrivingLicence, &result)?;
        result
    }

    /// Whether the held licence carries an mdoc (no content read out).
    pub fn has_mdoc(&self) -> Result<bool, WalletError> {
        Ok(self
            .store
            .find::<crate::HeldDocument>(DocumentKind::DrivingLicence.code())?
            .is_some_and(|d| d.mdoc.is_some()))
    }

    /// The IACA roots of the cached trust list, for a reader in police mode.
    pub fn mdl_roots(&self) -> Result<Vec<Vec<u8>>, WalletError> {
        Ok(self.cached_trust_list()?.iaca)
    }
}
