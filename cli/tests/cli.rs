//! The CLI as a user runs it: real processes, real files.

mod common;

use std::process::Command;

use common::{idwallet, models_dir, stdout};

#[test]
fn init_put_get_list_delete_activity() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.db");
    let p = path.to_str().unwrap();
    let pw = Some("s3cret pass");

    let out = idwallet(&["wallet", "init", "--path", p], pw);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout(&out).contains("Created wallet"));
    assert!(dir.path().join("w.db.keys").exists());

    assert!(idwallet(&["wallet", "put", "--path", p, "card", "GOLD-4711"], pw).status.success());
    assert!(idwallet(&["wallet", "put", "--path", p, "lang", "zh-CN"], pw).status.success());
    let got = idwallet(&["wallet", "get", "--path", p, "card"], pw);
    assert_eq!(got.stdout, b"GOLD-4711");

    let list = stdout(&idwallet(&["wallet", "list", "--path", p], pw));
    let keys: Vec<_> = list.lines().skip(1).map(|l| l.split_whitespace().next().unwrap()).collect();
    assert_eq!(keys, ["card", "lang"]);

    assert!(idwallet(&["wallet", "delete", "--path", p, "lang"], pw).status.success());
    let again = idwallet(&["wallet", "delete", "--path", p, "lang"], pw);
    assert!(!again.status.success());

    let activity = stdout(&idwallet(&["wallet", "activity", "--path", p], pw));
    let kinds: Vec<_> = activity.lines().map(|l| l.split_whitespace().nth(3).unwrap()).collect();
    assert_eq!(kinds, ["RecordDeleted", "RecordStored", "RecordStored", "WalletCreated"]);
    assert!(stdout(&idwallet(&["wallet", "info", "--path", p], pw)).contains("Records: item     1"));
}

#[test]
fn errors_are_readable_and_exit_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.db");
    let p = path.to_str().unwrap();
    assert!(idwallet(&["wallet", "init", "--path", p], Some("right")).status.success());

    let wrong = idwallet(&["wallet", "list", "--path", p], Some("wrong"));
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("the key store passphrase is wrong"));

    let missing = idwallet(&["wallet", "get", "--path", p, "nothing"], Some("right"));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no item record with that id"));

    let no_pass = idwallet(&["wallet", "list", "--path", p], None);
    assert!(String::from_utf8_lossy(&no_pass.stderr).contains("IDWALLET_PASSPHRASE"));

    // A wallet or key store that is not there: exit 3 (unreadable input), saying what to do.
    let nowhere = dir.path().join("nowhere.db");
    let absent = idwallet(&["wallet", "list", "--path", nowhere.to_str().unwrap()], Some("right"));
    assert_eq!(absent.status.code(), Some(3), "{absent:?}");
    assert!(String::from_utf8_lossy(&absent.stderr).contains("no wallet at"), "{absent:?}");
    assert!(String::from_utf8_lossy(&absent.stderr).contains("wallet init"), "{absent:?}");
    let keys = dir.path().join("w.db.keys");
    std::fs::rename(&keys, dir.path().join("elsewhere.keys")).unwrap();
    let no_keys = idwallet(&["wallet", "list", "--path", p], Some("right"));
    std::fs::rename(dir.path().join("elsewhere.keys"), &keys).unwrap();
    assert_eq!(no_keys.status.code(), Some(3), "{no_keys:?}");
    assert!(String::from_utf8_lossy(&no_keys.stderr).contains("no key store at"), "{no_keys:?}");

    let twice = idwallet(&["wallet", "init", "--path", p], Some("right"));
    assert!(String::from_utf8_lossy(&twice.stderr).contains("already exists"));
    let folder = idwallet(&["wallet", "init", "--path", dir.path().to_str().unwrap()], Some("right"));
    assert!(String::from_utf8_lossy(&folder.stderr).contains("is a folder"), "{folder:?}");

    // A stored name with terminal escapes prints escaped, never raw.
    let put = idwallet(&["wallet", "put", "--path", p, "\u{1b}[2Jgotcha", "v"], Some("right"));
    assert!(put.status.success(), "{put:?}");
    let listed = stdout(&idwallet(&["wallet", "list", "--path", p], Some("right")));
    assert!(!listed.contains('\u{1b}') && listed.contains("\\u{1b}[2Jgotcha"), "{listed:?}");

    // One damaged record: the others are still listed, and the damage is reported.
    idwallet(&["wallet", "put", "--path", p, "intact", "v"], Some("right"));
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE records SET sealed = x'00' WHERE row_key = (SELECT MIN(row_key) FROM records WHERE kind = 'item')",
        [],
    )
    .unwrap();
    drop(conn);
    let damaged = idwallet(&["wallet", "list", "--path", p], Some("right"));
    assert_eq!(damaged.status.code(), Some(1));
    assert_eq!(stdout(&damaged).lines().count(), 2, "the header and the intact item: {damaged:?}");
    assert!(String::from_utf8_lossy(&damaged.stderr).contains("1 stored item(s) are damaged"), "{damaged:?}");

    // The log file alone (its variable set, no --log) logs at info instead of refusing.
    let log = dir.path().join("log.txt");
    let logged = Command::new(env!("CARGO_BIN_EXE_idwallet"))
        .args(["wallet", "info", "--path", p])
        .env("IDWALLET_PASSPHRASE", "right")
        .env("IDWALLET_LOG_FILE", &log)
        .output()
        .unwrap();
    assert!(logged.status.success(), "{logged:?}");
    assert!(log.exists(), "the log file was not created");
}

#[test]
fn the_demo_runs_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let demo_dir = dir.path().join("demo");
    let out = idwallet(&["demo", "--dir", demo_dir.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = stdout(&out);
    assert!(text.contains("Demo complete"));
    assert!(text.contains("another device's keys → this key store cannot open the wallet"));
    assert!(demo_dir.join("wallet.db").exists());
}

#[test]
fn help_describes_the_commands() {
    let help = stdout(&idwallet(&["--help"], None));
    for word in ["demo", "wallet"] {
        assert!(help.contains(word), "{help}");
    }
    let wallet_help = stdout(&idwallet(&["wallet", "--help"], None));
    for word in ["init", "put", "get", "list", "delete", "info", "activity"] {
        assert!(wallet_help.contains(word), "{wallet_help}");
    }
}

#[test]
fn staff_desk_verifies_the_demo_qr_from_image_and_text_and_scan_prints_it() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let run = idwallet(&["demo", "--dir", demo.to_str().unwrap()], None);
    assert!(run.status.success(), "{}\n{}", stdout(&run), String::from_utf8_lossy(&run.stderr));
    let file = |n: &str| demo.join(n).to_str().unwrap().to_owned();

    let out = idwallet(
        &[
            "verify",
            "--role",
            "hotel",
            "--image",
            &file("hotel-qr.png"),
            "--trust",
            &file("trust-list.cbor"),
            "--status",
            &file("status-list.cwt"),
        ],
        None,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = stdout(&out);
    assert!(text.starts_with("ACCEPTED  Resident identity card for hotel"), "{text}");
    assert!(text.contains("not revoked") && text.contains("portrait"));
    assert!(!text.contains("address"), "a hotel must not see the address");

    // The consulate desk: the demo's visa report PDF, and the text of its QR code.
    let report = idwallet(&["verify-report", &file("visa-report.pdf"), "--trust", &file("trust-list.cbor")], None);
    assert!(report.status.success(), "{}", String::from_utf8_lossy(&report.stderr));
    let text = stdout(&report);
    assert!(text.starts_with("✔ VALID visa report VR-") && text.contains("matches the QR seal"), "{text}");
    // A scan of the printed page (rendered by pdftoppm at 150 dpi), and the QR text alone.
    let rendered = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "150", "-singlefile", &file("visa-report.pdf"), &file("scan")])
        .status()
        .expect("pdftoppm (poppler-utils) is installed by scripts/bootstrap.sh");
    assert!(rendered.success());
    let scan = idwallet(&["verify-report", "--image", &file("scan.png"), "--trust", &file("trust-list.cbor")], None);
    assert!(stdout(&scan).contains("compare these details with the printed page"), "{scan:?}");
    let seal = stdout(&idwallet(&["scan", &file("scan.png")], None)).trim().to_owned();
    assert!(seal.starts_with("IDR1"), "{seal}");
    let by_text = idwallet(&["verify-report", &seal, "--trust", &file("trust-list.cbor")], None);
    assert!(by_text.status.success() && stdout(&by_text).starts_with("✔ VALID visa report"));
    let no_trust = dir.path().join("empty-trust.cbor");
    std::fs::write(&no_trust, idwallet_core::credential::TrustList::default().to_cbor()).unwrap();
    let refused = idwallet(&["verify-report", &file("visa-report.pdf"), "--trust", no_trust.to_str().unwrap()], None);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not issued by a trusted issuer"));

    let scanned = idwallet(&["scan", &file("police-qr.png")], None);
    assert!(scanned.status.success());
    let qr_text = stdout(&scanned).trim().to_owned();
    assert!(qr_text.starts_with("IDW1"));

    // The police QR at a hotel desk, as JSON: refused with a stable code, exit code 1
    // (refused), as in text; an unreadable image is 3; a usage error is clap's 2.
    let refused =
        idwallet(&["verify", "--role", "hotel", &qr_text, "--trust", &file("trust-list.cbor"), "--json"], None);
    assert_eq!(refused.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&refused.stdout).unwrap();
    assert_eq!((json["accepted"].as_bool(), json["code"].as_str()), (Some(false), Some("wrong_audience")));
    assert!(json["reason"].as_str().unwrap().contains("made for 'police'"));
    let text = idwallet(&["verify", "--role", "hotel", &qr_text, "--trust", &file("trust-list.cbor")], None);
    assert_eq!(text.status.code(), Some(1));
    let not_image = idwallet(
        &["verify", "--role", "hotel", "--image", &file("trust-list.cbor"), "--trust", &file("trust-list.cbor")],
        None,
    );
    assert_eq!(not_image.status.code(), Some(3), "{not_image:?}");
    let missing =
        idwallet(&["verify", "--role", "hotel", "--image", "nope.png", "--trust", &file("trust-list.cbor")], None);
    assert_eq!(missing.status.code(), Some(3), "{missing:?}");
    assert_eq!(idwallet(&["verify", "--role", "desk"], None).status.code(), Some(2));

    let police =
        idwallet(&["verify", "--role", "police", &qr_text, "--trust", &file("trust-list.cbor"), "--json"], None);
    let json: serde_json::Value = serde_json::from_slice(&police.stdout).unwrap();
    assert_eq!(json["accepted"], true);
    assert!(json["claims"]["address"].is_string());
    assert_eq!(json["status"], "no_list", "a stable code, not Rust's Debug text");

    // Both codes side by side, as a desk camera sees two phones: `scan` prints both, and
    // each desk verifies the one made for it and says another code was in view.
    let both = dir.path().join("both.png");
    side_by_side(&[&file("hotel-qr.png"), &file("police-qr.png")], &both);
    let both = both.to_str().unwrap();
    let scanned = stdout(&idwallet(&["scan", both], None));
    assert_eq!(scanned.lines().filter(|l| l.starts_with("IDW1")).count(), 2, "{scanned}");
    for role in ["hotel", "police"] {
        let out =
            idwallet(&["verify", "--role", role, "--image", both, "--trust", &file("trust-list.cbor"), "--json"], None);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!((json["audience"].as_str(), json["other_codes"].as_u64()), (Some(role), Some(1)), "{json}");
    }
    let text =
        stdout(&idwallet(&["verify", "--role", "hotel", "--image", both, "--trust", &file("trust-list.cbor")], None));
    assert!(text.contains("1 other QR code(s), not this desk's"), "{text}");

    // What the desk was given is unreadable: exit 3, the file named, JSON when asked.
    let not_a_list = file("hotel-qr.png");
    for trust in ["nope.cbor", not_a_list.as_str()] {
        let out = idwallet(&["verify", "--role", "hotel", &qr_text, "--trust", trust, "--json"], None);
        assert_eq!(out.status.code(), Some(3), "{out:?}");
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON, even for a setup error");
        assert_eq!(json["code"], "unreadable_input");
        assert!(json["reason"].as_str().unwrap().contains(trust), "{json}");
        let report = idwallet(&["verify-report", &file("visa-report.pdf"), "--trust", trust], None);
        assert_eq!(report.status.code(), Some(3), "{report:?}");
    }
    let said = String::from_utf8_lossy(
        &idwallet(&["verify", "--role", "hotel", &qr_text, "--trust", &not_a_list], None).stderr,
    )
    .into_owned();
    assert!(said.contains("is not a trust list") && !said.contains("credential"), "{said}");
    let no_seal =
        idwallet(&["verify-report", "--image", &file("hotel-qr.png"), "--trust", &file("trust-list.cbor")], None);
    assert_eq!(no_seal.status.code(), Some(3), "{no_seal:?}");
    assert!(String::from_utf8_lossy(&no_seal.stderr).contains("no visa report QR code"), "{no_seal:?}");
}

/// Put the PNGs at `inputs` side by side on a white canvas, written to `out`.
fn side_by_side(inputs: &[&str], out: &std::path::Path) {
    let codes: Vec<_> = inputs.iter().map(|p| image::open(p).unwrap().to_luma8()).collect();
    let width = codes.iter().map(|c| c.width() + 40).sum();
    let height = codes.iter().map(|c| c.height()).max().unwrap() + 40;
    let mut canvas = image::GrayImage::from_pixel(width, height, image::Luma([255]));
    let mut x = 20;
    for code in &codes {
        image::imageops::replace(&mut canvas, code, x, 20);
        x += i64::from(code.width() + 40);
    }
    canvas.save(out).unwrap();
}

#[test]
fn scan_exits_non_zero_without_a_qr_code_and_present_writes_a_png() {
    let dir = tempfile::tempdir().unwrap();
    let blank = dir.path().join("blank.png");
    std::fs::write(&blank, include_bytes!("../../README.md")).unwrap();
    let out = idwallet(&["scan", blank.to_str().unwrap()], None);
    assert!(!out.status.success());

    let demo = dir.path().join("demo");
    let run = idwallet(&["demo", "--dir", demo.to_str().unwrap()], None);
    assert!(run.status.success(), "{}\n{}", stdout(&run), String::from_utf8_lossy(&run.stderr));
    let wallet = demo.join("wallet.db");
    let keys = demo.join("wallet.keys");
    let png = dir.path().join("qr.png");
    let live = stdout(&run)
        .lines()
        .find_map(|l| l.split("live photo: ").nth(1))
        .expect("the demo names the holder")
        .to_owned();
    let present_to = |out: &std::path::Path, face: Option<&str>, extra: &[&str]| {
        let mut args = vec![
            "present",
            "--path",
            wallet.to_str().unwrap(),
            "--keystore",
            keys.to_str().unwrap(),
            "--role",
            "police",
            "--kind",
            "driving_licence",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend(face.map(|f| ["--face", f, "--challenges", "turn-left,look-up,turn-right"]).into_iter().flatten());
        args.extend(extra);
        idwallet(&args, Some("demo passphrase — use your own"))
    };
    let present = |face: Option<&str>| present_to(&png, face, &[]);
    // No output path may destroy data: the wallet and key store never, even with --force;
    // another existing file only with --force; a directory never.
    let note = dir.path().join("notes.txt");
    std::fs::write(&note, "mine").unwrap();
    for (out, extra, said) in [
        (&wallet, &["--force"][..], "an input of this command"),
        (&keys, &["--force"][..], "an input of this command"),
        // The wallet's write-ahead log, which does not exist while it is closed.
        (&demo.join("wallet.db-wal"), &["--force"][..], "an input of this command"),
        (&note, &[][..], "not overwritten"),
        (&dir.path().to_path_buf(), &[][..], "is a directory"),
    ] {
        let before = std::fs::read(out).ok();
        let refused = present_to(out, None, extra);
        assert!(!refused.status.success());
        assert!(String::from_utf8_lossy(&refused.stderr).contains(said), "{refused:?}");
        assert_eq!(std::fs::read(out).ok(), before, "{} changed", out.display());
    }
    // A new process has nothing unlocked: refused, with what to do, and no file written.
    let locked = present(None);
    assert!(!locked.status.success());
    let said = String::from_utf8_lossy(&locked.stderr);
    assert!(said.contains("unlock it with your face") && said.contains("--face"), "{said}");
    assert!(!png.exists());
    let out = present(Some(&live));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout(&out).contains("licence_number"));
    assert!(!stdout(&out).contains("IDW1"), "the QR text (a name, numbers) only with --print-text");
    let scanned = idwallet(&["scan", png.to_str().unwrap()], None);
    assert!(stdout(&scanned).starts_with("IDW1"));
    // The face photo given as the output too: refused before any face check, untouched.
    let me = dir.path().join("me.jpg");
    std::fs::copy(&live, &me).unwrap();
    let onto_photo = present_to(&me, Some(me.to_str().unwrap()), &["--force"]);
    assert!(String::from_utf8_lossy(&onto_photo.stderr).contains("an input of this command"), "{onto_photo:?}");
    assert_eq!(std::fs::read(&me).unwrap(), std::fs::read(&live).unwrap());
    // A trailing slash does not slip past either.
    let slash = format!("{}/", wallet.display());
    let slashed = present_to(std::path::Path::new(&slash), None, &["--force"]);
    assert!(String::from_utf8_lossy(&slashed.stderr).contains("an input of this command"), "{slashed:?}");
    // An earlier QR code is replaced; --force replaces another file, never the wallet.
    let again = present_to(&note, Some(&live), &["--force", "--print-text"]);
    assert!(again.status.success(), "{again:?}");
    assert!(stdout(&again).lines().any(|l| l.starts_with("IDW1")), "{again:?}");
    assert!(std::fs::read(&note).unwrap().starts_with(b"\x89PNG"));

    // The demo clears only a folder it made: one with other files is refused, untouched.
    let mine = dir.path().join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("thesis.tex"), "years of work").unwrap();
    let refused = idwallet(&["demo", "--dir", mine.to_str().unwrap()], None);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not cleared"), "{refused:?}");
    assert_eq!(std::fs::read_to_string(mine.join("thesis.tex")).unwrap(), "years of work");
    assert!(demo.join(".idwallet-demo").exists(), "the demo marks its own folder");
    // Its own folder with a file the user added: refused too, the file kept.
    std::fs::write(demo.join("added-by-me.txt"), "mine").unwrap();
    assert!(!idwallet(&["demo", "--dir", demo.to_str().unwrap()], None).status.success());
    assert_eq!(std::fs::read_to_string(demo.join("added-by-me.txt")).unwrap(), "mine");
}

/// The police mDL reader on the demo's road check, and the holder's export, as an outsider
/// runs them: the files in every wrong combination, and exit codes that say which.
#[test]
fn mdl_verify_and_export_on_the_demo_road_check() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let run = idwallet(&["demo", "--dir", demo.to_str().unwrap()], None);
    assert!(run.status.success(), "{}\n{}", stdout(&run), String::from_utf8_lossy(&run.stderr));
    assert!(stdout(&run).contains("DS certificate chains to the IACA root"), "{}", stdout(&run));
    let file = |n: &str| demo.join(n).to_str().unwrap().to_owned();
    let verify = |args: &[&str]| idwallet(&[&["mdl", "verify"][..], args].concat(), None);
    let code = |o: &std::process::Output| o.status.code().unwrap();

    let ok = verify(&[
        &file("mdl-response.cbor"),
        "--iaca",
        &file("iaca.der"),
        "--transcript",
        &file("mdl-transcript.cbor"),
    ]);
    assert_eq!(code(&ok), 0, "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(stdout(&ok).contains("device signature over this session") && stdout(&ok).contains("document_number"));
    let alone = verify(&[&file("licence.mdoc"), "--iaca", &file("iaca.der")]);
    assert_eq!(code(&alone), 0, "{}", String::from_utf8_lossy(&alone.stderr));
    assert!(stdout(&alone).contains("not a presentation"));
    // Refused (1): no transcript for a session's answer, another session's transcript, another root.
    assert_eq!(code(&verify(&[&file("mdl-response.cbor"), "--iaca", &file("iaca.der")])), 1);
    let other = dir.path().join("other-transcript.cbor");
    let mut transcript = std::fs::read(file("mdl-transcript.cbor")).unwrap();
    let middle = transcript.len() / 2;
    transcript[middle] ^= 1;
    std::fs::write(&other, &transcript).unwrap();
    let replayed =
        verify(&[&file("mdl-response.cbor"), "--iaca", &file("iaca.der"), "--transcript", other.to_str().unwrap()]);
    assert_eq!(code(&replayed), 1, "{replayed:?}");
    // Unreadable (3): a picture, a trust list given as a root, a missing file.
    assert_eq!(code(&verify(&[&file("hotel-qr.png"), "--iaca", &file("iaca.der")])), 3);
    let not_root = verify(&[&file("licence.mdoc"), "--iaca", &file("trust-list.cbor")]);
    assert_eq!(code(&not_root), 3);
    assert!(String::from_utf8_lossy(&not_root.stderr).contains("trust-list.cbor"), "{not_root:?}");
    assert_eq!(code(&verify(&[&file("nosuch.cbor"), "--iaca", &file("iaca.der")])), 3);
    assert_eq!(code(&verify(&[&file("licence.mdoc")])), 2, "--iaca is required");

    // The holder's export: locked in a new process, never onto an input, then with the face.
    let out = dir.path().join("licence.mdoc");
    let (wallet, keys) = (file("wallet.db"), file("wallet.keys"));
    let export = |out: &str, extra: &[&str]| {
        let args = [&["mdl", "export", "--path", &wallet, "--keystore", &keys, "--out", out][..], extra].concat();
        idwallet(&args, Some("demo passphrase — use your own"))
    };
    let locked = export(out.to_str().unwrap(), &[]);
    assert_eq!(code(&locked), 1);
    assert!(String::from_utf8_lossy(&locked.stderr).contains("--face"), "{locked:?}");
    assert!(!out.exists());
    let keys_before = std::fs::read(file("wallet.keys")).unwrap();
    let onto_keys = export(&file("wallet.keys"), &["--force"]);
    assert!(String::from_utf8_lossy(&onto_keys.stderr).contains("an input of this command"), "{onto_keys:?}");
    assert_eq!(std::fs::read(file("wallet.keys")).unwrap(), keys_before);
    let live = stdout(&run)
        .lines()
        .find_map(|l| l.split("live photo: ").nth(1))
        .expect("the demo names the holder")
        .to_owned();
    let exported = export(out.to_str().unwrap(), &["--face", &live, "--challenges", "turn-left,look-up,turn-right"]);
    assert_eq!(code(&exported), 0, "{}", String::from_utf8_lossy(&exported.stderr));
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(file("licence.mdoc")).unwrap(), "the mdoc as issued");
    // An earlier export is replaced; a QR picture is not an export.
    assert_eq!(
        code(&export(out.to_str().unwrap(), &["--face", &live, "--challenges", "turn-left,look-up,turn-right"])),
        0
    );
    let png = dir.path().join("qr.png");
    std::fs::copy(file("hotel-qr.png"), &png).unwrap();
    let onto_png = export(png.to_str().unwrap(), &[]);
    assert!(String::from_utf8_lossy(&onto_png.stderr).contains("not overwritten"), "{onto_png:?}");
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_idwallet"))
        .args(["demo", "--dir", dir.path().join("d").to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap(); // then the pipe closes
    let out = child.wait_with_output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn register_refresh_and_score_against_the_reference_server() {
    use base64::Engine;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = idwallet_server::ServerConfig::new(dir.path().join("server"));
    config.citizens = 4;
    let server = rt.block_on(idwallet_server::start(config, "127.0.0.1:0".parse().unwrap())).unwrap();
    let key = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(server.state.server_key());
    let url = server.base_url();
    let path = dir.path().join("w.db");
    let p = path.to_str().unwrap();
    let pw = Some("pass");
    assert!(idwallet(&["wallet", "init", "--path", p], pw).status.success());

    let bad = idwallet(&["register", "--path", p, "--server", &url, "--server-key", &key, "--code", "NOPE"], pw);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("invalid_activation_code"), "{bad:?}");

    let code = server.state.activation_code(2).unwrap().unwrap();
    let reg = idwallet(&["register", "--path", p, "--server", &url, "--server-key", &key, "--code", &code], pw);
    assert!(reg.status.success(), "{reg:?}");
    assert!(stdout(&reg).contains("Device id         dev-"));

    let refreshed = stdout(&idwallet(&["documents", "refresh", "--path", p], pw));
    assert_eq!(refreshed.lines().count(), 5, "{refreshed}");
    assert!(refreshed.starts_with("Resident identity card"));
    assert_eq!(stdout(&idwallet(&["documents", "list", "--path", p], pw)), refreshed);

    let json = idwallet(&["score", "--path", p, "--provider", "paypoint", "--json"], pw);
    let score: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(score["provider"], "paypoint");
    assert!((300..=850).contains(&score["value"].as_i64().unwrap()));
    assert_eq!(score["from_cache"], false);
    assert_eq!(score["history"].as_array().unwrap().len(), 12);

    rt.block_on(server.stop()).unwrap();
    let offline = stdout(&idwallet(&["score", "--path", p, "--provider", "paypoint"], pw));
    assert!(offline.contains("cached") && offline.contains("offline"), "{offline}");
    let none = idwallet(&["score", "--path", p, "--provider", "sesame", "--offline"], pw);
    assert!(String::from_utf8_lossy(&none.stderr).contains("no cached score"));
}

#[test]
fn face_compare_enrol_and_verify_on_real_photos() {
    let models = models_dir();
    let photo = |n: &str| format!("{models}/photos/{n}.jpg");
    let out =
        idwallet(&["face", "compare", &photo("person_a_1"), &photo("person_a_2"), "--models", &models, "--json"], None);
    assert!(out.status.success(), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["same_person"], true);
    let out = idwallet(&["face", "compare", &photo("person_a_2"), &photo("impostor_2"), "--models", &models], None);
    assert!(stdout(&out).starts_with("DIFFERENT PEOPLE"), "{}", stdout(&out));

    // A holder registered with the reference server, which holds citizen 1's ID photo.
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = idwallet_server::ServerConfig::new(dir.path().join("server"));
    config.citizens = 2;
    config.photos = Some(format!("{models}/photos").into());
    let server = rt.block_on(idwallet_server::start(config, "127.0.0.1:0".parse().unwrap())).unwrap();
    use base64::Engine;
    let key = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(server.state.server_key());
    let path = dir.path().join("w.db");
    let p = path.to_str().unwrap();
    let pw = Some("pass");
    assert!(idwallet(&["wallet", "init", "--path", p], pw).status.success());
    let live = photo(idwallet_core::documents::synthetic::real_face(1).live_photo);
    let order = "turn-left,look-up,turn-right";
    let enrol =
        |photo: &str| idwallet(&["face", "enrol", "--path", p, photo, "--challenges", order, "--models", &models], pw);
    // No documents yet, so no reference portrait: nothing to enrol against.
    let early = enrol(&live);
    assert!(String::from_utf8_lossy(&early.stderr).contains("reference portrait"), "{early:?}");
    let code = server.state.activation_code(1).unwrap().unwrap();
    let url = server.base_url();
    assert!(idwallet(&["register", "--path", p, "--server", &url, "--server-key", &key, "--code", &code], pw)
        .status
        .success());
    assert!(idwallet(&["documents", "refresh", "--path", p], pw).status.success());
    rt.block_on(server.stop()).unwrap();

    // Another person's live face is not the reference portrait's.
    let stranger = enrol(&photo("impostor_2"));
    assert!(String::from_utf8_lossy(&stranger.stderr).contains("does not match"), "{stranger:?}");
    let enrolled = enrol(&live);
    assert!(stdout(&enrolled).contains("Face enrolled"), "{enrolled:?}");
    // Replacing it needs an unlock of the current face in the same command.
    let again = enrol(&live);
    assert!(String::from_utf8_lossy(&again.stderr).contains("--unlock-with"), "{again:?}");
    let ok = idwallet(&["face", "verify", "--path", p, &live, "--challenges", order, "--models", &models], pw);
    assert!(stdout(&ok).starts_with("UNLOCKED"), "{ok:?}");
    let no = idwallet(
        &["face", "verify", "--path", p, &photo("impostor_1"), "--challenges", order, "--models", &models],
        pw,
    );
    assert!(!no.status.success());
    assert!(String::from_utf8_lossy(&no.stderr).contains("does not match"), "{no:?}");
    let blank = dir.path().join("blank.png");
    std::fs::write(&blank, b"not an image").unwrap();
    let bad = idwallet(&["face", "verify", "--path", p, blank.to_str().unwrap(), "--models", &models], pw);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("could not be read"), "{bad:?}");
}

#[test]
fn every_help_has_an_example() {
    let top = stdout(&idwallet(&["--help"], None));
    assert!(top.contains("Exit codes:") && top.contains("Examples:"), "{top}");
    let commands = [
        vec!["demo"],
        vec!["verify"],
        vec!["scan"],
        vec!["present"],
        vec!["register"],
        vec!["score"],
        vec!["verify-report"],
        vec!["wallet", "init"],
        vec!["wallet", "put"],
        vec!["wallet", "get"],
        vec!["wallet", "list"],
        vec!["wallet", "delete"],
        vec!["wallet", "info"],
        vec!["wallet", "activity"],
        vec!["documents", "refresh"],
        vec!["documents", "list"],
        vec!["face", "compare"],
        vec!["face", "enrol"],
        vec!["face", "verify"],
    ];
    for command in commands {
        let help = stdout(&idwallet(&[command.as_slice(), &["--help"]].concat(), None));
        let example = help.contains("Example:\n  idwallet") || help.contains("Examples:\n  idwallet");
        assert!(example, "{command:?} has no example:\n{help}");
    }
}
