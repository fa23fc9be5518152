"""Reports: figures for dashboards, and the transparency export."""
