//! HTML, and only here: maud views. `layout` is the page frame; `pages` the pages.

pub(crate) mod layout;
pub(crate) mod pages;

pub(crate) use layout::PageCtx;
