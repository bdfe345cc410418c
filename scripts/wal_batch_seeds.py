#!/usr/bin/env python3
"""Seeds for the write-batch fuzz target: the logical records (WriteBatch
reps) of the uncompressed, non-recycled WALs in testdata, one file per batch,
prefixed with the target's selector byte (0 RocksDB rules, 1 LevelDB rules).
Reassembles FULL/FIRST/MIDDLE/LAST fragments of the 7-byte-header format.

    python3 scripts/wal_batch_seeds.py OUT_DIR
"""
import os
import struct
import sys

BLOCK = 32768
FILES = [("testdata/rocksdb/plain/db", 0), ("testdata/rocksdb/v9/db", 0), ("testdata/leveldb/plain/db", 1)]


def records(data):
    at, pending = 0, None
    while at + 7 <= len(data):
        left = BLOCK - at % BLOCK
        if left < 7:
            at += left
            continue
        _crc, length, kind = struct.unpack_from("<IHB", data, at)
        payload = data[at + 7:at + 7 + length]
        at += 7 + length
        if kind == 1:
            yield payload
        elif kind == 2:
            pending = bytearray(payload)
        elif kind == 3 and pending is not None:
            pending += payload
        elif kind == 4 and pending is not None:
            pending += payload
            yield bytes(pending)
            pending = None
        elif kind == 0:
            return


def main(out):
    os.makedirs(out, exist_ok=True)
    count = 0
    for directory, selector in FILES:
        for name in sorted(os.listdir(directory)):
            if not name.endswith(".log"):
                continue
            with open(os.path.join(directory, name), "rb") as f:
                data = f.read()
            for batch in records(data):
                if len(batch) > 64 << 10:
                    continue
                with open(os.path.join(out, "batch-%04d" % count), "wb") as f:
                    f.write(bytes([selector]) + batch)
                count += 1
    print(count, "write-batch seeds", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
