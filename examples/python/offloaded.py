"""Code that already does the right thing: nothing here is reported."""
import asyncio
import time

import requests


def blocking_report(url: str) -> str:
    time.sleep(1)
    return requests.get(url, timeout=10).text


async def main(url: str) -> str:
    await asyncio.sleep(0.1)
    return await asyncio.to_thread(blocking_report, url)
