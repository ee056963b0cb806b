//! Request handlers, one module per resource: parse, call the domain, respond.

pub mod assets;
pub mod dev;
pub mod docs;
pub mod health;
pub mod images;
pub mod jobs;
pub mod pages;
pub mod policies;
