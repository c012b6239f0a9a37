//! Blocks proposed from the network (CL gossip) to the engine owner: the rules of a pushed block,
//! blocks held until their parent is the head, and a gap or another branch above the safe head
//! turned into the head target. Safe and finalized never move for a proposal.

use light_cl::{Built, Proposed, PushError, MAX_AHEAD};
use light_cl_protocol::L2BlockRef;
use light_cl_tests::{next_block_attributes, rig::L2_PER_L1, Rig};

/// Blocks `from+1 ..= from+n` built by another node on `rig`'s main block `from`.
async fn built_elsewhere(from: u64, n: u64) -> Vec<Built> {
    let other = Rig::new(from).await;
    let mut parent = other.main(from);
    let mut out = Vec::new();
    for _ in 0..n {
        let number = parent.number + 1;
        let origin = other.l1.block(number / L2_PER_L1);
        let attributes = next_block_attributes(parent, origin, number % L2_PER_L1, 2, number as u8);
        let built = other.owner.build(parent, attributes).await.unwrap();
        parent = built.head;
        out.push(built);
    }
    out
}

fn head_of(rig: &Rig) -> L2BlockRef {
    rig.engine.labels().0
}

#[tokio::test]
async fn blocks_ahead_are_held_and_applied_in_order_once_the_gap_closes() {
    let rig = Rig::new(5).await;
    let blocks = built_elsewhere(5, 3).await;
    let [b6, b7, b8] = [&blocks[0], &blocks[1], &blocks[2]];
    assert_eq!(rig.owner.propose(b8.payload.clone()).await.unwrap(), Proposed::Held);
    assert_eq!(rig.owner.propose(b7.payload.clone()).await.unwrap(), Proposed::Held);
    assert_eq!(head_of(&rig), rig.main(5), "nothing applied while the parent is missing");
    assert!(rig.engine.updates().is_empty(), "no forkchoice update for a held block");
    let proposed = rig.owner.propose(b6.payload.clone()).await.unwrap();
    assert_eq!(proposed, Proposed::Head(b8.head), "6, then the held 7 and 8");
    assert_eq!(head_of(&rig), b8.head);
    let heads: Vec<_> = rig.engine.updates().iter().map(|u| u.head_block_hash).collect();
    assert_eq!(heads, vec![b6.head.hash, b7.head.hash, b8.head.hash], "in order");
    // Proposed again: already canonical.
    assert_eq!(rig.owner.propose(b7.payload.clone()).await.unwrap(), Proposed::Known);
}

#[tokio::test]
async fn a_gap_sets_the_head_target_and_the_engine_fetches_the_rest() {
    let rig = Rig::new(5).await;
    let blocks = built_elsewhere(5, MAX_AHEAD + 1).await;
    let far = blocks.last().unwrap();
    let proposed = rig.owner.propose(far.payload.clone()).await.unwrap();
    assert_eq!(proposed, Proposed::Target(far.head), "beyond {MAX_AHEAD} ahead: a gap");
    assert_eq!(rig.engine.updates().last().unwrap().head_block_hash, far.head.hash);
    assert_eq!(head_of(&rig), rig.main(5), "syncing: the head has not moved yet");
    // What devp2p would download; the target then becomes canonical.
    let refs: Vec<_> = blocks.iter().map(|b| b.head).collect();
    rig.engine.deliver(&refs);
    assert_eq!(head_of(&rig), far.head);
}

#[tokio::test]
async fn another_branch_above_safe_is_a_reorg_of_unsafe_blocks_only() {
    let rig = Rig::new(5).await;
    rig.engine.set_labels(Some(rig.main(3)), Some(rig.main(2)));
    // A sibling of our block 4, and its child: a branch from our safe head.
    let branch = built_elsewhere(3, 2).await;
    assert_ne!(branch[0].head.hash, rig.main(4).hash);
    let proposed = rig.owner.propose(branch[0].payload.clone()).await.unwrap();
    assert_eq!(proposed, Proposed::Head(branch[0].head), "the unsafe blocks 4 and 5 reorged");
    let proposed = rig.owner.propose(branch[1].payload.clone()).await.unwrap();
    assert_eq!(proposed, Proposed::Head(branch[1].head));
    let (head, safe, finalized) = rig.engine.labels();
    assert_eq!((head, safe, finalized), (branch[1].head, Some(rig.main(3)), Some(rig.main(2))));
}

#[tokio::test]
async fn another_branch_at_or_below_safe_is_refused_and_nothing_is_sent() {
    let rig = Rig::new(5).await;
    rig.engine.set_labels(Some(rig.main(4)), None);
    let branch = built_elsewhere(3, 1).await;
    let result = rig.owner.propose(branch[0].payload.clone()).await;
    assert!(matches!(result, Err(PushError::BelowSafe { number: 4, safe: 4, .. })), "{result:?}");
    assert!(rig.engine.updates().is_empty());
    assert_eq!(head_of(&rig), rig.main(5));
}

#[tokio::test]
async fn held_blocks_are_bounded_and_a_follow_move_lets_them_apply() {
    let rig = Rig::new(5).await;
    let blocks = built_elsewhere(5, 3).await;
    // 7 and 8 held; then 6 arrives by another way (the follow source), not by gossip.
    rig.owner.propose(blocks[1].payload.clone()).await.unwrap();
    rig.owner.propose(blocks[2].payload.clone()).await.unwrap();
    rig.owner.push(blocks[0].payload.clone()).await.unwrap();
    // The next proposal applies what fits first: 7 and 8 from the held queue, then 8 is known.
    let proposed = rig.owner.propose(blocks[2].payload.clone()).await.unwrap();
    assert_eq!(proposed, Proposed::Known);
    assert_eq!(head_of(&rig), blocks[2].head);
}
