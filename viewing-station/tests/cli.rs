//! Golden tests of `svs`: every case in `cmd/*.toml` runs the real binary in a
//! sandbox copy of its `.in` directory; stdout, stderr, the exit status and the
//! files written (`.out`) must match exactly.
#![allow(clippy::disallowed_methods, reason = "test code writes fixtures and measures time")]

use std::io::Write;
use std::path::Path;

#[test]
fn cli_golden() {
    trycmd::TestCases::new().case("tests/cmd/*.toml");
}

/// The passphrase of the fixture key in `cmd/decrypt.in`.
const FIXTURE_PASSPHRASE: &str = "correct horse battery staple";

/// Regenerates the ciphertext fixtures (`cargo test -p viewing-station --test cli
/// -- --ignored make_fixtures`), then `TRYCMD=overwrite` updates the expected output.
#[test]
#[ignore = "regenerates checked-in fixtures"]
fn make_fixtures() {
    let dir = Path::new("tests/cmd/decrypt.in");
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let pair =
        postern_crypto::generate_protected_key_pair("Fixture Newsroom", false, FIXTURE_PASSPHRASE.as_bytes()).unwrap();
    std::fs::write(dir.join("key.asc"), &pair.secret_armored).unwrap();
    std::fs::write(dir.join("pass.txt"), format!("{FIXTURE_PASSPHRASE}\n")).unwrap();
    let key = postern_crypto::SubmissionKey::from_armored(&pair.public_armored).unwrap();
    let message = |text: &str| {
        let mut ct = Vec::new();
        let mut w = postern_crypto::encrypt_message(&key, &mut ct).unwrap();
        w.write_all(text.as_bytes()).unwrap();
        w.finish().unwrap();
        ct
    };
    // The gzip header name is written as given here (the server sanitises before
    // writing; a hostile or older server might not).
    let document = |name: &str, data: &[u8]| {
        let mut ct = Vec::new();
        let mut w = postern_crypto::encrypt_document(&key, name, &mut ct).unwrap();
        w.write_all(data).unwrap();
        w.finish().unwrap();
        ct
    };
    let write = |name: &str, data: &[u8]| std::fs::write(dir.join(name), data).unwrap();
    write("1-bright_owl-msg.gpg", &message("Here is what I know.\n"));
    write("2-bright_owl-doc.gz.gpg", &document("../../etc/passwd", b"root:x:0:0\n"));
    write("3-bright_owl-doc.gz.gpg", &document("report.pdf", b"%PDF-1.7 first\n"));
    write("4-bright_owl-doc.gz.gpg", &document("report.pdf", b"%PDF-1.7 second\n"));
    write("5-bright_owl-doc.gz.gpg", &document("CON", b"device name\n"));
    write("6-bright_owl-doc.gz.gpg", &document(".bashrc", b"hidden\n"));
    write("7-bright_owl-doc.gz.gpg", &document("a\nb\u{202e}gpj.exe", b"direction override\n"));
    write("8-bright_owl-doc.gz.gpg", &document(&format!("{}.txt", "long".repeat(100)), b"long name\n"));
    write("9-bright_owl-reply.gpg", &message("Thank you. Can you tell us more?\n"));
    write("10-bright_owl-doc.gz.gpg", b"not a submission at all");
    // A document the source interface cleaned on the way in.
    let mut ct = Vec::new();
    let mut w = postern_crypto::encrypt_scrubbed_document(&key, "photo.jpg", &mut ct).unwrap();
    w.write_all(b"cleaned photo").unwrap();
    w.finish_with_note(Some("postern-scrub: JPEG cleaned; removed: location, device, times; kept: orientation"))
        .unwrap();
    write("11-bright_owl-doc.gz.gpg", &ct);
    // A document whose content is not gzip, and a message for another newsroom's key.
    write("14-bright_owl-doc.gz.gpg", &message("plain text where gzip should be"));
    let other = postern_crypto::generate_submission_key_pair("Another Newsroom", false).unwrap();
    let other = postern_crypto::SubmissionKey::from_armored(&other.public_armored).unwrap();
    let mut ct = Vec::new();
    let mut w = postern_crypto::encrypt_message(&other, &mut ct).unwrap();
    w.write_all(b"not for this newsroom").unwrap();
    w.finish().unwrap();
    write("15-other_source-msg.gpg", &ct);
    // A bulk download, SecureDrop's layout, with one hostile entry path.
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("bright_owl/12_2026-11-27/12-bright_owl-msg.gpg", options).unwrap();
    zip.write_all(&message("Sent again, in a zip.\n")).unwrap();
    zip.start_file("../../evil/13-bright_owl-doc.gz.gpg", options).unwrap();
    zip.write_all(&document("notes.txt", b"from a hostile zip path\n")).unwrap();
    zip.start_file("bright_owl/readme.txt", options).unwrap();
    zip.write_all(b"not encrypted").unwrap();
    std::fs::write(dir.join("bulk.zip"), zip.finish().unwrap().into_inner()).unwrap();

    let wrong = Path::new("tests/cmd/decrypt-wrong-passphrase.in");
    std::fs::create_dir_all(wrong).unwrap();
    std::fs::write(wrong.join("key.asc"), &pair.secret_armored).unwrap();
    std::fs::write(wrong.join("wrong.txt"), "not the passphrase\n").unwrap();
    std::fs::write(wrong.join("1-bright_owl-msg.gpg"), message("unused")).unwrap();
    let public = Path::new("tests/cmd/decrypt-public-key.in");
    std::fs::create_dir_all(public).unwrap();
    std::fs::write(public.join("public.asc"), &pair.public_armored).unwrap();

    // Images and documents for inspect and scrub.
    for case in ["inspect.in", "inspect-json.in", "scrub.in"] {
        let d = Path::new("tests/cmd").join(case);
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("photo.jpg"), postern_scrub::fixtures::PHOTO_JPEG).unwrap();
        std::fs::write(d.join("photo.png"), postern_scrub::fixtures::PHOTO_PNG).unwrap();
        std::fs::write(d.join("photo.webp"), postern_scrub::fixtures::PHOTO_WEBP).unwrap();
        std::fs::write(d.join("notes.txt"), "plain text\n").unwrap();
        std::fs::write(d.join("memo.pdf"), postern_scrub::fixtures::pdf_with_everything()).unwrap();
        std::fs::write(d.join("draft.docx"), postern_scrub::fixtures::docx_with_everything()).unwrap();
    }
}
