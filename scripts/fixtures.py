#!/usr/bin/env python3
"""Helper for scripts/make-fixtures.sh (developer tool, not used by CI).

  fixtures.py gen GENERATOR [generator args...]
      Run one of the shared corpus generators (gen_rocksdb_wal, gen_leveldb_log,
      gen_kafka_segments from $LOGSCAN_CORPUS, default /work/shared/corpus) unchanged,
      except for two fixed record sizes that would otherwise dominate the fixture size:
      the generators write hand-placed "after-crafted:N" values of 40000 bytes and a final
      "last-big" value of 100000 bytes. Here they become FX_AFTER (default 3000) and
      FX_LAST (default 70000) bytes. 70000 still needs FIRST + MIDDLE + LAST fragments, and
      the block-edge records (0/3/7 bytes left in a block) are placed exactly as before.
      Nothing else changes; WAL/log/segment bytes stay deterministic for a given seed.
      For gen_kafka_segments the only change is gzip MTIME = 0 (kafka-python would stamp
      the current time into every gzip batch, making the segments non-deterministic).

  fixtures.py collect TMP DEST
      Copy the chosen files from the generator outputs under TMP into DEST (testdata/),
      keep the real directory layout, move reference dumps out of the DB directories
      into ref/, shorten LOG files, derive ops.compact.jsonl from ops.jsonl and make
      manifest.json free of temp paths and timings.

  fixtures.py check DEST
      Assert that each fixture still exercises what it is for (census, op kinds, ...).
"""
import hashlib
import json
import os
import re
import shutil
import sys

CORPUS = os.environ.get("LOGSCAN_CORPUS", "/work/shared/corpus")

# name in TMP -> (generator kind, dest subdir)
ROCKS_VARIANTS = ["plain", "zstd", "recycle", "recycle-zstd", "v9"]
LOG_KEEP_LINES = 12          # RocksDB info LOG: keep only the head (version, options start)
SST_KEEP_MAX = 32 * 1024     # larger .sst files become empty placeholders (name kept)
INLINE_MAX = 64              # ops.compact.jsonl: values up to this size stay inline as hex


def gen(argv):
    sys.path.insert(0, CORPUS)
    name = argv[0]
    if name == "gen_kafka_segments":
        # kafka-python's gzip_encode() leaves the gzip header MTIME to gzip.GzipFile, which
        # stamps the current time -> gzip batches would differ on every run. Use MTIME 0
        # (what Java's GZIPOutputStream, i.e. the Kafka producer, writes).
        import gzip
        orig_init = gzip.GzipFile.__init__

        def init(self, *a, **k):
            k.setdefault("mtime", 0)
            orig_init(self, *a, **k)
        gzip.GzipFile.__init__ = init
    else:
        import _walcommon as wc
        orig = wc.text_value
        sizes = {40000: int(os.environ.get("FX_AFTER", "3000")), 100000: int(os.environ.get("FX_LAST", "70000"))}
        wc.text_value = lambda rng, n: orig(rng, sizes.get(n, n))
    mod = __import__(name)
    sys.argv = [name + ".py"] + argv[1:]
    mod.main()


# ---------------------------------------------------------------------------------------

def copy(src, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(src, dst)  # logical bytes only (RocksDB preallocates WALs with fallocate)


def write_text(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def scrub(obj, tmp, dest_rel):
    """Replace temp paths by paths relative to the repo, drop timings."""
    if isinstance(obj, dict):
        return {k: scrub(v, tmp, dest_rel) for k, v in obj.items() if k != "generate_seconds"}
    if isinstance(obj, list):
        return [scrub(v, tmp, dest_rel) for v in obj]
    if isinstance(obj, str):
        for a, b in dest_rel:
            obj = obj.replace(a, b)
        return obj.replace(tmp, "$TMP")
    return obj


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.write("\n")


def compact_ops(src, dst):
    """ops.jsonl -> ops.compact.jsonl: same records, long values replaced by length + sha256."""
    with open(src) as fi, open(dst, "w") as fo:
        for line in fi:
            rec = json.loads(line)
            for o in rec["ops"]:
                for field in ("value_hex", "blob_hex"):
                    if field in o:
                        raw = bytes.fromhex(o[field])
                        base = field[:-4]
                        o[base + "_len"] = len(raw)
                        if len(raw) > INLINE_MAX:
                            del o[field]
                            o[base + "_sha256"] = hashlib.sha256(raw).hexdigest()
            fo.write(json.dumps(rec, sort_keys=True) + "\n")


def copy_db_dir(src_db, dst_variant, dump_suffixes, rcs):
    """db/ keeps only what the database wrote; the reference dumps go to ref/."""
    dst_db = os.path.join(dst_variant, "db")
    os.makedirs(dst_db, exist_ok=True)
    notes = []
    for f in sorted(os.listdir(src_db)):
        s = os.path.join(src_db, f)
        if any(suf in f for suf in dump_suffixes):
            copy(s, os.path.join(dst_variant, "ref", f))
            continue
        d = os.path.join(dst_db, f)
        if f == "LOG":
            with open(s, "rb") as fi:
                head = b"".join(fi.readlines()[:LOG_KEEP_LINES])
            with open(d, "wb") as fo:
                fo.write(head)
            notes.append("LOG truncated to its first %d lines" % LOG_KEEP_LINES)
        elif f.endswith(".sst") and os.path.getsize(s) > SST_KEEP_MAX:
            open(d, "wb").close()
            notes.append("%s (%d bytes) replaced by an empty file" % (f, os.path.getsize(s)))
        else:
            copy(s, d)
    for name, rc in rcs.items():
        write_text(os.path.join(dst_variant, "ref", name), "%d\n" % rc)
    return notes


def collect_rocksdb(tmp, dest):
    for v in ROCKS_VARIANTS:
        src = os.path.join(tmp, "rocksdb-" + v, "rocksdb", v)
        dst = os.path.join(dest, "rocksdb", v)
        shutil.rmtree(dst, ignore_errors=True)
        m = json.load(open(os.path.join(src, "manifest.json")))
        rcs = {}
        for f, e in list(m["live_wals"].items()) + list(m.get("obsolete_wal_info", {}).items()):
            rcs[f + ".ldb_dump.rc"] = e["ldb"]["rc"]
        notes = copy_db_dir(os.path.join(src, "db"), dst, [".ldb_dump."], rcs)
        for kind, info in m["damaged"].items():
            for f in sorted(os.listdir(os.path.join(src, kind))):
                copy(os.path.join(src, kind, f), os.path.join(dst, kind, f))
            write_text(os.path.join(dst, kind, m["damaged_copies_of"] + ".ldb_dump.rc"), "%d\n" % info["ldb"]["rc"])
        compact_ops(os.path.join(src, "ops.jsonl"), os.path.join(dst, "ops.compact.jsonl"))
        if os.path.exists(os.path.join(src, "ops.jsonl.crafted.json")):
            copy(os.path.join(src, "ops.jsonl.crafted.json"), os.path.join(dst, "crafted.json"))
        rel = "testdata/rocksdb/" + v
        m = scrub(m, tmp, [(src + "/db/", rel + "/db/"), (src, rel)])
        m["fixture_notes"] = notes + ["reference dumps of db/*.log are in ref/ (the generator wrote them into db/)",
                                      "ops.jsonl replaced by ops.compact.jsonl (values > %d bytes as len + sha256)"
                                      % INLINE_MAX]
        write_json(os.path.join(dst, "manifest.json"), m)


def collect_leveldb(tmp, dest):
    src = os.path.join(tmp, "leveldb", "leveldb", "plain")
    dst = os.path.join(dest, "leveldb", "plain")
    shutil.rmtree(dst, ignore_errors=True)
    m = json.load(open(os.path.join(src, "manifest.json")))
    notes = copy_db_dir(os.path.join(src, "db"), dst, [".leveldbutil_dump."],
                        {m["log"] + ".leveldbutil_dump.rc": m["dump"]["rc"]})
    for kind, info in m["damaged"].items():
        for f in sorted(os.listdir(os.path.join(src, kind))):
            copy(os.path.join(src, kind, f), os.path.join(dst, kind, f))
        write_text(os.path.join(dst, kind, m["log"] + ".leveldbutil_dump.rc"), "%d\n" % info["dump"]["rc"])
    compact_ops(os.path.join(src, "ops.jsonl"), os.path.join(dst, "ops.compact.jsonl"))
    copy(os.path.join(src, "ops.jsonl.crafted.json"), os.path.join(dst, "crafted.json"))
    rel = "testdata/leveldb/plain"
    m = scrub(m, tmp, [(src + "/db/", rel + "/db/"), (src, rel),
                       (os.path.join(tmp, "leveldb", "bin", "leveldb_dumpfile"), "leveldb_dumpfile")])
    m["fixture_notes"] = notes + ["reference dump of db/*.log is in ref/",
                                  "ops.jsonl replaced by ops.compact.jsonl (values > %d bytes as len + sha256)"
                                  % INLINE_MAX]
    write_json(os.path.join(dst, "manifest.json"), m)


def copytree(src, dst):
    for root, _, files in os.walk(src):
        for f in sorted(files):
            s = os.path.join(root, f)
            d = os.path.join(dst, os.path.relpath(s, src))
            os.makedirs(os.path.dirname(d), exist_ok=True)
            shutil.copyfile(s, d)
            if os.path.getsize(s) != os.path.getsize(d):
                raise SystemExit("copy size mismatch " + s)


def collect_kafka(tmp, dest):
    dst = os.path.join(dest, "kafka")
    for sub in ("clean", "live", "damaged", "reference", "gzip", "manifest.json"):
        p = os.path.join(dst, sub)
        shutil.rmtree(p, ignore_errors=True) if os.path.isdir(p) else (os.path.exists(p) and os.remove(p))
    src = os.path.join(tmp, "kafka", "kafka")
    for sub in ("clean", "live", "damaged", "reference"):
        copytree(os.path.join(src, sub), os.path.join(dst, sub))
    write_json(os.path.join(dst, "manifest.json"), scrub(json.load(open(os.path.join(src, "manifest.json"))), tmp, []))
    gsrc = os.path.join(tmp, "kafka-gzip", "kafka")
    for sub in ("clean", "reference"):
        copytree(os.path.join(gsrc, sub), os.path.join(dst, "gzip", sub))
    gm = scrub(json.load(open(os.path.join(gsrc, "manifest.json"))), tmp, [])
    gm.pop("damaged", None)  # damaged copies of the gzip run are not kept
    gm["fixture_notes"] = ["only clean/ and reference/ of this run are kept (no live/, no damaged/)"]
    write_json(os.path.join(dst, "gzip", "manifest.json"), gm)
    real = os.path.join(CORPUS, "real", "kafka-kraft-metadata")
    rdst = os.path.join(dst, "real")
    shutil.rmtree(rdst, ignore_errors=True)
    copytree(real, rdst)


def collect_ldb_cases(tmp, dest):
    dst = os.path.join(dest, "rocksdb", "ldb-cases")
    shutil.rmtree(dst, ignore_errors=True)
    copytree(os.path.join(tmp, "ldb-cases"), dst)


def collect(tmp, dest):
    tmp = os.path.abspath(tmp)
    collect_rocksdb(tmp, dest)
    collect_ldb_cases(tmp, dest)
    collect_leveldb(tmp, dest)
    collect_kafka(tmp, dest)


# ---------------------------------------------------------------------------------------

def ops_kinds(path):
    kinds = set()
    for line in open(path):
        for o in json.loads(line)["ops"]:
            kinds.add(o["op"] + ("/cf1" if o.get("cf") == 1 else ""))
    return kinds


def check(dest):
    problems = []

    def need(cond, what):
        if not cond:
            problems.append(what)

    for v in ROCKS_VARIANTS:
        d = os.path.join(dest, "rocksdb", v)
        m = json.load(open(os.path.join(d, "manifest.json")))
        census = {}
        for e in m["live_wals"].values():
            for k, n in e["census"]["counts"].items():
                census[k] = census.get(k, 0) + n
            need(e["ldb"]["rc"] == 0, "%s: ldb rc != 0 on a live WAL" % v)
        xc = m["cross_check_vs_ops_jsonl"]
        need(xc["mismatches"] == 0 and xc["dumped_batches"] > 0, "%s: dump does not match ops" % v)
        kinds = ops_kinds(os.path.join(d, "ops.compact.jsonl"))
        if v in ("plain", "zstd"):
            for k in ("PUT", "DELETE", "SINGLE_DELETE", "DELETE_RANGE", "MERGE", "LOG_DATA", "PUT/cf1"):
                need(k in kinds, "%s: no %s" % (v, k))
            need(len(m["live_wals"]) == 2, "%s: expected 2 live WALs" % v)
        if v == "plain":
            for k in ("FIRST", "MIDDLE", "LAST"):
                need(census.get(k), "plain: no %s fragment" % k)
            for k in ("SINGLE_DELETE/cf1", "DELETE_RANGE/cf1", "MERGE/cf1"):
                need(k in kinds, "plain: no %s" % k)
        if v.endswith("zstd"):
            need(census.get("SET_COMPRESSION_TYPE"), "%s: no SET_COMPRESSION_TYPE record" % v)
        if v == "zstd":
            need(census.get("FIRST") and census.get("LAST"), "zstd: no compressed record spanning blocks")
        if v.startswith("recycle"):
            need(any(k.startswith("RECYCLABLE_") for k in census), "%s: no recyclable records" % v)
            stale = sum(e["census"]["stale_recycled"]["count"] for e in m["live_wals"].values())
            need(stale > 0, "%s: no stale tail from the file's previous life" % v)
            need(m["obsolete_wal_files_left_in_dir"], "%s: no obsolete WAL left in db/" % v)
        if v == "recycle":
            sys.path.insert(0, CORPUS)
            import _walcommon as wc
            for f in m["live_wals"]:
                num = int(f[:-4])
                c = wc.census_log_file(os.path.join(d, "db", f))
                live = {r["type_name"] for r in c["records"] if r["lognum"] == num}
                stale = [r for r in c["records"] if r["lognum"] not in (num, None)]
                need({"RECYCLABLE_FIRST", "RECYCLABLE_LAST"} <= live,
                     "recycle: live part of %s has no RECYCLABLE_FIRST/LAST" % f)
                need(stale, "recycle: %s has no stale records" % f)
        if v.endswith("zstd"):
            # compression really happens: records take less room in the file than their
            # WriteBatch ByteSize (span = distance between consecutive rows' offsets)
            for f in m["live_wals"]:
                rows = [line.split(",") for line in open(os.path.join(d, "ref", f + ".ldb_dump.txt")).read().splitlines()[1:]]
                pairs = [(int(a[2]), int(b[3]) - int(a[3])) for a, b in zip(rows, rows[1:])]
                if v == "zstd":  # no stale tail: the last record ends at EOF
                    pairs.append((int(rows[-1][2]), m["live_wals"][f]["size"] - int(rows[-1][3])))
                need(sum(p[0] for p in pairs) > 1.05 * sum(p[1] for p in pairs), "%s: %s does not look compressed" % (v, f))
        if v == "zstd":
            need(any(p[0] > 2 * p[1] for p in pairs), "zstd: no record compressed to < 1/2")
        if v == "v9":
            need(m["writer_rocksdb_version"].startswith("9."), "v9: writer is not RocksDB 9")
            need(census.get("MIDDLE"), "v9: no MIDDLE fragment")
        for kind in ("torn", "torn-header", "corrupt"):
            need(kind in m["damaged"], "%s: no %s copy" % (v, kind))
    cases = json.load(open(os.path.join(dest, "rocksdb", "ldb-cases", "cases.json")))
    need(cases.get("real/txn-2pc", {}).get("ldb_rc") == 0, "ldb-cases: txn-2pc missing or ldb failed")
    need(cases.get("real/entity-v9", {}).get("ldb_rc") == 1, "ldb-cases: entity-v9 missing or ldb did not fail")
    m = json.load(open(os.path.join(dest, "leveldb", "plain", "manifest.json")))
    for k in ("FIRST", "MIDDLE", "LAST"):
        need(m["census"]["counts"].get(k), "leveldb: no %s" % k)
    need(m["census"]["zero_length_fragments"] > 0, "leveldb: no zero-length fragment")
    need(m["census"]["padding_runs"] > 0, "leveldb: no block trailer padding")
    need(m["damaged"]["corrupt"]["dump"]["corruption_lines"], "leveldb: corrupt copy reports no corruption")
    km = json.load(open(os.path.join(dest, "kafka", "manifest.json")))
    need(len(km["segments"]) >= 3, "kafka: fewer than 3 segments")
    need(sum(s["index_entries"] for s in km["segments"]) > 0, "kafka: no index entries")
    need(km["batches_by_compression"].get("lz4"), "kafka: no lz4 batch")
    need(all(not s["problems"] for s in km["segments"]), "kafka: reference read problems")
    for kind in ("torn", "corrupt", "corrupt-lz4"):
        need(kind in km["damaged"], "kafka: no damaged/%s" % kind)
    need(km["damaged"]["corrupt-lz4"]["batch_is_lz4"], "kafka: corrupt-lz4 flip is not in an lz4 batch")
    gm = json.load(open(os.path.join(dest, "kafka", "gzip", "manifest.json")))
    need(gm["batches_by_compression"].get("gzip"), "kafka gzip: no gzip batch")
    pdir = os.path.join(dest, "kafka", "live", "%s-%d" % (km["topic"], km["partition"]))
    active = km["segments"][-1]["file"][:-4]
    need(os.path.getsize(os.path.join(pdir, active + ".index")) == 4096 and
         os.path.getsize(os.path.join(pdir, active + ".timeindex")) == 4092,
         "kafka live: active segment indexes are not preallocated to 4096/4092 bytes")
    if problems:
        print("FIXTURE CHECK FAILED:\n  " + "\n  ".join(problems))
        sys.exit(1)
    print("fixture check ok")


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "gen":
        gen(sys.argv[2:])
    elif cmd == "collect":
        collect(sys.argv[2], sys.argv[3])
    elif cmd == "check":
        check(sys.argv[2])
    else:
        print(__doc__)
        sys.exit(2)
