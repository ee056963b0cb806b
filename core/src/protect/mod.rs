//! Protected viewing: what the Worker and the browser module must agree on
//! to show an artwork without handing out its pixels.
//!
//! The Worker resizes the original to its *view* size ([`grid::view_size`]),
//! cuts it into a grid of square tiles on 16 px edges ([`grid::Grid`]),
//! permutes and rotates them by a per-ticket seed ([`scramble`]) and sends
//! the result as one JPEG. The browser module undoes the permutation, adds
//! per-viewer noise ([`noise`]), a faint visible overlay ([`overlay`]) and
//! an invisible forensic watermark naming the ticket ([`watermark`]). The
//! owner identifies a leaked copy by extracting that watermark against the
//! view image. [`ssim`] measures what a viewer sees against the original;
//! [`proof`] commits to the tiles in a signed Merkle tree; [`signals`]
//! scores the behaviour a page saw before it asks for a ticket; [`ticket`]
//! signs and verifies the tickets themselves; [`view`] renders the view
//! image and what the Worker derives from it.
//!
//! Every random choice comes from bytes the ticket carries, through
//! [`prng`] (a generator for the layout, keys for the noise), and every
//! pixel operation here is integer arithmetic, so the Worker, the browser
//! module and a plain JavaScript port of the same algorithm produce
//! identical bytes.

pub mod config;
pub mod grid;
pub mod noise;
pub mod overlay;
pub mod prng;
pub mod proof;
pub mod scramble;
pub mod signals;
pub mod ssim;
pub mod ticket;
pub mod view;
pub mod watermark;
