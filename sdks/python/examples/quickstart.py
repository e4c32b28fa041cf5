"""The quickstart: two peers in a group chat, a question about them, and a context for a model.

Needs a server with a model configured (for `chat`). Run: python examples/quickstart.py
"""

from honcho import Honcho

honcho = Honcho(base_url="http://localhost:8000")
alice, bob = honcho.peer("alice"), honcho.peer("bob", config={"observe_others": True})
session = honcho.session("group_chat")
session.add_messages(alice.message("Hello from Alice!"), bob.message("I ate eggs today."))
alice.chat("What did Bob have for breakfast today?")
context = session.get_context(summary=True, tokens=1500)
openai_messages = context.to_openai(assistant=alice)

print(openai_messages)
