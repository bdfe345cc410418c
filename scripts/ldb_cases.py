#!/usr/bin/env python3
"""Small RocksDB WALs for the `ldb dump_wal` edge cases (see docs/notes/ldb-dump-wal.md).

  ldb_cases.py OUT          writes OUT/real/<case>/ and OUT/crafted/<case>/, each holding
                            one NNNNNN.log plus the reference dump of
                            `ldb dump_wal --walfile=F --header --print_value`
                            (.ldb_dump.txt, .ldb_dump.stderr.txt, .ldb_dump.rc) and
                            OUT/cases.json (one entry per case: what it shows).

real/     written by RocksDB itself: librocksdb 7.8.3 through its C API (ctypes), or
          RocksDB 9.8.4 inside rocksdict. Covers what the corpus generators do not write:
          two-phase-commit markers and NOOP (TransactionDB), user-defined timestamps,
          wide-column entities (PutEntity).
crafted/  bytes built by this script (log framing + WriteBatch encoding, the same
          layout RocksDB writes) to pin down how ldb 7.8.3 reacts to things a healthy DB
          rarely writes: every WriteBatch tag, record types 9-16 and >= 128, block trailer
          offsets, tiny records, zero tails, bad CRC / length in the middle of a file.
          The ground truth is what ldb prints for these bytes, not this script.

All WAL bytes are deterministic. Needs /usr/bin/ldb (rocksdb-tools 7.8.3), librocksdb7.8
and rocksdict, like the corpus generators.
"""
import ctypes
import json
import os
import shutil
import struct
import subprocess
import sys

CORPUS = os.environ.get("LOGSCAN_CORPUS", "/work/shared/corpus")
sys.path.insert(0, CORPUS)
import _walcommon as wc  # noqa: E402  (CRC-32C + masking)

LDB = shutil.which("ldb") or "/usr/bin/ldb"
BLOCK = 32768


# --------------------------------------------------------------------------- encoding

def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def lp(b):
    return varint(len(b)) + b


class WB:
    """WriteBatch rep: fixed64 seq, fixed32 count, then tagged records."""

    def __init__(self, seq, count=None):
        self.seq, self.count, self.recs, self.n = seq, count, b"", 0

    def raw(self, b, counts):
        self.recs += b
        self.n += 1 if counts else 0
        return self

    def _kv(self, plain, cftag, cf, *parts):
        head = bytes([cftag]) + varint(cf) if cf else bytes([plain])
        return self.raw(head + b"".join(lp(p) for p in parts), True)

    def put(self, k, v, cf=0): return self._kv(0x01, 0x05, cf, k, v)
    def delete(self, k, cf=0): return self._kv(0x00, 0x04, cf, k)
    def sdelete(self, k, cf=0): return self._kv(0x07, 0x08, cf, k)
    def merge(self, k, v, cf=0): return self._kv(0x02, 0x06, cf, k, v)
    def drange(self, a, b, cf=0): return self._kv(0x0F, 0x0E, cf, a, b)
    def blobindex(self, k, v, cf=0): return self._kv(0x11, 0x10, cf, k, v)
    def entity(self, k, v, cf=0): return self._kv(0x16, 0x17, cf, k, v)
    def logdata(self, blob): return self.raw(b"\x03" + lp(blob), False)
    def tag(self, t, payload=b""): return self.raw(bytes([t]) + payload, False)

    def bytes(self):
        return struct.pack("<QI", self.seq, self.n if self.count is None else self.count) + self.recs


def frame(payloads, recyclable=False, lognum=0, start=b""):
    """log::Writer::AddRecord: 32 KiB blocks, zero trailer when < header size is left."""
    out = bytearray(start)
    hdr = 11 if recyclable else 7
    for p in payloads:
        pos, left, begin = 0, len(p), True
        while True:
            leftover = BLOCK - len(out) % BLOCK
            if leftover < hdr:
                out += b"\0" * leftover
            avail = BLOCK - len(out) % BLOCK - hdr
            n = min(left, avail)
            end = n == left
            t = (1 if end else 2) if begin else (4 if end else 3)
            out += phys(t + 4 if recyclable else t, p[pos:pos + n], lognum if recyclable else None)
            pos, left, begin = pos + n, left - n, False
            if end:
                break
    return bytes(out)


def phys(typ, payload, lognum=None):
    """One physical record; the CRC covers type [+ log number] + payload."""
    body = bytes([typ]) + (struct.pack("<I", lognum) if lognum is not None else b"") + payload
    return struct.pack("<IHB", wc.mask_crc(wc.crc32c(body)), len(payload), typ) + body[1:]


def put1(seq, k, v):
    return WB(seq).put(k, v).bytes()


# --------------------------------------------------------------------------- crafted cases

def crafted_cases():
    A, B, C = put1(1, b"a", b"1"), put1(2, b"b", b"2"), put1(3, b"c", b"3")
    base = frame([A, B])
    cases = []

    def add(name, fname, data, what):
        cases.append((name, fname, data, what))

    allops = [
        WB(1).put(b"", b"empty-key").put(b"empty-value", b"").put(b"k", b"v", cf=1).put(b"k300", b"v", cf=300)
        .delete(b"d").delete(b"d1", cf=1).sdelete(b"s").sdelete(b"s2", cf=2)
        .merge(b"m", b"\x01\x00\x00\x00\x00\x00\x00\x00").merge(b"m1", b"x", cf=1)
        .drange(b"a", b"b").drange(b"", b"\xff", cf=3).logdata(b"log-data blob").bytes(),
        WB(14).logdata(b"only log data").bytes(),                  # count 0, no items
        WB(14).bytes(),                                            # empty batch
        WB(14).tag(0x0D).put(b"after-noop", b"1").bytes(),         # NOOP
        WB(15).tag(0x09).put(b"p", b"1").delete(b"q").tag(0x0A, lp(b"xid-1")).bytes(),
        WB(15).tag(0x0B, lp(b"xid-1")).bytes(),                    # COMMIT, count 0
        WB(17).tag(0x09).put(b"r", b"2").tag(0x0A, lp(b"xid-2")).bytes(),
        WB(17).tag(0x0C, lp(b"xid-2")).bytes(),                    # ROLLBACK
        WB(18).tag(0x15, lp(b"\x01\x02\x03\x04\x05\x06\x07\x08") + lp(b"xid-3")).bytes(),  # COMMIT_WITH_TIMESTAMP
        WB(2 ** 64 - 1).put(b"max-seq", b"").bytes(),
    ]
    add("all-tags", "000001.log", frame(allops),
        "every WriteBatch tag ldb 7.8.3 can print, column families 0/1/2/3/300, empty key/value, "
        "LOG_DATA (not printed), count-0 batches, NOOP, 2PC markers, COMMIT_WITH_TIMESTAMP, max sequence")
    add("blob-index", "000001.log", frame([A, WB(2).blobindex(b"k", b"\x01blobref").bytes(), C]),
        "kTypeBlobIndex: ldb 7.8.3 fails (PutBlobIndexCF not implemented), rc 1, row not printed, stops")
    add("put-entity", "000001.log", frame([A, WB(2).entity(b"k", b"\x00\x01\x00\x01v").bytes(), C]),
        "kTypeWideColumnEntity: ldb 7.8.3 fails (PutEntityCF not implemented), rc 1")
    add("persisted-prepare", "000001.log",
        frame([A, WB(2).tag(0x12).put(b"x", b"y").tag(0x0A, lp(b"xid")).bytes(), C]),
        "kTypeBeginPersistedPrepareXID (WritePrepared txn): fails in the default --write_committed=true mode")
    add("unknown-tag", "000001.log", frame([A, WB(2).put(b"x", b"y").tag(0x40).bytes(), C]),
        "unknown WriteBatch tag after a valid PUT: whole row dropped, rc 1")
    add("wrong-count", "000001.log", frame([A, WB(2, count=5).put(b"x", b"y").bytes(), C]),
        "batch header count disagrees with the records: 'WriteBatch has wrong count', rc 1")
    add("truncated-put", "000001.log", frame([A, WB(2).raw(b"\x01\x05ab", True).bytes(), C]),
        "PUT whose key runs past the record: 'bad WriteBatch Put', rc 1")
    # block trailers / offsets
    def fill(leave, hdr):
        """A record (LOG_DATA blob + tiny PUT, so its row stays short) leaving `leave` bytes in block 0."""
        return WB(1).logdata(b"x" * (BLOCK - hdr - leave - 20)).put(b"k", b"").bytes()
    add("trailer-6", "000001.log", frame([fill(6, 7), B, C]),
        "first record leaves 6 bytes in block 0; the next row's offset is the trailer start 32762, "
        "not its header at 32768 (the corpus plain fixture shows the same with 3 bytes)")
    for leave in (3, 8):
        add("recyclable-trailer-%d" % leave, "000009.log",
            frame([fill(leave, 11), B, C], recyclable=True, lognum=9),
            "recyclable file, %d trailer bytes: offset %s" % (leave, "= trailer start" if leave < 7 else
                                                              "= 32768 (7..10 zero bytes parse as a skipped zero header)"))
    # physical record types
    for t in (0, 10, 11, 12, 13, 14, 15, 16, 200):
        add("record-type-%d" % t, "000009.log", base + phys(t, b"\x01\x02\x03\x04") + frame([C]),
            "a valid-CRC physical record of type %d between records 2 and 3" % t)
    add("type-9-snappy", "000001.log", phys(9, b"\x01\x00\x00\x00") + frame([C]),
        "SET_COMPRESSION_TYPE naming snappy (only ZSTD is supported for WALs)")
    # framing errors
    add("too-small", "000001.log", frame([A, b"\x01\x02\x03", b"", B]),
        "3-byte and 0-byte logical records: 'log record too small' (reported, no row), then continues")
    add("first-then-full", "000001.log", phys(2, A[:10]) + phys(1, B), "FIRST then FULL: partial record without end(1)")
    add("first-then-first", "000001.log", phys(2, A[:10]) + phys(2, B[:5]) + phys(4, B[5:]),
        "FIRST then FIRST: partial record without end(2)")
    add("middle-alone", "000001.log", phys(3, A) + phys(1, B), "MIDDLE without FIRST: missing start (1)")
    add("last-alone", "000001.log", phys(4, A) + phys(1, B), "LAST without FIRST: missing start (2)")
    add("zero-tail", "000001.log", base + b"\0" * 1000, "1000 zero bytes after the last record (preallocation)")
    add("partial-header", "000001.log", base + frame([C])[:3], "3 bytes of a header at EOF: silent")
    add("partial-payload", "000001.log", base + frame([C])[:10], "payload cut at EOF: silent")
    big = WB(5).logdata(b"v" * 33000).put(b"big", b"").bytes()
    bad = bytearray(frame([A, big, C]))
    bad[len(frame([A])) + 100] ^= 0xFF
    add("crc-in-first-fragment", "000001.log", bytes(bad),
        "bad CRC in a FIRST fragment: checksum mismatch (rest of block dropped), its LAST -> missing start (2), "
        "then the next record")
    padded = base + b"\0" * (BLOCK - len(base)) + frame([C])
    bl = bytearray(padded)
    struct.pack_into("<H", bl, len(frame([A])) + 4, 40000)
    add("bad-length-mid-file", "000001.log", bytes(bl),
        "length field past the block, not in the last block: 'bad record length', resumes at 32768")
    bl = bytearray(base)
    struct.pack_into("<H", bl, len(frame([A])) + 4, 200)
    add("bad-length-at-eof", "000001.log", bytes(bl), "length past EOF in the last block: silent stop")
    rec = frame([A, B], recyclable=True, lognum=9)
    add("recycled-stale-tail", "000009.log", rec + frame([C], recyclable=True, lognum=4),
        "recyclable records of log 9, then one of log 4: silent stop (old record)")
    add("recycled-named-8", "000008.log", rec,
        "the same log-9 records in a file named 000008.log: every record is 'old', header only")
    return cases


# --------------------------------------------------------------------------- real writers

def _rocks78():
    L = ctypes.CDLL("librocksdb.so.7.8")

    def sig(n, r, *a):
        f = getattr(L, n)
        f.restype, f.argtypes = r, list(a)
        return f
    return L, sig


def real_txn(path):
    """TransactionDB (pessimistic, WriteCommitted) on librocksdb 7.8.3, then crash."""
    L, sig = _rocks78()
    vp, cp, sz, u8 = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_ubyte
    E = ctypes.POINTER(ctypes.c_char_p)
    o = sig("rocksdb_options_create", vp)()
    sig("rocksdb_options_set_create_if_missing", None, vp, u8)(o, 1)
    e = ctypes.c_char_p()

    def chk():
        if e.value:
            raise SystemExit(e.value.decode())
    db = sig("rocksdb_transactiondb_open", vp, vp, vp, cp, E)(o, sig("rocksdb_transactiondb_options_create", vp)(),
                                                             path.encode(), ctypes.byref(e))
    chk()
    wo = sig("rocksdb_writeoptions_create", vp)()
    to = sig("rocksdb_transaction_options_create", vp)()
    begin = sig("rocksdb_transaction_begin", vp, vp, vp, vp, vp)
    setname = sig("rocksdb_transaction_set_name", None, vp, cp, sz, E)
    tput = sig("rocksdb_transaction_put", None, vp, cp, sz, cp, sz, E)
    tdel = sig("rocksdb_transaction_delete", None, vp, cp, sz, E)
    prepare = sig("rocksdb_transaction_prepare", None, vp, E)
    commit = sig("rocksdb_transaction_commit", None, vp, E)
    rollback = sig("rocksdb_transaction_rollback", None, vp, E)
    destroy = sig("rocksdb_transaction_destroy", None, vp)
    sig("rocksdb_transactiondb_put", None, vp, vp, cp, sz, cp, sz, E)(db, wo, b"plain", 5, b"v0", 2, ctypes.byref(e))
    chk()
    for name, ops, end in ((b"xid-1", [(b"k1", b"v1"), (b"k0", None)], commit), (b"xid-2", [(b"k2", b"v2")], rollback),
                           (None, [(b"k3", b"v3")], commit), (b"xid-3", [(b"k4", b"v4")], None)):
        t = begin(db, wo, to, None)
        if name:
            setname(t, name, len(name), ctypes.byref(e))
            chk()
        for k, v in ops:
            (tput(t, k, len(k), v, len(v), ctypes.byref(e)) if v is not None else tdel(t, k, len(k), ctypes.byref(e)))
            chk()
        if name:
            prepare(t, ctypes.byref(e))
            chk()
        if end is None:
            os._exit(0)  # crash with xid-3 prepared but not committed
        end(t, ctypes.byref(e))
        chk()
        destroy(t)


def real_udt(path):
    """librocksdb 7.8.3 with an 8-byte user-defined timestamp comparator (little-endian u64)."""
    L, sig = _rocks78()
    vp, cp, sz, u8 = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_ubyte
    E = ctypes.POINTER(ctypes.c_char_p)
    PC = ctypes.POINTER(ctypes.c_char)
    CMP = ctypes.CFUNCTYPE(ctypes.c_int, vp, PC, sz, PC, sz)
    CMPW = ctypes.CFUNCTYPE(ctypes.c_int, vp, PC, sz, u8, PC, sz, u8)
    DES = ctypes.CFUNCTYPE(None, vp)
    NAME = ctypes.CFUNCTYPE(ctypes.c_char_p, vp)
    TS = 8

    def c(a, b):
        return (a > b) - (a < b)

    def compare(_, a, al, b, bl):
        x, y = ctypes.string_at(a, al), ctypes.string_at(b, bl)
        return c(x[:-TS], y[:-TS]) or -c(x[-TS:][::-1], y[-TS:][::-1])

    def compare_ts(_, a, al, b, bl):
        return c(ctypes.string_at(a, al)[::-1], ctypes.string_at(b, bl)[::-1])

    def compare_wo(_, a, al, ah, b, bl, bh):
        x, y = ctypes.string_at(a, al), ctypes.string_at(b, bl)
        return c(x[:-TS] if ah else x, y[:-TS] if bh else y)
    cbs = (DES(lambda s: None), CMP(compare), CMP(compare_ts), CMPW(compare_wo), NAME(lambda s: b"logscan.u64ts"))
    cmp = sig("rocksdb_comparator_with_ts_create", vp, vp, DES, CMP, CMP, CMPW, NAME, sz)(None, *cbs, TS)
    o = sig("rocksdb_options_create", vp)()
    sig("rocksdb_options_set_create_if_missing", None, vp, u8)(o, 1)
    sig("rocksdb_options_set_comparator", None, vp, vp)(o, cmp)
    e = ctypes.c_char_p()
    db = sig("rocksdb_open", vp, vp, cp, E)(o, path.encode(), ctypes.byref(e))
    if e.value:
        raise SystemExit(e.value.decode())
    wo = sig("rocksdb_writeoptions_create", vp)()
    put = sig("rocksdb_put_with_ts", None, vp, vp, cp, sz, cp, sz, cp, sz, E)
    dele = sig("rocksdb_delete_with_ts", None, vp, vp, cp, sz, cp, sz, E)
    sdel = sig("rocksdb_singledelete_with_ts", None, vp, vp, cp, sz, cp, sz, E)
    put(db, wo, b"key", 3, (1).to_bytes(8, "little"), 8, b"val", 3, ctypes.byref(e))
    dele(db, wo, b"key", 3, (2).to_bytes(8, "little"), 8, ctypes.byref(e))
    sdel(db, wo, b"other", 5, (3).to_bytes(8, "little"), 8, ctypes.byref(e))
    if e.value:
        raise SystemExit(e.value.decode())
    os._exit(0)


def real_entity_v9(path):
    """rocksdict (RocksDB 9.8.4): PutEntity between plain puts, then crash (keeps the WAL)."""
    import rocksdict as r
    o = r.Options(raw_mode=True)
    o.create_if_missing(True)
    db = r.Rdict(path, o)
    db[b"before"] = b"x"
    db.put_entity(b"ent", [b"", b"col1", b"c2"], [b"default-v", b"v1", b""])
    wb = r.WriteBatch(raw_mode=True)
    wb.set_default_column_family(db.get_column_family_handle("default"))
    wb.put_entity(b"ent2", [b"a"], [b"1"])
    wb.put(b"p", b"q")
    db.write(wb)
    db[b"after"] = b"y"
    db.flush_wal(True)
    os._exit(0)


REAL = {
    "txn-2pc": (real_txn, "librocksdb 7.8.3 TransactionDB: NOOP-prefixed plain write, prepare+commit, "
                          "prepare+rollback, unnamed txn commit, prepared txn left open at crash"),
    "udt": (real_udt, "librocksdb 7.8.3, 8-byte user-defined timestamps: the WAL key is key+timestamp, "
                      "ldb prints both as one hex string"),
    "entity-v9": (real_entity_v9, "RocksDB 9.8.4 (rocksdict) PutEntity: ldb 7.8.3 cannot print it (rc 1)"),
}


# --------------------------------------------------------------------------- driver

def ldb_dump(path, extra=()):
    cmd = [LDB, "dump_wal", "--walfile=" + path, "--header", "--print_value"] + list(extra)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with open(path + ".ldb_dump.txt", "wb") as f:
        f.write(p.stdout)
    with open(path + ".ldb_dump.stderr.txt", "wb") as f:
        f.write(p.stderr)
    with open(path + ".ldb_dump.rc", "w") as f:
        f.write("%d\n" % p.returncode)
    return p.returncode


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--real":  # child: one real writer
        name, path = sys.argv[2].split("=", 1)
        REAL[name][0](path)
        return
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    out = sys.argv[1]
    shutil.rmtree(out, ignore_errors=True)
    index = {}
    for name, fname, data, what in crafted_cases():
        d = os.path.join(out, "crafted", name)
        os.makedirs(d)
        p = os.path.join(d, fname)
        with open(p, "wb") as f:
            f.write(data)
        index["crafted/" + name] = {"file": fname, "what": what, "writer": "scripts/ldb_cases.py (hand-built bytes)",
                                    "ldb_rc": ldb_dump(p)}
    for name, (_, what) in REAL.items():
        tmpdb = os.path.join(out, "tmp-" + name)
        subprocess.run([sys.executable, os.path.abspath(__file__), "--real", "%s=%s" % (name, tmpdb)], check=True,
                       stderr=subprocess.DEVNULL)
        logs = sorted(f for f in os.listdir(tmpdb) if f.endswith(".log") and f[:-4].isdigit())
        d = os.path.join(out, "real", name)
        os.makedirs(d)
        for f in logs:
            shutil.copyfile(os.path.join(tmpdb, f), os.path.join(d, f))
            rc = ldb_dump(os.path.join(d, f))
        ver = "9.8.4 (rocksdict)" if name.endswith("v9") else "7.8.3 (librocksdb7.8, C API via ctypes)"
        index["real/" + name] = {"file": logs[-1], "what": what, "writer": "RocksDB " + ver, "ldb_rc": rc}
        shutil.rmtree(tmpdb)
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(index, f, indent=1, sort_keys=True)
        f.write("\n")
    print("ldb cases: %d crafted, %d real" % (sum(k.startswith("crafted/") for k in index),
                                               sum(k.startswith("real/") for k in index)))


if __name__ == "__main__":
    main()
