"""Case model and verdict rules, modelled on the Autobahn|Testsuite fuzzer (not its code).

A case is a script run against a fresh connection. It declares what it expects:

  t.expect(ok=[...], non_strict=[...], informational=[...])   event traces (see wsraw.RawPeer)
  t.expect_close(by_me, codes, clean, ...)                      how the connection must end

then sends frames. After the script the runner keeps reading until the connection is gone:
when the trace equals the OK trace and the case expects us to close, we start the closing
handshake (code codes[0]); when the case timeout expires we close (if we are expected to) or
drop the connection.

Verdict (two parts, like Autobahn's 'behavior' and 'behaviorClose'):
  behavior       OK / NON-STRICT / INFORMATIONAL when the trace equals that expectation,
                 FAILED otherwise
  behaviorClose  FAILED      the wrong endpoint started the close (e.g. the peer never failed a
                             connection it had to fail and we had to close/drop it at the timeout),
                             or the opening handshake failed
                 UNCLEAN     a clean close was required and did not happen
                 WRONG CODE  the peer's close code is not among the expected ones (an empty close
                             frame or no close frame at all is accepted)
                 FAILED BY CLIENT  (server mode) we had to drop TCP: the server should close it
                 OK
Overall: FAILED if either part is FAILED or the peer violated RFC 6455 on the wire (unmasked
client frame, bad close code, invalid UTF-8 in its own text, ...); NON-STRICT if behavior is
NON-STRICT or behaviorClose is WRONG CODE / UNCLEAN / FAILED BY CLIENT; INFORMATIONAL when the
trace only matched an informational expectation; OK otherwise. Per Autobahn, some cases make a
WRONG CODE fatal (7.7.x, 7.9.x), and UTF-8 cases make 'closed by the wrong endpoint' fatal.
"""

import time

import wsraw

OK, NON_STRICT, INFORMATIONAL, FAILED = "OK", "NON-STRICT", "INFORMATIONAL", "FAILED"
WRONG_CODE, UNCLEAN, FAILED_BY_CLIENT = "WRONG CODE", "UNCLEAN", "FAILED BY CLIENT"


class Case:
    def __init__(self, cid, desc, fn, timeout=3.0, serial=False, modes=("server", "client")):
        self.id, self.desc, self.fn = cid, desc, fn
        self.timeout, self.serial, self.modes = timeout, serial, modes

    def key(self):
        return [int(p) if p.isdigit() else 0 for p in self.id.split(".")]


class T:
    """What a case script sees."""

    def __init__(self, peer, case):
        self.p = peer
        self.case = case
        self.expected = {}
        self.exp_close = None
        self.start = time.monotonic()

    # expectations
    def expect(self, ok, non_strict=None, informational=None):
        self.expected = {OK: list(ok)}
        if non_strict is not None:
            self.expected[NON_STRICT] = list(non_strict)
        if informational is not None:
            self.expected[INFORMATIONAL] = list(informational)

    def expect_close(self, by_me, codes, clean, wrong_endpoint_fatal=False,
                     wrong_code_fatal=False, wrong_code_informational=False):
        self.exp_close = dict(by_me=by_me, codes=list(codes), clean=clean,
                              wrong_endpoint_fatal=wrong_endpoint_fatal,
                              wrong_code_fatal=wrong_code_fatal,
                              wrong_code_informational=wrong_code_informational)

    def echo(self, events):
        """Shorthand: the peer must send back `events`, then we close with 1000 cleanly."""
        self.expect(events)
        self.expect_close(True, [1000], True)

    def fail(self, code=1002, non_strict=None, ok=()):
        """Shorthand: the peer must fail the connection (close frame with `code` or TCP close)."""
        self.expect(ok, non_strict)
        self.expect_close(False, [code], False, wrong_endpoint_fatal=(code == 1007))

    # actions
    def frame(self, opcode, payload=b"", fin=True, rsv=0, chop=None, sync=False, length=None):
        if sync:
            time.sleep(0.01)
        return self.p.send_frame(opcode, payload, fin, rsv, chop, sync, length)

    def message(self, payload, binary=False, frag=None, chop=None, sync=False):
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        op = wsraw.OP_BINARY if binary else wsraw.OP_TEXT
        if not frag or len(payload) <= frag:
            return self.frame(op, payload, True, chop=chop, sync=sync)
        parts = [payload[i:i + frag] for i in range(0, len(payload), frag)]
        # one buffer for all the frames (fast for thousands of fragments)
        if chop is None and not sync:
            data = b"".join(
                wsraw.build_frame(op if i == 0 else wsraw.OP_CONT, part, i == len(parts) - 1,
                                  0, self.p.mask_key())
                for i, part in enumerate(parts))
            self.p._note(f"> message op={op} len={len(payload)} in {len(parts)} fragments")
            return self.p.send_raw(data)
        for i, part in enumerate(parts):
            if not self.frame(op if i == 0 else wsraw.OP_CONT, part, i == len(parts) - 1,
                              chop=chop, sync=sync):
                return False
        return True

    def close(self, code=None, reason=b"", raw=None, chop=None):
        return self.p.send_close(code, reason, raw, chop)

    def raw(self, data, chop=None, sync=False):
        return self.p.send_raw(data, chop, sync)

    def wait(self, secs, tag=None):
        """Process input for `secs`; if the connection is still open (no close frame from the
        peer, TCP up) append ('timeout', tag) to the trace. Returns True if still open."""
        end = time.monotonic() + secs
        while self.p.open and not self.p.close_rcvd:
            left = end - time.monotonic()
            if left <= 0:
                break
            self.p.pump(left)
        still = self.p.open and not self.p.close_rcvd
        if still and tag is not None:
            self.p.received.append(("timeout", tag))
        return still

    def wait_events(self, n, secs):
        """Process input until the trace has `n` events (or `secs` pass)."""
        end = time.monotonic() + secs
        while self.p.open and len(self.p.received) < n and time.monotonic() < end:
            self.p.pump(min(0.5, end - time.monotonic()))
        return len(self.p.received) >= n


def run_case(t):
    """Run the script and the closing phase; return the result dict (without timing)."""
    p, case = t.p, t.case
    deadline = t.start + case.timeout
    error = None
    try:
        case.fn(t)
    except Exception as e:  # a bug in the case or an unexpected socket state
        error = f"case script raised {e.__class__.__name__}: {e}"
    ec = t.exp_close
    timed_out = False
    closing_deadline = None
    while p.open:
        now = time.monotonic()
        if p.violations and not p.close_sent:
            # Autobahn's fuzzer would fail the connection on a protocol violation by the peer
            p.drop("dropped by tester after a protocol violation by the peer")
            break
        if ec["by_me"] and not p.close_sent and t.expected.get(OK) == p.received:
            p.send_close(ec["codes"][0] if ec["codes"] else None)
            closing_deadline = time.monotonic() + 2.0
        if now >= deadline and closing_deadline is None:
            timed_out = True
            if ec["by_me"] and not p.close_sent and not p.close_rcvd:
                p._note("case timeout: tester starts the closing handshake")
                p.send_close(ec["codes"][0] if ec["codes"] else None)
                closing_deadline = now + 2.0
            else:
                p._note("case timeout: tester drops the connection")
                p.drop("dropped by tester at the case timeout")
                break
        if closing_deadline is not None and now >= closing_deadline:
            p._note("no close reply / TCP close within 2 s")
            p.drop("dropped by tester: closing handshake timed out")
            break
        limit = (closing_deadline if closing_deadline is not None else deadline) - now
        p.pump(max(0.0, min(0.25, limit)))
    return verdict(t, timed_out, error)


def verdict(t, timed_out, error, server_mode=None):
    p, ec = t.p, t.exp_close
    notes = []
    behavior = FAILED
    for name in (OK, NON_STRICT, INFORMATIONAL):
        if name in t.expected and t.expected[name] == p.received:
            behavior = name
            break
    if behavior == FAILED:
        notes.append("trace differs: got " + trace_str(p.received) + " expected "
                     + " or ".join(f"{k}={trace_str(v)}" for k, v in t.expected.items()))
    by_me = p.closed_by_me
    if timed_out and not ec["by_me"] and not p.close_rcvd:
        # the peer had to fail the connection and did not (we dropped it at the timeout)
        by_me = True
    if ec["by_me"] != by_me:
        bclose = FAILED
        if ec["by_me"]:
            notes.append("the peer closed the connection, the tester should have"
                         + (f" (peer code {p.remote_code})" if p.close_rcvd else " (TCP closed without close frame)"))
        else:
            notes.append(f"the peer did not fail the connection within {t.case.timeout:g} s")
    elif ec["clean"] and not p.was_clean:
        bclose = UNCLEAN
        notes.append("a clean closing handshake was required")
    elif p.remote_code is not None and p.remote_code not in ec["codes"]:
        bclose = WRONG_CODE
        notes.append(f"peer close code {p.remote_code}, expected {'/'.join(map(str, ec['codes']))} or empty")
    elif t.p.we_client and p.dropped_by_me:
        bclose = FAILED_BY_CLIENT
        notes.append("the tester had to drop TCP; the server should close it")
    else:
        bclose = OK
    if ec["wrong_endpoint_fatal"] and bclose == FAILED:
        behavior = FAILED
    if bclose == WRONG_CODE and ec["wrong_code_fatal"]:
        behavior = FAILED
    if bclose == WRONG_CODE and ec["wrong_code_informational"]:
        bclose = INFORMATIONAL
    overall = behavior
    if bclose == FAILED:
        overall = FAILED
    elif behavior == OK and bclose in (WRONG_CODE, UNCLEAN, FAILED_BY_CLIENT):
        overall = NON_STRICT
    elif behavior == OK and bclose == INFORMATIONAL:
        overall = INFORMATIONAL
    if p.violations:
        overall = FAILED
        notes.insert(0, "peer violated RFC 6455: " + "; ".join(dict.fromkeys(p.violations)))
    if error:
        overall = FAILED
        notes.insert(0, error)
    if p.close_rcvd:
        notes.append(f"peer close {p.remote_code if p.remote_code is not None else '(empty)'}")
    elif not p.closed_by_me:
        notes.append("peer closed TCP without close frame" if not p.dropped_by_me else "")
    return dict(verdict=overall, behavior=behavior, behaviorClose=bclose,
                remoteCloseCode=p.remote_code, closedByMe=p.closed_by_me,
                wasClean=p.was_clean, droppedByMe=p.dropped_by_me, timedOut=timed_out,
                detail="; ".join(n for n in notes if n),
                received=[trace_item(e) for e in p.received],
                expected={k: [trace_item(e) for e in v] for k, v in t.expected.items()},
                expectedClose=ec, wirelog=p.log[:60])


def short(b, n=24):
    if len(b) <= n:
        return repr(b)
    return f"{b[:n]!r}...({len(b)} bytes)"


def trace_item(e):
    if e[0] == "message":
        return ["message", short(e[1], 40), "binary" if e[2] else "text"]
    if e[0] in ("ping", "pong"):
        return [e[0], short(e[1], 40)]
    return list(e)


def trace_str(tr):
    if len(tr) > 6:
        return "[" + ", ".join(":".join(map(str, trace_item(e))) for e in tr[:6]) + f", ... {len(tr)} events]"
    return "[" + ", ".join(":".join(map(str, trace_item(e))) for e in tr) + "]"
