//! Shared helpers for the fuzz targets: a counting allocator that records
//! the peak of live heap bytes and the largest single allocation during one
//! input, so a target can assert that decoding stays inside its budgets.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// Wraps the system allocator and counts.
pub struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static LARGEST: AtomicUsize = AtomicUsize::new(0);

fn grew(size: usize) {
    let live = LIVE.fetch_add(size, Relaxed) + size;
    PEAK.fetch_max(live, Relaxed);
    LARGEST.fetch_max(size, Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Relaxed);
            grew(new_size);
        }
        p
    }
}

/// Heap use during one input.
#[derive(Clone, Copy, Debug)]
pub struct Usage {
    /// The most live bytes at once, above what was live at [`start`].
    pub peak: usize,
    /// The largest single allocation.
    pub largest: usize,
}

/// Starts measuring; returns the bytes live now.
pub fn start() -> usize {
    let live = LIVE.load(Relaxed);
    PEAK.store(live, Relaxed);
    LARGEST.store(0, Relaxed);
    live
}

/// What was used since [`start`] returned `base`.
pub fn usage(base: usize) -> Usage {
    Usage { peak: PEAK.load(Relaxed).saturating_sub(base), largest: LARGEST.load(Relaxed) }
}

/// The heap ceiling a target asserts, in MiB: `EDGEPIX_FUZZ_PEAK_MB`, or
/// `default`.
pub fn peak_limit_mb(default: usize) -> usize {
    std::env::var("EDGEPIX_FUZZ_PEAK_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}
