//! Hive type strings (`decimal(10,2)`, `array<struct<a:int>>`) → [`Type`].

use crate::diagnostic::did_you_mean;
use crate::span::is_hidden_char;
use crate::types::{StructField, Type};
use serde::Serialize;

/// Deeper nesting than any real schema; bounds recursion on hostile input.
pub const MAX_DEPTH: usize = 100;

/// Every type name, for "did you mean".
#[rustfmt::skip]
const NAMES: [&str; 18] = [
    "boolean", "tinyint", "smallint", "int", "integer", "bigint", "float", "double", "decimal",
    "string", "varchar", "char", "date", "timestamp", "binary", "array", "map", "struct",
];

/// Why a type string did not parse, and where (a byte offset into the string).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HiveTypeError {
    pub offset: usize,
    pub message: String,
}

/// Parses a Hive type, case-insensitively, with whitespace allowed around tokens. Struct field
/// names keep their spelling (the catalog lower-cases them).
pub fn parse_hive_type(text: &str) -> Result<Type, HiveTypeError> {
    let mut p = Parser { text, pos: 0 };
    let ty = p.ty(0)?;
    p.skip_ws();
    if p.pos < text.len() {
        return Err(p.error_at(p.pos, "unexpected text after the type"));
    }
    Ok(ty)
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn error_at(&self, offset: usize, message: impl Into<String>) -> HiveTypeError {
        HiveTypeError {
            offset: offset.min(self.text.len()),
            message: message.into(),
        }
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_whitespace()) {
            self.pos += self.peek().map_or(1, char::len_utf8);
        }
    }

    fn peek(&self) -> Option<char> {
        self.text.get(self.pos..).and_then(|s| s.chars().next())
    }

    /// Skips whitespace, then consumes `c` or fails naming what was expected.
    fn expect(&mut self, c: char, what: &str) -> Result<(), HiveTypeError> {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error_at(self.pos, format!("expected {what}, found {}", self.found())))
        }
    }

    fn found(&self) -> String {
        match self.peek() {
            Some(c) => format!("`{c}`"),
            None => "the end of the type".to_string(),
        }
    }

    fn word(&mut self) -> (usize, &str) {
        self.skip_ws();
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            self.pos += 1;
        }
        (start, self.text.get(start..self.pos).unwrap_or(""))
    }

    fn number(&mut self, what: &str) -> Result<(usize, u64), HiveTypeError> {
        self.skip_ws();
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let digits = self.text.get(start..self.pos).unwrap_or("");
        if digits.is_empty() {
            return Err(self.error_at(start, format!("expected {what}, found {}", self.found())));
        }
        // Too many digits saturates, and the range check below rejects it.
        Ok((start, digits.parse::<u64>().unwrap_or(u64::MAX)))
    }

    fn ty(&mut self, depth: usize) -> Result<Type, HiveTypeError> {
        let (start, word) = self.word();
        if depth >= MAX_DEPTH {
            return Err(self.error_at(
                start,
                format!("the type is nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        let name = word.to_ascii_lowercase();
        match name.as_str() {
            "boolean" => Ok(Type::Boolean),
            "tinyint" => Ok(Type::TinyInt),
            "smallint" => Ok(Type::SmallInt),
            "int" | "integer" => Ok(Type::Int),
            "bigint" => Ok(Type::BigInt),
            "float" => Ok(Type::Float),
            "double" => Ok(Type::Double),
            "string" => Ok(Type::String),
            "date" => Ok(Type::Date),
            "timestamp" => Ok(Type::Timestamp),
            "binary" => Ok(Type::Binary),
            "decimal" => self.decimal(),
            "varchar" => Ok(Type::Varchar {
                length: self.length("varchar", 65535)?,
            }),
            "char" => Ok(Type::Char {
                length: self.length("char", 255)?,
            }),
            "array" => {
                self.expect('<', "`<` after `array`")?;
                let element = self.ty(depth + 1)?;
                self.expect('>', "`>` closing `array<`")?;
                Ok(Type::Array {
                    element: Box::new(element),
                })
            }
            "map" => self.map(depth),
            "struct" => self.structure(depth),
            "uniontype" => Err(self.error_at(start, "`uniontype` is not supported")),
            "" => Err(self.error_at(start, format!("expected a type, found {}", self.found()))),
            _ => {
                let mut message = format!("unknown type `{word}`");
                if let Some(s) = did_you_mean(&name, NAMES) {
                    message.push_str(&format!(" (did you mean `{s}`?)"));
                }
                Err(self.error_at(start, message))
            }
        }
    }

    fn decimal(&mut self) -> Result<Type, HiveTypeError> {
        self.skip_ws();
        if self.peek() != Some('(') {
            return Ok(Type::Decimal {
                precision: 10,
                scale: 0,
            });
        }
        self.pos += 1;
        let (p_at, precision) = self.number("a precision")?;
        if !(1..=38).contains(&precision) {
            return Err(self.error_at(
                p_at,
                format!("decimal precision must be 1 to 38, not {precision}"),
            ));
        }
        self.skip_ws();
        let mut scale = 0;
        if self.peek() == Some(',') {
            self.pos += 1;
            let (s_at, s) = self.number("a scale")?;
            if s > precision {
                return Err(self.error_at(
                    s_at,
                    format!("decimal scale must be 0 to {precision}, not {s}"),
                ));
            }
            scale = s;
        }
        self.expect(')', "`)` closing `decimal(`")?;
        let (precision, scale) = (
            u8::try_from(precision).unwrap_or(38),
            u8::try_from(scale).unwrap_or(0),
        );
        Ok(Type::Decimal { precision, scale })
    }

    fn length(&mut self, name: &str, max: u64) -> Result<u32, HiveTypeError> {
        self.expect('(', &format!("`(` and a length after `{name}`"))?;
        let (at, n) = self.number("a length")?;
        if !(1..=max).contains(&n) {
            return Err(self.error_at(at, format!("{name} length must be 1 to {max}, not {n}")));
        }
        self.expect(')', &format!("`)` closing `{name}(`"))?;
        Ok(u32::try_from(n).unwrap_or(1))
    }

    fn map(&mut self, depth: usize) -> Result<Type, HiveTypeError> {
        self.expect('<', "`<` after `map`")?;
        self.skip_ws();
        let key_at = self.pos;
        let key = self.ty(depth + 1)?;
        if matches!(
            key,
            Type::Array { .. } | Type::Map { .. } | Type::Struct { .. }
        ) {
            return Err(self.error_at(
                key_at,
                format!("a map key must be a primitive type, not `{key}`"),
            ));
        }
        self.expect(',', "`,` between the map's key and value types")?;
        let value = self.ty(depth + 1)?;
        self.expect('>', "`>` closing `map<`")?;
        Ok(Type::Map {
            key: Box::new(key),
            value: Box::new(value),
        })
    }

    fn structure(&mut self, depth: usize) -> Result<Type, HiveTypeError> {
        self.expect('<', "`<` after `struct`")?;
        self.skip_ws();
        if self.peek() == Some('>') {
            return Err(self.error_at(self.pos, "a struct needs at least one field"));
        }
        let mut fields = Vec::new();
        loop {
            let name = self.field_name()?;
            self.expect(':', "`:` after the field name")?;
            let ty = self.ty(depth + 1)?;
            fields.push(StructField { name, ty });
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some('>') => {
                    self.pos += 1;
                    return Ok(Type::Struct { fields });
                }
                _ => {
                    return Err(self.error_at(
                        self.pos,
                        format!("expected `,` or `>` in struct, found {}", self.found()),
                    ));
                }
            }
        }
    }

    fn field_name(&mut self) -> Result<String, HiveTypeError> {
        self.skip_ws();
        if self.peek() == Some('`') {
            let start = self.pos;
            let rest = self.text.get(start + 1..).unwrap_or("");
            let Some(len) = rest.find('`') else {
                return Err(self.error_at(start, "unclosed backquote in field name"));
            };
            self.pos = start + 1 + len + 1;
            let name = &rest[..len];
            if name.is_empty() {
                return Err(self.error_at(start, "empty field name"));
            }
            if let Some((i, c)) = name.char_indices().find(|(_, c)| is_hidden_char(*c)) {
                let message = format!("U+{:04X} is a control or formatting character", c as u32);
                return Err(self.error_at(start + 1 + i, message));
            }
            return Ok(name.to_string());
        }
        let (start, word) = self.word();
        if word.is_empty() {
            return Err(self.error_at(
                start,
                format!("expected a field name, found {}", self.found()),
            ));
        }
        Ok(word.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> (usize, String) {
        let e = parse_hive_type(text).unwrap_err();
        (e.offset, e.message)
    }

    #[test]
    fn primitives_and_parameters() {
        assert_eq!(parse_hive_type("INTEGER"), Ok(Type::Int));
        assert_eq!(parse_hive_type(" bigint "), Ok(Type::BigInt));
        assert_eq!(
            parse_hive_type("decimal"),
            Ok(Type::Decimal {
                precision: 10,
                scale: 0
            })
        );
        assert_eq!(
            parse_hive_type("decimal(12)"),
            Ok(Type::Decimal {
                precision: 12,
                scale: 0
            })
        );
        assert_eq!(
            parse_hive_type("Decimal( 38 , 38 )"),
            Ok(Type::Decimal {
                precision: 38,
                scale: 38
            })
        );
        assert_eq!(
            parse_hive_type("varchar(65535)"),
            Ok(Type::Varchar { length: 65535 })
        );
        assert_eq!(parse_hive_type("char(1)"), Ok(Type::Char { length: 1 }));
    }

    #[test]
    fn nested_types() {
        let t =
            parse_hive_type("array< struct< `a b`:int, C:map<string, array<double>> > >").unwrap();
        let expected = Type::Array {
            element: Box::new(Type::Struct {
                fields: vec![
                    StructField {
                        name: "a b".into(),
                        ty: Type::Int,
                    },
                    StructField {
                        name: "C".into(),
                        ty: Type::Map {
                            key: Box::new(Type::String),
                            value: Box::new(Type::Array {
                                element: Box::new(Type::Double),
                            }),
                        },
                    },
                ],
            }),
        };
        assert_eq!(t, expected);
    }

    #[test]
    fn round_trips() {
        let texts = [
            "boolean",
            "tinyint",
            "smallint",
            "int",
            "bigint",
            "float",
            "double",
            "decimal(10,0)",
            "decimal(38,6)",
            "string",
            "varchar(10)",
            "char(3)",
            "date",
            "timestamp",
            "binary",
            "array<int>",
            "map<string,array<bigint>>",
            "struct<a:int,b:struct<c:map<date,string>>>",
            "array<array<array<decimal(5,2)>>>",
        ];
        for text in texts {
            let t = parse_hive_type(text).unwrap();
            assert_eq!(t.to_string(), text);
            assert_eq!(parse_hive_type(&t.to_string()), Ok(t));
        }
    }

    #[test]
    fn errors_point_at_the_offending_character() {
        assert_eq!(
            err("strng"),
            (0, "unknown type `strng` (did you mean `string`?)".into())
        );
        assert_eq!(err("struct<a:strng>").0, 9);
        assert_eq!(err("int x"), (4, "unexpected text after the type".into()));
        assert_eq!(
            err("array<int"),
            (
                9,
                "expected `>` closing `array<`, found the end of the type".into()
            )
        );
        assert_eq!(err("array<int>>").0, 10);
        assert_eq!(
            err("struct<>"),
            (7, "a struct needs at least one field".into())
        );
        assert_eq!(
            err("uniontype<int,string>"),
            (0, "`uniontype` is not supported".into())
        );
        assert_eq!(err("decimal(39,2)").0, 8);
        assert_eq!(err("decimal(5,6)").0, 10);
        assert_eq!(err("decimal(0)").0, 8);
        assert_eq!(err("varchar(0)").0, 8);
        assert_eq!(err("varchar").0, 7);
        assert_eq!(err("char(256)").0, 5);
        assert_eq!(err("map<array<int>,int>").0, 4);
        assert_eq!(err("map<int>").0, 7);
        assert_eq!(err("struct<a int>").0, 9);
        assert_eq!(err("struct<`a:int>").0, 7);
        assert_eq!(err("").0, 0);
        assert_eq!(err("decimal(99999999999999999999999)").0, 8);
    }

    #[test]
    fn depth_is_bounded() {
        let deep = format!("{}int{}", "array<".repeat(100_000), ">".repeat(100_000));
        assert!(err(&deep).1.contains("nested more than"));
        let ok = format!("{}int{}", "array<".repeat(50), ">".repeat(50));
        assert!(parse_hive_type(&ok).is_ok());
    }

    #[test]
    fn garbage_never_panics() {
        let alphabet: Vec<char> = "<>(),:` aintgsrucmpé0123456789".chars().collect();
        let mut seed: u64 = 42;
        for _ in 0..5000 {
            let mut s = String::new();
            for _ in 0..(seed % 24) {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                s.push(alphabet[(seed >> 33) as usize % alphabet.len()]);
            }
            if let Err(e) = parse_hive_type(&s) {
                assert!(e.offset <= s.len() && s.is_char_boundary(e.offset), "{s:?}");
            }
        }
    }
}
