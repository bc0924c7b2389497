//! prodline-eval's one integration-test binary.

mod challenger;
mod common;
mod corpus;
mod cost;
mod end_to_end;
mod gap;
mod groups;
mod hand_count;
mod replay;
mod sample;
mod teardown;
mod wilson;
