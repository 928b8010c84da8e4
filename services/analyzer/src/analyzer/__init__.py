"""Recto's analyzer: layout and OCR/HTR engines turn a page image into a `PageAnalysis`."""

from analyzer.application.analyze_page import analyze_page, record_final_failure
from analyzer.application.plans import validate_plan

__all__ = ["analyze_page", "record_final_failure", "validate_plan"]
