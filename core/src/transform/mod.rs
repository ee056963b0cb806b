//! Image transformations: Cloudflare-compatible options, their geometry,
//! and the pipeline that runs them on plain buffers.

pub mod effects;
pub mod geometry;
pub mod options;
pub mod orient;
pub mod pipeline;
pub mod resample;
