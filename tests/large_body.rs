//! A 50 MB note parses whole, and what parsing it asks of memory grows with the body's length
//! only: bytes allocated per body byte, the peak held and the number of allocations, counted
//! by an allocator that wraps the system's.
//!
//! Counts, not time: they are the same on every run and every machine, so this test cannot
//! flake. Copying the note again for each piece read, or keeping a copy per nesting level,
//! shows here as bytes per body byte that grow with the size. How long a parse takes per byte
//! at 50 KB, 1 MB and 50 MB is measured by the `parse` benchmark (`benches/parse.rs`), beside
//! serde_json on the same bytes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;

use clinchpad_webhook::activity::NoteCreated;
use clinchpad_webhook::{parse, ActivityKind};
use serde_json::json;

/// The system's allocator, counting what passes through it.
struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    ALLOCATED.fetch_add(by, Relaxed);
    let live = LIVE.fetch_add(by, Relaxed) + by;
    PEAK.fetch_max(live, Relaxed);
}

// SAFETY: every call is passed to `System` unchanged; the counters are only observed.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        grew(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // A reallocation may copy the whole block: counted as a new allocation of the new
        // size, the old one freed.
        ALLOCATIONS.fetch_add(1, Relaxed);
        grew(new_size);
        LIVE.fetch_sub(layout.size(), Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// The counters are process-wide: one measurement at a time.
static MEASURING: Mutex<()> = Mutex::new(());

/// What one parse asked of the allocator.
#[derive(Debug)]
struct Cost {
    body: usize,
    allocated: usize,
    peak: usize,
    allocations: usize,
}

impl Cost {
    fn allocated_per_byte(&self) -> f64 {
        self.allocated as f64 / self.body as f64
    }

    fn peak_per_byte(&self) -> f64 {
        self.peak as f64 / self.body as f64
    }
}

/// A `note:created` payload whose `note_content` is `size` bytes of prose with escapes.
fn note_payload(size: usize) -> (Vec<u8>, String) {
    let line = "Called back about the renewal; they want the \"pro\" plan, net 30 — café.\n";
    let note: String = line.chars().cycle().take(size).collect();
    let body = json!({
        "activity": {"_id": "a1", "created_at": "2014-01-10T09:37:58Z",
                     "type": "note:created", "note_content": note},
        "lead": {"_id": "l1", "name": "Acme"},
        "handshake_key": "gfhkd1asfsa"
    });
    (serde_json::to_vec(&body).unwrap(), note)
}

/// Parses a note of `size` bytes, checks it comes out whole, and counts what the parse
/// allocated, from the body in hand to the payload dropped.
fn parse_note(size: usize) -> Cost {
    let (body, note) = note_payload(size);
    let _one_at_a_time = MEASURING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let live_before = LIVE.load(Relaxed);
    PEAK.store(live_before, Relaxed);
    let (allocated_before, allocations_before) =
        (ALLOCATED.load(Relaxed), ALLOCATIONS.load(Relaxed));
    let payload = parse(&body).unwrap();
    let cost = Cost {
        body: body.len(),
        allocated: ALLOCATED.load(Relaxed) - allocated_before,
        peak: PEAK.load(Relaxed) - live_before,
        allocations: ALLOCATIONS.load(Relaxed) - allocations_before,
    };
    match payload.activity.kind {
        ActivityKind::NoteCreated(NoteCreated { note_content }) => assert!(note_content == note),
        other => panic!("a note:created body came out as {other:?}"),
    }
    cost
}

#[test]
fn a_50_mb_note_parses_whole_with_memory_linear_in_its_length() {
    let small = parse_note(50_000);
    let big = parse_note(50_000_000);
    eprintln!("50 KB: {small:?}\n50 MB: {big:?}");

    // The note is copied out once (escapes make it a new string) into a string that doubles
    // as it grows, each doubling counted as a new block: about 4.4 bytes per body byte at
    // both sizes when this was written. Bounded at 6, and at 50 MB to what 50 KB costs.
    assert!(
        big.allocated_per_byte() <= 6.0,
        "a 50 MB note allocates {:.2} bytes per body byte",
        big.allocated_per_byte()
    );
    assert!(
        big.allocated_per_byte() <= small.allocated_per_byte() * 1.25 + 0.25,
        "bytes allocated per body byte grow with the size: {:.2} at 50 KB, {:.2} at 50 MB",
        small.allocated_per_byte(),
        big.allocated_per_byte()
    );
    // The body, the note and its last doubling at once: about 2.7 bytes per body byte.
    assert!(
        big.peak_per_byte() <= 4.0,
        "parsing a 50 MB note holds {:.2} bytes per body byte at its peak",
        big.peak_per_byte()
    );
    // A thousand times the body: allocations may grow with its doublings (about ten more),
    // not with its length.
    assert!(
        big.allocations <= small.allocations + 64,
        "{} allocations for 50 KB, {} for 50 MB",
        small.allocations,
        big.allocations
    );
}
