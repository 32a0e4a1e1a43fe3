//! The HTTP server: bound first, so that the port is known even when asked for port 0.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::dev::Server as ActixServer;
use actix_web::{App, HttpServer, web};
use cubby_api::Api;

use crate::glue;

/// A bound, not yet running, server.
pub struct Server {
    server: ActixServer,
    address: SocketAddr,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Binds `address` and prepares to serve `api` on it.
    ///
    /// # Errors
    ///
    /// When the address cannot be bound.
    pub fn bind(api: Arc<Api>, address: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(address)?;
        let address = listener.local_addr()?;
        let data = web::Data::new(api);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(usize::MAX))
                .default_service(web::to(glue::forward))
        })
        .shutdown_timeout(10)
        .listen(listener)?
        .run();
        Ok(Self { server, address })
    }

    /// The address actually bound.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves until SIGINT or SIGTERM, then finishes the requests in flight (up to 10 s).
    ///
    /// # Errors
    ///
    /// When the server fails.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
