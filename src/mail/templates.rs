//! The text of each message, in plain text and HTML. Every value placed in the HTML is escaped.

use super::Kind;

pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub struct Details<'a> {
    pub kind: Kind,
    pub app_name: &'a str,
    pub name: &'a str,
    pub url: &'a str,
    /// The address being moved to (change-email messages).
    pub new_email: Option<&'a str>,
    /// How long the link (or code) works, in seconds.
    pub expires_in: i64,
    /// A one-time code the message carries instead of a link.
    pub code: Option<&'a str>,
}

pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Longest name a message repeats.
const MAX_SHOWN_NAME: usize = 32;

/// The user's name as a message may show it: at most 32 letters, spaces, hyphens and apostrophes.
/// Anything else (digits, dots, slashes, `@`: the stuff of links, addresses and phone numbers)
/// leaves the name out, because messages go to addresses nobody has proven yet and must not carry
/// a stranger's text there.
pub fn plain_name(name: &str) -> Option<&str> {
    let name = name.trim();
    let plain = name.chars().count() <= MAX_SHOWN_NAME
        && name
            .chars()
            .all(|c| c.is_alphabetic() || c == ' ' || c == '-' || c == '\'' || c == '\u{2019}')
        && !name.contains("  ");
    (plain && !name.is_empty()).then_some(name)
}

fn lifetime(seconds: i64) -> String {
    match seconds {
        s if s % 86_400 == 0 => plural(s / 86_400, "day"),
        s if s % 3_600 == 0 => plural(s / 3_600, "hour"),
        s => plural((s + 59) / 60, "minute"),
    }
}

fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

pub fn render(d: &Details<'_>) -> Rendered {
    let app = d.app_name;
    let new_email = d.new_email.unwrap_or_default();
    let (subject, intro, action, ignore) = match d.kind {
        Kind::VerifyEmail => (
            format!("Verify your email address for {app}"),
            format!("Please confirm that this is your email address for {app}."),
            "Verify email address",
            "If you did not create an account, you can ignore this message.",
        ),
        Kind::ChangeEmailConfirmation => (
            format!("Confirm the change of your {app} email address"),
            format!("Someone asked to change the email address of your {app} account to {new_email}. If it was you, confirm the change; we will then send a link to the new address."),
            "Confirm the change",
            "If it was not you, ignore this message and consider changing your password: your address stays as it is.",
        ),
        Kind::ChangeEmailVerification => (
            format!("Verify your new email address for {app}"),
            format!("Please confirm that {new_email} is the new email address of your {app} account."),
            "Verify new address",
            "If you did not ask for this, you can ignore this message.",
        ),
        Kind::MagicLink => (
            format!("Sign in to {app}"),
            format!("Use the link below to sign in to {app}."),
            "Sign in",
            "If you did not ask for this, you can ignore this message: nobody can sign in without the link.",
        ),
        Kind::SignInCode => (
            format!("Your {app} sign-in code"),
            format!("Use this code to sign in to {app}."),
            "Code",
            "If you did not ask for this, you can ignore this message: nobody can sign in without the code.",
        ),
        Kind::TwoFactorCode => (
            format!("Your {app} security code"),
            format!("Someone signed in to your {app} account with your password. Use this code to finish signing in."),
            "Code",
            "If it was not you, do not share this code and change your password: nobody can finish signing in without it.",
        ),
        Kind::ReauthenticationCode => (
            format!("Your {app} confirmation code"),
            format!("Use this code to confirm a change to your {app} account."),
            "Code",
            "If you did not ask for this, do not share this code: nobody can change your account without it.",
        ),
        Kind::VerificationCode => (
            format!("Your {app} verification code"),
            format!("Use this code to verify your email address for {app}."),
            "Code",
            "If you did not ask for this, you can ignore this message.",
        ),
        Kind::ResetPasswordCode => (
            format!("Your {app} password reset code"),
            format!("Use this code to choose a new password for your {app} account."),
            "Code",
            "If you did not ask for this, you can ignore this message: your password stays as it is.",
        ),
        Kind::ResetPassword => (
            format!("Reset your {app} password"),
            format!("Someone asked to reset the password of your {app} account. Choose a new password with the link below."),
            "Reset password",
            "If you did not ask for this, you can ignore this message: your password stays as it is.",
        ),
    };
    let greeting = match plain_name(d.name) {
        Some(name) => format!("Hello {name},"),
        None => "Hello,".to_string(),
    };
    if let Some(code) = d.code {
        let expiry = format!("The code works for {}, once.", lifetime(d.expires_in));
        let (link_text, link_html) = if d.url.is_empty() {
            (String::new(), String::new())
        } else {
            (
                format!("Or open this link: {}\n\n", d.url),
                format!(
                    "<p>Or <a href=\"{0}\">open this link</a>: {0}</p>\n",
                    escape_html(d.url)
                ),
            )
        };
        let text = format!(
            "{greeting}\n\n{intro}\n\n{action}: {code}\n\n{link_text}{expiry}\n{ignore}\n\n{app}\n"
        );
        let html = format!(
            "<!doctype html>\n<html><body style=\"font-family: sans-serif; line-height: 1.5\">\n<p>{greeting}</p>\n<p>{intro}</p>\n<p style=\"font-size: 1.5em; letter-spacing: 0.2em\"><strong>{code}</strong></p>\n{link_html}<p>{expiry}<br>{ignore}</p>\n<p>{app}</p>\n</body></html>\n",
            greeting = escape_html(&greeting),
            intro = escape_html(&intro),
            code = escape_html(code),
            expiry = escape_html(&expiry),
            ignore = escape_html(ignore),
            app = escape_html(app),
        );
        return Rendered {
            subject,
            text,
            html,
        };
    }
    let expiry = format!("The link works for {}, once.", lifetime(d.expires_in));
    let text = format!(
        "{greeting}\n\n{intro}\n\n{action}: {url}\n\n{expiry}\n{ignore}\n\n{app}\n",
        url = d.url
    );
    let html = format!(
        "<!doctype html>\n<html><body style=\"font-family: sans-serif; line-height: 1.5\">\n<p>{greeting}</p>\n<p>{intro}</p>\n<p><a href=\"{url}\">{action}</a></p>\n<p>Or copy this link into your browser:<br>{url}</p>\n<p>{expiry}<br>{ignore}</p>\n<p>{app}</p>\n</body></html>\n",
        greeting = escape_html(&greeting),
        intro = escape_html(&intro),
        url = escape_html(d.url),
        action = escape_html(action),
        expiry = escape_html(&expiry),
        ignore = escape_html(ignore),
        app = escape_html(app),
    );
    Rendered {
        subject,
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details(kind: Kind, name: &'static str) -> Details<'static> {
        Details {
            kind,
            app_name: "Acme <Portal>",
            name,
            url: "https://auth.example.com/api/auth/verify-email?token=abc&callbackURL=%2F",
            new_email: Some("new@example.com"),
            expires_in: 3_600,
            code: None,
        }
    }

    #[test]
    fn both_bodies_carry_the_link_and_the_lifetime() {
        let r = render(&details(Kind::VerifyEmail, "Ada"));
        assert_eq!(r.subject, "Verify your email address for Acme <Portal>");
        assert!(r.text.starts_with("Hello Ada,"));
        assert!(r.text.contains("?token=abc&callbackURL=%2F"));
        assert!(r.text.contains("The link works for 1 hour, once."));
        assert!(r.html.contains(
            "href=\"https://auth.example.com/api/auth/verify-email?token=abc&amp;callbackURL=%2F\""
        ));
        assert!(r.html.contains("Acme &lt;Portal&gt;"));
    }

    #[test]
    fn names_cannot_inject_markup() {
        let r = render(&details(Kind::ResetPassword, "<script>alert(1)</script>"));
        assert!(!r.html.contains("<script>"));
        assert!(!r.text.contains("script"));
        assert!(r.text.starts_with("Hello,\n"));
    }

    #[test]
    fn only_plain_short_names_are_repeated_in_messages() {
        for ok in ["Ada", "Jean-Luc Picard", "O'Neil", "Zoë Ångström", "李小龍"] {
            assert_eq!(plain_name(ok), Some(ok), "{ok}");
        }
        for spam in [
            "Win a prize at evil.com",
            "Call 555 0100",
            "https://evil.test/login",
            "support@evil.test",
            "Ada\nLovelace",
            "a  b",
            "",
            "Your account is locked pls reply now",
        ] {
            assert_eq!(plain_name(spam), None, "{spam:?}");
            let r = render(&details(Kind::VerifyEmail, "x"));
            assert!(!r.text.contains(spam) || spam.is_empty());
        }
        let r = render(&details(Kind::VerifyEmail, "Call 555 0100 now"));
        assert!(!r.text.contains("555") && !r.html.contains("555"));
    }

    #[test]
    fn change_email_messages_name_the_new_address() {
        for kind in [Kind::ChangeEmailConfirmation, Kind::ChangeEmailVerification] {
            let r = render(&details(kind, ""));
            assert!(r.text.starts_with("Hello,"));
            assert!(r.text.contains("new@example.com"), "{kind:?}");
        }
    }

    #[test]
    fn lifetimes_read_naturally() {
        assert_eq!(lifetime(3_600), "1 hour");
        assert_eq!(lifetime(7_200), "2 hours");
        assert_eq!(lifetime(86_400), "1 day");
        assert_eq!(lifetime(900), "15 minutes");
        assert_eq!(lifetime(61), "2 minutes");
    }
}
