"""An asyncio service with the mistakes Loopguard is for. Run `npx loopguard check examples/`."""
import json
import subprocess
import time

import requests

# start-up code: reading the config once is fine and is not reported
with open("config.json") as f:
    CONFIG = json.load(f)


async def fetch_profile(user_id: str) -> dict:
    # every other task waits while this request is in flight
    response = requests.get(f"{CONFIG['api']}/users/{user_id}", timeout=10)
    return response.json()


async def poll_until_ready(job) -> None:
    while not await job.ready():
        time.sleep(0.5)


async def current_revision() -> str:
    result = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True)
    return result.stdout.strip()


def load_fixture(path: str) -> str:
    # a plain function: not reported
    with open(path) as fh:
        return fh.read()
