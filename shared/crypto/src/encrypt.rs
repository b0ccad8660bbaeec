//! Streaming encryption of messages and documents to the submission key.

use std::io::{self, Write};

use openpgp::policy::StandardPolicy;
use openpgp::serialize::stream::{Encryptor, LiteralWriter, Message, Recipient};
use sequoia_openpgp as openpgp;

use openpgp::Cert;
use openpgp::parse::Parse;

use crate::gzip::StoredGzip;
use crate::{CryptoError, KeyProblem, SubmissionKey};

/// Where plaintext goes: write it, then call [`PlaintextWriter::finish`].
///
/// Dropping it without `finish` leaves an incomplete ciphertext in the sink; the
/// caller must then discard the sink (the store's blob writer removes its file).
pub struct PlaintextWriter<'a> {
    inner: Inner<'a>,
}

enum Inner<'a> {
    Literal(Message<'a>),
    Gzip(StoredGzip<Message<'a>>),
}

impl Write for PlaintextWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.inner {
            Inner::Literal(m) => m.write(buf),
            Inner::Gzip(g) => g.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        // Flushing mid-stream would only emit partial packets early; finish() completes.
        Ok(())
    }
}

impl PlaintextWriter<'_> {
    /// Completes the gzip member (if any) and the OpenPGP message, and flushes the sink.
    pub fn finish(self) -> Result<(), CryptoError> {
        self.finish_with_note(None)
    }

    /// As [`PlaintextWriter::finish`]; a document also gets `note` as the comment of
    /// an empty last gzip member (see `SCRUB_NOTE_HEADER`).
    pub fn finish_with_note(self, note: Option<&str>) -> Result<(), CryptoError> {
        let message = match self.inner {
            Inner::Literal(m) => m,
            Inner::Gzip(g) => {
                let message = g.finish().map_err(CryptoError::Sink)?;
                match note {
                    Some(note) => crate::gzip::write_comment_member(message, note).map_err(CryptoError::Sink)?,
                    None => message,
                }
            }
        };
        message.finalize().map_err(|e| match e.downcast::<io::Error>() {
            Ok(io) => CryptoError::Sink(io),
            Err(e) => CryptoError::encrypt("finish the encrypted message")(e),
        })
    }
}

/// Starts an encrypted message (`-msg.gpg`): the literal data is the UTF-8 text.
pub fn encrypt_message<'a, W>(key: &'a SubmissionKey, sink: W) -> Result<PlaintextWriter<'a>, CryptoError>
where
    W: Write + Send + Sync + 'a,
{
    Ok(PlaintextWriter { inner: Inner::Literal(literal_to(key, sink)?) })
}

/// Starts an encrypted archive (a backup) to `key`, an administrator's key: binary
/// literal data that `gpg --decrypt` writes out as it was.
pub fn encrypt_archive<'a, W>(key: &'a SubmissionKey, sink: W) -> Result<PlaintextWriter<'a>, CryptoError>
where
    W: Write + Send + Sync + 'a,
{
    Ok(PlaintextWriter { inner: Inner::Literal(literal_to(key, sink)?) })
}

/// Starts an encrypted document (`-doc.gz.gpg`): a gzip member of stored blocks with
/// `filename` (already sanitised) in its header and mtime 0, encrypted.
///
/// Stored (level 0) blocks are a valid `.gz` for every gunzip and SecureDrop client,
/// and run at memory speed where deflate would cap uploads near 20–40 MB/s.
pub fn encrypt_document<'a, W>(
    key: &'a SubmissionKey,
    filename: &str,
    sink: W,
) -> Result<PlaintextWriter<'a>, CryptoError>
where
    W: Write + Send + Sync + 'a,
{
    gzip_document(key, filename, None, sink)
}

/// The header comment of a document whose source asked the server to remove hidden
/// information before encryption; what was done (it is known only at the end) is the
/// comment of the last gzip member.
pub const SCRUB_NOTE_HEADER: &str = "postern: the source asked the server to remove hidden information before \
     encryption; the last gzip member's comment says what was done";

/// As [`encrypt_document`], for a document the server is cleaning on the way:
/// the gzip header says so ([`SCRUB_NOTE_HEADER`]); finish it with
/// [`PlaintextWriter::finish_with_note`].
pub fn encrypt_scrubbed_document<'a, W>(
    key: &'a SubmissionKey,
    filename: &str,
    sink: W,
) -> Result<PlaintextWriter<'a>, CryptoError>
where
    W: Write + Send + Sync + 'a,
{
    gzip_document(key, filename, Some(SCRUB_NOTE_HEADER), sink)
}

fn gzip_document<'a, W>(
    key: &'a SubmissionKey,
    filename: &str,
    comment: Option<&str>,
    sink: W,
) -> Result<PlaintextWriter<'a>, CryptoError>
where
    W: Write + Send + Sync + 'a,
{
    let literal = literal_to(key, sink)?;
    let gzip = StoredGzip::with_comment(literal, filename, comment).map_err(CryptoError::Sink)?;
    Ok(PlaintextWriter { inner: Inner::Gzip(gzip) })
}

/// Starts an encrypted reply (`-reply.gpg`): UTF-8 text encrypted to the source's
/// (derived) public key **and** the submission key, so both the source and the
/// newsroom's viewing station can read it. The format follows both keys' features:
/// source keys advertise SEIPDv1 only, so GnuPG 2.2 reads replies.
pub fn encrypt_reply<'a, W>(
    submission: &'a SubmissionKey,
    source: &'a SourceCert,
    sink: W,
) -> Result<PlaintextWriter<'a>, CryptoError>
where
    W: Write + Send + Sync + 'a,
{
    Ok(PlaintextWriter { inner: Inner::Literal(literal_to_certs(&[submission.cert(), &source.0], sink)?) })
}

/// A source's public certificate as stored, parsed for encrypting replies to it.
pub struct SourceCert(Cert);

impl SourceCert {
    /// Parses the armoured public key the store holds for a source.
    pub fn from_armored(text: &str) -> Result<Self, CryptoError> {
        let cert = Cert::from_bytes(text.as_bytes()).map_err(|_| KeyProblem::NotOpenPgp)?;
        if cert.is_tsk() {
            return Err(KeyProblem::HasSecret.into());
        }
        Ok(Self(cert))
    }
}

fn literal_to<'a, W>(key: &'a SubmissionKey, sink: W) -> Result<Message<'a>, CryptoError>
where
    W: Write + Send + Sync + 'a,
{
    literal_to_certs(&[key.cert()], sink)
}

/// An encrypted literal-data writer to every storage-encryption key of `certs`; each
/// cert must have one.
fn literal_to_certs<'a, W>(certs: &[&'a Cert], sink: W) -> Result<Message<'a>, CryptoError>
where
    W: Write + Send + Sync + 'a,
{
    static POLICY: StandardPolicy<'static> = StandardPolicy::new();
    let mut recipients: Vec<Recipient<'a>> = Vec::new();
    for cert in certs {
        let vc = cert.with_policy(&POLICY, None).map_err(|_| KeyProblem::Policy)?;
        let before = recipients.len();
        recipients.extend(vc.keys().supported().alive().revoked(false).for_storage_encryption().map(Recipient::from));
        if recipients.len() == before {
            return Err(KeyProblem::NoEncryptionKey.into());
        }
    }
    let message = Message::new(sink);
    let encrypted =
        Encryptor::for_recipients(message, recipients).build().map_err(CryptoError::encrypt("start encryption"))?;
    LiteralWriter::new(encrypted).build().map_err(CryptoError::encrypt("start the literal data packet"))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;
    use crate::{decrypt_message, generate_submission_key_pair, packet_versions};

    fn encrypt_doc(key: &SubmissionKey, name: &str, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = encrypt_document(key, name, &mut out).unwrap();
        for chunk in data.chunks(7777) {
            w.write_all(chunk).unwrap();
        }
        w.finish().unwrap();
        out
    }

    #[test]
    fn a_scrubbed_document_says_so_and_lists_what_went_in_its_last_member() {
        let pair = generate_submission_key_pair("t", false).unwrap();
        let key = SubmissionKey::from_armored(&pair.public_armored).unwrap();
        let mut ct = Vec::new();
        let mut w = encrypt_scrubbed_document(&key, "photo.jpg", &mut ct).unwrap();
        w.write_all(b"cleaned image bytes").unwrap();
        w.finish_with_note(Some("postern-scrub removed: location, device")).unwrap();
        let gz = decrypt_message(&pair.secret_armored, &ct).unwrap();
        let mut data = Vec::new();
        let members = crate::read_gzip_members(&gz[..], &mut data).unwrap();
        assert_eq!(data, b"cleaned image bytes");
        assert_eq!(members.len(), 2);
        assert_eq!(members[0].name.as_deref(), Some(&b"photo.jpg"[..]));
        assert_eq!(members[0].comment.as_deref(), Some(crate::SCRUB_NOTE_HEADER.as_bytes()));
        assert_eq!(members[1].comment.as_deref(), Some(&b"postern-scrub removed: location, device"[..]));
        // Every gunzip reads both members as one file.
        let mut all = Vec::new();
        flate2::read::MultiGzDecoder::new(&gz[..]).read_to_end(&mut all).unwrap();
        assert_eq!(all, b"cleaned image bytes");
    }

    #[test]
    fn document_round_trips_through_gzip_with_name_and_zero_mtime() {
        let pair = generate_submission_key_pair("t", false).unwrap();
        let key = SubmissionKey::from_armored(&pair.public_armored).unwrap();
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let ct = encrypt_doc(&key, "report.pdf", &data);
        let gz = decrypt_message(&pair.secret_armored, &ct).unwrap();
        let mut dec = flate2::read::GzDecoder::new(&gz[..]);
        let mut back = Vec::new();
        dec.read_to_end(&mut back).unwrap();
        assert_eq!(back, data);
        let header = dec.header().unwrap();
        assert_eq!(header.filename(), Some(&b"report.pdf"[..]));
        assert_eq!(header.mtime(), 0);
    }

    #[test]
    fn packet_format_follows_recipient_features() {
        let classic = generate_submission_key_pair("v1", false).unwrap();
        let modern = generate_submission_key_pair("v2", true).unwrap();
        for (pair, seipd) in [(&classic, 1), (&modern, 2)] {
            let key = SubmissionKey::from_armored(&pair.public_armored).unwrap();
            let mut out = Vec::new();
            let mut w = encrypt_message(&key, &mut out).unwrap();
            w.write_all("héllo".as_bytes()).unwrap();
            w.finish().unwrap();
            assert_eq!(packet_versions(&out).unwrap().seipd, seipd);
            assert_eq!(decrypt_message(&pair.secret_armored, &out).unwrap(), "héllo".as_bytes());
        }
    }

    #[test]
    fn replies_decrypt_with_the_submission_key_and_the_derived_source_key_only() {
        use crate::{InstanceSecrets, decrypt_reply, derive_source_identity, derive_source_public_key};
        use postern_core::Codename;
        use rand::rngs::OsRng;
        let newsroom = generate_submission_key_pair("newsroom", false).unwrap();
        let key = SubmissionKey::from_armored(&newsroom.public_armored).unwrap();
        let secrets = InstanceSecrets::generate(&mut OsRng);
        let codename = Codename::generate(&mut OsRng);
        let identity = derive_source_identity(&codename, &secrets).unwrap();
        let source = SourceCert::from_armored(&derive_source_public_key(&identity).unwrap().armored).unwrap();

        let mut ct = Vec::new();
        let mut w = encrypt_reply(&key, &source, &mut ct).unwrap();
        w.write_all("a reply — ünïcode".as_bytes()).unwrap();
        w.finish().unwrap();

        let versions = packet_versions(&ct).unwrap();
        assert_eq!(versions.seipd, 1, "readable by GnuPG 2.2");
        assert_eq!(versions.pkesk.len(), 2, "one recipient each");
        assert_eq!(decrypt_message(&newsroom.secret_armored, &ct).unwrap(), "a reply — ünïcode".as_bytes());
        assert_eq!(decrypt_reply(&identity, &ct).unwrap(), "a reply — ünïcode".as_bytes());
        let stranger = derive_source_identity(&Codename::generate(&mut OsRng), &secrets).unwrap();
        assert!(decrypt_reply(&stranger, &ct).is_err());
        assert!(SourceCert::from_armored(&newsroom.secret_armored).is_err(), "never a secret key");
    }

    #[test]
    fn other_keys_cannot_decrypt() {
        let a = generate_submission_key_pair("a", false).unwrap();
        let b = generate_submission_key_pair("b", false).unwrap();
        let key = SubmissionKey::from_armored(&a.public_armored).unwrap();
        let ct = encrypt_doc(&key, "x", b"secret");
        assert!(decrypt_message(&b.secret_armored, &ct).is_err());
    }
}
