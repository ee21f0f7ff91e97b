//! # deconflict-bench
//!
//! The shared "theatre" workload (`../shared/bench/gen_theatre.py`), the in-process benchmark of
//! the core's index, and the PostgreSQL + PostGIS baseline it is measured against, side by side in
//! one run. Used by `deconflict bench` and by `cargo bench`.

pub mod http;
pub mod postgis;
pub mod run;
pub mod theatre;
