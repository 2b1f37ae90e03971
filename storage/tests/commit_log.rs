//! MVCC reads at old timestamps, the snapshot walk, the delta walk and
//! retention.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use storage::{StorageError, Value};

#[test]
fn reads_at_an_old_timestamp_see_the_old_state() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let mut tx = db.begin();
    let id = tx.insert("t", obj(&[("v", f(1.0))])).unwrap();
    let ts1 = tx.commit().unwrap();
    let mut tx = db.begin();
    tx.patch(&id, vec![("v".into(), Some(f(2.0)))]).unwrap();
    let ts2 = tx.commit().unwrap();
    let mut tx = db.begin();
    tx.delete(&id).unwrap();
    let ts3 = tx.commit().unwrap();
    assert!(ts1 < ts2 && ts2 < ts3);

    let at = |ts| {
        db.begin_at(ts)
            .unwrap()
            .get(&id)
            .unwrap()
            .map(|d| d.fields["v"].clone())
    };
    assert_eq!(at(ts1), Some(f(1.0)));
    assert_eq!(at(ts2), Some(f(2.0)));
    assert_eq!(at(ts3), None);
    assert_eq!(at(ts1 - 1), None);
    assert!(matches!(
        db.begin_at(db.repeatable_ts() + 1_000_000_000),
        Err(StorageError::TimestampInFuture { .. })
    ));
}

#[test]
fn snapshot_walk_is_consistent_and_resumable() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let mut expected = BTreeMap::new();
    for table in ["a", "b", "c"] {
        let mut tx = db.begin();
        for n in 0..25 {
            let id = tx.insert(table, obj(&[("n", f(n as f64))])).unwrap();
            expected.insert(id.encode(), n as f64);
        }
        tx.commit().unwrap();
    }
    let snapshot = db.repeatable_ts();
    // Writes after the snapshot must not show up in the walk.
    let mut tx = db.begin();
    tx.insert("a", obj(&[("n", f(100.0))])).unwrap();
    tx.commit().unwrap();

    let mut seen = BTreeMap::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = db
            .snapshot_page(snapshot, &|t| t.name != "b", cursor, 7)
            .unwrap();
        pages += 1;
        assert!(page.rows.len() <= 7);
        for r in page.rows {
            assert!(r.ts <= snapshot);
            let n = match r.document.fields.get("n") {
                Some(Value::Float64(n)) => *n,
                _ => panic!(),
            };
            assert!(
                seen.insert(r.document.id.encode(), n).is_none(),
                "row twice"
            );
            assert_ne!(r.table.name, "b");
        }
        // Cursors survive a round trip through bytes (the export API's token).
        match page.cursor {
            Some(c) => cursor = Some(storage::SnapshotCursor::from_bytes(&c.to_bytes()).unwrap()),
            None => break,
        }
    }
    assert!(pages >= 7);
    let want: BTreeMap<_, _> = expected
        .into_iter()
        .filter(|(id, _)| {
            storage::DocumentId::decode(id).unwrap().table
                != db.catalog().table_by_name("b").unwrap().table_number()
        })
        .collect();
    assert_eq!(seen, want);
}

#[test]
fn deltas_follow_commit_order_and_never_split_a_commit() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let start = db.repeatable_ts();
    let mut ids = Vec::new();
    for batch in 0..5 {
        let mut tx = db.begin();
        for n in 0..4 {
            ids.push(
                tx.insert("t", obj(&[("b", f(batch as f64)), ("n", f(n as f64))]))
                    .unwrap(),
            );
        }
        tx.commit().unwrap();
    }
    let mut tx = db.begin();
    tx.delete(&ids[0]).unwrap();
    tx.patch(&ids[1], vec![("b".into(), Some(f(99.0)))])
        .unwrap();
    tx.commit().unwrap();

    let mut all = Vec::new();
    let mut cursor = start;
    loop {
        // A limit of 3 is smaller than every commit (4 rows): each page still
        // holds whole commits.
        let page = db.deltas_page(cursor, &|_| true, 3).unwrap();
        assert!(page.cursor >= cursor);
        for r in page.rows {
            all.push((r.ts, r.id, r.document.is_some()));
        }
        cursor = page.cursor;
        if !page.has_more {
            break;
        }
    }
    assert_eq!(all.len(), 22);
    assert!(all.windows(2).all(|w| w[0].0 <= w[1].0), "commit order");
    let last_commit: Vec<_> = all.iter().filter(|r| r.0 == all[21].0).collect();
    assert_eq!(
        last_commit.len(),
        2,
        "the final commit's two writes arrive together"
    );
    assert!(
        all.iter().any(|r| r.1 == ids[0] && !r.2),
        "the deletion is reported"
    );
    // Every page boundary falls between commits.
    let mut cursor = start;
    loop {
        let page = db.deltas_page(cursor, &|_| true, 1).unwrap();
        let distinct: std::collections::BTreeSet<_> = page.rows.iter().map(|r| r.ts).collect();
        assert!(distinct.len() <= 1);
        if let Some(r) = page.rows.first() {
            let total = all.iter().filter(|x| x.0 == r.ts).count();
            assert_eq!(page.rows.len(), total, "a commit was split");
        }
        cursor = page.cursor;
        if !page.has_more {
            break;
        }
    }
    // An idle walk still advances to the read upper bound.
    let idle = db.bump_repeatable_ts().unwrap();
    let page = db.deltas_page(cursor, &|_| true, 10).unwrap();
    assert!(page.rows.is_empty());
    assert!(page.cursor >= idle && page.cursor > cursor);
}

#[test]
fn retention_collects_old_revisions_and_refuses_old_reads() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_with_retention(dir.path(), Duration::from_secs(3600));
    let mut tx = db.begin();
    let id = tx.insert("t", obj(&[("v", f(1.0))])).unwrap();
    let keep = tx.insert("t", obj(&[("v", f(7.0))])).unwrap();
    let ts1 = tx.commit().unwrap();
    for v in 2..6 {
        let mut tx = db.begin();
        tx.patch(&id, vec![("v".into(), Some(f(v as f64)))])
            .unwrap();
        tx.commit().unwrap();
    }
    let gone = {
        let mut tx = db.begin();
        let g = tx.insert("t", obj(&[])).unwrap();
        tx.commit().unwrap();
        let mut tx = db.begin();
        tx.delete(&g).unwrap();
        tx.commit().unwrap();
        g
    };
    let cutoff = db.bump_repeatable_ts().unwrap();
    let removed = db.collect_garbage(cutoff).unwrap();
    assert!(removed >= 5, "removed {removed}");
    assert!(matches!(
        db.begin_at(ts1),
        Err(StorageError::OutOfRetention { .. })
    ));
    assert!(matches!(
        db.deltas_page(ts1, &|_| true, 10),
        Err(StorageError::OutOfRetention { .. })
    ));
    let mut tx = db.begin();
    assert_eq!(tx.get(&id).unwrap().unwrap().fields["v"], f(5.0));
    assert_eq!(tx.get(&keep).unwrap().unwrap().fields["v"], f(7.0));
    assert!(tx.get(&gone).unwrap().is_none());
    assert_eq!(tx.count("t").unwrap(), 2);
    drop(tx);
    // The watermark survives a restart.
    drop(db);
    let db = open(dir.path());
    assert!(matches!(
        db.begin_at(ts1),
        Err(StorageError::OutOfRetention { .. })
    ));
}

#[test]
fn index_backfill_on_a_table_with_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let mut tx = db.begin();
    for n in 0..2500 {
        tx.insert("t", obj(&[("k", f((n % 10) as f64))])).unwrap();
    }
    tx.commit().unwrap();
    let mut reported = 0;
    db.add_index("t", "by_k", &["k".into()], &mut |n| reported = n)
        .unwrap();
    assert_eq!(reported, 2500);
    let mut tx = db.begin();
    let ix = tx.index("t", "by_k").unwrap().unwrap();
    let bounds = storage::IndexBounds {
        eq: vec![("k".into(), Some(f(3.0)))],
        ..Default::default()
    };
    let range = bounds.to_key_range(&ix).unwrap();
    let page = tx
        .scan(&ix, &range, storage::Order::Asc, None, 1000)
        .unwrap();
    assert_eq!(page.documents.len(), 250);
    assert!(page.next.is_none());
    drop(tx);
    db.drop_index("t", "by_k").unwrap();
    let mut tx = db.begin();
    assert!(matches!(
        tx.index("t", "by_k"),
        Err(StorageError::IndexNotFound(_))
    ));
}
