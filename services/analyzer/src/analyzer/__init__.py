"""Recto's analyzer: layout and OCR/HTR engines turn a page image into a `PageAnalysis`."""

from analyzer.application.analyse_page import analyse_page, record_final_failure
from analyzer.application.plans import validate_plan

__all__ = ["analyse_page", "record_final_failure", "validate_plan"]
