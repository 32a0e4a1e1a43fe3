//! Dev only: the banner that shows the demo data set's password and access tokens, once.

use std::net::SocketAddr;

use cubby_compose::demo::{DEMO_TOKEN_TTL, Demo};
use secrecy::ExposeSecret;

/// Prints the dev banner on stdout (never through the logs).
#[expect(
    clippy::print_stdout,
    reason = "the dev banner is for the developer's terminal, not the logs"
)]
pub fn print_banner(address: SocketAddr, demo: &Demo, persistent: bool) {
    println!();
    if persistent {
        println!("Cubby is running in dev on MongoDB with the demo data set.");
    } else {
        println!(
            "Cubby is running in dev on the in-memory store with the demo data set; nothing is kept after it stops."
        );
    }
    println!("  API:     http://{address}/v1   health: http://{address}/healthz");
    println!(
        "  Demo users: owner@, director@, teacher@, guardian@ sunny-days.example and maple-grove.example"
    );
    if demo.password_generated {
        println!(
            "  Password (for every demo user, new at every start): {}",
            demo.password.expose_secret()
        );
    } else {
        println!("  Password: the one in CUBBY_DEMO_PASSWORD");
    }
    println!(
        "  Access tokens (valid {} hours, new at every start):",
        DEMO_TOKEN_TTL.whole_hours()
    );
    for (tenant, by_role) in &demo.tokens {
        for (role, token) in by_role {
            println!("    {tenant:<12} {role:<9} {token}");
        }
    }
    match &demo.platform_key {
        Some(key) => println!(
            "  Platform operator key (new at every start): {}\n    curl -H \"Authorization: Bearer <key>\" http://{address}/platform/v1/centres",
            key.expose_secret()
        ),
        None => println!("  Platform operator key: one of those in CUBBY_PLATFORM_KEYS"),
    }
    println!(
        "  Try:  curl -H \"Authorization: Bearer <director token>\" http://{address}/v1/rooms"
    );
    println!();
}
