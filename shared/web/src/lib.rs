#![doc = include_str!("../README.md")]

mod headers;
mod serve;
mod work;

/// The router type the interfaces build, for the binary that serves them.
pub use axum::Router;
pub use headers::{CSP, HeaderPolicy, security_headers};
pub use serve::{HEADER_READ_TIMEOUT, serve_connection, serve_listener};
pub use work::{WorkError, WorkQueue};
