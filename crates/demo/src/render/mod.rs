//! Writers for every document format the demo's customers send.

pub(crate) mod edifact;
pub(crate) mod email;
pub(crate) mod mime;
pub(crate) mod pdf;
pub(crate) mod scan;
pub(crate) mod table;
pub(crate) mod text;
pub(crate) mod x12;
