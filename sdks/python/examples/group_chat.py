"""The project README's examples with this SDK: the Python one unchanged, and the curl one.

Settings come from HONCHO_BASE_URL / HONCHO_API_KEY / HONCHO_WORKSPACE_ID (defaults:
http://localhost:8000, no key, workspace "default"). Run: python examples/group_chat.py
"""

from honcho import Honcho

honcho = Honcho()
alice, bob = honcho.peer("alice"), honcho.peer("bob")
session = honcho.session("group_chat")
session.add_messages([alice.message("Hello from Alice!"), bob.message("I ate eggs today.")])
for message in session.get_messages():
    print(message.peer_id, message.content)

# curl -X POST localhost:8000/v2/workspaces/demo/sessions/chat/messages/ \
#   -d '{"messages": [{"peer_id": "alice", "content": "I just moved to Lisbon."}]}'
(stored,) = honcho.session("chat").add_messages(alice.message("I just moved to Lisbon."))
print(stored.id, stored.peer_id, stored.session_id, stored.token_count)
