//! Reads JSON request bodies the way the public partner-center service reads them: member
//! names match case-insensitively (`Quantity` is `quantity`), `null` stands for an empty list,
//! enum values match in any case, and members the target does not know are ignored. A known
//! member given in two spellings is an error rather than a silent choice.
//!
//! It works for every body type at once: serde tells a deserializer the names of a struct's
//! fields and an enum's variants, so this wrapper renames the incoming members to the exact
//! names before the derived code sees them.

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::forward_to_deserialize_any;
use serde_json::{Map, Value};

type Error = serde_json::Error;

/// A JSON value to be read leniently.
pub struct Lenient(pub Value);

/// Deserializes `value` leniently, keeping the path of a failure (`lineItems[0].quantity`).
pub fn from_value<T: de::DeserializeOwned>(
    value: Value,
) -> Result<T, serde_path_to_error::Error<Error>> {
    serde_path_to_error::deserialize(Lenient(value))
}

/// Rewrites the member names of a free-form object (one this server stores as given, like a
/// billing profile) to camelCase, so `Email` and `email` are one member.
pub fn camel_keys(value: Value) -> Value {
    match value {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let mut chars = k.chars();
                    let key = match chars.next() {
                        Some(c) => c.to_ascii_lowercase().to_string() + chars.as_str(),
                        None => k,
                    };
                    (key, camel_keys(v))
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(camel_keys).collect()),
        other => other,
    }
}

/// Renames `obj`'s members to the field names they match, ignoring case; drops the rest.
fn match_fields(
    obj: Map<String, Value>,
    fields: &[&'static str],
) -> Result<Map<String, Value>, Error> {
    let mut out = Map::with_capacity(obj.len());
    for (key, value) in obj {
        let Some(name) = fields
            .iter()
            .find(|f| **f == key)
            .or_else(|| fields.iter().find(|f| f.eq_ignore_ascii_case(&key)))
        else {
            continue;
        };
        if out.contains_key(*name) {
            return Err(de::Error::custom(format!(
                "the member `{name}` is given twice (member names are not case-sensitive)"
            )));
        }
        out.insert((*name).to_string(), value);
    }
    Ok(out)
}

fn variant_named(s: &str, variants: &[&'static str]) -> Option<&'static str> {
    variants
        .iter()
        .find(|v| **v == s)
        .or_else(|| variants.iter().find(|v| v.eq_ignore_ascii_case(s)))
        .copied()
}

struct Members(serde_json::map::IntoIter, Option<Value>);

impl<'de> MapAccess<'de> for Members {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.0.next() {
            Some((k, v)) => {
                self.1 = Some(v);
                seed.deserialize(k.into_deserializer()).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let v = self.1.take().unwrap_or(Value::Null);
        seed.deserialize(Lenient(v))
    }
}

struct Elements(std::vec::IntoIter<Value>);

impl<'de> SeqAccess<'de> for Elements {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.0
            .next()
            .map(|v| seed.deserialize(Lenient(v)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

impl<'de> de::Deserializer<'de> for Lenient {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(m) => visitor.visit_map(Members(m.into_iter(), None)),
            Value::Array(a) => visitor.visit_seq(Elements(a.into_iter())),
            other => de::Deserializer::deserialize_any(other, visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            other => visitor.visit_some(Lenient(other)),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_seq(Elements(Vec::new().into_iter())),
            Value::Array(a) => visitor.visit_seq(Elements(a.into_iter())),
            other => de::Deserializer::deserialize_seq(other, visitor),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(m) => visitor.visit_map(Members(m.into_iter(), None)),
            other => de::Deserializer::deserialize_map(other, visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(m) => {
                let m = match_fields(m, fields)?;
                visitor.visit_map(Members(m.into_iter(), None))
            }
            other => de::Deserializer::deserialize_struct(other, name, fields, visitor),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let value = match self.0 {
            Value::String(s) => {
                Value::String(variant_named(&s, variants).map(str::to_string).unwrap_or(s))
            }
            Value::Object(m) if m.len() == 1 => Value::Object(
                m.into_iter()
                    .map(|(k, v)| {
                        (
                            variant_named(&k, variants).map(str::to_string).unwrap_or(k),
                            v,
                        )
                    })
                    .collect(),
            ),
            other => other,
        };
        de::Deserializer::deserialize_enum(value, name, variants, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct tuple tuple_struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Line {
        catalog_item_id: String,
        quantity: i64,
        #[serde(default)]
        participants: Vec<String>,
        billing_cycle: Option<Cycle>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Cycle {
        Monthly,
        Annual,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase")]
    struct Cart {
        line_items: Vec<Line>,
    }

    #[test]
    fn member_names_match_in_any_case_and_unknown_members_are_ignored() {
        let cart: Cart = from_value(
            json!({"LineItems": [{"CatalogItemId": "A:B:C", "QUANTITY": 2,
            "Participants": null, "BillingCycle": "Monthly", "FriendlyName": "x"}], "Id": "c1"}),
        )
        .unwrap();
        assert_eq!(
            cart.line_items,
            vec![Line {
                catalog_item_id: "A:B:C".into(),
                quantity: 2,
                participants: vec![],
                billing_cycle: Some(Cycle::Monthly),
            }]
        );
    }

    #[test]
    fn a_member_given_in_two_spellings_is_refused_with_its_path() {
        let e = from_value::<Cart>(
            json!({"lineItems": [{"catalogItemId": "A", "quantity": 1, "Quantity": 2}]}),
        )
        .unwrap_err();
        assert_eq!(e.path().to_string(), "lineItems[0]");
        assert!(
            e.inner().to_string().contains("`quantity` is given twice"),
            "{e}"
        );
    }

    #[test]
    fn missing_and_mistyped_members_still_fail() {
        let e = from_value::<Cart>(json!({"lineItems": [{"catalogItemId": "A"}]})).unwrap_err();
        assert!(e.to_string().contains("quantity"), "{e}");
        let e =
            from_value::<Cart>(json!({"lineItems": [{"catalogItemId": "A", "quantity": "two"}]}))
                .unwrap_err();
        assert_eq!(e.path().to_string(), "lineItems[0].quantity");
        let e = from_value::<Cart>(
            json!({"lineItems": [{"catalogItemId": "A", "quantity": 1, "billingCycle": "weekly"}]}),
        )
        .unwrap_err();
        assert_eq!(e.path().to_string(), "lineItems[0].billingCycle");
    }

    #[test]
    fn free_form_maps_keep_their_keys() {
        let v: std::collections::BTreeMap<String, Value> =
            from_value(json!({"CompanyName": "Contoso", "x": [1]})).unwrap();
        assert!(v.contains_key("CompanyName") && v.contains_key("x"));
    }
}
