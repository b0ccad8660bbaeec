//! GnuPG 2.2 decrypts what Postern stores, with the submission key and only it.

use std::io::Write;

use axum::http::StatusCode;
use postern_tests::{Gpg, Part, Stack, gunzip_restoring_name};

#[test]
fn the_peer_is_gnupg_2_2() {
    postern_tests::require_tool("gnupg");
    let out = std::process::Command::new("gpg").arg("--version").output().unwrap();
    let version = String::from_utf8_lossy(&out.stdout);
    assert!(version.starts_with("gpg (GnuPG) 2.2."), "viewing stations run GnuPG 2.2: {version}");
}

#[tokio::test]
async fn gnupg_decrypts_a_message_and_a_multi_file_submission() {
    let stack = Stack::new();
    let mut source = stack.new_source().await;
    let message = "Ünïcode message\nwith two lines — and a dash";
    let binary: Vec<u8> = (0..700_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let res = source
        .submit(&[
            Part::Text("msg", message),
            Part::File("fh", "Leaked Report (final).pdf", &binary),
            Part::File("fh", "../../bin/gpg", b"#!/bin/sh\necho not a real gpg\n"),
        ])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let items = stack.instance.submissions_of(&source.codename);
    assert_eq!(items.len(), 3);
    let gpg = Gpg::with_fixture_secret();

    assert_eq!(gpg.decrypt(&items[0].path).unwrap(), message.as_bytes());
    let (name, content) = gunzip_restoring_name(&gpg.decrypt(&items[1].path).unwrap());
    assert_eq!(name, "Leaked_Report_final.pdf");
    assert_eq!(content, binary);
    let (name, content) = gunzip_restoring_name(&gpg.decrypt(&items[2].path).unwrap());
    assert_eq!(name, "bin_gpg", "the path is sanitised, as SecureDrop does");
    assert_eq!(content, b"#!/bin/sh\necho not a real gpg\n");

    // SEIPDv1: the fixture key (made by GnuPG 2.2) does not advertise SEIPDv2.
    let ct = std::fs::read(&items[1].path).unwrap();
    assert_eq!(postern_crypto::packet_versions(&ct).unwrap().seipd, 1);
    // Stored as binary OpenPGP, with the epoch as modification time.
    assert!(!ct.starts_with(b"-----BEGIN"));
    let mtime = std::fs::metadata(&items[1].path).unwrap().modified().unwrap();
    assert_eq!(mtime, std::time::UNIX_EPOCH);
}

#[tokio::test]
async fn only_the_submission_key_decrypts_and_the_gzip_header_has_mtime_zero() {
    let stack = Stack::new();
    let mut source = stack.new_source().await;
    assert_eq!(source.submit(&[Part::File("fh", "a.txt", b"abc")]).await.status, StatusCode::SEE_OTHER);
    let item = &stack.instance.submissions_of(&source.codename)[0];

    // A GnuPG home with some other secret key cannot decrypt it.
    let other = postern_crypto::generate_submission_key_pair("other", false).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("other.asc");
    std::fs::File::create(&key_path).unwrap().write_all(other.secret_armored.as_bytes()).unwrap();
    let stranger = Gpg::with_secret_key(&key_path);
    assert!(stranger.decrypt(&item.path).is_err());

    let gz = Gpg::with_fixture_secret().decrypt(&item.path).unwrap();
    assert_eq!(&gz[..2], &[0x1f, 0x8b], "a gzip member");
    assert_eq!(&gz[4..8], &[0, 0, 0, 0], "gzip MTIME is 0");
}

#[test]
fn gnupg_decrypts_a_reply_encrypted_to_a_source_and_the_submission_key() {
    use postern_crypto::{SourceCert, decrypt_reply, derive_source_identity, derive_source_public_key, encrypt_reply};
    let instance = postern_fixtures::TempInstance::new();
    let codename = postern_core::Codename::generate(&mut rand::rngs::OsRng);
    let identity = derive_source_identity(&codename, &instance.secrets()).unwrap();
    let source = SourceCert::from_armored(&derive_source_public_key(&identity).unwrap().armored).unwrap();
    let key = postern_fixtures::submission_key();
    let mut ciphertext = Vec::new();
    let mut w = encrypt_reply(&key, &source, &mut ciphertext).unwrap();
    w.write_all(b"Thank you. Please send the second page.").unwrap();
    w.finish().unwrap();
    let path = instance.path().join("1-x-reply.gpg");
    std::fs::write(&path, &ciphertext).unwrap();
    let gpg = Gpg::with_fixture_secret();
    assert_eq!(gpg.decrypt(&path).unwrap(), b"Thank you. Please send the second page.");
    assert_eq!(decrypt_reply(&identity, &ciphertext).unwrap(), b"Thank you. Please send the second page.");
}

#[test]
fn a_reply_gnupg_encrypted_to_a_source_key_opens_for_that_source() {
    use postern_crypto::{decrypt_reply, derive_source_identity, derive_source_public_key};
    let instance = postern_fixtures::TempInstance::new();
    let codename = postern_core::Codename::generate(&mut rand::rngs::OsRng);
    let identity = derive_source_identity(&codename, &instance.secrets()).unwrap();
    let public = derive_source_public_key(&identity).unwrap();
    let gpg = Gpg::with_fixture_secret();
    gpg.import_text(&public.armored);
    let text = b"Written on a workstation and encrypted there by GnuPG.";
    for armor in [false, true] {
        let ciphertext = gpg.encrypt_to(&[&public.fingerprint], text, armor);
        let binary = if armor {
            postern_crypto::dearmor_encrypted_reply(std::str::from_utf8(&ciphertext).unwrap()).unwrap()
        } else {
            ciphertext
        };
        assert_eq!(decrypt_reply(&identity, &binary).unwrap(), text, "armoured: {armor}");
    }
}
