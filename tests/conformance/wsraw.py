"""Raw RFC 6455 endpoint for the conformance tester (stdlib only, no WebSocket library).

One RawPeer is one TCP connection after the opening handshake, seen from our side: we are the
client (server mode of the tester: the peer under test is a server, our frames are masked) or the
server (client mode: the peer is a client, our frames are unmasked and the peer's must be masked).

Sending gives full control over the wire: FIN, RSV bits, opcode, mask, the length field, and how
the bytes are cut into TCP writes (chops). Receiving parses the peer's frames strictly, assembles
its messages and records what a case may compare, in the spirit of Autobahn's fuzzer:
  ('message', payload_bytes, is_binary), ('ping', payload), ('pong', payload), ('timeout', tag)
and the close bookkeeping (who closed first, the peer's code, whether the close was clean).
Anything the peer does that RFC 6455 forbids is recorded in `violations`.
"""

import base64
import hashlib
import os
import select
import socket
import struct
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10

# Close codes a peer may legitimately put on the wire (RFC 6455 7.4 + IANA registry).
# 1012-1014 were registered after RFC 6455; accept them.
VALID_CLOSE_CODES = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014}


def close_code_valid(code):
    return code in VALID_CLOSE_CODES or 3000 <= code <= 4999


def accept_key(key):
    return base64.b64encode(hashlib.sha1(key.encode("ascii") + GUID).digest()).decode("ascii")


def xor_mask(data, key):
    """Mask/unmask `data` with the 4-byte `key` (big-int XOR: fast enough for 16 MiB)."""
    n = len(data)
    if n == 0:
        return b""
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(k, "little")).to_bytes(n, "little")


def build_frame(opcode, payload=b"", fin=True, rsv=0, mask_key=None, length=None):
    """Encode one frame. mask_key: None = unmasked, else 4 bytes. length: lie about the length
    (the payload is still sent as given)."""
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | ((rsv & 7) << 4) | (opcode & 0x0F)
    mbit = 0x80 if mask_key is not None else 0
    if n < 126:
        hdr = struct.pack("!BB", b0, mbit | n)
    elif n < 65536:
        hdr = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        hdr = struct.pack("!BBQ", b0, mbit | 127, n)
    if mask_key is not None:
        return hdr + mask_key + xor_mask(payload, mask_key)
    return hdr + payload


def utf8_valid(b):
    try:
        b.decode("utf-8", "strict")
        return True
    except UnicodeDecodeError:
        return False


class HandshakeError(Exception):
    pass


def _read_http_head(sock, deadline):
    buf = b""
    while b"\r\n\r\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise HandshakeError("timeout waiting for the HTTP head")
        r, _, _ = select.select([sock], [], [], left)
        if not r:
            continue
        chunk = sock.recv(65536)
        if not chunk:
            raise HandshakeError("connection closed during the opening handshake")
        buf += chunk
        if len(buf) > 65536:
            raise HandshakeError("HTTP head too long")
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers.setdefault(k.strip().lower(), []).append(v.strip())
    return lines[0], headers, rest


def _hdr(headers, name):
    v = headers.get(name)
    return ", ".join(v) if v else None


def client_handshake(host, port, path="/", timeout=5.0):
    """Connect and do the opening handshake as a client. Returns (sock, leftover bytes)."""
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16)).decode("ascii")
    req = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
           f"User-Agent: burrow-conformance\r\n\r\n")
    sock.sendall(req.encode("ascii"))
    status, headers, rest = _read_http_head(sock, time.monotonic() + timeout)
    parts = status.split(" ", 2)
    if len(parts) < 2 or parts[1] != "101":
        raise HandshakeError(f"expected 101, got {status!r}")
    if (_hdr(headers, "upgrade") or "").lower() != "websocket":
        raise HandshakeError("101 without 'Upgrade: websocket'")
    if "upgrade" not in (_hdr(headers, "connection") or "").lower():
        raise HandshakeError("101 without 'Connection: Upgrade'")
    if _hdr(headers, "sec-websocket-accept") != accept_key(key):
        raise HandshakeError("wrong or missing Sec-WebSocket-Accept")
    if _hdr(headers, "sec-websocket-extensions"):
        raise HandshakeError("server accepted an extension we did not offer: "
                             + _hdr(headers, "sec-websocket-extensions"))
    sock.setblocking(False)
    return sock, rest


def server_handshake(sock, timeout=5.0):
    """Do the opening handshake as a server on an accepted socket.
    Returns (path, leftover bytes, list of non-fatal remarks)."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    status, headers, rest = _read_http_head(sock, time.monotonic() + timeout)
    parts = status.split(" ")
    if len(parts) != 3 or parts[0] != "GET" or parts[2] != "HTTP/1.1":
        raise HandshakeError(f"bad request line {status!r}")
    if not _hdr(headers, "host"):
        raise HandshakeError("request without Host")
    if "websocket" not in (_hdr(headers, "upgrade") or "").lower():
        raise HandshakeError("request without 'Upgrade: websocket'")
    if "upgrade" not in (_hdr(headers, "connection") or "").lower():
        raise HandshakeError("request without 'Connection: Upgrade'")
    if _hdr(headers, "sec-websocket-version") != "13":
        raise HandshakeError("Sec-WebSocket-Version is not 13")
    key = _hdr(headers, "sec-websocket-key")
    try:
        if key is None or len(base64.b64decode(key, validate=True)) != 16:
            raise ValueError
    except ValueError:
        raise HandshakeError(f"bad Sec-WebSocket-Key {key!r}")
    resp = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept_key(key)}\r\n\r\n")
    sock.sendall(resp.encode("ascii"))
    sock.setblocking(False)
    return parts[1], rest


class RawPeer:
    def __init__(self, sock, we_are_client, leftover=b"", drop_timeout=1.0):
        self.sock = sock
        self.we_client = we_are_client
        self.rx = bytearray(leftover)
        self.drop_timeout = drop_timeout
        self.received = []          # Autobahn-style event trace
        self.violations = []        # RFC violations by the peer
        self.log = []               # short wire log, for the report
        self.t0 = time.monotonic()
        # close bookkeeping
        self.close_sent = False
        self.close_rcvd = False
        self.remote_code = None
        self.remote_reason = None
        self.closed_by_me = False   # we sent the first close frame
        self.was_clean = False
        self.dropped_by_me = False
        self.tcp_closed = False
        self.handshake_done_at = None
        self.tcp_closed_at = None
        # message assembly
        self._frag_op = None
        self._frag = []

    # ---------------------------------------------------------------- helpers
    def _note(self, what):
        if len(self.log) < 200:
            self.log.append(f"{time.monotonic() - self.t0:7.3f} {what}")

    def violation(self, what):
        self.violations.append(what)
        self._note("VIOLATION " + what)

    @property
    def open(self):
        return not self.tcp_closed

    def _mark_tcp_closed(self, why):
        if not self.tcp_closed:
            self.tcp_closed = True
            self.tcp_closed_at = time.monotonic()
            self._note("tcp closed: " + why)
            try:
                self.sock.close()
            except OSError:
                pass

    def drop(self, why="dropped by tester"):
        if not self.tcp_closed:
            self.dropped_by_me = True
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._mark_tcp_closed(why)

    # ---------------------------------------------------------------- sending
    def send_raw(self, data, chop=None, sync=False):
        """Write bytes; chop: size of each TCP write. Reads into rx while the socket is not
        writable so a peer echoing as we send cannot deadlock us. False if the peer is gone."""
        if self.tcp_closed:
            return False
        view = memoryview(data)
        step = chop or len(view) or 1
        pos = 0
        while pos < len(view) or (pos == 0 and len(view) == 0):
            if len(view) == 0:
                break
            piece = view[pos:pos + step]
            sent_piece = 0
            while sent_piece < len(piece):
                try:
                    r, w, _ = select.select([self.sock], [self.sock], [], 10.0)
                except (OSError, ValueError):
                    self._mark_tcp_closed("select failed")
                    return False
                if r:
                    if not self._recv_some():
                        return False
                if w:
                    try:
                        sent_piece += self.sock.send(piece[sent_piece:])
                    except (BlockingIOError, InterruptedError):
                        pass
                    except OSError as e:
                        self._note(f"send failed: {e}")
                        self._mark_tcp_closed("send failed")
                        return False
                if not r and not w:
                    self._note("send stalled 10 s")
                    return False
            pos += step
            if chop and sync:
                time.sleep(0.002)
        return True

    def mask_key(self):
        return os.urandom(4) if self.we_client else None

    def send_frame(self, opcode, payload=b"", fin=True, rsv=0, chop=None, sync=False,
                   length=None, mask=None):
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        key = self.mask_key() if mask is None else (os.urandom(4) if mask else None)
        self._note(f"> op={opcode} fin={int(fin)} rsv={rsv} len={len(payload)}"
                   + (f" chop={chop}" if chop else ""))
        return self.send_raw(build_frame(opcode, payload, fin, rsv, key, length), chop, sync)

    def send_close(self, code=None, reason=b"", raw=None, chop=None):
        if isinstance(reason, str):
            reason = reason.encode("utf-8")
        if raw is None:
            raw = b"" if code is None else struct.pack("!H", code) + reason
        if not self.close_rcvd and not self.close_sent:
            self.closed_by_me = True
        first = not self.close_sent
        self.close_sent = True
        ok = self.send_frame(OP_CLOSE, raw, chop=chop)
        if first and self.close_rcvd:
            self._handshake_complete()
        return ok

    def _handshake_complete(self):
        self.was_clean = True
        self.handshake_done_at = time.monotonic()
        self._note("close handshake complete")
        if not self.we_client:
            # the server closes the TCP connection first (RFC 6455 7.1.1)
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._mark_tcp_closed("closed by tester (server) after the close handshake")

    # -------------------------------------------------------------- receiving
    def _recv_some(self):
        try:
            chunk = self.sock.recv(1 << 20)
        except (BlockingIOError, InterruptedError):
            return True
        except OSError as e:
            self._mark_tcp_closed(f"recv failed by peer ({e.__class__.__name__})")
            if not self.was_clean:
                pass
            return False
        if not chunk:
            self._mark_tcp_closed("closed by peer")
            return False
        self.rx += chunk
        return True

    def pump(self, timeout):
        """Wait up to `timeout` for input, process every complete frame. Returns when something
        was processed, the connection closed, or the timeout ran out."""
        if self.tcp_closed:
            self._process()
            return
        if self.rx:
            self._process()
            if self.tcp_closed:
                return
        if self.handshake_done_at is not None and self.we_client and not self.tcp_closed:
            # we are a client after the close handshake: the server should close TCP soon
            left = self.handshake_done_at + self.drop_timeout - time.monotonic()
            if left <= 0:
                self._note("server did not close TCP after the close handshake")
                self.was_clean = False
                self.drop("dropped by tester: server kept TCP open after the close handshake")
                return
            timeout = min(timeout, left)
        try:
            r, _, _ = select.select([self.sock], [], [], max(0.0, timeout))
        except (OSError, ValueError):
            self._mark_tcp_closed("select failed")
            return
        if r:
            self._recv_some()
        self._process()

    def _process(self):
        while True:
            fr = self._parse_one()
            if fr is None:
                return
            self._on_frame(*fr)
            if self.tcp_closed and not self.rx:
                return

    def _parse_one(self):
        b = self.rx
        if len(b) < 2:
            return None
        b0, b1 = b[0], b[1]
        fin, rsv, op = bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0x0F
        masked, n = bool(b1 & 0x80), b1 & 0x7F
        pos = 2
        if n == 126:
            if len(b) < 4:
                return None
            n = struct.unpack_from("!H", b, 2)[0]
            pos = 4
            if n < 126:
                self.violation(f"non-minimal 16-bit length {n}")
        elif n == 127:
            if len(b) < 10:
                return None
            n = struct.unpack_from("!Q", b, 2)[0]
            pos = 10
            if n >> 63:
                self.violation("64-bit length with the top bit set")
            if n < 65536:
                self.violation(f"non-minimal 64-bit length {n}")
        if masked:
            if len(b) < pos + 4:
                return None
            key = bytes(b[pos:pos + 4])
            pos += 4
        if len(b) < pos + n:
            return None
        payload = bytes(b[pos:pos + n])
        del b[:pos + n]
        if masked:
            payload = xor_mask(payload, key)
        return fin, rsv, op, masked, payload

    def _on_frame(self, fin, rsv, op, masked, payload):
        self._note(f"< op={op} fin={int(fin)} rsv={rsv} mask={int(masked)} len={len(payload)}")
        if self.tcp_closed and self.dropped_by_me:
            return
        if self.we_client and masked:
            self.violation("server sent a masked frame")
        if not self.we_client and not masked:
            self.violation("client sent an unmasked frame")
        if rsv:
            self.violation(f"frame with RSV bits {rsv} (no extension negotiated)")
        if self.close_rcvd:
            self.violation(f"frame (opcode {op}) after the peer's close frame")
            return
        if op >= 8:
            if not fin:
                self.violation("fragmented control frame")
            if len(payload) > 125:
                self.violation("control frame payload > 125 bytes")
            if op == OP_PING:
                self.received.append(("ping", payload))
                if not self.close_sent:
                    self.send_frame(OP_PONG, payload)
            elif op == OP_PONG:
                self.received.append(("pong", payload))
            elif op == OP_CLOSE:
                self._on_close(payload)
            else:
                self.violation(f"reserved control opcode {op}")
            return
        if op not in (OP_CONT, OP_TEXT, OP_BINARY):
            self.violation(f"reserved data opcode {op}")
            return
        if op == OP_CONT:
            if self._frag_op is None:
                self.violation("continuation frame with nothing to continue")
                return
            self._frag.append(payload)
        else:
            if self._frag_op is not None:
                self.violation("new data frame inside a fragmented message")
            self._frag_op = op
            self._frag = [payload]
        if fin:
            msg = b"".join(self._frag)
            binary = self._frag_op == OP_BINARY
            if not binary and not utf8_valid(msg):
                self.violation("text message with invalid UTF-8")
            self.received.append(("message", msg, binary))
            self._frag_op, self._frag = None, []

    def _on_close(self, payload):
        self.close_rcvd = True
        code = None
        if len(payload) == 1:
            self.violation("close frame with a 1-byte payload")
        elif len(payload) >= 2:
            code = struct.unpack("!H", payload[:2])[0]
            reason = payload[2:]
            self.remote_reason = reason
            if not close_code_valid(code):
                self.violation(f"close frame with invalid code {code}")
            if not utf8_valid(reason):
                self.violation("close reason is not valid UTF-8")
        self.remote_code = code
        self._note(f"peer close code={code}")
        if not self.close_sent:
            # echo the peer's status code (like Autobahn's fuzzer)
            self.close_sent = True
            self.send_frame(OP_CLOSE, struct.pack("!H", code) if code is not None else b"")
        self._handshake_complete()
