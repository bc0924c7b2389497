//! prodline-api's one integration-test binary.

mod upload;
