"""Reads of the analytics pages, one module per page; common holds the filters and the percentiles."""
