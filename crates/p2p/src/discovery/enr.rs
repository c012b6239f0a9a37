//! The node records of the rollup-node network: the `opstack` entry that names a node's chain
//! (spec, "Structure of the ENR"), this node's own record, and what a found record gives to dial.

use discv5::{
    enr::{k256, CombinedKey, CombinedPublicKey},
    Enr,
};
use libp2p::{identity, multiaddr::Protocol, Multiaddr, PeerId};
use std::net::IpAddr;

/// The ENR key of the OP Stack entry.
pub const OPSTACK_KEY: &str = "opstack";

/// The only version of the `opstack` entry there is.
pub const OPSTACK_VERSION: u64 = 0;

/// The `opstack` entry: the L2 chain id and the entry's version, as two unsigned varints in
/// one RLP byte string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpStackEnr {
    /// The L2 chain id.
    pub chain_id: u64,
    /// The entry's version.
    pub version: u64,
}

impl OpStackEnr {
    /// The entry of version 0 for `chain_id`.
    pub const fn new(chain_id: u64) -> Self {
        Self { chain_id, version: OPSTACK_VERSION }
    }

    /// The entry's bytes (the content of its RLP byte string).
    pub fn to_bytes(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(20);
        let mut buf = unsigned_varint::encode::u64_buffer();
        out.extend_from_slice(unsigned_varint::encode::u64(self.chain_id, &mut buf));
        out.extend_from_slice(unsigned_varint::encode::u64(self.version, &mut buf));
        out
    }

    /// The entry in `bytes`; later versions may carry more after the version, which is
    /// ignored here as op-node ignores it.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let (chain_id, rest) = unsigned_varint::decode::u64(bytes).ok()?;
        let (version, _) = unsigned_varint::decode::u64(rest).ok()?;
        Some(Self { chain_id, version })
    }

    /// The entry of `enr`, if it has a well-formed one.
    pub fn of(enr: &Enr) -> Option<Self> {
        let bytes = enr.get_decodable::<alloy_primitives::Bytes>(OPSTACK_KEY)?.ok()?;
        Self::from_bytes(&bytes)
    }
}

/// Why a node record could not be made.
#[derive(Debug, thiserror::Error)]
pub enum EnrError {
    /// The node key is not a secp256k1 key.
    #[error("the node key is not a secp256k1 key")]
    NotSecp256k1,
    /// Signing the record failed.
    #[error("signing the node record: {0}")]
    Sign(String),
}

/// The discv5 signing key of a libp2p secp256k1 identity: one key gives both the peer id and
/// the node id, as op-node does.
pub fn enr_key(keypair: &identity::Keypair) -> Result<CombinedKey, EnrError> {
    let secret = keypair.clone().try_into_secp256k1().map_err(|_| EnrError::NotSecp256k1)?;
    let key = k256::ecdsa::SigningKey::from_slice(&secret.secret().to_bytes())
        .map_err(|_| EnrError::NotSecp256k1)?;
    Ok(CombinedKey::Secp256k1(key))
}

/// This node's record: its IP when known, its TCP (libp2p) and UDP (discv5) ports, and the
/// `opstack` entry of `chain_id`.
pub fn local_enr(
    key: &CombinedKey,
    ip: Option<IpAddr>,
    tcp: u16,
    udp: u16,
    chain_id: u64,
) -> Result<Enr, EnrError> {
    let mut builder = Enr::builder();
    match ip {
        Some(IpAddr::V4(ip)) => builder.ip4(ip).tcp4(tcp).udp4(udp),
        Some(IpAddr::V6(ip)) => builder.ip6(ip).tcp6(tcp).udp6(udp),
        // No IP yet (discv5 learns it from its peers): the ports are IPv4's.
        None => builder.tcp4(tcp).udp4(udp),
    };
    let entry = alloy_primitives::Bytes::from(OpStackEnr::new(chain_id).to_bytes());
    builder.add_value(OPSTACK_KEY, &entry);
    builder.build(key).map_err(|e| EnrError::Sign(e.to_string()))
}

/// The libp2p peer id of a record's secp256k1 key.
pub fn peer_id(enr: &Enr) -> Option<PeerId> {
    match enr.public_key() {
        CombinedPublicKey::Secp256k1(key) => key_peer_id(&key),
        CombinedPublicKey::Ed25519(_) => None,
    }
}

/// The libp2p peer id of a secp256k1 key.
pub fn key_peer_id(key: &k256::ecdsa::VerifyingKey) -> Option<PeerId> {
    let bytes = key.to_encoded_point(true);
    let key = identity::secp256k1::PublicKey::try_from_bytes(bytes.as_bytes()).ok()?;
    Some(identity::PublicKey::from(key).to_peer_id())
}

/// A node of `chain_id` to dial: its peer id and TCP address (`/ip4/…/tcp/…/p2p/…`), when the
/// record has an `opstack` entry of that chain and version 0, an IP and a TCP port.
pub fn dial_target(enr: &Enr, chain_id: u64) -> Option<(PeerId, Multiaddr)> {
    if OpStackEnr::of(enr)? != OpStackEnr::new(chain_id) {
        return None;
    }
    let peer = peer_id(enr)?;
    let (ip, tcp) = match (enr.ip4(), enr.tcp4(), enr.ip6(), enr.tcp6()) {
        (Some(ip), Some(tcp), ..) => (IpAddr::V4(ip), tcp),
        (_, _, Some(ip), Some(tcp)) => (IpAddr::V6(ip), tcp),
        _ => return None,
    };
    Some((peer, Multiaddr::from(ip).with(Protocol::Tcp(tcp)).with(Protocol::P2p(peer))))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Base Mainnet bootnode that op-node ships (`op-node/p2p/config.go`, DefaultBootnodes,
    /// the ethereum-optimism/optimism snapshot of 2024-10): a real record of the network.
    const BASE_BOOTNODE: &str = "enr:-J24QNz9lbrKbN4iSmmjtnr7SjUMk4zB7f1krHZcTZx-JRKZd0kA2gjufUROD6T3sOWDVDnFJRvqBBo62zuF-hYCohOGAYiOoEyEgmlkgnY0gmlwhAPniryHb3BzdGFja4OFQgCJc2VjcDI1NmsxoQKNVFlCxh_B-716tTs-h1vMzZkSs1FTu_OYTNjgufplG4N0Y3CCJAaDdWRwgiQG";

    #[test]
    fn a_real_bootnode_record_names_base_mainnet_and_gives_a_dial_address() {
        let enr: Enr = BASE_BOOTNODE.parse().unwrap();
        assert_eq!(OpStackEnr::of(&enr), Some(OpStackEnr { chain_id: 8453, version: 0 }));
        let (peer, addr) = dial_target(&enr, 8453).unwrap();
        assert_eq!(addr.to_string(), format!("/ip4/3.231.138.188/tcp/9222/p2p/{peer}"));
        assert_eq!(enr.udp4(), Some(9222));
        assert!(dial_target(&enr, 10).is_none(), "another chain's node is not dialled");
    }

    #[test]
    fn the_entry_is_two_varints_in_a_byte_string() {
        // 8453 = 0x2105: varint 85 42; version 0.
        assert_eq!(OpStackEnr::new(8453).to_bytes(), [0x85, 0x42, 0x00]);
        assert_eq!(OpStackEnr::new(10).to_bytes(), [0x0a, 0x00]);
        for chain_id in [0, 10, 8453, 11155420, u64::MAX] {
            let entry = OpStackEnr::new(chain_id);
            assert_eq!(OpStackEnr::from_bytes(&entry.to_bytes()), Some(entry));
        }
        // More after the version is a later version's business.
        assert_eq!(
            OpStackEnr::from_bytes(&[0x0a, 0x01, 0xff]),
            Some(OpStackEnr { chain_id: 10, version: 1 })
        );
        assert_eq!(OpStackEnr::from_bytes(&[0x0a]), None, "no version");
        assert_eq!(OpStackEnr::from_bytes(&[0xff; 11]), None, "an overlong varint");
    }

    #[test]
    fn the_local_record_carries_the_chain_and_the_same_identity_as_libp2p() {
        let keypair = identity::Keypair::generate_secp256k1();
        let key = enr_key(&keypair).unwrap();
        let enr = local_enr(&key, Some([127, 0, 0, 1].into()), 9222, 9223, 10).unwrap();
        let (peer, addr) = dial_target(&enr, 10).unwrap();
        assert_eq!(peer, keypair.public().to_peer_id());
        assert_eq!(addr.to_string(), format!("/ip4/127.0.0.1/tcp/9222/p2p/{peer}"));
        assert_eq!(enr.udp4(), Some(9223));
        // Written out and read back, as a bootnode flag carries it.
        let back: Enr = enr.to_base64().parse().unwrap();
        assert_eq!(OpStackEnr::of(&back), Some(OpStackEnr::new(10)));
        // Without an IP it cannot be dialled yet.
        let no_ip = local_enr(&key, None, 9222, 9222, 10).unwrap();
        assert!(dial_target(&no_ip, 10).is_none());
        assert!(enr_key(&identity::Keypair::generate_ed25519()).is_err());
    }
}
