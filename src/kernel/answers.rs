//! What an endpoint answers, as declared: JSON shapes, media types and statuses, for the contract.

/// A JSON shape, for the contract.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// One of the shared `components.schemas`.
    Ref(&'static str),
    Object(&'static [Prop]),
    /// An object whose values all have one shape.
    Map(&'static Shape),
    Array(&'static Shape),
    String,
    /// A string in RFC 3339 date-time form.
    DateTime,
    Integer,
    Boolean,
    /// `true` only.
    True,
    Null,
    Nullable(&'static Shape),
    /// One of these shapes (an answer that differs with the case, such as a sign-in that asks
    /// for a second factor).
    OneOf(&'static [Shape]),
    /// Any JSON value.
    Any,
}

#[derive(Debug, Clone, Copy)]
pub struct Prop {
    pub name: &'static str,
    pub shape: Shape,
    pub required: bool,
}

impl Prop {
    pub const fn req(name: &'static str, shape: Shape) -> Prop {
        Prop {
            name,
            shape,
            required: true,
        }
    }

    pub const fn opt(name: &'static str, shape: Shape) -> Prop {
        Prop {
            name,
            shape,
            required: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    Json,
    Html,
    /// A redirect (no body that matters): the `Location` header is the answer.
    Redirect,
}

/// One successful answer an endpoint gives.
#[derive(Debug, Clone, Copy)]
pub struct Answer {
    pub status: u16,
    pub media: Media,
    pub shape: Shape,
    pub about: &'static str,
}

impl Answer {
    pub const fn json(shape: Shape) -> Answer {
        Answer {
            status: 200,
            media: Media::Json,
            shape,
            about: "Success",
        }
    }

    pub const fn html(about: &'static str) -> Answer {
        Answer {
            status: 200,
            media: Media::Html,
            shape: Shape::String,
            about,
        }
    }

    pub const fn redirect(about: &'static str) -> Answer {
        Answer {
            status: 302,
            media: Media::Redirect,
            shape: Shape::Null,
            about,
        }
    }
}
