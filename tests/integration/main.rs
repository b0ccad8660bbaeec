//! Postern's one integration test binary. Real SQLite files, real OpenPGP keys, real
//! GnuPG and gzip as peers; the source interface driven in-process, and the `postern`
//! binary run as a user would.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

mod cli;
mod crash_safety;
mod gpg_interop;
mod no_leaks;
mod pages;
mod source_flow;
mod submissions;
