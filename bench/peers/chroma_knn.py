"""Chroma peer for bench/retrieval.bench.ts.

Reads float32 little-endian row-major vectors and queries written by the TypeScript side, builds a
Chroma collection with HNSW parameters matching the Elasticsearch index, runs the queries one at a
time after separate warm-up queries and prints one JSON object on stdout: the build time, each query's latency
(measured here, around the client call, so no process hop is counted) and the ids returned.
Progress goes to stderr.
"""

import argparse
import json
import shutil
import sys
import time

import numpy as np
import chromadb
from chromadb.config import Settings


def log(msg: str) -> None:
    print(f"[chroma] {msg}", file=sys.stderr, flush=True)


def read_matrix(path: str, dim: int) -> np.ndarray:
    data = np.fromfile(path, dtype="<f4")
    if data.size % dim:
        raise SystemExit(f"{path}: {data.size} floats is not a multiple of dim {dim}")
    return data.reshape(-1, dim)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--vectors", required=True)
    p.add_argument("--queries", required=True)
    p.add_argument("--dim", type=int, required=True)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--m", type=int, default=16)
    p.add_argument("--ef-construction", type=int, default=100)
    p.add_argument("--ef-search", type=int, default=100)
    p.add_argument("--warmup-queries", required=True, help="run first, not measured")
    p.add_argument("--data-dir", required=True, help="persistent store, wiped first")
    args = p.parse_args()

    vectors = read_matrix(args.vectors, args.dim)
    queries = read_matrix(args.queries, args.dim)
    warmup = read_matrix(args.warmup_queries, args.dim)
    shutil.rmtree(args.data_dir, ignore_errors=True)
    # Telemetry off: it would try to reach the network on every call.
    client = chromadb.PersistentClient(path=args.data_dir, settings=Settings(anonymized_telemetry=False))

    started = time.perf_counter()
    collection = client.create_collection(
        "retrieval-bench",
        configuration={
            "hnsw": {
                "space": "cosine",
                "max_neighbors": args.m,
                "ef_construction": args.ef_construction,
                "ef_search": args.ef_search,
            }
        },
        # Vectors are supplied; no embedding model is ever loaded.
        embedding_function=None,
    )
    batch = client.get_max_batch_size()
    for start in range(0, len(vectors), batch):
        end = min(start + batch, len(vectors))
        collection.add(ids=[str(i) for i in range(start, end)], embeddings=vectors[start:end])
        if (start // batch) % 5 == 0:
            log(f"added {end}/{len(vectors)} ({time.perf_counter() - started:.0f}s)")
    count = collection.count()
    if count != len(vectors):
        raise SystemExit(f"collection holds {count} vectors, expected {len(vectors)}")
    build_s = time.perf_counter() - started
    log(f"built {count} in {build_s:.1f}s (batches of {batch})")

    def search(q: np.ndarray) -> list[str]:
        return collection.query(query_embeddings=q[np.newaxis, :], n_results=args.k, include=[])["ids"][0]

    for q in warmup:
        search(q)
    latencies = []
    ids = []
    for q in queries:
        t0 = time.perf_counter()
        got = search(q)
        latencies.append((time.perf_counter() - t0) * 1000)
        ids.append([int(x) for x in got])
    log(f"{len(queries)} queries, p50 {sorted(latencies)[len(latencies) // 2]:.2f} ms")

    json.dump(
        {
            "version": chromadb.__version__,
            "count": count,
            "batch": batch,
            "build_s": build_s,
            "latencies_ms": latencies,
            "ids": ids,
            "configuration": collection.configuration.get("hnsw"),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
