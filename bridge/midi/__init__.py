"""Live MIDI: ports, clock, the performer's modes and its note scheduler, CC control."""

MODES = ("call-response", "continuous", "fuse", "interpolate")  # see bridge.midi.performer
