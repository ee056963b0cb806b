/*!
The edgepix domain: everything the three tiers (the Worker in `edge/`, the
browser module in `wasm-client/`, the function pool in `functions/`) must
agree on, written once.

The crate does no I/O and names no platform type (`worker`, `web-sys`,
`spin-sdk`, `tract`): it works on plain buffers, strings and numbers, so that
it builds natively (where it is unit-tested) and for every wasm target, and
each tier stays a thin adapter over it.

Modules:
- [`account`]: roles, scopes, plans, passwords, access tokens, API keys.
- [`error`]: the stable error codes every tier answers with.
- [`game`]: pet pixel games (rules, levels, solver, short codes).
- [`jobs`]: messages on the jobs queue.
- [`api`]: JSON types of the public API (health, errors).
- [`assets`]: content-addressed asset ids, records and list cursors.
- [`codec`]: format sniffing, limits, decoding (JPEG shrink-on-load), encoding.
- [`detect`]: body-part detection pre/post-processing (letterbox, NMS).
- [`segment`]: background-removal pre/post-processing (ISNet, masks).
- [`timing`]: `Server-Timing` header values.
- [`pixel`]: RGBA buffers and the pixel operations on them.
- [`pixelart`]: pixel-art sprite sheets (palette, outline, animation frames, atlas) from a pet's cut-out.
- [`policy`]: safe-blur policies and the redactions they plan.
- [`protect`]: protected viewing (tile scrambling, per-viewer noise, overlays, SSIM).
- [`ratelimit`]: exact fixed-window rate limits (kept in Durable Objects).
- [`signing`]: request signatures between the Worker and the pool.
- [`transform`]: Cloudflare-compatible image options and the pipeline.
*/
#![deny(missing_docs)]

pub mod account;
pub mod api;
pub mod assets;
pub mod codec;
pub mod detect;
pub mod error;
pub mod game;
pub mod jobs;
pub mod pixel;
pub mod pixelart;
pub mod policy;
pub mod protect;
pub mod ratelimit;
pub mod segment;
pub mod signing;
pub mod timing;
pub mod transform;

/// The version of the edgepix engine, shared by every tier; it is part of
/// every cache key so that a new engine never serves an old derivative.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");
