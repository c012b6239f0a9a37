//! One follow step without I/O: validate a status against the L1 verdict, then decide.
#![allow(missing_docs)]

use alloy_primitives::B256;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use light_cl::{
    follow::{decide, validate, AtSafe, L1Refs, L1Verdict, Local, Prior},
    Heads,
};
use light_cl_protocol::{BlockID, L1BlockRef, L2BlockRef, SyncStatus};

fn block(n: u64) -> L2BlockRef {
    L2BlockRef {
        hash: B256::with_last_byte(n as u8),
        number: n,
        parent_hash: B256::with_last_byte(n as u8 - 1),
        timestamp: 2 * n,
        l1_origin: BlockID { hash: B256::repeat_byte(1), number: n / 6 },
        sequence_number: n % 6,
    }
}

fn step(c: &mut Criterion) {
    let status = SyncStatus {
        current_l1: L1BlockRef { hash: B256::repeat_byte(2), number: 40, ..Default::default() },
        unsafe_l2: block(120),
        safe_l2: block(100),
        finalized_l2: block(80),
        ..Default::default()
    };
    let verdict = L1Verdict { safe_origin: true, finalized_origin: true, current_l1: true };
    let applied = Prior { finalized: Some(block(70)), current_l1: None };
    let local = Local {
        heads: Heads { unsafe_head: block(110), safe: Some(block(90)), finalized: Some(block(70)) },
        at_safe: AtSafe::Found(block(100)),
        unsafe_descends: true,
        follow_unsafe: true,
    };
    c.bench_function("validate + decide (consolidate)", |b| {
        b.iter(|| {
            let status = black_box(&status);
            let update = validate(status, &L1Refs::of(status), &verdict, &applied).unwrap();
            decide(&update, black_box(&local))
        })
    });
}

criterion_group!(benches, step);
criterion_main!(benches);
