"""exsync keeps Exchange contacts and a CRM contact store in step."""

__version__ = "0.1.0"
