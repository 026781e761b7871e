//! The checkpoint wire format: an 8-byte magic and version, a postcard body naming the model kind, the partition,
//! the next offset and the state, then a 64-bit FNV-1a checksum of everything before it. Another version or model
//! kind is refused as incompatible; a wrong checksum or a truncated body is refused as corrupt.

use serde::{Deserialize, Serialize};

use super::{Checkpoint, CheckpointError};

/// Magic and format version.
const MAGIC: &[u8; 8] = b"AUGURCP1";
/// The magic's prefix shared by every version, to tell "another version" from "not a checkpoint".
const FAMILY: &[u8; 7] = b"AUGURCP";
const CHECKSUM_BYTES: usize = 8;

#[derive(Serialize, Deserialize)]
struct Body<'a> {
    kind: &'a str,
    partition: i32,
    next_offset: i64,
    #[serde(borrow)]
    state: &'a [u8],
}

/// Encodes `checkpoint` of a model of `kind` (e.g. `anomaly`).
pub fn encode(kind: &str, checkpoint: &Checkpoint) -> Vec<u8> {
    let body =
        Body { kind, partition: checkpoint.partition, next_offset: checkpoint.next_offset, state: &checkpoint.state };
    // Serialising borrowed primitives into a Vec cannot fail; an empty body would be refused on decode anyway.
    let mut bytes = postcard::to_extend(&body, MAGIC.to_vec()).unwrap_or_else(|_| MAGIC.to_vec());
    let checksum = fnv1a(&bytes);
    bytes.extend_from_slice(&checksum.to_le_bytes());
    bytes
}

/// Decodes a checkpoint written by [`encode`] for a model of `kind`.
pub fn decode(kind: &str, bytes: &[u8]) -> Result<Checkpoint, CheckpointError> {
    if bytes.len() < MAGIC.len() + CHECKSUM_BYTES || !bytes.starts_with(FAMILY) {
        return Err(CheckpointError::Corrupt("not an Augur checkpoint".into()));
    }
    if !bytes.starts_with(MAGIC) {
        let version = String::from_utf8_lossy(&bytes[FAMILY.len()..MAGIC.len()]).into_owned();
        return Err(CheckpointError::Incompatible(format!("format version {version}, this runtime reads version 1")));
    }
    let (content, checksum) = bytes.split_at(bytes.len() - CHECKSUM_BYTES);
    let mut stored = [0u8; CHECKSUM_BYTES];
    stored.copy_from_slice(checksum);
    if u64::from_le_bytes(stored) != fnv1a(content) {
        return Err(CheckpointError::Corrupt("checksum mismatch".into()));
    }
    let body: Body<'_> =
        postcard::from_bytes(&content[MAGIC.len()..]).map_err(|e| CheckpointError::Corrupt(e.to_string()))?;
    if body.kind != kind {
        return Err(CheckpointError::Incompatible(format!("written by a {} model, this is a {kind} model", body.kind)));
    }
    Ok(Checkpoint { partition: body.partition, next_offset: body.next_offset, state: body.state.to_vec() })
}

/// 64-bit FNV-1a: detects torn or damaged writes (not an integrity guarantee against tampering).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3))
}
