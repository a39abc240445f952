"""County simulation lab: keeping rural poverty from coming back (Mesa)."""

__version__ = "0.1.0"
