//! A counting allocator for QuickJS: tracks the bytes a runtime holds so each
//! execution can get a memory budget on top of what the runtime already uses,
//! and refuses allocations past the limit (QuickJS then throws "out of memory").

use std::cell::Cell;
use std::rc::Rc;

use rquickjs::allocator::{Allocator, RustAllocator};

/// Shared between the allocator (owned by QuickJS) and the engine.
#[derive(Debug)]
pub(crate) struct AllocState {
    used: Cell<usize>,
    limit: Cell<usize>,
    exceeded: Cell<bool>,
}

impl AllocState {
    pub(crate) fn new() -> Rc<Self> {
        Rc::new(AllocState {
            used: Cell::new(0),
            limit: Cell::new(usize::MAX),
            exceeded: Cell::new(false),
        })
    }

    /// Bytes currently allocated by the runtime.
    pub(crate) fn used(&self) -> usize {
        self.used.get()
    }

    /// Sets the total the runtime may hold; `usize::MAX` means unlimited.
    pub(crate) fn set_limit(&self, limit: usize) {
        self.limit.set(limit);
    }

    pub(crate) fn limit(&self) -> usize {
        self.limit.get()
    }

    /// Whether an allocation was refused since the last [`Self::clear_exceeded`].
    pub(crate) fn exceeded(&self) -> bool {
        self.exceeded.get()
    }

    pub(crate) fn clear_exceeded(&self) {
        self.exceeded.set(false);
    }

    fn admit(&self, extra: usize) -> bool {
        let ok = self
            .used
            .get()
            .checked_add(extra)
            .is_some_and(|total| total <= self.limit.get());
        if !ok {
            self.exceeded.set(true);
        }
        ok
    }
}

/// The allocator handed to QuickJS.
pub(crate) struct CountingAllocator {
    inner: RustAllocator,
    state: Rc<AllocState>,
}

impl CountingAllocator {
    pub(crate) fn new(state: Rc<AllocState>) -> Self {
        CountingAllocator {
            inner: RustAllocator,
            state,
        }
    }

    fn record(&self, ptr: *mut u8) -> *mut u8 {
        if !ptr.is_null() {
            // SAFETY: `ptr` was just returned by the inner allocator.
            let size = unsafe { RustAllocator::usable_size(ptr) };
            self.state.used.set(self.state.used.get() + size);
        }
        ptr
    }
}

// SAFETY: every call delegates to `RustAllocator`, which upholds the trait's
// contract; this wrapper only counts sizes and may return null (allowed).
unsafe impl Allocator for CountingAllocator {
    fn alloc(&mut self, size: usize) -> *mut u8 {
        if !self.state.admit(size) {
            return std::ptr::null_mut();
        }
        let ptr = self.inner.alloc(size);
        self.record(ptr)
    }

    fn calloc(&mut self, count: usize, size: usize) -> *mut u8 {
        let Some(total) = count.checked_mul(size) else {
            return std::ptr::null_mut();
        };
        if !self.state.admit(total) {
            return std::ptr::null_mut();
        }
        let ptr = self.inner.calloc(count, size);
        self.record(ptr)
    }

    unsafe fn dealloc(&mut self, ptr: *mut u8) {
        if ptr.is_null() {
            return;
        }
        let size = RustAllocator::usable_size(ptr);
        self.state
            .used
            .set(self.state.used.get().saturating_sub(size));
        self.inner.dealloc(ptr);
    }

    unsafe fn realloc(&mut self, ptr: *mut u8, new_size: usize) -> *mut u8 {
        if ptr.is_null() {
            return self.alloc(new_size);
        }
        let old = RustAllocator::usable_size(ptr);
        if new_size > old && !self.state.admit(new_size - old) {
            return std::ptr::null_mut();
        }
        let new_ptr = self.inner.realloc(ptr, new_size);
        if !new_ptr.is_null() {
            let size = RustAllocator::usable_size(new_ptr);
            self.state
                .used
                .set(self.state.used.get().saturating_sub(old) + size);
        }
        new_ptr
    }

    unsafe fn usable_size(ptr: *mut u8) -> usize {
        RustAllocator::usable_size(ptr)
    }
}
