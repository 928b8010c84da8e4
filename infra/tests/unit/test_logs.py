import json
import logging

from infra.logs import JsonFormatter, log_context


def test_lines_are_json_with_context_and_extras() -> None:
    token = log_context.set({"correlation_id": "job-1", "consumer": "analyzer"})
    try:
        record = logging.LogRecord(
            "recto", logging.INFO, __file__, 1, "page %s done", ("p1",), None
        )
        record.page_id = "p1"
        line = json.loads(JsonFormatter("analyzer").format(record))
    finally:
        log_context.reset(token)
    assert line["message"] == "page p1 done"
    assert line["service"] == "analyzer"
    assert line["correlation_id"] == "job-1"
    assert line["page_id"] == "p1"
    assert line["level"] == "info"
