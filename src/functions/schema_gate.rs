//! The schema writes are checked against, and the gate a schema change
//! closes so that no write checked against the old schema can commit once
//! the new schema serves.
//!
//! Every mutation attempt holds a [`WritePass`] from before it reads the
//! validators until its commit has returned. Installing a push closes the
//! gate: new passes wait, the passes in flight finish, the push checks what
//! was committed since its validation snapshot, swaps the validators and
//! reopens. So every document in a table the new schema validates was
//! either checked by the push or written under the new schema.

use std::sync::Arc;

use parking_lot::{Condvar, Mutex};

use super::document_validators::DocumentValidators;

pub struct SchemaGate {
    state: Mutex<GateState>,
    changed: Condvar,
}

struct GateState {
    validators: Arc<DocumentValidators>,
    /// Passes handed out and not yet dropped.
    passes: usize,
    closed: bool,
}

impl SchemaGate {
    pub fn new(validators: DocumentValidators) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(GateState {
                validators: Arc::new(validators),
                passes: 0,
                closed: false,
            }),
            changed: Condvar::new(),
        })
    }

    /// A pass for one write attempt, with the validators to check it
    /// against. Blocks while the gate is closed.
    pub fn enter(self: &Arc<Self>) -> WritePass {
        let mut st = self.state.lock();
        while st.closed {
            self.changed.wait(&mut st);
        }
        st.passes += 1;
        WritePass {
            gate: self.clone(),
            validators: st.validators.clone(),
        }
    }

    /// Closes the gate and waits until every pass in flight is dropped. The
    /// gate reopens when the returned guard drops. Blocks: call it off the
    /// async runtime, and never while holding a pass.
    pub fn close(self: &Arc<Self>) -> ClosedGate {
        let mut st = self.state.lock();
        while st.closed {
            self.changed.wait(&mut st);
        }
        st.closed = true;
        while st.passes > 0 {
            self.changed.wait(&mut st);
        }
        ClosedGate { gate: self.clone() }
    }
}

/// Held by a write attempt until its commit returned.
pub struct WritePass {
    gate: Arc<SchemaGate>,
    pub validators: Arc<DocumentValidators>,
}

impl Drop for WritePass {
    fn drop(&mut self) {
        let mut st = self.gate.state.lock();
        st.passes -= 1;
        if st.passes == 0 {
            self.gate.changed.notify_all();
        }
    }
}

/// No write is in flight and none starts while this lives.
pub struct ClosedGate {
    gate: Arc<SchemaGate>,
}

impl ClosedGate {
    /// The validators writes are checked against once the gate reopens.
    pub fn set_validators(&self, validators: Arc<DocumentValidators>) {
        self.gate.state.lock().validators = validators;
    }
}

impl Drop for ClosedGate {
    fn drop(&mut self) {
        self.gate.state.lock().closed = false;
        self.gate.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    #[test]
    fn close_waits_for_passes_and_blocks_new_ones() {
        let gate = SchemaGate::new(DocumentValidators::default());
        let pass = gate.enter();
        let closed = Arc::new(AtomicBool::new(false));
        let reopening = Arc::new(AtomicBool::new(false));
        let closer = {
            let (gate, closed, reopening) = (gate.clone(), closed.clone(), reopening.clone());
            std::thread::spawn(move || {
                let guard = gate.close();
                closed.store(true, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(50));
                reopening.store(true, Ordering::SeqCst);
                drop(guard);
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            !closed.load(Ordering::SeqCst),
            "closed with a pass in flight"
        );
        drop(pass);
        while !closed.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
        // Entering now waits until the closer reopens.
        let _pass = gate.enter();
        assert!(reopening.load(Ordering::SeqCst), "entered a closed gate");
        closer.join().unwrap();
        assert_eq!(gate.state.lock().passes, 1);
        assert!(!gate.state.lock().closed);
    }
}
