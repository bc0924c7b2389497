//! The demo's synthetic manufacturer, generated deterministically from a seed.
