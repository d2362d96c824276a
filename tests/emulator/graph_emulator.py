#!/usr/bin/env python
"""Local emulator of Microsoft Graph and the Entra ID token endpoints, for tests and demos.

Two HTTPS listeners on 127.0.0.1 share one emulated tenant: the login listener serves OpenID
discovery and the client-credentials token endpoint, and the Graph listener serves Graph and
the control API under /_emulator. A throwaway CA made with trustme signs the server
certificate. See README.md in this folder for the endpoints, the switches and the seeded ids.

Command line:
    python graph_emulator.py --state-dir DIR [--host 127.0.0.1] [--login-port 0] [--graph-port 0]

Python:
    from graph_emulator import Emulator
    with Emulator(state_dir) as emu:
        emu.info["graph_url"]
"""

import argparse
import datetime
import ipaddress
import json
import logging
import os
import secrets
import signal
import socket
import socketserver
import ssl
import struct
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import emulator_control  # noqa: E402
import emulator_graph  # noqa: E402
import emulator_login  # noqa: E402
import emulator_seed as seed  # noqa: E402
from emulator_http import ConnectionAbort, Request, json_response, log_entry  # noqa: E402
from emulator_state import SPONSOR_KINDS, StateError, TenantState  # noqa: E402

logger = logging.getLogger("graph_emulator")

HANDSHAKE_TIMEOUT = 10.0
IDLE_TIMEOUT = 60.0
_LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


def validate_host(host):
    """Raise ValueError unless ``host`` is an IPv4 loopback address (127.x.x.x)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is None or address.version != 4 or address not in _LOOPBACK:
        raise ValueError("invalid host %r: the emulator binds only to 127.x.x.x addresses" % host)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "graph-emulator"
    sys_version = ""
    timeout = IDLE_TIMEOUT

    def do_GET(self):
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _serve(self):
        server = self.server
        app = server.app
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            self._write(json_response(411, {"error": "send a Content-Length, not chunked"}))
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._write(json_response(400, {"error": "invalid Content-Length header"}))
            return
        body = self.rfile.read(length) if length else b""
        request = Request(server.listener, self.command, self.path, dict(self.headers.items()), body)

        is_control = server.listener == "graph" and request.segments and request.segments[0].lower() == "_emulator"
        try:
            if is_control:
                response = emulator_control.handle(app, request)
            elif server.listener == "login":
                response = emulator_login.handle(app, request)
            else:
                response = emulator_graph.handle(app, request)
        except ConnectionAbort:
            logger.info("%s %s %s connection reset by fault", server.listener, request.method, request.path)
            app.tenant.record(log_entry(server.listener, request, None))
            self._abort()
            return
        except Exception:  # noqa: BLE001 - one broken request must not stop the listener
            logger.exception("%s %s %s failed", server.listener, request.method, request.path)
            response = json_response(500, {"error": "internal emulator error; see its log"})

        logger.info("%s %s %s %d", server.listener, request.method, request.path, response.status)
        if not is_control:
            app.tenant.record(log_entry(server.listener, request, response.status))
        self._write(response)

    def _write(self, response):
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(response.body)

    def _abort(self):
        """Close the connection with a TCP reset and no response."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.connection.close()

    def log_request(self, code="-", size="-"):
        # _serve logs one line per request itself, without the query string.
        pass

    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        # The base class calls this for protocol errors. Its message can quote the request
        # line, query string included, so only the status code is logged.
        if args and isinstance(args[0], int):
            logger.warning("%s: rejected a malformed request with HTTP %d", self.server.listener, args[0])
        else:
            logger.warning("%s: %s", self.server.listener, format % args)


class _TLSServer(ThreadingHTTPServer):
    """A threading HTTP server that runs the TLS handshake in each connection's thread."""

    daemon_threads = True

    def __init__(self, address, ssl_context, app, listener):
        self.ssl_context = ssl_context
        self.app = app
        self.listener = listener
        self._connections = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self):
        # HTTPServer.server_bind calls socket.getfqdn(), which can stall on a resolver.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def finish_request(self, request, client_address):
        request.settimeout(HANDSHAKE_TIMEOUT)
        try:
            connection = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            logger.info("%s: TLS handshake with %s failed: %s", self.listener, client_address[0], exc)
            return
        with self._connections_lock:
            self._connections.add(connection)
        try:
            self.RequestHandlerClass(connection, client_address, self)
        finally:
            with self._connections_lock:
                self._connections.discard(connection)
            try:
                connection.close()
            except OSError:
                pass

    def close_connections(self):
        """Shut down the open keep-alive connections, so no response is sent after stop()."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _write_atomically(path, text):
    """Write ``text`` to ``path`` through a temporary file and a rename, with mode 0600."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix="." + path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _make_client_certificate(password):
    """Generate an RSA key and a self-signed certificate for it.

    Returns (PEM text, certificate), where the PEM text is the key, encrypted with
    ``password``, followed by the certificate.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "%s (emulator)" % seed.APP_DISPLAY_NAME)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password.encode("utf-8")),
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
    return (key_pem + cert_pem).decode("ascii"), certificate


class Emulator:
    """The emulator: two HTTPS listeners sharing one emulated tenant.

    ``start()`` generates the CA, the server certificate and the client certificate, binds both
    listeners, and writes ``emulator.json`` and ``vars.yml`` to ``state_dir``. ``stop()`` closes
    the listeners and removes ``emulator.json``. Port 0 picks a free port.
    """

    def __init__(self, state_dir, host="127.0.0.1", login_port=0, graph_port=0):
        validate_host(host)
        self.state_dir = Path(state_dir)
        self.host = host
        self.login_port = login_port
        self.graph_port = graph_port
        self.tenant = TenantState()
        self.tenant_id = seed.TENANT_ID
        self.tenant_domain = seed.TENANT_DOMAIN
        self.tenant_name = seed.TENANT_NAME
        self.client_id = seed.CLIENT_ID
        self.client_secret = seed.CLIENT_SECRET
        self.client_certificate = None
        self.identity_header = None
        self.federated_token = None
        self.login_url = None
        self.graph_url = None
        self.info = None
        self._servers = []
        self._threads = []

    # -- life cycle -----------------------------------------------------------------------

    def start(self):
        """Start both listeners and write emulator.json. Returns self."""
        if self._servers:
            raise RuntimeError("the emulator is already running")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        info_path = self.state_dir / "emulator.json"
        if info_path.exists():
            info_path.unlink()

        ca = trustme.CA(organization_name="graph-emulator throwaway CA")
        names = ["127.0.0.1", "localhost"] + ([self.host] if self.host != "127.0.0.1" else [])
        server_cert = ca.issue_cert(*names)
        ca_path = self.state_dir / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_path))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_cert.configure_cert(context)

        password = secrets.token_urlsafe(18)
        pem, self.client_certificate = _make_client_certificate(password)
        certificate_path = self.state_dir / "client-cert.pem"
        _write_atomically(certificate_path, pem)

        self.identity_header = secrets.token_urlsafe(24)
        self.federated_token = emulator_login.make_federated_token()
        federated_token_path = self.state_dir / "federated-token.jwt"
        _write_atomically(federated_token_path, self.federated_token)

        try:
            login = _TLSServer((self.host, self.login_port), context, self, "login")
            self._servers.append(login)
            graph = _TLSServer((self.host, self.graph_port), context, self, "graph")
            self._servers.append(graph)
        except OSError:
            self._close_servers()
            raise
        self.login_url = "https://%s:%d" % (self.host, login.server_address[1])
        self.graph_url = "https://%s:%d" % (self.host, graph.server_address[1])

        for server in self._servers:
            thread = threading.Thread(target=server.serve_forever, name="emulator-" + server.listener, daemon=True)
            thread.start()
            self._threads.append(thread)

        self.info = {
            "login_url": self.login_url,
            "graph_url": self.graph_url,
            "control_url": self.graph_url + "/_emulator",
            "ca_path": str(ca_path),
            "tenant_id": self.tenant_id,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "certificate_path": str(certificate_path),
            "certificate_password": password,
            "federated_token_file": str(federated_token_path),
            "identity_endpoint": self.login_url + emulator_login.IDENTITY_PATH,
            "identity_header": self.identity_header,
            "pid": os.getpid(),
        }
        # vars.yml first: a caller that waits for emulator.json then finds both files.
        _write_atomically(self.state_dir / "vars.yml", self._vars_yaml())
        _write_atomically(info_path, json.dumps(self.info, indent=2) + "\n")
        return self

    def _vars_yaml(self):
        # A JSON string is a valid YAML double-quoted scalar, so json.dumps quotes each value.
        lines = ["# Written by graph_emulator.py for ansible-playbook -e @vars.yml"]
        for key in (
            "login_url",
            "graph_url",
            "control_url",
            "ca_path",
            "tenant_id",
            "client_id",
            "client_secret",
            "certificate_path",
            "certificate_password",
            "federated_token_file",
            "identity_endpoint",
            "identity_header",
        ):
            lines.append("emulator_%s: %s" % (key, json.dumps(self.info[key])))
        return "\n".join(lines) + "\n"

    def stop(self):
        """Stop both listeners, close open connections and remove emulator.json."""
        for server in self._servers:
            server.shutdown()
        self._close_servers()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []
        info_path = self.state_dir / "emulator.json"
        if self.info is not None and info_path.exists():
            info_path.unlink()

    def _close_servers(self):
        for server in self._servers:
            server.server_close()
            server.close_connections()
        self._servers = []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # -- direct access for tests ----------------------------------------------------------

    def state(self):
        """Return the same JSON as GET /_emulator/state."""
        return self.tenant.snapshot()

    def organization(self, org_id):
        """Return one connected organization with its sponsor id lists, or None."""
        return self.tenant.get_organization(org_id)

    def requests(self):
        """Return the request log (no headers, no bodies)."""
        return self.tenant.requests()

    def clear_requests(self):
        self.tenant.clear_requests()

    def reset(self):
        """Restore the seed and clear switches, faults, tokens and the request log."""
        self.tenant.reset()

    def configure(self, **switches):
        """Change switches; raises ValueError naming an unknown switch or value."""
        return self.tenant.configure(switches)

    def switches(self):
        return self.tenant.get_switches()

    def add_fault(self, spec=None, **fields):
        """Add a fault, given as a dict or as keyword arguments. Returns its description."""
        return self.tenant.add_fault({**(spec or {}), **fields})

    def faults(self):
        """Return the faults that have not fired all their times yet."""
        return self.tenant.list_faults()

    def clear_faults(self):
        self.tenant.clear_faults()

    def set_sponsors(self, org_id, sponsor_type, ids):
        """Replace a sponsor list. ``sponsor_type`` is "internal", "external" or the list name."""
        kind = {"internal": "internalSponsors", "external": "externalSponsors"}.get(sponsor_type, sponsor_type)
        if kind not in SPONSOR_KINDS:
            raise StateError("invalid sponsor type %r; expected 'internal' or 'external'" % (sponsor_type,))
        return self.tenant.set_sponsors(org_id, kind, list(ids))

    def add_user(self, **fields):
        return self.tenant.add_user(fields)

    def add_group(self, **fields):
        return self.tenant.add_group(fields)

    def expire_tokens(self):
        """Make every token issued so far expired. Returns how many there were."""
        return self.tenant.expire_tokens()


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Run a local emulator of Microsoft Graph and the Entra ID token endpoints."
    )
    parser.add_argument(
        "--state-dir", required=True, help="directory for emulator.json, vars.yml, ca.pem and client-cert.pem"
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind; only 127.x.x.x is accepted (default 127.0.0.1)"
    )
    parser.add_argument(
        "--login-port", type=int, default=0, help="TCP port of the login listener; 0 picks a free port (default 0)"
    )
    parser.add_argument(
        "--graph-port", type=int, default=0, help="TCP port of the Graph listener; 0 picks a free port (default 0)"
    )
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s graph-emulator %(message)s")
    try:
        validate_host(args.host)
    except ValueError as exc:
        parser.error(str(exc))

    stop_requested = threading.Event()

    def request_stop(signum, frame):
        stop_requested.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    emulator = Emulator(args.state_dir, args.host, args.login_port, args.graph_port)
    try:
        emulator.start()
    except OSError as exc:
        logger.error(
            "cannot start: %s (host %s, login port %d, graph port %d)", exc, args.host, args.login_port, args.graph_port
        )
        return 1
    logger.info(
        "started: login %s, graph %s, state dir %s, pid %d",
        emulator.login_url,
        emulator.graph_url,
        emulator.state_dir,
        os.getpid(),
    )

    while not stop_requested.wait(0.5):
        pass
    emulator.stop()
    logger.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
