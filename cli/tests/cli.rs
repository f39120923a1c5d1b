//! The CLI as a user runs it: real processes, real files.

use std::process::{Command, Output};

fn idwallet(args: &[&str], passphrase: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_idwallet"));
    cmd.args(args).env_remove("IDWALLET_PASSPHRASE");
    if let Some(p) = passphrase {
        cmd.env("IDWALLET_PASSPHRASE", p);
    }
    cmd.output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

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

    let twice = idwallet(&["wallet", "init", "--path", p], Some("right"));
    assert!(String::from_utf8_lossy(&twice.stderr).contains("already exists"));
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
