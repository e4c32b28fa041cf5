"""The quickstart with `AsyncHoncho`: the same calls, awaited. Needs a model on the server.

Run: python examples/async_quickstart.py (HONCHO_BASE_URL etc. as for the sync client)
"""

import asyncio

from honcho import AsyncHoncho


async def main() -> None:
    async with AsyncHoncho() as honcho:
        alice = await honcho.peer("alice")
        bob = await honcho.peer("bob", config={"observe_others": True})
        session = await honcho.session("group_chat")
        await session.add_messages(alice.message("Hello from Alice!"), bob.message("Eggs!"))
        await session.poll_deriver_status(timeout=60)
        async for chunk in await bob.chat("What did Alice say?", target=alice, stream=True):
            print(chunk, end="", flush=True)
        print()
        context = await session.get_context(summary=True, tokens=1500)
        print(context.to_anthropic(assistant=alice))


asyncio.run(main())
