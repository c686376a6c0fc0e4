"""Conformance of the built-in Exchange emulator to Microsoft's references.

- ``schemas``: the three schema sets (Open Specifications, Exchange 2010 SP2,
  Exchange 2013 SP1), loaded once, and the SOAP message checks.
- ``traffic`` and ``plugin``: every request, response and notification the
  emulator records during any test session is validated at the end; a
  violation fails the run.
- ``replay``: Microsoft's request samples sent to a running emulator, with
  the sample ids mapped to the emulator's, and answers reduced to shape.
- The references are found through ``EXSYNC_EWS_REFERENCE`` or
  ``../shared/ews``; without them these tests skip and say why.
"""
