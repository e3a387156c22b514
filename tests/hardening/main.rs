//! Hardening against hostile input (issue 9): every defect an adversarial run of 0.1.0 found, reproduced
//! against a hostile local server, the parser, the binary and property tests. One test binary.

mod anon;
mod binary;
mod poller;
mod props;
mod reducer;
mod server;
