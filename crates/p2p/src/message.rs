//! Gossip messages: snappy block compression with size limits, the message id, and the
//! envelope of each version, encoded and decoded by op-alloy.

use crate::topic::BlockVersion;
use op_alloy_rpc_types_engine::{
    OpNetworkPayloadEnvelope, PayloadEnvelopeEncodeError, PayloadEnvelopeError,
};
use sha2::{Digest, Sha256};

/// The largest gossip message, compressed and decompressed: 10 MiB.
pub const MAX_GOSSIP_SIZE: usize = 10 * 1024 * 1024;

/// The message-id domain of data with a valid snappy decompression.
const DOMAIN_VALID_SNAPPY: [u8; 4] = [1, 0, 0, 0];
/// The message-id domain of anything else.
const DOMAIN_INVALID_SNAPPY: [u8; 4] = [0, 0, 0, 0];

/// Why a message could not be read (all of them are gossipsub rejects).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// The compressed message is over [`MAX_GOSSIP_SIZE`].
    #[error("message of {0} bytes is over the 10 MiB limit")]
    TooLarge(usize),
    /// The message decompresses to more than [`MAX_GOSSIP_SIZE`].
    #[error("message decompresses to {0} bytes, over the 10 MiB limit")]
    TooLargeDecompressed(usize),
    /// Not valid snappy block compression.
    #[error("invalid snappy compression")]
    Compression,
    /// The signature is not 65 bytes with a y parity of 0 or 1.
    #[error("invalid signature encoding")]
    Signature,
    /// The envelope does not decode as its topic's version.
    #[error("invalid block encoding: {0}")]
    Encoding(String),
    /// The envelope's payload is not of the version it is encoded as.
    #[error("the payload is not a {0:?} payload")]
    WrongVersion(BlockVersion),
}

/// Decompresses `data` within the size limits.
pub fn decompress(data: &[u8]) -> Result<Vec<u8>, MessageError> {
    if data.len() > MAX_GOSSIP_SIZE {
        return Err(MessageError::TooLarge(data.len()));
    }
    let len = snap::raw::decompress_len(data).map_err(|_| MessageError::Compression)?;
    if len > MAX_GOSSIP_SIZE {
        return Err(MessageError::TooLargeDecompressed(len));
    }
    snap::raw::Decoder::new().decompress_vec(data).map_err(|_| MessageError::Compression)
}

/// The gossipsub message id of `data`: the first 20 bytes of SHA-256 over a domain and the
/// decompressed data (the raw data when it does not decompress within the limits).
pub fn message_id(data: &[u8]) -> [u8; 20] {
    let mut hasher = Sha256::new();
    match decompress(data) {
        Ok(plain) => {
            hasher.update(DOMAIN_VALID_SNAPPY);
            hasher.update(&plain);
        }
        Err(_) => {
            hasher.update(DOMAIN_INVALID_SNAPPY);
            hasher.update(data);
        }
    }
    let mut id = [0u8; 20];
    id.copy_from_slice(&hasher.finalize()[..20]);
    id
}

/// Decodes a `version` message: size limits first, then op-alloy's decoder of that version.
pub fn decode(
    version: BlockVersion,
    data: &[u8],
) -> Result<OpNetworkPayloadEnvelope, MessageError> {
    let plain = decompress(data)?;
    // The spec allows y parity 0 or 1 only; op-alloy would also take 27 and 28.
    if plain.len() < 65 || plain[64] > 1 {
        return Err(MessageError::Signature);
    }
    let decoded = match version {
        BlockVersion::V1 => OpNetworkPayloadEnvelope::decode_v1(data),
        BlockVersion::V2 => OpNetworkPayloadEnvelope::decode_v2(data),
        BlockVersion::V3 => OpNetworkPayloadEnvelope::decode_v3(data),
        BlockVersion::V4 => OpNetworkPayloadEnvelope::decode_v4(data),
    };
    decoded.map_err(|e| match e {
        PayloadEnvelopeError::BrokenSnappyEncoding => MessageError::Compression,
        PayloadEnvelopeError::InvalidSignature => MessageError::Signature,
        e => MessageError::Encoding(e.to_string()),
    })
}

/// Encodes `envelope` as a `version` message.
pub fn encode(
    version: BlockVersion,
    envelope: &OpNetworkPayloadEnvelope,
) -> Result<Vec<u8>, MessageError> {
    let encoded = match version {
        BlockVersion::V1 => envelope.encode_v1(),
        BlockVersion::V2 => envelope.encode_v2(),
        BlockVersion::V3 => envelope.encode_v3(),
        BlockVersion::V4 => envelope.encode_v4(),
    };
    encoded.map_err(|e| match e {
        PayloadEnvelopeEncodeError::WrongVersion => MessageError::WrongVersion(version),
        e => MessageError::Encoding(e.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_depend_on_whether_the_data_decompresses() {
        let plain = b"hello gossip".to_vec();
        let compressed = snap::raw::Encoder::new().compress_vec(&plain).unwrap();
        let mut valid = Sha256::new();
        valid.update(DOMAIN_VALID_SNAPPY);
        valid.update(&plain);
        assert_eq!(message_id(&compressed)[..], valid.finalize()[..20]);
        let garbage = [0xffu8; 7];
        let mut invalid = Sha256::new();
        invalid.update(DOMAIN_INVALID_SNAPPY);
        invalid.update(garbage);
        assert_eq!(message_id(&garbage)[..], invalid.finalize()[..20]);
    }

    #[test]
    fn a_decompression_bomb_is_refused_before_it_is_inflated() {
        // A snappy header claiming 64 MiB, followed by nothing.
        let mut bomb = Vec::new();
        let mut len = 64u64 << 20;
        while len >= 0x80 {
            bomb.push((len as u8) | 0x80);
            len >>= 7;
        }
        bomb.push(len as u8);
        assert_eq!(decompress(&bomb), Err(MessageError::TooLargeDecompressed(64 << 20)));
        let big = vec![0u8; MAX_GOSSIP_SIZE + 1];
        assert_eq!(decompress(&big), Err(MessageError::TooLarge(MAX_GOSSIP_SIZE + 1)));
        assert_eq!(decode(BlockVersion::V1, &[1, 2, 3]), Err(MessageError::Compression));
    }
}
