//! Request handlers, one module per resource: parse, call the domain, respond.

pub mod admin;
pub mod assets;
pub mod auth;
pub mod batches;
pub mod dev;
pub mod docs;
pub mod forensics;
pub mod games;
pub mod health;
pub mod images;
pub mod jobs;
mod json;
pub mod keys;
pub mod pages;
pub mod policies;
pub mod protection;
pub mod regions;
pub mod tickets;
