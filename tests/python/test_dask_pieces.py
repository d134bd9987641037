"""rapport.dask's pieces: the cut of quote-free text (memchr to the key field and the line end)
against a plain reading of the row rule, and the merge of int32 (a cut's) and int64 pieces."""

import numpy as np
import pytest

pytest.importorskip("dask")
from rapport import _rapport  # noqa: E402

MASK = (1 << 64) - 1


def _fnv(b: bytes) -> int:
    """FNV-1a 64, the customer-id hash the pieces are routed by."""
    h = 14695981039346656037
    for c in b:
        h = ((h ^ c) * 1099511628211) & MASK
    return h


def _rule(text: bytes, line: int, key: int, parts: int):
    """The row rule read plainly: one record per '\\n'-ended line (a last line may lack its
    '\\n'), blank lines skipped but counted, fields split at every ','; a record without field
    `key` goes to piece 0. Returns per piece (data, [(row, line, end)])."""
    lines = text.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the '\n' ending the last line starts no line
    out = [(bytearray(), []) for _ in range(parts)]
    row = 0
    for at, raw in enumerate(lines, start=line):
        if not raw:
            continue
        fields = raw.split(b",")
        data, meta = out[_fnv(fields[key]) % parts if key < len(fields) else 0]
        data += raw + b"\n"
        meta.append((row, at, len(data)))
        row += 1
    return [(bytes(d), m) for d, m in out]


def _pieces(cut):
    return [(bytes(p[0]), [tuple(r) for r in p[1].tolist()]) for p in cut[1:]]


# blank lines first, in the middle and twice, a line with fewer fields than some keys, empty key
# fields, unicode in the key, and a last line without its '\n'
TRICKY = "\n".join([
    "",
    "C-1,2024-01-01,retail",
    "",
    "",
    "C-2,,x",
    ",2024-01-02,",
    "C-3",
    "Ünïcødé-日本-🙂,2024-02-02,wholesale",
    "C-1,2024-03-01,retail,extra",
    "a,b",
    "",
    "C-4,2024-04-04,last",
]).encode("utf-8")


@pytest.mark.parametrize("key", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("parts", [1, 3, 7])
@pytest.mark.parametrize("tail", [b"", b"\n", b"\n\n"])
def test_plain_cut_equals_the_row_rule(key, parts, tail):
    text = TRICKY + tail
    got = _rapport._text_cut(text, key, parts)
    want = _rule(text, 2, key, parts)
    assert got[0][:2] == (sum(len(m) for _, m in want), True)
    assert _pieces(got) == want
    assert all(p[1].dtype == np.int32 and p[1].shape[1] == 3 for p in got[1:])


def test_plain_cut_of_a_file_range_equals_the_row_rule(tmp_path):
    """A range of a file (from its second line on: the header skipped) numbered from `line`."""
    path = tmp_path / "t.csv"
    path.write_bytes(b"customer_id,day,kind\n" + TRICKY)
    start = len(b"customer_id,day,kind\n")
    got = _rapport._csv_cut(str(path), start, path.stat().st_size, False, 2, start, 0, 3)
    assert got[0][2:4] == (start, path.stat().st_size)
    assert _pieces(got) == _rule(TRICKY, 2, 0, 3)


@pytest.mark.parametrize("line", [2**31 - 4, 2**31, 2**40])
def test_a_range_past_int32_gives_int64_meta(tmp_path, line):
    """Lines past 2**31 - 1 (a range starting that far into its file): the pieces turn int64 at the
    first value that does not fit (from 2**31 - 4, part way through: the int32 values so far
    kept), with the same values."""
    path = tmp_path / "t.csv"
    path.write_bytes(TRICKY)
    got = _rapport._csv_cut(str(path), 0, len(TRICKY), False, line, 0, 0, 1)
    assert got[1][1].dtype == np.int64
    assert _pieces(got) == _rule(TRICKY, line, 0, 1)
    merged = _rapport._merge_pieces([got[1]], [5], [], [1])
    assert merged[1].tolist() == [[r + 5, at + 1, e] for r, at, e in _rule(TRICKY, line, 0, 1)[0][1]]


def test_crlf_text_cuts_as_its_lf_text():
    """Text with '\\r\\n' line ends goes to the RFC 4180 reader: the same records, rows and lines,
    each record's text without its '\\r'."""
    crlf = TRICKY.replace(b"\n", b"\r\n") + b"\r\n"
    for key in (0, 1, 2):
        assert _pieces(_rapport._text_cut(crlf, key, 5)) == _rule(TRICKY, 2, key, 5)


def test_empty_text_cuts_into_empty_pieces():
    got = _rapport._text_cut(b"", 0, 2)
    assert got[0][0] == 0 and all(len(p[0]) == 0 and p[1].shape == (0, 3) for p in got[1:])
    got = _rapport._text_cut(b"\n\n", 0, 2)
    assert got[0][0] == 0 and all(len(p[0]) == 0 for p in got[1:])


def _merge_case(dtype):
    # range A (rows from global row 0, lines shifted by 1):   range B (from row 3, lines by 10):
    #   row 0 line 1 "a0"   -> global row 0, line 2           row 0 line 1 "b0" -> row 3, line 11
    #   row 2 line 4 "a22"  -> global row 2, line 5           row 1 line 2 "b1" -> row 4, line 12
    a = (np.frombuffer(b"a0\na22\n", dtype=np.uint8), np.array([[0, 1, 3], [2, 4, 7]], dtype=dtype))
    b = (np.frombuffer(b"b0\nb1\n", dtype=np.uint8), np.array([[0, 1, 3], [1, 2, 6]], dtype=dtype))
    return a, b


@pytest.mark.parametrize("types", [(np.int32, np.int32), (np.int64, np.int64), (np.int32, np.int64)])
def test_int32_and_int64_pieces_merge_alike(types):
    (a, _), (_, b) = _merge_case(types[0]), _merge_case(types[1])
    merged = _rapport._merge_pieces([a, b], [0, 3], [], [1, 10])
    assert bytes(merged[0]) == b"a0\na22\nb0\nb1\n"
    assert merged[1].dtype == np.int64
    assert merged[1].tolist() == [[0, 2, 3], [2, 5, 7], [3, 11, 10], [4, 12, 13]]
    # out of order and a dropped row (global row 2): the sorting merge
    merged = _rapport._merge_pieces([b, a], [3, 0], [2], [10, 1])
    assert bytes(merged[0]) == b"a0\nb0\nb1\n"
    assert merged[1].dtype == np.int64
    assert merged[1].tolist() == [[0, 2, 3], [3, 11, 6], [4, 12, 9]]


def test_cut_then_merge_equals_the_whole_text():
    """Cut in two ranges at a line boundary and merged with the ranges' offsets: the same rows and
    lines as the whole text cut as one range."""
    lines = TRICKY.split(b"\n")
    first, second = b"\n".join(lines[:6]) + b"\n", b"\n".join(lines[6:])
    whole = _rapport._text_cut(TRICKY, 0, 3)
    one, two = _rapport._text_cut(first, 0, 3), _rapport._text_cut(second, 0, 3)
    for k in range(3):
        merged = _rapport._merge_pieces([one[k + 1], two[k + 1]], [0, one[0][0]], [], [0, 6])
        assert bytes(merged[0]) == bytes(whole[k + 1][0])
        assert merged[1].tolist() == whole[k + 1][1].tolist()


def test_range_counts_of_quotes_and_line_breaks_over_long_ranges(tmp_path):
    """A range's quote and line-break counts (the cut's info[4:6], what the next ranges' quote
    parity and first lines are read from) equal a plain count of its bytes — over ranges long
    enough for the counter's wide loop and its per-255-block flush (about 100 KB), with quotes and
    line breaks at and around 16-byte boundaries, at several cut points and quote parities."""
    rng = np.random.default_rng(7)
    body = bytearray(rng.choice(np.frombuffer(b'abc,"\n0123', dtype=np.uint8), size=100_003).tobytes())
    for k in range(0, len(body), 16):  # a quote or a line break on each block boundary and its neighbours
        body[k] = ord('"') if (k // 16) % 3 else ord("\n")
        if k + 15 < len(body):
            body[k + 15] = ord("\n") if (k // 16) % 2 else ord('"')
    path = tmp_path / "t.csv"
    path.write_bytes(bytes(body))
    for begin, end in [(0, len(body)), (1, len(body) - 1), (17, 70_001), (4_096, 4_096 + 16 * 255 * 2 + 5)]:
        got = _rapport._csv_cut(str(path), begin, end, False, 1, 0, 0, 2)
        span = bytes(body[begin:end])
        assert tuple(got[0][4:6]) == (span.count(b'"'), span.count(b"\n")), (begin, end)
