# N asyncio tasks (default 10,000) in a TaskGroup, each parked in an await chain of two
# coroutines (sleeper -> nap -> asyncio.sleep), and the main task awaiting the group: what
# `--async-aware --async-mode all` must walk on every sample of the tasks bench. An optional
# second argument adds that many movers, tasks that wake every millisecond and alternate
# between two await chains (hop_a, hop_b): a sample where a few tasks moved among many parked.
import asyncio
import sys

count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
movers = int(sys.argv[2]) if len(sys.argv) > 2 else 0


async def nap(i):
    await asyncio.sleep(3600 + i)


async def sleeper(i):
    while True:
        await nap(i)


async def hop_a():
    await asyncio.sleep(0.001)


async def hop_b():
    await asyncio.sleep(0.001)


async def mover():
    while True:
        await hop_a()
        await hop_b()


async def main():
    async with asyncio.TaskGroup() as group:
        for i in range(count):
            group.create_task(sleeper(i), name=f"sleeper-{i}")
        for i in range(movers):
            group.create_task(mover(), name=f"mover-{i}")
        await asyncio.sleep(0.2)
        print("ready", flush=True)


asyncio.run(main())
