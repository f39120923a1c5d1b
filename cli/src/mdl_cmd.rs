//! `idwallet mdl`: the driving licence as an ISO 18013-5 mDL — export the held mdoc, and
//! the police reader's offline check of an mdoc or a DeviceResponse against IACA roots.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use idwallet_core::mdl::iaca::Anchors;
use idwallet_core::mdl::response::{verify_device_response, verify_issuer_signed, Session, VerifiedDocument};

use crate::output::{self, Kind};
use crate::wallet_cmd::Target;

#[derive(Subcommand)]
pub enum MdlCommand {
    /// Holder: write the licence's IssuerSigned (CBOR), as the issuer signed it. It holds
    /// every element, so the eID must be unlocked with the face first.
    #[command(
        after_help = "Example:\n  idwallet mdl export --path me.db --keystore me.db.keys --out licence.mdoc --face .tools/models/photos/person_b_1.jpg"
    )]
    Export {
        #[command(flatten)]
        target: Target,
        /// Where to write it (an existing file is replaced only if it is an earlier export).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Replace the output file even if it is not an earlier export (never the wallet or key store).
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        unlock: crate::face_cmd::UnlockArg,
    },
    /// Police reader: verify an mdoc (IssuerSigned) or a DeviceResponse offline.
    #[command(
        after_help = "Examples:\n  idwallet mdl verify licence.mdoc --iaca iaca.der\n  idwallet mdl verify mdl-response.cbor --iaca iaca.der --transcript mdl-transcript.cbor"
    )]
    Verify {
        /// The IssuerSigned or DeviceResponse (CBOR).
        file: PathBuf,
        /// A trusted IACA root certificate (DER); repeatable.
        #[arg(long, value_name = "FILE", required = true)]
        iaca: Vec<PathBuf>,
        /// The session's SessionTranscriptBytes, for a DeviceResponse: its device
        /// signature is over them.
        #[arg(long, value_name = "FILE")]
        transcript: Option<PathBuf>,
    },
}

pub fn run(cmd: MdlCommand) -> Result<()> {
    match cmd {
        MdlCommand::Export { target, out, force, unlock } => {
            let inputs: Vec<PathBuf> = target.files().into_iter().chain(unlock.face.clone()).collect();
            output::check(&out, Kind::IssuerSigned, force, &inputs)?;
            let wallet = target.open()?;
            unlock.unlock(&wallet)?;
            let mdoc = match wallet.export_mdoc(idwallet_core::now_unix()) {
                Err(e @ idwallet_core::WalletError::FaceCheckRequired) => {
                    bail!("{e} (give --face PHOTO: this command unlocks and exports in one process)")
                }
                other => other?,
            };
            output::write(&out, &mdoc, Kind::IssuerSigned, force, &inputs)?;
            println!("the licence's mdoc (IssuerSigned, {} bytes) written to {}", mdoc.len(), out.display());
            println!("it holds the issuer's signature, not the device's: present it in a session for that");
            Ok(())
        }
        MdlCommand::Verify { file, iaca, transcript } => verify(&file, &iaca, transcript.as_deref()),
    }
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read the {what} {}", path.display()))
}

fn verify(file: &Path, iaca: &[PathBuf], transcript: Option<&Path>) -> Result<()> {
    let roots = iaca
        .iter()
        .map(|p| {
            idwallet_core::mdl::iaca::read_root(&read(p, "IACA certificate")?).map_err(|e| {
                crate::exit::Unreadable(format!("{}: {e} (such as the demo's iaca.der)", p.display())).into()
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let bytes = read(file, "mDL file")?;
    let anchors = Anchors::Iaca(&roots);
    let now = idwallet_core::now_unix();
    if idwallet_core::mdl::response::is_device_response(&bytes) {
        let Some(transcript) = transcript else {
            bail!("a DeviceResponse is bound to its session: give --transcript (the SessionTranscriptBytes)")
        };
        let transcript = read(transcript, "session transcript")?;
        // No reader key: only a device signature (not a MAC) can be checked after the session.
        let session = Session { transcript_bytes: &transcript, e_reader_private: &[] };
        let verified = verify_device_response(&bytes, &session, anchors, now).context("REJECTED")?;
        for doc in &verified.documents {
            print_document(
                doc,
                "DeviceResponse: issuer, every element's digest and the device signature over this session",
            );
        }
        if !verified.not_returned.is_empty() {
            let names: Vec<_> = verified.not_returned.iter().map(|(_, e)| e.as_str()).collect();
            println!("  not returned       {}", names.join(", "));
        }
    } else {
        let doc = verify_issuer_signed(&bytes, anchors, now).context("REJECTED")?;
        print_document(
            &doc,
            "IssuerSigned: issuer and every element's digest (no device signature: not a presentation)",
        );
    }
    Ok(())
}

pub fn print_document(doc: &VerifiedDocument, what: &str) {
    println!("ACCEPTED  {} — {what}", doc.doc_type);
    for (_, element, value) in &doc.elements {
        println!("  {:<30} {}", element, crate::text::printable(&show(value)));
    }
}

/// A value as a desk would read it: text as is, dates without their tag, a portrait by size.
pub fn show(value: &idwallet_core::mdl::Value) -> String {
    use idwallet_core::mdl::Value;
    match value {
        Value::Text(t) => t.clone(),
        Value::Tag(_, inner) => show(inner),
        Value::Bytes(b) if b.starts_with(&[0xff, 0xd8]) => {
            format!("JPEG, {} bytes: compare with the holder's face", b.len())
        }
        Value::Bytes(b) => format!("{} bytes", b.len()),
        Value::Bool(b) => b.to_string(),
        Value::Integer(i) => i128::from(*i).to_string(),
        Value::Array(items) => items.iter().map(show).collect::<Vec<_>>().join("; "),
        Value::Map(entries) => {
            entries.iter().map(|(k, v)| format!("{}={}", show(k), show(v))).collect::<Vec<_>>().join(" ")
        }
        other => format!("{other:?}"),
    }
}
