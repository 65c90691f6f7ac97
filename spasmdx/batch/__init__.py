"""Batch scoring of case files: streaming, in order, resumable, on processes or a Dask cluster."""
