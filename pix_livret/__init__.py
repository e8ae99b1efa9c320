"""pix-livret: Pix certification results for the livret scolaire."""
__version__ = "0.1.0"
