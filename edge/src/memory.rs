//! The Worker's wasm linear memory.
//!
//! Local workerd does not enforce the 128 MiB isolate limit, so the Worker
//! reports its own memory and the tests hold it to a budget. Wasm memory
//! never shrinks: its current size is the peak since the isolate started.

/// The budget tests hold the Worker to, leaving room for the JS heap in the
/// 128 MiB isolate.
pub const BUDGET_BYTES: u64 = 112 * 1024 * 1024;

/// The wasm linear memory's size in bytes (its peak, since it never shrinks).
pub fn peak_bytes() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        core::arch::wasm32::memory_size(0) as u64 * 65_536
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
    }
}
