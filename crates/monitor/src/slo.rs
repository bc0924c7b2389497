//! SLO statistics (being written).
