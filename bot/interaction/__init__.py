"""How people talk to the bot: the command registry, typed button payloads, menus."""
