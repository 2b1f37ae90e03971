//! Durability: a writer in a child process is killed with SIGKILL while
//! committing; after reopening, every commit it had acknowledged is there and
//! no commit is half-visible.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use storage::{DocumentId, Value};

const CHILD_ENV: &str = "BASALT_CRASH_WRITER_DIR";

/// Runs only inside the child process: commits forever, printing each
/// acknowledged commit's ids.
#[test]
fn crash_writer_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let db = open(std::path::Path::new(&dir));
    let mut out = std::io::stdout().lock();
    for n in 0..1_000_000u64 {
        let mut tx = db.begin();
        // Each commit writes two documents that must appear together.
        let a = tx
            .insert("pairs", obj(&[("n", i(n as i64)), ("half", s("a"))]))
            .unwrap();
        let b = tx
            .insert("pairs", obj(&[("n", i(n as i64)), ("half", s("b"))]))
            .unwrap();
        tx.commit().unwrap();
        writeln!(out, "{} {}", a.encode(), b.encode()).unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn acknowledged_commits_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "crash_writer_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut acked: Vec<(DocumentId, DocumentId)> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let mut parts = line.split_whitespace();
        let (Some(a), Some(b)) = (parts.next(), parts.next()) else {
            continue; // the test harness's own output
        };
        let (Ok(a), Ok(b)) = (DocumentId::decode(a), DocumentId::decode(b)) else {
            continue;
        };
        acked.push((a, b));
        if acked.len() >= 300 || Instant::now() > deadline {
            break;
        }
    }
    // SIGKILL mid-stream: the child is still committing.
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        acked.len() >= 300,
        "child acknowledged only {} commits",
        acked.len()
    );

    let db = open(dir.path());
    let mut tx = db.begin();
    for (a, b) in &acked {
        assert!(
            tx.get(a).unwrap().is_some(),
            "acknowledged document {a} lost"
        );
        assert!(
            tx.get(b).unwrap().is_some(),
            "acknowledged document {b} lost"
        );
    }
    // Nothing half-written: every commit's pair is complete.
    let total = tx.count("pairs").unwrap();
    assert_eq!(total % 2, 0, "a commit is half visible");
    assert!(total as usize >= acked.len() * 2);
    let ix = tx.index("pairs", "by_creation_time").unwrap().unwrap();
    let mut counts = std::collections::BTreeMap::<i64, usize>::new();
    let mut after = None;
    loop {
        let page = tx
            .scan(
                &ix,
                &storage::KeyRange::all(),
                storage::Order::Asc,
                after.as_deref(),
                1000,
            )
            .unwrap();
        for d in &page.documents {
            if let Some(Value::Int64(n)) = d.fields.get("n") {
                *counts.entry(*n).or_default() += 1;
            }
        }
        match page.next {
            Some(k) => after = Some(k),
            None => break,
        }
    }
    assert!(counts.values().all(|c| *c == 2), "a commit is half visible");
}
