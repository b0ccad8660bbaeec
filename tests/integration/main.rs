//! Postern's one integration test binary. Real SQLite files, real OpenPGP keys, real
//! GnuPG and gzip as peers; the source interface driven in-process, and the `postern`
//! binary run as a user would.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]
#![allow(clippy::disallowed_methods, reason = "test code writes fixtures and measures time")]

/// The `postern` binary cargo built for this test run.
fn postern_binary() -> &'static std::path::Path {
    std::path::Path::new(env!("CARGO_BIN_EXE_postern"))
}

mod api;
mod api_v2;
mod cli;
mod crash_safety;
mod faults;
mod gpg_interop;
mod hostile;
mod journalist_flow;
mod journalist_pages;
mod load;
mod metadata;
mod no_leaks;
mod onion;
mod pages;
mod source_flow;
mod submissions;
