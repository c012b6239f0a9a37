//! The node's libp2p identity: a secp256k1 key kept in a file as hex, like op-node's
//! `opnode_p2p_priv.txt`, created on first start (readable by its owner only) so the peer id
//! stays the same across restarts.

use libp2p::identity::{secp256k1, Keypair};
use std::path::Path;

/// Why the node key could not be read or created; the messages never hold the key.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Reading or writing the file failed.
    #[error("the P2P node key file {path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The file does not hold a secp256k1 private key in hex.
    #[error("the P2P node key file {0} does not hold a secp256k1 private key in hex")]
    Invalid(String),
}

/// The keypair in `path`; a new one, written there, when the file does not exist.
pub fn load_or_create(path: &Path) -> Result<Keypair, IdentityError> {
    let io = |e: std::io::Error| IdentityError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&text).ok_or_else(|| IdentityError::Invalid(path.display().to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = secp256k1::SecretKey::generate();
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            write_private(path, &alloy_primitives::hex::encode(key.to_bytes())).map_err(io)?;
            Ok(secp256k1::Keypair::from(key).into())
        }
        Err(e) => Err(io(e)),
    }
}

fn parse(text: &str) -> Option<Keypair> {
    let text = text.trim();
    let mut bytes = alloy_primitives::hex::decode(text.strip_prefix("0x").unwrap_or(text)).ok()?;
    let key = secp256k1::SecretKey::try_from_bytes(&mut bytes).ok()?;
    Some(secp256k1::Keypair::from(key).into())
}

/// Creates `path` (it must not exist) readable and writable by its owner only.
pub fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_created_once_and_read_back() {
        let dir = std::env::temp_dir().join(format!("p2p-identity-{}", std::process::id()));
        let path = dir.join("sub").join("opnode_p2p_priv.txt");
        let _ = std::fs::remove_dir_all(&dir);
        let first = load_or_create(&path).unwrap();
        let again = load_or_create(&path).unwrap();
        assert_eq!(first.public().to_peer_id(), again.public().to_peer_id());
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.len(), 64, "hex of 32 bytes");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not hex").unwrap();
        let err = load_or_create(&path).unwrap_err();
        assert!(matches!(err, IdentityError::Invalid(_)), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_key_from_op_node_is_read() {
        // op-node writes the key as bare hex; 0x and a newline are accepted too.
        let key = "0x".to_owned() + &"11".repeat(32) + "\n";
        let keypair = parse(&key).unwrap();
        let bare = parse(&"11".repeat(32)).unwrap();
        assert_eq!(keypair.public(), bare.public());
        assert!(parse(&"00".repeat(32)).is_none(), "zero is not a secp256k1 key");
    }
}
