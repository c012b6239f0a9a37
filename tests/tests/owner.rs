//! The engine owner on its own: what it records after each answer of the engine, and what it
//! reports when the chain or the engine fails.

use light_cl::{
    follow::{Case, Decision},
    ApplyError, BuildError, EngineError, EngineOwner, PushError,
};
use light_cl_protocol::{L1BlockRef, L2BlockRef, UnsupportedFork};
use light_cl_tests::{next_block_attributes, rig::L2_PER_L1, Fault, Rig};
use op_alloy_rpc_types_engine::OpPayloadAttributes;

fn attributes(rig: &Rig, parent: L2BlockRef) -> OpPayloadAttributes {
    let number = parent.number + 1;
    let origin = rig.l1.block(number / L2_PER_L1);
    next_block_attributes(parent, origin, number % L2_PER_L1, rig.config.block_time, number as u8)
}

fn decision(case: Case, head: Option<L2BlockRef>, safe: Option<L2BlockRef>) -> Decision {
    Decision { case, head, safe, finalized: None, current_l1: None }
}

#[tokio::test]
async fn a_failed_chain_read_is_an_error_not_empty_heads() {
    let rig = Rig::new(5).await;
    rig.engine.fail_reads(true);
    let result = rig.owner.follow(decision(Case::Consolidate, None, Some(rig.main(3)))).await;
    assert!(matches!(result, Err(ApplyError::Chain(_))), "{result:?}");
    assert!(rig.engine.updates().is_empty(), "nothing sent on a failed read");
}

#[tokio::test]
async fn while_reth_backfills_the_head_target_is_still_sent() {
    let rig = Rig::new(5).await;
    rig.engine.set_fault(Some(Fault::Backfill));
    // Safe 3 is ready under our head (labels first), the head target 20 is not known yet.
    let d = decision(Case::ElBehind, Some(rig.main(20)), Some(rig.main(3)));
    let applied = rig.owner.follow(d).await.unwrap();
    assert!(applied.syncing());
    let heads: Vec<_> = rig.engine.updates().iter().map(|u| u.head_block_hash).collect();
    assert_eq!(heads, vec![rig.main(5).hash, rig.main(20).hash], "labels first, then the target");
}

#[tokio::test]
async fn a_safe_head_applied_by_a_build_publishes_its_current_l1() {
    let rig = Rig::new(5).await;
    let current_l1: L1BlockRef = rig.l1.block(9);
    rig.engine.set_fault(Some(Fault::Backfill));
    let mut d = decision(Case::Consolidate, None, Some(rig.main(3)));
    d.current_l1 = Some(current_l1);
    rig.owner.follow(d).await.unwrap();
    assert_ne!(rig.view.get().current_l1, current_l1, "not applied while reth backfills");
    rig.engine.set_fault(None);
    rig.owner.build(rig.main(5), attributes(&rig, rig.main(5))).await.unwrap();
    assert_eq!(rig.engine.labels().1, Some(rig.main(3)), "the build's update carried safe");
    assert_eq!(rig.view.get().current_l1, current_l1, "published with the safe head it came with");
}

#[tokio::test]
async fn after_a_failed_final_update_the_state_is_sent_again() {
    let rig = Rig::new(5).await;
    rig.engine.set_labels(Some(rig.main(3)), None);
    rig.engine.script([None, Some(Fault::ErrorAfterHead)]);
    let built = rig.owner.build(rig.main(5), attributes(&rig, rig.main(5))).await.unwrap();
    assert_eq!(rig.engine.labels().0, built.head, "the engine applied the head before failing");
    let sent = rig.engine.updates().len();
    rig.owner.follow(decision(Case::SourceBehind, None, None)).await.unwrap();
    let updates = rig.engine.updates();
    assert_eq!(updates.len(), sent + 1, "the failed update is not taken as applied");
    assert_eq!(updates[sent].head_block_hash, built.head.hash);
}

#[tokio::test]
async fn valid_without_the_new_head_is_an_error() {
    let rig = Rig::new(5).await;
    rig.engine.script([None, Some(Fault::ValidButIgnored)]);
    let result = rig.owner.build(rig.main(5), attributes(&rig, rig.main(5))).await;
    assert!(
        matches!(result, Err(BuildError::NotHead { head, .. }) if head == rig.main(5).hash),
        "{result:?}"
    );
    // A pushed block the same way.
    let rig = Rig::new(5).await;
    let built = rig.owner.build(rig.main(5), attributes(&rig, rig.main(5))).await.unwrap();
    let other = Rig::new(5).await;
    other.engine.set_fault(Some(Fault::ValidButIgnored));
    let result = other.owner.push(built.payload).await;
    assert!(matches!(result, Err(PushError::NotHead { .. })), "{result:?}");
}

#[tokio::test]
async fn engine_errors_stay_typed() {
    let rig = Rig::new(5).await;
    rig.engine.set_fault(Some(Fault::Unavailable));
    let result = rig.owner.build(rig.main(5), attributes(&rig, rig.main(5))).await;
    match result {
        Err(e @ BuildError::Engine { error: EngineError::Unavailable, .. }) => {
            assert!(e.engine_unavailable())
        }
        other => panic!("expected an unavailable engine, got {other:?}"),
    }
}

#[tokio::test]
async fn nothing_at_or_after_an_unsupported_fork_is_taken() {
    let rig = Rig::new(5).await;
    // Karst activates with block 8: blocks up to 7 may still be executed here.
    let fork = UnsupportedFork { key: "karst_time".into(), time: rig.main(8).timestamp };
    let (owner, handle) =
        EngineOwner::new(rig.engine.clone(), rig.engine.clone(), rig.view.clone());
    tokio::spawn(owner.with_fork_limit(Some(fork.clone())).run());

    rig.engine.deliver(&rig.main_range(6, 12));
    let applied = handle.follow(decision(Case::ElBehind, Some(rig.main(12)), Some(rig.main(12))));
    let applied = applied.await.unwrap();
    assert_eq!(applied.heads.unsafe_head, rig.main(5), "no head target past the fork");
    assert!(rig.engine.updates().iter().all(|u| u.head_block_hash != rig.main(12).hash));
    let applied = handle.follow(decision(Case::ElBehind, Some(rig.main(7)), Some(rig.main(7))));
    assert_eq!(
        applied.await.unwrap().heads.unsafe_head,
        rig.main(7),
        "up to the last block before"
    );

    let result = handle.build(rig.main(7), attributes(&rig, rig.main(7))).await;
    assert_eq!(
        result.unwrap_err(),
        BuildError::UnsupportedFork { fork: fork.key, time: fork.time }
    );
    assert_eq!(rig.engine.labels().0, rig.main(7));
}

#[tokio::test]
async fn a_build_only_extends_the_head() {
    // op-reth would build a sibling on a canonical ancestor and reorg the sequencer's own
    // chain; the owner never asks it to.
    let rig = Rig::new(5).await;
    let result = rig.owner.build(rig.main(3), attributes(&rig, rig.main(3))).await;
    assert!(
        matches!(result, Err(BuildError::HeadMoved { parent, head })
            if parent == rig.main(3).hash && head == rig.main(5).hash),
        "{result:?}"
    );
    assert!(rig.engine.updates().is_empty(), "nothing sent");
    assert_eq!(rig.engine.labels().0, rig.main(5));
}

#[tokio::test]
async fn the_engine_double_builds_a_sibling_on_a_canonical_ancestor() {
    use light_cl::Engine;
    let rig = Rig::new(5).await;
    let state = alloy_rpc_types_engine::ForkchoiceState {
        head_block_hash: rig.main(3).hash,
        ..Default::default()
    };
    let updated =
        rig.engine.fork_choice_updated(state, Some(attributes(&rig, rig.main(3)))).await.unwrap();
    let payload = rig.engine.get_payload(updated.payload_id.expect("a payload id")).await.unwrap();
    let v1 = payload.payload.as_v1();
    assert_eq!((v1.block_number, v1.parent_hash), (4, rig.main(3).hash));
    assert_ne!(v1.block_hash, rig.main(4).hash, "a sibling of block 4");
    assert_eq!(rig.engine.labels().0, rig.main(5), "no rewind");
}
