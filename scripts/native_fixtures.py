#!/usr/bin/env python3
"""Helper for scripts/make-native-fixtures.sh: inputs and damaged copies for the native
fixtures in testdata/native/. Uses scripts/native_reference.py (written from
docs/FORMAT.md alone) for every byte it writes and every value it expects.

  native_fixtures.py inputs DIR
      Write sample.input.jsonl, lz4.input.jsonl and base.input.jsonl into DIR.
  native_fixtures.py damage SRC_LOG DEST
      From the one-segment log SRC_LOG (and the two-segment log SRC_LOG-2seg), write the
      damaged copies into DEST, their expected dumps, and DEST/EXPECTED.md.
  native_fixtures.py check ROOT
      Assert that the fixtures under ROOT (testdata/native) still exercise what they are for.
"""
import base64
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import native_reference as nr  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TS0 = 1700000000000


def text(s):
    return {"text": s}


def raw(b):
    return {"bytes": base64.b64encode(b).decode("ascii")}


def line(key, value, ts):
    return json.dumps({"timestamp": ts, "key": key, "value": value}, ensure_ascii=False,
                      separators=(",", ":"))


LOREM = ("the quick brown fox jumps over the lazy dog; logscan reads append-only logs "
         "at memory speed and tells after a crash exactly what survived. ")


def sample_input(rng):
    out = []
    add = lambda k, v, t: out.append(line(k, v, t))  # noqa: E731
    # edge-case records first (small ones: they share raw blocks)
    add(None, text("hello"), TS0)
    add(text(""), text("empty key, not a null key"), TS0 + 5)
    add(text("k-null-value"), None, TS0 - 1000)               # timestamps go backwards
    add(None, text(""), None)                                   # empty value, no timestamp
    add(None, None, None)                                       # nothing at all
    add(text(""), text(""), 0)
    add(raw(b"\x00\x01\xfe\xff"), raw(bytes(rng.randrange(256) for _ in range(40))), TS0 + 7)
    add(text("escapes"), text('quote " backslash \\ newline \n tab \t ctrl \u0001 nul \u0000 '
                              'bs \b ff \f cr \r del \x7f slash / esc \x1b us \x1f'), TS0 + 3)
    add(text("utf8"), text("héllo wörld — 日本語 🎉 e\u0301 \u2028 \u2029 \ufeff \uffff Ω"), -1)
    add(text("ключ"), text("значение"), -86400000)
    add(text("bytes-but-valid-utf8"), raw("plain ascii via bytes".encode()), TS0 + 1)
    add(text("bad-utf8:ff"), raw(b"\xff\xfe"), 9223372036854775807)
    add(text("bad-utf8:continuation"), raw(b"abc\x80"), TS0 + 2)
    add(text("bad-utf8:overlong"), raw(b"\xc0\xaf"), None)
    add(text("bad-utf8:surrogate"), raw(b"\xed\xa0\x80"), TS0 - 2)
    add(text("bad-utf8:truncated"), raw("日".encode()[:2]), TS0 + 4)
    add(text("bad-utf8:above-10ffff"), raw(b"\xf4\x90\x80\x80"), -9223372036854775807)
    add(raw(b"\x80key"), text("binary key, text value"), TS0 + 6)
    # compressible run: LZ4 pays
    for i in range(24):
        t = None if i % 7 == 3 else TS0 + 100 + (i * 37) % 11 - 5
        add(text("user:%04d" % i), text(LOREM * (1 + i % 3)), t)
    # incompressible run: LZ4 does not pay, blocks stay raw
    for i in range(12):
        t = None if i % 5 == 2 else TS0 + 200 - i * 3
        add(raw(bytes(rng.randrange(256) for _ in range(8))),
            raw(bytes(rng.randrange(256) for _ in range(rng.randrange(40, 120)))), t)
    # bigger than --block-bytes (a block of its own), then bigger than --segment-bytes
    add(text("big-random"), raw(bytes(rng.randrange(256) for _ in range(700))), TS0 + 300)
    add(text("big-text"), text(LOREM * 6), TS0 + 299)
    add(text("huge-random"), raw(bytes(rng.randrange(256) for _ in range(2000))), TS0 + 301)
    for i in range(16):
        t = None if i % 6 == 0 else TS0 + 400 + (i * 53) % 17
        if i % 2:
            add(text("mix:%d" % i), text((LOREM + str(i)) * 2), t)
        else:
            add(text("mix:%d" % i), raw(bytes(rng.randrange(256) for _ in range(60))), t)
    add(None, text("last"), TS0 + 500)
    return out


def lz4_input(rng):
    out = []
    for i in range(30):
        words = ["alpha", "beta", "gamma", "delta"]
        v = " ".join(words[(i + j) % 4] for j in range(40 + i))
        out.append(line(text("lz4:%02d" % i) if i % 4 else None, text(v),
                        None if i % 9 == 4 else TS0 + (i * 7919) % 1000))
    return out


def damaged_input(rng):
    out = []
    for blk in range(7):
        # (with --block-bytes 1300: 3 x 424 bytes, then 2 x ~590 bytes per block)
        if blk % 2 == 0:   # raw block: 3 random records (LZ4 would save < 1/32)
            for j in range(3):
                out.append(line(text("r%d.%d" % (blk, j)),
                                raw(bytes(rng.randrange(256) for _ in range(400))),
                                TS0 + blk * 10 + j))
        else:              # LZ4 block: 2 compressible records
            for j in range(2):
                out.append(line(None, text(LOREM * 4 + str(blk)),
                                None if j else TS0 + blk * 10 - 50))
    return out


def cmd_inputs(d):
    os.makedirs(d, exist_ok=True)
    for name, fn, seed in (("sample", sample_input, 1), ("lz4", lz4_input, 2),
                           ("base", damaged_input, 3)):
        with open(os.path.join(d, name + ".input.jsonl"), "w", encoding="utf-8") as f:
            f.write("\n".join(fn(random.Random(seed))) + "\n")


# ------------------------------------------------------------------------------ damage

def blocks_of(path):
    with open(path, "rb") as f:
        data = f.read()
    scan = nr.SegmentScan(path, data)
    blocks = list(scan)
    assert scan.problem is None, scan.problem.line()
    return data, blocks


def fix_seg_crc(b):
    b[60:64] = struct.pack("<I", nr.crc(bytes(b[:60])))


def fix_block_crc(b, pos):
    b[pos + 4:pos + 8] = struct.pack("<I", nr.crc(bytes(b[pos + 8:pos + 48])))


def fix_payload_crc(b, pos):
    stored, = struct.unpack_from("<I", b, pos + 12)
    b[pos + 8:pos + 12] = struct.pack("<I", nr.crc(bytes(b[pos + 48:pos + 48 + stored])))
    fix_block_crc(b, pos)


def put(b, off, fmt, value):
    struct.pack_into(fmt, b, off, value)


def run_dump(path):
    rel = os.path.relpath(path, REPO)
    p = subprocess.run([sys.executable, os.path.join(REPO, "scripts", "native_reference.py"),
                        "dump", rel], cwd=REPO, capture_output=True)
    return p.returncode, p.stdout, p.stderr.decode()


def cmd_damage(src, dest):
    seg = os.path.join(src, "%020d.seg" % 0)
    data, blocks = blocks_of(seg)
    raws = [b for b in blocks if b.codec == nr.CODEC_NONE]
    lz4s = [b for b in blocks if b.codec == nr.CODEC_LZ4]
    assert len(blocks) >= 6 and len(raws) >= 3 and len(lz4s) >= 2, [b.codec for b in blocks]
    last = blocks[-1]
    mid = blocks[2]                      # a block in the middle of the file
    raw_mid = next(b for b in raws[1:] if b.count >= 2)
    lz4_mid = lz4s[0]
    before = lambda blk: sum(b.count for b in blocks if b.pos < blk.pos)  # noqa: E731
    cases = []   # (name, what, damage offset, records before)

    def case(name, what, offset, n_before, b):
        with open(os.path.join(dest, name + ".seg"), "wb") as f:
            f.write(bytes(b))
        cases.append((name + ".seg", what, offset, n_before))

    os.makedirs(dest, exist_ok=True)
    b = bytearray(data[:last.pos + 48 + (last.end - last.pos - 48) // 2])
    case("torn-mid-block", "cut in the middle of the last block's payload", len(b), before(last), b)
    b = bytearray(data[:last.pos + 20])
    case("torn-block-header", "cut 20 bytes into the last block's header", len(b), before(last), b)
    b = bytearray(data + bytes(4096))
    case("zero-tail", "4096 zero bytes appended", len(data), sum(x.count for x in blocks), b)
    b = bytearray(data + b"\x5a" * 20)
    case("short-garbage-tail", "20 non-zero bytes (not a block header prefix) appended", len(data),
         sum(x.count for x in blocks), b)
    b = bytearray(data)
    b[1] ^= 0xFF
    case("bad-segment-magic", "byte 1 of the segment magic XOR 0xFF", 1, 0, b)
    b = bytearray(data)
    b[32] ^= 0x01
    case("bad-segment-crc", "byte 32 (created) XOR 0x01, header CRC left stale", 32, 0, b)
    b = bytearray(data)
    put(b, 8, "<H", 2)
    fix_seg_crc(b)
    case("unknown-version", "version 2, header CRC recomputed", 8, 0, b)
    b = bytearray(data[:40])
    case("short-header", "file cut to 40 bytes (inside the segment header)", 40, 0, b)
    b = bytearray(data)
    b[mid.pos + 3] = ord("X")
    case("bad-block-magic", "block %d's magic LSBK -> LSBX" % blocks.index(mid), mid.pos + 3, before(mid), b)
    b = bytearray(data)
    b[mid.pos + 32] ^= 0x01
    case("bad-block-crc", "byte 32 (max timestamp) of block %d's header XOR 0x01, CRC stale"
         % blocks.index(mid), mid.pos + 32, before(mid), b)
    b = bytearray(data)
    b[raw_mid.pos + 48 + 30] ^= 0x01
    case("bad-payload-crc", "byte 30 of raw block %d's payload XOR 0x01, payload CRC stale"
         % blocks.index(raw_mid), raw_mid.pos + 48 + 30, before(raw_mid), b)
    b = bytearray(data)
    last_rec = raw_mid.records[-1][0]
    size, = struct.unpack_from("<I", b, last_rec)
    put(b, last_rec, "<I", size + 1)
    fix_payload_crc(b, raw_mid.pos)
    case("bad-record-size", "size field of the last record (at %d) of raw block %d + 1, both CRCs "
         "recomputed" % (last_rec, blocks.index(raw_mid)), last_rec, before(raw_mid), b)
    b = bytearray(data)
    put(b, raw_mid.pos + 20, "<I", raw_mid.count - 1)
    fix_block_crc(b, raw_mid.pos)
    case("count-mismatch", "record count of raw block %d %d -> %d, header CRC recomputed"
         % (blocks.index(raw_mid), raw_mid.count, raw_mid.count - 1), raw_mid.pos + 20, before(raw_mid), b)
    b = bytearray(data)
    p0 = lz4_mid.pos + 48
    b[p0:p0 + 3] = b"\x04\xff\xff"   # token: 0 literals, match; offset 65535 before the start
    fix_payload_crc(b, lz4_mid.pos)
    try:
        nr.lz4.block.decompress(bytes(b[p0:lz4_mid.end]), uncompressed_size=lz4_mid.raw)
        raise AssertionError("LZ4 damage still decompresses")
    except nr.lz4.block.LZ4BlockError:
        pass
    case("lz4-corrupt", "first 3 bytes of LZ4 block %d's payload -> 04 FF FF (match offset before "
         "the start), CRCs recomputed" % blocks.index(lz4_mid), p0, before(lz4_mid), b)
    b = bytearray(data)
    put(b, lz4_mid.pos + 16, "<I", lz4_mid.raw + 1)
    fix_block_crc(b, lz4_mid.pos)
    case("lz4-raw-size-lie", "raw size of LZ4 block %d %d -> %d, header CRC recomputed"
         % (blocks.index(lz4_mid), lz4_mid.raw, lz4_mid.raw + 1), lz4_mid.pos + 16, before(lz4_mid), b)
    b = bytearray(data)
    assert mid.codec == nr.CODEC_NONE
    put(b, mid.pos + 12, "<I", (1 << 28) + 20)
    put(b, mid.pos + 16, "<I", (1 << 28) + 20)
    fix_block_crc(b, mid.pos)
    case("length-over-bound", "stored and raw size of raw block %d -> 2^28 + 20, header CRC "
         "recomputed (payload would also run past the end of the file)" % blocks.index(mid),
         mid.pos + 12, before(mid), b)
    b = bytearray(data)
    put(b, mid.pos + 24, "<Q", mid.first_seq + 1)
    fix_block_crc(b, mid.pos)
    case("block-sequence-gap", "first sequence of block %d %d -> %d, header CRC recomputed"
         % (blocks.index(mid), mid.first_seq, mid.first_seq + 1), mid.pos + 24, before(mid), b)

    # not stated by FORMAT.md in so many words: the reference's choices (see EXPECTED_TAIL)
    b = bytearray(data)
    put(b, mid.pos + 32, "<q", nr.I64_MIN)
    fix_block_crc(b, mid.pos)
    case("block-max-ts-wrong", "max timestamp of block %d %d -> i64::MIN (as if it had no "
         "timestamps), header CRC recomputed" % (blocks.index(mid), mid.max_ts), mid.pos + 32,
         before(mid), b)
    r0 = raw_mid.records[0][0]
    b = bytearray(data)
    b[r0 + 10] = 0x01
    fix_payload_crc(b, raw_mid.pos)
    case("record-reserved-nonzero", "reserved byte 10 of the first record (at %d) of raw block %d "
         "-> 01, both CRCs recomputed" % (r0, blocks.index(raw_mid)), r0 + 10, before(raw_mid), b)
    b = bytearray(data)
    b[r0 + 8] &= ~nr.F_TS
    fix_payload_crc(b, raw_mid.pos)
    case("record-ts-absent-nonzero", "timestamp flag of the first record (at %d) of raw block %d "
         "cleared, the field keeps its value, both CRCs recomputed" % (r0, blocks.index(raw_mid)),
         r0 + 8, before(raw_mid), b)

    # two-segment cases
    src2 = src + "-2seg"
    segs = sorted(n for n in os.listdir(src2) if nr.SEGMENT_NAME.match(n))
    assert len(segs) == 2, segs
    first_data, first_blocks = blocks_of(os.path.join(src2, segs[0]))
    second_data, second_blocks = blocks_of(os.path.join(src2, segs[1]))
    n_first = sum(x.count for x in first_blocks)
    base2 = n_first

    gap = os.path.join(dest, "segment-gap")
    shutil.rmtree(gap, ignore_errors=True)
    os.makedirs(gap)
    shutil.copy(os.path.join(src2, segs[0]), gap)
    shutil.copy(os.path.join(src2, segs[0][:-4] + ".idx"), gap)
    b = bytearray(second_data)
    put(b, 24, "<Q", base2 + 1)
    fix_seg_crc(b)
    idx = bytearray(nr.encode_index_header(base2 + 1))
    for x in second_blocks:
        put(b, x.pos + 24, "<Q", x.first_seq + 1)
        fix_block_crc(b, x.pos)
    with open(os.path.join(src2, segs[1][:-4] + ".idx"), "rb") as f:
        old_idx = f.read()
    for i in range(32, len(old_idx), 24):
        s, p, m = nr.IDX_ENT.unpack_from(old_idx, i)
        idx += nr.IDX_ENT.pack(s + 1, p, m)
    name2 = "%020d" % (base2 + 1)
    with open(os.path.join(gap, name2 + ".seg"), "wb") as f:
        f.write(bytes(b))
    with open(os.path.join(gap, name2 + ".idx"), "wb") as f:
        f.write(bytes(idx))
    cases.append(("segment-gap/", "second segment renumbered from base %d to %d (file name, header, "
                  "block first sequences and index rewritten, CRCs recomputed)" % (base2, base2 + 1),
                  ("%s.seg" % name2, 24), n_first))

    tnl = os.path.join(dest, "torn-not-last")
    shutil.rmtree(tnl, ignore_errors=True)
    shutil.copytree(src2, tnl)
    lb = first_blocks[-1]
    with open(os.path.join(tnl, segs[0]), "r+b") as f:
        f.truncate(lb.pos + 20)
    cases.append(("torn-not-last/", "first of two segments cut 20 bytes into its last block's "
                  "header (the index still lists that block)", (segs[0], lb.pos + 20),
                  n_first - lb.count))

    # expected outputs + EXPECTED.md
    rows = []
    for name, what, offset, n_before in cases:
        target = os.path.join(dest, name.rstrip("/"))
        rc, out, err = run_dump(target)
        stem = name.rstrip("/").removesuffix(".seg")
        with open(os.path.join(dest, stem + ".expected.jsonl"), "wb") as f:
            f.write(out)
        n_out = out.count(b"\n")
        assert n_out == n_before, (name, n_out, n_before)
        err_lines = err.splitlines()
        if not err_lines:   # not damaged after all (record-reserved-nonzero)
            assert rc == 0, (name, rc)
            rows.append("| `%s` | %s | %s | - | valid | %d | 0 | (none) |" % (name, what, offset, n_before))
            continue
        assert len(err_lines) == 1, (name, err)
        if isinstance(offset, tuple):
            where = "`%s` %d" % offset
        else:
            where = str(offset)
        m = re.search(r": (torn tail|damage) at byte (\d+): (.*)$", err_lines[0])
        cls, reported, reason = m.group(1), m.group(2), m.group(3)
        assert (rc == 0) == (cls == "torn tail"), (name, rc, cls)
        rows.append("| `%s` | %s | %s | %s | %s: %s | %d | %d | `%s` |"
                    % (name, what, where, reported, cls, reason, n_before, rc,
                       err_lines[0].replace("|", "\\|")))
    with open(os.path.join(dest, "EXPECTED.md"), "w") as f:
        f.write(EXPECTED_HEAD + "\n".join(rows) + "\n" + EXPECTED_TAIL)


EXPECTED_HEAD = """\
# Damaged native segments

Made by `scripts/make-native-fixtures.sh` from the one-segment log `testdata/native/base/`
(input `base.input.jsonl`) and the two-segment log `base-2seg/` (same input, smaller
`--segment-bytes`). Each `*.seg` here is a copy of `base/00000000000000000000.seg` with one
damage; the two directories are copies of `base-2seg/`. Ground truth: `scripts/native_reference.py dump PATH` (run from the
repo root, PATH relative to it); its stdout is in `<case>.expected.jsonl` beside each case.

"damaged at" is the first byte that was changed (or where the file was cut / bytes were
appended). "reported at" is the byte offset `dump` names: the block header of the block
that fails for every check inside a block (bounds, CRCs, LZ4, record walk, sequence), the
field for segment-header checks, the block boundary where a torn or zero tail starts.
"before" = records printed before the damage (a block is printed only when all of it is
valid). Exit status: 0 torn tail at the end of the log (the stderr line is a note), 3
damage.

| case | what was done | damaged at | reported at | classification: reason | before | exit | `dump` stderr |
|---|---|---|---:|---|---:|---:|---|
"""

EXPECTED_TAIL = """
Classification per FORMAT.md ("Why two checksums"): the file ending inside a block header,
or a block header with a valid CRC that promises more payload than the file holds, is a
torn tail; so is an all-zero tail from a block boundary. Everything else is damage, and a
torn tail in a segment that is not the last one is damage too.

These cases go beyond what FORMAT.md says in so many words; the expected result is the
reference's choice (see the CHOICE comments in `native_reference.py`), not the spec's:
* `length-over-bound`: valid header CRC and a payload "past the end of the file", but the
  length breaks the 2^28 bound: damage, because the bounds are checked before a length is
  trusted (read literally, "a block header with a valid header CRC promises more payload
  than the file holds" would make it a torn tail).
* `short-garbage-tail`: fewer than 48 bytes left, not zero and not a block-magic prefix:
  torn tail, read literally as "the file ends inside a block header".
* `short-header`: a file shorter than a segment header that starts with the magic: a
  segment the writer died creating, so a torn tail with no records (FORMAT.md).
* `block-max-ts-wrong`: the block header's max timestamp disagrees with its records:
  damage (FORMAT.md does not say a reader checks it; a wrong value makes `--from-time`
  skip records).
* `record-reserved-nonzero`: reserved record bytes 9..11 are not zero: damage (FORMAT.md:
  a version 1 reader treats non-zero reserved bytes as damage).
* `record-ts-absent-nonzero`: timestamp flag clear but the field is not 0 ("0 when
  absent"): damage.
"""


# ------------------------------------------------------------------------------- check

def cmd_check(root):
    def segs(d):
        return [os.path.join(d, n) for n in sorted(os.listdir(d)) if nr.SEGMENT_NAME.match(n)]
    sample = segs(os.path.join(root, "sample"))
    assert len(sample) >= 3, sample
    codecs, counts, sizes = set(), [], []
    for s in sample:
        _, blocks = blocks_of(s)
        codecs |= {b.codec for b in blocks}
        counts += [b.count for b in blocks]
        sizes += [b.raw for b in blocks]
    assert codecs == {0, 1}, codecs
    assert 1 in counts and max(counts) > 1
    lines = [json.loads(x) for x in open(os.path.join(root, "sample.expected.jsonl"), encoding="utf-8")]
    assert any(r["key"] is None for r in lines) and any(r["key"] == {"text": ""} for r in lines)
    assert any(r["value"] is None for r in lines) and any(r["value"] == {"text": ""} for r in lines)
    assert any(r["value"] and "bytes" in r["value"] for r in lines)
    assert any(r["timestamp"] is None for r in lines)
    ts = [r["timestamp"] for r in lines if r["timestamp"] is not None]
    assert ts != sorted(ts)
    lz = segs(os.path.join(root, "lz4"))
    assert len(lz) == 1
    _, blocks = blocks_of(lz[0])
    assert len(blocks) >= 3 and all(b.codec == 1 for b in blocks)
    total = 0
    for dp, _, fs in os.walk(root):
        total += sum(os.path.getsize(os.path.join(dp, f)) for f in fs)
    assert total < 1 << 20, total
    print("native fixtures ok: %d sample segments, %d bytes in all" % (len(sample), total))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "inputs":
        cmd_inputs(sys.argv[2])
    elif cmd == "damage":
        cmd_damage(sys.argv[2], sys.argv[3])
    elif cmd == "check":
        cmd_check(sys.argv[2])
    else:
        sys.exit(__doc__)
