import time


async def poll(client):
    while not await client.ready():
        time.sleep(0.5)
    return await client.result()
