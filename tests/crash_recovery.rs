//! An acknowledged mutation survives `kill -9` of the server: writers keep
//! inserting through `/api/mutation` while the process is killed, and after
//! a restart on the same data directory every document whose insert was
//! answered with success is there, and the deployed code serves without a
//! new push.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::app::{call, deploy, require_node_modules, scratch_app};
use common::Server;
use serde_json::json;

const WRITERS: usize = 6;
const MAX_INSERTS_PER_WRITER: usize = 2000;
/// Acknowledged inserts to wait for before the kill.
const ACKED_BEFORE_KILL: usize = 300;

/// Inserts until the server stops answering; returns (id, body) of every
/// insert answered with success, counting them in `count` as they come.
fn write_until_killed(url: String, writer: usize, count: &AtomicUsize) -> Vec<(String, String)> {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build();
    let mut acked = Vec::new();
    for n in 0..MAX_INSERTS_PER_WRITER {
        let body = format!("w{writer}-{n}");
        let request = json!({
            "path": "messages:send",
            "args": {"author": "crash", "body": body},
            "format": "json",
        });
        let Ok(reply) = agent
            .post(&format!("{url}/api/mutation"))
            .send_json(request)
        else {
            break; // the server is gone
        };
        let Ok(reply) = reply.into_json::<serde_json::Value>() else {
            break;
        };
        if reply["status"] == "success" {
            let id = reply["value"].as_str().expect("an id").to_string();
            acked.push((id, body));
            count.fetch_add(1, Ordering::Relaxed);
        }
    }
    acked
}

#[test]
fn acknowledged_mutations_survive_kill_9() {
    require_node_modules();
    let data = tempfile::tempdir().expect("temp dir");
    let data_dir = data.path().join("data");
    let mut server = Server::start_in(&data_dir);
    let app = scratch_app();
    deploy(&server, app.path());

    let count = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let url = server.url.clone();
            let count = count.clone();
            thread::spawn(move || write_until_killed(url, w, &count))
        })
        .collect();
    // Kill while the writers are mid-stream.
    let deadline = Instant::now() + Duration::from_secs(60);
    while count.load(Ordering::Relaxed) < ACKED_BEFORE_KILL && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(5));
    }
    server.signal("KILL");
    server.wait_for_exit(Duration::from_secs(10));
    let acked: Vec<(String, String)> = writers
        .into_iter()
        .flat_map(|w| w.join().expect("writer"))
        .collect();
    assert!(
        acked.len() >= ACKED_BEFORE_KILL,
        "only {} inserts were acknowledged",
        acked.len()
    );
    assert!(
        acked.len() < WRITERS * MAX_INSERTS_PER_WRITER,
        "the kill came after every insert"
    );

    let server = Server::start_in(&data_dir);
    let stored: HashMap<String, String> = call(&server, "query", "messages:listAll", json!({}))
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| {
            (
                m["_id"].as_str().expect("_id").to_string(),
                m["body"].as_str().expect("body").to_string(),
            )
        })
        .collect();
    let lost: Vec<_> = acked
        .iter()
        .filter(|(id, body)| stored.get(id) != Some(body))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged inserts are missing after kill -9, e.g. {:?}",
        lost.len(),
        acked.len(),
        lost.first()
    );
    // The restarted server takes writes again.
    call(
        &server,
        "mutation",
        "messages:send",
        json!({"author": "crash", "body": "after"}),
    );
}
