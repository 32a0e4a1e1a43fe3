//! The route table. A route cannot be registered without declaring its access: either
//! [`Access::Public`], said out loud, the one permission it needs, or [`Access::Operator`] for
//! the platform API, which no centre's session reaches.

use std::future::Future;

use cubby_domain::Permission;
use futures::future::BoxFuture;
use http::Method;

use crate::{ApiError, Ctx, Reply};

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a session (health checks, login).
    Public,
    /// Any valid session, whatever its permissions (the caller's own context, logout).
    Session,
    /// A session whose membership has this permission.
    Permission(Permission),
    /// A platform operator, by an operator API key (`/platform/v1`); a centre's session is
    /// never one.
    Operator,
}

/// What a route is: its method, path template and access.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteSpec {
    /// The method.
    pub method: Method,
    /// The path template, with `{name}` parameters.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// The largest body it takes, in bytes (within the host-wide cap of `ApiConfig::body_limit`).
    pub body_limit: usize,
}

/// The body cap of a route taking one record: the longest record (a 5,000-character message
/// with every character escaped) fits several times. Files never pass through the API: they
/// go to S3 by presigned URL.
pub const RECORD_BODY_LIMIT: usize = 64 * 1024;

type Handler = Box<dyn Fn(Ctx) -> BoxFuture<'static, Result<Reply, ApiError>> + Send + Sync>;

/// What a route belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The REST contract: JSON bodies within the host-wide cap, described by the OpenAPI
    /// document and listed by [`crate::Api::routes`].
    Contract,
    /// The dev object endpoint standing in for S3 (`/local-objects/...`): bodies of any type,
    /// up to the route's own cap, however low the host-wide one; not part of the contract, so
    /// neither in the document nor in [`crate::Api::routes`].
    ObjectEndpoint,
    /// A dev-only convenience (`GET /dev/outbox`): public, JSON, not part of the contract.
    Dev,
}

pub(crate) struct Route {
    pub(crate) spec: RouteSpec,
    pub(crate) kind: Kind,
    handler: Handler,
}

impl Route {
    pub(crate) fn call(&self, ctx: Ctx) -> BoxFuture<'static, Result<Reply, ApiError>> {
        (self.handler)(ctx)
    }
}

/// What a path and method lead to.
pub(crate) enum Lookup<'a> {
    Found(&'a Route, Vec<(String, String)>),
    MethodNotAllowed(Vec<Method>),
    NotFound,
}

/// Every route, matched by path template, then by method.
#[derive(Default)]
pub(crate) struct Router {
    paths: matchit::Router<Vec<usize>>,
    routes: Vec<Route>,
    /// Registrations that could not be added (a programming error a unit test looks for).
    pub(crate) conflicts: Vec<String>,
}

impl Router {
    /// Adds a route anyone may call.
    pub(crate) fn public<F, Fut>(&mut self, method: Method, path: &'static str, handler: F)
    where
        F: Fn(Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Reply, ApiError>> + Send + 'static,
    {
        self.add(
            RouteSpec {
                method,
                path,
                access: Access::Public,
                body_limit: RECORD_BODY_LIMIT,
            },
            handler,
        );
    }

    /// Adds a route any valid session may call.
    pub(crate) fn session<F, Fut>(&mut self, method: Method, path: &'static str, handler: F)
    where
        F: Fn(Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Reply, ApiError>> + Send + 'static,
    {
        self.add(
            RouteSpec {
                method,
                path,
                access: Access::Session,
                body_limit: RECORD_BODY_LIMIT,
            },
            handler,
        );
    }

    /// Adds a route that needs a session with `permission`.
    pub(crate) fn permitted<F, Fut>(
        &mut self,
        method: Method,
        path: &'static str,
        permission: Permission,
        handler: F,
    ) where
        F: Fn(Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Reply, ApiError>> + Send + 'static,
    {
        self.add(
            RouteSpec {
                method,
                path,
                access: Access::Permission(permission),
                body_limit: RECORD_BODY_LIMIT,
            },
            handler,
        );
    }

    /// Adds a route of the platform API, which only an operator key opens.
    pub(crate) fn operator<F, Fut>(&mut self, method: Method, path: &'static str, handler: F)
    where
        F: Fn(Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Reply, ApiError>> + Send + 'static,
    {
        self.add(
            RouteSpec {
                method,
                path,
                access: Access::Operator,
                body_limit: RECORD_BODY_LIMIT,
            },
            handler,
        );
    }

    /// Adds a route of the dev object endpoint: public (the request carries its signed grant,
    /// which the store checks), taking bodies of any type up to `body_limit`.
    pub(crate) fn object_endpoint<F, Fut>(
        &mut self,
        method: Method,
        path: &'static str,
        body_limit: usize,
        handler: F,
    ) where
        F: Fn(Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Reply, ApiError>> + Send + 'static,
    {
        self.add_of(
            Kind::ObjectEndpoint,
            RouteSpec {
                method,
                path,
                access: Access::Public,
                body_limit,
            },
            handler,
        );
    }

    /// Adds a dev-only public route, outside the contract (see [`Kind::Dev`]).
    pub(crate) fn dev<F, Fut>(&mut self, method: Method, path: &'static str, handler: F)
    where
        F: Fn(Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Reply, ApiError>> + Send + 'static,
    {
        self.add_of(
            Kind::Dev,
            RouteSpec {
                method,
                path,
                access: Access::Public,
                body_limit: RECORD_BODY_LIMIT,
            },
            handler,
        );
    }

    fn add<F, Fut>(&mut self, spec: RouteSpec, handler: F)
    where
        F: Fn(Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Reply, ApiError>> + Send + 'static,
    {
        self.add_of(Kind::Contract, spec, handler);
    }

    fn add_of<F, Fut>(&mut self, kind: Kind, spec: RouteSpec, handler: F)
    where
        F: Fn(Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Reply, ApiError>> + Send + 'static,
    {
        let index = self.routes.len();
        let duplicate = self.at(&spec.method, spec.path);
        if matches!(duplicate, Lookup::Found(route, _) if route.spec.path == spec.path) {
            self.conflicts
                .push(format!("{} {} registered twice", spec.method, spec.path));
            return;
        }
        match self.paths.at_mut(spec.path) {
            Ok(found)
                if found
                    .value
                    .first()
                    .is_some_and(|&i| self.routes[i].spec.path == spec.path) =>
            {
                found.value.push(index);
            }
            _ => {
                if let Err(error) = self.paths.insert(spec.path, vec![index]) {
                    self.conflicts
                        .push(format!("{} {}: {error}", spec.method, spec.path));
                    return;
                }
            }
        }
        self.routes.push(Route {
            spec,
            kind,
            handler: Box::new(move |ctx| Box::pin(handler(ctx))),
        });
    }

    /// The route for `method` and `path`.
    pub(crate) fn at(&self, method: &Method, path: &str) -> Lookup<'_> {
        let Ok(found) = self.paths.at(path) else {
            return Lookup::NotFound;
        };
        let params = found
            .params
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        match found
            .value
            .iter()
            .map(|&i| &self.routes[i])
            .find(|r| r.spec.method == method)
        {
            Some(route) => Lookup::Found(route, params),
            None => Lookup::MethodNotAllowed(
                found
                    .value
                    .iter()
                    .map(|&i| self.routes[i].spec.method.clone())
                    .collect(),
            ),
        }
    }

    /// Every route's spec of the REST contract, in registration order.
    pub(crate) fn specs(&self) -> impl Iterator<Item = &RouteSpec> {
        self.routes
            .iter()
            .filter(|r| r.kind == Kind::Contract)
            .map(|r| &r.spec)
    }

    /// The body cap of the object endpoint's routes at `path`, when `path` is one of theirs.
    pub(crate) fn object_body_limit(&self, path: &str) -> Option<usize> {
        let found = self.paths.at(path).ok()?;
        found
            .value
            .iter()
            .map(|&i| &self.routes[i])
            .filter(|r| r.kind == Kind::ObjectEndpoint)
            .map(|r| r.spec.body_limit)
            .max()
    }
}
