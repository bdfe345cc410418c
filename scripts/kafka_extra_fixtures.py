#!/usr/bin/env python3
"""Kafka fixtures the corpus generator cannot make, with kafka-python as the ground truth.

    python3 scripts/kafka_extra_fixtures.py testdata/kafka/extra

Needs kafka-python 3.0.12 with its optional codecs: lz4, python-snappy, zstandard,
xxhash (`pip install kafka-python lz4 python-snappy zstandard xxhash`).

Writes three bare segment files (no partition directory, no indexes) and, next to each,
what kafka-python's reader (kafka.record.MemoryRecords -> next_batch() -> validate_crc()
-> list(batch)) decodes from them:

  codecs.log   v2 batches with every codec: none, gzip, snappy (xerial-framed with
               several 32 KiB blocks, and one raw snappy block), lz4, zstd; headers,
               null/empty keys and values, non-UTF-8 bytes.
  legacy.log   v0 and v1 message sets as brokers before 0.11 stored them: plain
               messages, compressed wrappers (gzip, snappy, lz4 -- v0 with Kafka
               0.8's wrong LZ4 header checksum), a v1 LogAppendTime wrapper, then v2
               batches after the "upgrade".
  txn.log      transactional and idempotent batches, COMMIT and ABORT control
               batches, a LogAppendTime batch, a compacted batch with offset gaps and
               a lastOffsetDelta past its last record, an empty batch, an offset gap
               between batches, an lz4 transactional batch.

<name>.records.jsonl  one line per record: batch_position, offset, timestamp,
                      timestamp_type, key, value (hex or null), headers [[key, hex|null]],
                      control_type (control records only, else null)
<name>.batches.jsonl  one line per batch: position, size, magic, base_offset,
                      last_offset, attributes, compression, timestamp_type,
                      is_transactional, is_control, records, crc_valid

The batch and record bytes come from kafka-python's builders and codecs; what a broker
would do (stamp offsets, LogAppendTime, control batches, compaction) is done here by
editing header fields and recomputing the CRC, as the broker does. Deterministic.
"""
import gzip
import io
import json
import os
import struct
import sys

import kafka.codec as codec
from kafka.record import MemoryRecords
from kafka.record.default_records import DefaultRecordBatchBuilder, DefaultRecordBase
from kafka.record.legacy_records import LegacyRecordBatchBuilder
from kafka.record._crc32c import crc as crc32c
from kafka.record.util import calc_crc32

NONE, GZIP, SNAPPY, LZ4, ZSTD = 0, 1, 2, 3, 4
T0 = 1_710_000_000_000


def fixed_gzip(payload, compresslevel=None):
    # MTIME 0, as Java's GZIPOutputStream writes: deterministic bytes.
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=6, mtime=0) as f:
        f.write(payload)
    return buf.getvalue()


codec.gzip_encode = fixed_gzip
import kafka.record.default_records as dr  # noqa: E402
import kafka.record.legacy_records as lr  # noqa: E402
dr.gzip_encode = fixed_gzip
lr.gzip_encode = fixed_gzip


def restamp_v2(batch, base_offset, epoch=0, attributes=None, max_timestamp=None, last_offset_delta=None):
    """What the broker does to a v2 batch: baseOffset and leader epoch (outside the CRC);
    optionally attributes / maxTimestamp / lastOffsetDelta (then the CRC is recomputed)."""
    b = bytearray(batch)
    struct.pack_into(">q", b, 0, base_offset)
    struct.pack_into(">i", b, 12, epoch)
    if attributes is not None:
        struct.pack_into(">h", b, 21, attributes)
    if max_timestamp is not None:
        struct.pack_into(">q", b, 35, max_timestamp)
    if last_offset_delta is not None:
        struct.pack_into(">i", b, 23, last_offset_delta)
    struct.pack_into(">I", b, 17, crc32c(bytes(b[21:])))
    return bytes(b)


def v2(records, compression=NONE, base_offset=0, pid=-1, pepoch=-1, seq=-1, txn=False, raw_snappy=False):
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=compression, is_transactional=txn,
                                        producer_id=pid, producer_epoch=pepoch, base_sequence=seq,
                                        batch_size=1 << 30)
    saved = dr.snappy_encode
    if raw_snappy:
        import snappy
        dr.snappy_encode = lambda data: snappy.compress(bytes(data))
    try:
        for delta, ts, key, value, headers in records:
            assert builder.append(delta, timestamp=ts, key=key, value=value, headers=headers) is not None
        out = bytes(builder.build())
    finally:
        dr.snappy_encode = saved
    return restamp_v2(out, base_offset)


def empty_v2(base_offset, last_offset_delta, ts, pid, pepoch, seq):
    """A batch with no records, as compaction leaves to keep producer state."""
    body = struct.pack(">hiqqqhii", 0, last_offset_delta, ts, ts, pid, pepoch, seq, 0)
    header = struct.pack(">qiibI", base_offset, 4 + 1 + 4 + len(body), 0, 2, crc32c(body))
    return header + body


def legacy_message(magic, offset, attributes, timestamp, key, value):
    """One v0/v1 message (offset, size, crc, magic, attributes, [timestamp], key, value)."""
    body = struct.pack(">bb", magic, attributes)
    if magic == 1:
        body += struct.pack(">q", timestamp)
    body += struct.pack(">i", -1) if key is None else struct.pack(">i", len(key)) + key
    body += struct.pack(">i", -1) if value is None else struct.pack(">i", len(value)) + value
    crc = calc_crc32(body)
    return struct.pack(">qiI", offset, 4 + len(body), crc) + body


def legacy_wrapper(magic, compression, base_offset, records, log_append_time=None):
    """A compressed v0/v1 wrapper, inner messages built and compressed by kafka-python's
    LegacyRecordBatchBuilder. v1 inner offsets are relative, v0 absolute; the wrapper gets
    the last inner message's absolute offset and (v1) the max inner timestamp, or the
    broker's time with the LogAppendTime bit."""
    builder = LegacyRecordBatchBuilder(magic=magic, compression_type=compression, batch_size=1 << 30)
    for i, (ts, key, value) in enumerate(records):
        off = i if magic == 1 else base_offset + i
        assert builder.append(off, timestamp=ts, key=key, value=value) is not None
    built = bytes(builder.build())
    # Parse kafka-python's wrapper to take its compressed value, then re-emit it as a broker would.
    key_offset = 18 if magic == 0 else 26
    klen = struct.unpack_from(">i", built, key_offset)[0]
    vpos = key_offset + 4 + max(klen, 0)
    vlen = struct.unpack_from(">i", built, vpos)[0]
    compressed = built[vpos + 4: vpos + 4 + vlen]
    attributes = compression
    timestamp = max(ts for ts, _, _ in records) if magic == 1 else None
    if log_append_time is not None:
        attributes |= 0x08
        timestamp = log_append_time
    return legacy_message(magic, base_offset + len(records) - 1, attributes, timestamp, None, compressed)


def rec(delta, ts, key, value, headers=()):
    return (delta, ts, key, value, list(headers))


def build_codecs():
    out = b""
    off = 0
    words = b"kafka segment batch record offset timestamp header value key lz4 zstd snappy gzip "
    for codec_id in (NONE, GZIP, SNAPPY, LZ4, ZSTD):
        for variant in range(2):
            ts = T0 + off * 7
            records = [
                rec(0, ts, b"user-%d" % off, b'{"codec": %d, "variant": %d}' % (codec_id, variant),
                    [("content-type", b"application/json"), ("trace", None)]),
                rec(1, ts + 3, None, words * (5 + 40 * variant)),
                rec(2, ts + 1, b"", b""),
                rec(3, ts + 9, b"\xff\xfe\x00bin", None, [("bin", b"\x00\x01\xfe"), ("", b"")]),
                rec(4, ts + 2, "ключ-✓".encode(), "значение ✓ 🚀".encode(), [("ü", "ß".encode())]),
            ]
            if variant == 1 and codec_id in (SNAPPY, ZSTD, GZIP, LZ4):
                # Over 32 KiB raw: several xerial blocks / LZ4 blocks.
                records.append(rec(5, ts + 4, b"big", words * 1200))
            out += v2(records, codec_id, base_offset=off)
            off += len(records)
    import snappy  # noqa: F401  (raw snappy, no xerial framing)
    records = [rec(i, T0 + 99_000 + i, b"raw-%d" % i, words * (3 + i)) for i in range(3)]
    out += v2(records, SNAPPY, base_offset=off, raw_snappy=True)
    return out


def build_legacy():
    out = b""
    # v0: plain messages (absolute offsets), then wrappers.
    out += legacy_message(0, 0, 0, None, b"k0", b"v0 plain")
    out += legacy_message(0, 1, 0, None, None, b"v0 null key")
    out += legacy_message(0, 2, 0, None, b"k2", None)
    out += legacy_wrapper(0, GZIP, 3, [(None, b"g%d" % i, b"v0 gzip inner %d" % i) for i in range(3)])
    out += legacy_wrapper(0, SNAPPY, 6, [(None, b"s%d" % i, b"v0 snappy inner %d " % i * 20) for i in range(2)])
    out += legacy_wrapper(0, LZ4, 8, [(None, b"l%d" % i, b"v0 lz4 inner %d " % i * 30) for i in range(3)])
    # v1: timestamps.
    out += legacy_message(1, 11, 0, T0 + 1, b"k11", b"v1 plain")
    out += legacy_message(1, 12, 0, T0 + 5, None, "v1 ✓".encode())
    out += legacy_wrapper(1, GZIP, 13, [(T0 + 10 + i, b"g%d" % i, b"v1 gzip inner %d" % i) for i in range(4)])
    out += legacy_wrapper(1, LZ4, 17, [(T0 + 20 - i, b"l%d" % i, b"v1 lz4 inner %d " % i * 25) for i in range(3)])
    out += legacy_wrapper(1, SNAPPY, 20, [(T0 + 30 + i, None, b"v1 snappy inner %d" % i) for i in range(2)])
    out += legacy_wrapper(1, GZIP, 22, [(T0 + 40 + i, b"a%d" % i, b"v1 log-append-time %d" % i) for i in range(3)],
                          log_append_time=T0 + 555)
    out += legacy_message(1, 25, 0x08, T0 + 600, b"lat", b"v1 plain LogAppendTime")
    # After the upgrade: v2 batches continue the offsets.
    out += v2([rec(0, T0 + 700, b"v2", b"after upgrade", [("h", b"1")]), rec(1, T0 + 701, None, b"second")], NONE, 26)
    out += v2([rec(0, T0 + 710, b"v2lz4", b"lz4 after upgrade " * 10)], LZ4, 28)
    return out


def build_txn():
    out = b""
    out += v2([rec(0, T0, b"plain", b"no producer id")], NONE, 0)
    out += v2([rec(0, T0 + 1, b"idem", b"idempotent 0"), rec(1, T0 + 2, b"idem", b"idempotent 1")],
              NONE, 1, pid=1000, pepoch=0, seq=0)
    out += v2([rec(i, T0 + 10 + i, b"txn-a", b"transactional %d" % i, [("txn", b"a")]) for i in range(3)],
              NONE, 3, pid=2000, pepoch=1, seq=0, txn=True)
    # COMMIT marker: a control batch (transactional + control), key = version 0, type 1;
    # value = version 0 + coordinator epoch.
    commit = v2([rec(0, T0 + 20, struct.pack(">hh", 0, 1), struct.pack(">hi", 0, 5))],
                NONE, 6, pid=2000, pepoch=1, seq=-1, txn=True)
    out += restamp_v2(commit, 6, attributes=0x10 | 0x20)
    out += v2([rec(i, T0 + 30 + i, b"txn-b", b"aborted %d" % i) for i in range(2)],
              LZ4, 7, pid=2001, pepoch=0, seq=0, txn=True)
    abort = v2([rec(0, T0 + 40, struct.pack(">hh", 0, 0), struct.pack(">hi", 0, 5))],
               NONE, 9, pid=2001, pepoch=0, seq=-1, txn=True)
    out += restamp_v2(abort, 9, attributes=0x10 | 0x20)
    # LogAppendTime: the broker sets the bit and maxTimestamp; every record reads it.
    lat = v2([rec(i, T0 + 50 + i * 3, b"lat", b"log append time %d" % i) for i in range(3)], NONE, 10)
    out += restamp_v2(lat, 10, attributes=0x08, max_timestamp=T0 + 9_999)
    # Compacted: records at deltas 0, 2, 5 kept, lastOffsetDelta 7 kept from the original batch.
    compacted = v2([rec(0, T0 + 60, b"c0", b"kept 0"), rec(2, T0 + 62, b"c2", b"kept 2"),
                    rec(5, T0 + 65, b"c5", None)], NONE, 13)
    out += restamp_v2(compacted, 13, last_offset_delta=7)
    # Empty batch left by compaction (offsets 21..23), then a gap to 30.
    out += empty_v2(21, 2, T0 + 70, 3000, 0, 5)
    out += v2([rec(0, T0 + 80, b"after-gap", b"offset 30"), rec(1, T0 + 79, b"after-gap", b"offset 31")], NONE, 30)
    out += v2([rec(i, T0 + 90 + i, b"txn-c", b"lz4 transactional %d" % i) for i in range(2)],
              LZ4, 32, pid=2002, pepoch=0, seq=0, txn=True)
    commit2 = v2([rec(0, T0 + 95, struct.pack(">hh", 0, 1), struct.pack(">hi", 0, 5))],
                 NONE, 34, pid=2002, pepoch=0, seq=-1, txn=True)
    out += restamp_v2(commit2, 34, attributes=0x10 | 0x20)
    return out


def hx(b):
    return None if b is None else bytes(b).hex()


def dump(path):
    data = open(path, "rb").read()
    records, batches = [], []
    mr = MemoryRecords(data)
    pos = 0
    while True:
        batch = mr.next_batch()
        if batch is None:
            break
        size = batch.size_in_bytes
        crc_ok = batch.validate_crc()
        magic = batch.magic
        entry = {"position": pos, "size": size, "magic": magic, "crc_valid": crc_ok}
        if magic == 2:
            entry.update(base_offset=batch.base_offset, last_offset=batch.last_offset,
                         attributes=batch.attributes, records=batch.records_count,
                         is_transactional=batch.is_transactional, is_control=batch.is_control_batch)
        else:
            entry.update(base_offset=batch.base_offset, last_offset=batch.base_offset,
                         attributes=struct.unpack_from(">b", data, pos + 17)[0] & 0xFF,
                         is_transactional=False, is_control=False)
        entry["compression"] = ["none", "gzip", "snappy", "lz4", "zstd"][batch.compression_type]
        entry["timestamp_type"] = batch.timestamp_type
        n = 0
        for r in batch:
            n += 1
            records.append({
                "batch_position": pos, "offset": r.offset, "timestamp": r.timestamp,
                "timestamp_type": r.timestamp_type, "key": hx(r.key), "value": hx(r.value),
                "headers": [[k, hx(v)] for k, v in r.headers],
                "control_type": getattr(r, "type", None) if magic == 2 and batch.is_control_batch else None,
            })
        if magic != 2:
            entry["records"] = n
        batches.append(entry)
        pos += size
    assert pos == len(data), (path, pos, len(data))
    with open(path + ".records.jsonl", "w") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    with open(path + ".batches.jsonl", "w") as f:
        for b in batches:
            f.write(json.dumps(b) + "\n")
    return len(batches), len(records)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "testdata/kafka/extra"
    os.makedirs(out, exist_ok=True)
    for name, build in (("codecs", build_codecs), ("legacy", build_legacy), ("txn", build_txn)):
        path = os.path.join(out, name + ".log")
        with open(path, "wb") as f:
            f.write(build())
        print(name, "batches %d records %d" % dump(path), os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
