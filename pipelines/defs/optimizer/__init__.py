"""The daily dispatch plan asset and its nightly schedule."""
