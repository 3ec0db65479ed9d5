//! JSON Schemas of step arguments, from `schemars`, without requiring `JsonSchema`.
//!
//! The macros ask every argument type for its schema through [`SchemaProbe`]. A type that
//! implements [`JsonSchema`] answers with its schema; any other type still compiles and is
//! documented as "any value" (the OpenAPI document says which type is missing a schema).
//! This is autoref specialization: it works because the generated code names concrete types.

use std::borrow::Cow;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use crate::BlockId;

/// Produces a type's JSON Schema with a given generator (which collects shared definitions).
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// The extension keyword that marks a parameter as a block id, in the OpenAPI document.
pub const BLOCK_ID_EXTENSION: &str = "x-chatlayer-dialog-state";

/// Asks `T` for its schema; see the module docs.
#[doc(hidden)]
pub struct SchemaProbe<T: ?Sized>(PhantomData<fn() -> T>);

impl<T: ?Sized> SchemaProbe<T> {
    /// The probe for `T`.
    pub const NEW: Self = SchemaProbe(PhantomData);
}

/// Chosen when `T: JsonSchema` (method resolution finds it before autoref).
#[doc(hidden)]
pub trait ViaJsonSchema {
    /// `T`'s schema.
    fn schema_fn(&self) -> Option<SchemaFn>;
}

impl<T: ?Sized + JsonSchema> ViaJsonSchema for SchemaProbe<T> {
    fn schema_fn(&self) -> Option<SchemaFn> {
        Some(|generator| generator.subschema_for::<T>())
    }
}

/// Chosen for every other `T` (reached only through one more autoref).
#[doc(hidden)]
pub trait WithoutJsonSchema {
    /// No schema.
    fn schema_fn(&self) -> Option<SchemaFn>;
}

impl<T: ?Sized> WithoutJsonSchema for &SchemaProbe<T> {
    fn schema_fn(&self) -> Option<SchemaFn> {
        None
    }
}

/// The session data a step declares with `session = Type`: a type the OpenAPI document can
/// describe as the reply's `session.data`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot document the step's session data",
    label = "the OpenAPI document needs this type's JSON Schema",
    note = "derive it next to Serialize: `#[derive(Serialize, schemars::JsonSchema)]`"
)]
pub trait SessionSchema {
    /// The type's schema.
    fn session_schema(generator: &mut SchemaGenerator) -> Schema;
}

impl<T: JsonSchema> SessionSchema for T {
    fn session_schema(generator: &mut SchemaGenerator) -> Schema {
        generator.subschema_for::<T>()
    }
}

/// The schema of a step's `session = Type`, as a [`SchemaFn`].
#[doc(hidden)]
pub fn session_schema<T: SessionSchema>(generator: &mut SchemaGenerator) -> Schema {
    T::session_schema(generator)
}

/// A block id is a string; the schema says what the bot builder does with it.
impl JsonSchema for BlockId {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "BlockId".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "The id of a Chatlayer bot block (a dialog state). In the API step, \
                            map this parameter with a Dialog state row and pick the block.",
            BLOCK_ID_EXTENSION: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoSchema;

    /// What the generated code does: the leading `&` is what lets the fallback be found.
    macro_rules! probe {
        ($ty:ty) => {{
            #[allow(unused_imports)]
            use super::{ViaJsonSchema as _, WithoutJsonSchema as _};
            #[allow(clippy::needless_borrow)]
            let found = (&SchemaProbe::<$ty>::NEW).schema_fn();
            found.is_some()
        }};
    }

    #[test]
    fn types_with_a_schema_are_found_and_others_compile_without_one() {
        assert!(probe!(u32));
        assert!(probe!(BlockId));
        assert!(!probe!(NoSchema));
        assert!(!probe!(std::sync::Mutex<NoSchema>));
    }

    #[test]
    fn a_block_id_is_a_marked_string_even_when_optional() {
        let mut generator = SchemaGenerator::default();
        let schema = generator.subschema_for::<Option<BlockId>>();
        let value = schema.as_value();
        assert_eq!(value["type"], serde_json::json!(["string", "null"]));
        assert_eq!(value[BLOCK_ID_EXTENSION], true);
    }
}
