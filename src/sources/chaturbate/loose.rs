//! Field types that accept whatever the platform sends: a value of the wrong type becomes `None` instead of
//! failing the whole event (the real API is loose; one odd flag must not lose a tip).

use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use std::marker::PhantomData;

/// Any JSON value, reduced to what the loose fields can use.
enum Scalar {
    Bool(bool),
    Unsigned(u64),
    Str(String),
    Other,
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Unsigned(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(u64::try_from(v).map_or(Scalar::Other, Scalar::Unsigned))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Str(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }
    fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
}

macro_rules! loose_scalar {
    ($(#[$doc:meta])* $name:ident, $inner:ty, $variant:ident) => {
        $(#[$doc])*
        #[derive(Debug, Default, Clone, PartialEq, Eq)]
        pub struct $name(pub Option<$inner>);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok($name(match d.deserialize_any(ScalarVisitor)? {
                    Scalar::$variant(v) => Some(v),
                    _ => None,
                }))
            }
        }
    };
}

loose_scalar!(
    /// A bool, or `None` for anything else.
    LooseBool, bool, Bool
);
loose_scalar!(
    /// A string, or `None` for anything else.
    LooseStr, String, Str
);
loose_scalar!(
    /// A whole number ≥ 0, or `None` (strings, fractions and negatives are not amounts).
    LooseCount, u64, Unsigned
);

/// A nested object parsed as `T`, or `None` when the value is not an object (or does not fit `T`).
#[derive(Debug, Clone, PartialEq)]
pub struct LooseObj<T>(pub Option<T>);

impl<T> Default for LooseObj<T> {
    fn default() -> Self {
        LooseObj(None)
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for LooseObj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: DeserializeOwned> Visitor<'de> for V<T> {
            type Value = LooseObj<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<LooseObj<T>, A::Error> {
                // T's fields are loose themselves, so this only fails on truly broken input.
                Ok(LooseObj(Some(T::deserialize(
                    de::value::MapAccessDeserializer::new(map),
                )?)))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<LooseObj<T>, E> {
                Ok(LooseObj(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<LooseObj<T>, E> {
                Ok(LooseObj(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<LooseObj<T>, E> {
                Ok(LooseObj(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<LooseObj<T>, E> {
                Ok(LooseObj(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<LooseObj<T>, E> {
                Ok(LooseObj(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<LooseObj<T>, E> {
                Ok(LooseObj(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<LooseObj<T>, E> {
                Ok(LooseObj(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<LooseObj<T>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(LooseObj(None))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}
