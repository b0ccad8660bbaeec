//! The security headers of every response either interface sends (SecureDrop's, see
//! securedrop-reference §4.1), chosen once, here.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The content security policy of every response: nothing runs, nothing loads from
/// elsewhere, forms post only to us, and no one may frame us.
pub const CSP: &str = "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self'; \
     font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// What an interface says about itself in every response's headers.
#[derive(Debug)]
pub struct HeaderPolicy {
    /// `Referrer-Policy`.
    pub referrer_policy: &'static str,
}

impl HeaderPolicy {
    /// Both interfaces send `no-referrer`: no page of ours needs to know where a
    /// request came from (forms carry CSRF tokens), and an onion address or a source's
    /// path through the site is never worth telling anyone, ourselves included.
    /// (SecureDrop's source interface said `same-origin`, its journalist interface
    /// `no-referrer`; the difference protected nothing.)
    pub const INTERFACE: Self = Self { referrer_policy: "no-referrer" };

    /// The headers, in the order they are sent.
    pub(crate) fn headers(&self) -> [(&'static str, &'static str); 11] {
        [
            ("content-security-policy", CSP),
            ("cache-control", "no-store"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", self.referrer_policy),
            ("cross-origin-opener-policy", "same-origin"),
            // SecureDrop's Apache sets "same-origin", which is not a COEP value; browsers ignore it.
            ("cross-origin-embedder-policy", "require-corp"),
            ("cross-origin-resource-policy", "same-origin"),
            ("x-content-type-options", "nosniff"),
            ("permissions-policy", "interest-cohort=()"),
            ("x-robots-tag", "noindex, nofollow"),
            // Every page depends on the session, so no cache may share one between users.
            ("vary", "Cookie"),
        ]
    }
}

/// The layer that sets the policy's headers on every response (errors and downloads
/// included) and removes `Server`: `from_fn_with_state(&HeaderPolicy::INTERFACE, security_headers)`.
pub async fn security_headers(State(policy): State<&'static HeaderPolicy>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    for (name, value) in policy.headers() {
        h.insert(name, HeaderValue::from_static(value));
    }
    h.remove(header::SERVER);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_header_value_is_valid_and_no_name_repeats() {
        let headers = HeaderPolicy::INTERFACE.headers();
        for (name, value) in headers {
            assert!(HeaderValue::from_str(value).is_ok(), "{name}");
            assert_eq!(headers.iter().filter(|(n, _)| *n == name).count(), 1, "{name}");
        }
    }
}
