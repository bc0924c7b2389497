//! Writers for every document format the demo's customers send.

pub(crate) mod edifact;
pub(crate) mod table;
pub(crate) mod text;
pub(crate) mod x12;
