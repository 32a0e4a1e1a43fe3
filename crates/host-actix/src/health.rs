//! `cubby health`: asks a running `cubby serve` whether it is alive, for container health
//! checks in images without a shell or an HTTP client.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

/// How long the check waits to connect, and then for the answer.
const TIMEOUT: Duration = Duration::from_secs(2);

/// Whether the server listening on `bind` (`CUBBY_BIND`) answers `GET /health/live` with 200.
/// An unspecified address (`0.0.0.0`, `::`) is reached on the loopback interface.
///
/// # Errors
///
/// What went wrong, in words: no connection, no answer in time, or another status.
pub fn check(bind: SocketAddr) -> Result<(), String> {
    let ip = match bind.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let address = SocketAddr::new(ip, bind.port());
    let mut stream = TcpStream::connect_timeout(&address, TIMEOUT)
        .map_err(|error| format!("cannot connect to {address}: {error}"))?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(TIMEOUT)))
        .and_then(|()| {
            stream.write_all(
                b"GET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
            )
        })
        .map_err(|error| format!("cannot ask {address}: {error}"))?;
    let mut head = [0_u8; 12];
    stream
        .read_exact(&mut head)
        .map_err(|error| format!("no answer from {address}: {error}"))?;
    match &head {
        b"HTTP/1.1 200" | b"HTTP/1.0 200" => Ok(()),
        other => Err(format!(
            "{address} answered `{}`",
            String::from_utf8_lossy(other)
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use std::io::{Read, Write};
    use std::net::TcpListener;

    use super::check;

    /// A one-request server answering `status_line`; its address.
    fn answering(status_line: &'static str) -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = [0_u8; 256];
            let read = stream.read(&mut request).unwrap();
            assert!(request[..read].starts_with(b"GET /health/live HTTP/1.1\r\n"));
            stream
                .write_all(format!("{status_line}\r\ncontent-length: 0\r\n\r\n").as_bytes())
                .unwrap();
        });
        address
    }

    #[test]
    fn a_200_is_healthy_and_anything_else_is_not() {
        assert_eq!(check(answering("HTTP/1.1 200 OK")), Ok(()));
        let error = check(answering("HTTP/1.1 503 Service Unavailable")).unwrap_err();
        assert!(error.contains("503"), "{error}");
    }

    #[test]
    fn an_unspecified_bind_address_is_checked_on_loopback_and_nothing_listening_fails() {
        let address = answering("HTTP/1.1 200 OK");
        let unspecified = std::net::SocketAddr::new([0, 0, 0, 0].into(), address.port());
        assert_eq!(check(unspecified), Ok(()));
        let closed = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        assert!(check(closed).unwrap_err().contains("cannot connect"));
    }
}
