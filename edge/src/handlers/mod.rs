//! Request handlers, one module per resource: parse, call the domain, respond.

pub mod dev;
pub mod docs;
pub mod health;
pub mod pages;
