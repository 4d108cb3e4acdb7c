//! The process's allocator: glibc's, with the last few large blocks freed kept for the next
//! allocation of the same size.
//!
//! An upload's checks hold its file twice for a moment (the bytes read back, and lopdf's copy of
//! its largest stream), and glibc maps and unmaps every block of 128 KiB or more
//! (`return_freed_memory`). A block mapped afresh is zeroed and faulted in page by page: a
//! profile of 10 MB uploads put those page faults at a fifth of the server's CPU, more than the
//! checks' own work. Here a freed block of 1 MiB or more is kept, up to `KEPT_MAX` bytes in all
//! (the two blocks of a 10 MB check), and handed to the next allocation of its size class,
//! already mapped; past `KEPT_MAX` a freed block goes back to the system as before, so what the
//! process holds idle grows by at most `KEPT_MAX`. Smaller blocks (an upload's 256 KiB parts) are
//! left to glibc: keeping them too saved little more CPU and raised the peak memory of 32
//! concurrent 10 MB uploads past its 64 MiB.
//!
//! A request's size is rounded up to its class (a multiple of 1 MiB), and that is the size asked
//! of glibc, so that a kept block fits every request of its class. The rounding is a function of
//! the layout alone: a block is always given back to glibc with the layout it was allocated
//! with, as `GlobalAlloc` requires. Pages of a block past what its user writes are never
//! touched, so the rounding costs address space, not memory.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;

/// The smallest block kept, and the step between classes.
const STEP: usize = 1024 * 1024;
/// The strictest alignment a kept block may have.
const MAX_ALIGN: usize = 4096;
/// The most bytes kept at once.
const KEPT_MAX: usize = 24 * 1024 * 1024;
/// Room for as many blocks as `KEPT_MAX` can hold.
const SLOTS: usize = KEPT_MAX / STEP;

/// The allocator (`#[global_allocator]` in `main.rs`).
pub struct KeepLarge {
    kept: Mutex<Kept>,
}

/// Freed blocks, each with its class's size and its alignment.
struct Kept {
    blocks: [(usize, usize, usize); SLOTS],
    len: usize,
    bytes: usize,
}

impl KeepLarge {
    pub const fn new() -> KeepLarge {
        KeepLarge {
            kept: Mutex::new(Kept {
                blocks: [(0, 0, 0); SLOTS],
                len: 0,
                bytes: 0,
            }),
        }
    }

    /// The bytes kept now.
    #[cfg(test)]
    fn kept_bytes(&self) -> usize {
        self.lock().bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        // Nothing panics while holding it; a poisoned lock still holds consistent data.
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A kept block of exactly `class` (its size and alignment), taken out.
    fn take(&self, class: Layout) -> Option<*mut u8> {
        let mut kept = self.lock();
        let len = kept.len;
        let at = kept.blocks[..len]
            .iter()
            .rposition(|&(_, size, align)| size == class.size() && align == class.align())?;
        let (ptr, size, _) = kept.blocks[at];
        kept.blocks[at] = kept.blocks[len - 1];
        kept.len -= 1;
        kept.bytes -= size;
        Some(ptr as *mut u8)
    }

    /// Keeps a freed block of `class`, if there is room.
    fn keep(&self, ptr: *mut u8, class: Layout) -> bool {
        let mut kept = self.lock();
        let size = class.size();
        if kept.len == SLOTS || kept.bytes + size > KEPT_MAX {
            return false;
        }
        let len = kept.len;
        kept.blocks[len] = (ptr as usize, size, class.align());
        kept.len += 1;
        kept.bytes += size;
        true
    }
}

impl Default for KeepLarge {
    fn default() -> KeepLarge {
        KeepLarge::new()
    }
}

/// The layout asked of glibc for `layout`: its size class, or `None` for a block too small to
/// keep (or too strictly aligned to share).
#[inline]
fn class(layout: Layout) -> Option<Layout> {
    if layout.size() < STEP || layout.align() > MAX_ALIGN {
        return None;
    }
    Layout::from_size_align(
        layout.size().checked_next_multiple_of(STEP)?,
        layout.align(),
    )
    .ok()
}

// SAFETY: every block handed out is one glibc allocated with the layout `class` gives for the
// request, which is at least as large and exactly as aligned; a kept block is owned by the
// cache alone until handed out again; every block goes back to glibc with the layout it was
// allocated with. The lock allocates nothing (a futex).
unsafe impl GlobalAlloc for KeepLarge {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class(layout) {
            None => unsafe { System.alloc(layout) },
            Some(class) => match self.take(class) {
                Some(ptr) => ptr,
                None => unsafe { System.alloc(class) },
            },
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match class(layout) {
            None => unsafe { System.alloc_zeroed(layout) },
            Some(class) => match self.take(class) {
                Some(ptr) => {
                    unsafe { ptr.write_bytes(0, layout.size()) };
                    ptr
                }
                None => unsafe { System.alloc_zeroed(class) },
            },
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match class(layout) {
            None => unsafe { System.dealloc(ptr, layout) },
            Some(class) => {
                if !self.keep(ptr, class) {
                    unsafe { System.dealloc(ptr, class) }
                }
            }
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees new_size, rounded to the alignment, does not overflow.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (class(layout), class(new_layout)) {
            (None, None) => unsafe { System.realloc(ptr, layout, new_size) },
            // The block already has room for the new size.
            (Some(old), Some(new)) if old == new => ptr,
            _ => {
                let moved = unsafe { self.alloc(new_layout) };
                if !moved.is_null() {
                    unsafe {
                        std::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                }
                moved
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: usize = 1024 * 1024;

    fn layout(size: usize) -> Layout {
        Layout::from_size_align(size, 16).unwrap()
    }

    #[test]
    fn sizes_round_up_to_their_class_and_small_or_strictly_aligned_blocks_have_none() {
        assert_eq!(class(layout(STEP - 1)), None);
        assert_eq!(class(layout(STEP)).unwrap().size(), STEP);
        assert_eq!(class(layout(STEP + 1)).unwrap().size(), 2 * STEP);
        assert_eq!(class(layout(10_000_000)).unwrap().size(), 10 * MB);
        assert_eq!(class(layout(9_999_000)).unwrap().size(), 10 * MB);
        assert_eq!(class(layout(10 * MB + 1)).unwrap().size(), 11 * MB);
        assert_eq!(
            class(Layout::from_size_align(MB, 2 * MAX_ALIGN).unwrap()),
            None
        );
        assert_eq!(class(layout(isize::MAX as usize - 100)), None);
    }

    #[test]
    fn a_freed_large_block_serves_the_next_request_of_its_class_and_no_other() {
        let a = KeepLarge::new();
        unsafe {
            let p = a.alloc(layout(10_000_000));
            p.write_bytes(7, 10_000_000);
            a.dealloc(p, layout(10_000_000));
            assert_eq!(a.kept_bytes(), 10 * MB);
            // another class, or another alignment, gets a block of its own
            let other = a.alloc(layout(5 * MB));
            let aligned = Layout::from_size_align(9_999_000, 4096).unwrap();
            let q = a.alloc(aligned);
            assert!(other != p && q != p && q as usize % 4096 == 0);
            assert_eq!(a.kept_bytes(), 10 * MB);
            let same = a.alloc(layout(9_999_000));
            assert_eq!(same, p);
            assert_eq!(a.kept_bytes(), 0);
            a.dealloc(same, layout(9_999_000));
            a.dealloc(other, layout(5 * MB));
            a.dealloc(q, aligned);
        }
    }

    #[test]
    fn a_kept_block_asked_for_zeroed_comes_back_zeroed() {
        let a = KeepLarge::new();
        unsafe {
            let p = a.alloc(layout(MB));
            p.write_bytes(0xAB, MB);
            a.dealloc(p, layout(MB));
            let z = a.alloc_zeroed(layout(MB));
            assert_eq!(z, p);
            assert!(std::slice::from_raw_parts(z, MB).iter().all(|&b| b == 0));
            a.dealloc(z, layout(MB));
        }
    }

    #[test]
    fn realloc_keeps_the_bytes_in_place_within_a_class_and_moves_them_across() {
        let a = KeepLarge::new();
        unsafe {
            let small = a.alloc(layout(1000));
            small.write_bytes(1, 1000);
            let grown = a.realloc(small, layout(1000), 3 * MB + 5);
            grown.add(1000).write_bytes(2, 3 * MB + 5 - 1000);
            let same = a.realloc(grown, layout(3 * MB + 5), 3 * MB + 900);
            assert_eq!(same, grown);
            let shrunk = a.realloc(same, layout(3 * MB + 900), 10);
            assert_eq!(std::slice::from_raw_parts(shrunk, 10), [1; 10]);
            // the large block was kept when the bytes moved out of it
            assert_eq!(a.kept_bytes(), 4 * MB);
            a.dealloc(shrunk, layout(10));
        }
    }

    #[test]
    fn no_more_than_kept_max_is_kept_and_small_blocks_not_at_all() {
        let a = KeepLarge::new();
        unsafe {
            let small = a.alloc(layout(256 * 1024));
            a.dealloc(small, layout(256 * 1024));
            assert_eq!(a.kept_bytes(), 0);
            let large: Vec<*mut u8> = (0..3).map(|_| a.alloc(layout(10 * MB))).collect();
            for &p in &large {
                a.dealloc(p, layout(10 * MB));
            }
            assert_eq!(a.kept_bytes(), 20 * MB);
            let blocks: Vec<*mut u8> = (0..SLOTS).map(|_| a.alloc(layout(STEP))).collect();
            for &p in &blocks {
                a.dealloc(p, layout(STEP));
            }
            assert_eq!(a.kept_bytes(), KEPT_MAX);
            assert_eq!(a.lock().len, 2 + (KEPT_MAX - 20 * MB) / STEP);
        }
    }
}
