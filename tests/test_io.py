"""Readers (every format, directories, globs, stdin), fields, templates,
errors naming file/line/field, and atomic output."""
import gzip
import io as _io
import json
import os
import stat
import sys

import pytest

from zipfit import io as zio
from zipfit.errors import OutputError
from zipfit.outputs import AtomicOutput
from zipfit.io import (ErrorPolicy, InputError, TextSpec, expand_inputs,
                       read_records)


def texts(paths, field="text", template=None, fmt=None, policy=None):
    recs = read_records(expand_inputs([str(p) for p in paths], fmt),
                        TextSpec(field, template), policy)
    return [r.text.decode("utf-8") for r in recs]


def records(paths, field="text", fmt=None):
    return list(read_records(expand_inputs([str(p) for p in paths], fmt), TextSpec(field)))


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def error_of(paths, field="text", template=None, fmt=None):
    with pytest.raises(InputError) as e:
        texts(paths, field, template, fmt)
    return e.value


DOCS = ["plain ascii", "héllo wörld ✓ 日本語", "", "tab\tand\nnewline", "nul \x00 byte",
        "a" * 5000, "emoji 🎉 outside the BMP"]


# ------------------------------------------------------------ formats

def test_jsonl_roundtrip_and_line_numbers(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_text("\n".join(json.dumps({"text": t, "n": i}) for i, t in enumerate(DOCS))
                 + "\n\n   \n", encoding="utf-8")
    recs = records([p])
    assert [r.text.decode() for r in recs] == DOCS
    assert [r.line for r in recs] == list(range(1, len(DOCS) + 1))
    assert recs[1].data == {"text": DOCS[1], "n": 1}
    assert all(r.file == str(p) for r in recs)


def test_jsonl_blank_lines_skipped_and_crlf_and_bom(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_bytes(b"\xef\xbb\xbf" + b'{"text": "x"}\r\n\r\n{"text": "y"}')
    recs = records([p])
    assert [r.text for r in recs] == [b"x", b"y"]
    assert [r.line for r in recs] == [1, 3]


def test_jsonl_gz(tmp_path):
    p = tmp_path / "a.jsonl.gz"
    with gzip.open(p, "wt", encoding="utf-8") as f:
        for t in DOCS:
            f.write(json.dumps({"text": t}) + "\n")
    assert texts([p]) == DOCS


def test_ndjson_and_bare_string_records(tmp_path):
    p = tmp_path / "a.ndjson"
    p.write_text('"just a string"\n{"text": "obj"}\n', encoding="utf-8")
    recs = records([p])
    assert [r.text for r in recs] == [b"just a string", b"obj"]
    assert recs[0].as_dict() == {"text": "just a string"}


@pytest.mark.parametrize("window", [1, 2, 3, 7, 64, 1 << 20])
def test_json_array_streamed_at_any_buffer_size(tmp_path, monkeypatch, window):
    monkeypatch.setattr(zio, "_READ_BYTES", window)
    rows = [{"text": t, "n": 12345678901234567890 + i, "f": -1.5e-7} for i, t in enumerate(DOCS)]
    p = tmp_path / "a.json"
    p.write_text("  [\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n] \n",
                 encoding="utf-8")
    recs = records([p])
    assert [r.data for r in recs] == rows          # numbers split across reads stay whole
    assert [r.line for r in recs] == list(range(2, 2 + len(rows)))
    # a compact one-line array, and the empty array
    p.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    assert [r.data for r in records([p])] == rows
    p.write_text("[]", encoding="utf-8")
    assert records([p]) == []


def test_json_gz(tmp_path):
    p = tmp_path / "a.json.gz"
    with gzip.open(p, "wt", encoding="utf-8") as f:
        json.dump([{"text": t} for t in DOCS], f)
    assert texts([p]) == DOCS


def test_txt_one_document_per_line(tmp_path):
    p = tmp_path / "a.txt"
    p.write_bytes("first\r\nsecond ✓\n\nfourth\n".encode("utf-8"))
    recs = records([p])
    assert [r.text.decode() for r in recs] == ["first", "second ✓", "", "fourth"]
    assert [r.line for r in recs] == [1, 2, 3, 4]
    assert recs[0].as_dict() == {"text": "first"}
    p.write_bytes(b"no final newline")
    assert texts([p]) == ["no final newline"]


def test_parquet(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rows = [{"text": t, "meta": {"lang": "x", "n": i}} for i, t in enumerate(DOCS)] * 300
    p = tmp_path / "a.parquet"
    pq.write_table(pa.Table.from_pylist(rows), p, row_group_size=500)
    recs = records([p])
    assert [r.data for r in recs] == rows
    assert [r.line for r in recs] == list(range(1, len(rows) + 1))
    assert texts([p], field="meta.lang") == ["x"] * len(rows)
    e = error_of([p], field="meta.missing")
    assert str(e).startswith(f"{p}: row 1: field 'meta.missing': missing")


def test_directory_recursive_sorted_and_glob(tmp_path):
    d = tmp_path / "data"
    (d / "sub").mkdir(parents=True)
    write_jsonl(d / "b.jsonl", [{"text": "b"}])
    write_jsonl(d / "a.jsonl", [{"text": "a"}])
    write_jsonl(d / "sub" / "c.jsonl", [{"text": "c"}])
    (d / "notes.md").write_text("ignored")
    write_jsonl(d / ".hidden.jsonl", [{"text": "hidden"}])
    assert texts([d]) == ["a", "b", "c"]
    assert texts([str(d / "*.jsonl")]) == ["a", "b"]
    assert texts([str(d / "**" / "*.jsonl")]) == ["a", "b", "c"]
    # order across inputs is the order given
    assert texts([d / "sub" / "c.jsonl", d / "a.jsonl"]) == ["c", "a"]


def test_stdin(monkeypatch):
    data = "".join(json.dumps({"text": t}) + "\n" for t in DOCS).encode("utf-8")
    monkeypatch.setattr(sys, "stdin", _io.TextIOWrapper(_io.BytesIO(data)))
    assert texts(["-"]) == DOCS
    monkeypatch.setattr(sys, "stdin", _io.TextIOWrapper(_io.BytesIO(b"l1\nl2\n")))
    assert texts(["-"], fmt="txt") == ["l1", "l2"]
    with pytest.raises(InputError, match="only once"):
        expand_inputs(["-", "-"])


def test_format_override(tmp_path):
    p = tmp_path / "data.dat"
    p.write_text('{"text": "x"}\n')
    with pytest.raises(InputError, match="cannot tell the format"):
        expand_inputs([str(p)])
    assert texts([p], fmt="jsonl") == ["x"]
    assert texts([p], fmt="txt") == ['{"text": "x"}']


# ------------------------------------------------------------ fields and templates

def test_dotted_fields_and_list_index(tmp_path):
    p = write_jsonl(tmp_path / "a.jsonl", [
        {"meta": {"body": "nested"}, "messages": [{"content": "m0"}, {"content": "m1"}],
         "a.b": "literal key"}])
    assert texts([p], field="meta.body") == ["nested"]
    assert texts([p], field="messages.1.content") == ["m1"]
    assert texts([p], field="messages.-1.content") == ["m1"]
    assert texts([p], field="a.b") == ["literal key"]   # an exact key wins
    e = error_of([p], field="messages.5.content")
    assert e.field == "messages.5.content" and e.line == 1


def test_template(tmp_path):
    p = write_jsonl(tmp_path / "t.jsonl", [
        {"prompt": "def f():\n", "canonical_solution": "    return 1\n", "id": 7,
         "meta": {"tag": "x"}}])
    assert texts([p], template="{prompt}{canonical_solution}") == ["def f():\n    return 1\n"]
    assert texts([p], template="#{id:03d} [{meta.tag}] {prompt}") == ["#007 [x] def f():\n"]
    e = error_of([p], template="{prompt}{solution}")
    assert (e.file, e.line, e.field) == (str(p), 1, "solution")
    assert "missing" in str(e) and "'canonical_solution'" in str(e)
    e = error_of([p], template="{meta}")
    assert "is an object, expected a string" in str(e)
    with pytest.raises(ValueError, match="no {field} placeholder"):
        TextSpec(template="no fields")
    with pytest.raises(ValueError, match="bad template"):
        TextSpec(template="{unclosed")
    with pytest.raises(ValueError, match="needs a field name"):
        TextSpec(template="{}")


# ------------------------------------------------------------ bad input

def test_malformed_json(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_text('{"text": "ok"}\n{"text": "broken"\n', encoding="utf-8")
    e = error_of([p])
    assert str(e).startswith(f"{p}:2: malformed JSON")
    assert (e.file, e.line) == (str(p), 2)


def test_missing_field(tmp_path):
    p = write_jsonl(tmp_path / "a.jsonl", [{"text": "ok"}, {"content": "x", "id": 1}])
    e = error_of([p])
    assert str(e) == f"{p}:2: field 'text': missing (the record has: 'content', 'id')"


@pytest.mark.parametrize("value, kind", [(5, "a number (5)"), (None, "null"),
                                         (["a"], "an array"), ({"a": 1}, "an object"),
                                         (True, "a boolean")])
def test_non_string_field(tmp_path, value, kind):
    p = write_jsonl(tmp_path / "a.jsonl", [{"text": value}])
    e = error_of([p])
    assert str(e) == f"{p}:1: field 'text': is {kind}, expected a string"


def test_record_not_an_object(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_text("[1, 2]\n")
    assert "the record is an array" in str(error_of([p]))


def test_invalid_utf8_jsonl_txt_json(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_bytes(b'{"text": "ok"}\n{"text": "bad \xff here"}\n')
    e = error_of([p])
    assert str(e) == f"{p}:2: invalid UTF-8 (byte 0xff at column 15)"
    t = tmp_path / "a.txt"
    t.write_bytes(b"fine\nalso fine\n\xc3\x28\n")
    assert str(error_of([t])) == f"{t}:3: invalid UTF-8 (byte 0xc3 at column 1)"
    j = tmp_path / "a.json"
    j.write_bytes(b'[{"text": "a"},\n {"text": "\xfe"}]')
    e = error_of([j])
    assert (e.line, "invalid UTF-8 (byte 0xfe" in str(e)) == (2, True)


def test_lone_surrogate_is_invalid_utf8(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_text('{"text": "bad \\ud800 escape"}\n')
    e = error_of([p])
    assert e.field == "text" and e.line == 1 and "lone surrogate" in str(e)


def test_missing_file_glob_dir(tmp_path):
    with pytest.raises(InputError) as e:
        expand_inputs([str(tmp_path / "nope.jsonl")])
    assert str(e.value) == f"{tmp_path / 'nope.jsonl'}: no such file or directory"
    with pytest.raises(InputError, match="no file matches"):
        expand_inputs([str(tmp_path / "*.jsonl")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="directory has no"):
        expand_inputs([str(tmp_path / "empty")])


def test_empty_file_has_no_records(tmp_path):
    policy = ErrorPolicy()
    for name in ("a.jsonl", "a.json", "a.txt"):
        (tmp_path / name).write_text("")
    recs = list(read_records(expand_inputs([str(tmp_path / n) for n in
                                            ("a.jsonl", "a.json", "a.txt")]),
                             TextSpec(), policy))
    assert recs == [] and len(policy.empty_inputs()) == 3


def test_bad_gzip_and_bad_json_array(tmp_path):
    g = tmp_path / "a.jsonl.gz"
    g.write_bytes(b"this is not gzip data")
    assert "not a valid gzip file" in str(error_of([g]))
    g.write_bytes(gzip.compress(b'{"text": "x"}\n' * 1000)[:-30])
    assert "not a valid gzip file" in str(error_of([g]))
    j = tmp_path / "a.json"
    j.write_text('{"text": "x"}')
    assert "must hold one JSON array" in str(error_of([j]))
    j.write_text('[{"text": "x"},\n {"text": "y"')
    e = error_of([j])
    assert "malformed JSON" in str(e) and e.line == 2
    j.write_text('[{"text": "x"} {"text": "y"}]')
    assert "expected ',' or ']'" in str(error_of([j]))
    j.write_text('[{"text": "x"}] extra')
    assert "extra data" in str(error_of([j]))


def test_skip_policy_counts_and_continues(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_bytes(b'{"text": "a"}\nnot json\n{"text": 3}\n{"text": "b\xff"}\n'
                  b'{"other": 1}\n{"text": "c"}\n')
    pol = ErrorPolicy("skip", keep=2)
    assert texts([p], policy=pol) == ["a", "c"]
    assert pol.skipped == 4
    assert [e.line for e in pol.first] == [2, 3]


# ------------------------------------------------------------ atomic output

def test_atomic_output_commit_and_mode(tmp_path):
    p = tmp_path / "out.jsonl"
    old = os.umask(0o022)
    try:
        with AtomicOutput(str(p)) as out:
            out.file.write(b"data\n")
            assert not p.exists()
            assert len(list(tmp_path.iterdir())) == 1      # only the temporary file
            out.commit()
    finally:
        os.umask(old)
    assert p.read_bytes() == b"data\n"
    assert stat.S_IMODE(p.stat().st_mode) == 0o644
    assert list(tmp_path.iterdir()) == [p]


def test_atomic_output_failure_leaves_old_file(tmp_path):
    p = tmp_path / "out.jsonl"
    p.write_bytes(b"previous\n")
    with pytest.raises(RuntimeError):
        with AtomicOutput(str(p)) as out:
            out.file.write(b"partial")
            raise RuntimeError("boom")
    assert p.read_bytes() == b"previous\n"
    assert list(tmp_path.iterdir()) == [p]
    with pytest.raises(OutputError, match="output directory does not exist"):
        AtomicOutput(str(tmp_path / "no" / "out.jsonl"))
