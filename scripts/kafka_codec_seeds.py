#!/usr/bin/env python3
"""Seeds for the kafka-codecs fuzz target: the compressed record data of every
compressed v2 batch in testdata/kafka, one file per batch, prefixed with the
byte that makes the target pick that batch's codec (FuzzTargets.kafkaCodecs:
0 gzip, 1 snappy, 2 LZ4 frame, 3 legacy LZ4 frame, 4 zstd).

    python3 scripts/kafka_codec_seeds.py OUT_DIR
"""
import os
import struct
import sys

SELECTOR = {1: 0, 2: 1, 3: 2, 4: 4}  # Kafka codec id -> target's first byte


def batches(data):
    at = 0
    while at + 17 <= len(data):
        (length,) = struct.unpack_from(">i", data, at + 8)
        if length <= 0 or at + 12 + length > len(data):
            return
        yield data[at:at + 12 + length]
        at += 12 + length


def main(out):
    os.makedirs(out, exist_ok=True)
    count = 0
    for root, _, files in os.walk("testdata/kafka"):
        for name in sorted(files):
            if not name.endswith(".log"):
                continue
            with open(os.path.join(root, name), "rb") as f:
                data = f.read()
            for batch in batches(data):
                if batch[16] != 2:
                    continue
                (attributes,) = struct.unpack_from(">h", batch, 21)
                codec = attributes & 7
                if codec in SELECTOR:
                    with open(os.path.join(out, "seed-%04d" % count), "wb") as f:
                        f.write(bytes([SELECTOR[codec]]) + batch[61:])
                    count += 1
    print(count, "codec seeds", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
