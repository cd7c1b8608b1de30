import time


async def tick():
    time.sleep(0.5)
