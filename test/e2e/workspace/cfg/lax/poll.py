import time


async def poll() -> None:
    time.sleep(1)
