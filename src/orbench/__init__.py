"""orbench: how good is a small open-weight model, on this machine?"""

__version__ = "0.1.0"
