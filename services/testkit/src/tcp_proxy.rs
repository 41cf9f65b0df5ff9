//! A TCP proxy in front of a server that tests may not stop themselves (the
//! machine's PostgreSQL): `stop` makes the server unreachable for whoever goes
//! through the proxy (connections cut, new ones refused), `freeze` makes it hang
//! (bytes held, nothing answered), and `start` / `thaw` bring it back.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::{free_port, wait_until};

/// How often blocked loops look at the stop and freeze flags.
const POLL: Duration = Duration::from_millis(5);

/// A proxy from `127.0.0.1:<port>` to a target address.
#[derive(Debug)]
pub struct TcpProxy {
    port: u16,
    target: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

#[derive(Debug, Default)]
struct Shared {
    accepting: AtomicBool,
    frozen: AtomicBool,
    streams: Mutex<Vec<TcpStream>>,
}

impl TcpProxy {
    /// A proxy to `target`, listening.
    pub fn start(target: SocketAddr) -> Self {
        let mut proxy = Self::stopped(target);
        proxy.resume();
        proxy
    }

    /// A proxy to `target` whose port is chosen but not listening yet: the server
    /// "is not up yet" until [`TcpProxy::resume`].
    pub fn stopped(target: SocketAddr) -> Self {
        Self {
            port: free_port(),
            target,
            shared: Arc::new(Shared::default()),
            acceptor: None,
        }
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Starts listening (again) on the same port.
    pub fn resume(&mut self) {
        if self.acceptor.is_some() {
            return;
        }
        let mut listener = None;
        // The port can linger for a moment after a stop.
        wait_until("the proxy port to be free", Duration::from_secs(10), || {
            listener = TcpListener::bind(("127.0.0.1", self.port)).ok();
            listener.is_some()
        });
        let listener = listener.expect("bound by wait_until");
        listener
            .set_nonblocking(true)
            .expect("cannot make the proxy listener non-blocking");
        self.shared.accepting.store(true, Ordering::SeqCst);
        let shared = Arc::clone(&self.shared);
        let target = self.target;
        self.acceptor = Some(std::thread::spawn(move || {
            accept_loop(&listener, target, &shared)
        }));
    }

    /// Stops listening and cuts every proxied connection: the server looks down.
    pub fn stop(&mut self) {
        self.shared.accepting.store(false, Ordering::SeqCst);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        for stream in self.shared.streams.lock().expect("streams lock").drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// Holds every byte in both directions: the server looks hung.
    pub fn freeze(&self) {
        self.shared.frozen.store(true, Ordering::SeqCst);
    }

    /// Lets the held bytes through again.
    pub fn thaw(&self) {
        self.shared.frozen.store(false, Ordering::SeqCst);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.thaw();
        self.stop();
    }
}

fn accept_loop(listener: &TcpListener, target: SocketAddr, shared: &Arc<Shared>) {
    while shared.accepting.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((client, _)) => {
                let _ = client.set_nonblocking(false);
                let Ok(server) = TcpStream::connect_timeout(&target, Duration::from_secs(2)) else {
                    continue; // the client sees its connection closed, as with a dead server
                };
                let pairs = [(&client, &server), (&server, &client)];
                let mut streams = shared.streams.lock().expect("streams lock");
                for (from, to) in pairs {
                    let (Ok(from), Ok(to)) = (from.try_clone(), to.try_clone()) else {
                        continue;
                    };
                    let shared = Arc::clone(shared);
                    std::thread::spawn(move || pump(from, to, &shared));
                }
                for stream in [client, server] {
                    streams.push(stream);
                }
            }
            Err(error) if error.kind() == ErrorKind::WouldBlock => std::thread::sleep(POLL),
            Err(_) => std::thread::sleep(POLL),
        }
    }
}

/// Copies `from` to `to` until either side closes, holding data while frozen.
fn pump(mut from: TcpStream, mut to: TcpStream, shared: &Shared) {
    let mut buffer = [0_u8; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        while shared.frozen.load(Ordering::SeqCst) {
            std::thread::sleep(POLL);
        }
        if to.write_all(&buffer[..read]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}
