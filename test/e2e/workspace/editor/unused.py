async def main():
    x = 1  # loopguard: ignore[blocking-call-in-async]
    return x
