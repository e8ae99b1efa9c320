"""`pix-livret demo` and the sample data it runs on, also the tests' and the benches' input.

run: the demo itself (a sample collège, the nightly flow, the LSU export and the bilan, in a folder of its own).
sample_data: Pix Orga class CSVs in every header version, SIECLE rosters, planted problems, sample académies.
"""
