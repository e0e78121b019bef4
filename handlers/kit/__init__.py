"""What handler modules share: the turn and guard, the flow engine, pickers, shared button families.

A capability module (handlers/*.py) imports only from here, never from another capability."""
