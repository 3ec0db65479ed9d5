//! [`Params<T>`]: all parameters at once, as one struct.

use std::borrow::Cow;
use std::ops::{Deref, DerefMut};

use schemars::{JsonSchema, Schema, SchemaGenerator};

use serde::de::{DeserializeOwned, Deserializer, Visitor};
use serde::forward_to_deserialize_any;

use super::{ArgSpec, FromStepRequest, ParamInfo, StepInputs, StepRequest};
use crate::error::StepError;
use crate::param_map::SentParams;
use crate::param_map::lenient::LenientMap;

/// All of a step's parameters as one struct, deserialized with serde (so `#[serde(rename)]`,
/// `#[serde(default)]`, `#[serde(rename_all)]` and friends apply) and with the same lenient
/// coercions as single parameters.
///
/// ```
/// use chatlayer_runtime::prelude::*;
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// #[serde(rename_all = "camelCase")]
/// struct Transfer {
///     amount: f64,
///     destination: String,
///     account_type: String,
///     transaction_success: BlockId,
/// }
///
/// #[api_step("/transfer")]
/// async fn transfer(form: Params<Transfer>) -> Reply {
///     Reply::new()
///         .add_message(format!("Sending {} to {}.", form.amount, form.destination))
///         .set_next_dialog_state(form.0.transaction_success)
/// }
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Params<T>(pub T);

impl<T> Params<T> {
    /// Unwraps the struct.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Params<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Params<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: DeserializeOwned + 'static> FromStepRequest for Params<T> {
    fn from_step_request(request: &StepRequest, _arg: &ArgSpec) -> Result<Self, StepError> {
        read_all(request.sent()).map(Params)
    }

    /// Documents the struct's schema, and reads exactly its fields; a struct whose fields
    /// are not known in advance (`#[serde(flatten)]`, a map) may read any parameter.
    fn describe(arg: &ArgSpec, inputs: &mut StepInputs) {
        inputs.add_param(ParamInfo::all_fields::<T>(arg));
        match struct_fields::<T>() {
            Some(fields) => inputs.add_read(fields),
            None => inputs.add_any_parameter(),
        }
    }
}

/// The names serde reads for the struct `T` (after its renames), or `None` when `T` is not a
/// plain struct: serde hands them to `deserialize_struct`, which this probe records.
fn struct_fields<T: DeserializeOwned>() -> Option<&'static [&'static str]> {
    let mut fields = None;
    let _ = T::deserialize(FieldProbe(&mut fields));
    fields
}

struct FieldProbe<'a>(&'a mut Option<&'static [&'static str]>);

impl<'de> Deserializer<'de> for FieldProbe<'_> {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("not a plain struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = Some(fields);
        Err(serde::de::Error::custom("fields recorded"))
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

fn read_all<T: DeserializeOwned>(params: &SentParams) -> Result<T, StepError> {
    // As for single parameters: the path is tracked only to explain a failure.
    if let Ok(parsed) = T::deserialize(AllParams(params)) {
        return Ok(parsed);
    }
    serde_path_to_error::deserialize(AllParams(params)).map_err(|error| {
        let path = error.path().to_string();
        let reason = error.into_inner().to_string();
        if let Some(missing) = missing_field(&reason) {
            let name = if path == "." {
                missing.to_owned()
            } else {
                format!("{path}.{missing}")
            };
            return StepError::missing_parameter(&name);
        }
        let (first, rest) = path.split_once('.').unwrap_or((&path, ""));
        if first == "." || first.is_empty() {
            StepError::bad_request(format!("the parameters do not fit: {reason}"))
        } else if rest.is_empty() {
            StepError::invalid_parameter(first, reason)
        } else {
            StepError::invalid_parameter(first, format_args!("at `{rest}`: {reason}"))
        }
    })
}

/// serde reports a missing struct field as "missing field `name`".
fn missing_field(reason: &str) -> Option<&str> {
    reason.strip_prefix("missing field `")?.split('`').next()
}

/// Every parameter as one deserializer: a map of each name once, sorted.
struct AllParams<'a>(&'a SentParams);

impl<'de> Deserializer<'de> for AllParams<'_> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_map(LenientMap::new(self.0.entries().into_iter()))
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// `Params<T>` is `T`'s fields, inlined so that the document can list them one by one.
impl<T: JsonSchema> JsonSchema for Params<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BlockId;
    use crate::param_map::ParamMap;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Deserialize, Debug)]
    #[serde(rename_all = "camelCase")]
    struct Transfer {
        amount: f64,
        account_type: String,
        transaction_success: BlockId,
        #[serde(default)]
        note: Option<String>,
    }

    #[test]
    fn reads_body_and_query_together_with_coercion() {
        let params = SentParams::decoded(ParamMap::from_parts(
            json!({ "amount": "500", "accountType": "savings", "note": "" }),
            json!({ "transactionSuccess": "ok-block", "amount": "1" }),
        ));
        let transfer: Transfer = read_all(&params).unwrap();
        assert_eq!(transfer.amount, 500.0);
        assert_eq!(transfer.account_type, "savings");
        assert_eq!(transfer.transaction_success, BlockId::new("ok-block"));
        assert_eq!(transfer.note, None);
    }

    #[test]
    fn a_scanned_body_reads_as_its_map_would() {
        let format = crate::param_map::BodyFormat::of(&axum::http::HeaderMap::new()).unwrap();
        let body = br#"{"amount": "1", "accountType": "savings", "note": "", "amount": "500"}"#;
        let params = SentParams::decode(
            format,
            Some("transactionSuccess=ok-block&amount=2"),
            body,
            100,
        )
        .unwrap();
        // The last `amount` of the body wins, over the query's too.
        let transfer: Transfer = read_all(&params).unwrap();
        assert_eq!(transfer.amount, 500.0);
        assert_eq!(transfer.account_type, "savings");
        assert_eq!(transfer.transaction_success, BlockId::new("ok-block"));
        assert_eq!(transfer.note, None);
        let names: Vec<&str> = params.entries().iter().map(|(name, _)| *name).collect();
        assert_eq!(
            names,
            ["accountType", "amount", "note", "transactionSuccess"]
        );
    }

    #[test]
    fn the_fields_of_a_plain_struct_are_known_and_a_flattened_one_reads_anything() {
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Flat {
            sku: String,
            #[serde(flatten)]
            rest: std::collections::HashMap<String, String>,
        }
        assert_eq!(
            struct_fields::<Transfer>(),
            Some(&["amount", "accountType", "transactionSuccess", "note"][..])
        );
        assert_eq!(struct_fields::<Flat>(), None);
        assert_eq!(struct_fields::<u32>(), None);
    }

    #[test]
    fn a_missing_field_is_a_missing_parameter() {
        let params = SentParams::decoded(ParamMap::from_parts(
            json!({ "amount": 1, "accountType": "x" }),
            json!({}),
        ));
        let error = read_all::<Transfer>(&params).unwrap_err();
        assert_eq!(error.code(), "missing_parameter");
        assert_eq!(error.parameter(), Some("transactionSuccess"));
    }

    #[test]
    fn a_wrong_field_is_an_invalid_parameter() {
        let params = SentParams::decoded(ParamMap::from_parts(
            json!({ "amount": "much", "accountType": "x", "transactionSuccess": "b" }),
            json!({}),
        ));
        let error = read_all::<Transfer>(&params).unwrap_err();
        assert_eq!(error.code(), "invalid_parameter");
        assert_eq!(error.parameter(), Some("amount"));
    }
}
