//! Cloudflare Images options: parsing into a typed, canonical form.
