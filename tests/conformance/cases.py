"""The case list: sections 1-7, 9 (bounded) and 10 of the Autobahn|Testsuite fuzzing cases,
re-described from its public case descriptions (ids follow Autobahn where a case has a direct
counterpart; sections 6.5+ group our own UTF-8 sequences and do not map one-to-one).
Compression (12.x/13.x) is not covered."""

from casekit import Case
from wsraw import OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT

CASES = []

# pause used by the fail-fast cases (Autobahn waits 1 s)
FAILFAST_WAIT = 0.5


def add(cid, desc, fn, **kw):
    CASES.append(Case(cid, desc, fn, **kw))


def msg(payload, binary=False):
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    return ("message", payload, binary)


def pong(payload):
    return ("pong", payload.encode() if isinstance(payload, str) else payload)


# ------------------------------------------------------------------ 1 framing
def _echo(payload, binary, chop=None, frag=None):
    def run(t):
        t.echo([msg(payload, binary)])
        t.message(payload, binary, frag=frag, chop=chop)
    return run


_SIZES = [0, 125, 126, 127, 128, 65535, 65536]
for _i, _n in enumerate(_SIZES):
    add(f"1.1.{_i + 1}", f"text message, payload {_n} bytes", _echo(b"*" * _n, False))
    add(f"1.2.{_i + 1}", f"binary message, payload {_n} bytes", _echo(b"\xfe" * _n, True))
add("1.1.8", "text message, 65536 bytes, written in chops of 997 octets",
    _echo(b"*" * 65536, False, chop=997))
add("1.2.8", "binary message, 65536 bytes, written in chops of 997 octets",
    _echo(b"\xfe" * 65536, True, chop=997))


# ------------------------------------------------------------ 2 pings/pongs
def _ping(payload, chop=None):
    def run(t):
        t.echo([pong(payload)])
        t.frame(OP_PING, payload, chop=chop)
    return run


add("2.1", "ping without payload", _ping(b""))
add("2.2", "ping with small text payload", _ping(b"Hello, world!"))
add("2.3", "ping with small binary payload", _ping(b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"))
add("2.4", "ping with 125-byte binary payload", _ping(b"\xfe" * 125))


def c2_5(t):
    t.fail(1002)
    t.frame(OP_PING, b"\xfe" * 126)


add("2.5", "ping with 126-byte payload (too long for a control frame) -> fail", c2_5)
add("2.6", "ping with 125-byte payload written in 1-octet chops", _ping(b"\xfe" * 125, chop=1))


def _unsolicited(payload):
    def run(t):
        t.echo([])
        t.frame(OP_PONG, payload)
    return run


add("2.7", "unsolicited pong without payload -> ignored", _unsolicited(b""))
add("2.8", "unsolicited pong with payload -> ignored", _unsolicited(b"unsolicited pong payload"))


def c2_9(t):
    t.echo([pong("ping payload")])
    t.frame(OP_PONG, b"unsolicited pong payload")
    t.frame(OP_PING, b"ping payload")


add("2.9", "unsolicited pong, then ping -> pong for the ping only", c2_9)


def _ten_pings(chop):
    def run(t):
        t.echo([pong(f"payload-{i}") for i in range(10)])
        for i in range(10):
            t.frame(OP_PING, f"payload-{i}", chop=chop)
    return run


add("2.10", "10 pings with payload -> 10 pongs", _ten_pings(None))
add("2.11", "10 pings with payload, written in 1-octet chops -> 10 pongs", _ten_pings(1))


# ----------------------------------------------------------- 3 reserved bits
def c3_1(t):
    t.fail(1002)
    t.frame(OP_TEXT, "Hello, world!", rsv=1)


def _rsv_after_echo(rsv, sync=False, chop=None):
    def run(t):
        t.fail(1002, ok=[msg("Hello, world!")], non_strict=[])
        t.frame(OP_TEXT, "Hello, world!", chop=chop, sync=sync)
        t.frame(OP_TEXT, "Hello, world!", rsv=rsv, chop=chop, sync=sync)
        t.frame(OP_PING, b"", chop=chop, sync=sync)
    return run


def _rsv_single(op, rsv, payload):
    def run(t):
        t.fail(1002)
        t.frame(op, payload, rsv=rsv)
    return run


add("3.1", "text frame with RSV = 1 -> fail", c3_1)
add("3.2", "text, text with RSV = 2, ping -> echo of the first, then fail", _rsv_after_echo(2))
add("3.3", "as 3.2 with RSV = 3, frame-wise writes", _rsv_after_echo(3, sync=True))
add("3.4", "as 3.2 with RSV = 4, octet-wise writes", _rsv_after_echo(4, sync=True, chop=1))
add("3.5", "binary frame with RSV = 5 -> fail", _rsv_single(OP_BINARY, 5, b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"))
add("3.6", "ping with RSV = 6 -> fail", _rsv_single(OP_PING, 6, b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"))
add("3.7", "close with RSV = 7 -> fail", _rsv_single(OP_CLOSE, 7, b""))


# ----------------------------------------------------------------- 4 opcodes
def _opcode_single(op, payload):
    def run(t):
        t.fail(1002)
        t.frame(op, payload)
    return run


def _opcode_after_echo(op, payload):
    def run(t):
        t.fail(1002, ok=[msg("Hello, world!")], non_strict=[])
        t.frame(OP_TEXT, "Hello, world!")
        t.frame(op, payload)
        t.frame(OP_PING, b"")
    return run


add("4.1.1", "reserved non-control opcode 3 -> fail", _opcode_single(3, b""))
add("4.1.2", "reserved non-control opcode 4 with payload -> fail", _opcode_single(4, b"reserved opcode payload"))
add("4.1.3", "text, reserved opcode 5, ping -> echo, then fail", _opcode_after_echo(5, b""))
add("4.1.4", "text, reserved opcode 6 with payload, ping", _opcode_after_echo(6, b"reserved opcode payload"))
add("4.1.5", "text, reserved opcode 7 with payload, ping", _opcode_after_echo(7, b"reserved opcode payload"))
add("4.2.1", "reserved control opcode 11 -> fail", _opcode_single(11, b""))
add("4.2.2", "reserved control opcode 12 with payload -> fail", _opcode_single(12, b"reserved opcode payload"))
add("4.2.3", "text, reserved opcode 13, ping", _opcode_after_echo(13, b""))
add("4.2.4", "text, reserved opcode 14 with payload, ping", _opcode_after_echo(14, b"reserved opcode payload"))
add("4.2.5", "text, reserved opcode 15 with payload, ping", _opcode_after_echo(15, b"reserved opcode payload"))


# ----------------------------------------------------------- 5 fragmentation
def _frag_control(op):
    def run(t):
        t.fail(1002)
        t.frame(op, "fragment1", fin=False)
        t.frame(OP_CONT, "fragment2", fin=True)
    return run


add("5.1", "ping fragmented into 2 frames -> fail", _frag_control(OP_PING))
add("5.2", "pong fragmented into 2 frames -> fail", _frag_control(OP_PONG))


def _two_frags(sync=False, chop=None, ping=False):
    def run(t):
        t.echo(([pong("ping payload")] if ping else []) + [msg("fragment1fragment2")])
        t.frame(OP_TEXT, "fragment1", fin=False, sync=sync, chop=chop)
        if ping:
            t.frame(OP_PING, "ping payload", sync=sync, chop=chop)
        t.frame(OP_CONT, "fragment2", fin=True, sync=sync, chop=chop)
    return run


add("5.3", "text message in 2 fragments -> echoed whole", _two_frags())
add("5.4", "as 5.3, frame-wise writes", _two_frags(sync=True))
add("5.5", "as 5.3, octet-wise writes", _two_frags(sync=True, chop=1))
add("5.6", "text in 2 fragments with a ping between -> pong, then the message", _two_frags(ping=True))
add("5.7", "as 5.6, frame-wise writes", _two_frags(sync=True, ping=True))
add("5.8", "as 5.6, octet-wise writes", _two_frags(sync=True, chop=1, ping=True))


def _orphan_cont(fin, sync=False, chop=None):
    def run(t):
        t.fail(1002)
        t.frame(OP_CONT, "non-continuation payload", fin=fin, sync=sync, chop=chop)
        t.frame(OP_TEXT, "Hello, world!", sync=sync, chop=chop)
    return run


add("5.9", "continuation (FIN) with nothing to continue, then text -> fail", _orphan_cont(True))
add("5.10", "as 5.9, frame-wise writes", _orphan_cont(True, sync=True))
add("5.11", "as 5.9, octet-wise writes", _orphan_cont(True, sync=True, chop=1))
add("5.12", "continuation (no FIN) with nothing to continue, then text -> fail", _orphan_cont(False))
add("5.13", "as 5.12, frame-wise writes", _orphan_cont(False, sync=True))
add("5.14", "as 5.12, octet-wise writes", _orphan_cont(False, sync=True, chop=1))


def c5_15(t):
    t.fail(1002, ok=[msg("fragment1fragment2")], non_strict=[])
    t.frame(OP_TEXT, "fragment1", fin=False)
    t.frame(OP_CONT, "fragment2", fin=True)
    t.frame(OP_CONT, "fragment3", fin=False)
    t.frame(OP_TEXT, "fragment4", fin=True)


add("5.15", "text in 2 fragments, then orphan continuation, then text -> echo, then fail", c5_15)


def _repeat_orphan(first_fin):
    def run(t):
        t.fail(1002)
        for _ in range(2):
            t.frame(OP_CONT, "fragment1", fin=first_fin)
            t.frame(OP_TEXT, "fragment2", fin=False)
            t.frame(OP_CONT, "fragment3", fin=True)
    return run


add("5.16", "2x: orphan continuation (no FIN), then fragmented text -> fail", _repeat_orphan(False))
add("5.17", "2x: orphan continuation (FIN), then fragmented text -> fail", _repeat_orphan(True))


def c5_18(t):
    t.fail(1002)
    t.frame(OP_TEXT, "fragment1", fin=False)
    t.frame(OP_TEXT, "fragment2", fin=True)


add("5.18", "text start, then another text start (not a continuation) -> fail", c5_18)


def _interleaved(sync, chop=None):
    def run(t):
        t.echo([pong("pongme 1!"), pong("pongme 2!"), msg("fragment1fragment2fragment3fragment4fragment5")])
        t.frame(OP_TEXT, "fragment1", fin=False, sync=sync, chop=chop)
        t.frame(OP_CONT, "fragment2", fin=False, sync=sync, chop=chop)
        t.frame(OP_PING, "pongme 1!", sync=sync, chop=chop)
        t.wait(FAILFAST_WAIT)
        t.frame(OP_CONT, "fragment3", fin=False, sync=sync, chop=chop)
        t.frame(OP_CONT, "fragment4", fin=False, sync=sync, chop=chop)
        t.frame(OP_PING, "pongme 2!", sync=sync, chop=chop)
        t.frame(OP_CONT, "fragment5", fin=True, sync=sync, chop=chop)
    return run


add("5.19", "text in 5 fragments, pings after the 2nd and 4th, pause in between", _interleaved(False))
add("5.20", "as 5.19, frame-wise writes", _interleaved(True))


def c5_21(t):
    payload = bytes(range(32, 127)) + b"!" * 5
    t.echo([msg(payload)])
    t.message(payload, frag=1)


add("5.21", "text of 100 bytes as 100 one-byte fragments -> echoed whole (extra)", c5_21)


def c5_22(t):
    payload = bytes(range(256)) * 4
    t.echo([msg(payload, True)])
    t.message(payload, binary=True, frag=300)


add("5.22", "binary of 1024 bytes in 4 fragments -> echoed whole (extra)", c5_22)


def c5_23(t):
    t.echo([pong(f"p{i}") for i in range(3)] + [msg("abcd")])
    for i, ch in enumerate("abcd"):
        t.frame(OP_TEXT if i == 0 else OP_CONT, ch, fin=(i == 3))
        if i < 3:
            t.frame(OP_PING, f"p{i}")


add("5.23", "text in 4 fragments with a ping after each of the first 3 (extra)", c5_23)


# --------------------------------------------------------------------- 6 UTF-8
def c6_1_1(t):
    t.echo([msg(b"")])
    t.frame(OP_TEXT, b"")


def _frags(parts, binary=False):
    def run(t):
        t.echo([msg(b"".join(parts), binary)])
        for i, part in enumerate(parts):
            t.frame((OP_BINARY if binary else OP_TEXT) if i == 0 else OP_CONT, part,
                    fin=(i == len(parts) - 1))
    return run


add("6.1.1", "empty text message", c6_1_1)
add("6.1.2", "empty text message in 3 empty fragments", _frags([b"", b"", b""]))
add("6.1.3", "text in 3 fragments, first and last empty", _frags([b"", b"middle frame payload", b""]))

HELLO_UTF8 = "Hello-µ@ßöäüàá-UTF-8!!".encode("utf-8")
KOSME = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"   # "κόσμε" with U+1F79 (11 bytes)


def _valid_bytes(payload):
    def run(t):
        t.echo([msg(payload)])
        t.message(payload, frag=1)
    return run


add("6.2.1", "valid UTF-8 text in one frame", _echo(HELLO_UTF8, False))
add("6.2.2", "valid UTF-8 text in 2 fragments split at a code point boundary",
    _frags([HELLO_UTF8[:14], HELLO_UTF8[14:]]))
add("6.2.3", "valid UTF-8 text in 1-octet fragments (splits inside code points)", _valid_bytes(HELLO_UTF8))
add("6.2.4", "'κόσμε' in 1-octet fragments", _valid_bytes(KOSME))

INVALID_MIDDLE = KOSME + b"\xed\xa0\x80" + b"edited"


def _invalid(payload, frag=None, chop=None):
    def run(t):
        t.fail(1007)
        t.message(payload, frag=frag, chop=chop)
    return run


add("6.3.1", "invalid UTF-8 (surrogate) in one frame -> 1007", _invalid(INVALID_MIDDLE))
add("6.3.2", "invalid UTF-8 (surrogate) in 1-octet fragments -> 1007", _invalid(INVALID_MIDDLE, frag=1))

FF_PAYLOAD = KOSME + b"\xf4\x90\x80\x80" + b"edited"   # U+110000: beyond Unicode


def _failfast_frames(p1, p2, p3):
    def run(t):
        t.fail(1007, ok=[("timeout", "A")], non_strict=[("timeout", "A"), ("timeout", "B")])
        t.frame(OP_TEXT, p1, fin=False)
        if t.wait(FAILFAST_WAIT, "A"):
            t.frame(OP_CONT, p2, fin=False)
            if t.wait(FAILFAST_WAIT, "B"):
                t.frame(OP_CONT, p3, fin=True)
    return run


def _failfast_chops(cut1, cut2):
    def run(t):
        import wsraw
        t.fail(1007, ok=[("timeout", "A")], non_strict=[("timeout", "A"), ("timeout", "B")])
        data = wsraw.build_frame(OP_TEXT, FF_PAYLOAD, True, 0, t.p.mask_key())
        hdr = len(data) - len(FF_PAYLOAD)
        t.raw(data[:hdr + cut1])
        if t.wait(FAILFAST_WAIT, "A"):
            t.raw(data[hdr + cut1:hdr + cut2])
            if t.wait(FAILFAST_WAIT, "B"):
                t.raw(data[hdr + cut2:])
    return run


add("6.4.1", "fail fast: fragment 1 valid, fragment 2 = F4 90 80 80 (> U+10FFFF), rest held back",
    _failfast_frames(KOSME, b"\xf4\x90\x80\x80", b"edited"), serial=True)
add("6.4.2", "fail fast: fragment 1 ends with F4, fragment 2 = 90 (invalid), rest held back",
    _failfast_frames(FF_PAYLOAD[:12], FF_PAYLOAD[12:13], FF_PAYLOAD[13:]), serial=True)
add("6.4.3", "fail fast in one frame: chop 1 valid, chop 2 = F4 90 80 80, rest held back",
    _failfast_chops(11, 15), serial=True)
add("6.4.4", "fail fast in one frame: chop 1 ends with F4, chop 2 = 90, rest held back",
    _failfast_chops(12, 13), serial=True)


def _failfast_long(t):
    # 6.4.x style with a long message: 64 KiB of valid text, then the invalid byte
    t.fail(1007, ok=[("timeout", "A")], non_strict=[("timeout", "A"), ("timeout", "B")])
    t.frame(OP_TEXT, b"a" * 65536, fin=False)
    if t.wait(FAILFAST_WAIT, "A"):
        t.frame(OP_CONT, b"b" * 1000 + b"\xc0", fin=False)
        if t.wait(FAILFAST_WAIT, "B"):
            t.frame(OP_CONT, b"c" * 65536, fin=True)


add("6.4.5", "fail fast: 64 KiB valid fragment, then a fragment with C0, rest held back (extra)",
    _failfast_long, serial=True)


def cp(c):
    return chr(c).encode("utf-8", "surrogatepass")


VALID_GROUPS = [
    ("valid texts", [b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", "Ünïcödé ✓ 日本語 🎉".encode(),
                     b"A" * 50 + "€".encode() * 20, b"\x00\x01\x7f"]),
    ("first/last code point of each sequence length",
     [cp(0x0), cp(0x80), cp(0x800), cp(0x10000), cp(0x7F), cp(0x7FF), cp(0xFFFF), cp(0x10FFFF)]),
    ("other boundary code points", [cp(0xD7FF), cp(0xE000), cp(0xFFFD), cp(0x10FFFF), cp(0xFFFE)]),
    ("non-characters (valid UTF-8)",
     [cp(0xFDD0), cp(0xFDEF), cp(0xFFFE), cp(0x1FFFE), cp(0x1FFFF), cp(0x10FFFE), cp(0x10FFFF) * 2]),
]

INVALID_GROUPS = [
    ("5- and 6-byte sequences / beyond U+10FFFF",
     [b"\xf8\x88\x80\x80\x80", b"\xfc\x84\x80\x80\x80\x80", b"\xf4\x90\x80\x80",
      b"\xf7\xbf\xbf\xbf", b"\xfb\xbf\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf\xbf"]),
    ("unexpected continuation bytes",
     [b"\x80", b"\xbf", b"\x80\xbf", b"\x80\xbf\x80", b"\x80\xbf\x80\xbf",
      b"\x80\xbf\x80\xbf\x80", b"\x80\xbf\x80\xbf\x80\xbf", bytes(range(0x80, 0xc0))]),
    ("lonely start bytes followed by a space",
     [b"".join(bytes([c, 0x20]) for c in range(0xc0, 0xe0)),
      b"".join(bytes([c, 0x20]) for c in range(0xe0, 0xf0)),
      b"".join(bytes([c, 0x20]) for c in range(0xf0, 0xf8)),
      b"".join(bytes([c, 0x20]) for c in range(0xf8, 0xfc)),
      b"\xfc\x20\xfd\x20"]),
    ("sequences with the last byte missing",
     [b"\xc0", b"\xe0\x80", b"\xf0\x80\x80", b"\xf8\x80\x80\x80", b"\xfc\x80\x80\x80\x80",
      b"\xdf", b"\xef\xbf", b"\xf7\xbf\xbf", b"\xfb\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf",
      b"\xc0\xe0\x80\xf0\x80\x80\xf8\x80\x80\x80\xfc\x80\x80\x80\x80\xdf\xef\xbf\xf7\xbf\xbf",
      KOSME + b"\xce", KOSME + b"\xe2\x82", KOSME + b"\xf0\x9f\x98"]),
    ("impossible bytes",
     [b"\xfe", b"\xff", b"\xfe\xfe\xff\xff", b"\xc0", b"\xc1", b"\xf5\x80\x80\x80",
      b"\xf8", b"a\xffb"]),
    ("overlong '/'",
     [b"\xc0\xaf", b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf", b"\xf8\x80\x80\x80\xaf",
      b"\xfc\x80\x80\x80\x80\xaf"]),
    ("maximum overlongs",
     [b"\xc1\xbf", b"\xe0\x9f\xbf", b"\xf0\x8f\xbf\xbf", b"\xf8\x87\xbf\xbf\xbf",
      b"\xfc\x83\xbf\xbf\xbf\xbf"]),
    ("overlong NUL",
     [b"\xc0\x80", b"\xe0\x80\x80", b"\xf0\x80\x80\x80", b"\xf8\x80\x80\x80\x80",
      b"\xfc\x80\x80\x80\x80\x80"]),
    ("single UTF-16 surrogates",
     [b"\xed\xa0\x80", b"\xed\xad\xbf", b"\xed\xae\x80", b"\xed\xaf\xbf", b"\xed\xb0\x80",
      b"\xed\xbe\x80", b"\xed\xbf\xbf"]),
    ("paired UTF-16 surrogates",
     [b"\xed\xa0\x80\xed\xb0\x80", b"\xed\xa0\x80\xed\xbf\xbf", b"\xed\xad\xbf\xed\xb0\x80",
      b"\xed\xad\xbf\xed\xbf\xbf", b"\xed\xae\x80\xed\xb0\x80", b"\xed\xaf\xbf\xed\xbf\xbf"]),
    ("invalid byte after a long valid prefix",
     [b"x" * 1000 + b"\xc0\xaf", KOSME * 50 + b"\xed\xbf\xbf", b"y" * 200 + b"\x80" + b"z" * 200]),
]

_group = 5
for _name, _payloads in VALID_GROUPS:
    for _j, _p in enumerate(_payloads):
        add(f"6.{_group}.{_j + 1}", f"valid UTF-8 ({_name}): {_p[:16].hex()}", _echo(_p, False))
    _group += 1
for _name, _payloads in INVALID_GROUPS:
    for _j, _p in enumerate(_payloads):
        add(f"6.{_group}.{_j + 1}", f"invalid UTF-8 ({_name}): {_p[:16].hex()} -> 1007", _invalid(_p))
    _group += 1
# Invalid sequences split over 1-octet fragments and written octet-wise: the validator must keep
# its state across frame and read boundaries.
_split_invalid = [b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe0\x80\xaf", KOSME + b"\xce",
                  b"\xf0\x9f\x98", b"\xc1\xbf"]
for _j, _p in enumerate(_split_invalid):
    add(f"6.{_group}.{_j + 1}", f"invalid UTF-8 {_p.hex()} in 1-octet fragments -> 1007", _invalid(_p, frag=1))
_group += 1
for _j, _p in enumerate(_split_invalid):
    add(f"6.{_group}.{_j + 1}", f"invalid UTF-8 {_p.hex()} in one frame written octet-wise -> 1007",
        _invalid(_p, chop=1))
_group += 1
_split_valid = [cp(0x10000) * 3, cp(0x10FFFF) + cp(0x800) + cp(0x80), "€𝄞€".encode()]
for _j, _p in enumerate(_split_valid):
    add(f"6.{_group}.{_j + 1}", f"valid multi-byte text {_p.hex()} in 1-octet fragments",
        _valid_bytes(_p))
_group += 1


# ---------------------------------------------------------------------- 7 close
def c7_1_1(t):
    t.echo([msg("Hello World!")])
    t.expect_close(True, [1000], True, wrong_code_fatal=True)
    t.frame(OP_TEXT, "Hello World!")   # the tester closes with 1000 once the echo is in


def _after_close(*frames):
    def run(t):
        t.echo([])
        t.close(1000)
        for op, payload, fin in frames:
            t.frame(op, payload, fin=fin)
    return run


def c7_1_5(t):
    t.echo([])
    t.frame(OP_TEXT, "fragment1", fin=False)
    t.close(1000)
    t.frame(OP_CONT, "fragment2", fin=True)


add("7.1.1", "text message, then (after the echo) close 1000 -> clean close with 1000", c7_1_1)
add("7.1.2", "close, then a second close frame -> ignored", _after_close((OP_CLOSE, b"\x03\xe8", True)))
add("7.1.3", "close, then ping -> no pong", _after_close((OP_PING, b"Hello World!", True)))
add("7.1.4", "close, then text -> not echoed", _after_close((OP_TEXT, b"Hello World!", True)))
add("7.1.5", "text fragment, close, continuation -> nothing echoed", c7_1_5)


def _close(code=None, reason=b"", raw=None, codes=(1000,), clean=True, **kw):
    def run(t):
        t.expect([])
        t.expect_close(True, list(codes), clean, **kw)
        t.close(code, reason, raw)
    return run


add("7.3.1", "close without payload -> close back (empty or 1000)", _close())
add("7.3.2", "close with 1-byte payload -> 1002", _close(raw=b"a", codes=[1002], clean=False))
add("7.3.3", "close 1000 without reason", _close(1000))
add("7.3.4", "close 1000 with a short reason", _close(1000, b"Hello World!"))
add("7.3.5", "close 1000 with a 123-byte reason (maximum)", _close(1000, b"*" * 123))
add("7.3.6", "close 1000 with a 124-byte reason (frame too long) -> 1002",
    _close(1000, b"*" * 124, codes=[1002], clean=False))
add("7.5.1", "close 1000 with an invalid UTF-8 reason -> 1007",
    _close(1000, INVALID_MIDDLE, codes=[1007], clean=False))
for _i, _c in enumerate([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999]):
    add(f"7.7.{_i + 1}", f"close with valid code {_c} -> clean close, code echoed or 1000",
        _close(_c, codes=[1000, _c], wrong_code_fatal=True))
for _i, _c in enumerate([0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999]):
    add(f"7.9.{_i + 1}", f"close with invalid code {_c} -> 1002 (or TCP drop)",
        _close(_c, codes=[1002], clean=False, wrong_code_fatal=True))
add("7.9.10", "close with code 1015 (reserved, never on the wire) -> 1002 (extra)",
    _close(1015, codes=[1002], clean=False, wrong_code_fatal=True))
add("7.13.1", "close with code 5000 -> 1002 expected (informational otherwise)",
    _close(5000, codes=[1002], clean=False, wrong_code_informational=True))
add("7.13.2", "close with code 65535 -> 1002 expected (informational otherwise)",
    _close(65535, codes=[1002], clean=False, wrong_code_informational=True))
for _i, _c in enumerate([1012, 1013, 1014]):
    add(f"7.14.{_i + 1}", f"close with code {_c} (registered after RFC 6455) -> echo, 1000 or 1002 (extra)",
        _close(_c, codes=[1000, _c, 1002], clean=False))


# ---------------------------------------------------------------- 9 (bounded)
KiB, MiB = 1024, 1024 * 1024
_BIG = [64 * KiB, 256 * KiB, 1 * MiB, 4 * MiB, 8 * MiB, 16 * MiB]


def _big(size, binary, frag=None, chop=None):
    def run(t):
        payload = (b"\xfe" if binary else b"*") * size
        t.echo([msg(payload, binary)])
        t.message(payload, binary, frag=frag, chop=chop)
    return run


def _hs(n):
    return f"{n // MiB} MiB" if n >= MiB else f"{n // KiB} KiB"


for _i, _n in enumerate(_BIG):
    add(f"9.1.{_i + 1}", f"text message of {_hs(_n)} in one frame", _big(_n, False), timeout=20, serial=True)
    add(f"9.2.{_i + 1}", f"binary message of {_hs(_n)} in one frame", _big(_n, True), timeout=20, serial=True)
for _i, _f in enumerate([256, 4 * KiB, 64 * KiB, 1 * MiB]):
    add(f"9.3.{_i + 1}", f"text message of 4 MiB in fragments of {_f} bytes",
        _big(4 * MiB, False, frag=_f), timeout=20, serial=True)
    add(f"9.4.{_i + 1}", f"binary message of 4 MiB in fragments of {_f} bytes",
        _big(4 * MiB, True, frag=_f), timeout=20, serial=True)
for _i, _c in enumerate([64, 4 * KiB]):
    add(f"9.5.{_i + 1}", f"text message of 1 MiB written in chops of {_c} bytes",
        _big(1 * MiB, False, chop=_c), timeout=20, serial=True)
    add(f"9.6.{_i + 1}", f"binary message of 1 MiB written in chops of {_c} bytes",
        _big(1 * MiB, True, chop=_c), timeout=20, serial=True)


def _round_trips(count, size, binary):
    def run(t):
        payload = (b"\xfe" if binary else b"*") * size
        t.echo([msg(payload, binary)] * count)
        for i in range(count):
            t.message(payload, binary)
            if not t.wait_events(i + 1, 5.0):
                break
    return run


add("9.7.1", "1000 text messages of 16 bytes, one at a time", _round_trips(1000, 16, False), timeout=20, serial=True)
add("9.8.1", "1000 binary messages of 1 KiB, one at a time", _round_trips(1000, 1024, True), timeout=20, serial=True)


# ----------------------------------------------------------------------- 10
add("10.1.1", "text message of 65536 bytes in fragments of 1300 bytes -> echoed whole",
    _big(65536, False, frag=1300))
add("10.1.2", "text message of 64 KiB in 4 fragments -> echoed whole (extra)",
    _big(65536, False, frag=16384))

CASES.sort(key=lambda c: c.key())
