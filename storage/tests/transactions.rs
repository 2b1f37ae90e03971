//! Transactions: CRUD, reading your own writes, index ranges, persistence
//! across reopen, and the errors a user can hit.

mod common;

use common::*;
use storage::{Bound, IndexBounds, KeyRange, Order, StorageError, Value};

fn scan_all(
    tx: &mut storage::Transaction,
    table: &str,
    index: &str,
    bounds: &IndexBounds,
    order: Order,
) -> Vec<storage::Document> {
    let ix = tx.index(table, index).unwrap().expect("table exists");
    let range = bounds.to_key_range(&ix).unwrap();
    let mut out = Vec::new();
    let mut after: Option<Vec<u8>> = None;
    loop {
        let page = tx.scan(&ix, &range, order, after.as_deref(), 3).unwrap();
        out.extend(page.documents);
        match page.next {
            Some(k) => after = Some(k),
            None => return out,
        }
    }
}

#[test]
fn insert_get_patch_replace_delete_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let mut tx = db.begin();
    let id = tx
        .insert("messages", obj(&[("author", s("ada")), ("n", i(5))]))
        .unwrap();
    assert!(id.table.0 >= 10001, "user tables are numbered from 10001");
    // Read your own write before commit.
    let doc = tx.get(&id).unwrap().unwrap();
    assert_eq!(doc.fields.get("author"), Some(&s("ada")));
    assert_eq!(doc.fields.get("_id"), Some(&Value::String(id.encode())));
    let ts1 = tx.commit().unwrap();

    let mut tx = db.begin();
    assert!(tx.begin_ts() >= ts1);
    let patched = tx
        .patch(
            &id,
            vec![("n".into(), None), ("body".into(), Some(s("hi")))],
        )
        .unwrap();
    assert_eq!(patched.fields.get("n"), None, "$undefined removes a field");
    assert_eq!(patched.fields.get("body"), Some(&s("hi")));
    assert_eq!(patched.creation_time, doc.creation_time);
    tx.commit().unwrap();

    let mut tx = db.begin();
    let replaced = tx.replace(&id, obj(&[("x", f(1.5))])).unwrap();
    assert_eq!(replaced.fields.len(), 3, "x plus the two system fields");
    tx.commit().unwrap();

    let mut tx = db.begin();
    let got = tx.get(&id).unwrap().unwrap();
    assert_eq!(got.fields.get("x"), Some(&f(1.5)));
    tx.delete(&id).unwrap();
    assert!(tx.get(&id).unwrap().is_none());
    tx.commit().unwrap();

    let mut tx = db.begin();
    assert!(tx.get(&id).unwrap().is_none());
    match tx.patch(&id, vec![]) {
        Err(StorageError::NonexistentDocument(s)) => assert_eq!(s, id.encode()),
        other => panic!("expected NonexistentDocument, got {other:?}"),
    }
}

#[test]
fn point_gets_read_the_transaction_snapshot_while_others_commit() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let mut setup = db.begin();
    let a = setup.insert("t", obj(&[("n", i(1))])).unwrap();
    let b = setup.insert("t", obj(&[("n", i(1))])).unwrap();
    let first = setup.commit().unwrap();

    let mut reader = db.begin();
    // Its first get opens its view of the store; later gets reuse it.
    assert_eq!(field(&mut reader, &a, "n"), Some(i(1)));
    for n in 2..=5 {
        let mut w = db.begin();
        w.patch(&a, vec![("n".into(), Some(i(n)))]).unwrap();
        w.patch(&b, vec![("n".into(), Some(i(n)))]).unwrap();
        w.insert("t", obj(&[("n", i(n))])).unwrap();
        w.commit().unwrap();
    }
    let mut w = db.begin();
    w.delete(&b).unwrap();
    w.commit().unwrap();
    // Neither later patches nor the delete are visible to it.
    assert_eq!(field(&mut reader, &a, "n"), Some(i(1)));
    assert_eq!(field(&mut reader, &b, "n"), Some(i(1)));

    // A new transaction sees the latest revisions; one at the first
    // commit's timestamp, the first ones.
    let mut latest = db.begin();
    assert_eq!(field(&mut latest, &a, "n"), Some(i(5)));
    assert!(latest.get(&b).unwrap().is_none());
    let mut old = db.begin_at(first).unwrap();
    assert_eq!(field(&mut old, &b, "n"), Some(i(1)));
    assert_eq!(field(&mut old, &a, "n"), Some(i(1)));
}

#[test]
fn creation_times_are_unique_and_increasing_within_a_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let mut tx = db.begin();
    let mut last = 0.0;
    for n in 0..50 {
        let id = tx.insert("t", obj(&[("n", f(n as f64))])).unwrap();
        let ct = tx.get(&id).unwrap().unwrap().creation_time;
        assert!(ct > last);
        last = ct;
    }
    tx.commit().unwrap();
}

#[test]
fn data_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let db = open(dir.path());
        let mut tx = db.begin();
        let id = tx.insert("t", obj(&[("k", s("v"))])).unwrap();
        tx.commit().unwrap();
        id
    };
    let db = open(dir.path());
    let mut tx = db.begin();
    assert_eq!(field(&mut tx, &id, "k"), Some(s("v")));
    // Table numbers are not reused after reopen.
    let id2 = tx.insert("other", obj(&[])).unwrap();
    assert!(id2.table.0 > id.table.0);
    tx.commit().unwrap();
}

#[test]
fn index_ranges_with_eq_prefix_bounds_and_order() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let mut tx = db.begin();
    for (author, n) in [
        ("bob", 3.0),
        ("ada", 2.0),
        ("ada", 1.0),
        ("cy", 9.0),
        ("ada", 7.0),
    ] {
        tx.insert("m", obj(&[("author", s(author)), ("n", f(n))]))
            .unwrap();
    }
    // A document missing the field indexes as undefined, before everything.
    tx.insert("m", obj(&[("n", f(0.0))])).unwrap();
    tx.commit().unwrap();
    db.add_index(
        "m",
        "by_author_n",
        &["author".into(), "n".into()],
        &mut |_| {},
    )
    .unwrap();

    let mut tx = db.begin();
    // Uncommitted writes are merged into ranges.
    tx.insert("m", obj(&[("author", s("ada")), ("n", f(5.0))]))
        .unwrap();
    let eq_ada = IndexBounds {
        eq: vec![("author".into(), Some(s("ada")))],
        ..Default::default()
    };
    let ns = |docs: &[storage::Document]| -> Vec<f64> {
        docs.iter()
            .map(|d| match d.fields.get("n") {
                Some(Value::Float64(x)) => *x,
                _ => -1.0,
            })
            .collect()
    };
    assert_eq!(
        ns(&scan_all(&mut tx, "m", "by_author_n", &eq_ada, Order::Asc)),
        vec![1.0, 2.0, 5.0, 7.0]
    );
    assert_eq!(
        ns(&scan_all(&mut tx, "m", "by_author_n", &eq_ada, Order::Desc)),
        vec![7.0, 5.0, 2.0, 1.0]
    );
    let bounded = IndexBounds {
        eq: vec![("author".into(), Some(s("ada")))],
        range_field: Some("n".into()),
        lower: Some(Bound {
            value: Some(f(1.0)),
            inclusive: false,
        }),
        upper: Some(Bound {
            value: Some(f(7.0)),
            inclusive: true,
        }),
    };
    assert_eq!(
        ns(&scan_all(&mut tx, "m", "by_author_n", &bounded, Order::Asc)),
        vec![2.0, 5.0, 7.0]
    );
    let all = scan_all(
        &mut tx,
        "m",
        "by_author_n",
        &IndexBounds::default(),
        Order::Asc,
    );
    assert_eq!(ns(&all), vec![0.0, 1.0, 2.0, 5.0, 7.0, 3.0, 9.0]);
    // Full table scans go in creation order.
    let by_ct = scan_all(
        &mut tx,
        "m",
        "by_creation_time",
        &IndexBounds::default(),
        Order::Asc,
    );
    // (The uncommitted insert's creation time comes from a later transaction.)
    assert_eq!(ns(&by_ct)[..6], [3.0, 2.0, 1.0, 9.0, 7.0, 0.0]);
    assert!(ns(&by_ct).contains(&5.0));
    // Out-of-order fields are an error, not a silent full scan.
    let wrong = IndexBounds {
        eq: vec![("n".into(), Some(f(1.0)))],
        ..Default::default()
    };
    let ix = tx.index("m", "by_author_n").unwrap().unwrap();
    assert!(wrong.to_key_range(&ix).is_err());
    let _ = KeyRange::all();
}

#[test]
fn bad_input_gets_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let mut tx = db.begin();
    assert!(matches!(
        tx.insert("_system", obj(&[])),
        Err(StorageError::InvalidTableName { .. })
    ));
    assert!(matches!(
        tx.insert("bad-name", obj(&[])),
        Err(StorageError::InvalidTableName { .. })
    ));
    assert!(matches!(
        tx.insert("t", obj(&[("_id", s("x"))])),
        Err(StorageError::SystemFieldChanged { .. })
    ));
    assert!(matches!(
        tx.insert("t", obj(&[("_secret", s("x"))])),
        Err(StorageError::Value(_))
    ));
    let big = "x".repeat(1 << 20);
    assert!(matches!(
        tx.insert("t", obj(&[("big", s(&big))])),
        Err(StorageError::Value(_))
    ));
    let id = tx.insert("t", obj(&[])).unwrap();
    assert!(matches!(
        tx.patch(&id, vec![("_creationTime".into(), Some(f(1.0)))]),
        Err(StorageError::SystemFieldChanged { .. })
    ));
    assert!(matches!(
        tx.index("t", "nope"),
        Err(StorageError::IndexNotFound(_))
    ));
    // A table that does not exist reads as empty.
    assert!(tx.index("missing", "by_id").unwrap().is_none());
}

#[test]
fn write_limits_are_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let options = storage::DatabaseOptions {
        limits: storage::limits::TransactionLimits {
            max_documents_written: 10,
            ..Default::default()
        },
        ..Default::default()
    };
    let db = storage::Database::open(dir.path(), options).unwrap();
    let mut tx = db.begin();
    for _ in 0..10 {
        tx.insert("t", obj(&[])).unwrap();
    }
    let err = tx.insert("t", obj(&[])).unwrap_err();
    assert!(err.to_string().contains("TooManyWrites"), "{err}");
}
