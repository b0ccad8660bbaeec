//! A gzip member of *stored* deflate blocks: SecureDrop's `.gz` container without
//! compression, written at memory speed.
//!
//! flate2 at level 0 still runs its compressor and measured about 280 MB/s here, which
//! halved the whole upload pipeline (SEIPDv1 encryption alone runs near 240 MB/s);
//! this writer only copies and computes CRC-32. Every gunzip reads the result (RFC 1952
//! member, RFC 1951 stored blocks).

use std::io::{self, Write};

/// Largest stored block (LEN is 16 bits).
const MAX_BLOCK: usize = 65_535;
/// Header flag: an original file name follows.
const FNAME: u8 = 0x08;
/// Header flag: a comment follows.
const FCOMMENT: u8 = 0x10;
/// Operating system "unknown", as Python's gzip writes it: says nothing about the server.
const OS_UNKNOWN: u8 = 255;

pub(crate) struct StoredGzip<W: Write> {
    inner: W,
    crc: crc32fast::Hasher,
    /// Input size modulo 2^32, as ISIZE records it.
    size: u32,
    block: Vec<u8>,
}

impl<W: Write> StoredGzip<W> {
    /// Writes the header with `filename` (ASCII, no NUL: callers pass a sanitised name)
    /// and modification time 0.
    /// `comment`, if any, goes in the header too (ASCII; NULs are dropped).
    pub(crate) fn with_comment(mut inner: W, filename: &str, comment: Option<&str>) -> io::Result<Self> {
        let name: Vec<u8> = filename.bytes().filter(|b| *b != 0).collect();
        let flags = if comment.is_some() { FNAME | FCOMMENT } else { FNAME };
        inner.write_all(&[0x1f, 0x8b, 8, flags, 0, 0, 0, 0, 0, OS_UNKNOWN])?;
        inner.write_all(&name)?;
        inner.write_all(&[0])?;
        if let Some(comment) = comment {
            inner.write_all(&comment.bytes().filter(|b| *b != 0).collect::<Vec<u8>>())?;
            inner.write_all(&[0])?;
        }
        Ok(Self { inner, crc: crc32fast::Hasher::new(), size: 0, block: Vec::with_capacity(MAX_BLOCK) })
    }

    fn emit_block(&mut self, last: bool) -> io::Result<()> {
        let len = u16::try_from(self.block.len()).map_err(|_| io::Error::other("stored block too long"))?;
        let mut header = [u8::from(last), 0, 0, 0, 0];
        header[1..3].copy_from_slice(&len.to_le_bytes());
        header[3..5].copy_from_slice(&(!len).to_le_bytes());
        self.inner.write_all(&header)?;
        self.inner.write_all(&self.block)?;
        self.block.clear();
        Ok(())
    }

    /// Writes the final block and the trailer (CRC-32, size); returns the sink.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.emit_block(true)?;
        let crc = self.crc.clone().finalize();
        self.inner.write_all(&crc.to_le_bytes())?;
        self.inner.write_all(&self.size.to_le_bytes())?;
        Ok(self.inner)
    }
}

/// Appends an empty gzip member whose header carries `comment`. Every gunzip
/// (RFC 1952 allows several members) yields the same data; readers that look at
/// every member's header find the comment. Used to say, after a document's data,
/// what the server removed from it: that is only known at the end.
pub(crate) fn write_comment_member<W: Write>(mut inner: W, comment: &str) -> io::Result<W> {
    inner.write_all(&[0x1f, 0x8b, 8, FCOMMENT, 0, 0, 0, 0, 0, OS_UNKNOWN])?;
    inner.write_all(&comment.bytes().filter(|b| *b != 0).collect::<Vec<u8>>())?;
    // The comment's end, one final empty stored block, CRC-32 0 and size 0.
    inner.write_all(&[0, 1, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0])?;
    Ok(inner)
}

/// One gzip member's header fields, as [`read_gzip_members`] finds them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GzipMember {
    /// FNAME, as bytes (Latin-1 by the standard; sanitise before use).
    pub name: Option<Vec<u8>>,
    /// FCOMMENT, as bytes.
    pub comment: Option<Vec<u8>>,
}

/// Why [`read_gzip_members`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum GzipError {
    /// The input is not (valid) gzip data, or could not be read.
    #[error("the data is not valid gzip: {0}")]
    Read(#[source] io::Error),
    /// Writing the decompressed data failed (a full disk).
    #[error("unable to write the decompressed data: {0}")]
    Write(#[source] io::Error),
}

/// Decompresses a (multi-member) gzip stream from `input` into `output`, returning
/// each member's header. Stops with an error on anything that is not gzip.
pub fn read_gzip_members<R: io::BufRead, W: Write>(input: R, output: W) -> Result<Vec<GzipMember>, GzipError> {
    let mut output = Recording::new(output);
    let mut decoder = flate2::bufread::GzDecoder::new(input);
    let mut members = Vec::new();
    loop {
        io::copy(&mut decoder, &mut output).map_err(|e| match output.take_failure() {
            Some(write) => GzipError::Write(write),
            None => GzipError::Read(e),
        })?;
        let header = decoder
            .header()
            .ok_or_else(|| GzipError::Read(io::Error::new(io::ErrorKind::InvalidData, "not gzip data")))?;
        members.push(GzipMember {
            name: header.filename().map(<[u8]>::to_vec),
            comment: header.comment().map(<[u8]>::to_vec),
        });
        let mut rest = decoder.into_inner();
        if rest.fill_buf().map_err(GzipError::Read)?.is_empty() {
            return Ok(members);
        }
        decoder = flate2::bufread::GzDecoder::new(rest);
    }
}

/// A writer that remembers its first error, so a failed copy can tell whether reading
/// or writing failed.
pub(crate) struct Recording<W> {
    inner: W,
    failed: Option<io::Error>,
}

impl<W: Write> Recording<W> {
    pub(crate) fn new(inner: W) -> Self {
        Self { inner, failed: None }
    }

    /// The first write error, if writing failed.
    pub(crate) fn take_failure(&mut self) -> Option<io::Error> {
        self.failed.take()
    }
}

impl<W: Write> Write for Recording<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf).inspect_err(|e| {
            self.failed.get_or_insert_with(|| io::Error::new(e.kind(), e.to_string()));
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Write> Write for StoredGzip<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = MAX_BLOCK - self.block.len();
        let take = buf.len().min(room);
        self.block.extend_from_slice(&buf[..take]);
        self.crc.update(&buf[..take]);
        // ISIZE is the size modulo 2^32 (RFC 1952), so the truncation is the format.
        self.size = self.size.wrapping_add(take as u32);
        if self.block.len() == MAX_BLOCK {
            self.emit_block(false)?;
        }
        Ok(take)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn gzip(name: &str, data: &[u8], chunk: usize) -> Vec<u8> {
        let mut gz = StoredGzip::with_comment(Vec::new(), name, None).unwrap();
        for c in data.chunks(chunk.max(1)) {
            gz.write_all(c).unwrap();
        }
        gz.finish().unwrap()
    }

    #[test]
    fn flate2_reads_it_back_with_name_and_zero_mtime() {
        for (len, chunk) in [(0, 1), (1, 1), (65_535, 1000), (65_536, 65_536), (300_001, 7777)] {
            let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let gz = gzip("report.pdf", &data, chunk);
            let mut dec = flate2::read::GzDecoder::new(&gz[..]);
            let mut back = Vec::new();
            dec.read_to_end(&mut back).unwrap();
            assert_eq!(back, data, "len {len}");
            let header = dec.header().unwrap();
            assert_eq!(header.filename(), Some(&b"report.pdf"[..]));
            assert_eq!(header.mtime(), 0);
        }
    }

    #[test]
    fn stored_blocks_cost_five_bytes_each() {
        let gz = gzip("a", &vec![0u8; 200_000], 4096);
        // header 10 + "a\0" 2 + 4 blocks × 5 + data + trailer 8
        assert_eq!(gz.len(), 10 + 2 + 4 * 5 + 200_000 + 8);
    }
}
