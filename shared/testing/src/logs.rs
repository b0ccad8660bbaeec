//! A process-wide capturing log subscriber at TRACE, installed once per test binary.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use tracing_subscriber::fmt::MakeWriter;

/// Everything every crate logged in this process, at every level.
#[derive(Clone)]
pub struct LogCapture {
    buffer: Arc<Mutex<Vec<u8>>>,
}

static GLOBAL: OnceLock<LogCapture> = OnceLock::new();

impl LogCapture {
    /// The capture, installing the subscriber on first use. Tests that use it should
    /// look for values unique to themselves, since the buffer is shared.
    pub fn global() -> Self {
        GLOBAL
            .get_or_init(|| {
                let capture = LogCapture { buffer: Arc::new(Mutex::new(Vec::new())) };
                let _ = tracing_subscriber::fmt()
                    .with_max_level(tracing::Level::TRACE)
                    .with_writer(capture.clone())
                    .with_ansi(false)
                    .try_init();
                capture
            })
            .clone()
    }

    /// The captured text so far.
    pub fn contents(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock().unwrap_or_else(std::sync::PoisonError::into_inner)).into_owned()
    }
}

/// Writes one event into the shared buffer.
pub struct CaptureWriter(Arc<Mutex<Vec<u8>>>);

impl Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogCapture {
    type Writer = CaptureWriter;

    fn make_writer(&'a self) -> Self::Writer {
        CaptureWriter(Arc::clone(&self.buffer))
    }
}
