"""The contracts of pix-livret: what valid data looks like, stated once."""
