//! Visa reports: the consulate's offline check of a printed or PDF report.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args as ClapArgs;
use idwallet_core::report::{self, Seal, VisaReport};

use crate::wallet_cmd::utc;

#[derive(ClapArgs)]
pub struct VerifyReportArgs {
    /// The report: a PDF file, or the text of its QR code (`IDR1:…`).
    #[arg(required_unless_present = "image")]
    input: Option<String>,
    /// A photo or scan (PNG/JPEG) of the printed QR code instead.
    #[arg(long, conflicts_with = "input")]
    image: Option<PathBuf>,
    /// The issuers' trust list (CBOR), as cached from the issuer.
    #[arg(long)]
    trust: PathBuf,
}

/// Verify offline; an invalid report is an error (non-zero exit).
pub fn verify_report(args: VerifyReportArgs) -> Result<()> {
    use crate::exit::Unreadable;
    let trust = crate::staff::read_trust(&args.trust)?;
    let now = idwallet_core::now_unix();
    let (seal, full) = match (&args.image, &args.input) {
        (Some(image), _) => {
            let bytes = std::fs::read(image).with_context(|| format!("cannot read the image {}", image.display()))?;
            report::verify_any(&bytes, &trust, now).with_context(|| format!("the picture {}", image.display()))?
        }
        // Never echo an input that is not a file: it may be a QR text holding a name.
        (None, Some(text)) if text.starts_with("IDW1") => {
            bail!("that is a holder's QR code (IDW1…), not a visa report: check it with `idwallet verify`")
        }
        (None, Some(text)) if text.starts_with("IDR1") => report::verify_any(text.as_bytes(), &trust, now)?,
        (None, Some(path)) if !std::path::Path::new(path).is_file() => {
            return Err(Unreadable("no such report file, and not a visa report's QR text (IDR1:…)".into()).into());
        }
        (None, Some(path)) => {
            let bytes = std::fs::read(path).with_context(|| format!("cannot read {path}"))?;
            report::verify_any(&bytes, &trust, now).with_context(|| format!("the report file {path}"))?
        }
        (None, None) => bail!("give a PDF, the QR text, or --image"),
    };
    print_verdict(&seal, full.as_ref());
    Ok(())
}

pub fn print_verdict(seal: &Seal, full: Option<&VisaReport>) {
    println!("✔ VALID visa report {} — issuer signature verified offline", seal.id);
    println!("  holder        {}  (resident ID {})", seal.name_latin, seal.id_number_masked);
    println!("  destination   {}", seal.destination);
    println!("  credit score  {} ({})", seal.score, seal.provider);
    println!("  issued        {}, valid until {}", utc(seal.issued_at), utc(seal.valid_until));
    match full {
        Some(r) => println!(
            "  full report   embedded, matches the QR seal, and the page is exactly its rendering (face check {}, {} factors, {} declared assets)",
            utc(r.face_verified_at),
            r.score.factors.len(),
            r.supplementary.assets.len()
        ),
        None => println!("  compare these details with the printed page; they are what the issuer signed"),
    }
}
