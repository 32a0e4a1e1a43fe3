//! A child's contacts: adding, changing and removing them; pickup PINs are stored hashed.

use cubby_domain::{
    AuditAction, Child, ChildId, Contact, ContactId, ErrorCode, Permission, Pin, UserId, Version,
};
use cubby_ports::TenantScope;
use secrecy::SecretString;

use super::{Children, ContactChanges, NewContact};
use crate::AppError;
use crate::error::require;

impl Children {
    /// Adds a contact to a child; its PIN is stored hashed.
    ///
    /// # Errors
    ///
    /// As [`Children::update`], and [`AppError::Invalid`] (`contact.unknown_user`) when the
    /// user to link is not a member of the centre.
    pub async fn add_contact(
        &self,
        scope: &TenantScope,
        id: ChildId,
        expected: Version,
        new: NewContact,
    ) -> Result<(Child, ContactId), AppError> {
        require(scope, Permission::ChildrenWrite)?;
        if let Some(user) = new.user_id {
            self.check_member(scope, user).await?;
        }
        let pickup_pin = match &new.pickup_pin {
            Some(pin) => Some(self.hash_pin(pin).await?),
            None => None,
        };
        let contact = Contact {
            id: ContactId::from_uuid(self.ids.uuid()),
            name: new.name,
            relationship: new.relationship,
            phone: new.phone,
            email: new.email,
            user_id: new.user_id,
            capabilities: new.capabilities,
            pickup_pin,
        };
        let contact_id = contact.id;
        let child = self
            .modify(scope, id, expected, AuditAction::ContactAdded, |child| {
                child.add_contact(contact);
                Ok(())
            })
            .await?;
        Ok((child, contact_id))
    }

    /// Changes one of a child's contacts.
    ///
    /// # Errors
    ///
    /// As [`Children::add_contact`], and [`AppError::NotFound`] for a contact the child does
    /// not have.
    pub async fn update_contact(
        &self,
        scope: &TenantScope,
        id: ChildId,
        contact: ContactId,
        expected: Version,
        changes: ContactChanges,
    ) -> Result<Child, AppError> {
        require(scope, Permission::ChildrenWrite)?;
        if let Some(Some(user)) = changes.user_id {
            self.check_member(scope, user).await?;
        }
        let pickup_pin = match &changes.pickup_pin {
            Some(Some(pin)) => Some(Some(self.hash_pin(pin).await?)),
            Some(None) => Some(None),
            None => None,
        };
        self.modify(scope, id, expected, AuditAction::ContactChanged, |child| {
            let entry = child.contact_mut(contact).ok_or(AppError::NotFound)?;
            if let Some(name) = changes.name {
                entry.name = name;
            }
            if let Some(relationship) = changes.relationship {
                entry.relationship = relationship;
            }
            if let Some(phone) = changes.phone {
                entry.phone = phone;
            }
            if let Some(email) = changes.email {
                entry.email = email;
            }
            if let Some(user) = changes.user_id {
                entry.user_id = user;
            }
            if let Some(capabilities) = changes.capabilities {
                entry.capabilities = capabilities;
            }
            if let Some(pin) = pickup_pin {
                entry.pickup_pin = pin;
            }
            Ok(())
        })
        .await
    }

    /// Removes one of a child's contacts.
    ///
    /// # Errors
    ///
    /// As [`Children::update_contact`].
    pub async fn remove_contact(
        &self,
        scope: &TenantScope,
        id: ChildId,
        contact: ContactId,
        expected: Version,
    ) -> Result<Child, AppError> {
        self.modify(scope, id, expected, AuditAction::ContactRemoved, |child| {
            child
                .remove_contact(contact)
                .map(drop)
                .map_err(|_| AppError::NotFound)
        })
        .await
    }

    async fn check_member(&self, scope: &TenantScope, user: UserId) -> Result<(), AppError> {
        match self.directory.membership_of(scope.tenant_id(), user).await {
            Ok(_) => Ok(()),
            Err(cubby_ports::RepoError::NotFound) => Err(AppError::Invalid {
                field: "user_id",
                code: ErrorCode::ContactUnknownUser,
                message: "the user is not a member of this centre".to_owned(),
            }),
            Err(other) => Err(other.into()),
        }
    }

    async fn hash_pin(&self, pin: &Pin) -> Result<cubby_domain::PasswordHash, AppError> {
        self.passwords
            .hash(SecretString::from(pin.as_str().to_owned()))
            .await
    }

    /// Whether `pin` is the contact's pickup PIN (false when they have none).
    ///
    /// # Errors
    ///
    /// [`AppError::Internal`] if the blocking pool fails.
    pub(crate) async fn pin_matches(&self, contact: &Contact, pin: &Pin) -> Result<bool, AppError> {
        self.passwords
            .verify(
                SecretString::from(pin.as_str().to_owned()),
                contact.pickup_pin.as_ref(),
            )
            .await
    }
}
