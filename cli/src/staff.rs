//! Staff-desk commands: `verify` a holder's QR code offline, `scan` any QR code, and the
//! holder's `present`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args as ClapArgs, ValueEnum};
use idwallet_core::credential::{qr, CredentialError, Profile, StatusCheck, TrustList, VerifiedPresentation, Verifier};
use idwallet_core::documents::DocumentKind;

use idwallet_core::now_unix as now;

use crate::wallet_cmd::{utc, Target};

#[derive(Clone, Copy, ValueEnum)]
pub enum Role {
    Hotel,
    Police,
}

impl Role {
    fn profile(self) -> Profile {
        match self {
            Role::Hotel => Profile::hotel(),
            Role::Police => Profile::police(),
        }
    }
}

#[derive(ClapArgs)]
pub struct VerifyArgs {
    /// Which desk is verifying: decides what may be disclosed.
    #[arg(long, value_enum)]
    role: Role,
    /// The QR text (IDW1:…); or use --image or --frames.
    #[arg(required_unless_present_any = ["image", "frames"])]
    text: Option<String>,
    /// A photo or screenshot of the QR code (PNG/JPEG).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["text", "frames"])]
    image: Option<PathBuf>,
    /// A folder of camera frames (PNG/JPEG, read in name order as a camera delivers
    /// them): scanning stops at the first frame with a code.
    #[arg(long, value_name = "DIR", conflicts_with = "text")]
    frames: Option<PathBuf>,
    /// The issuers' trust list (CBOR), cached from the issuer.
    #[arg(long, value_name = "FILE")]
    trust: PathBuf,
    /// Signed status list tokens to check revocation against (repeatable).
    #[arg(long, value_name = "FILE")]
    status: Vec<PathBuf>,
    /// Print the verdict as JSON.
    #[arg(long)]
    json: bool,
}

pub fn verify(args: VerifyArgs) -> Result<()> {
    let verdict = check(&args);
    match (verdict, args.json) {
        (Ok(Ok(v)), true) => println!("{}", verdict_json(&v)),
        (Ok(Ok(v)), false) => print_verdict(&v),
        (Ok(Err(refusal)), false) => return Err(anyhow::Error::new(refusal).context("REJECTED")),
        // Every failure as JSON, setup errors (a missing trust list…) included: a desk app
        // reading stdout gets a code, never plain text.
        (Ok(Err(refusal)), true) => json_failure(refusal.code(), &refusal.to_string(), &refusal.into()),
        (Err(setup), true) => {
            let unreadable = crate::exit::code(&setup) == crate::exit::UNREADABLE;
            json_failure(if unreadable { "unreadable_input" } else { "unusable_input" }, &format!("{setup:#}"), &setup)
        }
        (Err(setup), false) => return Err(setup),
    }
    Ok(())
}

fn json_failure(code: &str, reason: &str, error: &anyhow::Error) -> ! {
    println!("{}", serde_json::json!({ "accepted": false, "code": code, "reason": crate::text::printable(reason) }));
    std::process::exit(i32::from(crate::exit::code(error)))
}

/// The verdict on `args`' code (inner result), after reading what the desk was given
/// (outer: a missing or unusable trust list, status list or image).
fn check(args: &VerifyArgs) -> Result<Result<VerifiedPresentation, CredentialError>> {
    let now = now();
    let mut verifier = Verifier::new(args.role.profile(), read_trust(&args.trust)?);
    for path in &args.status {
        let token = std::fs::read(path).with_context(|| format!("cannot read the status list {}", path.display()))?;
        let trust = verifier.trust.clone();
        verifier.status.insert(&token, &trust, now).with_context(|| format!("status list {}", path.display()))?;
    }
    Ok(match (&args.text, &args.image, &args.frames) {
        (Some(text), _, _) => verifier.verify_text(text, now),
        (None, Some(path), _) => verifier.verify_image(
            &std::fs::read(path).with_context(|| format!("cannot read the image {}", path.display()))?,
            now,
        ),
        (None, None, Some(dir)) => return scan_frames(verifier, dir, now),
        (None, None, None) => unreachable!("clap requires one"),
    })
}

/// `verify --frames DIR`: feed the folder's frames to a live scanner, as a camera would,
/// showing the hint for each frame without a code (on stderr, so `--json` stays clean).
fn scan_frames(verifier: Verifier, dir: &Path, now: i64) -> Result<Result<VerifiedPresentation, CredentialError>> {
    use idwallet_core::credential::scan::{ScanHint, ScanStep, Scanner};
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the frames folder {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let mut scanner = Scanner::new(verifier);
    for path in &files {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read the frame {}", path.display()))?;
        let file_name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let name = crate::text::printable(&file_name);
        match scanner.feed(&idwallet_core::face::Frame::Encoded(bytes), now) {
            Ok(ScanStep::Found(verdict)) => {
                eprintln!("frame {} ({name}): a code", scanner.frames());
                return Ok(verdict);
            }
            Ok(ScanStep::Searching { hint }) => {
                let hint = match hint {
                    ScanHint::NoCode => "no code: point at the code, move closer",
                    ScanHint::TooDark => "too dark: more light, or the phone's screen brighter",
                    ScanHint::TooBright => "too bright: glare, tilt the phone",
                };
                eprintln!("frame {} ({name}): {hint}", scanner.frames());
            }
            Err(_) => eprintln!("frame ({name}): not a readable image, skipped"),
        }
    }
    Err(crate::exit::Unreadable(format!("no QR code in the {} frame(s) of {}", files.len(), dir.display())).into())
}

/// The issuers' trust list from `path` (CBOR), or an error that names the file.
pub fn read_trust(path: &Path) -> Result<TrustList> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read the trust list {}", path.display()))?;
    TrustList::from_cbor(&bytes).map_err(|_| {
        crate::exit::Unreadable(format!(
            "{} is not a trust list (the CBOR file an issuer publishes, such as the demo's trust-list.cbor)",
            path.display()
        ))
        .into()
    })
}

pub fn print_verdict(v: &VerifiedPresentation) {
    let status = match &v.status {
        StatusCheck::Valid => "not revoked (status list current)".to_owned(),
        StatusCheck::NotApplicable => "no status list for this credential".to_owned(),
        StatusCheck::Unknown { reason } => format!("UNKNOWN — {reason:?}: ask the issuer when back online"),
    };
    println!("ACCEPTED  {} for {}", v.kind.title(), v.audience);
    let row = |label: &str, value: &str| {
        println!("  {:<18} {}", crate::text::printable(label), crate::text::printable(value))
    };
    row("issuer", &v.issuer);
    row("presented", &utc(v.presented_at));
    row("valid until", &utc(v.credential_expires_at));
    row("status", &status);
    for c in &v.claims {
        row(&c.id, &c.value);
    }
    if let Some(p) = &v.portrait {
        row("portrait", &format!("{} byte JPEG (48×64 greyscale): compare with the holder's face", p.len()));
    }
    if v.other_codes > 0 {
        row("also in view", &format!("{} other QR code(s), not this desk's: not used", v.other_codes));
    }
}

fn verdict_json(v: &VerifiedPresentation) -> serde_json::Value {
    serde_json::json!({
        "accepted": true,
        "kind": v.kind.code(),
        "issuer": v.issuer,
        "audience": v.audience,
        "presented_at": v.presented_at,
        "credential_expires_at": v.credential_expires_at,
        "status": v.status.code(),
        "claims": v.claims.iter().map(|c| (c.id.clone(), serde_json::Value::from(c.value.clone()))).collect::<serde_json::Map<_, _>>(),
        "portrait_bytes": v.portrait.as_ref().map(Vec::len),
        "other_codes": v.other_codes,
    })
}

/// `idwallet scan IMAGE`: print the text of every QR code in a photo or screenshot.
pub fn scan(image: PathBuf) -> Result<()> {
    let bytes = std::fs::read(&image).with_context(|| format!("cannot read {}", image.display()))?;
    for text in qr::decode_image(&bytes)? {
        println!("{text}");
    }
    Ok(())
}

#[derive(ClapArgs)]
pub struct PresentArgs {
    #[command(flatten)]
    target: Target,
    #[arg(long, value_enum)]
    role: Role,
    /// Which document to present.
    #[arg(long, default_value = "resident_id_card", value_parser = parse_kind)]
    kind: DocumentKind,
    /// Where to write the QR code PNG (an existing file is replaced only if it is a PNG).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Replace the output file even if it is not a PNG (never the wallet or key store).
    #[arg(long)]
    force: bool,
    /// Also print the QR code's text on stdout (for `idwallet verify`). It holds the
    /// disclosed name and numbers, so it is not printed unless asked.
    #[arg(long)]
    print_text: bool,
    #[command(flatten)]
    unlock: crate::face_cmd::UnlockArg,
}

fn parse_kind(s: &str) -> Result<DocumentKind, String> {
    DocumentKind::from_code(s).map_err(|_| {
        let all: Vec<_> = DocumentKind::ALL.iter().map(|k| k.code()).collect();
        format!("one of {}", all.join(", "))
    })
}

pub fn present(args: PresentArgs) -> Result<()> {
    use crate::output::{self, Kind};
    // Inputs are never outputs: the wallet, its key store, and the photo the face comes from.
    let inputs: Vec<PathBuf> = args.target.files().into_iter().chain(args.unlock.face.clone()).collect();
    output::check(&args.out, Kind::Png, args.force, &inputs)?;
    let wallet = args.target.open()?;
    args.unlock.unlock(&wallet)?;
    let p = match wallet.present(args.kind, &args.role.profile(), now()) {
        Err(idwallet_core::WalletError::FaceCheckRequired) if !wallet.is_face_enrolled()? => {
            anyhow::bail!("no face is enrolled, so the eID stays locked: run `idwallet face enrol` first")
        }
        Err(e @ idwallet_core::WalletError::FaceCheckRequired) => {
            anyhow::bail!("{e} (give --face PHOTO: this command unlocks and presents in one process)")
        }
        other => other?,
    };
    let png = qr::to_png(&p.text, 6)?;
    output::write(&args.out, &png, Kind::Png, args.force, &inputs)?;
    println!("QR code for {} written to {} (valid until {})", p.audience, args.out.display(), utc(p.expires_at));
    println!("discloses: {}", p.disclosed.join(", "));
    if args.print_text {
        println!("{}", p.text);
    }
    Ok(())
}
