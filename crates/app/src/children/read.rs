//! Reading children: one child, a page of those the caller reaches, and the sensitive part
//! (audited before it is answered).

use std::collections::HashMap;

use cubby_domain::{AuditAction, Child, ChildId, GuardianView, Permission, UserId};
use cubby_ports::{ChildQuery, ChildSet, MAX_LIMIT, Page, PageRequest, TenantScope};
use time::Date;

use super::{Access, Children, Seen};
use crate::AppError;
use crate::error::require;

impl Children {
    /// One child the caller reaches.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `children:read`; [`AppError::NotFound`] when the
    /// caller does not reach it.
    pub async fn get(&self, scope: &TenantScope, id: ChildId) -> Result<Seen, AppError> {
        require(scope, Permission::ChildrenRead)?;
        let day = self.today(scope).await?;
        let child = self.children.get(scope, id).await?;
        let access = self.reach(scope, &child, day).await?;
        Ok(Seen { child, access })
    }

    /// A page of the children the caller reaches, filtered by `query` (whose `within` and
    /// `linked_user` are set here).
    ///
    /// A caller without `centre:all_rooms` sees the children of the rooms they work in and
    /// the children they are linked to (at most [`MAX_LIMIT`] of those).
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `children:read`.
    pub async fn list(
        &self,
        scope: &TenantScope,
        mut query: ChildQuery,
    ) -> Result<Page<Seen>, AppError> {
        require(scope, Permission::ChildrenRead)?;
        query.linked_user = None;
        query.within = None;
        let user = scope.user_id();
        if scope.has(Permission::CentreAllRooms) || user.is_none() {
            return self.list_all(scope, &query).await;
        }
        let day = self.today(scope).await?;
        let user = user.ok_or(AppError::NotFound)?;
        let rooms = self.staff_rooms(scope).await?;
        let views = self
            .guardian_views(scope, user, day, query.include_archived)
            .await?;
        query.within = Some(ChildSet {
            rooms: rooms.clone(),
            children: views.keys().copied().collect(),
        });
        let page = self.children.list(scope, &query).await?;
        let items = page
            .items
            .into_iter()
            .filter(|child| !child.records_blocked_for(user, day))
            .filter_map(|child| {
                let access = if child.room_id().is_some_and(|room| rooms.contains(&room)) {
                    Access::Staff
                } else {
                    Access::Guardian(*views.get(&child.id())?)
                };
                Some(Seen { child, access })
            })
            .collect();
        Ok(Page {
            items,
            total: page.total,
        })
    }

    /// A page of every child of the centre matching `query`, reached as staff.
    async fn list_all(
        &self,
        scope: &TenantScope,
        query: &ChildQuery,
    ) -> Result<Page<Seen>, AppError> {
        let page = self.children.list(scope, query).await?;
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(|child| Seen {
                    child,
                    access: Access::Staff,
                })
                .collect(),
            total: page.total,
        })
    }

    /// What `user` sees on `day` of each child they are linked to as a contact (at most
    /// [`MAX_LIMIT`] children).
    async fn guardian_views(
        &self,
        scope: &TenantScope,
        user: UserId,
        day: Date,
        include_archived: bool,
    ) -> Result<HashMap<ChildId, GuardianView>, AppError> {
        let mut views: HashMap<ChildId, GuardianView> = HashMap::new();
        let linked = ChildQuery {
            linked_user: Some(user),
            include_archived,
            page: PageRequest::new(MAX_LIMIT, 0).map_err(|e| AppError::Internal(e.into()))?,
            ..ChildQuery::default()
        };
        for child in self.children.list(scope, &linked).await?.items {
            if let Some(view) = child.guardian_view(user, day) {
                views.insert(child.id(), view);
            }
        }
        Ok(views)
    }

    /// The sensitive part of a child's record (allergies, medical notes, medication, custody
    /// notes) and its custody restrictions; the read is audited before it is answered.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `children:read_sensitive`; [`AppError::NotFound`]
    /// unless the caller reaches the child as staff; [`AppError::Unavailable`] when the
    /// audit event cannot be stored (nothing is answered then).
    pub async fn sensitive(&self, scope: &TenantScope, id: ChildId) -> Result<Child, AppError> {
        require(scope, Permission::ChildrenReadSensitive)?;
        let day = self.today(scope).await?;
        let child = self.as_staff(scope, id, day).await?;
        self.audit
            .record_before(
                scope,
                AuditAction::ChildSensitiveRead,
                Some(child.id().to_string()),
                &[],
            )
            .await?;
        Ok(child)
    }
}
