//! `postern demo --sample-data`: sources with messages, documents and replies, like
//! SecureDrop's development data, so a newcomer sees a populated journalist interface
//! and API clients have something to read. Everything is made the way real traffic is:
//! codenames derive the source keys, submissions are encrypted to the submission key
//! and replies to the source and the submission key.

use std::path::Path;

use anyhow::Context;
use postern_config::PosternConfig;
use postern_core::Codename;
use postern_crypto::{SubmissionKey, derive_source_identity, derive_source_public_key};
use postern_intake::{DocumentWriter, Finished, record_submission, store_reply, write_message};
use postern_store::{FinishedBlob, NewSource, SourceRecord, Store};
use rand::rngs::OsRng;

/// How many sample sources a demo gets.
const SAMPLE_SOURCES: usize = 3;

/// A sample source, as `demo.json` lists it (its codename lets a test or a newcomer
/// log in as it on the source interface).
#[derive(serde::Serialize)]
pub(crate) struct SampleSource {
    pub(crate) codename: String,
    pub(crate) designation: String,
    pub(crate) uuid: String,
}

/// Fills an instance that has no sources yet; returns what it made (nothing if the
/// instance already had sources).
pub(crate) fn fill(config: &PosternConfig, author: &str) -> anyhow::Result<Vec<SampleSource>> {
    let store = crate::instance::open_store(config)?;
    if !store.client_sources().context("unable to list sources")?.is_empty() {
        return Ok(Vec::new());
    }
    let secrets = crate::instance::load_secrets(&config.instance.secrets_file)?;
    let key = crate::instance::load_submission_key(&config.instance.submission_key)
        .map_err(|p| anyhow::anyhow!("the demo submission key is unusable: {p}"))?;
    let author = store.journalist(author).context("unable to read the demo journalist")?.map(|j| j.id);
    let mut made = Vec::new();
    for n in 1..=SAMPLE_SOURCES {
        let codename = Codename::generate(&mut OsRng);
        let identity = derive_source_identity(&codename, &secrets).context("unable to derive a sample source")?;
        let public = derive_source_public_key(&identity).context("unable to derive a sample source's key")?;
        let new =
            NewSource { lookup_id: &identity.lookup_id, public_key: &public.armored, fingerprint: &public.fingerprint };
        let source = store.create_source(&new).context("unable to create a sample source")?;
        let first = format!("Sample message {n}: this is what a source's first message looks like.");
        let document = format!("Sample document {n}.\nA source's file arrives encrypted, its name inside.\n");
        let message = message_blob(&store, &key, &source, &first)?;
        let file = document_blob(&store, &key, &source, &format!("sample-document-{n}.txt"), document.as_bytes())?;
        record_submission(&store, source.id, Some(message), vec![file])
            .context("unable to record a sample submission")?;
        let reply = format!("Sample reply {n}: thank you; we read your message and your file.");
        store_reply(&store, &key, &source, author, &reply).context("unable to store a sample reply")?;
        let later = message_blob(&store, &key, &source, &format!("Sample follow-up {n}, after the reply."))?;
        record_submission(&store, source.id, Some(later), Vec::new())
            .context("unable to record a sample submission")?;
        if n == 1 {
            store.set_starred(source.id, true).context("unable to star a sample source")?;
        }
        made.push(SampleSource {
            codename: codename.expose_secret().to_owned(),
            designation: source.designation.as_str().to_owned(),
            uuid: source.uuid.clone(),
        });
    }
    Ok(made)
}

fn message_blob(store: &Store, key: &SubmissionKey, source: &SourceRecord, text: &str) -> anyhow::Result<FinishedBlob> {
    let mut blob = store.begin_blob(source).context("unable to start a sample message")?;
    write_message(key, text, &mut blob).context("unable to encrypt a sample message")?;
    blob.finish().context("unable to write a sample message")
}

fn document_blob(
    store: &Store,
    key: &SubmissionKey,
    source: &SourceRecord,
    name: &str,
    bytes: &[u8],
) -> anyhow::Result<FinishedBlob> {
    let mut blob = store.begin_blob(source).context("unable to start a sample document")?;
    let mut writer =
        DocumentWriter::start(key, name, false, &mut blob).context("unable to encrypt a sample document")?;
    writer.write(bytes).context("unable to encrypt a sample document")?;
    match writer.finish().context("unable to encrypt a sample document")? {
        Finished::Stored(_) => blob.finish().context("unable to write a sample document"),
        Finished::NotSent(_) => anyhow::bail!("a sample document was refused"),
    }
}

/// Where a demo keeps its sample sources' facts (0600, like its journalist's).
pub(crate) fn facts_file(dir: &Path) -> std::path::PathBuf {
    dir.join("demo-sources.json")
}
