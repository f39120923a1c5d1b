//! `idwallet face compare A B`: the on-device face pipeline on two photos.

use idwallet_core::face::liveness::Challenge;
use idwallet_core::wallet::FacePurpose;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args as ClapArgs, Subcommand};
use idwallet_core::face::{FaceModels, Frame, DETECTOR_FILE, EMBEDDER_FILE, IRIS_FILE};

use crate::wallet_cmd::{utc, Target};

#[derive(ClapArgs)]
pub struct ModelsArg {
    /// Directory holding the face models [default: where `models/fetch.sh` puts them,
    /// $IDWALLET_TOOLS/models or .tools/models].
    #[arg(long, env = "IDWALLET_MODELS")]
    models: Option<PathBuf>,
}

impl ModelsArg {
    pub fn dir(&self) -> PathBuf {
        self.models.clone().unwrap_or_else(|| {
            std::env::var_os("IDWALLET_TOOLS").map_or_else(|| PathBuf::from(".tools"), PathBuf::from).join("models")
        })
    }
}

/// Fixed movements for a synthetic session.
#[derive(ClapArgs, Default)]
pub struct ChallengesArg {
    /// Ask for these movements instead of random ones (reproducible demos and tests), e.g.
    /// `turn-left,blink,turn-right` (`blink` needs the eye model in the models folder).
    #[arg(long, value_delimiter = ',', value_parser = parse_challenge)]
    pub challenges: Vec<Challenge>,
}

#[derive(Subcommand)]
pub enum FaceCommand {
    /// Compare the faces in two photos: similarity, decision and quality notes.
    #[command(
        after_help = "Example:\n  idwallet face compare .tools/models/photos/person_b_1.jpg .tools/models/photos/person_b_2.jpg"
    )]
    Compare {
        a: PathBuf,
        b: PathBuf,
        #[command(flatten)]
        models: ModelsArg,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Enrol the holder's face: a liveness session whose live face must match the
    /// issuer's reference portrait (received with the documents); the template comes from
    /// the live face and is stored sealed. Replacing an enrolled face needs a face unlock
    /// of it in the same command: give --unlock-with. A desktop has no camera: the frames
    /// are SYNTHETIC, re-rendered from PHOTO (failures count towards the lockout).
    #[command(after_help = "Example:\n  idwallet face enrol --path me.db .tools/models/photos/person_b_1.jpg")]
    Enrol {
        #[command(flatten)]
        target: Target,
        photo: PathBuf,
        /// Unlock with the currently enrolled face first (SYNTHETIC frames of this photo).
        #[arg(long, value_name = "PHOTO")]
        unlock_with: Option<PathBuf>,
        #[command(flatten)]
        challenges: ChallengesArg,
        #[command(flatten)]
        models: ModelsArg,
    },
    /// Unlock the wallet's eID through a liveness session (random head movements) and a
    /// face match. A desktop has no camera: the frames are SYNTHETIC, re-rendered from
    /// PHOTO as a turning 3-D head (failures lock out, growing).
    #[command(
        after_help = "Example:\n  idwallet face verify --path me.db .tools/models/photos/person_b_1.jpg --challenges turn-left,blink,turn-right"
    )]
    Verify {
        #[command(flatten)]
        target: Target,
        photo: PathBuf,
        #[command(flatten)]
        challenges: ChallengesArg,
        #[command(flatten)]
        models: ModelsArg,
    },
}

pub fn load_models(dir: &Path) -> Result<FaceModels> {
    load_models_reporting(dir, &mut |_, _| {})
}

/// [`load_models`] with a progress bar (folding and optimising takes about a second).
pub fn load_models_with_progress(dir: &Path) -> Result<FaceModels> {
    let bar = indicatif::ProgressBar::new(3).with_style(bar_style("{msg:<28} [{bar:30}] {pos}/{len} models"));
    bar.set_message("   loading face models");
    let models = load_models_reporting(dir, &mut |done, total| {
        bar.set_length(u64::from(total));
        bar.set_position(u64::from(done));
    })?;
    bar.finish();
    Ok(models)
}

/// YuNet and SFace, and MediaPipe Iris (the blink) when `models/fetch.sh` has converted it.
fn load_models_reporting(dir: &Path, progress: &mut dyn FnMut(u32, u32)) -> Result<FaceModels> {
    let read = |name: &str| {
        std::fs::read(dir.join(name))
            .with_context(|| format!("cannot read {} (run models/fetch.sh)", dir.join(name).display()))
    };
    let iris = dir.join(IRIS_FILE).exists().then(|| read(IRIS_FILE)).transpose()?;
    Ok(FaceModels::load_all(&read(DETECTOR_FILE)?, &read(EMBEDDER_FILE)?, iris.as_deref(), &mut |done, total| {
        progress(done, total);
        true
    })?)
}

fn bar_style(template: &str) -> indicatif::ProgressStyle {
    indicatif::ProgressStyle::with_template(template)
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("█▌ ")
}

fn photo(p: &Path) -> Result<Frame> {
    Ok(Frame::Encoded(std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?))
}

pub fn run(cmd: FaceCommand) -> Result<()> {
    match cmd {
        FaceCommand::Enrol { target, photo: p, unlock_with, challenges, models } => {
            let wallet = target.open()?;
            let models = load_models(&models.dir())?;
            let result = (|| {
                if let Some(current) = unlock_with {
                    session(&wallet, FacePurpose::Unlock, &models, photo(&current)?, challenges.challenges.clone())?;
                } else if wallet.is_face_enrolled()? {
                    anyhow::bail!(
                        "a face is enrolled already: replacing it needs an unlock with it in the same command \
                         (--unlock-with PHOTO)"
                    );
                }
                session(&wallet, FacePurpose::Enrol, &models, photo(&p)?, challenges.challenges)
            })();
            wallet.close()?;
            let u = result?;
            println!(
                "Face enrolled: the live face matched the issuer's reference portrait (similarity {:.3}); template sealed",
                u.similarity
            );
        }
        FaceCommand::Verify { target, photo: p, models, challenges } => {
            let wallet = target.open()?;
            let models = load_models(&models.dir())?;
            let result = session(&wallet, FacePurpose::Unlock, &models, photo(&p)?, challenges.challenges);
            wallet.close()?;
            let u = result?;
            println!("UNLOCKED until {} (similarity {:.3})", utc(u.until), u.similarity);
            println!("(this process ends now, and an unlock never outlives it: `present --face PHOTO` unlocks and presents in one command)");
        }
        FaceCommand::Compare { a, b, models, json } => {
            let t = Instant::now();
            let m = load_models(&models.dir())?;
            let load_ms = t.elapsed().as_secs_f64() * 1e3;
            let frame = |p: &Path| -> Result<Frame> {
                Ok(Frame::Encoded(std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?))
            };
            let t = Instant::now();
            let (fa, fb) =
                (m.analyze(&frame(&a)?).context("first photo")?, m.analyze(&frame(&b)?).context("second photo")?);
            let run_ms = t.elapsed().as_secs_f64() * 1e3 / 2.0;
            let similarity = fa.template.similarity(&fb.template);
            let same = similarity >= idwallet_core::face::MATCH_THRESHOLD;
            if json {
                let q = |x: &idwallet_core::face::Analysis| {
                    serde_json::json!({
                        "eye_distance_px": x.quality.eye_distance_px, "sharpness": x.quality.sharpness,
                        "brightness": x.quality.brightness, "yaw": x.quality.yaw, "roll_deg": x.quality.roll_deg,
                        "other_faces": x.others, "detector_score": x.face.score,
                    })
                };
                let out = serde_json::json!({
                    "similarity": similarity, "threshold": idwallet_core::face::MATCH_THRESHOLD, "same_person": same,
                    "a": q(&fa), "b": q(&fb), "model_load_ms": load_ms, "per_photo_ms": run_ms,
                });
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                println!(
                    "{}  similarity {similarity:.3} (threshold {:.2})",
                    if same { "SAME PERSON" } else { "DIFFERENT PEOPLE" },
                    idwallet_core::face::MATCH_THRESHOLD
                );
                for (name, x) in [("A", &fa), ("B", &fb)] {
                    println!(
                        "  {name}: eyes {:.0} px apart, sharpness {:.0}, brightness {:.0}, yaw {:+.2}, roll {:+.0}°{}",
                        x.quality.eye_distance_px,
                        x.quality.sharpness,
                        x.quality.brightness,
                        x.quality.yaw,
                        x.quality.roll_deg,
                        if x.others > 0 {
                            format!(", {} smaller face(s) in the background", x.others)
                        } else {
                            String::new()
                        }
                    );
                }
                println!("  models loaded in {load_ms:.0} ms; {run_ms:.0} ms per photo");
            }
        }
    }
    Ok(())
}

fn parse_challenge(s: &str) -> Result<Challenge, String> {
    Challenge::ALL
        .into_iter()
        .find(|c| c.code() == s)
        .ok_or_else(|| format!("{s}: expected turn-left, turn-right, look-up or blink"))
}

/// A face session (enrolment or unlock) fed SYNTHETIC frames of the person in `photo`
/// (see `idwallet_core::wallet::Wallet::synthetic_face_session`), showing each step.
pub fn session(
    wallet: &idwallet_core::Wallet,
    purpose: FacePurpose,
    models: &FaceModels,
    photo: Frame,
    challenges: Vec<Challenge>,
) -> Result<idwallet_core::wallet::Unlocked> {
    use idwallet_core::face::liveness::Progress;
    use idwallet_core::face::synthetic::Act;
    // A photo with no usable face would only time the session out and count as a failed
    // attempt: say what is wrong with it instead.
    models.analyze(&photo).context("the photo has no face the camera could use")?;
    let count = if challenges.is_empty() { 3 } else { challenges.len() as u64 };
    let bar = indicatif::ProgressBar::new(count * 100).with_style(bar_style("{msg:<28} [{bar:30}] {prefix} {elapsed}"));
    bar.set_prefix(format!("0/{count}"));
    bar.set_message(match purpose {
        FacePurpose::Enrol => "   enrol: face the camera",
        FacePurpose::Unlock => "   unlock: face the camera",
        FacePurpose::Report => "   report check: face the camera",
    });
    let mut asked = None;
    let result = wallet.synthetic_face_session(
        purpose,
        models,
        photo,
        Act::Genuine,
        challenges,
        idwallet_core::now_unix(),
        &mut |p| match p {
            Progress::Moving { index, count, challenge, done } => {
                asked = Some(*challenge);
                bar.set_message(format!("   {}", challenge.code()));
                bar.set_prefix(format!("{}/{count}", index + 1));
                bar.set_position(*index as u64 * 100 + (done.clamp(0.0, 1.0) * 90.0) as u64);
            }
            Progress::ShowColour { rgb: [r, g, b], .. } => {
                bar.set_message(format!("   hold still: screen #{r:02x}{g:02x}{b:02x}"));
            }
            Progress::Returning { index, .. } => {
                let blinked = asked == Some(Challenge::Blink);
                bar.set_message(if blinked { "   open your eyes" } else { "   face the camera again" });
                bar.set_position(*index as u64 * 100 + 95);
            }
            _ => {}
        },
    );
    match &result {
        Ok(_) => {
            bar.set_position(count * 100);
            bar.finish_with_message("   liveness done");
        }
        Err(_) => bar.abandon_with_message("   face check failed"),
    }
    Ok(result?)
}

/// `--face PHOTO` for a command that discloses: unlock the eID in this process first (an
/// unlock lives only in the process that made it).
#[derive(ClapArgs)]
pub struct UnlockArg {
    /// Unlock the eID with the holder's face first (an unlock lives only in the process
    /// that made it). A desktop has no camera: SYNTHETIC frames re-rendered from PHOTO.
    #[arg(long, value_name = "PHOTO")]
    pub face: Option<PathBuf>,
    #[command(flatten)]
    pub challenges: ChallengesArg,
    #[command(flatten)]
    pub models: ModelsArg,
}

impl UnlockArg {
    /// With `--face`, a face unlock fed SYNTHETIC frames of the holder in that photo.
    pub fn unlock(self, wallet: &idwallet_core::Wallet) -> Result<()> {
        let Some(photo) = &self.face else { return Ok(()) };
        let models = load_models(&self.models.dir())?;
        let frame = Frame::Encoded(std::fs::read(photo).with_context(|| format!("cannot read {}", photo.display()))?);
        session(wallet, FacePurpose::Unlock, &models, frame, self.challenges.challenges)?;
        Ok(())
    }
}
