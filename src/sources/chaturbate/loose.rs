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
    /// A negative whole number.
    Negative,
    Float(f64),
    Str(String),
    Null,
    /// An object or a list.
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
        Ok(u64::try_from(v).map_or(Scalar::Negative, Scalar::Unsigned))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Str(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
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

/// An integral float within `u64` (`25.0`, `1e3`), as the whole number it is.
fn whole(v: f64) -> Option<u64> {
    // 2^64 is the first float above u64::MAX; `as` would saturate, so the range is checked first.
    (v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 18_446_744_073_709_551_616.0)
        .then_some(v as u64)
}

macro_rules! loose {
    ($(#[$doc:meta])* $name:ident, $inner:ty, |$s:ident| $map:expr) => {
        $(#[$doc])*
        #[derive(Debug, Default, Clone, PartialEq, Eq)]
        pub struct $name(pub Option<$inner>);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let $s = d.deserialize_any(ScalarVisitor)?;
                Ok($name($map))
            }
        }
    };
}

loose!(
    /// A bool, also written as `"true"`/`"false"`/`"1"`/`"0"` or `1`/`0`; `None` for anything else.
    LooseBool, bool, |s| match s {
        Scalar::Bool(b) => Some(b),
        Scalar::Unsigned(0) => Some(false),
        Scalar::Unsigned(1) => Some(true),
        Scalar::Str(t) => match t.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
);
loose!(
    /// A string, or `None` for anything else.
    LooseStr, String, |s| match s {
        Scalar::Str(t) => Some(t),
        _ => None,
    }
);
loose!(
    /// A short string (an id, a user name), or `None` for anything else.
    LooseShort, crate::event::ShortText, |s| match s {
        Scalar::Str(t) => Some(t.into()),
        _ => None,
    }
);
loose!(
    /// A string from a small open set ([`known_tag`]): a known value as its shared static, any other as sent;
    /// `None` for anything but a string.
    LooseTag, crate::event::Tag, |s| match s {
        Scalar::Str(t) => Some(known_tag(&t).map_or(std::borrow::Cow::Owned(t), std::borrow::Cow::Borrowed)),
        _ => None,
    }
);
loose!(
    /// A whole number ≥ 0, also written as an integral float (`25.0`) or a numeric string (`"25"`); `None`
    /// for fractions, negatives and anything else (an amount that cannot be read is not money).
    LooseCount, u64, |s| match s {
        Scalar::Unsigned(n) => Some(n),
        Scalar::Float(f) => whole(f),
        Scalar::Str(t) => {
            let t = t.trim();
            t.parse::<u64>().ok().or_else(|| t.parse::<f64>().ok().and_then(whole))
        }
        _ => None,
    }
);
loose!(
    /// A flag where a wrong "no" would be worse than a wrong "yes" (anonymity): `false` only when it clearly
    /// says so (`false`, `0`, `"false"`, `"0"`, `"no"`, `""`, `null`); any other value present means `true`.
    /// Absent: `None`.
    CautiousFlag, bool, |s| Some(match s {
        Scalar::Bool(b) => b,
        Scalar::Unsigned(n) => n != 0,
        Scalar::Float(f) => f != 0.0,
        Scalar::Str(t) => !says_no(&t),
        Scalar::Null => false,
        Scalar::Negative | Scalar::Other => true,
    })
);

/// The values of `recentTips` and `colorGroup` that Chaturbate documents (chaturbate.md, `user`), as shared
/// statics.
pub fn known_tag(text: &str) -> Option<&'static str> {
    const KNOWN: [&str; 13] = [
        "none", "few", "some", "lots", "tons", "o", "m", "f", "l", "p", "tr", "t", "g",
    ];
    KNOWN.into_iter().find(|k| *k == text)
}

/// A string that clearly means "no".
pub fn says_no(text: &str) -> bool {
    matches!(
        text.trim().to_ascii_lowercase().as_str(),
        "" | "false" | "0" | "no" | "null"
    )
}

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
