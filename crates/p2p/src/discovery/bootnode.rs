//! Bootnodes: the nodes discovery starts from, given as ENRs (`enr:-…`) or as enode URLs
//! (`enode://<key>@<ip>:<port>?discport=<udp>`, whose record is asked for over discv5), and
//! the public lists op-node ships for OP Mainnet and OP Sepolia.

use discv5::{enr::k256, Enr};
use libp2p::{multiaddr::Protocol, Multiaddr};
use std::{fmt, net::SocketAddr, str::FromStr};

/// OP Mainnet's chain id.
pub const OP_MAINNET: u64 = 10;

/// OP Sepolia's chain id.
pub const OP_SEPOLIA: u64 = 11155420;

/// The bootnodes op-node ships (`op-node/p2p/config.go`, `DefaultBootnodes`, in the
/// ethereum-optimism/optimism snapshot of 2024-10): one list for every chain, since the
/// `opstack` entry of each record tells the chains apart.
pub const OP_NODE_BOOTNODES: &[&str] = &[
    // OP Labs
    "enode://869d07b5932f17e8490990f75a3f94195e9504ddb6b85f7189e5a9c0a8fff8b00aecf6f3ac450ecba6cdabdb5858788a94bde2b613e0f2d82e9b395355f76d1a@34.65.67.101:30305",
    "enode://2d4e7e9d48f4dd4efe9342706dd1b0024681bd4c3300d021f86fc75eab7865d4e0cbec6fbc883f011cfd6a57423e7e2f6e104baad2b744c3cafaec6bc7dc92c1@34.65.43.171:30305",
    "enode://9d7a3efefe442351217e73b3a593bcb8efffb55b4807699972145324eab5e6b382152f8d24f6301baebbfb5ecd4127bd3faab2842c04cd432bdf50ba092f6645@34.65.109.126:30305",
    // Base
    "enr:-J24QNz9lbrKbN4iSmmjtnr7SjUMk4zB7f1krHZcTZx-JRKZd0kA2gjufUROD6T3sOWDVDnFJRvqBBo62zuF-hYCohOGAYiOoEyEgmlkgnY0gmlwhAPniryHb3BzdGFja4OFQgCJc2VjcDI1NmsxoQKNVFlCxh_B-716tTs-h1vMzZkSs1FTu_OYTNjgufplG4N0Y3CCJAaDdWRwgiQG",
    "enr:-J24QH-f1wt99sfpHy4c0QJM-NfmsIfmlLAMMcgZCUEgKG_BBYFc6FwYgaMJMQN5dsRBJApIok0jFn-9CS842lGpLmqGAYiOoDRAgmlkgnY0gmlwhLhIgb2Hb3BzdGFja4OFQgCJc2VjcDI1NmsxoQJ9FTIv8B9myn1MWaC_2lJ-sMoeCDkusCsk4BYHjjCq04N0Y3CCJAaDdWRwgiQG",
    "enr:-J24QDXyyxvQYsd0yfsN0cRr1lZ1N11zGTplMNlW4xNEc7LkPXh0NAJ9iSOVdRO95GPYAIc6xmyoCCG6_0JxdL3a0zaGAYiOoAjFgmlkgnY0gmlwhAPckbGHb3BzdGFja4OFQgCJc2VjcDI1NmsxoQJwoS7tzwxqXSyFL7g0JM-KWVbgvjfB8JA__T7yY_cYboN0Y3CCJAaDdWRwgiQG",
    "enr:-J24QHmGyBwUZXIcsGYMaUqGGSl4CFdx9Tozu-vQCn5bHIQbR7On7dZbU61vYvfrJr30t0iahSqhc64J46MnUO2JvQaGAYiOoCKKgmlkgnY0gmlwhAPnCzSHb3BzdGFja4OFQgCJc2VjcDI1NmsxoQINc4fSijfbNIiGhcgvwjsjxVFJHUstK9L1T8OTKUjgloN0Y3CCJAaDdWRwgiQG",
    "enr:-J24QG3ypT4xSu0gjb5PABCmVxZqBjVw9ca7pvsI8jl4KATYAnxBmfkaIuEqy9sKvDHKuNCsy57WwK9wTt2aQgcaDDyGAYiOoGAXgmlkgnY0gmlwhDbGmZaHb3BzdGFja4OFQgCJc2VjcDI1NmsxoQIeAK_--tcLEiu7HvoUlbV52MspE0uCocsx1f_rYvRenIN0Y3CCJAaDdWRwgiQG",
    // Conduit (op-node lists this OP Labs node twice; once is enough)
];

/// The built-in bootnodes of a chain: op-node's list for OP Mainnet and OP Sepolia, none for
/// any other chain.
pub fn built_in(chain_id: u64) -> Vec<BootNode> {
    match chain_id {
        OP_MAINNET | OP_SEPOLIA => {
            OP_NODE_BOOTNODES.iter().map(|s| s.parse().expect("the built-in list parses")).collect()
        }
        _ => Vec::new(),
    }
}

/// A node discovery starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BootNode {
    /// A signed node record.
    Enr(Box<Enr>),
    /// An enode URL: a secp256k1 key and the discv5 UDP address; its record is asked for.
    Enode {
        /// The node's public key.
        key: k256::ecdsa::VerifyingKey,
        /// Its discovery address.
        udp: SocketAddr,
    },
}

impl BootNode {
    /// The discv5 address of an enode (`/ip4/…/udp/…/p2p/<peer id>`), to ask for its record;
    /// `None` for a record.
    pub fn enode_multiaddr(&self) -> Option<Multiaddr> {
        let Self::Enode { key, udp } = self else { return None };
        let peer = super::enr::key_peer_id(key)?;
        Some(Multiaddr::from(udp.ip()).with(Protocol::Udp(udp.port())).with(Protocol::P2p(peer)))
    }
}

/// Why a bootnode could not be read; the text is the one given, which is public.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a bootnode must be an ENR (enr:-…) or an enode URL (enode://<128 hex digits>@<ip>:<port>[?discport=<port>]), not {0:?}")]
pub struct BootNodeError(String);

impl FromStr for BootNode {
    type Err = BootNodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let bad = || BootNodeError(s.to_string());
        if s.starts_with("enr:") {
            let enr: Enr = s.parse().map_err(|_| bad())?;
            return Ok(Self::Enr(Box::new(enr)));
        }
        let rest = s.strip_prefix("enode://").ok_or_else(bad)?;
        let (key, addr) = rest.split_once('@').ok_or_else(bad)?;
        let (addr, query) = addr.split_once('?').unwrap_or((addr, ""));
        let mut udp: SocketAddr = addr.parse().map_err(|_| bad())?;
        if let Some(port) = query.strip_prefix("discport=") {
            udp.set_port(port.parse().map_err(|_| bad())?);
        } else if !query.is_empty() {
            return Err(bad());
        }
        let key = alloy_primitives::hex::decode(key).map_err(|_| bad())?;
        if key.len() != 64 {
            return Err(bad());
        }
        let mut sec1 = vec![0x04];
        sec1.extend_from_slice(&key);
        let key = k256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).map_err(|_| bad())?;
        Ok(Self::Enode { key, udp })
    }
}

impl fmt::Display for BootNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Enr(enr) => f.write_str(&enr.to_base64()),
            Self::Enode { key, udp } => {
                let point = key.to_encoded_point(false);
                let hex = alloy_primitives::hex::encode(&point.as_bytes()[1..]);
                write!(f, "enode://{hex}@{udp}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_lists_parse_and_only_op_chains_have_them() {
        let list = built_in(OP_MAINNET);
        assert_eq!(list.len(), OP_NODE_BOOTNODES.len());
        assert_eq!(built_in(OP_SEPOLIA), list);
        assert!(built_in(8453).is_empty() && built_in(901).is_empty());
        let enodes = list.iter().filter(|b| matches!(b, BootNode::Enode { .. })).count();
        assert_eq!(enodes, 3);
        // Written back as given.
        for (node, text) in list.iter().zip(OP_NODE_BOOTNODES) {
            assert_eq!(&node.to_string(), text);
        }
    }

    #[test]
    fn an_enode_gives_its_discovery_address_and_port() {
        let first: BootNode = OP_NODE_BOOTNODES[0].parse().unwrap();
        let addr = first.enode_multiaddr().unwrap().to_string();
        assert!(addr.starts_with("/ip4/34.65.67.101/udp/30305/p2p/16Uiu2"), "{addr}");
        let with_disc = OP_NODE_BOOTNODES[0].replace(":30305", ":0?discport=30301");
        let BootNode::Enode { udp, .. } = with_disc.parse().unwrap() else { panic!("an enode") };
        assert_eq!(udp.port(), 30301);
        let enr: BootNode = OP_NODE_BOOTNODES[3].parse().unwrap();
        assert!(enr.enode_multiaddr().is_none());
    }

    #[test]
    fn bad_bootnodes_are_refused_with_the_text_given() {
        let key = &OP_NODE_BOOTNODES[0][8..136];
        for bad in [
            "",
            "enr:-notbase64!",
            "enode://abcd@1.2.3.4:30303",
            &format!("enode://{key}@nowhere:30303"),
            &format!("enode://{key}@1.2.3.4:30303?discport=x"),
            &format!("enode://{key}@1.2.3.4:30303?other=1"),
            &format!("enode://{}@1.2.3.4:30303", "00".repeat(64)),
            "/ip4/1.2.3.4/tcp/9222",
        ] {
            let err = bad.parse::<BootNode>().unwrap_err();
            assert!(err.to_string().contains(&format!("{:?}", bad.trim())), "{err}");
        }
    }
}
