#![doc = include_str!("../README.md")]
#![cfg_attr(test, allow(clippy::disallowed_methods, reason = "tests write fixtures and time themselves"))]

mod error;
mod extract;
mod headers;
mod serve;
mod session;
mod work;

/// The router type the interfaces build, for the binary that serves them.
pub use axum::Router;
pub use error::{Doing, ErrorPage, HttpError, JsonErrors, blocking, error_boundary, status_for};
pub use extract::PathParams;
pub use headers::{CSP, HeaderPolicy, security_headers};
pub use serve::{Circuit, HEADER_READ_TIMEOUT, LINGER, serve_connection, serve_listener};
pub use session::{Lifetime, Session, SessionConfig, SessionData, SessionStore, sessions};
pub use work::{WorkError, WorkQueue};
