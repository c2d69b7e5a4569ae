"""Analytics for planners and owners: manufacturer scorecards, days per stage, flow, forecast accuracy.

Module map: models (derived tables: stage completions, daily flow counts), services (build them from
the stage periods and production.history's spans; refreshed after each sync that changed data),
receivers, forms (the filters and date window of every page and CSV), selectors/ (one module per
page: scorecards, durations, flow, forecasts; common holds the filters and percentiles), views, urls.
"""
