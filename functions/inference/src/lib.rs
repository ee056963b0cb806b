/*!
The function pool's inference layer and its request handlers, free of any
transport.

[`Service::handle`] takes an `http::Request` and gives an `http::Response`:
the native server (`edgepix-pool`) and the Spin component (`edgepix-spin`)
are thin adapters over it, so both answer the same routes the same way.
Models load once, at start, into optimised plans ([`Models::load`]).
*/
#![deny(missing_docs)]

mod error;
mod models;
mod service;

pub use error::PoolError;
pub use models::{ModelPaths, Models};
pub use service::{Runtime, Service};
