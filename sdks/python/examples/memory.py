"""What the server learns: wait for the deriver, then read representations, cards, observations.

Needs a server with a model (and a running deriver). Run: python examples/memory.py
"""

from honcho import Honcho, SessionPeerConfig

honcho = Honcho()
alice, bob = honcho.peer("alice"), honcho.peer("bob")
session = honcho.session("trip")
session.add_peers([alice, (bob, SessionPeerConfig(observe_others=True))])
session.add_messages(
    alice.message("I just moved to Lisbon."),
    bob.message("Welcome! I live in Porto."),
)
honcho.poll_deriver_status(session=session, timeout=120)

print("Honcho's view of Alice:\n", alice.working_rep())
print("Bob's view of Alice:\n", session.working_rep(bob, target=alice))
print("Alice's card:", alice.get_card())
for observation in bob.observations_of(alice).list():
    print("observation:", observation.content)
print(alice.chat("Where does Alice live?"))
