//! The tenant directory in the `tenants` collection (platform-level: the one collection not
//! partitioned by tenant, since its documents are the tenants).

use async_trait::async_trait;
use bson::doc;
use cubby_domain::time_of_day::{clock_time, parse_clock_time};
use cubby_domain::{
    CentreSettings, RatioEnforcement, Tenant, TenantCode, TenantId, TenantName, TenantStatus,
    TimeZone, Version,
};
use cubby_ports::{Page, RepoError, TenantDirectory, TenantQuery};
use futures::TryStreamExt;
use mongodb::Collection;
use serde::{Deserialize, Serialize};

use crate::audit::AuditDocument;
use crate::timed;
use crate::{
    Mongo, decode, duplicate_key, one_of, page_of, platform, sort_order, to_repo_error,
    version_from_bson, version_to_bson,
};

/// The collection.
pub(crate) const COLLECTION: &str = "tenants";

/// The unique index on tenant codes.
pub(crate) const CODE_INDEX: &str = "tenants_code_unique";

/// A tenant as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TenantDocument {
    #[serde(rename = "_id")]
    id: String,
    code: String,
    name: String,
    time_zone: String,
    status: String,
    /// `warn` or `refuse` (absent in documents written before centre settings: `warn`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ratio_enforcement: Option<String>,
    /// `HH:MM` in the centre's time zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    closing_time: Option<String>,
    audit: AuditDocument,
    version: i64,
}

impl TenantDocument {
    fn from_domain(tenant: &Tenant) -> Self {
        Self {
            id: tenant.id().to_string(),
            code: tenant.code().to_string(),
            name: tenant.name().as_str().to_owned(),
            time_zone: tenant.time_zone().name().to_owned(),
            status: tenant.status().as_str().to_owned(),
            ratio_enforcement: Some(tenant.settings().ratio_enforcement.as_str().to_owned()),
            closing_time: tenant.settings().closing_time.map(clock_time),
            audit: AuditDocument::from_domain(tenant.audit()),
            version: version_to_bson(tenant.version()),
        }
    }

    fn into_domain(self) -> Result<Tenant, RepoError> {
        let bad = |field: &str| RepoError::corrupt(format!("tenant document: malformed {field}"));
        Ok(Tenant::restore(cubby_domain::TenantParts {
            id: TenantId::parse(&self.id).map_err(|_| bad("_id"))?,
            code: TenantCode::parse(&self.code).map_err(|_| bad("code"))?,
            name: TenantName::parse(&self.name).map_err(|_| bad("name"))?,
            time_zone: TimeZone::parse(&self.time_zone).map_err(|_| bad("time_zone"))?,
            status: TenantStatus::parse(&self.status).ok_or_else(|| bad("status"))?,
            settings: CentreSettings {
                ratio_enforcement: match self.ratio_enforcement.as_deref() {
                    None => RatioEnforcement::default(),
                    Some(text) => {
                        RatioEnforcement::parse(text).ok_or_else(|| bad("ratio_enforcement"))?
                    }
                },
                closing_time: self
                    .closing_time
                    .as_deref()
                    .map(|text| parse_clock_time(text).ok_or_else(|| bad("closing_time")))
                    .transpose()?,
            },
            audit: self.audit.into_domain("tenant document")?,
            version: version_from_bson(self.version).ok_or_else(|| bad("version"))?,
        }))
    }
}

impl Mongo {
    fn tenants(&self) -> Collection<TenantDocument> {
        self.db.collection(COLLECTION)
    }

    async fn tenant_where(&self, filter: bson::Document) -> Result<Tenant, RepoError> {
        one_of(
            &self.db.collection(COLLECTION),
            platform(filter),
            |document| decode::<TenantDocument>(COLLECTION, document)?.into_domain(),
        )
        .await?
        .ok_or(RepoError::NotFound)
    }
}

#[async_trait]
impl TenantDirectory for Mongo {
    async fn by_code(&self, code: &TenantCode) -> Result<Tenant, RepoError> {
        self.tenant_where(doc! { "code": code.as_str() }).await
    }

    async fn by_id(&self, id: TenantId) -> Result<Tenant, RepoError> {
        self.tenant_where(doc! { "_id": id.to_string() }).await
    }

    async fn insert(&self, tenant: &Tenant) -> Result<(), RepoError> {
        match timed(
            "tenants.insert",
            self.tenants()
                .insert_one(TenantDocument::from_domain(tenant)),
        )
        .await
        {
            Ok(_) => Ok(()),
            Err(error) => Err(match duplicate_key(&error) {
                Some(message) if message.contains(CODE_INDEX) || message.contains("code") => {
                    RepoError::Conflict("tenant.code")
                }
                Some(_) => RepoError::Conflict("tenant.id"),
                None => to_repo_error(error),
            }),
        }
    }

    async fn update(&self, tenant: &Tenant, expected: Version) -> Result<(), RepoError> {
        let id = tenant.id().to_string();
        let filter = platform(doc! {
            "_id": &id,
            "code": tenant.code().as_str(),
            "version": version_to_bson(expected),
        });
        let result = timed(
            "tenants.replace",
            self.tenants()
                .replace_one(filter.into_document(), TenantDocument::from_domain(tenant)),
        )
        .await
        .map_err(to_repo_error)?;
        if result.matched_count == 1 {
            return Ok(());
        }
        let stored = self.by_id(tenant.id()).await?;
        if stored.code() != tenant.code() {
            return Err(RepoError::Failed("a tenant's code cannot change".into()));
        }
        Err(RepoError::StaleVersion)
    }

    async fn tenant_ids(
        &self,
        after: Option<TenantId>,
        limit: u32,
    ) -> Result<Vec<TenantId>, RepoError> {
        let filter = platform(match after {
            Some(after) => doc! { "_id": { "$gt": after.to_string() } },
            None => doc! {},
        });
        let tenants = self.db.collection::<bson::Document>(COLLECTION);
        let find = async {
            tenants
                .find(filter.into_document())
                .projection(doc! { "_id": 1 })
                .sort(doc! { "_id": 1 })
                .limit(i64::from(limit))
                .await?
                .try_collect()
                .await
        };
        let documents: Vec<bson::Document> =
            timed("tenants.find", find).await.map_err(to_repo_error)?;
        documents
            .iter()
            .map(|d| {
                d.get_str("_id")
                    .ok()
                    .and_then(|id| TenantId::parse(id).ok())
                    .ok_or_else(|| RepoError::corrupt("tenant document: malformed _id"))
            })
            .collect()
    }

    async fn list_tenants(&self, query: &TenantQuery) -> Result<Page<Tenant>, RepoError> {
        let mut filter = platform(doc! {});
        if let Some(prefix) = &query.code_prefix {
            // A range rather than a regex: the prefix is taken as text (no pattern to escape)
            // and the code index serves it. Codes are ASCII below 0x7f, so every code starting
            // with the prefix, and no other, sorts from the prefix to the prefix and 0x7f.
            filter.insert(
                "code",
                doc! { "$gte": prefix.as_str(), "$lt": format!("{prefix}\u{7f}") },
            );
        }
        if let Some(status) = query.status {
            filter.insert("status", status.as_str());
        }
        page_of(
            &self.db.collection(COLLECTION),
            filter,
            doc! { "code": sort_order(query.direction) },
            query.page,
            |document| decode::<TenantDocument>(COLLECTION, document)?.into_domain(),
        )
        .await
    }
}
