#!/usr/bin/env python3
"""Independent reference implementation of logscan's native segment format.

Written from docs/FORMAT.md alone (not from the Swift sources), so that the test
fixtures it makes are ground truth from *other* software. Needs Python 3.11+, the
`crc32c` package and `lz4` (lz4.block: raw LZ4 blocks, no frame).

  native_reference.py write DIR [--lz4] [--block-bytes N] [--segment-bytes N]
                                [--created-ms MS] [--page-size N] < input.jsonl
      Write a new native log from jsonl lines in the replay schema ("key"/"value": null,
      {"text": ...} or {"bytes": "<base64>"}; "timestamp": ms or null; a missing field
      counts as null; other fields are ignored). DIR must not hold segments yet.

  native_reference.py dump PATH... [--from SEQ] [--from-time MS]
      Print the records of each PATH (a segment file or a log directory) as jsonl in the
      replay schema. Every checksum and bound of FORMAT.md is verified. Exit status:
      0 all valid (a torn tail at the end of a log is noted on stderr), 2 usage or I/O
      error, 3 damage (one line on stderr: "FILE: damage at byte N: REASON"; the records
      before the damage have been printed).

  native_reference.py check-index PATH
      Validate an .idx file (or the .idx beside a .seg) against its segment: header, one
      entry per block in file order (a prefix when the index lags), max timestamp so far.
      Exit status 0 valid, 2 I/O error, 3 invalid (one line per problem on stderr).

Choices where FORMAT.md leaves room (see the comments marked CHOICE):
  * A block is validated as a whole (header, bounds, payload CRC, decompression, record
    walk, sequence, max timestamp) before any of its records is printed; every failure
    inside a block is reported at the block header's offset.
  * Reserved bytes are ignored by the reader everywhere (the writer writes zeros).
  * Length bounds are checked before "payload inside the file", so a header with a valid
    CRC and a size over 2^28 is damage, not a torn tail.
  * Fewer than 48 bytes after a block boundary is a torn tail whatever they hold; a file
    shorter than the 64-byte segment header is damage.
  * Damage also: unknown record flag bits, a timestamp field != 0 with the flag clear, a
    block max timestamp that differs from its records' maximum, a first block whose first
    sequence differs from the segment's base sequence.
  * Writer: a record that would take a non-empty block past --block-bytes closes it first;
    LZ4 is kept when 32 * (raw - compressed) >= raw; input lines without "timestamp" get
    none (logscan write stamps the time of writing).
  * dump reads every block (it does not use the index), so --from/--from-time only filter.
"""
import argparse
import base64
import json
import os
import re
import struct
import sys

import crc32c
import lz4.block

SEG_MAGIC = b"\x89LSG\r\n\x1a\n"
IDX_MAGIC = b"\x89LSX\r\n\x1a\n"
BLOCK_MAGIC = b"LSBK"
VERSION = 1
SEG_HEADER = 64
BLOCK_HEADER = 48
RECORD_HEADER = 20
IDX_HEADER = 32
IDX_ENTRY = 24
MAX_PAYLOAD = 1 << 28
I64_MIN = -(1 << 63)
CODEC_NONE, CODEC_LZ4 = 0, 1
F_KEY, F_VALUE, F_TS = 1, 2, 4
SEGMENT_NAME = re.compile(r"^[0-9]{20}\.seg$")

# struct layouts (little-endian), without the trailing CRC where it is separate
SEG_HEAD = struct.Struct("<8sHHIIIQq20x")      # bytes 0..<60, CRC at 60
BLOCK_HEAD = struct.Struct("<4sIIIIIQqB7x")    # 48 bytes, header CRC over 8..<48
RECORD_HEAD = struct.Struct("<IIB3xq")         # 20 bytes
IDX_HEAD = struct.Struct("<8sHH4xQ4x")         # bytes 0..<28, CRC at 28
IDX_ENT = struct.Struct("<QQq")                # 24 bytes

assert SEG_HEAD.size == 60 and BLOCK_HEAD.size == 48 and RECORD_HEAD.size == 20
assert IDX_HEAD.size == 28 and IDX_ENT.size == 24


def crc(data):
    return crc32c.crc32c(data)


# ---------------------------------------------------------------------------- encoding

def encode_segment_header(base_seq, created_ms, page_size, block_bytes):
    head = SEG_HEAD.pack(SEG_MAGIC, VERSION, SEG_HEADER, 0, page_size, block_bytes,
                         base_seq, created_ms)
    return head + struct.pack("<I", crc(head))


def encode_block_header(payload, raw_size, count, first_seq, max_ts, codec):
    head = BLOCK_HEAD.pack(BLOCK_MAGIC, 0, crc(payload), len(payload), raw_size, count,
                           first_seq, max_ts, codec)
    return head[:4] + struct.pack("<I", crc(head[8:])) + head[8:]


def encode_record(key, value, ts):
    flags = (F_KEY if key is not None else 0) | (F_VALUE if value is not None else 0) \
        | (F_TS if ts is not None else 0)
    key_b, value_b = key or b"", value or b""
    size = RECORD_HEADER + len(key_b) + len(value_b)
    return RECORD_HEAD.pack(size, len(key_b), flags, ts if ts is not None else 0) + key_b + value_b


def encode_index_header(base_seq):
    head = IDX_HEAD.pack(IDX_MAGIC, VERSION, IDX_ENTRY, base_seq)
    return head + struct.pack("<I", crc(head))


# ------------------------------------------------------------------------------ writer

class Writer:
    """Follows FORMAT.md's writer rules. Output depends only on the input and options."""

    def __init__(self, directory, lz4_enabled=False, block_bytes=65536,
                 segment_bytes=256 << 20, created_ms=0, page_size=4096):
        self.dir = directory
        self.lz4 = lz4_enabled
        self.block_bytes = block_bytes
        self.segment_bytes = segment_bytes
        self.created_ms = created_ms
        self.page_size = page_size
        self.next_seq = 0
        self.pending = []          # encoded records of the open block
        self.pending_ts = []       # their timestamps (None when absent)
        self.pending_bytes = 0
        self.seg = None            # open segment: dict(file, idx, size, blocks, max_ts)

    def append(self, key, value, ts):
        rec = encode_record(key, value, ts)
        # CHOICE: "closed when its records reach the target block size": a record that
        # would take a non-empty block past the target closes it first, and a block whose
        # records reach (>=) the target is closed. So a block exceeds the target only
        # when it is a single record larger than the target ("a block of its own").
        if self.pending and self.pending_bytes + len(rec) > self.block_bytes:
            self._close_block()
        self.pending.append(rec)
        self.pending_ts.append(ts)
        self.pending_bytes += len(rec)
        if self.pending_bytes >= self.block_bytes:
            self._close_block()

    def close(self):
        if self.pending:
            self._close_block()
        self._close_segment()

    def _close_block(self):
        raw = b"".join(self.pending)
        count = len(self.pending)
        stamps = [t for t in self.pending_ts if t is not None]
        max_ts = max(stamps) if stamps else I64_MIN
        first_seq = self.next_seq
        payload, codec = raw, CODEC_NONE
        if self.lz4:
            packed = lz4.block.compress(raw, store_size=False)
            # "stored compressed only when that saves at least 1/32 of it" (of the raw
            # payload): raw - packed >= raw / 32, in exact arithmetic.
            if 32 * (len(raw) - len(packed)) >= len(raw):
                payload, codec = packed, CODEC_LZ4
        block = encode_block_header(payload, len(raw), count, first_seq, max_ts, codec) + payload
        # Roll when this block would take the segment past the segment size, unless the
        # segment holds no block yet.
        if self.seg is not None and self.seg["blocks"] and \
                self.seg["size"] + len(block) > self.segment_bytes:
            self._close_segment()
        if self.seg is None:
            self._open_segment(first_seq)
        seg = self.seg
        seg["max_ts"] = max(seg["max_ts"], max_ts)
        seg["entries"].append(IDX_ENT.pack(first_seq, seg["size"], seg["max_ts"]))
        seg["file"].write(block)   # one write of header + payload
        seg["size"] += len(block)
        seg["blocks"] += 1
        self.next_seq += count
        self.pending, self.pending_ts, self.pending_bytes = [], [], 0

    def _open_segment(self, base_seq):
        stem = os.path.join(self.dir, "%020d" % base_seq)
        f = open(stem + ".seg", "xb")
        f.write(encode_segment_header(base_seq, self.created_ms, self.page_size,
                                      self.block_bytes))
        self.seg = {"file": f, "stem": stem, "base": base_seq, "size": SEG_HEADER,
                    "blocks": 0, "max_ts": I64_MIN, "entries": []}

    def _close_segment(self):
        seg = self.seg
        if seg is None:
            return
        seg["file"].flush()
        os.fsync(seg["file"].fileno())
        seg["file"].close()
        with open(seg["stem"] + ".idx", "wb") as f:
            f.write(encode_index_header(seg["base"]) + b"".join(seg["entries"]))
            f.flush()
            os.fsync(f.fileno())
        self.seg = None


def parse_bytes_field(obj, name, lineno):
    v = obj.get(name)
    if v is None:
        return None
    if isinstance(v, dict) and len(v) == 1 and isinstance(v.get("text"), str):
        return v["text"].encode("utf-8")   # a lone surrogate fails here, as it should
    if isinstance(v, dict) and len(v) == 1 and isinstance(v.get("bytes"), str):
        return base64.b64decode(v["bytes"], validate=True)
    raise ValueError("line %d: %r must be null, {\"text\": ...} or {\"bytes\": ...}"
                     % (lineno, name))


def cmd_write(args):
    if os.path.isdir(args.dir) and any(SEGMENT_NAME.match(n) for n in os.listdir(args.dir)):
        print("%s: already holds segments (appending is not implemented)" % args.dir,
              file=sys.stderr)
        return 2
    os.makedirs(args.dir, exist_ok=True)
    w = Writer(args.dir, args.lz4, args.block_bytes, args.segment_bytes, args.created_ms,
               args.page_size)
    for lineno, line in enumerate(sys.stdin.buffer, 1):
        if not line.strip():
            continue
        obj = json.loads(line)
        ts = obj.get("timestamp")
        if ts is not None and (not isinstance(ts, int) or isinstance(ts, bool)
                               or not I64_MIN <= ts < 1 << 63):
            raise ValueError("line %d: timestamp must be a 64-bit integer or null" % lineno)
        w.append(parse_bytes_field(obj, "key", lineno), parse_bytes_field(obj, "value", lineno), ts)
    w.close()
    return 0


# ------------------------------------------------------------------------------ reader

class Problem(Exception):
    """Where reading stopped: damage, or a torn tail (torn=True)."""

    def __init__(self, path, offset, reason, torn=False):
        super().__init__(reason)
        self.path, self.offset, self.reason, self.torn = path, offset, reason, torn

    def line(self):
        kind = "torn tail" if self.torn else "damage"
        return "%s: %s at byte %d: %s" % (self.path, kind, self.offset, self.reason)


class Block:
    __slots__ = ("pos", "first_seq", "count", "max_ts", "codec", "stored", "raw", "records", "end")


def parse_segment_header(path, data):
    """Returns the base sequence. Check order: magic, version, CRC, header size, flags."""
    if len(data) < SEG_HEADER:
        # FORMAT.md: all zero, or a prefix starting with (a prefix of) the magic, is a
        # segment the writer died creating: a torn tail with no records.
        if all(b == 0 for b in data) or data[:8] == SEG_MAGIC[:min(8, len(data))]:
            raise Problem(path, 0, "file of %d bytes is shorter than a segment header" % len(data), torn=True)
        raise Problem(path, 0, "file of %d bytes is shorter than a segment header" % len(data))
    magic, version, hsize, flags, _page, _bb, base, _created = SEG_HEAD.unpack_from(data)
    if magic != SEG_MAGIC:
        raise Problem(path, 0, "bad segment magic")
    if version != VERSION:
        raise Problem(path, 8, "unsupported segment version %d" % version)
    stored_crc, = struct.unpack_from("<I", data, 60)
    if crc(data[:60]) != stored_crc:
        raise Problem(path, 60, "segment header CRC mismatch")
    if hsize != SEG_HEADER:
        raise Problem(path, 10, "segment header size %d, expected %d" % (hsize, SEG_HEADER))
    if flags != 0:
        raise Problem(path, 12, "unknown segment flags 0x%x" % flags)
    if any(data[40:60]):
        raise Problem(path, 40, "reserved bytes of the segment header are not zero")
    return base


def parse_records(raw, count, payload_file_pos):
    """Walk a raw payload. payload_file_pos: file offset of the payload when stored raw,
    None when it came out of LZ4 (then positions are reported relative to the payload).
    Returns [(position_or_payload_offset, ts, key, value)] or raises ValueError(offset, msg)."""
    out = []
    off = 0
    where = (lambda o: "record at byte %d" % (payload_file_pos + o)) if payload_file_pos is not None \
        else (lambda o: "record at raw payload offset %d" % o)
    while off < len(raw):
        if len(out) == count:
            raise ValueError("record count %d reached with %d payload bytes left"
                             % (count, len(raw) - off))
        if len(raw) - off < RECORD_HEADER:
            raise ValueError("%s: %d bytes left, less than a record header" % (where(off), len(raw) - off))
        size, klen, flags, ts = RECORD_HEAD.unpack_from(raw, off)
        if size < RECORD_HEADER:
            raise ValueError("%s: record size %d < 20" % (where(off), size))
        if size > len(raw) - off:
            raise ValueError("%s: record size %d exceeds the %d payload bytes left"
                             % (where(off), size, len(raw) - off))
        if klen > size - RECORD_HEADER:
            raise ValueError("%s: key length %d > record size - 20 (%d)"
                             % (where(off), klen, size - RECORD_HEADER))
        if flags & ~(F_KEY | F_VALUE | F_TS):
            # CHOICE: "other bits 0" is enforced (a record that does not parse).
            raise ValueError("%s: unknown record flags 0x%x" % (where(off), flags))
        if any(raw[off + 9:off + 12]):
            raise ValueError("%s: reserved record bytes are not zero" % where(off))
        vlen = size - RECORD_HEADER - klen
        if not flags & F_KEY and klen:
            raise ValueError("%s: key absent but key length %d" % (where(off), klen))
        if not flags & F_VALUE and vlen:
            raise ValueError("%s: value absent but %d value bytes" % (where(off), vlen))
        if not flags & F_TS and ts != 0:
            # CHOICE: "0 when absent" is enforced.
            raise ValueError("%s: timestamp absent but field is %d" % (where(off), ts))
        k0 = off + RECORD_HEADER
        key = bytes(raw[k0:k0 + klen]) if flags & F_KEY else None
        value = bytes(raw[k0 + klen:off + size]) if flags & F_VALUE else None
        pos = payload_file_pos + off if payload_file_pos is not None else None
        out.append((pos, ts if flags & F_TS else None, key, value))
        off += size
    if len(out) != count:
        raise ValueError("block header says %d records, payload holds %d" % (count, len(out)))
    return out


def read_block(path, data, pos, expected_seq):
    """Parse and fully validate the block at pos. Returns a Block, None at a clean end
    of file, or raises Problem."""
    n = len(data)
    if pos == n:
        return None
    left = n - pos
    if left < BLOCK_HEADER:
        raise Problem(path, pos, "file ends %d bytes into a block header" % left, torn=True)
    if not any(data[pos:]):     # zero tail: every byte from this boundary on is zero
        raise Problem(path, pos, "zero-filled tail of %d bytes" % left, torn=True)
    magic, hcrc, pcrc, stored, raw_size, count, first_seq, max_ts, codec = \
        BLOCK_HEAD.unpack_from(data, pos)
    if magic != BLOCK_MAGIC:
        raise Problem(path, pos, "bad block magic")
    if crc(data[pos + 8:pos + BLOCK_HEADER]) != hcrc:
        raise Problem(path, pos, "block header CRC mismatch")
    if any(data[pos + 41:pos + BLOCK_HEADER]):
        raise Problem(path, pos, "reserved bytes of the block header are not zero")
    # bounds, before any length is trusted
    if stored > MAX_PAYLOAD or raw_size > MAX_PAYLOAD:
        raise Problem(path, pos, "stored size %d / raw size %d over the 2^28 bound" % (stored, raw_size))
    if count < 1 or count * RECORD_HEADER > raw_size:
        raise Problem(path, pos, "record count %d impossible for raw size %d" % (count, raw_size))
    if codec == CODEC_NONE:
        if stored != raw_size:
            raise Problem(path, pos, "codec 0 with stored size %d != raw size %d" % (stored, raw_size))
    elif codec == CODEC_LZ4:
        if stored == 0 or raw_size > 255 * stored + 16:
            raise Problem(path, pos, "LZ4 raw size %d impossible from %d stored bytes" % (raw_size, stored))
    else:
        raise Problem(path, pos, "unknown codec %d" % codec)
    p0 = pos + BLOCK_HEADER
    if stored > n - p0:
        raise Problem(path, pos, "block header promises %d payload bytes, file holds %d"
                      % (stored, n - p0), torn=True)
    payload = data[p0:p0 + stored]
    if crc(payload) != pcrc:
        raise Problem(path, pos, "block payload CRC mismatch")
    if codec == CODEC_LZ4:
        try:
            raw = lz4.block.decompress(payload, uncompressed_size=raw_size)
        except lz4.block.LZ4BlockError:
            raise Problem(path, pos, "LZ4 payload does not decompress to %d bytes" % raw_size)
        if len(raw) != raw_size:
            raise Problem(path, pos, "LZ4 payload decompresses to %d bytes, header says %d"
                          % (len(raw), raw_size))
        file_pos = None
    else:
        raw, file_pos = payload, p0
    try:
        records = parse_records(raw, count, file_pos)
    except ValueError as e:
        raise Problem(path, pos, str(e))
    if first_seq != expected_seq:
        raise Problem(path, pos, "sequence gap: block starts at %d, expected %d" % (first_seq, expected_seq))
    stamps = [r[1] for r in records if r[1] is not None]
    actual_max = max(stamps) if stamps else I64_MIN
    if max_ts != actual_max:
        # CHOICE: FORMAT.md does not say a reader checks this; a wrong value would break
        # --from-time, so it is treated as damage.
        raise Problem(path, pos, "block max timestamp %d, records' maximum is %d" % (max_ts, actual_max))
    b = Block()
    b.pos, b.first_seq, b.count, b.max_ts, b.codec = pos, first_seq, count, max_ts, codec
    b.stored, b.raw, b.end = stored, raw_size, p0 + stored
    b.records = [(r[0] if r[0] is not None else pos,) + r[1:] for r in records]
    return b


class SegmentScan:
    """Iterate the blocks of one segment; afterwards .problem is None or a Problem,
    .base is the base sequence and .count the number of records read."""

    def __init__(self, path, data, expected_base=None):
        self.path, self.data, self.expected_base = path, data, expected_base
        self.problem, self.base, self.count = None, None, 0

    def __iter__(self):
        try:
            self.base = parse_segment_header(self.path, self.data)
            if self.expected_base is not None and self.base != self.expected_base:
                # CHOICE: reported at offset 24, the base sequence field.
                raise Problem(self.path, 24, "sequence gap between segments: base %d, expected %d"
                              % (self.base, self.expected_base))
            pos, seq = SEG_HEADER, self.base
            while True:
                block = read_block(self.path, self.data, pos, seq)
                if block is None:
                    return
                yield block
                pos, seq = block.end, seq + block.count
                self.count += block.count
        except Problem as p:
            self.problem = p


def log_segments(path):
    """A log PATH -> list of segment file paths in log order."""
    if os.path.isdir(path):
        names = sorted(n for n in os.listdir(path) if SEGMENT_NAME.match(n))
        return [os.path.join(path, n) for n in names]
    return [path]


def record_json(path, position, seq, ts, key, value):
    def b(x):
        if x is None:
            return None
        try:
            return {"text": x.decode("utf-8")}
        except UnicodeDecodeError:
            return {"bytes": base64.b64encode(x).decode("ascii")}
    obj = {"path": path, "position": position, "offset": seq, "timestamp": ts,
           "key": b(key), "value": b(value)}
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def dump_log(path, out, from_seq=None, from_time=None):
    """Print one log. Returns 0, or 3 after printing the damage line."""
    segments = log_segments(path)
    expected_base = None
    for i, seg_path in enumerate(segments):
        with open(seg_path, "rb") as f:
            data = f.read()
        scan = SegmentScan(seg_path, data, expected_base)
        for block in scan:
            seq = block.first_seq
            for position, ts, key, value in block.records:
                if (from_seq is None or seq >= from_seq) and \
                        (from_time is None or (ts is not None and ts >= from_time)):
                    out.write(record_json(seg_path, position, seq, ts, key, value) + "\n")
                seq += 1
        p = scan.problem
        if p is not None:
            if p.torn and i < len(segments) - 1:
                p = Problem(p.path, p.offset, "torn tail in a segment that is not the last: " + p.reason)
            out.flush()
            print(p.line(), file=sys.stderr)
            if not p.torn:
                return 3
        expected_base = scan.base + scan.count if scan.base is not None else None
    return 0


def cmd_dump(args):
    out = sys.stdout
    for path in args.paths:
        if not os.path.exists(path):
            print("%s: no such file or directory" % path, file=sys.stderr)
            return 2
    for path in args.paths:
        try:
            rc = dump_log(path, out, args.from_seq, args.from_time)
        except OSError as e:
            out.flush()
            print("%s: %s" % (path, e), file=sys.stderr)
            return 2
        if rc:
            return rc
    return 0


# -------------------------------------------------------------------------- check-index

def check_index(idx_path, seg_path):
    """Returns (problems, summary)."""
    problems = []
    with open(idx_path, "rb") as f:
        idx = f.read()
    with open(seg_path, "rb") as f:
        data = f.read()
    scan = SegmentScan(seg_path, data)
    blocks = [(b.first_seq, b.pos, b.max_ts) for b in scan]
    if scan.problem is not None:
        problems.append("segment: " + scan.problem.line())
    if len(idx) < IDX_HEADER:
        return problems + ["%s: %d bytes, shorter than an index header" % (idx_path, len(idx))], ""
    magic, version, esize, base = IDX_HEAD.unpack_from(idx)
    if magic != IDX_MAGIC:
        return problems + ["%s: bad index magic" % idx_path], ""
    if version != VERSION:
        return problems + ["%s: unsupported index version %d" % (idx_path, version)], ""
    if crc(idx[:28]) != struct.unpack_from("<I", idx, 28)[0]:
        return problems + ["%s: index header CRC mismatch" % idx_path], ""
    if esize != IDX_ENTRY:
        return problems + ["%s: entry size %d, expected %d" % (idx_path, esize, IDX_ENTRY)], ""
    if scan.base is not None and base != scan.base:
        problems.append("%s: base sequence %d, segment's is %d" % (idx_path, base, scan.base))
    body = len(idx) - IDX_HEADER
    n_entries, partial = divmod(body, IDX_ENTRY)
    entries = [IDX_ENT.unpack_from(idx, IDX_HEADER + i * IDX_ENTRY) for i in range(n_entries)]
    if n_entries > len(blocks):
        problems.append("%s: %d entries for %d blocks" % (idx_path, n_entries, len(blocks)))
    so_far = I64_MIN
    for i, (first_seq, pos, max_so_far) in enumerate(entries):
        if i >= len(blocks):
            break
        b_seq, b_pos, b_max = blocks[i]
        so_far = max(so_far, b_max)
        if (first_seq, pos, max_so_far) != (b_seq, b_pos, so_far):
            problems.append("%s: entry %d is (first %d, position %d, max so far %d), block %d is "
                            "(first %d, position %d, max so far %d)"
                            % (idx_path, i, first_seq, pos, max_so_far, i, b_seq, b_pos, so_far))
    summary = "%s: %d entries, %d blocks" % (idx_path, n_entries, len(blocks))
    if n_entries < len(blocks):
        summary += ", index lags by %d blocks" % (len(blocks) - n_entries)
    if partial:
        summary += ", trailing partial entry of %d bytes ignored" % partial
    return problems, summary


def cmd_check_index(args):
    path = args.path
    stem, ext = os.path.splitext(path)
    idx_path, seg_path = (stem + ".idx", path) if ext == ".seg" else (path, stem + ".seg")
    try:
        problems, summary = check_index(idx_path, seg_path)
    except OSError as e:
        print(str(e), file=sys.stderr)
        return 2
    for p in problems:
        print(p, file=sys.stderr)
    if summary:
        print(summary)
    return 3 if problems else 0


# -------------------------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("write", help="write a native log from jsonl on stdin")
    w.add_argument("dir")
    w.add_argument("--lz4", action="store_true")
    w.add_argument("--block-bytes", type=int, default=65536)
    w.add_argument("--segment-bytes", type=int, default=256 << 20)
    w.add_argument("--created-ms", type=int, default=0)
    w.add_argument("--page-size", type=int, default=4096)
    d = sub.add_parser("dump", help="print records as jsonl, verifying everything")
    d.add_argument("paths", nargs="+", metavar="PATH")
    d.add_argument("--from", dest="from_seq", type=int)
    d.add_argument("--from-time", dest="from_time", type=int)
    c = sub.add_parser("check-index", help="validate an .idx against its segment")
    c.add_argument("path")
    args = ap.parse_args(argv)
    if args.cmd == "write" and (args.block_bytes < 1 or args.segment_bytes < 1):
        ap.error("--block-bytes and --segment-bytes must be positive")
    return {"write": cmd_write, "dump": cmd_dump, "check-index": cmd_check_index}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
