//! prodline-eval's one integration-test binary.

mod common;
mod end_to_end;
mod hand_count;
mod replay;
mod sample;
mod wilson;
