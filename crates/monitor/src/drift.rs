//! Drift statistics (being written).
