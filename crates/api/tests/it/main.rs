//! prodline-api's one integration-test binary.

mod metrics;
mod upload;
