"""casedesk: the support-case service of a mobile-device support desk."""

__version__ = "0.1.0"
