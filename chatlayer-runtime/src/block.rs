//! [`BlockId`]: the id of a Chatlayer block (a "dialog state").

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// The id of a Chatlayer block, also called a dialog state.
///
/// Chatlayer treats it as an opaque string (UUIDs in current bots, numbers in old ones). The
/// usual way to get one is a `dialogstate` row in the API step: the bot builder picks a block
/// from a dropdown and Chatlayer sends its id, which the step echoes back to say where the
/// conversation goes next. As an argument, `on_success: BlockId` reads the parameter
/// `on_success` (a number is accepted and kept as its decimal text).
///
/// ```
/// use chatlayer_runtime::BlockId;
///
/// let block = BlockId::new("eedeb3df-ebb1-46c0-836f-b85b784c42b1");
/// assert_eq!(block.as_str(), "eedeb3df-ebb1-46c0-836f-b85b784c42b1");
/// assert_eq!(serde_json::to_string(&block).unwrap(), "\"eedeb3df-ebb1-46c0-836f-b85b784c42b1\"");
/// assert_eq!(serde_json::from_str::<BlockId>("3050").unwrap(), BlockId::new("3050"));
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockId(String);

impl BlockId {
    /// Wraps a block id, e.g. one copied from the block's settings in Chatlayer.
    pub fn new(id: impl Into<String>) -> Self {
        BlockId(id.into())
    }

    /// The id as Chatlayer sends and expects it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Unwraps the id.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlockId({:?})", self.0)
    }
}

impl fmt::Display for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for BlockId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for BlockId {
    fn from(id: &str) -> Self {
        BlockId::new(id)
    }
}

impl From<String> for BlockId {
    fn from(id: String) -> Self {
        BlockId(id)
    }
}

impl From<&BlockId> for BlockId {
    fn from(id: &BlockId) -> Self {
        id.clone()
    }
}

impl Serialize for BlockId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for BlockId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BlockIdVisitor;

        impl Visitor<'_> for BlockIdVisitor {
            type Value = BlockId;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a block id (a string, as a `dialogstate` row sends it)")
            }

            fn visit_str<E: de::Error>(self, id: &str) -> Result<BlockId, E> {
                Ok(BlockId::new(id))
            }

            fn visit_string<E: de::Error>(self, id: String) -> Result<BlockId, E> {
                Ok(BlockId(id))
            }

            fn visit_u64<E: de::Error>(self, id: u64) -> Result<BlockId, E> {
                Ok(BlockId(id.to_string()))
            }

            fn visit_i64<E: de::Error>(self, id: i64) -> Result<BlockId, E> {
                Ok(BlockId(id.to_string()))
            }
        }

        // `deserialize_any`, so that a legacy numeric id (`3050`) reaches `visit_u64`.
        deserializer.deserialize_any(BlockIdVisitor)
    }
}
