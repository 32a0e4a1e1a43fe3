//! A child's custody restrictions: placing and lifting them.

use cubby_domain::{
    AuditAction, Child, ChildError, ChildId, CustodyRestriction, RestrictionId, Version,
};
use cubby_ports::TenantScope;

use super::{Children, NewRestriction, invalid};
use crate::AppError;

impl Children {
    /// Places a custody restriction on a child.
    ///
    /// # Errors
    ///
    /// As [`Children::update`], and [`AppError::Invalid`] (`restriction.invalid`,
    /// `contact.unknown`).
    pub async fn add_restriction(
        &self,
        scope: &TenantScope,
        id: ChildId,
        expected: Version,
        new: NewRestriction,
    ) -> Result<(Child, RestrictionId), AppError> {
        let restriction = CustodyRestriction {
            id: RestrictionId::from_uuid(self.ids.uuid()),
            person: new.person,
            contact_id: new.contact_id,
            user_id: new.user_id,
            blocks_pickup: new.blocks_pickup,
            blocks_records: new.blocks_records,
            starts_on: new.starts_on,
            ends_on: new.ends_on,
            note: new.note,
        };
        restriction
            .check()
            .map_err(|e| invalid("restriction", &e))?;
        let restriction_id = restriction.id;
        let child = self
            .modify(
                scope,
                id,
                expected,
                AuditAction::RestrictionAdded,
                |child| {
                    child
                        .add_restriction(restriction)
                        .map_err(|error| match error {
                            ChildError::UnknownContact => invalid("contact_id", &error),
                            _ => invalid("restriction", &error),
                        })
                },
            )
            .await?;
        Ok((child, restriction_id))
    }

    /// Lifts a custody restriction.
    ///
    /// # Errors
    ///
    /// As [`Children::update`], and [`AppError::NotFound`] for a restriction the child does
    /// not have.
    pub async fn remove_restriction(
        &self,
        scope: &TenantScope,
        id: ChildId,
        restriction: RestrictionId,
        expected: Version,
    ) -> Result<Child, AppError> {
        self.modify(
            scope,
            id,
            expected,
            AuditAction::RestrictionRemoved,
            |child| {
                child
                    .remove_restriction(restriction)
                    .map(drop)
                    .map_err(|_| AppError::NotFound)
            },
        )
        .await
    }
}
