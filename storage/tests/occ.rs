//! Serializable isolation by OCC: overlapping writes conflict (including
//! inserts into ranges that were read empty), disjoint ones do not, and a
//! concurrent bank-transfer workload never loses an update.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use storage::{IndexBounds, Order, StorageError, Value};

/// Two transactions that both read `id`, then set its balance to 11 and 12.
fn overlapping_writers(
    db: &storage::Database,
    id: &storage::DocumentId,
) -> (storage::Transaction, storage::Transaction) {
    let mut a = db.begin();
    let mut b = db.begin();
    for (tx, balance) in [(&mut a, 11.0), (&mut b, 12.0)] {
        tx.get(id).unwrap();
        tx.patch(id, vec![("balance".into(), Some(f(balance)))])
            .unwrap();
    }
    (a, b)
}

#[test]
fn write_after_read_conflicts_and_names_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let mut setup = db.begin();
    let id = setup
        .insert("accounts", obj(&[("balance", f(10.0))]))
        .unwrap();
    setup.commit().unwrap();

    let (a, b) = overlapping_writers(&db, &id);
    a.commit().unwrap();
    match b.commit() {
        Err(StorageError::Conflict { table, document }) => {
            assert_eq!(table, "accounts");
            assert_eq!(document, id.encode());
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let mut check = db.begin();
    assert_eq!(field(&mut check, &id, "balance"), Some(f(11.0)));
}

#[test]
fn inserting_into_a_range_read_empty_conflicts() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    db.add_index("users", "by_email", &["email".into()], &mut |_| {})
        .unwrap();
    let bounds = IndexBounds {
        eq: vec![("email".into(), Some(s("a@x")))],
        ..Default::default()
    };
    // Two transactions each check the email is free, then insert it.
    let mut a = db.begin();
    let mut b = db.begin();
    for tx in [&mut a, &mut b] {
        let ix = tx.index("users", "by_email").unwrap().unwrap();
        let range = bounds.to_key_range(&ix).unwrap();
        assert!(tx
            .scan(&ix, &range, Order::Asc, None, 10)
            .unwrap()
            .documents
            .is_empty());
        tx.insert("users", obj(&[("email", s("a@x"))])).unwrap();
    }
    a.commit().unwrap();
    assert!(matches!(b.commit(), Err(StorageError::Conflict { .. })));
}

#[test]
fn disjoint_transactions_do_not_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let mut setup = db.begin();
    let x = setup.insert("t", obj(&[("v", f(0.0))])).unwrap();
    let y = setup.insert("t", obj(&[("v", f(0.0))])).unwrap();
    setup.commit().unwrap();
    let mut a = db.begin();
    let mut b = db.begin();
    a.patch(&x, vec![("v".into(), Some(f(1.0)))]).unwrap();
    b.patch(&y, vec![("v".into(), Some(f(1.0)))]).unwrap();
    // Blind inserts into a table nobody scanned do not conflict either.
    a.insert("t", obj(&[])).unwrap();
    b.insert("t", obj(&[])).unwrap();
    a.commit().unwrap();
    b.commit().unwrap();
}

#[test]
fn concurrent_table_creation_conflicts_once_then_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let mut a = db.begin();
    let mut b = db.begin();
    a.insert("fresh", obj(&[])).unwrap();
    b.insert("fresh", obj(&[])).unwrap();
    a.commit().unwrap();
    assert!(matches!(b.commit(), Err(StorageError::Conflict { .. })));
    let mut retry = db.begin();
    retry.insert("fresh", obj(&[])).unwrap();
    retry.commit().unwrap();
    let mut check = db.begin();
    assert_eq!(check.count("fresh").unwrap(), 2);
}

#[test]
fn bank_transfers_keep_the_total_under_contention() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    const ACCOUNTS: usize = 8;
    const THREADS: usize = 8;
    const TRANSFERS_PER_THREAD: usize = 60;
    let mut setup = db.begin();
    let ids: Vec<_> = (0..ACCOUNTS)
        .map(|_| {
            setup
                .insert("accounts", obj(&[("balance", i(100))]))
                .unwrap()
        })
        .collect();
    setup.commit().unwrap();
    let ids = Arc::new(ids);
    let conflicts = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(60);
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let (db, ids, conflicts) = (db.clone(), ids.clone(), conflicts.clone());
            std::thread::spawn(move || {
                for n in 0..TRANSFERS_PER_THREAD {
                    let from = ids[(t + n) % ACCOUNTS];
                    let to = ids[(t * 3 + n * 7 + 1) % ACCOUNTS];
                    if from == to {
                        continue;
                    }
                    loop {
                        assert!(Instant::now() < deadline, "transfers took too long");
                        let mut tx = db.begin();
                        let balance = |d: Option<storage::Document>| match d
                            .and_then(|d| d.fields.get("balance").cloned())
                        {
                            Some(Value::Int64(b)) => b,
                            other => panic!("bad balance {other:?}"),
                        };
                        let a = balance(tx.get(&from).unwrap());
                        let b = balance(tx.get(&to).unwrap());
                        tx.patch(&from, vec![("balance".into(), Some(i(a - 1)))])
                            .unwrap();
                        tx.patch(&to, vec![("balance".into(), Some(i(b + 1)))])
                            .unwrap();
                        match tx.commit() {
                            Ok(_) => break,
                            Err(e) if e.is_retryable() => {
                                conflicts.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(e) => panic!("commit failed: {e}"),
                        }
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut tx = db.begin();
    let total: i64 = ids
        .iter()
        .map(
            |id| match tx.get(id).unwrap().unwrap().fields.get("balance") {
                Some(Value::Int64(b)) => *b,
                _ => panic!("bad balance"),
            },
        )
        .sum();
    assert_eq!(total, 100 * ACCOUNTS as i64, "money was created or lost");
    // With 8 threads on 8 accounts, some transfers must have collided.
    assert!(
        conflicts.load(Ordering::Relaxed) > 0,
        "expected OCC conflicts under contention"
    );
}

/// Polls `future` on this thread until it is ready; fails (instead of
/// hanging) if it is not woken within 10 s.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Wake, Waker};

    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        assert!(
            Instant::now() < deadline,
            "the commit never woke its waiter"
        );
        std::thread::park_timeout(Duration::from_millis(100));
    }
}

#[test]
fn submitted_commits_are_awaited_and_report_conflicts() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let mut setup = db.begin();
    let id = setup
        .insert("accounts", obj(&[("balance", f(10.0))]))
        .unwrap();
    setup.commit().unwrap();

    // Several commits in flight at once from one thread, then awaited.
    let pending: Vec<_> = (0..8)
        .map(|n| {
            let mut tx = db.begin();
            tx.insert("accounts", obj(&[("balance", f(n as f64))]))
                .unwrap();
            tx.submit()
        })
        .collect();
    let mut last = 0;
    for p in pending {
        let ts = block_on(p).unwrap();
        assert!(ts > last, "commit timestamps increase");
        last = ts;
    }

    // A read-only transaction is done at its begin timestamp.
    let mut read = db.begin();
    read.get(&id).unwrap();
    let begin = read.begin_ts();
    assert_eq!(block_on(read.submit()).unwrap(), begin);

    // Of two overlapping writers, the second learns of its conflict.
    let (a, b) = overlapping_writers(&db, &id);
    let (first, second) = (a.submit(), b.submit());
    assert!(block_on(first).is_ok());
    assert!(matches!(
        block_on(second),
        Err(StorageError::Conflict { .. })
    ));
    let mut check = db.begin();
    assert_eq!(field(&mut check, &id, "balance"), Some(f(11.0)));
}

/// What `submit_holding` holds is released only once the commit is durable
/// and readable, even when nobody waits for the outcome.
#[test]
fn a_held_guard_outlives_the_commit_without_a_waiter() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let mut tx = db.begin();
    let id = tx.insert("accounts", obj(&[("balance", f(5.0))])).unwrap();
    let (guard, released) = crossbeam_channel::bounded::<()>(1);
    drop(tx.submit_holding(guard));
    // The guard is a sender: its receiver disconnects when it is dropped.
    assert_eq!(
        released.recv_timeout(Duration::from_secs(10)),
        Err(crossbeam_channel::RecvTimeoutError::Disconnected)
    );
    let mut check = db.begin();
    assert_eq!(field(&mut check, &id, "balance"), Some(f(5.0)));
}
