//! Reading an L2 block's ref (L1 origin, sequence number) from the block itself.

use crate::{BlockID, ChainGenesis, L1BlockInfo, L1InfoError, L2BlockRef, L1_BLOCK_ADDRESS};
use alloy_consensus::{BlockHeader, Transaction};
use alloy_primitives::{TxKind, B256};
use op_alloy_consensus::OpTxEnvelope;

/// Why an L2 block's ref cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockRefError {
    /// The block has no transactions, so no L1 info deposit.
    #[error("L2 block {0} has no transactions, so no L1 info deposit")]
    Empty(u64),
    /// The first transaction is not a deposit to the L1Block predeploy.
    #[error("first transaction of L2 block {0} is not an L1 info deposit")]
    NotL1Info(u64),
    /// The deposit's calldata does not decode.
    #[error("L1 info deposit of L2 block {number} does not decode: {source}")]
    Decode {
        /// The L2 block number.
        number: u64,
        /// The decoding error.
        source: L1InfoError,
    },
}

/// The ref of an L2 block from its hash, header and first transaction.
///
/// The genesis block (by number, from the rollup config) has no L1 info deposit: its origin is the
/// genesis L1 block and its sequence number 0. Any other block must open with an L1 info deposit.
pub fn l2_block_ref<H: BlockHeader>(
    hash: B256,
    header: &H,
    first_tx: Option<&OpTxEnvelope>,
    genesis: &ChainGenesis,
) -> Result<L2BlockRef, BlockRefError> {
    let number = header.number();
    let mut block = L2BlockRef {
        hash,
        number,
        parent_hash: header.parent_hash(),
        timestamp: header.timestamp(),
        l1_origin: BlockID::default(),
        sequence_number: 0,
    };
    if number == genesis.l2.number {
        block.l1_origin = genesis.l1;
        return Ok(block);
    }
    let info = l1_info_of_block(number, first_tx)?;
    block.l1_origin = BlockID { hash: info.block_hash, number: info.number };
    block.sequence_number = info.sequence_number;
    Ok(block)
}

/// The L1 info of L2 block `number` (not genesis) from its first transaction, which must be the
/// L1 info deposit.
pub fn l1_info_of_block(
    number: u64,
    first_tx: Option<&OpTxEnvelope>,
) -> Result<L1BlockInfo, BlockRefError> {
    let tx = first_tx.ok_or(BlockRefError::Empty(number))?;
    let OpTxEnvelope::Deposit(deposit) = tx else {
        return Err(BlockRefError::NotL1Info(number));
    };
    if deposit.kind() != TxKind::Call(L1_BLOCK_ADDRESS) {
        return Err(BlockRefError::NotL1Info(number));
    }
    L1BlockInfo::decode(deposit.input()).map_err(|source| BlockRefError::Decode { number, source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::Header;
    use alloy_eips::Decodable2718;
    use alloy_primitives::{b256, hex};

    fn genesis() -> ChainGenesis {
        ChainGenesis {
            l1: BlockID { hash: B256::repeat_byte(0x11), number: 17422590 },
            l2: BlockID { hash: B256::repeat_byte(0x22), number: 105235063 },
            l2_time: 1686068903,
            system_config: None,
        }
    }

    /// The raw L1 info deposit of OP Mainnet L2 block 124665056.
    fn op_mainnet_124665056_deposit() -> OpTxEnvelope {
        let raw =
            hex::decode(include_str!("../testdata/rawtx_ecotone_op-mainnet_124665056.hex").trim())
                .unwrap();
        OpTxEnvelope::decode_2718(&mut raw.as_slice()).unwrap()
    }

    #[test]
    fn reads_origin_from_l1_info_deposit() {
        let header = Header {
            number: 124665056,
            timestamp: 1724928889,
            parent_hash: B256::repeat_byte(9),
            ..Default::default()
        };
        let tx = op_mainnet_124665056_deposit();
        let r = l2_block_ref(B256::repeat_byte(7), &header, Some(&tx), &genesis()).unwrap();
        assert_eq!(r.number, 124665056);
        assert_eq!(r.parent_hash, B256::repeat_byte(9));
        assert_eq!(r.l1_origin.number, 20633763);
        assert_eq!(
            r.l1_origin.hash,
            b256!("0x2fdf87b89884a61e74b322bbcf60386f543bfae7827725efaaf0ab1de2294a59")
        );
        assert_eq!(r.sequence_number, 4);
    }

    #[test]
    fn genesis_comes_from_the_rollup_config() {
        let header = Header { number: 105235063, timestamp: 1686068903, ..Default::default() };
        let r = l2_block_ref(B256::repeat_byte(0x22), &header, None, &genesis()).unwrap();
        assert_eq!((r.l1_origin, r.sequence_number), (genesis().l1, 0));
    }

    #[test]
    fn other_blocks_need_an_l1_info_deposit() {
        let header = Header { number: 105235064, ..Default::default() };
        assert_eq!(
            l2_block_ref(B256::ZERO, &header, None, &genesis()),
            Err(BlockRefError::Empty(105235064))
        );
        let legacy = OpTxEnvelope::Legacy(alloy_consensus::Signed::new_unchecked(
            alloy_consensus::TxLegacy::default(),
            alloy_primitives::Signature::test_signature(),
            B256::ZERO,
        ));
        assert_eq!(
            l2_block_ref(B256::ZERO, &header, Some(&legacy), &genesis()),
            Err(BlockRefError::NotL1Info(105235064))
        );
        let OpTxEnvelope::Deposit(mut deposit) = op_mainnet_124665056_deposit() else { panic!() };
        deposit.inner_mut().input = vec![0xde, 0xad].into();
        let err = l2_block_ref(
            B256::ZERO,
            &header,
            Some(&OpTxEnvelope::Deposit(deposit.clone())),
            &genesis(),
        );
        assert!(matches!(err, Err(BlockRefError::Decode { number: 105235064, .. })));
        deposit.inner_mut().to = TxKind::Create;
        let err =
            l2_block_ref(B256::ZERO, &header, Some(&OpTxEnvelope::Deposit(deposit)), &genesis());
        assert_eq!(err, Err(BlockRefError::NotL1Info(105235064)));
    }
}
