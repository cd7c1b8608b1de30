import asyncio


def crunch(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


async def handler(n):
    return await asyncio.to_thread(crunch, n)
