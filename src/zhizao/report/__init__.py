"""Reports (报表): XLSX and PDF renderings of analysis results. Shell code: renders, computes nothing."""
