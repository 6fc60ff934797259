"""The C scanner behind ``SquidNative.parse_bytes`` and ``parse`` gives exactly what the
pyarrow-only ``parse_reference`` gives.

Every test parses the same lines three ways (``parse_bytes`` on the bytes, ``parse`` on the
decoded lines, ``parse_reference`` on the same lines) and compares records (cast back to
``RECORD_SCHEMA``), rejects, line counts and line numbers.
"""

from __future__ import annotations

import importlib.util
import itertools
import mmap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialsight.formats import squid
from socialsight.formats.squid import (
    DICTIONARY_FIELDS,
    MAX_LINE_CHARS,
    SCAN_SCHEMA,
    SquidNative,
)
from socialsight.schema import RECORD_SCHEMA, REJECT_SCHEMA

from conftest import SHARED_DATA

GOLDEN = Path(__file__).parent / "golden" / "squid"
BENCH_1M = Path(__file__).resolve().parents[1] / "bench" / "data" / "squid-1m.log"
REAL_SAMPLES = [
    *sorted((SHARED_DATA / "elastic-beats-filebeat" / "squid" / "log" / "test").glob("*.log")),
    SHARED_DATA / "usiem-squid" / "docker" / "logs.log",
    SHARED_DATA / "logstash-patterns-core" / "spec" / "patterns" / "squid.messages.log",
    *sorted((SHARED_DATA / "apache-metron-sample-data").glob("**/squid/raw/SquidExampleOutput")),
    *sorted((SHARED_DATA / "apache-metron-sample-data").glob("**/SquidExampleOutput.txt")),
]

LINE = (
    "1157689344.736   4969 10.105.47.218 TCP_MISS/200 29359 GET http://hi5.com/ nazsoau "
    "DIRECT/204.13.51.238 text/html"
)


def reference_lines(body: bytes) -> pa.Array:
    """What ingest hands to ``parse``: lines decoded with replacement, without terminators."""
    text = body.decode("utf-8", errors="replace")
    return pa.array([line.rstrip("\r") for line in text.split("\n")[:-1]], pa.string())


def assert_same(body: bytes, first_line: int = 1) -> tuple[pa.Table, pa.Table]:
    """parse_bytes(body) and parse(lines of body) equal parse_reference(lines of body);
    returns (records, rejects)."""
    lines = reference_lines(body)
    expected = SquidNative().parse_reference(lines, first_line)
    parsed = SquidNative().parse(lines, first_line)
    assert parsed.records.equals(expected.records)
    assert parsed.rejects.equals(expected.rejects)
    count, got = SquidNative().parse_bytes(body, first_line)
    assert count == len(lines)
    assert got.records.schema == SCAN_SCHEMA
    # Arrays wrap the scanner's memory: offsets, UTF-8 and dictionary indices must be sound.
    got.records.validate(full=True)
    got.rejects.validate(full=True)
    records = got.records.cast(RECORD_SCHEMA)
    assert records.to_pylist() == expected.records.to_pylist()
    assert records.equals(expected.records)
    assert got.rejects.schema == REJECT_SCHEMA
    assert got.rejects.to_pylist() == expected.rejects.to_pylist()
    assert_dictionaries(got.records)
    return records, got.rejects


def assert_dictionaries(records: pa.Table) -> None:
    """Every dictionary column has unique, non-null values."""
    for name in DICTIONARY_FIELDS:
        column = records.column(name).combine_chunks()
        assert pa.types.is_dictionary(column.type), name
        values = column.dictionary
        assert values.null_count == 0, name
        assert len(pc.unique(values)) == len(values), name


def with_newline(data: bytes) -> bytes:
    return data if data.endswith(b"\n") else data + b"\n"


def test_the_extension_is_built() -> None:
    # CI goes red when the C scanner fails to build (parse_bytes would silently fall back).
    from socialsight.formats import _squidscan

    assert squid._scan is _squidscan.scan


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.log")), ids=lambda p: p.stem)
def test_golden_files(path: Path) -> None:
    assert_same(with_newline(path.read_bytes()))


@pytest.mark.parametrize("path", REAL_SAMPLES, ids=lambda p: p.parent.name + "/" + p.name)
def test_real_squid_samples(path: Path) -> None:
    assert path.is_file(), f"missing third-party sample {path}"
    records, _ = assert_same(with_newline(path.read_bytes()), first_line=3)
    assert records.num_rows > 0


def test_simulated_lines(request: pytest.FixtureRequest) -> None:
    """200k simulated lines: the bench file when generated, else the simulated organisation."""
    if BENCH_1M.is_file():
        source = BENCH_1M
    else:
        source = request.getfixturevalue("simulated_org").logs / "access.log"
    with source.open("rb") as stream:
        body = b"".join(itertools.islice(stream, 200_000))
    records, rejects = assert_same(body, first_line=1_000_001)
    assert records.num_rows + rejects.num_rows == 200_000
    assert records.column("log.line")[0].as_py() >= 1_000_001


def test_line_count_and_numbers() -> None:
    body = (
        f"{LINE}\r\n"  # 7
        "\n"  # 8: blank
        " \t\r\x0b\x0c\r\n"  # 9: blank (only blank characters)
        "\r\n"  # 10: blank
        f"  {LINE}  \t\n"  # 11
        "1157689344.736 4969 10.1.2.3 TCP_MISS/200\n"  # 12: truncated
        "hello world\n"  # 13
        f"{LINE.replace('4969', 'x')}\n"  # 14: bad-elapsed
    ).encode()
    records, rejects = assert_same(body, first_line=7)
    assert records.column("log.line").to_pylist() == [7, 11]
    assert rejects.to_pylist() == [
        {"log.line": 12, "reason": "truncated"},
        {"log.line": 13, "reason": "not-squid-access"},
        {"log.line": 14, "reason": "bad-elapsed"},
    ]
    count, result = SquidNative().parse_bytes(body, 7)
    assert count == 8
    assert result.records.column("user.name").to_pylist() == ["nazsoau", "nazsoau"]


def test_empty_and_blank_bodies() -> None:
    for body in (b"", b"\n", b"\r\n\r\n", b" \t\n\x0b\n\x0c\r\n"):
        count, result = SquidNative().parse_bytes(body, 1)
        assert count == body.count(b"\n")
        assert result.records.num_rows == 0
        assert result.rejects.num_rows == 0
        assert result.records.schema == SCAN_SCHEMA


def test_too_long_counts_characters_not_bytes() -> None:
    # 'é' is two bytes: a URL of 20,000 of them is 40,000 bytes but fewer characters than the
    # limit; 33,000 ASCII characters are over it.
    short_enough = LINE.replace("http://hi5.com/", "http://hi5.com/" + "é" * 20_000)
    too_long = LINE.replace("http://hi5.com/", "http://hi5.com/" + "a" * MAX_LINE_CHARS)
    body = f"{short_enough}\n{too_long}\n".encode()
    records, rejects = assert_same(body)
    assert records.column("log.line").to_pylist() == [1]
    assert rejects.to_pylist() == [{"log.line": 2, "reason": "too-long"}]


def test_invalid_utf8_is_replaced() -> None:
    body = LINE.replace("nazsoau", "na\xffz").encode("latin-1") + b"\n"
    records, _ = assert_same(body)
    assert records.column("user.name").to_pylist() == ["na\ufffdz"]


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff",
        b"\xc0\xaf",  # overlong
        b"\xe0\x80\x80",  # overlong, three bytes: three replacements
        b"\xe2\x82",  # truncated: one replacement
        b"\xed\xa0\x80",  # surrogate
        b"\xf0\x90\x80",  # truncated four-byte sequence
        b"\xf4\x90\x80\x80",  # above U+10FFFF
        b"\xf5\x80",
        b"a\x80b\xbf\xc2",
        "ü€😀".encode(),
    ],
)
def test_invalid_utf8_is_replaced_like_python(raw: bytes) -> None:
    from socialsight.formats._squidscan import scan

    text = b"x" + raw + b" y"
    scanned = scan(b" " + text + b"\r\n", 1, MAX_LINE_CHARS)
    assert scanned["replaced_utf8"] == (raw != "ü€😀".encode())
    assert bytes(memoryview(scanned["short_data"])) == text.decode(errors="replace").encode()


def test_all_distinct_values_grow_the_dictionaries() -> None:
    # Hostile input: every value distinct, far past the scanner's first table size.
    body = "".join(
        f"{1157680000 + i}.{i % 1000:03d} {i} 10.{i // 65536}.{i // 256 % 256}.{i % 256} "
        f"TCP_{i}/200 {i} M{i} http://h{i}.example:{i % 65535 + 1}/p u{i} DIRECT/h{i} t/{i}\n"
        for i in range(5_000)
    ).encode()
    records, rejects = assert_same(body)
    assert records.num_rows == 5_000
    assert rejects.num_rows == 0
    assert len(records.column("url.domain").unique()) == 5_000


def test_dictionary_columns_merge_values_and_keep_nulls() -> None:
    body = (
        f"{LINE}\n"
        f"{LINE.replace('GET', 'get').replace('nazsoau', 'n%61zsoau')}\n"
        f"{LINE.replace('nazsoau', '-').replace('text/html', '-')}\n"
        f"{LINE.replace('http://hi5.com/', 'HTTP://HI5.com.:80/x')}\n"
    ).encode()
    assert_same(body)
    _, result = SquidNative().parse_bytes(body, 1)
    records = result.records
    users = records.column("user.name").combine_chunks()
    assert users.to_pylist() == ["nazsoau", "nazsoau", None, "nazsoau"]
    assert users.dictionary.to_pylist() == ["nazsoau"]
    methods = records.column("http.request.method").combine_chunks()
    assert methods.dictionary.to_pylist() == ["GET"]
    domains = records.column("url.domain").combine_chunks()
    assert domains.dictionary.to_pylist() == ["hi5.com"]
    assert records.column("http.response.mime_type").null_count == 1


def test_connect_and_pseudo_urls() -> None:
    body = (
        "1.0 1 ::1 TCP_TUNNEL/200 10 CONNECT www.google.com:443 - HIER_DIRECT/1.2.3.4 -\n"
        "1.0 1 ::1 TCP_TUNNEL/200 10 connect [2001:db8::1]:8443 - HIER_DIRECT/1.2.3.4 -\n"
        "1.0 1 ::1 NONE/400 0 CONNECT error:invalid-request - HIER_NONE/- -\n"
        "1.0 1 ::1 NONE/400 0 GET www.google.com:443 - HIER_NONE/- -\n"
        "1.0 1 ::1 TCP_TUNNEL/200 10 CONNECT www.google.com:99999 - HIER_DIRECT/1.2.3.4 -\n"
        "1.0 1 ::1 TCP_TUNNEL/200 10 CONNECT bad_host!:443 - HIER_DIRECT/1.2.3.4 -\n"
        "1.0 1 ::1 TCP_MISS/200 10 GET https://user@münchen.de:8080/x - HIER_DIRECT/h -\n"
    ).encode()
    records, rejects = assert_same(body)
    assert records.column("url.domain").to_pylist() == [
        "www.google.com", "2001:db8::1", None, None, "münchen.de",
    ]  # fmt: skip
    assert records.column("destination.port").to_pylist() == [443, 8443, None, None, 8080]
    assert rejects.to_pylist() == [
        {"log.line": 5, "reason": "bad-port"},
        {"log.line": 6, "reason": "bad-host"},
    ]


def test_the_scanner_rejects_bad_calls_with_clear_errors() -> None:
    from socialsight.formats._squidscan import scan

    with pytest.raises(ValueError, match="must end with a newline"):
        scan(b"no newline", 1, MAX_LINE_CHARS)
    with pytest.raises(ValueError, match="max_chars"):
        scan(b"\n", 1, -1)
    # An anonymous mapping is not backed by memory until touched: the size check comes first.
    with mmap.mmap(-1, (1 << 30) + 1) as huge, pytest.raises(ValueError, match="1 GiB"):
        scan(huge, 1, MAX_LINE_CHARS)


def test_parse_takes_lines_the_scanner_cannot() -> None:
    # A line holding a newline (or null) cannot be joined into a body: the reference parses.
    lines = pa.array([LINE, None, LINE.replace(" GET ", " GET\n"), "", LINE.replace(" ", "\t")])
    expected = SquidNative().parse_reference(lines, 4)
    got = SquidNative().parse(lines, 4)
    assert got.records.equals(expected.records)
    assert got.rejects.equals(expected.rejects)
    assert got.records.column("log.line").to_pylist() == [4, 6, 8]
    chunked = SquidNative().parse(pa.chunked_array([[LINE], [None, LINE]]), 1)
    assert chunked.records.column("log.line").to_pylist() == [1, 3]


def test_without_the_extension_parse_bytes_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    body = (GOLDEN / "hostile.log").read_bytes()
    count, expected = SquidNative().parse_bytes(body, 5)
    monkeypatch.setattr(squid, "_scan", None)
    fallback_count, fallback = SquidNative().parse_bytes(body, 5)
    assert fallback_count == count
    assert fallback.records.schema == SCAN_SCHEMA
    assert fallback.records.cast(RECORD_SCHEMA).equals(expected.records.cast(RECORD_SCHEMA))
    assert fallback.rejects.equals(expected.rejects)


def test_threads_parse_chunks_side_by_side() -> None:
    # Ingest parses chunks on two threads; the scanner runs without the GIL.
    bodies = [
        "".join(f"{LINE.replace('4969', str(i * 100 + j))}\n" for j in range(2_000)).encode()
        for i in range(4)
    ]
    alone = [SquidNative().parse_bytes(body, 1)[1].records for body in bodies]
    together: list[pa.Table | None] = [None] * len(bodies)

    def work(i: int) -> None:
        together[i] = SquidNative().parse_bytes(bodies[i], 1)[1].records

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert together == alone
    assert [t.column("event.duration_ms")[5].as_py() for t in alone] == [5, 105, 205, 305]


# -- generated bodies ------------------------------------------------------------------------

TOKENS = [
    "1157689344.736", "1157689344", "1157689344.1234567", "12345678901", "0.5", "-1", "-",
    "--", "4969", "-12", "1234567890123456", "10.1.2.3", "::1", "[::1]", "fe80::1%eth0",
    "host_name", "a b", "TCP_MISS/200", "TCP_DENIED/403", "NONE/000", "TCP_MISS/2000",
    "TCP_TUNNEL_ABORTED/200", "TCP_MISS_ABORTED/000", "NONE/503", "TCP_DENIED/407", "29359",
    "123456789012345678", "1234567890123456789", "GET", "get", "CONNECT", "Connect", "1GET",
    "http://hi5.com/", "https://a.example:8443/x?y#z", "HTTP://User@Host.Example.:80",
    "ftp://[2001:db8::1]/", "http://[::1", "www.google.com:443", "a:0", "a:65536",
    "error:invalid-request", "ERROR:x", "-", "münchen.de:443", "http://münchen.de/",
    "http://xn--mnchen-3ya.de/", "http://a_b.example/", "http://.example/", "mailto:x",
    "nazsoau", "%41%20b", "ü", "DIRECT/1.2.3.4", "HIER_NONE/-", "NONE/-", "x/y", "BAD",
    "text/html", "<script>", "=cmd()",
]  # fmt: skip
SEPARATORS = [" ", "  ", "\t", " \t ", "\x0b", "\x0c", "\r", " \x1c "]

token = st.sampled_from(TOKENS) | st.text(max_size=6)
squidish = st.builds(
    lambda parts, seps: "".join(p + s for p, s in zip(parts, seps, strict=False)).rstrip(),
    st.lists(token, min_size=0, max_size=13),
    st.lists(st.sampled_from(SEPARATORS), min_size=13, max_size=13),
)
valid_line = st.builds(
    lambda t, e, c, code, size, method, url, user, hier, mime: " ".join(
        [t, e, c, code, size, method, url, user, hier, mime]
    ),
    st.sampled_from(["1157689344.736", "1.5", "1234567890.123456"]),
    st.sampled_from(["0", "4969", "-", "-3"]),
    st.sampled_from(["10.1.2.3", "::1", "host-1"]),
    st.sampled_from(["TCP_MISS/200", "TCP_DENIED/403", "NONE/000", "TCP_TUNNEL/200"]),
    st.sampled_from(["0", "29359", "-"]),
    st.sampled_from(["GET", "CONNECT", "post", "-"]),
    st.sampled_from(["http://hi5.com/", "a.example:443", "https://B.example:8443/x", "-"]),
    st.sampled_from(["-", "alice", "b%40c"]),
    st.sampled_from(["DIRECT/1.2.3.4", "HIER_NONE/-"]),
    st.sampled_from(["-", "text/html"]),
)
huge_line = st.builds(
    lambda char, n, prefix: prefix + char * n,
    st.sampled_from(["a", "é", "€", "😀", " "]),
    st.sampled_from([8_000, 10_923, 16_384, 32_000, 32_768, 32_769, 40_000]),
    st.sampled_from(["", LINE + " ", "1157689344.736 1 "]),
)
line = valid_line | squidish | st.text() | huge_line | st.sampled_from(["", "\r", " ", "\r\r"])
ending = st.sampled_from(["\n", "\r\n", "\r\r\n", " \n", "\t\n"])
text_body = st.lists(st.tuples(line, ending), max_size=12).map(
    lambda pairs: "".join(text + end for text, end in pairs).encode("utf-8", "surrogatepass")
)
bytes_body = st.lists(st.binary(max_size=60), max_size=12).map(
    lambda parts: b"".join(part + b"\n" for part in parts)
)
# Valid lines with random bytes inside a field (user names and URLs keep what was replaced).
damaged_body = st.lists(
    st.tuples(valid_line, st.binary(max_size=6), st.integers(0, 200)), max_size=8
).map(
    lambda rows: b"".join(
        text.encode()[:cut].rstrip(b" ") + noise + text.encode()[cut:] + b"\n"
        for text, noise, cut in rows
    )
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text_body | bytes_body | damaged_body, st.integers(1, 10**12))
def test_generated_bodies(body: bytes, first_line: int) -> None:
    assert_same(body, first_line)


# -- the scanner's own paths (issue #6: word-at-a-time parsing, the hash tables, SSE2) --------

SOURCE = Path(__file__).resolve().parents[1] / "src" / "socialsight" / "formats" / "_squidscan.c"


def scanned_values(scanned: dict[str, int | Any], name: str) -> list[bytes]:
    """The distinct values of dictionary ``name`` in the scanner's order."""
    offsets = memoryview(scanned[name + "_offsets"]).cast("i").tolist()
    data = bytes(memoryview(scanned[name + "_data"]))
    return [data[start:end] for start, end in itertools.pairwise(offsets)]


def scanned_rows(scanned: dict[str, int | Any], name: str) -> list[bytes]:
    """The value of dictionary ``name`` for every row, through its indices."""
    values = scanned_values(scanned, name)
    return [values[i] for i in memoryview(scanned[name + "_indices"]).cast("i").tolist()]


def first_appearance(values: list[bytes]) -> list[bytes]:
    return list(dict.fromkeys(values))


def squid_line(user: str = "nazsoau", url: str = "http://hi5.com/", **fields: str) -> str:
    parts = {
        "time": "1157689344.736", "elapsed": "4969", "client": "10.105.47.218",
        "code": "TCP_MISS/200", "bytes": "29359", "method": "GET", "url": url, "user": user,
        "hier": "DIRECT/204.13.51.238", "mime": "text/html",
    }  # fmt: skip
    parts.update(fields)
    return " ".join(parts.values())


@pytest.fixture(params=["hashed", "colliding"])
def hashes(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run a test twice: with the scanner's hash, and with every value hashing alike, so that
    each lookup compares the values themselves (as real collisions do)."""
    from socialsight.formats import _squidscan

    _squidscan._collide_hashes(request.param == "colliding")
    try:
        yield request.param
    finally:
        _squidscan._collide_hashes(False)


def test_values_that_differ_in_one_byte_stay_apart(hashes: str) -> None:
    # Values of every length around the scanner's 8-, 16-, 24- and 32-byte words, each also
    # with one byte changed at every position: equal prefixes, equal lengths, equal words
    # but one. Every one must get its own dictionary entry, in order of first appearance.
    users: list[str] = []
    for length in range(1, 42):
        base = "".join(chr(ord("a") + i % 26) for i in range(length))
        users.append(base)
        for k in range(length):
            users.append(base[:k] + "Z" + base[k + 1 :])
            users.append(base[:k] + "0" + base[k + 1 :])
    users += users[::-1]  # every value again: found, not added
    hosts = [f"http://{user}.example/" for user in users]
    body = "".join(f"{squid_line(user=u, url=h)}\n" for u, h in zip(users, hosts, strict=True))
    from socialsight.formats._squidscan import scan

    scanned = scan(body.encode(), 1, MAX_LINE_CHARS)
    expected_users = [user.encode() for user in users]
    assert scanned["rows"] == len(users)
    assert scanned_values(scanned, "user") == first_appearance(expected_users)
    assert scanned_rows(scanned, "user") == expected_users
    keys = [host.rstrip("/").encode() for host in hosts]
    assert scanned_values(scanned, "url_key") == first_appearance(keys)
    assert scanned_rows(scanned, "url_key") == keys
    # Length 1 gives "a", "Z", "0"; length n > 1 gives 2n + 1 values.
    assert scanned["user_distinct"] == len(set(users)) == 3 + sum(2 * n + 1 for n in range(2, 42))
    # The hash changes from call to call; the result does not.
    again = scan(body.encode(), 1, MAX_LINE_CHARS)
    assert {k: bytes(memoryview(v)) if not isinstance(v, int) else v for k, v in again.items()} == {
        k: bytes(memoryview(v)) if not isinstance(v, int) else v for k, v in scanned.items()
    }
    assert_same(body.encode())


def test_every_row_has_its_own_value_in_every_field(hashes: str) -> None:
    rows = 3_000 if hashes == "hashed" else 600  # colliding: every lookup scans all values
    body = "".join(
        squid_line(
            time=f"{1157680000 + i}.{i % 1000:03d}",
            elapsed=str(i),
            client=f"10.{i // 65536}.{i // 256 % 256}.{i % 256}",
            code=f"TCP_{'X' * (i % 40)}{i}/200",
            bytes=str(i * 7919),
            method=f"M{i}",
            url=f"http://{'h' * (i % 37)}{i}.example:{i % 65535 + 1}/p{i}",
            user=f"u{'v' * (i % 33)}{i}",
            hier=f"DIRECT/{'p' * (i % 29)}{i}",
            mime=f"t/{i}",
        )
        + "\n"
        for i in range(rows)
    ).encode()
    from socialsight.formats._squidscan import scan

    scanned = scan(body, 1, MAX_LINE_CHARS)
    for name in ("client", "code", "method", "user", "hier", "mime", "url_key"):
        assert scanned[name + "_distinct"] == rows, name
    assert scanned_rows(scanned, "hier")[567] == b"DIRECT/" + b"p" * (567 % 29) + b"567"
    records, rejects = assert_same(body)
    assert records.num_rows == rows
    assert rejects.num_rows == 0


NUMBERS = [
    "0", "7", "12345678", "99999999", "00000001", "123456789", "123456789012345",
    "1234567890123456", "123456789012345678", "1234567890123456789", "-", "-0", "-5",
    "-12345678", "-123456789", "--5", "5-", "1-2", "+5", "1a", "a1", "12345x78", "1234567x",
    "x2345678", "1234567/", "1234567:", "/", ":", "٣",
]  # fmt: skip


@pytest.mark.parametrize("value", NUMBERS)
@pytest.mark.parametrize("field", ["elapsed", "bytes"])
def test_numbers_word_at_a_time(field: str, value: str) -> None:
    # Up to eight digits are read in one word: a bad byte at every position, the bounds of
    # the digit class ('/' and ':' are next to '0' and '9'), signs, and longer numbers.
    body = f"{squid_line(**{field: value})}\n".encode()
    records, rejects = assert_same(body)
    column = "event.duration_ms" if field == "elapsed" else "http.response.bytes"
    if value.isascii() and value.isdigit() and len(value) <= 15:
        assert records.column(column).to_pylist() == [int(value)]
    if field == "elapsed" and value in ("-12345678", "-5", "-0"):
        assert records.column(column).to_pylist() == [int(value)]
    if value in ("12345x78", "1234567:", "+5"):
        assert rejects.column("reason").to_pylist() == [f"bad-{field}"]


TIMES = [
    "1157689344.736", "9999999999.999", "0000000000.000", "1157689344.7361", "115768934.736",
    "1157689344,736", "11576893x4.736", "1157689344.7x6", "1157689344.73/", "/157689344.736",
    "1157689344.:36", "11576893441736", "1157689344.", "1157689344", "1157689344.9",
    "1157689344.123456", "1157689344.1234567", "12345678901.736",
]  # fmt: skip


@pytest.mark.parametrize("time", TIMES)
def test_times_word_at_a_time(time: str) -> None:
    # Squid's own 14-character form is read in words; anything else takes the general path.
    body = f"{squid_line(time=time)}\n".encode()
    records, _ = assert_same(body)
    if time in ("1157689344.736", "9999999999.999", "0000000000.000", "1157689344.9"):
        seconds, fraction = time.split(".")
        micros = int(seconds) * 1_000_000 + int(fraction.ljust(6, "0"))
        assert records.column("@timestamp").cast(pa.int64()).to_pylist() == [micros]


def test_invalid_utf8_anywhere_after_ascii() -> None:
    # The scanner checks UTF-8 in the same pass as it cuts fields, from the first non-ASCII
    # 64-byte block on; when invalid, it goes on in a replaced copy from there. The bad byte
    # is put at every offset of a line, after bodies of several lengths, so that it falls at
    # every place of a block and of a field (a line cut so far must survive the switch).
    line = squid_line()
    for before in (0, 1, 7):
        head = "".join(f"{squid_line(elapsed=str(i))}\n" for i in range(before)).encode()
        for offset in range(0, len(line) + 1, 3):
            raw = line.encode()
            body = head + raw[:offset] + b"\xff\xfe" + raw[offset:] + b"\n" + raw + b"\n"
            records, rejects = assert_same(body)
            assert records.num_rows + rejects.num_rows == before + 2


def test_replaced_bytes_grow_the_urls() -> None:
    # Each invalid byte becomes three (U+FFFD): the URLs of the replaced body are longer
    # than the body the scanner reserved room for.
    body = "".join(
        f"{squid_line(url='http://h.example/' + chr(0xDC80) * (n * 50))}\n" for n in range(40)
    ).encode("utf-8", "surrogateescape")
    assert b"\x80" in body
    records, _ = assert_same(body)
    assert records.num_rows == 40
    urls = records.column("url.original").to_pylist()
    assert urls[39] == "http://h.example/" + "\ufffd" * 1950


def test_lines_with_many_fields_and_long_blanks() -> None:
    # More than ten fields (the scanner keeps the first ten and the end of the last), runs of
    # blanks longer than a 64-byte block, and lines ending at every place of a block.
    lines = [
        squid_line() + " extra" * 30,
        squid_line().replace(" ", " " * 70),
        squid_line().replace(" ", "\t \x0b\x0c\r" * 15) + " \t" * 40,
        *(squid_line(user="u" * n) for n in range(1, 80)),
        " ".join(["x"] * 200),
    ]
    body = "".join(f"{line}\n" for line in lines).encode()
    records, rejects = assert_same(body)
    assert records.num_rows == len(lines) - 1
    assert rejects.to_pylist() == [{"log.line": len(lines), "reason": "not-squid-access"}]


# -- the portable build: what a machine without SSE2 or little-endian words runs -------------


@pytest.fixture(scope="module")
def portable_scan(portable_build: Any) -> Callable[..., dict[str, Any]]:
    scan: Callable[..., dict[str, Any]] = portable_build.scan
    return scan


@pytest.fixture(scope="module")
def portable_build(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The scanner built again with -DSQUIDSCAN_PORTABLE (plain C: no SSE2, no word loads)."""
    from setuptools import Distribution, Extension
    from setuptools.command.build_ext import build_ext

    where = tmp_path_factory.mktemp("portable")
    name = "socialsight.formats._squidscan"
    extension = Extension(name, [str(SOURCE)], define_macros=[("SQUIDSCAN_PORTABLE", "1")])
    command = build_ext(Distribution({"name": "portable", "ext_modules": [extension]}))
    command.build_lib = str(where / "lib")
    command.build_temp = str(where / "tmp")
    command.ensure_finalized()
    command.run()
    spec = importlib.util.spec_from_file_location(name, command.get_ext_fullpath(name))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_same_scan(portable: Callable[..., dict[str, Any]], body: bytes) -> None:
    from socialsight.formats._squidscan import scan

    def plain(result: dict[str, Any]) -> dict[str, int | bytes]:
        return {k: v if isinstance(v, int) else bytes(memoryview(v)) for k, v in result.items()}

    for max_chars in (MAX_LINE_CHARS, 60):
        assert plain(portable(body, 5, max_chars)) == plain(scan(body, 5, max_chars))


def portable_bodies() -> list[bytes]:
    bodies = [with_newline(path.read_bytes()) for path in sorted(GOLDEN.glob("*.log"))]
    bodies += [with_newline(path.read_bytes()) for path in REAL_SAMPLES]
    bodies.append("".join(f"{squid_line(user='u' * n)}\n" for n in range(1, 80)).encode())
    bodies.append((squid_line() + " x" * 60 + "\n").encode() * 3)
    bodies.append(squid_line().encode() + b"\xff\n" + "é€😀\n".encode() + b"\xe2\x82\n")
    bodies.append(b"")
    if BENCH_1M.is_file():
        with BENCH_1M.open("rb") as stream:
            bodies.append(b"".join(itertools.islice(stream, 20_000)))
    return bodies


def test_the_portable_build_gives_the_same_columns(
    portable_scan: Callable[..., dict[str, Any]],
) -> None:
    for body in portable_bodies():
        assert_same_scan(portable_scan, body)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=text_body | bytes_body | damaged_body)
def test_the_portable_build_on_generated_bodies(
    portable_scan: Callable[..., dict[str, Any]], body: bytes
) -> None:
    assert_same_scan(portable_scan, body)


# -- the reader's line count (any format) ----------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 15, 16, 17, 255 * 16 - 1, 255 * 16, 255 * 16 + 1, 20_000])
def test_count_lines_of_bodies_made_of_newlines(portable_build: Any, n: int) -> None:
    """Every byte a newline: the SSE2 loop's byte counters are summed before they overflow
    (every 255 blocks of 16 bytes)."""
    from socialsight.formats._squidscan import count_lines

    for start in range(3):
        body = memoryview(b"x" * start + b"\n" * n)[start:]
        assert count_lines(body) == portable_build.count_lines(body) == n


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=9000), start=st.integers(0, 40))
def test_count_lines_counts_every_newline(portable_build: Any, body: bytes, start: int) -> None:
    from socialsight.formats._squidscan import count_lines
    from socialsight.sources import _count_lines_numpy

    view = memoryview(body)[start:]
    expected = bytes(view).count(b"\n")
    assert count_lines(view) == portable_build.count_lines(view) == expected
    assert _count_lines_numpy(view) == expected
