# N asyncio tasks (default 10,000) in a TaskGroup, each parked in an await chain of two
# coroutines (sleeper -> nap -> asyncio.sleep), and the main task awaiting the group: what
# `--async-aware --async-mode all` must walk on every sample of the tasks bench.
import asyncio
import sys

count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000


async def nap(i):
    await asyncio.sleep(3600 + i)


async def sleeper(i):
    while True:
        await nap(i)


async def main():
    async with asyncio.TaskGroup() as group:
        for i in range(count):
            group.create_task(sleeper(i), name=f"sleeper-{i}")
        await asyncio.sleep(0.2)
        print("ready", flush=True)


asyncio.run(main())
