//! Upload benchmark (filled in below).
fn main() {}
