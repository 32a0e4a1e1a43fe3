//! The floor under every MongoDB-backed read: one `find_one` by an indexed key, as the
//! adapter's `get` of a tenant-owned document runs it (`{_id, tenant_id}` on a
//! `Collection<Document>`), through a client opened by [`Mongo::connect_to`] (the adapter's
//! driver and options), against `CUBBY_TEST_MONGODB_URI` or `mongodb://127.0.0.1:27017`.
//!
//! It creates a database of its own (`cubby_bench_floor_…`) holding one collection with a
//! `{tenant_id: 1, _id: 1}` index and a few hundred child-like documents of two tenants, reads
//! them in turn, and drops the database at the end. Without a MongoDB that answers, it says so
//! and measures nothing: a benchmark, not a test (`scripts/bench micro` runs it and starts the
//! test services' MongoDB stand-in when none is given; docs/benchmarks.md keeps the numbers).
//! Against the stand-in, the figure is the stand-in's speed (a Python server), not MongoDB's.

use std::future::IntoFuture;
use std::hint::black_box;
use std::time::Duration;

use bson::{Document, doc};
use criterion::{Criterion, criterion_group, criterion_main};
use cubby_adapters_mongo::Mongo;
use mongodb::options::IndexOptions;
use mongodb::{Collection, Database, IndexModel};
use tokio::runtime::Runtime;
use uuid::Uuid;

const DEFAULT_URI: &str = "mongodb://127.0.0.1:27017/?directConnection=true";
/// Tenants in the collection, and documents of each.
const TENANTS: usize = 2;
const PER_TENANT: usize = 150;
const COLLECTION: &str = "children";
const INDEX: &str = "floor_tenant_id";

/// The seeded collection and the `(tenant_id, _id)` keys to read.
struct Fixture {
    database: Database,
    collection: Collection<Document>,
    keys: Vec<(String, String)>,
}

/// A document shaped like a stored child (about 600 bytes).
fn child(tenant: &str, id: &str, n: usize) -> Document {
    doc! {
        "_id": id,
        "tenant_id": tenant,
        "name": { "given": format!("Given{n}"), "family": format!("Family{n}") },
        "name_key": format!("family{n} given{n}"),
        "date_of_birth": "2023-04-01",
        "room_id": format!("room_{n:026}"),
        "enrolment": { "status": "enrolled", "starts_on": "2025-09-01" },
        "photo_consent": true,
        "sensitive": { "allergies": "peanuts" },
        "contacts": [{
            "id": format!("contact_{n:026}"),
            "name": { "given": "Parent", "family": format!("Family{n}") },
            "relationship": "parent",
            "phone": "+44 20 7946 0000",
            "can_collect": true,
            "emergency": true,
        }],
        "restrictions": [],
        "archived": false,
        "audit": {
            "created_at": bson::DateTime::now(), "created_by": "user:bench",
            "updated_at": bson::DateTime::now(), "updated_by": "user:bench",
        },
        "version": 1_i64,
    }
}

/// A database of its own, answering, with the indexed collection seeded; or why there is none.
async fn fixture(uri: &str) -> Result<Fixture, String> {
    let name = format!("cubby_bench_floor_{}", Uuid::now_v7().simple());
    let unanswered = |why: String| {
        format!("no MongoDB answered at CUBBY_TEST_MONGODB_URI or {DEFAULT_URI} ({why})")
    };
    let mongo = Mongo::connect_to(uri, Some(&name))
        .await
        .map_err(|e| unanswered(e.to_string()))?;
    let database = mongo.database().clone();
    let ping = database.run_command(doc! { "ping": 1 });
    match tokio::time::timeout(Duration::from_secs(5), ping).await {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => return Err(unanswered(error.kind.to_string())),
        Err(_) => return Err(unanswered("no answer within 5 s".to_owned())),
    }
    let collection = database.collection::<Document>(COLLECTION);
    let seed = async {
        collection
            .create_index(
                IndexModel::builder()
                    .keys(doc! { "tenant_id": 1, "_id": 1 })
                    .options(IndexOptions::builder().name(INDEX.to_owned()).build())
                    .build(),
            )
            .await?;
        let mut keys = Vec::with_capacity(TENANTS * PER_TENANT);
        let mut documents = Vec::with_capacity(TENANTS * PER_TENANT);
        for _ in 0..TENANTS {
            let tenant = format!("tnt_{}", Uuid::now_v7().simple());
            for n in 0..PER_TENANT {
                let id = format!("chd_{}", Uuid::now_v7().simple());
                documents.push(child(&tenant, &id, n));
                keys.push((tenant.clone(), id));
            }
        }
        collection.insert_many(documents).await?;
        Ok::<_, mongodb::error::Error>(keys)
    };
    match seed.await {
        Ok(keys) => Ok(Fixture {
            database,
            collection,
            keys,
        }),
        Err(error) => {
            let _ = database.drop().await;
            Err(format!("seeding its database failed ({})", error.kind))
        }
    }
}

fn find_one(c: &mut Criterion) {
    let Ok(rt) = Runtime::new() else {
        eprintln!("mongo floor skipped: no tokio runtime");
        return;
    };
    let uri = std::env::var("CUBBY_TEST_MONGODB_URI")
        .ok()
        .filter(|uri| !uri.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_URI.to_owned());
    // The uri may hold a password: only the outcome is reported.
    let fixture = match rt.block_on(fixture(&uri)) {
        Ok(fixture) => fixture,
        Err(reason) => {
            eprintln!("mongo floor skipped: {reason}");
            return;
        }
    };
    // Each read must find its document: a floor measured on misses would be no floor.
    let (tenant, id) = &fixture.keys[0];
    let found = rt.block_on(
        fixture
            .collection
            .find_one(doc! { "_id": id.as_str(), "tenant_id": tenant.as_str() })
            .into_future(),
    );
    if !matches!(found, Ok(Some(_))) {
        eprintln!("mongo floor skipped: a seeded document was not found");
        let _ = rt.block_on(fixture.database.drop().into_future());
        return;
    }
    let mut group = c.benchmark_group("floor/mongo");
    // The stand-in takes hundreds of microseconds a find: fewer samples than criterion's 100
    // keep the run near its set time.
    group.sample_size(20);
    let mut next = 0_usize;
    group.bench_function("find_one_by_indexed_key", |b| {
        b.to_async(&rt).iter(|| {
            // The documents in turn, as requests for different children would read them.
            let (tenant, id) = &fixture.keys[next % fixture.keys.len()];
            next = next.wrapping_add(1);
            let filter = doc! { "_id": id.as_str(), "tenant_id": tenant.as_str() };
            let collection = &fixture.collection;
            async move { matches!(collection.find_one(black_box(filter)).await, Ok(Some(_))) }
        })
    });
    group.finish();
    if let Err(error) = rt.block_on(fixture.database.drop().into_future()) {
        eprintln!(
            "mongo floor: could not drop its database {} ({})",
            fixture.database.name(),
            error.kind
        );
    }
}

criterion_group!(benches, find_one);
criterion_main!(benches);
