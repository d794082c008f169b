"""memreap report on files that are not recordings: each named for what it is, in one line on
stderr, exit status 1; a recording cut short still reads up to its last whole record."""
import json
import os
import struct

from mrtest import check, memreap, run_json, tmp

HINT = "write one with `memreap record -o FILE` or `memreap run -o FILE`"


def report_fails(path, message):
    p = memreap("report", path)
    check(p.returncode == 1, f"{path}: rc {p.returncode}")
    check(p.stdout == "", f"{path}: no report: {p.stdout[:200]!r}")
    check(p.stderr == f"memreap: {path}: {message}\n", f"{path}: {p.stderr!r}")


def write(name, data):
    path = tmp(name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def test_empty_file():
    report_fails(write("empty.rec", b""), "empty file, not a memreap recording")


def test_directory():
    path = tmp("a-directory")
    os.makedirs(path, exist_ok=True)
    report_fails(path, "is a directory, not a memreap recording")


def test_json_document_from_run():
    doc, p = run_json(["true"])  # run --json writes the report itself, not a recording
    check(doc["schema"] == "memreap/v1", "a real run --json document")
    report_fails(tmp("run.json"), f"a JSON document, not a memreap recording: {HINT}")
    report_fails(write("list.json", b"  [1, 2]\n"),
                 f"a JSON document, not a memreap recording: {HINT}")


def test_other_garbage_is_bad_magic():
    for name, data in (("elf.rec", b"\x7fELF" + b"\0" * 100), ("text.rec", b"hello world\n"),
                       ("magic-case.rec", b"memreap\0" + b"\2\0\0\0\0\0\0\0")):
        report_fails(write(name, data), "not a memreap recording (bad magic at byte offset 0)")


def test_file_cut_inside_its_header():
    report_fails(write("short.rec", b"MEMREAP\0\2\0"),
                 "recording cut short at byte offset 10, inside its file header")


def frame_offsets(data):
    """Byte offset of every record: after the 16-byte file header, u32 length, u32 type,
    payload, u32 checksum."""
    offsets, at = [], 16
    while at + 8 <= len(data):
        offsets.append(at)
        at += 12 + struct.unpack_from("<I", data, at)[0]
    return offsets


def test_cut_recording_reads_to_its_last_whole_record():
    rec = tmp("cut-source.rec")
    doc, p = run_json(["true"], extra=("-o", rec))
    check(p.returncode == 0, p.stderr)
    data = open(rec, "rb").read()
    last = frame_offsets(data)[-1]  # the end record
    cut = write("cut.rec", data[:-5])
    p = memreap("report", cut, "--format", "json")
    check(p.returncode == 0, f"rc {p.returncode}: {p.stderr}")
    n = len(doc["ledgers"])
    check(p.stderr == f"memreap: warning: {cut}: recording cut short at byte offset {last}; "
          f"read {n} ledgers up to there\n", p.stderr)
    check(len(json.loads(p.stdout)["ledgers"]) == n, "every ledger before the cut")
