balance = 0


async def deposit(source) -> None:
    global balance
    balance += await source()
