//! Downloads: one ciphertext as a stream, or many as a zip in SecureDrop's layout
//! (`<designation>/<N>_<last activity date>/<file name>`), written as it is sent.
//! Nothing is staged on disk (SecureDrop builds the zip in a temporary directory) and
//! memory stays at a few chunks, whatever the size.

use std::io::Write;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use postern_core::{UtcDateTime, journalist_filename};
use postern_store::{Collection, CollectionItem};
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;
use zip::write::SimpleFileOptions;

/// Chunk size for file and zip streams.
const CHUNK: usize = 64 * 1024;
/// Chunks in flight between the zip writer and the connection.
const CHANNEL_DEPTH: usize = 4;
/// Entries at least this large get zip64 headers.
const ZIP64_THRESHOLD: u64 = 0xFFFF_FFFF;

/// One file to put in a zip.
pub(crate) struct ZipEntry {
    /// Path inside the archive.
    pub(crate) name: String,
    /// The ciphertext on disk.
    pub(crate) path: PathBuf,
    pub(crate) size: u64,
}

/// The zip entries of `items` of `collection`, in SecureDrop's layout.
pub(crate) fn entries_for(collection: &Collection, items: &[&CollectionItem]) -> Vec<ZipEntry> {
    let source_dir = journalist_filename(&collection.source.designation);
    let date = UtcDateTime::from_unix(collection.source.last_updated).date();
    items
        .iter()
        .map(|item| ZipEntry {
            name: format!("{source_dir}/{}_{date}/{}", item.number(), item.filename),
            path: item.path.clone(),
            size: item.size,
        })
        .collect()
}

/// The download name of a bulk zip: `<basename>--YYYY-MM-DD--HH-MM-SS.zip`.
pub(crate) fn zip_name(basename: &str, now: i64) -> String {
    format!("{basename}--{}.zip", UtcDateTime::from_unix(now).file_stamp())
}

/// Entries whose file is missing on disk.
pub(crate) fn missing(entries: &[ZipEntry]) -> usize {
    entries.iter().filter(|e| !e.path.is_file()).count()
}

/// Streams `entries` as a stored (uncompressed: ciphertext does not compress) zip, and
/// runs `delivered` once the whole archive has been handed to the connection.
pub(crate) fn zip_response(
    download_name: &str,
    entries: Vec<ZipEntry>,
    delivered: impl FnOnce() + Send + 'static,
) -> Response {
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(CHANNEL_DEPTH);
    tokio::task::spawn_blocking(move || {
        let sink = ChannelWriter { tx: tx.clone(), buf: Vec::with_capacity(CHUNK) };
        let written = write_zip(sink, entries);
        if written.is_ok() {
            delivered();
        }
        if let Err(e) = written {
            // The client sees a cut-off download, which unzip reports; we log what failed.
            tracing::error!("journalist interface: unable to stream a bulk download: {e}");
            let _ = tx.blocking_send(Err(std::io::Error::other("bulk download failed")));
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    let mut res = Body::from_stream(stream).into_response();
    set_download_headers(&mut res, "application/zip", download_name);
    res
}

fn write_zip(sink: ChannelWriter, entries: Vec<ZipEntry>) -> zip::result::ZipResult<()> {
    let mut zip = zip::ZipWriter::new_stream(sink);
    for entry in entries {
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(entry.size >= ZIP64_THRESHOLD)
            .unix_permissions(0o600);
        zip.start_file(entry.name, options)?;
        let mut file = std::fs::File::open(&entry.path)?;
        std::io::copy(&mut file, &mut zip)?;
    }
    let mut sink = zip.finish()?.into_inner();
    sink.flush()?;
    Ok(())
}

/// Sends what is written to the response body in chunks; fails once the client is gone.
struct ChannelWriter {
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    buf: Vec<u8>,
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx.blocking_send(Ok(chunk)).map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
}

/// Streams one ciphertext file.
pub(crate) async fn file_response(path: &Path, download_name: &str) -> std::io::Result<Response> {
    let file = tokio::fs::File::open(path).await?;
    let len = file.metadata().await?.len();
    let mut res = file_body(file, len).into_response();
    set_download_headers(&mut res, "application/pgp-encrypted", download_name);
    res.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    Ok(res)
}

/// The next `len` bytes of `file` as a body, read a chunk at a time.
pub(crate) fn file_body(file: tokio::fs::File, len: u64) -> Body {
    let stream = futures_util::stream::unfold(Some(file.take(len)), |file| async move {
        let mut file = file?;
        let mut buf = bytes::BytesMut::with_capacity(CHUNK);
        match file.read_buf(&mut buf).await {
            Ok(0) => None,
            Ok(_) => Some((Ok::<_, std::io::Error>(buf.freeze()), Some(file))),
            Err(e) => Some((Err(e), None)),
        }
    });
    Body::from_stream(stream)
}

pub(crate) fn set_download_headers(res: &mut Response, content_type: &'static str, name: &str) {
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Our file names are ASCII letters, digits, '-', '_' and '.'; anything else is dropped.
    let safe: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')).collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_names_follow_securedrop() {
        assert_eq!(zip_name("all", 0), "all--1970-01-01--00-00-00.zip");
    }
}
