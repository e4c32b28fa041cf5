"""The official Python SDK (honcho-ai 1.6.0 over honcho-core 1.8.0), unchanged, against the live
server over real HTTP: every storage method, sync and async (spec §17, §20.1).

Each test uses its own workspace. SDK-side quirks of spec §20.3 are tolerated, never asserted:
`set_config` on workspaces/sessions is only checked for the keys it sets (the server merges),
`Session.get_peers()` is only used with fewer than 50 members, and list iteration's extra
get-or-create per item is allowed (but must not change what it echoes).
"""
