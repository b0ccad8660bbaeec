//! HTML, and only here: maud views. `layout` is the frame; `newsroom` the source and
//! collection pages; `account` login and self-service; `admin` administration.

pub(crate) mod account;
pub(crate) mod admin;
pub(crate) mod layout;
pub(crate) mod newsroom;

pub(crate) use layout::PageCtx;
