//! `/v1/auth/password/*`: a forgotten password reset from a mailed link, and a password
//! changed by its signed-in owner.
//!
//! `forgot` and `reset` take no session (whoever forgot their password has none); `change`
//! is the caller's own session's, in either mode (a browser sends its CSRF token, as on every
//! `POST`).

use cubby_app::auth::PasswordError;
use cubby_domain::ErrorCode;
use http::StatusCode;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::fields::{self, Fields};
use crate::error::FieldError;
use crate::openapi::schemas::with;
use crate::{ApiError, Ctx, Reply};

/// The body of `POST /v1/auth/password/forgot`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ForgotIn {
    /// The account's e-mail address.
    #[schema(schema_with = with::email_address)]
    email: String,
}

/// The body of `POST /v1/auth/password/reset`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ResetIn {
    /// The token from the mailed link.
    token: String,
    /// The new password: 10 to 256 characters.
    #[schema(format = Password, min_length = 10, max_length = 256)]
    password: String,
}

/// The body of `POST /v1/auth/password/change`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ChangeIn {
    /// The account's password now.
    #[schema(format = Password)]
    current_password: String,
    /// The new password: 10 to 256 characters.
    #[schema(format = Password, min_length = 10, max_length = 256)]
    password: String,
}

/// `accepted`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum ForgotStatus {
    /// The request was taken.
    Accepted,
}

/// The answer to a forgotten password: the same whether or not an account has the address.
#[derive(Serialize, ToSchema)]
#[schema(as = PasswordResetRequested)]
struct ForgotOut {
    status: ForgotStatus,
    /// What happens next, in words for a person.
    message: &'static str,
}

/// The one answer to every accepted `forgot`.
const FORGOT_MESSAGE: &str = "if an account has this address, a link to reset its password is on \
                              its way; it works once, for 30 minutes";

/// The uniform error of a use case of this module.
fn password_error(error: PasswordError) -> ApiError {
    match error {
        PasswordError::Throttled { retry_after } => crate::error::too_many(
            ErrorCode::AuthThrottled,
            "too many attempts; try again later",
            retry_after,
        ),
        // As an invitation's unknown token: there is no such reset link (404), not a bad request.
        PasswordError::TokenInvalid => ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::AuthResetTokenInvalid,
            "the reset link is not valid: it was used, has expired or was never sent; ask for \
             a new one",
        ),
        PasswordError::Unacceptable => ApiError::validation(vec![FieldError {
            field: "password".to_owned(),
            code: ErrorCode::AuthPasswordUnacceptable,
            message: "choose a password of 10 to 256 characters".to_owned(),
        }]),
        PasswordError::WrongPassword => ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::AuthWrongPassword,
            "the current password is not right",
        ),
        PasswordError::Failed(error) => error.into(),
    }
}

/// `POST /v1/auth/password/forgot`: asks for a password-reset link to be mailed to `email`.
/// The answer is the same `202` whether or not an account has the address, after the same work
/// (the account is looked up by the mail job, not by the request).
#[utoipa::path(
    post,
    path = "/v1/auth/password/forgot",
    tag = "auth",
    request_body = ForgotIn,
    responses(
        (status = 202, description = "Taken: if an active account has the address, a link \
            to reset its password is mailed to it, working once for 30 minutes", body = ForgotOut),
        (status = 422, description = "Not an e-mail address (`user.invalid_email`)"),
        (status = 429, description = "More than 5 requests for the address, or 20 from the \
            client, within an hour (`auth.throttled`), with Retry-After",
            headers(("Retry-After" = String))),
    )
)]
pub(crate) async fn forgot(ctx: Ctx) -> Result<Reply, ApiError> {
    let body: ForgotIn = ctx.json()?;
    let mut check = Fields::default();
    let email = check.check("email", fields::email(&body.email));
    let email = check.finish(email)?;
    ctx.app()
        .auth
        .forgot_password(&email, ctx.client())
        .await
        .map_err(password_error)?;
    Reply::json(
        StatusCode::ACCEPTED,
        &ForgotOut {
            status: ForgotStatus::Accepted,
            message: FORGOT_MESSAGE,
        },
    )
}

/// `POST /v1/auth/password/reset`: sets a new password with the token of a mailed link. The
/// token works once; every session of the account, in every centre, ends.
#[utoipa::path(
    post,
    path = "/v1/auth/password/reset",
    tag = "auth",
    request_body = ResetIn,
    responses(
        (status = 204, description = "The password is set; every session of the account ended"),
        (status = 404, description = "The token is unknown, used or expired \
            (`auth.reset_token_invalid`)"),
        (status = 422, description = "The new password is shorter than 10 characters or \
            longer than 256 (`auth.password_unacceptable`); the token still works"),
    )
)]
pub(crate) async fn reset(ctx: Ctx) -> Result<Reply, ApiError> {
    let body: ResetIn = ctx.json()?;
    ctx.app()
        .auth
        .reset_password(&body.token, SecretString::from(body.password))
        .await
        .map_err(password_error)?;
    Ok(Reply::no_content())
}

/// `POST /v1/auth/password/change`: the caller changes their own password, proving the current
/// one. Their other sessions, in every centre, end; this one goes on.
#[utoipa::path(
    post,
    path = "/v1/auth/password/change",
    tag = "auth",
    request_body = ChangeIn,
    responses(
        (status = 204, description = "The password is changed; the caller's other sessions \
            ended"),
        (status = 403, description = "The current password is not right \
            (`auth.wrong_password`)"),
        (status = 422, description = "The new password is shorter than 10 characters or \
            longer than 256 (`auth.password_unacceptable`)"),
        (status = 429, description = "Too many failed sign-ins of the account or the client \
            (`auth.throttled`), with Retry-After", headers(("Retry-After" = String))),
    )
)]
pub(crate) async fn change(ctx: Ctx) -> Result<Reply, ApiError> {
    let body: ChangeIn = ctx.json()?;
    ctx.app()
        .auth
        .change_password(
            ctx.session()?,
            SecretString::from(body.current_password),
            SecretString::from(body.password),
            ctx.client(),
        )
        .await
        .map_err(password_error)?;
    Ok(Reply::no_content())
}
