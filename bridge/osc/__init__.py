"""OSC protocol v1 and its UDP server."""
