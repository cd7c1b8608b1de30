import asyncio
import time


def warm_up():
    # start-up code: blocking here is fine and must not be reported
    time.sleep(0.1)


async def poll(ready):
    while not await ready():
        time.sleep(0.5)
    await asyncio.to_thread(time.sleep, 1)
