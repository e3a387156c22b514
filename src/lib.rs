//! roomwatch: a terminal live room monitor for broadcasters.
//!
//! Data path: `sources` (network, simulator, replay) → `app` (state and the pure reducer) → `ui` (views);
//! `effects` (summary, journal) are written by the runner in `run`.

pub mod api;
pub mod app;
pub mod cli;
pub mod config;
pub mod effects;
pub mod event;
pub mod files;
pub mod logging;
pub mod manual;
pub mod mask;
pub mod numfmt;
pub mod paths;
pub mod run;
pub mod sanitize;
pub mod sources;
pub mod stderr;
pub mod ui;

#[cfg(test)]
mod layering_tests;
