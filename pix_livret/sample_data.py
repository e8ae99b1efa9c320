"""On its way out: the sample data is pix_livret.demo.sample_data; this name stays for the imports not yet moved."""
from pix_livret.demo.sample_data import *  # noqa: F401,F403
