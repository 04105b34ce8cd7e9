"""PROTOCOL.md in code: the practice exchange's frames, typed and checked, in both directions."""
