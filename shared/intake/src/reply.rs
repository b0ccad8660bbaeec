//! Replies: a journalist's text encrypted to the source's key and the submission key,
//! and a logged-in source's replies opened in memory.

use std::io::Read;

use postern_core::JournalistId;
use postern_crypto::{SourceCert, SourceReplyKey, SubmissionKey, encrypt_reply};
use postern_store::{ReplyRecord, SourceRecord, Store};

use crate::IntakeError;

/// Replies larger than this are not read (ours are at most a few hundred KiB).
const MAX_REPLY_BYTES: u64 = 4 * 1024 * 1024;

/// Encrypts `text` to `source`'s key and to `key`, and records it as `author`'s reply.
/// The text is never written anywhere in the clear.
pub fn store_reply(
    store: &Store,
    key: &SubmissionKey,
    source: &SourceRecord,
    author: Option<JournalistId>,
    text: &str,
) -> Result<(), IntakeError> {
    let cert = SourceCert::from_armored(&store.source_public_key(source.id)?)?;
    let mut blob = store.begin_blob(source)?;
    {
        let mut plain = encrypt_reply(key, &cert, &mut blob)?;
        std::io::Write::write_all(&mut plain, text.as_bytes())?;
        plain.finish()?;
    }
    store.record_reply(source.id, author, blob.finish()?)?;
    Ok(())
}

/// Records `ciphertext`, a reply its author's client encrypted itself (the journalist
/// API), as `author`'s reply, under the client's `uuid` if it chose one. Returns the
/// reply's UUID and file name.
pub fn store_encrypted_reply(
    store: &Store,
    source: &SourceRecord,
    author: JournalistId,
    ciphertext: &[u8],
    uuid: Option<&str>,
) -> Result<(String, String), IntakeError> {
    let mut blob = store.begin_blob(source)?;
    std::io::Write::write_all(&mut blob, ciphertext)?;
    Ok(store.record_reply_as(source.id, Some(author), blob.finish()?, uuid)?)
}

/// A reply as the source sees it.
#[derive(Debug, PartialEq, Eq)]
pub struct OpenedReply {
    /// `N-designation-reply.gpg`, to delete it by.
    pub filename: String,
    /// The plaintext, or `None` if it could not be read or decrypted; wiped when dropped.
    pub text: Option<zeroize::Zeroizing<String>>,
}

/// `source`'s replies that it has not hidden, newest first, decrypted with `key` in
/// memory. A reply whose file is missing or does not decrypt is listed without text:
/// one damaged file never hides the others.
pub fn open_replies(
    store: &Store,
    source: &SourceRecord,
    key: Option<&SourceReplyKey>,
) -> Result<Vec<OpenedReply>, IntakeError> {
    let replies = store.replies(source)?;
    Ok(replies.into_iter().filter(|r| !r.deleted_by_source).rev().map(|r| open_one(key, r)).collect())
}

fn open_one(key: Option<&SourceReplyKey>, reply: ReplyRecord) -> OpenedReply {
    let text = key.and_then(|key| {
        let ciphertext = read_bounded(&reply.path)?;
        let plain = key.decrypt(&ciphertext).ok()?;
        Some(zeroize::Zeroizing::new(String::from_utf8_lossy(&plain).into_owned()))
    });
    OpenedReply { filename: reply.filename, text }
}

fn read_bounded(path: &std::path::Path) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    std::fs::File::open(path).ok()?.take(MAX_REPLY_BYTES).read_to_end(&mut buf).ok()?;
    Some(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use postern_core::Codename;
    use postern_crypto::{decrypt_message, derive_source_identity, derive_source_public_key};
    use postern_fixtures::{GPG_SECRET_KEY, TempInstance, submission_key};
    use postern_store::NewSource;

    #[test]
    fn a_reply_is_stored_encrypted_and_the_source_opens_its_replies_newest_first() {
        let instance = TempInstance::new();
        let codename = Codename::generate(&mut rand::rngs::OsRng);
        let identity = derive_source_identity(&codename, &instance.secrets()).unwrap();
        let public = derive_source_public_key(&identity).unwrap();
        let new =
            NewSource { lookup_id: &identity.lookup_id, public_key: &public.armored, fingerprint: &public.fingerprint };
        let source = instance.store.create_source(&new).unwrap();
        let key = submission_key();
        store_reply(&instance.store, &key, &source, None, "first reply").unwrap();
        store_reply(&instance.store, &key, &source, None, "second reply").unwrap();

        let replies = instance.store.replies(&source).unwrap();
        let ciphertext = std::fs::read(&replies[0].path).unwrap();
        assert!(!ciphertext.windows(5).any(|w| w == b"first"), "no plaintext on disk");
        assert_eq!(decrypt_message(GPG_SECRET_KEY, &ciphertext).unwrap(), b"first reply", "the newsroom reads it");

        let (sealed, pad) = identity.seal();
        let reply_key = sealed.open(&pad).unwrap();
        let opened = open_replies(&instance.store, &source, Some(&reply_key)).unwrap();
        let texts: Vec<_> = opened.iter().map(|r| r.text.as_ref().map(|t| t.as_str())).collect();
        assert_eq!(texts, [Some("second reply"), Some("first reply")]);
        assert!(
            open_replies(&instance.store, &source, None).unwrap().iter().all(|r| r.text.is_none()),
            "no key, no text"
        );

        std::fs::write(&replies[1].path, b"damaged").unwrap();
        let opened = open_replies(&instance.store, &source, Some(&reply_key)).unwrap();
        assert_eq!(opened[0], OpenedReply { filename: replies[1].filename.clone(), text: None });
        assert_eq!(opened[1].text.as_ref().map(|t| t.as_str()), Some("first reply"), "a damaged reply hides no other");
    }
}
