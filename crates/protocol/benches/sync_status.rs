//! Decoding an op-node `optimism_syncStatus` answer.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use light_cl_protocol::SyncStatus;

const DOC: &str = include_str!("../testdata/sync_status_op_node.json");

fn decode(c: &mut Criterion) {
    c.bench_function("decode SyncStatus (op-node document)", |b| {
        b.iter(|| serde_json::from_str::<SyncStatus>(black_box(DOC)).unwrap())
    });
    let status: SyncStatus = serde_json::from_str(DOC).unwrap();
    c.bench_function("encode SyncStatus", |b| b.iter(|| serde_json::to_vec(black_box(&status))));
}

criterion_group!(benches, decode);
criterion_main!(benches);
