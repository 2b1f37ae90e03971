//! Storage benchmarks, each next to its raw-RocksDB baseline from the same run:
//! synced single-document commits (1 and 16 writers) vs raw synced puts,
//! point gets through a transaction vs raw gets, 100-row index range scans,
//! and the snapshot and delta walks in documents/s vs a raw iteration over
//! as many values.
//!
//! Run: `cargo bench -p storage --bench storage` (set `BASALT_BENCH_WALK_DOCS`
//! to change the walk size; default 100000).

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use storage::{Database, DatabaseOptions, IndexBounds, Object, Order, Value};

// The allocator the `basalt` binary runs with, for the baselines too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn doc(n: usize) -> Object {
    // About 200 bytes, like the export targets assume.
    let mut o = Object::new();
    o.insert("author".into(), Value::String(format!("user{}", n % 100)));
    o.insert("body".into(), Value::String("x".repeat(150)));
    o.insert("n".into(), Value::Float64(n as f64));
    o
}

fn raw_db(dir: &std::path::Path) -> rocksdb::DB {
    let mut opts = rocksdb::Options::default();
    opts.create_if_missing(true);
    rocksdb::DB::open(&opts, dir).unwrap()
}

/// Runs `total` operations split across `threads`, returning the elapsed time.
fn parallel(threads: usize, total: u64, op: Arc<dyn Fn(u64) + Send + Sync>) -> Duration {
    let start = Instant::now();
    let per = total.div_ceil(threads as u64);
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let op = op.clone();
            std::thread::spawn(move || {
                for i in 0..per {
                    op(t as u64 * per + i);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    start.elapsed()
}

fn commits(c: &mut Criterion) {
    let mut g = c.benchmark_group("synced_commit");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(1));
    for threads in [1usize, 16] {
        let dir = tempfile::tempdir().unwrap();
        let raw = Arc::new(raw_db(dir.path()));
        g.bench_function(format!("raw_rocksdb_put_{threads}_threads"), |b| {
            b.iter_custom(|iters| {
                let raw = raw.clone();
                parallel(
                    threads,
                    iters,
                    Arc::new(move |i| {
                        let mut wo = rocksdb::WriteOptions::default();
                        wo.set_sync(true);
                        let v = vec![7u8; 200];
                        raw.put_opt(i.to_be_bytes(), v, &wo).unwrap();
                    }),
                )
            })
        });
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path(), DatabaseOptions::default()).unwrap();
        // Created up front: concurrent first inserts would race to create it.
        db.ensure_table("bench").unwrap();
        g.bench_function(format!("insert_commit_{threads}_threads"), |b| {
            b.iter_custom(|iters| {
                let db = db.clone();
                parallel(
                    threads,
                    iters,
                    Arc::new(move |i| {
                        let mut tx = db.begin();
                        tx.insert("bench", doc(i as usize)).unwrap();
                        tx.commit().unwrap();
                    }),
                )
            })
        });
    }
    g.finish();
}

fn reads(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path(), DatabaseOptions::default()).unwrap();
    let mut ids = Vec::new();
    for chunk in 0..10 {
        let mut tx = db.begin();
        for n in 0..1000 {
            ids.push(tx.insert("bench", doc(chunk * 1000 + n)).unwrap());
        }
        tx.commit().unwrap();
    }
    db.add_index("bench", "by_author", &["author".into()], &mut |_| {})
        .unwrap();
    let raw_dir = tempfile::tempdir().unwrap();
    let raw = raw_db(raw_dir.path());
    for n in 0..10_000u64 {
        raw.put(n.to_be_bytes(), vec![7u8; 200]).unwrap();
    }
    raw.flush().unwrap();

    let mut g = c.benchmark_group("reads");
    g.throughput(Throughput::Elements(1));
    let mut n = 0u64;
    g.bench_function("raw_rocksdb_get", |b| {
        b.iter(|| {
            n = (n + 7919) % 10_000;
            raw.get(n.to_be_bytes()).unwrap().unwrap()
        })
    });
    let mut k = 0usize;
    let mut tx = db.begin();
    let mut reads = 0;
    g.bench_function("transaction_get", |b| {
        b.iter(|| {
            k = (k + 7919) % ids.len();
            // A transaction may record at most 4096 read intervals.
            reads += 1;
            if reads % 4000 == 0 {
                tx = db.begin();
            }
            tx.get(&ids[k]).unwrap().unwrap()
        })
    });
    drop(tx);
    g.throughput(Throughput::Elements(100));
    let mut a = 0usize;
    g.bench_function("index_range_100_rows", |b| {
        b.iter(|| {
            a = (a + 1) % 100;
            let mut tx = db.begin();
            let ix = tx.index("bench", "by_author").unwrap().unwrap();
            let bounds = IndexBounds {
                eq: vec![("author".into(), Some(Value::String(format!("user{a}"))))],
                ..Default::default()
            };
            let range = bounds.to_key_range(&ix).unwrap();
            let page = tx.scan(&ix, &range, Order::Asc, None, 100).unwrap();
            assert_eq!(page.documents.len(), 100);
        })
    });
    g.finish();
}

fn walks(c: &mut Criterion) {
    let total: usize = std::env::var("BASALT_BENCH_WALK_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path(), DatabaseOptions::default()).unwrap();
    // A fresh store's repeatable timestamp is 0, which the retention window
    // (raised by the collector) refuses as a cursor: start from now.
    let start = db.bump_repeatable_ts().unwrap();
    for chunk in 0..total.div_ceil(1000) {
        let mut tx = db.begin();
        for n in 0..1000 {
            tx.insert("walk", doc(chunk * 1000 + n)).unwrap();
        }
        tx.commit().unwrap();
    }
    let snapshot = db.bump_repeatable_ts().unwrap();
    // The baseline: the same number of 200-byte values in raw RocksDB,
    // written in the same batches, iterated in key order.
    let raw_dir = tempfile::tempdir().unwrap();
    let raw = raw_db(raw_dir.path());
    for chunk in 0..total.div_ceil(1000) {
        let mut batch = rocksdb::WriteBatch::default();
        for n in 0..1000u64 {
            batch.put((chunk as u64 * 1000 + n).to_be_bytes(), [7u8; 200]);
        }
        raw.write(batch).unwrap();
    }
    let mut g = c.benchmark_group("walks");
    g.sample_size(10);
    g.throughput(Throughput::Elements(total as u64));
    g.bench_function(format!("raw_rocksdb_iterate_{total}"), |b| {
        b.iter(|| {
            let mut it = raw.raw_iterator();
            it.seek_to_first();
            let mut n = 0;
            while let Some(v) = it.value() {
                n += v.len().min(1);
                it.next();
            }
            assert!(n >= total);
        })
    });
    g.bench_function(format!("snapshot_walk_{total}"), |b| {
        b.iter(|| {
            let mut cursor = None;
            let mut n = 0;
            loop {
                let page = db.snapshot_page(snapshot, &|_| true, cursor, 1024).unwrap();
                n += page.rows.len();
                match page.cursor {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
            assert_eq!(n, total);
        })
    });
    g.bench_function(format!("delta_walk_{total}"), |b| {
        b.iter(|| {
            let mut cursor = start;
            let mut n = 0;
            loop {
                let page = db.deltas_page(cursor, &|_| true, 1024).unwrap();
                n += page.rows.len();
                cursor = page.cursor;
                if !page.has_more {
                    break;
                }
            }
            assert!(n >= total);
        })
    });
    g.finish();
}

criterion_group!(benches, commits, reads, walks);
criterion_main!(benches);
