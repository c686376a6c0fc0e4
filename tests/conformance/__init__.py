"""Conformance of the built-in Exchange emulator to Microsoft's references."""
