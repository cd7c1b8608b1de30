"""Shared state under threads and tasks. Run `npx loopguard check examples/`."""
import asyncio
import threading

hits = 0
_totals_lock = threading.Lock()
totals: dict[str, int] = {}


def count_hits(n: int) -> None:
    global hits
    for _ in range(n):
        # four threads run this at once: increments are lost without a lock
        hits += 1


def add_total(key: str, amount: int) -> None:
    with _totals_lock:  # guarded: not reported
        totals[key] = totals.get(key, 0) + amount


workers = [threading.Thread(target=count_hits, args=(100_000,)) for _ in range(4)]

balance = 0
cache: dict[str, bytes] = {}


async def deposit(source) -> None:
    global balance
    # `balance` is read before the await: a deposit made meanwhile is overwritten
    balance += await source()


async def thumbnail(key: str, render) -> bytes:
    if key not in cache:
        # two requests for the same key both render it
        cache[key] = await render(key)
    return cache[key]
