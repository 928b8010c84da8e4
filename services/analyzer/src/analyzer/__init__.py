"""Recto's analyzer: layout and OCR/HTR engines turn a page image into a `PageAnalysis`.

The package imports nothing itself: the gateway imports the plan validator alone
(`analyzer.application.plans`) and should not load the whole analyzer with it.
"""
