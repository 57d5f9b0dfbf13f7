//! Every failure as an HTTP answer: better-auth's `{"message","code"}` bodies, mapped once here.

use crate::crypto::{password::PasswordError, random::RandomError};
use crate::storage::StorageError;

macro_rules! codes {
    ($($variant:ident => $code:literal, $message:literal;)*) => {
        /// better-auth's error codes with their default messages.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Code { $($variant),* }

        impl Code {
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code),* }
            }
            pub fn message(self) -> &'static str {
                match self { $(Code::$variant => $message),* }
            }
        }
    };
}

codes! {
    UserNotFound => "USER_NOT_FOUND", "User not found";
    FailedToCreateUser => "FAILED_TO_CREATE_USER", "Failed to create user";
    FailedToCreateSession => "FAILED_TO_CREATE_SESSION", "Failed to create session";
    FailedToGetSession => "FAILED_TO_GET_SESSION", "Failed to get session";
    InvalidPassword => "INVALID_PASSWORD", "Invalid password";
    InvalidEmail => "INVALID_EMAIL", "Invalid email";
    InvalidEmailOrPassword => "INVALID_EMAIL_OR_PASSWORD", "Invalid email or password";
    PasswordTooShort => "PASSWORD_TOO_SHORT", "Password too short";
    PasswordTooLong => "PASSWORD_TOO_LONG", "Password too long";
    UserAlreadyExistsUseAnotherEmail => "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", "User already exists. Use another email.";
    EmailCanNotBeUpdated => "EMAIL_CAN_NOT_BE_UPDATED", "Email can not be updated";
    CredentialAccountNotFound => "CREDENTIAL_ACCOUNT_NOT_FOUND", "Credential account not found";
    SessionExpired => "SESSION_EXPIRED", "Session expired. Re-authenticate to perform this action.";
    UserAlreadyHasPassword => "USER_ALREADY_HAS_PASSWORD", "User already has a password. Provide that to delete the account.";
    CrossSiteNavigationLoginBlocked => "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED", "Cross-site navigation login blocked. This request appears to be a CSRF attack.";
    SessionNotFresh => "SESSION_NOT_FRESH", "Session is not fresh";
    InvalidOrigin => "INVALID_ORIGIN", "Invalid origin";
    InvalidCallbackUrl => "INVALID_CALLBACK_URL", "Invalid callbackURL";
    InvalidRedirectUrl => "INVALID_REDIRECT_URL", "Invalid redirectURL";
    InvalidErrorCallbackUrl => "INVALID_ERROR_CALLBACK_URL", "Invalid errorCallbackURL";
    InvalidNewUserCallbackUrl => "INVALID_NEW_USER_CALLBACK_URL", "Invalid newUserCallbackURL";
    MissingOrNullOrigin => "MISSING_OR_NULL_ORIGIN", "Missing or null Origin";
    ValidationError => "VALIDATION_ERROR", "Validation Error";
    MethodNotAllowedDeferSessionRequired => "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED", "POST method requires deferSessionRefresh to be enabled in session config";
    Unauthorized => "UNAUTHORIZED", "Unauthorized";
    BadRequest => "BAD_REQUEST", "Invalid JSON in request body";
    UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE", "Unsupported media type";
    PayloadTooLarge => "PAYLOAD_TOO_LARGE", "Request body is too large";
    HeadersTooLarge => "REQUEST_HEADER_FIELDS_TOO_LARGE", "Request headers are too large";
    InvalidUser => "INVALID_USER", "Invalid user";
    InvalidToken => "INVALID_TOKEN", "Invalid token";
    TokenExpired => "TOKEN_EXPIRED", "Token expired";
    EmailNotVerified => "EMAIL_NOT_VERIFIED", "Email not verified";
    ChangeEmailDisabled => "CHANGE_EMAIL_DISABLED", "Change email is disabled";
    VerificationEmailNotEnabled => "VERIFICATION_EMAIL_NOT_ENABLED", "Verification email isn't enabled";
    EmailAlreadyVerified => "EMAIL_ALREADY_VERIFIED", "Email is already verified";
    EmailMismatch => "EMAIL_MISMATCH", "Email mismatch";
    ResetPasswordDisabled => "RESET_PASSWORD_DISABLED", "Reset password isn't enabled";
    BannedUser => "BANNED_USER", "You have been banned from this application";
    YouCannotBanYourself => "YOU_CANNOT_BAN_YOURSELF", "You cannot ban yourself";
    YouCannotRemoveYourself => "YOU_CANNOT_REMOVE_YOURSELF", "You cannot remove yourself";
    NotAllowedToChangeUsersRole => "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE", "You are not allowed to change users role";
    NotAllowedToListUsersSessions => "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS", "You are not allowed to list users sessions";
    NotAllowedToBanUsers => "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS", "You are not allowed to ban users";
    NotAllowedToRevokeUsersSessions => "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS", "You are not allowed to revoke users sessions";
    NotAllowedToDeleteUsers => "YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS", "You are not allowed to delete users";
    NotAllowedToSetUsersPassword => "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD", "You are not allowed to set users password";
    NotAllowedToCreateUsers => "YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS", "You are not allowed to create users";
    NotAllowedToUpdateUsers => "YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS", "You are not allowed to update users";
    NotAllowedToSetUsersEmail => "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL", "You are not allowed to update users email";
    NotAllowedToSetNonExistentValue => "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE", "You are not allowed to set a non-existent role value";
    InvalidRoleType => "INVALID_ROLE_TYPE", "Invalid role type";
    NoDataToUpdate => "NO_DATA_TO_UPDATE", "No data to update";
    PasswordCannotBeUpdatedViaUpdateUser => "PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER", "Password cannot be updated through update-user. Use the set-user-password endpoint instead";
    UserIdCannotBeUpdated => "USER_ID_CANNOT_BE_UPDATED", "User id cannot be updated";
    NotAllowedToListUsers => "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS", "You are not allowed to list users";
    NotAllowedToImpersonateUsers => "YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS", "You are not allowed to impersonate users";
    YouCannotImpersonateAdmins => "YOU_CANNOT_IMPERSONATE_ADMINS", "You cannot impersonate admins";
    NotAllowedToGetUser => "YOU_ARE_NOT_ALLOWED_TO_GET_USER", "You are not allowed to get user";
    InvalidApiKey => "INVALID_API_KEY", "Invalid API key.";
    KeyNotFound => "KEY_NOT_FOUND", "API Key not found";
    KeyDisabled => "KEY_DISABLED", "API Key is disabled";
    KeyExpired => "KEY_EXPIRED", "API Key has expired";
    UsageExceeded => "USAGE_EXCEEDED", "API Key has reached its usage limit";
    RateLimited => "RATE_LIMITED", "Rate limit exceeded.";
    UserBanned => "USER_BANNED", "User is banned";
    UnauthorizedSession => "UNAUTHORIZED_SESSION", "Unauthorized or invalid session";
    ServerOnlyProperty => "SERVER_ONLY_PROPERTY", "The property you're trying to set can only be set from the server auth instance only.";
    InvalidMetadataType => "INVALID_METADATA_TYPE", "metadata must be an object or undefined";
    MetadataDisabled => "METADATA_DISABLED", "Metadata is disabled.";
    RefillAmountAndIntervalRequired => "REFILL_AMOUNT_AND_INTERVAL_REQUIRED", "refillAmount is required when refillInterval is provided";
    RefillIntervalAndAmountRequired => "REFILL_INTERVAL_AND_AMOUNT_REQUIRED", "refillInterval is required when refillAmount is provided";
    ExpiresInIsTooSmall => "EXPIRES_IN_IS_TOO_SMALL", "The expiresIn is smaller than the predefined minimum value.";
    ExpiresInIsTooLarge => "EXPIRES_IN_IS_TOO_LARGE", "The expiresIn is larger than the predefined maximum value.";
    InvalidPrefixLength => "INVALID_PREFIX_LENGTH", "The prefix length is either too large or too small.";
    InvalidNameLength => "INVALID_NAME_LENGTH", "The name length is either too large or too small.";
    NameRequired => "NAME_REQUIRED", "API Key name is required.";
    NoValuesToUpdate => "NO_VALUES_TO_UPDATE", "No values to update.";
    InvalidReferenceIdFromApiKey => "INVALID_REFERENCE_ID_FROM_API_KEY", "The reference id from the API key is invalid.";
    ProviderNotFound => "PROVIDER_NOT_FOUND", "Provider not found";
    IdTokenNotSupported => "ID_TOKEN_NOT_SUPPORTED", "id_token not supported";
    FailedToGetUserInfo => "FAILED_TO_GET_USER_INFO", "Failed to get user info";
    UserEmailNotFound => "USER_EMAIL_NOT_FOUND", "User email not found";
    OauthLinkError => "OAUTH_LINK_ERROR", "account not linked";
    SocialAccountAlreadyLinked => "SOCIAL_ACCOUNT_ALREADY_LINKED", "Social account already linked";
    LinkingNotAllowed => "LINKING_NOT_ALLOWED", "Account not linked - linking not allowed";
    LinkingDifferentEmailsNotAllowed => "LINKING_DIFFERENT_EMAILS_NOT_ALLOWED", "Account not linked - different emails not allowed";
    FailedToUnlinkLastAccount => "FAILED_TO_UNLINK_LAST_ACCOUNT", "You can't unlink your last account";
    AccountNotFound => "ACCOUNT_NOT_FOUND", "Account not found";
    ProviderNotSupported => "PROVIDER_NOT_SUPPORTED", "Provider is not supported.";
    TokenRefreshNotSupported => "TOKEN_REFRESH_NOT_SUPPORTED", "Provider does not support token refreshing.";
    RefreshTokenNotFound => "REFRESH_TOKEN_NOT_FOUND", "Refresh token not found";
    FailedToRefreshAccessToken => "FAILED_TO_REFRESH_ACCESS_TOKEN", "Failed to refresh access token";
    FailedToGetAccessToken => "FAILED_TO_GET_ACCESS_TOKEN", "Failed to get a valid access token";
    AccessTokenNotFound => "ACCESS_TOKEN_NOT_FOUND", "Access token not found";
    ProviderNotConfigured => "PROVIDER_NOT_CONFIGURED", "Account is not associated with a configured social provider.";
    OtpExpired => "OTP_EXPIRED", "OTP expired";
    InvalidOtp => "INVALID_OTP", "Invalid OTP";
    TooManyAttempts => "TOO_MANY_ATTEMPTS", "Too many attempts";
    OtpNotConfigured => "OTP_NOT_CONFIGURED", "OTP is not available";
    OtpHasExpired => "OTP_HAS_EXPIRED", "OTP has expired";
    TotpNotEnabled => "TOTP_NOT_ENABLED", "TOTP not enabled";
    TotpAlreadyEnabled => "TOTP_ALREADY_ENABLED", "TOTP is already enabled";
    TwoFactorNotEnabled => "TWO_FACTOR_NOT_ENABLED", "Two factor isn't enabled";
    BackupCodesNotEnabled => "BACKUP_CODES_NOT_ENABLED", "Backup codes aren't enabled";
    InvalidBackupCode => "INVALID_BACKUP_CODE", "Invalid backup code";
    InvalidCode => "INVALID_CODE", "Invalid code";
    TooManyAttemptsRequestNewCode => "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE", "Too many attempts. Please request a new code.";
    AccountTemporarilyLocked => "ACCOUNT_TEMPORARILY_LOCKED", "Too many failed verification attempts. Your account is temporarily locked. Please try again later.";
    InvalidTwoFactorCookie => "INVALID_TWO_FACTOR_COOKIE", "Invalid two factor cookie";
    ChallengeNotFound => "CHALLENGE_NOT_FOUND", "Challenge not found";
    YouAreNotAllowedToRegisterThisPasskey => "YOU_ARE_NOT_ALLOWED_TO_REGISTER_THIS_PASSKEY", "You are not allowed to register this passkey";
    FailedToVerifyRegistration => "FAILED_TO_VERIFY_REGISTRATION", "Failed to verify registration";
    PasskeyNotFound => "PASSKEY_NOT_FOUND", "Passkey not found";
    AuthenticationFailed => "AUTHENTICATION_FAILED", "Authentication failed";
    InternalServerError => "INTERNAL_SERVER_ERROR", "Internal Server Error";
    ServiceUnavailable => "SERVICE_UNAVAILABLE", "The service is temporarily unavailable";
}

/// An HTTP error answer. `body: None` answers with an empty body (better-auth's bare 404).
/// `cause` is for the log only, never sent.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub body: Option<ErrorBody>,
    pub cause: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ErrorBody {
    pub code: Option<&'static str>,
    pub message: String,
    /// More about the refusal, sent as `details` (such as `tryAgainIn`).
    pub details: Option<Box<serde_json::Value>>,
}

impl ApiError {
    pub fn new(status: u16, code: Code) -> ApiError {
        ApiError::with_message(status, code, code.message())
    }

    pub fn with_message(status: u16, code: Code, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: Some(ErrorBody {
                code: Some(code.as_str()),
                message: message.into(),
                details: None,
            }),
            cause: None,
        }
    }

    /// An error with a message and no code, as better-auth sends for a few checks.
    pub fn message_only(status: u16, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: Some(ErrorBody {
                code: None,
                message: message.into(),
                details: None,
            }),
            cause: None,
        }
    }

    pub fn not_found() -> ApiError {
        ApiError {
            status: 404,
            body: None,
            cause: None,
        }
    }

    pub fn validation(message: impl Into<String>) -> ApiError {
        ApiError::with_message(400, Code::ValidationError, message)
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(401, Code::Unauthorized)
    }

    pub fn internal() -> ApiError {
        ApiError::new(500, Code::InternalServerError)
    }

    pub fn with_details(mut self, details: serde_json::Value) -> ApiError {
        if let Some(body) = self.body.as_mut() {
            body.details = Some(Box::new(details));
        }
        self
    }

    pub fn caused_by(mut self, cause: impl std::fmt::Display) -> ApiError {
        self.cause = Some(cause.to_string());
        self
    }

    /// A 500 whose cause is logged.
    pub fn internal_because(cause: impl std::fmt::Display) -> ApiError {
        ApiError::internal().caused_by(cause)
    }

    pub fn code(&self) -> Option<&'static str> {
        self.body.as_ref().and_then(|b| b.code)
    }
}

/// Failures of our own making: logged by the caller, answered without detail.
impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> ApiError {
        let answer = match e {
            StorageError::Unavailable(_) => ApiError::new(503, Code::ServiceUnavailable),
            _ => ApiError::internal(),
        };
        answer.caused_by(e)
    }
}

impl From<PasswordError> for ApiError {
    fn from(e: PasswordError) -> ApiError {
        ApiError::internal().caused_by(e)
    }
}

impl From<RandomError> for ApiError {
    fn from(e: RandomError) -> ApiError {
        ApiError::internal().caused_by(e)
    }
}
