//! Announcements, threads and messages in memory, partitioned by tenant.

use std::collections::HashMap;

use async_trait::async_trait;
use cubby_domain::{
    Announcement, AnnouncementId, Audience, Message, Receipt, Thread, ThreadId, UserId,
};
use cubby_ports::{
    AnnouncementQuery, MessageRepository, Page, PageRequest, RepoError, SortDirection, TenantScope,
    ThreadQuery,
};
use time::OffsetDateTime;

use crate::partitioned::Partitioned;
use crate::{MemoryStore, paginate, read, write};

/// Every tenant's messages.
#[derive(Default)]
pub(crate) struct MessageTable {
    tenants: Partitioned<TenantMessages>,
}

#[derive(Default)]
struct TenantMessages {
    announcements: Vec<Announcement>,
    threads: Vec<Thread>,
    messages: HashMap<ThreadId, Vec<Message>>,
}

#[async_trait]
impl MessageRepository for MemoryStore {
    async fn insert_announcement(
        &self,
        scope: &TenantScope,
        announcement: &Announcement,
    ) -> Result<(), RepoError> {
        write(&self.messages)
            .tenants
            .writing(scope)
            .announcements
            .push(announcement.clone());
        Ok(())
    }

    async fn get_announcement(
        &self,
        scope: &TenantScope,
        id: AnnouncementId,
    ) -> Result<Announcement, RepoError> {
        read(&self.messages)
            .tenants
            .of(scope)
            .and_then(|t| t.announcements.iter().find(|a| a.id == id))
            .cloned()
            .ok_or(RepoError::NotFound)
    }

    async fn announcements(
        &self,
        scope: &TenantScope,
        query: &AnnouncementQuery,
    ) -> Result<Page<Announcement>, RepoError> {
        let table = read(&self.messages);
        let Some(tenant) = table.tenants.of(scope) else {
            return Ok(Page::empty());
        };
        let mut matching: Vec<&Announcement> = tenant
            .announcements
            .iter()
            .filter(|a| match (&query.rooms, a.audience) {
                (None, _) | (Some(_), Audience::Centre) => true,
                (Some(rooms), Audience::Room(room)) => rooms.contains(&room),
            })
            .collect();
        matching.sort_by(|a, b| {
            query
                .direction
                .apply(a.sent_at.cmp(&b.sent_at).then(a.id.cmp(&b.id)))
        });
        Ok(paginate(matching, query.page))
    }

    async fn mark_announcement_read(
        &self,
        scope: &TenantScope,
        id: AnnouncementId,
        user: UserId,
        at: OffsetDateTime,
    ) -> Result<(), RepoError> {
        let mut table = write(&self.messages);
        let announcement = table
            .tenants
            .of_mut(scope)
            .and_then(|t| t.announcements.iter_mut().find(|a| a.id == id))
            .ok_or(RepoError::NotFound)?;
        if !announcement.receipts.iter().any(|r| r.user == user) {
            announcement.receipts.push(Receipt { user, at });
        }
        Ok(())
    }

    async fn insert_thread(
        &self,
        scope: &TenantScope,
        thread: &Thread,
        first: &Message,
    ) -> Result<(), RepoError> {
        let mut table = write(&self.messages);
        let tenant = table.tenants.writing(scope);
        tenant.threads.push(thread.clone());
        tenant.messages.insert(thread.id, vec![first.clone()]);
        Ok(())
    }

    async fn get_thread(&self, scope: &TenantScope, id: ThreadId) -> Result<Thread, RepoError> {
        read(&self.messages)
            .tenants
            .of(scope)
            .and_then(|t| t.threads.iter().find(|thread| thread.id == id))
            .cloned()
            .ok_or(RepoError::NotFound)
    }

    async fn threads(
        &self,
        scope: &TenantScope,
        query: &ThreadQuery,
    ) -> Result<Page<Thread>, RepoError> {
        let table = read(&self.messages);
        let Some(tenant) = table.tenants.of(scope) else {
            return Ok(Page::empty());
        };
        let mut matching: Vec<&Thread> = tenant
            .threads
            .iter()
            .filter(|t| {
                query
                    .children
                    .as_ref()
                    .is_none_or(|children| children.contains(&t.child_id))
            })
            .filter(|t| {
                query
                    .participant
                    .is_none_or(|user| t.participants.contains(&user))
            })
            .collect();
        matching.sort_by(|a, b| {
            query.direction.apply(
                a.last_message_at
                    .cmp(&b.last_message_at)
                    .then(a.id.cmp(&b.id)),
            )
        });
        Ok(paginate(matching, query.page))
    }

    async fn add_message(&self, scope: &TenantScope, message: &Message) -> Result<(), RepoError> {
        let mut table = write(&self.messages);
        let tenant = table.tenants.of_mut(scope).ok_or(RepoError::NotFound)?;
        let thread = tenant
            .threads
            .iter_mut()
            .find(|t| t.id == message.thread_id)
            .ok_or(RepoError::NotFound)?;
        thread.messages += 1;
        thread.last_message_at = thread.last_message_at.max(message.sent_at);
        tenant
            .messages
            .entry(message.thread_id)
            .or_default()
            .push(message.clone());
        Ok(())
    }

    async fn messages(
        &self,
        scope: &TenantScope,
        thread: ThreadId,
        direction: SortDirection,
        page: PageRequest,
    ) -> Result<Page<Message>, RepoError> {
        let table = read(&self.messages);
        let Some(messages) = table
            .tenants
            .of(scope)
            .and_then(|t| t.messages.get(&thread))
        else {
            return Ok(Page::empty());
        };
        let mut ordered: Vec<&Message> = messages.iter().collect();
        ordered.sort_by(|a, b| direction.apply(a.sent_at.cmp(&b.sent_at).then(a.id.cmp(&b.id))));
        Ok(paginate(ordered, page))
    }

    async fn mark_thread_read(
        &self,
        scope: &TenantScope,
        id: ThreadId,
        user: UserId,
        at: OffsetDateTime,
    ) -> Result<(), RepoError> {
        let mut table = write(&self.messages);
        let thread = table
            .tenants
            .of_mut(scope)
            .and_then(|t| t.threads.iter_mut().find(|thread| thread.id == id))
            .ok_or(RepoError::NotFound)?;
        match thread.receipts.iter_mut().find(|r| r.user == user) {
            Some(receipt) => receipt.at = receipt.at.max(at),
            None => thread.receipts.push(Receipt { user, at }),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::MemoryStore;

    cubby_ports::message_repository_contract!(async { MemoryStore::default() });
}
