//! The journalist API, for workstation clients: version 1 is SecureDrop's.

pub(crate) mod v1;
