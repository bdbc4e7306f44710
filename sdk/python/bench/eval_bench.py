"""``is_enabled`` per call, in one run: canary-flags (Python) beside the Python SDKs of Unleash,
LaunchDarkly and GrowthBook, each evaluating the bench's flags offline (``bench/fixture`` of the
repository: *rich* = a 20-user beta list plus 10% of ``eu-west``; *plain* = on for everyone), and
canary-flags' memory per flag at 10,000 rich flags.

    sdk/python/.venv/bin/pip install -r sdk/python/bench/requirements.txt
    sdk/python/.venv/bin/python sdk/python/bench/eval_bench.py

Timing: for each SDK and flag, ``ROUNDS`` rounds over the same 100,000 users (converted to each
SDK's context shape before timing); the median ns per call is printed. canary-flags counts
exposures for the guard on every call; the peers run with events and metrics off.
"""

from __future__ import annotations

import gc
import json
import logging
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import canary

logging.disable(logging.CRITICAL)
ROUNDS = 5
USERS = 100_000
REGIONS = ["eu-west", "us-east", "ap-south"]
BETA = [f"u-{2500 + k * 5000:05d}" for k in range(20)]
RICH, PLAIN = "new-checkout", "plain-on"
NOWHERE = "http://127.0.0.1:9"
users = [(f"u-{i:05d}", REGIONS[i % 3]) for i in range(USERS)]


def canary_state(key: str, rich: bool) -> dict[str, Any]:
    cohorts = (
        [
            {"name": "beta", "conditions": [{"attribute": "userId", "operator": "in", "values": BETA}], "rollout": 100},
            {"name": "eu-canary", "conditions": [{"attribute": "region", "operator": "in", "values": ["eu-west"]}], "rollout": 10},
        ]
        if rich
        else [{"name": "everyone", "conditions": [], "rollout": 100}]
    )
    return {"key": key, "enabled": True, "salt": key, "stickiness": "userId", "cohorts": cohorts, "version": 1}


def load_canary() -> tuple[Callable[[str, Any], bool], Callable[[str, str], Any]]:
    snapshot = {"environment": "bench", "version": 1, "segments": [], "flags": [canary_state(RICH, True), canary_state(PLAIN, False)]}
    client = canary.Client(url=NOWHERE, server_key="cf_server_bench", bootstrap=json.loads(json.dumps(snapshot)))
    return client.is_enabled, lambda uid, region: {"userId": uid, "region": region}


def load_unleash() -> tuple[Callable[[str, Any], bool], Callable[[str, str], Any]]:
    from UnleashClient import UnleashClient
    from UnleashClient.cache import FileCache

    features = {
        "version": 1,
        "features": [
            {"name": RICH, "enabled": True, "strategies": [
                {"name": "userWithId", "parameters": {"userIds": ",".join(BETA)}},
                {"name": "flexibleRollout", "parameters": {"rollout": "10", "stickiness": "userId", "groupId": RICH},
                 "constraints": [{"contextName": "region", "operator": "IN", "values": ["eu-west"]}]},
            ]},
            {"name": PLAIN, "enabled": True, "strategies": [{"name": "default", "parameters": {}}]},
        ],
    }
    cache = FileCache("bench", directory=tempfile.mkdtemp())
    cache.bootstrap_from_dict(features)
    client = UnleashClient(url=NOWHERE, app_name="bench", disable_metrics=True, disable_registration=True, cache=cache)
    client.initialize_client(fetch_toggles=False)
    return client.is_enabled, lambda uid, region: {"userId": uid, "properties": {"region": region}}


def load_launchdarkly() -> tuple[Callable[[str, Any], bool], Callable[[str, str], Any]]:
    import ldclient
    from ldclient import Context
    from ldclient.config import Config
    from ldclient.integrations import Files

    rich = {
        "key": RICH, "on": True, "version": 1, "variations": [True, False], "offVariation": 1, "fallthrough": {"variation": 1},
        "salt": RICH, "targets": [{"values": BETA, "variation": 0}],
        "rules": [{"id": "eu", "clauses": [{"attribute": "region", "op": "in", "values": ["eu-west"]}],
                   "rollout": {"variations": [{"variation": 0, "weight": 10000}, {"variation": 1, "weight": 90000}]}}],
    }
    plain = {"key": PLAIN, "on": True, "version": 1, "variations": [True, False], "offVariation": 1, "fallthrough": {"variation": 0}}
    path = Path(tempfile.mkdtemp()) / "flags.json"
    path.write_text(json.dumps({"flags": {RICH: rich, PLAIN: plain}}))
    config = Config("sdk-bench", update_processor_class=Files.new_data_source(paths=[str(path)]), send_events=False, diagnostic_opt_out=True)
    client = ldclient.LDClient(config=config, start_wait=5)
    return (lambda key, ctx: bool(client.variation(key, ctx, False))), (
        lambda uid, region: Context.builder(uid).set("region", region).build()
    )


def load_growthbook() -> tuple[Callable[[str, Any], bool], Callable[[str, str], Any]]:
    from growthbook import GrowthBook

    features = {
        RICH: {"defaultValue": False, "rules": [
            {"condition": {"id": {"$in": BETA}}, "force": True},
            {"condition": {"region": "eu-west"}, "force": True, "coverage": 0.1, "hashAttribute": "id"},
        ]},
        PLAIN: {"defaultValue": True},
    }
    gb = GrowthBook(features=json.loads(json.dumps(features)))

    def is_on(key: str, attributes: dict[str, str]) -> bool:
        gb.set_attributes(attributes)  # one instance per user is the documented server pattern; this is cheaper
        return bool(gb.is_on(key))

    return is_on, lambda uid, region: {"id": uid, "region": region}


def time_sdk(is_enabled: Callable[[str, Any], bool], contexts: list[Any], key: str) -> float:
    samples = []
    for _ in range(ROUNDS):
        gc.disable()
        start = time.perf_counter_ns()
        for ctx in contexts:
            is_enabled(key, ctx)
        samples.append((time.perf_counter_ns() - start) / len(contexts))
        gc.enable()
    return statistics.median(samples)


def memory_per_flag(count: int = 10_000) -> float:
    flags = [canary_state(f"rich-{i:05d}", True) for i in range(count)]
    snapshot = json.loads(json.dumps({"environment": "bench", "version": 1, "segments": [], "flags": flags}))
    del flags
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    engine_client = canary.Client(url=NOWHERE, server_key="cf_server_bench", bootstrap=snapshot)
    del snapshot
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    engine_client.close(timeout=0)
    return used / count


def main() -> None:
    loaders = {"canary-flags": load_canary, "UnleashClient": load_unleash, "launchdarkly-server-sdk": load_launchdarkly, "growthbook": load_growthbook}
    rows = []
    answers: dict[str, int] = {}
    for name, load in loaders.items():
        try:
            is_enabled, to_context = load()
        except Exception as error:  # a peer that will not load is reported, not fatal
            print(f"{name}: could not load ({error})", file=sys.stderr)
            continue
        contexts = [to_context(uid, region) for uid, region in users]
        answers[name] = sum(1 for ctx in contexts if is_enabled(RICH, ctx))
        rows.append((name, time_sdk(is_enabled, contexts, PLAIN), time_sdk(is_enabled, contexts, RICH)))
    print(f"Python {sys.version.split()[0]}, {USERS:,} users, median of {ROUNDS} rounds, ns per is_enabled call")
    print("| SDK | plain | rich | rich on for |")
    print("| --- | ---: | ---: | ---: |")
    for name, plain, rich in rows:
        print(f"| {name} | {plain:,.0f} | {rich:,.0f} | {answers[name]:,} users |")
    ours = next((r for r in rows if r[0] == "canary-flags"), None)
    peers = [r for r in rows if r[0] != "canary-flags"]
    if ours and peers:
        fastest = min(peers, key=lambda r: r[2])
        print(f"\nrich flag: {fastest[2] / ours[2]:.1f}x faster than the fastest peer ({fastest[0]}); "
              f"plain: {min(p[1] for p in peers) / ours[1]:.1f}x")
    print(f"canary-flags memory per rich flag at 10,000 flags: {memory_per_flag():,.0f} bytes (tracemalloc)")


if __name__ == "__main__":
    main()
