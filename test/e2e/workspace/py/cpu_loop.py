async def checksum(n):
    return sum(i * i for i in range(n))
