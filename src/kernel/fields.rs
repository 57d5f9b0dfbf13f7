//! The inputs an endpoint declares: body and query fields with their kinds and limits, and the
//! body's shape. `input` checks requests against them; the contract documents them.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    /// A string that must be an email address (zod's `z.email()`).
    Email,
    /// A new password: its length rules (`PASSWORD_MIN_LENGTH`, `PASSWORD_MAX_LENGTH`) are the
    /// handler's, answered with better-auth's codes; the contract states them.
    Password,
    /// A display name: at most 256 characters, no control characters.
    Name,
    /// A URL or path the answer may redirect to (checked against the trusted origins).
    Url,
    /// `true`/`false`; form bodies carry them as strings.
    Boolean,
    /// A JSON object, read by the handler.
    Object,
    /// A JSON number.
    Number,
    /// A string, or an array of strings.
    StringList,
    /// Any JSON value, read by the handler (zod's `z.any()`).
    Any,
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    /// An explicit `null` is accepted (and means "clear it").
    pub nullable: bool,
    pub min_chars: Option<usize>,
    pub max_chars: Option<usize>,
    pub about: &'static str,
}

impl Field {
    pub const fn required(name: &'static str, kind: Kind, about: &'static str) -> Field {
        Field {
            name,
            kind,
            required: true,
            nullable: false,
            min_chars: None,
            max_chars: None,
            about,
        }
    }

    pub const fn optional(name: &'static str, kind: Kind, about: &'static str) -> Field {
        Field {
            required: false,
            ..Field::required(name, kind, about)
        }
    }

    pub const fn nullable(self) -> Field {
        Field {
            nullable: true,
            ..self
        }
    }

    pub const fn min(self, chars: usize) -> Field {
        Field {
            min_chars: Some(chars),
            ..self
        }
    }

    pub const fn max(self, chars: usize) -> Field {
        Field {
            max_chars: Some(chars),
            ..self
        }
    }
}

/// The request body an endpoint takes.
#[derive(Debug, Clone, Copy)]
pub enum Body {
    /// Not read (GET endpoints).
    None,
    /// A JSON object (zod's `z.object`); unknown fields are ignored.
    Object(&'static [Field]),
    /// As `Object`, and a missing body counts as `{}`.
    OptionalObject(&'static [Field]),
    /// A free-form object (zod's `z.record`) of which these fields are checked.
    Record(&'static [Field]),
}

impl Body {
    pub fn fields(self) -> &'static [Field] {
        match self {
            Body::None => &[],
            Body::Object(fields) | Body::OptionalObject(fields) | Body::Record(fields) => fields,
        }
    }
}
