//! Metadata: ExifTool (Debian's libimage-exiftool-perl) judges what postern-scrub
//! removes, ImageMagick judges that pixels do not change, GnuPG 2.2 reads the keys
//! `svs keygen` makes, and `svs` decrypts what the source interface stored, with the
//! source's opt-in cleaning on and off.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use axum::http::StatusCode;
use clap::Parser;
use postern_fixtures::LogCapture;
use postern_scrub::fixtures::{self, PHOTO_JPEG, PHOTO_PNG, PHOTO_WEBP};
use postern_tests::{Part, Stack};

/// Every tag ExifTool reports, as `Group:Tag` → value (`-a -G1`, JSON).
fn exiftool(path: &Path) -> BTreeMap<String, serde_json::Value> {
    postern_tests::require_tool("exiftool");
    let out = Command::new("exiftool").args(["-j", "-a", "-G1"]).arg(path).output().expect("exiftool runs");
    assert!(out.status.success(), "exiftool failed: {}", String::from_utf8_lossy(&out.stderr));
    let parsed: Vec<BTreeMap<String, serde_json::Value>> = serde_json::from_slice(&out.stdout).unwrap();
    parsed.into_iter().next().unwrap()
}

/// ImageMagick's signature of the decoded pixels (independent of metadata).
fn pixel_signature(path: &Path) -> String {
    postern_tests::require_tool("imagemagick");
    let out = Command::new("identify").args(["-format", "%#"]).arg(path).output().expect("identify runs");
    assert!(out.status.success(), "identify failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap();
    path
}

/// Tags the image fixtures carry, as ExifTool names them.
const IMAGE_TAGS: &[&str] = &[
    "GPS:GPSLatitude",
    "GPS:GPSLongitude",
    "GPS:GPSAltitude",
    "IFD0:Make",
    "IFD0:Model",
    "IFD0:Artist",
    "IFD0:Copyright",
    "IFD0:Software",
    "IFD0:HostComputer",
    "ExifIFD:SerialNumber",
    "ExifIFD:LensSerialNumber",
    "ExifIFD:OwnerName",
    "ExifIFD:DateTimeOriginal",
    "ExifIFD:OffsetTimeOriginal",
    "ExifIFD:ImageUniqueID",
    "XMP-dc:Creator",
    "XMP-xmp:CreatorTool",
    "XMP-xmpMM:DocumentID",
    "XMP-photoshop:City",
    "ICC_Profile:ProfileDescription",
];

struct Case {
    name: &'static str,
    data: Vec<u8>,
    /// Tags ExifTool must see before, and must not see after.
    tags: Vec<&'static str>,
    /// Groups ExifTool may still report after cleaning (structure, not metadata).
    allowed_groups: &'static [&'static str],
}

fn cases() -> Vec<Case> {
    let image = |extra: &[&'static str]| IMAGE_TAGS.iter().chain(extra).copied().collect::<Vec<_>>();
    vec![
        Case {
            name: "photo.jpg",
            data: PHOTO_JPEG.to_vec(),
            tags: image(&["IFD1:ThumbnailImage", "IPTC:By-line", "IPTC:City", "File:Comment"]),
            allowed_groups: &["JFIF", "IFD0"],
        },
        Case {
            name: "photo.png",
            data: PHOTO_PNG.to_vec(),
            tags: image(&["PNG:Author", "PNG:Comment", "PNG:CreationTime", "PNG:ModifyDate"]),
            allowed_groups: &["PNG", "IFD0"],
        },
        Case { name: "photo.webp", data: PHOTO_WEBP.to_vec(), tags: image(&[]), allowed_groups: &["RIFF", "IFD0"] },
        Case {
            name: "memo.pdf",
            data: fixtures::pdf_with_everything(),
            tags: vec!["PDF:Author", "PDF:Producer", "XMP-dc:Creator", "XMP-xmp:CreatorTool", "XMP-xmpMM:DocumentID"],
            allowed_groups: &["PDF"],
        },
        Case {
            name: "draft.docx",
            data: fixtures::docx_with_everything(),
            tags: [OFFICE_PROPERTY_TAGS, &["XML:Application"]].concat(),
            allowed_groups: &["ZIP"],
        },
        Case {
            name: "ledger.xlsx",
            data: fixtures::xlsx_with_everything(),
            tags: OFFICE_PROPERTY_TAGS.to_vec(),
            allowed_groups: &["ZIP"],
        },
        Case {
            name: "slides.pptx",
            data: fixtures::pptx_with_everything(),
            tags: OFFICE_PROPERTY_TAGS.to_vec(),
            allowed_groups: &["ZIP"],
        },
    ]
}

/// The properties every Office fixture carries, as ExifTool names them.
const OFFICE_PROPERTY_TAGS: &[&str] = &[
    "XMP-dc:Creator",
    "XML:LastModifiedBy",
    "XML:RevisionNumber",
    "XML:CreateDate",
    "XML:Template",
    "XML:TotalEditTime",
    "XML:Company",
    "XML:Manager",
    "XML:DMS-Owner",
    "File:PreviewImage",
];

#[test]
fn exiftool_sees_every_removed_tag_before_scrubbing_and_none_after() {
    postern_tests::require_tool("exiftool-office");
    let dir = tempfile::tempdir().unwrap();
    for case in cases() {
        let before = exiftool(&write(dir.path(), case.name, &case.data));
        for tag in &case.tags {
            assert!(before.contains_key(*tag), "{}: the fixture lacks {tag}", case.name);
        }
        let (clean, outcome) = postern_scrub::scrub_bytes(&case.data).unwrap();
        assert!(!outcome.removed.is_empty());
        let after = exiftool(&write(dir.path(), &format!("clean-{}", case.name), &clean));
        for tag in &case.tags {
            assert!(!after.contains_key(*tag), "{}: {tag} survived: {:?}", case.name, after.get(*tag));
        }
        for (key, value) in &after {
            let group = key.split(':').next().unwrap_or_default();
            let structural = ["SourceFile", "ExifTool", "System", "File", "Composite"].contains(&group);
            assert!(
                structural || case.allowed_groups.contains(&group),
                "{}: ExifTool still reports {key} = {value}",
                case.name
            );
            if group == "IFD0" {
                assert_eq!(key, "IFD0:Orientation", "{}: only the orientation stays in EXIF", case.name);
            }
        }
        assert!(!after.contains_key("ExifTool:Warning"), "{}: {:?}", case.name, after.get("ExifTool:Warning"));
        assert_eq!(after.get("File:FileType"), before.get("File:FileType"), "{}: still the same type", case.name);
        let raw = String::from_utf8_lossy(&readable_bytes(case.name, &clean)).into_owned();
        for text in fixtures::IDENTIFYING_STRINGS.iter().chain(fixtures::DOCUMENT_IDENTIFYING_STRINGS) {
            assert!(!raw.contains(text), "{}: {text} is still in the bytes", case.name);
        }
        let original = String::from_utf8_lossy(&readable_bytes(case.name, &case.data)).into_owned();
        assert!(original.contains("Jane Source"), "{}: the check reads the content", case.name);
    }
}

/// A file's bytes as a reader sees them: an Office file's members decompressed.
fn readable_bytes(name: &str, data: &[u8]) -> Vec<u8> {
    use std::io::Read;
    if !name.ends_with('x') {
        return data.to_vec();
    }
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(data)).unwrap();
    let mut all = Vec::new();
    for i in 0..archive.len() {
        archive.by_index(i).unwrap().read_to_end(&mut all).unwrap();
    }
    all
}

#[test]
fn scrubbed_photos_decode_to_the_same_pixels() {
    let dir = tempfile::tempdir().unwrap();
    for (name, data) in [("photo.jpg", PHOTO_JPEG), ("photo.png", PHOTO_PNG), ("photo.webp", PHOTO_WEBP)] {
        let (clean, _) = postern_scrub::scrub_bytes(data).unwrap();
        let before = pixel_signature(&write(dir.path(), name, data));
        let after = pixel_signature(&write(dir.path(), &format!("clean-{name}"), &clean));
        assert_eq!(before, after, "{name}: the pixels changed");
        assert!(clean.len() < data.len());
    }
}

/// Runs `svs` in-process; returns its exit code and standard output.
fn svs(args: &[&str]) -> (ExitCode, String) {
    let args = viewing_station::cli::Args::parse_from(std::iter::once("svs").chain(args.iter().copied()));
    let mut out = Vec::new();
    let code = viewing_station::run(args, &mut out);
    (code, String::from_utf8(out).unwrap())
}

/// `svs decrypt` of stored submissions into `out`, with the fixture secret key.
fn svs_decrypt(items: &[postern_store::SubmissionRecord], out: &Path) -> (ExitCode, String) {
    let key = fixture_secret_key();
    let out = out.to_string_lossy().into_owned();
    let paths: Vec<String> = items.iter().map(|i| i.path.to_string_lossy().into_owned()).collect();
    let mut args = vec!["decrypt", "--key", &key, "--out", &out];
    args.extend(paths.iter().map(String::as_str));
    svs(&args)
}

fn fixture_secret_key() -> String {
    postern_fixtures::fixture_path("gpg-submission-secret.asc").to_string_lossy().into_owned()
}

#[tokio::test]
async fn opted_in_photos_are_cleaned_before_encryption_and_svs_restores_them() {
    let logs = LogCapture::global();
    let stack = Stack::new();
    let mut source = stack.new_source().await;
    let pdf = fixtures::pdf_with_everything();
    let mut damaged = PHOTO_JPEG[..PHOTO_JPEG.len() / 2].to_vec();
    damaged.extend_from_slice(b"\xff\x00garbage");
    let res = source
        .submit(&[
            Part::Text("msg", "photos attached"),
            Part::Text("scrub", "1"),
            Part::File("fh", "holiday.jpg", PHOTO_JPEG),
            Part::File("fh", "screen.png", PHOTO_PNG),
            Part::File("fh", "sticker.webp", PHOTO_WEBP),
            Part::File("fh", "memo.pdf", &pdf),
            Part::File("fh", "broken.jpg", &damaged),
        ])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());

    // The next page tells the source, per file and in categories, what happened.
    let page = source.client.get("/lookup").await.text();
    assert!(page.contains("holiday.jpg: we removed hidden information before encrypting it: location (GPS"), "{page}");
    assert!(page.contains("camera or device details"));
    assert!(page.contains("small preview images"));
    assert!(page.contains("screen.png: we removed hidden information"));
    assert!(page.contains("sticker.webp: we removed hidden information"));
    assert!(
        page.contains("memo.pdf was sent as it was: we can only remove hidden information from JPEG, PNG and WebP")
    );
    assert!(
        page.contains("broken.jpg was NOT sent: it looks like a photo, but part of it could not be read"),
        "{page}"
    );
    for value in ["52 deg", "SN-0042-XYZ", "Jane Source", "PosternCam"] {
        assert!(!page.contains(value), "the page shows categories, never values");
    }
    // Shown once.
    assert!(!source.client.get("/lookup").await.text().contains("holiday.jpg"));

    // svs on the viewing station: names restored, notes shown, cleaned bytes as the library makes them.
    let items = stack.instance.submissions_of(&source.codename);
    assert_eq!(items.len(), 5, "the message and four files; the damaged photo was not stored");
    let out = tempfile::tempdir().unwrap();
    let (code, table) = svs_decrypt(&items, out.path());
    assert_eq!(code, ExitCode::SUCCESS, "{table}");
    assert!(table.contains("message"));
    assert!(table.contains("postern-scrub: JPEG cleaned; removed: location, device, people, times"), "{table}");
    assert!(table.contains("postern-scrub: PDF not cleaned on the server"), "{table}");
    let read = |name: &str| std::fs::read(out.path().join(name)).unwrap();
    for (name, original) in [("holiday.jpg", PHOTO_JPEG), ("screen.png", PHOTO_PNG), ("sticker.webp", PHOTO_WEBP)] {
        assert_eq!(read(name), postern_scrub::scrub_bytes(original).unwrap().0, "{name}: streamed = library result");
        assert!(!exiftool(&out.path().join(name)).contains_key("GPS:GPSLatitude"), "{name}");
        let original_path = write(out.path(), &format!("original-{name}"), original);
        assert_eq!(pixel_signature(&out.path().join(name)), pixel_signature(&original_path), "{name}: pixels");
    }
    assert_eq!(read("memo.pdf"), pdf, "a document the server cannot clean arrives as sent");
    assert!(!out.path().join("broken.jpg").exists());

    // The server learned nothing: no file name or finding in its logs or files.
    let log = logs.contents();
    for secret in ["holiday.jpg", "screen.png", "memo.pdf", "location (GPS", "postern-scrub", "PosternCam"] {
        assert!(!log.contains(secret), "{secret} reached the logs");
    }
    for file in stack.instance.all_files() {
        let bytes = std::fs::read(&file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for secret in ["holiday.jpg", "postern-scrub", "location", "PosternCam", "Jane Source"] {
            assert!(!text.contains(secret), "{secret} is in {}", file.display());
        }
    }
}

#[tokio::test]
async fn a_photo_that_cannot_be_cleaned_is_not_stored_and_the_source_is_told() {
    let stack = Stack::new();
    let mut source = stack.new_source().await;
    let mut damaged = PHOTO_PNG[..PHOTO_PNG.len() / 2].to_vec();
    damaged.extend_from_slice(b"cut off");
    // A WebP whose header announces 17 MiB: refused from its first 12 bytes, before any
    // buffering (the rest of it need not arrive for that).
    let huge_webp = {
        let mut w = b"RIFF".to_vec();
        w.extend_from_slice(&(17u32 * 1024 * 1024).to_le_bytes());
        w.extend_from_slice(b"WEBPVP8 ");
        w.resize(4096, 0);
        w
    };
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic plus the rest of an iPhone photo";
    let res = source
        .submit(&[
            Part::Text("scrub", "1"),
            Part::File("fh", "cut.png", &damaged),
            Part::File("fh", "big.webp", &huge_webp),
            Part::File("fh", "iphone.heic", heic),
        ])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let page = source.client.get("/lookup").await.text();
    assert!(page.contains("cut.png was NOT sent"), "{page}");
    assert!(page.contains("big.webp was NOT sent: WebP photos over 16 MB cannot be cleaned here"));
    assert!(
        page.contains("iphone.heic was sent as it was: we cannot remove hidden information from this kind of photo")
    );
    assert!(page.contains("Thank you for sending this information to us"), "the HEIC was stored: {page}");
    let items = stack.instance.submissions_of(&source.codename);
    assert_eq!(items.len(), 1);
    assert_eq!(stack.instance.stored_files().len(), 1, "no partial ciphertext is left behind");

    // Only uncleanable photos: nothing stored, no thanks, the notice says why.
    let mut other = stack.new_source().await;
    let res = other.submit(&[Part::Text("scrub", "1"), Part::File("fh", "cut.png", &damaged)]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let page = other.client.get("/lookup").await.text();
    assert!(page.contains("cut.png was NOT sent"));
    assert!(!page.contains("Thank"));
    assert!(stack.instance.submissions_of(&other.codename).is_empty());
    assert!(stack.instance.source_of(&other.codename).unwrap().pending, "still a pending source");
}

#[tokio::test]
async fn without_the_checkbox_files_arrive_exactly_as_sent() {
    let stack = Stack::new();
    let mut source = stack.new_source().await;
    let res = source
        .submit(&[Part::File("fh", "../../etc/passwd", PHOTO_JPEG), Part::File("fh", "holiday.jpg", PHOTO_JPEG)])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let page = source.client.get("/lookup").await.text();
    assert!(!page.contains("hidden information before encrypting"));
    // The form offers the choice, on by default, before the file field.
    let form = page.split("action=\"/submit\"").nth(1).unwrap();
    let checkbox = form.find("name=\"scrub\" value=\"1\" checked").expect("checked by default");
    assert!(checkbox < form.find("name=\"fh\"").unwrap(), "the choice comes before the files");
    assert!(page.contains("Remove hidden photo information — location, camera, time — before your files are encrypted. Journalists may use this information to verify a photo; leave it on unless you want them to see it."));

    let items = stack.instance.submissions_of(&source.codename);
    let out = tempfile::tempdir().unwrap();
    let (code, table) = svs_decrypt(&items, out.path());
    assert_eq!(code, ExitCode::SUCCESS, "{table}");
    assert!(!table.contains("postern-scrub"));
    // The hostile name was made safe by the server and stays inside the output directory.
    assert_eq!(std::fs::read(out.path().join("etc_passwd")).unwrap(), PHOTO_JPEG);
    assert_eq!(std::fs::read(out.path().join("holiday.jpg")).unwrap(), PHOTO_JPEG);
    assert!(exiftool(&out.path().join("holiday.jpg")).contains_key("GPS:GPSLatitude"));
}

#[tokio::test]
async fn a_bulk_download_from_the_journalist_interface_decrypts_with_svs() {
    let stack = Stack::new();
    let mut source = stack.new_source().await;
    let res = source
        .submit(&[Part::Text("msg", "in the zip"), Part::Text("scrub", "1"), Part::File("fh", "a.png", PHOTO_PNG)])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let mut account = stack.add_journalist("ada", false, postern_store::OtpKind::Hotp);
    let mut journalist = stack.log_in(&mut account).await;
    let uuid = stack.instance.source_of(&source.codename).unwrap().uuid;
    let zip = journalist.get(&format!("/download_unread/{uuid}")).await;
    assert_eq!(zip.status, StatusCode::OK);
    let dir = tempfile::tempdir().unwrap();
    let zip_path = write(dir.path(), "unread.zip", &zip.body);
    let out_dir = dir.path().join("plain").to_string_lossy().into_owned();
    let key = fixture_secret_key();
    let (code, table) = svs(&["decrypt", "--key", &key, "--out", &out_dir, &zip_path.to_string_lossy()]);
    assert_eq!(code, ExitCode::SUCCESS, "{table}");
    let record = stack.instance.source_of(&source.codename).unwrap();
    let folder = Path::new(&out_dir).join(postern_core::journalist_filename(&record.designation));
    assert_eq!(std::fs::read(folder.join("a.png")).unwrap(), postern_scrub::scrub_bytes(PHOTO_PNG).unwrap().0);
    let message = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("-msg.txt"))
        .expect("the message");
    assert_eq!(std::fs::read_to_string(message).unwrap(), "in the zip");
}

#[test]
fn svs_keygen_makes_a_protected_key_that_gnupg_2_2_and_svs_both_use() {
    let dir = tempfile::tempdir().unwrap();
    let pass = write(dir.path(), "pass.txt", b"a passphrase long enough\n");
    let keys = dir.path().join("keys");
    let (code, out) = svs(&["keygen", "--out", &keys.to_string_lossy(), "--passphrase-file", &pass.to_string_lossy()]);
    assert_eq!(code, ExitCode::SUCCESS, "{out}");
    let secret = keys.join("submission-secret.asc");
    let public = std::fs::read_to_string(keys.join("submission-public.asc")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&secret).unwrap().permissions().mode() & 0o777, 0o600);
    // Refuses to replace a key.
    let (code, _) = svs(&["keygen", "--out", &keys.to_string_lossy(), "--passphrase-file", &pass.to_string_lossy()]);
    assert_ne!(code, ExitCode::SUCCESS);

    // The server encrypts a document to the public half.
    let key = postern_crypto::SubmissionKey::from_armored(&public).unwrap();
    let ct_path = dir.path().join("1-test-doc.gz.gpg");
    let mut ct = Vec::new();
    let mut w = postern_crypto::encrypt_document(&key, "evidence.txt", &mut ct).unwrap();
    w.write_all(b"the evidence").unwrap();
    w.finish().unwrap();
    std::fs::write(&ct_path, &ct).unwrap();

    // GnuPG 2.2 imports the protected secret key with the passphrase and decrypts.
    postern_tests::require_tool("gnupg");
    let home = dir.path().join("gnupg");
    std::fs::create_dir(&home).unwrap();
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
    let gpg = |args: &[&str]| {
        Command::new("gpg")
            .arg("--homedir")
            .arg(&home)
            .args(["--batch", "--pinentry-mode", "loopback", "--passphrase-file"])
            .arg(&pass)
            .args(args)
            .output()
            .unwrap()
    };
    let import = gpg(&["--import", &secret.to_string_lossy()]);
    assert!(import.status.success(), "{}", String::from_utf8_lossy(&import.stderr));
    let decrypted = gpg(&["--decrypt", &ct_path.to_string_lossy()]);
    assert!(decrypted.status.success(), "{}", String::from_utf8_lossy(&decrypted.stderr));
    let mut plain = Vec::new();
    let members = postern_crypto::read_gzip_members(&decrypted.stdout[..], &mut plain).unwrap();
    assert_eq!(plain, b"the evidence");
    assert_eq!(members[0].name.as_deref(), Some(&b"evidence.txt"[..]));
    // A wrong passphrase does not unlock it for GnuPG either.
    let wrong = write(dir.path(), "wrong.txt", b"not it\n");
    let failed = Command::new("gpg")
        .arg("--homedir")
        .arg(dir.path().join("fresh"))
        .args(["--batch", "--pinentry-mode", "loopback", "--passphrase-file"])
        .arg(&wrong)
        .args(["--decrypt", &ct_path.to_string_lossy()])
        .output()
        .unwrap();
    assert!(!failed.status.success());

    // And svs decrypts it with the same key and passphrase.
    let out = dir.path().join("plain");
    let (code, table) = svs(&[
        "decrypt",
        "--key",
        &secret.to_string_lossy(),
        "--passphrase-file",
        &pass.to_string_lossy(),
        "--out",
        &out.to_string_lossy(),
        &ct_path.to_string_lossy(),
    ]);
    assert_eq!(code, ExitCode::SUCCESS, "{table}");
    assert_eq!(std::fs::read(out.join("evidence.txt")).unwrap(), b"the evidence");
}
