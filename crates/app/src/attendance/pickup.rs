//! Pickup verification: whether a contact may collect a child, with their PIN if they have
//! one. Every refusal is audited.

use cubby_domain::{AuditAction, ContactId, ErrorCode, PickupError, Pin};
use cubby_ports::TenantScope;
use time::Date;

use super::Attendance;
use crate::AppError;

impl Attendance {
    /// Checks that `contact` may collect `child` on `day`, with their PIN if they have one;
    /// a refusal is audited. Answers whether a PIN was checked.
    pub(super) async fn verify_pickup(
        &self,
        scope: &TenantScope,
        child: &cubby_domain::Child,
        contact: ContactId,
        pin: Option<&Pin>,
        day: Date,
    ) -> Result<bool, AppError> {
        let refusal = match child.may_pick_up(contact, day) {
            Err(error) => Some((error.code(), error.to_string())),
            Ok(found) => match (&found.pickup_pin, pin) {
                (None, _) => return Ok(false),
                (Some(_), None) => Some((
                    ErrorCode::PickupPinRequired,
                    "this contact has a pickup PIN; it is needed to collect the child".to_owned(),
                )),
                (Some(_), Some(pin)) => {
                    if self.children.pin_matches(found, pin).await? {
                        return Ok(true);
                    }
                    Some((
                        ErrorCode::PickupWrongPin,
                        "the pickup PIN is not right".to_owned(),
                    ))
                }
            },
        };
        let (code, message) = refusal.unwrap_or((
            PickupError::NotAllowed.code(),
            PickupError::NotAllowed.to_string(),
        ));
        self.audit
            .record(
                scope,
                AuditAction::PickupRefused,
                Some(child.id().to_string()),
                &[
                    ("contact", contact.to_string()),
                    ("code", code.as_str().to_owned()),
                ],
            )
            .await;
        Err(AppError::Denied { code, message })
    }
}
