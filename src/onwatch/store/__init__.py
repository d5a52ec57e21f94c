"""Storage: tables, rollups and the latency histograms they hold."""
